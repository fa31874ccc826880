// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attested-peers mode: the peers the policy names are attested on an
 * interval (jittered), by worker threads so the main loop never waits on
 * the network. A peer's addresses are in the allowed set — BPF and the
 * module alike — only while its last attestation passed and is younger than
 * max_age; a failure or expiry removes them at once, and the egress programs
 * then drop even flows already open to it. The kernel does not depend on
 * this agent for the expiry: each peer entry carries its valid_until (start
 * of the last passing attestation + max_age, boot clock), which BPF and the
 * module check per packet, so a stopped or frozen agent still fails closed. Data arriving from a peer taints
 * the receiving workload with the labels the peer's attested policy
 * declares, plus "peer.<name>" for what no policy names (its admin tags):
 * over-tainting is acceptable, under-tainting is not.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agent.h"
#include "clock.h"
#include "attest_verify.h"
#include "audit_writer.h"
#include "hex.h"
#include "peer_store.h"
#include "policy.h"
#include "policy_canon.h"
#include "proto.h"

struct peer_rt {
	struct tn_policy_peer pol;	/* name/url point into names[] */
	char name[33], url[512];
	int have_verdict, ok, allowed, in_flight;
	int64_t verdict_us, ok_us, next_us;
	uint64_t ok_boot_ns;		/* when the last passing one started */
	char check[32], reason[1100];
	uint64_t attestations, failures;
	char labels[16][33];		/* declared by its attested policy */
	int nlabels;
};

struct peer_job {
	char name[33], url[512], state_dir[4000];
	struct tn_policy_peer pol;
	uint8_t local_digest[32];
	/* the answer */
	int ok;
	char check[32], reason[1100];
	char labels[16][33];
	int nlabels;
	int64_t done_us;
	uint64_t start_boot_ns;	/* CLOCK_BOOTTIME before the quote was asked */
};

/* Attestations wait on the network: a few run at once, so a large mesh
 * is not attested one peer after another. */
#define PEER_WORKERS 4

struct peers {
	struct peer_rt *p;
	int n;
	unsigned interval, max_age;
	uint8_t local_digest[32];
	int job_fd[2], result_fd[2];
	pthread_t thread[PEER_WORKERS];
	int running;
};

/* The labels a peer's attested (canonical) policy puts on its tags. */
static int policy_labels(const char *canon, char (*out)[33], int max)
{
	json_object *o = canon ? json_tokener_parse(canon) : NULL;
	json_object *tags = o ? json_object_object_get(o, "tags") : NULL;
	int n = 0;

	for (size_t i = 0; tags && i < json_object_array_length(tags); i++) {
		json_object *l = json_object_object_get(json_object_array_get_idx(tags, i),
							 "labels");

		for (size_t j = 0; l && j < json_object_array_length(l); j++) {
			const char *s = json_object_get_string(json_object_array_get_idx(l, j));
			int k;

			if (!s || !tn_valid_name(s))
				continue;
			for (k = 0; k < n && strcmp(out[k], s); k++)
				;
			if (k == n && n < max)
				snprintf(out[n++], 33, "%s", s);
		}
	}
	json_object_put(o);
	return n;
}

