/*
 * pull.c — a tablet takes the hub's main and rebases its own saves on it
 * (docs/sync.md §5).
 *
 * Design notes
 *  1. The whole rebase is one SQLite transaction: undo every pending save
 *     (its changeset as currently applied, inverted, newest first), apply
 *     main's changesets oldest first, drop the saves main acknowledged,
 *     redo the rest through the hub's own merge code (sync/merge.h, REDO
 *     mode).  Any failure rolls all of it back: the tablet is as before.
 *  2. Undo and main are applied with sqlite3changeset_apply and no conflict
 *     allowed: a conflict there means the rows are not what the history
 *     says, which is reported as divergence, never papered over.
 *  3. After main, before the redo, the tablet's digest must equal the
 *     Ruhu-Digest of main's newest commit (DESIGN decision 9).
 *  4. Field clocks follow main as on the hub: the origin of a merge's
 *     values is the merged device (Ruhu-Merge-Of), their clock its HLC.
 *  5. A reply older than what the tablet has (reordered files on a USB
 *     stick) is a no-op; a main that does not contain the tablet's known
 *     main is refused (the hub's history never rewrites).
 */
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "core/commit.h"
#include "core/digest.h"
#include "core/hlc.h"
#include "core/identity.h"
#include "core/meta.h"
#include "core/odb.h"
#include "core/provenance.h"
#include "core/refs.h"
#include "core/save.h"
#include "sync/merge.h"
#include "sync/sync_int.h"

#define MAIN_REF "refs/remotes/hub/main"

struct oids {
	git_oid *v;
	size_t n, cap;
};

static int collect(const git_oid *id, void *payload)
{
	struct oids *o = payload;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		git_oid *v = realloc(o->v, cap * sizeof(*v));

		if (v == NULL)
			return ruhu_error_oom();
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = *id;
	return 0;
}

static int abort_conflict(void *ctx, int type, sqlite3_changeset_iter *it)
{
	(void)it;
	*(int *)ctx = type;
	return SQLITE_CHANGESET_ABORT;
}

/* Apply a changeset that must fit the rows exactly (design note 2). */
static int apply_exact(sqlite3 *db, ruhu_digest *d, const void *cs, size_t len, const char *what)
{
	int conflict = 0, rc;

	if (len == 0)
		return 0;
	rc = sqlite3changeset_apply(db, (int)len, (void *)cs, NULL, abort_conflict, &conflict);
	if (conflict)
		return ruhu_error_set(RUHU_ECONFLICT, "divergence: %s does not fit this tablet's rows "
				      "(%s conflict; run 'ruhu replica check': the tablet may need a fresh "
				      "join)", what, conflict == SQLITE_CHANGESET_DATA ? "data" :
				      conflict == SQLITE_CHANGESET_NOTFOUND ? "missing row" :
				      conflict == SQLITE_CHANGESET_CONFLICT ? "row exists" :
				      conflict == SQLITE_CHANGESET_CONSTRAINT ? "constraint" : "other");
	if (rc != SQLITE_OK)
		return ruhu_sql_error(db, rc, what);
	return ruhu_digest_apply_changeset(d, db, cs, len);
}

static int undo_pending(sqlite3 *db, git_repository *repo, ruhu_digest *d)
{
	sqlite3_stmt *st = NULL;
	ruhu_buf own = RUHU_BUF_INIT;
	int rc, error = 0;

	if ((rc = sqlite3_prepare_v2(db, "SELECT seq, oid, changeset FROM _pending ORDER BY seq DESC", -1,
				     &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "read the pending saves");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *cs;
		size_t n;
		int nout = 0;
		void *inv = NULL;

		if ((error = ruhu_pending_changeset(&cs, &n, &own, repo, st)) < 0)
			break;
		if (n == 0)
			continue;
		if ((rc = sqlite3changeset_invert((int)n, cs, &nout, &inv)) != SQLITE_OK) {
			error = rc == SQLITE_NOMEM ? ruhu_error_oom() :
				ruhu_error_set(RUHU_ECORRUPT, "pending save %lld is damaged",
					       (long long)sqlite3_column_int64(st, 0));
			break;
		}
		error = apply_exact(db, d, inv, (size_t)nout, "undoing a pending save");
		sqlite3_free(inv);
		if (error < 0)
			break;
	}
	if (error == 0 && rc != SQLITE_DONE)
		error = ruhu_sql_error(db, rc, "read the pending saves");
	sqlite3_finalize(st);
	ruhu_buf_dispose(&own);
	return error;
}

/* Origin and clock of a main commit's values (design note 4). */
static int main_clock(uint64_t *hlc, ruhu_buf *origin, git_repository *repo, const git_oid *id)
{
	ruhu_buf v = RUHU_BUF_INIT;
	int error;

	if ((error = ruhu_commit_trailer(&v, repo, id, "Ruhu-HLC")) < 0 ||
	    (error = ruhu_hlc_parse(hlc, v.ptr, v.size)) < 0)
		goto done;
	if ((error = ruhu_commit_trailer(origin, repo, id, "Ruhu-Merge-Of")) == 0) {
		char *sp = strchr(origin->ptr, ' ');

		if (sp)
			ruhu_buf_truncate(origin, (size_t)(sp - origin->ptr));
	} else if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = ruhu_commit_trailer(origin, repo, id, "Ruhu-Device");
	}
done:
	ruhu_buf_dispose(&v);
	return error;
}

