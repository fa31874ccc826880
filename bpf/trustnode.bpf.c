// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * trustnode's BPF half: taint tracking and egress control.
 *
 * A workload is a cgroup subtree registered in the "workloads" map. It becomes
 * tainted when one of its tasks opens a tagged file (lsm/file_open, or in
 * cgroup mode the exit of the open syscalls) or talks to a tagged endpoint.
 * A tainted workload may only reach destinations in the live generation of
 * "prefixes"; everything else is denied (enforce) or recorded (audit).
 *
 * The agent loads either the lsm or the cgroup-mode file programs; the
 * cgroup/ and cgroup_skb/ programs are attached in both modes. Taint through
 * unix sockets, pipes and FIFOs ("local IPC" below) needs the lsm programs
 * (and three fentry programs for splice, tee and vmsplice).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "trustnode/bpf_shared.h"

#define AF_INET		2
#define AF_INET6	10
#define EPERM		1
#define SK_DROP		0
#define SK_PASS		1
#define S_IFMT_		0170000
#define S_IFDIR_	0040000

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tn_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_WORKLOADS);
	__type(key, __u64);
	__type(value, struct tn_workload);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_workloads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_TAGS);
	__type(key, struct tn_inode_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_tags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_DERIVED);
	__type(key, struct tn_inode_key);
	__type(value, struct tn_derived);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_derived SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_TRUSTED);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_trusted SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TN_MAX_FLOWS);
	__type(key, struct tn_flow_key);
	__type(value, struct tn_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_CHANNELS);
	__type(key, __u64);
	__type(value, struct tn_channel);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_channels SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TN_CHST__MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_channel_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TN_MAX_ENDPOINTS);
	__type(key, struct tn_endpoint_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TN_MAX_CGFILES);
	__type(key, __u64);
	__type(value, struct tn_cgfile);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_cgfiles SEC(".maps");

/* Index 0: nonzero once tn_cgfiles holds an entry; until then writes pass. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_cgarmed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 2 * TN_MAX_PREFIXES);
	__type(key, struct tn_prefix_key);
	__type(value, struct tn_prefix_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TN_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TN_RINGBUF_DEFAULT);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tn_events SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&tn_counters, &which);

	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline struct tn_config *get_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&tn_config, &zero);
}

/*
 * The workload of the current task: its cgroup or the nearest ancestor that
 * is registered. Workloads never nest (the agent refuses it), so the first
 * hit is the only one.
 */
static __always_inline struct tn_workload *current_workload(__u64 *wl_cgid)
{
	struct tn_config *cfg = get_config();
	int i;

	if (!cfg || !cfg->loaded)
		return NULL;
	/* A constant trip count keeps the verifier's work small. */
	for (i = 0; i < TN_CGROUP_DEPTH; i++) {
		__u32 level = cfg->min_level + 1 + i;
		__u64 id = bpf_get_current_ancestor_cgroup_id(level);
		struct tn_workload *w;

		if (!id)
			return NULL;
		w = bpf_map_lookup_elem(&tn_workloads, &id);
		if (w) {
			*wl_cgid = id;
			return w;
		}
	}
	return NULL;
}

/* Same, for the cgroup of the socket that owns skb. */
static __always_inline struct tn_workload *skb_workload(struct __sk_buff *skb,
							__u64 *wl_cgid)
{
	struct tn_config *cfg = get_config();
	int i;

	if (!cfg || !cfg->loaded)
		return NULL;
	for (i = 0; i < TN_CGROUP_DEPTH; i++) {
		__u32 level = cfg->min_level + 1 + i;
		__u64 id = bpf_skb_ancestor_cgroup_id(skb, level);
		struct tn_workload *w;

		if (!id)
			return NULL;
		w = bpf_map_lookup_elem(&tn_workloads, &id);
		if (w) {
			*wl_cgid = id;
			return w;
		}
	}
	return NULL;
}

