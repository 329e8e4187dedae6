/*
 * review.c — the hub's review queue: what the rules left to a person
 * (docs/sync.md §3; item kinds in docs/merge.md).
 *
 * Design notes
 *  1. An item holds the values at the time of the merge (base, hub, device),
 *     the device's own change as a one-change changeset, the device commit
 *     and the merge commit that opened it.
 *  2. Resolving is a save on main like any other: authored by the operator
 *     holding the hub, signed by the hub, with a `Ruhu-Resolves: RID`
 *     trailer and a decisions.txt line (rule `resolution`) saying what was
 *     taken and why.  The item is marked resolved in the same transaction.
 *     The resolution reaches the tablets with the next replies.
 *  3. A field item takes the chosen value into the field.  A whole-record
 *     item (parent missing, record missing, delete against update, insert
 *     clash, immutable, constraint) takes the device's change by applying it
 *     as it was, or keeps the hub's record; a duplicate item keeps one of
 *     the two records (--take hub keeps the one the hub had, --take device
 *     the tablet's) or both (--take base: "not the same person").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "core/commit.h"
#include "core/edit.h"
#include "core/meta.h"
#include "sync/hub.h"
#include "sync/merge.h"
#include "sync/sync_int.h"

#define ITEM_COLUMNS "rid, kind, type, record_id, field, base, hub, device, other_id, note, " \
		     "device_id, worker, device_commit, merge_commit, opened_ms, status, resolution, " \
		     "resolution_commit, base_set, change"

static const char *text_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, col);
}

static void oid_text(char out[RUHU_OID_SIZE], sqlite3_stmt *st, int col)
{
	out[0] = '\0';
	if (sqlite3_column_bytes(st, col) == GIT_OID_RAWSZ) {
		git_oid id;

		git_oid_fromraw(&id, sqlite3_column_blob(st, col));
		git_oid_tostr(out, RUHU_OID_SIZE, &id);
	}
}

static void fill(ruhu_review_item *it, sqlite3_stmt *st)
{
	memset(it, 0, sizeof(*it));
	it->rid = sqlite3_column_int64(st, 0);
	it->kind = text_or_null(st, 1);
	it->type = text_or_null(st, 2);
	it->id = text_or_null(st, 3);
	it->field = text_or_null(st, 4);
	it->base = text_or_null(st, 5);
	it->hub = text_or_null(st, 6);
	it->device = text_or_null(st, 7);
	it->other_id = text_or_null(st, 8);
	it->note = text_or_null(st, 9);
	it->device_id = text_or_null(st, 10);
	it->worker = text_or_null(st, 11);
	oid_text(it->device_commit, st, 12);
	oid_text(it->merge_commit, st, 13);
	it->opened_ms = sqlite3_column_int64(st, 14);
	it->status = text_or_null(st, 15);
	it->resolution = text_or_null(st, 16);
	oid_text(it->resolution_commit, st, 17);
}

static int query(ruhu_replica *hub, const char *where, int64_t rid, ruhu_review_cb cb, void *payload,
		 int *rows)
{
	sqlite3 *db = ruhu_replica_db(hub);
	sqlite3_stmt *st = NULL;
	ruhu_buf sql = RUHU_BUF_INIT;
	ruhu_review_item it;
	int rc, error;

	*rows = 0;
	if ((error = ruhu_hub_check(hub)) < 0 ||
	    (error = ruhu_buf_printf(&sql, "SELECT " ITEM_COLUMNS " FROM _review %s ORDER BY rid", where)) < 0)
		goto done;
	if ((rc = sqlite3_prepare_v2(db, sql.ptr, -1, &st, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "read the review queue");
		goto done;
	}
	if (sqlite3_bind_parameter_count(st))
		sqlite3_bind_int64(st, 1, rid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*rows)++;
		fill(&it, st);
		if ((error = cb(&it, payload)) != 0)
			break;
	}
	if (error == 0 && rc != SQLITE_DONE)
		error = ruhu_sql_error(db, rc, "read the review queue");
done:
	sqlite3_finalize(st);
	ruhu_buf_dispose(&sql);
	return error;
}

int ruhu_review_list(ruhu_replica *hub, int all, ruhu_review_cb cb, void *payload)
{
	int rows;

	return query(hub, all ? "" : "WHERE status = 'open'", 0, cb, payload, &rows);
}

int ruhu_review_get(ruhu_replica *hub, int64_t rid, ruhu_review_cb cb, void *payload)
{
	int rows, error = query(hub, "WHERE rid = ?1", rid, cb, payload, &rows);

	if (error == 0 && rows == 0)
		error = ruhu_error_set(RUHU_ENOTFOUND, "no review item %lld", (long long)rid);
	return error;
}

/* The item, copied out of the row: values stay typed for the write. */
struct item {
	int64_t rid;
	char kind[32], type[64], id[RUHU_ID_SIZE], field[64], other[RUHU_ID_SIZE];
	int has_field, open;
	sqlite3_value *base, *hubv, *devv;
	ruhu_buf change;
};

