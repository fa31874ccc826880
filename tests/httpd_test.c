// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustnode-httpd, the unprivileged HTTP front of attestation. The test
 * plays trustnoded: it binds the listening socket inside a network
 * namespace of its own, starts the front as nobody with that socket and
 * one end of a socketpair, and answers what the front relays, checking
 * every message. Clients are curl, run inside the namespace, and raw
 * sockets for what curl will not send. Nothing leaves the namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "proto.h"
#include "tnlib.h"

#define PORT		8080
#define URL		"http://127.0.0.1:8080"
#define NONCE		"00112233445566778899AABBCCDDEEFF"	/* 16 bytes */
#define NONCE_LOWER	"00112233445566778899aabbccddeeff"
#define IDENTITY_REPLY	"{\"status\":200,\"body\":{\"identity_key\":\"" NONCE_LOWER NONCE_LOWER "\",\"pcr\":13,\"hash\":\"sha256\"}}"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A TCP socket created inside ns (a socket keeps its namespace). */
static int ns_socket(const char *ns)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd = -1;

	if (self >= 0 && !join_netns(ns)) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (setns(self, CLONE_NEWNET)) {
			close(fd);
			fd = -1;
		}
	}
	if (self >= 0)
		close(self);
	return fd;
}

static struct sockaddr_in server_addr(void)
{
	return (struct sockaddr_in){
		.sin_family = AF_INET,
		.sin_port = htons(PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
}

static int listen_in_ns(const char *ns)
{
	struct sockaddr_in sin = server_addr();
	int fd = ns_socket(ns), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 64)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Namespaces of earlier runs that died before their teardown. */
static void reap_stale_namespaces(void)
{
	DIR *d = opendir("/var/run/netns");
	struct dirent *e;
	int pid;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "tnhttpd%d", &pid) == 1 && pid > 0 &&
		    kill(pid, 0) && errno == ESRCH)
			run_cmd("ip netns del %s 2>/dev/null", e->d_name);
	closedir(d);
}

/* A wait status as an exit code: 0..255, or -1 if killed by a signal. */
static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Waits up to ms for pid; its wait status, or -1 if it is still running. */
static int wait_exit(pid_t pid, int ms)
{
	long long end = now_ms() + ms;
	int st;

	do {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	} while (now_ms() < end);
	return -1;
}

FIXTURE(httpd) {
	char ns[32];
	char log[64];		/* the front's stderr */
	char scratch[64];	/* a file for request bodies */
	int listen_fd;
	int agent;		/* the agent's end of the socketpair */
	pid_t pid;		/* the front */
};

/*
 * Starts the front the way trustnoded does: fork, drop to nobody (unless
 * as_root), exec with the listening socket and one end of a socketpair.
 * extra: more arguments, NULL-terminated (may be NULL).
 */