static __always_inline struct tn_event *event_start(__u32 type, __u32 decision,
						    __u64 wl_cgid, __u64 labels,
						    bool process_context)
{
	struct tn_event *e = bpf_ringbuf_reserve(&tn_events, sizeof(*e), 0);

	if (!e) {
		count(TN_CNT_EVENTS_LOST);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->type = type;
	e->decision = decision;
	e->workload_cgid = wl_cgid;
	e->labels = labels;
	if (process_context) {
		e->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
	return e;
}

/*
 * Adds labels to a workload's taint. Returns the labels that were new; an
 * event is emitted only then, so re-reading a tagged file stays quiet.
 */
static __always_inline __u64 taint(struct tn_workload *w, __u64 labels)
{
	__u64 old = __sync_fetch_and_or(&w->taint, labels);

	return labels & ~old;
}

/* Audit mode allows and records; anything else (no policy yet) enforces. */
static __always_inline bool audit_mode(void)
{
	struct tn_config *cfg = get_config();

	return cfg && cfg->mode == TN_MODE_AUDIT;
}

/* ---- files ---------------------------------------------------------- */

/* Labels of the tag on dentry or on the nearest tagged directory above it. */
static __always_inline __u64 tree_labels(struct dentry *dentry, __u64 dev)
{
	struct tn_inode_key key = { .dev = dev };
	__u64 *labels;
	int depth;

	for (depth = 0; depth < TN_TAG_DEPTH && dentry; depth++) {
		struct dentry *parent;

		key.ino = BPF_CORE_READ(dentry, d_inode, i_ino);
		labels = bpf_map_lookup_elem(&tn_tags, &key);
		if (labels)
			return *labels;
		parent = BPF_CORE_READ(dentry, d_parent);
		if (parent == dentry)
			break;
		dentry = parent;
	}
	return 0;
}

/* Labels of the tag covering file: its own, or one of its directories'. */
static __always_inline __u64 file_labels(struct file *file,
					 struct tn_inode_key *key)
{
	struct tn_derived *derived;

	key->dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	key->ino = BPF_CORE_READ(file, f_inode, i_ino);
	/* Derived tags are on files only: one lookup, no walk. */
	derived = bpf_map_lookup_elem(&tn_derived, key);
	if (derived)
		return derived->labels;
	return tree_labels(BPF_CORE_READ(file, f_path.dentry), key->dev);
}

/*
 * A tainted workload opened file for writing: whatever it writes carries
 * its labels, so the file becomes a derived tag. Keyed by inode, the tag
 * follows the file through rename and link.
 */
static __always_inline void derive(struct file *file, struct tn_workload *w,
				   __u64 wl_cgid)
{
	struct tn_inode_key key = {};
	struct tn_derived fresh = {}, *d;
	struct tn_event *e;
	__u64 taint = w->taint, gained;

	key.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(file, f_inode, i_ino);
	d = bpf_map_lookup_elem(&tn_derived, &key);
	if (d) {
		gained = taint & ~__sync_fetch_and_or(&d->labels, taint);
	} else {
		fresh.labels = taint;
		fresh.workload_cgid = wl_cgid;
		if (bpf_map_update_elem(&tn_derived, &key, &fresh, BPF_NOEXIST)) {
			/* Never silent: a full map means an untracked file. */
			count(TN_CNT_DERIVE_FAILED);
			return;
		}
		gained = taint;
	}
	if (!gained)
		return;
	count(TN_CNT_DERIVED);
	e = event_start(TN_EV_DERIVE_FILE, TN_DEC_DERIVE, wl_cgid, gained, true);
	if (!e)
		return;
	e->dev = key.dev;
	e->ino = key.ino;
	bpf_ringbuf_submit(e, 0);
}

#define FMODE_WRITE_ 0x2

static __always_inline void taint_from_file(struct file *file)
{
	struct tn_inode_key key = {};
	struct tn_workload *w;
	__u64 wl_cgid, labels, gained;
	struct tn_event *e;

	w = current_workload(&wl_cgid);
	if (!w)
		return;

	labels = file_labels(file, &key);
	if (labels) {
		gained = taint(w, labels);
		if (gained) {
			count(TN_CNT_TAINT);
			e = event_start(TN_EV_TAINT_FILE, TN_DEC_TAINT, wl_cgid,
					gained, true);
			if (e) {
				e->dev = key.dev;
				e->ino = key.ino;
				bpf_ringbuf_submit(e, 0);
			}
		}
	}
	if (w->taint && (BPF_CORE_READ(file, f_mode) & FMODE_WRITE_))
		derive(file, w, wl_cgid);
}

SEC("lsm/file_open")
int BPF_PROG(tn_lsm_file_open, struct file *file)
{
	taint_from_file(file);
	return 0;
}

/* A descriptor passed over a unix socket (SCM_RIGHTS) carries its file. */
SEC("lsm/file_receive")
int BPF_PROG(tn_lsm_file_receive, struct file *file)
{
	taint_from_file(file);
	return 0;
}

/* ---- cgroup moves ---------------------------------------------------- */

/*
 * A tainted task that writes a pid into another cgroup's cgroup.procs (or a
 * tid into cgroup.threads) takes the taint along: into another workload,
 * that workload is tainted; out of every workload, lsm mode refuses the
 * write (file_permission) and cgroup mode, which sees it only after the
 * move, kills the writer and the task it moved. Either way it is an event.
 */
#define CGROUP2_SUPER_MAGIC_	0x63677270
#define SIGKILL_		9
#define NR_write		1
#define NR_pwrite64		18
#define NR_writev		20
#define NR_pwritev		296
#define NR_pwritev2		328
/* The same through the 32-bit entry (int $0x80): fd in bx, buffer in cx. */
#define NR32_write		4
#define NR32_pwrite64		181
#define NR32_writev		146
#define NR32_pwritev		334
#define NR32_pwritev2		379

static __always_inline bool is_write_nr(long nr, bool compat)
{
	if (compat)
		return nr == NR32_write || nr == NR32_pwrite64 || nr == NR32_writev ||
		       nr == NR32_pwritev || nr == NR32_pwritev2;
	return nr == NR_write || nr == NR_pwrite64 || nr == NR_writev ||
	       nr == NR_pwritev || nr == NR_pwritev2;
}

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;
extern int bpf_send_signal_task(struct task_struct *task, int sig,
				enum pid_type type, u64 value) __ksym __weak;

static __always_inline bool name_is(const char *name, const char *want)
{
	int i;

	for (i = 0; i < 16; i++) {
		if (name[i] != want[i])
			return false;
		if (!want[i])
			return true;
	}
	return false;
}

/* The cgroup whose cgroup.procs or cgroup.threads file is open, or NULL. */
static __always_inline struct cgroup *procs_file_cgroup(struct file *file)
{
	struct dentry *d;
	struct kernfs_node *dir;
	char name[16] = {};

	if (BPF_CORE_READ(file, f_inode, i_sb, s_magic) != CGROUP2_SUPER_MAGIC_)
		return NULL;
	d = BPF_CORE_READ(file, f_path.dentry);
	bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
	if (!name_is(name, "cgroup.procs") && !name_is(name, "cgroup.threads"))
		return NULL;
	dir = BPF_CORE_READ(d, d_parent, d_inode, i_private);
	return dir ? (struct cgroup *)BPF_CORE_READ(dir, priv) : NULL;
}

/* The workload containing cgroup cg (its cgroup id in *wl_cgid), or NULL. */
static __always_inline struct tn_workload *cgroup_workload(struct cgroup *cg,
							   __u64 *wl_cgid)
{
	struct tn_config *cfg = get_config();
	int i, level = BPF_CORE_READ(cg, level);

	if (!cfg)
		return NULL;
	for (i = 0; i < TN_CGROUP_DEPTH; i++) {
		__u32 l = cfg->min_level + 1 + i;
		struct cgroup *anc = NULL;
		struct tn_workload *w;
		__u64 id;

		if (l > level || l >= 256)
			return NULL;
		bpf_core_read(&anc, sizeof(anc), &cg->ancestors[l]);
		if (!anc)
			return NULL;
		id = BPF_CORE_READ(anc, kn, id);
		w = bpf_map_lookup_elem(&tn_workloads, &id);
		if (w) {
			*wl_cgid = id;
			return w;
		}
	}
	return NULL;
}

/*
 * A write into dst's procs file by a task of workload w. Returns the
 * decision: 0 (same workload: nothing to do), TN_DEC_TAINT (another
 * workload, now tainted too), TN_DEC_DENY (out of every workload; the
 * caller refuses or kills) or TN_DEC_ALLOW_AUDIT (audit mode).
 */
static __always_inline __u32 cgroup_move(struct tn_workload *w, __u64 wl_cgid,
					 struct cgroup *dst, __u32 written,
					 bool cgroup_mode)
{
	struct tn_config *cfg = get_config();
	struct tn_workload *dw;
	struct tn_event *e;
	__u64 dw_cgid = 0;
	__u32 dec;

	dw = cgroup_workload(dst, &dw_cgid);
	if (dw_cgid == wl_cgid)
		return 0;
	if (dw) {
		taint(dw, w->taint);
		dec = TN_DEC_TAINT;
	} else if (cfg && cfg->mode == TN_MODE_AUDIT) {
		dec = TN_DEC_ALLOW_AUDIT;
	} else {
		dec = cgroup_mode ? TN_DEC_KILL : TN_DEC_DENY;
	}
	e = event_start(TN_EV_CGROUP_ESCAPE, dec, wl_cgid, w->taint, true);
	if (e) {
		e->from_cgid = dw_cgid;
		e->to_cgid = BPF_CORE_READ(dst, kn, id);
		e->count = written;
		bpf_ringbuf_submit(e, 0);
	}
	return dec == TN_DEC_KILL ? TN_DEC_DENY : dec;
}

/* The pid a write(2)-family call wrote ("0" or none: the writer itself). */
static __always_inline __u32 written_pid(struct pt_regs *regs, long nr,
					 bool compat)
{
	const char *buf = (const char *)regs->si;
	char s[12] = {};
	__u32 pid = 0;
	int i;

	if (compat) {
		buf = (const char *)(regs->cx & 0xffffffff);
		if (nr == NR32_writev || nr == NR32_pwritev || nr == NR32_pwritev2) {
			__u32 iov32[2] = {};	/* struct compat_iovec */

			bpf_probe_read_user(iov32, sizeof(iov32), buf);
			buf = (const char *)(unsigned long)iov32[0];
		}
	} else if (nr == NR_writev || nr == NR_pwritev || nr == NR_pwritev2) {
		struct iovec iov = {};

		bpf_probe_read_user(&iov, sizeof(iov), (void *)regs->si);
		buf = iov.iov_base;
	}
	bpf_probe_read_user(s, sizeof(s) - 1, buf);
	for (i = 0; i < 11; i++) {
		if (s[i] == ' ' || s[i] == '\t')
			continue;
		if (s[i] < '0' || s[i] > '9')
			break;
		pid = pid * 10 + (s[i] - '0');
	}
	return pid;
}

/*
 * Kills the process pid, moved into dst by a tainted task, if this kernel
 * lets a tracing program signal another task (bpf_send_signal_task, 6.13),
 * and only if it is the task now in dst (pid is in the mover's pid
 * namespace, the kfunc looks it up in the initial one).
 */
static __always_inline void kill_moved(__u32 pid, struct cgroup *dst)
{
	struct task_struct *t;

	if (!bpf_task_from_pid || !bpf_send_signal_task || !bpf_task_release)
		return;
	t = bpf_task_from_pid(pid);
	if (!t)
		return;
	if (BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id) == BPF_CORE_READ(dst, kn, id))
		bpf_send_signal_task(t, SIGKILL_, PIDTYPE_TGID, 0);
	bpf_task_release(t);
}

/*
 * cgroup mode, after a successful write into a procs file: the move has
 * happened. The writer's workload is where the file was opened (tn_cgfiles):
 * a writer that moved itself is in the destination by now.
 */
static __always_inline void cgroup_write_exit(struct file *file,
					      struct pt_regs *regs, long nr,
					      bool compat)
{
	__u64 key = (__u64)file, wl_cgid, tgid;
	struct tn_workload *w;
	struct tn_cgfile *cf;
	struct cgroup *dst;
	__u32 pid;

	cf = bpf_map_lookup_elem(&tn_cgfiles, &key);
	if (!cf)
		return;
	dst = procs_file_cgroup(file);
	if (!dst || cf->dir_cgid != BPF_CORE_READ(dst, kn, id))
		return;
	wl_cgid = cf->wl_cgid;
	w = bpf_map_lookup_elem(&tn_workloads, &wl_cgid);
	if (!w || !w->taint)
		return;
	tgid = bpf_get_current_pid_tgid();
	pid = written_pid(regs, nr, compat);
	if (cgroup_move(w, wl_cgid, dst, pid, true) != TN_DEC_DENY)
		return;
	bpf_send_signal(SIGKILL_);
	if (!pid || pid == (__u32)(tgid >> 32) || pid == (__u32)tgid)
		return;
	kill_moved(pid, dst);
}

#define NR_clone3		435
#define CLONE_INTO_CGROUP_	0x200000000ULL

/*
 * cgroup mode, the parent's return from clone3(CLONE_INTO_CGROUP): its
 * child started in the cgroup the descriptor args.cgroup names. Judged as
 * a move of the child there; the child already runs, so out of every
 * workload both are killed, as for cgroup.procs.
 */
static __always_inline void clone_into_exit(void *uargs, long child)
{
	struct { __u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		 stack_size, tls, set_tid, set_tid_size, cgroup; } ca = {};
	struct task_struct *task;
	struct tn_workload *w;
	struct file **fds, *file = NULL;
	struct kernfs_node *kn;
	struct cgroup *dst;
	__u64 wl_cgid;

	if (bpf_probe_read_user(&ca, sizeof(ca), uargs) ||
	    !(ca.flags & CLONE_INTO_CGROUP_))
		return;
	w = current_workload(&wl_cgid);
	if (!w || !w->taint)
		return;
	task = bpf_get_current_task_btf();
	fds = task->files->fdt->fd;
	if (ca.cgroup > 65535 ||
	    bpf_probe_read_kernel(&file, sizeof(file), fds + ca.cgroup) || !file ||
	    BPF_CORE_READ(file, f_inode, i_sb, s_magic) != CGROUP2_SUPER_MAGIC_)
		return;
	kn = BPF_CORE_READ(file, f_inode, i_private);
	dst = kn ? (struct cgroup *)BPF_CORE_READ(kn, priv) : NULL;
	if (!dst || cgroup_move(w, wl_cgid, dst, child, true) != TN_DEC_DENY)
		return;
	bpf_send_signal(SIGKILL_);
	kill_moved(child, dst);
}

/*
 * lsm mode, before the write: a tainted task may not move a task out of
 * every workload (into another workload it may: that one is tainted).
 */
static __always_inline bool cgroup_move_refused(struct file *file)
{
	struct cgroup *dst = procs_file_cgroup(file);
	struct tn_workload *w;
	__u64 wl_cgid;

	if (!dst)
		return false;
	w = current_workload(&wl_cgid);
	if (!w || !w->taint)
		return false;
	return cgroup_move(w, wl_cgid, dst, 0, false) == TN_DEC_DENY;
}

/*
 * lsm mode: clone3(CLONE_INTO_CGROUP) from a tainted workload is refused.
 * task_alloc runs before the kernel resolves the target cgroup, so it is
 * refused whatever the target, its own subtree included (fail closed).
 */
SEC("lsm/task_alloc")
int BPF_PROG(tn_lsm_task_alloc, struct task_struct *task, u64 clone_flags,
	     int ret)
{
	struct tn_config *cfg;
	struct tn_workload *w;
	struct tn_event *e;
	__u64 wl_cgid;
	bool audit;

	if (ret || !(clone_flags & CLONE_INTO_CGROUP_))
		return ret;
	w = current_workload(&wl_cgid);
	if (!w || !w->taint)
		return 0;
	cfg = get_config();
	audit = cfg && cfg->mode == TN_MODE_AUDIT;
	e = event_start(TN_EV_CGROUP_ESCAPE, audit ? TN_DEC_ALLOW_AUDIT : TN_DEC_DENY,
			wl_cgid, w->taint, true);
	if (e)
		bpf_ringbuf_submit(e, 0);
	return audit ? 0 : -EPERM;
}

/*
 * cgroup mode: a workload task opened the procs file of a cgroup outside
 * its workload for writing. Only such files are watched, so the write path
 * costs one array load until one exists (a procs file inside the workload
 * can only move tasks into it).
 */
static __always_inline void cgroup_file_opened(struct file *file)
{
	struct tn_cgfile v = {};
	struct cgroup *dst;
	__u64 key = (__u64)file, dw_cgid = 0;
	__u32 zero = 0, *armed;

	if (!(BPF_CORE_READ(file, f_mode) & FMODE_WRITE_))
		return;
	dst = procs_file_cgroup(file);
	if (!dst || !current_workload(&v.wl_cgid))
		return;
	if (cgroup_workload(dst, &dw_cgid) && dw_cgid == v.wl_cgid)
		return;
	v.dir_cgid = BPF_CORE_READ(dst, kn, id);
	bpf_map_update_elem(&tn_cgfiles, &key, &v, BPF_ANY);
	armed = bpf_map_lookup_elem(&tn_cgarmed, &zero);
	if (armed)
		*armed = 1;
}

/*
 * A file renamed or hard-linked out of a tagged tree would leave its labels
 * behind (directory tags match by ancestors). Before the new name exists,
 * the labels it would lose become a derived tag on its inode. A directory
 * cannot carry a derived tag (they match files only), so moving one out of a
 * tagged tree is refused in enforce mode; so is a file when tn_derived is
 * full. Whoever moves it, workload or not: the data is what carries labels.
 */
static __always_inline int keep_labels_on_move(struct dentry *old_dentry,
					       struct dentry *new_dentry)
{
	struct inode *inode = BPF_CORE_READ(old_dentry, d_inode);
	struct tn_derived fresh = {}, *d;
	struct tn_inode_key key = {};
	struct tn_workload *w;
	struct tn_event *e;
	__u64 from, lost, wl_cgid = 0;
	__u32 decision = TN_DEC_DERIVE;
	int ret = 0;

	if (!inode)
		return 0;
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	from = tree_labels(BPF_CORE_READ(old_dentry, d_parent), key.dev);
	if (!from)
		return 0;
	lost = from & ~tree_labels(BPF_CORE_READ(new_dentry, d_parent), key.dev);
	d = bpf_map_lookup_elem(&tn_derived, &key);
	if (d)
		lost &= ~d->labels;
	if (!lost)
		return 0;

	w = current_workload(&wl_cgid);
	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT_) == S_IFDIR_) {
		decision = TN_DEC_DENY;
	} else if (d) {
		__sync_fetch_and_or(&d->labels, lost);
	} else {
		fresh.labels = lost;
		fresh.workload_cgid = w ? wl_cgid : 0;
		if (bpf_map_update_elem(&tn_derived, &key, &fresh, BPF_NOEXIST)) {
			count(TN_CNT_DERIVE_FAILED);
			decision = TN_DEC_DENY;
		}
	}
	if (decision == TN_DEC_DENY) {
		if (audit_mode())
			decision = TN_DEC_ALLOW_AUDIT;
		else
			ret = -EPERM;
	} else {
		count(TN_CNT_DERIVED);
	}
	e = event_start(TN_EV_DERIVE_FILE, decision, wl_cgid, lost, true);
	if (e) {
		e->dev = key.dev;
		e->ino = key.ino;
		bpf_ringbuf_submit(e, 0);
	}
	return ret;
}