static void run_job(struct peer_job *j)
{
	struct tn_peer p, fresh;
	struct tn_verdict v;
	struct tn_err err;
	json_object *resp = NULL;

	j->ok = 0;
	if (tn_peer_load(j->state_dir, j->name, &p, &err)) {
		snprintf(j->check, sizeof(j->check), "enrolment");
		snprintf(j->reason, sizeof(j->reason), "%s", err.msg);
		return;
	}
	/* The policy says where the peer is and what it must enforce. */
	snprintf(p.url, sizeof(p.url), "%s", j->url);
	if (j->pol.accept == TN_ACCEPT_SAME) {
		memcpy(p.policies[0], j->local_digest, 32);
		p.npolicies = 1;
	} else if (j->pol.accept == TN_ACCEPT_LIST) {
		memcpy(p.policies, j->pol.digests, sizeof(j->pol.digests));
		p.npolicies = j->pol.ndigests;
	}
	if (tn_attest_peer(&p, 0, &v, &resp, &err)) {
		snprintf(j->check, sizeof(j->check), "reachable");
		snprintf(j->reason, sizeof(j->reason), "%s", err.msg);
		return;
	}
	j->ok = v.ok;
	if (!v.ok) {
		snprintf(j->check, sizeof(j->check), "%s", v.check);
		snprintf(j->reason, sizeof(j->reason), "%s", v.reason);
	} else {
		j->nlabels = policy_labels(tn_json_str(resp, "policy"), j->labels, 16);
		/* Remember the newest clock: an old quote must never pass. */
		if (!tn_peer_load(j->state_dir, j->name, &fresh, &err)) {
			tn_peer_note_clock(&fresh, &v);
			tn_peer_save(j->state_dir, &fresh, &err);
		}
	}
	tn_verdict_free(&v);
	json_object_put(resp);
}

static void *worker(void *arg)
{
	struct peers *ps = arg;
	struct peer_job *j;

	while (read(ps->job_fd[0], &j, sizeof(j)) == sizeof(j)) {
		if (!j)
			break;
		/* The evidence is no older than this: the kernel counts from it. */
		j->start_boot_ns = clock_ns(CLOCK_BOOTTIME);
		run_job(j);
		j->done_us = tn_audit_now_us();
		if (write(ps->result_fd[1], &j, sizeof(j)) != sizeof(j))
			free(j);
	}
	return NULL;
}

/* A worker finished an attestation (its result pipe is readable). */
static void peers_handle(struct agent *a);

static int start_worker(struct agent *a, struct tn_err *err)
{
	struct peers *ps = a->peers;

	if (ps->running)
		return 0;
	if (pipe2(ps->job_fd, O_CLOEXEC) || pipe2(ps->result_fd, O_CLOEXEC))
		return tn_fail_errno(err, errno, "attested peers: pipe");
	/* Before any thread: libcurl's global setup is not thread-safe. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* Pointer-sized reads and writes of a pipe are atomic: one queue. */
	for (int i = 0; i < PEER_WORKERS; i++)
		if (pthread_create(&ps->thread[i], NULL, worker, ps))
			return tn_fail(err, "attested peers: cannot start the worker threads");
	agent_watch(a, &a->peers_src, ps->result_fd[0], peers_handle);
	ps->running = 1;
	return 0;
}

static struct peer_rt *find(struct peers *ps, const char *name)
{
	for (int i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i].name, name))
			return &ps->p[i];
	return NULL;
}

/* "peer.<name>": what arrives from it that no attested policy names. */
static void catch_all_label(const char *name, char out[33])
{
	snprintf(out, 33, "peer.%.27s", name);
}

/*
 * Where the kernel stops allowing a peer by itself: the start of its last
 * passing attestation plus max_age, on the boot clock the programs read.
 */
static uint64_t valid_until(const struct peers *ps, const struct peer_rt *pr)
{
	return pr->ok_boot_ns + (uint64_t)ps->max_age * 1000000000ULL;
}

static int apply(struct agent *a, struct tn_err *err);

/*
 * A peer attested again, with nothing else changed: its new expiry goes
 * into the BPF maps in place, and to the module at the next tick.
 */
static int renew(struct agent *a, struct tn_err *err)
{
	struct peers *ps = a->peers;
	uint64_t *until;
	int i, k, n = 0, ret;

	until = calloc(a->reg.npeer_prefixes + 1, sizeof(*until));
	if (!until)
		return tn_fail(err, "out of memory");
	for (i = 0; i < ps->n; i++) {
		struct peer_rt *pr = &ps->p[i];

		for (k = 0; pr->allowed && k < pr->pol.naddrs; k++, n++) {
			if (n >= a->reg.npeer_prefixes ||
			    memcmp(&a->reg.peer_prefixes[n].pfx, &pr->pol.addrs[k],
				   sizeof(pr->pol.addrs[k]))) {
				free(until);
				return apply(a, err);	/* out of step: redo all */
			}
			until[n] = valid_until(ps, pr);
		}
	}
	ret = n != a->reg.npeer_prefixes ? apply(a, err) :
	      state_renew_peers(a, until, n, err);
	free(until);
	return ret;
}

