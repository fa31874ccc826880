/* SPDX-License-Identifier: GPL-2.0-only */
/* Lowercase hex, the encoding of every binary value in trustnode's JSON. */
#ifndef TN_HEX_H
#define TN_HEX_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* Writes 2*len+1 bytes (NUL-terminated) to out. */
void tn_hex_encode(const uint8_t *buf, size_t len, char *out);
/* As tn_hex_encode, into a malloc'd string (NULL when out of memory). */
char *tn_hex_dup(const uint8_t *buf, size_t len);
/*
 * Decodes hex (upper or lower case, even length, nothing else) into out,
 * which holds max bytes. what names the value in the error sentence.
 */
int tn_hex_decode(const char *hex, uint8_t *out, size_t max, size_t *len,
		  const char *what, struct tn_err *err);

#endif
