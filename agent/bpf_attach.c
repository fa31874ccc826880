// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loading the BPF object, choosing lsm, fentry or cgroup mode, pinning maps and links
 * under the pin directory, and adopting what an earlier agent pinned: maps
 * are reused by name (taint survives); cgroup links are updated in place to
 * the newly loaded programs and tracing links replaced (attached anew, then
 * renamed over the old pin), so an upgrade's programs run at once and
 * nothing runs twice; links of programs the mode does not use are removed.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "agent.h"
#include "clock.h"
#include "trustnode.skel.h"
#include "trustnode/bpf_shared.h"

static const char *const gaps_cgroup[] = {
	"files opened through io_uring (IORING_OP_OPENAT) do not taint: no syscall exit to observe",
	"descriptors received over a unix socket (SCM_RIGHTS) or inherited from outside the workload do not taint",
	"a tagged file run with execve() or loaded as a library without open() does not taint",
	"unix stream and datagram sockets, pipes and FIFOs are not seen: data a tainted workload sends through them does not taint the receiver (needs lsm or fentry mode; TCP and UDP over loopback or local addresses do taint)",
	"a local process in no workload, or outside trustnoded's cgroup, that receives tainted data is not tainted (counted as flows_to_unregistered)",
	"shared memory, POSIX and System V message queues, signals, ptrace and process_vm_writev do not carry taint",
	"files opened for writing before the workload became tainted do not become derived tags",
	"packet sockets (AF_PACKET, needs CAP_NET_RAW) and vsock sockets (AF_VSOCK, to the hypervisor, no capability needed) are not refused: no cgroup hook sees their creation, and their frames bypass the egress programs (trustctl run drops CAP_NET_RAW; unload the vsock modules where there is no need for them)",
	"a raw IP socket opened before the taint with IP_HDRINCL is judged by the address in the header it writes, not by where it is routed (tainted workloads cannot open new ones: cgroup/sock_create)",
	"directory tags cover at most 16 levels below the tagged directory and stop at mount points",
	"a file renamed or hard-linked out of a tagged directory (or a directory moved out) loses the directory's labels: no hook sees rename or link without BPF LSM; keep tagged trees unwritable by workloads and their users without CAP_FOWNER (fs.protected_hardlinks=1)",
	"a workload that creates a user namespace can mount an overlay over a tagged tree and read through it untainted (forbid user namespaces to workloads: kernel.unprivileged_userns_clone=0; trustctl run drops CAP_SYS_ADMIN)",
	"a socket made outside the workload (inherited, received over SCM_RIGHTS, socket activation) is judged by the cgroup that made it: a tainted workload's sends on it are not checked (trustctl run passes only descriptors 0-2 and --keep-fd)",
	"when tn_derived is full, a tainted process that opens for writing a file not yet a derived tag is killed (SIGKILL) at the syscall exit, not refused: another thread of it may write through the new descriptor in the microseconds before the kill lands",
	"tn_cgfiles (open cgroup.procs files of other cgroups, 4096, LRU) does not fail closed: a workload that opens more than 4096 of them for writing evicts an earlier one, and a write through that descriptor is not judged (trustctl run: cgroup namespace, nsdelegate)",
	"a tainted process that writes a pid into cgroup.procs, or starts a child with clone3(CLONE_INTO_CGROUP), outside every workload is killed (with the process it moved or started) after the fact, not refused: another thread of it, or the child, may act in the microseconds between; such writes through io_uring, splice or sendfile, or through a cgroup.procs descriptor opened outside the workloads, are not seen (run workloads in a cgroup namespace on a cgroup2 mounted with nsdelegate: trustctl run)",
	NULL,
};

