/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fentry mode: the lsm programs' decisions, on kernels where BPF LSM is not
 * active. Every LSM hook is called from one security_*() function in
 * security/security.c, with the hook's arguments; a trampoline on that
 * function sees what the lsm program sees, before the operation happens.
 * Where the lsm program may refuse, this is an fmod_ret program, which
 * the kernel allows on security_*() functions (no BPF LSM needed): its
 * non-zero return is the function's, so the refusal is the same EPERM. The
 * rest are fentry programs (cheaper: the function is not called through the
 * trampoline). splice, tee and vmsplice keep their fentry programs
 * (ipc.bpf.h), shared by both modes.
 *
 * Differences from lsm mode: these run before every LSM (BPF LSM runs
 * last), so an operation another LSM then refuses may already have tainted
 * (more taint, never less); and the kernel skips a tracing program's run
 * while the same program runs on that CPU (recursion_misses in
 * bpf_prog_info; trustctl status shows it).
 *
 * Part of trustnode.bpf.c (one object, one skeleton): included once, after
 * the files before it in that list, whose helpers it uses.
 */

#define RENAME_EXCHANGE_	(1 << 1)

/*
 * An open, or a descriptor received over SCM_RIGHTS: refused as in lsm
 * mode (fmod_ret) when tn_derived cannot take a file a tainted workload
 * opens for writing (EPERM), or under tagged_readers = "workloads" (EACCES).
 * A refusal skips the function, so no other LSM sees the open: it fails.
 */
SEC("fmod_ret/security_file_open")
int BPF_PROG(tn_fentry_file_open, struct file *file, int ret)
{
	if (ret)
		return ret;
	return taint_from_file(file, 0);
}

SEC("fmod_ret/security_file_receive")
int BPF_PROG(tn_fentry_file_receive, struct file *file, int ret)
{
	if (ret)
		return ret;
	return taint_from_file(file, 1);
}

SEC("fmod_ret/security_file_permission")
int BPF_PROG(tn_fentry_file_permission, struct file *file, int mask, int ret)
{
	if (ret)
		return ret;
	return on_file_permission(file, mask);
}

SEC("fentry/security_socket_recvmsg")
int BPF_PROG(tn_fentry_socket_recvmsg, struct socket *sock)
{
	on_socket_recvmsg(sock);
	return 0;
}

SEC("fmod_ret/security_unix_may_send")
int BPF_PROG(tn_fentry_unix_may_send, struct socket *sock,
	     struct socket *other, int ret)
{
	if (ret)
		return ret;
	return on_unix_may_send(other);
}

SEC("fentry/security_sk_free")
int BPF_PROG(tn_fentry_sk_free, struct sock *sk)
{
	on_sk_free(sk);
	return 0;
}

SEC("fentry/security_inode_free")
int BPF_PROG(tn_fentry_inode_free, struct inode *inode)
{
	on_inode_free(inode);
	return 0;
}

/*
 * The hook runs once per direction for RENAME_EXCHANGE; the function that
 * calls it, once: judge both moves here.
 */
SEC("fmod_ret/security_inode_rename")
int BPF_PROG(tn_fentry_inode_rename, struct inode *old_dir,
	     struct dentry *old_dentry, struct inode *new_dir,
	     struct dentry *new_dentry, unsigned int flags, int ret)
{
	if (ret)
		return ret;
	ret = keep_labels_on_move(old_dentry, new_dentry);
	if (ret || !(flags & RENAME_EXCHANGE_))
		return ret;
	return keep_labels_on_move(new_dentry, old_dentry);
}

SEC("fmod_ret/security_inode_link")
int BPF_PROG(tn_fentry_inode_link, struct dentry *old_dentry,
	     struct inode *dir, struct dentry *new_dentry, int ret)
{
	if (ret)
		return ret;
	return keep_labels_on_move(old_dentry, new_dentry);
}

SEC("fmod_ret/security_task_alloc")
int BPF_PROG(tn_fentry_task_alloc, struct task_struct *task,
	     unsigned long clone_flags, int ret)
{
	if (ret)
		return ret;
	return on_task_alloc(clone_flags);
}

SEC("fmod_ret/security_socket_connect")
int BPF_PROG(tn_fentry_socket_connect, struct socket *sock,
	     struct sockaddr *address, int addrlen, int ret)
{
	if (ret)
		return ret;
	return lsm_check(sock, address, addrlen, TN_EV_CONNECT, false);
}

SEC("fmod_ret/security_socket_sendmsg")
int BPF_PROG(tn_fentry_socket_sendmsg, struct socket *sock,
	     struct msghdr *msg, int size, int ret)
{
	if (ret)
		return ret;
	return on_socket_sendmsg(sock, msg);
}

SEC("fmod_ret/security_socket_create")
int BPF_PROG(tn_fentry_socket_create, int family, int type, int protocol,
	     int kern, int ret)
{
	if (ret || kern)
		return ret;
	return socket_allowed(family, type, protocol) ? 0 : -EPERM;
}

SEC("fmod_ret/security_create_user_ns")
int BPF_PROG(tn_fentry_userns_create, const struct cred *cred, int ret)
{
	if (ret)
		return ret;
	return on_userns_create();
}
