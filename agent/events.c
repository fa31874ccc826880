// SPDX-License-Identifier: GPL-2.0-only
/*
 * The event pipeline: records from the BPF ring buffer and from the agent
 * itself become audit records (agent/audit.c): the audit log is the one
 * record of events, and trustctl events reads it back (events_query.c).
 * Losses are never silent: the kernel counts what the ring buffer could not
 * take, and the agent turns every increase into an "events-lost" record.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "agent.h"
#include "clock.h"
#include "proto.h"
#include "trustnode.skel.h"
#include "trustnode/bpf_shared.h"

static const char *type_name(__u32 t)
{
	switch (t) {
	case TN_EV_TAINT_FILE: return "taint-file";
	case TN_EV_TAINT_NET:  return "taint-net";
	case TN_EV_CONNECT:    return "connect";
	case TN_EV_SENDMSG:    return "sendmsg";
	case TN_EV_EGRESS:     return "egress";
	case TN_EV_DERIVE_FILE: return "derive-file";
	case TN_EV_TAINT_FLOW: return "taint-flow";
	case TN_EV_TRUSTED_FLOW: return "trusted-flow";
	case TN_EV_CGROUP_ESCAPE: return "cgroup-escape";
	case TN_EV_SOCKET:     return "socket";
	case TN_EV_USERNS:     return "userns";
	case TN_EV_TAGGED_OPEN: return "tagged-open";
	case TN_EV_MAP_FULL:   return "map-full";
	}
	return "unknown";
}

static const char *decision_name(__u32 d)
{
	switch (d) {
	case TN_DEC_TAINT:       return "taint";
	case TN_DEC_DENY:        return "deny";
	case TN_DEC_ALLOW_AUDIT: return "allow-audit";
	case TN_DEC_DERIVE:      return "derive";
	case TN_DEC_TRUSTED:     return "trusted";
	case TN_DEC_KILL:        return "kill";
	}
	return "unknown";
}

/* Through what a flow event's data went. */
static const char *channel_name(const struct tn_event *e)
{
	switch (e->channel) {
	case TN_CHAN_UNIX_STREAM:    return "unix-stream";
	case TN_CHAN_UNIX_DGRAM:     return "unix-dgram";
	case TN_CHAN_UNIX_SEQPACKET: return "unix-seqpacket";
	case TN_CHAN_PIPE:           return "pipe";
	case TN_CHAN_FIFO:           return "fifo";
	}
	return e->protocol == 6 ? "tcp" : e->protocol == 17 ? "udp" : "ip";
}

/*
 * The receiving object of a unix socket, pipe or FIFO: named as in
 * /proc/PID/fd and ss -x for sockets and pipes, by inode for FIFOs.
 */
static void add_channel_object(json_object *o, const struct tn_event *e)
{
	char buf[96];

	if (e->channel == TN_CHAN_FIFO)
		snprintf(buf, sizeof(buf), "fifo inode %llu:%llu:%llu",
			 (unsigned long long)(e->dev >> 20),
			 (unsigned long long)(e->dev & 0xfffff),
			 (unsigned long long)e->ino);
	else if (e->channel == TN_CHAN_PIPE)
		snprintf(buf, sizeof(buf), "pipe:[%llu]", (unsigned long long)e->ino);
	else if (e->ino)
		snprintf(buf, sizeof(buf), "socket:[%llu]", (unsigned long long)e->ino);
	else
		snprintf(buf, sizeof(buf), "socket (not yet accepted)");
	json_object_object_add(o, "object", json_object_new_string(buf));
}

/*
 * One event, one audit record: o's "type" is the record's type, the rest its
 * data; seq and time are the record's (the time the kernel saw it).
 */
static void write_record(struct agent *a, json_object *o, int64_t real_ns)
{
	char type[32];

	snprintf(type, sizeof(type), "%s", tn_json_str(o, "type") ? : "event");
	json_object_object_del(o, "type");
	audit_record_at(a, type, o, real_ns / 1000);
	json_object_put(o);
}

void events_record(struct agent *a, const char *type, json_object *obj)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	if (obj) {
		json_object_object_foreach(obj, k, v)
			json_object_object_add(o, k, json_object_get(v));
		json_object_put(obj);
	}
	write_record(a, o, clock_ns(CLOCK_REALTIME));
}

