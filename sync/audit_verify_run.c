/*
 * audit_verify_run.c — the driver of `audit verify` (the checks are in
 * audit_verify.c, the scratch database in audit_replay.c; the stages are
 * listed at the top of audit_verify.c).
 *
 * Design notes
 *  1. Main's first-parent chain is followed from its tip; if a commit of it
 *     is missing the chain is broken and nothing is replayed (the missing
 *     commit is the problem reported).
 *  2. The replay stops at the first changeset that does not fit.  The first
 *     digest that differs is reported and the replay goes on without
 *     comparing digests, so that the row comparison can still name the
 *     record behind it.
 *  3. On a tablet the pending saves are applied after main as `_pending`
 *     holds them (their changesets as currently applied, after the last
 *     rebase).  Their signed commits are checked like every other; whether
 *     their merge follows the rules is the hub's to verify.
 */
#include <stdlib.h>
#include <string.h>

#include "core/commit.h"

#include "core/digest.h"
#include "core/meta.h"
#include "core/odb.h"
#include "core/refs.h"
#include "core/save.h"
#include "sync/audit_replay.h"
#include "sync/audit_sigpool.h"
#include "sync/audit_verify.h"
#include "sync/sync_int.h"

/* The commit that last set `field` of a record (design note 4 of
 * audit_verify.c), from its history. */
struct last_set {
	const char *field;
	git_oid commit;
	int found;
};

static int on_version(size_t target, const ruhu_audit_version *v, void *payload)
{
	struct last_set *l = payload;

	(void)target;
	for (size_t i = 0; i < v->nfields; i++)
		if ((l->field == NULL || !strcmp(v->fields[i], l->field)) && v->changed[i] &&
		    git_oid_fromstr(&l->commit, v->commit->commit.id) == 0)
			l->found = 1;
	return 0;
}

static int row_problem(struct verify *v, const struct audit_diff *diff)
{
	struct audit_target t = { diff->type, diff->id };
	struct last_set l;
	int error;

	memset(&l, 0, sizeof(l));
	l.field = diff->field[0] ? diff->field : NULL;
	if (strcmp(diff->kind, "row-extra") &&
	    (error = audit_history_walk(&v->c, &t, 1, on_version, &l)) < 0)
		ruhu_error_clear(); /* the problem is still reported, without its commit */
	return verify_problem(v, ST_ROWS, diff->kind, l.found ? &l.commit : NULL, diff->type, diff->id,
			      diff->field[0] ? diff->field : NULL, diff->expected, diff->found, "%s%s%s%s",
			      diff->message, l.found ? " (last set by commit " : "",
			      l.found ? git_oid_tostr_s(&l.commit) : "", l.found ? ")" : "");
}

/* Main's chain, oldest last (design note 1); *broken when a commit of it
 * cannot be read. */
static int main_chain(uint32_t **out, size_t *n, int *broken, struct verify *v, uint32_t tip)
{
	uint32_t *c = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	*broken = 0;
	for (uint32_t i = tip; i != AUDIT_NONE;) {
		if (*n == cap) {
			uint32_t *g = realloc(c, (cap = cap ? cap * 2 : 1024) * sizeof(*g));

			if (g == NULL) {
				free(c);
				return ruhu_error_oom();
			}
			c = g;
		}
		c[(*n)++] = i;
		if (v->d.v[i].flags & AUDIT_NODE_MISSING) {
			*broken = 1;
			break;
		}
		i = v->d.v[i].nparents ? audit_dag_parents(&v->d, i)[0] : AUDIT_NONE;
	}
	*out = c;
	return 0;
}

