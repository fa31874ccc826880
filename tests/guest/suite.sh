#!/bin/bash
# The guest suite: runs inside tests/guest/run.sh's QEMU guest, where BPF LSM
# is active, so trustnoded must choose lsm mode. Same TAP as the host suite.
set -u
BUILD=${1:-build}
export TN_BUILD=$BUILD TN_EXPECT_ATTACH=lsm
rc=0
for t in enforce_test lsm_test agent_test; do
	echo "# ==== guest: $t"
	"$BUILD/tests/$t" || rc=1
done
exit $rc
