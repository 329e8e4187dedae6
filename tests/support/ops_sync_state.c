/*
 * ops_sync_state.c — the states the operations of ops_sync.c are compared
 * by: a tablet's and a hub's, each checking the history as it is computed.
 *
 * Design notes
 *  1. The state (rt_state_tablet, rt_state_hub) is a readable summary —
 *     heads, digest, pending saves, merges and review items — followed by
 *     the hash of every table (rt_state_tables).  Computing it checks the
 *     history as it goes and fails with a message when it does not hold:
 *     the digest kept in `_meta` is the digest of the rows; on the hub it is
 *     the Ruhu-Digest of main's head; on a tablet, undoing the pending
 *     saves (inside a savepoint that is rolled back) reaches the Ruhu-Digest
 *     of the hub main it has, and `_meta.seq` is the Ruhu-Seq of its head.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/commit.h"
#include "core/digest.h"
#include "core/meta.h"
#include "core/refs.h"
#include "core/save.h"
#include "support/harness.h"
#include "sync/sync_int.h"

static int hex_of(char out[13], const ruhu_digest *d)
{
	char hex[RUHU_DIGEST_HEX_LEN + 1];

	ruhu_digest_hex(hex, d);
	memcpy(out, hex, 12);
	out[12] = '\0';
	return 0;
}

/* The digest of the rows; checked against the one kept in _meta with `kept`. */
static int rows_digest(ruhu_digest *out, ruhu_replica *r, int check_kept)
{
	const ruhu_schema *schema;
	const char **tables = NULL;
	size_t n;
	ruhu_digest kept;
	char a[13], b[13];
	int error;

	if ((error = ruhu_replica_schema(&schema, r)) < 0 ||
	    (error = ruhu_save_tables(&tables, &n, schema)) < 0 ||
	    (error = ruhu_digest_compute(out, ruhu_replica_db(r), tables, n)) < 0 || !check_kept ||
	    (error = ruhu_digest_load(&kept, ruhu_replica_db(r))) < 0)
		goto done;
	if (!ruhu_digest_equal(out, &kept)) {
		hex_of(a, &kept);
		hex_of(b, out);
		error = ruhu_error_set(RUHU_ECORRUPT, "the digest kept in _meta (%s) is not the digest of "
				       "the rows (%s)", a, b);
	}
done:
	free(tables);
	return error;
}

/* The head of `ref` as 12 hex digits, or "-" when there is none. */
static int head_of(char out[13], git_oid *oid, ruhu_replica *r, const char *ref)
{
	char hex[GIT_OID_HEXSZ + 1];
	int error = ruhu_refs_get(oid, ruhu_replica_db(r), ref);

	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		snprintf(out, 13, "-");
		memset(oid, 0, sizeof(*oid));
		return 0;
	}
	if (error == 0) {
		git_oid_tostr(hex, sizeof(hex), oid);
		memcpy(out, hex, 12);
		out[12] = '\0';
	}
	return error;
}

/* The Ruhu-Digest of a commit. */
static int commit_digest(ruhu_digest *out, ruhu_replica *r, const git_oid *id)
{
	git_repository *repo;
	ruhu_buf v = RUHU_BUF_INIT;
	int error;

	if ((error = ruhu_replica_repo(&repo, r)) == 0 &&
	    (error = ruhu_commit_trailer(&v, repo, id, "Ruhu-Digest")) == 0)
		error = ruhu_digest_parse_hex(out, v.ptr, v.size);
	ruhu_buf_dispose(&v);
	return error;
}

static int count_of(int64_t *out, ruhu_replica *r, const char *sql)
{
	sqlite3 *db = ruhu_replica_db(r);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : ruhu_replica_sqlite_error(r, rc, sql);
}

static int abort_conflict(void *ctx, int kind, sqlite3_changeset_iter *it)
{
	(void)it;
	*(int *)ctx = kind;
	return SQLITE_CHANGESET_ABORT;
}

/*
 * The pending saves of a tablet: their number and a hash of (seq, commit,
 * changeset as applied); and, in a savepoint rolled back, their undo, whose
 * digest must be `main_digest` (design note 1).
 */