/* lsm mode's gaps, which fentry mode shares (same decisions). */
#define GAPS_LSM_COMMON \
	"descriptors inherited from a process outside the workload do not taint", \
	"a local process in no workload, or outside trustnoded's cgroup, that receives tainted data is not tainted (counted as flows_to_unregistered)", \
	"shared memory, POSIX and System V message queues, signals, ptrace and process_vm_writev do not carry taint", \
	"unix sockets, pipes and FIFOs: a reader that cannot be recorded (more than 8 reader workloads on one channel, or tn_channels full) makes tainted writes into that channel fail closed (refused in enforce mode), but splice, tee and vmsplice into a pipe cannot be refused, and a reader left out while the map was full is missed if the channel is only recorded later; each case is a channel-untracked event", \
	"vmsplice(2) on a pipe by a 32-bit process does not carry taint", \
	"files opened for writing before the workload became tainted do not become derived tags", \
	"raw IP, packet (AF_PACKET) and vsock (AF_VSOCK) sockets opened before the taint can still receive; sending on them is refused", \
	"directory tags cover at most 16 levels below the tagged directory and stop at mount points"

static const char *const gaps_lsm[] = {
	GAPS_LSM_COMMON,
	NULL,
};

static const char *const gaps_fentry[] = {
	GAPS_LSM_COMMON,
	"a run of a program is skipped while the same program runs on that CPU (the kernel's guard against recursion of tracing programs; a task preempted inside one, under preempt=full or PREEMPT_RT): the operation then passes unjudged; trustctl status shows each program's missed runs",
	NULL,
};

const char *const *attach_mode_gaps(enum tn_attach_mode mode)
{
	return mode == TN_ATTACH_LSM ? gaps_lsm :
	       mode == TN_ATTACH_FENTRY ? gaps_fentry : gaps_cgroup;
}

const char *attach_mode_name(enum tn_attach_mode mode)
{
	return mode == TN_ATTACH_LSM ? "lsm" : mode == TN_ATTACH_FENTRY ?
	       "fentry" : mode == TN_ATTACH_CGROUP ? "cgroup" : "auto";
}

/*
 * Whether the mode refuses at the LSM hooks, before the operation happens:
 * lsm programs, or fmod_ret programs on the security_*() functions (fentry
 * mode). Cgroup mode sees an open only once it is done.
 */
int attach_mode_refuses(enum tn_attach_mode mode)
{
	return mode == TN_ATTACH_LSM || mode == TN_ATTACH_FENTRY;
}

/*
 * Which programs each mode attaches; cgroup programs go on cgroup_root.
 * fentry mode runs the lsm programs' decisions from trampolines on the
 * security_*() functions (bpf/fentry.bpf.h), plus the same splice, tee and
 * vmsplice programs as lsm mode. lsm mode attaches no cgroup connect or
 * sendmsg program: socket_connect and socket_sendmsg judge every connect
 * and send first (TCP Fast Open's connect inside a send included, and
 * sockets made outside trustnode's cgroup, which the cgroup programs never
 * see), so the cgroup programs only repeated their work, under the socket
 * lock for UDP. fentry mode keeps them: its fmod_ret programs are skipped
 * while the same program runs on that CPU, and the cgroup programs judge
 * those connects and sends.
 */
struct prog_slot {
	const char *name;
	int cgroup;		/* attached to the cgroup, else global */
	int lsm_mode, fentry_mode, cgroup_mode;
};

