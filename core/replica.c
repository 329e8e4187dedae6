/*
 * replica.c — a replica folder: create, unlock, pragmas.  Transactions and
 * the mapping of SQLite's errors are in replica_txn.c, passphrase change and
 * rekey in replica_keys.c, the integrity check and SQL in replica_check.c.
 *
 * Design notes
 *  1. Layout: DIR/replica.db and DIR/replica.key; SQLite's -wal, -shm and
 *     -journal beside the database.  The database is opened through the
 *     encrypting VFS (vfs.c) with the URI parameter ruhu_slot naming a key
 *     slot: the key itself is never in a URI, a file name, a message or a log.
 *  2. Before SQLite sees the database, open reads its first 24 bytes itself,
 *     to tell apart a plain SQLite file, a file that is not a replica, and a
 *     key file of another replica (the key check values differ: no passphrase
 *     is needed for that).  Only then is Argon2id run.
 *  3. Reserve bytes (40 per page) can only be set before the first write of
 *     a new database, and a journal-mode change is a write: create sets them
 *     before anything else.  VACUUM INTO keeps them (rekey).
 *  4. Pragmas are set here once, for every later part: a 64 MiB page cache
 *     (plaintext lives only there, and it is what keeps the cost of the
 *     encryption small), synchronous FULL (EXTRA in DELETE mode: the folder
 *     is synced after the journal's unlink), secure_delete, temp_store MEMORY,
 *     mmap off, a busy timeout, WAL unless DELETE is asked for.  The WAL is
 *     checkpointed at 4000 pages, not SQLite's 1000: a save writes about 16
 *     pages, so a checkpoint comes once in some 250 saves instead of once
 *     in 60, and stays out of the 99th percentile of save latency
 *     (docs/performance.md, "Saves"); the WAL file grows to about 16 MiB.
 *  5. Passphrase change and rekey are in replica_keys.c; open finishes a
 *     rekey that a crash interrupted (replica_finish_rekey).
 *  6. Create writes the key file last, after the database is durable: the
 *     key file is its commit point.  A folder with a database and no key
 *     file is what a crash during create leaves (nothing can read it: the
 *     random data key was only ever in memory), and create clears it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/replica.h"
#include "schema/schema_db.h"

static const unsigned char sqlite_magic[16] = "SQLite format 3";

int ruhu_replica_options_init(ruhu_replica_options *opts, unsigned int version)
{
	if (version != RUHU_REPLICA_OPTIONS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "replica options version %u is not known", version);
	memset(opts, 0, sizeof(*opts));
	opts->version = version;
	return 0;
}

sqlite3 *ruhu_replica_db(ruhu_replica *r)
{
	return r->db;
}

const char *ruhu_replica_dir(const ruhu_replica *r)
{
	return r->dir;
}

const char *ruhu_replica_path(const ruhu_replica *r)
{
	return r->dir;
}

char *replica_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int replica_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- opening ---- */

static int replica_alloc(ruhu_replica **out, const char *dir, const ruhu_replica_options *opts)
{
	ruhu_replica *r;

	*out = NULL;
	if (dir == NULL || dir[0] == '\0')
		return ruhu_error_set(RUHU_EINVALID, "no replica folder given");
	if (opts && opts->version != RUHU_REPLICA_OPTIONS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "replica options version %u is not known", opts->version);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return ruhu_error_oom();
	if (opts)
		r->opts = *opts;
	else
		ruhu_replica_options_init(&r->opts, RUHU_REPLICA_OPTIONS_VERSION);
	r->dir = strdup(dir);
	r->db_path = replica_join(dir, RUHU_REPLICA_DB);
	r->key_path = replica_join(dir, RUHU_REPLICA_KEY);
	r->key = sodium_malloc(RUHU_KEYFILE_KEY_SIZE);
	r->kek = sodium_malloc(RUHU_KEYFILE_KEY_SIZE);
	if (!r->dir || !r->db_path || !r->key_path || !r->key || !r->kek) {
		ruhu_replica_free(r);
		return ruhu_error_oom();
	}
	*out = r;
	return 0;
}

void replica_close_db(ruhu_replica *r)
{
	/* the object store reads through the connection: close it first */
	replica_release_state(r);
	if (r->db) {
		if (sqlite3_close(r->db) != SQLITE_OK)
			sqlite3_close_v2(r->db);
		r->db = NULL;
	}
	if (r->slot[0]) {
		ruhu_vfs_slot_remove(r->slot);
		r->slot[0] = '\0';
	}
}