SEC("lsm/inode_rename")
int BPF_PROG(tn_lsm_inode_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry)
{
	return keep_labels_on_move(old_dentry, new_dentry);
}

SEC("lsm/inode_link")
int BPF_PROG(tn_lsm_inode_link, struct dentry *old_dentry, struct inode *dir,
	     struct dentry *new_dentry)
{
	return keep_labels_on_move(old_dentry, new_dentry);
}

/*
 * cgroup mode: no LSM hook, so catch the successful return of the open
 * family and resolve the new descriptor to its file. The numbers are the
 * x86-64 ones and, for a task inside a 32-bit syscall (int $0x80, which a
 * 64-bit process can use too), the ia32 ones.
 */
#ifndef __TARGET_ARCH_x86
#error "cgroup mode decodes x86 syscall numbers: port tn_sys_exit_open first"
#endif
#define NR_open			2
#define NR_creat		85
#define NR_openat		257
#define NR_open_by_handle_at	304
#define NR_openat2		437

#define NR32_open		5
#define NR32_creat		8
#define NR32_openat		295
#define NR32_open_by_handle_at	342
#define NR32_openat2		437

#define TS_COMPAT_		0x0002	/* thread_info.status: in an ia32 syscall */

static __always_inline bool is_open_nr(long nr, bool compat)
{
	if (compat)
		return nr == NR32_openat || nr == NR32_open || nr == NR32_openat2 ||
		       nr == NR32_creat || nr == NR32_open_by_handle_at;
	return nr == NR_openat || nr == NR_open || nr == NR_openat2 ||
	       nr == NR_creat || nr == NR_open_by_handle_at;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(tn_sys_exit_open, struct pt_regs *regs, long ret)
{
	struct task_struct *task;
	struct file **fds, *file = NULL;
	bool compat;
	long nr;

	if (ret < 0)
		return 0;
	task = bpf_get_current_task_btf();
	/* Set on entry to an ia32 syscall, cleared only on return to user;
	 * a direct load (BTF pointer), as cheap as the number check. */
	compat = task->thread_info.status & TS_COMPAT_;
	nr = regs->orig_ax;
	if (is_write_nr(nr, compat)) {
		/* A write into a procs file may have moved a tainted task. */
		long fd = compat ? (long)(int)regs->bx : (long)regs->di;
		__u32 zero = 0, *armed = bpf_map_lookup_elem(&tn_cgarmed, &zero);

		if (!armed || !*armed || ret == 0 || fd < 0)
			return 0;
		/* BTF loads, not helper calls: this runs on every write. */
		fds = task->files->fdt->fd;
		if (bpf_probe_read_kernel(&file, sizeof(file), fds + fd) || !file)
			return 0;
		cgroup_write_exit(file, regs, nr, compat);
		return 0;
	}
	/* clone3 is 435 in both tables; its argument is in bx for ia32. */
	if (nr == NR_clone3) {
		if (ret > 0)
			clone_into_exit(compat ? (void *)(regs->bx & 0xffffffff) : (void *)regs->di, ret);
		return 0;
	}
	if (!is_open_nr(nr, compat))
		return 0;

	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), fds + ret) || !file)
		return 0;
	taint_from_file(file);
	cgroup_file_opened(file);
	return 0;
}

