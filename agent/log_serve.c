// SPDX-License-Identifier: GPL-2.0-only
/*
 * GET /v1/log for enrolled peers only (include/trustnode/audit_api.h, "HTTP").
 * The main loop issues and consumes single-use challenges (a bounded table
 * with a short expiry) and counts refusals; a worker thread checks the
 * signature, looks for the reader's key among the enrolled peers and reads
 * the page, so that neither the peers directory nor the log's segments are
 * read on the main loop. One read at a time: the front relays one request
 * at a time, and attest_serve.c stops reading from it until the answer is
 * sent.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"
#include "audit_page.h"
#include "audit_writer.h"
#include "hex.h"
#include "log_auth.h"
#include "peer_store.h"
#include "proto.h"
#include "trustnode/audit_api.h"

enum refusal { NO_CREDENTIALS, BAD_CHALLENGE, BAD_SIGNATURE, NOT_ENROLLED, NREFUSALS };

static const char *const refusal_names[NREFUSALS] = {
	"no_credentials", "challenge", "signature", "not_enrolled",
};

struct challenge {
	uint8_t v[TN_LOG_CHALLENGE_LEN];
	int64_t expires_us;		/* 0: free */
};

struct log_job {
	/* in */
	char state_dir[4000], audit_dir[4000];
	uint8_t challenge[TN_LOG_CHALLENGE_LEN];
	uint8_t server_pk[TN_IDKEY_LEN], reader_pk[TN_IDKEY_LEN];
	uint8_t sig[TN_LOG_SIG_LEN];
	uint8_t log_id[TN_AUDIT_LOGID_LEN];
	uint64_t since, end;
	unsigned limit;
	unsigned gen;			/* the front it is for */
	/* out */
	int status;
	json_object *body;
	int refusal;			/* -1: served */
	char reader[33];
};

struct log_serve {
	struct challenge ch[TN_LOG_CHALLENGES];
	/* the worker */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int queued, finished, stop;
	int done_fd;			/* eventfd, readable when finished */
	int busy;			/* main loop: a job is out, its answer owed */
	struct log_job job;
	/* counters, main loop only */
	uint64_t challenges, served, refused[NREFUSALS];
	/* the summary record */
	uint64_t said_served, said_refused;
	int64_t said_us;
	char readers[8][33];
	int nreaders;
};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static json_object *error_body(const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

/* The enrolled peer whose pinned identity key is pk: 0 and its name. */
static int find_reader(const char *state_dir, const uint8_t pk[TN_IDKEY_LEN],
		       char name[33])
{
	struct tn_peer p;
	struct tn_err e;
	char **names;
	int n, found = -1;

	if (tn_peer_names(state_dir, &names, &n, &e))
		return -1;
	for (int i = 0; i < n && found; i++) {
		/* A peer file that does not load pins nothing. */
		if (tn_peer_load(state_dir, names[i], &p, &e))
			continue;
		if (!memcmp(p.idkey, pk, TN_IDKEY_LEN)) {
			snprintf(name, 33, "%s", p.name);
			found = 0;
		}
	}
	tn_peer_names_free(names, n);
	return found;
}

static void run_job(struct log_job *j)
{
	struct tn_audit_page pg;
	struct tn_err e;
	char hex[2 * TN_AUDIT_LOGID_LEN + 1];

	j->refusal = -1;
	j->status = 401;
	if (tn_log_read_verify(j->challenge, j->server_pk, j->reader_pk, j->since,
			       j->limit, j->sig)) {
		j->refusal = BAD_SIGNATURE;
		j->body = error_body("the signature does not verify: sig must be the key in peer= signing this challenge, this node's identity key, since and limit (include/trustnode/audit_api.h)");
		return;
	}
	if (find_reader(j->state_dir, j->reader_pk, j->reader)) {
		j->refusal = NOT_ENROLLED;
		j->body = error_body("the key in peer= is not the identity key of a peer this node has enrolled: the log is for enrolled peers only (trustctl peer enroll, on this node)");
		return;
	}
	if (tn_audit_read_page(j->audit_dir, j->since, j->end, j->limit,
			       TN_AUDIT_PAGE_BYTES, &pg, &e)) {
		j->status = 500;
		j->body = error_body(e.msg);
		return;
	}
	j->status = 200;
	j->body = json_object_new_object();
	tn_hex_encode(j->log_id, TN_AUDIT_LOGID_LEN, hex);
	json_object_object_add(j->body, "log_id", json_object_new_string(hex));
	json_object_object_add(j->body, "records", json_object_get(pg.records));
	json_object_object_add(j->body, "next", json_object_new_int64((int64_t)pg.next));
	json_object_object_add(j->body, "more", json_object_new_boolean(pg.more));
	json_object_object_add(j->body, "reader", json_object_new_string(j->reader));
	tn_audit_page_free(&pg);
}

static void *worker(void *arg)
{
	struct log_serve *s = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->queued && !s->stop)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->stop)
			break;
		s->queued = 0;
		pthread_mutex_unlock(&s->lock);
		run_job(&s->job);
		pthread_mutex_lock(&s->lock);
		s->finished = 1;
		if (write(s->done_fd, &one, sizeof(one)) < 0)
			fprintf(stderr, "trustnoded: log reader: %s\n", strerror(errno));
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* The worker finished a read (its eventfd is readable). */
static void log_serve_handle(struct agent *a);

