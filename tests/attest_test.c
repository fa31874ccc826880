// SPDX-License-Identifier: GPL-2.0-only
/*
 * Remote attestation between two nodes, each with its own swtpm and its own
 * trustnoded serving the HTTP API inside its own network namespace:
 *
 *   netns tnatA<id> 192.0.2.1 ---- veth ---- 192.0.2.2 netns tnatB<id>
 *   node A: TPM with an EK certificate        node B: TPM without one
 *
 * B enrols A in the fixture (trustctl in B's namespace, with B's state dir);
 * each test then attacks one check and expects exactly that check to fail.
 *
 * In the guest, TN_ATTEST_TCTI_A=device:/dev/tpmrm0 gives node A the guest's
 * TPM (through the kernel's resource manager) and TN_ATTEST_STATE_A a state
 * directory that outlives each test, as a node's /var/lib/trustnode does:
 * the PCR is not reset between tests, so the measurement log must continue.
 */
#include <assert.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <json-c/json.h>
#include <sodium.h>
#include "kselftest_harness.h"
#include "attest_wire.h"
#include "attnode.h"
#include "hex.h"
#include "trustnode/attest_api.h"
#include "log_auth.h"
#include "audit_record.h"
#include "measure_log.h"
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#define ADDR_A "192.0.2.1"
#define ADDR_B "192.0.2.2"
#define CA_DIR ATT_CA_DIR

/* In the guest, node A is the guest's TPM with state kept across tests. */
static int node_up(struct att_node *a, const char *addr, int is_a)
{
	return att_node_up(a, addr, is_a, is_a ? getenv("TN_ATTEST_TCTI_A") : NULL,
			   is_a ? getenv("TN_ATTEST_STATE_A") : NULL, NULL);
}

#define verifier(v, out, len, ...) att_ctl(v, NULL, out, len, __VA_ARGS__)

/* Saves a live /v1/quote answer for nonce (hex) from v's namespace. */
static int save_quote(struct att_node *v, struct att_node *peer,
		      const char *nonce, const char *file)
{
	return run_cmd("ip netns exec %s curl -sf --noproxy '*' -o %s '%s/v1/quote?nonce=%s'",
		       v->ns, file, peer->url, nonce);
}

/* Rewrites member key of a saved answer with f. */
static int edit_response(const char *file, void (*f)(json_object *))
{
	json_object *o = json_object_from_file(file);

	if (!o)
		return -1;
	f(o);
	if (json_object_to_file(file, o))
		return -1;
	json_object_put(o);
	return 0;
}

/* Flips the last hex digit of a string member. */
static void flip_member(json_object *o, const char *key)
{
	char *s = strdup(json_object_get_string(json_object_object_get(o, key)));
	size_t n = strlen(s);

	s[n - 1] = s[n - 1] == '0' ? '1' : '0';
	json_object_object_add(o, key, json_object_new_string(s));
	free(s);
}

static void flip_signature(json_object *o)
{
	/* Within the ECDSA s value, so the structure still parses. */
	flip_member(o, "signature");
}

static void flip_log_digest(json_object *o)
{
	json_object *log = json_object_object_get(o, "event_log");

	flip_member(json_object_array_get_idx(log, 0), "digest");
}

static void swap_identity(json_object *o)
{
	json_object_object_add(o, "identity_key", json_object_new_string(
		"1111111111111111111111111111111111111111111111111111111111111111"));
}

/* ---- reading a peer's audit log (GET /v1/log, enrolled peers only) ---- */

/* A node's agent state dir: its identity key and the peers it enrolled. */
static void agent_state(struct att_node *n, char *buf, size_t len)
{
	if (n->n.state)
		snprintf(buf, len, "%s", n->n.state);
	else
		snprintf(buf, len, "%s/state", n->n.tmp);
}

/*
 * x enrols y as name in x's agent state dir, as `trustctl peer enroll` on
 * node x does: that is what lets y read x's log. (In the guest, node A's
 * state outlives each test: an old enrolment of that name goes first.)
 */
static int enrol_in_agent(struct att_node *x, struct att_node *y, const char *name)
{
	char sd[300];

	agent_state(x, sd, sizeof(sd));
	att_ctl(x, sd, NULL, 0, "peer remove %s", name);
	return att_ctl(x, sd, NULL, 0, "peer enroll %s --name %s", y->url, name);
}

/* A and B enrol each other: B may read A's log. */
static int enrol_both(struct att_node *a, struct att_node *b)
{
	return enrol_in_agent(a, b, "node-b") || enrol_in_agent(b, a, "node-a");
}

/* trustctl on node B as an operator runs it: B's own state dir and key. */
static int reader(struct att_node *b, char *out, size_t len, const char *args)
{
	char sd[300];

	agent_state(b, sd, sizeof(sd));
	return att_ctl(b, sd, out, len, "%s", args);
}

/* GET url from v's namespace; the body in body, the HTTP status returned. */
static int http_get(struct att_node *v, const char *url, char *body, size_t len)
{
	char cmd[2048], file[300], code[16] = "";
	FILE *p;
	size_t n;

	snprintf(file, sizeof(file), "%s/http.out", v->n.tmp);
	snprintf(cmd, sizeof(cmd), "rm -f %s; ip netns exec %s curl -s --noproxy '*' -o %s -w '%%{http_code}' '%s'",
		 file, v->ns, file, url);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (!fgets(code, sizeof(code), p))
		code[0] = '\0';
	pclose(p);
	body[0] = '\0';
	p = fopen(file, "r");
	if (p) {
		n = fread(body, 1, len - 1, p);
		body[n] = '\0';
		fclose(p);
	}
	fprintf(stderr, "# GET %.120s -> %s %.300s\n", url, code, body);
	return atoi(code);
}

/* A fresh challenge from server, asked from v's namespace. */
static int get_challenge(struct att_node *v, struct att_node *server,
			 uint8_t ch[TN_LOG_CHALLENGE_LEN])
{
	char url[200], body[4096];
	json_object *o;
	struct tn_err e;
	size_t n;
	int ret;

	snprintf(url, sizeof(url), "%s/v1/log/challenge", server->url);
	if (http_get(v, url, body, sizeof(body)) != 200)
		return -1;
	o = json_tokener_parse(body);
	ret = tn_hex_decode(o ? json_object_get_string(json_object_object_get(o, "challenge")) : NULL,
			    ch, TN_LOG_CHALLENGE_LEN, &n, "challenge", &e) ||
	      n != TN_LOG_CHALLENGE_LEN ? -1 : 0;
	json_object_put(o);
	return ret;
}

static int node_key(struct att_node *n, uint8_t sk[64], uint8_t pk[32])
{
	char sd[300];
	struct tn_err e;

	agent_state(n, sd, sizeof(sd));
	return tn_identity_read(sd, sk, pk, &e);
}

/*
 * The URL of GET /v1/log on server asking for since and limit, with
 * challenge ch, peer= claimed and a signature by sk over the message for
 * server_key, reader claimed and signed_since: each a forger's choice.
 */
static void log_url(char *url, size_t len, struct att_node *server,
		    const uint8_t ch[32], const uint8_t claimed[32],
		    const uint8_t sk[64], const uint8_t server_key[32],
		    uint64_t since, uint64_t signed_since, uint64_t limit)
{
	uint8_t msg[TN_LOG_READ_MSG_LEN], sig[64];
	char chx[65], pkx[65], sigx[129];

	tn_log_read_msg(ch, server_key, claimed, signed_since, limit, msg);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	tn_hex_encode(ch, 32, chx);
	tn_hex_encode(claimed, 32, pkx);
	tn_hex_encode(sig, 64, sigx);
	snprintf(url, len, "%s/v1/log?since=%llu&limit=%llu&challenge=%s&peer=%s&sig=%s",
		 server->url, (unsigned long long)since, (unsigned long long)limit,
		 chx, pkx, sigx);
}

/* attestation.log_reads.<key> (or .refused_by_reason.<key>) of n's status. */
static long long log_reads(struct att_node *n, const char *key)
{
	static char out[65536];
	json_object *o, *lr, *v = NULL;
	long long r = -1;

	if (ctl(&n->n, out, sizeof(out), "status --json"))
		return -1;
	o = json_tokener_parse(out);
	lr = json_object_object_get(json_object_object_get(o, "attestation"), "log_reads");
	if (!json_object_object_get_ex(lr, key, &v))
		json_object_object_get_ex(json_object_object_get(lr, "refused_by_reason"), key, &v);
	if (v)
		r = json_object_get_int64(v);
	json_object_put(o);
	return r;
}

/* Records in n's audit log, on disk. */
static long count_records(struct att_node *n)
{
	char sd[300], cmd[400], buf[32] = "";
	FILE *p;

	agent_state(n, sd, sizeof(sd));
	snprintf(cmd, sizeof(cmd), "cat %s/audit/audit-*.jsonl | wc -l", sd);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (!fgets(buf, sizeof(buf), p))
		buf[0] = '\0';
	pclose(p);
	return buf[0] ? atol(buf) : -1;
}

