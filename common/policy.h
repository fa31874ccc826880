/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The policy file: mode, the local network's prefixes, tags on paths and
 * endpoints, workloads. Parsed with libconfig; every error names file:line.
 * See docs/policy.md for the format.
 */
#ifndef TN_POLICY_H
#define TN_POLICY_H

#include <stdint.h>
#include "addr.h"
#include "err.h"

#define TN_NAME_MAX 32		/* labels and workload names */
#define TN_POLICY_MAX_BYTES (1024 * 1024)

struct tn_policy_tag {
	int line;
	int is_net;
	char *path;		/* !is_net */
	uint64_t dev, ino;	/* filled by tn_policy_resolve(); kernel dev encoding */
	struct tn_endpoint ep;	/* is_net */
	char **labels;
	int nlabels;
};

struct tn_policy_workload {
	int line;
	char *name;
	char *cgroup;		/* absolute path of a cgroup v2 directory */
	uint64_t cgid;		/* filled by tn_policy_resolve(); workloads: 0
				 * while the cgroup does not exist */
};

/* How a peer's measured policy is judged (attested-peers mode). */
enum tn_accept {
	TN_ACCEPT_ENROLLED,	/* the digests pinned at enrolment (default) */
	TN_ACCEPT_SAME,		/* the same digest as this node's policy */
	TN_ACCEPT_LIST,		/* the digests listed in the policy */
};

#define TN_PEER_MAX_ADDRS 16

/* An enrolled peer whose addresses are local while its attestation holds. */
struct tn_policy_peer {
	int line;
	char *name;
	char *url;
	struct tn_prefix addrs[TN_PEER_MAX_ADDRS];
	int naddrs;
	enum tn_accept accept;
	uint8_t digests[16][32];
	int ndigests;
};

/*
 * Who may open tagged files (tagged_readers). Only lsm mode can refuse an
 * open: "workloads" is refused by an agent in cgroup mode (fail closed);
 * "workloads-in-lsm-mode" loads there with the channel listed as open.
 */
enum tn_tagged_readers {
	TN_TAGGED_READERS_ANYONE,	/* the default: as without the setting */
	TN_TAGGED_READERS_WORKLOADS,
	TN_TAGGED_READERS_WORKLOADS_LSM,
};

struct tn_policy {
	int enforce;		/* 1 enforce (the default), 0 audit */
	int prefixes_given;	/* 0: the defaults of tn_default_prefixes */
	struct tn_prefix *prefixes;
	int *prefix_lines;
	int nprefixes;
	struct tn_policy_tag *tags;
	int ntags;
	struct tn_policy_workload *workloads;
	int nworkloads;
	/* Cgroups that may receive tainted data untainted: deliberate holes. */
	struct tn_policy_workload *trusted;
	int ntrusted;
	/* Who may open tagged files, and the cgroups trusted to (lsm mode). */
	enum tn_tagged_readers tagged_readers;
	int tagged_readers_line;
	struct tn_policy_workload *readers;	/* cgid 0 while missing */
	int nreaders;
	/* Attested-peers mode: peers, and whether prefixes count too. */
	int peers_only;		/* local_network = "peers-only" */
	struct tn_policy_peer *peers;
	int npeers;
	unsigned attest_interval;	/* seconds; 0 when no peers */
	unsigned attest_max_age;	/* seconds */
	/* Derived tags of still-existing files expire this many seconds
	 * after their last write; 0: never (the default). */
	uint64_t derived_max_age;
};

#define TN_DERIVED_MAX_AGE_MAX	(3650ULL * 86400)

#define TN_ATTEST_INTERVAL_DEFAULT 10
#define TN_ATTEST_MAX_AGE_DEFAULT 30

/* The settings the parser accepts: at the top level (group ""), and in each
 * entry of a group or list setting. Ends with { NULL, NULL }. */
struct tn_policy_level {
	const char *group;
	const char *const *members;	/* NULL-terminated */
};
extern const struct tn_policy_level tn_policy_levels[];

/* Parses text (the contents of file name) into p. */
int tn_policy_parse(const char *text, const char *name, struct tn_policy *p,
		    struct tn_err *err);
/* Stats tagged paths and workload cgroups; errors name name:line. */
int tn_policy_resolve(struct tn_policy *p, const char *name,
		      struct tn_err *err);
void tn_policy_free(struct tn_policy *p);

/* Whether s is a valid label or workload name ([a-z0-9_.-], 1..32). */
int tn_valid_name(const char *s);
/* The kernel's encoding of a device number (super_block.s_dev). */
uint64_t tn_kernel_dev(uint64_t st_dev);
/* Tagged source: stat path into (kernel dev, ino). */
int tn_stat_tag_path(const char *path, uint64_t *dev, uint64_t *ino,
		     struct tn_err *err);
/* "anyone", "workloads", "workloads-in-lsm-mode". */
const char *tn_tagged_readers_name(enum tn_tagged_readers r);
/*
 * A trusted reader's cgroup: a cgroup v2 directory other than the root, or
 * a plain path below an existing one (it is looked up again when made).
 * *id is 0 when it does not exist yet.
 */
int tn_reader_cgroup_id(const char *path, uint64_t *id, struct tn_err *err);
/* The id of a cgroup v2 directory, as bpf_get_current_cgroup_id() sees it. */
int tn_cgroup_id(const char *path, uint64_t *id, struct tn_err *err);

#endif