static pid_t spawn_front(FIXTURE_DATA(httpd) *self, int as_root,
			 const char *const *extra, int *agent)
{
	char path[256], lfd[16], afd[16];
	const char *argv[24] = { "trustnode-httpd", "--listen-fd", lfd,
				 "--agent-fd", afd, "--timeout", "1" };
	struct passwd *pw = getpwnam("nobody");
	int sv[2], bin, logfd, n = 7;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/trustnode-httpd", tn_build());
	/* Opened as root: nobody need not reach the build directory. */
	bin = open(path, O_RDONLY | O_CLOEXEC);
	logfd = open(self->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (!pw || bin < 0 || logfd < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	snprintf(lfd, sizeof(lfd), "%d", self->listen_fd);
	snprintf(afd, sizeof(afd), "%d", sv[1]);
	for (; extra && *extra && n < 22; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		if (dup2(logfd, 2) < 0 ||
		    fcntl(self->listen_fd, F_SETFD, 0) || fcntl(sv[1], F_SETFD, 0))
			_exit(126);
		if (!as_root && (setgroups(0, NULL) || setgid(pw->pw_gid) ||
				 setuid(pw->pw_uid)))
			_exit(126);
		fexecve(bin, (char **)argv, environ);
		_exit(127);
	}
	close(sv[1]);
	close(bin);
	close(logfd);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	*agent = sv[0];
	return pid;
}

/* Whether the front's log has a line containing what, within ms. */
static int log_has(FIXTURE_DATA(httpd) *self, const char *what, int ms)
{
	long long end = now_ms() + ms;
	char buf[65536];

	do {
		FILE *f = fopen(self->log, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		if (strstr(buf, what))
			return 1;
		usleep(20000);
	} while (now_ms() < end);
	return 0;
}

static int start_front(FIXTURE_DATA(httpd) *self, const char *const *extra)
{
	self->pid = spawn_front(self, 0, extra, &self->agent);
	return self->pid > 0 && log_has(self, "serving on 127.0.0.1:8080", 5000) ? 0 : -1;
}

/* Closes the agent's end, which stops the front; its wait status. */
static int stop_front(FIXTURE_DATA(httpd) *self)
{
	int st = 0;

	if (self->agent >= 0)
		close(self->agent);
	self->agent = -1;
	if (self->pid > 0) {
		st = wait_exit(self->pid, 5000);
		if (st == -1) {
			kill(self->pid, SIGKILL);
			waitpid(self->pid, NULL, 0);
		}
	}
	self->pid = -1;
	return st;
}

static void cleanup(FIXTURE_DATA(httpd) *self)
{
	stop_front(self);
	if (self->listen_fd >= 0)
		close(self->listen_fd);
	self->listen_fd = -1;
	run_cmd("ip netns del %s 2>/dev/null", self->ns);
	if (getenv("TN_TEST_VERBOSE"))
		run_cmd("sed 's/^/# front: /' %s >&2", self->log);
	unlink(self->log);
	unlink(self->scratch);
}

FIXTURE_SETUP(httpd)
{
	char id[16];
	int ok;

	self->listen_fd = self->agent = self->pid = -1;
	reap_stale_namespaces();
	/* tnhttpd<pid>_<n>: reap_stale_namespaces() reads the pid. */
	snprintf(self->ns, sizeof(self->ns), "tnhttpd%s", tn_unused_id(id, sizeof(id)));
	snprintf(self->log, sizeof(self->log), "/tmp/%s.log", self->ns);
	snprintf(self->scratch, sizeof(self->scratch), "/tmp/%s.body", self->ns);
	unlink(self->log);
	ok = !run_cmd("ip netns add %s && ip -n %s link set lo up", self->ns, self->ns);
	if (ok)
		self->listen_fd = listen_in_ns(self->ns);
	ok = ok && self->listen_fd >= 0 && !start_front(self, NULL);
	/* A failed setup gets no teardown: clean up before bailing. */
	if (!ok)
		cleanup(self);
	ASSERT_TRUE(ok);
}

FIXTURE_TEARDOWN(httpd)
{
	cleanup(self);
}

/* ---- the agent's side -------------------------------------------------- */

/* The next message the front relayed, or NULL if none came within ms. */
static json_object *agent_recv(FIXTURE_DATA(httpd) *self, int ms)
{
	struct tn_err err;
	json_object *msg;
	char *buf;
	size_t len;

	if (tn_read_message(self->agent, &buf, &len, 1 << 16, ms, &err) || !len)
		return NULL;
	msg = json_tokener_parse(buf);
	free(buf);
	return msg;
}

static int agent_send(FIXTURE_DATA(httpd) *self, const char *line)
{
	size_t len = strlen(line);

	return send(self->agent, line, len, MSG_NOSIGNAL) == (ssize_t)len &&
	       send(self->agent, "\n", 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Nothing was relayed: checked after the response, which comes after any relay. */
static int agent_saw_nothing(FIXTURE_DATA(httpd) *self)
{
	struct pollfd pfd = { .fd = self->agent, .events = POLLIN };

	return poll(&pfd, 1, 0) == 0;
}

/* Whether msg is {"op":op, ...} with exactly members members. */
static int is_op(json_object *msg, const char *op, int members)
{
	return msg && json_object_is_type(msg, json_type_object) &&
	       tn_json_str(msg, "op") && !strcmp(tn_json_str(msg, "op"), op) &&
	       json_object_object_length(msg) == members;
}

/* ---- clients ----------------------------------------------------------- */

/* curl inside the namespace; args are shell words. Prints body, then code. */
static FILE *curl_start(FIXTURE_DATA(httpd) *self, const char *fmt, ...)
{
	char args[4096], cmd[4400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s curl -sS --noproxy '*' --max-time 10 -w '\\n%%{http_code}' %s",
		 self->ns, args);
	return popen(cmd, "r");
}

/* Curl's HTTP status (0 when it got none), the body in body. */
static int curl_finish(FILE *p, char *body, size_t n)
{
	size_t len = 0, r;
	char *nl;

	body[0] = '\0';
	if (!p)
		return -1;
	while (len < n - 1 && (r = fread(body + len, 1, n - 1 - len, p)) > 0)
		len += r;
	pclose(p);
	body[len] = '\0';
	nl = strrchr(body, '\n');
	if (!nl)
		return -1;
	*nl = '\0';
	return atoi(nl + 1);
}

#define CURL(self, body, ...) \
	curl_finish(curl_start(self, __VA_ARGS__), body, sizeof(body))

#define FRESH_REPLY "{\"status\":200,\"body\":{\"fresh\":true}}"

/*
 * GET /v1/identity through the front, which the agent must see as op
 * "identity" and answers with reply: the client's HTTP status (-1 if the
 * agent saw something else), the body in body.
 */
static int identity_round_trip(FIXTURE_DATA(httpd) *self, const char *reply,
			       char *body, size_t len)
{
	FILE *c = curl_start(self, URL "/v1/identity");
	json_object *msg = agent_recv(self, 5000);
	int seen = is_op(msg, "identity", 1), status;

	json_object_put(msg);
	if (agent_send(self, reply))
		seen = 0;
	status = curl_finish(c, body, len);
	return seen ? status : -1;
}

/* The response body as a JSON object, or NULL. */
static json_object *json_body(const char *body)
{
	json_object *o = json_tokener_parse(body);

	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

/* Whether body is {"error":"<a sentence>"} and nothing else. */
static int is_error(const char *body)
{
	json_object *o = json_body(body);
	const char *e = o ? tn_json_str(o, "error") : NULL;
	int ok = e && strlen(e) > 10 && json_object_object_length(o) == 1;

	json_object_put(o);
	return ok;
}

/* Whether body is the JSON object text want. */
static int body_is(const char *body, const char *want)
{
	json_object *a = json_body(body), *b = json_body(want);
	int eq = a && b && json_object_equal(a, b);

	json_object_put(a);
	json_object_put(b);
	return eq;
}

static int raw_connect(FIXTURE_DATA(httpd) *self)
{
	struct sockaddr_in sin = server_addr();
	int fd = ns_socket(self->ns);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads until the server closes (a reset counts) or ms pass; bytes read. */
static size_t raw_read(int fd, char *buf, size_t n, int ms, int *closed)
{
	long long end = now_ms() + ms;
	size_t len = 0;

	*closed = 0;
	while (len < n - 1) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = end - now_ms();
		ssize_t r;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		r = recv(fd, buf + len, n - 1 - len, 0);
		if (r <= 0) {
			*closed = 1;
			break;
		}
		len += r;
	}
	buf[len] = '\0';
	return len;
}

/* A string literal as bytes, NULs included, the terminating one not. */
#define BYTES(s) { s, sizeof(s) - 1 }

static int raw_send(int fd, const char *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* The status of an HTTP response text, 0 if it is not one. */
static int status_of(const char *resp)
{
	int code;

	return sscanf(resp, "HTTP/1.%*d %d", &code) == 1 ? code : 0;
}

/* ---- what the front relays --------------------------------------------- */

TEST_F(httpd, identity_is_relayed_as_op_identity_and_the_agents_body_returned)
{
	char body[8192];
	FILE *c = curl_start(self, URL "/v1/identity");
	json_object *msg = agent_recv(self, 5000);

	EXPECT_TRUE(is_op(msg, "identity", 1)) TH_LOG("relayed: %s", json_object_to_json_string(msg));
	json_object_put(msg);
	ASSERT_EQ(0, agent_send(self, IDENTITY_REPLY));
	EXPECT_EQ(200, curl_finish(c, body, sizeof(body)));
	EXPECT_TRUE(body_is(body, "{\"identity_key\":\"" NONCE_LOWER NONCE_LOWER
			    "\",\"pcr\":13,\"hash\":\"sha256\"}")) TH_LOG("%s", body);
}

TEST_F(httpd, log_relays_since_and_limit_and_refuses_anything_else)
{
	static const char *const bad[] = { "since=-1", "since=x", "limit=0",
					   "limit=100000", "since=1&since=2", "from=3" };
	char body[8192];
	json_object *msg;
	long long since = -1, limit = -1;
	FILE *c;

	c = curl_start(self, "'" URL "/v1/log?since=42&limit=7'");
	msg = agent_recv(self, 5000);
	EXPECT_TRUE(is_op(msg, "log", 3)) TH_LOG("relayed: %s", json_object_to_json_string(msg));
	tn_json_int(msg, "since", &since);
	tn_json_int(msg, "limit", &limit);
	EXPECT_EQ(42, since);
	EXPECT_EQ(7, limit);
	json_object_put(msg);
	ASSERT_EQ(0, agent_send(self, "{\"status\":200,\"body\":{\"records\":[]}}"));
	EXPECT_EQ(200, curl_finish(c, body, sizeof(body)));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(400, CURL(self, body, "'" URL "/v1/log?%s'", bad[i])) TH_LOG("%s", bad[i]);
		EXPECT_TRUE(agent_saw_nothing(self)) TH_LOG("%s", bad[i]);
	}
}

#define CH64	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define CH64U	"00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
#define SIG128	CH64 CH64
#define CREDS	"challenge=" CH64 "&peer=" CH64 "&sig=" SIG128

TEST_F(httpd, log_relays_credentials_in_lowercase_and_challenge_as_its_own_op)
{
	char body[8192];
	json_object *msg;
	long long since = -1, limit = -1;
	FILE *c;

	/* Upper case in, lower case relayed; since and limit defaulted. */
	c = curl_start(self, "'" URL "/v1/log?challenge=" CH64U "&peer=" CH64U "&sig=" CH64U CH64U "'");
	msg = agent_recv(self, 5000);
	EXPECT_TRUE(is_op(msg, "log", 6)) TH_LOG("relayed: %s", json_object_to_json_string(msg));
	tn_json_int(msg, "since", &since);
	tn_json_int(msg, "limit", &limit);
	EXPECT_EQ(0, since);
	EXPECT_EQ(1000, limit);
	EXPECT_STREQ(CH64, tn_json_str(msg, "challenge") ?: "");
	EXPECT_STREQ(CH64, tn_json_str(msg, "peer") ?: "");
	EXPECT_STREQ(SIG128, tn_json_str(msg, "sig") ?: "");
	json_object_put(msg);
	ASSERT_EQ(0, agent_send(self, "{\"status\":401,\"body\":{\"error\":\"no\"}}"));
	EXPECT_EQ(401, curl_finish(c, body, sizeof(body)));

	c = curl_start(self, URL "/v1/log/challenge");
	msg = agent_recv(self, 5000);
	EXPECT_TRUE(is_op(msg, "log-challenge", 1)) TH_LOG("relayed: %s", json_object_to_json_string(msg));
	json_object_put(msg);
	ASSERT_EQ(0, agent_send(self, "{\"status\":200,\"body\":{\"challenge\":\"" CH64 "\",\"expires_in\":30}}"));
	EXPECT_EQ(200, curl_finish(c, body, sizeof(body)));
	EXPECT_EQ(400, CURL(self, body, "'" URL "/v1/log/challenge?since=1'"));
	EXPECT_TRUE(agent_saw_nothing(self));
}

TEST_F(httpd, malformed_log_credentials_are_400_and_never_relayed)
{
	static const char *const bad[] = {
		/* one or two of the three */
		"challenge=" CH64,
		"challenge=" CH64 "&peer=" CH64,
		"peer=" CH64 "&sig=" SIG128,
		"sig=" SIG128,
		/* wrong lengths, not hex, empty, twice */
		"challenge=" CH64 "00&peer=" CH64 "&sig=" SIG128,
		"challenge=0011&peer=" CH64 "&sig=" SIG128,
		"challenge=" CH64 "&peer=" CH64 "ff&sig=" SIG128,
		"challenge=" CH64 "&peer=" CH64 "&sig=" CH64,
		"challenge=" CH64 "&peer=" CH64 "&sig=" SIG128 "00",
		"challenge=zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff&peer=" CH64 "&sig=" SIG128,
		"challenge=" CH64 "&peer=" CH64 "&sig=%41" SIG128,
		"challenge=&peer=" CH64 "&sig=" SIG128,
		"challenge&peer=" CH64 "&sig=" SIG128,
		"challenge=" CH64 "&challenge=" CH64 "&peer=" CH64 "&sig=" SIG128,
		"since=-1&" CREDS,
		"limit=1001&" CREDS,
		CREDS "&key=1",
	};
	char body[8192];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(400, CURL(self, body, "'" URL "/v1/log?%s'", bad[i])) TH_LOG("%s", bad[i]);
		EXPECT_TRUE(is_error(body)) TH_LOG("%s: %s", bad[i], body);
		EXPECT_TRUE(agent_saw_nothing(self)) TH_LOG("%s", bad[i]);
	}
	/* The longest valid request fits the 512-byte target limit. */
	EXPECT_GT(512, (int)strlen("/v1/log?since=4611686018427387904&limit=1000&" CREDS));
}

TEST_F(httpd, quote_relays_exactly_the_nonce_in_lowercase)
{
	const char *reply = "{\"status\":200,\"body\":{\"nonce\":\"" NONCE_LOWER "\",\"attest\":\"ff\"}}";
	char body[8192], longest[129];
	json_object *msg;
	FILE *c;

	c = curl_start(self, "'" URL "/v1/quote?nonce=" NONCE "'");
	msg = agent_recv(self, 5000);
	EXPECT_TRUE(is_op(msg, "quote", 2)) TH_LOG("relayed: %s", json_object_to_json_string(msg));
	EXPECT_STREQ(NONCE_LOWER, tn_json_str(msg, "nonce") ?: "");
	json_object_put(msg);
	ASSERT_EQ(0, agent_send(self, reply));
	EXPECT_EQ(200, curl_finish(c, body, sizeof(body)));
	EXPECT_TRUE(body_is(body, "{\"nonce\":\"" NONCE_LOWER "\",\"attest\":\"ff\"}")) TH_LOG("%s", body);

	/* TN_NONCE_MAX bytes is still a nonce. */
	memset(longest, 'e', 128);
	longest[128] = '\0';
	c = curl_start(self, "'" URL "/v1/quote?nonce=%s'", longest);
	msg = agent_recv(self, 5000);
	EXPECT_STREQ(longest, tn_json_str(msg, "nonce") ?: "");
	json_object_put(msg);
	ASSERT_EQ(0, agent_send(self, reply));
	EXPECT_EQ(200, curl_finish(c, body, sizeof(body)));
}

TEST_F(httpd, enroll_relays_activate_with_both_members_in_lowercase)
{
	char body[8192];
	FILE *c = curl_start(self, "-H 'Content-Type: application/json' --data-binary "
			     "'{\"id_object\":\"00AB\",\"encrypted_secret\":\"C0FFEE\"}' " URL "/v1/enroll");
	json_object *msg = agent_recv(self, 5000);

	EXPECT_TRUE(is_op(msg, "activate", 3)) TH_LOG("relayed: %s", json_object_to_json_string(msg));
	EXPECT_STREQ("00ab", tn_json_str(msg, "id_object") ?: "");
	EXPECT_STREQ("c0ffee", tn_json_str(msg, "encrypted_secret") ?: "");
	json_object_put(msg);
	ASSERT_EQ(0, agent_send(self, "{\"status\":200,\"body\":{\"secret\":\"" NONCE_LOWER "\"}}"));
	EXPECT_EQ(200, curl_finish(c, body, sizeof(body)));
	EXPECT_TRUE(body_is(body, "{\"secret\":\"" NONCE_LOWER "\"}")) TH_LOG("%s", body);
}

TEST_F(httpd, concurrent_requests_reach_the_agent_one_at_a_time)
{
	char body[8192], nonce[3][33], want[128];
	FILE *c[3];

	for (int i = 0; i < 3; i++) {
		snprintf(nonce[i], sizeof(nonce[i]), "%032d", i);
		c[i] = curl_start(self, "'" URL "/v1/quote?nonce=%s'", nonce[i]);
	}
	/* Each answer goes to the client whose nonce it was asked for. */
	for (int i = 0; i < 3; i++) {
		json_object *msg = agent_recv(self, 5000);
		char reply[256];

		ASSERT_TRUE(is_op(msg, "quote", 2));
		usleep(100 * 1000);
		EXPECT_TRUE(agent_saw_nothing(self)) TH_LOG("a second request before the first reply");
		snprintf(reply, sizeof(reply), "{\"status\":200,\"body\":{\"nonce\":\"%s\"}}",
			 tn_json_str(msg, "nonce"));
		json_object_put(msg);
		ASSERT_EQ(0, agent_send(self, reply));
	}
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(200, curl_finish(c[i], body, sizeof(body)));
		snprintf(want, sizeof(want), "{\"nonce\":\"%s\"}", nonce[i]);
		EXPECT_STREQ(want, body);
	}
}

TEST_F(httpd, responses_are_json_and_never_cached)
{
	static const char req[] = "GET /v1/identity HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	char resp[8192];
	int fd = raw_connect(self), closed;
	json_object *msg;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, raw_send(fd, req, sizeof(req) - 1));
	msg = agent_recv(self, 5000);
	EXPECT_TRUE(is_op(msg, "identity", 1));
	json_object_put(msg);
	ASSERT_EQ(0, agent_send(self, IDENTITY_REPLY));
	raw_read(fd, resp, sizeof(resp), 5000, &closed);
	close(fd);
	EXPECT_EQ(200, status_of(resp)) TH_LOG("%s", resp);
	EXPECT_NE(NULL, strcasestr(resp, "\r\nContent-Type: application/json\r\n")) TH_LOG("%s", resp);
	EXPECT_NE(NULL, strcasestr(resp, "\r\nCache-Control: no-store\r\n")) TH_LOG("%s", resp);
	EXPECT_TRUE(strstr(resp, "\r\n\r\n") && json_body(strstr(resp, "\r\n\r\n") + 4));
}

/* ---- what it refuses, without bothering the agent ------------------------ */

TEST_F(httpd, bad_nonces_are_400_and_never_relayed)
{
	static const char *const bad[] = {
		"nonce=0011223344556677889",				/* odd length */
		"nonce=00112233445566778899aabbccddeegg",		/* not hex */
		"nonce=00112233445566778899aabbccddee",		/* 15 bytes */
		"nonce=" NONCE NONCE NONCE NONCE "00",		/* 65 bytes */
		"nonce=",						/* empty */
		"nonce=%3030112233445566778899aabbccddeeff",		/* percent-encoded */
		"nonce=" NONCE "&nonce=" NONCE,			/* twice */
		"",							/* missing */
	};
	char body[8192];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(400, CURL(self, body, "'" URL "/v1/quote?%s'", bad[i])) TH_LOG("%s", bad[i]);
		EXPECT_TRUE(is_error(body)) TH_LOG("%s: %s", bad[i], body);
		EXPECT_TRUE(agent_saw_nothing(self)) TH_LOG("%s was relayed", bad[i]);
	}
	CURL(self, body, "'" URL "/v1/quote?nonce=abc'");
	EXPECT_STREQ("{\"error\":\"nonce is not hex: odd length 3\"}", body);
}

/* A verifier's position in the log: since and at, both well formed, or neither. */
TEST_F(httpd, bad_log_positions_are_400_and_never_relayed)
{
	static const char *const bad[] = {
		"&since=3",						/* at missing */
		"&at=" NONCE NONCE,					/* since missing */
		"&since=-1&at=" NONCE NONCE,				/* not a count */
		"&since=3x&at=" NONCE NONCE,
		"&since=99999999999999999999&at=" NONCE NONCE,		/* too large */
		"&since=3&at=" NONCE,					/* 16 bytes */
		"&since=3&at=" NONCE NONCE "00",			/* 33 bytes */
		"&since=3&at=" NONCE "zz" NONCE,			/* not hex */
		"&since=3&since=4&at=" NONCE NONCE,			/* twice */
	};
	char body[8192];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(400, CURL(self, body, "'" URL "/v1/quote?nonce=" NONCE "%s'", bad[i]))
			TH_LOG("%s", bad[i]);
		EXPECT_TRUE(is_error(body)) TH_LOG("%s: %s", bad[i], body);
		EXPECT_TRUE(agent_saw_nothing(self)) TH_LOG("%s was relayed", bad[i]);
	}
}

TEST_F(httpd, query_parameters_other_than_nonce_are_400)
{
	char body[8192];

	EXPECT_EQ(400, CURL(self, body, "'" URL "/v1/quote?nonce=" NONCE "&extra=1'"));
	EXPECT_TRUE(is_error(body)) TH_LOG("%s", body);
	EXPECT_EQ(400, CURL(self, body, "'" URL "/v1/quote?extra=1&nonce=" NONCE "'"));
	EXPECT_EQ(400, CURL(self, body, "'" URL "/v1/identity?verbose=1'"));
	EXPECT_TRUE(is_error(body)) TH_LOG("%s", body);
	EXPECT_TRUE(agent_saw_nothing(self));
}

TEST_F(httpd, unknown_paths_are_404)
{
	static const char *const paths[] = { "/", "/v1", "/v1/identity/", "/v1/Identity",
					     "/v1/%69dentity", "/v2/identity", "/v1/logs" };
	char body[8192];

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		EXPECT_EQ(404, CURL(self, body, "'" URL "%s'", paths[i])) TH_LOG("%s", paths[i]);
		EXPECT_TRUE(is_error(body)) TH_LOG("%s: %s", paths[i], body);
	}
	EXPECT_TRUE(agent_saw_nothing(self));
}