/* The guest emulates its CPU: its own swtpm makes RSA keys slowly. */
#define ATTEST_TIMEOUT 180

#define NONCE1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define NONCE2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

FIXTURE(pair) {
	struct att_node a, b;
	char out[16384];
	char file[300];
};

/* ---- a peer that is root on its own node, with the TPM to itself ------ */

/* The hex of a binary file (tpm2_quote's outputs). */
static int hex_file(const char *path, char *hex, size_t max)
{
	uint8_t buf[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (2 * n + 1 > max)
		return -1;
	tn_hex_encode(buf, n, hex);
	return 0;
}

/*
 * Quotes selection (tpm2-tools syntax, e.g. "sha256:16") with node A's
 * persisted AK over NONCE1 bound to A's identity key, as the agent would,
 * and puts the result into the answer o. A's agent must be stopped: the
 * swtpm serves one client at a time. A quote with a persistent key loads
 * nothing; the flush is for whatever tpm2-tools leaves behind anyway.
 */
static int forge_quote(FIXTURE_DATA(pair) *self, json_object *o,
		       const char *selection)
{
	uint8_t nonce[32], idkey[TN_IDKEY_LEN], qual[TN_DIGEST_LEN];
	char qhex[65], attest[8200], sig[2100];
	size_t n;

	if (tn_hex_decode(NONCE1, nonce, sizeof(nonce), &n, "nonce", NULL) ||
	    tn_hex_decode(json_object_get_string(json_object_object_get(o, "identity_key")),
			  idkey, sizeof(idkey), &n, "identity_key", NULL))
		return -1;
	tn_qualifying_data(nonce, sizeof(nonce), idkey, qual);
	tn_hex_encode(qual, sizeof(qual), qhex);
	if (run_cmd("cd %s && TPM2TOOLS_TCTI=%s tpm2_quote -Q -c 0x%x -l %s -q %s -g sha256 "
		    "-m forged.msg -s forged.sig && TPM2TOOLS_TCTI=%s tpm2_flushcontext -t",
		    self->b.n.tmp, self->a.tcti, TN_DEFAULT_AK_HANDLE, selection, qhex,
		    self->a.tcti))
		return -1;
	snprintf(self->file, sizeof(self->file), "%s/forged.msg", self->b.n.tmp);
	if (hex_file(self->file, attest, sizeof(attest)))
		return -1;
	snprintf(self->file, sizeof(self->file), "%s/forged.sig", self->b.n.tmp);
	if (hex_file(self->file, sig, sizeof(sig)))
		return -1;
	snprintf(self->file, sizeof(self->file), "%s/quote.json", self->b.n.tmp);
	json_object_object_add(o, "attest", json_object_new_string(attest));
	json_object_object_add(o, "signature", json_object_new_string(sig));
	return 0;
}

/*
 * Extends pcr (after resetting it when reset) with every entry of log and
 * returns the value it then holds, computed as a verifier replays it.
 */
static int extend_log(FIXTURE_DATA(pair) *self, unsigned pcr, int reset,
		      json_object *log, char value[65])
{
	uint8_t v[TN_DIGEST_LEN] = { 0 };
	char cmd[16384];
	size_t off = 0;

	off += snprintf(cmd + off, sizeof(cmd) - off, "export TPM2TOOLS_TCTI=%s; %s true",
			self->a.tcti, reset ? "tpm2_pcrreset 16 && " : "");
	if (reset)	/* only 16 is reset here; say so if that changes */
		assert(pcr == 16);
	for (size_t i = 0; i < json_object_array_length(log); i++) {
		struct tn_measurement m;
		char hex[65];

		if (tn_measurement_parse(json_object_array_get_idx(log, i), &m, NULL))
			return -1;
		tn_pcr_extend_sw(v, m.digest);
		tn_hex_encode(m.digest, sizeof(m.digest), hex);
		off += snprintf(cmd + off, sizeof(cmd) - off, " && tpm2_pcrextend %u:sha256=%s",
				pcr, hex);
	}
	tn_hex_encode(v, sizeof(v), value);
	return off < sizeof(cmd) ? run_cmd("%s", cmd) : -1;
}

/* The answer's pcr and its one pcr_values member. */
static void claim_pcr(json_object *o, unsigned pcr, const char *value)
{
	json_object *vals = json_object_new_object();
	char key[8];

	snprintf(key, sizeof(key), "%u", pcr);
	json_object_object_add(vals, key, json_object_new_string(value));
	json_object_object_add(o, "pcr_values", vals);
	json_object_object_add(o, "pcr", json_object_new_int(pcr));
}

static int save_answer(const char *file, json_object *o)
{
	int ret = json_object_to_file(file, o);

	json_object_put(o);
	return ret;
}

/* A's policy with 198.51.100.0/24 widened to 203.0.113.0/24, loaded as NAME.conf. */
static int load_loosened_policy(struct att_node *a, const char *name)
{
	char policy[400];

	snprintf(policy, sizeof(policy), "%s/%s.conf", a->n.tmp, name);
	if (run_cmd("sed 's/198.51.100.0\\/24/203.0.113.0\\/24/' %s > %s",
		    a->n.policy, policy))
		return -1;
	return ctl(&a->n, NULL, 0, "policy load %s", policy);
}

/* Loosened, then the original loaded back: both stay in A's log. */
static int loosen_and_restore(struct att_node *a)
{
	if (load_loosened_policy(a, "loose"))
		return -1;
	return ctl(&a->n, NULL, 0, "policy load %s", a->n.policy);
}

/*
 * B checks an answer of A's over NONCE1, saved and edited by edit on the
 * way: trustctl attest's exit status, its report in self->out.
 */
static int verify_edited_answer(FIXTURE_DATA(pair) *self, void (*edit)(json_object *))
{
	if (save_quote(&self->b, &self->a, NONCE1, self->file) ||
	    edit_response(self->file, edit))
		return -1;
	return verifier(&self->b, self->out, sizeof(self->out),
			"attest node-a --response %s --nonce " NONCE1, self->file);
}

static void pair_down(FIXTURE_DATA(pair) *self)
{
	att_node_down(&self->a);
	att_node_down(&self->b);
	run_cmd("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; true",
		self->a.ns, self->b.ns);
}

static int pair_up(FIXTURE_DATA(pair) *self)
{
	char id[16];

	tn_unused_id(id, sizeof(id));
	snprintf(self->a.ns, sizeof(self->a.ns), "tnatA%s", id);
	snprintf(self->b.ns, sizeof(self->b.ns), "tnatB%s", id);
	if (run_cmd("ip netns add tnatA%s && ip netns add tnatB%s && "
		    "ip link add tnatA%s type veth peer name tnatB%s && "
		    "ip link set tnatA%s netns tnatA%s && ip link set tnatB%s netns tnatB%s && "
		    "ip -n tnatA%s link set lo up && ip -n tnatB%s link set lo up && "
		    "ip -n tnatA%s addr add " ADDR_A "/24 dev tnatA%s && "
		    "ip -n tnatB%s addr add " ADDR_B "/24 dev tnatB%s && "
		    "ip -n tnatA%s link set tnatA%s up && ip -n tnatB%s link set tnatB%s up",
		    id, id, id, id, id, id, id, id, id, id, id, id, id, id, id, id, id, id))
		return -1;
	if (node_up(&self->a, ADDR_A, 1) || node_up(&self->b, ADDR_B, 0))
		return -1;
	snprintf(self->file, sizeof(self->file), "%s/quote.json", self->b.n.tmp);
	/* B enrols A, checking A's EK certificate against swtpm's local CA. */
	if (verifier(&self->b, self->out, sizeof(self->out),
		     "peer enroll %s --name node-a --ca " CA_DIR "/swtpm-localca-rootca-cert.pem --ca " CA_DIR "/issuercert.pem",
		     self->a.url)) {
		run_cmd("echo '# node A agent log:'; sed 's/^/#   /' %s/agent.log >&2", self->a.n.tmp);
		return -1;
	}
	return 0;
}

FIXTURE_SETUP(pair)
{
	/* A failed setup gets no teardown: take apart what was built. */
	if (pair_up(self)) {
		pair_down(self);
		ASSERT_TRUE(0);
	}
}

FIXTURE_TEARDOWN(pair)
{
	pair_down(self);
}

TEST_F_TIMEOUT(pair, enrolment_pins_the_peer_and_attestation_passes_both_ways, ATTEST_TIMEOUT)
{
	json_object *o;

	EXPECT_NE(NULL, strstr(self->out, "verified against the given CAs"));
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "verified"));
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest %s --json",
			      self->a.url));
	o = json_tokener_parse(self->out);
	ASSERT_NE(NULL, o);
	EXPECT_TRUE(json_object_get_boolean(json_object_object_get(o, "verified")));
	json_object_put(o);
	/* A enrols B, whose TPM has no EK certificate: said, not hidden. */
	ASSERT_EQ(0, verifier(&self->a, self->out, sizeof(self->out),
			      "peer enroll %s --name node-b", self->b.url));
	EXPECT_NE(NULL, strstr(self->out, "not checked"));
	ASSERT_EQ(0, verifier(&self->a, self->out, sizeof(self->out), "attest node-b"));
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "peer list"));
	EXPECT_NE(NULL, strstr(self->out, "node-a"));
}

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, a_changed_policy_fails_the_policy_check, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, load_loosened_policy(&self->a, "other"));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "policy check failed"));
	EXPECT_NE(NULL, strstr(self->out, "is not an accepted policy of this peer"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, whitespace_and_comments_do_not_change_the_policy_digest, ATTEST_TIMEOUT)
{
	char policy[400];

	snprintf(policy, sizeof(policy), "%s/reformatted.conf", self->a.n.tmp);
	ASSERT_EQ(0, run_cmd("(echo '# reformatted'; sed 's/ = /   =   /' %s) > %s",
			     self->a.n.policy, policy));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "policy load %s", policy));
	EXPECT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, a_quote_for_another_nonce_fails_the_nonce_check, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, save_quote(&self->b, &self->a, NONCE1, self->file));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE2, self->file));
	EXPECT_NE(NULL, strstr(self->out, "nonce check failed"));
	/* The same answer, checked for its own nonce, passes. */
	EXPECT_EQ(0, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, self->file));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, a_forged_signature_fails_the_signature_check, ATTEST_TIMEOUT)
{
	EXPECT_EQ(1, verify_edited_answer(self, flip_signature));
	EXPECT_NE(NULL, strstr(self->out, "signature check failed"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, a_tampered_event_log_fails_the_event_log_check, ATTEST_TIMEOUT)
{
	EXPECT_EQ(1, verify_edited_answer(self, flip_log_digest));
	EXPECT_NE(NULL, strstr(self->out, "event-log check failed"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, a_swapped_identity_key_fails_the_identity_check, ATTEST_TIMEOUT)
{
	EXPECT_EQ(1, verify_edited_answer(self, swap_identity));
	EXPECT_NE(NULL, strstr(self->out, "identity check failed"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, an_older_quote_replayed_later_fails_the_clock_check, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, save_quote(&self->b, &self->a, NONCE1, self->file));
	usleep(20 * 1000);
	/* A live attestation moves the newest clock B has seen from A. */
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, self->file));
	EXPECT_NE(NULL, strstr(self->out, "clock check failed"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, an_ak_not_from_that_ek_fails_enrolment, ATTEST_TIMEOUT)
{
	char ek[300];

	/* A's AK presented with B's EK: B's TPM never made that AK. */
	snprintf(ek, sizeof(ek), "%s/ek-b.pub", self->b.n.tmp);
	ASSERT_EQ(0, run_cmd("ip netns exec %s curl -sf --noproxy '*' %s/v1/identity | "
			     "python3 -c 'import json,sys; sys.stdout.buffer.write(bytes.fromhex(json.load(sys.stdin)[\"ek_public\"]))' > %s",
			     self->a.ns, self->b.url, ek));
	EXPECT_EQ(1, verifier(&self->a, self->out, sizeof(self->out),
			      "peer enroll %s --name liar --ek %s", self->a.url, ek));
	EXPECT_NE(NULL, strstr(self->out, "credential activation failed"));
	EXPECT_NE(0, verifier(&self->a, self->out, sizeof(self->out), "attest liar"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, an_ek_certificate_from_another_ca_fails_enrolment, ATTEST_TIMEOUT)
{
	char ca[300];

	snprintf(ca, sizeof(ca), "%s/other-ca.pem", self->b.n.tmp);
	ASSERT_EQ(0, run_cmd("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s.key -out %s "
			     "-subj /CN=other-ca -days 1 >/dev/null 2>&1", ca, ca));
	EXPECT_EQ(1, verifier(&self->a, self->out, sizeof(self->out),
			      "peer enroll %s --name again --ca %s", self->a.url, ca));
	EXPECT_NE(NULL, strstr(self->out, "EK certificate"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, a_restarted_agent_continues_its_log_and_still_attests, ATTEST_TIMEOUT)
{
	node_kill_agent(&self->a.n);
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	EXPECT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, garbage_requests_get_4xx_and_change_nothing, ATTEST_TIMEOUT)
{
	EXPECT_EQ(0, run_cmd("test \"$(ip netns exec %s curl -s --noproxy '*' -o /dev/null -w '%%{http_code}' "
			     "'%s/v1/quote?nonce=xyz')\" = 400", self->b.ns, self->a.url));
	EXPECT_EQ(0, run_cmd("test \"$(ip netns exec %s curl -s --noproxy '*' -o /dev/null -w '%%{http_code}' "
			     "-H 'Content-Type: application/json' -d '{\"id_object\":\"00\",\"encrypted_secret\":\"00\"}' "
			     "'%s/v1/enroll')\" = 400", self->b.ns, self->a.url));
	EXPECT_EQ(0, run_cmd("test \"$(ip netns exec %s curl -s --noproxy '*' -o /dev/null -w '%%{http_code}' "
			     "'%s/v1/nothing')\" = 404", self->b.ns, self->a.url));
	EXPECT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
}
#endif

TEST_F_TIMEOUT(pair, a_peer_verifies_the_log_against_the_tpm_anchored_checkpoint, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, enrol_both(&self->a, &self->b));
	/* A's policy load is a record; a checkpoint now puts it in the PCR. */
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	ASSERT_EQ(0, reader(&self->b, self->out, sizeof(self->out),
			    "peer log node-a --show policy-load"));
	EXPECT_NE(NULL, strstr(self->out, "TPM-anchored checkpoints match"));
	EXPECT_NE(NULL, strstr(self->out, "covered by the TPM-anchored checkpoint"));
}

#ifndef ATTEST_GUEST_SUBSET
/* The weakness of journald's sealing: a sealed journal can be cut back and
 * continued unnoticed. A peer that saw a later checkpoint notices. */
TEST_F_TIMEOUT(pair, a_log_cut_back_to_an_earlier_checkpoint_fails_at_the_peer, ATTEST_TIMEOUT)
{
	char state[300];

	snprintf(state, sizeof(state), "%s", self->a.n.state ? self->a.n.state : "");
	if (!state[0])
		snprintf(state, sizeof(state), "%s/state", self->a.n.tmp);
	ASSERT_EQ(0, enrol_both(&self->a, &self->b));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "workload add late %s", self->a.n.other_cg));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	ASSERT_EQ(0, reader(&self->b, self->out, sizeof(self->out), "peer log node-a"));
	/* A keeps only what precedes its first checkpoint, then goes on. */
	node_kill_agent(&self->a.n);
	ASSERT_EQ(0, run_cmd("f=$(ls %s/audit/audit-*.jsonl | tail -1); "
			     "n=$(grep -n '\"type\":\"checkpoint\"' $f | head -1 | cut -d: -f1); "
			     "head -n $n $f > $f.cut && mv $f.cut $f", state));
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	EXPECT_EQ(1, reader(&self->b, self->out, sizeof(self->out), "peer log node-a"));
	EXPECT_NE(NULL, strstr(self->out, "does not verify"));
}

TEST_F_TIMEOUT(pair, a_log_deleted_and_restarted_fails_at_the_peer, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, enrol_both(&self->a, &self->b));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	ASSERT_EQ(0, reader(&self->b, self->out, sizeof(self->out), "peer log node-a"));
	node_kill_agent(&self->a.n);
	ASSERT_EQ(0, run_cmd("rm -rf %s/state/audit", self->a.n.tmp));
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	EXPECT_EQ(1, reader(&self->b, self->out, sizeof(self->out), "peer log node-a"));
	EXPECT_NE(NULL, strstr(self->out, "started anew"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, the_agent_leaves_no_transient_object_or_session_behind, ATTEST_TIMEOUT)
{
	char path[300];
	int i;

	/* swtpm over a socket has no resource manager: what the agent does
	 * not flush stays loaded, and a TPM holds only a few. */
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, verifier(&self->b, NULL, 0, "attest node-a"));
		snprintf(path, sizeof(path), "peer enroll %s --name again%d", self->a.url, i);
		ASSERT_EQ(0, verifier(&self->a, NULL, 0, "%s", path));
	}
	node_kill_agent(&self->a.n);
	EXPECT_EQ(0, run_cmd("test -z \"$(TPM2TOOLS_TCTI=%s tpm2_getcap handles-transient)\"",
			     self->a.tcti));
	EXPECT_EQ(0, run_cmd("test -z \"$(TPM2TOOLS_TCTI=%s tpm2_getcap handles-loaded-session)\"",
			     self->a.tcti));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
/*
 * A peer that runs no trustnode but is root on a node with a real TPM: it
 * resets PCR 16, extends it with a log the verifier would accept (the real
 * one), and quotes PCR 16 with the node's AK over the verifier's nonce.
 */
TEST_F_TIMEOUT(pair, a_forged_quote_over_a_resettable_pcr_fails_the_pcr_check, ATTEST_TIMEOUT)
{
	char value[65], peer[400];
	json_object *o;

	ASSERT_EQ(0, save_quote(&self->b, &self->a, NONCE1, self->file));
	o = json_object_from_file(self->file);
	ASSERT_NE(NULL, o);
	node_kill_agent(&self->a.n);
	ASSERT_EQ(0, extend_log(self, 16, 1, json_object_object_get(o, "event_log"), value));
	ASSERT_EQ(0, forge_quote(self, o, "sha256:16"));
	claim_pcr(o, 16, value);
	ASSERT_EQ(0, save_answer(self->file, o));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, self->file));
	/* A genuine quote by the pinned AK over this nonce: only the PCR is wrong. */
	EXPECT_NE(NULL, strstr(self->out, "the quote is signed by the pinned AK"));
	EXPECT_NE(NULL, strstr(self->out, "pcr check failed"));
	EXPECT_NE(NULL, strstr(self->out, "claims measurement PCR 16"));

	/* Even a verifier whose peer file pins PCR 16 refuses it. */
	snprintf(peer, sizeof(peer), "%s/peers/node-a.json", self->b.vstate);
	ASSERT_EQ(0, run_cmd("python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); "
			     "p[\"measurement_pcr\"]=16; p[\"quote_pcrs\"]=[16]; "
			     "json.dump(p, open(sys.argv[1], \"w\"))' %s", peer));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, self->file));
	EXPECT_NE(NULL, strstr(self->out, "pcr check failed"));
	EXPECT_NE(NULL, strstr(self->out, "not acceptable as a measurement PCR"));

	/* Nor can an enrolment pin one, and nothing is written. */
	EXPECT_NE(0, verifier(&self->b, self->out, sizeof(self->out),
			      "peer enroll %s --name sixteen --pcr 16", self->a.url));
	EXPECT_NE(NULL, strstr(self->out, "cannot be measurement PCRs"));
	EXPECT_EQ(0, run_cmd("test ! -e %s/peers/sixteen.json", self->b.vstate));
	/* And the agent does not measure into one. */
	EXPECT_EQ(0, run_cmd("! %s/trustnoded --pcr 16 2>/dev/null && "
			     "%s/trustnoded --pcr 16 2>&1 | grep -q 'can be reset without a reboot'",
			     tn_build(), tn_build()));
}

/* A peer file written before pinning: PCR 13 alone is assumed, and said. */
TEST_F_TIMEOUT(pair, a_peer_file_from_before_pinning_is_read_as_pcr_13_and_says_so, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, run_cmd("python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); "
			     "[p.pop(k) for k in (\"measurement_pcr\", \"pcr_bank\", \"quote_pcrs\")]; "
			     "json.dump(p, open(sys.argv[1], \"w\"))' %s/peers/node-a.json", self->b.vstate));
	EXPECT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "measurement PCR 13 (assumed"));
}

