/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Files: taint from opening a tagged file (its own tag, a derived tag, or a
 * tagged directory above it), derived tags on files a tainted workload
 * writes, and labels kept when a file is renamed or linked out of a tagged
 * tree.
 *
 * Part of trustnode.bpf.c (one object, one skeleton): included once, after
 * the files before it in that list, whose helpers it uses.
 */

/*
 * Whether a tag of tn_tags may be on device dev: false only when the agent
 * has said which devices hold tags and dev is not one (an array in one
 * lookup, against a walk of hash lookups up the directories).
 */
static __always_inline bool dev_may_have_tags(__u64 dev)
{
	__u32 zero = 0, i;
	struct tn_tag_devs *td = bpf_map_lookup_elem(&tn_tag_devs, &zero);

	if (!td || !td->known)
		return true;
	for (i = 0; i < TN_TAG_DEVS; i++) {
		if (i >= td->n)
			return false;
		if (td->dev[i] == dev)
			return true;
	}
	return false;
}

/*
 * Labels of the tag on dentry or on the nearest tagged directory above it;
 * the inode of the tag that matched goes to *tag_ino when asked. btf (a
 * constant at every call): dentry is a BTF pointer, an LSM hook's or
 * fentry program's, whose fields are direct loads; otherwise it came from
 * a probe read and so do its fields (a helper call per pointer step, three
 * per directory, on every open a workload makes on a filesystem with tags).
 */
static __always_inline __u64 tree_labels(struct dentry *dentry, __u64 dev,
					 __u64 *tag_ino, bool btf)
{
	struct tn_inode_key key = { .dev = dev };
	__u64 *labels;
	int depth;

	if (!dev_may_have_tags(dev))
		return 0;
	for (depth = 0; depth < TN_TAG_DEPTH && dentry; depth++) {
		struct dentry *parent;
		__u32 slot, *filter;

		key.ino = btf ? dentry->d_inode->i_ino :
			  BPF_CORE_READ(dentry, d_inode, i_ino);
		/* Most directories hold no tag: an array slot says so. */
		slot = tn_tag_filter_slot(&key);
		filter = bpf_map_lookup_elem(&tn_tag_filter, &slot);
		labels = !filter || *filter ?
			 bpf_map_lookup_elem(&tn_tags, &key) : NULL;
		if (labels) {
			if (tag_ino)
				*tag_ino = key.ino;
			return *labels;
		}
		parent = btf ? dentry->d_parent : BPF_CORE_READ(dentry, d_parent);
		if (parent == dentry)
			break;
		dentry = parent;
	}
	return 0;
}

/* What the tag lookups need of an open file. */
struct file_id {
	struct tn_inode_key key;
	struct dentry *dentry;
	__u32 f_mode;
};

/*
 * Of a file an LSM hook or fentry program was given (a BTF pointer):
 * direct loads, no helper call, on every open of the node.
 */
static __always_inline void file_id_of_arg(struct file *file,
					   struct file_id *id)
{
	struct inode *inode = file->f_inode;

	id->key.dev = inode->i_sb->s_dev;
	id->key.ino = inode->i_ino;
	id->dentry = file->f_path.dentry;
	id->f_mode = file->f_mode;
}

/* Of a file the syscall programs found in a descriptor table: probe reads. */
static __always_inline void file_id_read(struct file *file,
					 struct file_id *id)
{
	id->key.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	id->key.ino = BPF_CORE_READ(file, f_inode, i_ino);
	id->dentry = BPF_CORE_READ(file, f_path.dentry);
	id->f_mode = BPF_CORE_READ(file, f_mode);
}

/* The tn_derived_filter slot of key, or NULL (bpf_shared.h). */
static __always_inline __u32 *derived_filter(const struct tn_inode_key *key)
{
	__u32 slot = tn_derived_filter_slot(key);

	return bpf_map_lookup_elem(&tn_derived_filter, &slot);
}

/* Before a tn_derived entry is written: its filter slot. */
static __always_inline void derived_filter_set(const struct tn_inode_key *key)
{
	__u32 *f = derived_filter(key);

	if (f && !*f)
		*f = 1;
}

/*
 * Labels of the tag covering the file: its own, or one of its directories'.
 * *tag_ino (when asked) is the inode of the tag that matched; *derived is
 * set when that is a derived tag. btf: id came from file_id_of_arg().
 */
static __always_inline __u64 file_labels(const struct file_id *id,
					 __u64 *tag_ino, bool *derived,
					 bool btf)
{
	struct tn_derived *d = NULL;
	__u32 *filter = derived_filter(&id->key);

	/* Derived tags are on files only: one lookup, no walk, if any. */
	if (!filter || *filter)
		d = bpf_map_lookup_elem(&tn_derived, &id->key);
	if (d) {
		if (tag_ino)
			*tag_ino = id->key.ino;
		if (derived)
			*derived = true;
		return d->labels;
	}
	return tree_labels(id->dentry, id->key.dev, tag_ino, btf);
}