static void add_dest(json_object *o, const struct tn_event *e)
{
	char buf[TN_ADDR_STRLEN + 8];

	tn_format_endpoint(buf, sizeof(buf), e->family, e->addr, ntohs(e->port));
	json_object_object_add(o, "dest", json_object_new_string(buf));
	json_object_object_add(o, "protocol", json_object_new_string(
		e->protocol == 6 ? "tcp" : e->protocol == 17 ? "udp" : "other"));
}

/* The socket a tainted workload asked for: "AF_INET SOCK_RAW protocol 255". */
static void add_socket(json_object *o, const struct tn_event *e)
{
	char fam[16], type[16], buf[64];

	snprintf(fam, sizeof(fam), "%d", e->family);
	snprintf(type, sizeof(type), "%u", e->count);
	snprintf(buf, sizeof(buf), "%s %s protocol %u",
		 e->family == 2 ? "AF_INET" : e->family == 10 ? "AF_INET6" :
		 e->family == 17 ? "AF_PACKET" : e->family == 40 ? "AF_VSOCK" : fam,
		 e->count == 1 ? "SOCK_STREAM" : e->count == 2 ? "SOCK_DGRAM" :
		 e->count == 3 ? "SOCK_RAW" : e->count == 5 ? "SOCK_SEQPACKET" : type,
		 e->port);
	json_object_object_add(o, "socket", json_object_new_string(buf));
}

/*
 * A tainted workload wrote a file: a derived tag, kept until an explicit
 * untag. The kernel map already holds it; the registry's copy (state.c)
 * lists it and restores it after a reboot.
 */
static void note_derived(struct agent *a, const struct reg_workload *w,
			 const struct tn_event *e)
{
	struct reg_tag t = {
		.source = TN_SRC_DERIVED, .dev = e->dev, .ino = e->ino,
		.labels = e->labels, .workload = w ? w->name : NULL,
		.event = audit_next_seq(a),	/* the seq of this event's record */
		.last_write = (e->ts_boot_ns + clock_ns(CLOCK_REALTIME) -
			       clock_ns(CLOCK_BOOTTIME)) / 1000000000LL,
		/* While the writer still has it open: for trustctl tag prune. */
		.handle = derived_handle(e->pid, e->dev, e->ino),
	};

	state_note_derived(a, &t);
	if (!t.handle)
		derived_handle_later(e->pid, e->dev, e->ino);
	free(t.handle);
}

/* A cgroup's path from its id: cgroup2 files open by handle (FILEID_KERNFS). */
static void cgroup_path(struct agent *a, uint64_t id, char *out, size_t n)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + sizeof(uint64_t)];
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = 0xfe } };
	char link[64];
	ssize_t len = -1;
	int fd;

	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(a->cgroup_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, out, n - 1);
		close(fd);
	}
	if (len > 0)
		out[len] = '\0';
	else
		snprintf(out, n, "cgroup:%llu", (unsigned long long)id);
}

/* Where a tainted task went, and what was done about it. */
static void add_escape(struct agent *a, json_object *o, const struct tn_event *e)
{
	struct reg_workload *dw = registry_workload_by_cgid(&a->reg, e->from_cgid);
	char path[4096];

	cgroup_path(a, e->to_cgid, path, sizeof(path));
	json_object_object_add(o, "dest_cgroup", json_object_new_string(path));
	json_object_object_add(o, "dest_workload", dw ?
			       json_object_new_string(dw->name) : NULL);
	json_object_object_add(o, "moved_pid", json_object_new_int64(
				       e->count ? e->count : e->pid));
	json_object_object_add(o, "note", json_object_new_string(
		e->decision == TN_DEC_TAINT ? "moved into another workload, which is now tainted too" :
		e->decision == TN_DEC_DENY ? "the move out of every workload was refused" :
		e->decision == TN_DEC_KILL ? "moved out of every workload: the writer and the moved task were killed" :
		"moved out of every workload (audit mode: allowed)"));
	/* The destination gained the writer's labels: remember them. */
	if (dw && e->decision == TN_DEC_TAINT)
		state_note_taint(a, dw, e->labels);
}

