/*
 * core/changeset.h — SQLite session changesets as ruhu uses them: a strict
 * parser, the canonical form that a device commit stores, decoded iteration
 * for the merge and the audit, and the readable `changes.txt`.
 *
 * Every save is one changeset taken from an SQLite session; canonicalised, it
 * becomes the `changeset` blob of a signed commit, so the same logical edit
 * must always give the same bytes.  Changesets also arrive from other devices
 * inside bundles: everything here treats the bytes as untrusted.
 *
 * Design notes
 *  1. One parser (changeset.c) checks every length, every type byte and every
 *     rule of the format before anything reads a value; what passes it is a
 *     changeset that sqlite3changeset_apply() and sqlite3changeset_invert()
 *     accept.  Anything else is RUHU_ECORRUPT with a message naming the byte
 *     offset.  Patchsets are refused.
 *  2. The canonical form (docs/changesets.md, frozen): tables in schema order,
 *     one header per table, rows sorted by their primary-key values, indirect
 *     flags cleared, varints minimal.  Canonicalising a canonical changeset
 *     gives the same bytes.
 *  3. A table may hold at most one change per primary key; a changeset with
 *     two is refused by ruhu_changeset_check() and _canonicalize() (no session
 *     or changegroup makes one, and the result of applying it would depend on
 *     order).  The walk, the iterator and the text check only the syntax.
 *  4. Decoded values (ruhu_cval) borrow their bytes from the changeset the
 *     caller handed in; they live as long as those bytes.
 *  5. Nothing here opens, commits or rolls back a transaction.  Functions that
 *     take a `sqlite3 *` only read the schema (PRAGMA table_info).
 *  6. Inputs above RUHU_CHANGESET_MAX_SIZE are refused: SQLite's own changeset
 *     API takes an int size.  Memory used while parsing grows linearly with
 *     the input, never with a length read from it.
 */
#ifndef RUHU_CORE_CHANGESET_H
#define RUHU_CORE_CHANGESET_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "ruhu/common.h"

/** Largest changeset accepted (bytes); SQLite takes an int. */
#define RUHU_CHANGESET_MAX_SIZE ((size_t)0x7fffffff)
/** Most columns a table header may declare (SQLite's hard limit). */
#define RUHU_CHANGESET_MAX_COLUMNS 32767

/** A field that an UPDATE leaves untouched (type byte 0x00). */
#define RUHU_CVAL_UNDEFINED 0

/**
 * A value of a changeset record, or of a row read from the database.  `type`
 * is RUHU_CVAL_UNDEFINED or one of SQLITE_INTEGER, SQLITE_FLOAT,
 * SQLITE_TEXT, SQLITE_BLOB, SQLITE_NULL (the changeset's own type bytes).
 * Text and blob bytes are borrowed (design note 4) and not NUL-terminated;
 * `p` may be NULL when `n` is 0.
 */
typedef struct {
	int type;
	int64_t i;
	double r;
	const unsigned char *p;
	size_t n;
} ruhu_cval;

/** Fill `out` from an SQLite value; text and blob bytes are borrowed from
 *  `v` and live as long as SQLite keeps `v` unchanged. */
void ruhu_cval_from_sqlite(ruhu_cval *out, sqlite3_value *v);

/** Fill `out` from column `col` of the current row of `stmt`; the bytes are
 *  borrowed until the statement is stepped, reset or finalized. */
void ruhu_cval_from_column(ruhu_cval *out, sqlite3_stmt *stmt, int col);

/** 1 when both values have the same type and the same bytes, else 0 (so an
 *  integer 1 and a real 1.0 differ, and so do 0.0 and -0.0). */
int ruhu_cval_equal(const ruhu_cval *a, const ruhu_cval *b);

/** Append the value in the changeset record encoding (type byte, then the
 *  big-endian 8 bytes of an integer or real, or a minimal varint length and
 *  the bytes of a text or blob). */
int ruhu_cval_put(ruhu_buf *out, const ruhu_cval *v);

/** Bind the value to parameter `idx` of `stmt` (an undefined value binds as
 *  NULL).  Returns 0 or a negative ruhu error with the message set. */
int ruhu_cval_bind(sqlite3_stmt *stmt, int idx, const ruhu_cval *v);

/** Append the value as changes.txt shows it (docs/changesets.md): integers
 *  in decimal, reals in the shortest form that reads back exactly, texts in
 *  double quotes with escapes, NULL, `<N bytes>` for blobs. */
int ruhu_cval_text(ruhu_buf *out, const ruhu_cval *v);

/**
 * Check that `data` is a well-formed changeset (design note 1).  Returns 0,
 * RUHU_ECORRUPT (with the offset in the message) or RUHU_EINVALID for an
 * input above RUHU_CHANGESET_MAX_SIZE.  This is the fuzz entry point: no
 * input makes it read outside data[0..len).
 */
int ruhu_changeset_check(const void *data, size_t len);

/** Count the changes of a changeset (checking it whole first). */
int ruhu_changeset_count(size_t *out, const void *data, size_t len);

/**
 * Append the canonical form of a changeset to `out` (design note 2).
 * `tables` lists the replicated tables in schema order; a table of the
 * changeset that is not in the list is refused with RUHU_ESCHEMA naming it.
 * On failure `out` keeps its old size.
 */
int ruhu_changeset_canonicalize(ruhu_buf *out, const void *data, size_t len,
				const char *const *tables, size_t ntables);