int log_serve_start(struct agent *a, struct tn_err *err)
{
	struct log_serve *s = calloc(1, sizeof(*s));
	int e;

	if (!s)
		return tn_fail(err, "out of memory");
	s->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->done_fd < 0) {
		free(s);
		return tn_fail_errno(err, errno, "log reader: eventfd");
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	e = pthread_create(&s->thread, NULL, worker, s);
	if (e) {
		close(s->done_fd);
		free(s);
		return tn_fail_errno(err, e, "cannot start the log reader thread");
	}
	a->att->logs = s;
	agent_watch(a, &a->att->logs_src, s->done_fd, log_serve_handle);
	return 0;
}

void log_serve_stop(struct agent *a)
{
	struct log_serve *s = a->att ? a->att->logs : NULL;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	/* A job in progress ends first: its work is bounded. */
	pthread_join(s->thread, NULL);
	if (s->finished || s->busy)
		json_object_put(s->job.body);
	agent_unwatch(a, &a->att->logs_src);
	close(s->done_fd);
	sodium_memzero(s, sizeof(*s));
	free(s);
	a->att->logs = NULL;
}

int log_serve_busy(struct agent *a)
{
	return a->att && a->att->logs && a->att->logs->busy;
}

json_object *log_serve_challenge(struct agent *a, int *status)
{
	struct log_serve *s = a->att->logs;
	json_object *body;
	int64_t now = mono_us();
	struct challenge *c = &s->ch[0];
	char hex[2 * TN_LOG_CHALLENGE_LEN + 1];

	/* A free or expired slot, else the oldest: a bounded table. */
	for (int i = 0; i < TN_LOG_CHALLENGES; i++) {
		if (s->ch[i].expires_us <= now) {
			c = &s->ch[i];
			break;
		}
		if (s->ch[i].expires_us < c->expires_us)
			c = &s->ch[i];
	}
	randombytes_buf(c->v, sizeof(c->v));
	c->expires_us = now + TN_LOG_CHALLENGE_TTL_S * 1000000LL;
	s->challenges++;
	tn_hex_encode(c->v, sizeof(c->v), hex);
	body = json_object_new_object();
	json_object_object_add(body, "challenge", json_object_new_string(hex));
	json_object_object_add(body, "expires_in", json_object_new_int(TN_LOG_CHALLENGE_TTL_S));
	*status = 200;
	return body;
}

/* Finds an issued, unexpired challenge and uses it up. */
static int consume(struct log_serve *s, const uint8_t v[TN_LOG_CHALLENGE_LEN])
{
	int64_t now = mono_us();

	for (int i = 0; i < TN_LOG_CHALLENGES; i++) {
		struct challenge *c = &s->ch[i];

		if (c->expires_us > now && !sodium_memcmp(c->v, v, sizeof(c->v))) {
			sodium_memzero(c, sizeof(*c));
			return 0;
		}
	}
	return -1;
}

static json_object *refuse(struct log_serve *s, enum refusal r, const char *msg,
			   int *status)
{
	s->refused[r]++;
	*status = 401;
	return error_body(msg);
}

/* Decodes member key of req: exactly len bytes of hex. */
static int get_hex(json_object *req, const char *key, uint8_t *out, size_t len)
{
	struct tn_err e;
	size_t n;

	return tn_hex_decode(tn_json_str(req, key), out, len, &n, key, &e) ||
	       n != len ? -1 : 0;
}