/*
 * tn_derived could not take the entry of a file a tainted workload opened
 * for writing: whatever it writes would carry no label. Fail closed: lsm
 * and fentry mode refuse the open (EPERM, like every other refusal: it is
 * policy, not a full disk, and an application must not retry or report
 * "disk full");
 * cgroup mode sees the open only after it happened and kills the opener
 * before it returns to user space, so nothing is written through it.
 */
static __always_inline int derive_failed(struct tn_inode_key *key,
					 struct tn_workload *w, __u64 wl_cgid,
					 bool can_refuse)
{
	__u32 decision = TN_DEC_DENY;
	struct tn_event *e;

	count(TN_CNT_DERIVE_FAILED);
	if (audit_mode())
		decision = TN_DEC_ALLOW_AUDIT;
	else if (!can_refuse)
		decision = TN_DEC_KILL;
	e = event_start(TN_EV_MAP_FULL, decision, wl_cgid, w->taint, true);
	if (e) {
		e->dev = key->dev;
		e->ino = key->ino;
		e->count = TN_MAP_DERIVED;
		bpf_ringbuf_submit(e, 0);
	}
	if (decision == TN_DEC_KILL)
		bpf_send_signal(SIGKILL_);
	return decision == TN_DEC_DENY ? -EPERM : 0;
}

/*
 * A tainted workload opened file for writing: whatever it writes carries
 * its labels, so the file becomes a derived tag. Keyed by inode, the tag
 * follows the file through rename and link. Returns -EPERM when the open
 * must be refused (lsm mode, the entry could not be made).
 */
