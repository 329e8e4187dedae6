/*
 * odb_error.c — the object store's failures: the backend's last SQLite
 * failure and the loss of a transaction (odb.c, design notes 3 and 6), and
 * the mapping of libgit2 and SQLite results to ruhu errors.  The design
 * notes cited here are those of odb.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/odb_int.h"

/* Design note 6 (odb.c): the backend's last SQLite failure, per thread. */
__thread struct ruhu_odb_failure ruhu_odb_last_failure;

int ruhu_git_error(int giterr, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	char what[512];
	va_list ap;
	int code = RUHU_ERROR;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (giterr == GIT_ENOTFOUND)
		code = RUHU_ENOTFOUND;
	else if (giterr == GIT_EMISMATCH)
		code = RUHU_ECORRUPT;
	else if (giterr == GIT_EEXISTS)
		code = RUHU_EEXISTS;
	else if (giterr == GIT_EAMBIGUOUS || giterr == GIT_EINVALIDSPEC)
		code = RUHU_EINVALID;
	else if (e && e->klass == GIT_ERROR_NOMEMORY)
		code = RUHU_ENOMEM;
	else if (ruhu_odb_last_failure.code && e && e->message &&
		 !strcmp(e->message, ruhu_odb_last_failure.msg))
		code = ruhu_odb_last_failure.code;   /* design note 6 */
	ruhu_odb_last_failure.code = 0;
	return ruhu_error_set(code, "%s: %s", what, e && e->message ? e->message : "libgit2 failed");
}

/* The ruhu code of an SQLite result (the replica's own mapping, without
 * the replica at hand). */
int ruhu_odb_sql_code(int rc)
{
	if (rc == SQLITE_IOERR_DATA)
		return RUHU_ECORRUPT;
	if (rc == SQLITE_IOERR_NOMEM)
		return RUHU_ENOMEM;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return RUHU_EBUSY;
	case SQLITE_NOMEM:
		return RUHU_ENOMEM;
	case SQLITE_FULL:
		return RUHU_ENOSPACE;
	case SQLITE_READONLY:
		return RUHU_EREADONLY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return RUHU_ECORRUPT;
	default:
		return RUHU_ERROR;
	}
}

int ruhu_odb_sql_fail(backend *b, const char *what)
{
	ruhu_odb_last_failure.code = ruhu_odb_sql_code(sqlite3_extended_errcode(b->db));
	snprintf(ruhu_odb_last_failure.msg, sizeof(ruhu_odb_last_failure.msg),
		 "object store cannot %s: %s", what, sqlite3_errmsg(b->db));
	git_error_set_str(GIT_ERROR_ODB, ruhu_odb_last_failure.msg);
	return -1;
}

/* Design note 3: a call of the backend begins; 1 when inside a transaction
 * (which shows that no earlier loss is pending any more). */
int ruhu_odb_enter(backend *b)
{
	int in_txn = !sqlite3_get_autocommit(b->db);

	if (in_txn)
		b->lost_code = 0;
	return in_txn;
}

/* ruhu_odb_sql_fail, and the loss of the caller's transaction when the failure
 * rolled it back (design note 3). */
int ruhu_odb_sql_fail_in(backend *b, const char *what, int in_txn)
{
	ruhu_odb_sql_fail(b, what);
	if (in_txn && sqlite3_get_autocommit(b->db)) {
		b->lost_code = ruhu_odb_last_failure.code;
		memcpy(b->lost_msg, ruhu_odb_last_failure.msg, sizeof(b->lost_msg));
	}
	return -1;
}

int ruhu_odb_take_failure(void)
{
	int code = ruhu_odb_last_failure.code;

	if (code == 0)
		return 0;
	ruhu_odb_last_failure.code = 0;
	return ruhu_error_set(code, "%s", ruhu_odb_last_failure.msg);
}

int ruhu_odb_exec(sqlite3 *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return 0;
	return ruhu_error_set(ruhu_odb_sql_code(rc), "object store cannot %s: %s", what,
		sqlite3_errmsg(db));
}
