/*
 * odb.c — the object store: a libgit2 object database backend over the
 * _objects table of a replica and the repository wrapped around it (see
 * core/odb.h for the design notes of the store).  Its failures are kept and
 * mapped in odb_error.c, received packs are written by odb_writepack.c;
 * odb_int.h is what the three share.
 *
 * Design notes (of odb.c, odb_error.c and odb_writepack.c)
 *  1. Statements are prepared once per repository (SQLITE_PREPARE_PERSISTENT)
 *     and reset after every use, on every path; a callback never leaves one
 *     running, so the caller can commit or roll back at any time.
 *  2. Callbacks answer libgit2 in its own terms: GIT_ENOTFOUND for a missing
 *     object, GIT_EAMBIGUOUS for a short id with two matches, -1 with
 *     git_error_set_str for anything else (the message names the table and
 *     carries SQLite's text); ruhu functions turn those into ruhu errors with
 *     ruhu_git_error.
 *  3. `exists` answers 0 (missing) when SQLite fails: libgit2 reads any
 *     non-zero as "present", and a false "present" would skip a write.
 *     libgit2 drops that failure, and tries a failed write again through
 *     a stream.  When a failure rolled the caller's transaction back (an
 *     I/O error or out of memory does), the backend keeps it, and every
 *     write out of a transaction fails with it until a transaction begins
 *     again: no write goes on without the transaction it belonged to.
 *  4. Writes are INSERT OR IGNORE: an object already stored is kept as is
 *     (its bytes hash to the same id), so duplicate writes cost one lookup.
 *  5. A writepack collects the pack in memory up to max_pack_size, then hands
 *     it to ruhu_pack_parse and writes every object inside one SAVEPOINT
 *     (odb.h, design note 3).
 *  6. libgit2 carries a class and a message back from a callback, no more:
 *     the backend keeps its last SQLite failure (per thread) as a ruhu code
 *     and message, so that ruhu_git_error reports out of memory, a full disk
 *     or a read-only replica with their codes; callers whose libgit2 call
 *     replaced the backend's error by its own (the tree builder's "invalid
 *     object" after a failed lookup) ask ruhu_odb_take_failure.  A call of
 *     the backend that goes well forgets the failure.
 *  7. Blobs of 512 bytes or more (changesets, changes.txt, attachments) are
 *     stored deflated (zlib, level 1) when that saves at least an eighth:
 *     a row whose data is shorter than its size column holds deflated bytes.
 *     Commits, trees and tags are always stored as they are (bundle ingest
 *     reads them with SQL).  A save of 100,000 residents writes 63 MB of
 *     blobs as text; deflated they are a sixth of that, and every byte not
 *     written is a byte not encrypted, journaled and checkpointed.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <git2/sys/repository.h>

#include "core/odb_int.h"

#define SCHEMA \
	"CREATE TABLE IF NOT EXISTS _objects(" \
	"oid BLOB PRIMARY KEY NOT NULL CHECK(length(oid) = 20), " \
	"type INTEGER NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL) STRICT"

static const char *const statements[S_COUNT] = {
	"SELECT type, data, size FROM _objects WHERE oid = ?1",
	"SELECT type, size FROM _objects WHERE oid = ?1",
	"SELECT 1 FROM _objects WHERE oid = ?1",
	"INSERT OR IGNORE INTO _objects(oid, type, size, data) VALUES (?1, ?2, ?3, ?4)",
	"SELECT oid, type, data, size FROM _objects WHERE oid BETWEEN ?1 AND ?2 ORDER BY oid LIMIT 2",
};

sqlite3_stmt *ruhu_odb_bind_oid(backend *b, int which, const git_oid *oid)
{
	sqlite3_stmt *st = b->st[which];

	sqlite3_bind_blob(st, 1, oid->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	return st;
}

/* Is a row's data deflated (design note 7)?  Only a blob whose data is
 * shorter than its size; any other mismatch is returned as stored, so that
 * libgit2's hash check names the object as altered. */
int ruhu_odb_deflated(sqlite3_int64 type, size_t n, sqlite3_int64 size)
{
	return type == GIT_OBJECT_BLOB && size >= 0 && (sqlite3_int64)n < size;
}