/* ---- network -------------------------------------------------------- */

struct dest {
	__u8 family;
	__u8 protocol;
	__u16 port;		/* network byte order */
	__u8 addr[16];
};

/* ::ffff:a.b.c.d is IPv4 as far as policy is concerned. */
static __always_inline void unmap_v4(struct dest *d)
{
	__u32 *w = (__u32 *)d->addr;

	if (d->family == AF_INET6 && w[0] == 0 && w[1] == 0 &&
	    w[2] == bpf_htonl(0xffff)) {
		w[0] = w[3];
		w[1] = w[2] = w[3] = 0;
		d->family = AF_INET;
	}
}

static __always_inline bool is_local_always(const struct dest *d)
{
	const __u32 *w = (const __u32 *)d->addr;

	/* Unspecified connects to this host; loopback never leaves it. */
	if (d->family == AF_INET)
		return w[0] == 0 || (d->addr[0] == 127);
	return (w[0] | w[1] | w[2]) == 0 &&
	       (w[3] == 0 || w[3] == bpf_htonl(1));
}

static __always_inline bool dest_allowed(const struct dest *d)
{
	struct tn_config *cfg = get_config();
	struct tn_prefix_key key = {};
	struct tn_prefix_val *v;

	if (is_local_always(d))
		return true;
	if (!cfg)
		return false;	/* fail closed */
	key.prefixlen = 16 + (d->family == AF_INET ? 32 : 128);
	key.gen = cfg->prefix_gen;
	key.family = d->family;
	__builtin_memcpy(key.addr, d->addr, sizeof(key.addr));
	v = bpf_map_lookup_elem(&tn_prefixes, &key);
	if (!v)
		return false;
	/* A peer whose attestation was not renewed: no agent needed. */
	return !v->valid_until || bpf_ktime_get_boot_ns() < v->valid_until;
}

static __always_inline void fill_dest(struct tn_event *e, const struct dest *d)
{
	e->family = d->family;
	e->protocol = d->protocol;
	e->port = d->port;
	__builtin_memcpy(e->addr, d->addr, sizeof(e->addr));
}

static __always_inline void taint_from_endpoint(struct tn_workload *w,
						__u64 wl_cgid,
						const struct dest *d,
						bool process_context)
{
	struct tn_endpoint_key key = {};
	struct tn_event *e;
	__u64 *labels, gained;

	key.family = d->family;
	key.port = d->port;
	__builtin_memcpy(key.addr, d->addr, sizeof(key.addr));
	labels = bpf_map_lookup_elem(&tn_endpoints, &key);
	if (!labels) {
		/* Port 0: any port of the address (an attested peer). */
		key.port = 0;
		labels = bpf_map_lookup_elem(&tn_endpoints, &key);
	}
	if (!labels)
		return;
	gained = taint(w, *labels);
	if (!gained)
		return;
	count(TN_CNT_TAINT);
	e = event_start(TN_EV_TAINT_NET, TN_DEC_TAINT, wl_cgid, gained,
			process_context);
	if (!e)
		return;
	fill_dest(e, d);
	bpf_ringbuf_submit(e, 0);
}

/*
 * The verdict for a tainted workload sending to d from process context
 * (connect, sendmsg). Returns true to allow.
 */
