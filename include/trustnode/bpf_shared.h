/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What crosses between the BPF programs (bpf/trustnode.bpf.c) and trustnoded:
 * map keys and values, the event record, counters and limits. Included by the
 * BPF object (after vmlinux.h) and by userspace (after <linux/types.h>).
 *
 * Every map named here is pinned by name under the agent's pin directory
 * (default /sys/fs/bpf/trustnode), so a restarted agent adopts it.
 */
#ifndef TRUSTNODE_BPF_SHARED_H
#define TRUSTNODE_BPF_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Labels are bits of a __u64: at most 64 distinct labels per node. */
#define TN_MAX_LABELS		64
/* A file is tagged when it, or one of this many ancestor dentries, is. */
#define TN_TAG_DEPTH		16
/* Deepest cgroup level searched for the workload a task belongs to. */
#define TN_CGROUP_DEPTH		32

#define TN_MAX_WORKLOADS	1024
#define TN_MAX_TAGS		65536
#define TN_MAX_DERIVED		65536
#define TN_MAX_ENDPOINTS	4096
#define TN_MAX_CGFILES		4096	/* open cgroup.procs files of workloads */
#define TN_MAX_PREFIXES		4096	/* per policy generation, both families */
#define TN_RINGBUF_DEFAULT	(256 * 1024)

/* Egress-drop events are reported at most once per workload per interval. */
#define TN_DROP_REPORT_NS	(1000ULL * 1000 * 1000)
/*
 * Connect/sendmsg denials (and audit-allows) are reported per workload at
 * up to TN_DENY_BURST at once and one per TN_DENY_REPORT_NS on average (a
 * token bucket, as GCRA: tn_workload.deny_tat_ns), so a workload looping
 * on a refused sendto() cannot flood the ring buffer or the agent, while
 * a few distinct denials are each reported. The rest are counted, per
 * workload (tn_workload.denials_unreported) and in
 * TN_CNT_DENIALS_UNREPORTED; the agent reports the counts.
 */
#define TN_DENY_REPORT_NS	(100ULL * 1000 * 1000)
#define TN_DENY_BURST		10

enum tn_mode {
	TN_MODE_AUDIT = 0,	/* allow and record */
	TN_MODE_ENFORCE = 1,	/* deny and record */
};

/* map "tn_config", one entry at index 0. */
struct tn_config {
	__u32 mode;		/* enum tn_mode */
	__u32 prefix_gen;	/* which generation of "tn_prefixes" is live (0/1) */
	__u32 min_level;	/* cgroup level of the attach root; workloads are deeper */
	__u32 loaded;		/* set by the agent once a policy has been applied */
	__u32 readers;		/* enum tn_readers: who may open tagged files */
	__u32 endpoints;	/* TN_HAVE_*: which kinds of tn_endpoints
				 * entries exist, so a send or a packet
				 * skips the lookups that cannot match */
};

/* tn_config.endpoints: the policy has endpoint tags with a port, or port 0 ones. */
#define TN_HAVE_ENDPOINT_PORT	0x1
#define TN_HAVE_ENDPOINT_ANY	0x2

/*
 * Who may open a tagged file (lsm mode; no cgroup-mode hook can refuse an
 * open). TN_READERS_WORKLOADS: workloads (tainted by it) and the trusted
 * readers of "tn_readers"; anyone else is refused with EACCES.
 */
enum tn_readers {
	TN_READERS_ANYONE = 0,
	TN_READERS_WORKLOADS = 1,
};

/*
 * map "tn_readers": cgroup id of a trusted reader -> 1. The reader is that
 * cgroup and everything below it, anywhere in the cgroup2 tree (a backup
 * service's cgroup, say); looked up only when a process in no workload
 * opens a tagged file.
 */
#define TN_MAX_READERS		256

/*
 * map "tn_open_limit" (array, one entry): the token bucket of events for
 * refused opens of tagged files (TN_DENY_BURST, then one per
 * TN_DENY_REPORT_NS), shared by every process in no workload; the rest
 * are counted in TN_CNT_OPENS_UNREPORTED.
 */
struct tn_open_limit {
	__u64 tat_ns;
};

