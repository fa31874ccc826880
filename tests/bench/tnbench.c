// SPDX-License-Identifier: GPL-2.0-only
/*
 * tnbench: the operations `make bench` times. Each prints one rate on stdout;
 * bench.sh runs them in different cgroups with and without trustnode.
 *
 *   tnbench open N DIR      open(O_RDONLY) + close() of one untagged file,
 *                           DIR/tnbench.file (created if missing), N times.
 *                           Prints opens/s.
 *   tnbench connect N       TCP connect() to a listener on 127.0.0.1 that a
 *                           thread of this process accepts and closes, then
 *                           close() with SO_LINGER 0 (an RST, so no TIME_WAIT
 *                           and no port exhaustion), N times. Prints
 *                           connects/s.
 *   tnbench tput SECONDS    one TCP stream over 127.0.0.1: this thread writes
 *                           128 KiB chunks for SECONDS, a second thread reads
 *                           until EOF. Prints MB/s (10^6 bytes) read.
 *   tnbench udp N           sendto() of a 64-byte datagram to 127.0.0.1 on an
 *                           unconnected socket (so the cgroup sendmsg hook
 *                           runs on every call), N times; a thread drains
 *                           the receiving socket. Prints sends/s.
 *   tnbench write N DIR     pwrite() of 64 bytes at offset 0 of one untagged
 *                           file, DIR/tnbench.wfile, N times (the file is
 *                           opened once). Prints writes/s.
 *   tnbench tput2 SECONDS CGROUP
 *                           like tput, but the reading end is a child
 *                           process that moves itself into CGROUP and
 *                           listens there: throughput between two
 *                           workloads. Prints MB/s written.
 *   tnbench unix N CGROUP   write() of 64-byte messages on a unix stream
 *                           socket pair, N times; a child process in CGROUP
 *                           reads them. Prints writes/s.
 *   tnbench pipe N CGROUP   the same over a pipe. Prints writes/s.
 *   tnbench reach ADDR      one TCP connect() to ADDR (an address on a local
 *                           interface, e.g. one bench.sh adds in its own
 *                           network namespace) where this process listens.
 *                           Prints "allowed" or "denied: <error>". bench.sh
 *                           uses it to check that a rule set really applies.
 *
 * The counted loops run N/10 untimed iterations first. Every loop also stops
 * after MAX_SECONDS; the rate is then over what was done. Runs are meant to
 * be short (a fraction of a second) and many: bench.sh pairs each with a
 * baseline run made seconds apart. Only addresses on this host are used.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SECONDS	20.0
#define TPUT_CHUNK	(128 * 1024)
#define UDP_LEN		64
#define MSG_LEN		64

static void die(const char *what)
{
	fprintf(stderr, "tnbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long parse_count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*end || n <= 0) {
		fprintf(stderr, "tnbench: '%s' is not a positive number\n", s);
		exit(2);
	}
	return n;
}

static double parse_seconds(const char *s)
{
	char *end;
	double d = strtod(s, &end);

	if (*end || !(d > 0)) {
		fprintf(stderr, "tnbench: '%s' is not a positive number of seconds\n", s);
		exit(2);
	}
	return d;
}

/* A socket of the given type bound to addr (port 0: any); addr gets the port. */
static int bound_socket(int type, struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)))
		die("bind");
	if (getsockname(fd, (struct sockaddr *)addr, &len))
		die("getsockname");
	return fd;
}

static struct sockaddr_in loopback(void)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	return a;
}

/* dir/name, created if missing, open for writing; its path in path. */
static int bench_file(const char *dir, const char *name, char path[4096])
{
	int fd;

	snprintf(path, 4096, "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	return fd;
}

/* ---- open ----------------------------------------------------------- */

static int bench_open(long n, const char *dir)
{
	char path[4096];
	double t0, t;
	long i;
	int fd;

	close(bench_file(dir, "tnbench.file", path));

	for (i = 0; i < n / 10; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("open");
		close(fd);
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("open");
		close(fd);
		if ((i & 1023) == 1023 && now() - t0 > MAX_SECONDS)
			break;
	}
	t = now() - t0;
	printf("%.0f\n", i / t);
	return 0;
}

/* ---- connect -------------------------------------------------------- */

static void *acceptor(void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			close(fd);
		else if (errno != EINTR && errno != ECONNABORTED)
			return NULL;
	}
}

static void connect_once(const struct sockaddr_in *to)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		die("SO_LINGER");
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)))
		die("connect");
	close(fd);
}

static int bench_connect(long n)
{
	struct sockaddr_in to = loopback();
	pthread_t th;
	double t0, t;
	long i;
	int lfd;

	lfd = bound_socket(SOCK_STREAM, &to);
	if (listen(lfd, 4096))
		die("listen");
	if (pthread_create(&th, NULL, acceptor, &lfd))
		die("pthread_create");

	for (i = 0; i < n / 10; i++)
		connect_once(&to);
	t0 = now();
	for (i = 0; i < n; i++) {
		connect_once(&to);
		if ((i & 255) == 255 && now() - t0 > MAX_SECONDS)
			break;
	}
	t = now() - t0;
	printf("%.0f\n", i / t);
	shutdown(lfd, SHUT_RDWR);	/* wakes accept() with EINVAL */
	pthread_join(th, NULL);
	return 0;
}

