// SPDX-License-Identifier: GPL-2.0-only
/*
 * The privileged half of the attestation service: it starts
 * trustnode-httpd as an unprivileged user and answers the requests the
 * front relays. The front already validated them; this side validates again
 * because the front is the process exposed to the network.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <tss2/tss2_mu.h>
#include "addr.h"
#include "agent.h"
#include "attest.h"
#include "hex.h"
#include "policy_canon.h"
#include "proto.h"
#include "tpm.h"
#include "trustnode/attest_api.h"

#define HTTPD_NAME "trustnode-httpd"
#define TN_HTTPD_LIBEXEC "/usr/libexec/trustnode/" HTTPD_NAME

static int bind_listen(const char *spec, struct tn_err *err)
{
	struct tn_endpoint ep;
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, one = 1, bound;

	if (tn_parse_endpoint(spec, &ep, err))
		return -1;
	if (ep.family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(ep.port);
		memcpy(&s4->sin_addr, ep.addr, 4);
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(ep.port);
		memcpy(&s6->sin6_addr, ep.addr, 16);
		len = sizeof(*s6);
	}
	fd = socket(ep.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tn_fail_errno(err, errno, "attestation service: socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A front of the previous agent may still be exiting: give it 3 s. */
	for (int tries = 0; (bound = bind(fd, (struct sockaddr *)&ss, len)) &&
	     errno == EADDRINUSE && tries < 30; tries++)
		usleep(100 * 1000);
	if (bound || listen(fd, 64)) {
		int e = errno;

		close(fd);
		return tn_fail_errno(err, e, "attestation service: cannot listen on %s", spec);
	}
	return fd;
}

static void httpd_path(struct agent *a, char *out, size_t n)
{
	char exe[PATH_MAX - 32];
	ssize_t len;

	if (a->att->opt.httpd_path) {
		snprintf(out, n, "%s", a->att->opt.httpd_path);
		return;
	}
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = '\0';
	if (strrchr(exe, '/'))
		*strrchr(exe, '/') = '\0';
	snprintf(out, n, "%s/" HTTPD_NAME, exe);
	/* Installed by the package: trustnoded in /usr/sbin, the front in libexec. */
	if (access(out, X_OK) && !access(TN_HTTPD_LIBEXEC, X_OK))
		snprintf(out, n, "%s", TN_HTTPD_LIBEXEC);
}

/* In the child: descriptors 3 and 4, no privileges, then exec the front. */
static void exec_httpd(const char *path, const struct passwd *pw, int lfd,
		       int afd)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* Move both out of the way first: either may already be 3 or 4. */
	lfd = fcntl(lfd, F_DUPFD, 10);
	afd = fcntl(afd, F_DUPFD, 10);
	if (lfd < 0 || afd < 0 || dup2(lfd, 3) < 0 || dup2(afd, 4) < 0)
		_exit(126);
	close_range(5, ~0U, 0);
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid) ||
	    getuid() == 0 || geteuid() == 0) {
		fprintf(stderr, "trustnoded: cannot drop to user %s for " HTTPD_NAME "\n",
			pw->pw_name);
		_exit(126);
	}
	execl(path, HTTPD_NAME, "--listen-fd", "3", "--agent-fd", "4", (char *)NULL);
	fprintf(stderr, "trustnoded: cannot run %s: %s\n", path, strerror(errno));
	_exit(127);
}

/* A request from the front (its socketpair is readable). */
static void serve_handle(struct agent *a);

static int spawn_httpd(struct agent *a, struct tn_err *err)
{
	struct attest *t = a->att;
	struct passwd *pw = getpwnam(t->opt.httpd_user);
	char path[PATH_MAX];
	int sv[2];
	pid_t pid;

	if (!pw || pw->pw_uid == 0)
		return tn_fail(err, "attestation service: user \"%s\" %s; request parsing never runs as root",
			       t->opt.httpd_user, pw ? "is root" : "does not exist");
	httpd_path(a, path, sizeof(path));
	if (access(path, X_OK))
		return tn_fail_errno(err, errno, "attestation service: %s", path);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return tn_fail_errno(err, errno, "attestation service: socketpair");
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return tn_fail_errno(err, errno, "attestation service: fork");
	}
	if (pid == 0)
		exec_httpd(path, pw, t->listen_fd, sv[1]);
	close(sv[1]);
	t->httpd_fd = sv[0];
	t->httpd_pid = pid;
	t->httpd_gen++;
	agent_watch(a, &t->httpd_src, t->httpd_fd, serve_handle);
	fprintf(stderr, "trustnoded: attestation service on %s (" HTTPD_NAME " pid %d as %s)\n",
		t->opt.listen, pid, t->opt.httpd_user);
	return 0;
}

