/*
 * core/refs.h — named pointers to commits ("refs/heads/main",
 * "refs/devices/tab-07") in the _refs table of a replica.  libgit2's ref API
 * is never used on the object store (it would write into the current folder).
 *
 * Design notes
 *  1. _refs(name TEXT PRIMARY KEY, oid BLOB NOT NULL): one row per ref, the
 *     20-byte id of the commit.  Created by the first write (ruhu_refs_init
 *     makes it ahead of time); a read on a replica without it finds nothing.
 *  2. Names follow git's rules (git_reference_name_is_valid) and start with
 *     "refs/", so that an exported repository can hold them as they are.
 *  3. ruhu_refs_set with an expected value is a compare-and-swap done in one
 *     SQL statement, so two writers on one replica cannot both win: the loser
 *     gets RUHU_ECONFLICT and the ref is untouched.  Every write runs in the
 *     caller's transaction; nothing here commits.
 */
#ifndef RUHU_CORE_REFS_H
#define RUHU_CORE_REFS_H

#include <git2/oid.h>
#include <sqlite3.h>

#include "ruhu/common.h"

/** Create _refs when missing (idempotent). */
int ruhu_refs_init(sqlite3 *db);

/** The commit `name` points at; RUHU_ENOTFOUND when there is no such ref. */
int ruhu_refs_get(git_oid *out, sqlite3 *db, const char *name);

/**
 * Point `name` at `oid`.  `expected` NULL: unconditionally.  `expected` the
 * zero id: only when the ref does not exist yet.  Otherwise: only when the
 * ref currently points at *expected.  A mismatch is RUHU_ECONFLICT (the
 * message names the ref and both ids); an invalid name RUHU_EINVALID.
 */
int ruhu_refs_set(sqlite3 *db, const char *name, const git_oid *oid, const git_oid *expected);

/**
 * Remove `name`; with `expected` (not NULL) only when it points there
 * (RUHU_ECONFLICT otherwise).  RUHU_ENOTFOUND when there is no such ref.
 */
int ruhu_refs_delete(sqlite3 *db, const char *name, const git_oid *expected);

/**
 * Call `cb` for every ref whose name starts with `prefix` ("" or NULL for
 * all), in name order.  The refs are read first, so `cb` may change _refs.
 * A non-zero return from `cb` stops the walk and is returned.
 */
typedef int (*ruhu_refs_cb)(const char *name, const git_oid *oid, void *payload);
int ruhu_refs_foreach(sqlite3 *db, const char *prefix, ruhu_refs_cb cb, void *payload);

#endif