/* The pinned PCR index, but in another bank, or with another selection. */
TEST_F_TIMEOUT(pair, a_quote_in_another_bank_or_selection_fails_the_pcr_check, ATTEST_TIMEOUT)
{
	json_object *o;

	ASSERT_EQ(0, save_quote(&self->b, &self->a, NONCE1, self->file));
	node_kill_agent(&self->a.n);
	o = json_object_from_file(self->file);
	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, forge_quote(self, o, "sha1:13"));
	ASSERT_EQ(0, save_answer(self->file, o));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, self->file));
	EXPECT_NE(NULL, strstr(self->out, "the quote is signed by the pinned AK"));
	EXPECT_NE(NULL, strstr(self->out, "pcr check failed"));
	EXPECT_NE(NULL, strstr(self->out, "not exactly the sha256 bank"));

	o = json_object_from_file(self->file);
	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, forge_quote(self, o, "sha256:13,16"));
	ASSERT_EQ(0, save_answer(self->file, o));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, self->file));
	EXPECT_NE(NULL, strstr(self->out, "pcr check failed"));
	EXPECT_NE(NULL, strstr(self->out, "not exactly the PCRs pinned at enrolment (13)"));
}

/*
 * After a reboot, a peer that runs no trustnode extends the measurement
 * PCR with the accepted policy alone and quotes it: the PCR, the log and
 * the policy agree, but nothing shows the agent or its BPF object ran.
 */