static const struct prog_slot slots[] = {
	{ "tn_connect4",               1, 0, 1, 1 },
	{ "tn_connect6",               1, 0, 1, 1 },
	{ "tn_sendmsg4",               1, 0, 1, 1 },
	{ "tn_sendmsg6",               1, 0, 1, 1 },
	{ "tn_skb_egress",             1, 1, 1, 1 },
	{ "tn_skb_ingress",            1, 1, 1, 1 },
	{ "tn_lsm_file_open",          0, 1, 0, 0 },
	{ "tn_lsm_file_receive",       0, 1, 0, 0 },
	{ "tn_lsm_socket_connect",     0, 1, 0, 0 },
	{ "tn_lsm_socket_sendmsg",     0, 1, 0, 0 },
	{ "tn_lsm_file_permission",    0, 1, 0, 0 },
	{ "tn_lsm_socket_recvmsg",     0, 1, 0, 0 },
	{ "tn_lsm_unix_may_send",      0, 1, 0, 0 },
	{ "tn_lsm_sk_free",            0, 1, 0, 0 },
	{ "tn_lsm_inode_free",         0, 1, 0, 0 },
	{ "tn_lsm_inode_rename",       0, 1, 0, 0 },
	{ "tn_lsm_inode_link",         0, 1, 0, 0 },
	{ "tn_lsm_task_alloc",         0, 1, 0, 0 },
	{ "tn_lsm_userns_create",      0, 1, 0, 0 },
	{ "tn_fentry_file_open",       0, 0, 1, 0 },
	{ "tn_fentry_file_receive",    0, 0, 1, 0 },
	{ "tn_fentry_socket_connect",  0, 0, 1, 0 },
	{ "tn_fentry_socket_sendmsg",  0, 0, 1, 0 },
	{ "tn_fentry_file_permission", 0, 0, 1, 0 },
	{ "tn_fentry_socket_recvmsg",  0, 0, 1, 0 },
	{ "tn_fentry_unix_may_send",   0, 0, 1, 0 },
	{ "tn_fentry_sk_free",         0, 0, 1, 0 },
	{ "tn_fentry_inode_free",      0, 0, 1, 0 },
	{ "tn_fentry_inode_rename",    0, 0, 1, 0 },
	{ "tn_fentry_inode_link",      0, 0, 1, 0 },
	{ "tn_fentry_task_alloc",      0, 0, 1, 0 },
	{ "tn_fentry_userns_create",   0, 0, 1, 0 },
	{ "tn_splice",                 0, 1, 1, 0 },
	{ "tn_tee",                    0, 1, 1, 0 },
	{ "tn_vmsplice",               0, 1, 1, 0 },
	{ "tn_sys_exit_open",          0, 0, 0, 1 },
	{ "tn_sock_create",            1, 0, 0, 1 },
	{ "tn_lsm_socket_create",      0, 1, 0, 0 },
	{ "tn_fentry_socket_create",   0, 0, 1, 0 },
	{ "tn_cgroup_attach",          0, 1, 1, 1 },
	/* Retired: earlier versions' links, removed where found. */
	{ "tn_lsm_sendmsg_family",     0, 0, 0, 0 },
	{ "tn_fentry_sendmsg_family",  0, 0, 0, 0 },
};

/* Every slot's link is watched (pins_check): none may fall off the end. */
_Static_assert(sizeof(slots) / sizeof(slots[0]) <= TN_LINK_SLOTS,
	       "agent.h's TN_LINK_SLOTS is smaller than the slot table");

static int slot_used(const struct prog_slot *s, enum tn_attach_mode m)
{
	return m == TN_ATTACH_LSM ? s->lsm_mode :
	       m == TN_ATTACH_FENTRY ? s->fentry_mode : s->cgroup_mode;
}

static int ensure_fs(const char *path, long magic, const char *type,
		     struct tn_err *err)
{
	struct statfs sfs;

	if (!statfs(path, &sfs) && sfs.f_type == magic)
		return 0;
	if (mount(type, path, type, 0, type[0] == 'b' ? "mode=0700" : NULL))
		return tn_fail_errno(err, errno, "cannot mount %s on %s", type, path);
	return 0;
}

