/*
 * edit.c — a save in progress: the transaction, the capture session, and
 * the writes of records (see ruhu/core.h, "Saves").
 *
 * Design notes
 *  1. One SQLite transaction and one session per save; every record table is
 *     attached to the session in schema order before the first write
 *     (notes/session-changesets.md: a session sees only writes made after it
 *     is attached, through its own connection).
 *  2. A write that fails leaves the save as it was: each write runs as a
 *     single statement, which SQLite undoes by itself when it fails.
 *  3. Field and type names come from the schema and are quoted as
 *     identifiers; values are always bound, never spliced into SQL.
 *  4. The id of a record never changes (a changed key would be a delete
 *     and an insert in the history).
 */
#include <stdlib.h>
#include <string.h>

#include "core/edit.h"
#include "core/meta.h"
#include "core/uuid.h"
#include "schema/schema_db.h"

int ruhu_edit_type(const ruhu_type **out, const ruhu_schema *s, const char *type)
{
	if ((*out = ruhu_schema_type_byname(s, type)) == NULL)
		return ruhu_error_set(RUHU_EINVALID, "unknown record type '%s'", type ? type : "");
	return 0;
}

int ruhu_edit_write_error(ruhu_edit *e, int rc)
{
	sqlite3 *db = ruhu_replica_db(e->r);
	const char *msg = sqlite3_errmsg(db);
	const char *nn = "NOT NULL constraint failed: ";

	if (rc == SQLITE_CONSTRAINT_NOTNULL && !strncmp(msg, nn, strlen(nn)))
		return ruhu_error_set(RUHU_EINVALID, "%s is required", msg + strlen(nn));
	if (rc == SQLITE_CONSTRAINT_DATATYPE)
		return ruhu_error_set(RUHU_EINVALID, "%s", msg);
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
	case SQLITE_ERROR:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
		/* validators raise their own message (schema/sqlfunc.c) */
		return ruhu_error_set(RUHU_EINVALID, "%s", msg);
	default:
		return ruhu_replica_sqlite_error(e->r, rc, "cannot save");
	}
}

int ruhu_edit_begin(ruhu_edit **out, ruhu_replica *r)
{
	ruhu_edit *e = NULL;
	sqlite3 *db = ruhu_replica_db(r);
	int error, rc;

	*out = NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return ruhu_error_oom();
	e->r = r;
	if ((error = ruhu_replica_schema(&e->schema, r)) < 0)
		goto done;
	if ((error = ruhu_replica_begin(r)) < 0)
		goto done;
	e->open = 1;
	if ((rc = sqlite3session_create(db, "main", &e->session)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "start capturing the save");
		goto done;
	}
	if ((error = ruhu_schema_attach_session(e->session, e->schema)) < 0)
		goto done;
	*out = e;
	e = NULL;
done:
	ruhu_edit_free(e);
	return error;
}

void ruhu_edit_free(ruhu_edit *e)
{
	if (e == NULL)
		return;
	if (e->session)
		sqlite3session_delete(e->session);
	if (e->open) {
		ruhu_replica_rollback(e->r);
		/* objects written in the rolled-back transaction may sit in
		 * libgit2's cache (replica_state.c, note 2) */
		ruhu_replica_repo_reset(e->r);
	}
	free(e->blobs);
	free(e);
}

static int check_field(const ruhu_type *t, const char *field, int allow_id)
{
	const ruhu_field *f = ruhu_type_field_byname(t, field);

	if (f == NULL)
		return ruhu_error_set(RUHU_EINVALID, "%s has no field '%s'", ruhu_type_name(t), field);
	if (ruhu_field_is_pk(f) && !allow_id)
		return ruhu_error_set(RUHU_EINVALID, "the id of a %s cannot change", ruhu_type_name(t));
	return 0;
}

static int quote_ident(ruhu_buf *sql, const char *name)
{
	int error = ruhu_buf_putc(sql, '"');

	for (const char *p = name; error == 0 && *p; p++)
		error = *p == '"' ? ruhu_buf_puts(sql, "\"\"") : ruhu_buf_putc(sql, *p);
	return error < 0 ? error : ruhu_buf_putc(sql, '"');
}

/* Prepare, bind the values (then `id` last when given), step once. */
static int run_write(ruhu_edit *e, const char *sql, const ruhu_assign *values, size_t n,
		     const char *id, int *changes)
{
	sqlite3 *db = ruhu_replica_db(e->r);
	sqlite3_stmt *st = NULL;
	int rc, error = 0;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "prepare the save");
	for (size_t i = 0; i < n; i++) {
		if (values[i].value)
			sqlite3_bind_text(st, (int)i + 1, values[i].value, -1, SQLITE_STATIC);
	}
	if (id)
		sqlite3_bind_text(st, (int)n + 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		error = ruhu_edit_write_error(e, sqlite3_extended_errcode(db));
	else if (changes)
		*changes = sqlite3_changes(db);
	sqlite3_finalize(st);
	return error;
}

