/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Taint follows the process: writes into cgroup.procs and cgroup.threads,
 * and clone3(CLONE_INTO_CGROUP), by a tainted task.
 *
 * Part of trustnode.bpf.c (one object, one skeleton): included once, after
 * the files before it in that list, whose helpers it uses.
 */

/*
 * A tainted task that writes a pid into another cgroup's cgroup.procs (or a
 * tid into cgroup.threads) takes the taint along: into another workload,
 * that workload is tainted; out of every workload, lsm mode refuses the
 * write (file_permission) and cgroup mode, which sees it only after the
 * move, kills the writer and the task it moved. Either way it is an event.
 */
#define CGROUP2_SUPER_MAGIC_	0x63677270
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
		taint(dw, dw_cgid, w->taint);
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
static __always_inline int on_task_alloc(u64 clone_flags)
{
	struct tn_workload *w;
	__u64 wl_cgid;

	if (!(clone_flags & CLONE_INTO_CGROUP_))
		return 0;
	w = current_workload(&wl_cgid);
	if (!w || !w->taint)
		return 0;
	return refused(TN_EV_CGROUP_ESCAPE,
		       audit_mode() ? TN_DEC_ALLOW_AUDIT : TN_DEC_DENY,
		       wl_cgid, w->taint);
}

SEC("lsm/task_alloc")
int BPF_PROG(tn_lsm_task_alloc, struct task_struct *task, u64 clone_flags,
	     int ret)
{
	if (ret)
		return ret;
	return on_task_alloc(clone_flags);
}

/*
 * cgroup mode: a task of the workload wl_cgid opened the procs file of a
 * cgroup outside its workload for writing. Only such files are watched, so
 * the write path costs one array load until one exists (a procs file inside
 * the workload can only move tasks into it).
 */
static __always_inline void cgroup_file_opened(struct file *file, __u64 wl_cgid)
{
	struct tn_cgfile v = { .wl_cgid = wl_cgid };
	struct cgroup *dst;
	__u64 key = (__u64)file, dw_cgid = 0;
	__u32 zero = 0, *armed;

	if (!(BPF_CORE_READ(file, f_mode) & FMODE_WRITE_))
		return;
	dst = procs_file_cgroup(file);
	if (!dst)
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
 * Every migration on the node (a write into a cgroup.procs or
 * cgroup.threads file) moves the clean cache's counter: an answer worked
 * out while its task moved may be about the cgroup it left or the one it
 * joined (bpf_shared.h). In every mode: the tracepoint fires once the
 * task is in its new cgroup, which is late enough (common.bpf.h).
 */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(tn_cgroup_attach, struct cgroup *dst, const char *path,
	     struct task_struct *task, bool threadgroup)
{
	clean_gen_bump();
	return 0;
}