TEST_F_TIMEOUT(pair, a_log_without_the_agent_and_bpf_object_fails_the_software_check, ATTEST_TIMEOUT)
{
	json_object *o, *log, *only = json_object_new_array();
	char value[65];

	ASSERT_EQ(0, save_quote(&self->b, &self->a, NONCE1, self->file));
	o = json_object_from_file(self->file);
	ASSERT_NE(NULL, o);
	log = json_object_object_get(o, "event_log");
	for (size_t i = 0; i < json_object_array_length(log); i++) {
		json_object *e = json_object_array_get_idx(log, i);

		if (!strcmp(json_object_get_string(json_object_object_get(e, "type")),
			    TN_MEASURE_POLICY))
			json_object_array_add(only, json_object_get(e));
	}
	ASSERT_EQ(1, (int)json_object_array_length(only));
	json_object_object_add(o, "event_log", only);
	node_kill_agent(&self->a.n);
	/* A platform reset: the TPM's reset count moves on, its PCRs are zero. */
	ASSERT_EQ(0, run_cmd("swtpm_ioctl --unix %s/sock.ctrl -i >/dev/null && "
			     "TPM2TOOLS_TCTI=%s tpm2_startup -c", self->a.tpm_dir, self->a.tcti));
	ASSERT_EQ(0, extend_log(self, 13, 0, only, value));
	ASSERT_EQ(0, forge_quote(self, o, "sha256:13"));
	claim_pcr(o, 13, value);
	ASSERT_EQ(0, save_answer(self->file, o));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, self->file));
	EXPECT_NE(NULL, strstr(self->out, "ok   event-log"));
	EXPECT_NE(NULL, strstr(self->out, "a new boot"));
	EXPECT_NE(NULL, strstr(self->out, "software check failed"));
	EXPECT_NE(NULL, strstr(self->out, "has no agent"));
}

/* Loosen, let data out, restore: the next verification still sees it. */
TEST_F_TIMEOUT(pair, a_policy_loosened_and_restored_between_two_verifications_fails_the_policy_check, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	ASSERT_EQ(0, loosen_and_restore(&self->a));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "policy check failed"));
	EXPECT_NE(NULL, strstr(self->out, "is not an accepted policy of this peer"));
	EXPECT_NE(NULL, strstr(self->out, "even if it has changed back since"));
	/* When: the entry, the peer's time for it, and the check before it. */
	EXPECT_NE(NULL, strstr(self->out, "(policy "));
	EXPECT_NE(NULL, strstr(self->out, "UTC by the peer's clock"));
	EXPECT_NE(NULL, strstr(self->out, "after this verifier's check at"));
	/* It stays refused: the entry is in this boot's log for good. */
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "policy check failed"));
}

/* The loosened policy relabelled as an audit checkpoint: its digest says not. */
TEST_F_TIMEOUT(pair, a_loosened_policy_relabelled_in_the_log_fails_the_event_log_check, ATTEST_TIMEOUT)
{
	char state[300];

	snprintf(state, sizeof(state), "%s", self->a.n.state ? self->a.n.state : "");
	if (!state[0])
		snprintf(state, sizeof(state), "%s/state", self->a.n.tmp);
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	ASSERT_EQ(0, loosen_and_restore(&self->a));
	node_kill_agent(&self->a.n);
	/* The next-to-last policy entry is the loose one. */
	ASSERT_EQ(0, run_cmd("f=%s/measurements.jsonl; "
			     "n=$(grep -n '\"type\":\"policy\"' $f | tail -2 | head -1 | cut -d: -f1); "
			     "sed -i \"${n}s/\\\"type\\\":\\\"policy\\\"/\\\"type\\\":\\\"audit-checkpoint\\\"/\" $f && "
			     "grep -c audit-checkpoint $f", state));
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "event-log check failed"));
	EXPECT_NE(NULL, strstr(self->out, "audit-checkpoint"));
}

/* Within a boot, the part of the log a verifier judged cannot change. */
TEST_F_TIMEOUT(pair, a_log_rewritten_after_a_verification_fails_the_history_check, ATTEST_TIMEOUT)
{
	char state[300];

	snprintf(state, sizeof(state), "%s", self->a.n.state ? self->a.n.state : "");
	if (!state[0])
		snprintf(state, sizeof(state), "%s/state", self->a.n.tmp);
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	node_kill_agent(&self->a.n);
	/* The detail is not in the PCR: only the verifier's memory catches it. */
	ASSERT_EQ(0, run_cmd("sed -i '1s/\"detail\":\"/\"detail\":\"x/' %s/measurements.jsonl", state));
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "history check failed"));
	EXPECT_NE(NULL, strstr(self->out, "the log was rewritten"));
}