/** 1 when `data` is already in canonical form for `tables`, 0 when it is
 *  well formed but not canonical, or a negative error. */
int ruhu_changeset_is_canonical(const void *data, size_t len,
				const char *const *tables, size_t ntables);

/**
 * A callback that names column `col` (0-based, table order) of `table`, or
 * returns NULL when it does not know it.  The name must stay valid until the
 * iterator or text call that asked for it returns or is freed.
 */
typedef const char *(*ruhu_colname_fn)(const char *table, size_t col, void *payload);

/**
 * One change, decoded.  Everything is borrowed from the iterator and valid
 * until the next call to ruhu_changeset_iter_next() or _free().
 */
typedef struct {
	const char *table;              /**< NUL-terminated table name */
	int op;                         /**< SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE */
	int indirect;                   /**< the change's indirect flag */
	size_t ncol;                    /**< columns of the table header */
	const unsigned char *pk;        /**< ncol flags: nonzero = primary-key column */
	const ruhu_cval *old_values;   /**< ncol; all undefined for an INSERT */
	const ruhu_cval *new_values;   /**< ncol; all undefined for a DELETE */
	const char *const *columns;     /**< ncol names (NULL entries when unknown) */
	const char *key;                /**< the primary key as text (changes.txt) */
} ruhu_change;

/**
 * 1 when the change sets column `col`: every column of an INSERT or DELETE,
 * the columns an UPDATE changed.  Primary-key columns of an UPDATE are not
 * changed (a key change is a DELETE and an INSERT).
 */
static inline int ruhu_change_changed(const ruhu_change *c, size_t col)
{
	if (col >= c->ncol)
		return 0;
	if (c->op == SQLITE_UPDATE)
		return c->new_values[col].type != RUHU_CVAL_UNDEFINED;
	return 1;
}

typedef struct ruhu_changeset_iter ruhu_changeset_iter;

/**
 * Start iterating over a changeset.  The whole changeset is checked first, so
 * that _next() never meets malformed bytes.  Column names come from `db`
 * (PRAGMA table_info of each table, when `db` is not NULL and has the table)
 * or else from `colname`; both may be NULL.  A table that has fewer columns
 * in `db` than in the changeset is refused with RUHU_ESCHEMA (the changeset
 * is from a newer schema).  The bytes must outlive the iterator.  On failure
 * `*out` is NULL.
 */
int ruhu_changeset_iter_new(ruhu_changeset_iter **out, const void *data, size_t len,
			    sqlite3 *db, ruhu_colname_fn colname, void *payload);

/** Decode the next change into `*out`: returns 1, 0 at the end, or a
 *  negative error (only RUHU_ENOMEM). */
int ruhu_changeset_iter_next(const ruhu_change **out, ruhu_changeset_iter *it);

/** Free an iterator (NULL is fine). */
void ruhu_changeset_iter_free(ruhu_changeset_iter *it);

/**
 * Append the changes.txt form of a changeset to `out` (docs/changesets.md):
 * one line per field change, in the changeset's order (render the canonical
 * form to get a canonical text).  Names come as for ruhu_changeset_iter_new;
 * an unknown column shows as `#<index>`.  On failure `out` keeps its size.
 */
int ruhu_changeset_text(ruhu_buf *out, const void *data, size_t len,
			sqlite3 *db, ruhu_colname_fn colname, void *payload);

/* ---- for core's own modules (digest.c) -------------------------------- */

/** A checked table header (borrowed from the changeset bytes). */
typedef struct {
	const char *name;               /**< NUL-terminated inside the changeset */
	size_t ncol;
	const unsigned char *pk;        /**< ncol flags */
} ruhu_chg_table;

/** A checked change; records point into the changeset bytes. */
typedef struct {
	int op;
	int indirect;
	const unsigned char *start;     /**< the op byte */
	const unsigned char *end;       /**< one past the last byte */
	const unsigned char *old_rec;   /**< old.* record or NULL (INSERT) */
	const unsigned char *new_rec;   /**< new.* record or NULL (DELETE) */
} ruhu_chg_rec;

typedef int (*ruhu_chg_walk_fn)(const ruhu_chg_table *t, const ruhu_chg_rec *r, void *payload);

/**
 * Check the changeset and call `cb` for each change in order.  The whole
 * changeset is checked before the first call, so the callback never sees a
 * part of a changeset that is refused later.  A negative return from `cb`
 * stops the walk and is returned as is.
 */
int ruhu_changeset_walk(const void *data, size_t len, ruhu_chg_walk_fn cb, void *payload);

/** Decode a record that ruhu_changeset_walk() handed out into `ncol` values. */
void ruhu_chg_decode(ruhu_cval *out, const unsigned char *rec, size_t ncol);

/** Decode a varint of accepted bytes; returns the byte after it. */
const unsigned char *ruhu_chg_read_varint(uint64_t *out, const unsigned char *p);

/** Skip one field of an accepted record. */
const unsigned char *ruhu_chg_skip_field(const unsigned char *p);

/** The end of a record that ruhu_changeset_walk() accepted. */
const unsigned char *ruhu_chg_skip_record(const unsigned char *rec, size_t ncol);

/** Read an accepted table header at `p` (its 'T' byte); returns the byte
 *  after it. */
const unsigned char *ruhu_chg_read_header(ruhu_chg_table *t, const unsigned char *p);

/** Append `v` as an SQLite varint (minimal length). */
int ruhu_chg_put_varint(ruhu_buf *out, uint64_t v);

#endif