void ruhu_replica_free(ruhu_replica *r)
{
	if (r == NULL)
		return;
	replica_close_db(r);
	sodium_free(r->key);
	sodium_free(r->kek);
	free(r->dir);
	free(r->db_path);
	free(r->key_path);
	sodium_memzero(r, sizeof(*r));
	free(r);
}

/* file:PATH?ruhu_slot=SLOT, with PATH percent-encoded where it must be. */
int replica_build_uri(ruhu_buf *out, const char *path, const char *slot)
{
	int error = ruhu_buf_puts(out, path[0] == '/' ? "file://" : "file:");

	for (const unsigned char *p = (const unsigned char *)path; *p && error == 0; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= 0x20 || *p >= 0x7f)
			error = ruhu_buf_printf(out, "%%%02X", *p);
		else
			error = ruhu_buf_putc(out, (char)*p);
	}
	if (error == 0)
		error = ruhu_buf_printf(out, "?%s=%s", RUHU_VFS_SLOT_PARAM, slot);
	return error;
}

int replica_open_db(ruhu_replica *r, const char *path, int flags)
{
	ruhu_buf uri = RUHU_BUF_INIT;
	int rc, error;

	if ((error = ruhu_vfs_slot_add(r->slot, r->key)) < 0)
		goto done;
	if ((error = replica_build_uri(&uri, path, r->slot)) < 0)
		goto done;
	rc = sqlite3_open_v2(uri.ptr, &r->db, flags | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE, r->vfs);
	if (rc != SQLITE_OK) {
		error = ruhu_replica_sqlite_error(r, rc, "cannot open the replica database");
		goto done;
	}
	sqlite3_extended_result_codes(r->db, 1);
	sqlite3_commit_hook(r->db, replica_commit_hook, r);
	r->in_txn = 0;
	sqlite3_busy_timeout(r->db, r->opts.busy_timeout_ms > 0 ? r->opts.busy_timeout_ms : 5000);
	/* record tables call ruhu's validators in their CHECKs: every
	 * connection that may write them needs the functions */
	error = ruhu_schema_register(r->db);
done:
	ruhu_buf_dispose(&uri);
	if (error < 0)
		replica_close_db(r);
	return error;
}

int replica_query_journal_mode(ruhu_replica *r, const char *sql, int *out_wal)
{
	sqlite3_stmt *st = NULL;
	int rc, error = 0;

	if ((rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_ROW) {
		error = ruhu_replica_sqlite_error(r, rc, "cannot set the journal mode");
		goto done;
	}
	*out_wal = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
done:
	sqlite3_finalize(st);
	return error;
}

/* Note 4. */
int replica_apply_settings(ruhu_replica *r, ruhu_journal_mode mode)
{
	char sql[256];
	int error, wal = 0;
	long cache = r->opts.cache_kib > 0 ? r->opts.cache_kib : 65536;

	snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%ld; PRAGMA secure_delete=ON; "
		 "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0; PRAGMA wal_autocheckpoint=4000;", cache);
	if ((error = ruhu_replica_exec(r, sql)) < 0)
		return error;
	if (mode == RUHU_JOURNAL_WAL)
		error = replica_query_journal_mode(r, "PRAGMA journal_mode=WAL", &wal);
	else if (mode == RUHU_JOURNAL_DELETE)
		error = replica_query_journal_mode(r, "PRAGMA journal_mode=DELETE", &wal);
	else
		error = replica_query_journal_mode(r, "PRAGMA journal_mode", &wal);
	if (error < 0)
		return error;
	if (mode == RUHU_JOURNAL_WAL && !wal)
		return ruhu_error_set(RUHU_EBUSY, "replica %s is in use by another process", r->dir);
	if (r->opts.synchronous == RUHU_SYNC_NORMAL && !wal)
		return ruhu_error_set(RUHU_EINVALID, "synchronous=normal needs a replica in wal mode");
	/* DELETE mode: EXTRA syncs the folder after the journal is unlinked
	 * at commit; without it a power loss soon after COMMIT returned can
	 * bring the journal back and roll the committed transaction back */
	return ruhu_replica_exec(r, r->opts.synchronous == RUHU_SYNC_NORMAL ?
				 "PRAGMA synchronous=NORMAL" :
				 wal ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=EXTRA");
}

static int check_format(ruhu_replica *r)
{
	sqlite3_stmt *st = NULL;
	int rc, error = 0;

	rc = sqlite3_prepare_v2(r->db, "SELECT value FROM _meta WHERE key = 'format'", -1, &st, NULL);
	if (rc == SQLITE_ERROR) {
		error = ruhu_error_set(RUHU_EINVALID, "%s is not a ruhu replica: it has no _meta table", r->dir);
		goto done;
	}
	if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		error = rc == SQLITE_DONE
			? ruhu_error_set(RUHU_EINVALID, "%s is not a ruhu replica: _meta has no format", r->dir)
			: ruhu_replica_sqlite_error(r, rc, "cannot read the replica format");
		goto done;
	}
	if (sqlite3_column_int64(st, 0) != RUHU_REPLICA_FORMAT)
		error = ruhu_error_set(RUHU_ESCHEMA, "replica %s has format %s; this ruhu reads format %d",
				       r->dir, (const char *)sqlite3_column_text(st, 0), RUHU_REPLICA_FORMAT);
done:
	sqlite3_finalize(st);
	return error;
}

