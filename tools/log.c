// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl log: verify this node's tamper-evident audit log (chain,
 * checkpoint signatures, and optionally the checkpoints a TPM quote vouches
 * for), show its last records, follow it, export it. Reads the segments
 * directly: needs no agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attest_verify.h"
#include "audit_log.h"
#include "hex.h"
#include "trustctl.h"
#include "trustnode/attest.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define IDENTITY_FILE "identity.key"

static void default_dir(const char **dir, char *buf, size_t n)
{
	if (*dir)
		return;
	snprintf(buf, n, "%s/" TN_AUDIT_DIR, ctl_state_dir());
	*dir = buf;
}

/* ---- reading segments --------------------------------------------------- */

typedef int (*line_fn)(void *ctx, const char *line, size_t len);

/*
 * Calls fn for each whole line of path from *off; *off ends after the last
 * one, and *partial says whether an unfinished line follows it.
 */
static int read_lines(const char *path, off_t *off, int *partial, line_fn fn,
		      void *ctx, struct tn_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	*partial = 0;
	if (!f)
		return tn_fail_errno(err, errno, "cannot read %s", path);
	if (fseeko(f, *off, SEEK_SET)) {
		fclose(f);
		return tn_fail_errno(err, errno, "cannot read %s", path);
	}
	while ((n = getline(&buf, &cap, f)) > 0) {
		if (buf[n - 1] != '\n') {
			*partial = 1;
			break;
		}
		*off += n;
		if (fn(ctx, buf, n - 1))
			break;
	}
	if (ferror(f))
		ret = tn_fail_errno(err, errno, "cannot read %s", path);
	free(buf);
	fclose(f);
	return ret;
}

static void seg_path(const char *dir, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", dir, name);
}

/* The first seq a segment holds, from its name (audit-<seq>.jsonl). */
static uint64_t seg_first(const char *name)
{
	return strtoull(name + 6, NULL, 10);
}

/* The seq at the start of a line as the writer puts it, without parsing it all. */
static int quick_seq(const char *line, size_t len, uint64_t *seq)
{
	char *end;

	if (len < 9 || strncmp(line, "{\"seq\":", 7) ||
	    line[7] < '0' || line[7] > '9')
		return -1;
	*seq = strtoull(line + 7, &end, 10);
	return *end == ',' ? 0 : -1;
}

static void print_record(const char *line, size_t len, int json)
{
	struct tn_audit_rec r;
	struct tn_err err;

	if (json) {
		fwrite(line, 1, len, stdout);
		putchar('\n');
		return;
	}
	if (tn_audit_parse(line, len, &r, &err)) {
		printf("%8s  unreadable (%s): %.*s\n", "?", err.msg, (int)len, line);
		return;
	}
	printf("%8" PRIu64 "  %s  %-14s %s\n", r.seq, tn_json_str(r.obj, "time"),
	       r.type, json_object_to_json_string_ext(r.data, JSON_FLAGS));
	tn_audit_rec_free(&r);
}

/* ---- log verify --------------------------------------------------------- */

struct verify_opts {
	const char *dir, *key, *quote, *nonce, *peer;
	int json;
	char key_source[4400];
};

/*
 * This node's identity key (a libsodium Ed25519 secret key; the public key
 * is its second half): 1 when read, 0 when not readable, -1 when malformed.
 */
static int identity_public_key(uint8_t pk[32], char *path, size_t n,
			       struct tn_err *err)
{
	uint8_t sk[64];
	ssize_t got;
	int fd;