/*
 * map "tn_cgfiles" (cgroup mode): an open cgroup.procs or cgroup.threads
 * file of cgroup2, keyed by its struct file, -> the workload of the task
 * that opened it. A task that moves itself is in the destination by the
 * time its write returns; this says where it came from.
 */
struct tn_cgfile {
	__u64 wl_cgid;
	__u64 dir_cgid;		/* the file's cgroup: a reused key is not trusted */
};

/*
 * map "tn_tags": (device, inode) of a tagged file or directory -> labels.
 * dev uses the kernel's internal encoding (major << 20 | minor) as in
 * super_block.s_dev, not the userspace st_dev encoding.
 */
struct tn_inode_key {
	__u64 dev;
	__u64 ino;
};

/*
 * map "tn_derived_filter" (array, TN_DERIVED_FILTER_SLOTS __u32): slot
 * tn_derived_filter_slot(key) is nonzero once a derived tag with that
 * (device, inode) key may exist, so that an open of any other file skips
 * the lookup of "tn_derived". Set before the entry is written (by the
 * programs, by the agent, and by an agent starting on a pinned tn_derived
 * for every entry it holds) and never cleared.
 */
#define TN_DERIVED_FILTER_BITS	14
#define TN_DERIVED_FILTER_SLOTS	(1U << TN_DERIVED_FILTER_BITS)

static inline __u32 tn_inode_slot(const struct tn_inode_key *k, int bits)
{
	return ((__u32)k->ino ^ (__u32)(k->ino >> 32) ^ (__u32)k->dev) *
	       2654435761U >> (32 - bits);
}

static inline __u32 tn_derived_filter_slot(const struct tn_inode_key *k)
{
	return tn_inode_slot(k, TN_DERIVED_FILTER_BITS);
}

/*
 * map "tn_tag_filter" (array, TN_TAG_FILTER_SLOTS __u32): the same for
 * "tn_tags", which only the agent writes: slot tn_tag_filter_slot(key) is
 * nonzero once a tag with that key may exist. The walk up an opened
 * file's directories then looks up only the directories whose slot is set,
 * not every one of them. Set by the agent before it writes the tag, and
 * for every entry of a pinned tn_tags it adopts before its programs run;
 * never cleared (an untagged inode's slot costs a lookup, no more).
 */
#define TN_TAG_FILTER_BITS	14
#define TN_TAG_FILTER_SLOTS	(1U << TN_TAG_FILTER_BITS)

static inline __u32 tn_tag_filter_slot(const struct tn_inode_key *k)
{
	return tn_inode_slot(k, TN_TAG_FILTER_BITS);
}

/*
 * map "tn_tag_devs" (array, one entry): the devices that hold a tag of
 * tn_tags, so an open on any other file system (proc, tmpfs, a container's
 * overlay) skips the walk up its directories. Until the agent has written
 * it (known == 0), or when more devices than TN_TAG_DEVS hold tags, every
 * open walks: the fast path is only taken when it is known to be right.
 */
#define TN_TAG_DEVS		16

struct tn_tag_devs {
	__u32 known;		/* 1: dev[0..n) are all the devices with tags */
	__u32 n;
	__u64 dev[TN_TAG_DEVS];
};

/*
 * map "tn_derived": files a tainted workload opened for writing, keyed like
 * tn_tags (the file itself, not its directories) -> the labels they carry.
 * Written by the BPF programs; the agent restores entries after a reboot
 * and deletes one on an explicit, recorded untag, when its file no longer
 * exists, or when the policy's derived_max_age has passed (recorded).
 */
struct tn_derived {
	__u64 labels;
	__u64 workload_cgid;	/* the workload that first wrote it */
	__u64 last_ns;		/* boot clock of the last open for writing by
				 * a tainted workload, to within a second: a
				 * policy's derived_max_age counts from it */
};

