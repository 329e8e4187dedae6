/*
 * core/odb.h — the object store: git objects in a table of the replica,
 * served to libgit2 through a custom object database backend, and the pack
 * reader that ingests git packs (plain and thin) into that table.
 *
 * Design notes
 *  1. Objects live raw (type, size, bytes) in
 *       _objects(oid BLOB PRIMARY KEY, type INTEGER, size INTEGER, data BLOB)
 *     a rowid table (objects can be megabytes; WITHOUT ROWID would put whole
 *     rows in the key's b-tree).  `size` sits before `data` so that a header
 *     read never touches the overflow pages of a large blob.
 *  2. The repository from ruhu_odb_open has no folder, an empty config, and
 *     no refs: refs live in _refs (core/refs.h); walk from oids.  Nothing is
 *     ever written outside the database handed in.
 *  3. The caller owns transactions.  Object writes run on the caller's
 *     connection inside whatever transaction is open; a pack is written inside
 *     one SAVEPOINT, released on success and rolled back on any failure, so a
 *     bad pack leaves the table as it was.  Nothing here commits.
 *  4. libgit2 keeps an object cache per repository.  After the caller rolls
 *     back a transaction in which objects were read back, free the repository
 *     and open it again: the cache may still answer for them.
 *  5. libgit2 holds a lock while it calls the backend: no backend callback
 *     calls into libgit2's object database; the pack writer reads thin-pack
 *     bases straight from the table.
 *  6. The repository borrows the connection: free the repository before
 *     closing the connection.  One repository and one connection per thread.
 */
#ifndef RUHU_CORE_ODB_H
#define RUHU_CORE_ODB_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>
#include <sqlite3.h>

#include "ruhu/common.h"

/** Create _objects when missing (idempotent; runs in the caller's transaction). */
int ruhu_odb_init(sqlite3 *db);

/**
 * Open a repository whose object database is the _objects table of `db`
 * (created when missing).  *out is the caller's (git_repository_free), and
 * must be freed before `db` is closed.  On failure *out is NULL.
 */
int ruhu_odb_open(git_repository **out, sqlite3 *db);

/** The connection behind a repository from ruhu_odb_open, or NULL. */
sqlite3 *ruhu_odb_db(git_repository *repo);

/**
 * Set the last error from libgit2's last error after a libgit2 call returned
 * `giterr` (< 0): "<what>: <libgit2 message>".  Returns the matching ruhu
 * code (not found, corrupt for a hash mismatch, out of memory when libgit2
 * ran out, -1 otherwise).
 */
int ruhu_git_error(int giterr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* When the object store's last call failed in SQLite (odb.c, design note 6):
 * that error, set again with its code (out of memory, i/o, full disk), and
 * forgotten; else 0. */
int ruhu_odb_take_failure(void);

/* --- packs ----------------------------------------------------------------- */

/** Caps against lying pack headers; zero means the default. */
typedef struct {
	unsigned int version;
	size_t max_objects;       /**< objects in one pack (default 1,000,000) */
	size_t max_object_size;   /**< inflated size of one object or delta (256 MiB) */
	uint64_t max_inflated;    /**< inflated bytes over the whole pack (8 GiB) */
	size_t max_delta_depth;   /**< length of a delta chain (4,096) */
	size_t max_pack_size;     /**< bytes a git_odb_writepack accepts (2 GiB) */
} ruhu_pack_opts;

#define RUHU_PACK_OPTS_VERSION 1
#define RUHU_PACK_OPTS_INIT { RUHU_PACK_OPTS_VERSION, 0, 0, 0, 0, 0 }
int ruhu_pack_opts_init(ruhu_pack_opts *opts, unsigned int version);

/**
 * Called once per object of the pack, in an order where every delta comes
 * after its base.  `data` is borrowed for the call.  A negative return stops
 * the parse and is returned from it.
 */
typedef int (*ruhu_pack_object_cb)(const git_oid *oid, git_object_t type,
	const void *data, size_t len, void *payload);

/**
 * Asked for a delta base that is not in the pack (a thin pack).  On success
 * *out is malloc()ed bytes the parser frees; return RUHU_ENOTFOUND when the
 * base is unknown.  The parser checks that the bytes hash to `oid`.
 */
typedef int (*ruhu_pack_base_cb)(void **out, size_t *out_len, git_object_t *out_type,
	const git_oid *oid, void *payload);

/**
 * Parse a whole pack (version 2 or 3) held in memory: check the trailing
 * SHA-1, inflate every entry, resolve OFS and REF deltas (asking `base_cb`,
 * which may be NULL, for bases outside the pack), check every object, and
 * hand each to `object_cb` with its computed id.  Every length and size is
 * checked against the buffer and `opts` (NULL for defaults).  Returns 0 and
 * the number of objects in *out_objects (may be NULL), or RUHU_ECORRUPT for a
 * damaged pack, RUHU_ENOTFOUND when a thin base is missing, RUHU_EINVALID when
 * a cap is passed, or what a callback returned.  The fuzz entry point.
 */
int ruhu_pack_parse(size_t *out_objects, const void *pack, size_t len,
	const ruhu_pack_opts *opts, ruhu_pack_base_cb base_cb, ruhu_pack_object_cb object_cb,
	void *payload);

/**
 * Write every object of `pack` into the store of `repo` (from ruhu_odb_open)
 * inside one SAVEPOINT (design note 3): all of it, or nothing.  Thin-pack
 * bases are read from the table.  Objects already stored are skipped;
 * *out_objects (may be NULL) gets the number of objects in the pack.
 */
int ruhu_odb_write_pack(size_t *out_objects, git_repository *repo, const void *pack, size_t len,
	const ruhu_pack_opts *opts);

/**
 * Apply git delta `delta` to `base` (odb_delta.c): *out is a malloc()ed
 * buffer of *outlen bytes, the caller's.  RUHU_ECORRUPT for a damaged delta
 * or a base of the wrong size, RUHU_EINVALID for a result over `max` bytes;
 * `base_id` names the base in messages.
 */
int ruhu_delta_apply(unsigned char **out, size_t *outlen, const unsigned char *base,
	size_t blen, const unsigned char *delta, size_t dlen, size_t max, const git_oid *base_id);

/** SHA-1 of a buffer (the pack trailer; object ids use libgit2's hashing). */
void ruhu_pack_sha1(unsigned char out[20], const void *data, size_t len);

#endif
