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
#include <unistd.h>
#include <json-c/json.h>
#include "kselftest_harness.h"
#include "attnode.h"

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
	/* A's policy load is a record; a checkpoint now puts it in the PCR. */
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out),
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
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "workload add late %s", self->a.n.other_cg));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "peer log node-a"));
	/* A keeps only what precedes its first checkpoint, then goes on. */
	node_kill_agent(&self->a.n);
	ASSERT_EQ(0, run_cmd("f=$(ls %s/audit/audit-*.jsonl | tail -1); "
			     "n=$(grep -n '\"type\":\"checkpoint\"' $f | head -1 | cut -d: -f1); "
			     "head -n $n $f > $f.cut && mv $f.cut $f", state));
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "peer log node-a"));
	EXPECT_NE(NULL, strstr(self->out, "does not verify"));
}

TEST_F_TIMEOUT(pair, a_log_deleted_and_restarted_fails_at_the_peer, ATTEST_TIMEOUT)
{
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	ASSERT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "peer log node-a"));
	node_kill_agent(&self->a.n);
	ASSERT_EQ(0, run_cmd("rm -rf %s/state/audit", self->a.n.tmp));
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "log checkpoint"));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "peer log node-a"));
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
