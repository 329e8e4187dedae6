/*
 * replica_state.c — what an open replica loads on first use: its schema and
 * its object store, and the wall clock its saves read.
 *
 * Design notes
 *  1. The schema is the embedded default (ruhu/schema.h), accepted only when
 *     the version recorded in the replica is the same: a replica made by
 *     another schema is refused with RUHU_ESCHEMA rather than misread.
 *  2. The object store is a libgit2 repository over the `_objects` table of
 *     the same connection (core/odb.h).  libgit2 caches objects it read, so
 *     after a rollback that undid object writes the cache is dropped
 *     (ruhu_replica_repo_reset) and reopened on the next use.
 *  3. Both are released before the connection closes (replica_close_db).
 */
#include <string.h>

#include <git2.h>

#include "core/odb.h"
#include "core/replica.h"
#include "schema/schema_db.h"

int ruhu_replica_schema(const ruhu_schema **out, ruhu_replica *r)
{
	ruhu_schema *s = NULL;
	ruhu_buf version = RUHU_BUF_INIT;
	int error;

	*out = NULL;
	if (r->schema) {
		*out = r->schema;
		return 0;
	}
	error = ruhu_schema_installed_version(&version, r->db);
	if (error == RUHU_ENOTFOUND) {
		error = ruhu_error_set(RUHU_ENOTFOUND, "replica %s holds no record tables "
				       "(make one with 'ruhu device init' or 'ruhu hub init')", r->dir);
		goto done;
	}
	if (error < 0)
		goto done;
	if ((error = ruhu_schema_load_default(&s)) < 0)
		goto done;
	if (strcmp(version.ptr, ruhu_schema_version(s)) != 0) {
		error = ruhu_error_set(RUHU_ESCHEMA, "replica %s has schema %.12s, this ruhu knows %.12s",
				       r->dir, version.ptr, ruhu_schema_version(s));
		goto done;
	}
	r->schema = s;
	s = NULL;
	*out = r->schema;
done:
	ruhu_schema_free(s);
	ruhu_buf_dispose(&version);
	return error;
}

int ruhu_replica_repo(git_repository **out, ruhu_replica *r)
{
	int error = 0;

	if (r->repo == NULL)
		error = ruhu_odb_open(&r->repo, r->db);
	*out = r->repo;
	return error;
}

void ruhu_replica_repo_reset(ruhu_replica *r)
{
	git_repository_free(r->repo);
	r->repo = NULL;
}

int64_t ruhu_replica_now_ms(ruhu_replica *r)
{
	if (r->clock.now_ms)
		return r->clock.now_ms(r->clock.payload);
	return ruhu_wallclock_system(NULL);
}

void replica_release_state(ruhu_replica *r)
{
	ruhu_replica_repo_reset(r);
	ruhu_schema_free(r->schema);
	r->schema = NULL;
}
