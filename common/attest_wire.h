/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the attesting agent and a verifier must compute the same way: the
 * quote's qualifying data, the measurement log's entries and its replay.
 * The HTTP API itself is documented in include/trustnode/attest_api.h.
 */
#ifndef TN_ATTEST_WIRE_H
#define TN_ATTEST_WIRE_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define TN_DIGEST_LEN	32	/* SHA-256 */
#define TN_IDKEY_LEN	32	/* Ed25519 public key */

/* PolicySecret(TPM_RH_ENDORSEMENT): the authPolicy of the TCG EK templates. */
extern const uint8_t tn_ek_policy_secret_endorsement[TN_DIGEST_LEN];

/* SHA-256(TN_QUOTE_LABEL || 0 || nonce || identity key). */
void tn_qualifying_data(const uint8_t *nonce, size_t nonce_len,
			const uint8_t idkey[TN_IDKEY_LEN],
			uint8_t out[TN_DIGEST_LEN]);

/* pcr = SHA-256(pcr || digest), as TPM2_PCR_Extend does in the sha256 bank. */
void tn_pcr_extend_sw(uint8_t pcr[TN_DIGEST_LEN],
		      const uint8_t digest[TN_DIGEST_LEN]);

/* One entry of the measurement log. */
struct tn_measurement {
	uint64_t seq;
	char type[32];
	uint8_t digest[TN_DIGEST_LEN];
	char detail[512];
	int64_t time;		/* unix seconds, the node's clock; 0: not given */
};

json_object *tn_measurement_json(const struct tn_measurement *m);
/* Strict: every member present and well-formed; err names the entry. */
int tn_measurement_parse(json_object *o, struct tn_measurement *m,
			 struct tn_err *err);

#endif
