// SPDX-License-Identifier: GPL-2.0-only
/*
 * The attestation tests that exercise the TPM itself (enrolment and a quote,
 * the audit log anchored in it, a PCR the log cannot explain), run in the guest with
 * node A on /dev/tpmrm0 (see tests/attest_test.c). The verifier's checks on
 * tampered answers are pure software and run on the host only.
 */
#define ATTEST_GUEST_SUBSET
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../attest_test.c"
