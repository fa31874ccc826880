#!/bin/bash
# The guest suite: runs inside tests/guest/run.sh's QEMU guest, where BPF LSM
# is active, so trustnoded must choose lsm mode; the module can be loaded.
# Same TAP as the host suite. kmod_test comes last: it seals the module.
#
#   tests/guest/suite.sh BUILD                the first boot: everything
#   tests/guest/suite.sh BUILD after-reboot   the second boot (same disk)
set -u
BUILD=${1:-build}
export TN_BUILD=$BUILD TN_EXPECT_ATTACH=lsm
rc=0
if [ "${2:-}" = after-reboot ]; then
	echo "# ==== guest: reboot_after_test (second boot)"
	"$BUILD/tests/guest/reboot_after_test"
	exit
fi
# First: it leaves a tainted workload's state on the guest's disk for the
# second boot (and nothing else behind).
echo "# ==== guest: reboot_before_test (first boot)"
"$BUILD/tests/guest/reboot_before_test" || rc=1
for t in enforce_test lsm_test propagate_test agent_test adversary_test lifecycle_test maps_test; do
	echo "# ==== guest: $t"
	"$BUILD/tests/$t" || rc=1
done
# The packaged unit's capability set, here where BPF LSM is on: the agent
# must reach lsm mode with it, as with every capability.
echo "# ==== guest: tests/pkg/unit_test.sh"
tests/pkg/unit_test.sh "$BUILD" || rc=1
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
