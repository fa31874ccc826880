#!/bin/sh
# PID 1 of the test guest (busybox, from the initramfs that run.sh builds).
# Mounts the host's root read-only over virtio-9p with a tmpfs overlay on
# top, and hands over to stage2.sh inside it. Any failure powers off: the
# host side sees no exit marker and fails the run.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
fail() {
	echo "TN-GUEST-FAIL: $*"
	echo o > /proc/sysrq-trigger
	sleep 10
}
for m in $(cat /modules/order); do
	insmod /modules/$m.ko || fail "insmod $m"
done
mkdir -p /lower /upper /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /lower ||
	fail "mount 9p"
mount -t tmpfs -o size=1024m tmpfs /upper || fail "mount tmpfs"
mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot ||
	fail "mount overlay"
stage2=$(sed -n 's/.*tn\.stage2=\([^ ]*\).*/\1/p' /proc/cmdline)
# Not exec: PID 1 must outlive the 9p root to power off cleanly.
chroot /newroot /bin/bash "$stage2"
echo "TN-GUEST-STAGE2-DONE"
echo o > /proc/sysrq-trigger
sleep 30