/*
 * What weakens enforcement at run time is measured: a workload's taint
 * cleared, a tag removed, the BPF side unloaded. Each fails the weakening
 * check by default, until the verifier's operator accepts the peer as it is.
 */
TEST_F_TIMEOUT(pair, a_workload_reset_an_untag_and_an_unload_each_fail_the_weakening_check, 240)
{
	char state[300], plain[400];

	snprintf(state, sizeof(state), "%s", self->a.n.state ? self->a.n.state : "");
	if (!state[0])
		snprintf(state, sizeof(state), "%s/state", self->a.n.tmp);
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));

	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "workload reset wl"));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "weakening check failed"));
	EXPECT_NE(NULL, strstr(self->out, "\"workload reset wl\""));
	EXPECT_NE(NULL, strstr(self->out, "trustctl peer accept node-a"));
	/* Accepted by the operator: recorded, and passing again. */
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "peer accept node-a"));
	EXPECT_NE(NULL, strstr(self->out, "workload reset wl"));
	EXPECT_EQ(0, run_cmd("grep -q last_acceptance %s/peers/node-a.json", self->b.vstate));
	EXPECT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));

	snprintf(plain, sizeof(plain), "%s/plain", self->a.n.data);
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "tag %s --label extra", plain));
	EXPECT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "untag %s", plain));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "weakening check failed"));
	EXPECT_NE(NULL, strstr(self->out, "untag "));
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "peer accept node-a"));

	/* The unload runs with the agent stopped, as an operator would. */
	node_kill_agent(&self->a.n);
	ASSERT_EQ(0, run_cmd("TRUSTNODE_QUIET_LIBBPF=1 %s/trustnoded --unload --pin-dir %s "
			     "--state-dir %s --tcti %s", tn_build(), self->a.n.pin, state,
			     self->a.tcti));
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "weakening check failed"));
	EXPECT_NE(NULL, strstr(self->out, "trustnoded --unload"));
	/* Not a --response replay: accept needs a fresh quote that verifies. */
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "peer accept node-a"));
	EXPECT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	/* Each is an audit record too, the unload's written by --unload itself. */
	EXPECT_EQ(0, run_cmd("cd %s/audit && grep -q '\"type\":\"workload-reset\"' audit-*.jsonl && "
			     "grep -q '\"type\":\"tag-remove\"' audit-*.jsonl && "
			     "grep -q '\"type\":\"unload\",.*\"measured\":true' audit-*.jsonl", state));
	EXPECT_EQ(0, ctl(&self->a.n, self->out, sizeof(self->out), "--state-dir %s log verify", state));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
/* The attack: read a node's log (paths, pids, commands, destinations)
 * without being a peer it enrolled. */
TEST_F_TIMEOUT(pair, the_log_is_refused_to_an_unenrolled_caller, ATTEST_TIMEOUT)
{
	char url[200], body[8192];

	/* A verifier that is no node at all: it has no identity key to sign with. */
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "peer log node-a"));
	EXPECT_NE(NULL, strstr(self->out, "identity.key"));
	/* B enrolled A and has its identity key; A never enrolled B. */
	ASSERT_EQ(0, enrol_in_agent(&self->b, &self->a, "node-a"));
	EXPECT_EQ(1, reader(&self->b, self->out, sizeof(self->out), "peer log node-a"));
	EXPECT_NE(NULL, strstr(self->out, "not the identity key of a peer this node has enrolled"));
	EXPECT_EQ(NULL, strstr(self->out, "records, chained"));
	/* Anyone on the network, with no credentials at all. */
	snprintf(url, sizeof(url), "%s/v1/log?since=0", self->a.url);
	EXPECT_EQ(401, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_EQ(NULL, strstr(body, "records"));
	EXPECT_NE(NULL, strstr(body, "enrolled peers only"));
	EXPECT_LE(1, log_reads(&self->a, "not_enrolled"));
	EXPECT_LE(1, log_reads(&self->a, "no_credentials"));
	EXPECT_EQ(0, log_reads(&self->a, "served"));
}

