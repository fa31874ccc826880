/* SPDX-License-Identifier: GPL-2.0-only */
/* Parsing and printing of the addresses that policy and tags name. */
#ifndef TN_ADDR_H
#define TN_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct tn_prefix {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t len;		/* prefix length in bits */
	uint8_t addr[16];	/* IPv4 in the first 4 bytes */
};

struct tn_endpoint {
	uint8_t family;
	uint16_t port;		/* host byte order */
	uint8_t addr[16];
};

#define TN_ADDR_STRLEN 64

/* "10.0.0.0/8", "fd00::/8"; a bare address is a host prefix. */
int tn_parse_prefix(const char *s, struct tn_prefix *p, struct tn_err *err);
/* "10.1.2.3:5432", "[2001:db8::1]:443"; ::ffff:a.b.c.d becomes IPv4. */
int tn_parse_endpoint(const char *s, struct tn_endpoint *e, struct tn_err *err);

void tn_format_addr(char *buf, size_t n, int family, const uint8_t *addr);
void tn_format_prefix(char *buf, size_t n, const struct tn_prefix *p);
void tn_format_endpoint(char *buf, size_t n, int family, const uint8_t *addr,
			uint16_t port);

/* Whether addr (of family) lies inside prefix p. */
int tn_prefix_contains(const struct tn_prefix *p, int family,
		       const uint8_t *addr);

/* The local network when a policy names no prefixes. */
extern const char *const tn_default_prefixes[];
/* This node itself: local even in peers-only mode. */
extern const char *const tn_loopback_prefixes[];

#endif
