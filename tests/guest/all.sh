#!/bin/sh
# The guest runs of make check, the ones named, in that order, each into
# DIR/NAME with its status in DIR/NAME.rc:
#   lsm     the suite with BPF LSM active, the module and a TPM; booted
#           twice, the second time for reboot_after_test
#   fentry  the mode-dependent tests on the kernel as kernels whose
#           CONFIG_LSM lacks bpf ship: trustnoded must choose fentry mode
#   pkg     the packages on a node that boots with systemd as PID 1:
#           install, upgrade, restart, purge
#
#   tests/guest/all.sh BUILD DIR NAME...     (from the repository top; root)
BUILD=$1 DIR=$2
shift 2

for run in "$@"; do
	case $run in
	lsm)
		tests/guest/run.sh "$BUILD" "tests/guest/suite.sh $BUILD" \
			"tests/guest/suite.sh $BUILD after-reboot" ;;
	fentry)
		TN_GUEST_LSM=lockdown,capability,landlock,yama,apparmor TN_GUEST_OUT=guest-fentry \
			tests/guest/run.sh "$BUILD" "tests/guest/suite.sh $BUILD fentry" ;;
	pkg)
		TN_GUEST_INIT=systemd TN_GUEST_LSM=default TN_GUEST_OUT=guest-pkg TN_GUEST_TIMEOUT=1500 \
			tests/guest/run.sh "$BUILD" "tests/guest/pkg_test.sh $BUILD" ;;
	*)
		echo "not ok 1 no guest run named $run"; false ;;
	esac > "$DIR/$run" 2>&1
	echo $? > "$DIR/$run.rc"
done
