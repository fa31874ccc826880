/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR BSD-2-Clause */
/*
 * trustnode kernel module: generic netlink interface.
 *
 * Family TRUSTNODE_GENL_NAME ("trustnode"), version TRUSTNODE_GENL_VERSION
 * (1), one multicast group TRUSTNODE_MCGRP_DROPS ("drops"). The family
 * exists in the initial network namespace only: the module's state (policy,
 * taint table, seal) is global to the node, not per namespace.
 *
 * Every request is validated strictly: unknown attributes, attributes a
 * command does not take, wrong lengths, missing NLA_F_NESTED, trailing bytes
 * and reserved header bits are all refused with -EINVAL/-ERANGE and an
 * extended ack message naming the problem. A refused request changes
 * nothing.
 *
 * Privilege: SET_POLICY, TAINT, CLEAR_TAINT and SEAL need CAP_NET_ADMIN in
 * the initial user namespace (GENL_ADMIN_PERM); GET_STATUS needs none.
 * Joining the "drops" group needs CAP_NET_ADMIN.
 *
 * Commands
 * ========
 *
 * TRUSTNODE_CMD_SET_POLICY (CAP_NET_ADMIN)
 *   Replaces the whole policy (mode and allowed prefixes) atomically: a
 *   packet sees either the old or the new policy, never a mix. Takes:
 *     TRUSTNODE_A_MODE      required
 *     TRUSTNODE_A_PREFIXES  required; may be empty (then only loopback and
 *                           unspecified destinations are allowed)
 *   Errors: -EINVAL malformed (see extack), -E2BIG more than
 *   TRUSTNODE_MAX_PREFIXES prefixes, -EPERM sealed and the new policy is not
 *   at least as strict as the current one, -ENOMEM.
 *   Before the first SET_POLICY nothing is dropped.
 *
 * TRUSTNODE_CMD_TAINT (CAP_NET_ADMIN)
 *   Marks a cgroup (and so its whole subtree) tainted. Takes:
 *     TRUSTNODE_A_CGROUP_ID  required
 *     TRUSTNODE_A_LABELS     required, non-zero; OR-ed into the cgroup's
 *                            existing labels
 *   Errors: -ENOSPC the table already holds TRUSTNODE_MAX_TAINTED cgroups,
 *   -ENOMEM. Allowed when sealed.
 *
 * TRUSTNODE_CMD_CLEAR_TAINT (CAP_NET_ADMIN)
 *   Removes a cgroup from the taint table. Takes:
 *     TRUSTNODE_A_CGROUP_ID  required
 *   Errors: -ENOENT not tainted, -EPERM sealed.
 *
 * TRUSTNODE_CMD_GET_STATUS (unprivileged)
 *   Takes no attributes. The reply (same command) carries:
 *     TRUSTNODE_A_MODE, TRUSTNODE_A_SEALED, TRUSTNODE_A_POLICY_LOADED,
 *     TRUSTNODE_A_NPREFIXES, TRUSTNODE_A_NTAINTED, TRUSTNODE_A_DROPS,
 *     TRUSTNODE_A_AUDIT_ALLOWS, TRUSTNODE_A_REPORTS_SUPPRESSED,
 *     TRUSTNODE_A_EVENTS_LOST, TRUSTNODE_A_VERSION
 *
 * TRUSTNODE_CMD_SEAL (CAP_NET_ADMIN)
 *   Takes no attributes. From now until reboot: the module cannot be
 *   unloaded, CLEAR_TAINT fails with -EPERM, and SET_POLICY only succeeds
 *   if the new policy is at least as strict as the current one: the mode
 *   never goes from enforce back to audit, and every new prefix lies inside
 *   a prefix of the current policy (if no policy is loaded yet, any policy
 *   is stricter than none). A new prefix inside an expiring one must
 *   expire too (any time: renewing an attested peer stays possible).
 *   TAINT keeps working. Idempotent.
 *   Errors: -EBUSY the module is being unloaded.
 *
 * TRUSTNODE_CMD_DROP (notification only, multicast group "drops")
 *   Sent (rate-limited together with the kernel audit record, see
 *   TRUSTNODE_A_REPORTS_SUPPRESSED) when a tainted socket sends a packet to
 *   a destination outside the policy. Carries:
 *     TRUSTNODE_A_CGROUP_ID, TRUSTNODE_A_TAINT_CGROUP_ID, TRUSTNODE_A_PID,
 *     TRUSTNODE_A_FAMILY, TRUSTNODE_A_DADDR, TRUSTNODE_A_PROTO,
 *     TRUSTNODE_A_DPORT, TRUSTNODE_A_LABELS, TRUSTNODE_A_VERDICT
 *   Requesting it gives -EOPNOTSUPP.
 *
 * Attributes (enum trustnode_attr)
 * ================================
 *
 * TRUSTNODE_A_PAD: alignment padding for 64-bit attributes; ignore it.
 * TRUSTNODE_A_MODE: NLA_U8, enum trustnode_mode (0 audit, 1 enforce).
 *   SET_POLICY (in), GET_STATUS (out; 0 when no policy is loaded).
 * TRUSTNODE_A_PREFIXES: NLA_NESTED, SET_POLICY (in). Holds at most
 *   TRUSTNODE_MAX_PREFIXES attributes of type TRUSTNODE_A_PREFIX (any other
 *   type is refused), each itself NLA_NESTED with (the first three
 *   required):
 *     TRUSTNODE_A_PREFIX_FAMILY: NLA_U8, AF_INET (2) or AF_INET6 (10)
 *     TRUSTNODE_A_PREFIX_ADDR:   binary, network byte order, exactly 4
 *                                (AF_INET) or 16 (AF_INET6) bytes
 *     TRUSTNODE_A_PREFIX_LEN:    NLA_U8, at most 32 (AF_INET) or 128
 *                                (AF_INET6); the address bits after the
 *                                prefix length must be zero
 *     TRUSTNODE_A_PREFIX_VALID_UNTIL: NLA_U64, optional. The boot clock
 *                                (CLOCK_BOOTTIME, ns) from which the
 *                                prefix allows nothing: the module checks
 *                                it per packet, so a prefix expires on
 *                                time without another request. Absent or
 *                                0: no expiry. trustnoded sets it on an
 *                                attested peer's addresses (start of its
 *                                last passing attestation + max_age).
 *                                A duplicate prefix keeps the later
 *                                expiry; a prefix inside a wider one is
 *                                dropped with its expiry (the wider one's
 *                                governs, which may end it early, never
 *                                late).
 *   Duplicates and prefixes inside other prefixes are accepted.
 *   Loopback (127.0.0.0/8, ::1) and unspecified (0.0.0.0, ::) destinations
 *   are always allowed, whatever the policy says.
 * TRUSTNODE_A_CGROUP_ID: NLA_U64, non-zero. A cgroup v2 id: the inode
 *   number of the cgroup's directory, what bpf_get_current_cgroup_id()
 *   returns. TAINT, CLEAR_TAINT (in); DROP (out: the cgroup of the socket
 *   that sent the packet).
 * TRUSTNODE_A_LABELS: NLA_U64, a label bitmask. TAINT (in, non-zero);
 *   DROP (out: the union of the labels of the socket's cgroup and of all
 *   its tainted ancestors).
 * TRUSTNODE_A_SEALED: NLA_U8, 0 or 1. GET_STATUS (out).
 * TRUSTNODE_A_POLICY_LOADED: NLA_U8, 0 or 1. GET_STATUS (out).
 * TRUSTNODE_A_NPREFIXES: NLA_U32, number of TRUSTNODE_A_PREFIX entries in
 *   the SET_POLICY that is in force. GET_STATUS (out).
 * TRUSTNODE_A_NTAINTED: NLA_U32, cgroups in the taint table. GET_STATUS.
 * TRUSTNODE_A_DROPS: NLA_U64, packets dropped since load. GET_STATUS.
 * TRUSTNODE_A_AUDIT_ALLOWS: NLA_U64, packets that enforce mode would have
 *   dropped, let through in audit mode. GET_STATUS (out).
 * TRUSTNODE_A_REPORTS_SUPPRESSED: NLA_U64, drops and audit-allows for which
 *   the rate limit suppressed the audit record and the DROP notification.
 *   GET_STATUS (out).
 * TRUSTNODE_A_VERSION: NLA_NUL_STRING, the module version. GET_STATUS.
 * TRUSTNODE_A_FAMILY: NLA_U8, AF_INET or AF_INET6. DROP (out).
 * TRUSTNODE_A_DADDR: binary, 4 or 16 bytes, network byte order. DROP.
 * TRUSTNODE_A_DPORT: NLA_U16, host byte order; 0 when the protocol has no
 *   ports or the packet is a non-first fragment. DROP (out).
 * TRUSTNODE_A_VERDICT: NLA_U8, enum trustnode_verdict. DROP (out).
 * TRUSTNODE_A_PID: NLA_U32, thread group id (initial pid namespace) of the
 *   sending process; 0 when the packet was sent outside process context.
 *   DROP (out).
 * TRUSTNODE_A_TAINT_CGROUP_ID: NLA_U64, the nearest cgroup in the taint
 *   table at or above TRUSTNODE_A_CGROUP_ID: the id that was passed to
 *   TAINT. DROP (out).
 * TRUSTNODE_A_PROTO: NLA_U8, IP protocol number (IPPROTO_TCP, ...) of the
 *   transport header, after IPv6 extension headers. DROP (out).
 * TRUSTNODE_A_EVENTS_LOST: NLA_U64, DROP notifications that were due but
 *   not delivered to every listener (no memory, or a listener's receive
 *   buffer was full). The audit record of such a packet was still
 *   written. GET_STATUS (out).
 */
