/*
 * core/provenance.h — field provenance: which edit set each field's current
 * value (for the `lww` rule), and the last row of every deleted record (for
 * `update_wins` and "parent record deleted").  Local bookkeeping, kept on the
 * hub and on every device, never replicated (docs/sync.md §1, docs/merge.md).
 *
 * Design notes
 *  1. Two tables, made by ruhu_provenance_init():
 *       _field_clock(type TEXT, id TEXT, clock BLOB)   one row per record
 *       _tombstone(type TEXT, id TEXT, row BLOB, hlc INTEGER, origin TEXT,
 *                  commit_id TEXT)                     one row per deleted record
 *       _origin(n INTEGER PRIMARY KEY, id TEXT UNIQUE)  origin ids, interned
 *     The clock blob is frozen in provenance.c (OFFSET/SIZE/DESCRIPTION): the
 *     record's insert clock, then (column, hlc, origin) entries sorted by
 *     column.  One row per record, so that a changed row costs one read and
 *     one write, however many of its fields changed.
 *  2. A field without an entry has the record's insert clock; a record
 *     without a clock row has clock 0 and origin "" (older than any edit).
 *  3. ruhu_provenance_record() is for a changeset *whose effect is in the
 *     database*: INSERT → the record's clock is (hlc, origin) for every
 *     field and its tombstone is cleared; UPDATE → the changed columns get
 *     (hlc, origin); DELETE → the clock row goes and a tombstone holds the
 *     whole old row.  The save engine calls it for local saves, device pull
 *     for main's changesets; the merge keeps the same bookkeeping itself
 *     (the same functions below) for what it writes, so the two agree.
 *  4. lww order: (hlc, origin) pairs compare by hlc, then by the bytes of
 *     the origin id (the greater wins) — ruhu_provenance_later().
 *  5. Nothing here begins or ends a transaction; the record function uses
 *     SAVEPOINT ruhu_provenance, so on failure it changes nothing.
 */
#ifndef RUHU_CORE_PROVENANCE_H
#define RUHU_CORE_PROVENANCE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "core/changeset.h"
#include "ruhu/common.h"

/** Longest origin (replica id) accepted, in bytes. */
#define RUHU_PROVENANCE_ORIGIN_MAX 128

/** Create the provenance tables if missing (in the caller's transaction). */
int ruhu_provenance_init(sqlite3 *db);

/**
 * Update clocks and tombstones for a changeset whose effect is already in
 * `db` (design note 3).  `origin` is the replica id of the edit's author
 * (device or hub), 1 to RUHU_PROVENANCE_ORIGIN_MAX bytes; `commit` (may be
 * NULL) is the id of the commit that holds the changeset, kept with
 * tombstones.  RUHU_ECORRUPT for a malformed changeset; on failure nothing
 * changes.
 */
int ruhu_provenance_record(sqlite3 *db, const void *changeset, size_t len, uint64_t hlc,
			   const char *origin, const char *commit);

/**
 * The clock of field `col` (0-based, table order) of record `id` of `type`:
 * *hlc and `origin` (cleared first; empty for a record with no clock).
 * Always succeeds for a known table, with 0 / "" when there is no entry.
 */
int ruhu_provenance_clock(uint64_t *hlc, ruhu_buf *origin, sqlite3 *db, const char *type,
			  const char *id, size_t col);

/** What a tombstone says about a deleted record. */
typedef struct {
	uint64_t hlc;       /**< clock of the delete */
	ruhu_buf origin;    /**< replica id of the delete's author */
	ruhu_buf commit;    /**< commit id, empty when not known */
	ruhu_buf row;       /**< the last row: a one-change changeset (a DELETE) */
} ruhu_tombstone;

#define RUHU_TOMBSTONE_INIT { 0, RUHU_BUF_INIT, RUHU_BUF_INIT, RUHU_BUF_INIT }

/** Fill `out` (its buffers are cleared first) with the tombstone of record
 *  `id` of `type`; RUHU_ENOTFOUND when there is none. */
int ruhu_provenance_tombstone(ruhu_tombstone *out, sqlite3 *db, const char *type, const char *id);
/** Free the buffers of a tombstone. */
void ruhu_tombstone_dispose(ruhu_tombstone *t);

/** Fill in the commit of tombstones written with (hlc, origin) and no commit
 *  yet: for callers that know the commit id only after recording. */