/*
 * map "tn_flows": flows a tainted workload sent packets on, keyed by the
 * packet's addresses and ports as they appear on the wire. When such a
 * packet arrives at a socket of another workload on this node (loopback or
 * a local address), the receiver is tainted with the labels.
 *
 * Not an LRU map: an LRU evicts silently, and an evicted flow would reach
 * its receiver untainted. A packet whose flow cannot be recorded (map full)
 * is dropped at egress instead. The agent retires flows idle for
 * TN_FLOW_IDLE_NS: it copies each into "tn_flows_old" before deleting it,
 * so a packet already past egress still finds its labels at ingress; the
 * copies go one scan (TN_FLOW_SCAN_S) later.
 */
/*
 * map "tn_flows_old_empty" (array, one __u32): 1 while the agent knows
 * tn_flows_old to be empty, so ingress skips its lookup. 0 (as created)
 * means it may hold flows: the agent writes 0 before it copies any flow
 * there, and 1 only after it emptied the map.
 */
/*
 * map "tn_flow_clock" (array, one __u64): the boot clock of the node's
 * latest packet from a tainted workload, to within TN_FLOW_TOUCH_NS,
 * written by egress before the packet leaves. While it is more than
 * TN_FLOW_QUIET_NS old, no packet in flight can belong to a recorded flow
 * (the bound flow retirement already assumes), so ingress skips both flow
 * maps: a node whose workloads are untainted pays no lookup per packet.
 * An agent that adopts pinned flow maps writes the time it starts (here
 * and in every slot below) before it attaches any program, so programs of
 * a previous version never leave it stale; one that created them leaves
 * both at 0 (its maps are empty, its programs keep the clocks).
 */
#define TN_FLOW_QUIET_NS	(TN_FLOW_IDLE_NS + TN_FLOW_SCAN_S * 1000000000ULL)

/*
 * map "tn_flow_jiffies" (array, one __u64): the same time in jiffies,
 * written by egress with tn_flow_clock, which ingress reads first: a
 * jiffies read costs a sixth of a boot clock read, and most packets need
 * nothing more. 0 (as created): no tainted packet since the flow maps
 * were; TN_FLOW_JIFFIES_UNKNOWN: an agent adopted pinned flow maps (whose
 * programs may not have kept it), so the boot clock decides until egress
 * writes it again. Jiffies stand still in suspend, which only makes a
 * flow look recent longer.
 */
#define TN_FLOW_JIFFIES_UNKNOWN	(~0ULL)

/*
 * map "tn_flow_slots" (array, TN_FLOW_SLOTS __u64): the same clock for each
 * slot of flow keys (the packet's addresses, ports and protocol, hashed:
 * tn_flow_slot()), written by egress with tn_flow_clock for the flow it
 * records. While tn_flow_clock is recent, ingress reads the packet's
 * addresses and looks the flow maps up only if that flow's slot is recent
 * too: a tainted workload's flows no longer make every other packet on the
 * node pay both lookups. Flows sharing a slot only cost a lookup. A map of
 * its own, so that the pins of earlier versions stay compatible.
 */
#define TN_FLOW_SLOT_BITS	12
#define TN_FLOW_SLOTS		(1U << TN_FLOW_SLOT_BITS)

