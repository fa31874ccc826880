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
# tn.9pcache=loose (run.sh's default): the guest keeps what it read of
# the host's files (pages, attributes), which do not change while a guest
# runs (make check builds first); without it every page fault of a mapped
# library goes to the host, and a test's node takes twice as long to set
# up. tn.9pcache=none reads through.
cache=$(sed -n 's/.*tn\.9pcache=\([a-z]*\).*/\1/p' /proc/cmdline)
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache="${cache:-none}" hostroot /lower ||
	fail "mount 9p"
mount -t tmpfs -o size=1024m tmpfs /upper || fail "mount tmpfs"
mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot ||
	fail "mount overlay"
stage2=$(sed -n 's/.*tn\.stage2=\([^ ]*\).*/\1/p' /proc/cmdline)
# tn.init=systemd (run.sh, TN_GUEST_INIT=systemd): the overlay becomes the
# root and systemd its PID 1, as on a node that boots; it starts
# tn-guest.target (--unit=), whose one service
# runs stage2-systemd.sh. The lower and upper layers stay visible at
# /tn-layers/{lower,upper}, for tests that compare what the overlay gained.
if grep -q 'tn\.init=systemd' /proc/cmdline; then
	dir=${stage2%/*}
	mkdir -p /newroot/etc/systemd/system /newroot/tn-layers
	cat > /newroot/etc/systemd/system/tn-guest.target <<-EOT
	[Unit]
	Description=trustnode guest test
	Requires=tn-guest.service
	After=tn-guest.service
	AllowIsolate=yes
	EOT
	cat > /newroot/etc/systemd/system/tn-guest.service <<-EOT
	[Unit]
	Description=trustnode guest test command (tn.cmd=)
	# What a booted node has before its services start (sockets, D-Bus).
	Wants=basic.target
	# Powers off however the command ended: run.sh reads its status.
	SuccessAction=poweroff-immediate
	FailureAction=poweroff-immediate
	[Service]
	Type=oneshot
	ExecStart=/bin/bash $dir/stage2-systemd.sh
	StandardInput=null
	StandardOutput=tty
	StandardError=inherit
	TTYPath=/dev/console
	TTYReset=no
	TTYVHangup=no
	TimeoutStartSec=infinity
	EOT
	# Not a container: the host's root may carry docker's marker, and
	# systemd in a container ignores the kernel command line.
	rm -f /newroot/.dockerenv
	# Nor a container image's policy-rc.d (exit 101), which keeps
	# maintainer scripts from starting, stopping or restarting services.
	rm -f /newroot/usr/sbin/policy-rc.d
	# Debian's tmp.conf empties /tmp at boot: here that is the host's /tmp
	# over 9p (whiteouts, minutes under emulation), which may hold the
	# checkout. This overrides it (/etc/tmpfiles.d wins over /usr/lib).
	mkdir -p /newroot/etc/tmpfiles.d && : > /newroot/etc/tmpfiles.d/tmp.conf
	mount -t tmpfs -o mode=0700 tmpfs /newroot/tn-layers || fail "mount tn-layers"
	mkdir -p /newroot/tn-layers/lower /newroot/tn-layers/upper
	mount -o move /lower /newroot/tn-layers/lower || fail "move lower"
	mount -o move /upper /newroot/tn-layers/upper || fail "move upper"
	exec switch_root /newroot /lib/systemd/systemd --unit=tn-guest.target
fi
# Not exec: PID 1 must outlive the 9p root to power off cleanly.
chroot /newroot /bin/bash "$stage2"
echo "TN-GUEST-STAGE2-DONE"
echo o > /proc/sysrq-trigger
sleep 30
