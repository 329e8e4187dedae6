/*
 * identity.c — a replica's id and keys, and the signers it knows
 * (see identity.h for the design notes).
 */
#include <string.h>

#include "core/identity.h"
#include "core/meta.h"

static const char keys_ddl[] =
	"CREATE TABLE IF NOT EXISTS _keys("
	" name TEXT PRIMARY KEY NOT NULL, secret BLOB NOT NULL, public BLOB NOT NULL) STRICT;"
	"CREATE TABLE IF NOT EXISTS _signers("
	" id TEXT NOT NULL, key BLOB NOT NULL, role TEXT NOT NULL, added_ms INTEGER NOT NULL,"
	" revoked_ms INTEGER, reason TEXT, PRIMARY KEY(id, key)) STRICT;";

int ruhu_identity_check_id(const char *id, const char *what)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > RUHU_ID_MAX)
		return ruhu_error_set(RUHU_EINVALID, "%s must be 1 to %d characters", what, RUHU_ID_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return ruhu_error_set(RUHU_EINVALID, "%s '%s' may hold only letters, digits, '.', "
					      "'_' and '-', and must start with a letter or digit", what, id);
	}
	if (strstr(id, "..") || id[n - 1] == '.')
		return ruhu_error_set(RUHU_EINVALID, "%s '%s' may not contain '..' or end with '.'", what, id);
	return 0;
}

static int put_key(sqlite3 *db, const char *name, const unsigned char *secret,
		   const unsigned char *pub)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "INSERT INTO _keys(name, secret, public) VALUES(?1, ?2, ?3)",
				     -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "store the replica's keys");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, secret, RUHU_KEY_STOREBYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, pub, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ruhu_sql_error(db, rc, "store the replica's keys");
	return 0;
}

int ruhu_identity_setup(ruhu_replica *r, const char *self_id, const char *centre)
{
	sqlite3 *db = ruhu_replica_db(r);
	ruhu_signkey *sk = NULL;
	ruhu_boxkey *bk = NULL;
	unsigned char stored[RUHU_KEY_STOREBYTES];
	ruhu_buf existing = RUHU_BUF_INIT;
	int error;

	if ((error = ruhu_identity_check_id(self_id, "replica id")) < 0 ||
	    (error = ruhu_identity_check_id(centre, "centre code")) < 0)
		goto done;
	if ((error = ruhu_meta_get(&existing, db, "self")) == 0) {
		error = ruhu_error_set(RUHU_EEXISTS, "replica %s already belongs to %s",
				       ruhu_replica_dir(r), existing.ptr);
		goto done;
	}
	ruhu_error_clear();
	if ((error = sqlite3_exec(db, keys_ddl, NULL, NULL, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, error, "make the key tables");
		goto done;
	}
	if ((error = ruhu_signkey_generate(&sk)) < 0 ||
	    (error = ruhu_boxkey_generate(&bk)) < 0 ||
	    (error = ruhu_signkey_save(stored, sk)) < 0 ||
	    (error = put_key(db, "sign", stored, ruhu_signkey_public(sk))) < 0 ||
	    (error = ruhu_boxkey_save(stored, bk)) < 0 ||
	    (error = put_key(db, "box", stored, ruhu_boxkey_public(bk))) < 0 ||
	    (error = ruhu_meta_set(db, "self", self_id)) < 0 ||
	    (error = ruhu_meta_set(db, "centre", centre)) < 0 ||
	    (error = ruhu_signers_add(db, self_id, ruhu_signkey_public(sk), "self",
				      ruhu_replica_now_ms(r))) < 0)
		goto done;
done:
	ruhu_memzero(stored, sizeof(stored));
	ruhu_signkey_free(sk);
	ruhu_boxkey_free(bk);
	ruhu_buf_dispose(&existing);
	return error;
}

int ruhu_identity_self(ruhu_buf *out, ruhu_replica *r)
{
	int error = ruhu_meta_get(out, ruhu_replica_db(r), "self");

	if (error == RUHU_ENOTFOUND)
		error = ruhu_error_set(RUHU_ENOTFOUND, "replica %s has no identity (make it with "
				       "'ruhu device init' or 'ruhu hub init')", ruhu_replica_dir(r));
	return error;
}

int ruhu_identity_centre(ruhu_buf *out, ruhu_replica *r)
{
	int error = ruhu_meta_get(out, ruhu_replica_db(r), "centre");

	if (error == RUHU_ENOTFOUND)
		error = ruhu_error_set(RUHU_ENOTFOUND, "replica %s belongs to no centre", ruhu_replica_dir(r));
	return error;
}

static int get_key(ruhu_replica *r, const char *name, const void **secret, int *secret_len,
		   const void **pub, sqlite3_stmt **st)
{
	sqlite3 *db = ruhu_replica_db(r);
	int rc;

	*st = NULL;
	if ((rc = sqlite3_prepare_v2(db, "SELECT secret, public FROM _keys WHERE name = ?1", -1, st,
				     NULL)) != SQLITE_OK) {
		if (rc == SQLITE_ERROR)
			return ruhu_error_set(RUHU_ENOTFOUND, "replica %s has no keys", ruhu_replica_dir(r));
		return ruhu_sql_error(db, rc, "read the replica's keys");
	}
	sqlite3_bind_text(*st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(*st)) != SQLITE_ROW) {
		int error = rc == SQLITE_DONE
			? ruhu_error_set(RUHU_ENOTFOUND, "replica %s has no %s key", ruhu_replica_dir(r), name)
			: ruhu_sql_error(db, rc, "read the replica's keys");

		sqlite3_finalize(*st);
		*st = NULL;
		return error;
	}
	*secret = sqlite3_column_blob(*st, 0);
	*secret_len = sqlite3_column_bytes(*st, 0);
	*pub = sqlite3_column_blob(*st, 1);
	if (sqlite3_column_bytes(*st, 1) != 32) {
		sqlite3_finalize(*st);
		*st = NULL;
		return ruhu_error_set(RUHU_ECORRUPT, "replica %s has a damaged %s key", ruhu_replica_dir(r), name);
	}
	return 0;
}

