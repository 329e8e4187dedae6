/*
 * edit_commit.c — the end of a save: take the captured changes, refuse
 * changes to records that may no longer change, and commit (see ruhu/core.h,
 * "Saves", and save.c).
 *
 * Design notes
 *  1. The captured changeset is canonicalised (tables in schema order, rows
 *     by key: docs/changesets.md) before anything else reads it, so the same
 *     logical save always gives the same bytes and the same blob.
 *  2. Immutability is checked here, on the captured changes, so that every
 *     path that writes records (field edits, attachments, raw SQL) obeys it:
 *     a type declared `immutable` takes no update or delete; a type declared
 *     `immutable_after(COND)` takes none once COND held on the row *before*
 *     the save (so the save that closes a visit may still set its summary).
 *  3. A failure anywhere rolls the whole save back (ruhu_edit_free).
 */
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "core/edit.h"
#include "core/meta.h"
#include "core/save.h"

/* Does COND hold on the row made of `vals` (table order)? */
static int cond_holds(int *out, sqlite3 *db, const ruhu_type *t, const char *cond,
		      const ruhu_cval *vals, size_t ncol)
{
	ruhu_buf sql = RUHU_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int error, rc;

	*out = 0;
	if ((error = ruhu_buf_printf(&sql, "SELECT (%s) FROM (SELECT ", cond)) < 0)
		goto done;
	for (size_t i = 0; i < ncol; i++)
		if ((error = ruhu_buf_printf(&sql, "%s?%zu AS \"%s\"", i ? ", " : "", i + 1,
					     ruhu_field_name(ruhu_type_field(t, i)))) < 0)
			goto done;
	if ((error = ruhu_buf_putc(&sql, ')')) < 0)
		goto done;
	if ((rc = sqlite3_prepare_v2(db, sql.ptr, -1, &st, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "check whether a record may change");
		goto done;
	}
	for (size_t i = 0; i < ncol; i++)
		if ((error = ruhu_cval_bind(st, (int)i + 1, &vals[i])) < 0)
			goto done;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		error = ruhu_sql_error(db, rc, "check whether a record may change");
		goto done;
	}
	*out = sqlite3_column_int(st, 0) != 0;
done:
	sqlite3_finalize(st);
	ruhu_buf_dispose(&sql);
	return error;
}

/* The row before an UPDATE: the current row with the changed columns'
 * old values put back. */