	snprintf(path, n, "%s/" IDENTITY_FILE, ctl_state_dir());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	got = read(fd, sk, sizeof(sk));
	close(fd);
	if (got != (ssize_t)sizeof(sk)) {
		sodium_memzero(sk, sizeof(sk));
		return tn_fail(err, "%s is not a 64-byte Ed25519 secret key", path);
	}
	crypto_sign_ed25519_sk_to_pk(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	return 1;
}

/* The "audit-checkpoint" measurements a verified quote vouches for. */
static int quote_anchors(struct tn_audit_verifier *v, const struct tn_peer *p,
			 const struct verify_opts *o, struct tn_err *err)
{
	uint8_t nonce[TN_NONCE_MAX];
	struct tn_verdict verdict;
	json_object *resp, *log;
	size_t nlen;
	int ret = 0;

	if (tn_hex_decode(o->nonce, nonce, sizeof(nonce), &nlen, "--nonce", err))
		return -1;
	resp = json_object_from_file(o->quote);
	if (!resp)
		return tn_fail(err, "%s is not a JSON file", o->quote);
	tn_verify_quote(p, nonce, nlen, resp, 0, &verdict);
	if (!verdict.ok) {
		ret = tn_fail(err, "the quote in %s does not verify, so it anchors nothing: the %s check failed: %s",
			      o->quote, verdict.check, verdict.reason);
		goto out;
	}
	log = json_object_object_get(resp, "event_log");
	for (size_t i = 0; i < verdict.log_used - verdict.log_from && !ret; i++) {
		struct tn_measurement m;
		struct tn_audit_anchor a;
		struct tn_err e;

		if (tn_measurement_parse(json_object_array_get_idx(log, i), &m, err)) {
			ret = -1;
			break;
		}
		if (strcmp(m.type, TN_MEASURE_CHECKPOINT))
			continue;
		if (tn_audit_anchor_parse(m.detail, m.digest, &a, &e)) {
			ret = tn_fail(err, "event log entry %" PRIu64 " of the quote: %s", m.seq, e.msg);
			break;
		}
		a.source = "the TPM-anchored checkpoint";
		if (tn_audit_verify_add_anchor(v, &a))
			ret = tn_fail(err, "out of memory");
	}
out:
	tn_verdict_free(&verdict);
	json_object_put(resp);
	return ret;
}

/*
 * Decides which key checks the checkpoints and says so in o->key_source;
 * 0, or the exit code after printing why not.
 */
static int choose_key(struct verify_opts *o, struct tn_peer *p, uint8_t key[32],
		      int *have)
{
	struct tn_err err;
	char path[4200];
	size_t n;
	int r;

	*have = 1;
	if (o->peer) {
		if (ctl_find_peer(o->peer, p, &err))
			return ctl_error(TN_EXIT_NOT_FOUND, "%s", err.msg);
		memcpy(key, p->idkey, 32);
		snprintf(o->key_source, sizeof(o->key_source),
			 "peer %s's pinned identity key", p->name);
		return 0;
	}
	if (o->key) {
		if (tn_hex_decode(o->key, key, 32, &n, "--key", &err) || n != 32)
			return ctl_error(TN_EXIT_USAGE, "--key must be 64 hex digits (an Ed25519 public key)");
		snprintf(o->key_source, sizeof(o->key_source), "the given key");
		return 0;
	}
	r = identity_public_key(key, path, sizeof(path), &err);
	if (r < 0)
		return ctl_error(TN_EXIT_FAILED, "%s; give the node's public key with --key", err.msg);
	if (r) {
		snprintf(o->key_source, sizeof(o->key_source),
			 "this node's identity key (%s)", path);
		return 0;
	}
	*have = 0;
	snprintf(o->key_source, sizeof(o->key_source),
		 "the log's own log-start key, which does not prove who wrote the log");
	fprintf(stderr, "trustctl: warning: no --key given and %s is not readable: checkpoint signatures are checked with the key the log itself names, which does not prove who wrote it\n",
		path);
	return 0;
}

static json_object *verify_json(const struct verify_opts *o,
				const struct tn_audit_verifier *v, int ok)
{
	json_object *j = json_object_new_object();
	char id[2 * TN_AUDIT_LOGID_LEN + 1];

	tn_hex_encode(v->log_id, TN_AUDIT_LOGID_LEN, id);
	json_object_object_add(j, "ok", json_object_new_boolean(ok));
	json_object_object_add(j, "dir", json_object_new_string(o->dir));
	json_object_object_add(j, "log_id", v->have_log_id ? json_object_new_string(id) : NULL);
	json_object_object_add(j, "records", json_object_new_int64((int64_t)v->records));
	json_object_object_add(j, "checkpoints", json_object_new_int64((int64_t)v->checkpoints));
	json_object_object_add(j, "last_checkpoint_covers", v->have_checkpoint ?
			       json_object_new_int64((int64_t)v->cp_covers) : NULL);
	json_object_object_add(j, "key_source", json_object_new_string(o->key_source));
	json_object_object_add(j, "key_from_log", json_object_new_boolean(v->key_from_log));
	json_object_object_add(j, "anchored", json_object_new_int64((int64_t)v->anchored));
	json_object_object_add(j, "repairs", json_object_new_int64((int64_t)v->repairs));
	json_object_object_add(j, "records_lost", json_object_new_int64((int64_t)v->lost));
	json_object_object_add(j, "error", ok ? NULL : json_object_new_string(v->error));
	json_object_object_add(j, "bad_seq", ok ? NULL :
			       json_object_new_int64((int64_t)v->bad_seq));
	return j;
}

static void verify_print(const struct verify_opts *o, const struct tn_audit_verifier *v)
{
	char cp[64] = "no checkpoint yet";

	if (v->have_checkpoint)
		snprintf(cp, sizeof(cp), "last checkpoint covers %" PRIu64, v->cp_covers);
	printf("ok: %" PRIu64 " records, %" PRIu64 " checkpoints, %s; signatures checked with %s; anchored: %" PRIu64 " checkpoints\n",
	       v->records, v->checkpoints, cp, o->key_source, v->anchored);
	if (v->repairs)
		printf("note: %" PRIu64 " repair(s): a write torn by a crash was cut and its seq skipped (log-repaired)\n",
		       v->repairs);
	if (v->lost)
		printf("note: %" PRIu64 " record(s) could not be written and are lost (records-lost)\n",
		       v->lost);
}

static int verify_log(struct verify_opts *o)
{
	struct tn_audit_verifier v;
	struct tn_peer p;
	struct tn_err err;
	uint8_t key[32];
	int have, ok;

	ok = choose_key(o, &p, key, &have);
	if (ok)
		return ok;
	tn_audit_verify_init(&v, have ? key : NULL);
	if (o->quote && quote_anchors(&v, &p, o, &err)) {
		tn_audit_verify_free(&v);
		return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	}
	ok = !tn_audit_verify_dir(&v, o->dir);
	if (o->json) {
		json_object *j = verify_json(o, &v, ok);

		ctl_print_json(j);
		json_object_put(j);
	} else if (ok) {
		verify_print(o, &v);
	} else {
		ctl_error(TN_EXIT_FAILED, "the audit log in %s does not verify: %s",
			  o->dir, v.error);
	}
	tn_audit_verify_free(&v);
	return ok ? TN_EXIT_OK : TN_EXIT_FAILED;
}

static int verify_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "quote", required_argument, NULL, 'q' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "peer", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 }
	};
	struct verify_opts o = { 0 };
	char dir[4200];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.dir = optarg; break;
		case 'k': o.key = optarg; break;
		case 'q': o.quote = optarg; break;
		case 'n': o.nonce = optarg; break;
		case 'p': o.peer = optarg; break;
		case 'j': o.json = 1; break;
		default: return ctl_usage(&cmd_log);
		}
	}
	if (optind != argc)
		return ctl_usage(&cmd_log);
	if (!o.quote != !o.nonce || !o.quote != !o.peer)
		return ctl_error(TN_EXIT_USAGE, "--quote, --nonce and --peer go together");
	if (o.key && o.peer)
		return ctl_error(TN_EXIT_USAGE, "--key and --peer exclude each other: with a quote, the peer's pinned identity key checks the signatures");
	default_dir(&o.dir, dir, sizeof(dir));
	return verify_log(&o);
}

