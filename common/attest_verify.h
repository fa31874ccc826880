/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Verifying a peer's quote response (include/trustnode/attest_api.h) against
 * what was pinned at enrolment. Each check has a name; the first that fails
 * is the verdict's reason. Used by trustctl attest and by the agent.
 *
 * Checks, in order:
 *   identity   the response's identity key is the pinned one
 *   signature  the quote verifies with the pinned AK and is a TPM quote
 *   nonce      the quote's qualifying data is over this verifier's nonce
 *   binding    ... and over the pinned identity key
 *   clock      TPM reset/restart counts and clock are newer than the newest
 *              quote seen from this peer (an older quote replayed is refused)
 *   pcr        the answer's measurement PCR and the quote's selection are
 *              exactly what was pinned at enrolment (bank sha256); PCRs
 *              16..23 are never acceptable measurement PCRs
 *   checkpoint an answer that starts at a checkpoint (a verifier new to
 *              this boot, or too far behind): its text is signed by the
 *              pinned identity key, of this boot, and measured as the first
 *              entry sent (only when the answer starts there)
 *   event-log  a prefix of the event log, replayed from zero, from this
 *              verifier's own position or from the checkpoint, makes the
 *              quoted PCR digest, and every entry in it has a known type,
 *              consistent with its digest where the detail fixes it (seal,
 *              audit checkpoint, weakening)
 *   history    in the boot this verifier judged last (TPM reset count), the
 *              log has exactly the chain value, PCR value and summary
 *              judged then at that position; a checkpoint after it keeps
 *              every measurement judged then
 *   checkpoint every checkpoint entry in the part sent states the PCR and
 *              chain values and the summary that the entries before it make
 *              (a checkpoint that omits a loosened policy fails here for a
 *              verifier that has seen the policy)
 *   software   the boot's log measures the agent and the BPF object (and the
 *              module if the peer ran one at enrolment), and every agent,
 *              BPF and module measurement is accepted
 *   policy     every policy entry not judged before is accepted; the policy
 *              text's digest is the last one measured, and it is accepted
 *   weakening  no run-time weakening (workload reset, untag, unload) was
 *              measured after the entries judged before
 */
#ifndef TN_ATTEST_VERIFY_H
#define TN_ATTEST_VERIFY_H

#include <json-c/json.h>
#include "attest_wire.h"
#include "measure_log.h"
#include "peer_store.h"

struct tn_verdict {
	int ok;
	char check[32];			/* the check that failed */
	char reason[1024];
	json_object *checks;		/* [{check, ok, detail}] */
	uint8_t policy[TN_DIGEST_LEN];	/* measured policy digest */
	int have_policy;
	uint8_t software[TN_PEER_MAX_ACCEPT][TN_DIGEST_LEN];
	int nsoftware;
	size_t log_used, log_total;	/* entries that explain the quote */
	int sealed;
	uint32_t reset_count, restart_count;
	uint64_t clock;
	uint32_t quote_mask;		/* the quote's PCR selection */
	int have_module;		/* the boot measured a module */
	size_t log_from;		/* index of the answer's first entry */
	int from_checkpoint;		/* the answer started at a checkpoint */
	/* The log_used entries' chain and PCR values and summary. */
	uint8_t seen_chain[TN_DIGEST_LEN];
	uint8_t seen_pcr[TN_DIGEST_LEN];
	struct tn_log_summary seen_summary;
	char accepted[1024];		/* TN_VERIFY_ACCEPT: what was accepted */
};

/*
 * TN_VERIFY judges against what p accepts. TN_VERIFY_ENROL records what
 * the peer runs and enforces instead (nothing is accepted yet) and takes
 * the quote's selection and log as they are. TN_VERIFY_ACCEPT checks the
 * quote, the PCR and the log's history as TN_VERIFY does, but notes each
 * policy, software and weakening entry that would fail as accepted (an
 * "accept" check) and records what runs: trustctl peer accept.
 */
enum { TN_VERIFY = 0, TN_VERIFY_ENROL = 1, TN_VERIFY_ACCEPT = 2 };

void tn_verify_quote(const struct tn_peer *p, const uint8_t *nonce,
		     size_t nonce_len, json_object *resp, int mode,
		     struct tn_verdict *v);
void tn_verdict_free(struct tn_verdict *v);
/*
 * Updates p from a verdict that passed: the newest clock, and the log as
 * judged (boot, entries, digest), which the next verification must extend.
 */
void tn_peer_note_clock(struct tn_peer *p, const struct tn_verdict *v);
int tn_is_software_measurement(const char *type);

/*
 * Asks p for a quote over a fresh 32-byte nonce (GET p->url/v1/quote) and
 * verifies it. -1 only when no answer came (err says why); otherwise the
 * verdict says what held. The answer is handed back in *resp when resp is
 * not NULL (caller frees).
 */
int tn_attest_peer(const struct tn_peer *p, int mode, struct tn_verdict *v,
		   json_object **resp, struct tn_err *err);

#endif
