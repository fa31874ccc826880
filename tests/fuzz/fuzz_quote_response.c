// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for the verifier (common/attest_verify.c): what a hostile
 * peer can send as a /v1/quote answer. The pinned peer is the one that made
 * corpus/quote_response/real.json (its AK, identity key and software), so
 * inputs close to that real answer get through the signature and reach the
 * event-log and policy checks.
 *
 * Invariants: never crash or leak; no answer passes (no policy is accepted);
 * the failing verdict names a check and a reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attest_verify.h"
#include "hex.h"
#include "tpm_verify.h"

/* From the seed answer in corpus/quote_response/real.json (node A, swtpm). */
static const char ak_hex[] =
	"00580023000b00050072000000100018000b000300100020856b8ee98f1aad668ef5e77bdd10e7b56087b93ee5"
	"d24be4a7128519d3e65acf00202c99d36f58e52f8beb932da96299027054403600e801b61e883373c548398098";
static const char idkey_hex[] = "cb3106c7c84ef1b778372a1ec31bc3276fbc3be04056f6fd0cabb4c4e22716ae";
static const char *const software_hex[] = { "3fc62c8dc996a755b31aae4e4debf409af24f01cd20b998b4452b34ce48b95c9", "4a82e12e2febefa4666789f98371eb941a4d381d5aa400627a440712b7fc7f28" };

static struct tn_peer peer;
static int ready;

static void setup(void)
{
	struct tn_err err;

	memset(&peer, 0, sizeof(peer));
	strcpy(peer.name, "fuzz");
	strcpy(peer.url, "http://192.0.2.1:8443");
	size_t n;

	/* The seed's peer, with its software accepted but no policy: the
	 * deepest check is reached and nothing can pass it. */
	if (tpmv_public_from_hex(ak_hex, &peer.ak, "ak", &err) ||
	    tn_hex_decode(idkey_hex, peer.idkey, sizeof(peer.idkey), &n, "id", &err) ||
	    tn_hex_decode(software_hex[0], peer.software[0], 32, &n, "sw", &err) ||
	    tn_hex_decode(software_hex[1], peer.software[1], 32, &n, "sw", &err)) {
		fprintf(stderr, "fuzz_quote_response: %s\n", err.msg);
		abort();
	}
	peer.nsoftware = 2;
	tn_peer_pin_pcr(&peer, 13);
	ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t nonce[32] = { 1, 2, 3 };
	struct tn_verdict v;
	json_object *o;
	char *s;

	if (!ready)
		setup();
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	o = json_tokener_parse(s);
	free(s);
	tn_verify_quote(&peer, nonce, sizeof(nonce), o, 0, &v);
	if (v.ok) {
		fprintf(stderr, "fuzz_quote_response: a fuzzed answer verified\n");
		abort();
	}
	if (!v.check[0] || !v.reason[0])
		abort();
	tn_verdict_free(&v);
	json_object_put(o);
	return 0;
}
