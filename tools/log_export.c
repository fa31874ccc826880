// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustctl log export: the raw lines of this node's audit log from a seq
 * on, for shipping elsewhere (trustctl log verify on a copy checks them
 * again). Reads the segments through the store: needs no agent.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit_segments.h"
#include "trustctl.h"

struct export_ctx {
	uint64_t since;
	int have_last;
	uint64_t last;		/* the last seq read */
};

static int export_line(void *ctx, const struct tn_audit_line *l)
{
	struct export_ctx *x = ctx;
	uint64_t seq;

	if (l->torn) {
		fprintf(stderr, "trustctl: the last line of %s is torn (no newline): not a complete record\n",
			l->segment);
		return 0;
	}
	/* Unreadable, it goes out if a record from since would: the receiver must see it. */
	if (!tn_audit_line_seq(l->text, l->len, &seq)) {
		x->have_last = 1;
		x->last = seq;
		if (seq < x->since)
			return 0;
	} else if (!x->have_last || x->last + 1 < x->since) {
		return 0;
	}
	fwrite(l->text, 1, l->len, stdout);
	putchar('\n');
	return 0;
}

static int export_log(const char *dir, uint64_t since)
{
	struct export_ctx x = { .since = since };
	struct tn_err err;
	int ret = 0;

	/* Segments are named by their first seq: the ones wholly before are skipped. */
	if (tn_audit_read_log(dir, since, 0, export_line, &x, NULL, &err) < 0)
		ret = ctl_error(TN_EXIT_FAILED, "%s", err.msg);
	if (fflush(stdout) || ferror(stdout))
		ret = ret ? ret : ctl_error(TN_EXIT_FAILED, "cannot write the export: %s",
					    strerror(errno));
	return ret;
}

int log_export_run(int argc, char **argv)
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
	log_default_dir(&dir, buf, sizeof(buf));
	return export_log(dir, seq);
}
