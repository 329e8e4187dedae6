/*
 * edit.h — the insides of a save (ruhu_edit), shared by edit.c (the writes),
 * attach.c (attachments) and save.c (the commit).
 */
#ifndef RUHU_CORE_EDIT_H
#define RUHU_CORE_EDIT_H

#include <git2.h>

#include "core/commit.h"
#include "core/replica.h"
#include "ruhu/schema.h"

/* An attachment blob a save introduces: it goes into the commit's tree. */
struct edit_blob {
	char id[RUHU_ID_SIZE];   /* the attachment record's id */
	git_oid oid;
};

/* A statement of a save, kept for the next write with the same SQL (a bulk
 * import writes thousands of rows of one shape). */
#define RUHU_EDIT_STMTS 8
struct edit_stmt {
	char *sql;
	sqlite3_stmt *st;
};

struct ruhu_edit {
	ruhu_replica *r;
	const ruhu_schema *schema;
	sqlite3_session *session;
	int open;                /* the transaction is open */
	struct edit_blob *blobs;
	size_t nblobs;
	const char *clear_meta;  /* a `_meta` key to delete once the commit is
				  * written, in its transaction (visit close) */
	/* for saves made by sync (review resolutions): more trailers and tree
	 * entries, and a commit even when no row changed */
	const ruhu_trailer *trailers;
	size_t ntrailers;
	const ruhu_tree_entry *entries;
	size_t nentries;
	int allow_empty;
	/* called once the commit is written, inside its transaction, before
	 * that commits: rows that name the commit (a review item's resolution
	 * commit) are written with it or not at all */
	int (*before_commit)(const ruhu_save_info *info, void *payload);
	void *before_commit_payload;
	struct edit_stmt stmts[RUHU_EDIT_STMTS]; /* edit.c, design note 5 */
	size_t nstmts, evict;
};

/* Map a failed write of a record to a message a caseworker can act on:
 * the validator's own message, "person.name is required", ... */
int ruhu_edit_write_error(ruhu_edit *e, int rc);

/* The record type named `type`, or RUHU_EINVALID "unknown record type". */
int ruhu_edit_type(const ruhu_type **out, const ruhu_schema *s, const char *type);

#endif