static __always_inline bool check_send(struct tn_workload *w, __u64 wl_cgid,
				       const struct dest *d, __u32 ev_type)
{
	struct tn_config *cfg;
	struct tn_event *e;
	__u32 decision;
	__u64 now, tat;

	if (!w->taint || dest_allowed(d))
		return true;
	cfg = get_config();
	if (cfg && cfg->mode == TN_MODE_AUDIT) {
		decision = TN_DEC_ALLOW_AUDIT;
		count(TN_CNT_AUDIT_ALLOW);
	} else {
		decision = TN_DEC_DENY;
		count(ev_type == TN_EV_CONNECT ? TN_CNT_DENY_CONNECT :
						 TN_CNT_DENY_SEND);
	}
	/*
	 * A workload looping on refused sends: a burst of events, then one
	 * per interval, the rest counted (exactly: each denial is either an
	 * event, a lost event, or one count here). Racing CPUs may both
	 * report; none goes uncounted.
	 */
	now = bpf_ktime_get_boot_ns();
	tat = w->deny_tat_ns;
	if (tat < now)
		tat = now;
	if (tat - now > (TN_DENY_BURST - 1) * TN_DENY_REPORT_NS) {
		__sync_fetch_and_add(&w->denials_unreported, 1);
		count(TN_CNT_DENIALS_UNREPORTED);
		return decision != TN_DEC_DENY;
	}
	w->deny_tat_ns = tat + TN_DENY_REPORT_NS;
	e = event_start(ev_type, decision, wl_cgid, w->taint, true);
	if (e) {
		fill_dest(e, d);
		bpf_ringbuf_submit(e, 0);
	}
	return decision != TN_DEC_DENY;
}

/* Taint from the destination, then decide. Returns true to allow. */
static __always_inline bool on_send(struct dest *d, __u32 ev_type)
{
	struct tn_workload *w;
	__u64 wl_cgid;

	unmap_v4(d);
	w = current_workload(&wl_cgid);
	if (!w)
		return true;
	taint_from_endpoint(w, wl_cgid, d, true);
	return check_send(w, wl_cgid, d, ev_type);
}

/*
 * lsm mode: the sender decides, not the socket's birthplace. A socket made
 * outside the workload (inherited, received over SCM_RIGHTS, handed over by
 * socket activation) is judged by the cgroup that made it everywhere else;
 * here a send on a connected socket is judged by the sending workload's
 * taint and the address the socket is connected to. Sockets a tainted
 * workload connected itself were judged at connect already.
 */
static __always_inline int lsm_check_peer(struct socket *sock, __u32 ev_type)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	struct dest d = {};
	__u16 family;

	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	d.family = family;
	d.protocol = BPF_CORE_READ(sk, sk_protocol);
	d.port = BPF_CORE_READ(sk, __sk_common.skc_dport);
	if (family == AF_INET)
		*(__u32 *)d.addr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	else
		BPF_CORE_READ_INTO(&d.addr, sk, __sk_common.skc_v6_daddr);
	return on_send(&d, ev_type) ? 0 : -EPERM;
}

/* Each program reads only the address fields its attach type may access. */
static __always_inline void dest_from_sa4(struct dest *d,
					  struct bpf_sock_addr *ctx)
{
	d->protocol = ctx->protocol;
	d->port = (__u16)ctx->user_port;
	d->family = AF_INET;
	*(__u32 *)d->addr = ctx->user_ip4;
}

static __always_inline void dest_from_sa6(struct dest *d,
					  struct bpf_sock_addr *ctx)
{
	d->protocol = ctx->protocol;
	d->port = (__u16)ctx->user_port;
	d->family = AF_INET6;
	((__u32 *)d->addr)[0] = ctx->user_ip6[0];
	((__u32 *)d->addr)[1] = ctx->user_ip6[1];
	((__u32 *)d->addr)[2] = ctx->user_ip6[2];
	((__u32 *)d->addr)[3] = ctx->user_ip6[3];
}

SEC("cgroup/connect4")
int tn_connect4(struct bpf_sock_addr *ctx)
{
	struct dest d = {};

	dest_from_sa4(&d, ctx);
	return on_send(&d, TN_EV_CONNECT);
}

SEC("cgroup/connect6")
int tn_connect6(struct bpf_sock_addr *ctx)
{
	struct dest d = {};

	dest_from_sa6(&d, ctx);
	return on_send(&d, TN_EV_CONNECT);
}

SEC("cgroup/sendmsg4")
int tn_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct dest d = {};

	dest_from_sa4(&d, ctx);
	return on_send(&d, TN_EV_SENDMSG);
}

SEC("cgroup/sendmsg6")
int tn_sendmsg6(struct bpf_sock_addr *ctx)
{
	struct dest d = {};

	dest_from_sa6(&d, ctx);
	return on_send(&d, TN_EV_SENDMSG);
}

/* ---- local IPC: unix sockets, pipes, FIFOs (lsm mode) ------------------ */

#define AF_UNIX_		1
#define SOCK_STREAM_		1
#define SOCK_DGRAM_		2
#define SOCK_SEQPACKET_		5
#define S_IFSOCK_		0140000
#define S_IFIFO_		0010000
#define MAY_WRITE_		0x2
#define MAY_READ_		0x4
#define FMODE_READ_		0x1
#define PIPEFS_MAGIC_		0x50495045

/* A channel: the object whose queue holds the data, and what it is. */
struct chan {
	__u64 key;		/* struct sock * or struct inode *, as a number */
	__u32 kind;		/* enum tn_channel_kind */
};

static __always_inline void channel_stat(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&tn_channel_stats, &which);

	if (c)
		__sync_fetch_and_add(c, 1);
}

/*
 * The workload of the current task, or (returning NULL with *trusted set)
 * the trusted receiver it belongs to. *cgid is the root of either.
 */
static __always_inline struct tn_workload *current_receiver(__u64 *cgid,
							    bool *trusted)
{
	struct tn_config *cfg = get_config();
	int i;

	*trusted = false;
	if (!cfg || !cfg->loaded)
		return NULL;
	for (i = 0; i < TN_CGROUP_DEPTH; i++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(cfg->min_level + 1 + i);
		struct tn_workload *w;

		if (!id)
			return NULL;
		w = bpf_map_lookup_elem(&tn_workloads, &id);
		if (w) {
			*cgid = id;
			return w;
		}
		if (bpf_map_lookup_elem(&tn_trusted, &id)) {
			*cgid = id;
			*trusted = true;
			return NULL;
		}
	}
	return NULL;
}

/* The channel's inode for the event: the pipe's or FIFO's, or the socket's. */
static __always_inline void chan_fill(struct tn_event *e, const struct chan *ch)
{
	struct sock *sk = (struct sock *)ch->key;
	struct inode *inode;

	e->channel = ch->kind;
	if (ch->kind == TN_CHAN_PIPE || ch->kind == TN_CHAN_FIFO) {
		inode = (struct inode *)ch->key;
	} else {
		struct socket *sock = BPF_CORE_READ(sk, sk_socket);

		/* A socket not yet accepted has no inode. */
		if (!sock)
			return;
		inode = (struct inode *)((void *)sock +
			bpf_core_field_offset(struct socket_alloc, vfs_inode));
	}
	e->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	e->ino = BPF_CORE_READ(inode, i_ino);
}

/*
 * Data carrying labels, written by workload from, reaches receiver rcv (a
 * workload, w if already looked up, or a trusted receiver) through ch.
 */
static __always_inline void chan_deliver(struct tn_channel *c,
					 const struct chan *ch, __u64 rcv,
					 struct tn_workload *w, bool trusted,
					 __u64 labels, __u64 from,
					 bool process_context)
{
	struct tn_event *e;
	__u64 gained;

	if (rcv == from)
		return;		/* a workload talking to itself */
	if (!w && !trusted) {
		w = bpf_map_lookup_elem(&tn_workloads, &rcv);
		if (!w)
			trusted = bpf_map_lookup_elem(&tn_trusted, &rcv) != NULL;
	}
	if (trusted) {
		count(TN_CNT_TRUSTED_FLOWS);
		if (__sync_fetch_and_or(&c->trusted_reported, 1))
			return;
		e = event_start(TN_EV_TRUSTED_FLOW, TN_DEC_TRUSTED, 0, labels,
				false);
		if (e) {
			e->from_cgid = from;
			e->to_cgid = rcv;
			chan_fill(e, ch);
			bpf_ringbuf_submit(e, 0);
		}
		return;
	}
	if (!w)
		return;		/* no longer a workload */
	gained = taint(w, labels);
	if (!gained)
		return;
	count(TN_CNT_TAINT);
	e = event_start(TN_EV_TAINT_FLOW, TN_DEC_TAINT, rcv, gained,
			process_context);
	if (e) {
		e->from_cgid = from;
		chan_fill(e, ch);
		bpf_ringbuf_submit(e, 0);
	}
}