/* Inflate `n` bytes at `data` into exactly `size` bytes at `buf`. */
int ruhu_odb_inflate_to(unsigned char *buf, const void *data, size_t n, size_t size)
{
	uLongf out = (uLongf)size;

	if ((size_t)out != size || uncompress(buf, &out, data, (uLong)n) != Z_OK || (size_t)out != size)
		return -1;
	return 0;
}

/* Copy a row's object into a buffer libgit2 will free (odb.h note); the
 * data column is `dcol`, the size column `dcol + 1`. */
static int row_data(void **out, size_t *len, git_object_t *type, backend *b, sqlite3_stmt *st,
	int tcol, int dcol)
{
	const void *data = sqlite3_column_blob(st, dcol);
	int n = sqlite3_column_bytes(st, dcol);
	sqlite3_int64 t = sqlite3_column_int64(st, tcol), size = sqlite3_column_int64(st, dcol + 1);
	int packed = ruhu_odb_deflated(t, (size_t)(n > 0 ? n : 0), size);
	size_t want = packed ? (size_t)size : (size_t)(n > 0 ? n : 0);
	void *buf;

	if (n < 0 || t < GIT_OBJECT_COMMIT || t > GIT_OBJECT_TAG || (packed && (uint64_t)size > SIZE_MAX - 1)) {
		git_error_set_str(GIT_ERROR_ODB, "object store holds a row of unknown type");
		return -1;
	}
	if ((buf = git_odb_backend_data_alloc(&b->parent, want + 1)) == NULL) {
		git_error_set_oom();
		return -1;
	}
	if (packed) {
		if (ruhu_odb_inflate_to(buf, data, (size_t)n, want) < 0) {
			git_odb_backend_data_free(&b->parent, buf);
			git_error_set_str(GIT_ERROR_ODB, "object store holds a deflated object that does "
					  "not inflate to its size");
			return -1;
		}
	} else if (want) {
		memcpy(buf, data, want);
	}
	((char *)buf)[want] = '\0';
	*out = buf;
	*len = want;
	*type = (git_object_t)t;
	return 0;
}

static int b_read(void **out, size_t *len, git_object_t *type, git_odb_backend *parent,
	const git_oid *oid)
{
	backend *b = (backend *)parent;
	sqlite3_stmt *st = ruhu_odb_bind_oid(b, S_READ, oid);
	int in_txn = ruhu_odb_enter(b), rc, error;

	ruhu_odb_last_failure.code = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		error = row_data(out, len, type, b, st, 0, 1);
	else if (rc == SQLITE_DONE)
		error = GIT_ENOTFOUND;
	else
		error = ruhu_odb_sql_fail_in(b, "read an object", in_txn);
	sqlite3_reset(st);
	return error;
}

static int b_read_header(size_t *len, git_object_t *type, git_odb_backend *parent,
	const git_oid *oid)
{
	backend *b = (backend *)parent;
	sqlite3_stmt *st = ruhu_odb_bind_oid(b, S_HEADER, oid);
	int in_txn = ruhu_odb_enter(b), rc, error = 0;

	ruhu_odb_last_failure.code = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*type = (git_object_t)sqlite3_column_int64(st, 0);
		*len = (size_t)sqlite3_column_int64(st, 1);
	} else if (rc == SQLITE_DONE) {
		error = GIT_ENOTFOUND;
	} else {
		error = ruhu_odb_sql_fail_in(b, "read an object header", in_txn);
	}
	sqlite3_reset(st);
	return error;
}

static int b_exists(git_odb_backend *parent, const git_oid *oid)
{
	backend *b = (backend *)parent;
	sqlite3_stmt *st = ruhu_odb_bind_oid(b, S_EXISTS, oid);
	int in_txn = ruhu_odb_enter(b), rc = sqlite3_step(st);

	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ruhu_odb_sql_fail_in(b, "look up an object", in_txn);
	else
		ruhu_odb_last_failure.code = 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW; /* design note 3 */
}

/* Write one object: 0, -1 when SQLite fails (its message is in the
 * connection), -2 out of memory. */