TEST_F(httpd, wrong_methods_are_405_with_an_allow_header)
{
	static const struct { const char *req, *allow; } cases[] = {
		{ "POST /v1/quote?nonce=" NONCE " HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n", "GET" },
		{ "GET /v1/enroll HTTP/1.1\r\nHost: t\r\n", "POST" },
		{ "DELETE /v1/identity HTTP/1.1\r\nHost: t\r\n", "GET" },
		{ "HEAD /v1/identity HTTP/1.1\r\nHost: t\r\n", "GET" },
	};
	char resp[8192], req[512], allow[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int fd = raw_connect(self), closed;

		ASSERT_LE(0, fd);
		snprintf(req, sizeof(req), "%sConnection: close\r\n\r\n", cases[i].req);
		ASSERT_EQ(0, raw_send(fd, req, strlen(req)));
		raw_read(fd, resp, sizeof(resp), 5000, &closed);
		close(fd);
		snprintf(allow, sizeof(allow), "\r\nAllow: %s\r\n", cases[i].allow);
		EXPECT_EQ(405, status_of(resp)) TH_LOG("%s", resp);
		EXPECT_NE(NULL, strcasestr(resp, allow)) TH_LOG("%s", resp);
		/* HEAD gets no body, by HTTP. */
		if (strncmp(cases[i].req, "HEAD", 4))
			EXPECT_TRUE(strstr(resp, "\r\n\r\n") && is_error(strstr(resp, "\r\n\r\n") + 4))
				TH_LOG("%s", resp);
	}
	EXPECT_TRUE(agent_saw_nothing(self));
}

