/* SPDX-License-Identifier: GPL-2.0-only */
/* trustnoded's state, shared by its parts. */
#ifndef TN_AGENT_H
#define TN_AGENT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "err.h"
#include "attest.h"
#include "loop.h"
#include "registry.h"
#include "state.h"

/*
 * Ring-buffer records handled per turn of the main loop: a flood of events
 * cannot keep the loop from the control socket, timers and peers.
 */
#define TN_EVENTS_PER_SLICE	256

struct trustnode_bpf;
struct nl_sock;
struct ring_buffer;
struct cgwatch;

enum tn_attach_mode { TN_ATTACH_AUTO, TN_ATTACH_LSM, TN_ATTACH_CGROUP,
		       TN_ATTACH_FENTRY };

struct agent_options {
	const char *state_dir;
	const char *run_dir;
	const char *pin_dir;
	const char *cgroup_root;	/* attach point; never the root cgroup */
	const char *socket_path;	/* default run_dir/control.sock */
	const char *policy_path;	/* loaded at start when given */
	enum tn_attach_mode attach;
	uint32_t ringbuf_size;		/* 0: the object's default */
	/* --map-size NAME=N: max_entries set before load (tests, big nodes) */
	struct { const char *name; uint32_t n; } map_size[8];
	int nmap_size;
	int no_kmod;			/* leave trustnode.ko to another agent */
	struct attest_options attest;
	struct {
		uint64_t segment_bytes;
		unsigned cp_records, cp_seconds, anchor_seconds;
	} audit;
};

struct agent {
	struct agent_options opt;
	char state_path[4096];
	char socket_path[4096];

	/* BPF (bpf_attach.c) */
	struct trustnode_bpf *skel;
	enum tn_attach_mode mode;	/* what was chosen: LSM, FENTRY or CGROUP */
	char mode_reason[512];		/* why, in a sentence */
	int cgroup_fd;
	uint64_t cgroup_root_id;
	uint32_t cgroup_root_level;
	int links_adopted, links_created, links_removed;

	struct registry reg;

	/* events (events.c) */
	struct ring_buffer *rb;
	uint64_t lost_reported;		/* counters already turned into events */
	uint64_t channels_untracked_reported;	/* tn_channel_stats, summed */
	uint64_t opens_unreported_reported;	/* TN_CNT_OPENS_UNREPORTED */
	uint64_t unreported_drops_reported;
	unsigned slice_events;		/* events handled in this slice */
	int state_dirty;		/* state.c: registry changed, not saved */
	int64_t boot_to_real_ns;

	/* cgwatch.c: inotify on the parents of workload cgroups */
	int cg_inotify;
	struct agent_source cg_src;
	struct cgwatch *cgw;

	int listen_fd;
	const struct tn_caller *caller;	/* during a control request */
	int ep;				/* the main loop's epoll */
	int stopping;

	/* kmod_sync.c */
	struct attest *att;		/* attest.h */

	struct peers *peers;		/* peers.c: attested-peers mode */
	struct agent_source peers_src;	/* the workers' results */

	/* audit.c */
	struct tn_audit_writer *audit;
	int journal;			/* a systemd journal runs */
	int audit_failing;
	int anchor_pending, have_anchored;
	uint64_t anchor_covers, anchored_covers;
	uint8_t anchor_head[32];
	int64_t anchor_last_us;

	struct tn_kmod *kmod;		/* NULL while the module is not loaded */
	struct nl_sock *kmod_drops;	/* subscribed to the module's "drops" */
	struct agent_source kmod_drops_src;
	uint64_t policy_gen;		/* bumped by every committed change */
	uint64_t kmod_pushed_gen;	/* the generation the module has */
	char kmod_last_error[1024];
	int kmod_was_loaded;		/* seen since the agent started */