static int apply_main(ruhu_pull_report *out, ruhu_replica *r, git_repository *repo,
		      const ruhu_schema *schema, const struct oids *list, ruhu_digest *d, uint64_t *maxhlc)
{
	sqlite3 *db = ruhu_replica_db(r);
	ruhu_buf cs = RUHU_BUF_INIT, origin = RUHU_BUF_INIT, v = RUHU_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int error = 0;

	for (size_t i = 0; i < list->n && error == 0; i++) {
		const git_oid *m = &list->v[i];
		git_commit *c = NULL;
		uint64_t hlc;

		git_oid_tostr(hex, sizeof(hex), m);
		if ((error = ruhu_commit_trailer(&v, repo, m, "Ruhu-Schema")) < 0)
			break;
		if (strcmp(v.ptr, ruhu_schema_version(schema))) {
			error = ruhu_error_set(RUHU_ESCHEMA, "main commit %.12s was made with schema %.12s, "
					       "this tablet has %.12s", hex, v.ptr, ruhu_schema_version(schema));
			break;
		}
		ruhu_buf_clear(&cs);
		if ((error = ruhu_commit_read_path(&cs, repo, m, "changeset")) < 0 ||
		    (error = main_clock(&hlc, &origin, repo, m)) < 0 ||
		    (error = apply_exact(db, d, cs.ptr, cs.size, "the hub's main")) < 0 ||
		    (error = ruhu_provenance_record(db, cs.ptr, cs.size, hlc, origin.ptr, hex)) < 0)
			break;
		if (hlc > *maxhlc)
			*maxhlc = hlc;
		if ((error = git_commit_lookup(&c, repo, m)) < 0) {
			error = ruhu_git_error(error, "cannot read main commit %.12s", hex);
			break;
		}
		if (git_commit_parentcount(c) == 2) {
			sqlite3_stmt *st = NULL;
			int rc;

			if ((rc = sqlite3_prepare_v2(db, "DELETE FROM _pending WHERE oid = ?1", -1, &st, NULL)) ==
			    SQLITE_OK) {
				sqlite3_bind_blob(st, 1, git_commit_parent_id(c, 1)->id, GIT_OID_RAWSZ, SQLITE_STATIC);
				rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
				out->acknowledged += (size_t)sqlite3_changes(db);
			}
			sqlite3_finalize(st);
			if (rc != SQLITE_OK)
				error = ruhu_sql_error(db, rc, "drop an acknowledged save");
		}
		git_commit_free(c);
		out->main_commits++;
	}
	ruhu_buf_dispose(&cs);
	ruhu_buf_dispose(&origin);
	ruhu_buf_dispose(&v);
	return error;
}

