/*
 * archive.c — `ruhu archive export`: the archive package of a hub's closed
 * cases (DOMAIN clause 6.3, GB/T 18894 style; see ruhu/audit.h and the
 * layout in archive.h).
 *
 * Design notes
 *  1. A case is an application completed, rejected or referred, a dispute
 *     settled or forwarded, or a complaint closed, as the hub's rows say,
 *     whose last change is before the cut-off day.  The last change is the
 *     time the change was made: the tablet's save a merge carried, or the
 *     hub edit itself (its author time).
 *  2. One history walk (audit_history.c) serves every candidate at once;
 *     each case's versions are written to its JSON as they come.
 *  3. Archive codes are `<centre>-<year>-<type>-<nnnn>`: the year the case's
 *     last change was made (the centre's zone) and a number per year and
 *     type, in order of that time, then id.  The same hub state and cut-off
 *     give the same codes.
 *  4. Attachments are the `attachment` records naming the case; their bytes
 *     come from the object store by blob id, each written as
 *     attachments/<code>/<attachment id>.<extension of its MIME type>.
 *  5. The manifest lists every other file with its SHA-256, read back from
 *     disk; its own SHA-256 goes into the signed save on main that records
 *     the export (trailer Ruhu-Archive), made last: a package is recorded
 *     only once it is complete, and a failure removes what was written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/edit.h"
#include "core/identity.h"
#include "core/meta.h"
#include "core/odb.h"
#include "core/when.h"
#include "schema/schema_db.h"
#include "sync/archive.h"
#include "sync/hub.h"

static const char *const case_types[] = { "application", "dispute", "complaint" };
static const char *const closed_sql[] = {
	"SELECT id, status, person_id, received_at, item, NULL FROM application WHERE status IN "
	"('completed', 'rejected', 'referred') ORDER BY id",
	"SELECT id, status, person_id, received_at, employer_name, kind FROM dispute WHERE status IN "
	"('settled', 'forwarded') ORDER BY id",
	"SELECT id, status, person_id, received_at, subject, NULL FROM complaint WHERE status = 'closed' "
	"ORDER BY id",
};

static char *col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? strdup((const char *)t) : NULL;
}

int archive_candidates(struct archive *a)
{
	int error = 0, rc;

	for (size_t t = 0; t < 3 && error == 0; t++) {
		sqlite3_stmt *st = NULL;

		if ((rc = sqlite3_prepare_v2(a->c.db, closed_sql[t], -1, &st, NULL)) != SQLITE_OK)
			return ruhu_sql_error(a->c.db, rc, "read the closed cases");
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct kase *k = realloc(a->k, (a->n + 1) * sizeof(*k));
			ruhu_buf title = RUHU_BUF_INIT;
			const char *what = (const char *)sqlite3_column_text(st, 4);

			if (k == NULL) {
				error = ruhu_error_oom();
				break;
			}
			a->k = k;
			k = &a->k[a->n++];
			memset(k, 0, sizeof(*k));
			k->type = case_types[t];
			k->last = -1;
			if (t == 0 && what && a->cat && ruhu_catalogue_item_byname(a->cat, what))
				error = ruhu_buf_printf(&title, "%s %s", what,
							ruhu_item_name(ruhu_catalogue_item_byname(a->cat, what),
								       RUHU_LANG_ZH));
			else if (t == 1)
				error = ruhu_buf_printf(&title, "%s (%s)", what ? what : "",
							(const char *)sqlite3_column_text(st, 5));
			else
				error = ruhu_buf_puts(&title, what ? what : "");
			k->title = ruhu_buf_detach(&title);
			if (error < 0 || (k->id = col_dup(st, 0)) == NULL || (k->status = col_dup(st, 1)) == NULL ||
			    k->title == NULL) {
				error = error < 0 ? error : ruhu_error_oom();
				break;
			}
			k->person = col_dup(st, 2);
			k->opened = col_dup(st, 3);
			jw_init(&k->jw, &k->history);
			k->jw.depth = 2;
			k->jw.first[2] = 1;
		}
		if (error == 0 && rc != SQLITE_DONE)
			error = ruhu_sql_error(a->c.db, rc, "read the closed cases");
		sqlite3_finalize(st);
	}
	return error;
}

static void when_iso(char out[RUHU_DATETIME_SIZE], int64_t seconds, int offset)
{
	ruhu_when_datetime(out, seconds * 1000, offset);
}

/* Design note 2: one version into its case's JSON. */
int archive_on_version(size_t target, const ruhu_audit_version *v, void *payload)
{
	struct archive *a = payload;
	struct kase *k = &a->k[target];
	const ruhu_audit_entry *b = v->bundle ? v->bundle : v->commit;
	struct jw *j = &k->jw;
	char t[RUHU_DATETIME_SIZE], sig[2] = { v->commit->commit.sig, 0 };

	jw_begin(j, '{');
	jw_kint(j, "version", (long long)v->version);
	jw_kstr(j, "op", v->op);
	when_iso(t, b->commit.time, b->commit.offset);
	jw_kstr(j, "time", t);
	jw_kstr(j, "author", b->commit.author);
	jw_kstr(j, "worker", b->commit.worker[0] ? b->commit.worker : NULL);
	jw_kstr(j, "device", b->commit.device);
	jw_kstr(j, "visit", b->commit.visit[0] ? b->commit.visit : NULL);
	jw_kstr(j, "hlc", b->commit.hlc);
	jw_kstr(j, "commit", v->commit->commit.id);
	jw_kstr(j, "kind", v->commit->kind);
	jw_kstr(j, "signature", sig);
	jw_kstr(j, "bundle", v->bundle ? v->bundle->commit.id : NULL);
	if (v->bundle) {
		char bs[2] = { v->bundle->commit.sig, 0 };

		jw_kstr(j, "bundle_signature", bs);
		when_iso(t, v->commit->commit.time, v->commit->commit.offset);
		jw_kstr(j, "merged_at", t);
	}
	jw_key(j, "changes");
	jw_begin(j, '{');
	for (size_t i = 0; i < v->nfields; i++) {
		if (!v->changed[i])
			continue;
		jw_key(j, v->fields[i]);
		jw_begin(j, '{');
		jw_key(j, "old");
		jw_value(j, &v->before[i]);
		jw_key(j, "new");
		jw_value(j, &v->after[i]);
		jw_end(j, '}');
	}
	jw_end(j, '}');
	jw_key(j, "decisions");
	jw_begin(j, '[');
	for (size_t i = 0; i < v->ndecisions; i++) {
		const ruhu_audit_decision *d = &v->decisions[i];

		jw_begin(j, '{');
		jw_kstr(j, "field", d->field);
		jw_kstr(j, "rule", d->rule);
		jw_kstr(j, "base", d->base);
		jw_kstr(j, "hub", d->hub);
		jw_kstr(j, "device", d->device);
		jw_kstr(j, "result", d->result);
		jw_kstr(j, "note", d->note);
		jw_end(j, '}');
	}
	jw_end(j, ']');
	jw_end(j, '}');
	k->versions++;
	if (strcmp(v->op, "kept"))
		k->last = b->commit.time;
	return j->failed ? RUHU_ENOMEM : 0;
}