static __always_inline int derive(const struct file_id *id,
				  struct tn_workload *w, __u64 wl_cgid,
				  bool can_refuse)
{
	struct tn_inode_key key = id->key;
	struct tn_derived fresh = {}, *d;
	__u64 taint = w->taint, gained = 0, now = bpf_ktime_get_boot_ns();
	struct tn_event *e;

	d = bpf_map_lookup_elem(&tn_derived, &key);
	if (!d) {
		fresh.labels = taint;
		fresh.workload_cgid = wl_cgid;
		fresh.last_ns = now;
		derived_filter_set(&key);
		if (!bpf_map_update_elem(&tn_derived, &key, &fresh, BPF_NOEXIST))
			gained = taint;
		else if (!(d = bpf_map_lookup_elem(&tn_derived, &key)))
			/* Not a concurrent insert of the same file: full. */
			return derive_failed(&key, w, wl_cgid, can_refuse);
	}
	if (d) {
		/* New data in it: an expiry by age starts again. */
		if (now - d->last_ns > TN_FLOW_TOUCH_NS)
			d->last_ns = now;
		gained = taint & ~__sync_fetch_and_or(&d->labels, taint);
	}
	if (!gained)
		return 0;
	count(TN_CNT_DERIVED);
	e = event_start(TN_EV_DERIVE_FILE, TN_DEC_DERIVE, wl_cgid, gained, true);
	if (!e)
		return 0;
	e->dev = key.dev;
	e->ino = key.ino;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

#define FMODE_WRITE_ 0x2

/* Whether the current task is in a trusted reader's cgroup, or below one. */
static __always_inline bool trusted_reader(void)
{
	int i;

	/* Level 0 is the root cgroup, never a reader (the agent refuses it). */
	for (i = 1; i <= TN_CGROUP_DEPTH; i++) {
		__u64 id = bpf_get_current_ancestor_cgroup_id(i);

		if (!id)
			return false;
		if (bpf_map_lookup_elem(&tn_readers, &id))
			return true;
	}
	return false;
}

/*
 * A process in no workload opens a tagged file (how: 0 open, 1 received
 * over SCM_RIGHTS). With tagged_readers = "workloads" only trusted readers
 * may: code run outside every workload on a workload's behalf (cron, at,
 * systemd-run, rc files) would otherwise read tagged data untainted. The
 * tag lookup runs only when the setting is on, the reader lookup only when
 * the file is tagged. Returns 0 or -EACCES.
 */
static __always_inline int outside_reader(struct file *file, __u32 how)
{
	struct tn_config *cfg = get_config();
	struct file_id id = {};
	struct tn_open_limit *lim;
	__u64 labels, tag_ino = 0, now, tat;
	__u32 decision = TN_DEC_DENY, zero = 0;
	bool derived = false;
	struct tn_event *e;

	if (!cfg || !cfg->loaded || cfg->readers != TN_READERS_WORKLOADS)
		return 0;
	file_id_of_arg(file, &id);
	labels = file_labels(&id, &tag_ino, &derived, true);
	if (!labels || trusted_reader())
		return 0;
	if (cfg->mode == TN_MODE_AUDIT) {
		decision = TN_DEC_ALLOW_AUDIT;
		count(TN_CNT_AUDIT_ALLOW);
	} else {
		count(TN_CNT_DENY_OPEN);
	}
	/*
	 * A walk over a tagged tree (updatedb, a backup not listed) must not
	 * flood the ring buffer: a burst of events, then one per interval,
	 * the rest counted. One bucket for every process in no workload.
	 */
	lim = bpf_map_lookup_elem(&tn_open_limit, &zero);
	if (lim) {
		now = bpf_ktime_get_boot_ns();
		tat = lim->tat_ns;
		if (tat < now)
			tat = now;
		if (tat - now > (TN_DENY_BURST - 1) * TN_DENY_REPORT_NS) {
			count(TN_CNT_OPENS_UNREPORTED);
			goto out;
		}
		lim->tat_ns = tat + TN_DENY_REPORT_NS;
	}
	e = event_start(TN_EV_TAGGED_OPEN, decision, 0, labels, true);
	if (e) {
		e->dev = id.key.dev;
		e->ino = id.key.ino;
		e->from_cgid = tag_ino;
		e->to_cgid = bpf_get_current_cgroup_id();
		e->channel = derived;
		e->count = how;
		bpf_ringbuf_submit(e, 0);
	}
out:
	return decision == TN_DEC_DENY ? -EACCES : 0;
}

/*
 * A workload opened a file (or received it over SCM_RIGHTS) whose tags
 * carry labels (file_labels()). can_refuse: an LSM hook or fmod_ret
 * program, whose error refuses the open (cgroup mode sees it done).
 */
static __always_inline int taint_workload_from_file(struct tn_workload *w,
						    __u64 wl_cgid,
						    const struct file_id *id,
						    __u64 labels,
						    bool can_refuse)
{
	struct tn_event *e;
	__u64 gained;

	if (labels) {
		gained = taint(w, wl_cgid, labels);
		if (gained) {
			count(TN_CNT_TAINT);
			e = event_start(TN_EV_TAINT_FILE, TN_DEC_TAINT, wl_cgid,
					gained, true);
			if (e) {
				e->dev = id->key.dev;
				e->ino = id->key.ino;
				bpf_ringbuf_submit(e, 0);
			}
		}
	}
	if (w->taint && (id->f_mode & FMODE_WRITE_))
		return derive(id, w, wl_cgid, can_refuse);
	return 0;
}

/*
 * An LSM hook's or fentry program's file (how: as for outside_reader).
 * The file first, the opener after: most opens are of files no tag
 * covers, which taint no one, and then only a tainted workload's open for
 * writing matters (the file becomes a derived tag), which the clean cache
 * answers without the workload lookup.
 */
static __always_inline int taint_from_file(struct file *file, __u32 how)
{
	struct file_id id = {};
	struct tn_workload *w;
	__u64 wl_cgid, labels;

	if (task_outside_root())
		return outside_reader(file, how);
	file_id_of_arg(file, &id);
	labels = file_labels(&id, NULL, NULL, true);
	if (!labels) {
		if (!(id.f_mode & FMODE_WRITE_))
			return 0;
		w = current_tainted_workload(&wl_cgid, false);
		return w && w->taint ? derive(&id, w, wl_cgid, true) : 0;
	}
	w = current_workload(&wl_cgid);
	if (!w)
		return outside_reader(file, how);
	return taint_workload_from_file(w, wl_cgid, &id, labels, true);
}

SEC("lsm/file_open")
int BPF_PROG(tn_lsm_file_open, struct file *file)
{
	return taint_from_file(file, 0);
}

/* A descriptor passed over a unix socket (SCM_RIGHTS) carries its file. */
SEC("lsm/file_receive")
int BPF_PROG(tn_lsm_file_receive, struct file *file)
{
	return taint_from_file(file, 1);
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
	__u32 decision = TN_DEC_DERIVE, type = TN_EV_DERIVE_FILE;
	int ret = 0;

	if (!inode)
		return 0;
	key.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key.ino = BPF_CORE_READ(inode, i_ino);
	from = tree_labels(BPF_CORE_READ(old_dentry, d_parent), key.dev, NULL,
			   false);
	if (!from)
		return 0;
	lost = from & ~tree_labels(BPF_CORE_READ(new_dentry, d_parent), key.dev,
				   NULL, false);
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
		fresh.last_ns = bpf_ktime_get_boot_ns();
		derived_filter_set(&key);
		if (bpf_map_update_elem(&tn_derived, &key, &fresh, BPF_NOEXIST)) {
			count(TN_CNT_DERIVE_FAILED);
			decision = TN_DEC_DENY;
			type = TN_EV_MAP_FULL;
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
	e = event_start(type, decision, wl_cgid, lost, true);
	if (e) {
		e->dev = key.dev;
		e->ino = key.ino;
		e->count = type == TN_EV_MAP_FULL ? TN_MAP_DERIVED : 0;
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
