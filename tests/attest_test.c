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
#include "tnlib.h"

#define ADDR_A "192.0.2.1"
#define ADDR_B "192.0.2.2"
#define PORT "8443"
#define CA_DIR "/var/lib/swtpm-localca"

struct att_node {
	struct tn_node n;
	char ns[32];
	char tpm_dir[200];
	char tcti[240];
	char listen[32];
	char url[64];
	char vstate[200];	/* trustctl's state dir as a verifier */
};

/* Manufactures (optionally with EK certificates) and starts a swtpm. */
static int tpm_start(struct att_node *a, int with_cert)
{
	if (with_cert && getenv("TN_ATTEST_TCTI_A")) {
		snprintf(a->tcti, sizeof(a->tcti), "%s", getenv("TN_ATTEST_TCTI_A"));
		return 0;
	}
	if (run_cmd("mkdir -p %s", a->tpm_dir))
		return -1;
	if (with_cert &&
	    run_cmd("swtpm_setup --tpm2 --tpmstate %s --create-ek-cert --create-platform-cert --lock-nvram >%s/setup.log 2>&1",
		    a->tpm_dir, a->tpm_dir))
		return -1;
	snprintf(a->tcti, sizeof(a->tcti), "swtpm:path=%s/sock", a->tpm_dir);
	return run_cmd("swtpm socket --tpm2 --tpmstate dir=%s --server type=unixio,path=%s/sock "
		       "--ctrl type=unixio,path=%s/sock.ctrl --flags startup-clear "
		       "--pid file=%s/pid --daemon", a->tpm_dir, a->tpm_dir,
		       a->tpm_dir, a->tpm_dir);
}

static void tpm_stop(struct att_node *a)
{
	run_cmd("test -f %s/pid && kill $(cat %s/pid) 2>/dev/null; true",
		a->tpm_dir, a->tpm_dir);
}

/* Node a, its agent in network namespace a->ns serving on addr. */
static int node_up(struct att_node *a, const char *addr, int with_cert)
{
	if (node_create_stopped(&a->n, "enforce"))
		return -1;
	snprintf(a->tpm_dir, sizeof(a->tpm_dir), "%s/tpm", a->n.tmp);
	snprintf(a->vstate, sizeof(a->vstate), "%s/verifier", a->n.tmp);
	snprintf(a->listen, sizeof(a->listen), "%s:" PORT, addr);
	snprintf(a->url, sizeof(a->url), "http://%s:" PORT, addr);
	if (tpm_start(a, with_cert))
		return -1;
	a->n.tcti = a->tcti;
	if (with_cert)
		a->n.state = getenv("TN_ATTEST_STATE_A");
	a->n.listen = a->listen;
	a->n.agent_netns = a->ns;
	return node_start_agent(&a->n);
}

/*
 * Runs trustctl as verifier node v (its namespace, its state dir); output in
 * out. Returns the exit code.
 */
static int verifier(struct att_node *v, char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int verifier(struct att_node *v, char *out, size_t len, const char *fmt, ...)
{
	char args[1024], cmd[2048];
	va_list ap;
	FILE *p;
	size_t n = 0;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "ip netns exec %s %s/trustctl --state-dir %s %s 2>&1",
		 v->ns, tn_build(), v->vstate, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && len) {
		n = fread(out, 1, len - 1, p);
		out[n] = '\0';
	} else {
		char sink[4096];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
	}
	st = pclose(p);
	if (out)
		fprintf(stderr, "# trustctl %s -> %d\n%s", args,
			WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

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

FIXTURE_SETUP(pair)
{
	char id[16];

	snprintf(id, sizeof(id), "%d", getpid() % 100000);
	ASSERT_EQ(0, run_cmd("ip netns add tnatA%s && ip netns add tnatB%s && "
			     "ip link add tnatA%s type veth peer name tnatB%s && "
			     "ip link set tnatA%s netns tnatA%s && ip link set tnatB%s netns tnatB%s && "
			     "ip -n tnatA%s link set lo up && ip -n tnatB%s link set lo up && "
			     "ip -n tnatA%s addr add " ADDR_A "/24 dev tnatA%s && "
			     "ip -n tnatB%s addr add " ADDR_B "/24 dev tnatB%s && "
			     "ip -n tnatA%s link set tnatA%s up && ip -n tnatB%s link set tnatB%s up",
			     id, id, id, id, id, id, id, id, id, id, id, id, id, id, id, id, id, id));
	snprintf(self->a.ns, sizeof(self->a.ns), "tnatA%s", id);
	snprintf(self->b.ns, sizeof(self->b.ns), "tnatB%s", id);
	ASSERT_EQ(0, node_up(&self->a, ADDR_A, 1));
	ASSERT_EQ(0, node_up(&self->b, ADDR_B, 0));
	snprintf(self->file, sizeof(self->file), "%s/quote.json", self->b.n.tmp);
	/* B enrols A, checking A's EK certificate against swtpm's local CA. */
	if (verifier(&self->b, self->out, sizeof(self->out),
		     "peer enroll %s --name node-a --ca " CA_DIR "/swtpm-localca-rootca-cert.pem --ca " CA_DIR "/issuercert.pem",
		     self->a.url)) {
		run_cmd("echo '# node A agent log:'; sed 's/^/#   /' %s/agent.log >&2", self->a.n.tmp);
		ASSERT_TRUE(0);
	}
}

FIXTURE_TEARDOWN(pair)
{
	node_destroy(&self->a.n);
	node_destroy(&self->b.n);
	tpm_stop(&self->a);
	tpm_stop(&self->b);
	run_cmd("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; true",
		self->a.ns, self->b.ns);
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

TEST_F_TIMEOUT(pair, a_changed_policy_fails_the_policy_check, ATTEST_TIMEOUT)
{
	char policy[400];

	snprintf(policy, sizeof(policy), "%s/other.conf", self->a.n.tmp);
	ASSERT_EQ(0, run_cmd("sed 's/198.51.100.0\\/24/198.51.0.0\\/16/' %s > %s",
			     self->a.n.policy, policy));
	ASSERT_EQ(0, ctl(&self->a.n, NULL, 0, "policy load %s", policy));
	EXPECT_EQ(1, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
	EXPECT_NE(NULL, strstr(self->out, "policy check failed"));
	EXPECT_NE(NULL, strstr(self->out, "not in the accepted set"));
}

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

TEST_F_TIMEOUT(pair, a_restarted_agent_continues_its_log_and_still_attests, ATTEST_TIMEOUT)
{
	node_kill_agent(&self->a.n);
	ASSERT_EQ(0, node_start_agent(&self->a.n));
	EXPECT_EQ(0, verifier(&self->b, self->out, sizeof(self->out), "attest node-a"));
}

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
