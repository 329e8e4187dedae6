/*
 * meta.c — the `_meta` table of a replica (see meta.h).
 */
#include <string.h>

#include "core/meta.h"

int ruhu_sql_error(sqlite3 *db, int rc, const char *what)
{
	int base = rc & 0xff;

	if (rc == SQLITE_CONSTRAINT_COMMITHOOK)
		return ruhu_error_set(RUHU_ERROR, "cannot %s: the transaction was rolled back by an "
				      "earlier error", what);
	if (rc == SQLITE_IOERR_NOMEM)
		return ruhu_error_oom();
	switch (base) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ruhu_error_set(RUHU_EBUSY, "cannot %s: the replica is in use by another process", what);
	case SQLITE_FULL:
		return ruhu_error_set(RUHU_ENOSPACE, "cannot %s: no space left on device", what);
	case SQLITE_READONLY:
		return ruhu_error_set(RUHU_EREADONLY, "cannot %s: the replica is read-only", what);
	case SQLITE_NOMEM:
		return ruhu_error_oom();
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return ruhu_error_set(RUHU_ECORRUPT, "cannot %s: the replica is damaged: %s", what,
				      sqlite3_errmsg(db));
	case SQLITE_IOERR:
		if (rc == SQLITE_IOERR_DATA)
			return ruhu_error_set(RUHU_ECORRUPT, "cannot %s: a page of the replica failed "
					      "authentication", what);
		return ruhu_error_set(RUHU_ERROR, "cannot %s: i/o error: %s", what, sqlite3_errmsg(db));
	default:
		return ruhu_error_set(RUHU_ERROR, "cannot %s: %s", what, sqlite3_errmsg(db));
	}
}

static int lookup(sqlite3_stmt **out, sqlite3 *db, const char *key)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = sqlite3_prepare_v2(db, "SELECT value FROM _meta WHERE key = ?1", -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "read the replica's settings");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE || (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL)) {
		sqlite3_finalize(st);
		return ruhu_error_set(RUHU_ENOTFOUND, "the replica has no setting '%s'", key);
	}
	if (rc != SQLITE_ROW) {
		int error = ruhu_sql_error(db, rc, "read the replica's settings");

		sqlite3_finalize(st);
		return error;
	}
	*out = st;
	return 0;
}

int ruhu_meta_get(ruhu_buf *out, sqlite3 *db, const char *key)
{
	sqlite3_stmt *st;
	int error;

	ruhu_buf_clear(out);
	if ((error = lookup(&st, db, key)) < 0)
		return error;
	error = ruhu_buf_put(out, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_finalize(st);
	return error;
}

int ruhu_meta_get_int(int64_t *out, sqlite3 *db, const char *key)
{
	sqlite3_stmt *st;
	int error;

	if ((error = lookup(&st, db, key)) < 0)
		return error;
	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
		error = ruhu_error_set(RUHU_ECORRUPT, "the replica's setting '%s' is not a number", key);
	else
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return error;
}

int ruhu_meta_int_or(int64_t *out, sqlite3 *db, const char *key, int64_t dflt)
{
	int error = ruhu_meta_get_int(out, db, key);

	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		*out = dflt;
		return 0;
	}
	return error;
}

static int store(sqlite3 *db, const char *key, const char *text, const int64_t *num)
{
	sqlite3_stmt *st = NULL;
	int rc;
	const char *sql = (text || num)
		? "INSERT INTO _meta(key, value) VALUES(?1, ?2) "
		  "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
		: "DELETE FROM _meta WHERE key = ?1";

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "write the replica's settings");
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (text)
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	else if (num)
		sqlite3_bind_int64(st, 2, *num);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ruhu_sql_error(db, rc, "write the replica's settings");
	return 0;
}

int ruhu_meta_set(sqlite3 *db, const char *key, const char *value)
{
	return store(db, key, value, NULL);
}

int ruhu_meta_set_int(sqlite3 *db, const char *key, int64_t value)
{
	return store(db, key, NULL, &value);
}