/*
 * Makes the registry say what the verdicts say: the allowed peers'
 * addresses, and a tag on every peer address with its labels.
 */
static int apply(struct agent *a, struct tn_err *err)
{
	struct peers *ps = a->peers;
	struct registry next;
	int i, k, n = 0;

	if (registry_copy(&next, &a->reg))
		return tn_fail(err, "out of memory");
	for (i = next.ntags - 1; i >= 0; i--)
		if (next.tags[i].source == TN_SRC_PEER)
			registry_remove_tag(&next, i);
	free(next.peer_prefixes);
	next.peer_prefixes = calloc(ps->n * TN_PEER_MAX_ADDRS + 1, sizeof(*next.peer_prefixes));
	next.npeer_prefixes = 0;
	if (!next.peer_prefixes) {
		registry_free(&next);
		return tn_fail(err, "out of memory");
	}
	for (i = 0; i < ps->n; i++) {
		struct peer_rt *pr = &ps->p[i];
		char *names[17], catch_all[33];
		uint64_t bits = 0;

		catch_all_label(pr->name, catch_all);
		names[0] = catch_all;
		for (k = 0; k < pr->nlabels; k++)
			names[k + 1] = pr->labels[k];
		if (registry_label_bits(&next, names, pr->nlabels + 1, &bits, err)) {
			registry_free(&next);
			return -1;
		}
		for (k = 0; k < pr->pol.naddrs; k++) {
			const struct tn_prefix *pf = &pr->pol.addrs[k];
			struct reg_tag t = { .source = TN_SRC_PEER, .is_net = 1,
					     .labels = bits, .workload = pr->name };

			if (pr->allowed) {
				next.peer_prefixes[n].pfx = *pf;
				next.peer_prefixes[n++].valid_until = valid_until(ps, pr);
			}
			t.ep.family = pf->family;
			memcpy(t.ep.addr, pf->addr, sizeof(t.ep.addr));
			if (registry_add_tag(&next, &t, err)) {
				registry_free(&next);
				return -1;
			}
		}
	}
	next.npeer_prefixes = n;
	if (agent_commit(a, &next, err)) {
		registry_free(&next);
		return -1;
	}
	return 0;
}

static void verdict_event(struct agent *a, struct peer_rt *pr, const char *what)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "peer", json_object_new_string(pr->name));
	json_object_object_add(o, "verdict", json_object_new_string(what));
	json_object_object_add(o, "allowed", json_object_new_boolean(pr->allowed));
	if (!pr->ok) {
		json_object_object_add(o, "check", json_object_new_string(pr->check));
		json_object_object_add(o, "reason", json_object_new_string(pr->reason));
	}
	events_record(a, "peer-verdict", o);
}