int ruhu_odb_store_object(backend *b, const git_oid *oid, const void *data, size_t len,
	git_object_t type)
{
	sqlite3_stmt *st = ruhu_odb_bind_oid(b, S_WRITE, oid);
	unsigned char *packed = NULL;
	uLongf plen = 0;
	int rc;

	/* design note 7; out of memory is an error, not a reason to store the
	 * same object in another form */
	if (type == GIT_OBJECT_BLOB && len >= 512 && len <= (size_t)0x7fffffff) {
		if ((packed = malloc(plen = compressBound((uLong)len))) == NULL)
			return -2;
		if (compress2(packed, &plen, data, (uLong)len, 1) != Z_OK || plen >= len - len / 8) {
			free(packed);
			packed = NULL;
		}
	}
	sqlite3_bind_int64(st, 2, (sqlite3_int64)type);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)len);
	if (packed)
		sqlite3_bind_blob64(st, 4, packed, plen, SQLITE_STATIC);
	else
		sqlite3_bind_blob64(st, 4, len ? data : "", len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(packed);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int b_write(git_odb_backend *parent, const git_oid *oid, const void *data, size_t len,
	git_object_t type)
{
	backend *b = (backend *)parent;
	int in_txn, rc;

	if (b->lost_code && sqlite3_get_autocommit(b->db)) {
		/* design note 3 (libgit2 tries a failed write again through a
		 * stream, whose exists goes well: the loss stays until a
		 * transaction begins) */
		ruhu_odb_last_failure.code = b->lost_code;
		memcpy(ruhu_odb_last_failure.msg, b->lost_msg, sizeof(ruhu_odb_last_failure.msg));
		git_error_set_str(GIT_ERROR_ODB, ruhu_odb_last_failure.msg);
		return -1;
	}
	in_txn = ruhu_odb_enter(b);
	if ((rc = ruhu_odb_store_object(b, oid, data, len, type)) == -2) {
		git_error_set_oom();
		return -1;
	}
	if (rc < 0)
		return ruhu_odb_sql_fail_in(b, "write an object", in_txn);
	ruhu_odb_last_failure.code = 0;
	return 0;
}

/* The range of ids that share the first `len` hex digits of `short_id`. */
static void prefix_bounds(unsigned char lo[20], unsigned char hi[20], const git_oid *short_id,
	size_t len)
{
	memcpy(lo, short_id->id, 20);
	memcpy(hi, short_id->id, 20);
	for (size_t nib = len; nib < 40; nib++) {
		unsigned char mask = nib % 2 ? 0x0f : 0xf0;

		lo[nib / 2] &= (unsigned char)~mask;
		hi[nib / 2] |= mask;
	}
}

static int find_prefix(backend *b, git_oid *full, void **out, size_t *len, git_object_t *type,
	const git_oid *short_id, size_t hexlen)
{
	sqlite3_stmt *st = b->st[S_PREFIX];
	unsigned char lo[20], hi[20];
	void *data = NULL;
	size_t dlen = 0;
	git_object_t dtype = GIT_OBJECT_INVALID;
	git_oid found;
	int rc, error = 0;

	prefix_bounds(lo, hi, short_id, hexlen);
	sqlite3_bind_blob(st, 1, lo, 20, SQLITE_STATIC);   /* cleared before return */
	sqlite3_bind_blob(st, 2, hi, 20, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		error = GIT_ENOTFOUND;
		goto done;
	}
	if (rc != SQLITE_ROW) {
		error = ruhu_odb_sql_fail(b, "look up a short id");
		goto done;
	}
	if (sqlite3_column_bytes(st, 0) != 20) {
		git_error_set_str(GIT_ERROR_ODB, "object store holds an id that is not 20 bytes");
		error = -1;
		goto done;
	}
	git_oid_fromraw(&found, sqlite3_column_blob(st, 0));
	if (out && (error = row_data(&data, &dlen, &dtype, b, st, 1, 2)) < 0)
		goto done;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		git_error_set_str(GIT_ERROR_ODB, "short id matches more than one object");
		error = GIT_EAMBIGUOUS;
		goto done;
	}
	if (rc != SQLITE_DONE) {
		error = ruhu_odb_sql_fail(b, "look up a short id");
		goto done;
	}
	/* hand out only on success: libgit2 frees *out itself after a failure */
	*full = found;
	if (out) {
		*out = data;
		*len = dlen;
		*type = dtype;
		data = NULL;
	}
done:
	if (data)
		git_odb_backend_data_free(&b->parent, data);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return error;
}

static int b_read_prefix(git_oid *full, void **out, size_t *len, git_object_t *type,
	git_odb_backend *parent, const git_oid *short_id, size_t hexlen)
{
	return find_prefix((backend *)parent, full, out, len, type, short_id, hexlen);
}