	/* pin_watch.c: pins found wrong; inotify on the pin directories */
#define TN_PIN_SLOTS 128
	uint8_t pin_wrong[TN_PIN_SLOTS];	/* enum pin_wrong, per pin */
	int pins_inotify;
	struct agent_source pins_src;
	unsigned int pins_idle_seconds;	/* since the last check */
	/* bpf_attach.c: each slot's link and its program, for pins_check */
#define TN_LINK_SLOTS 64
	uint32_t link_prog[TN_LINK_SLOTS];
	uint32_t link_id[TN_LINK_SLOTS];
	int flows_fresh;		/* bpf_attach.c: tn_flows made by this agent */
};

/* peers.c: attested-peers mode. */
struct peers;
int peers_reload(struct agent *a, struct tn_err *err);
void peers_tick(struct agent *a);
json_object *peers_status_json(struct agent *a);
void peers_stop(struct agent *a);

/* audit.c: the tamper-evident audit log (include/trustnode/audit_api.h). */
struct tn_audit_writer;
int audit_open(struct agent *a, struct tn_err *err);
void audit_close(struct agent *a);
/* Chains a record (data not consumed); durable at the next audit_commit. */
void audit_record(struct agent *a, const char *type, json_object *data);
/* The same, for something that happened at time_us (unix microseconds). */
void audit_record_at(struct agent *a, const char *type, json_object *data,
		     int64_t time_us);
/* The seq the next record will have (0 while the log is not open). */
uint64_t audit_next_seq(struct agent *a);
/* Group commit: once per turn of the main loop. */
void audit_commit(struct agent *a);
void audit_tick(struct agent *a);
int audit_checkpoint_now(struct agent *a, struct tn_err *err);
json_object *audit_status_json(struct agent *a);

/* bpf_attach.c: load, pin, adopt and attach the BPF programs. */
int attach_programs(struct agent *a, struct tn_err *err);
/* The two halves: load (maps created or adopted), then attach the links. */
int attach_load(struct agent *a, struct tn_err *err);
int attach_links(struct agent *a, struct tn_err *err);
void attach_close(struct agent *a);
int attach_unload_pins(const char *pin_dir, struct tn_err *err);
/* Lines for status: the gaps of the current mode. */
const char *const *attach_mode_gaps(enum tn_attach_mode mode);
const char *attach_mode_name(enum tn_attach_mode mode);
int attach_mode_refuses(enum tn_attach_mode mode);
json_object *attach_programs_json(struct agent *a);
/* A link this agent pinned or adopted, as it was then. */
struct pinned_link {
	const char *name;
	uint32_t link_id, prog_id;
	int cgroup;		/* a cgroup link (detachable by its id) */
};
/* The links this agent pinned or adopted (at most max). */
int bpf_link_slots(struct agent *a, struct pinned_link *out, int max);
/*
 * pin_watch.c: the pinned links and maps are the ones this agent loaded;
 * each that is not is measured as a weakening and recorded. Checked when
 * the pin directories change, the cgroup links every second, the rest
 * every PINS_BACKSTOP_S seconds (every second where inotify cannot watch
 * the directories).
 */
int pins_watch_open(struct agent *a);
void pins_tick(struct agent *a);
void pins_watch_close(struct agent *a);

/* derived.c: file handles of derived files; pruning those that are gone. */
char *derived_handle(uint32_t pid, uint64_t dev, uint64_t ino);
void derived_handle_later(uint32_t pid, uint64_t dev, uint64_t ino);
void derived_handle_tick(struct agent *a);
int derived_prune(struct agent *a, json_object *reply, struct tn_err *err);
/*
 * On the agent's timer, a bounded slice at a time: derived tags of files
 * that no longer exist go (recorded), and, when the policy sets
 * derived_max_age, tags not written for that long go too (recorded, and
 * measured as a weakening).
 */
void derived_tick(struct agent *a);
/* Unix seconds as the boot clock the BPF programs read; 0 if before boot. */
uint64_t derived_boot_ns(int64_t unix_s);

/* mapfill.c: entries / max_entries of every map a decision depends on. */
json_object *maps_fill_json(struct agent *a);
/* Whether --map-size may resize this map. */
int bpf_map_resizable(const char *name);
/* Flows idle for TN_FLOW_IDLE_NS retired through tn_flows_old (a timer). */
void flows_expire_tick(struct agent *a);