struct tn_flow_key {
	__u8 family;
	__u8 protocol;
	__u16 sport;		/* network byte order */
	__u16 dport;
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct tn_flow {
	__u64 labels;
	__u64 workload_cgid;	/* the sender */
	__u64 trusted_reported;	/* a trusted receiver's event was sent */
	__u64 last_ns;		/* boot clock of the last packet, to within
				 * TN_FLOW_TOUCH_NS */
};

/* The slot of a flow key; egress and ingress hash the same header fields. */
static inline __u32 tn_flow_slot(const struct tn_flow_key *f)
{
	const __u32 *s = (const __u32 *)f->saddr, *d = (const __u32 *)f->daddr;
	__u32 h = s[0] ^ s[1] ^ s[2] ^ s[3] ^ d[0] ^ d[1] ^ d[2] ^ d[3] ^
		  ((__u32)f->sport << 16 | f->dport) ^ f->protocol;

	return (h * 2654435761U) >> (32 - TN_FLOW_SLOT_BITS);
}

#define TN_FLOW_TOUCH_NS	(1000ULL * 1000 * 1000)
#define TN_FLOW_IDLE_NS		(30ULL * 1000 * 1000 * 1000)
#define TN_FLOW_SCAN_S		10

/*
 * map "tn_channels" (lsm mode): local IPC channels, keyed by the kernel
 * address of the object whose queue holds the data: the receiving unix
 * socket (struct sock) or the pipe's or FIFO's inode. An entry lives as
 * long as the object (sk_free_security and inode_free_security delete it).
 *
 * A tainted workload that writes into a channel adds its labels and taints
 * every recorded reader before the data is queued; a workload that reads
 * from one is recorded first, then tainted if the channel carries labels,
 * before it gets the data. Either order taints the reader in time, even one
 * that was already blocked in read() when the data came. A channel that
 * cannot be tracked (map full, or more reader workloads than slots) fails
 * closed: in enforce mode a tainted workload's write into it is refused.
 */
#define TN_MAX_CHANNELS		65536
#define TN_CHANNEL_READERS	8

enum tn_channel_kind {
	TN_CHAN_IP = 0,		/* TCP or UDP (tn_flows), not a tn_channels entry */
	TN_CHAN_UNIX_STREAM,
	TN_CHAN_UNIX_DGRAM,
	TN_CHAN_UNIX_SEQPACKET,
	TN_CHAN_PIPE,		/* anonymous pipe (pipefs) */
	TN_CHAN_FIFO,		/* named pipe on a file system */
};

struct tn_channel {
	__u64 labels;		/* what tainted writers put into it */
	__u64 from_cgid;	/* the last workload that added labels */
	__u64 readers[TN_CHANNEL_READERS];	/* cgroup ids of the workloads
						 * (or trusted receivers) that
						 * read from it; 0: free */
	__u64 trusted_reported;	/* a trusted receiver's event was sent */
	__u64 readers_full;	/* a reader found no free slot: not recorded */
	__u32 kind;		/* enum tn_channel_kind */
	__u32 pad;
};

/*
 * map "tn_channel_stats" (array): what the channel tracking could not do;
 * the agent turns every increase into a "channel-untracked" event.
 */
enum tn_channel_stat {
	TN_CHST_UNTRACKED,	/* tn_channels full: a channel went unrecorded */
	TN_CHST_READERS_FULL,	/* a reader beyond TN_CHANNEL_READERS not recorded */
	TN_CHST_REFUSED,	/* a tainted write into such a channel, refused
				 * (enforce) or let through (audit, splice) */
	TN_CHST__MAX,
};

/* map "tn_trusted": cgroup id of a trusted receiver -> 1. */
#define TN_MAX_TRUSTED		256

#define TN_MAX_FLOWS		65536

/*
 * map "tn_endpoints": a tagged network endpoint -> labels. Port 0 stands
 * for every port of the address (an attested peer's, whose clients come
 * from ephemeral ports); an exact (address, port) entry is looked up first.
 */
struct tn_endpoint_key {
	__u8 family;		/* AF_INET or AF_INET6 */
	__u8 pad;
	__u16 port;		/* network byte order */
	__u8 addr[16];		/* IPv4 in the first 4 bytes, rest zero */
};

/*
 * map "tn_prefixes" (LPM trie): allowed destinations of tainted workloads.
 * Two generations live side by side so that a policy load writes the idle
 * one and then flips tn_config.prefix_gen: no packet sees half a policy.
 * prefixlen counts bits after the prefixlen field: 16 + the address prefix.
 */
struct tn_prefix_key {
	__u32 prefixlen;
	__u8 gen;
	__u8 family;
	__u8 addr[16];
};

/*
 * The value of a tn_prefixes entry. An attested peer's permission ends at
 * valid_until (bpf_ktime_get_boot_ns(): its last passing attestation plus
 * max_age) whether or not the agent is there to remove it: the programs
 * treat an expired entry as outside. 0: no expiry (the policy's prefixes).
 */
struct tn_prefix_val {
	__u64 valid_until;
};

/* map "tn_workloads": cgroup id of a workload's root -> its state. */
struct tn_workload {
	__u32 id;		/* agent-assigned, stable across restarts */
	__u32 pad;
	__u64 taint;		/* labels; only trustctl workload reset clears */
	__u64 last_drop_report_ns;
	__u64 deny_tat_ns;	/* rate limit of denial events (see above) */
	__u64 denials_unreported;	/* only grows; the agent reports increases */
};

/*
 * map "tn_taint_filter" (array, TN_TAINT_FILTER_SLOTS __u32): slot
 * tn_taint_filter_slot(cgid) is nonzero once a workload whose cgroup id
 * falls there has been tainted, so a connect, send or packet whose cgroup
 * path has only zero slots comes from no tainted workload and skips the
 * tn_workloads lookups (a hash lookup is the dearest part of those hooks).
 * Set before the taint is (BPF's taint(), the agent's workload writes), and
 * never cleared: a slot set by a workload since reset, or shared with one,
 * only sends its cgroups down the full lookup.
 */
#define TN_TAINT_FILTER_SLOTS	4096

static inline __u32 tn_taint_filter_slot(__u64 cgid)
{
	/* Cgroup ids are kernfs inode numbers, handed out in sequence. */
	return (__u32)cgid & (TN_TAINT_FILTER_SLOTS - 1);
}

/*
 * map "tn_clean" (per-CPU array, TN_CLEAN_SLOTS, not pinned): each CPU's
 * recent answers "no tainted workload on this cgroup's path", so that a
 * connect, send or packet of a cgroup asked about a moment ago costs one
 * helper call and a few loads instead of the walk. An answer holds while
 * both "tn_clean_gen" counters are what they were before it was worked
 * out. seq is odd while an entry is written (a program preempted on that
 * CPU may be half way): readers then miss, other writers leave it.
 */
#define TN_CLEAN_SLOTS		256

struct tn_clean {
	__u64 seq;
	__u64 cgid;
	__u64 gen[2];
};

/*
 * map "tn_clean_gen" (array, two __u64): counters that invalidate every
 * tn_clean answer when they move. TN_CLEAN_GEN_BPF: the programs', added
 * to when a workload gains labels, before the hook that tainted it
 * returns (until then the data is not in the workload's hands).
 * TN_CLEAN_GEN_AGENT: the agent's, written after it sets a taint filter
 * slot and before it writes that taint, and after each tn_config write.
 */
enum {
	TN_CLEAN_GEN_BPF,
	TN_CLEAN_GEN_AGENT,
	TN_CLEAN_GENS,
};

enum tn_counter {
	TN_CNT_TAINT,		/* a workload gained labels */
	TN_CNT_DENY_CONNECT,
	TN_CNT_DENY_SEND,
	TN_CNT_DROP_EGRESS,	/* packets of established flows dropped */
	TN_CNT_AUDIT_ALLOW,	/* would have been denied, audit mode */
	TN_CNT_EVENTS_LOST,	/* ring buffer full: event not delivered */
	TN_CNT_DROPS_UNREPORTED,/* egress drops folded into a rate-limited event */
	TN_CNT_DERIVED,		/* files that became derived tags */
	TN_CNT_DERIVE_FAILED,	/* tn_derived full: a written file is untracked */
	TN_CNT_FLOW_UNREGISTERED,/* tainted data reached a cgroup in no workload */
	TN_CNT_TRUSTED_FLOWS,	/* packets of tainted flows into trusted receivers */
	TN_CNT_DENIALS_UNREPORTED,/* connect/sendmsg denials (or audit-allows)
				 * folded by the rate limit: counted, no event */
	TN_CNT_DENY_SOCKET,	/* raw, packet or vsock sockets refused */
	TN_CNT_DENY_USERNS,	/* user namespaces refused to workloads */
	TN_CNT_DENY_OPEN,	/* tagged files refused to a process in no
				 * workload and no trusted reader */
	TN_CNT_OPENS_UNREPORTED,/* of those (or audit-allows), folded by the
				 * rate limit: counted, no event */
	TN_CNT_FLOW_FULL,	/* tn_flows full: packets of a tainted flow
				 * dropped (allowed in audit mode) */
	TN_CNT__MAX,
};

enum tn_event_type {
	TN_EV_TAINT_FILE = 1,	/* opened a tagged file */
	TN_EV_TAINT_NET,	/* talked to a tagged endpoint */
	TN_EV_CONNECT,		/* connect() to outside */
	TN_EV_SENDMSG,		/* unconnected send to outside */
	TN_EV_EGRESS,		/* packet of an open flow to outside */
	TN_EV_DERIVE_FILE,	/* a tainted workload wrote a file: derived tag */
	TN_EV_TAINT_FLOW,	/* received data from a tainted workload (TCP,
				 * UDP, unix socket, pipe, FIFO: see channel) */
	TN_EV_TRUSTED_FLOW,	/* a trusted receiver got tainted data, untainted */
	TN_EV_CGROUP_ESCAPE,	/* a tainted workload's task wrote a pid into
				 * the cgroup.procs or cgroup.threads of a
				 * cgroup outside its workload */
	TN_EV_SOCKET,		/* a tainted workload asked for a raw, packet or
				 * vsock socket: family is the address family,
				 * count the socket type, port the protocol
				 * (host byte order) */
	TN_EV_USERNS,		/* a workload asked for a user namespace */
	TN_EV_TAGGED_OPEN,	/* a process in no workload and no trusted
				 * reader opened a tagged file (or received
				 * one over SCM_RIGHTS: count 1): dev/ino the
				 * file, from_cgid the inode of the tag that
				 * matched (channel 1: a derived tag), to_cgid
				 * the caller's cgroup */
	TN_EV_MAP_FULL,		/* a map a decision depends on could not take
				 * an entry: count is the enum tn_map_id;
				 * tn_derived: dev, ino name the file;
				 * tn_flows: the destination is filled */
};

/* Which map was full (TN_EV_MAP_FULL). */
enum tn_map_id {
	TN_MAP_DERIVED = 1,
	TN_MAP_FLOWS,
};

enum tn_decision {
	TN_DEC_TAINT = 1,
	TN_DEC_DENY,
	TN_DEC_ALLOW_AUDIT,
	TN_DEC_DERIVE,
	TN_DEC_TRUSTED,		/* passed untainted: a trusted receiver */
	TN_DEC_KILL,		/* cgroup mode: the move happened, the writer
				 * (and the task it moved) got SIGKILL; or the
				 * open for writing happened and tn_derived
				 * was full: the opener got SIGKILL */
};

#define TN_COMM_LEN 16

/* One record in the "tn_events" ring buffer. */
struct tn_event {
	__u64 ts_boot_ns;	/* bpf_ktime_get_boot_ns() */
	__u64 workload_cgid;	/* cgroup id of the workload root */
	__u64 labels;		/* taint: labels gained; others: workload taint */
	__u64 dev;		/* TN_EV_TAINT_FILE: the tag that matched;
				 * TN_EV_DERIVE_FILE: the file written */
	__u64 ino;
	__u32 type;		/* enum tn_event_type */
	__u32 decision;		/* enum tn_decision */
	__u32 pid;		/* tgid; 0 when no process context (egress) */
	__u32 count;		/* TN_EV_EGRESS: packets covered by this report;
				 * TN_EV_CGROUP_ESCAPE: the pid written, as
				 * the writer wrote it (0: itself) */
	__u64 from_cgid;	/* TN_EV_TAINT_FLOW, TN_EV_TRUSTED_FLOW: the sender;
				 * TN_EV_CGROUP_ESCAPE: the destination's
				 * workload (0: none) */
	__u64 to_cgid;		/* TN_EV_TRUSTED_FLOW: the trusted receiver;
				 * TN_EV_CGROUP_ESCAPE: the destination cgroup */
	char comm[TN_COMM_LEN];
	__u8 family;		/* destination (or tagged endpoint) */
	__u8 protocol;		/* IPPROTO_TCP/UDP, 0 when unknown */
	__u16 port;		/* network byte order */
	__u8 addr[16];
	__u8 channel;		/* TN_EV_TAINT_FLOW, TN_EV_TRUSTED_FLOW: enum
				 * tn_channel_kind; for unix sockets, pipes
				 * and FIFOs dev and ino name the receiving
				 * object's inode (ino 0: a socket not yet
				 * accepted) and family is 0 */
	__u8 pad2[3];
};

#endif /* TRUSTNODE_BPF_SHARED_H */