/* Replay one main commit (design note 2). */
static int replay_one(struct verify *v, struct audit_replay *rp, uint32_t i, const ruhu_buf *cs,
		      int *stopped, int *digests_off)
{
	const git_oid *id = &v->d.v[i].oid;
	struct audit_diff diff;
	ruhu_buf want = RUHU_BUF_INIT;
	ruhu_digest got, rec;
	char hex[RUHU_DIGEST_HEX_LEN + 1];
	int error;

	memset(&diff, 0, sizeof(diff));
	if ((error = audit_replay_apply(rp, cs->ptr, cs->size, &diff)) == RUHU_ECONFLICT) {
		*stopped = 1;
		error = verify_problem(v, ST_REPLAY, "replay-conflict", id, diff.type[0] ? diff.type : NULL,
				       diff.id[0] ? diff.id : NULL, diff.field[0] ? diff.field : NULL, diff.expected,
				       diff.found, "replaying commit %.12s: %s%s%s%s%s", git_oid_tostr_s(id),
				       diff.message, diff.expected ? " (the history expects " : "",
				       diff.expected ? diff.expected : "", diff.expected ? ", the replay holds " : "",
				       diff.found ? diff.found : "");
		goto done;
	}
	if (error < 0)
		goto done;
	v->rep->replayed++;
	if (*digests_off)
		goto done;
	audit_replay_digest(&got, rp);
	ruhu_digest_hex(hex, &got);
	if ((error = ruhu_commit_trailer(&want, v->c.repo, id, "Ruhu-Digest")) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		ruhu_buf_clear(&want);
		error = 0;
	} else if (error < 0) {
		goto done;
	}
	if (want.size == 0 || ruhu_digest_parse_hex(&rec, want.ptr, want.size) < 0) {
		ruhu_error_clear();
		*digests_off = 1;
		error = verify_problem(v, ST_REPLAY, "digest", id, NULL, NULL, NULL, NULL, NULL,
				       "commit %.12s on main records no state digest", git_oid_tostr_s(id));
	} else if (!ruhu_digest_equal(&got, &rec)) {
		*digests_off = 1;
		error = verify_problem(v, ST_REPLAY, "digest", id, NULL, NULL, NULL, want.ptr, hex,
				       "after commit %.12s the replayed rows have digest %.16s, the commit "
				       "records %.16s", git_oid_tostr_s(id), hex, want.ptr);
	} else {
		v->rep->digests++;
	}
done:
	audit_diff_clear(&diff);
	ruhu_buf_dispose(&want);
	return error;
}

