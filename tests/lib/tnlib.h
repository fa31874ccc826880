/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test scaffolding: a node made of a cgroup subtree, two network namespaces
 * joined by a veth (the workload's side and an "outside" host), and a real
 * trustnoded attached below that subtree. Nothing here reaches any address
 * the test did not create.
 *
 *   workload netns wl-ID            outside netns out-ID
 *     203.0.113.1/24  ---- veth ----  203.0.113.2/24      outside
 *     198.51.100.1/24                 198.51.100.2/24     local (policy)
 *     2001:db8:1::1/64                2001:db8:1::2/64    outside
 *     2001:db8:2::1/64                2001:db8:2::2/64    local (policy)
 */
#ifndef TNLIB_H
#define TNLIB_H

#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/types.h>

#define OUT4	"203.0.113.2"
#define LOCAL4	"198.51.100.2"
#define OUT6	"2001:db8:1::2"
#define LOCAL6	"2001:db8:2::2"
#define OUT_MAPPED "::ffff:203.0.113.2"

static inline long long tn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline double tn_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Evaluates COND every 50 ms until it holds or MS milliseconds have passed;
 * 1 if it held. Tests wait for what they need, not for a guessed time.
 */
#define WAIT_UNTIL(cond, ms) ({						\
	long long wait_end_ = tn_now_ms() + (ms);			\
	int wait_ok_;							\
	while (!(wait_ok_ = !!(cond)) && tn_now_ms() < wait_end_)	\
		usleep(50 * 1000);					\
	wait_ok_;							\
})

struct tn_node {
	char id[32];
	char cgroot[256];	/* trustnoded's attach cgroup */
	char wl_cg[300];	/* workload "wl" */
	char wl2_cg[300];	/* workload "wl2", stays untainted */
	char other_cg[300];	/* below the attach cgroup, no workload */
	char trusted_cg[300];	/* trusted receiver "resolver" */
	char tmp[96];		/* scratch: state, run, data */
	char data[300];		/* data dir: secret, plain, tagged dir */
	char socket[100];
	char pin[256];
	char policy[300];
	char ns_wl[64], ns_out[64];
	pid_t agent;
	const char *mode;	/* "enforce" or "audit" */
	unsigned ringbuf;	/* 0: default */
	/* Attestation: off ("none") unless a test sets a TCTI. */
	const char *tcti;
	const char *listen;	/* --listen ADDR:PORT */
	const char *agent_netns; /* run trustnoded in this named netns */
	const char *state;	/* --state-dir; default TMP/state */
	const char *extra_args;	/* one more trustnoded option, "--opt=value" */
	const char *extra_args2; /* and another */
	const char *agent_bin;	/* another trustnoded binary (default: the build's) */
};

/* Build dir holding trustnoded and trustctl ($TN_BUILD, default build). */
const char *tn_build(void);

int node_create(struct tn_node *n, const char *mode);
/* As node_create, without starting the agent (set tcti, listen... first). */
int node_create_stopped(struct tn_node *n, const char *mode);
void node_destroy(struct tn_node *n);
/* What node_destroy undoes in the kernel (agent, pins, namespaces,
 * cgroups), leaving n->tmp: for a node whose files must outlive it. */
void node_take_down(struct tn_node *n);
int node_start_agent(struct tn_node *n);
/* Joins the network namespace /run/netns/NAME. */
int join_netns(const char *name);
/* Runs make(arg) in the network namespace NAME, back in the caller's
 * afterwards: for a descriptor that must live there. -1 on failure. */
int fd_in_netns(const char *name, int (*make)(void *), void *arg);
/* SIGKILL, as a crash would. */
void node_kill_agent(struct tn_node *n);
/* Zeroes the n first slots of the node's pinned array map NAME (__u32
 * values), as an earlier version that had no such map leaves it. */
int node_clear_pinned_array(struct tn_node *n, const char *name, uint32_t slots);
int node_write_policy(struct tn_node *n, const char *mode);
/* The text node_write_policy writes, with extra settings appended. */
void node_policy_text(struct tn_node *n, const char *mode, const char *extra,
		      char *text, size_t len);