/* ---- log tail ----------------------------------------------------------- */

struct ring {
	char **lines;
	size_t *lens;
	size_t want, count;	/* count: lines seen; the last want are kept */
};

static int ring_add(void *ctx, const char *line, size_t len)
{
	struct ring *r = ctx;
	size_t i = r->count % r->want;
	char *copy = malloc(len + 1);

	if (!copy)
		return 1;
	memcpy(copy, line, len);
	copy[len] = '\0';
	free(r->lines[i]);
	r->lines[i] = copy;
	r->lens[i] = len;
	r->count++;
	return 0;
}

static long count_lines(const char *path)
{
	char buf[65536];
	long n = 0;
	size_t got;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		for (size_t i = 0; i < got; i++)
			n += buf[i] == '\n';
	fclose(f);
	return n;
}

/* The segment to start from so that the last want lines are read. */
static int tail_start(const char *dir, char **names, int n, size_t want)
{
	char path[4400];
	size_t seen = 0;
	int i;

	for (i = n - 1; i > 0; i--) {
		seg_path(dir, names[i], path, sizeof(path));
		seen += count_lines(path);
		if (seen >= want)
			break;
	}
	return i < 0 ? 0 : i;
}

static void warn_torn(const char *name)
{
	fprintf(stderr, "trustctl: the last line of %s is torn (no newline): not a complete record\n",
		name);
}

