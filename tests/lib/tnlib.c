// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tnlib.h"
#include "audit_segments.h"


void node_destroy(struct tn_node *n);

/* Where cgroup v2 is mounted: /sys/fs/cgroup/unified here, /sys/fs/cgroup elsewhere. */
static const char *cgroup2_mount(void)
{
	static char dir[256];
	char dev[256], type[64];
	FILE *f;

	if (dir[0])
		return dir;
	f = fopen("/proc/self/mounts", "r");
	while (f && fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2"))
			break;
	if (f)
		fclose(f);
	if (strcmp(type, "cgroup2"))
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup");
	return dir;
}

const char *tn_build(void)
{
	const char *b = getenv("TN_BUILD");

	return b && *b ? b : "build";
}

int run_cmd(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (getenv("TN_TEST_VERBOSE"))
		fprintf(stderr, "# + %s\n", cmd);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int capture_cmd(char *out, size_t outlen, const char *cmd)
{
	size_t len = 0;
	FILE *p;
	int st;

	if (getenv("TN_TEST_VERBOSE"))
		fprintf(stderr, "# + %s\n", cmd);
	if (out && outlen)
		out[0] = '\0';
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (out && outlen) {
		while (len + 1 < outlen) {
			size_t r = fread(out + len, 1, outlen - len - 1, p);

			if (!r)
				break;
			len += r;
		}
		out[len] = '\0';
	}
	/* The rest is read, so that the command never blocks on a full pipe. */
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int capture(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return capture_cmd(out, outlen, cmd);
}

int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

void node_policy_text(struct tn_node *n, const char *mode, const char *extra,
		      char *text, size_t len)
{
	snprintf(text, len,
		 "# test policy: 198.51.100.0/24 and 2001:db8:2::/64 are local\n"
		 "mode = \"%s\";\n"
		 "local_prefixes = [ \"198.51.100.0/24\", \"2001:db8:2::/64\" ];\n"
		 "tags = ( { path = \"%s/secret\"; labels = [ \"phi\" ]; } );\n"
		 "workloads = (\n"
		 "  { name = \"wl\"; cgroup = \"%s\"; },\n"
		 "  { name = \"wl2\"; cgroup = \"%s\"; }\n"
		 ");\n"
		 "trusted_receivers = ( { name = \"resolver\"; cgroup = \"%s\"; } );\n"
		 "%s",
		 mode, n->data, n->wl_cg, n->wl2_cg, n->trusted_cg, extra);
}

int node_clear_pinned_array(struct tn_node *n, const char *name, uint32_t slots)
{
	char path[512];
	__u32 zero = 0, i;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", n->pin, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	for (i = 0; i < slots && !ret; i++)
		ret = bpf_map_update_elem(fd, &i, &zero, BPF_ANY);
	close(fd);
	return ret;
}

int node_write_policy(struct tn_node *n, const char *mode)
{
	char text[2048];

	node_policy_text(n, mode, "", text, sizeof(text));
	return write_file(n->policy, text);
}

/* Three ip(8) runs, not twenty: each exec costs ~40 ms under emulation. */
static int setup_netns(struct tn_node *n)
{
	const char *w = n->ns_wl, *o = n->ns_out, *id = n->id;

	return run_cmd("printf '%%s\\n' 'netns add %s' 'netns add %s' "
		"'link add v%s type veth peer name o%s' "
		"'link set v%s netns %s' 'link set o%s netns %s' | ip -batch - && "
		"printf '%%s\\n' 'link set lo up' "
		"'addr add 203.0.113.1/24 dev v%s' 'addr add 198.51.100.1/24 dev v%s' "
		"'addr add 2001:db8:1::1/64 dev v%s nodad' "
		"'addr add 2001:db8:2::1/64 dev v%s nodad' 'link set v%s up' | "
		"ip -n %s -batch - && "
		"printf '%%s\\n' 'link set lo up' "
		"'addr add 203.0.113.2/24 dev o%s' 'addr add 198.51.100.2/24 dev o%s' "
		"'addr add 2001:db8:1::2/64 dev o%s nodad' "
		"'addr add 2001:db8:2::2/64 dev o%s nodad' 'link set o%s up' | "
		"ip -n %s -batch -",
		w, o, id, id, id, w, id, o,
		id, id, id, id, id, w,
		id, id, id, id, id, o);
}

/* Whether name, or a /run/netns entry ending in id, exists. */
static int id_taken(const char *id)
{
	size_t l = strlen(id), n;
	struct dirent *de;
	char path[512];
	DIR *d;
	int taken = 0;

	d = opendir("/run/netns");
	while (d && (de = readdir(d)))
		if ((n = strlen(de->d_name)) >= l && !strcmp(de->d_name + n - l, id))
			taken = 1;
	if (d)
		closedir(d);
	snprintf(path, sizeof(path), "%s/tntest.%s", cgroup2_mount(), id);
	taken |= !access(path, F_OK);
	snprintf(path, sizeof(path), "/sys/fs/bpf/tntest_%s", id);
	return taken | !access(path, F_OK);
}

const char *tn_unused_id(char *id, size_t len)
{
	static int seq;

	do
		snprintf(id, len, "%d_%d", getpid() % 100000, seq++);
	while (id_taken(id));
	return id;
}

static int create(struct tn_node *n, const char *mode, int start)
{
	memset(n, 0, sizeof(*n));
	tn_unused_id(n->id, sizeof(n->id));
	snprintf(n->cgroot, sizeof(n->cgroot), "%.200s/tntest.%s", cgroup2_mount(), n->id);
	snprintf(n->wl_cg, sizeof(n->wl_cg), "%s/wl", n->cgroot);
	snprintf(n->wl2_cg, sizeof(n->wl2_cg), "%s/wl2", n->cgroot);
	snprintf(n->other_cg, sizeof(n->other_cg), "%s/other", n->cgroot);
	snprintf(n->trusted_cg, sizeof(n->trusted_cg), "%s/resolver", n->cgroot);
	snprintf(n->tmp, sizeof(n->tmp), "%.60s/tntest.%.20s",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", n->id);
	snprintf(n->data, sizeof(n->data), "%s/data", n->tmp);
	snprintf(n->socket, sizeof(n->socket), "%.80s/run/control.sock", n->tmp);
	snprintf(n->pin, sizeof(n->pin), "/sys/fs/bpf/tntest_%s", n->id);
	snprintf(n->policy, sizeof(n->policy), "%s/policy.conf", n->tmp);
	snprintf(n->ns_wl, sizeof(n->ns_wl), "tnwl%s", n->id);
	snprintf(n->ns_out, sizeof(n->ns_out), "tnout%s", n->id);
	n->mode = mode;

	if (mkdir(n->cgroot, 0755) || mkdir(n->wl_cg, 0755) ||
	    mkdir(n->wl2_cg, 0755) || mkdir(n->other_cg, 0755) ||
	    mkdir(n->trusted_cg, 0755))
		return -1;
	if (run_cmd("mkdir -p %s/tagged-dir/sub && echo secret > %s/secret && "
		    "echo plain > %s/plain && echo old > %s/tagged-dir/old",
		    n->data, n->data, n->data, n->data))
		return -1;
	if (setup_netns(n))
		return -1;
	if (node_write_policy(n, mode))
		return -1;
	return start ? node_start_agent(n) : 0;
}

/* A node that could not be built is taken apart again: nothing leaks. */
int node_create(struct tn_node *n, const char *mode)
{
	if (!create(n, mode, 1))
		return 0;
	node_destroy(n);
	return -1;
}

int node_create_stopped(struct tn_node *n, const char *mode)
{
	if (!create(n, mode, 0))
		return 0;
	node_destroy(n);
	return -1;
}

/* Joins the named network namespace (ip netns add NAME made it). */
int join_netns(const char *name)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	return r;
}

int node_start_agent(struct tn_node *n)
{
	char bin[512], state[300], run[300], rb[32];
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	snprintf(bin, sizeof(bin), "%s/trustnoded", tn_build());
	if (n->agent_bin)
		snprintf(bin, sizeof(bin), "%s", n->agent_bin);
	snprintf(state, sizeof(state), "%s/state", n->tmp);
	if (n->state)
		snprintf(state, sizeof(state), "%s", n->state);
	snprintf(run, sizeof(run), "%s/run", n->tmp);
	snprintf(rb, sizeof(rb), "%u", n->ringbuf);
	unlink(n->socket);
	n->agent = fork();
	if (n->agent < 0)
		return -1;
	if (n->agent == 0) {
		char log[400];
		int fd;

		snprintf(log, sizeof(log), "%s/agent.log", n->tmp);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setenv("TRUSTNODE_QUIET_LIBBPF", "1", 1);
		if (n->agent_netns && join_netns(n->agent_netns))
			_exit(126);
		{
			const char *argv[24] = {
				bin, "--cgroup", n->cgroot, "--state-dir", state,
				"--run-dir", run, "--pin-dir", n->pin,
				"--policy", n->policy,
				"--tcti", n->tcti ? n->tcti : "none",
			};
			int k = 13;

			if (n->ringbuf) {
				argv[k++] = "--ringbuf-size";
				argv[k++] = rb;
			}
			if (n->listen) {
				argv[k++] = "--listen";
				argv[k++] = n->listen;
			}
			if (n->extra_args)
				argv[k++] = n->extra_args;
			if (n->extra_args2)
				argv[k++] = n->extra_args2;
			execv(bin, (char **)argv);
		}
		_exit(127);
	}
	/* An agent with a TPM makes keys first: slow under emulation. */
	for (i = 0; i < (n->tcti ? 6000 : 500); i++) {
		int st;

		if (!access(n->socket, F_OK))
			return 0;
		if (waitpid(n->agent, &st, WNOHANG) == n->agent) {
			n->agent = 0;
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	return -1;
}

void node_kill_agent(struct tn_node *n)
{
	if (n->agent > 0) {
		kill(n->agent, SIGKILL);
		waitpid(n->agent, NULL, 0);
	}
	n->agent = 0;
}

/* Removes a cgroup tree bottom-up; processes in it must be gone. */
static void rm_cgroup(const char *path)
{
	run_cmd("find %s -depth -type d -exec rmdir {} + 2>/dev/null", path);
}

/* Stops and reaps the agent, this process's child. */
static void stop_agent(struct tn_node *n)
{
	if (n->agent > 0) {
		/* A test may have stopped it (SIGSTOP) to look at a moment. */
		kill(n->agent, SIGCONT);
		kill(n->agent, SIGTERM);
		waitpid(n->agent, NULL, 0);
		n->agent = 0;
	}
}

void node_take_down(struct tn_node *n)
{
	stop_agent(n);
	run_cmd("TRUSTNODE_QUIET_LIBBPF=1 %s/trustnoded --unload --pin-dir %s 2>/dev/null",
		tn_build(), n->pin);
	run_cmd("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null",
		n->ns_wl, n->ns_out);
	rm_cgroup(n->cgroot);
}

/*
 * Synchronous: the next test sets up after it. A teardown in the
 * background ran more processes beside the next node's agent attach, which
 * made the emulated guest's lockups in patched code likelier (README).
 */
void node_destroy(struct tn_node *n)
{
	node_take_down(n);
	if (!getenv("TN_TEST_KEEP"))
		run_cmd("rm -rf %s", n->tmp);
}

int ctl(struct tn_node *n, char *out, size_t outlen, const char *fmt, ...)
{
	char args[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return capture(out, outlen, "TRUSTNODE_SOCKET=%s %s/trustctl %s 2>&1",
		       n->socket, tn_build(), args);
}

int fd_in_netns(const char *name, int (*make)(void *), void *arg)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), fd = -1;

	if (self < 0)
		return -1;
	if (!join_netns(name)) {
		fd = make(arg);
		setns(self, CLONE_NEWNET);
	}
	close(self);
	return fd;
}

int in_cgroup(struct tn_node *n, const char *cg, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		char procs[400];

		/* The cgroup first, then the netns (see machine notes). */
		if (cg) {
			snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
			if (write_file(procs, "0"))
				_exit(250);
		}
		if (join_netns(n->ns_wl))
			_exit(251);
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss,
		socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return AF_INET6;
	}
	return -1;
}

int do_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* One TCP connect or one UDP datagram to addr:port; 0 or the errno. */
static int reach_once(const char *addr, int port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family = sockaddr_of(addr, port, &ss, &len);
	int fd, ret = 0;

	if (family < 0)
		return EINVAL;
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (type == SOCK_STREAM ? connect(fd, (struct sockaddr *)&ss, len) :
	    sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) != 1)
		ret = errno;
	close(fd);
	return ret;
}

int do_connect(const char *addr, int port)
{
	return reach_once(addr, port, SOCK_STREAM);
}

int do_sendto(const char *addr, int port)
{
	return reach_once(addr, port, SOCK_DGRAM);
}

struct listen_at {
	struct sockaddr_storage ss;
	socklen_t len;
	int family, type;
};

static int make_listener(void *arg)
{
	struct listen_at *l = arg;
	int fd = socket(l->family, l->type | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&l->ss, l->len) ||
	    (l->type == SOCK_STREAM && listen(fd, 64))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int out_socket(struct tn_node *n, const char *addr, int port, int type)
{
	struct listen_at l = { .type = type };

	l.family = sockaddr_of(addr, port, &l.ss, &l.len);
	if (l.family < 0)
		return -1;
	return fd_in_netns(n->ns_out, make_listener, &l);
}

int out_listen(struct tn_node *n, const char *addr, int port)
{
	return out_socket(n, addr, port, SOCK_STREAM);
}

int out_udp(struct tn_node *n, const char *addr, int port)
{
	return out_socket(n, addr, port, SOCK_DGRAM);
}

int held_start(struct tn_node *n, const char *cg, const char *open_path,
	       int tcp_port, int udp_port, struct held *h)
{
	int go[2], res[2];
	char c;

	if (pipe(go))
		return -1;
	if (pipe(res)) {
		close(go[0]);
		close(go[1]);
		return -1;
	}
	h->pid = fork();
	if (h->pid < 0)
		return -1;
	if (h->pid == 0) {
		struct sockaddr_storage ts, us;
		socklen_t tlen, ulen;
		char procs[400];
		int r[3], t, u;

		close(go[1]);
		close(res[0]);
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		if (write_file(procs, "0") || join_netns(n->ns_wl))
			_exit(1);
		if (open_path && do_open(open_path))
			_exit(2);
		sockaddr_of(OUT4, tcp_port, &ts, &tlen);
		sockaddr_of(OUT4, udp_port, &us, &ulen);
		t = socket(AF_INET, SOCK_STREAM, 0);
		u = socket(AF_INET, SOCK_DGRAM, 0);
		if (t < 0 || u < 0 || write(res[1], "r", 1) != 1)
			_exit(3);
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		r[0] = connect(t, (struct sockaddr *)&ts, tlen) ? errno : 0;
		r[1] = sendto(u, "x", 1, 0, (struct sockaddr *)&us, ulen) == 1 ? 0 : errno;
		r[2] = do_connect(OUT4, tcp_port);
		_exit(write(res[1], r, sizeof(r)) == sizeof(r) ? 0 : 5);
	}
	close(go[0]);
	close(res[1]);
	h->go = go[1];
	h->res = res[0];
	return read(h->res, &c, 1) == 1 ? 0 : -1;
}

int held_try(struct held *h, int r[3])
{
	int ok = write(h->go, "x", 1) == 1 &&
		 read(h->res, r, 3 * sizeof(int)) == 3 * sizeof(int);

	close(h->go);
	close(h->res);
	waitpid(h->pid, NULL, 0);
	return ok ? 0 : -1;
}

int node_events(struct tn_node *n, char *buf, size_t len)
{
	return ctl(n, buf, len, "events --json --limit 0");
}

int node_taint(struct tn_node *n, const char *workload, char *buf, size_t len)
{
	char out[8192], *line, *save = NULL;

	if (ctl(n, out, sizeof(out), "workload list"))
		return -1;
	snprintf(buf, len, "?");
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64], taint[256];

		if (sscanf(line, "%63s %255s", name, taint) == 2 &&
		    !strcmp(name, workload)) {
			snprintf(buf, len, "%s", taint);
			return 0;
		}
	}
	return -1;
}

struct audit_sum {
	const char *key, *n1, *n2;
	long sum, lines;
};

static int audit_sum_line(void *ctx, const struct tn_audit_line *l)
{
	struct audit_sum *s = ctx;
	const char *p;

	if (!strstr(l->text, s->n1) || (s->n2 && !strstr(l->text, s->n2)))
		return 0;
	s->lines++;
	p = s->key ? strstr(l->text, s->key) : NULL;
	if (p)
		s->sum += strtol(p + strlen(s->key), NULL, 10);
	return 0;
}

long audit_sum(const char *dir, const char *key, const char *n1,
	       const char *n2, long *lines)
{
	struct audit_sum s = { .key = key, .n1 = n1, .n2 = n2 };
	struct tn_err err;

	*lines = 0;
	if (tn_audit_read_log(dir, 0, 0, audit_sum_line, &s, NULL, &err))
		return -1;
	*lines = s.lines;
	return s.sum;
}

int node_bare_status(struct tn_node *n)
{
	static char reply[1 << 16];
	const char *req = "{\"cmd\":\"status\"}\n";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t off = 0;
	ssize_t r;

	memcpy(sun.sun_path, n->socket, sizeof(n->socket));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	shutdown(fd, SHUT_WR);
	while (off < sizeof(reply) - 1 &&
	       (r = read(fd, reply + off, sizeof(reply) - off - 1)) > 0)
		off += r;
	reply[off] = '\0';
	close(fd);
	return strstr(reply, "\"ok\":true") ? 0 : -1;
}

int notify_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sun.sun_path)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -1;
	}
	return fd;
}