#ifndef _UAPI_LINUX_TRUSTNODE_H
#define _UAPI_LINUX_TRUSTNODE_H

#include <linux/types.h>

#define TRUSTNODE_GENL_NAME		"trustnode"
#define TRUSTNODE_GENL_VERSION		1
#define TRUSTNODE_MCGRP_DROPS		"drops"

#define TRUSTNODE_MAX_PREFIXES		4096
#define TRUSTNODE_MAX_TAINTED		4096

enum trustnode_cmd {
	TRUSTNODE_CMD_UNSPEC,
	TRUSTNODE_CMD_SET_POLICY,
	TRUSTNODE_CMD_TAINT,
	TRUSTNODE_CMD_CLEAR_TAINT,
	TRUSTNODE_CMD_GET_STATUS,
	TRUSTNODE_CMD_SEAL,
	TRUSTNODE_CMD_DROP,
	__TRUSTNODE_CMD_MAX
};

#define TRUSTNODE_CMD_MAX (__TRUSTNODE_CMD_MAX - 1)

enum trustnode_attr {
	TRUSTNODE_A_UNSPEC,
	TRUSTNODE_A_PAD,
	TRUSTNODE_A_MODE,
	TRUSTNODE_A_PREFIXES,
	TRUSTNODE_A_CGROUP_ID,
	TRUSTNODE_A_LABELS,
	TRUSTNODE_A_SEALED,
	TRUSTNODE_A_POLICY_LOADED,
	TRUSTNODE_A_NPREFIXES,
	TRUSTNODE_A_NTAINTED,
	TRUSTNODE_A_DROPS,
	TRUSTNODE_A_AUDIT_ALLOWS,
	TRUSTNODE_A_REPORTS_SUPPRESSED,
	TRUSTNODE_A_VERSION,
	TRUSTNODE_A_FAMILY,
	TRUSTNODE_A_DADDR,
	TRUSTNODE_A_DPORT,
	TRUSTNODE_A_VERDICT,
	TRUSTNODE_A_PID,
	TRUSTNODE_A_TAINT_CGROUP_ID,
	TRUSTNODE_A_PROTO,
	TRUSTNODE_A_EVENTS_LOST,
	__TRUSTNODE_A_MAX
};

