#!/bin/bash
# Second stage of the test guest, running the host's userspace over 9p.
# Sets up what a booted system would have, runs the command named on the
# kernel command line (tn.cmd=, base64) and reports its exit status.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts && mount -t tmpfs tmpfs /dev/shm
# What udev or systemd would have made; bash process substitution needs /dev/fd.
ln -sf /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /run
# Scratch space off the overlay root, where tags cannot live (see README);
# not over /tmp, which may hold the checkout being tested.
mkdir -p /tntmp && mount -t tmpfs tmpfs /tntmp
export TMPDIR=/tntmp
mkdir -p /run/netns /run/lock
mount -t bpf bpf /sys/fs/bpf
mount -t securityfs securityfs /sys/kernel/security
mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
mkdir -p /sys/fs/cgroup/unified
mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
hostname tn-guest
# What the tests need; loaded here rather than trusting on-demand loading.
modprobe -a veth overlay 2>/dev/null || echo "TN-GUEST-WARN: modprobe veth failed"
ip link set lo up
# The disk that outlives a reboot (run.sh), where a node's state would live.
if grep -q 'tn\.disk=1' /proc/cmdline; then
	mkdir -p /tndisk
	modprobe -a virtio_blk ext4
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 0.2; done
	if mount -t ext4 /dev/vda /tndisk; then
		export TN_GUEST_DISK=/tndisk
	else
		echo "TN-GUEST-WARN: the guest's disk did not mount"
	fi
fi

echo "TN-GUEST-UP: kernel $(uname -r); lsm=$(cat /sys/kernel/security/lsm)"
cmd=$(sed -n 's/.*tn\.cmd=\([^ ]*\).*/\1/p' /proc/cmdline | base64 -d)
bash -c "$cmd"
rc=$?
echo "TN-GUEST-EXIT: $rc"
sync
