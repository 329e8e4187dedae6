/*
 * replica_keys.c — the keys of a replica over time: passphrase change,
 * rekey, and finishing a rekey that a crash interrupted.
 *
 * Design notes
 *  1. A passphrase change rewraps the data key (new salt, new cost) and
 *     replaces the key file atomically; no page is rewritten.
 *  2. Rekey steps, and what open does after a crash at each:
 *       a. VACUUM INTO DIR/replica.db.new under the new key; fsync it;
 *       b. write DIR/replica.key.new (new key, same wrapping key);
 *       c. close the database (checkpoint; the WAL goes away);
 *       d. rename replica.db.new over replica.db; fsync DIR;
 *       e. rename replica.key.new over replica.key; fsync DIR.
 *     replica.db.new there: d did not happen, so both .new files go.  Only
 *     replica.key.new there: d happened; if its key check value matches
 *     replica.db, e is done now; if replica.key matches instead, it is stale
 *     and goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/replica.h"

int ruhu_replica_change_passphrase(ruhu_replica *r, const char *passphrase, size_t len,
				   const ruhu_replica_options *opts)
{
	struct ruhu_keyfile kf;
	unsigned char *kek = sodium_malloc(RUHU_KEYFILE_KEY_SIZE);
	int error;

	if (kek == NULL)
		return ruhu_error_oom();
	if (passphrase == NULL || len == 0) {
		error = ruhu_error_set(RUHU_EINVALID, "the new passphrase is empty");
		goto done;
	}
	if ((error = ruhu_keyfile_init(&kf, opts ? opts->kdf_opslimit : 0,
				       opts ? opts->kdf_memlimit : 0)) < 0 ||
	    (error = ruhu_keyfile_derive(kek, &kf, passphrase, len)) < 0)
		goto done;
	ruhu_keyfile_wrap(&kf, r->key, kek);
	if ((error = ruhu_keyfile_write(r->key_path, &kf)) < 0)
		goto done;
	memcpy(r->kek, kek, RUHU_KEYFILE_KEY_SIZE);
	r->keyfile = kf;
done:
	sodium_free(kek);
	return error;
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), error = 0;

	if (fd < 0)
		return ruhu_error_errno(errno, "cannot open", path);
	if (fsync(fd) < 0)
		error = ruhu_error_errno(errno, "cannot sync", path);
	close(fd);
	return error;
}

static int vacuum_into(ruhu_replica *r, const char *path, const char *slot)
{
	ruhu_buf uri = RUHU_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc, error;

	if ((error = replica_build_uri(&uri, path, slot)) < 0)
		goto done;
	if ((rc = sqlite3_prepare_v2(r->db, "VACUUM INTO ?1", -1, &st, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 1, uri.ptr, (int)uri.size, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE)
		error = ruhu_replica_sqlite_error(r, rc, "cannot copy the replica under a new key");
done:
	sqlite3_finalize(st);
	ruhu_buf_dispose(&uri);
	return error;
}

int ruhu_replica_rekey(ruhu_replica *r)
{
	char *db_new = replica_join(r->dir, RUHU_REPLICA_DB ".new");
	char *key_new = replica_join(r->dir, RUHU_REPLICA_KEY ".new");
	char wal[4096], journal[4096], slot[RUHU_VFS_SLOT_MAX] = "";
	unsigned char *key = sodium_malloc(RUHU_KEYFILE_KEY_SIZE);
	struct ruhu_keyfile kf = r->keyfile;
	int error = 0, was_wal = 0, swapped = 0;

	if (!db_new || !key_new || !key) {
		error = ruhu_error_oom();
		goto done;
	}
	if (!sqlite3_get_autocommit(r->db)) {
		error = ruhu_error_set(RUHU_EINVALID, "cannot rekey replica %s inside a transaction", r->dir);
		goto done;
	}
	snprintf(wal, sizeof(wal), "%s-wal", r->db_path);
	snprintf(journal, sizeof(journal), "%s-journal", r->db_path);
	replica_remove_db_files(db_new);
	randombytes_buf(key, RUHU_KEYFILE_KEY_SIZE);
	if ((error = replica_query_journal_mode(r, "PRAGMA journal_mode", &was_wal)) < 0 ||
	    (error = ruhu_vfs_slot_add(slot, key)) < 0 ||
	    (error = vacuum_into(r, db_new, slot)) < 0 ||         /* a */
	    (error = fsync_path(db_new)) < 0)
		goto done;
	ruhu_keyfile_wrap(&kf, key, r->kek);
	if ((error = ruhu_keyfile_write(key_new, &kf)) < 0)      /* b */
		goto done;
	replica_close_db(r);                                             /* c */
	if (replica_exists(wal) || replica_exists(journal)) {
		error = ruhu_error_set(RUHU_EBUSY, "replica %s is in use by another process", r->dir);
		goto done;
	}
	if (rename(db_new, r->db_path) < 0) {                    /* d */
		error = ruhu_error_errno(errno, "cannot replace", r->db_path);
		goto done;
	}
	swapped = 1;
	memcpy(r->key, key, RUHU_KEYFILE_KEY_SIZE);
	r->keyfile = kf;
	if ((error = ruhu_sync_parent(r->db_path)) < 0)
		goto done;
	if (rename(key_new, r->key_path) < 0) {                  /* e */
		error = ruhu_error_errno(errno, "cannot replace", r->key_path);
		goto done;
	}
	error = ruhu_sync_parent(r->key_path);
done:
	if (!swapped) {
		replica_remove_db_files(db_new);
		if (key_new)
			unlink(key_new);
	}
	if (slot[0])
		ruhu_vfs_slot_remove(slot);
	if (r->db == NULL) {
		/* reopen whichever pair is current; keep the first error */
		int reopen = replica_open_db(r, r->db_path, SQLITE_OPEN_READWRITE);

		if (reopen == 0)
			reopen = replica_apply_settings(r, was_wal ? RUHU_JOURNAL_WAL : RUHU_JOURNAL_DELETE);
		if (error == 0)
			error = reopen;
	}
	sodium_free(key);
	free(db_new);
	free(key_new);
	return error;
}

/* Note 2: finish or undo a rekey that a crash interrupted. */
int replica_finish_rekey(ruhu_replica *r)
{
	char *db_new = replica_join(r->dir, RUHU_REPLICA_DB ".new");
	char *key_new = replica_join(r->dir, RUHU_REPLICA_KEY ".new");
	struct ruhu_keyfile kf_new, kf_old;
	unsigned char head[24];
	size_t len;
	int error = 0;

	if (!db_new || !key_new) {
		error = ruhu_error_oom();
		goto done;
	}
	if (replica_exists(db_new)) {
		unlink(db_new);
		unlink(key_new);
		goto done;
	}
	if (!replica_exists(key_new) || ruhu_keyfile_read(&kf_new, key_new) < 0 ||
	    replica_read_head(r->db_path, head, &len) < 0 || len < 24) {
		ruhu_error_clear();
		goto done;
	}
	if (sodium_memcmp(head + 8, kf_new.kcv, RUHU_VFS_KCV_SIZE) == 0) {
		if (rename(key_new, r->key_path) < 0)
			error = ruhu_error_errno(errno, "cannot finish the rekey of", r->dir);
		else
			error = ruhu_sync_parent(r->key_path);
	} else if (ruhu_keyfile_read(&kf_old, r->key_path) == 0 &&
		   sodium_memcmp(head + 8, kf_old.kcv, RUHU_VFS_KCV_SIZE) == 0) {
		unlink(key_new);
	}
done:
	free(db_new);
	free(key_new);
	return error;
}