/* Read the first 24 bytes of `path`: 0 and the bytes, or -1 with errno. */
int replica_read_head(const char *path, unsigned char head[24], size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*len = 0;
	if (fd < 0)
		return -1;
	n = read(fd, head, 24);
	close(fd);
	if (n < 0)
		return -1;
	*len = (size_t)n;
	return 0;
}

/* Is there a non-empty -journal or -wal beside the database? */
static int has_recovery_file(const char *db_path)
{
	static const char *const suffixes[] = { "-journal", "-wal" };
	char path[4096];
	struct stat st;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]);
		if (stat(path, &st) == 0 && st.st_size > 0)
			return 1;
	}
	return 0;
}

/* Note 2: what is in DIR, before any key is tried. */
static int probe(ruhu_replica *r, unsigned char kcv[RUHU_VFS_KCV_SIZE], int *page1_zero)
{
	unsigned char head[24];
	struct stat st;
	size_t len;

	*page1_zero = 0;
	if (stat(r->dir, &st) < 0) {
		if (errno == ENOENT)
			return ruhu_error_set(RUHU_ENOTFOUND, "no replica at %s: the folder does not exist", r->dir);
		return ruhu_error_errno(errno, "cannot open replica folder", r->dir);
	}
	if (!S_ISDIR(st.st_mode))
		return ruhu_error_set(RUHU_EINVALID, "%s is not a replica folder: it is a file", r->dir);
	if (replica_read_head(r->db_path, head, &len) < 0) {
		if (errno != ENOENT)
			return ruhu_error_errno(errno, "cannot read", r->db_path);
		if (replica_exists(r->key_path))
			return ruhu_error_set(RUHU_ENOTFOUND, "replica %s has a key file but no database %s",
					      r->dir, r->db_path);
		return ruhu_error_set(RUHU_ENOTFOUND, "%s is not a replica folder: it has no %s",
				      r->dir, RUHU_REPLICA_DB);
	}
	if (len == 0)
		return ruhu_error_set(RUHU_ECORRUPT, "%s is empty", r->db_path);
	if (len >= 16 && memcmp(head, sqlite_magic, sizeof(sqlite_magic)) == 0)
		return ruhu_error_set(RUHU_EINVALID, "%s is a plain sqlite database, not an encrypted replica",
				      r->db_path);
	if (len == 24 && sodium_is_zero(head, 24)) {
		*page1_zero = 1; /* a first transaction cut short: SQLite rolls it back */
		return 0;
	}
	if (len < 24 || memcmp(head, RUHU_VFS_MAGIC, RUHU_VFS_MAGIC_SIZE) != 0) {
		/* a page 1 torn by power loss in a commit or a checkpoint: the hot
		 * journal or the WAL holds its good copy, and SQLite's recovery
		 * repairs it; the key is known good from the key file */
		if (len > 0 && has_recovery_file(r->db_path)) {
			*page1_zero = 1;
			return 0;
		}
		return ruhu_error_set(RUHU_EINVALID, "%s is not a ruhu replica database", r->db_path);
	}
	memcpy(kcv, head + 8, RUHU_VFS_KCV_SIZE);
	return 0;
}