/* BPF LSM programs run only when "bpf" is in the active LSM list. */
static int bpf_lsm_active(char *why, size_t n)
{
	char buf[512] = "";
	FILE *f;

	ensure_fs("/sys/kernel/security", SECURITYFS_MAGIC, "securityfs", NULL);
	f = fopen("/sys/kernel/security/lsm", "r");
	if (!f) {
		snprintf(why, n, "cannot read /sys/kernel/security/lsm");
		return 0;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	if (strstr(buf, ",bpf") || !strncmp(buf, "bpf", 3)) {
		snprintf(why, n, "BPF LSM is active (lsm=%s)", buf);
		return 1;
	}
	snprintf(why, n, "BPF LSM is not active (lsm=%s); add bpf to lsm= on the kernel command line for lsm mode", buf);
	return 0;
}

/* Level of a cgroup: how many directories below the cgroup2 mount it is. */
static int cgroup_level(const char *path, uint32_t *level, struct tn_err *err)
{
	char real[4096], cur[4096];
	struct statfs sfs;
	uint32_t n = 0;

	if (!realpath(path, real))
		return tn_fail_errno(err, errno, "cgroup %s", path);
	strcpy(cur, real);
	for (;;) {
		char *slash = strrchr(cur, '/');

		if (!slash || slash == cur)
			return tn_fail(err, "%s is not inside a cgroup2 mount", real);
		*slash = '\0';
		if (statfs(cur, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
			break;
		n++;
	}
	*level = n;
	return 0;
}

static int open_cgroup_root(struct agent *a, struct tn_err *err)
{
	const char *path = a->opt.cgroup_root;
	struct stat st;

	if (mkdir(path, 0755) && errno != EEXIST)
		return tn_fail_errno(err, errno, "cannot create cgroup %s", path);
	if (tn_cgroup_id(path, &a->cgroup_root_id, err))
		return -1;
	if (cgroup_level(path, &a->cgroup_root_level, err))
		return -1;
	if (a->cgroup_root_level == 0)
		return tn_fail(err, "refusing to attach at the root cgroup %s: it would filter every process on the machine; give --cgroup a subtree", path);
	a->cgroup_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->cgroup_fd < 0 || fstat(a->cgroup_fd, &st))
		return tn_fail_errno(err, errno, "cannot open cgroup %s", path);
	return 0;
}

/*
 * An existing pinned link: take it over if it is ours, else say why not.
 * Returns 0 when it now runs prog, 1 when it was dead and removed, 2 for a
 * tracing link (attach_slot replaces it), -1 on error.
 */
static int adopt_link(struct agent *a, const struct prog_slot *s,
		      struct bpf_program *prog, const char *pin,
		      struct tn_err *err)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	struct bpf_link *link = bpf_link__open(pin);
	int ret = 0;

	if (!link)
		return tn_fail_errno(err, errno, "cannot open pinned link %s", pin);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len)) {
		ret = tn_fail_errno(err, errno, "cannot inspect pinned link %s", pin);
		goto out;
	}
	if (s->cgroup && info.cgroup.cgroup_id != a->cgroup_root_id) {
		if (info.cgroup.cgroup_id == 0) {
			/* Its cgroup is gone: the link is dead, replace it. */
			unlink(pin);
			ret = 1;
			goto out;
		}
		ret = tn_fail(err, "pinned link %s is attached to cgroup id %llu, not to %s; stop the other agent or run trustnoded --unload with the same --pin-dir", pin, (unsigned long long)info.cgroup.cgroup_id, a->opt.cgroup_root);
		goto out;
	}
	/*
	 * Run the new code through the old attachment. Tracing links cannot
	 * be updated: attach_slot replaces them.
	 */
	if (!s->cgroup) {
		ret = 2;
		goto out;
	}
	if (bpf_link__update_program(link, prog)) {
		ret = tn_fail_errno(err, errno, "cannot update pinned link %s", pin);
		goto out;
	}
	a->links_adopted++;
out:
	/* Closes our descriptor only: the pin holds the link. */
	bpf_link__destroy(link);
	return ret;
}

/*
 * The pinned link and the program it runs now, for pins_check: the one
 * just loaded, or for an adopted tracing link (which cannot be updated)
 * the previous agent's.
 */
static void note_link(struct agent *a, const struct prog_slot *s, const char *pin)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	size_t i = s - slots;
	int fd = bpf_obj_get(pin);

	memset(&info, 0, sizeof(info));
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
		a->link_prog[i] = info.prog_id;
		a->link_id[i] = info.id;
	}
	if (fd >= 0)
		close(fd);
}