static int pending_of(int64_t *count, char hash[17], ruhu_replica *r, const ruhu_digest *main_digest)
{
	sqlite3 *db = ruhu_replica_db(r);
	sqlite3_stmt *st = NULL;
	git_repository *repo;
	crypto_generichash_state h;
	unsigned char sum[8];
	ruhu_buf own = RUHU_BUF_INIT;
	ruhu_digest d;
	char a[13], b[13];
	int rc, error = 0, began = 0;

	*count = 0;
	crypto_generichash_init(&h, NULL, 0, sizeof(sum));
	if ((error = ruhu_replica_repo(&repo, r)) < 0)
		return error;
	if ((error = ruhu_replica_savepoint(r, "rt_history")) < 0)
		return error;
	began = 1;
	if ((rc = sqlite3_prepare_v2(db, "SELECT seq, oid, changeset FROM _pending ORDER BY seq DESC", -1,
				     &st, NULL)) != SQLITE_OK) {
		error = ruhu_replica_sqlite_error(r, rc, "read the pending saves");
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		const void *cs;
		size_t n;
		int ninv = 0, conflict = 0;
		void *inv = NULL;

		(*count)++;
		crypto_generichash_update(&h, (const unsigned char *)&seq, sizeof(seq));
		crypto_generichash_update(&h, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		if ((error = ruhu_pending_changeset(&cs, &n, &own, repo, st)) < 0)
			goto done;
		if (n == 0)
			continue;
		crypto_generichash_update(&h, cs, n);
		if (sqlite3changeset_invert((int)n, cs, &ninv, &inv) != SQLITE_OK) {
			error = ruhu_error_set(RUHU_ECORRUPT, "pending save %lld does not invert", (long long)seq);
			goto done;
		}
		rc = sqlite3changeset_apply(db, ninv, inv, NULL, abort_conflict, &conflict);
		sqlite3_free(inv);
		if (rc != SQLITE_OK || conflict) {
			error = ruhu_error_set(RUHU_ECORRUPT, "pending save %lld does not undo on the rows "
					       "(conflict %d, rc %d)", (long long)seq, conflict, rc);
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		error = ruhu_replica_sqlite_error(r, rc, "read the pending saves");
		goto done;
	}
	if ((error = rows_digest(&d, r, 0)) < 0)
		goto done;
	if (main_digest && !ruhu_digest_equal(&d, main_digest)) {
		hex_of(a, &d);
		hex_of(b, main_digest);
		error = ruhu_error_set(RUHU_ECORRUPT, "undoing the %lld pending saves gives digest %s, "
				       "not the %s of the hub's main", (long long)*count, a, b);
	}
done:
	sqlite3_finalize(st);
	ruhu_buf_dispose(&own);
	if (began)
		ruhu_replica_rollback_to(r, "rt_history");   /* and releases it */
	crypto_generichash_final(&h, sum, sizeof(sum));
	for (int i = 0; i < 8; i++)
		snprintf(hash + 2 * i, 3, "%02x", sum[i]);
	return error;
}

int rt_state_tablet(ruhu_replica *r, ruhu_buf *out)
{
	ruhu_buf tables = RUHU_BUF_INIT, v = RUHU_BUF_INIT;
	ruhu_digest rows, main_digest;
	git_oid head, main;
	git_repository *repo;
	char d[13], hh[13], hm[13], ph[17];
	int64_t pending, seq = 0;
	int error;

	if ((error = rows_digest(&rows, r, 1)) < 0 ||
	    (error = head_of(hh, &head, r, "refs/heads/device")) < 0 ||
	    (error = head_of(hm, &main, r, "refs/remotes/hub/main")) < 0 ||
	    (error = commit_digest(&main_digest, r, &main)) < 0 ||
	    (error = pending_of(&pending, ph, r, &main_digest)) < 0 ||
	    (error = ruhu_meta_int_or(&seq, ruhu_replica_db(r), "seq", 0)) < 0 ||
	    (error = ruhu_replica_repo(&repo, r)) < 0 ||
	    (error = ruhu_commit_trailer(&v, repo, &head, "Ruhu-Seq")) < 0)
		goto done;
	if (strtoll(v.ptr, NULL, 10) != seq) {
		error = ruhu_error_set(RUHU_ECORRUPT, "_meta.seq is %lld, the head's Ruhu-Seq %s",
				       (long long)seq, v.ptr);
		goto done;
	}
	if ((error = rt_state_tables(r, &tables)) < 0)
		goto done;
	hex_of(d, &rows);
	ruhu_buf_clear(out);
	error = ruhu_buf_printf(out, "tablet: digest %s, device %s, hub/main %s, seq %lld, %lld pending %s; %s",
				d, hh, hm, (long long)seq, (long long)pending, ph, tables.ptr);
done:
	ruhu_buf_dispose(&tables);
	ruhu_buf_dispose(&v);
	return error;
}

int rt_state_hub(ruhu_replica *r, ruhu_buf *out)
{
	ruhu_buf tables = RUHU_BUF_INIT;
	ruhu_digest rows, main_digest;
	git_oid main, dev;
	char d[13], hm[13], h1[13], h2[13], a[13];
	int64_t merged, review, inbox;
	int error;

	if ((error = rows_digest(&rows, r, 1)) < 0 ||
	    (error = head_of(hm, &main, r, "refs/heads/main")) < 0 ||
	    (error = head_of(h1, &dev, r, "refs/devices/tab-01")) < 0 ||
	    (error = head_of(h2, &dev, r, "refs/devices/tab-02")) < 0 ||
	    (error = commit_digest(&main_digest, r, &main)) < 0 ||
	    (error = count_of(&merged, r, "SELECT count(*) FROM _merged")) < 0 ||
	    (error = count_of(&review, r, "SELECT count(*) FROM _review")) < 0 ||
	    (error = count_of(&inbox, r, "SELECT count(*) FROM _inbox")) < 0)
		goto done;
	hex_of(d, &rows);
	if (!ruhu_digest_equal(&rows, &main_digest)) {
		hex_of(a, &main_digest);
		error = ruhu_error_set(RUHU_ECORRUPT, "the hub's digest %s is not the Ruhu-Digest %s of "
				       "main %s", d, a, hm);
		goto done;
	}
	if ((error = rt_state_tables(r, &tables)) < 0)
		goto done;
	ruhu_buf_clear(out);
	error = ruhu_buf_printf(out, "hub: digest %s, main %s, tab-01 %s, tab-02 %s, %lld merged, "
				"%lld review items, %lld waiting; %s", d, hm, h1, h2, (long long)merged,
				(long long)review, (long long)inbox, tables.ptr);
done:
	ruhu_buf_dispose(&tables);
	return error;
}
