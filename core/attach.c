/*
 * attach.c — attachments: photos of documents, signatures, scans
 * (see ruhu/core.h, ruhu_edit_attach).
 *
 * Design notes
 *  1. The bytes never go into a replicated row (notes/session-changesets.md:
 *     a 10 MB blob makes a 20 MB changeset): they become a git blob, stored
 *     once however often attached (same bytes, same id), and the `attachment`
 *     record holds the blob id, size and sniffed MIME type.  The save's
 *     commit tree carries the blob as attachments/<attachment id>, so the
 *     bytes travel with the history in bundles and exports.
 *  2. The limit is `_meta.attachment_limit` bytes, 20,000,000 (20 MB) unless a
 *     centre sets another.
 *  3. The record attached to must exist when the attachment is made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commit.h"
#include "core/edit.h"
#include "core/meta.h"
#include "core/mime.h"
#include "core/when.h"

#define DEFAULT_LIMIT 20000000

static int record_exists(ruhu_edit *e, const ruhu_type *t, const char *id)
{
	sqlite3 *db = ruhu_replica_db(e->r);
	sqlite3_stmt *st = NULL;
	ruhu_buf sql = RUHU_BUF_INIT;
	int error, rc;

	if ((error = ruhu_buf_printf(&sql, "SELECT 1 FROM \"%s\" WHERE \"%s\" = ?1", ruhu_type_name(t),
				     ruhu_field_name(ruhu_type_pk(t)))) < 0)
		goto done;
	if ((rc = sqlite3_prepare_v2(db, sql.ptr, -1, &st, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "look the record up");
		goto done;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		error = ruhu_error_set(RUHU_ENOTFOUND, "no %s with id %s", ruhu_type_name(t), id);
	else if (rc != SQLITE_ROW)
		error = ruhu_sql_error(db, rc, "look the record up");
done:
	sqlite3_finalize(st);
	ruhu_buf_dispose(&sql);
	return error;
}

int ruhu_edit_attach(ruhu_edit *e, const char *type, const char *id, const void *data,
		     size_t len, const char *caption, char out_id[RUHU_ID_SIZE])
{
	sqlite3 *db = ruhu_replica_db(e->r);
	const ruhu_type *t;
	git_repository *repo;
	git_oid oid;
	char hex[GIT_OID_HEXSZ + 1], bytes[24], when[RUHU_DATETIME_SIZE], aid[RUHU_ID_SIZE];
	int64_t limit, tz;
	struct edit_blob *blobs;
	int error;

	if ((error = ruhu_edit_type(&t, e->schema, type)) < 0 ||
	    (error = record_exists(e, t, id)) < 0 ||
	    (error = ruhu_meta_int_or(&limit, db, "attachment_limit", DEFAULT_LIMIT)) < 0 ||
	    (error = ruhu_meta_int_or(&tz, db, "tz_minutes", 480)) < 0)
		return error;
	if (len > (uint64_t)limit)
		return ruhu_error_set(RUHU_EINVALID, "the file is %zu bytes, more than the attachment "
				      "limit of %lld bytes", len, (long long)limit);
	if ((error = ruhu_replica_repo(&repo, e->r)) < 0 ||
	    (error = ruhu_blob_write(&oid, repo, data, len)) < 0)
		return error;
	git_oid_tostr(hex, sizeof(hex), &oid);
	snprintf(bytes, sizeof(bytes), "%zu", len);
	ruhu_when_datetime(when, ruhu_replica_now_ms(e->r), (int)tz);
	{
		ruhu_assign v[] = {
			{ "record_type", type }, { "record_id", id }, { "blob_id", hex },
			{ "mime", ruhu_mime_sniff(data, len) }, { "bytes", bytes },
			{ "caption", caption }, { "taken_at", when },
		};

		if ((error = ruhu_edit_insert(e, "attachment", v, sizeof(v) / sizeof(v[0]), aid)) < 0)
			return error;
	}
	if ((blobs = realloc(e->blobs, (e->nblobs + 1) * sizeof(*blobs))) == NULL)
		return ruhu_error_oom();
	e->blobs = blobs;
	memcpy(blobs[e->nblobs].id, aid, sizeof(aid));
	blobs[e->nblobs].oid = oid;
	e->nblobs++;
	if (out_id)
		memcpy(out_id, aid, sizeof(aid));
	return 0;
}
