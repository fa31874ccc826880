// SPDX-License-Identifier: GPL-2.0-only
/*
 * Verifications per second: runs the verifier (common/attest_verify.c) on a
 * saved /v1/quote answer against a pinned peer file, N times, and prints
 * "verify_per_s R". Every run must pass, or the number means nothing.
 * With "new", the verifier forgets how far it judged the peer's log: a
 * verifier that meets this boot for the first time.
 *
 *   tnverify STATE_DIR PEER ANSWER.json NONCE_HEX N [new]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "attest_verify.h"
#include "hex.h"

int main(int argc, char **argv)
{
	uint8_t nonce[64];
	struct tn_verdict v;
	struct tn_peer p;
	struct tn_err err;
	struct timespec a, b;
	json_object *resp;
	size_t nlen;
	long n;

	if (argc != 6 && !(argc == 7 && !strcmp(argv[6], "new"))) {
		fprintf(stderr, "usage: tnverify STATE_DIR PEER ANSWER.json NONCE_HEX N [new]\n");
		return 2;
	}
	n = atol(argv[5]);
	if (tn_peer_load(argv[1], argv[2], &p, &err) ||
	    tn_hex_decode(argv[4], nonce, sizeof(nonce), &nlen, "nonce", &err)) {
		fprintf(stderr, "tnverify: %s\n", err.msg);
		return 1;
	}
	resp = json_object_from_file(argv[3]);
	/* The answer is older than the newest quote seen: judge it as new. */
	p.have_clock = 0;
	if (argc == 7)
		p.have_log_seen = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++) {
		tn_verify_quote(&p, nonce, nlen, resp, 0, &v);
		if (!v.ok) {
			fprintf(stderr, "tnverify: run %ld did not verify: %s: %s\n",
				i, v.check, v.reason);
			return 1;
		}
		tn_verdict_free(&v);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("verify_per_s %.1f\n", n / ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9));
	json_object_put(resp);
	return 0;
}
