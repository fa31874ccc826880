// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Address prefixes.
 *
 * A policy's prefixes are normalized once, when the policy is loaded: sorted
 * by (family, address, length) with every prefix that lies inside another
 * removed. CIDR prefixes are either nested or disjoint, so what remains is
 * a sorted list of disjoint ranges, and the only candidate that can contain
 * an address is the last prefix starting at or before it: a binary search.
 */
#include <linux/kernel.h>
#include <linux/socket.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <asm/byteorder.h>

#include "prefix.h"

static void tnk_mask(unsigned int len, u64 *hi, u64 *lo)
{
	/* Never shift a u64 by 64: that is undefined. */
	if (len == 0)
		*hi = 0;
	else if (len >= 64)
		*hi = ~0ULL;
	else
		*hi = ~0ULL << (64 - len);

	if (len <= 64)
		*lo = 0;
	else
		*lo = ~0ULL << (128 - len);
}

void tnk_addr_from_in(struct tnk_addr *a, __be32 v4)
{
	a->family = AF_INET;
	a->hi = (u64)be32_to_cpu(v4) << 32;
	a->lo = 0;
}

void tnk_addr_from_in6(struct tnk_addr *a, const struct in6_addr *v6)
{
	a->family = AF_INET6;
	a->hi = ((u64)be32_to_cpu(v6->s6_addr32[0]) << 32) |
		be32_to_cpu(v6->s6_addr32[1]);
	a->lo = ((u64)be32_to_cpu(v6->s6_addr32[2]) << 32) |
		be32_to_cpu(v6->s6_addr32[3]);
}

bool tnk_addr_local_always(const struct tnk_addr *a)
{
	if (a->family == AF_INET)	/* 0.0.0.0 or 127.0.0.0/8 */
		return a->hi == 0 || (a->hi >> 56) == 127;
	/* :: or ::1 */
	return a->hi == 0 && (a->lo == 0 || a->lo == 1);
}

bool tnk_prefix_init(struct tnk_prefix *p, u8 family, const void *raw, u8 len)
{
	u64 mhi, mlo;

	if (family == AF_INET) {
		__be32 v4;

		memcpy(&v4, raw, sizeof(v4));
		tnk_addr_from_in(&p->addr, v4);
	} else {
		struct in6_addr v6;

		memcpy(&v6, raw, sizeof(v6));
		tnk_addr_from_in6(&p->addr, &v6);
	}
	p->len = len;
	p->valid_until = 0;
	tnk_mask(len, &mhi, &mlo);
	return !(p->addr.hi & ~mhi) && !(p->addr.lo & ~mlo);
}

bool tnk_prefix_contains(const struct tnk_prefix *p, const struct tnk_addr *a)
{
	u64 mhi, mlo;

	if (p->addr.family != a->family)
		return false;
	tnk_mask(p->len, &mhi, &mlo);
	return !((a->hi ^ p->addr.hi) & mhi) && !((a->lo ^ p->addr.lo) & mlo);
}

bool tnk_prefix_live(const struct tnk_prefix *p, u64 now)
{
	return !p->valid_until || now < p->valid_until;
}

static int tnk_addr_cmp(const struct tnk_addr *a, const struct tnk_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return 0;
}

static int tnk_prefix_cmp(const void *x, const void *y)
{
	const struct tnk_prefix *a = x, *b = y;
	int c = tnk_addr_cmp(&a->addr, &b->addr);

	if (c)
		return c;
	/* Same start: the wider prefix first, so it absorbs the narrower. */
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return 0;
}

unsigned int tnk_prefixes_normalize(struct tnk_prefix *v, unsigned int n)
{
	unsigned int i, k = 0;

	sort(v, n, sizeof(*v), tnk_prefix_cmp, NULL);
	/*
	 * Kept prefixes are disjoint and sorted, so a prefix inside any kept
	 * one is inside the last kept one (an earlier kept prefix containing
	 * it would also contain the start of the last kept one).
	 */
	for (i = 0; i < n; i++) {
		struct tnk_prefix *last = k ? &v[k - 1] : NULL;

		if (last && last->len <= v[i].len &&
		    tnk_prefix_contains(last, &v[i].addr)) {
			/* The same prefix twice: either permission allows it. */
			if (last->len == v[i].len && last->valid_until &&
			    (!v[i].valid_until ||
			     v[i].valid_until > last->valid_until))
				last->valid_until = v[i].valid_until;
			continue;
		}
		v[k++] = v[i];
	}
	return k;
}

const struct tnk_prefix *tnk_prefixes_find(const struct tnk_prefix *v,
					   unsigned int n,
					   const struct tnk_addr *a)
{
	unsigned int lo = 0, hi = n;

	/* Find the first prefix starting after @a ... */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (tnk_addr_cmp(&v[mid].addr, a) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ... the one before it is the only one that can contain @a. */
	if (lo == 0 || !tnk_prefix_contains(&v[lo - 1], a))
		return NULL;
	return &v[lo - 1];
}

bool tnk_prefixes_cover(const struct tnk_prefix *v, unsigned int n,
			const struct tnk_prefix *p)
{
	const struct tnk_prefix *q = tnk_prefixes_find(v, n, &p->addr);

	/* q is the only prefix holding p's first address. */
	return q && q->len <= p->len && (!q->valid_until || p->valid_until);
}