int ruhu_edit_insert(ruhu_edit *e, const char *type, const ruhu_assign *values, size_t n,
		     char out_id[RUHU_ID_SIZE])
{
	const ruhu_type *t;
	ruhu_buf sql = RUHU_BUF_INIT;
	char id[RUHU_ID_SIZE] = "";
	const char *given = NULL;
	int error;

	if ((error = ruhu_edit_type(&t, e->schema, type)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if ((error = check_field(t, values[i].field, 1)) < 0)
			goto done;
		if (ruhu_field_is_pk(ruhu_type_field_byname(t, values[i].field)))
			given = values[i].value;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(values[i].field, values[j].field)) {
				error = ruhu_error_set(RUHU_EINVALID, "field '%s' given twice", values[i].field);
				goto done;
			}
	}
	if (given) {
		if (strlen(given) >= sizeof(id)) {
			error = ruhu_error_set(RUHU_EINVALID, "the id of a %s is too long", type);
			goto done;
		}
		memcpy(id, given, strlen(given) + 1);
	} else {
		ruhu_uuid_v7(id);
	}
	if ((error = ruhu_buf_puts(&sql, "INSERT INTO ")) < 0 ||
	    (error = quote_ident(&sql, ruhu_type_name(t))) < 0 ||
	    (error = ruhu_buf_putc(&sql, '(')) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if (ruhu_field_is_pk(ruhu_type_field_byname(t, values[i].field)))
			continue;
		if ((error = quote_ident(&sql, values[i].field)) < 0 || (error = ruhu_buf_putc(&sql, ',')) < 0)
			goto done;
	}
	if ((error = quote_ident(&sql, ruhu_field_name(ruhu_type_pk(t)))) < 0 ||
	    (error = ruhu_buf_puts(&sql, ") VALUES(")) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if (ruhu_field_is_pk(ruhu_type_field_byname(t, values[i].field)))
			continue;
		if ((error = ruhu_buf_printf(&sql, "?%zu,", i + 1)) < 0)
			goto done;
	}
	if ((error = ruhu_buf_printf(&sql, "?%zu)", n + 1)) < 0)
		goto done;
	if ((error = run_write(e, sql.ptr, values, n, id, NULL)) < 0) {
		if (sqlite3_extended_errcode(ruhu_replica_db(e->r)) == SQLITE_CONSTRAINT_PRIMARYKEY)
			error = ruhu_error_set(RUHU_EEXISTS, "a %s with id %s already exists", type, id);
		goto done;
	}
	if (out_id)
		memcpy(out_id, id, strlen(id) + 1);
done:
	ruhu_buf_dispose(&sql);
	return error;
}

int ruhu_edit_update(ruhu_edit *e, const char *type, const char *id,
		     const ruhu_assign *values, size_t n)
{
	const ruhu_type *t;
	ruhu_buf sql = RUHU_BUF_INIT;
	int error, changes = 0;

	if ((error = ruhu_edit_type(&t, e->schema, type)) < 0)
		goto done;
	if (n == 0) {
		error = ruhu_error_set(RUHU_EINVALID, "no field to change");
		goto done;
	}
	if ((error = ruhu_buf_puts(&sql, "UPDATE ")) < 0 ||
	    (error = quote_ident(&sql, ruhu_type_name(t))) < 0 ||
	    (error = ruhu_buf_puts(&sql, " SET ")) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if ((error = check_field(t, values[i].field, 0)) < 0 ||
		    (i && (error = ruhu_buf_putc(&sql, ',')) < 0) ||
		    (error = quote_ident(&sql, values[i].field)) < 0 ||
		    (error = ruhu_buf_printf(&sql, "=?%zu", i + 1)) < 0)
			goto done;
	}
	if ((error = ruhu_buf_puts(&sql, " WHERE ")) < 0 ||
	    (error = quote_ident(&sql, ruhu_field_name(ruhu_type_pk(t)))) < 0 ||
	    (error = ruhu_buf_printf(&sql, "=?%zu", n + 1)) < 0)
		goto done;
	if ((error = run_write(e, sql.ptr, values, n, id, &changes)) < 0)
		goto done;
	if (changes == 0)
		error = ruhu_error_set(RUHU_ENOTFOUND, "no %s with id %s", type, id);
done:
	ruhu_buf_dispose(&sql);
	return error;
}

int ruhu_edit_delete(ruhu_edit *e, const char *type, const char *id)
{
	const ruhu_type *t;
	ruhu_buf sql = RUHU_BUF_INIT;
	int error, changes = 0;

	if ((error = ruhu_edit_type(&t, e->schema, type)) < 0)
		goto done;
	if ((error = ruhu_buf_puts(&sql, "DELETE FROM ")) < 0 ||
	    (error = quote_ident(&sql, ruhu_type_name(t))) < 0 ||
	    (error = ruhu_buf_puts(&sql, " WHERE ")) < 0 ||
	    (error = quote_ident(&sql, ruhu_field_name(ruhu_type_pk(t)))) < 0 ||
	    (error = ruhu_buf_puts(&sql, "=?1")) < 0)
		goto done;
	if ((error = run_write(e, sql.ptr, NULL, 0, id, &changes)) < 0)
		goto done;
	if (changes == 0)
		error = ruhu_error_set(RUHU_ENOTFOUND, "no %s with id %s", type, id);
done:
	ruhu_buf_dispose(&sql);
	return error;
}

int ruhu_edit_sql(ruhu_edit *e, const char *sql, ruhu_row_cb cb, void *payload)
{
	return ruhu_replica_sql(e->r, sql, cb, payload);
}
