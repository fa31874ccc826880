// SPDX-License-Identifier: GPL-2.0-only
/*
 * The agent's audit log (include/trustnode/audit_api.h), on a real node: every
 * event becomes a chained record that is on disk before the change it
 * records is acknowledged; a crash's torn tail is repaired without reusing
 * a seq; segments rotate without breaking the chain; a full disk never
 * stops enforcement and what was lost is recorded once space returns;
 * records reach the systemd journal with structured fields; trustctl events
 * is the log read back.
 * (The verifier's tamper detection: audit_log_test. A peer checking the log
 * against the TPM: attest_test.)
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <json-c/json.h>
#include "node_fixture.h"
#include "proto.h"

/* Runs trustctl log ARGS against this node's state dir; output in out. */
static int log_cmd(struct tn_node *n, char *out, size_t len, const char *args)
{
	return capture(out, len, "%s/trustctl --state-dir %s/state log %s 2>&1",
		       tn_build(), n->tmp, args);
}

/* The newest segment of the node's log. */
static void last_segment(struct tn_node *n, char *path, size_t len)
{
	capture(path, len, "ls %s/state/audit/audit-*.jsonl | tail -1", n->tmp);
	path[strcspn(path, "\n")] = '\0';
}

static int count_segments(struct tn_node *n)
{
	return run_cmd("exit $(ls %s/state/audit/audit-*.jsonl | wc -l)", n->tmp);
}

/* Changes the node 2*k times (each an audit record) through the agent. */
static int churn(struct tn_node *n, int k)
{
	for (int i = 0; i < k; i++)
		if (ctl(n, NULL, 0, "tag %s --label churn", data(n, "plain")) ||
		    ctl(n, NULL, 0, "untag %s", data(n, "plain")))
			return -1;
	return 0;
}

TEST_F(node, a_denial_is_a_chained_record_that_verifies)
{
	char out[65536];

	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
	usleep(300 * 1000);	/* the ring buffer is read within a turn */
	ASSERT_EQ(0, log_cmd(&self->n, out, sizeof(out), "tail -n 100 --json"));
	EXPECT_NE(NULL, strstr(out, "\"type\":\"log-start\""));
	EXPECT_NE(NULL, strstr(out, "\"type\":\"policy-load\""));
	EXPECT_NE(NULL, strstr(out, "\"decision\":\"deny\"")) TH_LOG("%s", out);
	ASSERT_EQ(0, log_cmd(&self->n, out, sizeof(out), "verify"));
	EXPECT_NE(NULL, strstr(out, "ok")) TH_LOG("%s", out);
}

TEST_F(node, a_change_is_acknowledged_only_once_its_record_is_on_disk)
{
	char seg[512];

	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "workload add late %s", self->n.other_cg));
	/* No wait: the reply came after the fdatasync. */
	last_segment(&self->n, seg, sizeof(seg));
	EXPECT_EQ(0, run_cmd("grep -q '\"type\":\"workload-add\"' %s", seg));
}

TEST_F(node, a_torn_tail_is_repaired_and_its_seq_never_reused)
{
	char seg[512], out[65536];

	ASSERT_EQ(0, churn(&self->n, 2));
	node_kill_agent(&self->n);
	last_segment(&self->n, seg, sizeof(seg));
	/* A crash in the middle of a write: half a record, no newline. */
	ASSERT_EQ(0, run_cmd("printf '{\"seq\":999,\"time\":\"2026-' >> %s", seg));
	ASSERT_EQ(0, node_start_agent(&self->n));
	ASSERT_EQ(0, run_cmd("grep -q 'audit log repaired' %s/agent.log", self->n.tmp));
	ASSERT_EQ(0, log_cmd(&self->n, out, sizeof(out), "tail -n 100 --json"));
	EXPECT_NE(NULL, strstr(out, "\"type\":\"log-repaired\"")) TH_LOG("%s", out);
	EXPECT_EQ(0, log_cmd(&self->n, out, sizeof(out), "verify")) TH_LOG("%s", out);
}