/*
 * A pinned tracing link of an earlier agent, replaced by one to the program
 * just loaded: the new link is attached before the rename drops the old
 * pin (and with it the old link), so one of the two runs at every moment,
 * and an upgrade's program runs at once, not after the next boot. On
 * failure the old link stays, running the earlier agent's program.
 */
static int replace_link(struct agent *a, const struct prog_slot *s,
			struct bpf_program *prog, const char *pin,
			struct tn_err *err)
{
	struct bpf_link *link = bpf_program__attach(prog);
	char tmp[4200];
	int ret = 0;

	if (!link)
		return tn_fail_errno(err, errno, "cannot attach %s to replace the pinned link", s->name);
	snprintf(tmp, sizeof(tmp), "%s_new", pin);
	unlink(tmp);
	if (bpf_link__pin(link, tmp)) {
		ret = tn_fail_errno(err, errno, "cannot pin %s", tmp);
	} else if (rename(tmp, pin)) {
		ret = tn_fail_errno(err, errno, "cannot rename %s to %s", tmp, pin);
		unlink(tmp);
	} else {
		a->links_adopted++;
	}
	bpf_link__destroy(link);
	return ret;
}

static int attach_slot(struct agent *a, const struct prog_slot *s,
		       struct tn_err *err)
{
	struct bpf_program *prog;
	struct bpf_link *link;
	char pin[4096];
	int ret;

	prog = bpf_object__find_program_by_name(a->skel->obj, s->name);
	if (!prog)
		return tn_fail(err, "BPF object has no program %s", s->name);
	snprintf(pin, sizeof(pin), "%s/links/%s", a->opt.pin_dir, s->name);
	if (!access(pin, F_OK)) {
		ret = adopt_link(a, s, prog, pin, err);
		if (ret == 2 && replace_link(a, s, prog, pin, err)) {
			/* Not fatal: the earlier program still enforces. */
			fprintf(stderr, "trustnoded: %s; the earlier agent's %s keeps running\n",
				err->msg, s->name);
			a->links_adopted++;
		}
		if (ret == 2)
			ret = 0;
		if (ret < 0)
			return ret;
		if (!ret) {
			note_link(a, s, pin);
			return 0;
		}
	}
	link = s->cgroup ? bpf_program__attach_cgroup(prog, a->cgroup_fd) :
			   bpf_program__attach(prog);
	if (!link)
		return tn_fail_errno(err, errno, "cannot attach %s", s->name);
	if (bpf_link__pin(link, pin)) {
		ret = tn_fail_errno(err, errno, "cannot pin %s", pin);
		bpf_link__destroy(link);
		return ret;
	}
	a->links_created++;
	/*
	 * Not bpf_link__disconnect(), which would keep our descriptor open:
	 * an unpinned link would stay attached for as long as the agent runs,
	 * and a replaced one would run beside its replacement.
	 */
	bpf_link__destroy(link);
	note_link(a, s, pin);
	return 0;
}

/*
 * Links of slots this mode does not use (an agent before in another mode,
 * or a program an upgrade dropped), once this mode's are attached: left
 * pinned, they would keep running unlisted and unwatched.
 */
static int remove_unused_links(struct agent *a, struct tn_err *err)
{
	char pin[4096];
	size_t i;

	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (slot_used(&slots[i], a->mode))
			continue;
		snprintf(pin, sizeof(pin), "%s/links/%s", a->opt.pin_dir, slots[i].name);
		if (!unlink(pin)) {
			fprintf(stderr, "trustnoded: removed the link of %s, which %s mode does not use\n",
				slots[i].name, attach_mode_name(a->mode));
			a->links_removed++;
		} else if (errno != ENOENT) {
			return tn_fail_errno(err, errno, "cannot remove %s", pin);
		}
	}
	return 0;
}

