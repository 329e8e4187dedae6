/*
 * ruhu/core.h — the replica: an encrypted SQLite database in a folder, opened
 * with a passphrase.
 *
 * A replica folder DIR holds DIR/replica.db (every page encrypted and
 * authenticated, see docs/encryption.md), DIR/replica.key (the data key,
 * wrapped under the passphrase), and while open SQLite's -wal, -shm or
 * -journal beside the database.
 *
 * Ownership: ruhu_replica_create and ruhu_replica_open give the caller a
 * replica to release with ruhu_replica_free; on failure *out is NULL and
 * nothing is left open.  Passphrases are taken as bytes and never kept.
 */
#ifndef RUHU_CORE_H
#define RUHU_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "ruhu/common.h"
#include "ruhu/schema.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ruhu_replica ruhu_replica;

typedef enum {
	RUHU_JOURNAL_DEFAULT = 0, /* create: WAL; open: keep the replica's mode */
	RUHU_JOURNAL_WAL = 1,
	RUHU_JOURNAL_DELETE = 2
} ruhu_journal_mode;

typedef enum {
	RUHU_SYNC_DEFAULT = 0,    /* FULL */
	RUHU_SYNC_FULL = 1,       /* fsync at every commit: nothing committed is lost */
	RUHU_SYNC_NORMAL = 2      /* WAL only: the last commits may roll back on power loss */
} ruhu_sync_mode;

#define RUHU_REPLICA_OPTIONS_VERSION 1

/* Options of create and open (and the KDF cost of a passphrase change).
 * Every zero is the default. */
typedef struct {
	unsigned int version;          /* RUHU_REPLICA_OPTIONS_VERSION */
	ruhu_journal_mode journal_mode;
	ruhu_sync_mode synchronous;    /* RUHU_SYNC_NORMAL is refused in DELETE mode */
	long cache_kib;                /* page cache in KiB; 0 = 65536 (64 MiB) */
	int busy_timeout_ms;           /* wait for another process; 0 = 5000 */
	uint64_t kdf_opslimit;         /* Argon2id passes for a new key file; 0 = 3 */
	uint64_t kdf_memlimit;         /* Argon2id memory in bytes; 0 = 256 MiB */
} ruhu_replica_options;

#define RUHU_REPLICA_OPTIONS_INIT \
	{ RUHU_REPLICA_OPTIONS_VERSION, RUHU_JOURNAL_DEFAULT, RUHU_SYNC_DEFAULT, 0, 0, 0, 0 }

/* Set *opts to the defaults; RUHU_EINVALID for an unknown version. */
int ruhu_replica_options_init(ruhu_replica_options *opts, unsigned int version);

/*
 * Make a new replica in `dir` (made, with its parents, if missing): a random
 * data key, the key file wrapped under the passphrase, and the database with
 * its _meta table.  RUHU_EEXISTS when `dir` already holds a replica.  On
 * failure nothing it made is left behind (the folder may stay).
 */
int ruhu_replica_create(ruhu_replica **out, const char *dir, const char *passphrase,
			size_t passphrase_len, const ruhu_replica_options *opts);

/*
 * Unlock the replica in `dir`.  Errors, each with its own message: the folder
 * or the database is missing (RUHU_ENOTFOUND), the key file is missing
 * (RUHU_ENOTFOUND), a plain SQLite file or a file that is not a replica
 * (RUHU_EINVALID), a key file of another replica (RUHU_EINVALID), a wrong
 * passphrase (RUHU_EAUTH: nothing is changed), damaged data (RUHU_ECORRUPT),
 * another process holding it (RUHU_EBUSY).  Finishes a rekey that was
 * interrupted by a crash.
 */
int ruhu_replica_open(ruhu_replica **out, const char *dir, const char *passphrase,
		      size_t passphrase_len, const ruhu_replica_options *opts);

/* Close the replica and wipe its keys.  Accepts NULL. */
void ruhu_replica_free(ruhu_replica *r);

/* The folder the replica was opened from (borrowed; lives as long as r). */
const char *ruhu_replica_path(const ruhu_replica *r);

/*
 * Wrap the data key under a new passphrase (new salt; cost from opts, NULL =
 * default) and replace the key file atomically.  The data is not rewritten;
 * the old passphrase no longer opens the replica.
 */
