/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the agent knows and persists: labels, tags, workloads and the loaded
 * policy (the model in registry.c, JSON and state.json in registry_json.c).
 * These functions work on any registry; the agent's own one changes only
 * through state.c, mostly by a copy that is applied to the kernel and saved
 * only when everything succeeded, so a rejected request changes nothing.
 */
#ifndef TN_REGISTRY_H
#define TN_REGISTRY_H

#include <json-c/json.h>
#include <stdint.h>
#include "addr.h"
#include "err.h"
#include "policy.h"

/*
 * Who made a tag: the policy file, trustctl tag, a tainted workload's write,
 * or attested-peers mode (an enrolled peer's addresses, labelled with what
 * its attested policy declares: data from it taints the receiver).
 */
enum tn_source { TN_SRC_POLICY, TN_SRC_ADMIN, TN_SRC_DERIVED, TN_SRC_PEER };

struct reg_tag {
	enum tn_source source;
	int is_net;
	char *path;		/* !is_net; as given when tagged */
	uint64_t dev, ino;	/* !is_net; kernel dev encoding */
	struct tn_endpoint ep;	/* is_net */
	uint64_t labels;
	char *workload;		/* TN_SRC_DERIVED: who wrote the file;
				 * TN_SRC_PEER: the peer's name */
	uint64_t event;		/* TN_SRC_DERIVED: the event that derived it */
	int64_t last_write;	/* TN_SRC_DERIVED: when a tainted workload last
				 * opened it for writing, as far as the agent
				 * knows (unix seconds): derived_max_age
				 * counts from it */
	char *handle;		/* TN_SRC_DERIVED: "TYPE:HEX" file handle taken
				 * from the writer's descriptor, so that trustctl
				 * tag prune can tell whether the inode still
				 * exists; NULL when none could be taken */
};

/*
 * A workload is its cgroup path: cgid is only the incarnation seen last. It
 * is looked up again at start, at policy loads and whenever the path is
 * created again (cgwatch.c); 0 until the path has existed once.
 */
struct reg_workload {
	enum tn_source source;
	char *name;
	char *cgroup;
	uint64_t cgid;
	int missing;		/* the path does not exist now (not saved) */
	uint32_t id;
	uint64_t taint;		/* last seen in the kernel; restored after reboot */
	uint64_t kmod_taint;	/* what trustnode.ko has been told (not saved) */
	uint64_t denials_reported; /* of the kernel's denials_unreported (not saved) */
};

/*
 * An attested peer's address and when its permission ends in the kernel
 * (CLOCK_BOOTTIME ns: its last passing attestation's start plus max_age).
 */
struct reg_peer_prefix {
	struct tn_prefix pfx;
	uint64_t valid_until;
};

struct registry {
	char *labels[64];	/* bit i is labels[i] */
	int nlabels;
	struct reg_tag *tags;
	int ntags;
	struct reg_workload *wls;
	int nwls;
	struct reg_workload *trusted;	/* trusted receivers (policy only) */
	int ntrusted;
	int tagged_readers;		/* enum tn_tagged_readers */
	struct reg_workload *readers;	/* trusted readers (policy only);
					 * cgid 0 while missing */
	int nreaders;
	uint32_t next_wl_id;
	int enforce;
	int prefixes_default;
	struct tn_prefix *prefixes;
	int nprefixes;
	int peers_only;		/* attested-peers mode without local prefixes */
	/* Addresses of peers whose attestation holds now (not saved). */
	struct reg_peer_prefix *peer_prefixes;
	int npeer_prefixes;
	uint64_t derived_max_age;	/* policy; seconds, 0: never */
	char *policy_name;	/* NULL until a policy is loaded */
	char *policy_text;
};

void registry_init(struct registry *r);
void registry_free(struct registry *r);
int registry_copy(struct registry *dst, const struct registry *src);

int registry_load(struct registry *r, const char *path, struct tn_err *err);
int registry_save(const struct registry *r, const char *path,
		  struct tn_err *err);

/* Bits for names, allocating new labels (at most 64 per node). */
int registry_label_bits(struct registry *r, char *const *names, int n,
			uint64_t *bits, struct tn_err *err);
json_object *registry_label_names(const struct registry *r, uint64_t bits);

/* Replaces everything that came from the previous policy by policy p. */
int registry_apply_policy(struct registry *r, const struct tn_policy *p,
			  const char *name, const char *text,
			  struct tn_err *err);

int registry_add_workload(struct registry *r, const char *name,
			  const char *cgroup, uint64_t cgid,
			  enum tn_source src, struct tn_err *err);
struct reg_workload *registry_find_workload(struct registry *r,
					    const char *name);
struct reg_workload *registry_workload_by_cgid(const struct registry *r,
					       uint64_t cgid);
void registry_remove_workload(struct registry *r, struct reg_workload *w);

/* Whether two tags name the same file (dev, ino) or endpoint. */
int registry_same_source(const struct reg_tag *a, const struct reg_tag *b);
int registry_add_tag(struct registry *r, const struct reg_tag *t,
		     struct tn_err *err);
void registry_remove_tag(struct registry *r, int index);
int registry_set_tag_handle(struct registry *r, uint64_t dev, uint64_t ino,
			    char *handle);
const struct reg_tag *registry_tag_by_inode(const struct registry *r,
					    uint64_t dev, uint64_t ino);

json_object *registry_tag_json(const struct registry *r,
			       const struct reg_tag *t);
json_object *registry_workload_json(const struct registry *r,
				    const struct reg_workload *w);
json_object *registry_prefixes_json(const struct registry *r);
json_object *registry_trusted_json(const struct registry *r);
const struct reg_workload *registry_trusted_by_cgid(const struct registry *r,
						    uint64_t cgid);
/* tagged_readers and trusted_readers: { "tagged_readers": ..., "trusted_readers": [...] } members. */
json_object *registry_readers_json(const struct registry *r);
const struct reg_workload *registry_reader_by_cgid(const struct registry *r,
						   uint64_t cgid);

#endif