int bpf_map_resizable(const char *name)
{
	static const char *const names[] = {
		"tn_derived", "tn_flows", "tn_channels", "tn_cgfiles", NULL
	};

	for (int i = 0; names[i]; i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

static int load_object(struct agent *a, enum tn_attach_mode mode,
		       struct tn_err *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = a->opt.pin_dir);
	struct bpf_program *prog;
	size_t i;
	int ret;

	a->skel = trustnode_bpf__open_opts(&opts);
	if (!a->skel)
		return tn_fail_errno(err, errno, "cannot open the BPF object");
	bpf_object__for_each_program(prog, a->skel->obj) {
		int want = 0;

		for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
			if (!strcmp(slots[i].name, bpf_program__name(prog)))
				want = slot_used(&slots[i], mode);
		bpf_program__set_autoload(prog, want);
	}
	a->skel->rodata->tn_root_cgid = a->cgroup_root_id;
	a->skel->rodata->tn_root_level = a->cgroup_root_level;
	if (a->opt.ringbuf_size)
		bpf_map__set_max_entries(a->skel->maps.tn_events,
					 a->opt.ringbuf_size);
	for (i = 0; i < (size_t)a->opt.nmap_size; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(
			a->skel->obj, a->opt.map_size[i].name);

		/* tn_flows_old holds what tn_flows retires: the same size. */
		if (m && !strcmp(a->opt.map_size[i].name, "tn_flows"))
			bpf_map__set_max_entries(a->skel->maps.tn_flows_old,
						 a->opt.map_size[i].n);
		if (!m || bpf_map__set_max_entries(m, a->opt.map_size[i].n)) {
			trustnode_bpf__destroy(a->skel);
			a->skel = NULL;
			return tn_fail(err, "cannot resize map %s", a->opt.map_size[i].name);
		}
	}
	ret = trustnode_bpf__load(a->skel);
	if (ret) {
		err->errnum = -ret;
		tn_fail_errno(err, -ret, "cannot load the BPF programs in %s mode (if a pinned map is incompatible after an upgrade, trustnoded --unload --pin-dir %s clears it, taint included)", attach_mode_name(mode), a->opt.pin_dir);
		trustnode_bpf__destroy(a->skel);
		a->skel = NULL;
		return -1;
	}
	return 0;
}

/* Whether pin_dir/name exists (an error other than ENOENT counts as yes). */
static int pin_exists(struct agent *a, const char *name)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", a->opt.pin_dir, name);
	return access(path, F_OK) == 0 || errno != ENOENT;
}

