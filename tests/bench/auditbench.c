// SPDX-License-Identifier: GPL-2.0-only
/*
 * Audit log throughput with durability on: records per second through the
 * writer (chain hash, JSON, group commit with one fdatasync per batch, a
 * checkpoint every 1000 records), against plain appends of the very same
 * lines, one write and one fdatasync per batch of the same size: the
 * difference is what tamper evidence (hashing, JSON, signing) costs. Interleaved rounds; prints medians and the ratio.
 *
 *   auditbench DIR [ROUNDS] [RECORDS]
 * DIR must be on a real file system (fdatasync on tmpfs costs nothing).
 */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "audit_writer.h"
#include "benchutil.h"


/* The writer: n records in batches of b. */
static double run_writer(const char *dir, const uint8_t sk[64], int n, int b)
{
	struct tn_audit_writer w;
	json_object *d = json_object_new_object();
	struct tn_err err;
	double t0;

	json_object_object_add(d, "workload", json_object_new_string("llm"));
	json_object_object_add(d, "dest", json_object_new_string("203.0.113.2:443"));
	json_object_object_add(d, "labels", json_object_new_string("phi"));
	if (tn_audit_open(&w, dir, sk, 1ULL << 30, 1000, 3600, &err)) {
		fprintf(stderr, "auditbench: %s\n", err.msg);
		exit(1);
	}
	t0 = now();
	for (int i = 0; i < n; i++) {
		tn_audit_append(&w, "deny", d, tn_audit_now_us(), &err);
		tn_audit_maybe_checkpoint(&w, tn_audit_now_us(), 0, &err);
		if ((i + 1) % b == 0 && tn_audit_commit(&w, &err)) {
			fprintf(stderr, "auditbench: %s\n", err.msg);
			exit(1);
		}
	}
	tn_audit_commit(&w, &err);
	t0 = now() - t0;
	tn_audit_close(&w);
	json_object_put(d);
	return n / t0;
}

/* The same bytes, appended plainly, one fdatasync per batch. */
static double run_plain(const char *src, const char *dst, int n, int b)
{
	FILE *in = fopen(src, "r");
	char **lines = calloc(n, sizeof(*lines)), buf[4096];
	int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600), k = 0;
	double t0;

	while (in && k < n && fgets(buf, sizeof(buf), in))
		lines[k++] = strdup(buf);
	if (in)
		fclose(in);
	char *batch = malloc((size_t)b * 4096);
	size_t blen = 0;

	/* One write and one fdatasync per batch, as the writer does. */
	t0 = now();
	for (int i = 0; i < k; i++) {
		size_t l = strlen(lines[i]);

		memcpy(batch + blen, lines[i], l);
		blen += l;
		if ((i + 1) % b == 0 || i == k - 1) {
			if (write(fd, batch, blen) < 0)
				exit(1);
			fdatasync(fd);
			blen = 0;
		}
	}
	t0 = now() - t0;
	close(fd);
	for (int i = 0; i < k; i++)
		free(lines[i]);
	free(lines);
	free(batch);
	return k / t0;
}

int main(int argc, char **argv)
{
	static const int batches[] = { 1, 16, 256 };
	int rounds = argc > 2 ? atoi(argv[2]) : 5, n = argc > 3 ? atoi(argv[3]) : 2000;
	uint8_t pk[32], sk[64];
	char dir[4096], seg[4200], plain[4200];

	if (argc < 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: auditbench DIR [ROUNDS] [RECORDS]\n");
		return 2;
	}
	crypto_sign_keypair(pk, sk);
	printf("audit log, %d records per run, %d interleaved rounds (median records/s):\n",
	       n, rounds);
	printf("  %-8s %14s %14s %8s\n", "batch", "trustnode", "plain+fsync", "ratio");
	for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
		double w[32], p[32];

		for (int r = 0; r < rounds && r < 32; r++) {
			snprintf(dir, sizeof(dir), "%s/w%zu-%d", argv[1], bi, r);
			w[r] = run_writer(dir, sk, n, batches[bi]);
			snprintf(seg, sizeof(seg), "%s/audit-0000000000000000.jsonl", dir);
			snprintf(plain, sizeof(plain), "%s/plain", dir);
			p[r] = run_plain(seg, plain, n, batches[bi]);
		}
		qsort(w, rounds, sizeof(double), cmp);
		qsort(p, rounds, sizeof(double), cmp);
		printf("  %-8d %14.0f %14.0f %8.2f\n", batches[bi], w[rounds / 2],
		       p[rounds / 2], w[rounds / 2] / p[rounds / 2]);
	}
	return 0;
}
