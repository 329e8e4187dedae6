/*
 * meta.h — the replica's `_meta` table: small named settings and counters
 * (identity, sequence, open visit, current worker, clock, digest).
 *
 * Design notes
 *  1. `_meta(key TEXT PRIMARY KEY, value ANY) STRICT` is made when the
 *     replica is created (core/replica.c).  Keys are fixed strings, listed in
 *     docs/sync.md §1; values are TEXT or INTEGER.
 *  2. Every function works inside the caller's transaction and never opens
 *     one.  A missing key is RUHU_ENOTFOUND with a message naming it.
 */
#ifndef RUHU_CORE_META_H
#define RUHU_CORE_META_H

#include <stdint.h>

#include <sqlite3.h>

#include "ruhu/common.h"

/* The text of key (cleared first); RUHU_ENOTFOUND when unset. */
int ruhu_meta_get(ruhu_buf *out, sqlite3 *db, const char *key);
/* The integer of key; RUHU_ENOTFOUND when unset. */
int ruhu_meta_get_int(int64_t *out, sqlite3 *db, const char *key);
/* Like ruhu_meta_get_int, but `dflt` when unset. */
int ruhu_meta_int_or(int64_t *out, sqlite3 *db, const char *key, int64_t dflt);
/* Set key to text; NULL deletes the key. */
int ruhu_meta_set(sqlite3 *db, const char *key, const char *value);
int ruhu_meta_set_int(sqlite3 *db, const char *key, int64_t value);

/* Report an SQLite failure of `db` as "cannot WHAT: message" (RUHU_ERROR,
 * or the codes of ruhu_replica_sqlite_error for busy, full, read-only and
 * corrupt); returns the code. */
int ruhu_sql_error(sqlite3 *db, int rc, const char *what);

#endif