int ruhu_identity_signkey(ruhu_signkey **out, ruhu_replica *r)
{
	sqlite3_stmt *st;
	const void *secret, *pub;
	int len, error;

	*out = NULL;
	if ((error = get_key(r, "sign", &secret, &len, &pub, &st)) < 0)
		return error;
	error = ruhu_signkey_load(out, secret, (size_t)len);
	sqlite3_finalize(st);
	return error;
}

int ruhu_identity_boxkey(ruhu_boxkey **out, ruhu_replica *r)
{
	sqlite3_stmt *st;
	const void *secret, *pub;
	int len, error;

	*out = NULL;
	if ((error = get_key(r, "box", &secret, &len, &pub, &st)) < 0)
		return error;
	error = ruhu_boxkey_load(out, secret, (size_t)len);
	sqlite3_finalize(st);
	return error;
}

int ruhu_identity_public(unsigned char sign_pk[32], unsigned char box_pk[32], ruhu_replica *r)
{
	sqlite3_stmt *st;
	const void *secret, *pub;
	int len, error;

	if (sign_pk) {
		if ((error = get_key(r, "sign", &secret, &len, &pub, &st)) < 0)
			return error;
		memcpy(sign_pk, pub, 32);
		sqlite3_finalize(st);
	}
	if (box_pk) {
		if ((error = get_key(r, "box", &secret, &len, &pub, &st)) < 0)
			return error;
		memcpy(box_pk, pub, 32);
		sqlite3_finalize(st);
	}
	return 0;
}

/* ---- signers ---- */

int ruhu_signers_add(sqlite3 *db, const char *id, const unsigned char key[32],
		     const char *role, int64_t added_ms)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_exec(db, keys_ddl, NULL, NULL, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "make the key tables");
	if ((rc = sqlite3_prepare_v2(db, "INSERT INTO _signers(id, key, role, added_ms) "
				     "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(id, key) DO NOTHING",
				     -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "record a signer");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, key, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, added_ms);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		rc = ruhu_sql_error(db, rc, "record a signer");
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

int ruhu_signers_revoke(sqlite3 *db, const char *id, int64_t at_ms, const char *reason)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, "UPDATE _signers SET revoked_ms = ?2, reason = ?3 "
				     "WHERE id = ?1 AND revoked_ms IS NULL", -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "revoke a signer");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, at_ms);
	sqlite3_bind_text(st, 3, reason, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return ruhu_sql_error(db, rc, "revoke a signer");
	if (sqlite3_changes(db) == 0)
		return ruhu_error_set(RUHU_ENOTFOUND, "no signing key of '%s' to revoke", id);
	return 0;
}

int ruhu_signers_foreach(sqlite3 *db, const char *id, ruhu_signer_cb cb, void *payload)
{
	sqlite3_stmt *st = NULL;
	int rc, error = 0;

	if ((rc = sqlite3_exec(db, keys_ddl, NULL, NULL, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "make the key tables");
	if ((rc = sqlite3_prepare_v2(db, "SELECT id, key, role, added_ms, revoked_ms, reason "
				     "FROM _signers WHERE ?1 IS NULL OR id = ?1 ORDER BY id, added_ms",
				     -1, &st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "read the signers");
	if (id)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ruhu_signer s;

		if (sqlite3_column_bytes(st, 1) != 32) {
			error = ruhu_error_set(RUHU_ECORRUPT, "the signing key of '%s' is damaged",
					       (const char *)sqlite3_column_text(st, 0));
			break;
		}
		s.id = (const char *)sqlite3_column_text(st, 0);
		memcpy(s.key, sqlite3_column_blob(st, 1), 32);
		s.role = (const char *)sqlite3_column_text(st, 2);
		s.added_ms = sqlite3_column_int64(st, 3);
		s.revoked_ms = sqlite3_column_type(st, 4) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 4);
		s.reason = (const char *)sqlite3_column_text(st, 5);
		if ((error = cb(&s, payload)) != 0)
			break;
	}
	if (error == 0 && rc != SQLITE_DONE)
		error = ruhu_sql_error(db, rc, "read the signers");
	sqlite3_finalize(st);
	return error;
}
