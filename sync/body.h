/*
 * body.h — the plaintext inside a reply envelope: named sections of bytes.
 *
 * Format (frozen, version 1): a header of text lines, then the sections'
 * bytes one after another in header order.
 *
 *   ruhu sync body 1\n
 *   section NAME LENGTH\n        (0 to 16 times; NAME [a-z-]{1,24}, LENGTH decimal)
 *   \n
 *   <LENGTH bytes of the first section><LENGTH bytes of the second>...
 *
 * Sections a reply may carry: `hub` (the hub's identity, key: value lines),
 * `certificate` (the device certificate), `signers` (the keys the hub
 * knows), `catalogue` (the centre's catalogue file), `bundle` (a git v2
 * bundle of main).  The parser checks every length, refuses a name twice,
 * and caps the header at 4 KiB; the bytes after the last section must be
 * none.
 */
#ifndef RUHU_SYNC_BODY_H
#define RUHU_SYNC_BODY_H

#include <stddef.h>

#include "ruhu/common.h"

#define RUHU_BODY_MAX_SECTIONS 16

typedef struct {
	struct {
		char name[25];
		const unsigned char *data; /* borrowed from the parsed bytes */
		size_t len;
	} sections[RUHU_BODY_MAX_SECTIONS];
	size_t count;
} ruhu_body;

/* Start a body with `count` sections; then append each section's bytes
 * with ruhu_buf_put in the same order. */
int ruhu_body_header(ruhu_buf *out, const char *const *names, const size_t *lens, size_t count);
/* Parse a body (untrusted); sections point into `data`. */
int ruhu_body_parse(ruhu_body *out, const void *data, size_t len);
/* A section by name, or NULL (len set to 0). */
const unsigned char *ruhu_body_section(const ruhu_body *b, const char *name, size_t *len);

#endif