int ruhu_provenance_set_commit(sqlite3 *db, uint64_t hlc, const char *origin, const char *commit);

/** 1 when (hlc_a, origin_a) is later than (hlc_b, origin_b) (design note 4). */
int ruhu_provenance_later(uint64_t hlc_a, const char *origin_a, size_t na,
			  uint64_t hlc_b, const char *origin_b, size_t nb);

/* ---- for the merge (sync/merge.c): statements cached for one call ------- */

typedef struct ruhu_prov ruhu_prov;

/** Prepare the statements (the tables must exist).  Free with _close. */
int ruhu_prov_open(ruhu_prov **out, sqlite3 *db);
void ruhu_prov_close(ruhu_prov *p);

/** The origin's index in _origin (made when new). */
int ruhu_prov_origin_index(uint32_t *out, ruhu_prov *p, const char *origin);
/** The origin id of an index (borrowed from `p` until the next call). */
int ruhu_prov_origin_name(const char **out, size_t *len, ruhu_prov *p, uint32_t index);

/** A record's clock, decoded. */
typedef struct {
	uint64_t row_hlc;     /**< insert clock (0: none) */
	uint32_t row_origin;  /**< its origin index (0: none) */
	size_t n;             /**< entries */
	size_t alloc;
	struct ruhu_prov_entry {
		uint32_t col;
		uint32_t origin;
		uint64_t hlc;
	} *e;                 /**< sorted by col */
	int present;          /**< 1 when the record has a clock row */
} ruhu_prov_clock;

/** Read a record's clock into `c` (reusing its memory); an empty clock when
 *  there is none.  A damaged blob is RUHU_ECORRUPT. */
int ruhu_prov_get(ruhu_prov_clock *c, ruhu_prov *p, const char *type, const char *id);
/** The (hlc, origin index) of column `col` in `c` (note 2). */
void ruhu_prov_field(uint64_t *hlc, uint32_t *origin, const ruhu_prov_clock *c, uint32_t col);
/** Set column `col` to (hlc, origin). */
int ruhu_prov_set_field(ruhu_prov_clock *c, uint32_t col, uint64_t hlc, uint32_t origin);
/** Set the columns flagged in `set` (ncol flags) to (hlc, origin) in the
 *  record's clock with one statement, without reading it first (a record
 *  without a clock gets clock 0 for its other fields). */
int ruhu_prov_touch(ruhu_prov *p, const char *type, const char *id, const unsigned char *set,
		    size_t ncol, uint64_t hlc, uint32_t origin);
/** Write `c` as the record's clock. */
int ruhu_prov_put(ruhu_prov *p, const char *type, const char *id, const ruhu_prov_clock *c);
/** The record was inserted at (hlc, origin): clock reset, tombstone cleared. */
int ruhu_prov_inserted(ruhu_prov *p, const char *type, const char *id, uint64_t hlc,
		       uint32_t origin);
/** The record was deleted: clock row removed, tombstone (row = a one-change
 *  DELETE changeset of `len` bytes) written. */
int ruhu_prov_deleted(ruhu_prov *p, const char *type, const char *id, const void *row,
		      size_t len, uint64_t hlc, const char *origin, const char *commit);
/** Read a tombstone: *found = 0 when none; else row bytes in `row`. */
int ruhu_prov_tomb(int *found, ruhu_buf *row, ruhu_prov *p, const char *type, const char *id);
void ruhu_prov_clock_dispose(ruhu_prov_clock *c);

/** Append a one-change changeset for a DELETE checked by the changeset
 *  walk: the table header, the op and the old record bytes as they are. */
int ruhu_prov_delete_changeset(ruhu_buf *out, const ruhu_chg_table *t, const unsigned char *old_rec,
			       const unsigned char *end);
/** Append a one-change changeset built from values: table `table` of `ncol`
 *  columns keyed by column `key`; `old_values` for an UPDATE or DELETE,
 *  `new_values` for an INSERT or UPDATE (undefined where an UPDATE leaves a
 *  column alone), encoded as SQLite writes them. */
int ruhu_prov_change_bytes(ruhu_buf *out, const char *table, size_t ncol, size_t key, int op,
			   const ruhu_cval *old_values, const ruhu_cval *new_values);

#endif
