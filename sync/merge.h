/*
 * sync/merge.h — the merge rule engine: one device changeset merged into the
 * state of a replica with the conflict rules the schema declares
 * (docs/sync.md §3, exact semantics in docs/merge.md).
 *
 * The hub merges every device commit with it (HUB mode); a device re-applies
 * its own unacknowledged saves on top of the hub's new state with the same
 * code (REDO mode), so that both reach the same rows.
 *
 * Design notes
 *  1. ruhu_merge_apply() runs inside the caller's transaction (or opens one)
 *     under SAVEPOINT ruhu_merge: on any failure the database is exactly as
 *     before the call.  A change the rules refuse is not a failure: it is a
 *     decision (and, in HUB mode, a review item).
 *  2. The changeset is untrusted: it is checked whole (RUHU_ECORRUPT when
 *     malformed), and every table must be a record type of the schema with
 *     the schema's column count and key (RUHU_ESCHEMA) before anything is
 *     written.
 *  3. The merge walks the changeset with its own apply loop (never
 *     sqlite3changeset_apply): per change it reads the hub row, decides per
 *     field, and writes the merged row with one statement.  Prepared
 *     statements are cached per table for the whole call.
 *  4. The net changeset is what an SQLite session attached to every record
 *     table in schema order would record of the merge's writes, in
 *     canonical form (docs/changesets.md §2), and empty when nothing
 *     changed: the merge writes it itself as it writes rows (a session cost
 *     more than the rest of the merge; merge_net.c), and the tests compare
 *     it with a session's byte for byte.  Applied with
 *     sqlite3changeset_apply() to the state before the merge it gives the
 *     state after it.
 *  5. Provenance (core/provenance.h): every field the merge writes gets the
 *     incoming (hlc, origin); a record it inserts gets them as its insert
 *     clock; a record it deletes gets a tombstone — exactly what
 *     ruhu_provenance_record() of the net changeset would write, so a device
 *     that applies the merge's changeset keeps the same clocks.
 *  6. REDO mode makes the same decisions and writes the same rows as HUB
 *     mode; it only opens no review items (the value the hub keeps is kept).
 *  7. Everything in a result is owned by it (strings and values are copies)
 *     and lives until ruhu_merge_result_free().
 */
#ifndef RUHU_SYNC_MERGE_H
#define RUHU_SYNC_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "core/changeset.h"
#include "ruhu/common.h"
#include "ruhu/schema.h"

typedef enum {
	RUHU_MERGE_HUB = 0,   /**< the hub merges a device commit: reviews open */
	RUHU_MERGE_REDO = 1   /**< a device re-applies its pending save */
} ruhu_merge_mode;

#define RUHU_MERGE_OPTS_VERSION 1

/** Options of a merge (design note: version first, every zero a default). */
typedef struct {
	unsigned int version;   /**< RUHU_MERGE_OPTS_VERSION */
	ruhu_merge_mode mode;
	uint64_t hlc;           /**< the incoming commit's HLC (core/hlc.h) */
	const char *origin;     /**< the device id of the commit (required) */
	const char *worker;     /**< worker id for `append` attribution; NULL: "-" */
	const char *time;       /**< commit time for `append` attribution; NULL: the
	                             HLC's text form */
} ruhu_merge_opts;

#define RUHU_MERGE_OPTS_INIT { RUHU_MERGE_OPTS_VERSION, RUHU_MERGE_HUB, 0, NULL, NULL, NULL }

/** Set *opts to the defaults; RUHU_EINVALID for an unknown version. */
int ruhu_merge_opts_init(ruhu_merge_opts *opts, unsigned int version);

/**
 * One rule that fired, or one change refused or sent to review.  `field` is
 * NULL for a decision about the whole row.  Values that do not apply are
 * RUHU_CVAL_UNDEFINED (`\N` in decisions.txt, like NULL).
 */
typedef struct {
	const char *type;        /**< record type (table) */
	const char *id;          /**< record id */
	const char *field;       /**< field name, or NULL */
	const char *rule;        /**< lww, order, union, append, min, max, hub, device,
	                              review, delete_wins, update_wins, delete_review,
	                              immutable, parent_missing, record_missing,
	                              duplicate, insert_clash, constraint */
	ruhu_cval base, hub, device, result;
	long review;             /**< index into reviews, or -1 when none opened */
	const char *note;        /**< one line, "" when none */
} ruhu_merge_decision;

/** A review item to open on the hub (HUB mode only). */
typedef struct {
	const char *kind;        /**< the rule of the decision that opened it */
	const char *type;
	const char *id;
	const char *field;       /**< NULL for a row-level item */
	ruhu_cval base, hub, device;
	const unsigned char *change; /**< the device's change as a one-change changeset */
	size_t change_len;
	const char *other_id;    /**< `duplicate`: the other record's id; else NULL */
	const char *note;
} ruhu_merge_review;

typedef struct ruhu_merge_arena ruhu_merge_arena;

/** What a merge did (design note 7). */
typedef struct {
	ruhu_buf net;                    /**< canonical net changeset; size 0 when none */
	ruhu_merge_decision *decisions;
	size_t ndecisions;
	ruhu_merge_review *reviews;
	size_t nreviews;
	size_t changes;                  /**< changes seen */
	size_t applied;                  /**< changes that wrote something */
	size_t fields_merged;            /**< field conflicts decided by a rule */
	size_t refused;                  /**< changes not applied (refused or to review) */
	/* private */
	size_t dalloc, ralloc;
	ruhu_merge_arena *arena;
} ruhu_merge_result;

/**
 * Merge a device changeset into `db` (design notes 1-6).  `db` must have the
 * schema installed (ruhu_schema_install) and the provenance tables
 * (ruhu_provenance_init).  On success *out holds the result (free it with
 * ruhu_merge_result_free); on failure *out is NULL, the database is as it
 * was, and the error is RUHU_ECORRUPT (malformed changeset), RUHU_ESCHEMA
 * (a table or column count the schema does not have), RUHU_EINVALID (bad
 * options) or the error of the database.
 */
int ruhu_merge_apply(ruhu_merge_result **out, sqlite3 *db, const ruhu_schema *schema,
		     const void *changeset, size_t len, const ruhu_merge_opts *opts);

/**
 * Append decisions.txt (docs/sync.md §2, frozen): the header line
 * `type id field rule base hub device result note`, then one line per
 * decision, tab-separated, values escaped (`\t`, `\n`, `\\`, `\r`), NULL and
 * absent values as `\N`.
 */
int ruhu_merge_decisions_text(ruhu_buf *out, const ruhu_merge_result *res);

/** Free a result (NULL is fine). */
void ruhu_merge_result_free(ruhu_merge_result *res);

#endif
