/*
 * ingest_walk.c — which device commits a bundle brings, and whether they
 * may be merged (design note 1 of ingest.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commit.h"
#include "core/meta.h"
#include "core/odb.h"
#include "core/trust.h"
#include "sync/ingest_int.h"

/* Was this device commit merged before? */
int ingest_merged(int *out, sqlite3 *db, const git_oid *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	if ((rc = sqlite3_prepare_v2(db, "SELECT 1 FROM _merged WHERE device_commit = ?1", -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "read the merged commits");
	sqlite3_bind_blob(st, 1, id->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ruhu_sql_error(db, rc, "read the merged commits");
}

/* The device commits to merge: from the tip back along first parents to
 * the first commit merged before or not made by the device; oldest first. */
int ingest_to_merge(git_oid **out, size_t *n, struct ctx *c, const git_oid *tip)
{
	git_oid cur = *tip, *v = NULL;
	size_t cap = 0;
	int error = 0;

	*out = NULL;
	*n = 0;
	for (;;) {
		git_commit *cm = NULL;
		ruhu_buf who = RUHU_BUF_INIT;
		int was;

		if ((error = ingest_merged(&was, c->db, &cur)) < 0 || was)
			break;
		if ((error = ruhu_commit_trailer(&who, c->repo, &cur, "Ruhu-Device")) < 0 ||
		    strcmp(who.ptr, c->dev.id)) {
			ruhu_buf_dispose(&who);
			if (error == RUHU_ENOTFOUND) {
				ruhu_error_clear();
				error = 0;
			}
			break;
		}
		ruhu_buf_dispose(&who);
		if (*n == cap) {
			git_oid *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (nv == NULL) {
				error = ruhu_error_oom();
				break;
			}
			v = nv;
		}
		v[(*n)++] = cur;
		if ((error = git_commit_lookup(&cm, c->repo, &cur)) < 0) {
			error = ruhu_git_error(error, "cannot read a device commit");
			break;
		}
		if (git_commit_parentcount(cm) == 0) {
			git_commit_free(cm);
			break;
		}
		cur = *git_commit_parent_id(cm, 0);
		git_commit_free(cm);
	}
	if (error < 0) {
		free(v);
		*n = 0;
		return error;
	}
	for (size_t i = 0; i < *n / 2; i++) {
		git_oid t = v[i];

		v[i] = v[*n - 1 - i];
		v[*n - 1 - i] = t;
	}
	*out = v;
	return 0;
}

int ingest_seq_of(int64_t *out, git_repository *repo, const git_oid *id)
{
	ruhu_buf v = RUHU_BUF_INIT;
	char *end;
	long long n = -1;
	int error = ruhu_commit_trailer(&v, repo, id, "Ruhu-Seq");

	if (error == 0) {
		n = strtoll(v.ptr, &end, 10);
		if (*end || n <= 0)
			n = -1;
	} else if (error == RUHU_ENOTFOUND) {
		/* no trailer: a commit out of line, which the caller refuses */
		ruhu_error_clear();
		error = 0;
	}
	ruhu_buf_dispose(&v);
	*out = n;
	return error;
}

/* Design note 1: every new commit is the device's own, good, and in line. */
int ingest_check_commits(struct ctx *c, const git_oid *v, size_t n)
{
	ruhu_buf schema = RUHU_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], sig;
	int64_t expect = c->dev.last_seq + 1;
	int error = 0;

	for (size_t i = 0; i < n && error == 0; i++) {
		int64_t seq;

		git_oid_tostr(hex, sizeof(hex), &v[i]);
		if ((error = ruhu_trust_commit(&sig, c->hub, &v[i], c->dev.id)) < 0)
			break;
		if (sig != 'G') {
			error = ruhu_error_set(RUHU_EAUTH, "commit %.12s in the bundle from %s is not signed by "
					       "%s's key (signature: %c): the bundle is refused", hex,
					       c->dev.id, c->dev.id, sig);
			break;
		}
		if ((error = ruhu_commit_trailer(&schema, c->repo, &v[i], "Ruhu-Schema")) < 0)
			break;
		if (strcmp(schema.ptr, ruhu_schema_version(c->schema))) {
			error = ruhu_error_set(RUHU_ESCHEMA, "the bundle from %s was made with schema %.12s, "
					       "this hub has %.12s", c->dev.id, schema.ptr,
					       ruhu_schema_version(c->schema));
			break;
		}
		if ((error = ingest_seq_of(&seq, c->repo, &v[i])) < 0)
			break;
		if (seq != expect) {
			error = ruhu_error_set(RUHU_ECORRUPT, "commit %.12s from %s has sequence %lld where %lld "
					       "was due", hex, c->dev.id, (long long)seq, (long long)expect);
			break;
		}
		expect++;
	}
	ruhu_buf_dispose(&schema);
	return error;
}

/* How many device commits of the bundle were merged before: from `from`
 * (the oldest new commit's parent, or the tip itself) back to the bundle's
 * prerequisites. */
int ingest_count_duplicates(size_t *out, struct ctx *c, const ruhu_bundle *b, const git_oid *from,
			    int from_is_merged)
{
	git_oid cur = *from;
	size_t limit = 100000;
	int error = 0;

	*out = 0;
	if (!from_is_merged) {
		git_commit *cm = NULL;

		if (git_commit_lookup(&cm, c->repo, &cur) < 0 || git_commit_parentcount(cm) == 0) {
			git_commit_free(cm);
			return 0;
		}
		cur = *git_commit_parent_id(cm, 0);
		git_commit_free(cm);
	}
	while (limit--) {
		git_commit *cm = NULL;
		int was, prereq = 0;

		for (size_t i = 0; i < ruhu_bundle_prereq_count(b); i++)
			if (git_oid_equal(&ruhu_bundle_prereq_at(b, i)->oid, &cur))
				prereq = 1;
		if (prereq || (error = ingest_merged(&was, c->db, &cur)) < 0 || !was)
			break;
		(*out)++;
		if (git_commit_lookup(&cm, c->repo, &cur) < 0 || git_commit_parentcount(cm) == 0) {
			git_commit_free(cm);
			break;
		}
		cur = *git_commit_parent_id(cm, 0);
		git_commit_free(cm);
	}
	return error;
}
