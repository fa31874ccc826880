// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "addr.h"

const char *const tn_default_prefixes[] = {
	"127.0.0.0/8",		/* loopback */
	"10.0.0.0/8",		/* RFC 1918 */
	"172.16.0.0/12",
	"192.168.0.0/16",
	"169.254.0.0/16",	/* link-local */
	"::1/128",
	"fe80::/10",
	"fc00::/7",		/* unique local */
	NULL,
};

const char *const tn_loopback_prefixes[] = {
	"127.0.0.0/8",
	"::1/128",
	NULL,
};

static const uint8_t v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* Parses a bare IPv4 or IPv6 address; returns the family or 0. */
static int parse_addr(const char *s, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return 0;
}

int tn_parse_prefix(const char *s, struct tn_prefix *p, struct tn_err *err)
{
	char buf[TN_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;
	int max, i;

	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= sizeof(buf))
		return tn_fail(err, "'%s' is not a prefix (expected ADDRESS/LENGTH, e.g. 10.0.0.0/8 or fd00::/8)", s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	p->family = parse_addr(buf, p->addr);
	if (!p->family)
		return tn_fail(err, "'%s' is not an IPv4 or IPv6 address", buf);
	max = p->family == AF_INET ? 32 : 128;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end || errno ||
		    len > (unsigned long)max)
			return tn_fail(err, "'%s': prefix length must be 0..%d", s, max);
	} else {
		len = max;
	}
	p->len = len;
	for (i = len; i < max; i++) {
		if (p->addr[i / 8] & (0x80 >> (i % 8)))
			return tn_fail(err, "'%s' has bits set after the prefix length; write the network address", s);
	}
	return 0;
}

int tn_parse_endpoint(const char *s, struct tn_endpoint *e, struct tn_err *err)
{
	char buf[TN_ADDR_STRLEN];
	const char *host, *colon;
	size_t hlen;
	unsigned long port;
	char *end;

	memset(e, 0, sizeof(*e));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return tn_fail(err, "'%s' is not an endpoint (expected [IPV6]:PORT)", s);
		host = s + 1;
		hlen = close - host;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return tn_fail(err, "'%s' is not an endpoint (expected IPV4:PORT or [IPV6]:PORT)", s);
		host = s;
		hlen = colon - s;
	}
	if (hlen == 0 || hlen >= sizeof(buf))
		return tn_fail(err, "'%s' has no address", s);
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	e->family = parse_addr(buf, e->addr);
	if (!e->family)
		return tn_fail(err, "'%s' is not an IPv4 or IPv6 address", buf);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (!isdigit((unsigned char)colon[1]) || *end || errno || port == 0 ||
	    port > 65535)
		return tn_fail(err, "'%s': port must be 1..65535", s);
	e->port = port;
	if (e->family == AF_INET6 &&
	    !memcmp(e->addr, v4mapped_prefix, sizeof(v4mapped_prefix))) {
		memmove(e->addr, e->addr + 12, 4);
		memset(e->addr + 4, 0, 12);
		e->family = AF_INET;
	}
	return 0;
}

void tn_format_addr(char *buf, size_t n, int family, const uint8_t *addr)
{
	if (!inet_ntop(family, addr, buf, n))
		snprintf(buf, n, "?");
}

void tn_format_prefix(char *buf, size_t n, const struct tn_prefix *p)
{
	char a[TN_ADDR_STRLEN];

	tn_format_addr(a, sizeof(a), p->family, p->addr);
	snprintf(buf, n, "%s/%u", a, p->len);
}

void tn_format_endpoint(char *buf, size_t n, int family, const uint8_t *addr,
			uint16_t port)
{
	char a[TN_ADDR_STRLEN];

	tn_format_addr(a, sizeof(a), family, addr);
	snprintf(buf, n, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

int tn_prefix_contains(const struct tn_prefix *p, int family,
		       const uint8_t *addr)
{
	int i;

	if (p->family != family)
		return 0;
	for (i = 0; i < p->len; i++) {
		uint8_t bit = 0x80 >> (i % 8);

		if ((p->addr[i / 8] & bit) != (addr[i / 8] & bit))
			return 0;
	}
	return 1;
}
