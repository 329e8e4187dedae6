/*
 * odb_writepack.c — the writing of received packs into the object store:
 * libgit2's writepack, which collects a pack in memory, and
 * ruhu_odb_write_pack, which parses it (odb_pack.c) and writes every object
 * inside one SAVEPOINT (odb.c, design note 5; odb.h, design note 3).
 */
#include <stdlib.h>
#include <string.h>

#include "core/odb_int.h"

typedef struct {
	git_odb_writepack parent;
	ruhu_buf pack;
	ruhu_pack_opts opts;
	git_indexer_progress_cb progress_cb;
	void *progress_payload;
} writepack;

static int base_from_table(void **out, size_t *len, git_object_t *type, const git_oid *oid,
	void *payload)
{
	backend *b = payload;
	sqlite3_stmt *st = ruhu_odb_bind_oid(b, S_READ, oid);
	int rc, error = 0, n;
	sqlite3_int64 size;
	void *buf;

	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		error = RUHU_ENOTFOUND;
		goto done;
	}
	if (rc != SQLITE_ROW) {
		error = ruhu_error_set(ruhu_odb_sql_code(rc), "object store cannot read delta base %s: %s",
			git_oid_tostr_s(oid), sqlite3_errmsg(b->db));
		goto done;
	}
	n = sqlite3_column_bytes(st, 1);
	size = sqlite3_column_int64(st, 2);
	if (!ruhu_odb_deflated(sqlite3_column_int64(st, 0), (size_t)n, size))
		size = n;
	else if ((uint64_t)size > SIZE_MAX - 1) {
		error = ruhu_error_set(RUHU_ECORRUPT, "object store holds a damaged delta base %s",
			git_oid_tostr_s(oid));
		goto done;
	}
	if ((buf = malloc(size > 0 ? (size_t)size : 1)) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	if (size == n) {
		if (n > 0)
			memcpy(buf, sqlite3_column_blob(st, 1), (size_t)n);
	} else if (ruhu_odb_inflate_to(buf, sqlite3_column_blob(st, 1), (size_t)n, (size_t)size) < 0) {
		free(buf);
		error = ruhu_error_set(RUHU_ECORRUPT, "object store holds a damaged delta base %s",
			git_oid_tostr_s(oid));
		goto done;
	}
	*out = buf;
	*len = (size_t)size;
	*type = (git_object_t)sqlite3_column_int64(st, 0);
done:
	sqlite3_reset(st);
	return error;
}

static int object_to_table(const git_oid *oid, git_object_t type, const void *data, size_t len,
	void *payload)
{
	backend *b = payload;
	int rc = ruhu_odb_store_object(b, oid, data, len, type);

	if (rc == -2)
		return ruhu_error_oom();
	if (rc < 0)
		return ruhu_error_set(ruhu_odb_sql_code(sqlite3_extended_errcode(b->db)),
			"object store cannot write object %s: %s", git_oid_tostr_s(oid),
			sqlite3_errmsg(b->db));
	return 0;
}

/* All of the pack or nothing (odb.h, design note 3). */
static int write_pack(size_t *out_objects, backend *b, const void *pack, size_t len,
	const ruhu_pack_opts *opts)
{
	int error;

	if ((error = ruhu_odb_exec(b->db, "SAVEPOINT ruhu_pack", "start writing a pack")) < 0)
		return error;
	error = ruhu_pack_parse(out_objects, pack, len, opts, base_from_table, object_to_table, b);
	if (error < 0) {
		/* keep the parse error: the rollback's own failure is secondary */
		sqlite3_exec(b->db, "ROLLBACK TO ruhu_pack", NULL, NULL, NULL);
		sqlite3_exec(b->db, "RELEASE ruhu_pack", NULL, NULL, NULL);
		return error;
	}
	if ((error = ruhu_odb_exec(b->db, "RELEASE ruhu_pack", "finish writing a pack")) < 0) {
		sqlite3_exec(b->db, "ROLLBACK TO ruhu_pack", NULL, NULL, NULL);
		sqlite3_exec(b->db, "RELEASE ruhu_pack", NULL, NULL, NULL);
	}
	return error;
}

static int wp_append(git_odb_writepack *parent, const void *data, size_t size,
	git_indexer_progress *stats)
{
	writepack *wp = (writepack *)parent;

	if (size > wp->opts.max_pack_size - wp->pack.size) {
		git_error_set_str(GIT_ERROR_ODB, "received pack is over the cap of the object store");
		return -1;
	}
	if (ruhu_buf_put(&wp->pack, data, size) < 0) {
		git_error_set_oom();
		return -1;
	}
	if (stats)
		stats->received_bytes = wp->pack.size;
	if (wp->progress_cb && stats)
		return wp->progress_cb(stats, wp->progress_payload);
	return 0;
}

static int wp_commit(git_odb_writepack *parent, git_indexer_progress *stats)
{
	writepack *wp = (writepack *)parent;
	size_t n = 0;

	if (write_pack(&n, (backend *)parent->backend, wp->pack.ptr, wp->pack.size, &wp->opts) < 0) {
		git_error_set_str(GIT_ERROR_ODB, ruhu_error_last());
		return -1;
	}
	if (stats) {
		stats->total_objects = stats->indexed_objects = stats->received_objects = (unsigned)n;
		stats->received_bytes = wp->pack.size;
	}
	if (wp->progress_cb && stats)
		return wp->progress_cb(stats, wp->progress_payload);
	return 0;
}

static void wp_free(git_odb_writepack *parent)
{
	writepack *wp = (writepack *)parent;

	ruhu_buf_dispose(&wp->pack);
	free(wp);
}

int ruhu_odb_backend_writepack(git_odb_writepack **out, git_odb_backend *parent, git_odb *odb,
	git_indexer_progress_cb progress_cb, void *progress_payload)
{
	ruhu_pack_opts defaults = RUHU_PACK_OPTS_INIT;
	writepack *wp;

	if ((wp = calloc(1, sizeof(*wp))) == NULL) {
		git_error_set_oom();
		return -1;
	}
	wp->parent.backend = parent;
	wp->parent.append = wp_append;
	wp->parent.commit = wp_commit;
	wp->parent.free = wp_free;
	wp->opts = defaults;
	wp->opts.max_pack_size = (size_t)2 << 30;
	wp->progress_cb = progress_cb;
	wp->progress_payload = progress_payload;
	*out = &wp->parent;
	return 0;
}

int ruhu_odb_write_pack(size_t *out_objects, git_repository *repo, const void *pack, size_t len,
	const ruhu_pack_opts *opts)
{
	backend *b = ruhu_odb_backend_of(repo);

	if (out_objects)
		*out_objects = 0;
	if (b == NULL)
		return ruhu_error_set(RUHU_EINVALID, "repository is not a ruhu object store");
	return write_pack(out_objects, b, pack, len, opts);
}