int archive_year_of(int64_t seconds, int tz)
{
	char d[RUHU_DAY_SIZE];

	ruhu_when_date(d, seconds * 1000, tz);
	return (int)strtol(d, NULL, 10);
}

static int type_rank(const char *t)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(t, case_types[i]))
			return i;
	return 3;
}

int archive_case_cmp(const void *x, const void *y)
{
	const struct kase *a = x, *b = y;

	if (a->selected != b->selected)
		return a->selected ? -1 : 1;
	if (a->year != b->year)
		return a->year < b->year ? -1 : 1;
	if (type_rank(a->type) != type_rank(b->type))
		return type_rank(a->type) < type_rank(b->type) ? -1 : 1;
	if (a->last != b->last)
		return a->last < b->last ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* A row of the replica as a JSON object (null when there is none). */
int archive_row_json(struct jw *j, sqlite3 *db, const char *type, const char *id)
{
	ruhu_buf sql = RUHU_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc, error;

	if ((error = ruhu_buf_printf(&sql, "SELECT * FROM \"%s\" WHERE id = ?1", type)) < 0)
		return error;
	if ((rc = sqlite3_prepare_v2(db, sql.ptr, -1, &st, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "read a record for the archive");
		goto done;
	}
	sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		jw_begin(j, '{');
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			ruhu_value v;

			memset(&v, 0, sizeof(v));
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER: v.type = RUHU_VALUE_INTEGER; v.i = sqlite3_column_int64(st, i); break;
			case SQLITE_FLOAT: v.type = RUHU_VALUE_REAL; v.d = sqlite3_column_double(st, i); break;
			case SQLITE_TEXT:
				v.type = RUHU_VALUE_TEXT;
				v.p = (const char *)sqlite3_column_text(st, i);
				v.len = (size_t)sqlite3_column_bytes(st, i);
				break;
			case SQLITE_BLOB:
				v.type = RUHU_VALUE_BLOB;
				v.p = sqlite3_column_blob(st, i);
				v.len = (size_t)sqlite3_column_bytes(st, i);
				break;
			default: break;
			}
			jw_key(j, sqlite3_column_name(st, i));
			jw_value(j, &v);
		}
		jw_end(j, '}');
	} else if (rc == SQLITE_DONE) {
		jw_null(j);
	} else {
		error = ruhu_sql_error(db, rc, "read a record for the archive");
	}
