/*
 * odb_int.h — what odb.c, odb_error.c and odb_writepack.c share: the
 * backend over the _objects table, its failure bookkeeping, and the reading
 * and writing of one row (odb.c has the design notes).
 */
#ifndef RUHU_CORE_ODB_INT_H
#define RUHU_CORE_ODB_INT_H

#include <git2/sys/odb_backend.h>

#include "core/odb.h"

enum { S_READ, S_HEADER, S_EXISTS, S_WRITE, S_PREFIX, S_COUNT };

typedef struct {
	git_odb_backend parent;
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	/* design note 3: an exists whose failure rolled the transaction back */
	int lost_code;
	char lost_msg[512];
} backend;

/* --- failures (odb_error.c) ---------------------------------------------------- */

/* Design note 6: the backend's last SQLite failure, as ruhu code and
 * message; code 0 when the last call of the backend went well. */
struct ruhu_odb_failure {
	int code;
	char msg[512];
};
extern __thread struct ruhu_odb_failure ruhu_odb_last_failure;

/* The ruhu code of an SQLite result (the replica's own mapping, without
 * the replica at hand). */
int ruhu_odb_sql_code(int rc);
/* Keep the connection's failure as the last failure and as libgit2's error
 * ("object store cannot <what>: ..."); returns -1. */
int ruhu_odb_sql_fail(backend *b, const char *what);
/* Design note 3: a call of the backend begins; 1 when inside a transaction. */
int ruhu_odb_enter(backend *b);
/* ruhu_odb_sql_fail, and the loss of the caller's transaction when the
 * failure rolled it back (design note 3); returns -1. */
int ruhu_odb_sql_fail_in(backend *b, const char *what, int in_txn);
/* Run `sql` on `db`; a failure is set as a ruhu error naming `what`. */
int ruhu_odb_exec(sqlite3 *db, const char *sql, const char *what);

/* --- rows (odb.c) -------------------------------------------------------------- */

/* The statement `which` with the id bound as its first parameter. */
sqlite3_stmt *ruhu_odb_bind_oid(backend *b, int which, const git_oid *oid);
/* Is a row's data deflated (design note 7)? */
int ruhu_odb_deflated(sqlite3_int64 type, size_t n, sqlite3_int64 size);
/* Inflate `n` bytes at `data` into exactly `size` bytes at `buf`. */
int ruhu_odb_inflate_to(unsigned char *buf, const void *data, size_t n, size_t size);
/* Write one object: 0, -1 when SQLite fails (its message is in the
 * connection), -2 out of memory. */
int ruhu_odb_store_object(backend *b, const git_oid *oid, const void *data, size_t len,
	git_object_t type);
/* The backend of a repository from ruhu_odb_open, or NULL. */
backend *ruhu_odb_backend_of(git_repository *repo);

/* --- packs (odb_writepack.c) --------------------------------------------------- */

/* The backend's writepack callback (design note 5). */
int ruhu_odb_backend_writepack(git_odb_writepack **out, git_odb_backend *parent, git_odb *odb,
	git_indexer_progress_cb progress_cb, void *progress_payload);

#endif