int ruhu_replica_change_passphrase(ruhu_replica *r, const char *passphrase, size_t len,
				   const ruhu_replica_options *opts);

/*
 * Re-encrypt the whole replica under a new random data key (VACUUM INTO a new
 * file, then two atomic renames; an interrupted rekey is finished or undone
 * at the next open).  The passphrase stays.  Needs the replica to be open in
 * no other process (RUHU_EBUSY).
 */
int ruhu_replica_rekey(ruhu_replica *r);

/* What ruhu_replica_check found. */
typedef struct {
	int64_t pages;              /* pages in replica.db */
	int64_t pages_failed;       /* pages that failed authentication */
	uint32_t first_failed_page; /* 0 when none */
	int64_t integrity_errors;   /* problems reported by PRAGMA integrity_check */
	char first_error[256];      /* the first problem in words, "" when none */
} ruhu_replica_check_report;

/*
 * Authenticate every page of replica.db as it is on disk and run SQLite's
 * integrity check (which reads the latest version of every page in use,
 * WAL included).  Fills *out and returns 0 when all is well, RUHU_ECORRUPT
 * (with the first problem as message) when not, or another error when the
 * check could not run.
 */
int ruhu_replica_check(ruhu_replica *r, ruhu_replica_check_report *out);

/* A value of a result row of ruhu_replica_sql. */
typedef enum {
	RUHU_VALUE_NULL = 0,
	RUHU_VALUE_INTEGER,
	RUHU_VALUE_REAL,
	RUHU_VALUE_TEXT,
	RUHU_VALUE_BLOB
} ruhu_value_type;

typedef struct {
	ruhu_value_type type;
	int64_t i;             /* INTEGER */
	double d;              /* REAL */
	const char *p;         /* TEXT (NUL-terminated) or BLOB bytes */
	size_t len;            /* bytes at p */
} ruhu_value;

/*
 * Called for each result row: `stmt` counts the statements of the text from
 * 0; names and values have `ncols` entries, borrowed until the callback
 * returns.  A non-zero return stops ruhu_replica_sql, which returns it.
 */
typedef int (*ruhu_row_cb)(int stmt, int ncols, const char *const *names,
			   const ruhu_value *values, void *payload);

/*
 * Run the SQL text (one or more statements) on the replica, giving every
 * result row to `cb` (may be NULL).  Statements run as written: outside an
 * explicit BEGIN each is its own transaction.  Errors name the statement's
 * problem (RUHU_EINVALID for SQL errors and constraint failures).
 */
int ruhu_replica_sql(ruhu_replica *r, const char *sql, ruhu_row_cb cb, void *payload);


/* ------------------------------------------------------------------ */
/* Saves: every edit is captured and becomes one signed commit          */
/*                                                                    */
/* An edit is one logical save (a CLI command, a form save in an app):  */
/* ruhu_edit_begin opens a transaction with a capture session on every  */
/* record table; inserts, updates, deletes, SQL and attachments go into */
/* it; ruhu_edit_commit turns the captured changes into a canonical     */
/* changeset, a signed commit, a moved ref and a new sequence number,   */
/* all inside the same SQLite transaction (docs/sync.md §2).  Freeing an */
/* edit that was not committed rolls everything back.  An edit that     */
/* changed nothing makes no commit.                                      */
/* ------------------------------------------------------------------ */

/** Room for a record id as text (UUID v7, or a staff id), with its NUL. */
#define RUHU_ID_SIZE 65
/** Room for a commit id in hex, with its NUL. */
#define RUHU_OID_SIZE 41

/** One field of a record as text; value NULL is SQL NULL.  INTEGER and
 *  REAL fields take their decimal text (STRICT tables convert it). */
typedef struct {
	const char *field;
	const char *value;
} ruhu_assign;

typedef struct ruhu_edit ruhu_edit;

/** Start a save on a replica made by `ruhu device init` or `ruhu hub init`
 *  (RUHU_ENOTFOUND for a replica without record tables; RUHU_EBUSY when
 *  another process writes).  Free with ruhu_edit_free. */
int ruhu_edit_begin(ruhu_edit **out, ruhu_replica *r);

