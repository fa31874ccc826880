/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The effective allowed set: what "the local network" means right now, in
 * one place. Both kernel sides (the BPF prefix trie and the module's
 * policy) are written from it and from nothing else.
 */
#ifndef TN_AGENT_ALLOWED_H
#define TN_AGENT_ALLOWED_H

#include <stdint.h>
#include "addr.h"

struct registry;

struct allowed_entry {
	struct tn_prefix pfx;
	uint64_t valid_until;	/* CLOCK_BOOTTIME ns; 0: permanent */
};

struct allowed_set {
	struct allowed_entry *v;
	int n;
};

/*
 * The policy's prefixes, permanent (registry_apply_policy has resolved the
 * defaults and peers-only mode into them), then every address of a peer
 * whose attestation holds now, with its expiry. A peer address inside a
 * permanent prefix is left out: the BPF trie answers with the longest
 * match, and an expired peer entry there would hide the permanent one.
 * 0, or -1 when out of memory.
 */
int allowed_set_build(const struct registry *r, struct allowed_set *s);
void allowed_set_free(struct allowed_set *s);

#endif