/*
 * The current task writes into ch. If its workload is tainted, the channel
 * carries the labels from now on, and every workload that has read from it
 * is tainted now, before this data is queued: a reader already blocked in
 * read() gets it without passing another hook.
 *
 * Returns false when the write must be refused: a tainted write into a
 * channel whose readers cannot all be known (tn_channels full, or a reader
 * found no slot) fails closed in enforce mode.
 */
static __always_inline bool chan_write(const struct chan *ch)
{
	struct tn_channel fresh = {}, *c;
	struct tn_workload *w;
	struct tn_config *cfg;
	__u64 wl_cgid, labels, old;
	int i;

	w = current_workload(&wl_cgid);
	if (!w)
		return true;
	labels = w->taint;
	if (!labels)
		return true;
	c = bpf_map_lookup_elem(&tn_channels, &ch->key);
	if (!c) {
		fresh.labels = labels;
		fresh.from_cgid = wl_cgid;
		fresh.kind = ch->kind;
		if (!bpf_map_update_elem(&tn_channels, &ch->key, &fresh,
					 BPF_NOEXIST))
			return true;	/* nobody has read from it yet */
		c = bpf_map_lookup_elem(&tn_channels, &ch->key);
		if (!c) {
			channel_stat(TN_CHST_UNTRACKED);
			goto untracked;
		}
	}
	/* A full barrier: a reader recorded before it sees the labels. */
	old = __sync_fetch_and_or(&c->labels, labels);
	if (labels & ~old)
		c->from_cgid = wl_cgid;
	for (i = 0; i < TN_CHANNEL_READERS; i++) {
		__u64 rcv = c->readers[i];

		if (rcv)
			chan_deliver(c, ch, rcv, NULL, false, labels, wl_cgid,
				     false);
	}
	if (!c->readers_full)
		return true;
untracked:
	channel_stat(TN_CHST_REFUSED);
	cfg = get_config();
	return cfg && cfg->mode == TN_MODE_AUDIT;
}

/*
 * The current task is about to read from ch: its workload (or trusted
 * receiver) is recorded as a reader, then tainted if the channel carries
 * labels, before it can have the data.
 */
static __always_inline void chan_read(const struct chan *ch)
{
	struct tn_channel fresh = {}, *c;
	struct tn_workload *w;
	__u64 cgid = 0, labels;
	bool trusted;
	int i;

	w = current_receiver(&cgid, &trusted);
	c = bpf_map_lookup_elem(&tn_channels, &ch->key);
	if (!w && !trusted) {
		/* A reader in no workload cannot be held back: say so. */
		if (c && c->labels)
			count(TN_CNT_FLOW_UNREGISTERED);
		return;
	}
	if (!c) {
		fresh.readers[0] = cgid;
		fresh.kind = ch->kind;
		if (!bpf_map_update_elem(&tn_channels, &ch->key, &fresh,
					 BPF_NOEXIST))
			return;	/* recorded; nothing tainted written yet */
		c = bpf_map_lookup_elem(&tn_channels, &ch->key);
		if (!c) {
			channel_stat(TN_CHST_UNTRACKED);
			return;
		}
	}
	for (i = 0; i < TN_CHANNEL_READERS; i++) {
		__u64 r = c->readers[i];

		if (r == cgid)
			break;
		if (r)
			continue;
		/* A full barrier: a writer after this sees the reader. */
		r = __sync_val_compare_and_swap(&c->readers[i], 0, cgid);
		if (!r || r == cgid)
			break;
	}
	if (i == TN_CHANNEL_READERS) {
		/* Unrecorded: tainted writes into it fail closed from now on. */
		if (!__sync_fetch_and_or(&c->readers_full, 1))
			channel_stat(TN_CHST_READERS_FULL);
	}
	labels = c->labels;
	if (labels)
		chan_deliver(c, ch, cgid, w, trusted, labels, c->from_cgid, true);
}

static __always_inline __u32 unix_kind(short type)
{
	return type == SOCK_STREAM_ ? TN_CHAN_UNIX_STREAM :
	       type == SOCK_DGRAM_ ? TN_CHAN_UNIX_DGRAM : TN_CHAN_UNIX_SEQPACKET;
}

/*
 * What a read from, or a write to, sock reaches: for a read, the socket
 * itself; for a write on a connected stream or seqpacket socket, its peer.
 * Datagrams are seen by unix_may_send, which knows the receiving socket.
 */
static __always_inline bool unix_chan(struct socket *sock, bool write,
				      struct chan *ch)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);
	short type = BPF_CORE_READ(sock, type);

	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != AF_UNIX_)
		return false;
	ch->kind = unix_kind(type);
	if (!write) {
		ch->key = (__u64)sk;
		return true;
	}
	if (type == SOCK_DGRAM_)
		return false;
	ch->key = (__u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
	return ch->key != 0;
}

/* The channel behind a file: a pipe, a FIFO or a unix socket. */
static __always_inline bool file_chan(struct file *file, bool write,
				      struct chan *ch)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	__u32 fmt;

	if (!inode)
		return false;
	fmt = BPF_CORE_READ(inode, i_mode) & S_IFMT_;
	if (fmt == S_IFIFO_) {
		ch->key = (__u64)inode;
		ch->kind = BPF_CORE_READ(inode, i_sb, s_magic) == PIPEFS_MAGIC_ ?
			   TN_CHAN_PIPE : TN_CHAN_FIFO;
		return true;
	}
	if (fmt == S_IFSOCK_)
		return unix_chan((struct socket *)BPF_CORE_READ(file, private_data),
				 write, ch);
	return false;
}

/* read(2), write(2) and their kin, sendfile(2), io_uring reads and writes. */
SEC("lsm/file_permission")
int BPF_PROG(tn_lsm_file_permission, struct file *file, int mask, int ret)
{
	struct chan ch = {};

	if (ret)
		return ret;
	if (mask & MAY_READ_) {
		if (file_chan(file, false, &ch))
			chan_read(&ch);
	} else if (mask & MAY_WRITE_) {
		if (cgroup_move_refused(file))
			return -EPERM;
		if (file_chan(file, true, &ch))
			return chan_write(&ch) ? 0 : -EPERM;
		/* write(), sendfile() and splice() into an inet socket. */
		if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT_) == S_IFSOCK_)
			return lsm_check_peer((struct socket *)BPF_CORE_READ(file, private_data),
					      TN_EV_SENDMSG);
	}
	return 0;
}

/* recv(2), recvmsg(2), recvmmsg(2), read(2) on a socket, io_uring receives. */
SEC("lsm/socket_recvmsg")
int BPF_PROG(tn_lsm_socket_recvmsg, struct socket *sock, struct msghdr *msg,
	     int size, int flags, int ret)
{
	struct chan ch = {};

	if (ret)
		return ret;
	if (unix_chan(sock, false, &ch))
		chan_read(&ch);
	return 0;
}

