/*
 * replica_txn.c — transactions and savepoints on a replica's connection, and
 * the mapping of SQLite's errors to ruhu's.
 *
 * Design notes
 *  1. SQLite rolls a whole transaction back by itself when a statement in it
 *     fails with an I/O error, a full disk or out of memory.  A caller that
 *     missed that error would go on in autocommit mode, each later write
 *     committing on its own: half a save.  So between ruhu_replica_begin and
 *     its commit or rollback, a commit hook refuses every commit but the one
 *     ruhu_replica_commit makes (the write fails, nothing of it is kept),
 *     and that commit reports the lost transaction as an error.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/replica.h"

/* ---- errors ---- */

int ruhu_replica_sqlite_error(ruhu_replica *r, int rc, const char *what)
{
	struct ruhu_vfs_failure f;
	const char *msg = r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc);
	int sys = r->db ? sqlite3_system_errno(r->db) : 0;

	if (rc == SQLITE_IOERR_DATA || ((rc & 0xff) == SQLITE_IOERR && ruhu_vfs_take_failure(&f))) {
		if (rc == SQLITE_IOERR_DATA && ruhu_vfs_take_failure(&f) == 0)
			return ruhu_error_set(RUHU_ECORRUPT, "replica %s is damaged or was altered: "
					      "a page failed authentication", r->dir);
		if (f.frame)
			return ruhu_error_set(RUHU_ECORRUPT, "replica %s is damaged or was altered: "
					      "%s frame %u (page %u) failed authentication",
					      r->dir, f.file, f.frame, f.pgno);
		return ruhu_error_set(RUHU_ECORRUPT, "replica %s is damaged or was altered: "
				      "%s page %u failed authentication", r->dir, f.file, f.pgno);
	}
	if (rc == SQLITE_CONSTRAINT_COMMITHOOK)
		return ruhu_error_set(RUHU_ERROR, "%s: the transaction was rolled back by an earlier error",
				      what);
	if (rc == SQLITE_IOERR_NOMEM)
		return ruhu_error_oom();
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ruhu_error_set(RUHU_EBUSY, "replica %s is in use by another process", r->dir);
	case SQLITE_FULL:
		return ruhu_error_set(RUHU_ENOSPACE, "no space left on device");
	case SQLITE_READONLY:
		return ruhu_error_set(RUHU_EREADONLY, "replica %s is read-only", r->dir);
	case SQLITE_CANTOPEN:
		/* a journal or WAL that cannot be made beside a database opened
		 * read-only: read-only media or folder */
		if (sys == EROFS || sys == EACCES || sys == EPERM ||
		    (r->db && sqlite3_db_readonly(r->db, "main") == 1))
			return ruhu_error_set(RUHU_EREADONLY, "replica %s is read-only (%s)", r->dir,
					      sys == EROFS || sys == EACCES || sys == EPERM ? strerror(sys) :
					      "read-only file system or folder");
		return ruhu_error_set(RUHU_ERROR, "%s: %s", what, msg);
	case SQLITE_NOMEM:
		return ruhu_error_oom();
	case SQLITE_NOTADB:
		return ruhu_error_set(RUHU_ECORRUPT, "%s does not match its key file", r->db_path);
	case SQLITE_CORRUPT:
		return ruhu_error_set(RUHU_ECORRUPT, "replica %s is damaged: %s", r->dir, msg);
	case SQLITE_ERROR:
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return ruhu_error_set(RUHU_EINVALID, "%s: %s", what, msg);
	case SQLITE_IOERR:
		if (sys == ENOSPC || sys == EDQUOT)
			return ruhu_error_set(RUHU_ENOSPACE, "no space left on device");
		if (sys == EROFS)
			return ruhu_error_set(RUHU_EREADONLY, "replica %s is read-only", r->dir);
		return ruhu_error_set(RUHU_ERROR, "%s: i/o error on replica %s (%s)", what, r->dir,
				      sys ? strerror(sys) : msg);
	default:
		return ruhu_error_set(RUHU_ERROR, "%s: %s", what, msg);
	}
}

int ruhu_replica_exec(ruhu_replica *r, const char *sql)
{
	int rc = sqlite3_exec(r->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : ruhu_replica_sqlite_error(r, rc, "cannot run sql on the replica");
}

/* ---- transactions ---- */

/* Design note 1: no commit but ruhu_replica_commit's inside a transaction. */
int replica_commit_hook(void *payload)
{
	ruhu_replica *r = payload;

	return r->in_txn && !r->committing;
}

int ruhu_replica_begin(ruhu_replica *r)
{
	int error = ruhu_replica_exec(r, "BEGIN IMMEDIATE");

	if (error == 0)
		r->in_txn = 1;
	return error;
}

int ruhu_replica_commit(ruhu_replica *r)
{
	int error;

	if (r->in_txn && sqlite3_get_autocommit(r->db)) {
		r->in_txn = 0;
		return ruhu_error_set(RUHU_ERROR, "replica %s: the transaction was rolled back by an "
				      "earlier error", r->dir);
	}
	r->committing = 1;
	error = ruhu_replica_exec(r, "COMMIT");
	r->committing = 0;
	if (error == 0 || sqlite3_get_autocommit(r->db))
		r->in_txn = 0;
	return error;
}

void ruhu_replica_rollback(ruhu_replica *r)
{
	r->in_txn = 0;
	/* SQLite may have rolled back already (I/O error, SQLITE_FULL) */
	if (!sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
}

/* verb is "SAVEPOINT", "RELEASE" or "ROLLBACK TO" (then released too) */
static int savepoint_sql(ruhu_replica *r, const char *verb, const char *name)
{
	char sql[200];

	static const char ident[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";

	if (name == NULL || name[0] == '\0' || strlen(name) > 64 ||
	    strchr(ident, name[0]) == NULL || strchr("0123456789", name[0]) != NULL ||
	    strspn(name, ident) != strlen(name))
		return ruhu_error_set(RUHU_EINVALID, "'%s' is not a savepoint name", name ? name : "");
	if (!strcmp(verb, "ROLLBACK TO"))
		snprintf(sql, sizeof(sql), "ROLLBACK TO %s; RELEASE %s", name, name);
	else
		snprintf(sql, sizeof(sql), "%s %s", verb, name);
	return ruhu_replica_exec(r, sql);
}

int ruhu_replica_savepoint(ruhu_replica *r, const char *name)
{
	return savepoint_sql(r, "SAVEPOINT", name);
}

int ruhu_replica_release(ruhu_replica *r, const char *name)
{
	return savepoint_sql(r, "RELEASE", name);
}

int ruhu_replica_rollback_to(ruhu_replica *r, const char *name)
{
	return savepoint_sql(r, "ROLLBACK TO", name);
}