/* bpf_sync.c: make the kernel maps say what the registry says. */
int maps_sync(struct agent *a, const struct registry *r, struct tn_err *err);
/* New expiries of the peers already allowed, written in place. */
int maps_renew_peers(struct agent *a, const struct registry *r, struct tn_err *err);
int maps_read_counters(struct agent *a, uint64_t *out, int n);
int maps_taint_filter_set(struct agent *a, uint64_t cgid);
int maps_derived_filter_fill(struct agent *a, struct tn_err *err);
int maps_tag_filter_fill(struct agent *a, struct tn_err *err);
int maps_workload_taint(struct agent *a, uint64_t cgid, uint64_t *taint);
/* Denials the rate limit folded, since the workload entered the map. */
int maps_workload_denials(struct agent *a, uint64_t cgid, uint64_t *n);
int maps_workload_reset(struct agent *a, uint64_t cgid, struct tn_err *err);
int maps_derived_remove(struct agent *a, uint64_t dev, uint64_t ino,
		       struct tn_err *err);

/* agent_commit and every other change to the registry: state.h. */

/* cgwatch.c: workloads are their cgroup paths; ids are looked up again. */
/* The ids at start, in the registry (through state.c); <0: err set. */
int cgroups_resolve_at_start(struct agent *a, json_object **changes,
			     struct tn_err *err);
void cgroups_record(struct agent *a, json_object *changes, const char *why);
/* An event per workload with processes older than the agent. */
void cgroups_record_preexisting(struct agent *a);
/* Taint the kernel lacks that the state file has (after a reboot). */
json_object *cgroups_taint_to_restore(struct agent *a);
int workloads_resolve(struct agent *a, const char *why, struct tn_err *err);
int cgwatch_open(struct agent *a, struct tn_err *err);
void cgwatch_rearm(struct agent *a);
void cgwatch_close(struct agent *a);

/* kmod_sync.c: the module's policy and taint follow the registry. */
struct tn_kmod;
void kmod_sync(struct agent *a);
int kmod_clear_taint(struct agent *a, uint64_t cgid, struct tn_err *err);
int kmod_seal(struct agent *a, struct tn_err *err);
json_object *kmod_status_json(struct agent *a);
void kmod_close(struct agent *a);

/* events.c */
int events_open(struct agent *a, struct tn_err *err);
void events_close(struct agent *a);
/*
 * One bounded slice of the ring buffer (at most TN_EVENTS_PER_SLICE
 * records), then the state those events changed is saved, once. Returns
 * >0 when records are left for the next turn of the loop.
 */
int events_poll(struct agent *a);
/* Drains everything (at exit), slice after slice. */
void events_drain(struct agent *a);
int events_fd(struct agent *a);
void events_check_counters(struct agent *a);
/*
 * Records an agent-side event (takes ownership of obj): an audit record of
 * that type whose data is obj.
 */
void events_record(struct agent *a, const char *type, json_object *obj);

/*
 * events_query.c: trustctl events, read back from the audit log: the last
 * limit records (all when limit <= 0) with seq > since, as event objects.
 */
json_object *events_query(struct agent *a, long long limit, long long since);

/* control.c */
int control_listen(struct agent *a, struct tn_err *err);
void control_accept(struct agent *a);
void control_close(struct agent *a);

/* requests.c: one handler per command; returns the reply. */
json_object *requests_dispatch(struct agent *a, json_object *req,
			       int privileged);

/* caller.c: who is on the other end of the control socket */
struct tn_caller {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int pidfd_checked;	/* SO_PEERPIDFD closed the pid-reuse race */
	char comm[17];
	char cgroup[4096];	/* on the unified hierarchy, as /proc/PID/cgroup */
	char refused[1024];	/* why it may not change anything; "" if it may */
};

void caller_identify(struct agent *a, int fd, struct tn_caller *c);
json_object *caller_json(const struct tn_caller *c);

#endif