#define TRUSTNODE_A_MAX (__TRUSTNODE_A_MAX - 1)

/* Attribute types inside TRUSTNODE_A_PREFIXES. */
enum trustnode_prefixes_attr {
	TRUSTNODE_A_PREFIXES_UNSPEC,
	TRUSTNODE_A_PREFIX,
	__TRUSTNODE_A_PREFIXES_MAX
};

#define TRUSTNODE_A_PREFIXES_MAX (__TRUSTNODE_A_PREFIXES_MAX - 1)

/* Attribute types inside one TRUSTNODE_A_PREFIX. */
enum trustnode_prefix_attr {
	TRUSTNODE_A_PREFIX_UNSPEC,
	TRUSTNODE_A_PREFIX_FAMILY,
	TRUSTNODE_A_PREFIX_ADDR,
	TRUSTNODE_A_PREFIX_LEN,
	TRUSTNODE_A_PREFIX_VALID_UNTIL,
	__TRUSTNODE_A_PREFIX_MAX
};

#define TRUSTNODE_A_PREFIX_MAX (__TRUSTNODE_A_PREFIX_MAX - 1)

enum trustnode_mode {
	TRUSTNODE_MODE_AUDIT = 0,	/* allow and report */
	TRUSTNODE_MODE_ENFORCE = 1,	/* drop and report */
};

enum trustnode_verdict {
	TRUSTNODE_VERDICT_DROP = 1,
	TRUSTNODE_VERDICT_AUDIT_ALLOW = 2,
};

#endif /* _UAPI_LINUX_TRUSTNODE_H */