/* ---- tput ----------------------------------------------------------- */

struct reader {
	int fd;
	long long bytes;
	double end;
};

static void *read_all(void *arg)
{
	static char buf[TPUT_CHUNK];
	struct reader *r = arg;
	ssize_t got;

	while ((got = read(r->fd, buf, sizeof(buf))) > 0)
		r->bytes += got;
	r->end = now();
	return NULL;
}

static int bench_tput(double seconds)
{
	static char buf[TPUT_CHUNK];
	struct sockaddr_in to = loopback();
	struct reader r = { 0 };
	pthread_t th;
	double t0;
	int lfd, fd;

	if (seconds > MAX_SECONDS)
		seconds = MAX_SECONDS;
	lfd = bound_socket(SOCK_STREAM, &to);
	if (listen(lfd, 1))
		die("listen");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)))
		die("connect");
	r.fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (r.fd < 0)
		die("accept");
	close(lfd);
	memset(buf, 0x5a, sizeof(buf));
	if (pthread_create(&th, NULL, read_all, &r))
		die("pthread_create");

	t0 = now();
	while (now() - t0 < seconds) {
		if (write(fd, buf, sizeof(buf)) < 0 && errno != EINTR)
			die("write");
	}
	shutdown(fd, SHUT_WR);
	pthread_join(th, NULL);
	printf("%.1f\n", r.bytes / (r.end - t0) / 1e6);
	close(fd);
	close(r.fd);
	return 0;
}

/* ---- udp ------------------------------------------------------------ */

static volatile int udp_stop;

static void *drain(void *arg)
{
	char buf[UDP_LEN];
	int fd = *(int *)arg;

	while (!udp_stop)
		recv(fd, buf, sizeof(buf), 0);	/* SO_RCVTIMEO bounds it */
	return NULL;
}

static int bench_udp(long n)
{
	struct sockaddr_in to = loopback(), from = loopback();
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	int rcvbuf = 4 << 20, rfd, sfd;
	char msg[UDP_LEN] = "tnbench";
	pthread_t th;
	double t0, t;
	long i;

	rfd = bound_socket(SOCK_DGRAM, &to);
	sfd = bound_socket(SOCK_DGRAM, &from);
	setsockopt(rfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(rfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		die("SO_RCVTIMEO");
	if (pthread_create(&th, NULL, drain, &rfd))
		die("pthread_create");

	for (i = 0; i < n / 10; i++)
		sendto(sfd, msg, sizeof(msg), 0, (struct sockaddr *)&to, sizeof(to));
	t0 = now();
	for (i = 0; i < n; i++) {
		if (sendto(sfd, msg, sizeof(msg), 0, (struct sockaddr *)&to,
			   sizeof(to)) < 0 && errno != ENOBUFS)
			die("sendto");
		if ((i & 1023) == 1023 && now() - t0 > MAX_SECONDS)
			break;
	}
	t = now() - t0;
	printf("%.0f\n", i / t);
	udp_stop = 1;
	pthread_join(th, NULL);
	return 0;
}

/* ---- write ---------------------------------------------------------- */

static int bench_write(long n, const char *dir)
{
	char path[4096], msg[MSG_LEN];
	double t0, t;
	long i;
	int fd;

	fd = bench_file(dir, "tnbench.wfile", path);
	memset(msg, 'w', sizeof(msg));
	for (i = 0; i < n / 10; i++)
		if (pwrite(fd, msg, sizeof(msg), 0) != sizeof(msg))
			die("pwrite");
	t0 = now();
	for (i = 0; i < n; i++) {
		if (pwrite(fd, msg, sizeof(msg), 0) != sizeof(msg))
			die("pwrite");
		if ((i & 1023) == 1023 && now() - t0 > MAX_SECONDS)
			break;
	}
	t = now() - t0;
	printf("%.0f\n", i / t);
	close(fd);
	return 0;
}

/* ---- between two cgroups ------------------------------------------- */

static void join_cgroup(const char *cgroup)
{
	char procs[4096];
	FILE *f;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup);
	f = fopen(procs, "w");
	if (!f || fprintf(f, "0\n") < 0 || fclose(f))
		die(procs);
}

static void drain_fd(int fd)
{
	static char buf[TPUT_CHUNK];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

/*
 * Forks the reading end: a child that moves into cgroup and reads fd until
 * EOF. With fd < 0 it first listens on a loopback port of its own (so the
 * receiving socket, too, belongs to cgroup), tells the parent the port in
 * *port and reads the one connection it accepts. The parent's copy of fd is
 * closed, the child's of other. Returns once the child is ready.
 */
static pid_t reader_in(const char *cgroup, int fd, int other, in_port_t *port)
{
	struct sockaddr_in a = loopback();
	int ready[2], lfd;
	pid_t pid;

	if (pipe(ready))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(ready[0]);
		if (other >= 0)
			close(other);
		join_cgroup(cgroup);
		if (fd < 0) {
			lfd = bound_socket(SOCK_STREAM, &a);
			if (listen(lfd, 1))
				die("listen");
		}
		if (write(ready[1], &a.sin_port, sizeof(a.sin_port)) != sizeof(a.sin_port))
			_exit(1);
		if (fd < 0) {
			fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				die("accept");
		}
		drain_fd(fd);
		_exit(0);
	}
	close(ready[1]);
	if (fd >= 0)
		close(fd);
	if (read(ready[0], &a.sin_port, sizeof(a.sin_port)) != sizeof(a.sin_port)) {
		fprintf(stderr, "tnbench: the reader could not join %s\n", cgroup);
		exit(1);
	}
	close(ready[0]);
	if (port)
		*port = a.sin_port;
	return pid;
}

static void reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "tnbench: the reader failed\n");
		exit(1);
	}
}