static int redo_pending(ruhu_pull_report *out, ruhu_replica *r, git_repository *repo,
			const ruhu_schema *schema, ruhu_digest *d)
{
	sqlite3 *db = ruhu_replica_db(r);
	sqlite3_stmt *st = NULL, *up = NULL;
	ruhu_buf cs = RUHU_BUF_INIT, v = RUHU_BUF_INIT, worker = RUHU_BUF_INIT, self = RUHU_BUF_INIT;
	ruhu_merge_result *res = NULL;
	int rc, error;

	if ((error = ruhu_identity_self(&self, r)) < 0)
		return error;
	if ((rc = sqlite3_prepare_v2(db, "SELECT seq, oid FROM _pending ORDER BY seq", -1, &st, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(db, "UPDATE _pending SET changeset = ?2 WHERE seq = ?1", -1, &up, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "read the pending saves");
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ruhu_merge_opts mo = RUHU_MERGE_OPTS_INIT;
		git_oid oid;

		if (sqlite3_column_bytes(st, 1) != GIT_OID_RAWSZ) {
			error = ruhu_error_set(RUHU_ECORRUPT, "a pending save names no commit");
			break;
		}
		git_oid_fromraw(&oid, sqlite3_column_blob(st, 1));
		ruhu_buf_clear(&cs);
		if ((error = ruhu_commit_read_path(&cs, repo, &oid, "changeset")) < 0 ||
		    (error = ruhu_commit_trailer(&v, repo, &oid, "Ruhu-HLC")) < 0 ||
		    (error = ruhu_hlc_parse(&mo.hlc, v.ptr, v.size)) < 0)
			break;
		if ((error = ruhu_commit_trailer_opt(&worker, repo, &oid, "Ruhu-Worker")) < 0)
			break;
		mo.mode = RUHU_MERGE_REDO;
		mo.origin = self.ptr;
		mo.worker = worker.size ? worker.ptr : NULL;
		if ((error = ruhu_merge_apply(&res, db, schema, cs.ptr, cs.size, &mo)) < 0)
			break;
		if (res->net.size &&
		    (error = ruhu_digest_apply_changeset(d, db, res->net.ptr, res->net.size)) < 0)
			break;
		sqlite3_bind_int64(up, 1, sqlite3_column_int64(st, 0));
		sqlite3_bind_blob(up, 2, res->net.size ? res->net.ptr : "", (int)res->net.size, SQLITE_STATIC);
		if ((rc = sqlite3_step(up)) != SQLITE_DONE) {
			error = ruhu_sql_error(db, rc, "record a re-applied save");
			break;
		}
		sqlite3_reset(up);
		ruhu_merge_result_free(res);
		res = NULL;
		out->redone++;
	}
	if (error == 0 && rc != SQLITE_DONE)
		error = ruhu_sql_error(db, rc, "read the pending saves");
done:
	ruhu_merge_result_free(res);
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	ruhu_buf_dispose(&cs);
	ruhu_buf_dispose(&v);
	ruhu_buf_dispose(&worker);
	ruhu_buf_dispose(&self);
	return error;
}

int ruhu_pull_apply(ruhu_pull_report *out, ruhu_replica *r, const git_oid *main)
{
	sqlite3 *db = ruhu_replica_db(r);
	git_repository *repo;
	const ruhu_schema *schema;
	git_oid old;
	int have_old = 0, error;
	struct oids list = { NULL, 0, 0 };
	ruhu_digest d = RUHU_DIGEST_INIT, want;
	ruhu_buf v = RUHU_BUF_INIT;
	uint64_t maxhlc = 0, now;
	unsigned int flags;
	char hex[GIT_OID_HEXSZ + 1];

	memset(out, 0, sizeof(*out));
	git_oid_tostr(out->main, sizeof(out->main), main);
	if ((error = ruhu_replica_repo(&repo, r)) < 0 || (error = ruhu_replica_schema(&schema, r)) < 0)
		goto done;
	if ((error = ruhu_refs_get(&old, db, MAIN_REF)) == 0) {
		int desc = git_oid_equal(&old, main) ? 1 : git_graph_descendant_of(repo, &old, main);

		have_old = 1;
		if (desc == 1) {
			out->up_to_date = 1;
			git_oid_tostr(out->main, sizeof(out->main), &old);
			goto done;
		}
		/* an error reading history is an error, not a rewritten main */
		if (desc == 0 && (desc = git_graph_descendant_of(repo, main, &old)) < 0) {
			error = ruhu_git_error(desc, "cannot read the history of the hub's main");
			goto done;
		}
		if (desc < 0) {
			error = ruhu_git_error(desc, "cannot read the history of this tablet's main");
			goto done;
		}
		if (desc != 1) {
			error = ruhu_error_set(RUHU_ECONFLICT, "the hub's main does not contain the main this "
					       "tablet has: refusing to rewrite its history");
			goto done;
		}
	} else if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
	} else {
		goto done;
	}
	if ((error = ruhu_history_walk(repo, main, have_old ? &old : NULL, have_old, RUHU_HISTORY_FIRST_PARENT |
				       RUHU_HISTORY_REVERSE, collect, &list)) < 0)
		goto done;
	if ((error = ruhu_digest_load(&d, db)) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		memset(&d, 0, sizeof(d));
	} else if (error < 0) {
		goto done;
	}
	if ((error = undo_pending(db, repo, &d)) < 0 ||
	    (error = apply_main(out, r, repo, schema, &list, &d, &maxhlc)) < 0)
		goto done;
	if ((error = ruhu_commit_trailer(&v, repo, main, "Ruhu-Digest")) < 0 ||
	    (error = ruhu_digest_parse_hex(&want, v.ptr, v.size)) < 0)
		goto done;
	ruhu_digest_hex(out->digest, &d);
	if (!ruhu_digest_equal(&d, &want)) {
		git_oid_tostr(hex, sizeof(hex), main);
		error = ruhu_error_set(RUHU_ECONFLICT, "divergence: after main %.12s this tablet's digest is "
				       "%.12s, main says %.12s", hex, out->digest, v.ptr);
		goto done;
	}
	if ((error = redo_pending(out, r, repo, schema, &d)) < 0 ||
	    (error = ruhu_digest_store(db, &d)) < 0 ||
	    (error = ruhu_refs_set(db, MAIN_REF, main, have_old ? &old : &(git_oid){ { 0 } })) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), main);
	if ((error = ruhu_meta_set(db, "base", hex)) < 0)
		goto done;
	if (maxhlc && (error = ruhu_hlc_observe(&now, &flags, db, &r->clock, maxhlc)) < 0)
		goto done;
done:
	free(list.v);
	ruhu_buf_dispose(&v);
	return error;
}