int serve_start(struct agent *a, struct tn_err *err)
{
	a->att->listen_fd = bind_listen(a->att->opt.listen, err);
	if (a->att->listen_fd < 0 || log_serve_start(a, err))
		return -1;
	return spawn_httpd(a, err);
}

static void reap_httpd(struct agent *a)
{
	struct attest *t = a->att;
	int status;

	if (t->httpd_fd >= 0) {
		agent_unwatch(a, &t->httpd_src);
		close(t->httpd_fd);
		t->httpd_fd = -1;
	}
	if (t->httpd_pid > 0) {
		kill(t->httpd_pid, SIGTERM);
		waitpid(t->httpd_pid, &status, 0);
		t->httpd_pid = 0;
	}
}

void serve_stop(struct agent *a)
{
	reap_httpd(a);
	log_serve_stop(a);
	if (a->att->listen_fd >= 0)
		close(a->att->listen_fd);
	a->att->listen_fd = -1;
}

void serve_tick(struct agent *a)
{
	struct tn_err e;

	log_serve_tick(a);
	if (!a->att || a->att->listen_fd < 0 || a->att->httpd_pid > 0)
		return;
	if (spawn_httpd(a, &e))
		fprintf(stderr, "trustnoded: restarting " HTTPD_NAME ": %s\n", e.msg);
}

static json_object *error_body(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static json_object *error_body(const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, fmt);
	json_object_object_add(o, "error", tn_json_vstringf(fmt, ap));
	va_end(ap);
	return o;
}

static void add_hex(json_object *o, const char *key, const uint8_t *b, size_t n)
{
	char *hex = tn_hex_dup(b, n);

	json_object_object_add(o, key, hex ? json_object_new_string(hex) : NULL);
	free(hex);
}

static void add_public(json_object *o, const char *key, const TPM2B_PUBLIC *p)
{
	uint8_t buf[sizeof(TPM2B_PUBLIC)];
	size_t off = 0;

	if (Tss2_MU_TPM2B_PUBLIC_Marshal(p, buf, sizeof(buf), &off) == 0)
		add_hex(o, key, buf, off);
}

static json_object *pcr_list(struct attest *t)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < t->opt.nquote_pcrs; i++)
		json_object_array_add(a, json_object_new_int(t->opt.quote_pcrs[i]));
	return a;
}

static int op_identity(struct agent *a, json_object *body)
{
	struct tn_tpm *tpm = a->att->tpm;
	const uint8_t *cert;
	size_t cert_len;

	add_hex(body, "identity_key", a->att->idkey_pk, TN_IDKEY_LEN);
	add_public(body, "ak_public", tpm_ak_public(tpm));
	add_hex(body, "ak_name", tpm_ak_name(tpm)->name, tpm_ak_name(tpm)->size);
	add_public(body, "ek_public", tpm_ek_public(tpm));
	cert = tpm_ek_cert(tpm, &cert_len);
	if (cert)
		add_hex(body, "ek_certificate", cert, cert_len);
	else
		json_object_object_add(body, "ek_certificate", NULL);
	json_object_object_add(body, "pcr", json_object_new_int(a->att->opt.pcr));
	json_object_object_add(body, "quote_pcrs", pcr_list(a->att));
	json_object_object_add(body, "hash", json_object_new_string("sha256"));
	return 200;
}