int attach_load(struct agent *a, struct tn_err *err)
{
	char dir[4096], why[512], lsm_why[256];
	enum tn_attach_mode want = a->opt.attach;
	struct tn_err lerr;
	int lsm;

	a->cgroup_fd = -1;
	if (ensure_fs("/sys/fs/bpf", BPF_FS_MAGIC, "bpf", err))
		return -1;
	if (strchr(strrchr(a->opt.pin_dir, '/') ?: a->opt.pin_dir, '.'))
		return tn_fail(err, "pin directory %s: bpffs names cannot contain '.'", a->opt.pin_dir);
	if (mkdir(a->opt.pin_dir, 0700) && errno != EEXIST)
		return tn_fail_errno(err, errno, "cannot create %s", a->opt.pin_dir);
	snprintf(dir, sizeof(dir), "%s/links", a->opt.pin_dir);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return tn_fail_errno(err, errno, "cannot create %s", dir);
	if (open_cgroup_root(a, err))
		return -1;

	/* Before any load pins them; any doubt counts as not fresh. */
	a->flows_fresh = !pin_exists(a, "tn_flows") && !pin_exists(a, "tn_flows_old");
	lsm = bpf_lsm_active(lsm_why, sizeof(lsm_why));
	if (want == TN_ATTACH_LSM && !lsm)
		return tn_fail(err, "--attach lsm requested but %s", lsm_why);
	snprintf(why, sizeof(why), "%s", lsm_why);
	if (lsm && want == TN_ATTACH_AUTO) {
		if (!load_object(a, TN_ATTACH_LSM, &lerr)) {
			a->mode = TN_ATTACH_LSM;
			snprintf(a->mode_reason, sizeof(a->mode_reason), "%s", lsm_why);
			return 0;
		}
		snprintf(why, sizeof(why),
			 "BPF LSM is listed but the kernel refused the lsm programs (%s)",
			 strerror(lerr.errnum));
	} else if (want == TN_ATTACH_LSM) {
		if (load_object(a, TN_ATTACH_LSM, err))
			return -1;
		a->mode = TN_ATTACH_LSM;
		snprintf(a->mode_reason, sizeof(a->mode_reason), "%s", lsm_why);
		return 0;
	}
	/*
	 * Without BPF LSM, the same decisions from trampolines on the
	 * security_*() functions, if this kernel takes them: probed by loading.
	 */
	if (want == TN_ATTACH_AUTO || want == TN_ATTACH_FENTRY) {
		if (!load_object(a, TN_ATTACH_FENTRY,
				 want == TN_ATTACH_FENTRY ? err : &lerr)) {
			a->mode = TN_ATTACH_FENTRY;
			snprintf(a->mode_reason, sizeof(a->mode_reason),
				 "%s%s; fentry and fmod_ret programs on the kernel's security_*() functions load",
				 want == TN_ATTACH_FENTRY ? "fentry mode requested with --attach fentry; " : "",
				 why);
			return 0;
		}
		if (want == TN_ATTACH_FENTRY)
			return -1;
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
			 "; the kernel refused the fentry programs (%s)",
			 strerror(lerr.errnum));
	}
	if (load_object(a, TN_ATTACH_CGROUP, err))
		return -1;
	a->mode = TN_ATTACH_CGROUP;
	snprintf(a->mode_reason, sizeof(a->mode_reason), "%s",
		 want == TN_ATTACH_CGROUP ?
		 "cgroup mode requested with --attach cgroup" : why);
	return 0;
}

/* Every slot's clock to now, or left where it is later (see below). */
static int flow_slots_restart(struct agent *a, __u64 now)
{
	int fd = bpf_map__fd(a->skel->maps.tn_flow_slots), ret = -1;
	__u32 *keys = calloc(TN_FLOW_SLOTS, sizeof(*keys)), n = TN_FLOW_SLOTS, i;
	__u64 *vals = calloc(TN_FLOW_SLOTS, sizeof(*vals)), out;

	if (!keys || !vals)
		goto out;
	if (bpf_map_lookup_batch(fd, NULL, &out, keys, vals, &n, NULL) &&
	    errno != ENOENT)
		goto out;
	if (n != TN_FLOW_SLOTS) {
		errno = EIO;
		goto out;
	}
	for (i = 0; i < n; i++)
		if ((__s64)(vals[i] - now) <= 0)
			vals[i] = now;
	ret = bpf_map_update_batch(fd, keys, vals, &n, NULL);
out:
	free(keys);
	free(vals);
	return ret;
}

/*
 * Ingress looks flows up for TN_FLOW_QUIET_NS from now, whatever the
 * previous agent's programs (which may not keep the clock) did meanwhile.
 * A later time already there stays (an agent in a time namespace sees an
 * earlier boot clock than the kernel's programs). Flow maps this agent
 * created are empty and only its programs, which keep the clock, fill
 * them: the clock stays quiet (0), and packets skip the lookups at once.
 * Jiffies, which userspace cannot read, are marked unknown: ingress reads
 * the boot clock until egress writes them.
 */