TEST_F(httpd, bad_enrolment_bodies_are_refused_and_never_relayed)
{
	static const struct { const char *type, *body; int status; } cases[] = {
		{ "application/json", "not json", 400 },
		{ "application/json", "[\"00\",\"11\"]", 400 },
		{ "application/json", "{\"id_object\":\"00\"}", 400 },
		{ "application/json", "{\"id_object\":\"00\",\"encrypted_secret\":\"11\",\"x\":1}", 400 },
		{ "application/json", "{\"id_object\":\"0g\",\"encrypted_secret\":\"11\"}", 400 },
		{ "application/json", "{\"id_object\":\"\",\"encrypted_secret\":\"11\"}", 400 },
		{ "application/json", "{\"id_object\":7,\"encrypted_secret\":\"11\"}", 400 },
		{ "application/json", "{\"id_object\":{\"a\":\"00\"},\"encrypted_secret\":\"11\"}", 400 },
		{ "application/json", "{\"id_object\":\"00\",\"encrypted_secret\":\"11\"} {}", 400 },
		{ "text/plain", "{\"id_object\":\"00\",\"encrypted_secret\":\"11\"}", 415 },
	};
	char body[8192], big[700];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		EXPECT_EQ(cases[i].status,
			  CURL(self, body, "-H 'Content-Type: %s' --data-binary '%s' " URL "/v1/enroll",
			       cases[i].type, cases[i].body)) TH_LOG("%s", cases[i].body);
		EXPECT_TRUE(is_error(body)) TH_LOG("%s: %s", cases[i].body, body);
	}
	/* id_object holds at most 256 bytes. */
	memset(big, 'a', 514);
	big[514] = '\0';
	EXPECT_EQ(400, CURL(self, body, "-H 'Content-Type: application/json' --data-binary "
			    "'{\"id_object\":\"%s\",\"encrypted_secret\":\"11\"}' " URL "/v1/enroll", big));
	EXPECT_STREQ("{\"error\":\"id_object is too long: 257 bytes, at most 256\"}", body);
	EXPECT_TRUE(agent_saw_nothing(self));
}

