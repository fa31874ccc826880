#!/bin/bash
# The guest suite: runs inside tests/guest/run.sh's QEMU guest.
#
#   suite.sh BUILD          BPF LSM active: trustnoded must choose lsm mode;
#                           every guest test, the module's last (it seals it)
#   suite.sh BUILD fentry   booted without bpf in lsm= (TN_GUEST_LSM): it must
#                           choose fentry mode by itself; the tests whose
#                           outcome depends on the mode
#
# Same TAP as the host suite.
set -u
BUILD=${1:-build}
MODE=${2:-lsm}
export TN_BUILD=$BUILD TN_EXPECT_ATTACH=$MODE
rc=0
if [ "$MODE" = fentry ]; then
	if grep -qw bpf /sys/kernel/security/lsm; then
		echo "not ok 1 fentry suite: BPF LSM is active ($(cat /sys/kernel/security/lsm)); boot without bpf in lsm="
		exit 1
	fi
	# lsm_test also checks that the mode was chosen by probing.
	for t in enforce_test lsm_test propagate_test adversary_test; do
		echo "# ==== guest (fentry mode): $t"
		"$BUILD/tests/$t" || rc=1
	done
	exit $rc
fi
for t in enforce_test lsm_test propagate_test agent_test adversary_test lifecycle_test maps_test; do
	echo "# ==== guest: $t"
	"$BUILD/tests/$t" || rc=1
done
# Attestation against the guest's TPM (/dev/tpmrm0, EK certificate from
# swtpm's local CA) for node A; node B keeps a swtpm of its own.
echo "# ==== guest: attest_tpm_test"
TN_ATTEST_TCTI_A=device:/dev/tpmrm0 TN_ATTEST_STATE_A=${TMPDIR:-/tmp}/attest-a \
	"$BUILD/tests/guest/attest_tpm_test" || rc=1
echo "# ==== guest: dkms_test"
tests/guest/dkms_test.sh "$BUILD" || rc=1
echo "# ==== guest: kmod_test"
"$BUILD/tests/guest/kmod_test" || rc=1
exit $rc
