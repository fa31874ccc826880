// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl log tail: the last records of this node's audit log, and with
 * -f the new ones as they are written, across segment rotations. Reads the
 * segments through the store (common/audit_segments.c): needs no agent.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "audit_record.h"
#include "audit_segments.h"
#include "trustctl.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

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

static void warn_torn(const char *name)
{
	fprintf(stderr, "trustctl: the last line of %s is torn (no newline): not a complete record\n",
		name);
}

/* What the store's lines go to: a ring of the last want, or stdout. */
struct tail {
	char **lines;
	size_t *lens;
	size_t want, count;	/* count: lines seen; the last want are kept */
	int json, partial;	/* partial: the segment ended in a torn line */
	size_t counted;		/* whole lines, for tail_start */
};

static int ring_add(void *ctx, const struct tn_audit_line *l)
{
	struct tail *t = ctx;
	size_t i = t->count % t->want;
	char *copy;

	t->partial = l->torn;
	if (l->torn)
		return 0;
	copy = strdup(l->text);
	if (!copy)
		return 1;
	free(t->lines[i]);
	t->lines[i] = copy;
	t->lens[i] = l->len;
	t->count++;
	return 0;
}

static int print_line(void *ctx, const struct tn_audit_line *l)
{
	struct tail *t = ctx;

	t->partial = l->torn;
	if (!l->torn)
		print_record(l->text, l->len, t->json);
	return 0;
}

static int count_line(void *ctx, const struct tn_audit_line *l)
{
	((struct tail *)ctx)->counted += !l->torn;
	return 0;
}

/* The segment to start from so that the last want lines are read. */
static int tail_start(const char *dir, char **names, int n, size_t want)
{
	struct tail t = { 0 };
	struct tn_err err;
	off_t off;
	int i;

	for (i = n - 1; i > 0; i--) {
		off = 0;
		tn_audit_read_segment(dir, names[i], NULL, &off, 0, count_line, &t, &err);
		if (t.counted >= want)
			break;
	}
	return i < 0 ? 0 : i;
}

/* Prints the last want records; last and *off say where they ended. */
static int tail_print(const char *dir, size_t want, int json, int following,
		      char *last, size_t lastn, off_t *off)
{
	struct tail t = { .want = want ? want : 1 };
	struct tn_err err;
	char **names;
	int n, ret = 0, i;

	if (tn_audit_segments(dir, &names, &n, &err))
		return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	t.lines = calloc(t.want, sizeof(*t.lines));
	t.lens = calloc(t.want, sizeof(*t.lens));
	*off = 0;
	last[0] = '\0';
	for (i = n ? tail_start(dir, names, n, want) : 0; i < n && t.lines && t.lens; i++) {
		*off = 0;
		t.partial = 0;
		if (tn_audit_read_segment(dir, names[i], NULL, off, 0, ring_add, &t, &err) < 0) {
			ret = ctl_error(TN_EXIT_FAILED, "%s", err.msg);
			break;
		}
		snprintf(last, lastn, "%s", names[i]);
	}
	for (size_t k = t.count > want ? t.count - want : 0; !ret && want && k < t.count; k++)
		print_record(t.lines[k % t.want], t.lens[k % t.want], json);
	/* Following, an unfinished line is most likely being written. */
	if (t.partial && !ret && !following)
		warn_torn(last);
	for (size_t k = 0; t.lines && k < t.want; k++)
		free(t.lines[k]);
	free(t.lines);
	free(t.lens);
	tn_audit_segments_free(names, n);
	return ret;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
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
	struct tail t = { .json = json };
	char next[TN_AUDIT_SEG_NAME_SIZE];
	struct tn_err err;

	/* No SA_RESTART: the signal must cut the poll's sleep short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		t.partial = 0;
		if (*cur && tn_audit_read_segment(dir, cur, NULL, &off, 0, print_line,
						  &t, &err) < 0)
			return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
		fflush(stdout);
		if (!next_segment(dir, cur, next, sizeof(next))) {
			usleep(200 * 1000);
			continue;
		}
		/* Rotated: what was written before the rotation comes first. */
		t.partial = 0;
		if (*cur && tn_audit_read_segment(dir, cur, next, &off, 0, print_line,
						  &t, &err) < 0)
			return ctl_error(TN_EXIT_FAILED, "%s", err.msg);
		if (*cur && t.partial)
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

int log_tail_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "follow", no_argument, NULL, 'f' },
		{ 0 }
	};
	const char *dir = NULL;
	char buf[4200], cur[TN_AUDIT_SEG_NAME_SIZE];
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
	log_default_dir(&dir, buf, sizeof(buf));
	ret = tail_print(dir, want, json, f, cur, sizeof(cur), &off);
	fflush(stdout);
	if (ret || !f)
		return ret;
	return follow(dir, cur, sizeof(cur), off, json);
}
