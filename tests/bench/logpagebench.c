// SPDX-License-Identifier: GPL-2.0-only
/*
 * What serving one page of GET /v1/log costs as the log grows: the page
 * reader (common/audit_page.c: the segment holding `since` found by its
 * name, lines before it skipped by their seq prefix, reading stops when the
 * page is full) against a full scan that parses every line of every
 * segment, as the agent did before. Prints the median time of a page of
 * 1000 at the start, the middle and the end of a log of RECORDS records.
 *
 *   logpagebench DIR [RECORDS] [ROUNDS]
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "audit_record.h"
#include "audit_segments.h"
#include "audit_page.h"
#include "audit_writer.h"
#include "benchutil.h"


static void die(const char *what, const struct tn_err *e)
{
	fprintf(stderr, "logpagebench: %s: %s\n", what, e->msg);
	exit(1);
}

/* n records of a typical size, in batches of 1000, as the agent writes. */
static void build(const char *dir, uint64_t n)
{
	struct tn_audit_writer w;
	json_object *d = json_object_new_object();
	uint8_t pk[32], sk[64];
	struct tn_err e;

	crypto_sign_keypair(pk, sk);
	json_object_object_add(d, "workload", json_object_new_string("llm"));
	json_object_object_add(d, "path", json_object_new_string("/srv/phi/patients/record-000123.json"));
	json_object_object_add(d, "dest", json_object_new_string("203.0.113.2:443"));
	json_object_object_add(d, "decision", json_object_new_string("deny"));
	if (tn_audit_open(&w, dir, sk, TN_AUDIT_SEGMENT_BYTES, TN_AUDIT_CP_RECORDS, 3600, &e))
		die("open", &e);
	for (uint64_t i = w.mem.next_seq; i < n; i++) {
		tn_audit_append(&w, "deny", d, tn_audit_now_us(), &e);
		tn_audit_maybe_checkpoint(&w, tn_audit_now_us(), 0, &e);
		if (i % 1000 == 999 && tn_audit_commit(&w, &e))
			die("commit", &e);
	}
	if (tn_audit_commit(&w, &e))
		die("commit", &e);
	tn_audit_close(&w);
	json_object_put(d);
}

/* The agent before: every line of every segment parsed, for any page. */
static size_t full_scan(const char *dir, uint64_t since, unsigned limit)
{
	char **names, path[8200], *line = malloc(TN_AUDIT_LINE_MAX + 2);
	size_t got = 0;
	struct tn_err e;
	int n;

	if (tn_audit_segments(dir, &names, &n, &e))
		die("segments", &e);
	for (int i = 0; i < n; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		f = fopen(path, "r");
		while (f && fgets(line, TN_AUDIT_LINE_MAX + 2, f)) {
			struct tn_audit_rec r;
			size_t len = strlen(line);

			line[--len] = '\0';
			if (tn_audit_parse(line, len, &r, &e))
				break;
			if (r.seq >= since && got < limit)
				got++;
			tn_audit_rec_free(&r);
		}
		if (f)
			fclose(f);
	}
	tn_audit_segments_free(names, n);
	free(line);
	return got;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 200000;
	int rounds = argc > 3 ? atoi(argv[3]) : 5, segs = 0;
	const char *where[] = { "start", "middle", "end" };
	uint64_t at[3] = { 0, n / 2, n > 1000 ? n - 1000 : 0 };
	double t_new[3][32], t_old[3][32];
	struct tn_audit_page pg;
	struct tn_err e;
	char **names;

	if (argc < 2 || rounds < 1 || rounds > 32) {
		fprintf(stderr, "usage: logpagebench DIR [RECORDS] [ROUNDS<=32]\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	build(argv[1], n);
	if (!tn_audit_segments(argv[1], &names, &segs, &e))
		tn_audit_segments_free(names, segs);
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < 3; k++) {
			double t0 = now();

			if (tn_audit_read_page(argv[1], at[k], n, TN_AUDIT_PAGE,
					       TN_AUDIT_PAGE_BYTES, &pg, &e))
				die("page", &e);
			t_new[k][r] = now() - t0;
			if (r == 0)
				printf("page at %-6s (since %llu): %zu records, %zu bytes, %llu lines skipped, %d segments opened\n",
				       where[k], (unsigned long long)at[k],
				       json_object_array_length(pg.records), pg.bytes,
				       (unsigned long long)pg.skipped, pg.segments);
			tn_audit_page_free(&pg);
			t0 = now();
			full_scan(argv[1], at[k], TN_AUDIT_PAGE);
			t_old[k][r] = now() - t0;
		}
	}
	printf("%llu records in %d segments of at most %d MiB; median of %d rounds, page of %d\n",
	       (unsigned long long)n, segs, TN_AUDIT_SEGMENT_BYTES >> 20, rounds, TN_AUDIT_PAGE);
	printf("page at    page reader   full scan (before)\n");
	for (int k = 0; k < 3; k++) {
		qsort(t_new[k], rounds, sizeof(double), cmp);
		qsort(t_old[k], rounds, sizeof(double), cmp);
		printf("%-8s %9.1f ms %12.1f ms\n", where[k], t_new[k][rounds / 2] * 1e3,
		       t_old[k][rounds / 2] * 1e3);
	}
	return 0;
}