json_object *log_serve_request(struct agent *a, json_object *req, int *status)
{
	struct log_serve *s = a->att->logs;
	struct log_job *j;
	long long since = 0, limit = 0;
	int creds;

	if (tn_json_int(req, "since", &since) || since < 0 ||
	    tn_json_int(req, "limit", &limit) || limit < 1 || limit > TN_AUDIT_PAGE) {
		char msg[80];

		snprintf(msg, sizeof(msg), "log needs since >= 0 and limit 1..%d", TN_AUDIT_PAGE);
		*status = 400;
		return error_body(msg);
	}
	creds = !!tn_json_str(req, "challenge") + !!tn_json_str(req, "peer") +
		!!tn_json_str(req, "sig");
	if (!creds)
		return refuse(s, NO_CREDENTIALS, "the audit log is for enrolled peers only: get a challenge from GET /v1/log/challenge and sign it with your node's identity key (include/trustnode/audit_api.h; trustctl peer log does this)",
			      status);
	j = &s->job;
	memset(j, 0, sizeof(*j));
	if (creds != 3 || get_hex(req, "challenge", j->challenge, sizeof(j->challenge)) ||
	    get_hex(req, "peer", j->reader_pk, sizeof(j->reader_pk)) ||
	    get_hex(req, "sig", j->sig, sizeof(j->sig))) {
		*status = 400;
		return error_body("challenge, peer and sig must be hex of 32, 32 and 64 bytes");
	}
	/* Used up whatever follows: one try per challenge. */
	if (consume(s, j->challenge))
		return refuse(s, BAD_CHALLENGE, "the challenge is not one this node issued, or it was used or has expired: get a fresh one from GET /v1/log/challenge",
			      status);
	if (!a->audit) {
		*status = 503;
		return error_body("the audit log is not open");
	}
	audit_commit(a);	/* serve only what is durable */
	snprintf(j->state_dir, sizeof(j->state_dir), "%s", a->opt.state_dir);
	snprintf(j->audit_dir, sizeof(j->audit_dir), "%s", a->audit->dir);
	memcpy(j->server_pk, a->att->idkey_pk, sizeof(j->server_pk));
	memcpy(j->log_id, a->audit->log_id, sizeof(j->log_id));
	j->since = (uint64_t)since;
	j->limit = (unsigned)limit;
	j->end = a->audit->durable.next_seq;
	j->gen = a->att->httpd_gen;
	pthread_mutex_lock(&s->lock);
	s->queued = 1;
	s->finished = 0;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	s->busy = 1;
	return NULL;
}

static void note_reader(struct log_serve *s, const char *name)
{
	for (int i = 0; i < s->nreaders; i++)
		if (!strcmp(s->readers[i], name))
			return;
	if (s->nreaders < (int)(sizeof(s->readers) / sizeof(s->readers[0])))
		snprintf(s->readers[s->nreaders++], sizeof(s->readers[0]), "%s", name);
}

static void log_serve_handle(struct agent *a)
{
	struct log_serve *s = a->att->logs;
	uint64_t x;
	int finished;

	if (read(s->done_fd, &x, sizeof(x)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&s->lock);
	finished = s->finished;
	s->finished = 0;
	pthread_mutex_unlock(&s->lock);
	if (!finished || !s->busy)
		return;
	s->busy = 0;
	if (s->job.refusal >= 0) {
		s->refused[s->job.refusal]++;
	} else if (s->job.status == 200) {
		s->served++;
		note_reader(s, s->job.reader);
	}
	serve_reply(a, s->job.gen, s->job.status, s->job.body);
	s->job.body = NULL;
}

static uint64_t refused_total(const struct log_serve *s)
{
	uint64_t n = 0;

	for (int i = 0; i < NREFUSALS; i++)
		n += s->refused[i];
	return n;
}

/*
 * One record sums up the reads since the last one, at most once per
 * TN_LOG_SUMMARY_S: a flood of refused requests must not fill the log.
 */
void log_serve_tick(struct agent *a)
{
	struct log_serve *s = a->att ? a->att->logs : NULL;
	int64_t now = mono_us();
	json_object *d, *r;
	uint64_t refused;

	if (!s)
		return;
	refused = refused_total(s);
	if ((s->served == s->said_served && refused == s->said_refused) ||
	    (s->said_us && now - s->said_us < TN_LOG_SUMMARY_S * 1000000LL))
		return;
	d = json_object_new_object();
	json_object_object_add(d, "served", json_object_new_int64((int64_t)(s->served - s->said_served)));
	json_object_object_add(d, "refused", json_object_new_int64((int64_t)(refused - s->said_refused)));
	r = json_object_new_array();
	for (int i = 0; i < s->nreaders; i++)
		json_object_array_add(r, json_object_new_string(s->readers[i]));
	json_object_object_add(d, "readers", r);
	audit_record(a, "log-reads", d);
	json_object_put(d);
	s->said_served = s->served;
	s->said_refused = refused;
	s->said_us = now;
	s->nreaders = 0;
}

json_object *log_serve_status_json(struct agent *a)
{
	struct log_serve *s = a->att ? a->att->logs : NULL;
	json_object *o, *by;

	if (!s)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "challenges_issued", json_object_new_int64((int64_t)s->challenges));
	json_object_object_add(o, "served", json_object_new_int64((int64_t)s->served));
	json_object_object_add(o, "refused", json_object_new_int64((int64_t)refused_total(s)));
	by = json_object_new_object();
	for (int i = 0; i < NREFUSALS; i++)
		json_object_object_add(by, refusal_names[i],
				       json_object_new_int64((int64_t)s->refused[i]));
	json_object_object_add(o, "refused_by_reason", by);
	return o;
}
