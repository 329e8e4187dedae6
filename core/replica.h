/*
 * replica.h — the replica's insides, for the other parts of core/ and sync/:
 * the struct, the SQLite handle, and transaction helpers that map SQLite's
 * errors to ruhu's (see ruhu/core.h for the public side).
 */
#ifndef RUHU_CORE_REPLICA_H
#define RUHU_CORE_REPLICA_H

#include <sqlite3.h>

#include "core/hlc.h"
#include "core/keyfile.h"
#include "core/vfs.h"
#include "ruhu/core.h"

#define RUHU_REPLICA_DB "replica.db"
#define RUHU_REPLICA_KEY "replica.key"
#define RUHU_REPLICA_FORMAT 1

struct ruhu_replica {
	sqlite3 *db;
	char *dir;                      /* as given, for messages */
	char *db_path;                  /* DIR/replica.db */
	char *key_path;                 /* DIR/replica.key */
	const char *vfs;                /* the encrypting VFS it is opened through */
	char slot[RUHU_VFS_SLOT_MAX];   /* key slot of the open database */
	unsigned char *key;             /* data key: sodium_malloc, 32 bytes */
	unsigned char *kek;             /* wrapping key from the passphrase */
	struct ruhu_keyfile keyfile;    /* as on disk */
	ruhu_replica_options opts;
	/* loaded on first use, released before the connection closes
	 * (replica_state.c) */
	struct ruhu_schema *schema;     /* the installed schema */
	struct git_repository *repo;    /* the object store (core/odb.h) */
	ruhu_wallclock clock;           /* wall clock of saves (tests set it) */
	/* transactions of ruhu_replica_begin (replica_txn.c, design note 1) */
	int in_txn;                     /* between begin and commit or rollback */
	int committing;                 /* ruhu_replica_commit runs its COMMIT */
};

/*
 * Create or open with a base VFS other than the default one (`base_vfs`,
 * NULL: default) under the encrypting VFS: the hook for fault injection.
 */
int ruhu_replica_create_ext(ruhu_replica **out, const char *dir, const char *passphrase,
			    size_t len, const ruhu_replica_options *opts, const char *base_vfs);
int ruhu_replica_open_ext(ruhu_replica **out, const char *dir, const char *passphrase,
			  size_t len, const ruhu_replica_options *opts, const char *base_vfs);

/* The SQLite connection (borrowed; valid until ruhu_replica_free). */
sqlite3 *ruhu_replica_db(ruhu_replica *r);
/* The replica folder as given to create/open. */
const char *ruhu_replica_dir(const ruhu_replica *r);

/*
 * Map an SQLite result code to a ruhu error and set the message once, here:
 *   SQLITE_BUSY/LOCKED   -> RUHU_EBUSY   "replica DIR is in use by another process"
 *   SQLITE_FULL, ENOSPC  -> RUHU_ENOSPACE "no space left on device"
 *   SQLITE_IOERR_DATA    -> RUHU_ECORRUPT naming the file and page that failed
 *   SQLITE_CORRUPT/NOTADB-> RUHU_ECORRUPT
 *   SQLITE_READONLY, SQLITE_CANTOPEN on read-only media -> RUHU_EREADONLY
 *   SQLITE_CONSTRAINT, SQLITE_ERROR -> RUHU_EINVALID "WHAT: sqlite's message"
 *   SQLITE_NOMEM         -> RUHU_ENOMEM
 * `what` says what was being done ("cannot save the visit").  Returns the code.
 */
int ruhu_replica_sqlite_error(ruhu_replica *r, int rc, const char *what);

/* Run one statement with text parameters (NULL: SQL NULL), giving each
 * row to cb as in ruhu_replica_sql. */
int ruhu_replica_query(ruhu_replica *r, const char *sql, const char *const *binds, size_t nbinds,
		       ruhu_row_cb cb, void *payload);

/* Run statements that return no rows; errors mapped as above. */
int ruhu_replica_exec(ruhu_replica *r, const char *sql);

/* BEGIN IMMEDIATE (waits busy_timeout for a writer of another process). */
int ruhu_replica_begin(ruhu_replica *r);
int ruhu_replica_commit(ruhu_replica *r);
/* Roll back the open transaction, if any.  Meant for `done:` paths: it
 * never overwrites the message of the error being reported. */
void ruhu_replica_rollback(ruhu_replica *r);
/* Savepoints; `name` is an identifier ([A-Za-z_][A-Za-z0-9_]*). */
int ruhu_replica_savepoint(ruhu_replica *r, const char *name);
int ruhu_replica_release(ruhu_replica *r, const char *name);
/* ROLLBACK TO and RELEASE the savepoint (it is gone afterwards). */
int ruhu_replica_rollback_to(ruhu_replica *r, const char *name);

/*
 * The replica's schema: the embedded default, checked once against the
 * version recorded in the replica (RUHU_ESCHEMA on a mismatch, RUHU_ENOTFOUND
 * with "DIR holds no record tables" when none is installed).  Borrowed; valid
 * until ruhu_replica_free.
 */
int ruhu_replica_schema(const struct ruhu_schema **out, ruhu_replica *r);
/* The object store of the replica (opened on first use); borrowed. */
int ruhu_replica_repo(struct git_repository **out, ruhu_replica *r);
/* Drop the cached object store, e.g. after a rolled-back transaction wrote
 * objects (libgit2 caches what it read). */
void ruhu_replica_repo_reset(ruhu_replica *r);
/* The wall clock of saves, in milliseconds since 1970 (UTC). */
int64_t ruhu_replica_now_ms(ruhu_replica *r);

/* ---- shared by replica.c, replica_keys.c and replica_txn.c only ---- */
void replica_release_state(ruhu_replica *r);
char *replica_join(const char *dir, const char *name);
int replica_exists(const char *path);
int replica_build_uri(ruhu_buf *out, const char *path, const char *slot);
int replica_open_db(ruhu_replica *r, const char *path, int flags);
void replica_close_db(ruhu_replica *r);
int replica_query_journal_mode(ruhu_replica *r, const char *sql, int *out_wal);
int replica_apply_settings(ruhu_replica *r, ruhu_journal_mode mode);
int replica_read_head(const char *path, unsigned char head[24], size_t *len);
void replica_remove_db_files(const char *db_path);
int replica_finish_rekey(ruhu_replica *r);
/* The commit hook of every connection (replica_txn.c, design note 1). */
int replica_commit_hook(void *payload);

#endif
