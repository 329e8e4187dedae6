/*
 * kvdoc.h — small signed text documents: the enrolment request a tablet
 * hands its hub, the device certificate the hub gives back, and the hub's
 * identity inside a reply.
 *
 * Format (frozen, version 1): UTF-8 text lines ending in "\n".
 *
 *   LINE 1      the document's magic, e.g. "ruhu enrolment request 1"
 *   LINES 2..   "key: value" — key [a-z-]{1,24}, value without control
 *               characters, at most 1024 bytes; each key at most once
 *   LAST LINE   "signature: " + base64 of the 64-byte Ed25519 signature of
 *               every byte before this line (signed documents only)
 *
 * At most 32 lines and 16 KiB; anything else is refused (RUHU_ECORRUPT),
 * naming the line.  Values are data to the reader, never instructions.
 */
#ifndef RUHU_SYNC_KVDOC_H
#define RUHU_SYNC_KVDOC_H

#include <stddef.h>

#include "core/crypto.h"
#include "ruhu/common.h"

#define RUHU_KVDOC_MAX_ITEMS 32

typedef struct {
	struct {
		char *key;
		char *value;
	} items[RUHU_KVDOC_MAX_ITEMS];
	size_t count;
	size_t signed_len;                 /* bytes the signature covers */
	unsigned char signature[64];
	int has_signature;
	char *text_;                       /* owned copy */
	const unsigned char *data_;        /* the parsed bytes (borrowed) */
} ruhu_kvdoc;

/* Write a document; with `key` it is signed.  Values are checked. */
int ruhu_kvdoc_write(ruhu_buf *out, const char *magic, const char *const *keys,
		     const char *const *values, size_t n, const ruhu_signkey *key);
/* Parse a document whose first line is `magic`; `want_signature` 1 refuses
 * an unsigned one, 0 refuses a signed one. */
int ruhu_kvdoc_parse(ruhu_kvdoc *out, const void *data, size_t len, const char *magic,
		     int want_signature);
/* Verify the signature with a public key (RUHU_EAUTH when it fails). */
int ruhu_kvdoc_verify(const ruhu_kvdoc *doc, const unsigned char pk[32]);
/* A value, or NULL. */
const char *ruhu_kvdoc_get(const ruhu_kvdoc *doc, const char *key);
/* A value that must be there (RUHU_ECORRUPT naming `what` when missing). */
int ruhu_kvdoc_need(const char **out, const ruhu_kvdoc *doc, const char *key, const char *what);
/* A base64 value that must decode to exactly 32 bytes (a public key). */
int ruhu_kvdoc_key(unsigned char out[32], const ruhu_kvdoc *doc, const char *key, const char *what);
void ruhu_kvdoc_dispose(ruhu_kvdoc *doc);

#endif