static int b_exists_prefix(git_oid *full, git_odb_backend *parent, const git_oid *short_id,
	size_t hexlen)
{
	return find_prefix((backend *)parent, full, NULL, NULL, NULL, short_id, hexlen);
}

static int b_foreach(git_odb_backend *parent, git_odb_foreach_cb cb, void *payload)
{
	backend *b = (backend *)parent;
	sqlite3_stmt *st = NULL;
	git_oid oid;
	int rc, error = 0;

	if (sqlite3_prepare_v2(b->db, "SELECT oid FROM _objects", -1, &st, NULL) != SQLITE_OK)
		return ruhu_odb_sql_fail(b, "list objects");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != 20)
			continue;
		git_oid_fromraw(&oid, sqlite3_column_blob(st, 0));
		if ((error = cb(&oid, payload)) != 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = ruhu_odb_sql_fail(b, "list objects");
done:
	sqlite3_finalize(st);
	return error;
}

static void b_free(git_odb_backend *parent)
{
	backend *b = (backend *)parent;

	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(b->st[i]);
	free(b);
}

/* --- opening ------------------------------------------------------------------- */

int ruhu_odb_init(sqlite3 *db)
{
	return ruhu_odb_exec(db, SCHEMA, "create table _objects");
}

static int new_backend(backend **out, sqlite3 *db)
{
	backend *b;
	int error = 0, rc;

	*out = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return ruhu_error_oom();
	git_odb_init_backend(&b->parent, GIT_ODB_BACKEND_VERSION);
	b->db = db;
	b->parent.read = b_read;
	b->parent.read_prefix = b_read_prefix;
	b->parent.read_header = b_read_header;
	b->parent.write = b_write;
	b->parent.exists = b_exists;
	b->parent.exists_prefix = b_exists_prefix;
	b->parent.foreach = b_foreach;
	b->parent.writepack = ruhu_odb_backend_writepack;
	b->parent.free = b_free;
	for (int i = 0; i < S_COUNT; i++)
		if ((rc = sqlite3_prepare_v3(db, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &b->st[i],
					     NULL)) != SQLITE_OK) {
			error = ruhu_error_set(ruhu_odb_sql_code(rc), "object store cannot prepare a statement: %s",
				sqlite3_errmsg(db));
			b_free(&b->parent);
			return error;
		}
	*out = b;
	return 0;
}

int ruhu_odb_open(git_repository **out, sqlite3 *db)
{
	git_odb *odb = NULL;
	git_config *cfg = NULL;
	git_repository *repo = NULL;
	backend *b = NULL;
	int error;

	*out = NULL;
	if ((error = ruhu_odb_init(db)) < 0 || (error = new_backend(&b, db)) < 0)
		goto done;
	if ((error = git_odb_new(&odb)) < 0) {
		error = ruhu_git_error(error, "cannot make an object database");
		goto done;
	}
	if ((error = git_odb_add_backend(odb, &b->parent, 1)) < 0) {
		error = ruhu_git_error(error, "cannot add the object store");
		goto done;
	}
	b = NULL; /* the odb owns it now */
	if ((error = git_repository_wrap_odb(&repo, odb)) < 0) {
		error = ruhu_git_error(error, "cannot wrap the object store");
		goto done;
	}
	/* no ~/.gitconfig: the packbuilder and friends read the repository's */
	if ((error = git_config_new(&cfg)) < 0 ||
	    (error = git_repository_set_config(repo, cfg)) < 0) {
		error = ruhu_git_error(error, "cannot give the object store an empty config");
		goto done;
	}
	*out = repo;
	repo = NULL;
done:
	git_config_free(cfg);
	git_repository_free(repo);
	git_odb_free(odb);
	if (b)
		b_free(&b->parent);
	return error;
}

backend *ruhu_odb_backend_of(git_repository *repo)
{
	git_odb *odb = NULL;
	git_odb_backend *found = NULL;
	backend *b = NULL;

	if (git_repository_odb(&odb, repo) < 0)
		return NULL;
	if (git_odb_num_backends(odb) == 1 && git_odb_get_backend(&found, odb, 0) == 0 &&
	    found->read == b_read)
		b = (backend *)found;
	git_odb_free(odb);
	return b;
}

sqlite3 *ruhu_odb_db(git_repository *repo)
{
	backend *b = ruhu_odb_backend_of(repo);

	return b ? b->db : NULL;
}
