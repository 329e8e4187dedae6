/*
 * save.h — turning a changeset whose effect is already in the replica into
 * a signed commit on the replica's branch (docs/sync.md §2).  Used by
 * ruhu_edit_commit for every save, and by sync for the hub's merges.
 */
#ifndef RUHU_CORE_SAVE_H
#define RUHU_CORE_SAVE_H

#include <git2.h>

#include "core/commit.h"
#include "core/replica.h"
#include "ruhu/schema.h"

#define RUHU_SAVE_LOCAL 1u   /* a save made on this replica (visit, pending) */

typedef struct {
	const void *changeset;        /* canonical; its effect is in the database */
	size_t len;
	const char *subject;          /* NULL: made from the changes */
	const ruhu_tree_entry *extra; /* more tree entries (attachments, decisions.txt) */
	size_t nextra;
	const ruhu_trailer *trailers; /* after the standard trailers */
	size_t ntrailers;
	const git_oid *merge_parent;  /* second parent: the device commit merged */
	const char *author_name;      /* NULL: the current worker, else the replica */
	const char *author_email;
	const char *worker_id;        /* Ruhu-Worker; NULL: the current worker */
	const char *visit_id;         /* Ruhu-Visit; NULL: the open visit (LOCAL) */
	uint64_t hlc;                 /* 0: a new tick of the replica's clock; else
				       * this timestamp, which the clock observes */
	unsigned int flags;
} ruhu_save_spec;

/*
 * In the caller's transaction: fold the changeset into the state digest,
 * tick the clock, take the next sequence number, write `changeset`,
 * `changes.txt` and the extra entries as a tree, sign the commit with the
 * replica's key, move the branch (`_meta.branch`, compare-and-swap on the
 * old head), record a local save as pending when the replica tracks pending
 * saves (`_meta.track_pending`), and its field clocks when the replica is a
 * merge authority (`_meta.authority`).  Fills `out` (may be NULL).
 */
int ruhu_save_commit(ruhu_save_info *out, ruhu_replica *r, const ruhu_save_spec *spec);

/*
 * The changeset of a pending save, from a row whose columns 1 and 2 are
 * `_pending.oid` and `_pending.changeset`: the stored one, or — the column
 * NULL, as the save left it until a rebase rewrites it — the changeset of
 * the save's own commit, read into `own`.  `*cs` and `*len` stay valid until
 * the next step of the row or the next use of `own`.
 */
int ruhu_pending_changeset(const void **cs, size_t *len, ruhu_buf *own, git_repository *repo,
	sqlite3_stmt *row);

/* A subject line for a changeset: "add 1 person, change 2 applications". */
int ruhu_save_subject(ruhu_buf *out, const void *changeset, size_t len);

/* The table names of the schema in schema order, for canonicalisation;
 * borrowed from the schema; free the array with free(). */
int ruhu_save_tables(const char ***out, size_t *n, const ruhu_schema *s);

#endif
