/*
 * replica.c — the schema inside a replica's database: install and upgrade,
 * version check, session attachment, frozen rows, the stored catalogue, the
 * calendar from the holiday table (schema_db.h).
 *
 * Design notes
 *  1. Writers run inside SAVEPOINT ruhu_schema (schema_db.h, note 1): on
 *     failure they ROLLBACK TO it and RELEASE it, leaving the caller's
 *     transaction as it was before the call.
 *  2. _migrations records each applied migration's number, file name,
 *     SHA-256 and the schema version that applied it.  A recorded migration
 *     whose SHA-256 differs from the schema's file, a gap, or a number the
 *     schema does not have means the database was made by another schema:
 *     RUHU_ESCHEMA, nothing changed.
 *  3. Formats (frozen):
 *       _meta       key 'schema_version' → 64 hex digits (ruhu/schema.h, 5)
 *       _migrations number INTEGER PRIMARY KEY, name TEXT, sha256 TEXT,
 *                   schema_version TEXT, applied_at TEXT (UTC, ISO 8601)
 *       _catalogue  slot TEXT PRIMARY KEY ('current'), name TEXT,
 *                   source TEXT (the catalogue file, byte for byte),
 *                   version TEXT (SHA-256 of source), stored_at TEXT
 */
#include <stdlib.h>
#include <string.h>

#include "schema/schema_db.h"
#include "schema/schema_int.h"