TEST_F(node, segments_rotate_without_breaking_the_chain)
{
	char out[65536];

	node_kill_agent(&self->n);
	self->n.extra_args = "--audit-segment-bytes=4096";
	ASSERT_EQ(0, node_start_agent(&self->n));
	ASSERT_EQ(0, churn(&self->n, 20));
	EXPECT_LT(2, count_segments(&self->n));
	EXPECT_EQ(0, log_cmd(&self->n, out, sizeof(out), "verify")) TH_LOG("%s", out);
	/* An edit in a later segment is still caught. */
	ASSERT_EQ(0, run_cmd("f=$(ls %s/state/audit/audit-*.jsonl | sed -n 2p); "
			     "sed -i '1s/churn/chorn/' $f", self->n.tmp));
	EXPECT_EQ(1, log_cmd(&self->n, out, sizeof(out), "verify")) TH_LOG("%s", out);
}

/* The seqs of the events in out (trustctl events --json), at most max. */
static int event_seqs(const char *out, long long *seqs, int max)
{
	int n = 0;

	for (const char *p = out; *p && n < max; p = strchrnul(p, '\n'), p += !!*p) {
		json_object *e = json_tokener_parse(p);
		long long seq;

		if (e && !tn_json_int(e, "seq", &seq))
			seqs[n++] = seq;
		json_object_put(e);
	}
	return n;
}

/*
 * trustctl events is the audit log read back, not a second record: every
 * event it shows is the record with that seq, type and time, also across
 * rotated segments; every record but the log's own structure is shown;
 * -n takes the newest and --since the later ones; no events.jsonl exists.
 */
TEST_F(node, events_are_the_audit_records_read_back)
{
	static char ev[1 << 20], log[1 << 20], few[65536];
	static long long all[4096], last[16];
	int n_ev = 0, n_rec = 0, n_few, at;

	node_kill_agent(&self->n);
	self->n.extra_args = "--audit-segment-bytes=4096";
	ASSERT_EQ(0, node_start_agent(&self->n));
	ASSERT_EQ(0, churn(&self->n, 20));
	EXPECT_LT(2, count_segments(&self->n));
	ASSERT_EQ(0, ctl(&self->n, few, sizeof(few), "events --json -n 5"));
	ASSERT_EQ(0, ctl(&self->n, ev, sizeof(ev), "events --json --limit 0"));
	ASSERT_EQ(0, log_cmd(&self->n, log, sizeof(log), "export --since 0"));
	for (char *p = ev; *p; p = strchrnul(p, '\n'), p += !!*p) {
		json_object *e = json_tokener_parse(p);
		char prefix[256];
		long long seq;

		ASSERT_NE(NULL, e) TH_LOG("%.200s", p);
		ASSERT_EQ(0, tn_json_int(e, "seq", &seq));
		snprintf(prefix, sizeof(prefix), "{\"seq\":%lld,\"time\":\"%s\",\"type\":\"%s\",",
			 seq, tn_json_str(e, "time"), tn_json_str(e, "type"));
		EXPECT_NE(NULL, strstr(log, prefix)) TH_LOG("no record %s", prefix);
		json_object_put(e);
		n_ev++;
	}
	for (char *p = log; *p; p = strchrnul(p, '\n'), p += !!*p)
		n_rec += !strstr(p, "\"type\":\"log-start\"") &&
			 !strstr(p, "\"type\":\"checkpoint\"");
	EXPECT_LE(40, n_ev);
	/* Nothing after the export: events is the same list as the log. */
	EXPECT_EQ(n_rec, n_ev);
	/* -n 5: the newest five, in order (the list above may have grown since). */
	n_few = event_seqs(few, last, 16);
	ASSERT_EQ(5, n_few) TH_LOG("%s", few);
	ASSERT_EQ(n_ev, event_seqs(ev, all, 4096));
	for (at = 0; at < n_ev && all[at] != last[4]; at++)
		;
	ASSERT_LT(at, n_ev);
	ASSERT_LE(4, at);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(all[at - 4 + i], last[i]);
	/* --since S: exactly what came after S. */
	ASSERT_EQ(0, ctl(&self->n, ev, sizeof(ev), "events --json --limit 0 --since %lld",
			 all[n_ev - 10]));
	ASSERT_LE(9, event_seqs(ev, last, 16));
	EXPECT_EQ(all[n_ev - 9], last[0]);
	EXPECT_NE(0, run_cmd("test -e %s/state/events.jsonl", self->n.tmp));
}

