// SPDX-License-Identifier: GPL-2.0-only
/*
 * trustnode-httpd: the unprivileged HTTP front of the attestation service.
 * trustnoded binds the listening socket, forks, drops to an unprivileged
 * user and execs this with that socket and one end of a socketpair; here
 * the descriptors and the lack of privilege are checked, the server and
 * the relay started, and the process waits for SIGTERM or for the agent
 * to close its end.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "httpd.h"
#include "opts.h"
#include "trustnode/attest_api.h"

struct options {
	int listen_fd;
	int agent_fd;
	int timeout_s;
	int agent_timeout_s;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: trustnode-httpd --listen-fd N --agent-fd M [--timeout S]\n"
"                       [--agent-timeout S]\n"
"\n"
"The unprivileged HTTP front of trustnode's attestation service, started by\n"
"trustnoded as an unprivileged user (" TN_HTTP_DEFAULT_USER " by default), not by hand. It\n"
"serves GET /v1/identity, GET /v1/quote?nonce=HEX, POST /v1/enroll\n"
"(include/trustnode/attest_api.h), GET /v1/log/challenge and GET /v1/log\n"
"(include/trustnode/audit_api.h), checks every request and relays the valid\n"
"ones to the agent, one JSON line each, one at a time. It refuses to run\n"
"as root, with group root or with capabilities, and logs one line per\n"
"request to stderr.\n"
"\n"
"  --listen-fd N       a bound, listening TCP socket (IPv4 or IPv6)\n"
"  --agent-fd M        a connected AF_UNIX stream socket to the agent;\n"
"                      the server exits when the agent closes its end\n"
"  --timeout S         drop a client idle for S seconds (default %d)\n"
"  --agent-timeout S   answer 504 when the agent takes longer than S\n"
"                      seconds (default %d)\n"
"  -h, --help\n"
"\n"
"Exit status: 0 after SIGTERM, SIGINT or the agent closing its end; 1 on an\n"
"error, including being run as root; 2 on a usage error.\n",
		TN_HTTP_TIMEOUT_S, TN_HTTPD_AGENT_TIMEOUT_S);
}

static int parse_num(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_args(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen-fd", required_argument, NULL, 'l' },
		{ "agent-fd", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "agent-timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	*o = (struct options){ -1, -1, TN_HTTP_TIMEOUT_S, TN_HTTPD_AGENT_TIMEOUT_S };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char *bad = NULL;

		switch (c) {
		case 'l':
			if (parse_num(optarg, 0, 1 << 20, &o->listen_fd))
				bad = "--listen-fd must be a descriptor number";
			break;
		case 'a':
			if (parse_num(optarg, 0, 1 << 20, &o->agent_fd))
				bad = "--agent-fd must be a descriptor number";
			break;
		case 't':
			if (parse_num(optarg, 1, 3600, &o->timeout_s))
				bad = "--timeout must be 1..3600 seconds";
			break;
		case 'T':
			if (parse_num(optarg, 1, 600, &o->agent_timeout_s))
				bad = "--agent-timeout must be 1..600 seconds";
			break;
		default:
			return tn_opt_help_or_usage(c, usage);
		}
		if (bad) {
			fprintf(stderr, TN_HTTPD_NAME ": %s\n", bad);
			return -1;
		}
	}
	if (tn_opt_no_operands(TN_HTTPD_NAME, argc, argv))
		return -1;
	if (o->listen_fd < 0 || o->agent_fd < 0) {
		fprintf(stderr, TN_HTTPD_NAME ": --listen-fd and --agent-fd are required\n");
		return -1;
	}
	if (o->listen_fd == o->agent_fd) {
		fprintf(stderr, TN_HTTPD_NAME ": --listen-fd and --agent-fd must differ\n");
		return -1;
	}
	return 0;
}

/*
 * The front parses what anyone on the network sends: it must hold nothing
 * worth taking. A saved uid of 0 would let it become root again, and a
 * capability would survive the uid change.
 */
static int check_unprivileged(struct tn_err *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct cap[_LINUX_CAPABILITY_U32S_3];
	gid_t groups[256];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int n;

	if (getresuid(&ru, &eu, &su) || getresgid(&rg, &eg, &sg))
		return tn_fail_errno(err, errno, "cannot read the process's ids");
	if (!ru || !eu || !su)
		return tn_fail(err, "trustnode-httpd must not run as root: request parsing runs unprivileged");
	if (!rg || !eg || !sg)
		return tn_fail(err, "trustnode-httpd must not run with group root: drop groups before exec");
	n = getgroups(sizeof(groups) / sizeof(groups[0]), groups);
	if (n < 0)
		return tn_fail_errno(err, errno, "cannot read the supplementary groups");
	for (int i = 0; i < n; i++)
		if (!groups[i])
			return tn_fail(err, "trustnode-httpd must not run with group root: drop groups before exec");
	if (syscall(SYS_capget, &hdr, cap))
		return tn_fail_errno(err, errno, "cannot read the process's capabilities");
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (cap[i].effective || cap[i].permitted)
			return tn_fail(err, "trustnode-httpd must not hold capabilities: request parsing runs unprivileged");
	return 0;
}

