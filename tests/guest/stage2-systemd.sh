#!/bin/bash
# The test command when the guest boots with systemd as PID 1 (run.sh with
# TN_GUEST_INIT=systemd; init.sh writes the tn-guest.service that runs
# this). systemd mounted what a node has (cgroup2 at /sys/fs/cgroup, bpffs,
# securityfs, /run) and started sysinit.target and basic.target; this adds
# the scratch space the tests expect, runs the command named on the kernel
# command line (tn.cmd=, base64) and reports its exit status. The unit
# powers the guest off when this ends.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
# Output goes to the serial console, a tty: no pager, no colours.
export SYSTEMD_PAGER='' PAGER=cat SYSTEMD_COLORS=0
# Scratch space off the overlay root, where tags cannot live (see README).
mkdir -p /tntmp && mount -t tmpfs tmpfs /tntmp
export TMPDIR=/tntmp
echo "TN-GUEST-UP: kernel $(uname -r); lsm=$(cat /sys/kernel/security/lsm);" \
	"PID 1 $(cat /proc/1/comm); up $(cut -d' ' -f1 /proc/uptime) s"
cmd=$(sed -n 's/.*tn\.cmd=\([^ ]*\).*/\1/p' /proc/cmdline | base64 -d)
bash -c "$cmd"
rc=$?
echo "TN-GUEST-EXIT: $rc"
sync
