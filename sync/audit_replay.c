/*
 * audit_replay.c — the history replayed into a scratch database and the
 * result compared with the replica, row by row (`audit verify`, DESIGN
 * decision 9).
 *
 * Design notes
 *  1. The scratch database is an in-memory SQLite connection with the
 *     validators registered and the replica's schema installed: the same
 *     tables, CHECK constraints and key order as the replica, and nothing
 *     else (no clocks, no review queue).  The whole replay is one
 *     transaction.
 *  2. Each changeset is checked by the strict parser, then applied with
 *     sqlite3changeset_apply and a conflict handler that records the first
 *     conflict and aborts: the history must fit exactly, as a device pulling
 *     main requires (sync/pull.c).  Then the digest follows it
 *     (ruhu_digest_apply_changeset).
 *  3. A conflict names the table, the record, the field where a value
 *     differs, the value the history expects and the value the replay holds,
 *     each as changes.txt writes values.
 *  4. The comparison walks every record table of both databases in key
 *     order (`ORDER BY` the primary key, binary collation on both sides)
 *     and stops at the first difference: a row missing from the replica, a
 *     row the history never wrote, or a field whose value differs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "core/digest.h"
#include "core/meta.h"
#include "schema/schema_db.h"
#include "sync/audit_replay.h"

struct audit_replay {
	sqlite3 *db;
	const ruhu_schema *schema;
	ruhu_digest digest;
	int in_tx;
};

struct conflict_ctx {
	struct audit_diff *diff;
	int seen;
};

void audit_diff_clear(struct audit_diff *d)
{
	free(d->expected);
	free(d->found);
	memset(d, 0, sizeof(*d));
}

static char *value_text(sqlite3_value *v)
{
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_cval c;

	if (v == NULL)
		return NULL;
	ruhu_cval_from_sqlite(&c, v);
	if (ruhu_cval_text(&b, &c) < 0) {
		ruhu_buf_dispose(&b);
		return NULL;
	}
	return ruhu_buf_detach(&b);
}

static char *cval_text(const ruhu_cval *c)
{
	ruhu_buf b = RUHU_BUF_INIT;

	if (ruhu_cval_text(&b, c) < 0) {
		ruhu_buf_dispose(&b);
		return NULL;
	}
	return ruhu_buf_detach(&b);
}

/* The record's key as text (the first key column; ruhu's tables have one). */
static void key_text(char *out, size_t size, sqlite3_changeset_iter *it, int op, int ncol,
		     const unsigned char *pk)
{
	out[0] = '\0';
	for (int i = 0; i < ncol; i++) {
		sqlite3_value *v = NULL;

		if (!pk[i])
			continue;
		if (op == SQLITE_INSERT)
			sqlite3changeset_new(it, i, &v);
		else
			sqlite3changeset_old(it, i, &v);
		if (v && sqlite3_value_type(v) == SQLITE_TEXT)
			snprintf(out, size, "%s", (const char *)sqlite3_value_text(v));
		else if (v)
			snprintf(out, size, "%lld", (long long)sqlite3_value_int64(v));
		return;
	}
}

static int on_conflict(void *payload, int type, sqlite3_changeset_iter *it)
{
	struct conflict_ctx *cx = payload;
	struct audit_diff *d = cx->diff;
	const char *table;
	const unsigned char *pk;
	int ncol, op, pkn;

	if (cx->seen++)
		return SQLITE_CHANGESET_ABORT;
	sqlite3changeset_op(it, &table, &ncol, &op, NULL);
	sqlite3changeset_pk(it, (unsigned char **)&pk, &pkn);
	snprintf(d->type, sizeof(d->type), "%s", table);
	key_text(d->id, sizeof(d->id), it, op, ncol, pk);
	switch (type) {
	case SQLITE_CHANGESET_DATA:
		d->what = "holds other values than the history expects before the change";
		for (int i = 0; i < ncol; i++) {
			sqlite3_value *want = NULL, *have = NULL;

			if (sqlite3changeset_old(it, i, &want) != SQLITE_OK || want == NULL ||
			    sqlite3changeset_conflict(it, i, &have) != SQLITE_OK || have == NULL)
				continue;
			if (sqlite3_value_type(want) != sqlite3_value_type(have) ||
			    sqlite3_value_bytes(want) != sqlite3_value_bytes(have) ||
			    (sqlite3_value_type(want) == SQLITE_INTEGER &&
			     sqlite3_value_int64(want) != sqlite3_value_int64(have)) ||
			    (sqlite3_value_type(want) == SQLITE_FLOAT &&
			     sqlite3_value_double(want) != sqlite3_value_double(have)) ||
			    ((sqlite3_value_type(want) == SQLITE_TEXT || sqlite3_value_type(want) == SQLITE_BLOB) &&
			     memcmp(sqlite3_value_blob(want), sqlite3_value_blob(have),
				    (size_t)sqlite3_value_bytes(want)))) {
				/* the name comes from the caller, which knows the schema */
				d->column = i;
				d->expected = value_text(want);
				d->found = value_text(have);
				break;
			}
		}
		break;
	case SQLITE_CHANGESET_NOTFOUND:
		d->what = op == SQLITE_DELETE ? "is deleted by the history but the replay does not have it" :
						"is changed by the history but the replay does not have it";
		break;
	case SQLITE_CHANGESET_CONFLICT:
		d->what = "is inserted by the history but the replay already has it";
		break;
	case SQLITE_CHANGESET_CONSTRAINT:
		d->what = "breaks a constraint of its table when the history is replayed";
		break;
	default:
		d->what = "cannot be applied";
		break;
	}
	return SQLITE_CHANGESET_ABORT;
}