static void peers_handle(struct agent *a)
{
	struct peers *ps = a->peers;
	struct peer_job *j;
	struct peer_rt *pr;
	struct tn_err err;
	int was_ok, was_allowed, relabel;

	if (read(ps->result_fd[0], &j, sizeof(j)) != sizeof(j))
		return;
	pr = find(ps, j->name);
	if (!pr || strcmp(pr->url, j->url)) {
		free(j);	/* the policy changed meanwhile */
		return;
	}
	was_ok = pr->have_verdict && pr->ok;
	was_allowed = pr->allowed;
	pr->in_flight = 0;
	pr->have_verdict = 1;
	pr->verdict_us = j->done_us;
	pr->ok = j->ok;
	pr->attestations++;
	relabel = 0;
	if (j->ok) {
		pr->ok_us = j->done_us;
		pr->ok_boot_ns = j->start_boot_ns;
		pr->allowed = 1;
		relabel = j->nlabels != pr->nlabels ||
			  memcmp(j->labels, pr->labels, sizeof(pr->labels));
		memcpy(pr->labels, j->labels, sizeof(pr->labels));
		pr->nlabels = j->nlabels;
		pr->check[0] = pr->reason[0] = '\0';
	} else {
		pr->failures++;
		pr->allowed = 0;
		snprintf(pr->check, sizeof(pr->check), "%s", j->check);
		snprintf(pr->reason, sizeof(pr->reason), "%s", j->reason);
	}
	free(j);
	if (was_allowed != pr->allowed || relabel) {
		if (apply(a, &err))
			fprintf(stderr, "trustnoded: applying peer %s's verdict: %s\n",
				pr->name, err.msg);
	} else if (pr->allowed && renew(a, &err)) {
		fprintf(stderr, "trustnoded: renewing peer %s: %s\n", pr->name, err.msg);
	}
	if (!pr->ok || !was_ok)
		verdict_event(a, pr, pr->ok ? "attested" : "failed");
}

static void submit(struct agent *a, struct peer_rt *pr, int64_t now)
{
	struct peers *ps = a->peers;
	struct peer_job *j = calloc(1, sizeof(*j));
	/* Jitter of +-20%, so that a mesh does not attest in lockstep. */
	int64_t iv = (int64_t)ps->interval * 1000000;
	int64_t jitter = iv / 5 ? (int64_t)(random() % (2 * (iv / 5) + 1)) - iv / 5 : 0;

	pr->next_us = now + iv + jitter;
	if (!j)
		return;
	snprintf(j->name, sizeof(j->name), "%s", pr->name);
	snprintf(j->url, sizeof(j->url), "%s", pr->url);
	snprintf(j->state_dir, sizeof(j->state_dir), "%s", a->opt.state_dir);
	j->pol = pr->pol;
	j->pol.name = j->pol.url = NULL;
	memcpy(j->local_digest, ps->local_digest, 32);
	if (write(ps->job_fd[1], &j, sizeof(j)) != sizeof(j)) {
		free(j);
		return;
	}
	pr->in_flight = 1;
}

void peers_tick(struct agent *a)
{
	struct peers *ps = a->peers;
	int64_t now = tn_audit_now_us();
	struct tn_err err;
	int changed = 0;

	if (!ps || !ps->n)
		return;
	for (int i = 0; i < ps->n; i++) {
		struct peer_rt *pr = &ps->p[i];

		if (pr->allowed && now - pr->ok_us > (int64_t)ps->max_age * 1000000) {
			pr->allowed = 0;
			pr->ok = 0;
			pr->failures++;
			snprintf(pr->check, sizeof(pr->check), "age");
			snprintf(pr->reason, sizeof(pr->reason),
				 "its last passing attestation is %.1f s old, more than max_age %u s",
				 (now - pr->ok_us) / 1e6, ps->max_age);
			verdict_event(a, pr, "expired");
			changed = 1;
		}
		if (!pr->in_flight && now >= pr->next_us)
			submit(a, pr, now);
	}
	if (changed && apply(a, &err))
		fprintf(stderr, "trustnoded: removing expired peers: %s\n", err.msg);
}

