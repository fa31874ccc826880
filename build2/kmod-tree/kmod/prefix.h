/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Address prefixes: pure functions, no state, no locking. Built into
 * trustnode.ko and, by inclusion, into the prefix self-test module.
 */
#ifndef _TN_PREFIX_H
#define _TN_PREFIX_H

#include <linux/types.h>
#include <linux/in6.h>

/*
 * An address as a 128-bit number in host order, IPv4 in the top 32 bits of
 * hi (so that one mask function serves both families). The family is part
 * of the ordering: all IPv4 prefixes sort before all IPv6 ones.
 */
struct tnk_addr {
	u64 hi;
	u64 lo;
	u8 family;		/* AF_INET or AF_INET6 */
};

struct tnk_prefix {
	struct tnk_addr addr;	/* host bits are zero */
	u8 len;			/* 0..32 for AF_INET, 0..128 for AF_INET6 */
	/*
	 * Boot clock (ktime_get_boottime_ns()) from which the prefix no
	 * longer allows anything: an attested peer's last passing
	 * attestation plus max_age. 0: no expiry.
	 */
	u64 valid_until;
};

void tnk_addr_from_in(struct tnk_addr *a, __be32 v4);
void tnk_addr_from_in6(struct tnk_addr *a, const struct in6_addr *v6);

/* Loopback and unspecified destinations never leave the node. */
bool tnk_addr_local_always(const struct tnk_addr *a);

/*
 * Fills @p from a raw address (network order, 4 or 16 bytes according to
 * @family; the caller has checked family, length and @len). Returns false
 * if bits after @len are set.
 */
bool tnk_prefix_init(struct tnk_prefix *p, u8 family, const void *raw, u8 len);

bool tnk_prefix_contains(const struct tnk_prefix *p, const struct tnk_addr *a);

/* Does @p still allow anything at boot-clock time @now? */
bool tnk_prefix_live(const struct tnk_prefix *p, u64 now);

/*
 * Sorts @v and drops every prefix that lies inside another one (including
 * duplicates). The survivors are pairwise disjoint. Returns their number.
 * A duplicate's expiry merges into the survivor (the longer one stands);
 * a narrower prefix inside a wider one goes with the wider one's expiry,
 * which may end its permission early (never late).
 */
unsigned int tnk_prefixes_normalize(struct tnk_prefix *v, unsigned int n);

/* On a normalized array: the prefix that contains @a, or NULL. O(log n). */
const struct tnk_prefix *tnk_prefixes_find(const struct tnk_prefix *v,
					   unsigned int n,
					   const struct tnk_addr *a);

/*
 * On a normalized array: does some prefix of @v contain all of @p, and is
 * @p not permanent where that prefix expires? (Expiry times themselves are
 * not compared: renewing an attested peer is what the agent is for.)
 */
bool tnk_prefixes_cover(const struct tnk_prefix *v, unsigned int n,
			const struct tnk_prefix *p);

#endif /* _TN_PREFIX_H */