TEST_F(httpd, an_oversized_body_is_413_without_being_read_or_relayed)
{
	static const char head[] = "POST /v1/enroll HTTP/1.1\r\nHost: t\r\n"
		"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n";
	char resp[8192], body[8192];
	int fd = raw_connect(self), closed;
	FILE *f;

	/* The head alone: the answer must not wait for the body. */
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, raw_send(fd, head, sizeof(head) - 1));
	raw_read(fd, resp, sizeof(resp), 3000, &closed);
	close(fd);
	EXPECT_EQ(413, status_of(resp)) TH_LOG("%s", resp);
	EXPECT_TRUE(closed);

	/* And from curl, with the body sent. */
	f = fopen(self->scratch, "w");
	ASSERT_NE(NULL, f);
	fputs("{\"id_object\":\"", f);
	for (int i = 0; i < 9000; i++)
		fputc('a', f);
	fputs("\",\"encrypted_secret\":\"11\"}", f);
	fclose(f);
	EXPECT_EQ(413, CURL(self, body, "-H 'Content-Type: application/json' --data-binary @%s "
			    URL "/v1/enroll", self->scratch));
	EXPECT_TRUE(is_error(body)) TH_LOG("%s", body);
	EXPECT_TRUE(agent_saw_nothing(self));
}