/* Every unix datagram, connected or not, to the socket that receives it. */
SEC("lsm/unix_may_send")
int BPF_PROG(tn_lsm_unix_may_send, struct socket *sock, struct socket *other,
	     int ret)
{
	struct chan ch = {};

	if (ret)
		return ret;
	ch.key = (__u64)BPF_CORE_READ(other, sk);
	ch.kind = TN_CHAN_UNIX_DGRAM;
	if (ch.key && !chan_write(&ch))
		return -EPERM;
	return 0;
}

/* A channel's entry goes with its object. */
SEC("lsm/sk_free_security")
int BPF_PROG(tn_lsm_sk_free, struct sock *sk)
{
	__u64 key = (__u64)sk;

	if (BPF_CORE_READ(sk, __sk_common.skc_family) == AF_UNIX_)
		bpf_map_delete_elem(&tn_channels, &key);
	return 0;
}

SEC("lsm/inode_free_security")
int BPF_PROG(tn_lsm_inode_free, struct inode *inode)
{
	__u64 key = (__u64)inode;

	if ((BPF_CORE_READ(inode, i_mode) & S_IFMT_) == S_IFIFO_)
		bpf_map_delete_elem(&tn_channels, &key);
	return 0;
}

/*
 * splice(2) and tee(2) move data into and out of pipes without an LSM hook
 * on the pipe side. The source is read first, so a relay that splices from
 * one channel into another is tainted before its write is judged.
 */
static __always_inline void move_between(struct file *in, struct file *out)
{
	struct chan ch = {};

	if (in && file_chan(in, false, &ch))
		chan_read(&ch);
	if (out && file_chan(out, true, &ch))
		chan_write(&ch);
}

SEC("fentry/do_splice")
int BPF_PROG(tn_splice, struct file *in, loff_t *off_in, struct file *out)
{
	move_between(in, out);
	return 0;
}

SEC("fentry/do_tee")
int BPF_PROG(tn_tee, struct file *in, struct file *out)
{
	move_between(in, out);
	return 0;
}

/* vmsplice(2): into a pipe's write end, or out of its read end. */
SEC("fentry/__x64_sys_vmsplice")
int BPF_PROG(tn_vmsplice, struct pt_regs *regs)
{
	struct task_struct *task = bpf_get_current_task_btf();
	unsigned long fd = BPF_CORE_READ(regs, di);
	struct file **fds, *file = NULL;
	struct chan ch = {};

	if (fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), fds + fd) || !file)
		return 0;
	if (BPF_CORE_READ(file, f_mode) & FMODE_WRITE_) {
		if (file_chan(file, true, &ch))
			chan_write(&ch);
	} else if (BPF_CORE_READ(file, f_mode) & FMODE_READ_) {
		if (file_chan(file, false, &ch))
			chan_read(&ch);
	}
	return 0;
}

/* lsm mode: the same checks, seen before the protocol's connect. */
static __always_inline int lsm_check(struct socket *sock,
				     struct sockaddr *address, int addrlen,
				     __u32 ev_type)
{
	struct dest d = {};
	__u16 family;

	if (!address)
		return 0;
	d.protocol = BPF_CORE_READ(sock, sk, sk_protocol);
	family = BPF_CORE_READ(address, sa_family);
	if (family == AF_INET && addrlen >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)address;

		d.family = AF_INET;
		d.port = BPF_CORE_READ(sin, sin_port);
		*(__u32 *)d.addr = BPF_CORE_READ(sin, sin_addr.s_addr);
	} else if (family == AF_INET6 &&
		   addrlen >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)address;

		d.family = AF_INET6;
		d.port = BPF_CORE_READ(sin6, sin6_port);
		bpf_probe_read_kernel(d.addr, sizeof(d.addr),
				      &sin6->sin6_addr);
	} else {
		return 0;
	}
	return on_send(&d, ev_type) ? 0 : -EPERM;
}

SEC("lsm/socket_connect")
int BPF_PROG(tn_lsm_socket_connect, struct socket *sock,
	     struct sockaddr *address, int addrlen, int ret)
{
	if (ret)
		return ret;
	return lsm_check(sock, address, addrlen, TN_EV_CONNECT);
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(tn_lsm_socket_sendmsg, struct socket *sock, struct msghdr *msg,
	     int size, int ret)
{
	struct chan ch = {};

	if (ret)
		return ret;
	/* A unix stream's data goes to its peer: taint follows it. */
	if (unix_chan(sock, true, &ch))
		return chan_write(&ch) ? 0 : -EPERM;
	/* A stream socket ignores msg_name: only its peer counts. */
	if (BPF_CORE_READ(sock, type) == SOCK_STREAM_ ||
	    !BPF_CORE_READ(msg, msg_name))
		return lsm_check_peer(sock, TN_EV_SENDMSG);
	return lsm_check(sock, BPF_CORE_READ(msg, msg_name),
			 BPF_CORE_READ(msg, msg_namelen), TN_EV_SENDMSG);
}

/* ---- socket families ------------------------------------------------- */

#define SOCK_RAW_	3
#define AF_PACKET_	17
#define AF_VSOCK_	40

/*
 * Sockets whose traffic the egress checks cannot judge by where it goes:
 * raw IP (the workload writes the header with IP_HDRINCL, the next hop is
 * routed by another address, and no connect or sendmsg program runs),
 * packet sockets (frames below IP: no cgroup_skb program sees them) and
 * vsock (to the hypervisor, no IP at all). A tainted workload gets none.
 */
static __always_inline bool family_refused(int family, int type)
{
	if (family == AF_INET || family == AF_INET6)
		return type == SOCK_RAW_;
	return family == AF_PACKET_ || family == AF_VSOCK_;
}

/* Returns true to allow; a refusal is an event either way. */
static __always_inline bool socket_allowed(int family, int type, int protocol)
{
	struct tn_workload *w;
	struct tn_config *cfg;
	struct tn_event *e;
	__u32 decision;
	__u64 wl_cgid;

	if (!family_refused(family, type))
		return true;
	w = current_workload(&wl_cgid);
	if (!w || !w->taint)
		return true;
	cfg = get_config();
	if (cfg && cfg->mode == TN_MODE_AUDIT) {
		decision = TN_DEC_ALLOW_AUDIT;
		count(TN_CNT_AUDIT_ALLOW);
	} else {
		decision = TN_DEC_DENY;
		count(TN_CNT_DENY_SOCKET);
	}
	e = event_start(TN_EV_SOCKET, decision, wl_cgid, w->taint, true);
	if (e) {
		e->family = family;
		e->count = type;
		e->port = protocol;
		bpf_ringbuf_submit(e, 0);
	}
	return decision != TN_DEC_DENY;
}

/*
 * cgroup mode: runs from inet_create and inet6_create only, so it sees raw
 * IPv4 and IPv6 sockets but never AF_PACKET or AF_VSOCK (listed gaps).
 */
SEC("cgroup/sock_create")
int tn_sock_create(struct bpf_sock *sk)
{
	return socket_allowed(sk->family, sk->type, sk->protocol) ? 1 : 0;
}

/* lsm mode: every family, before the protocol's create runs. */
SEC("lsm/socket_create")
int BPF_PROG(tn_lsm_socket_create, int family, int type, int protocol,
	     int kern, int ret)
{
	if (ret)
		return ret;
	/* The kernel's own sockets (kern) are not the workload's doing. */
	if (kern)
		return 0;
	return socket_allowed(family, type, protocol) ? 0 : -EPERM;
}

/*
 * lsm mode: such a socket in a tainted workload's hands was made before
 * the taint, as socket_create refuses new ones. What it sends is not
 * judged by where it goes (a raw socket connected earlier routes by its
 * connection while the egress program reads the header the workload
 * wrote), so it sends nothing. A program of its own on the hook, apart
 * from tn_lsm_socket_sendmsg.
 */
SEC("lsm/socket_sendmsg")
int BPF_PROG(tn_lsm_sendmsg_family, struct socket *sock, struct msghdr *msg,
	     int size, int ret)
{
	if (ret)
		return ret;
	return socket_allowed(BPF_CORE_READ(sock, sk, __sk_common.skc_family),
			      BPF_CORE_READ(sock, type),
			      BPF_CORE_READ(sock, sk, sk_protocol)) ? 0 : -EPERM;
}

/* ---- packets -------------------------------------------------------- */

#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17

/* Reads a packet's addresses and ports. cgroup_skb data starts at the IP header. */
static __always_inline bool skb_flow(struct __sk_buff *skb,
				     struct tn_flow_key *f)
{
	__u8 vihl;
	__u32 l4off;