/* The attack: record one good request of an enrolled peer and send it again. */
TEST_F_TIMEOUT(pair, an_enrolled_peer_reads_the_log_and_a_replay_is_refused, ATTEST_TIMEOUT)
{
	uint8_t ch[32], bsk[64], bpk[32], ask[64], apk[32];
	char url[600], body[65536];
	json_object *o;

	ASSERT_EQ(0, enrol_both(&self->a, &self->b));
	ASSERT_EQ(0, reader(&self->b, self->out, sizeof(self->out), "peer log node-a --json"));
	EXPECT_NE(NULL, strstr(self->out, "\"verified\":true"));
	EXPECT_LE(1, log_reads(&self->a, "served"));
	/* The same by hand: a page of 2 from seq 1. */
	ASSERT_EQ(0, node_key(&self->b, bsk, bpk));
	ASSERT_EQ(0, node_key(&self->a, ask, apk));
	ASSERT_EQ(0, get_challenge(&self->b, &self->a, ch));
	log_url(url, sizeof(url), &self->a, ch, bpk, bsk, apk, 1, 1, 2);
	ASSERT_EQ(200, http_get(&self->b, url, body, sizeof(body)));
	o = json_tokener_parse(body);
	ASSERT_NE(NULL, o);
	EXPECT_EQ((size_t)2, json_object_array_length(json_object_object_get(o, "records")));
	EXPECT_NE(NULL, strstr(json_object_get_string(json_object_array_get_idx(
		json_object_object_get(o, "records"), 0)), "{\"seq\":1,"));
	EXPECT_EQ(3, json_object_get_int64(json_object_object_get(o, "next")));
	EXPECT_TRUE(json_object_get_boolean(json_object_object_get(o, "more")));
	EXPECT_STREQ("node-b", json_object_get_string(json_object_object_get(o, "reader")));
	json_object_put(o);
	/* Replayed: the challenge is used up. */
	EXPECT_EQ(401, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_EQ(NULL, strstr(body, "records"));
	EXPECT_NE(NULL, strstr(body, "used or has expired"));
	EXPECT_LE(1, log_reads(&self->a, "challenge"));
	sodium_memzero(bsk, sizeof(bsk));
	sodium_memzero(ask, sizeof(ask));
}

/* The attacks on the signed request, one at a time; each must get a 401. */
TEST_F_TIMEOUT(pair, forged_log_requests_are_refused, ATTEST_TIMEOUT)
{
	uint8_t ch[32], old[32], first[32], bsk[64], bpk[32], ask[64], apk[32], xsk[64], xpk[32];
	char url[600], body[65536];
	long long sig0, enr0, ch0;
	time_t t_old;

	ASSERT_EQ(0, get_challenge(&self->b, &self->a, old));
	t_old = time(NULL);
	ASSERT_EQ(0, enrol_in_agent(&self->a, &self->b, "node-b"));
	ASSERT_EQ(0, node_key(&self->b, bsk, bpk));
	ASSERT_EQ(0, node_key(&self->a, ask, apk));
	crypto_sign_keypair(xpk, xsk);		/* a key A never enrolled */
	sig0 = log_reads(&self->a, "signature");
	enr0 = log_reads(&self->a, "not_enrolled");
	ch0 = log_reads(&self->a, "challenge");

	/* B's key claimed, signed by another key. */
	ASSERT_EQ(0, get_challenge(&self->b, &self->a, ch));
	log_url(url, sizeof(url), &self->a, ch, bpk, xsk, apk, 0, 0, 5);
	EXPECT_EQ(401, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_EQ(NULL, strstr(body, "records"));
	/* A key of its own, correctly signed, but not enrolled. */
	ASSERT_EQ(0, get_challenge(&self->b, &self->a, ch));
	log_url(url, sizeof(url), &self->a, ch, xpk, xsk, apk, 0, 0, 5);
	EXPECT_EQ(401, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_EQ(NULL, strstr(body, "records"));
	/* B's genuine signature for another server (B itself) relayed to A. */
	ASSERT_EQ(0, get_challenge(&self->b, &self->a, ch));
	log_url(url, sizeof(url), &self->a, ch, bpk, bsk, bpk, 0, 0, 5);
	EXPECT_EQ(401, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_EQ(NULL, strstr(body, "records"));
	/* A challenge another server issued, signed for A. */
	ASSERT_EQ(0, get_challenge(&self->a, &self->b, ch));
	log_url(url, sizeof(url), &self->a, ch, bpk, bsk, apk, 0, 0, 5);
	EXPECT_EQ(401, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_EQ(NULL, strstr(body, "records"));
	/* A signature for another page. */
	ASSERT_EQ(0, get_challenge(&self->b, &self->a, ch));
	log_url(url, sizeof(url), &self->a, ch, bpk, bsk, apk, 1, 0, 5);
	EXPECT_EQ(401, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_EQ(NULL, strstr(body, "records"));
	/* A challenge made up. */
	memset(ch, 0x5a, sizeof(ch));
	log_url(url, sizeof(url), &self->a, ch, bpk, bsk, apk, 0, 0, 5);
	EXPECT_EQ(401, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_EQ(NULL, strstr(body, "records"));

	/* The oldest of more than the table holds is forgotten. */
	ASSERT_EQ(0, get_challenge(&self->b, &self->a, first));
	EXPECT_EQ(0, run_cmd("for i in $(seq %d); do echo '%s/v1/log/challenge'; done | "
			     "ip netns exec %s xargs curl -sf --noproxy '*' -o /dev/null",
			     TN_LOG_CHALLENGES, self->a.url, self->b.ns));
	log_url(url, sizeof(url), &self->a, first, bpk, bsk, apk, 0, 0, 5);
	EXPECT_EQ(401, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_EQ(NULL, strstr(body, "records"));
	/* A challenge older than its 30 s. */
	while (time(NULL) - t_old <= TN_LOG_CHALLENGE_TTL_S + 1)
		sleep(1);
	log_url(url, sizeof(url), &self->a, old, bpk, bsk, apk, 0, 0, 5);
	EXPECT_EQ(401, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_NE(NULL, strstr(body, "expired"));

	EXPECT_EQ(sig0 + 3, log_reads(&self->a, "signature"));
	EXPECT_EQ(enr0 + 1, log_reads(&self->a, "not_enrolled"));
	EXPECT_EQ(ch0 + 4, log_reads(&self->a, "challenge"));
	EXPECT_EQ(0, log_reads(&self->a, "served"));
	/* And the same request done right is served: the refusals were earned. */
	ASSERT_EQ(0, get_challenge(&self->b, &self->a, ch));
	log_url(url, sizeof(url), &self->a, ch, bpk, bsk, apk, 0, 0, 5);
	EXPECT_EQ(200, http_get(&self->b, url, body, sizeof(body)));
	EXPECT_NE(NULL, strstr(body, "\"records\":[\"{"));
	sodium_memzero(bsk, sizeof(bsk));
	sodium_memzero(ask, sizeof(ask));
	sodium_memzero(xsk, sizeof(xsk));
}

/* The attack: fill the node's audit log (or its disk) by asking for the log. */
TEST_F_TIMEOUT(pair, a_flood_of_unauthenticated_log_requests_is_counted_not_recorded, ATTEST_TIMEOUT)
{
	long long refused0 = log_reads(&self->a, "no_credentials");
	long before, after;
	char sd[300];

	before = count_records(&self->a);
	ASSERT_LT(0, before);
	/* 300 requests on one connection (curl's URL globbing). */
	EXPECT_EQ(0, run_cmd("test \"$(ip netns exec %s curl -s --noproxy '*' -o /dev/null -w '%%{http_code}\\n' "
			     "'%s/v1/log?since=[1-300]' | grep -c '^401$')\" = 300",
			     self->b.ns, self->a.url));
	usleep(1500 * 1000);	/* the summary is written from the 1 s timer */
	after = count_records(&self->a);
	EXPECT_EQ(refused0 + 300, log_reads(&self->a, "no_credentials"));
	/* One log-reads summary (and perhaps a checkpoint), not 300 records. */
	EXPECT_GE(before + 3, after) TH_LOG("%ld records before, %ld after", before, after);
	agent_state(&self->a, sd, sizeof(sd));
	EXPECT_EQ(0, att_ctl(&self->a, sd, self->out, sizeof(self->out), "log tail -n 5 --json"));
	EXPECT_NE(NULL, strstr(self->out, "\"type\":\"log-reads\"")) TH_LOG("%s", self->out);
}
#endif

TEST_F_TIMEOUT(pair, an_unexplained_pcr_is_reported_and_fails_attestation, ATTEST_TIMEOUT)
{
	char status[65536];

	/* Last: in the guest, node A's TPM is the real one for the whole run. */

	node_kill_agent(&self->a.n);
	/* Something other than trustnoded extends the measurement PCR. */
	ASSERT_EQ(0, run_cmd("TPM2TOOLS_TCTI=%s tpm2_pcrextend "
			     "13:sha256=0000000000000000000000000000000000000000000000000000000000000001",
			     self->a.tcti));
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	ASSERT_EQ(0, ctl(&self->a.n, status, sizeof(status), "status --json"));
	EXPECT_NE(NULL, strstr(status, "does not explain"));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "event-log check failed"));
}

/*
 * Not in the guest: these grow node A's log by thousands of entries or
 * leave a lying checkpoint in it, and in the guest A's state outlives
 * each test.
 */
#ifndef ATTEST_GUEST_SUBSET
/* ---- a long measurement log: tails, checkpoints, lying checkpoints ---- */

/* The entries of node n's measurement log file, as a JSON array. */
static json_object *read_mlog(struct att_node *n)
{
	char sd[300], path[400], line[4096];
	json_object *a = json_object_new_array();
	FILE *f;

	agent_state(n, sd, sizeof(sd));
	snprintf(path, sizeof(path), "%s/measurements.jsonl", sd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		json_object_array_add(a, json_tokener_parse(line));
	if (f)
		fclose(f);
	return a;
}

/*
 * What a root peer (or a very long uptime) does with the agent stopped:
 * appends entries to the agent's log file and extends the TPM's PCR 13
 * with each, through the real TPM (ESAPI over the node's swtpm).
 */
static int append_and_extend(struct att_node *n, json_object *entries)
{
	size_t cnt = json_object_array_length(entries);
	TSS2_TCTI_CONTEXT *tc = NULL;
	ESYS_CONTEXT *es = NULL;
	char sd[300], path[400];
	int ret = 0;
	FILE *f;

	agent_state(n, sd, sizeof(sd));
	snprintf(path, sizeof(path), "%s/measurements.jsonl", sd);
	f = fopen(path, "a");
	if (!f || Tss2_TctiLdr_Initialize(n->tcti, &tc) ||
	    Esys_Initialize(&es, tc, NULL))
		ret = -1;
	for (size_t i = 0; i < cnt && !ret; i++) {
		json_object *o = json_object_array_get_idx(entries, i);
		TPML_DIGEST_VALUES d = { .count = 1 };
		struct tn_measurement m;

		if (tn_measurement_parse(o, &m, NULL)) {
			ret = -1;
			break;
		}
		fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						JSON_C_TO_STRING_NOSLASHESCAPE));
		d.digests[0].hashAlg = TPM2_ALG_SHA256;
		memcpy(d.digests[0].digest.sha256, m.digest, 32);
		if (Esys_PCR_Extend(es, ESYS_TR_PCR0 + TN_DEFAULT_PCR, ESYS_TR_PASSWORD,
				    ESYS_TR_NONE, ESYS_TR_NONE, &d))
			ret = -1;
	}
	if (f && fclose(f))
		ret = -1;
	if (es)
		Esys_Finalize(&es);
	if (tc)
		Tss2_TctiLdr_Finalize(&tc);
	return ret;
}

/* The TPM's reset count, as the agent puts it in its checkpoints. */
static int tpm_reset_count_of(const char *tcti, uint32_t *count)
{
	TSS2_TCTI_CONTEXT *tc = NULL;
	ESYS_CONTEXT *es = NULL;
	TPMS_TIME_INFO *t = NULL;
	int ret = -1;

	if (!Tss2_TctiLdr_Initialize(tcti, &tc) && !Esys_Initialize(&es, tc, NULL) &&
	    !Esys_ReadClock(es, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &t)) {
		*count = t->clockInfo.resetCount;
		ret = 0;
	}
	Esys_Free(t);
	if (es)
		Esys_Finalize(&es);
	if (tc)
		Tss2_TctiLdr_Finalize(&tc);
	return ret;
}

/* The next seq after node n's log. */
static uint64_t next_seq(json_object *log)
{
	size_t len = json_object_array_length(log);
	struct tn_measurement m;

	if (!len || tn_measurement_parse(json_object_array_get_idx(log, len - 1), &m, NULL))
		return 0;
	return m.seq + 1;
}

/*
 * count audit anchors, as the agent makes one per anchor interval: a day
 * at the default interval is 1440 of them.
 */
static json_object *anchors(uint64_t seq, size_t count)
{
	json_object *a = json_object_new_array();
	uint8_t id[TN_AUDIT_LOGID_LEN] = { 7 }, head[TN_AUDIT_HASH_LEN];
	char idh[2 * TN_AUDIT_LOGID_LEN + 1], hh[2 * TN_AUDIT_HASH_LEN + 1];

	tn_hex_encode(id, sizeof(id), idh);
	for (size_t i = 0; i < count; i++) {
		struct tn_measurement m = { .seq = seq + i, .time = time(NULL) };

		randombytes_buf(head, sizeof(head));
		tn_hex_encode(head, sizeof(head), hh);
		tn_audit_checkpoint_digest(id, 100 + i, head, m.digest);
		snprintf(m.type, sizeof(m.type), TN_MEASURE_CHECKPOINT);
		snprintf(m.detail, sizeof(m.detail), "log %s covers %zu head %s", idh, 100 + i, hh);
		json_object_array_add(a, tn_measurement_json(&m));
	}
	return a;
}

/* Fetches a quote answer (since/at optional) into file; its size, or -1. */
static long fetch_quote(FIXTURE_DATA(pair) *self, const char *query, const char *file)
{
	struct stat st;

	if (run_cmd("ip netns exec %s curl -sf --noproxy '*' -o %s '%s/v1/quote?nonce=%s%s'",
		    self->b.ns, file, self->a.url, NONCE1, query) || stat(file, &st))
		return -1;
	return st.st_size;
}

/* B's position in A's log, from its peer file: "&since=K&at=HEX". */
static int b_position(FIXTURE_DATA(pair) *self, char *q, size_t len, long long *k)
{
	char path[400];
	json_object *o, *l;

	snprintf(path, sizeof(path), "%s/peers/node-a.json", self->b.vstate);
	o = json_object_from_file(path);
	if (!o || !json_object_object_get_ex(o, "measurement_log_seen", &l))
		return -1;
	*k = json_object_get_int64(json_object_object_get(l, "entries"));
	snprintf(q, len, "&since=%lld&at=%s", *k,
		 json_object_get_string(json_object_object_get(l, "chain")));
	json_object_put(o);
	return 0;
}

static long long member_int(const char *file, const char *key)
{
	json_object *o = json_object_from_file(file);
	long long v = o && json_object_object_get(o, key) ?
		json_object_get_int64(json_object_object_get(o, key)) : -1;

	json_object_put(o);
	return v;
}

static long long log_len(const char *file)
{
	json_object *o = json_object_from_file(file);
	long long v = o ? (long long)json_object_array_length(json_object_object_get(o, "event_log")) : -1;

	json_object_put(o);
	return v;
}

#define MANY_ANCHORS 30000	/* about three weeks of anchors at one a minute */

/*
 * A node that has made tens of thousands of anchors still answers within
 * the HTTP front's limit, and a verifier that kept up, one that fell far
 * behind and a new one all verify it.
 */
TEST_F_TIMEOUT(pair, a_node_with_tens_of_thousands_of_anchors_answers_within_limits, 400)
{
	char q[200], file[400];
	long long k, before;
	json_object *log;
	long size;

	snprintf(file, sizeof(file), "%s/answer.json", self->b.n.tmp);
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	node_kill_agent(&self->a.n);
	log = read_mlog(&self->a);
	before = (long long)json_object_array_length(log);
	json_object *many = anchors(next_seq(log), MANY_ANCHORS);
	json_object_put(log);
	ASSERT_EQ(0, append_and_extend(&self->a, many));
	json_object_put(many);
	/* The agent explains the PCR again and checkpoints what it finds. */
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	log = read_mlog(&self->a);
	EXPECT_LT(before + MANY_ANCHORS, (long long)json_object_array_length(log));
	json_object_put(log);

	/* A caller without a position gets the tail from the newest checkpoint. */
	size = fetch_quote(self, "", file);
	ASSERT_LT(0, size);
	TH_LOG("answer without since: %ld bytes, from entry %lld of %lld", size,
	       member_int(file, "log_from"), member_int(file, "log_entries"));
	EXPECT_GT(TN_QUOTE_TAIL_MAX_BYTES + 64 * 1024, size);
	EXPECT_LT(before + MANY_ANCHORS - 1, member_int(file, "log_from"));
	EXPECT_GE(TN_LOG_CP_EVERY + 8, log_len(file));

	/* B fell MANY_ANCHORS behind: from the checkpoint, judged by its summary. */
	ASSERT_EQ(0, b_position(self, q, sizeof(q), &k));
	size = fetch_quote(self, q, file);
	ASSERT_LT(0, size);
	EXPECT_GT(TN_QUOTE_TAIL_MAX_BYTES + 64 * 1024, size);
	EXPECT_NE(k, member_int(file, "log_from"));
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_NE(NULL, strstr(self->out, "starts at the checkpoint of entry"));

	/* The node goes on anchoring through the agent: live checkpoints. */
	for (int i = 0; i < TN_LOG_CP_EVERY + 10; i++) {
		ASSERT_EQ(0, fetch_quote(self, "", file) < 0);
		ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	}
	log = read_mlog(&self->a);
	size = 0;
	for (size_t i = 0; i < json_object_array_length(log); i++)
		size += !strcmp(json_object_get_string(json_object_object_get(
			json_object_array_get_idx(log, i), "type")), TN_MEASURE_LOGCP);
	json_object_put(log);
	EXPECT_LE(2, size);

	/* B is caught up: it is sent only what is new, checkpoints included. */
	ASSERT_EQ(0, b_position(self, q, sizeof(q), &k));
	size = fetch_quote(self, q, file);
	TH_LOG("caught-up answer: %ld bytes, from entry %lld (%lld entries)", size,
	       member_int(file, "log_from"), log_len(file));
	EXPECT_EQ(k, member_int(file, "log_from"));
	EXPECT_GT(TN_QUOTE_TAIL_MAX_BYTES, size);
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_NE(NULL, strstr(self->out, "extends the"));

	/* A new verifier: enrols from the newest checkpoint, then attests. */
	ASSERT_EQ(0, att_ctl(&self->b, self->b.n.tmp, self->out, sizeof(self->out),
			     "peer enroll %s --name fresh", self->a.url)) {
		TH_LOG("%s", self->out);
	}
	ASSERT_EQ(0, att_ctl(&self->b, self->b.n.tmp, self->out, sizeof(self->out),
			     "attest fresh")) {
		TH_LOG("%s", self->out);
	}
}

/* A checkpoint whose signature is not the identity key's: refused. */
TEST_F_TIMEOUT(pair, a_checkpoint_with_a_bad_signature_fails_the_checkpoint_check, 300)
{
	json_object *log, *many, *o, *cp;
	char file[400], *sig;

	snprintf(file, sizeof(file), "%s/answer.json", self->b.n.tmp);
	node_kill_agent(&self->a.n);
	log = read_mlog(&self->a);
	many = anchors(next_seq(log), 3 * TN_QUOTE_TAIL_MAX_ENTRIES);
	json_object_put(log);
	ASSERT_EQ(0, append_and_extend(&self->a, many));
	json_object_put(many);
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	/* Saved without a position: from the checkpoint; it verifies as sent. */
	ASSERT_LT(0, fetch_quote(self, "", file));
	ASSERT_LT(0, member_int(file, "log_from"));
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, file)) {
		TH_LOG("%s", self->out);
	}
	o = json_object_from_file(file);
	ASSERT_NE(NULL, o);
	cp = json_object_object_get(o, "checkpoint");
	ASSERT_NE(NULL, cp);
	sig = strdup(json_object_get_string(json_object_object_get(cp, "sig")));
	sig[10] = sig[10] == '0' ? '1' : '0';
	json_object_object_add(cp, "sig", json_object_new_string(sig));
	free(sig);
	ASSERT_EQ(0, save_answer(file, o));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, file));
	EXPECT_NE(NULL, strstr(self->out, "checkpoint check failed"));
	EXPECT_NE(NULL, strstr(self->out, "does not verify with the pinned identity key"));
	/* Without the checkpoint, a tail that starts mid-log vouches for nothing. */
	o = json_object_from_file(file);
	json_object_object_del(o, "checkpoint");
	ASSERT_EQ(0, save_answer(file, o));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, file));
	EXPECT_NE(NULL, strstr(self->out, "checkpoint check failed"));
}