/*
 * A process in no workload and no trusted reader opened a tagged file
 * (tagged_readers = "workloads"): who (pid, comm, its cgroup), which file,
 * and the tag that covers it.
 */
static void add_tagged_open(struct agent *a, json_object *o, const struct tn_event *e)
{
	const struct reg_tag *t = registry_tag_by_inode(&a->reg, e->dev, e->from_cgid);
	char path[4096], f[96];

	cgroup_path(a, e->to_cgid, path, sizeof(path));
	json_object_object_add(o, "cgroup", json_object_new_string(path));
	json_object_object_add(o, "reader_cgroup_id", json_object_new_int64(e->to_cgid));
	snprintf(f, sizeof(f), "inode %llu:%llu:%llu",
		 (unsigned long long)(e->dev >> 20),
		 (unsigned long long)(e->dev & 0xfffff),
		 (unsigned long long)e->ino);
	json_object_object_add(o, "file", json_object_new_string(f));
	json_object_object_add(o, "tag", json_object_new_string(
		e->channel ? "(derived tag)" : t && t->path ? t->path : "(removed tag)"));
	json_object_object_add(o, "via", json_object_new_string(
		e->count ? "scm_rights" : "open"));
	json_object_object_add(o, "note", json_object_new_string(
		e->decision == TN_DEC_DENY ?
		"tagged_readers = \"workloads\": only workloads and trusted readers may open tagged files; refused (EACCES)" :
		"tagged_readers = \"workloads\": only workloads and trusted readers may open tagged files (audit mode: allowed)"));
}

