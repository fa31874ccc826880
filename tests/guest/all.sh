#!/bin/sh
# The three guest runs of make check, each into DIR/NAME with its status in
# DIR/NAME.rc:
#   lsm     the suite with BPF LSM active, the module and a TPM; booted
#           twice, the second time for reboot_after_test
#   fentry  the mode-dependent tests on the kernel as kernels whose
#           CONFIG_LSM lacks bpf ship: trustnoded must choose fentry mode
#   pkg     the packages on a node that boots with systemd as PID 1:
#           install, upgrade, restart, purge
# LANE "lsm" runs the first, "rest" the other two, nothing (or "all") all
# three, one after the other. tests/run.sh starts the lsm lane before the
# host's tests and the rest once they are done: each emulator runs its
# guest on one host thread (run.sh), so the two lanes then have a core
# each. (With a thread per guest CPU, two emulators slowed each other about
# twofold: the lsm run's later tests 1.6 to 2.9 times slower.)
#
#   tests/guest/all.sh BUILD DIR [LANE]   (from the repository top; root)
BUILD=$1 DIR=$2 LANE=${3:-all}
case $LANE in lsm|rest|all) ;; *) echo "guest: LANE is lsm, rest or all" >&2; exit 2 ;; esac

if [ "$LANE" != rest ]; then
	tests/guest/run.sh "$BUILD" "tests/guest/suite.sh $BUILD" \
		"tests/guest/suite.sh $BUILD after-reboot" > "$DIR/lsm" 2>&1
	echo $? > "$DIR/lsm.rc"
fi
[ "$LANE" = lsm ] && exit 0

TN_GUEST_LSM=lockdown,capability,landlock,yama,apparmor TN_GUEST_OUT=guest-fentry \
	tests/guest/run.sh "$BUILD" "tests/guest/suite.sh $BUILD fentry" > "$DIR/fentry" 2>&1
echo $? > "$DIR/fentry.rc"

TN_GUEST_INIT=systemd TN_GUEST_LSM=default TN_GUEST_OUT=guest-pkg TN_GUEST_TIMEOUT=1500 \
	tests/guest/run.sh "$BUILD" "tests/guest/pkg_test.sh $BUILD" > "$DIR/pkg" 2>&1
echo $? > "$DIR/pkg.rc"
