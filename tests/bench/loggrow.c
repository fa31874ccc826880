// SPDX-License-Identifier: GPL-2.0-only
/*
 * Grows a stopped agent's measurement log by COUNT audit anchors, as weeks
 * of uptime would (one anchor per interval), each appended to the log and
 * extended into PCR 13 through the real TPM, so that the restarted agent
 * finds a log that explains its PCR. For benchmarks; the agent must not
 * run (a swtpm socket serves one client).
 *
 *   loggrow STATE_DIR TCTI COUNT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>
#include "attest_wire.h"
#include "audit_record.h"
#include "hex.h"
#include "trustnode/attest_api.h"

int main(int argc, char **argv)
{
	uint8_t id[TN_AUDIT_LOGID_LEN] = { 7 }, head[TN_AUDIT_HASH_LEN];
	char idh[2 * TN_AUDIT_LOGID_LEN + 1], hh[2 * TN_AUDIT_HASH_LEN + 1];
	char path[4200], line[4096];
	TSS2_TCTI_CONTEXT *tc = NULL;
	ESYS_CONTEXT *es = NULL;
	uint64_t seq = 0;
	long count;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: loggrow STATE_DIR TCTI COUNT\n");
		return 2;
	}
	count = atol(argv[3]);
	snprintf(path, sizeof(path), "%s/measurements.jsonl", argv[1]);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		json_object *o = json_tokener_parse(line);
		struct tn_measurement m;

		if (!tn_measurement_parse(o, &m, NULL) && m.seq >= seq)
			seq = m.seq + 1;
		json_object_put(o);
	}
	if (f)
		fclose(f);
	f = fopen(path, "a");
	if (!f || Tss2_TctiLdr_Initialize(argv[2], &tc) || Esys_Initialize(&es, tc, NULL)) {
		fprintf(stderr, "loggrow: cannot open %s or the TPM at %s\n", path, argv[2]);
		return 1;
	}
	tn_hex_encode(id, sizeof(id), idh);
	for (long i = 0; i < count; i++) {
		struct tn_measurement m = { .seq = seq + i, .time = time(NULL) };
		TPML_DIGEST_VALUES d = { .count = 1 };
		json_object *o;

		randombytes_buf(head, sizeof(head));
		tn_hex_encode(head, sizeof(head), hh);
		tn_audit_checkpoint_digest(id, 100 + i, head, m.digest);
		snprintf(m.type, sizeof(m.type), TN_MEASURE_CHECKPOINT);
		snprintf(m.detail, sizeof(m.detail), "log %s covers %ld head %s", idh, 100 + i, hh);
		o = tn_measurement_json(&m);
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		d.digests[0].hashAlg = TPM2_ALG_SHA256;
		memcpy(d.digests[0].digest.sha256, m.digest, 32);
		if (Esys_PCR_Extend(es, ESYS_TR_PCR0 + TN_DEFAULT_PCR, ESYS_TR_PASSWORD,
				    ESYS_TR_NONE, ESYS_TR_NONE, &d)) {
			fprintf(stderr, "loggrow: TPM2_PCR_Extend failed at %ld\n", i);
			return 1;
		}
	}
	Esys_Finalize(&es);
	Tss2_TctiLdr_Finalize(&tc);
	if (fclose(f)) {
		fprintf(stderr, "loggrow: cannot write %s\n", path);
		return 1;
	}
	return 0;
}