/* A map a decision depends on could not take an entry: what was done. */
static void add_map_full(json_object *o, const struct tn_event *e)
{
	const char *note = "?";
	char f[96];

	if (e->count == TN_MAP_DERIVED) {
		json_object_object_add(o, "map", json_object_new_string("tn_derived"));
		snprintf(f, sizeof(f), "inode %llu:%llu:%llu",
			 (unsigned long long)(e->dev >> 20),
			 (unsigned long long)(e->dev & 0xfffff),
			 (unsigned long long)e->ino);
		json_object_object_add(o, "file", json_object_new_string(f));
		note = e->decision == TN_DEC_DENY ? "tn_derived is full: the file cannot become a derived tag, so the open (or move) was refused" :
		       e->decision == TN_DEC_KILL ? "tn_derived is full: the file cannot become a derived tag; the open had happened (cgroup mode), so the opener was killed before it returned" :
		       "tn_derived is full: the file is not a derived tag (audit mode: allowed)";
	} else if (e->count == TN_MAP_FLOWS) {
		json_object_object_add(o, "map", json_object_new_string("tn_flows"));
		add_dest(o, e);
		note = e->decision == TN_DEC_DENY ? "tn_flows is full: a tainted flow's packets are dropped, its receiver could not be tainted; further drops within 1 s are counted (flow_full_packets), not reported" :
		       "tn_flows is full: a tainted flow's packets pass untracked (audit mode)";
	}
	json_object_object_add(o, "note", json_object_new_string(note));
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;
	const struct tn_event *e = data;
	struct reg_workload *w;
	json_object *o;
	char comm[TN_COMM_LEN + 1];

	if (size < sizeof(*e))
		return 0;
	w = registry_workload_by_cgid(&a->reg, e->workload_cgid);
	o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(type_name(e->type)));
	json_object_object_add(o, "decision",
			       json_object_new_string(decision_name(e->decision)));
	if (e->type == TN_EV_TRUSTED_FLOW) {
		const struct reg_workload *t = registry_trusted_by_cgid(&a->reg, e->to_cgid);

		json_object_object_add(o, "receiver", json_object_new_string(
					       t ? t->name : "(unknown)"));
		json_object_object_add(o, "note", json_object_new_string(
			"a trusted receiver got tainted data and stays untainted: a deliberate hole in the policy"));
	} else if (w) {
		json_object_object_add(o, "workload", json_object_new_string(w->name));
	} else if (e->type == TN_EV_TAGGED_OPEN) {
		json_object_object_add(o, "workload", NULL);
	} else {
		char id[32];

		snprintf(id, sizeof(id), "cgroup:%llu", (unsigned long long)e->workload_cgid);
		json_object_object_add(o, "workload", json_object_new_string(id));
	}
	json_object_object_add(o, "cgroup_id", json_object_new_int64(e->workload_cgid));
	if (e->pid) {
		memcpy(comm, e->comm, TN_COMM_LEN);
		comm[TN_COMM_LEN] = '\0';
		json_object_object_add(o, "pid", json_object_new_int64(e->pid));
		json_object_object_add(o, "comm", json_object_new_string(comm));
	}
	json_object_object_add(o, "labels", registry_label_names(&a->reg, e->labels));
	if (e->type == TN_EV_TAINT_FILE) {
		const struct reg_tag *t = registry_tag_by_inode(&a->reg, e->dev, e->ino);

		json_object_object_add(o, "tag", json_object_new_string(
			t && t->path ? t->path : t ? "(derived tag)" : "(removed tag)"));
	} else if (e->type == TN_EV_DERIVE_FILE) {
		char f[96];

		snprintf(f, sizeof(f), "inode %llu:%llu:%llu",
			 (unsigned long long)(e->dev >> 20),
			 (unsigned long long)(e->dev & 0xfffff),
			 (unsigned long long)e->ino);
		json_object_object_add(o, "file", json_object_new_string(f));
		/* deny / allow-audit: a move out of a tagged tree that made no tag. */
		if (e->decision == TN_DEC_DERIVE)
			note_derived(a, w, e);
	} else if (e->type == TN_EV_MAP_FULL) {
		add_map_full(o, e);
	} else if (e->type == TN_EV_CGROUP_ESCAPE) {
		add_escape(a, o, e);
	} else if (e->type == TN_EV_SOCKET) {
		add_socket(o, e);
	} else if (e->type == TN_EV_TAGGED_OPEN) {
		add_tagged_open(a, o, e);
	} else if (e->type == TN_EV_USERNS) {
		json_object_object_add(o, "note", json_object_new_string(
			"a workload may not create a user namespace (overlay mounts over tagged files)"));
	} else if ((e->type == TN_EV_TAINT_FLOW || e->type == TN_EV_TRUSTED_FLOW) &&
		   e->channel != TN_CHAN_IP) {
		add_channel_object(o, e);
	} else {
		add_dest(o, e);
	}
	if (e->type == TN_EV_EGRESS)
		json_object_object_add(o, "note", json_object_new_string(
			"packets of an open flow; further drops within 1 s are counted, not reported"));
	if (e->type == TN_EV_TAINT_FLOW || e->type == TN_EV_TRUSTED_FLOW) {
		const struct reg_workload *from = registry_workload_by_cgid(&a->reg, e->from_cgid);

		json_object_object_add(o, "from", json_object_new_string(
					       from ? from->name : "(unknown workload)"));
		json_object_object_add(o, "channel", json_object_new_string(
					       channel_name(e)));
	}
	if (e->type == TN_EV_TAINT_FILE || e->type == TN_EV_TAINT_NET ||
	    e->type == TN_EV_TAINT_FLOW)
		state_note_taint(a, w, e->labels);

	write_record(a, o, e->ts_boot_ns + clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME));
	/* Past the slice: stop here (this record is consumed), rest next turn. */
	if (++a->slice_events >= TN_EVENTS_PER_SLICE)
		return -EAGAIN;
	return 0;
}

int events_open(struct agent *a, struct tn_err *err)
{
	a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.tn_events), on_event,
				 a, NULL);
	if (!a->rb)
		return tn_fail_errno(err, errno, "cannot open the event ring buffer");
	/* Losses before this agent started are reported once, now. */
	a->lost_reported = 0;
	a->channels_untracked_reported = 0;
	a->opens_unreported_reported = 0;
	return 0;
}

void events_close(struct agent *a)
{
	if (a->rb)
		ring_buffer__free(a->rb);
	a->rb = NULL;
}

int events_fd(struct agent *a)
{
	return ring_buffer__epoll_fd(a->rb);
}

/*
 * libbpf 1.1 (Debian 12) has no ring_buffer__consume_n(): on_event ends
 * the slice by returning -EAGAIN, which makes ring_buffer__consume() store
 * the consumer position after that record and return. The ring buffer's
 * epoll fd stays readable, so the main loop comes back after serving the
 * control socket, timers and peers.
 */