TEST_F(httpd, a_body_must_be_announced_and_only_where_one_is_taken)
{
	static const struct { const char *req; int status; } cases[] = {
		{ "GET /v1/identity HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}", 400 },
		{ "GET /v1/identity HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
		{ "POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 411 },
		{ "POST /v1/enroll HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\r\n", 411 },
	};
	char resp[8192];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int fd = raw_connect(self), closed;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, raw_send(fd, cases[i].req, strlen(cases[i].req)));
		raw_read(fd, resp, sizeof(resp), 3000, &closed);
		close(fd);
		EXPECT_EQ(cases[i].status, status_of(resp)) TH_LOG("%s", resp);
		EXPECT_TRUE(strstr(resp, "\r\n\r\n") && is_error(strstr(resp, "\r\n\r\n") + 4))
			TH_LOG("%s", resp);
	}
	EXPECT_TRUE(agent_saw_nothing(self));
}

TEST_F(httpd, an_overlong_target_is_414)
{
	char body[8192], nonce[601];

	memset(nonce, 'a', 600);
	nonce[600] = '\0';
	EXPECT_EQ(414, CURL(self, body, "'" URL "/v1/quote?nonce=%s'", nonce));
	EXPECT_TRUE(is_error(body)) TH_LOG("%s", body);
	EXPECT_TRUE(agent_saw_nothing(self));
}