int audit_replay_open(struct audit_replay **out, const ruhu_schema *schema)
{
	struct audit_replay *rp = calloc(1, sizeof(*rp));
	int error = 0, rc;

	*out = NULL;
	if (rp == NULL)
		return ruhu_error_oom();
	rp->schema = schema;
	if ((rc = sqlite3_open_v2(":memory:", &rp->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) != SQLITE_OK) {
		error = ruhu_error_set(rc == SQLITE_NOMEM ? RUHU_ENOMEM : RUHU_ERROR,
				       "cannot open a scratch database for the replay");
		goto done;
	}
	if ((error = ruhu_schema_install(rp->db, schema)) < 0)
		goto done;
	if ((rc = sqlite3_exec(rp->db, "PRAGMA cache_size = -262144; BEGIN", NULL, NULL, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(rp->db, rc, "start the replay");
		goto done;
	}
	rp->in_tx = 1;
	*out = rp;
	rp = NULL;
done:
	audit_replay_close(rp);
	return error;
}

void audit_replay_close(struct audit_replay *rp)
{
	if (rp == NULL)
		return;
	if (rp->in_tx)
		sqlite3_exec(rp->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(rp->db);
	free(rp);
}

/* The name of column `col` of `table` in the schema, or "" */
static const char *column_name(const ruhu_schema *s, const char *table, int col)
{
	const ruhu_type *t = ruhu_schema_type_byname(s, table);

	if (t == NULL || col < 0 || (size_t)col >= ruhu_type_field_count(t))
		return "";
	return ruhu_field_name(ruhu_type_field(t, (size_t)col));
}

int audit_replay_apply(struct audit_replay *rp, const void *cs, size_t len, struct audit_diff *diff)
{
	struct conflict_ctx cx = { diff, 0 };
	int rc, error;

	audit_diff_clear(diff);
	diff->column = -1;
	if (len == 0)
		return 0;
	if ((error = ruhu_changeset_check(cs, len)) < 0) {
		snprintf(diff->message, sizeof(diff->message), "its changeset is malformed: %s", ruhu_error_last());
		return RUHU_ECONFLICT;
	}
	rc = sqlite3changeset_apply(rp->db, (int)len, (void *)cs, NULL, on_conflict, &cx);
	if (cx.seen) {
		snprintf(diff->field, sizeof(diff->field), "%s", column_name(rp->schema, diff->type, diff->column));
		snprintf(diff->message, sizeof(diff->message), "%s %s %s%s%s", diff->type, diff->id, diff->what,
			 diff->field[0] ? ": field " : "", diff->field);
		return RUHU_ECONFLICT;
	}
	if (rc != SQLITE_OK) {
		snprintf(diff->message, sizeof(diff->message), "its changeset cannot be applied: %s",
			 sqlite3_errmsg(rp->db));
		return RUHU_ECONFLICT;
	}
	if ((error = ruhu_digest_apply_changeset(&rp->digest, rp->db, cs, len)) < 0) {
		snprintf(diff->message, sizeof(diff->message), "its changeset does not fold into the digest: %s",
			 ruhu_error_last());
		return RUHU_ECONFLICT;
	}
	return 0;
}

void audit_replay_digest(ruhu_digest *out, const struct audit_replay *rp)
{
	*out = rp->digest;
}

/* Binary order of two keys (memcmp, then length), as SQLite's BINARY. */
static int key_cmp(const ruhu_cval *a, const ruhu_cval *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int r;

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->type == SQLITE_INTEGER)
		return a->i < b->i ? -1 : a->i > b->i;
	r = n ? memcmp(a->p, b->p, n) : 0;
	return r ? r : a->n < b->n ? -1 : a->n > b->n;
}

static void set_key(struct audit_diff *d, const ruhu_cval *k)
{
	if (k->type == SQLITE_TEXT)
		snprintf(d->id, sizeof(d->id), "%.*s", (int)k->n, (const char *)k->p);
	else
		snprintf(d->id, sizeof(d->id), "%lld", (long long)k->i);
}

static int compare_table(struct audit_replay *rp, sqlite3 *replica, const ruhu_type *t, size_t *rows,
			 struct audit_diff *diff)
{
	ruhu_buf sql = RUHU_BUF_INIT;
	sqlite3_stmt *a = NULL, *b = NULL;
	size_t ncol = ruhu_type_field_count(t), pk = ruhu_field_index(ruhu_type_pk(t));
	int ra, rb, error = 0;

	if ((error = ruhu_buf_printf(&sql, "SELECT * FROM \"%s\" ORDER BY \"%s\"", ruhu_type_name(t),
				     ruhu_field_name(ruhu_type_pk(t)))) < 0)
		goto done;
	if ((ra = sqlite3_prepare_v2(rp->db, sql.ptr, -1, &a, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(rp->db, ra, "read the replayed rows");
		goto done;
	}
	if ((rb = sqlite3_prepare_v2(replica, sql.ptr, -1, &b, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(replica, rb, "read the replica's rows");
		goto done;
	}
	ra = sqlite3_step(a);
	rb = sqlite3_step(b);
	while (ra == SQLITE_ROW || rb == SQLITE_ROW) {
		ruhu_cval ka, kb;
		int c;

		if (ra == SQLITE_ROW)
			ruhu_cval_from_column(&ka, a, (int)pk);
		if (rb == SQLITE_ROW)
			ruhu_cval_from_column(&kb, b, (int)pk);
		c = ra != SQLITE_ROW ? 1 : rb != SQLITE_ROW ? -1 : key_cmp(&ka, &kb);
		snprintf(diff->type, sizeof(diff->type), "%s", ruhu_type_name(t));
		if (c < 0) {
			set_key(diff, &ka);
			diff->kind = "row-missing";
			snprintf(diff->message, sizeof(diff->message), "%s %s is in the history but not in the "
				 "replica", diff->type, diff->id);
			error = RUHU_ECORRUPT;
			goto done;
		}
		if (c > 0) {
			set_key(diff, &kb);
			diff->kind = "row-extra";
			snprintf(diff->message, sizeof(diff->message), "%s %s is in the replica but no commit of "
				 "the history wrote it", diff->type, diff->id);
			error = RUHU_ECORRUPT;
			goto done;
		}
		for (size_t i = 0; i < ncol; i++) {
			ruhu_cval va, vb;

			ruhu_cval_from_column(&va, a, (int)i);
			ruhu_cval_from_column(&vb, b, (int)i);
			if (ruhu_cval_equal(&va, &vb))
				continue;
			set_key(diff, &ka);
			diff->kind = "row-changed";
			diff->column = (int)i;
			snprintf(diff->field, sizeof(diff->field), "%s", ruhu_field_name(ruhu_type_field(t, i)));
			diff->expected = cval_text(&va);
			diff->found = cval_text(&vb);
			snprintf(diff->message, sizeof(diff->message), "%s %s field %s: the history says %s, the "
				 "replica holds %s", diff->type, diff->id, diff->field,
				 diff->expected ? diff->expected : "?", diff->found ? diff->found : "?");
			error = RUHU_ECORRUPT;
			goto done;
		}
		(*rows)++;
		ra = sqlite3_step(a);
		rb = sqlite3_step(b);
	}
	if (ra != SQLITE_DONE)
		error = ruhu_sql_error(rp->db, ra, "read the replayed rows");
	else if (rb != SQLITE_DONE)
		error = ruhu_sql_error(replica, rb, "read the replica's rows");
done:
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	ruhu_buf_dispose(&sql);
	return error;
}

int audit_replay_compare(struct audit_replay *rp, sqlite3 *replica, size_t *rows, struct audit_diff *diff)
{
	int error = 0;

	audit_diff_clear(diff);
	diff->column = -1;
	*rows = 0;
	for (size_t i = 0; i < ruhu_schema_type_count(rp->schema) && error == 0; i++)
		error = compare_table(rp, replica, ruhu_schema_type(rp->schema, i), rows, diff);
	return error;
}