static int op_quote(struct agent *a, json_object *req, json_object *body)
{
	struct attest *t = a->att;
	uint8_t nonce[TN_NONCE_MAX], qual[TN_DIGEST_LEN], value[TN_DIGEST_LEN];
	uint8_t *attest = NULL, *sig = NULL, digest[TN_DIGEST_LEN];
	size_t nlen, alen, slen;
	json_object *values;
	char *canon = NULL, key[8];
	uint8_t at[TN_DIGEST_LEN];
	long long since = 0;
	int have_since = 0;
	struct tn_err e;

	if (tn_hex_decode(tn_json_str(req, "nonce"), nonce, sizeof(nonce), &nlen,
			  "nonce", &e) || nlen < TN_NONCE_MIN) {
		json_object_object_add(body, "error", json_object_new_string(
			nlen < TN_NONCE_MIN ? "nonce is too short" : e.msg));
		return 400;
	}
	if (json_object_object_get_ex(req, "since", NULL)) {
		size_t alen2;

		if (tn_json_int(req, "since", &since) || since < 0 ||
		    tn_hex_decode(tn_json_str(req, "at"), at, sizeof(at), &alen2,
				  "at", &e) || alen2 != sizeof(at)) {
			json_object_object_add(body, "error", json_object_new_string(
				"since must come with at, 32 bytes of hex"));
			return 400;
		}
		have_since = 1;
	}
	tn_qualifying_data(nonce, nlen, t->idkey_pk, qual);
	/* Quote first, then the log: the log may run ahead, never behind. */
	if (tpm_quote(t->tpm, qual, sizeof(qual), t->opt.quote_pcrs,
		      t->opt.nquote_pcrs, &attest, &alen, &sig, &slen, &e)) {
		json_object_object_add(body, "error", json_object_new_string(e.msg));
		return 500;
	}
	values = json_object_new_object();
	for (size_t i = 0; i < t->opt.nquote_pcrs; i++) {
		if (tpm_pcr_read(t->tpm, t->opt.quote_pcrs[i], value, &e))
			continue;
		snprintf(key, sizeof(key), "%u", t->opt.quote_pcrs[i]);
		add_hex(values, key, value, TN_DIGEST_LEN);
	}
	if (tn_policy_text_canonical(a->reg.policy_text ? a->reg.policy_text : "",
				     "policy", &canon, digest, &e)) {
		canon = NULL;
		memset(digest, 0, sizeof(digest));
	}
	add_hex(body, "nonce", nonce, nlen);
	add_hex(body, "identity_key", t->idkey_pk, TN_IDKEY_LEN);
	add_hex(body, "attest", attest, alen);
	add_hex(body, "signature", sig, slen);
	json_object_object_add(body, "pcr_values", values);
	json_object_object_add(body, "pcr", json_object_new_int(t->opt.pcr));
	measure_answer(a, have_since, (uint64_t)since, at, body);
	json_object_object_add(body, "policy", canon ? json_object_new_string(canon) : NULL);
	add_hex(body, "policy_digest", digest, TN_DIGEST_LEN);
	free(canon);
	free(attest);
	free(sig);
	t->quotes_served++;
	{
		json_object *d = json_object_new_object();

		add_hex(d, "nonce", nonce, nlen);
		json_object_object_add(d, "log_entries", json_object_new_int(
			(int)measure_count(t)));
		json_object_object_add(d, "log_from", json_object_get(
			json_object_object_get(body, "log_from")));
		audit_record(a, "attestation-served", d);
		json_object_put(d);
	}
	return 200;
}

static int op_activate(struct agent *a, json_object *req, json_object *body)
{
	uint8_t buf[1024], secret[64];
	TPM2B_ID_OBJECT id = { 0 };
	TPM2B_ENCRYPTED_SECRET enc = { 0 };
	size_t n, off = 0, slen;
	struct tn_err e;

	if (tn_hex_decode(tn_json_str(req, "id_object"), buf, sizeof(buf), &n,
			  "id_object", &e) ||
	    Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(buf, n, &off, &id) || off != n) {
		json_object_object_add(body, "error", json_object_new_string(
			"id_object is not a marshalled TPM2B_ID_OBJECT"));
		return 400;
	}
	off = 0;
	if (tn_hex_decode(tn_json_str(req, "encrypted_secret"), buf, sizeof(buf),
			  &n, "encrypted_secret", &e) ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(buf, n, &off, &enc) ||
	    off != n) {
		json_object_object_add(body, "error", json_object_new_string(
			"encrypted_secret is not a marshalled TPM2B_ENCRYPTED_SECRET"));
		return 400;
	}
	if (tpm_activate(a->att->tpm, &id, &enc, secret, &slen, &e)) {
		json_object_object_add(body, "error", json_object_new_string(e.msg));
		return 400;
	}
	add_hex(body, "secret", secret, slen);
	a->att->activations++;
	audit_record(a, "enrolment-challenge-answered", NULL);
	return 200;
}