/** Insert a record of `type`.  Its id is the `id` among `values` when given
 *  (staff ids of `worker`), else a new UUID v7; it is copied to out_id (may be
 *  NULL).  A value a validator refuses fails with the validator's message
 *  (RUHU_EINVALID) and leaves the edit as it was. */
int ruhu_edit_insert(ruhu_edit *e, const char *type, const ruhu_assign *values, size_t n,
		     char out_id[RUHU_ID_SIZE]);
/** Change fields of a record (RUHU_ENOTFOUND when it does not exist). */
int ruhu_edit_update(ruhu_edit *e, const char *type, const char *id,
		     const ruhu_assign *values, size_t n);
/** Delete a record (RUHU_ENOTFOUND when it does not exist).  Deletion is an
 *  event in the history like any other change. */
int ruhu_edit_delete(ruhu_edit *e, const char *type, const char *id);
/** Run SQL inside the save; its writes to record tables are captured. */
int ruhu_edit_sql(ruhu_edit *e, const char *sql, ruhu_row_cb cb, void *payload);
/** Store `len` bytes as an attachment of a record: the bytes become a git
 *  blob (stored once, however often attached), an `attachment` record refers
 *  to it, and the commit's tree carries it.  Larger than the replica's
 *  attachment limit (20 MB by default): RUHU_EINVALID. */
int ruhu_edit_attach(ruhu_edit *e, const char *type, const char *id, const void *data,
		     size_t len, const char *caption, char out_id[RUHU_ID_SIZE]);

/** What a commit made. */
typedef struct {
	int committed;            /**< 0: the edit changed nothing, no commit */
	char id[RUHU_OID_SIZE];   /**< the commit, hex */
	int64_t seq;              /**< the replica's sequence number of it */
	size_t changes;           /**< rows inserted, updated or deleted */
} ruhu_save_info;

/** Commit the save with a subject line (NULL: one is made from the
 *  changes).  On failure everything the edit did is rolled back and the
 *  edit can only be freed.  `out` may be NULL. */
int ruhu_edit_commit(ruhu_edit *e, const char *subject, ruhu_save_info *out);
/** Roll back what was not committed and free; NULL is fine. */
void ruhu_edit_free(ruhu_edit *e);

/* ------------------------------------------------------------------ */
/* Reading records (record.c)                                          */
/* ------------------------------------------------------------------ */

/** Give the record of `type` with `id` to `cb` (as one row of
 *  ruhu_replica_sql): RUHU_ENOTFOUND when there is none. */
int ruhu_record_get(ruhu_replica *r, const char *type, const char *id, ruhu_row_cb cb,
		    void *payload);
/** Give every record of `type` whose fields equal the `where` values (none:
 *  all), ordered by id, to `cb`. */
int ruhu_record_list(ruhu_replica *r, const char *type, const ruhu_assign *where, size_t nwhere,
		     ruhu_row_cb cb, void *payload);

/* ------------------------------------------------------------------ */
/* History (log.c)                                                      */
/* ------------------------------------------------------------------ */

/** One commit, as `ruhu log` shows it.  Strings are borrowed for the
 *  callback; a field the commit lacks is "" (or 0). */
typedef struct {
	char id[RUHU_OID_SIZE];
	const char *subject;
	const char *message;      /**< the whole message, trailers included */
	const char *author;       /**< caseworker or operator */
	const char *author_email;
	int64_t time;             /**< seconds since 1970 */
	int offset;               /**< minutes east of UTC */
	const char *committer;    /**< the replica that made it */
	const char *device;       /**< Ruhu-Device */
	const char *worker;       /**< Ruhu-Worker */
	const char *visit;        /**< Ruhu-Visit */
	const char *hlc;          /**< Ruhu-HLC */
	const char *digest;       /**< Ruhu-Digest */
	int64_t seq;              /**< Ruhu-Seq */
	size_t nparents;
	char parents[2][RUHU_OID_SIZE];
	/** Signature: 'G' good (the key of the replica named by Ruhu-Device),
	 *  'B' bad, 'U' signed by a key not known for it, 'R' by a key revoked
	 *  before the commit's time, 'N' unsigned, 'E' unreadable. */
	char sig;
} ruhu_log_entry;

