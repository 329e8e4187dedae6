/*
 * ingest_int.h — what ingest.c and ingest_walk.c share: the state of one
 * ingest, and the walk over a bundle's device commits.
 */
#ifndef RUHU_SYNC_INGEST_INT_H
#define RUHU_SYNC_INGEST_INT_H

#include "ruhu/schema.h"
#include "sync/hub.h"
#include "sync/sync_int.h"

struct ctx {
	ruhu_replica *hub;
	sqlite3 *db;
	git_repository *repo;
	const ruhu_schema *schema;
	const ruhu_ingest_opts *opts;
	ruhu_ingest_report *rep;
	ruhu_device_rec dev;
	int dry;
};

/* Was this device commit merged before (`_merged`)? */
int ingest_merged(int *out, sqlite3 *db, const git_oid *id);
/* The device commits to merge, oldest first (caller frees *out). */
int ingest_to_merge(git_oid **out, size_t *n, struct ctx *c, const git_oid *tip);
/* Ruhu-Seq of a commit, or -1 when it has none (or a bad one); an error
 * only when the commit cannot be read. */
int ingest_seq_of(int64_t *out, git_repository *repo, const git_oid *id);
/* Every new commit is the device's own, good, with this schema, in line. */
int ingest_check_commits(struct ctx *c, const git_oid *v, size_t n);
/* Device commits of the bundle merged before. */
int ingest_count_duplicates(size_t *out, struct ctx *c, const ruhu_bundle *b, const git_oid *from,
			    int from_is_merged);

#endif