static json_object *dispatch(struct agent *a, json_object *req, int *status)
{
	const char *op = tn_json_str(req, "op");
	json_object *body = json_object_new_object();

	if (!op) {
		json_object_put(body);
		*status = 400;
		return error_body("request without an \"op\"");
	}
	/* The log is served without a TPM too: it is signed by the node key. */
	if (!strcmp(op, "log")) {
		json_object_put(body);
		return log_serve_request(a, req, status);
	}
	if (!strcmp(op, "log-challenge")) {
		json_object_put(body);
		return log_serve_challenge(a, status);
	}
	if (!a->att->tpm) {
		json_object_put(body);
		*status = 503;
		return error_body("attestation unavailable: %s", a->att->unavailable);
	}
	if (!strcmp(op, "identity"))
		*status = op_identity(a, body);
	else if (!strcmp(op, "quote"))
		*status = op_quote(a, req, body);
	else if (!strcmp(op, "activate"))
		*status = op_activate(a, req, body);
	else {
		json_object_put(body);
		*status = 400;
		return error_body("unknown op \"%.64s\"", op);
	}
	return body;
}

/* Stops reading requests while an answer is owed, and starts again. */
static void front_reading(struct agent *a, int on)
{
	agent_watch_pause(a, &a->att->httpd_src, !on);
}

void serve_reply(struct agent *a, unsigned gen, int status, json_object *body)
{
	struct attest *t = a->att;
	json_object *reply;
	struct tn_err e;

	/* The front it was for is gone: a new one must not get its answer. */
	if (gen != t->httpd_gen || t->httpd_fd < 0) {
		json_object_put(body);
		front_reading(a, 1);
		return;
	}
	reply = json_object_new_object();
	json_object_object_add(reply, "status", json_object_new_int(status));
	json_object_object_add(reply, "body", body);
	if (tn_write_message(t->httpd_fd, reply, &e)) {
		fprintf(stderr, "trustnoded: replying to " HTTPD_NAME ": %s\n", e.msg);
		reap_httpd(a);
	} else {
		front_reading(a, 1);
	}
	json_object_put(reply);
}

static void serve_handle(struct agent *a)
{
	struct attest *t = a->att;
	json_object *req, *body;
	struct tn_err e;
	size_t len;
	char *msg;
	int status;

	/*
	 * While an answer is owed reading is off, so a hang-up woke us, or a
	 * front restarted meanwhile has a request: it waits for the worker.
	 */
	if (log_serve_busy(a)) {
		struct pollfd pfd = { .fd = t->httpd_fd, .events = POLLRDHUP };

		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR | POLLRDHUP))) {
			fprintf(stderr, "trustnoded: " HTTPD_NAME " went away; restarting it\n");
			reap_httpd(a);
		} else {
			front_reading(a, 0);
		}
		return;
	}
	if (tn_read_message(t->httpd_fd, &msg, &len, 64 * 1024, 1000, &e)) {
		fprintf(stderr, "trustnoded: " HTTPD_NAME " went away (%s); restarting it\n",
			e.msg);
		reap_httpd(a);
		return;
	}
	req = json_tokener_parse(msg);
	free(msg);
	if (!req || !json_object_is_type(req, json_type_object)) {
		status = 400;
		body = error_body("relayed request is not a JSON object");
	} else {
		body = dispatch(a, req, &status);
	}
	json_object_put(req);
	/* A log page comes from the worker; nothing else is read until then. */
	if (!body) {
		front_reading(a, 0);
		return;
	}
	serve_reply(a, t->httpd_gen, status, body);
}