/* After a policy change: the peers it names, keeping verdicts of those kept. */
int peers_reload(struct agent *a, struct tn_err *err)
{
	struct peers *ps = a->peers;
	struct tn_policy pol;
	struct peer_rt *np;
	char *canon = NULL;
	int i;

	if (!ps) {
		ps = a->peers = calloc(1, sizeof(*ps));
		if (!ps)
			return tn_fail(err, "out of memory");
	}
	if (!a->reg.policy_text) {
		memset(&pol, 0, sizeof(pol));
	} else if (tn_policy_parse(a->reg.policy_text, a->reg.policy_name, &pol, err)) {
		return -1;
	}
	if (tn_policy_canonical(&pol, &canon, ps->local_digest, err)) {
		tn_policy_free(&pol);
		return -1;
	}
	free(canon);
	np = calloc(pol.npeers + 1, sizeof(*np));
	if (!np) {
		tn_policy_free(&pol);
		return tn_fail(err, "out of memory");
	}
	for (i = 0; i < pol.npeers; i++) {
		struct peer_rt *old = find(ps, pol.peers[i].name);

		if (old && !strcmp(old->url, pol.peers[i].url))
			np[i] = *old;	/* its verdict stands */
		np[i].pol = pol.peers[i];
		snprintf(np[i].name, sizeof(np[i].name), "%s", pol.peers[i].name);
		snprintf(np[i].url, sizeof(np[i].url), "%s", pol.peers[i].url);
		np[i].pol.name = np[i].name;
		np[i].pol.url = np[i].url;
		if (!old)
			np[i].next_us = 0;	/* attest at once */
	}
	free(ps->p);
	ps->p = np;
	ps->n = pol.npeers;
	ps->interval = pol.attest_interval ? pol.attest_interval : TN_ATTEST_INTERVAL_DEFAULT;
	ps->max_age = pol.attest_max_age ? pol.attest_max_age : TN_ATTEST_MAX_AGE_DEFAULT;
	tn_policy_free(&pol);
	if (ps->n && start_worker(a, err))
		return -1;
	/* An accepted digest of "same" may have changed with our policy. */
	for (i = 0; i < ps->n; i++)
		ps->p[i].next_us = 0;
	return apply(a, err);
}

json_object *peers_status_json(struct agent *a)
{
	struct peers *ps = a->peers;
	json_object *arr = json_object_new_array();
	int64_t now = tn_audit_now_us();

	for (int i = 0; ps && i < ps->n; i++) {
		struct peer_rt *pr = &ps->p[i];
		json_object *o = json_object_new_object(), *addrs = json_object_new_array();
		char buf[TN_ADDR_STRLEN];

		for (int k = 0; k < pr->pol.naddrs; k++) {
			tn_format_prefix(buf, sizeof(buf), &pr->pol.addrs[k]);
			json_object_array_add(addrs, json_object_new_string(buf));
		}
		json_object_object_add(o, "name", json_object_new_string(pr->name));
		json_object_object_add(o, "url", json_object_new_string(pr->url));
		json_object_object_add(o, "addresses", addrs);
		json_object_object_add(o, "verdict", json_object_new_string(
			!pr->have_verdict ? "pending" : pr->allowed ? "attested" :
			!strcmp(pr->check, "age") ? "expired" : "failed"));
		json_object_object_add(o, "allowed", json_object_new_boolean(pr->allowed));
		json_object_object_add(o, "age_s", pr->have_verdict ?
			json_object_new_int64((now - pr->verdict_us) / 1000000) : NULL);
		json_object_object_add(o, "last_pass_age_s", pr->ok_us ?
			json_object_new_int64((now - pr->ok_us) / 1000000) : NULL);
		json_object_object_add(o, "failed_check", pr->check[0] ?
				       json_object_new_string(pr->check) : NULL);
		json_object_object_add(o, "reason", pr->reason[0] ?
				       json_object_new_string(pr->reason) : NULL);
		json_object_object_add(o, "attestations", json_object_new_int64(pr->attestations));
		json_object_object_add(o, "failures", json_object_new_int64(pr->failures));
		json_object_array_add(arr, o);
	}
	return arr;
}

void peers_stop(struct agent *a)
{
	struct peers *ps = a->peers;
	struct peer_job *none = NULL;

	if (!ps)
		return;
	if (ps->running) {
		/* A worker may be waiting on a peer (up to the HTTP timeout):
		 * tell them to stop and let the process exit take them. */
		for (int i = 0; i < PEER_WORKERS; i++)
			if (write(ps->job_fd[1], &none, sizeof(none)) != sizeof(none))
				fprintf(stderr, "trustnoded: stopping the peer workers: %s\n",
					strerror(errno));
		return;
	}
	free(ps->p);
	free(ps);
	a->peers = NULL;
}
