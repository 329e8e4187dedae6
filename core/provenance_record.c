/*
 * provenance_record.c — the one-shot provenance functions (provenance.h):
 * recording a changeset whose effect is in the database, reading a field's
 * clock, filling in the commit of tombstones.  The cached statements and
 * the clock format are in provenance.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "core/provenance.h"

static int check_origin(const char *origin)
{
	size_t n = origin ? strlen(origin) : 0;

	if (n == 0 || n > RUHU_PROVENANCE_ORIGIN_MAX)
		return ruhu_error_set(RUHU_EINVALID, "origin id must be 1 to %d bytes",
				      RUHU_PROVENANCE_ORIGIN_MAX);
	return 0;
}

static int db_error(sqlite3 *db, const char *what)
{
	int rc = sqlite3_errcode(db);
	int code = rc == SQLITE_NOMEM ? RUHU_ENOMEM : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ?
		   RUHU_EBUSY : rc == SQLITE_FULL ? RUHU_ENOSPACE : rc == SQLITE_READONLY ?
		   RUHU_EREADONLY : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? RUHU_ECORRUPT : RUHU_ERROR;

	return ruhu_error_set(code, "%s: %s", what, sqlite3_errmsg(db));
}

int ruhu_provenance_clock(uint64_t *hlc, ruhu_buf *origin, sqlite3 *db, const char *type,
			  const char *id, size_t col)
{
	ruhu_prov *p = NULL;
	ruhu_prov_clock c = { 0 };
	uint32_t oi = 0;
	const char *name;
	size_t n;
	int error;

	ruhu_buf_clear(origin);
	*hlc = 0;
	if ((error = ruhu_prov_open(&p, db)) < 0 || (error = ruhu_prov_get(&c, p, type, id)) < 0)
		goto done;
	ruhu_prov_field(hlc, &oi, &c, (uint32_t)col);
	if ((error = ruhu_prov_origin_name(&name, &n, p, oi)) < 0)
		goto done;
	error = ruhu_buf_put(origin, name, n);
done:
	ruhu_prov_clock_dispose(&c);
	ruhu_prov_close(p);
	return error;
}

int ruhu_provenance_set_commit(sqlite3 *db, uint64_t hlc, const char *origin, const char *commit)
{
	sqlite3_stmt *st = NULL;
	int error = 0;

	if (sqlite3_prepare_v2(db, "UPDATE _tombstone SET commit_id = ?3 WHERE commit_id IS NULL"
			       " AND hlc = ?1 AND origin = ?2", -1, &st, NULL) != SQLITE_OK) {
		error = db_error(db, "cannot update tombstones");
		goto done;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)hlc);
	sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, commit, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = db_error(db, "cannot update tombstones");
done:
	sqlite3_finalize(st);
	return error;
}

/* ---- recording a changeset ----------------------------------------------- */

struct rec {
	ruhu_prov *p;
	uint64_t hlc;
	const char *origin;
	const char *commit;
	uint32_t oi;
	ruhu_cval *vals;
	unsigned char *set;
	size_t nvals;
	ruhu_buf row;
	ruhu_buf id;
};

int ruhu_prov_delete_changeset(ruhu_buf *out, const ruhu_chg_table *t, const unsigned char *old_rec,
			       const unsigned char *end)
{
	static const unsigned char op[2] = { SQLITE_DELETE, 0 };
	int error;

	if ((error = ruhu_buf_putc(out, 'T')) < 0 ||
	    (error = ruhu_chg_put_varint(out, t->ncol)) < 0 ||
	    (error = ruhu_buf_put(out, t->pk, t->ncol)) < 0 ||
	    (error = ruhu_buf_put(out, t->name, strlen(t->name) + 1)) < 0 ||
	    (error = ruhu_buf_put(out, op, 2)) < 0)
		return error;
	return ruhu_buf_put(out, old_rec, (size_t)(end - old_rec));
}

