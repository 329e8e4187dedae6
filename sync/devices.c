/*
 * devices.c — the hub's register of tablets and its bookkeeping tables
 * (see hub.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/edit.h"
#include "core/identity.h"
#include "core/meta.h"
#include "ruhu/sync.h"
#include "sync/hub.h"

static const char hub_ddl[] =
	"CREATE TABLE IF NOT EXISTS _devices("
	" id TEXT PRIMARY KEY NOT NULL, sign_key BLOB NOT NULL, box_key BLOB NOT NULL,"
	" worker TEXT, worker_name TEXT, enrolled_ms INTEGER NOT NULL,"
	" revoked_ms INTEGER, reason TEXT, last_seq INTEGER NOT NULL DEFAULT 0,"
	" last_bundle_ms INTEGER, known_main BLOB, tip BLOB) STRICT;"
	"CREATE TABLE IF NOT EXISTS _merged("
	" device_commit BLOB PRIMARY KEY NOT NULL, merge_commit BLOB NOT NULL,"
	" device TEXT NOT NULL, seq INTEGER NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS _inbox("
	" n INTEGER PRIMARY KEY, device TEXT NOT NULL, received_ms INTEGER NOT NULL,"
	" envelope BLOB NOT NULL, waiting_for TEXT) STRICT;"
	"CREATE TABLE IF NOT EXISTS _review("
	" rid INTEGER PRIMARY KEY, kind TEXT NOT NULL, type TEXT NOT NULL,"
	" record_id TEXT NOT NULL, field TEXT, base ANY, hub ANY, device ANY,"
	" base_set INTEGER NOT NULL, change BLOB, other_id TEXT, note TEXT,"
	" device_id TEXT NOT NULL, worker TEXT, device_commit BLOB, merge_commit BLOB,"
	" opened_ms INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'open',"
	" resolution TEXT, resolution_commit BLOB, resolved_by TEXT, resolved_ms INTEGER,"
	" reason TEXT) STRICT;"
	"CREATE INDEX IF NOT EXISTS _review_open ON _review(status, rid);";

int ruhu_hub_tables(sqlite3 *db)
{
	int rc = sqlite3_exec(db, hub_ddl, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : ruhu_sql_error(db, rc, "make the hub's tables");
}

static void copy_text(char *out, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, size, "%s", t ? (const char *)t : "");
}

static int copy_oid(git_oid *out, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_bytes(st, col) != GIT_OID_RAWSZ)
		return 0;
	git_oid_fromraw(out, sqlite3_column_blob(st, col));
	return 1;
}

static int row(ruhu_device_rec *d, sqlite3_stmt *st)
{
	memset(d, 0, sizeof(*d));
	if (sqlite3_column_bytes(st, 1) != 32 || sqlite3_column_bytes(st, 2) != 32)
		return ruhu_error_set(RUHU_ECORRUPT, "the keys of device %s are damaged",
				      (const char *)sqlite3_column_text(st, 0));
	copy_text(d->id, sizeof(d->id), st, 0);
	memcpy(d->sign_key, sqlite3_column_blob(st, 1), 32);
	memcpy(d->box_key, sqlite3_column_blob(st, 2), 32);
	copy_text(d->worker, sizeof(d->worker), st, 3);
	copy_text(d->worker_name, sizeof(d->worker_name), st, 4);
	d->enrolled_ms = sqlite3_column_int64(st, 5);
	d->revoked_ms = sqlite3_column_int64(st, 6);
	copy_text(d->reason, sizeof(d->reason), st, 7);
	d->last_seq = sqlite3_column_int64(st, 8);
	d->last_bundle_ms = sqlite3_column_int64(st, 9);
	d->has_known_main = copy_oid(&d->known_main, st, 10);
	d->has_tip = copy_oid(&d->tip, st, 11);
	return 0;
}

#define COLUMNS "id, sign_key, box_key, worker, worker_name, enrolled_ms, revoked_ms, reason," \
		" last_seq, last_bundle_ms, known_main, tip"

int ruhu_device_lookup(ruhu_device_rec *out, sqlite3 *db, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc, error;

	if ((rc = sqlite3_prepare_v2(db, "SELECT " COLUMNS " FROM _devices WHERE id = ?1", -1, &st,
				     NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "read the device register");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		error = row(out, st);
	else if (rc == SQLITE_DONE)
		error = ruhu_error_set(RUHU_ENOTFOUND, "unknown device %s", id);
	else
		error = ruhu_sql_error(db, rc, "read the device register");
	sqlite3_finalize(st);
	return error;
}

int ruhu_device_foreach(sqlite3 *db, int (*cb)(const ruhu_device_rec *d, void *payload),
			void *payload)
{
	sqlite3_stmt *st = NULL;
	ruhu_device_rec d;
	int rc, error = 0;

	if ((rc = sqlite3_prepare_v2(db, "SELECT " COLUMNS " FROM _devices ORDER BY id", -1, &st,
				     NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "read the device register");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((error = row(&d, st)) != 0 || (error = cb(&d, payload)) != 0)
			break;
	if (error == 0 && rc != SQLITE_DONE)
		error = ruhu_sql_error(db, rc, "read the device register");
	sqlite3_finalize(st);
	return error;
}

static int role_is(ruhu_replica *r, const char *want)
{
	ruhu_buf role = RUHU_BUF_INIT;
	int error = ruhu_meta_get(&role, ruhu_replica_db(r), "role");

	if (error == 0 && strcmp(role.ptr, want) != 0)
		error = 1;
	else if (error == RUHU_ENOTFOUND)
		error = 1;
	ruhu_buf_dispose(&role);
	return error;
}

int ruhu_hub_check(ruhu_replica *r)
{
	int error = role_is(r, "hub");

	if (error > 0)
		return ruhu_error_set(RUHU_EINVALID, "%s is not a hub (make one with 'ruhu hub init')",
				      ruhu_replica_dir(r));
	return error;
}

int ruhu_device_check(ruhu_replica *r, int need_joined)
{
	ruhu_buf hub = RUHU_BUF_INIT;
	int error = role_is(r, "device");

	if (error > 0)
		return ruhu_error_set(RUHU_EINVALID, "%s is not a tablet's replica (make one with "
				      "'ruhu device init')", ruhu_replica_dir(r));
	if (error == 0 && need_joined &&
	    (error = ruhu_meta_get(&hub, ruhu_replica_db(r), "hub")) == RUHU_ENOTFOUND)
		error = ruhu_error_set(RUHU_EINVALID, "%s has not joined a hub yet (run 'ruhu join FILE' "
				       "with the hub's enrolment reply)", ruhu_replica_dir(r));
	ruhu_buf_dispose(&hub);
	return error;
}

int ruhu_device_set_known_main(sqlite3 *db, const char *id, const git_oid *main)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "UPDATE _devices SET known_main = ?2 WHERE id = ?1", -1, &st,
				     NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "update the device register");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (main)
		sqlite3_bind_blob(st, 2, main->id, GIT_OID_RAWSZ, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ruhu_sql_error(db, rc, "update the device register");
}

int ruhu_hub_revoke(ruhu_replica *hub, const char *device, const char *reason)
{
	sqlite3 *db = ruhu_replica_db(hub);
	ruhu_device_rec d;
	ruhu_edit *e = NULL;
	sqlite3_stmt *st = NULL;
	char subject[320];
	int64_t now = ruhu_replica_now_ms(hub);
	int error, rc;

	if ((error = ruhu_hub_check(hub)) < 0 || (error = ruhu_device_lookup(&d, db, device)) < 0)
		return error;
	if (reason == NULL || reason[0] == '\0')
		return ruhu_error_set(RUHU_EINVALID, "a revocation needs a reason (--reason)");
	if (d.revoked_ms)
		return ruhu_error_set(RUHU_EEXISTS, "device %s is already revoked (%s)", device, d.reason);
	/* the revocation is an event of the history: an empty commit on main
	 * made in the same transaction as the register's change */
	snprintf(subject, sizeof(subject), "revoke %s: %s", device, reason);
	if ((error = ruhu_edit_begin(&e, hub)) < 0)
		goto done;
	if ((rc = sqlite3_prepare_v2(db, "UPDATE _devices SET revoked_ms = ?2, reason = ?3 WHERE id = ?1",
				     -1, &st, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "revoke the device");
		goto done;
	}
	sqlite3_bind_text(st, 1, device, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		error = ruhu_sql_error(db, rc, "revoke the device");
		goto done;
	}
	if ((error = ruhu_signers_revoke(db, device, now, reason)) < 0)
		goto done;
	{
		ruhu_trailer tr = { "Ruhu-Revoke", device };

		e->trailers = &tr;
		e->ntrailers = 1;
		e->allow_empty = 1;
		error = ruhu_edit_commit(e, subject, NULL);
	}
done:
	sqlite3_finalize(st);
	ruhu_edit_free(e);
	return error;
}

struct list_ctx {
	sqlite3 *db;
	int (*cb)(const ruhu_device_info *d, void *payload);
	void *payload;
};

static int list_one(const ruhu_device_rec *d, void *payload)
{
	struct list_ctx *l = payload;
	ruhu_device_info info;
	sqlite3_stmt *st = NULL;

	memset(&info, 0, sizeof(info));
	info.id = d->id;
	info.worker = d->worker;
	info.worker_name = d->worker_name;
	info.enrolled_ms = d->enrolled_ms;
	info.revoked_ms = d->revoked_ms;
	info.reason = d->reason;
	info.last_seq = d->last_seq;
	info.last_bundle_ms = d->last_bundle_ms;
	if (sqlite3_prepare_v2(l->db, "SELECT count(*) FROM _inbox WHERE device = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			info.waiting = (size_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return l->cb(&info, l->payload);
}

int ruhu_hub_devices(ruhu_replica *hub, int (*cb)(const ruhu_device_info *d, void *payload),
		     void *payload)
{
	struct list_ctx l = { ruhu_replica_db(hub), cb, payload };
	int error;

	if ((error = ruhu_hub_check(hub)) < 0)
		return error;
	return ruhu_device_foreach(l.db, list_one, &l);
}
