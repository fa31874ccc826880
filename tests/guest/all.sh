#!/bin/sh
# The three guest runs of make check, one after the other, each into
# DIR/NAME with its status in DIR/NAME.rc. Two emulators at once slow each
# other about twofold, even with the host's tests done and the machine's two
# cores to themselves (measured: fentry and packages run beside lsm made
# the lsm run's later tests 1.6 to 2.9 times slower, the whole no shorter).
#   lsm     the suite with BPF LSM active, the module and a TPM; booted
#           twice, the second time for reboot_after_test
#   fentry  the mode-dependent tests on the kernel as kernels whose
#           CONFIG_LSM lacks bpf ship: trustnoded must choose fentry mode
#   pkg     the packages on a node that boots with systemd as PID 1:
#           install, upgrade, restart, purge
#
#   tests/guest/all.sh BUILD DIR          (from the repository top; root)
BUILD=$1 DIR=$2

tests/guest/run.sh "$BUILD" "tests/guest/suite.sh $BUILD" \
	"tests/guest/suite.sh $BUILD after-reboot" > "$DIR/lsm" 2>&1
echo $? > "$DIR/lsm.rc"

TN_GUEST_LSM=lockdown,capability,landlock,yama,apparmor TN_GUEST_OUT=guest-fentry \
	tests/guest/run.sh "$BUILD" "tests/guest/suite.sh $BUILD fentry" > "$DIR/fentry" 2>&1
echo $? > "$DIR/fentry.rc"

TN_GUEST_INIT=systemd TN_GUEST_LSM=default TN_GUEST_OUT=guest-pkg TN_GUEST_TIMEOUT=1500 \
	tests/guest/run.sh "$BUILD" "tests/guest/pkg_test.sh $BUILD" > "$DIR/pkg" 2>&1
echo $? > "$DIR/pkg.rc"