/* Prints the last want records; *last and *off say where they ended. */
static int tail_print(const char *dir, size_t want, int json, int following,
		      char *last, size_t lastn, off_t *off)
{
	struct ring r = { .want = want ? want : 1 };
	struct tn_err err;
	char **names, path[4400];
	int n, partial = 0, ret = 0, i;

	if (tn_audit_segments(dir, &names, &n, &err))
		return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	r.lines = calloc(r.want, sizeof(*r.lines));
	r.lens = calloc(r.want, sizeof(*r.lens));
	*off = 0;
	last[0] = '\0';
	for (i = n ? tail_start(dir, names, n, want) : 0; i < n && r.lines && r.lens; i++) {
		seg_path(dir, names[i], path, sizeof(path));
		*off = 0;
		if (read_lines(path, off, &partial, ring_add, &r, &err)) {
			ret = ctl_error(TN_EXIT_FAILED, "%s", err.msg);
			break;
		}
		snprintf(last, lastn, "%s", names[i]);
	}
	for (size_t k = r.count > want ? r.count - want : 0; !ret && want && k < r.count; k++)
		print_record(r.lines[k % r.want], r.lens[k % r.want], json);
	/* Following, an unfinished line is most likely being written. */
	if (partial && !ret && !following)
		warn_torn(last);
	for (size_t k = 0; r.lines && k < r.want; k++)
		free(r.lines[k]);
	free(r.lines);
	free(r.lens);
	tn_audit_segments_free(names, n);
	return ret;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_line(void *ctx, const char *line, size_t len)
{
	print_record(line, len, *(int *)ctx);
	return 0;
}

/* The first segment after cur ("" for none yet), into next. */
static int next_segment(const char *dir, const char *cur, char *next, size_t n)
{
	struct tn_err err;
	char **names;
	int count, found = 0;

	if (tn_audit_segments(dir, &names, &count, &err))
		return 0;
	for (int i = 0; i < count && !found; i++)
		if (strcmp(names[i], cur) > 0) {
			snprintf(next, n, "%s", names[i]);
			found = 1;
		}
	tn_audit_segments_free(names, count);
	return found;
}

/* Prints records as they are written, until SIGINT. */
static int follow(const char *dir, char *cur, size_t curn, off_t off, int json)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char path[4400], next[64];
	struct tn_err err;
	int partial = 0;

	/* No SA_RESTART: the signal must cut the poll's sleep short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		seg_path(dir, cur, path, sizeof(path));
		if (*cur && read_lines(path, &off, &partial, print_line, &json, &err))
			return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
		fflush(stdout);
		if (!next_segment(dir, cur, next, sizeof(next))) {
			usleep(200 * 1000);
			continue;
		}
		/* Rotated: what was written before the rotation comes first. */
		if (*cur && read_lines(path, &off, &partial, print_line, &json, &err))
			return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
		if (*cur && partial)
			warn_torn(cur);
		snprintf(cur, curn, "%s", next);
		off = 0;
	}
	fflush(stdout);
	return 0;
}

static int parse_count(const char *s, size_t *out)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || n > 1000000)
		return -1;
	*out = n;
	return 0;
}

static int tail_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ 0 }
	};
	const char *dir = NULL;
	char buf[4200], cur[64];
	size_t want = 10;
	int json = 0, f = 0, c, ret;
	off_t off;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:f", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'j': json = 1; break;
		case 'f': f = 1; break;
		case 'n':
			if (parse_count(optarg, &want))
				return ctl_error(TN_EXIT_USAGE, "-n needs a number of records (0 to 1000000)");
			break;
		default: return ctl_usage(&cmd_log);
		}
	}
	if (optind != argc)
		return ctl_usage(&cmd_log);
	default_dir(&dir, buf, sizeof(buf));
	ret = tail_print(dir, want, json, f, cur, sizeof(cur), &off);
	fflush(stdout);
	if (ret || !f)
		return ret;
	return follow(dir, cur, sizeof(cur), off, json);
}

/* ---- log export --------------------------------------------------------- */

struct export_ctx {
	uint64_t since;
	int have_last;
	uint64_t last;		/* the last seq read */
};

static int export_line(void *ctx, const char *line, size_t len)
{
	struct export_ctx *x = ctx;
	uint64_t seq;

	/* Unreadable, it goes out if a record from since would: the receiver must see it. */
	if (!quick_seq(line, len, &seq)) {
		x->have_last = 1;
		x->last = seq;
		if (seq < x->since)
			return 0;
	} else if (!x->have_last || x->last + 1 < x->since) {
		return 0;
	}
	fwrite(line, 1, len, stdout);
	putchar('\n');
	return 0;
}

