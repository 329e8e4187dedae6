/*
 * refs.c — refs in the _refs table of a replica (see core/refs.h).
 *
 * Design notes
 *  1. Every change is one SQL statement whose WHERE or ON CONFLICT clause
 *     carries the compare-and-swap (refs.h, design note 3); sqlite3_changes
 *     tells whether it took.  Only when it did not is the current value read,
 *     for the message.
 *  2. Statements are prepared per call: refs change a few times per save,
 *     and a function that holds no statement between calls leaves the
 *     caller's transaction free to end at any time.
 */
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "core/refs.h"

#define SCHEMA \
	"CREATE TABLE IF NOT EXISTS _refs(" \
	"name TEXT PRIMARY KEY NOT NULL, " \
	"oid BLOB NOT NULL CHECK(length(oid) = 20)) STRICT"
#define MAX_NAME 1024

static int sql_error(sqlite3 *db, int rc, const char *what, const char *name)
{
	int code = RUHU_ERROR;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: code = RUHU_EBUSY; break;
	case SQLITE_READONLY: code = RUHU_EREADONLY; break;
	case SQLITE_FULL: code = RUHU_ENOSPACE; break;
	case SQLITE_NOMEM: code = RUHU_ENOMEM; break;
	}
	return ruhu_error_set(code, "cannot %s ref %s: %s", what, name, sqlite3_errmsg(db));
}

static int check_name(const char *name)
{
	int valid = 0;

	if (name == NULL || strncmp(name, "refs/", 5) != 0 || strlen(name) > MAX_NAME ||
	    git_reference_name_is_valid(&valid, name) < 0 || !valid)
		return ruhu_error_set(RUHU_EINVALID, "'%.80s' is not a valid ref name",
			name ? name : "");
	return 0;
}

static int table_exists(sqlite3 *db)
{
	return sqlite3_table_column_metadata(db, NULL, "_refs", NULL, NULL, NULL, NULL, NULL,
		NULL) == SQLITE_OK;
}

int ruhu_refs_init(sqlite3 *db)
{
	int rc = sqlite3_exec(db, SCHEMA, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_error(db, rc, "create the table of", "names");
}

static int prepare(sqlite3_stmt **st, sqlite3 *db, const char *sql, const char *name)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : sql_error(db, rc, "look up", name);
}

int ruhu_refs_get(git_oid *out, sqlite3 *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	int rc, error;

	memset(out, 0, sizeof(*out));
	if ((error = check_name(name)) < 0)
		return error;
	if (!table_exists(db))
		return ruhu_error_set(RUHU_ENOTFOUND, "no ref %s", name);
	if ((error = prepare(&st, db, "SELECT oid FROM _refs WHERE name = ?1", name)) < 0)
		return error;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == GIT_OID_RAWSZ)
		git_oid_fromraw(out, sqlite3_column_blob(st, 0));
	else if (rc == SQLITE_ROW)
		error = ruhu_error_set(RUHU_ECORRUPT, "ref %s holds a damaged id", name);
	else if (rc == SQLITE_DONE)
		error = ruhu_error_set(RUHU_ENOTFOUND, "no ref %s", name);
	else
		error = sql_error(db, rc, "read", name);
	sqlite3_finalize(st);
	return error;
}

/* The message for a compare-and-swap that did not take (design note 1). */
static int conflict(sqlite3 *db, const char *name, const git_oid *expected)
{
	char want[GIT_OID_HEXSZ + 1], have[GIT_OID_HEXSZ + 1];
	git_oid now;
	int error = ruhu_refs_get(&now, db, name);

	if (error < 0 && error != RUHU_ENOTFOUND)
		return error;
	git_oid_tostr(want, sizeof(want), expected);
	if (error == RUHU_ENOTFOUND)
		return ruhu_error_set(RUHU_ECONFLICT, "ref %s was expected at %.12s but is missing",
			name, want);
	git_oid_tostr(have, sizeof(have), &now);
	if (git_oid_is_zero(expected))
		return ruhu_error_set(RUHU_ECONFLICT, "ref %s already exists at %.12s", name, have);
	return ruhu_error_set(RUHU_ECONFLICT, "ref %s moved: expected %.12s, found %.12s", name,
		want, have);
}