	if (bpf_skb_load_bytes(skb, 0, &vihl, 1))
		return false;
	if ((vihl >> 4) == 4) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return false;
		f->family = AF_INET;
		f->protocol = ip.protocol;
		*(__u32 *)f->saddr = ip.saddr;
		*(__u32 *)f->daddr = ip.daddr;
		l4off = (vihl & 0xf) * 4;
	} else if ((vihl >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return false;
		f->family = AF_INET6;
		f->protocol = ip6.nexthdr;
		__builtin_memcpy(f->saddr, &ip6.saddr, 16);
		__builtin_memcpy(f->daddr, &ip6.daddr, 16);
		l4off = sizeof(ip6);
	} else {
		return false;
	}
	if (f->protocol == IPPROTO_TCP_ || f->protocol == IPPROTO_UDP_) {
		__u16 ports[2];

		if (!bpf_skb_load_bytes(skb, l4off, ports, sizeof(ports))) {
			f->sport = ports[0];
			f->dport = ports[1];
		}
	}
	return true;
}

/* The other end of a packet: the destination on egress, the source on ingress. */
static __always_inline void flow_peer(const struct tn_flow_key *f, bool egress,
				      struct dest *d)
{
	d->family = f->family;
	d->protocol = f->protocol;
	d->port = egress ? f->dport : f->sport;
	__builtin_memcpy(d->addr, egress ? f->daddr : f->saddr, 16);
}

/* Remembers that a tainted workload sends on this flow. */
static __always_inline void record_flow(const struct tn_flow_key *f,
					struct tn_workload *w, __u64 wl_cgid)
{
	struct tn_flow *known = bpf_map_lookup_elem(&tn_flows, f);
	struct tn_flow v = { .labels = w->taint, .workload_cgid = wl_cgid };

	if (known && (known->labels | v.labels) == known->labels)
		return;
	if (known)
		v.labels |= known->labels;
	bpf_map_update_elem(&tn_flows, f, &v, BPF_ANY);
}

SEC("cgroup_skb/egress")
int tn_skb_egress(struct __sk_buff *skb)
{
	struct tn_flow_key f = {};
	struct tn_workload *w;
	struct tn_config *cfg;
	struct tn_event *e;
	struct dest d = {};
	__u64 wl_cgid, now;
	__u32 decision;

	w = skb_workload(skb, &wl_cgid);
	if (!w || !w->taint)
		return SK_PASS;
	if (!skb_flow(skb, &f))
		return SK_PASS;	/* not IP: nothing leaves by IP routing */
	flow_peer(&f, true, &d);
	if (dest_allowed(&d)) {
		/* It may be a process on this node: let the receiver know. */
		record_flow(&f, w, wl_cgid);
		return SK_PASS;
	}

	cfg = get_config();
	if (cfg && cfg->mode == TN_MODE_AUDIT) {
		decision = TN_DEC_ALLOW_AUDIT;
		count(TN_CNT_AUDIT_ALLOW);
	} else {
		decision = TN_DEC_DENY;
		count(TN_CNT_DROP_EGRESS);
	}

	/* A flow drops many packets: one event per workload per interval. */
	now = bpf_ktime_get_boot_ns();
	if (now - w->last_drop_report_ns < TN_DROP_REPORT_NS) {
		count(TN_CNT_DROPS_UNREPORTED);
	} else {
		w->last_drop_report_ns = now;
		e = event_start(TN_EV_EGRESS, decision, wl_cgid, w->taint,
				false);
		if (e) {
			fill_dest(e, &d);
			e->count = 1;
			bpf_ringbuf_submit(e, 0);
		}
	}
	return decision == TN_DEC_DENY ? SK_DROP : SK_PASS;
}

/*
 * A trusted receiver (policy: a local resolver, a log collector) gets
 * tainted data without being tainted. Each such flow is a deliberate hole,
 * so its first packet is reported; the rest are counted.
 */
static __always_inline bool trusted_receiver(struct __sk_buff *skb,
					     struct tn_flow *flow,
					     const struct dest *d)
{
	struct tn_config *cfg = get_config();
	struct tn_event *e;
	__u64 id = 0;
	int i;

	if (!cfg)
		return false;
	for (i = 0; i < TN_CGROUP_DEPTH; i++) {
		id = bpf_skb_ancestor_cgroup_id(skb, cfg->min_level + 1 + i);
		if (!id)
			return false;
		if (bpf_map_lookup_elem(&tn_trusted, &id))
			break;
	}
	if (i == TN_CGROUP_DEPTH)
		return false;
	count(TN_CNT_TRUSTED_FLOWS);
	if (__sync_fetch_and_or(&flow->trusted_reported, 1))
		return true;
	e = event_start(TN_EV_TRUSTED_FLOW, TN_DEC_TRUSTED, 0, flow->labels, false);
	if (e) {
		fill_dest(e, d);
		e->from_cgid = flow->workload_cgid;
		e->to_cgid = id;
		bpf_ringbuf_submit(e, 0);
	}
	return true;
}

/*
 * Data received from a tagged endpoint, or from a tainted workload on this
 * node, taints the receiving workload before the receiver can read it.
 */
SEC("cgroup_skb/ingress")
int tn_skb_ingress(struct __sk_buff *skb)
{
	struct tn_workload *w = NULL;
	struct tn_endpoint_key key = {};
	struct tn_flow_key f = {};
	struct tn_flow *flow;
	struct tn_event *e;
	struct dest d = {};
	__u64 wl_cgid, gained;

	if (!skb_flow(skb, &f))
		return SK_PASS;
	flow_peer(&f, false, &d);
	key.family = d.family;
	key.port = d.port;
	__builtin_memcpy(key.addr, d.addr, sizeof(key.addr));
	if (!bpf_map_lookup_elem(&tn_endpoints, &key))
		key.port = 0;	/* any port of the address: an attested peer */
	if (bpf_map_lookup_elem(&tn_endpoints, &key)) {
		w = skb_workload(skb, &wl_cgid);
		if (w)
			taint_from_endpoint(w, wl_cgid, &d, false);
	}

	flow = bpf_map_lookup_elem(&tn_flows, &f);
	if (!flow)
		return SK_PASS;
	if (trusted_receiver(skb, flow, &d))
		return SK_PASS;
	if (!w)
		w = skb_workload(skb, &wl_cgid);
	if (!w) {
		/* A receiver in no workload cannot be held back: say so. */
		count(TN_CNT_FLOW_UNREGISTERED);
		return SK_PASS;
	}
	if (wl_cgid == flow->workload_cgid)
		return SK_PASS;	/* a workload talking to itself */
	gained = taint(w, flow->labels);
	if (!gained)
		return SK_PASS;
	count(TN_CNT_TAINT);
	e = event_start(TN_EV_TAINT_FLOW, TN_DEC_TAINT, wl_cgid, gained, false);
	if (e) {
		fill_dest(e, &d);
		e->from_cgid = flow->workload_cgid;
		bpf_ringbuf_submit(e, 0);
	}
	return SK_PASS;
}