int ruhu_replica_open_ext(ruhu_replica **out, const char *dir, const char *passphrase,
			  size_t len, const ruhu_replica_options *opts, const char *base_vfs)
{
	unsigned char kcv[RUHU_VFS_KCV_SIZE];
	ruhu_replica *r = NULL;
	int error, page1_zero;

	*out = NULL;
	if ((error = replica_alloc(&r, dir, opts)) < 0)
		goto done;
	if ((error = ruhu_vfs_register(&r->vfs, base_vfs)) < 0 ||
	    (error = replica_finish_rekey(r)) < 0 ||
	    (error = probe(r, kcv, &page1_zero)) < 0)
		goto done;
	if ((error = ruhu_keyfile_read(&r->keyfile, r->key_path)) < 0)
		goto done;
	if (!page1_zero && sodium_memcmp(kcv, r->keyfile.kcv, RUHU_VFS_KCV_SIZE) != 0) {
		error = ruhu_error_set(RUHU_EINVALID, "key file %s belongs to another replica, not to %s",
				       r->key_path, r->dir);
		goto done;
	}
	if ((error = ruhu_keyfile_derive(r->kek, &r->keyfile, passphrase, len)) < 0)
		goto done;
	if (ruhu_keyfile_unwrap(r->key, &r->keyfile, r->kek) < 0) {
		error = ruhu_error_set(RUHU_EAUTH, "wrong passphrase for replica %s", r->dir);
		goto done;
	}
	if ((error = replica_open_db(r, r->db_path, SQLITE_OPEN_READWRITE)) < 0 ||
	    (error = replica_apply_settings(r, r->opts.journal_mode)) < 0 ||
	    (error = check_format(r)) < 0)
		goto done;
	*out = r;
	r = NULL;
done:
	ruhu_replica_free(r);
	return error;
}

int ruhu_replica_open(ruhu_replica **out, const char *dir, const char *passphrase,
		      size_t len, const ruhu_replica_options *opts)
{
	return ruhu_replica_open_ext(out, dir, passphrase, len, opts, NULL);
}

static int mkdir_p(const char *dir)
{
	char *p = strdup(dir);
	int error = 0;

	if (p == NULL)
		return ruhu_error_oom();
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				error = ruhu_error_errno(errno, "cannot make folder", p);
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return error;
}

void replica_remove_db_files(const char *db_path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char path[4096];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db_path, suffixes[i]);
		unlink(path);
	}
}

int ruhu_replica_create_ext(ruhu_replica **out, const char *dir, const char *passphrase,
			    size_t len, const ruhu_replica_options *opts, const char *base_vfs)
{
	ruhu_replica *r = NULL;
	int error, made_key = 0, made_db = 0, reserve = RUHU_VFS_RESERVE;

	*out = NULL;
	if ((error = replica_alloc(&r, dir, opts)) < 0)
		goto done;
	if (passphrase == NULL || len == 0) {
		error = ruhu_error_set(RUHU_EINVALID, "the passphrase is empty");
		goto done;
	}
	if ((error = ruhu_vfs_register(&r->vfs, base_vfs)) < 0 || (error = mkdir_p(dir)) < 0)
		goto done;
	if (replica_exists(r->key_path)) {
		error = ruhu_error_set(RUHU_EEXISTS, "%s already holds a replica", dir);
		goto done;
	}
	/* note 6: a database without a key file is what an interrupted create
	 * leaves; its random data key is gone with it, so nothing can ever read
	 * it: clear it and start again */
	replica_remove_db_files(r->db_path);
	randombytes_buf(r->key, RUHU_KEYFILE_KEY_SIZE);
	if ((error = ruhu_keyfile_init(&r->keyfile, r->opts.kdf_opslimit, r->opts.kdf_memlimit)) < 0 ||
	    (error = ruhu_keyfile_derive(r->kek, &r->keyfile, passphrase, len)) < 0)
		goto done;
	ruhu_keyfile_wrap(&r->keyfile, r->key, r->kek);
	made_db = 1;
	if ((error = replica_open_db(r, r->db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) < 0)
		goto done;
	/* note 3: before the first write, which the journal mode already is */
	sqlite3_file_control(r->db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
	if ((error = replica_apply_settings(r, r->opts.journal_mode == RUHU_JOURNAL_DELETE ?
				    RUHU_JOURNAL_DELETE : RUHU_JOURNAL_WAL)) < 0 ||
	    (error = ruhu_replica_exec(r, "BEGIN IMMEDIATE; "
			"CREATE TABLE _meta(key TEXT PRIMARY KEY, value ANY) STRICT; "
			"INSERT INTO _meta(key, value) VALUES ('format', 1); COMMIT")) < 0)
		goto done;
	/* the key file is the commit point of create (note 6); a write that
	 * fails part way may still leave it, so failure removes it */
	made_key = 1;
	if ((error = ruhu_keyfile_write(r->key_path, &r->keyfile)) < 0)
		goto done;
	*out = r;
	r = NULL;
done:
	if (r) {
		replica_close_db(r);
		if (made_db)
			replica_remove_db_files(r->db_path);
		if (made_key)
			unlink(r->key_path);
	}
	ruhu_replica_free(r);
	return error;
}

int ruhu_replica_create(ruhu_replica **out, const char *dir, const char *passphrase,
			size_t len, const ruhu_replica_options *opts)
{
	return ruhu_replica_create_ext(out, dir, passphrase, len, opts, NULL);
}