/*
 * A root peer loosens its policy, restores it, then signs (its identity
 * key is a file it can read) and measures a checkpoint whose summary
 * omits the loose policy, hoping verifiers start from it. A verifier that
 * has the entries before the checkpoint refuses it, naming the policy.
 */
TEST_F_TIMEOUT(pair, a_checkpoint_that_omits_a_loosened_policy_fails_the_checkpoint_check, ATTEST_TIMEOUT)
{
	uint8_t sk[64], pk[32], sig[64], pcr[32] = { 0 }, chain[32] = { 0 }, loose[32];
	struct tn_log_checkpoint cp = { .version = TN_LOG_CP_VERSION };
	struct tn_measurement m;
	char path[400], sd[300], sighex[129], *text;
	json_object *log, *add, *line;
	size_t n;
	FILE *f;

	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	ASSERT_EQ(0, loosen_and_restore(&self->a));
	node_kill_agent(&self->a.n);
	ASSERT_EQ(0, node_key(&self->a, sk, pk));

	/* The truthful running values, and a summary without the loose policy. */
	log = read_mlog(&self->a);
	n = json_object_array_length(log);
	ASSERT_EQ(0, tn_measurement_parse(json_object_array_get_idx(log, n - 2), &m, NULL));
	ASSERT_STREQ(TN_MEASURE_POLICY, m.type);
	memcpy(loose, m.digest, 32);
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(0, tn_measurement_parse(json_object_array_get_idx(log, i), &m, NULL));
		tn_pcr_extend_sw(pcr, m.digest);
		tn_log_chain_step(chain, &m);
		if (strcmp(m.type, TN_MEASURE_POLICY) || memcmp(m.digest, loose, 32))
			tn_log_summary_add(&cp.summary, i, &m);
	}
	ASSERT_EQ(0, tpm_reset_count_of(self->a.tcti, &cp.reset_count));
	cp.index = n;
	memcpy(cp.pcr, pcr, 32);
	memcpy(cp.chain, chain, 32);
	cp.time = time(NULL);
	text = tn_log_checkpoint_text(&cp);
	tn_log_checkpoint_sign(text, sk, sig);
	tn_hex_encode(sig, sizeof(sig), sighex);
	agent_state(&self->a, sd, sizeof(sd));
	snprintf(path, sizeof(path), "%s/measurement-checkpoints.jsonl", sd);
	f = fopen(path, "a");
	ASSERT_NE(NULL, f);
	line = json_object_new_object();
	json_object_object_add(line, "text", json_object_new_string(text));
	json_object_object_add(line, "sig", json_object_new_string(sighex));
	fprintf(f, "%s\n", json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	fclose(f);
	json_object_put(line);
	memset(&m, 0, sizeof(m));
	m.seq = next_seq(log);
	m.time = time(NULL);
	snprintf(m.type, sizeof(m.type), TN_MEASURE_LOGCP);
	snprintf(m.detail, sizeof(m.detail), "measurement log checkpoint of entries 0..%zu", n - 1);
	tn_log_checkpoint_digest(text, m.digest);
	free(text);
	add = json_object_new_array();
	json_object_array_add(add, tn_measurement_json(&m));
	ASSERT_EQ(0, append_and_extend(&self->a, add));
	json_object_put(add);
	json_object_put(log);
	ASSERT_EQ(0, node_start_agent(&self->a.n));

	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "checkpoint check failed"));
	EXPECT_NE(NULL, strstr(self->out, "lies about the log before it"));
	EXPECT_NE(NULL, strstr(self->out, "omits policy"));
}