static int load(struct item *it, sqlite3 *db, int64_t rid)
{
	sqlite3_stmt *st = NULL;
	int rc, error = 0;

	memset(it, 0, sizeof(*it));
	if ((rc = sqlite3_prepare_v2(db, "SELECT " ITEM_COLUMNS " FROM _review WHERE rid = ?1", -1, &st,
				     NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "read the review queue");
	sqlite3_bind_int64(st, 1, rid);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		error = rc == SQLITE_DONE ? ruhu_error_set(RUHU_ENOTFOUND, "no review item %lld", (long long)rid)
					  : ruhu_sql_error(db, rc, "read the review queue");
		goto done;
	}
	it->rid = rid;
	snprintf(it->kind, sizeof(it->kind), "%s", sqlite3_column_text(st, 1));
	snprintf(it->type, sizeof(it->type), "%s", sqlite3_column_text(st, 2));
	snprintf(it->id, sizeof(it->id), "%s", sqlite3_column_text(st, 3));
	if ((it->has_field = sqlite3_column_type(st, 4) != SQLITE_NULL))
		snprintf(it->field, sizeof(it->field), "%s", sqlite3_column_text(st, 4));
	if (sqlite3_column_type(st, 8) != SQLITE_NULL)
		snprintf(it->other, sizeof(it->other), "%s", sqlite3_column_text(st, 8));
	it->open = !strcmp((const char *)sqlite3_column_text(st, 15), "open");
	it->base = sqlite3_value_dup(sqlite3_column_value(st, 5));
	it->hubv = sqlite3_value_dup(sqlite3_column_value(st, 6));
	it->devv = sqlite3_value_dup(sqlite3_column_value(st, 7));
	if (!it->base || !it->hubv || !it->devv ||
	    ruhu_buf_put(&it->change, sqlite3_column_blob(st, 19), (size_t)sqlite3_column_bytes(st, 19)) < 0)
		error = ruhu_error_oom();
done:
	sqlite3_finalize(st);
	return error;
}

static void unload(struct item *it)
{
	sqlite3_value_free(it->base);
	sqlite3_value_free(it->hubv);
	sqlite3_value_free(it->devv);
	ruhu_buf_dispose(&it->change);
}

static const char *take_name(ruhu_take t)
{
	switch (t) {
	case RUHU_TAKE_HUB: return "take hub";
	case RUHU_TAKE_DEVICE: return "take device";
	case RUHU_TAKE_BASE: return "take base";
	default: return "set value";
	}
}

/* UPDATE type SET field = value WHERE id = ? — inside the edit, captured. */
static int write_field(ruhu_edit *e, struct item *it, sqlite3_value *v, const char *text)
{
	sqlite3 *db = ruhu_replica_db(e->r);
	sqlite3_stmt *st = NULL;
	ruhu_buf sql = RUHU_BUF_INIT;
	int rc, error;

	if ((error = ruhu_buf_printf(&sql, "UPDATE \"%s\" SET \"%s\" = ?1 WHERE id = ?2", it->type, it->field)) < 0)
		return error;
	if ((rc = sqlite3_prepare_v2(db, sql.ptr, -1, &st, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "resolve the review item");
		goto done;
	}
	if (text)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_value(st, 1, v);
	sqlite3_bind_text(st, 2, it->id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		error = ruhu_edit_write_error(e, sqlite3_extended_errcode(db));
	else if (sqlite3_changes(db) == 0)
		error = ruhu_error_set(RUHU_ENOTFOUND, "%s %s no longer exists: nothing to resolve into",
				       it->type, it->id);
done:
	sqlite3_finalize(st);
	ruhu_buf_dispose(&sql);
	return error;
}

static int replace_conflict(void *ctx, int type, sqlite3_changeset_iter *iter)
{
	(void)iter;
	if (type == SQLITE_CHANGESET_DATA || type == SQLITE_CHANGESET_CONFLICT)
		return SQLITE_CHANGESET_REPLACE;
	*(int *)ctx = type;
	return SQLITE_CHANGESET_OMIT;
}

/* Apply the device's change as it was (design note 3). */
static int take_change(ruhu_edit *e, struct item *it)
{
	sqlite3 *db = ruhu_replica_db(e->r);
	int missed = 0, rc;

	if (it->change.size == 0)
		return ruhu_error_set(RUHU_EINVALID, "review item %lld holds no change to take",
				      (long long)it->rid);
	rc = sqlite3changeset_apply(db, (int)it->change.size, it->change.ptr, NULL, replace_conflict, &missed);
	if (rc != SQLITE_OK)
		return ruhu_edit_write_error(e, rc);
	if (missed == SQLITE_CHANGESET_NOTFOUND)
		return ruhu_error_set(RUHU_ENOTFOUND, "%s %s no longer exists: the device's change cannot "
				      "be taken", it->type, it->id);
	if (missed)
		return ruhu_error_set(RUHU_ECONFLICT, "the device's change to %s %s cannot be applied "
				      "(conflict %d)", it->type, it->id, missed);
	return 0;
}

static int delete_record(ruhu_edit *e, const char *type, const char *id)
{
	int error = ruhu_edit_delete(e, type, id);

	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0; /* gone already: keeping the other one is done */
	}
	return error;
}

static int resolution_line(ruhu_buf *out, struct item *it, ruhu_take take, const char *value,
			   const char *reason)
{
	ruhu_merge_decision d;
	ruhu_merge_result res;
	ruhu_cval none;
	char note[512];

	memset(&d, 0, sizeof(d));
	memset(&res, 0, sizeof(res));
	memset(&none, 0, sizeof(none));
	snprintf(note, sizeof(note), "review %lld (%s): %s%s%s%s", (long long)it->rid, it->kind,
		 take_name(take), value ? " " : "", value ? value : "", reason ? "; " : "");
	if (reason)
		snprintf(note + strlen(note), sizeof(note) - strlen(note), "%s", reason);
	d.type = it->type;
	d.id = it->id;
	d.field = it->has_field ? it->field : NULL;
	d.rule = "resolution";
	ruhu_cval_from_sqlite(&d.base, it->base);
	ruhu_cval_from_sqlite(&d.hub, it->hubv);
	ruhu_cval_from_sqlite(&d.device, it->devv);
	if (value) {
		d.result.type = SQLITE_TEXT;
		d.result.p = (const unsigned char *)value;
		d.result.n = strlen(value);
	} else {
		d.result = take == RUHU_TAKE_DEVICE ? d.device : take == RUHU_TAKE_BASE ? d.base : d.hub;
	}
	d.review = -1;
	d.note = note;
	res.decisions = &d;
	res.ndecisions = 1;
	return ruhu_merge_decisions_text(out, &res);
}

struct resolved_item {
	sqlite3 *db;
	int64_t rid;
};

/* The review item names the commit that resolved it, in that commit's
 * transaction (core/edit.h, before_commit). */
static int set_resolution_commit(const ruhu_save_info *info, void *payload)
{
	struct resolved_item *ri = payload;
	sqlite3_stmt *st = NULL;
	git_oid id;
	int rc;

	if (git_oid_fromstr(&id, info->id) < 0)
		return ruhu_error_set(RUHU_ERROR, "the resolution commit has no id");
	if ((rc = sqlite3_prepare_v2(ri->db, "UPDATE _review SET resolution_commit = ?2 WHERE rid = ?1",
				     -1, &st, NULL)) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, ri->rid);
		sqlite3_bind_blob(st, 2, id.id, GIT_OID_RAWSZ, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(ri->db);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : ruhu_sql_error(ri->db, rc, "record the resolution commit");
}

int ruhu_review_resolve(ruhu_save_info *out, ruhu_replica *hub, int64_t rid, ruhu_take take,
			const char *value, const char *reason)
{
	sqlite3 *db = ruhu_replica_db(hub);
	struct item it;
	ruhu_edit *e = NULL;
	ruhu_buf dec = RUHU_BUF_INIT, ridtext = RUHU_BUF_INIT, subject = RUHU_BUF_INIT, who = RUHU_BUF_INIT;
	ruhu_tree_entry entry;
	ruhu_trailer tr;
	ruhu_save_info info;
	struct resolved_item rc_item;
	git_repository *repo;
	int error;

	memset(&info, 0, sizeof(info));
	if ((error = ruhu_hub_check(hub)) < 0 || (error = load(&it, db, rid)) < 0)
		goto done;
	if (!it.open) {
		error = ruhu_error_set(RUHU_EINVALID, "review item %lld is already resolved", (long long)rid);
		goto done;
	}
	if ((take == RUHU_TAKE_VALUE) != (value != NULL) || take < RUHU_TAKE_HUB || take > RUHU_TAKE_VALUE) {
		error = ruhu_error_set(RUHU_EINVALID, "resolve with one of take hub, take device, take base, "
				       "or a value");
		goto done;
	}
	if (take == RUHU_TAKE_VALUE && !it.has_field) {
		error = ruhu_error_set(RUHU_EINVALID, "review item %lld is about a whole %s, not a field: "
				       "take hub, device or base", (long long)rid, it.type);
		goto done;
	}
	if ((error = ruhu_edit_begin(&e, hub)) < 0)
		goto done;
	if (!strcmp(it.kind, "duplicate")) {
		if (take == RUHU_TAKE_HUB)
			error = delete_record(e, it.type, it.id);
		else if (take == RUHU_TAKE_DEVICE && it.other[0])
			error = delete_record(e, it.type, it.other);
	} else if (it.has_field) {
		if (take != RUHU_TAKE_HUB)
			error = write_field(e, &it, take == RUHU_TAKE_DEVICE ? it.devv : it.base,
					    take == RUHU_TAKE_VALUE ? value : NULL);
	} else if (take == RUHU_TAKE_DEVICE) {
		error = take_change(e, &it);
	}
	if (error < 0)
		goto done;
	if ((error = ruhu_replica_repo(&repo, hub)) < 0 ||
	    (error = resolution_line(&dec, &it, take, value, reason)) < 0 ||
	    (error = ruhu_blob_write(&entry.oid, repo, dec.ptr, dec.size)) < 0 ||
	    (error = ruhu_buf_printf(&ridtext, "%lld", (long long)rid)) < 0 ||
	    (error = ruhu_buf_printf(&subject, "resolve review %lld: %s %s%s%s", (long long)rid, it.type,
				     it.has_field ? it.field : it.kind, ", ", take_name(take))) < 0)
		goto done;
	entry.path = "decisions.txt";
	entry.mode = 0;
	tr.key = "Ruhu-Resolves";
	tr.value = ridtext.ptr;
	e->entries = &entry;
	e->nentries = 1;
	e->trailers = &tr;
	e->ntrailers = 1;
	e->allow_empty = 1;
	if (ruhu_meta_get(&who, db, "worker") < 0) {
		ruhu_error_clear();
		ruhu_buf_puts(&who, "hub");
	}
	{
		sqlite3_stmt *st = NULL;
		int rc;

		/* marked resolved inside the save's transaction; the commit id is
		 * filled in by set_resolution_commit, still inside it */
		if ((rc = sqlite3_prepare_v2(db, "UPDATE _review SET status = 'resolved', resolution = ?2, "
					     "resolved_by = ?3, resolved_ms = ?4, reason = ?5 WHERE rid = ?1",
					     -1, &st, NULL)) == SQLITE_OK) {
			char how[600];

			snprintf(how, sizeof(how), "%s%s%s", take_name(take), value ? " " : "", value ? value : "");
			sqlite3_bind_int64(st, 1, rid);
			sqlite3_bind_text(st, 2, how, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, who.ptr, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 4, ruhu_replica_now_ms(hub));
			sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
			rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_OK) {
			error = ruhu_sql_error(db, rc, "mark the review item resolved");
			goto done;
		}
	}
	rc_item.db = db;
	rc_item.rid = rid;
	e->before_commit = set_resolution_commit;
	e->before_commit_payload = &rc_item;
	if ((error = ruhu_edit_commit(e, subject.ptr, &info)) < 0)
		goto done;
	if (out)
		*out = info;
done:
	ruhu_edit_free(e);
	unload(&it);
	ruhu_buf_dispose(&dec);
	ruhu_buf_dispose(&ridtext);
	ruhu_buf_dispose(&subject);
	ruhu_buf_dispose(&who);
	return error;
}
