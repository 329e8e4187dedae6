/*
 * core/digest.h — the state digest: an order-independent hash over every
 * replicated row of a replica, kept up to date per change (DESIGN decision 9).
 *
 * Every main commit records the digest after it; a device that applied main
 * must reach the same digest, or it has diverged.  The encoding is frozen in
 * docs/changesets.md and at the top of digest.c.
 *
 * Design notes
 *  1. digest = sum over rows of H(row), lane by lane: H is BLAKE2b-256 of the
 *     row's canonical encoding, read as four 64-bit little-endian lanes, and
 *     the sum is mod 2^64 per lane.  It is a multiset hash: the order rows
 *     were added in does not matter, and removing a row undoes adding it.
 *     The empty replica has the zero digest.
 *  2. What it is for: detecting divergence between replicas and accidental
 *     change.  It is not a defence against a forger who may choose rows
 *     (sums of hashes admit crafted collisions); `audit verify` replays the
 *     signed history and compares row by row for that.
 *  3. Functions that take a `sqlite3 *` only read rows and the schema, except
 *     ruhu_digest_store(), which writes `_meta`; none opens or ends a
 *     transaction.  On failure a digest passed in keeps its old value.
 */
#ifndef RUHU_CORE_DIGEST_H
#define RUHU_CORE_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "core/changeset.h"
#include "ruhu/common.h"

/** Length of the hex form, without the terminator. */
#define RUHU_DIGEST_HEX_LEN 64

/** A state digest (zero-initialise for the empty state). */
typedef struct {
	uint64_t lane[4];
} ruhu_digest;

#define RUHU_DIGEST_INIT { { 0, 0, 0, 0 } }

/** 1 when both digests are the same. */
int ruhu_digest_equal(const ruhu_digest *a, const ruhu_digest *b);

/** H(row): BLAKE2b-256 of the row's canonical encoding.  Every value must be
 *  defined (no RUHU_CVAL_UNDEFINED). */
int ruhu_digest_row_hash(unsigned char out[32], const char *table,
			 const ruhu_cval *vals, size_t ncol);

/** Add a row to, or remove it from, the digest. */
int ruhu_digest_add_row(ruhu_digest *d, const char *table, const ruhu_cval *vals, size_t ncol);
int ruhu_digest_remove_row(ruhu_digest *d, const char *table, const ruhu_cval *vals, size_t ncol);

/** Recompute the digest from scratch over every row of `tables` (in `main`).
 *  A missing table is an error (RUHU_ESCHEMA). */
int ruhu_digest_compute(ruhu_digest *out, sqlite3 *db, const char *const *tables,
			size_t ntables);

/**
 * Update `d` for a changeset whose effect is already in `db`: an INSERT adds
 * its new row, a DELETE removes its old row, an UPDATE reads the row by key
 * from `db` (the after-row) and rebuilds the before-row from the changeset's
 * old values.  The changeset must have been applied as it is (no conflict
 * resolved by REPLACE or by a handler that wrote other values; digest the
 * net changeset of a merge instead).  Refused: a table whose columns or key
 * differ from the changeset's header (RUHU_ESCHEMA); an UPDATE whose row is
 * missing or whose new values are not what the row holds (RUHU_ECONFLICT).
 * On failure `d` is unchanged.
 */
int ruhu_digest_apply_changeset(ruhu_digest *d, sqlite3 *db, const void *data, size_t len);

/** The 64-character lowercase hex form (the 32 bytes of the four lanes,
 *  little-endian each); `out` gets a terminator. */
void ruhu_digest_hex(char out[RUHU_DIGEST_HEX_LEN + 1], const ruhu_digest *d);

/** Parse the hex form (exactly 64 lowercase hex digits); RUHU_EINVALID
 *  otherwise. */
int ruhu_digest_parse_hex(ruhu_digest *out, const char *text, size_t len);

/** Read the digest kept in `_meta` (key `digest`): RUHU_ENOTFOUND when there
 *  is none, RUHU_ECORRUPT when the stored value is not a digest. */
int ruhu_digest_load(ruhu_digest *out, sqlite3 *db);

/** Write the digest into `_meta` (key `digest`), in the caller's transaction. */
int ruhu_digest_store(sqlite3 *db, const ruhu_digest *d);

#endif
