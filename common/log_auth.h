/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading a node's audit log over HTTP is for its enrolled peers only
 * (include/trustnode/audit_api.h, "HTTP"): the reader signs, with its node
 * identity key, a message that binds a single-use challenge the node
 * issued, the node's identity key, the reader's key and the page asked for.
 * trustctl peer log signs; the agent verifies.
 */
#ifndef TN_LOG_AUTH_H
#define TN_LOG_AUTH_H

#include <stdint.h>
#include "attest_wire.h"
#include "err.h"
#include "trustnode/audit_api.h"

#define TN_LOG_SIG_LEN		64	/* Ed25519 */
#define TN_LOG_READ_MSG_LEN	(sizeof(TN_LOG_READ_LABEL) + TN_LOG_CHALLENGE_LEN + \
				 2 * TN_IDKEY_LEN + 8 + 8)

/* label NUL, challenge, server key, reader key, since and limit (BE). */
void tn_log_read_msg(const uint8_t challenge[TN_LOG_CHALLENGE_LEN],
		     const uint8_t server_key[TN_IDKEY_LEN],
		     const uint8_t reader_key[TN_IDKEY_LEN],
		     uint64_t since, uint64_t limit,
		     uint8_t msg[TN_LOG_READ_MSG_LEN]);
void tn_log_read_sign(const uint8_t challenge[TN_LOG_CHALLENGE_LEN],
		      const uint8_t server_key[TN_IDKEY_LEN],
		      const uint8_t reader_sk[64], uint64_t since, uint64_t limit,
		      uint8_t sig[TN_LOG_SIG_LEN]);
/* 0 when sig is reader_key's signature over that message. */
int tn_log_read_verify(const uint8_t challenge[TN_LOG_CHALLENGE_LEN],
		       const uint8_t server_key[TN_IDKEY_LEN],
		       const uint8_t reader_key[TN_IDKEY_LEN],
		       uint64_t since, uint64_t limit,
		       const uint8_t sig[TN_LOG_SIG_LEN]);

/*
 * Reads the node identity key STATE_DIR/identity.key that trustnoded
 * created (never creates one): owned by this user, mode 0600.
 */
int tn_identity_read(const char *state_dir, uint8_t sk[64],
		     uint8_t pk[TN_IDKEY_LEN], struct tn_err *err);

#endif
