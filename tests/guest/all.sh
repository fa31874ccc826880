#!/bin/sh
# The guest runs of make check, in two lanes (tests/run.sh runs "lsm" from
# the start, alongside the host's tests, and "rest" once those are done:
# two emulators beside the host's tests slowed each other about twofold,
# on a machine's two cores they do not), each run into DIR/NAME with its
# status in DIR/NAME.rc:
#   lsm     the suite with BPF LSM active, the module and a TPM; booted
#           twice, the second time for reboot_after_test
#   fentry  the mode-dependent tests on the kernel as kernels whose
#           CONFIG_LSM lacks bpf ship: trustnoded must choose fentry mode
#   pkg     the packages on a node that boots with systemd as PID 1:
#           install, upgrade, restart, purge
#
#   tests/guest/all.sh BUILD DIR lsm|rest     (from the repository top; root)
BUILD=$1 DIR=$2 LANE=$3

case $LANE in
lsm)
	tests/guest/run.sh "$BUILD" "tests/guest/suite.sh $BUILD" \
		"tests/guest/suite.sh $BUILD after-reboot" > "$DIR/lsm" 2>&1
	echo $? > "$DIR/lsm.rc"
	;;
rest)
	TN_GUEST_LSM=lockdown,capability,landlock,yama,apparmor TN_GUEST_OUT=guest-fentry \
		tests/guest/run.sh "$BUILD" "tests/guest/suite.sh $BUILD fentry" > "$DIR/fentry" 2>&1
	echo $? > "$DIR/fentry.rc"

	TN_GUEST_INIT=systemd TN_GUEST_LSM=default TN_GUEST_OUT=guest-pkg TN_GUEST_TIMEOUT=1500 \
		tests/guest/run.sh "$BUILD" "tests/guest/pkg_test.sh $BUILD" > "$DIR/pkg" 2>&1
	echo $? > "$DIR/pkg.rc"
	;;
*)
	echo "usage: tests/guest/all.sh BUILD DIR lsm|rest" >&2
	exit 2
	;;
esac