TEST_F(httpd, garbage_gets_a_4xx_or_a_closed_connection_and_the_server_goes_on)
{
	static const struct { const char *bytes; size_t len; } garbage[] = {
		BYTES("\x00\xff\xfe\x01\x80garbage\r\n\r\n"),
		BYTES("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),	/* a TLS hello */
		BYTES("GET\r\n\r\n"),
		BYTES("GET /v1/identity HTTP/1.1\r\nHost: t\r\nbad header line\r\n\r\n"),
		BYTES("GET /v1/identity HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n"),
		BYTES("\r\n\r\n\r\n\r\n"),
	};
	static const char v7[] = "GET /v1/identity HTTP/7.0\r\n\r\n";
	char resp[8192], body[8192];
	int fds[ARRAY_SIZE(garbage)], fd, closed, status;

	/* All at once: some wait for the rest of a line until the timeout. */
	for (size_t i = 0; i < ARRAY_SIZE(garbage); i++) {
		fds[i] = raw_connect(self);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, raw_send(fds[i], garbage[i].bytes, garbage[i].len));
	}
	for (size_t i = 0; i < ARRAY_SIZE(garbage); i++) {
		raw_read(fds[i], resp, sizeof(resp), 3000, &closed);
		close(fds[i]);
		status = status_of(resp);
		EXPECT_TRUE((status >= 400 && status < 500) || (!resp[0] && closed))
			TH_LOG("garbage %zu: closed %d, got: %s", i, closed, resp);
	}
	/* Not garbage, but not a version the server speaks. */
	fd = raw_connect(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, raw_send(fd, v7, strlen(v7)));
	raw_read(fd, resp, sizeof(resp), 3000, &closed);
	close(fd);
	EXPECT_EQ(505, status_of(resp)) TH_LOG("%s", resp);
	EXPECT_TRUE(agent_saw_nothing(self));

	EXPECT_EQ(200, identity_round_trip(self, IDENTITY_REPLY, body, sizeof(body)));
}

TEST_F(httpd, a_slow_client_is_dropped_after_the_timeout_while_others_are_served)
{
	char resp[256], body[8192];
	int slow = raw_connect(self), closed;
	long long start;

	/* Half a request line, then nothing (--timeout 1). */
	ASSERT_LE(0, slow);
	start = now_ms();
	ASSERT_EQ(0, raw_send(slow, "GET /v1/iden", 12));

	EXPECT_EQ(200, identity_round_trip(self, IDENTITY_REPLY, body, sizeof(body)));
	EXPECT_GT(900, now_ms() - start) TH_LOG("the good request took until the slow one's timeout");

	raw_read(slow, resp, sizeof(resp), 5000, &closed);
	close(slow);
	EXPECT_TRUE(closed);
	EXPECT_LE(900, now_ms() - start);
	EXPECT_GE(4000, now_ms() - start);
	EXPECT_TRUE(log_has(self, "- - - from 127.0.0.1:", 2000));
}

/* ---- what the agent answers --------------------------------------------- */

TEST_F(httpd, a_malformed_agent_reply_is_502_and_the_next_request_still_works)
{
	static const char *const replies[] = {
		"garbage",
		"{\"status\":700,\"body\":{}}",
		"{\"status\":199,\"body\":{}}",
		"{\"status\":\"200\",\"body\":{}}",
		"{\"status\":200,\"body\":[]}",
		"{\"status\":200}",
		"{\"status\":200,\"body\":{}} trailing",
	};
	char body[8192];
	json_object *msg;
	FILE *c;

	for (size_t i = 0; i < ARRAY_SIZE(replies); i++) {
		c = curl_start(self, URL "/v1/identity");
		msg = agent_recv(self, 5000);
		EXPECT_TRUE(is_op(msg, "identity", 1));
		json_object_put(msg);
		ASSERT_EQ(0, agent_send(self, replies[i]));
		EXPECT_EQ(502, curl_finish(c, body, sizeof(body))) TH_LOG("%s", replies[i]);
		EXPECT_TRUE(is_error(body)) TH_LOG("%s: %s", replies[i], body);
	}

	/* An agent error status passes through with its body. */
	c = curl_start(self, URL "/v1/identity");
	json_object_put(agent_recv(self, 5000));
	ASSERT_EQ(0, agent_send(self, "{\"status\":503,\"body\":{\"error\":\"the TPM is busy\"}}"));
	EXPECT_EQ(503, curl_finish(c, body, sizeof(body)));
	EXPECT_STREQ("{\"error\":\"the TPM is busy\"}", body);
}

TEST_F(httpd, a_late_agent_is_504_and_its_late_reply_reaches_nobody)
{
	static const char *const fast[] = { "--agent-timeout", "1", NULL };
	char body[8192];
	json_object *msg;
	FILE *c;

	ASSERT_EQ(0, WEXITSTATUS(stop_front(self)));
	ASSERT_EQ(0, start_front(self, fast));

	c = curl_start(self, "'" URL "/v1/quote?nonce=" NONCE "'");
	msg = agent_recv(self, 5000);
	EXPECT_TRUE(is_op(msg, "quote", 2));
	json_object_put(msg);
	EXPECT_EQ(504, curl_finish(c, body, sizeof(body)));
	EXPECT_TRUE(is_error(body)) TH_LOG("%s", body);

	/* The reply to the quote arrives after all: it must not answer this. */
	ASSERT_EQ(0, agent_send(self, "{\"status\":200,\"body\":{\"late\":true}}"));
	EXPECT_EQ(200, identity_round_trip(self, FRESH_REPLY, body, sizeof(body)));
	EXPECT_STREQ("{\"fresh\":true}", body);
}