static int export_log(const char *dir, uint64_t since)
{
	struct export_ctx x = { .since = since };
	struct tn_err err;
	char **names, path[4400];
	int n, i = 0, partial, ret = 0;
	off_t off;

	if (tn_audit_segments(dir, &names, &n, &err))
		return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	/* Segments are named by their first seq: skip the ones wholly before. */
	while (i + 1 < n && seg_first(names[i + 1]) <= since)
		i++;
	for (; i < n && !ret; i++) {
		seg_path(dir, names[i], path, sizeof(path));
		off = 0;
		if (read_lines(path, &off, &partial, export_line, &x, &err))
			ret = ctl_error(TN_EXIT_FAILED, "%s", err.msg);
		else if (partial)
			warn_torn(names[i]);
	}
	tn_audit_segments_free(names, n);
	if (fflush(stdout) || ferror(stdout))
		ret = ret ? ret : ctl_error(TN_EXIT_FAILED, "cannot write the export: %s",
					    strerror(errno));
	return ret;
}

static int export_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },
		{ 0 }
	};
	const char *dir = NULL, *since = NULL;
	unsigned long long seq;
	char buf[4200], *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's': since = optarg; break;
		default: return ctl_usage(&cmd_log);
		}
	}
	if (optind != argc || !since)
		return ctl_usage(&cmd_log);
	errno = 0;
	seq = strtoull(since, &end, 10);
	if (!*since || *end || errno || *since == '-')
		return ctl_error(TN_EXIT_USAGE, "--since needs a seq (a number from 0)");
	default_dir(&dir, buf, sizeof(buf));
	return export_log(dir, seq);
}

/* ---- log checkpoint ----------------------------------------------------- */

static int checkpoint_run(int argc, char **argv)
{
	json_object *reply, *audit;
	long long covers, anchored;
	int ret;

	if (argc != 1)
		return ctl_usage(&cmd_log);
	ret = ctl_call(ctl_request("log.checkpoint"), &reply);
	if (ret)
		return ret;
	audit = json_object_object_get(reply, "audit");
	if (!tn_json_int(audit, "last_checkpoint", &covers))
		printf("checkpoint written: it covers record %lld", covers);
	else
		printf("checkpoint written");
	if (!tn_json_int(audit, "last_anchored_checkpoint", &anchored))
		printf("; the TPM vouches for the one covering record %lld", anchored);
	printf("\n");
	json_object_put(reply);
	return 0;
}

static int log_run(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "checkpoint"))
		return checkpoint_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return verify_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "tail"))
		return tail_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "export"))
		return export_run(argc - 1, argv + 1);
	return ctl_usage(&cmd_log);
}

const struct subcommand cmd_log = {
	.name = "log",
	.run = log_run,
	.summary = "verify, show and export this node's audit log",
	.usage =
"usage: trustctl log verify [--dir DIR] [--key HEX] [--json]\n"
"       trustctl log verify [--dir DIR] --quote FILE --nonce HEX --peer NAME [--json]\n"
"       trustctl log tail [-n N] [-f] [--json] [--dir DIR]\n"
"       trustctl log export --since SEQ [--dir DIR]\n"
"       trustctl log checkpoint\n"
"\n"
"The audit log is DIR (default STATE_DIR/" TN_AUDIT_DIR ", see trustctl --help):\n"
"segments audit-<first seq>.jsonl, one record a line, each chained to the one\n"
"before by its BLAKE2b hash, with checkpoints signed by the node's Ed25519 key.\n"
"\n"
"verify reads every record and checks the chain and every checkpoint's\n"
"signature. It names the first bad record (seq, segment:line) and what was\n"
"done to it: edited, deleted, reordered, spliced in from another log, torn\n"
"(cut while being written), or a forged checkpoint. The key is --key (64 hex\n"
"digits), else this node's STATE_DIR/identity.key, else the key the log's own\n"
"log-start record names (with a warning: that proves nothing about who wrote\n"
"the log).\n"
"  --quote FILE --nonce HEX --peer NAME  also check the log against the\n"
"      checkpoints a TPM quote vouches for: FILE is a saved /v1/quote answer\n"
"      over nonce HEX from enrolled peer NAME (verified as trustctl attest\n"
"      does; the peer's pinned identity key then checks the signatures). A\n"
"      log cut back behind such a checkpoint, rewritten, or deleted and\n"
"      started anew does not verify.\n"
"Prints \"ok: N records, M checkpoints, ...\" and exits 0, or names the\n"
"problem and exits 1. --json prints the result as JSON.\n"
"\n"
"tail prints the last N records (default 10): seq, time, type and data, or the\n"
"raw lines with --json. -f then prints new records as they are written (also\n"
"across segments) until interrupted.\n"
"\n"
"export writes the raw lines from record SEQ on to standard output, for\n"
"shipping elsewhere: trustctl log verify on a copy checks them again.\n"
"\n"
"checkpoint asks trustnoded to sign a checkpoint of the log now and to\n"
"anchor it in the TPM at once (root).\n",
};