/*
 * Runs trustctl with args (a printf format) against this node's agent.
 * Returns its exit code; stdout+stderr go to out (may be NULL).
 */
int ctl(struct tn_node *n, char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Runs fn(arg) in a child that joined cgroup cg and the workload netns.
 * Returns fn's return value (0..255), or -1 if the child died.
 */
int in_cgroup(struct tn_node *n, const char *cg, int (*fn)(void *), void *arg);

/*
 * A name part for a test's namespaces, veths, cgroups and pins: the pid and
 * a counter ("1234_0", at most 11 characters), skipping any that a killed
 * earlier run left behind under a pid now reused (not ours to remove).
 */
const char *tn_unused_id(char *id, size_t len);

/* Child-side actions; each returns 0 on success or the errno. */
int do_open(const char *path);
int do_connect(const char *addr, int port);
int do_sendto(const char *addr, int port);

/* addr:port as a socket address; returns the family, or -1. */
struct sockaddr_storage;
int sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss,
		socklen_t *len);

/* Listening TCP socket in the outside netns. */
int out_listen(struct tn_node *n, const char *addr, int port);
/* Bound UDP socket in the outside netns (datagrams that get out land here). */
int out_udp(struct tn_node *n, const char *addr, int port);

/*
 * A process in cgroup cg and the workload netns holding a TCP socket for
 * OUT4:tcp_port and a UDP one for OUT4:udp_port, made while nothing
 * refused them (after opening open_path, if not NULL: it taints its
 * workload). held_try lets it use them: r[0] the connect's errno, r[1] the
 * sendto's, r[2] a new socket's connect to OUT4:tcp_port; and reaps it.
 */
struct held {
	pid_t pid;
	int go, res;
};
int held_start(struct tn_node *n, const char *cg, const char *open_path,
	       int tcp_port, int udp_port, struct held *h);
int held_try(struct held *h, int r[3]);

/* A unix datagram socket bound at path, standing in for systemd's
 * NOTIFY_SOCKET; wait_ready waits up to ms for a datagram with READY=1. */
int notify_socket(const char *path);
int wait_ready(int fd, int ms);

/* Latest events as JSON lines, into buf. */
int node_events(struct tn_node *n, char *buf, size_t len);
/* The workload's taint as trustctl workload list prints it ("-" if none). */
int node_taint(struct tn_node *n, const char *workload, char *buf, size_t len);

int write_file(const char *path, const char *text);
/*
 * A status request straight on n's control socket, read to the end (no
 * trustctl to start): the agent's own share of an answer's time. 0 if ok.
 */
int node_bare_status(struct tn_node *n);
/*
 * Over the records of the audit log in dir whose line contains n1 (and n2,
 * if given): how many (*lines), and the sum of the numbers after key. -1
 * when the log cannot be read.
 */
long audit_sum(const char *dir, const char *key, const char *n1,
	       const char *n2, long *lines);
/*
 * A flood of denials, as the calling process (already in its workload):
 * sendto() of one byte to addr:port in a loop for seconds; counts[0] the
 * calls refused with EPERM, counts[1] the others. -1 without a socket.
 */
int flood_sendto(const char *addr, int port, int seconds, long counts[2]);
/*
 * After a flood of `refused` denials lasting `seconds` by workload wl, the
 * audit log in dir accounts for each exactly once: reported as a sendmsg
 * deny event (a burst of 10, then 10 a second at most) or counted in a
 * denials-unreported record. 0 if so; the counts found in *reported and
 * *unreported, and in why what was found, either way.
 */
int denials_accounted(const char *dir, const char *wl, long refused, int seconds,
		      long *reported, long *unreported, char *why, size_t len);
int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Runs a shell command and captures its standard output (add 2>&1 for
 * errors too) into out, NUL-terminated and cut to outlen (out may be NULL:
 * the output is read and dropped). Its exit status, or -1.
 */
int capture(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
