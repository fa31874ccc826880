/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A signed message is built field by field at fixed offsets (a label with
 * its NUL, fixed-size byte strings, big-endian integers): the audit log's
 * checkpoint and the log reader's request. Each step returns the end.
 */
#ifndef TN_SIGNED_MSG_H
#define TN_SIGNED_MSG_H

#include <stdint.h>
#include <string.h>

static inline uint8_t *tn_msg_put(uint8_t *p, const void *b, size_t n)
{
	memcpy(p, b, n);
	return p + n;
}

static inline uint8_t *tn_msg_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
	return p + 8;
}

#endif
