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
 *  2. Each changeset is checked by the strict parser and applied exactly,
 *     as a device pulling main requires (sync/pull.c), by audit_apply.c,
 *     which keeps the digest in the same pass.
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
	struct audit_apply *ap;
	ruhu_digest digest;
	int in_tx;
};

void audit_diff_clear(struct audit_diff *d)
{
	free(d->expected);
	free(d->found);
	memset(d, 0, sizeof(*d));
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
	sqlite3_extended_result_codes(rp->db, 1);
	if ((error = ruhu_schema_install(rp->db, schema)) < 0 ||
	    (error = audit_apply_open(&rp->ap, rp->db, schema)) < 0)
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
	audit_apply_close(rp->ap);
	if (rp->in_tx)
		sqlite3_exec(rp->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(rp->db);
	free(rp);
}

int audit_replay_apply(struct audit_replay *rp, const void *cs, size_t len, struct audit_diff *diff)
{
	audit_diff_clear(diff);
	diff->column = -1;
	if (len == 0)
		return 0;
	return audit_apply_changeset(rp->ap, &rp->digest, cs, len, diff);
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