int wait_ready(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[512];
	ssize_t r;

	while (poll(&p, 1, ms) > 0) {
		r = recv(fd, buf, sizeof(buf) - 1, 0);
		if (r <= 0)
			return -1;
		buf[r] = '\0';
		if (strstr(buf, "READY=1"))
			return 0;
	}
	return -1;
}

int flood_sendto(const char *addr, int port, int seconds, long counts[2])
{
	struct sockaddr_storage ss;
	socklen_t len;
	double t0;
	char b = 'x';
	int fd, family = sockaddr_of(addr, port, &ss, &len);

	counts[0] = counts[1] = 0;
	if (family < 0)
		return -1;
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	t0 = tn_now_s();
	do {
		for (int i = 0; i < 1000; i++) {
			if (sendto(fd, &b, 1, 0, (struct sockaddr *)&ss, len) < 0 &&
			    errno == EPERM)
				counts[0]++;
			else
				counts[1]++;
		}
	} while (tn_now_s() - t0 < seconds);
	close(fd);
	return 0;
}

int denials_accounted(const char *dir, const char *wl, long refused, int seconds,
		      long *reported, long *unreported, char *why, size_t len)
{
	char workload[200];
	long records = 0;

	snprintf(workload, sizeof(workload), "\"workload\":\"%s\"", wl);
	audit_sum(dir, NULL, "\"type\":\"sendmsg\"", "\"decision\":\"deny\"", reported);
	*unreported = audit_sum(dir, "\"count\":", "\"type\":\"denials-unreported\"",
				workload, &records);
	snprintf(why, len, "%ld refused; %ld denial events, %ld denials counted in %ld denials-unreported records",
		 refused, *reported, *unreported, records);
	return *reported >= 1 && *reported <= 10 + (seconds + 2) * 10L &&
	       *reported + *unreported == refused ? 0 : -1;
}