typedef int (*ruhu_log_cb)(const ruhu_log_entry *entry, void *payload);

#define RUHU_LOG_FIRST_PARENT 1u  /**< only the first parent of merges */
#define RUHU_LOG_REVERSE 2u       /**< oldest first */

/** Walk history from `ref` (NULL: the replica's own branch), newest first.
 *  An empty history calls nothing.  A non-zero return of cb stops the walk
 *  and is returned. */
int ruhu_log(ruhu_replica *r, const char *ref, unsigned int flags, ruhu_log_cb cb, void *payload);

/** A commit named by a full or abbreviated id (at least 4 hex digits), as
 *  text: its header, changes.txt and, for a merge, decisions.txt. */
int ruhu_show(ruhu_buf *out, ruhu_replica *r, const char *rev);
/** The commit named by `rev` (as for ruhu_show), given to `cb` as one log
 *  entry; `changes` and `decisions` (each may be NULL) get its changes.txt
 *  and decisions.txt, cleared first and left empty when it has none. */
int ruhu_show_entry(ruhu_buf *changes, ruhu_buf *decisions, ruhu_replica *r, const char *rev,
		    ruhu_log_cb cb, void *payload);

/** The replica's state at a glance (`ruhu status`). */
typedef struct {
	char self[RUHU_ID_SIZE];        /**< device or hub id */
	char centre[RUHU_ID_SIZE];
	char role[16];                  /**< "device", "hub", or "" */
	char worker[RUHU_ID_SIZE];      /**< who holds it, or "" */
	char worker_name[256];
	char visit[RUHU_ID_SIZE];       /**< the open visit, or "" */
	char head[RUHU_OID_SIZE];       /**< newest commit of its branch, or "" */
	char main[RUHU_OID_SIZE];       /**< newest hub main it knows, or "" */
	char digest[65];                /**< state digest, hex */
	char schema[65];                /**< schema version */
	int64_t seq;                    /**< saves made */
	int64_t pending;                /**< saves the hub has not acknowledged */
} ruhu_status;

int ruhu_status_get(ruhu_status *out, ruhu_replica *r);

/* ------------------------------------------------------------------ */
/* The work of a home visit (visit.c)                                   */
/* ------------------------------------------------------------------ */

/** Set the caseworker (or operator) holding the replica; every later save
 *  is authored by them.  `name` NULL: the name of their worker record. */
int ruhu_worker_use(ruhu_replica *r, const char *id, const char *name);

/** Start a visit of a household: a `visit` record, whose id goes into every
 *  save until the visit is closed.  One visit at a time. */
int ruhu_visit_start(ruhu_replica *r, const char *household, const char *purpose,
		     const char *location, char out_id[RUHU_ID_SIZE], ruhu_save_info *info);
/** Close the open visit (RUHU_ENOTFOUND when none is open), with a summary. */
int ruhu_visit_close(ruhu_replica *r, const char *summary, ruhu_save_info *info);

/** Open an application (业务受理) of a catalogue item for a resident: status
 *  received, today's date, the promised date from the item's time limit and
 *  the centre's calendar, the worker holding the tablet as first responder
 *  (首问责任人).  `notice` gets the one-time notification (一次性告知). */
int ruhu_application_open(ruhu_replica *r, const char *item, const char *person, ruhu_buf *notice,
			  char out_id[RUHU_ID_SIZE], ruhu_save_info *info);
/** The replica's service catalogue (the centre's, from its hub), else the
 *  embedded default; free with ruhu_catalogue_free. */
int ruhu_replica_catalogue(ruhu_catalogue **out, ruhu_replica *r);
/** The promised completion date of an item received on `received`
 *  (YYYY-MM-DD): `working_days` on the centre's calendar (its `holiday`
 *  records: public holidays and adjusted working days). */
int ruhu_replica_promised_date(char out[11], ruhu_replica *r, const char *received,
			       unsigned int working_days);

/** Record materials received for an application (codes of the item's
 *  materials); `missing` gets the checklist with what is still missing. */
int ruhu_application_receive(ruhu_replica *r, const char *application,
			     const char *const *materials, size_t n, ruhu_buf *missing,
			     ruhu_save_info *info);

#ifdef __cplusplus
}
#endif
#endif