/* A tablet's pending saves after main (design note 3). */
static int replay_pending(struct verify *v, struct audit_replay *rp, int *stopped)
{
	sqlite3_stmt *st = NULL;
	struct audit_diff diff;
	ruhu_buf own = RUHU_BUF_INIT;
	int rc, error = 0;

	memset(&diff, 0, sizeof(diff));
	if ((rc = sqlite3_prepare_v2(v->c.db, "SELECT seq, oid, changeset FROM _pending ORDER BY seq", -1, &st,
				     NULL)) != SQLITE_OK) {
		sqlite3_finalize(st);
		return ruhu_sql_error(v->c.db, rc, "read the pending saves");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		git_oid id;
		int has_id = sqlite3_column_bytes(st, 1) == GIT_OID_RAWSZ;
		const void *cs = sqlite3_column_blob(st, 2);
		size_t len = (size_t)sqlite3_column_bytes(st, 2);

		if (has_id)
			git_oid_fromraw(&id, sqlite3_column_blob(st, 1));
		/* not re-applied by a pull yet: the commit's own changeset */
		if (has_id && (error = ruhu_pending_changeset(&cs, &len, &own, v->c.repo, st)) < 0)
			break;
		error = audit_replay_apply(rp, cs, len, &diff);
		if (error == RUHU_ECONFLICT) {
			*stopped = 1;
			error = verify_problem(v, ST_REPLAY, "replay-conflict", has_id ? &id : NULL,
					       diff.type[0] ? diff.type : NULL, diff.id[0] ? diff.id : NULL,
					       diff.field[0] ? diff.field : NULL, diff.expected, diff.found,
					       "replaying pending save %lld: %s", (long long)sqlite3_column_int64(st, 0),
					       diff.message);
			break;
		}
		if (error < 0)
			break;
		v->rep->pending++;
	}
	if (error == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
		error = ruhu_sql_error(v->c.db, rc, "read the pending saves");
	sqlite3_finalize(st);
	audit_diff_clear(&diff);
	ruhu_buf_dispose(&own);
	return error;
}

int ruhu_audit_verify(ruhu_audit_verify_report *out, ruhu_replica *r, const ruhu_audit_verify_opts *opts)
{
	struct verify v;
	struct audit_replay *rp = NULL;
	struct audit_diff diff;
	git_oid *tips = NULL, mtip;
	uint32_t *chain = NULL;
	size_t ntips = 0, nchain = 0;
	ruhu_buf cs = RUHU_BUF_INIT;
	int has_main = 0, broken = 0, stopped = 0, digests_off = 0, error;

	memset(out, 0, sizeof(*out));
	memset(&v, 0, sizeof(v));
	memset(&diff, 0, sizeof(diff));
	if (opts && opts->version != RUHU_AUDIT_VERIFY_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "audit verify options version %u is not known", opts->version);
	v.rep = out;
	v.opts = opts;
	if ((error = audit_ctx_open(&v.c, r)) < 0)
		return error;
	out->tablet = !v.c.hub;
	if ((error = git_repository_odb(&v.odb, v.c.repo)) < 0) {
		error = ruhu_git_error(error, "cannot open the object store");
		goto done;
	}

	/* stage 1: every ref, every commit they reach */
	if ((error = ruhu_refs_foreach(v.c.db, NULL, verify_take_ref, &v)) != 0)
		goto done;
	out->refs = v.nrefs;
	if ((tips = calloc(v.nrefs ? v.nrefs : 1, sizeof(*tips))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t i = 0; i < v.nrefs; i++) {
		if (!strcmp(v.refs[i].name, v.c.hub ? "refs/heads/main" : "refs/remotes/hub/main")) {
			mtip = v.refs[i].oid;
			has_main = 1;
		}
		tips[ntips++] = v.refs[i].oid;
	}
	if ((error = audit_dag_load(&v.d, v.c.repo, tips, ntips, verify_on_missing, &v)) < 0)
		goto done;
	if ((v.sigs = calloc(v.d.n ? v.d.n : 1, sizeof(*v.sigs))) == NULL ||
	    (v.sigstate = calloc(v.d.n ? v.d.n : 1, 1)) == NULL ||
	    (v.maker = malloc((v.d.n ? v.d.n : 1) * sizeof(*v.maker))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t i = 0; i < v.d.n; i++)
		v.maker[i] = AUDIT_NONE;
	if ((error = audit_sigpool_start(&v.pool, v.sigs, opts ? opts->threads : 0)) < 0)
		goto done;
	if (has_main) {
		uint32_t t = audit_dag_find(&v.d, &mtip);

		audit_dag_mark_main(&v.d, t);
		git_oid_tostr(out->main, sizeof(out->main), &mtip);
		if ((error = main_chain(&chain, &nchain, &broken, &v, t)) < 0)
			goto done;
	}

	/* stages 2 and 3 in one pass: main oldest first, replayed */
	if ((error = audit_replay_open(&rp, v.c.schema)) < 0)
		goto done;
	for (size_t k = nchain; k-- > 0;) {
		uint32_t i = chain[k];
		int ok;

		if (v.d.v[i].flags & AUDIT_NODE_MISSING)
			continue;
		ruhu_buf_clear(&cs);
		if ((error = verify_check_commit(&ok, &v, i, &cs)) < 0)
			goto done;
		if (!ok)
			stopped = 1; /* its problem is the missing object */
		if (!broken && !stopped && (error = replay_one(&v, rp, i, &cs, &stopped, &digests_off)) < 0)
			goto done;
	}
	if (has_main && !broken && !stopped) {
		ruhu_digest d;

		audit_replay_digest(&d, rp);
		ruhu_digest_hex(out->digest, &d);
	}
	for (size_t i = 0; i < v.d.n; i++) {
		int ok;

		if (v.d.v[i].flags & (AUDIT_NODE_MAIN | AUDIT_NODE_MISSING))
			continue;
		if ((error = verify_check_commit(&ok, &v, (uint32_t)i, NULL)) < 0)
			goto done;
	}
	if (!v.c.hub && !broken && !stopped && (error = replay_pending(&v, rp, &stopped)) < 0)
		goto done;
	audit_sigpool_finish(v.pool);
	v.pool = NULL;
	if (opts && opts->progress)
		opts->progress(v.d.n, v.d.n, opts->payload);
	if ((error = verify_judge_all(&v)) < 0)
		goto done;

	/* stage 4: the rows */
	if (!broken && !stopped) {
		error = audit_replay_compare(rp, v.c.db, &out->rows, &diff);
		if (error == RUHU_ECORRUPT)
			error = row_problem(&v, &diff);
		if (error < 0)
			goto done;
	}
	verify_sort_problems(&v);
	if (out->nproblems)
		error = ruhu_error_set(RUHU_ECORRUPT, "%s", out->problems[0].message);
done:
	audit_sigpool_finish(v.pool);
	audit_replay_close(rp);
	audit_diff_clear(&diff);
	ruhu_buf_dispose(&cs);
	free(tips);
	free(chain);
	for (size_t i = 0; i < v.nrefs; i++)
		free(v.refs[i].name);
	free(v.refs);
	for (size_t i = 0; i < v.nmakers; i++)
		free(v.makers[i]);
	free(v.makers);
	free(v.sigs);
	free(v.sigstate);
	free(v.maker);
	free(v.stage);
	free(v.seen.v);
	git_odb_free(v.odb);
	audit_dag_release(&v.d);
	audit_ctx_close(&v.c);
	/* a verification that could not run reports nothing */
	if (error < 0 && (error != RUHU_ECORRUPT || out->nproblems == 0))
		ruhu_audit_verify_report_dispose(out);
	return error;
}
