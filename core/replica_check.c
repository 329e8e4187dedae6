/*
 * replica_check.c — the integrity check of an open replica (every page
 * authenticated, then SQLite's integrity_check), and SQL run on it for
 * `ruhu sql` and queries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/replica.h"

/*
 * Does an integrity-check line say a page could not be read for a reason
 * other than damage?  SQLite 3.40 writes "unable to get the page. error
 * code=N" with N the result of the read: a failed authentication
 * (SQLITE_IOERR_DATA) or SQLITE_CORRUPT is damage; another I/O error or
 * SQLITE_NOMEM means the check could not run.
 */
static int unreadable(const char *line)
{
	const char *p = strstr(line, "unable to get the page. error code=");
	char *end;
	long code;

	if (p == NULL)
		return 0;
	code = strtol(p + strlen("unable to get the page. error code="), &end, 10);
	if (end == p)
		return 0;
	return code == SQLITE_NOMEM ||
	       ((code & 0xff) == SQLITE_IOERR && code != SQLITE_IOERR_DATA);
}

int ruhu_replica_check(ruhu_replica *r, ruhu_replica_check_report *out)
{
	sqlite3_stmt *st = NULL;
	int rc, error;

	memset(out, 0, sizeof(*out));
	ruhu_vfs_clear_failure();
	/* after a power loss in a checkpoint, pages of replica.db whose newest
	 * version is in the WAL may be torn: copy the WAL back first (passive:
	 * what a reader of another process holds stays, and is not waited for) */
	rc = sqlite3_wal_checkpoint_v2(r->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
		return ruhu_replica_sqlite_error(r, rc, "cannot checkpoint before the check");
	if ((error = ruhu_replica_exec(r, "BEGIN")) < 0)
		return error;
	if ((rc = sqlite3_prepare_v2(r->db, "PRAGMA integrity_check", -1, &st, NULL)) == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *line = (const char *)sqlite3_column_text(st, 0);

			if (line && unreadable(line)) {
				error = ruhu_error_set(RUHU_ERROR, "cannot check replica %s: %s", r->dir, line);
				sqlite3_finalize(st);
				ruhu_replica_rollback(r);
				return error;
			}
			if (line && strcmp(line, "ok") != 0 && out->integrity_errors++ == 0)
				snprintf(out->first_error, sizeof(out->first_error), "%s", line);
		}
	}
	if (rc != SQLITE_DONE) {
		/* a page that fails authentication is damage; a read that fails
		 * or memory that runs out means the check could not run */
		if ((error = ruhu_replica_sqlite_error(r, rc, "integrity check failed")) != RUHU_ECORRUPT) {
			sqlite3_finalize(st);
			ruhu_replica_rollback(r);
			return error;
		}
		if (out->integrity_errors++ == 0)
			snprintf(out->first_error, sizeof(out->first_error), "%s", ruhu_error_last());
	}
	sqlite3_finalize(st);
	error = ruhu_vfs_verify_pages(r->db, &out->pages, &out->pages_failed, &out->first_failed_page);
	ruhu_replica_rollback(r);
	if (error < 0)
		return error;
	if (out->pages_failed && out->first_error[0] == '\0')
		snprintf(out->first_error, sizeof(out->first_error),
			 "%s page %u failed authentication", r->db_path, out->first_failed_page);
	if (out->pages_failed || out->integrity_errors)
		return ruhu_error_set(RUHU_ECORRUPT, "replica %s is damaged or was altered: %s",
				      r->dir, out->first_error);
	ruhu_error_clear();
	return 0;
}

static void column_value(ruhu_value *v, sqlite3_stmt *st, int i)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		v->type = RUHU_VALUE_INTEGER;
		v->i = sqlite3_column_int64(st, i);
		break;
	case SQLITE_FLOAT:
		v->type = RUHU_VALUE_REAL;
		v->d = sqlite3_column_double(st, i);
		break;
	case SQLITE_TEXT:
		v->type = RUHU_VALUE_TEXT;
		v->p = (const char *)sqlite3_column_text(st, i);
		v->len = (size_t)sqlite3_column_bytes(st, i);
		break;
	case SQLITE_BLOB:
		v->type = RUHU_VALUE_BLOB;
		v->p = sqlite3_column_blob(st, i);
		v->len = (size_t)sqlite3_column_bytes(st, i);
		break;
	default:
		v->type = RUHU_VALUE_NULL;
	}
}

/* Step a prepared statement, giving each row to cb as statement `n`. */
static int run_rows(ruhu_replica *r, sqlite3_stmt *st, int n, ruhu_row_cb cb, void *payload)
{
	int ncols = sqlite3_column_count(st), rc, error = 0;
	const char **names = calloc((size_t)ncols + 1, sizeof(*names));
	ruhu_value *values = calloc((size_t)ncols + 1, sizeof(*values));

	if (!names || !values) {
		error = ruhu_error_oom();
		goto done;
	}
	for (int i = 0; i < ncols; i++)
		names[i] = sqlite3_column_name(st, i);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < ncols; i++)
			column_value(&values[i], st, i);
		if (cb && (error = cb(n, ncols, names, values, payload)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ruhu_replica_sqlite_error(r, rc, "sql");
done:
	free(names);
	free(values);
	return error;
}

int ruhu_replica_sql(ruhu_replica *r, const char *sql, ruhu_row_cb cb, void *payload)
{
	const char *tail = sql;
	sqlite3_stmt *st = NULL;
	int rc, error = 0, n = 0;

	while (tail && *tail) {
		if ((rc = sqlite3_prepare_v2(r->db, tail, -1, &st, &tail)) != SQLITE_OK) {
			error = ruhu_replica_sqlite_error(r, rc, "sql");
			goto done;
		}
		if (st == NULL)
			continue; /* whitespace or a comment */
		if ((error = run_rows(r, st, n, cb, payload)) != 0)
			goto done;
		sqlite3_finalize(st);
		st = NULL;
		n++;
	}
done:
	sqlite3_finalize(st);
	return error;
}

int ruhu_replica_query(ruhu_replica *r, const char *sql, const char *const *binds, size_t nbinds,
		       ruhu_row_cb cb, void *payload)
{
	sqlite3_stmt *st = NULL;
	int rc, error;

	if ((rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return ruhu_replica_sqlite_error(r, rc, "query");
	for (size_t i = 0; i < nbinds; i++)
		if (binds[i])
			sqlite3_bind_text(st, (int)i + 1, binds[i], -1, SQLITE_STATIC);
	error = run_rows(r, st, 0, cb, payload);
	sqlite3_finalize(st);
	return error;
}