static int sockopt(int fd, int opt, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(fd, SOL_SOCKET, opt, val, &len);
}

static int check_fds(const struct options *o, struct tn_err *err)
{
	int type, domain, listening;

	if (sockopt(o->listen_fd, SO_TYPE, &type) ||
	    sockopt(o->listen_fd, SO_DOMAIN, &domain) ||
	    sockopt(o->listen_fd, SO_ACCEPTCONN, &listening))
		return tn_fail_errno(err, errno, "--listen-fd %d is not a socket", o->listen_fd);
	if (type != SOCK_STREAM || (domain != AF_INET && domain != AF_INET6))
		return tn_fail(err, "--listen-fd %d is not a TCP socket", o->listen_fd);
	if (!listening)
		return tn_fail(err, "--listen-fd %d is not listening", o->listen_fd);
	if (sockopt(o->agent_fd, SO_TYPE, &type) ||
	    sockopt(o->agent_fd, SO_DOMAIN, &domain))
		return tn_fail_errno(err, errno, "--agent-fd %d is not a socket", o->agent_fd);
	if (type != SOCK_STREAM || domain != AF_UNIX)
		return tn_fail(err, "--agent-fd %d is not an AF_UNIX stream socket", o->agent_fd);
	/* Nothing this process might start should inherit them. */
	if (fcntl(o->listen_fd, F_SETFD, FD_CLOEXEC) ||
	    fcntl(o->agent_fd, F_SETFD, FD_CLOEXEC))
		return tn_fail_errno(err, errno, "fcntl");
	return 0;
}

/* SIGTERM and SIGINT as a descriptor; blocked before any thread starts. */
static int signal_fd(struct tn_err *err)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return tn_fail_errno(err, errno, "sigprocmask");
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0)
		return tn_fail_errno(err, errno, "signalfd");
	/* A closed agent socket must be an error, not a death. */
	signal(SIGPIPE, SIG_IGN);
	return fd;
}

static void log_start(const struct options *o)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[80] = "unknown";

	if (!getsockname(o->listen_fd, (struct sockaddr *)&ss, &len))
		tn_httpd_format_peer(addr, sizeof(addr), (struct sockaddr *)&ss);
	fprintf(stderr, TN_HTTPD_NAME ": serving on %s as uid %u, client timeout %d s, agent timeout %d s\n",
		addr, (unsigned int)geteuid(), o->timeout_s, o->agent_timeout_s);
}

/* Returns why the server stops. */
static const char *wait_for_stop(int sfd, int agent_fd, int gone_fd)
{
	struct pollfd pfd[3] = {
		{ .fd = sfd, .events = POLLIN },
		/* Not POLLIN: replies are the relay thread's to read. */
		{ .fd = agent_fd, .events = POLLRDHUP },
		{ .fd = gone_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return "poll failed";
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				return "a signal";
			return si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
		}
		if (pfd[1].revents)
			return "the agent closed its end";
		if (pfd[2].revents)
			return "the agent is gone";
	}
}

int main(int argc, char **argv)
{
	struct tn_err err = { .msg = "" };
	struct tn_serve_options so;
	struct tn_relay relay;
	struct tn_serve *serve;
	struct options o;
	int sfd, gone_fd;
	const char *why;

	if (parse_args(&o, argc, argv))
		return 2;
	if (check_unprivileged(&err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	/* No exec'd setuid binary, no ptrace by other processes of this user. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
		tn_fail_errno(&err, errno, "prctl");
		goto fail;
	}
	if (check_fds(&o, &err))
		goto fail;
	sfd = signal_fd(&err);
	if (sfd < 0)
		goto fail;
	gone_fd = eventfd(0, EFD_CLOEXEC);
	if (gone_fd < 0) {
		tn_fail_errno(&err, errno, "eventfd");
		goto fail;
	}
	if (tn_relay_start(&relay, o.agent_fd, o.agent_timeout_s * 1000, gone_fd, &err))
		goto fail;
	so = (struct tn_serve_options){ .listen_fd = o.listen_fd, .timeout_s = o.timeout_s };
	serve = tn_serve_start(&so, &relay, &err);
	if (!serve) {
		tn_relay_stop(&relay);
		goto fail;
	}
	log_start(&o);
	why = wait_for_stop(sfd, o.agent_fd, gone_fd);
	fprintf(stderr, TN_HTTPD_NAME ": stopping: %s\n", why);
	tn_relay_stop(&relay);
	tn_serve_stop(serve);
	return 0;
fail:
	fprintf(stderr, TN_HTTPD_NAME ": %s\n", err.msg);
	return 1;
}