int ruhu_prov_change_bytes(ruhu_buf *out, const char *table, size_t ncol, size_t key, int op,
			   const ruhu_cval *old_values, const ruhu_cval *new_values)
{
	unsigned char head[2] = { (unsigned char)op, 0 };
	int error;

	if ((error = ruhu_buf_putc(out, 'T')) < 0 || (error = ruhu_chg_put_varint(out, ncol)) < 0)
		return error;
	for (size_t i = 0; i < ncol; i++)
		if ((error = ruhu_buf_putc(out, i == key ? 1 : 0)) < 0)
			return error;
	if ((error = ruhu_buf_put(out, table, strlen(table) + 1)) < 0 ||
	    (error = ruhu_buf_put(out, head, 2)) < 0)
		return error;
	for (size_t i = 0; op != SQLITE_INSERT && i < ncol; i++)
		if ((error = ruhu_cval_put(out, &old_values[i])) < 0)
			return error;
	for (size_t i = 0; op != SQLITE_DELETE && i < ncol; i++)
		if ((error = ruhu_cval_put(out, &new_values[i])) < 0)
			return error;
	return 0;
}

static int record_cb(const ruhu_chg_table *t, const ruhu_chg_rec *r, void *payload)
{
	struct rec *rc = payload;
	size_t key = t->ncol;
	int error;

	if (t->ncol > rc->nvals) {
		ruhu_cval *v = realloc(rc->vals, t->ncol * sizeof(*v));
		unsigned char *set;

		if (v == NULL)
			return ruhu_error_oom();
		rc->vals = v;
		set = realloc(rc->set, t->ncol);
		if (set == NULL)
			return ruhu_error_oom();
		rc->set = set;
		rc->nvals = t->ncol;
	}
	ruhu_chg_decode(rc->vals, r->op == SQLITE_INSERT ? r->new_rec : r->old_rec, t->ncol);
	for (size_t i = 0; i < t->ncol && key == t->ncol; i++)
		if (t->pk[i])
			key = i;
	if (key == t->ncol || rc->vals[key].type != SQLITE_TEXT)
		return ruhu_error_set(RUHU_ESCHEMA, "changeset keys table %s by a value that is not "
				      "a text id", t->name);
	ruhu_buf_clear(&rc->id);
	if ((error = ruhu_buf_put(&rc->id, rc->vals[key].p, rc->vals[key].n)) < 0)
		return error;
	if (r->op == SQLITE_INSERT)
		return ruhu_prov_inserted(rc->p, t->name, rc->id.ptr, rc->hlc, rc->oi);
	if (r->op == SQLITE_DELETE) {
		ruhu_buf_clear(&rc->row);
		if ((error = ruhu_prov_delete_changeset(&rc->row, t, r->old_rec, r->end)) < 0)
			return error;
		return ruhu_prov_deleted(rc->p, t->name, rc->id.ptr, rc->row.ptr, rc->row.size, rc->hlc,
					 rc->origin, rc->commit);
	}
	ruhu_chg_decode(rc->vals, r->new_rec, t->ncol);
	for (size_t i = 0; i < t->ncol; i++)
		rc->set[i] = rc->vals[i].type != RUHU_CVAL_UNDEFINED;
	return ruhu_prov_touch(rc->p, t->name, rc->id.ptr, rc->set, t->ncol, rc->hlc, rc->oi);
}

int ruhu_provenance_record(sqlite3 *db, const void *changeset, size_t len, uint64_t hlc,
			   const char *origin, const char *commit)
{
	struct rec rc = { 0 };
	int error;

	if (db == NULL || (changeset == NULL && len > 0))
		return ruhu_error_set(RUHU_EINVALID, "no database or changeset to record");
	if ((error = check_origin(origin)) < 0 || (error = ruhu_changeset_check(changeset, len)) < 0)
		return error;
	if (sqlite3_exec(db, "SAVEPOINT ruhu_provenance", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, "cannot start a savepoint");
	rc.hlc = hlc;
	rc.origin = origin;
	rc.commit = commit;
	if ((error = ruhu_prov_open(&rc.p, db)) < 0 ||
	    (error = ruhu_prov_origin_index(&rc.oi, rc.p, origin)) < 0 ||
	    (error = ruhu_changeset_walk(changeset, len, record_cb, &rc)) < 0)
		goto done;
done:
	ruhu_prov_close(rc.p);
	free(rc.set);
	ruhu_buf_dispose(&rc.row);
	ruhu_buf_dispose(&rc.id);
	free(rc.vals);
	if (error < 0) {
		sqlite3_exec(db, "ROLLBACK TO ruhu_provenance", NULL, NULL, NULL);
		sqlite3_exec(db, "RELEASE ruhu_provenance", NULL, NULL, NULL);
		return error;
	}
	if (sqlite3_exec(db, "RELEASE ruhu_provenance", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, "cannot release a savepoint");
	return 0;
}