static int row_before(ruhu_cval **out, sqlite3_stmt **keep, sqlite3 *db, const ruhu_type *t,
		      const ruhu_change *c)
{
	ruhu_buf sql = RUHU_BUF_INIT;
	ruhu_cval *vals = NULL;
	int error, rc;
	size_t pk = ruhu_field_index(ruhu_type_pk(t));

	*out = NULL;
	*keep = NULL;
	if ((error = ruhu_buf_printf(&sql, "SELECT * FROM \"%s\" WHERE \"%s\" = ?1", ruhu_type_name(t),
				     ruhu_field_name(ruhu_type_pk(t)))) < 0)
		goto done;
	if ((rc = sqlite3_prepare_v2(db, sql.ptr, -1, keep, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "read a changed record");
		goto done;
	}
	if ((error = ruhu_cval_bind(*keep, 1, &c->old_values[pk])) < 0)
		goto done;
	if ((rc = sqlite3_step(*keep)) != SQLITE_ROW) {
		error = rc == SQLITE_DONE ? ruhu_error_set(RUHU_ECORRUPT, "a changed %s is missing", ruhu_type_name(t))
					  : ruhu_sql_error(db, rc, "read a changed record");
		goto done;
	}
	if ((vals = calloc(c->ncol, sizeof(*vals))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t i = 0; i < c->ncol; i++) {
		if (c->old_values[i].type != RUHU_CVAL_UNDEFINED)
			vals[i] = c->old_values[i];
		else
			ruhu_cval_from_column(&vals[i], *keep, (int)i);
	}
	*out = vals;
done:
	ruhu_buf_dispose(&sql);
	return error;
}

static int check_frozen(ruhu_edit *e, const void *cs, size_t len)
{
	sqlite3 *db = ruhu_replica_db(e->r);
	ruhu_changeset_iter *it = NULL;
	const ruhu_change *c;
	int error, more;

	if ((error = ruhu_changeset_iter_new(&it, cs, len, db, NULL, NULL)) < 0)
		return error;
	while ((more = ruhu_changeset_iter_next(&c, it)) > 0) {
		const ruhu_type *t = ruhu_schema_type_byname(e->schema, c->table);
		ruhu_mutability m;
		ruhu_cval *before = NULL;
		sqlite3_stmt *st = NULL;
		int frozen = 0;

		if (t == NULL || c->op == SQLITE_INSERT || (m = ruhu_type_mutability(t)) == RUHU_MUTABLE)
			continue;
		if (m == RUHU_IMMUTABLE) {
			error = ruhu_error_set(RUHU_EINVALID, "a %s cannot be %s once saved (%s %s)",
					       c->table, c->op == SQLITE_DELETE ? "deleted" : "changed",
					       c->table, c->key);
			break;
		}
		if (c->op == SQLITE_DELETE)
			error = cond_holds(&frozen, db, t, ruhu_type_immutable_after(t), c->old_values, c->ncol);
		else if ((error = row_before(&before, &st, db, t, c)) == 0)
			error = cond_holds(&frozen, db, t, ruhu_type_immutable_after(t), before, c->ncol);
		free(before);
		sqlite3_finalize(st);
		if (error < 0)
			break;
		if (frozen) {
			error = ruhu_error_set(RUHU_EINVALID, "%s %s can no longer be %s (%s)", c->table, c->key,
					       c->op == SQLITE_DELETE ? "deleted" : "changed",
					       ruhu_type_immutable_after(t));
			break;
		}
	}
	if (error == 0 && more < 0)
		error = more;
	ruhu_changeset_iter_free(it);
	return error;
}

int ruhu_edit_commit(ruhu_edit *e, const char *subject, ruhu_save_info *out)
{
	sqlite3 *db = ruhu_replica_db(e->r);
	void *raw = NULL;
	int nraw = 0, rc, error;
	ruhu_buf canon = RUHU_BUF_INIT;
	const char **tables = NULL;
	size_t ntables;
	ruhu_tree_entry *extra = NULL;
	ruhu_buf *names = NULL;
	ruhu_save_spec spec = { 0 };
	ruhu_save_info local;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!e->open)
		return ruhu_error_set(RUHU_EINVALID, "the save was already committed or failed");
	if ((rc = sqlite3session_changeset(e->session, &nraw, &raw)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "take the captured changes");
		goto fail;
	}
	if (nraw == 0 && !e->allow_empty) {
		/* nothing changed: no commit (the transaction may still hold
		 * writes to non-record tables the caller made; keep them) */
		if ((error = ruhu_replica_commit(e->r)) < 0)
			goto fail;
		e->open = 0;
		error = 0;
		goto done;
	}
	if ((error = ruhu_save_tables(&tables, &ntables, e->schema)) < 0 ||
	    (nraw && (error = ruhu_changeset_canonicalize(&canon, raw, (size_t)nraw, tables, ntables)) < 0) ||
	    (canon.size && (error = check_frozen(e, canon.ptr, canon.size)) < 0))
		goto fail;
	if (e->nblobs + e->nentries) {
		if ((extra = calloc(e->nblobs + e->nentries, sizeof(*extra))) == NULL ||
		    (names = calloc(e->nblobs, sizeof(*names))) == NULL) {
			error = ruhu_error_oom();
			goto fail;
		}
		for (size_t i = 0; i < e->nblobs; i++) {
			if ((error = ruhu_buf_printf(&names[i], "attachments/%s", e->blobs[i].id)) < 0)
				goto fail;
			extra[i].path = names[i].ptr;
			extra[i].oid = e->blobs[i].oid;
		}
		for (size_t i = 0; i < e->nentries; i++)
			extra[e->nblobs + i] = e->entries[i];
	}
	spec.changeset = canon.ptr;
	spec.len = canon.size;
	spec.subject = subject;
	spec.extra = extra;
	spec.nextra = e->nblobs + e->nentries;
	spec.trailers = e->trailers;
	spec.ntrailers = e->ntrailers;
	spec.flags = RUHU_SAVE_LOCAL;
	if (out == NULL)
		out = &local;
	if ((error = ruhu_save_commit(out, e->r, &spec)) < 0 ||
	    (e->clear_meta && (error = ruhu_meta_set(db, e->clear_meta, NULL)) < 0) ||
	    (e->before_commit && (error = e->before_commit(out, e->before_commit_payload)) < 0) ||
	    (error = ruhu_replica_commit(e->r)) < 0)
		goto fail;
	e->open = 0;
	goto done;
fail:
	/* the save is over: roll it back now (ruhu_edit_free would too) */
	if (e->open) {
		ruhu_replica_rollback(e->r);
		ruhu_replica_repo_reset(e->r);
		e->open = 0;
	}
	if (out)
		memset(out, 0, sizeof(*out));
done:
	for (size_t i = 0; names && i < e->nblobs; i++)
		ruhu_buf_dispose(&names[i]);
	free(names);
	free(extra);
	free(tables);
	ruhu_buf_dispose(&canon);
	sqlite3_free(raw);
	return error;
}