int ruhu_refs_set(sqlite3 *db, const char *name, const git_oid *oid, const git_oid *expected)
{
	const char *sql;
	sqlite3_stmt *st = NULL;
	int rc, error;

	if ((error = check_name(name)) < 0)
		return error;
	if (git_oid_is_zero(oid))
		return ruhu_error_set(RUHU_EINVALID, "ref %s cannot point at the zero id", name);
	if ((error = ruhu_refs_init(db)) < 0)
		return error;
	if (expected == NULL)
		sql = "INSERT INTO _refs(name, oid) VALUES (?1, ?2) "
		      "ON CONFLICT(name) DO UPDATE SET oid = excluded.oid";
	else if (git_oid_is_zero(expected))
		sql = "INSERT INTO _refs(name, oid) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING";
	else
		sql = "UPDATE _refs SET oid = ?2 WHERE name = ?1 AND oid = ?3";
	if ((error = prepare(&st, db, sql, name)) < 0)
		return error;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, oid->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	if (expected && !git_oid_is_zero(expected))
		sqlite3_bind_blob(st, 3, expected->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		error = sql_error(db, rc, "write", name);
	else if (expected && sqlite3_changes(db) == 0)
		error = conflict(db, name, expected);
	sqlite3_finalize(st);
	return error;
}

int ruhu_refs_delete(sqlite3 *db, const char *name, const git_oid *expected)
{
	sqlite3_stmt *st = NULL;
	git_oid now;
	int rc, error;

	if ((error = check_name(name)) < 0)
		return error;
	if (!table_exists(db))
		return ruhu_error_set(RUHU_ENOTFOUND, "no ref %s", name);
	if ((error = prepare(&st, db, expected ? "DELETE FROM _refs WHERE name = ?1 AND oid = ?2"
					       : "DELETE FROM _refs WHERE name = ?1", name)) < 0)
		return error;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (expected)
		sqlite3_bind_blob(st, 2, expected->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		error = sql_error(db, rc, "delete", name);
	else if (sqlite3_changes(db) == 0 && (error = ruhu_refs_get(&now, db, name)) == 0)
		error = expected ? conflict(db, name, expected)
				 : ruhu_error_set(RUHU_ERROR, "cannot delete ref %s", name);
	sqlite3_finalize(st);
	return error;
}

typedef struct {
	char *name;
	git_oid oid;
} ref_row;

int ruhu_refs_foreach(sqlite3 *db, const char *prefix, ruhu_refs_cb cb, void *payload)
{
	sqlite3_stmt *st = NULL;
	ref_row *rows = NULL, *grown;
	size_t n = 0, alloc = 0, plen = prefix ? strlen(prefix) : 0;
	int rc, error = 0;

	if (!table_exists(db))
		return 0;
	/* substr() of a blob counts bytes: a prefix of any characters, no LIKE escapes */
	if ((error = prepare(&st, db,
		"SELECT name, oid FROM _refs "
		"WHERE substr(CAST(name AS BLOB), 1, ?2) = CAST(?1 AS BLOB) ORDER BY name",
		prefix ? prefix : "")) < 0)
		return error;
	sqlite3_bind_text(st, 1, prefix ? prefix : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)plen);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (name == NULL || sqlite3_column_bytes(st, 1) != GIT_OID_RAWSZ) {
			error = ruhu_error_set(RUHU_ECORRUPT, "table _refs holds a damaged row");
			goto done;
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			if ((grown = realloc(rows, alloc * sizeof(*rows))) == NULL) {
				error = ruhu_error_oom();
				goto done;
			}
			rows = grown;
		}
		if ((rows[n].name = strdup(name)) == NULL) {
			error = ruhu_error_oom();
			goto done;
		}
		git_oid_fromraw(&rows[n++].oid, sqlite3_column_blob(st, 1));
	}
	if (rc != SQLITE_DONE) {
		error = sql_error(db, rc, "list", prefix && *prefix ? prefix : "refs/");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < n && error == 0; i++)
		error = cb(rows[i].name, &rows[i].oid, payload);
done:
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++)
		free(rows[i].name);
	free(rows);
	return error;
}
