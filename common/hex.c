// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>
#include "hex.h"

void tn_hex_encode(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = '\0';
}

char *tn_hex_dup(const uint8_t *buf, size_t len)
{
	char *s = malloc(2 * len + 1);

	if (s)
		tn_hex_encode(buf, len, s);
	return s;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tn_hex_decode(const char *hex, uint8_t *out, size_t max, size_t *len,
		  const char *what, struct tn_err *err)
{
	size_t n;

	if (!hex)
		return tn_fail(err, "%s is missing", what);
	n = strlen(hex);
	if (n % 2)
		return tn_fail(err, "%s is not hex: odd length %zu", what, n);
	if (n / 2 > max)
		return tn_fail(err, "%s is too long: %zu bytes, at most %zu",
			       what, n / 2, max);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return tn_fail(err, "%s is not hex: bad character at offset %zu",
				       what, hi < 0 ? 2 * i : 2 * i + 1);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}