int events_poll(struct agent *a)
{
	int n;

	a->slice_events = 0;
	n = ring_buffer__consume(a->rb);
	/* What the slice noted (taint, derived tags), saved once. */
	state_flush(a);
	return n == -EAGAIN;
}

void events_drain(struct agent *a)
{
	for (int i = 0; i < 1000 && events_poll(a) > 0; i++)
		;
}

/*
 * Unix sockets, pipes and FIFOs the kernel could not fully track (lsm mode),
 * and the tainted writes into them that it refused (enforce mode) or could
 * only let through. Never silent: each increase becomes an event.
 */
static void check_channel_stats(struct agent *a)
{
	uint64_t v[TN_CHST__MAX] = { 0 }, total;
	json_object *o;
	__u32 i;

	for (i = 0; i < TN_CHST__MAX; i++)
		bpf_map_lookup_elem(bpf_map__fd(a->skel->maps.tn_channel_stats), &i, &v[i]);
	total = v[TN_CHST_UNTRACKED] + v[TN_CHST_READERS_FULL] + v[TN_CHST_REFUSED];
	if (total <= a->channels_untracked_reported)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "count", json_object_new_int64(
		total - a->channels_untracked_reported));
	json_object_object_add(o, "map_full", json_object_new_int64(v[TN_CHST_UNTRACKED]));
	json_object_object_add(o, "readers_full", json_object_new_int64(v[TN_CHST_READERS_FULL]));
	json_object_object_add(o, "tainted_writes", json_object_new_int64(v[TN_CHST_REFUSED]));
	json_object_object_add(o, "note", json_object_new_string(
		"unix sockets, pipes or FIFOs whose readers could not all be recorded (tn_channels full, or more than 8 reader workloads on one): tainted writes into them are refused in enforce mode, let through in audit mode and by splice, tee and vmsplice"));
	a->channels_untracked_reported = total;
	events_record(a, "channel-untracked", o);
}

/*
 * A kernel counter that grew since it was last reported: one record of type
 * with the increase, the total and a note, after what o already holds (o
 * may be NULL; it is consumed).
 */
static void report_increase(struct agent *a, json_object *o, uint64_t total,
			    uint64_t *reported, const char *type,
			    const char *note)
{
	if (total <= *reported) {
		json_object_put(o);
		return;
	}
	if (!o)
		o = json_object_new_object();
	json_object_object_add(o, "count", json_object_new_int64(total - *reported));
	json_object_object_add(o, "total", json_object_new_int64(total));
	json_object_object_add(o, "note", json_object_new_string(note));
	*reported = total;
	events_record(a, type, o);
}

/*
 * Denials the per-workload rate limit folded into a count: each increase
 * becomes one "denials-unreported" record per workload, so that the events
 * of a workload plus these counts add up to its denials.
 */
static void check_denials(struct agent *a)
{
	for (int i = 0; i < a->reg.nwls; i++) {
		struct reg_workload *w = &a->reg.wls[i];
		uint64_t n = 0;
		json_object *o;

		if (maps_workload_denials(a, w->cgid, &n) || n <= w->denials_reported)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "workload", json_object_new_string(w->name));
		json_object_object_add(o, "cgroup_id", json_object_new_int64(w->cgid));
		report_increase(a, o, n, &w->denials_reported, "denials-unreported",
			"connect/sendmsg denials beyond a burst of 10 events and 10 a second per workload: counted, not reported one by one");
	}
}

void events_check_counters(struct agent *a)
{
	uint64_t c[TN_CNT__MAX];

	maps_read_counters(a, c, TN_CNT__MAX);
	report_increase(a, NULL, c[TN_CNT_EVENTS_LOST], &a->lost_reported,
			"events-lost",
			"the kernel ring buffer was full; these events were counted but not delivered");
	report_increase(a, NULL, c[TN_CNT_OPENS_UNREPORTED],
			&a->opens_unreported_reported, "tagged-opens-unreported",
			"opens of tagged files by processes in no workload, beyond a burst of 10 events and 10 a second for all of them: counted, not reported one by one");
	check_channel_stats(a);
	check_denials(a);
}
