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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <sodium.h>
#include "kselftest_harness.h"
#include "attnode.h"
#include "hex.h"
#include "log_auth.h"

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

	snprintf(id, sizeof(id), "%d", getpid() % 100000);
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
	char policy[400];

	snprintf(policy, sizeof(policy), "%s/other.conf", self->a.n.tmp);
	ASSERT_EQ(0, run_cmd("sed 's/198.51.100.0\\/24/203.0.113.0\\/24/' %s > %s",
			     self->a.n.policy, policy));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "policy load %s", policy));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "policy check failed"));
	EXPECT_NE(NULL, strstr(self->out, "not in the accepted set"));
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
	ASSERT_EQ(0, save_quote(&self->b, &self->a, NONCE1, self->file));
	ASSERT_EQ(0, edit_response(self->file, flip_signature));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, self->file));
	EXPECT_NE(NULL, strstr(self->out, "signature check failed"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, a_tampered_event_log_fails_the_event_log_check, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, save_quote(&self->b, &self->a, NONCE1, self->file));
	ASSERT_EQ(0, edit_response(self->file, flip_log_digest));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, self->file));
	EXPECT_NE(NULL, strstr(self->out, "event-log check failed"));
}
#endif

#ifndef ATTEST_GUEST_SUBSET
TEST_F_TIMEOUT(pair, a_swapped_identity_key_fails_the_identity_check, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, save_quote(&self->b, &self->a, NONCE1, self->file));
	ASSERT_EQ(0, edit_response(self->file, swap_identity));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out),
			      "attest node-a --response %s --nonce " NONCE1, self->file));
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
	char status[8192];

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

TEST_HARNESS_MAIN
