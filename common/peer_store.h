/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Enrolled peers, one JSON file each under STATE_DIR/peers/: what was pinned
 * at enrolment (identity key, AK, EK) and what the verifier accepts from
 * the peer (policy and software digests), plus the newest TPM clock seen,
 * so that an older quote replayed later is refused, and how far this
 * verifier has judged the peer's measurement log in its current boot.
 */
#ifndef TN_PEER_STORE_H
#define TN_PEER_STORE_H

#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>
#include "attest_wire.h"
#include "measure_log.h"
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
	/*
	 * What the quote must select, decided by the verifier at enrolment:
	 * the measurement PCR, its bank, and the whole selection (the
	 * measurement PCR plus any the peer quoted besides at enrolment).
	 * pcr_assumed: the file predates pinning; PCR 13, sha256 assumed.
	 */
	unsigned pcr;
	uint32_t quote_mask;		/* bit N: PCR N is selected */
	int pcr_assumed;
	int require_module;		/* a module was measured at enrolment */
	/*
	 * The measurement log as far as judged (a verification that passed):
	 * in the boot with this TPM reset count, the first seen_entries
	 * entries, their chain and PCR values and their summary
	 * (common/measure_log.h). The next quote is asked for the tail from
	 * there.
	 */
	int have_log_seen;
	uint32_t seen_reset_count;
	uint64_t seen_entries;
	uint8_t seen_chain[TN_DIGEST_LEN];
	uint8_t seen_pcr[TN_DIGEST_LEN];
	struct tn_log_summary seen_summary;
	int64_t seen_at;		/* unix seconds, this verifier's clock */
	/* trustctl peer accept: how often, the last time, and what. */
	int acceptances;
	int64_t accepted_at;
	char accepted_what[1024];
	/* The newest audit-log checkpoint verified from this peer. */
	int have_log_cp;
	uint8_t log_id[16];
	uint64_t log_cp_covers;
	uint8_t log_cp_head[32];
};

/* The only bank a measurement PCR may be pinned in. */
#define TN_PEER_BANK "sha256"
/*
 * PCRs 16..23 are not acceptable measurement PCRs: 16 (debug) and 23
 * (application) are reset by software at locality 0 (TPM2_PCR_Reset), and
 * 17..22 belong to the dynamic root of trust, which resets them at a late
 * launch. Only 0..15 keep what was extended until the platform resets.
 */
static inline int tn_pcr_resettable(unsigned pcr)
{
	return pcr >= 16;
}

/* The defaults an enrolment starts from: PCR 13 in sha256, quoted alone. */
void tn_peer_pin_pcr(struct tn_peer *p, unsigned pcr);

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
