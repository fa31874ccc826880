/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Local IPC (lsm mode): unix sockets, pipes and FIFOs as channels that
 * carry taint from writer to reader.
 *
 * Part of trustnode.bpf.c (one object, one skeleton): included once, after
 * the files before it in that list, whose helpers it uses.
 */

#define AF_UNIX_		1
#define SOCK_STREAM_		1
#define SOCK_DGRAM_		2
#define SOCK_SEQPACKET_		5
#define S_IFSOCK_		0140000
#define S_IFIFO_		0010000
#define S_IFREG_		0100000
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
 * the trusted receiver it belongs to. *cgid is the root of either. The
 * whole walk, as trusted receivers are not bound to trustnode's cgroup.
 */
static __always_inline struct tn_workload *current_receiver(__u64 *cgid,
							    bool *trusted)
{
	return ancestor_workload(false, NULL, cgid, trusted, false, false);
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
	gained = taint(w, rcv, labels);
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
 * What a read from, or a write to, a socket reaches: for a read, the socket
 * itself; for a write on a connected stream or seqpacket socket, its peer.
 * Datagrams are seen by unix_may_send, which knows the receiving socket.
 */
static __always_inline bool unix_chan_of(struct sock *sk, __u16 family,
					 short type, bool write,
					 struct chan *ch)
{
	if (family != AF_UNIX_)
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

/*
 * Of a socket a hook was given (a BTF pointer): direct loads (a write's
 * peer is still a probe read: unix_sock is not the type the verifier
 * knows sk by).
 */
static __always_inline bool unix_chan_of_arg(struct socket *sock, bool write,
					     struct chan *ch)
{
	struct sock *sk = sock->sk;

	return sk && unix_chan_of(sk, sk->__sk_common.skc_family, sock->type,
				  write, ch);
}

/* Of a socket found through a file's private_data: probe reads. */
static __always_inline bool unix_chan(struct socket *sock, bool write,
				      struct chan *ch)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);

	return sk && unix_chan_of(sk, BPF_CORE_READ(sk, __sk_common.skc_family),
				  BPF_CORE_READ(sock, type), write, ch);
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

/*
 * read(2), write(2) and their kin, sendfile(2), io_uring reads and writes.
 * The bodies of the hooks below are shared with fentry mode (fentry.bpf.h).
 */
static __always_inline int on_file_permission(struct file *file, int mask)
{
	struct inode *inode = file->f_inode;
	bool write = !(mask & MAY_READ_) && (mask & MAY_WRITE_);
	struct chan ch = {};
	__u32 fmt;

	if (!inode || !(mask & (MAY_READ_ | MAY_WRITE_)))
		return 0;
	/*
	 * Every read and write on the node comes here, most of them of
	 * regular files and pipes: those are told apart by direct (BTF)
	 * loads, no helper call. Of regular files only a cgroup's procs
	 * file matters (the only file whose write moves a task).
	 */
	fmt = inode->i_mode & S_IFMT_;
	if (fmt == S_IFREG_) {
		if (!write || inode->i_sb->s_magic != CGROUP2_SUPER_MAGIC_)
			return 0;
		return cgroup_move_refused(file) ? -EPERM : 0;
	}
	if (fmt == S_IFIFO_) {
		ch.key = (__u64)inode;
		ch.kind = inode->i_sb->s_magic == PIPEFS_MAGIC_ ?
			  TN_CHAN_PIPE : TN_CHAN_FIFO;
	} else if (fmt != S_IFSOCK_) {
		return 0;
	} else {
		/*
		 * Every read() of a TCP stream comes here: one helper call
		 * gives the socket as a BTF pointer (private_data is a void *),
		 * so that its fields are direct loads, not three probe reads.
		 */
		struct socket *sock = bpf_sock_from_file(file);

		if (!sock)
			return 0;
		if (!unix_chan_of_arg(sock, write, &ch))
			/* write(), sendfile() and splice() into an inet socket. */
			return write ? lsm_check_peer(sock, TN_EV_SENDMSG) : 0;
	}
	if (!write) {
		chan_read(&ch);
		return 0;
	}
	return chan_write(&ch) ? 0 : -EPERM;
}

SEC("lsm/file_permission")
int BPF_PROG(tn_lsm_file_permission, struct file *file, int mask, int ret)
{
	if (ret)
		return ret;
	return on_file_permission(file, mask);
}

/* recv(2), recvmsg(2), recvmmsg(2), read(2) on a socket, io_uring receives. */
static __always_inline void on_socket_recvmsg(struct socket *sock)
{
	struct chan ch = {};

	if (unix_chan_of_arg(sock, false, &ch))
		chan_read(&ch);
}

SEC("lsm/socket_recvmsg")
int BPF_PROG(tn_lsm_socket_recvmsg, struct socket *sock, struct msghdr *msg,
	     int size, int flags, int ret)
{
	if (ret)
		return ret;
	on_socket_recvmsg(sock);
	return 0;
}

/* Every unix datagram, connected or not, to the socket that receives it. */
static __always_inline int on_unix_may_send(struct socket *other)
{
	struct chan ch = {};

	ch.key = (__u64)BPF_CORE_READ(other, sk);
	ch.kind = TN_CHAN_UNIX_DGRAM;
	if (ch.key && !chan_write(&ch))
		return -EPERM;
	return 0;
}

SEC("lsm/unix_may_send")
int BPF_PROG(tn_lsm_unix_may_send, struct socket *sock, struct socket *other,
	     int ret)
{
	if (ret)
		return ret;
	return on_unix_may_send(other);
}

/*
 * A channel's entry goes with its object. Every socket and inode freed on
 * the node comes here: direct (BTF) loads, no helper call.
 */
static __always_inline void on_sk_free(struct sock *sk)
{
	__u64 key = (__u64)sk;

	if (sk->__sk_common.skc_family == AF_UNIX_)
		bpf_map_delete_elem(&tn_channels, &key);
}

SEC("lsm/sk_free_security")
int BPF_PROG(tn_lsm_sk_free, struct sock *sk)
{
	on_sk_free(sk);
	return 0;
}

static __always_inline void on_inode_free(struct inode *inode)
{
	__u64 key = (__u64)inode;

	if ((inode->i_mode & S_IFMT_) == S_IFIFO_)
		bpf_map_delete_elem(&tn_channels, &key);
}

SEC("lsm/inode_free_security")
int BPF_PROG(tn_lsm_inode_free, struct inode *inode)
{
	on_inode_free(inode);
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