static const char own_tables[] =
	"CREATE TABLE IF NOT EXISTS _meta(key TEXT PRIMARY KEY, value ANY) STRICT;"
	"CREATE TABLE IF NOT EXISTS _migrations(number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	" sha256 TEXT NOT NULL, schema_version TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS _catalogue(slot TEXT PRIMARY KEY, name TEXT NOT NULL,"
	" source TEXT NOT NULL, version TEXT NOT NULL, stored_at TEXT NOT NULL) STRICT;";

static int db_error(sqlite3 *db, const char *what)
{
	int rc = sqlite3_errcode(db) & 0xff;
	int code = rc == SQLITE_NOMEM ? RUHU_ENOMEM : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ?
		   RUHU_EBUSY : rc == SQLITE_FULL ? RUHU_ENOSPACE : rc == SQLITE_READONLY ?
		   RUHU_EREADONLY : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? RUHU_ECORRUPT : RUHU_ERROR;

	return ruhu_error_set(code, "%s: %s", what, sqlite3_errmsg(db));
}

static int begin(sqlite3 *db)
{
	if (sqlite3_exec(db, "SAVEPOINT ruhu_schema", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, "cannot start a savepoint");
	return 0;
}

static int finish(sqlite3 *db, int error)
{
	if (error < 0) {
		sqlite3_exec(db, "ROLLBACK TO ruhu_schema", NULL, NULL, NULL);
		sqlite3_exec(db, "RELEASE ruhu_schema", NULL, NULL, NULL);
		return error;
	}
	if (sqlite3_exec(db, "RELEASE ruhu_schema", NULL, NULL, NULL) != SQLITE_OK) {
		error = db_error(db, "cannot release the savepoint");
		sqlite3_exec(db, "ROLLBACK TO ruhu_schema", NULL, NULL, NULL);
		sqlite3_exec(db, "RELEASE ruhu_schema", NULL, NULL, NULL);
	}
	return error;
}

/* How many recorded migrations match the schema's (note 2). */
static int recorded(sqlite3 *db, const ruhu_schema *s, size_t *count)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	*count = 0;
	if (sqlite3_prepare_v2(db, "SELECT number, name, sha256 FROM _migrations ORDER BY number",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "cannot read _migrations");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long number = sqlite3_column_int64(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *sha = (const char *)sqlite3_column_text(st, 2);

		if (number != (long long)*count + 1) {
			error = ruhu_error_set(RUHU_ESCHEMA, "the database's migrations have a gap before "
					       "number %lld", number);
			break;
		}
		if (*count >= s->nmigrations) {
			error = ruhu_error_set(RUHU_ESCHEMA, "the database has migration %04lld (%s), newer "
					       "than this schema's last (%04zu)", number,
					       name ? name : "?", s->nmigrations);
			break;
		}
		if (sha == NULL || strcmp(sha, s->migrations[*count].sha256) != 0) {
			error = ruhu_error_set(RUHU_ESCHEMA, "migration %s in the database differs from "
					       "this schema's", s->migrations[*count].name);
			break;
		}
		(*count)++;
	}
	if (error == 0 && rc != SQLITE_DONE)
		error = db_error(db, "cannot read _migrations");
	sqlite3_finalize(st);
	return error;
}

static int apply(sqlite3 *db, const ruhu_schema *s, size_t from)
{
	sqlite3_stmt *st = NULL;
	int error = 0;

	if (sqlite3_prepare_v2(db, "INSERT INTO _migrations(number, name, sha256, schema_version,"
			       " applied_at) VALUES (?1, ?2, ?3, ?4,"
			       " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "cannot record a migration");
	for (size_t i = from; i < s->nmigrations; i++) {
		const struct migration *m = &s->migrations[i];

		if ((error = schema_run_sql(db, m->name, m->sql, m->len, NULL, NULL)) < 0)
			break;
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, m->number);
		sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, m->sha256, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, s->version, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			error = db_error(db, "cannot record a migration");
			break;
		}
	}
	sqlite3_finalize(st);
	return error;
}

static int set_version(sqlite3 *db, const ruhu_schema *s)
{
	sqlite3_stmt *st = NULL;
	int error = 0;

	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO _meta(key, value) VALUES"
			       " ('schema_version', ?1)", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, s->version, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE)
		error = db_error(db, "cannot record the schema version");
	sqlite3_finalize(st);
	return error;
}

int ruhu_schema_install(sqlite3 *db, const ruhu_schema *schema)
{
	size_t done = 0;
	int error;

	if (db == NULL || schema == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no database or schema to install");
	if ((error = ruhu_schema_register(db)) < 0 || (error = begin(db)) < 0)
		return error;
	if (sqlite3_exec(db, own_tables, NULL, NULL, NULL) != SQLITE_OK)
		error = db_error(db, "cannot create the schema's own tables");
	if (error == 0)
		error = recorded(db, schema, &done);
	if (error == 0)
		error = apply(db, schema, done);
	if (error == 0)
		error = set_version(db, schema);
	return finish(db, error);
}

int ruhu_schema_installed_version(ruhu_buf *out, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	ruhu_buf_clear(out);
	if ((rc = sqlite3_prepare_v2(db, "SELECT value FROM _meta WHERE key = 'schema_version'", -1, &st,
				     NULL)) != SQLITE_OK) {
		sqlite3_finalize(st);
		/* no such table; anything else (out of memory, i/o) is an error */
		if ((rc & 0xff) != SQLITE_ERROR)
			return db_error(db, "cannot read the schema version");
		return ruhu_error_set(RUHU_ENOTFOUND, "the database has no schema version (no _meta table)");
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
		error = ruhu_buf_puts(out, (const char *)sqlite3_column_text(st, 0));
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		error = ruhu_error_set(RUHU_ENOTFOUND, "the database has no schema version");
	else
		error = db_error(db, "cannot read the schema version");
	sqlite3_finalize(st);
	return error;
}

int ruhu_schema_verify(sqlite3 *db, const ruhu_schema *schema)
{
	ruhu_buf v = RUHU_BUF_INIT;
	int error;

	if (db == NULL || schema == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no database or schema to verify");
	if ((error = ruhu_schema_installed_version(&v, db)) == RUHU_ENOTFOUND)
		error = ruhu_error_set(RUHU_ESCHEMA, "the database has no schema installed");
	else if (error == 0 && strcmp(v.ptr, schema->version) != 0)
		error = ruhu_error_set(RUHU_ESCHEMA, "the database's schema version %.16s differs from "
				       "this ruhu's %.16s", v.ptr, schema->version);
	ruhu_buf_dispose(&v);
	return error;
}

int ruhu_schema_attach_session(sqlite3_session *session, const ruhu_schema *schema)
{
	for (size_t i = 0; session && schema && i < schema->ntypes; i++) {
		int rc = sqlite3session_attach(session, schema->types[i]->name);

		if (rc != SQLITE_OK)
			return ruhu_error_set(rc == SQLITE_NOMEM ? RUHU_ENOMEM : RUHU_ERROR,
					      "cannot attach table %s to the session: %s",
					      schema->types[i]->name, sqlite3_errstr(rc));
	}
	return session && schema ? 0 : ruhu_error_set(RUHU_EINVALID, "no session or schema");
}

int ruhu_type_row_frozen(int *out, sqlite3 *db, const ruhu_type *type, const char *id)
{
	sqlite3_stmt *st = NULL;
	ruhu_buf sql = RUHU_BUF_INIT;
	int error = 0, rc;

	if (out == NULL || db == NULL || type == NULL || id == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no row to look at");
	*out = type->mut == RUHU_IMMUTABLE;
	if (type->mut != RUHU_IMMUTABLE_AFTER)
		return 0;
	if ((error = ruhu_buf_printf(&sql, "SELECT 1 FROM \"%s\" WHERE id = ?1 AND (%s)", type->name,
				     type->immutable_after)) < 0)
		return error;
	if (sqlite3_prepare_v2(db, sql.ptr, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK)
		error = db_error(db, "cannot evaluate immutable_after");
	else if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = 1;
	else if (rc != SQLITE_DONE)
		error = db_error(db, "cannot evaluate immutable_after");
	sqlite3_finalize(st);
	ruhu_buf_dispose(&sql);
	return error;
}

/* --- the catalogue in the replica --- */

int ruhu_catalogue_store(sqlite3 *db, const ruhu_catalogue *cat)
{
	sqlite3_stmt *st = NULL;
	int error;

	if (db == NULL || cat == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no database or catalogue to store");
	if ((error = begin(db)) < 0)
		return error;
	if (sqlite3_exec(db, own_tables, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO _catalogue(slot, name, source, version,"
			       " stored_at) VALUES ('current', ?1, ?2, ?3,"
			       " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", -1, &st, NULL) != SQLITE_OK)
		error = db_error(db, "cannot store the catalogue");
	else if (sqlite3_bind_text(st, 1, cat->name, -1, SQLITE_STATIC) != SQLITE_OK ||
		 sqlite3_bind_text(st, 2, cat->source, (int)cat->len, SQLITE_STATIC) != SQLITE_OK ||
		 sqlite3_bind_text(st, 3, cat->version, -1, SQLITE_STATIC) != SQLITE_OK ||
		 sqlite3_step(st) != SQLITE_DONE)
		error = db_error(db, "cannot store the catalogue");
	sqlite3_finalize(st);
	return finish(db, error);
}

int ruhu_catalogue_load_db(ruhu_catalogue **out, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	if (out == NULL || db == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no database to load the catalogue from");
	*out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT name, source FROM _catalogue WHERE slot = 'current'",
			       -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return ruhu_error_set(RUHU_ENOTFOUND, "the replica holds no catalogue");
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const void *src = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);

		error = ruhu_catalogue_load_buffer(out, name ? name : "replica catalogue",
						   src ? src : "", len);
	} else if (rc == SQLITE_DONE) {
		error = ruhu_error_set(RUHU_ENOTFOUND, "the replica holds no catalogue");
	} else {
		error = db_error(db, "cannot read the catalogue");
	}
	sqlite3_finalize(st);
	return error;
}

/* --- the calendar from the holiday table --- */

int ruhu_calendar_load(ruhu_calendar **out, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	ruhu_holiday *days = NULL;
	ruhu_buf text = RUHU_BUF_INIT;
	size_t n = 0, cap = 0;
	int error = 0, rc;

	if (out == NULL || db == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no database to read the calendar from");
	*out = NULL;
	if (sqlite3_prepare_v2(db, "SELECT date, kind FROM holiday", -1, &st, NULL) != SQLITE_OK)
		return db_error(db, "cannot read the holiday table");
	/* dates are kept in one buffer, NUL-separated, and pointed to after */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *date = (const char *)sqlite3_column_text(st, 0);
		const char *kind = (const char *)sqlite3_column_text(st, 1);

		if (date == NULL || kind == NULL || strlen(date) != 10) {
			error = ruhu_error_set(RUHU_ECORRUPT, "a holiday row has no valid date or kind");
			goto done;
		}
		if ((error = array_grow((void **)&days, &cap, n + 1, sizeof(*days))) < 0 ||
		    (error = ruhu_buf_put(&text, date, 11)) < 0)
			goto done;
		days[n].date = NULL;
		days[n++].kind = !strcmp(kind, "workday") ? RUHU_DAY_WORKDAY : RUHU_DAY_HOLIDAY;
	}
	if (rc != SQLITE_DONE) {
		error = db_error(db, "cannot read the holiday table");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		days[i].date = text.ptr + 11 * i;
	error = ruhu_calendar_new(out, days, n);
done:
	sqlite3_finalize(st);
	free(days);
	ruhu_buf_dispose(&text);
	return error;
}

int ruhu_calendar_promised_date_db(char out[RUHU_DATE_SIZE], sqlite3 *db,
				   const char *received, unsigned int working_days)
{
	ruhu_calendar *cal = NULL;
	int error;

	if ((error = ruhu_calendar_load(&cal, db)) == 0)
		error = ruhu_calendar_promised_date(out, cal, received, working_days);
	ruhu_calendar_free(cal);
	return error;
}