/* Whether node n's measurement log holds a weakening whose detail has text. */
static int measured_weakening(struct att_node *n, const char *text)
{
	json_object *log = read_mlog(n);
	int found = 0;

	for (size_t i = 0; i < json_object_array_length(log); i++) {
		json_object *o = json_object_array_get_idx(log, i);

		if (!strcmp(json_object_get_string(json_object_object_get(o, "type")), TN_MEASURE_WEAKENING) &&
		    strstr(json_object_get_string(json_object_object_get(o, "detail")), text))
			found = 1;
	}
	json_object_put(log);
	return found;
}

/* Whether node n measures a weakening whose detail has text within 5 s. */
static int weakening_within_5s(struct att_node *n, const char *text)
{
	for (int i = 0; i < 50 && !measured_weakening(n, text); i++)
		usleep(100 * 1000);
	return measured_weakening(n, text);
}

/*
 * Root on the node, with the agent running, takes enforcement apart at the
 * pins: a link unpinned (its program detached), then a map's pin replaced
 * by another map (which the next agent would adopt). Each is measured
 * within a couple of seconds and recorded, so the peer's next
 * verification fails the weakening check.
 */
TEST_F_TIMEOUT(pair, pins_removed_or_replaced_behind_the_agent_fail_the_weakening_check, ATTEST_TIMEOUT)
{
	char sd[300], link[300];

	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	/* The first pinned link there is, detached by unpinning it. */
	ASSERT_EQ(0, run_cmd("ls %s/links | head -1 > %s/link", self->a.n.pin, self->a.n.tmp));
	snprintf(sd, sizeof(sd), "%s/link", self->a.n.tmp);
	{
		FILE *f = fopen(sd, "r");

		ASSERT_NE(NULL, f);
		ASSERT_NE(NULL, fgets(link, sizeof(link), f));
		fclose(f);
		link[strcspn(link, "\n")] = '\0';
	}
	ASSERT_EQ(0, run_cmd("rm %s/links/%s", self->a.n.pin, link));
	ASSERT_TRUE(weakening_within_5s(&self->a, "unpinned"));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "weakening check failed"));
	EXPECT_NE(NULL, strstr(self->out, "unpinned"));
	agent_state(&self->a, sd, sizeof(sd));
	EXPECT_EQ(0, run_cmd("grep -rq bpf-pin-replaced %s/audit", sd));

	/* Another map where a map's pin was: measured too. */
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "status"));
	ASSERT_EQ(0, run_cmd("m=$(ls -p %s | grep -v / | head -1) && test -n \"$m\" && rm %s/$m && "
			     "bpftool map create %s/$m type hash key 8 value 8 entries 4 name tnfake",
			     self->a.n.pin, self->a.n.pin, self->a.n.pin));
	EXPECT_TRUE(weakening_within_5s(&self->a, "is another map"));
}

/*
 * The same root, without touching a pin: a cgroup link detached by its id
 * (bpftool link detach), so the pin is still there and still names the
 * agent's program, which no longer runs. inotify sees nothing; the check
 * of the cgroup links the agent makes every second does.
 */
TEST_F_TIMEOUT(pair, a_cgroup_link_detached_by_id_fails_the_weakening_check, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	ASSERT_EQ(0, run_cmd("bpftool link detach pinned %s/links/tn_skb_egress", self->a.n.pin));
	ASSERT_TRUE(weakening_within_5s(&self->a, "detached from its cgroup"));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "weakening check failed"));
	EXPECT_NE(NULL, strstr(self->out, "tn_skb_egress"));
}

/*
 * Or switches the link to a program of its own that passes every packet
 * (BPF_LINK_UPDATE, as an upgrading agent does): the pin and the link stay
 * the same, only the program changes. Seen by the same check.
 */
TEST_F_TIMEOUT(pair, a_cgroup_link_switched_to_another_program_fails_the_weakening_check, ATTEST_TIMEOUT)
{
	struct bpf_insn pass_all[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_CGROUP_INET_EGRESS);
	char pin[300];
	int link_fd, prog_fd;

	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	prog_fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SKB, "pass_all", "GPL",
				pass_all, 2, &opts);
	ASSERT_LE(0, prog_fd);
	snprintf(pin, sizeof(pin), "%s/links/tn_skb_egress", self->a.n.pin);
	link_fd = bpf_obj_get(pin);
	ASSERT_LE(0, link_fd);
	ASSERT_EQ(0, bpf_link_update(link_fd, prog_fd, NULL));
	close(link_fd);
	close(prog_fd);
	ASSERT_TRUE(weakening_within_5s(&self->a, "runs another program"));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "weakening check failed"));
	EXPECT_NE(NULL, strstr(self->out, "tn_skb_egress"));
}

/*
 * The same root pins another link of the agent's own program in its place:
 * egress attached to an empty cgroup of the attacker's, renamed over the
 * pin, which drops the agent's link. The pin still names the agent's
 * program, but egress no longer runs below trustnode's cgroup.
 */
TEST_F_TIMEOUT(pair, another_link_of_the_same_program_over_a_pin_fails_the_weakening_check, ATTEST_TIMEOUT)
{
	char pin[300], staged[300], cg[300];
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int link_fd, prog_fd, cg_fd, new_fd;

	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	snprintf(pin, sizeof(pin), "%s/links/tn_skb_egress", self->a.n.pin);
	snprintf(staged, sizeof(staged), "%s/links/attacker", self->a.n.pin);
	snprintf(cg, sizeof(cg), "%s/attacker", self->a.n.cgroot);
	memset(&info, 0, sizeof(info));
	link_fd = bpf_obj_get(pin);
	ASSERT_LE(0, link_fd);
	ASSERT_EQ(0, bpf_obj_get_info_by_fd(link_fd, &info, &len));
	close(link_fd);
	prog_fd = bpf_prog_get_fd_by_id(info.prog_id);
	ASSERT_LE(0, prog_fd);
	ASSERT_EQ(0, mkdir(cg, 0755));
	cg_fd = open(cg, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, cg_fd);
	new_fd = bpf_link_create(prog_fd, cg_fd, BPF_CGROUP_INET_EGRESS, NULL);
	ASSERT_LE(0, new_fd);
	ASSERT_EQ(0, bpf_obj_pin(new_fd, staged));
	ASSERT_EQ(0, rename(staged, pin));
	close(new_fd);
	close(cg_fd);
	close(prog_fd);

	EXPECT_TRUE(weakening_within_5s(&self->a, "is another link"));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "weakening check failed"));
	EXPECT_NE(NULL, strstr(self->out, "tn_skb_egress"));
	/* The pinned link holds the cgroup, which can go all the same. */
	EXPECT_EQ(0, rmdir(cg));
}
#endif

TEST_HARNESS_MAIN
