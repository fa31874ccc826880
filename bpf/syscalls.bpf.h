/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * cgroup mode: the one syscall-exit program (opens, writes into procs
 * files, clone3), for kernels without BPF LSM.
 *
 * Part of trustnode.bpf.c (one object, one skeleton): included once, after
 * the files before it in that list, whose helpers it uses.
 */

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
	struct file_id id = {};
	struct tn_workload *w;
	__u64 wl_cgid;
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
	/*
	 * Every open on the node comes here: one that is in no workload has
	 * nothing to taint and cannot escape one, so it stops before the
	 * descriptor is resolved.
	 */
	w = current_workload(&wl_cgid);
	if (!w)
		return 0;
	fds = task->files->fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), fds + ret) || !file)
		return 0;
	/* The open is done: nothing to refuse. */
	file_id_read(file, &id);
	taint_workload_from_file(w, wl_cgid, &id,
				 file_labels(&id, NULL, NULL, false),
				 false);
	cgroup_file_opened(file, wl_cgid);
	return 0;
}
