// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for a measurement-log checkpoint's text
 * (common/measure_log.c): what a hostile peer sends in "checkpoint" and
 * "checkpoints" of a /v1/quote answer, before and after its signature.
 *
 * Invariants: never crash or leak; a text that parses serialises to a text
 * that parses to the same checkpoint; no fuzzed text verifies under a key
 * that never signed it; comparing a parsed summary with itself finds no
 * difference.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "measure_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pk[TN_IDKEY_LEN] = { 0x3b, 0x6a, 0x27, 0xbc };
	static const uint8_t sig[64] = { 1 };
	static struct tn_log_checkpoint cp, again;
	struct tn_err err;
	char why[700], *s, *text;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!tn_log_checkpoint_verify(s, pk, sig))
		abort();
	if (!tn_log_checkpoint_parse(s, &cp, &err)) {
		text = tn_log_checkpoint_text(&cp);
		if (!text || tn_log_checkpoint_parse(text, &again, &err) ||
		    again.index != cp.index || again.reset_count != cp.reset_count ||
		    memcmp(again.pcr, cp.pcr, sizeof(cp.pcr)) ||
		    memcmp(again.chain, cp.chain, sizeof(cp.chain)) ||
		    (!cp.summary.overflow &&
		     tn_log_summary_cmp(&cp.summary, "a", &again.summary, "b", why, sizeof(why)))) {
			fprintf(stderr, "fuzz_log_checkpoint: a parsed checkpoint does not survive serialising\n");
			abort();
		}
		free(text);
	}
	free(s);
	return 0;
}
