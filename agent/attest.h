/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The agent's attestation side: the node's identity key, the TPM, the
 * measurement log and the service behind trustnode-httpd.
 *
 * Without a usable TPM the agent still enforces; it says why attestation is
 * unavailable (status, events), and peers then cannot verify it: they fail
 * closed, the node does not.
 */
#ifndef TN_AGENT_ATTEST_H
#define TN_AGENT_ATTEST_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "attest_wire.h"
#include "measure_log.h"
#include "err.h"
#include "loop.h"

struct agent;
struct tn_tpm;

struct attest_options {
	const char *tcti;		/* "none" turns attestation off */
	unsigned pcr;			/* measurement PCR */
	unsigned quote_pcrs[24];	/* ascending; includes pcr */
	size_t nquote_pcrs;
	uint32_t ak_handle;
	const char *listen;		/* ADDR:PORT for the HTTP API, or NULL */
	const char *httpd_user;
	const char *httpd_path;		/* default: next to trustnoded */
};

struct attest {
	struct attest_options opt;
	char unavailable[1024];		/* why not, when tpm is NULL */
	struct tn_tpm *tpm;
	uint8_t idkey_sk[64], idkey_pk[TN_IDKEY_LEN];

	/* measure.c */
	char log_path[4096];
	FILE *log;
	json_object *entries;		/* the log's window, as served */
	uint64_t next_seq;
	uint8_t replayed[TN_DIGEST_LEN];	/* what the log says the PCR holds */
	char unexplained[1200];		/* set when the PCR and log disagree */
	uint8_t last_policy[TN_DIGEST_LEN];
	int have_policy;
	/*
	 * For i = first..entries: the PCR value, chain value and serialised
	 * bytes of the first i entries (common/measure_log.h), at [i - first],
	 * so that a tail is checked and sized without a replay. Only a window
	 * of the log (the entries an answer can carry) is kept in memory.
	 */
	size_t first;			/* entries[0] is entry first of the boot */
	uint8_t (*pcr_at)[TN_DIGEST_LEN];
	uint8_t (*chain_at)[TN_DIGEST_LEN];
	uint64_t *bytes_at;
	size_t at_cap;
	struct tn_log_summary summary;	/* of every entry */
	char cp_path[4096];
	json_object *cps;		/* [{"index","text","sig"}] of this boot */
	size_t last_cp;			/* the newest checkpoint's entry */
	int have_cp;
	uint64_t checkpoints_made;

	/* attest_serve.c */
	int listen_fd;
	int httpd_fd;			/* socketpair to trustnode-httpd */
	struct agent_source httpd_src;
	struct agent_source logs_src;	/* log_serve.c: its worker finished */
	pid_t httpd_pid;
	unsigned httpd_gen;		/* bumped by every start of the front */
	uint64_t quotes_served;
	uint64_t activations;

	struct log_serve *logs;		/* log_serve.c: GET /v1/log */
};

int attest_start(struct agent *a, struct tn_err *err);
void attest_stop(struct agent *a);
json_object *attest_status_json(struct agent *a);

/* identity.c: the node's Ed25519 key, created on first start (mode 0600). */
int identity_load(const char *state_dir, uint8_t sk[64],
		  uint8_t pk[TN_IDKEY_LEN], struct tn_err *err);

/* measure.c */
int measure_open(struct agent *a, struct tn_err *err);
void measure_close(struct agent *a);
/*
 * Appends to the log (on disk first), then extends the PCR. A no-op when
 * attestation is unavailable.
 */
int measure(struct agent *a, const char *type, const uint8_t digest[TN_DIGEST_LEN],
	    const char *detail, struct tn_err *err);
/*
 * Measures a run-time weakening of enforcement (what: "workload reset wl"),
 * so that a quote after it shows it; a failure is also reported on stderr.
 */
int measure_weakening(struct agent *a, const char *what);
/*
 * A weakening done behind the agent's back (the module unloaded, a pin
 * replaced): said on stderr, measured, and recorded as an audit event of
 * this type with {"what"}.
 */
void weakening_seen(struct agent *a, const char *type, const char *what);
/* Measures the loaded policy's canonical form when it changed. */
void measure_policy(struct agent *a);
/* measure_tail.c: running values, checkpoints and answers. */
/* Entries in this boot's log (not only the window in memory). */
size_t measure_count(const struct attest *t);
/* An empty log: the running values of zero entries. */
int measure_track_reset(struct attest *t);
/* Entry i was just added: the running values for the first i + 1 entries. */
int measure_track(struct attest *t, size_t i);
/* Drops entries no answer can carry any more from memory. */
void measure_trim(struct attest *t);
/* Reads the checkpoints of this boot back (at start). */
void measure_load_checkpoints(struct attest *t);
/* Checkpoints the log when enough was logged since the last checkpoint. */
void measure_checkpoint_due(struct agent *a);
/*
 * Adds the event log part of a quote's answer to body: the tail from since
 * (when have_since and the chain value there is at), else the whole log or
 * the tail from the newest checkpoint (include/trustnode/attest_api.h).
 */
void measure_answer(struct agent *a, int have_since, uint64_t since,
		    const uint8_t at[TN_DIGEST_LEN], json_object *body);

/* attest_serve.c: trustnode-httpd and the requests it relays. */
int serve_start(struct agent *a, struct tn_err *err);
void serve_stop(struct agent *a);
/* Restarts trustnode-httpd when it died (from the 1 s timer). */
void serve_tick(struct agent *a);
/*
 * Sends an answer owed to the front started as generation gen (dropped if
 * that front is gone) and reads from the front again; takes body.
 */
void serve_reply(struct agent *a, unsigned gen, int status, json_object *body);

/*
 * log_serve.c: GET /v1/log/challenge and GET /v1/log, for enrolled peers
 * only (include/trustnode/audit_api.h). Page reads run on a worker thread.
 */
struct log_serve;
int log_serve_start(struct agent *a, struct tn_err *err);
void log_serve_stop(struct agent *a);
/* A read is out: its answer is owed to the front before anything else. */
int log_serve_busy(struct agent *a);
json_object *log_serve_challenge(struct agent *a, int *status);
/* The answer, or NULL when the worker will give it (serve_reply). */
json_object *log_serve_request(struct agent *a, json_object *req, int *status);
/* The rate-limited summary record (from the 1 s timer). */
void log_serve_tick(struct agent *a);
/* Counters for status; NULL when the service is off. */
json_object *log_serve_status_json(struct agent *a);

#endif