static int flow_clock_restart(struct agent *a, struct tn_err *err)
{
	int fd = bpf_map__fd(a->skel->maps.tn_flow_clock);
	__u64 now = clock_ns(CLOCK_BOOTTIME), stored = 0;
	__u64 unknown = TN_FLOW_JIFFIES_UNKNOWN;
	__u32 zero = 0;

	if (a->flows_fresh)
		return 0;
	if (bpf_map_update_elem(bpf_map__fd(a->skel->maps.tn_flow_jiffies), &zero, &unknown, BPF_ANY))
		return tn_fail_errno(err, errno, "cannot write tn_flow_jiffies");
	if (flow_slots_restart(a, now))
		return tn_fail_errno(err, errno, "cannot write tn_flow_slots");
	if (!bpf_map_lookup_elem(fd, &zero, &stored) &&
	    (__s64)(stored - now) > 0)
		return 0;
	if (bpf_map_update_elem(fd, &zero, &now, BPF_ANY))
		return tn_fail_errno(err, errno, "cannot write tn_flow_clock");
	return 0;
}

int attach_links(struct agent *a, struct tn_err *err)
{
	size_t i;

	if (flow_clock_restart(a, err))
		return -1;
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (!slot_used(&slots[i], a->mode))
			continue;
		if (attach_slot(a, &slots[i], err))
			return -1;
	}
	return remove_unused_links(a, err);
}

int attach_programs(struct agent *a, struct tn_err *err)
{
	return attach_load(a, err) || attach_links(a, err) ? -1 : 0;
}

void attach_close(struct agent *a)
{
	/* Pinned links and maps stay: enforcement outlives the agent. */
	if (a->skel)
		trustnode_bpf__destroy(a->skel);
	a->skel = NULL;
	if (a->cgroup_fd >= 0)
		close(a->cgroup_fd);
	a->cgroup_fd = -1;
}

static int unlink_dir_entries(const char *dir, struct tn_err *err)
{
	struct dirent *de;
	char path[4096];
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : tn_fail_errno(err, errno, "%s", dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			continue;
		if (unlink(path)) {
			closedir(d);
			return tn_fail_errno(err, errno, "cannot unpin %s", path);
		}
	}
	closedir(d);
	return 0;
}

int attach_unload_pins(const char *pin_dir, struct tn_err *err)
{
	char links[4096];

	snprintf(links, sizeof(links), "%s/links", pin_dir);
	if (unlink_dir_entries(links, err) || unlink_dir_entries(pin_dir, err))
		return -1;
	rmdir(links);
	if (rmdir(pin_dir) && errno != ENOENT)
		return tn_fail_errno(err, errno, "cannot remove %s", pin_dir);
	return 0;
}

/*
 * Runs the kernel skipped (a tracing program found itself already running
 * on that CPU): operations that passed unjudged. Only fentry mode has them.
 */
static void add_missed_runs(json_object *o, __u32 prog_id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);

	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		json_object_object_add(o, "missed_runs",
				       json_object_new_int64(info.recursion_misses));
	close(fd);
}

json_object *attach_programs_json(struct agent *a)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		json_object *o;
		char pin[4096];
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		int fd;

		if (!slot_used(&slots[i], a->mode))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(slots[i].name));
		json_object_object_add(o, "attach", json_object_new_string(
			slots[i].cgroup ? a->opt.cgroup_root : "kernel-wide"));
		snprintf(pin, sizeof(pin), "%s/links/%s", a->opt.pin_dir, slots[i].name);
		fd = bpf_obj_get(pin);
		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
			json_object_object_add(o, "link_id", json_object_new_int64(info.id));
			json_object_object_add(o, "prog_id", json_object_new_int64(info.prog_id));
			json_object_object_add(o, "attached", json_object_new_boolean(1));
			add_missed_runs(o, info.prog_id);
		} else {
			json_object_object_add(o, "attached", json_object_new_boolean(0));
		}
		if (fd >= 0)
			close(fd);
		json_object_array_add(arr, o);
	}
	return arr;
}

int bpf_link_slots(struct agent *a, struct pinned_link *out, int max)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]) && n < max; i++)
		if (slot_used(&slots[i], a->mode) && a->link_prog[i])
			out[n++] = (struct pinned_link){
				.name = slots[i].name,
				.link_id = a->link_id[i],
				.prog_id = a->link_prog[i],
				.cgroup = slots[i].cgroup,
			};
	return n;
}