static int bench_tput2(double seconds, const char *cgroup)
{
	static char buf[TPUT_CHUNK];
	struct sockaddr_in to = loopback();
	long long bytes = 0;
	double t0, t;
	ssize_t w;
	pid_t pid;
	int fd;

	if (seconds > MAX_SECONDS)
		seconds = MAX_SECONDS;
	pid = reader_in(cgroup, -1, -1, &to.sin_port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)))
		die("connect");
	memset(buf, 0x5a, sizeof(buf));
	t0 = now();
	while ((t = now() - t0) < seconds) {
		w = write(fd, buf, sizeof(buf));
		if (w < 0 && errno != EINTR)
			die("write");
		if (w > 0)
			bytes += w;
	}
	close(fd);
	reap(pid);
	printf("%.1f\n", bytes / t / 1e6);
	return 0;
}

/* Writes of MSG_LEN bytes on fd, n times, to a reader in cgroup. */
static int bench_msgs(long n, const char *cgroup, int fd, int rfd)
{
	char msg[MSG_LEN];
	double t0, t;
	pid_t pid;
	long i;

	pid = reader_in(cgroup, rfd, fd, NULL);
	memset(msg, 'm', sizeof(msg));
	for (i = 0; i < n / 10; i++)
		if (write(fd, msg, sizeof(msg)) != sizeof(msg))
			die("write");
	t0 = now();
	for (i = 0; i < n; i++) {
		if (write(fd, msg, sizeof(msg)) != sizeof(msg))
			die("write");
		if ((i & 1023) == 1023 && now() - t0 > MAX_SECONDS)
			break;
	}
	t = now() - t0;
	close(fd);
	reap(pid);
	printf("%.0f\n", i / t);
	return 0;
}

static int bench_unix(long n, const char *cgroup)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	return bench_msgs(n, cgroup, sv[0], sv[1]);
}

static int bench_pipe(long n, const char *cgroup)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	return bench_msgs(n, cgroup, p[1], p[0]);
}

/* ---- reach ---------------------------------------------------------- */

static int reach(const char *addr)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	int lfd, fd;

	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		fprintf(stderr, "tnbench: '%s' is not an IPv4 address\n", addr);
		return 2;
	}
	lfd = bound_socket(SOCK_STREAM, &to);
	if (listen(lfd, 1))
		die("listen");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		printf("denied: %s\n", strerror(errno));
		return 1;
	}
	printf("allowed\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

	if (!strcmp(op, "open") && argc == 4)
		return bench_open(parse_count(argv[2]), argv[3]);
	if (!strcmp(op, "connect") && argc == 3)
		return bench_connect(parse_count(argv[2]));
	if (!strcmp(op, "tput") && argc == 3)
		return bench_tput(parse_seconds(argv[2]));
	if (!strcmp(op, "udp") && argc == 3)
		return bench_udp(parse_count(argv[2]));
	if (!strcmp(op, "write") && argc == 4)
		return bench_write(parse_count(argv[2]), argv[3]);
	if (!strcmp(op, "tput2") && argc == 4)
		return bench_tput2(parse_seconds(argv[2]), argv[3]);
	if (!strcmp(op, "unix") && argc == 4)
		return bench_unix(parse_count(argv[2]), argv[3]);
	if (!strcmp(op, "pipe") && argc == 4)
		return bench_pipe(parse_count(argv[2]), argv[3]);
	if (!strcmp(op, "reach") && argc == 3)
		return reach(argv[2]);
	fprintf(stderr,
		"usage: tnbench open N DIR | write N DIR | connect N | tput SECONDS |\n"
		"       tput2 SECONDS CGROUP | udp N | unix N CGROUP | pipe N CGROUP |\n"
		"       reach ADDR\n");
	return 2;
}
