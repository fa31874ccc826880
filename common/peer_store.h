/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Enrolled peers, one JSON file each under STATE_DIR/peers/: what was pinned
 * at enrolment (identity key, AK, EK) and what the verifier accepts from
 * the peer (policy and software digests), plus the newest TPM clock seen,
 * so that an older quote replayed later is refused.
 */
#ifndef TN_PEER_STORE_H
#define TN_PEER_STORE_H

#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>
#include "attest_wire.h"
#include "err.h"

#define TN_PEER_MAX_ACCEPT 16
#define TN_PEER_DIR "peers"

struct tn_peer {
	char name[33];
	char url[512];
	uint8_t idkey[TN_IDKEY_LEN];
	TPM2B_PUBLIC ak, ek;
	int ek_cert_verified;		/* chain checked against configured CAs */
	uint8_t policies[TN_PEER_MAX_ACCEPT][TN_DIGEST_LEN];
	int npolicies;
	uint8_t software[TN_PEER_MAX_ACCEPT][TN_DIGEST_LEN];
	int nsoftware;
	int have_clock;
	uint32_t reset_count, restart_count;
	uint64_t clock;
	int64_t enrolled_at;		/* unix seconds */
	/* The newest audit-log checkpoint verified from this peer. */
	int have_log_cp;
	uint8_t log_id[16];
	uint64_t log_cp_covers;
	uint8_t log_cp_head[32];
};

int tn_peer_load(const char *state_dir, const char *name, struct tn_peer *p,
		 struct tn_err *err);
/* Written to a temporary file and renamed: never half a peer. */
int tn_peer_save(const char *state_dir, const struct tn_peer *p,
		 struct tn_err *err);
/* Finds the peer enrolled with this URL; 1 when there is none. */
int tn_peer_find_url(const char *state_dir, const char *url,
		     struct tn_peer *p, struct tn_err *err);
int tn_peer_remove(const char *state_dir, const char *name, struct tn_err *err);
/* Names of all enrolled peers, sorted; free with tn_peer_names_free. */
int tn_peer_names(const char *state_dir, char ***names, int *n,
		  struct tn_err *err);
void tn_peer_names_free(char **names, int n);

#endif