TEST_F(httpd, an_agent_reply_over_1_mib_is_502_and_stops_the_front)
{
	size_t n = 1100 * 1024;
	char body[8192], *huge = malloc(n + 64);
	FILE *c = curl_start(self, URL "/v1/identity");
	int st;

	ASSERT_NE(NULL, huge);
	json_object_put(agent_recv(self, 5000));
	/* Where the next reply would start is unknown: the front gives up. */
	strcpy(huge, "{\"status\":200,\"body\":{\"x\":\"");
	memset(huge + strlen(huge), 'a', n);
	strcpy(huge + n, "\"}}");
	agent_send(self, huge);
	free(huge);
	EXPECT_EQ(502, curl_finish(c, body, sizeof(body)));
	EXPECT_TRUE(is_error(body)) TH_LOG("%s", body);
	st = wait_exit(self->pid, 5000);
	ASSERT_NE(-1, st);
	self->pid = -1;
	EXPECT_EQ(0, WEXITSTATUS(st));
}

TEST_F(httpd, a_line_the_agent_sends_unasked_answers_nobody)
{
	char body[8192];

	ASSERT_EQ(0, agent_send(self, "{\"status\":200,\"body\":{\"unasked\":true}}"));
	usleep(100 * 1000);
	EXPECT_EQ(200, identity_round_trip(self, FRESH_REPLY, body, sizeof(body)));
	EXPECT_STREQ("{\"fresh\":true}", body);
}

/* ---- the process ---------------------------------------------------------- */

TEST_F(httpd, the_front_runs_as_nobody_without_privileges)
{
	struct passwd *pw = getpwnam("nobody");
	char path[64], buf[4096], want[128];
	size_t n;
	FILE *f;

	ASSERT_NE(NULL, pw);
	snprintf(path, sizeof(path), "/proc/%d/status", self->pid);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "\nUid:\t%u\t%u\t%u\t%u\n",
		 pw->pw_uid, pw->pw_uid, pw->pw_uid, pw->pw_uid);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "\nNoNewPrivs:\t1\n")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "\nCapEff:\t0000000000000000\n")) TH_LOG("%s", buf);
}

TEST_F(httpd, running_as_root_is_refused)
{
	int agent, st;
	pid_t pid = spawn_front(self, 1, NULL, &agent);

	ASSERT_LT(0, pid);
	st = wait_exit(pid, 5000);
	close(agent);
	ASSERT_NE(-1, st);
	EXPECT_EQ(1, exit_code(st));
	EXPECT_TRUE(log_has(self, "trustnode-httpd must not run as root: request parsing runs unprivileged", 0));
}

TEST_F(httpd, each_request_is_logged_with_method_path_status_and_peer)
{
	char body[8192];
	FILE *c = curl_start(self, "'" URL "/v1/quote?nonce=" NONCE "'");

	json_object_put(agent_recv(self, 5000));
	ASSERT_EQ(0, agent_send(self, "{\"status\":200,\"body\":{}}"));
	EXPECT_EQ(200, curl_finish(c, body, sizeof(body)));
	CURL(self, body, URL "/nope");
	EXPECT_TRUE(log_has(self, "trustnode-httpd: GET /v1/quote 200 from 127.0.0.1:", 2000));
	EXPECT_TRUE(log_has(self, "trustnode-httpd: GET /nope 404 from 127.0.0.1:", 2000));
	/* The log names paths, not queries. */
	EXPECT_FALSE(log_has(self, NONCE, 0));
}

TEST_F(httpd, the_front_exits_when_the_agent_closes_its_end)
{
	int st = stop_front(self);

	ASSERT_NE(-1, st);
	EXPECT_EQ(0, exit_code(st));
	EXPECT_TRUE(log_has(self, "stopping: the agent closed its end", 0));
}

TEST_F(httpd, an_agent_gone_mid_request_is_503_and_stops_the_front)
{
	char body[8192];
	FILE *c = curl_start(self, URL "/v1/identity");
	int st;

	json_object_put(agent_recv(self, 5000));
	close(self->agent);
	self->agent = -1;
	EXPECT_EQ(503, curl_finish(c, body, sizeof(body)));
	EXPECT_TRUE(is_error(body)) TH_LOG("%s", body);
	st = wait_exit(self->pid, 5000);
	ASSERT_NE(-1, st);
	self->pid = -1;
	EXPECT_EQ(0, exit_code(st));
}

TEST_F(httpd, sigterm_stops_the_front)
{
	int st;

	ASSERT_EQ(0, kill(self->pid, SIGTERM));
	st = wait_exit(self->pid, 5000);
	ASSERT_NE(-1, st);
	self->pid = -1;
	EXPECT_EQ(0, exit_code(st));
	EXPECT_TRUE(log_has(self, "stopping: SIGTERM", 0));
}

TEST(help_documents_the_command_line)
{
	char out[4096];

	EXPECT_EQ(0, capture(out, sizeof(out), "%s/trustnode-httpd --help", tn_build()));
	EXPECT_NE(NULL, strstr(out, "--listen-fd N --agent-fd M [--timeout S]"));
	EXPECT_NE(NULL, strstr(out, "Exit status"));
	EXPECT_EQ(2, run_cmd("%s/trustnode-httpd --bogus 2>/dev/null", tn_build()));
}

TEST_HARNESS_MAIN
