// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * trustnode_selftest.ko: checks the prefix code of trustnode.ko.
 *
 * Loading it runs the tests and prints TAP ("ok N - ..." / "not ok N -
 * ...") to the kernel log; init returns 0 only if every test passed, so
 * "insmod trustnode_selftest.ko && rmmod trustnode_selftest" is the test.
 * The module carries its own copy of kmod/prefix.c.
 */
#include <linux/init.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>

#include "prefix.c"

static unsigned int tnk_test_nr;
static unsigned int tnk_test_failed;

static void tnk_ok(bool cond, const char *what)
{
	tnk_test_nr++;
	if (cond) {
		pr_info("ok %u - %s\n", tnk_test_nr, what);
	} else {
		tnk_test_failed++;
		pr_info("not ok %u - %s\n", tnk_test_nr, what);
	}
}

/* "10.0.0.0/8" or "2001:db8::/32"; false on a parse error. */
static bool tnk_parse(const char *s, struct tnk_prefix *p, bool *host_ok)
{
	u8 raw[16];
	const char *slash = strchr(s, '/');
	unsigned int len;
	u8 family;

	if (!slash || kstrtouint(slash + 1, 10, &len))
		return false;
	if (in4_pton(s, slash - s, raw, -1, NULL) && len <= 32)
		family = AF_INET;
	else if (in6_pton(s, slash - s, raw, -1, NULL) && len <= 128)
		family = AF_INET6;
	else
		return false;
	*host_ok = tnk_prefix_init(p, family, raw, len);
	return true;
}

static struct tnk_prefix tnk_p(const char *s)
{
	struct tnk_prefix p = {};
	bool host_ok = false;

	if (!tnk_parse(s, &p, &host_ok) || !host_ok)
		pr_err("bad test prefix %s\n", s);
	return p;
}

static struct tnk_addr tnk_a(const char *s)
{
	struct tnk_addr a = {};
	__be32 v4;
	struct in6_addr v6;

	if (in4_pton(s, -1, (u8 *)&v4, -1, NULL))
		tnk_addr_from_in(&a, v4);
	else if (in6_pton(s, -1, v6.s6_addr, -1, NULL))
		tnk_addr_from_in6(&a, &v6);
	else
		pr_err("bad test address %s\n", s);
	return a;
}

static bool tnk_in(const char *prefix, const char *addr)
{
	struct tnk_prefix p = tnk_p(prefix);
	struct tnk_addr a = tnk_a(addr);

	return tnk_prefix_contains(&p, &a);
}

static bool tnk_host_bits_ok(const char *s)
{
	struct tnk_prefix p;
	bool host_ok = false;

	return tnk_parse(s, &p, &host_ok) && host_ok;
}

static void tnk_test_contains(void)
{
	tnk_ok(tnk_in("10.0.0.0/8", "10.0.0.0"), "v4 /8 holds its first address");
	tnk_ok(tnk_in("10.0.0.0/8", "10.255.255.255"), "v4 /8 holds its last address");
	tnk_ok(!tnk_in("10.0.0.0/8", "11.0.0.0"), "v4 /8 ends at its last address");
	tnk_ok(!tnk_in("10.0.0.0/8", "9.255.255.255"), "v4 /8 starts at its first address");
	tnk_ok(tnk_in("0.0.0.0/0", "203.0.113.9"), "v4 /0 holds everything v4");
	tnk_ok(!tnk_in("0.0.0.0/0", "2001:db8::1"), "v4 /0 holds no v6 address");
	tnk_ok(tnk_in("192.0.2.7/32", "192.0.2.7"), "v4 /32 holds itself");
	tnk_ok(!tnk_in("192.0.2.7/32", "192.0.2.6"), "v4 /32 holds nothing else");
	tnk_ok(tnk_in("192.0.2.0/31", "192.0.2.1"), "v4 /31");
	tnk_ok(!tnk_in("192.0.2.0/31", "192.0.2.2"), "v4 /31 ends");
	tnk_ok(tnk_in("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
	       "v6 /32 holds its last address");
	tnk_ok(!tnk_in("2001:db8::/32", "2001:db9::"), "v6 /32 ends");
	tnk_ok(tnk_in("::/0", "2001:db8::1"), "v6 /0 holds everything v6");
	tnk_ok(!tnk_in("::/0", "192.0.2.1"), "v6 /0 holds no v4 address");
	tnk_ok(tnk_in("2001:db8:0:1::/64", "2001:db8:0:1:ffff:ffff:ffff:ffff"),
	       "v6 /64 holds its last address");
	tnk_ok(!tnk_in("2001:db8:0:1::/64", "2001:db8:0:2::"), "v6 /64 ends");
	tnk_ok(tnk_in("2001:db8:0:1:8000::/65", "2001:db8:0:1:ffff::1"),
	       "v6 /65 upper half");
	tnk_ok(!tnk_in("2001:db8:0:1:8000::/65", "2001:db8:0:1:7fff::1"),
	       "v6 /65 not the lower half");
	tnk_ok(tnk_in("2001:db8::/63", "2001:db8:0:1::"), "v6 /63 holds the odd /64");
	tnk_ok(tnk_in("2001:db8::1/128", "2001:db8::1"), "v6 /128 holds itself");
	tnk_ok(!tnk_in("2001:db8::1/128", "2001:db8::"), "v6 /128 holds nothing else");
	tnk_ok(tnk_in("2001:db8::/127", "2001:db8::1"), "v6 /127");
	tnk_ok(!tnk_in("2001:db8::/127", "2001:db8::2"), "v6 /127 ends");
}

static void tnk_test_host_bits(void)
{
	tnk_ok(tnk_host_bits_ok("10.0.0.0/8"), "10.0.0.0/8 accepted");
	tnk_ok(!tnk_host_bits_ok("10.0.0.1/8"), "10.0.0.1/8 refused (host bits)");
	tnk_ok(!tnk_host_bits_ok("10.128.0.0/8"), "10.128.0.0/8 refused");
	tnk_ok(tnk_host_bits_ok("0.0.0.0/0"), "0.0.0.0/0 accepted");
	tnk_ok(!tnk_host_bits_ok("1.0.0.0/0"), "1.0.0.0/0 refused");
	tnk_ok(tnk_host_bits_ok("255.255.255.255/32"), "any /32 accepted");
	tnk_ok(tnk_host_bits_ok("2001:db8::/32"), "2001:db8::/32 accepted");
	tnk_ok(!tnk_host_bits_ok("2001:db8::1/64"), "2001:db8::1/64 refused");
	tnk_ok(!tnk_host_bits_ok("2001:db8:0:0:8000::/64"), "bit 64 set in a /64 refused");
	tnk_ok(tnk_host_bits_ok("2001:db8:0:0:8000::/65"), "bit 64 set in a /65 accepted");
	tnk_ok(!tnk_host_bits_ok("::1/127"), "::1/127 refused");
	tnk_ok(tnk_host_bits_ok("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"),
	       "any /128 accepted");
	tnk_ok(!tnk_host_bits_ok("8000::/0"), "8000::/0 refused");
}

static void tnk_test_local(void)
{
	struct tnk_addr a;

	a = tnk_a("0.0.0.0");
	tnk_ok(tnk_addr_local_always(&a), "0.0.0.0 is local");
	a = tnk_a("127.0.0.1");
	tnk_ok(tnk_addr_local_always(&a), "127.0.0.1 is local");
	a = tnk_a("127.255.255.255");
	tnk_ok(tnk_addr_local_always(&a), "127.255.255.255 is local");
	a = tnk_a("126.255.255.255");
	tnk_ok(!tnk_addr_local_always(&a), "126.255.255.255 is not local");
	a = tnk_a("128.0.0.0");
	tnk_ok(!tnk_addr_local_always(&a), "128.0.0.0 is not local");
	a = tnk_a("0.0.0.1");
	tnk_ok(!tnk_addr_local_always(&a), "0.0.0.1 is not local");
	a = tnk_a("::");
	tnk_ok(tnk_addr_local_always(&a), ":: is local");
	a = tnk_a("::1");
	tnk_ok(tnk_addr_local_always(&a), "::1 is local");
	a = tnk_a("::2");
	tnk_ok(!tnk_addr_local_always(&a), "::2 is not local");
	a = tnk_a("1::1");
	tnk_ok(!tnk_addr_local_always(&a), "1::1 is not local");
	a = tnk_a("::ffff:127.0.0.1");
	tnk_ok(!tnk_addr_local_always(&a), "v4-mapped loopback is not local at IP level");
}

static const char * const tnk_set[] = {
	"10.1.0.0/16", "10.0.0.0/8", "192.168.0.0/16", "10.0.0.0/8",
	"192.168.1.0/24", "172.16.0.0/12", "2001:db8:1::/48", "2001:db8::/32",
	"fe80::/10", "2001:db8::/32", "10.255.255.255/32", "203.0.113.0/25",
};

static void tnk_test_set(void)
{
	struct tnk_prefix v[ARRAY_SIZE(tnk_set)], q;
	unsigned int i, n;
	struct tnk_addr a;

	for (i = 0; i < ARRAY_SIZE(tnk_set); i++)
		v[i] = tnk_p(tnk_set[i]);
	n = tnk_prefixes_normalize(v, ARRAY_SIZE(tnk_set));
	tnk_ok(n == 6, "normalize keeps the 6 outermost prefixes");
	for (i = 1; i < n; i++)
		if (tnk_prefix_contains(&v[i - 1], &v[i].addr))
			break;
	tnk_ok(i == n, "normalized prefixes are disjoint");
	tnk_ok(v[0].addr.family == AF_INET && v[n - 1].addr.family == AF_INET6,
	       "v4 sorts before v6");

	a = tnk_a("10.1.2.3");
	tnk_ok(tnk_prefixes_find(v, n, &a), "find 10.1.2.3");
	a = tnk_a("11.0.0.0");
	tnk_ok(!tnk_prefixes_find(v, n, &a), "11.0.0.0 outside");
	a = tnk_a("172.31.255.255");
	tnk_ok(tnk_prefixes_find(v, n, &a), "find the last address of 172.16/12");
	a = tnk_a("172.32.0.0");
	tnk_ok(!tnk_prefixes_find(v, n, &a), "172.32.0.0 outside");
	a = tnk_a("203.0.113.127");
	tnk_ok(tnk_prefixes_find(v, n, &a), "find 203.0.113.127");
	a = tnk_a("203.0.113.128");
	tnk_ok(!tnk_prefixes_find(v, n, &a), "203.0.113.128 outside");
	a = tnk_a("1.1.1.1");
	tnk_ok(!tnk_prefixes_find(v, n, &a), "before the first prefix");
	a = tnk_a("255.255.255.255");
	tnk_ok(!tnk_prefixes_find(v, n, &a), "after the last v4 prefix");
	a = tnk_a("2001:db8:1:2::3");
	tnk_ok(tnk_prefixes_find(v, n, &a), "find 2001:db8:1:2::3");
	a = tnk_a("febf:ffff::1");
	tnk_ok(tnk_prefixes_find(v, n, &a), "find inside fe80::/10");
	a = tnk_a("fec0::");
	tnk_ok(!tnk_prefixes_find(v, n, &a), "fec0:: outside");
	a = tnk_a("::a00:1");
	tnk_ok(!tnk_prefixes_find(v, n, &a), "v6 ::10.0.0.1 does not match v4 10/8");
	tnk_ok(!tnk_prefixes_find(v, 0, &a), "empty set matches nothing");

	q = tnk_p("10.20.0.0/16");
	tnk_ok(tnk_prefixes_cover(v, n, &q), "10.20/16 is inside 10/8");
	q = tnk_p("10.0.0.0/8");
	tnk_ok(tnk_prefixes_cover(v, n, &q), "10/8 is inside itself");
	q = tnk_p("10.0.0.0/7");
	tnk_ok(!tnk_prefixes_cover(v, n, &q), "10/7 is wider than 10/8");
	q = tnk_p("0.0.0.0/0");
	tnk_ok(!tnk_prefixes_cover(v, n, &q), "0/0 is not inside");
	q = tnk_p("2001:db8:ff00::/40");
	tnk_ok(tnk_prefixes_cover(v, n, &q), "2001:db8:ff00::/40 is inside");
	q = tnk_p("2001:db8::/31");
	tnk_ok(!tnk_prefixes_cover(v, n, &q), "2001:db8::/31 is not inside");
	q = tnk_p("198.51.100.0/24");
	tnk_ok(!tnk_prefixes_cover(v, n, &q), "198.51.100/24 is not inside");
}

/* Attested peers: a prefix with valid_until allows nothing from then on. */
static void tnk_test_expiry(void)
{
	struct tnk_prefix v[2], q;
	unsigned int n;

	q = tnk_p("10.0.0.0/8");
	tnk_ok(tnk_prefix_live(&q, U64_MAX), "a prefix without expiry never expires");
	q.valid_until = 1000;
	tnk_ok(tnk_prefix_live(&q, 999), "live before valid_until");
	tnk_ok(!tnk_prefix_live(&q, 1000), "expired at valid_until");
	tnk_ok(!tnk_prefix_live(&q, 5000), "expired after valid_until");

	v[0] = tnk_p("198.51.100.7/32");
	v[0].valid_until = 100;
	v[1] = v[0];
	v[1].valid_until = 200;
	n = tnk_prefixes_normalize(v, 2);
	tnk_ok(n == 1 && v[0].valid_until == 200,
	       "a duplicate keeps the later expiry");
	v[0] = tnk_p("198.51.100.7/32");
	v[0].valid_until = 100;
	v[1] = tnk_p("198.51.100.7/32");
	n = tnk_prefixes_normalize(v, 2);
	tnk_ok(n == 1 && v[0].valid_until == 0,
	       "a duplicate without expiry makes it permanent");
	v[0] = tnk_p("10.1.0.0/16");
	v[1] = tnk_p("10.0.0.0/8");
	v[1].valid_until = 100;
	n = tnk_prefixes_normalize(v, 2);
	tnk_ok(n == 1 && v[0].len == 8 && v[0].valid_until == 100,
	       "a narrower prefix goes with the wider one's expiry (early, never late)");

	q = tnk_p("10.1.0.0/16");
	tnk_ok(!tnk_prefixes_cover(v, n, &q),
	       "sealed: a permanent prefix is not inside an expiring one");
	q.valid_until = 5000;
	tnk_ok(tnk_prefixes_cover(v, n, &q),
	       "sealed: an expiring prefix inside an expiring one may be renewed");
}

/* xorshift64: deterministic, so a failure can be reproduced. */
static u64 tnk_rnd_state = 0x9e3779b97f4a7c15ULL;

static u64 tnk_rnd(void)
{
	tnk_rnd_state ^= tnk_rnd_state << 13;
	tnk_rnd_state ^= tnk_rnd_state >> 7;
	tnk_rnd_state ^= tnk_rnd_state << 17;
	return tnk_rnd_state;
}

/* Few distinct values in the top bits so that prefixes overlap often. */
static void tnk_rnd_addr(struct tnk_addr *a)
{
	a->family = (tnk_rnd() & 1) ? AF_INET6 : AF_INET;
	a->hi = (tnk_rnd() & 0xe000000000000000ULL) | (tnk_rnd() & 0x3) << 56 |
		(tnk_rnd() & 0xff);
	a->lo = a->family == AF_INET6 ? (tnk_rnd() & 0x3) << 62 | (tnk_rnd() & 3) : 0;
	if (a->family == AF_INET)
		a->hi &= 0xffffffff00000000ULL;
}

static void tnk_rnd_prefix(struct tnk_prefix *p)
{
	static const u8 lens[] = { 0, 1, 3, 6, 8, 16, 31, 32, 63, 64, 65, 127, 128 };
	unsigned int len;
	struct tnk_addr a;
	u64 mhi, mlo;

	do {
		len = lens[tnk_rnd() % ARRAY_SIZE(lens)];
		tnk_rnd_addr(&a);
	} while (a.family == AF_INET && len > 32);
	tnk_mask(len, &mhi, &mlo);
	p->addr.family = a.family;
	p->addr.hi = a.hi & mhi;
	p->addr.lo = a.lo & mlo;
	p->len = len;
}

#define TN_RND_SETS	200
#define TN_RND_PFX	40
#define TN_RND_PROBES	200

static void tnk_test_random(void)
{
	struct tnk_prefix *orig, *norm, probe;
	unsigned int set, i, j, n, bad_find = 0, bad_cover = 0, bad_init = 0;

	orig = kcalloc(TN_RND_PFX, sizeof(*orig), GFP_KERNEL);
	norm = kcalloc(TN_RND_PFX, sizeof(*norm), GFP_KERNEL);
	if (!orig || !norm) {
		tnk_ok(false, "random: memory");
		goto out;
	}
	for (set = 0; set < TN_RND_SETS; set++) {
		unsigned int nr = tnk_rnd() % (TN_RND_PFX + 1);

		for (i = 0; i < nr; i++)
			tnk_rnd_prefix(&orig[i]);
		memcpy(norm, orig, nr * sizeof(*orig));
		n = tnk_prefixes_normalize(norm, nr);

		for (j = 0; j < TN_RND_PROBES; j++) {
			bool any = false, cover = false;
			struct tnk_addr a;

			tnk_rnd_addr(&a);
			tnk_rnd_prefix(&probe);
			for (i = 0; i < nr; i++) {
				any |= tnk_prefix_contains(&orig[i], &a);
				cover |= orig[i].len <= probe.len &&
					 tnk_prefix_contains(&orig[i], &probe.addr);
			}
			if (any != !!tnk_prefixes_find(norm, n, &a))
				bad_find++;
			if (cover != tnk_prefixes_cover(norm, n, &probe))
				bad_cover++;
		}
		/* tnk_prefix_init agrees with the mask on random input. */
		for (i = 0; i < nr; i++) {
			struct tnk_prefix p;
			__be32 w[4] = {
				cpu_to_be32(orig[i].addr.hi >> 32),
				cpu_to_be32((u32)orig[i].addr.hi),
				cpu_to_be32(orig[i].addr.lo >> 32),
				cpu_to_be32((u32)orig[i].addr.lo),
			};

			if (!tnk_prefix_init(&p, orig[i].addr.family, w,
					     orig[i].len) ||
			    p.addr.hi != orig[i].addr.hi ||
			    p.addr.lo != orig[i].addr.lo)
				bad_init++;
		}
	}
	tnk_ok(!bad_find, "random: find() agrees with a linear scan");
	tnk_ok(!bad_cover, "random: cover() agrees with a linear scan");
	tnk_ok(!bad_init, "random: prefix_init() round-trips");
out:
	kfree(norm);
	kfree(orig);
}

static int __init tnk_selftest_init(void)
{
	pr_info("TAP version 13\n");
	tnk_test_contains();
	tnk_test_host_bits();
	tnk_test_local();
	tnk_test_set();
	tnk_test_expiry();
	tnk_test_random();
	pr_info("1..%u\n", tnk_test_nr);
	pr_info("# %u passed, %u failed\n", tnk_test_nr - tnk_test_failed,
		tnk_test_failed);
	return tnk_test_failed ? -EINVAL : 0;
}

static void __exit tnk_selftest_exit(void)
{
}

module_init(tnk_selftest_init);
module_exit(tnk_selftest_exit);
MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("trustnode prefix self-test");
MODULE_AUTHOR("trustnode developers");