done:
	sqlite3_finalize(st);
	ruhu_buf_dispose(&sql);
	return error;
}

/* Design note 4: the attachments of a case, written and listed. */
int archive_attachments(struct archive *a, struct kase *k, struct jw *j, ruhu_buf *xml, size_t *count)
{
	sqlite3_stmt *st = NULL;
	ruhu_buf rel = RUHU_BUF_INIT, dir = RUHU_BUF_INIT;
	git_odb *odb = NULL;
	int rc, error = 0, made = 0;

	*count = 0;
	if ((rc = sqlite3_prepare_v2(a->c.db, "SELECT id, blob_id, mime, bytes, caption, taken_at FROM attachment "
				     "WHERE record_type = ?1 AND record_id = ?2 ORDER BY id", -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(a->c.db, rc, "read the attachments");
	sqlite3_bind_text(st, 1, k->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->id, -1, SQLITE_STATIC);
	if ((error = git_repository_odb(&odb, a->c.repo)) < 0) {
		error = ruhu_git_error(error, "cannot open the object store");
		goto done;
	}
	jw_key(j, "attachments");
	jw_begin(j, '[');
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0), *mime = (const char *)sqlite3_column_text(st, 2);
		git_odb_object *obj = NULL;
		git_oid oid;
		char sha[65], bytes[24];

		if (git_oid_fromstr(&oid, (const char *)sqlite3_column_text(st, 1)) < 0) {
			error = ruhu_error_set(RUHU_ECORRUPT, "attachment %s names no blob", id);
			break;
		}
		if ((error = git_odb_read(&obj, odb, &oid)) < 0) {
			error = ruhu_git_error(error, "cannot read the bytes of attachment %s", id);
			break;
		}
		ruhu_buf_clear(&dir);
		ruhu_buf_clear(&rel);
		if ((error = ruhu_buf_printf(&dir, "attachments/%s", k->code)) < 0 ||
		    (!made && ((error = archive_out_mkdir(&a->o, "attachments")) < 0 ||
			       (error = archive_out_mkdir(&a->o, dir.ptr)) < 0)) ||
		    (error = ruhu_buf_printf(&rel, "%s/%s.%s", dir.ptr, id, archive_extension(mime))) < 0 ||
		    (error = archive_out_write(&a->o, rel.ptr, git_odb_object_data(obj), git_odb_object_size(obj))) < 0) {
			git_odb_object_free(obj);
			break;
		}
		made = 1;
		archive_sha256_hex(sha, git_odb_object_data(obj), git_odb_object_size(obj));
		snprintf(bytes, sizeof(bytes), "%zu", git_odb_object_size(obj));
		git_odb_object_free(obj);
		jw_begin(j, '{');
		jw_kstr(j, "id", id);
		jw_kstr(j, "file", rel.ptr);
		jw_kstr(j, "mime", mime);
		jw_kint(j, "bytes", sqlite3_column_int64(st, 3));
		jw_kstr(j, "sha256", sha);
		jw_kstr(j, "blob", (const char *)sqlite3_column_text(st, 1));
		jw_kstr(j, "caption", (const char *)sqlite3_column_text(st, 4));
		jw_kstr(j, "taken_at", (const char *)sqlite3_column_text(st, 5));
		jw_end(j, '}');
		if ((error = ruhu_buf_puts(xml, "    <attachment id=\"")) < 0 || (error = xml_text(xml, id)) < 0 ||
		    (error = ruhu_buf_puts(xml, "\" file=\"")) < 0 || (error = xml_text(xml, rel.ptr)) < 0 ||
		    (error = ruhu_buf_puts(xml, "\" mime=\"")) < 0 || (error = xml_text(xml, mime)) < 0 ||
		    (error = ruhu_buf_printf(xml, "\" bytes=\"%s\" sha256=\"%s\"/>\n", bytes, sha)) < 0)
			break;
		(*count)++;
	}
	jw_end(j, ']');
	if (error == 0 && rc != SQLITE_DONE)
		error = ruhu_sql_error(a->c.db, rc, "read the attachments");
done:
	git_odb_free(odb);
	sqlite3_finalize(st);
	ruhu_buf_dispose(&rel);
	ruhu_buf_dispose(&dir);
	return error;
}