TEST_F(node, a_full_disk_loses_records_not_enforcement_and_says_so)
{
	char audit[400], out[65536];

	node_kill_agent(&self->n);
	/* The log on a 64 KiB file system, already holding the old log. */
	snprintf(audit, sizeof(audit), "%s/state/audit", self->n.tmp);
	ASSERT_EQ(0, run_cmd("mv %s %s.old && mkdir %s && mount -t tmpfs -o size=64k tntest %s && "
			     "cp -a %s.old/. %s/", audit, audit, audit, audit, audit, audit));
	ASSERT_EQ(0, node_start_agent(&self->n));
	ASSERT_EQ(0, run_cmd("dd if=/dev/zero of=%s/filler bs=4k count=64 2>/dev/null; true", audit));
	/* Appends fill the segment's last page first; then ENOSPC. */
	ASSERT_EQ(0, churn(&self->n, 12));
	/* Enforcement goes on while nothing can be written. */
	ASSERT_EQ(0, ACT(&self->n, self->n.wl_cg, .open = data(&self->n, "secret")));
	EXPECT_EQ(EPERM, ACT(&self->n, self->n.wl_cg, .connect = OUT4));
	ASSERT_EQ(0, ctl(&self->n, out, sizeof(out), "status --json"));
	EXPECT_NE(NULL, strstr(out, "\"failing\":true")) TH_LOG("%s", out);
	/* Space returns: the loss is recorded, and the chain is whole. */
	ASSERT_EQ(0, run_cmd("rm %s/filler", audit));
	ASSERT_EQ(0, churn(&self->n, 1));
	ASSERT_EQ(0, log_cmd(&self->n, out, sizeof(out), "tail -n 20 --json"));
	EXPECT_NE(NULL, strstr(out, "\"type\":\"records-lost\"")) TH_LOG("%s", out);
	EXPECT_EQ(0, log_cmd(&self->n, out, sizeof(out), "verify")) TH_LOG("%s", out);
	node_kill_agent(&self->n);
	run_cmd("umount %s", audit);
}

/* A stand-in journal: the socket sd_journal_send writes to, in a private
 * mount namespace so the machine's /run is untouched. */
TEST_F(node, records_reach_the_journal_with_structured_fields)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[65536];
	int fd, found = 0;
	ssize_t n;

	node_kill_agent(&self->n);
	ASSERT_EQ(0, unshare(CLONE_NEWNS));
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	ASSERT_EQ(0, run_cmd("mkdir -p /run/systemd/journal"));
	ASSERT_EQ(0, mount("tntest", "/run/systemd/journal", "tmpfs", 0, NULL));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/run/systemd/journal/socket");
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_EQ(0, node_start_agent(&self->n));
	ASSERT_EQ(0, ctl(&self->n, NULL, 0, "workload add late %s", self->n.other_cg));
	while (!found && (n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = '\0';
		found = strstr(buf, "TRUSTNODE_TYPE=workload-add\n") &&
			strstr(buf, "SYSLOG_IDENTIFIER=trustnoded\n") &&
			strstr(buf, "TRUSTNODE_SEQ=");
	}
	EXPECT_TRUE(found);
	close(fd);
}

TEST_HARNESS_MAIN
