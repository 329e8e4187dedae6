/*
 * merge_row.c — one change of a device changeset merged into the hub row
 * (docs/merge.md §2): INSERT, UPDATE and DELETE, with the reference,
 * duplicate, immutability, tombstone and delete-rule checks.
 *
 * Design notes
 *  1. Per change: read the hub row (one cached SELECT), decide, write with
 *     one statement (INSERT, one UPDATE of the columns that change, or
 *     DELETE), then update provenance (merge.h note 5).  A change refused
 *     writes nothing.
 *  2. UPDATE, per changed column, with base = the change's old value,
 *     device = its new value, hub = the row's value: hub = device → nothing;
 *     hub = base → device; else the field's rule (merge_rules.c).  Then the
 *     references the merged row would write are checked; a reference to a
 *     record that does not exist keeps the hub value (`parent_missing`).
 *     Decisions are recorded last, so that each one's result is the value
 *     the row holds after the change.
 *  3. A statement refused by the table's checks (merge.c note 3) undoes the
 *     change's decisions and records one `constraint` decision instead.
 *  4. A reference is satisfied by a record of the hub or one that the same
 *     changeset inserts (a new household and its head of household are made
 *     in one save; the household comes first in schema order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hlc.h"
#include "sync/merge_int.h"

static int rows_equal(const ruhu_cval *a, const ruhu_cval *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!ruhu_cval_equal(&a[i], &b[i]))
			return 0;
	return 1;
}

/* Step a writing statement: 0 done, 1 refused by the table's checks (the
 * message in `why`), or an error.  The statement is reset. */
static int step_write(struct merge *m, sqlite3_stmt *st, char *why, size_t whylen)
{
	int rc = sqlite3_step(st), error = 0;

	if (rc == SQLITE_DONE) {
		error = 0;
	} else if (merge_is_constraint(m->db, rc)) {
		snprintf(why, whylen, "refused by the table: %s", sqlite3_errmsg(m->db));
		error = 1;
	} else {
		error = merge_db_error(m->db, "cannot write a merged record");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return error;
}

/* 1 when SQLite stores `v` in column `col` as it is: NULL, a value of the
 * column's declared type, or any value in an ANY column.  Otherwise a
 * STRICT table converts it (a REAL 5.0 into an INTEGER column is stored as
 * 5), and the merge reads the stored row back (merge_net.c note 2). */
static int stored_as_given(const struct tab *t, size_t col, const ruhu_cval *v)
{
	const char *type = ruhu_field_sqltype(ruhu_type_field(t->type, col));

	switch (v->type) {
	case SQLITE_NULL:
		return 1;
	case SQLITE_INTEGER:
		return !strcmp(type, "INTEGER") || !strcmp(type, "ANY");
	case SQLITE_FLOAT:
		return !strcmp(type, "REAL") || !strcmp(type, "ANY");
	case SQLITE_TEXT:
		return !strcmp(type, "TEXT") || !strcmp(type, "ANY");
	case SQLITE_BLOB:
		return !strcmp(type, "BLOB") || !strcmp(type, "ANY");
	default:
		return 0;
	}
}

/* After writing `v` (the columns flagged in `set`, all when NULL): make
 * m->stored the row as stored. */
static int read_stored(struct merge *m, struct tab *t, const unsigned char *set, const ruhu_cval *v)
{
	int found = 0, error;

	for (size_t i = 0; i < t->ncol; i++)
		if ((set == NULL || set[i]) && !stored_as_given(t, i, &v[i]))
			goto reread;
	return row_copy(&m->stored, v, t->ncol);
reread:
	if ((error = merge_read_into(&found, &m->stored, m, t, m->id.ptr)) < 0)
		return error;
	if (!found)
		return ruhu_error_set(RUHU_ERROR, "%s %s is gone right after it was written", t->name,
				      m->id.ptr);
	return 0;
}

/* ---- references (design note 4) ----------------------------------------- */

/* Is the reference in column `col` of row `v` satisfied?  *ok = 0 with a
 * note when not. */
static int check_ref(int *ok, char *note, size_t notelen, struct merge *m, struct tab *t,
		     size_t col, const ruhu_cval *v)
{
	const ruhu_field *f = ruhu_type_field(t->type, col);
	const ruhu_type *target = ruhu_field_ref(f);
	const ruhu_field *by = ruhu_field_ref_by(f);
	struct tab *tt;
	int found = 0, error;

	*ok = 1;
	if ((target == NULL && by == NULL) || v[col].type == SQLITE_NULL)
		return 0;
	*ok = 0;
	if (by) {
		const ruhu_cval *tv = &v[ruhu_field_index(by)];

		ruhu_buf_clear(&m->scratch);
		if (tv->type == SQLITE_TEXT && (error = ruhu_buf_put(&m->scratch, tv->p, tv->n)) < 0)
			return error;
		target = tv->type == SQLITE_TEXT && !memchr(tv->p, 0, tv->n) ?
			 ruhu_schema_type_byname(m->schema, m->scratch.ptr ? m->scratch.ptr : "") : NULL;
		if (target == NULL) {
			snprintf(note, notelen, "%s names no record type", ruhu_field_name(by));
			return 0;
		}
	}
	if (v[col].type != SQLITE_TEXT || v[col].n == 0 || memchr(v[col].p, 0, v[col].n)) {
		snprintf(note, notelen, "%s is not a record id", ruhu_field_name(f));
		return 0;
	}
	tt = &m->tabs[ruhu_type_index(target)];
	ruhu_buf_clear(&m->scratch);
	if ((error = ruhu_buf_put(&m->scratch, v[col].p, v[col].n)) < 0 ||
	    (error = merge_record_exists(&found, m, tt, m->scratch.ptr)) < 0)
		return error;
	if (found || idset_has(&m->inserted, tt->name, m->scratch.ptr, m->scratch.size)) {
		*ok = 1;
		return 0;
	}
	if ((error = ruhu_prov_tomb(&found, NULL, m->prov, tt->name, m->scratch.ptr)) < 0)
		return error;
	snprintf(note, notelen, "%s %s %s", tt->name, m->scratch.ptr,
		 found ? "was deleted" : "was never seen");
	return 0;
}

/* ---- duplicates ---------------------------------------------------------- */

/* After row `v` of t was written: one `duplicate` decision per other row
 * with the same duplicate key (all fields non-NULL). */
static int check_duplicates(struct merge *m, struct tab *t, const ruhu_cval *v,
			    const ruhu_change *c)
{
	size_t n = ruhu_type_duplicate_count(t->type);
	char fields[256] = "";
	sqlite3_stmt *st;
	int rc, error = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const ruhu_field *f = ruhu_type_duplicate_field(t->type, i);
		size_t used = strlen(fields);

		if (v[ruhu_field_index(f)].type == SQLITE_NULL)
			return 0;
		snprintf(fields + used, sizeof(fields) - used, "%s%s", i ? "," : "", ruhu_field_name(f));
	}
	if ((error = merge_dup_stmt(&st, m, t)) < 0)
		return error;
	sqlite3_bind_text(st, 1, m->id.ptr, (int)m->id.size, SQLITE_STATIC);
	for (size_t i = 0; i < n; i++)
		if ((error = ruhu_cval_bind(st, (int)i + 2,
					    &v[ruhu_field_index(ruhu_type_duplicate_field(t->type, i))])) < 0)
			goto done;
	for (rc = sqlite3_step(st); rc == SQLITE_ROW; rc = sqlite3_step(st)) {
		ruhu_cval other, self;
		char oid[256];

		ruhu_cval_from_column(&other, st, 0);
		snprintf(oid, sizeof(oid), "%.*s", (int)(other.n < 255 ? other.n : 255),
			 other.p ? (const char *)other.p : "");
		memset(&self, 0, sizeof(self));
		self.type = SQLITE_TEXT;
		self.p = (const unsigned char *)m->id.ptr;
		self.n = m->id.size;
		if ((error = merge_decide(m, t, fields, "duplicate", NULL, &other, &self, NULL, 1, c, oid,
					  "possible duplicate of %s %s (same %s)", t->name, oid,
					  fields)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		error = merge_db_error(m->db, "cannot look for duplicates");
done:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return error;
}

/* ---- INSERT -------------------------------------------------------------- */

static int insert_row(int *refused, char *why, size_t whylen, struct merge *m, struct tab *t,
		      const ruhu_cval *v)
{
	sqlite3_stmt *st;
	int error;

	*refused = 0;
	if ((error = merge_insert_stmt(&st, m, t)) < 0)
		return error;
	for (size_t i = 0; i < t->ncol; i++)
		if ((error = ruhu_cval_bind(st, (int)i + 1, &v[i])) < 0) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return error;
		}
	if ((error = step_write(m, st, why, whylen)) < 0)
		return error;
	*refused = error;
	if (error == 0 && (error = read_stored(m, t, NULL, v)) >= 0 &&
	    (error = net_row(m, t, SQLITE_INSERT, m->stored.v)) >= 0)
		error = ruhu_prov_inserted(m->prov, t->name, m->id.ptr, m->o.hlc, m->oi);
	return error;
}

int merge_insert(struct merge *m, struct tab *t, const ruhu_change *c)
{
	char note[512];
	int found = 0, ok, refused, error;

	if ((error = merge_read_row(&found, m, t, m->id.ptr)) < 0)
		return error;
	if (found) {
		if (rows_equal(m->hub.v, c->new_values, t->ncol))
			return 0;
		m->res->refused++;
		return merge_decide(m, t, NULL, "insert_clash", NULL, NULL, NULL, NULL, 1, c, NULL,
				    "record already exists on the hub with other values");
	}
	for (size_t i = 0; i < t->ncol; i++) {
		if ((error = check_ref(&ok, note, sizeof(note), m, t, i, c->new_values)) < 0)
			return error;
		if (!ok) {
			m->res->refused++;
			return merge_decide(m, t, ruhu_field_name(ruhu_type_field(t->type, i)),
					    "parent_missing", NULL, NULL, &c->new_values[i], NULL, 1, c,
					    NULL, "%s", note);
		}
	}
	if ((error = insert_row(&refused, note, sizeof(note), m, t, c->new_values)) < 0)
		return error;
	if (refused) {
		m->res->refused++;
		return merge_decide(m, t, NULL, "constraint", NULL, NULL, NULL, NULL, 1, c, NULL, "%s",
				    note);
	}
	m->res->applied++;
	return check_duplicates(m, t, c->new_values, c);
}

/* ---- DELETE -------------------------------------------------------------- */

int merge_delete(struct merge *m, struct tab *t, const ruhu_change *c)
{
	sqlite3_stmt *st;
	char why[512];
	int found = 0, frozen = 0, error;

	if ((error = merge_read_row(&found, m, t, m->id.ptr)) < 0 || !found)
		return error;
	if (ruhu_type_mutability(t->type) == RUHU_IMMUTABLE_AFTER &&
	    (error = merge_row_frozen(&frozen, m, t, m->id.ptr)) < 0)
		return error;
	if (frozen) {
		m->res->refused++;
		return merge_decide(m, t, NULL, "immutable", NULL, NULL, NULL, NULL, 1, c, NULL,
				    "record is frozen (%s): not deleted",
				    ruhu_type_immutable_after(t->type));
	}
	if (!rows_equal(m->hub.v, c->old_values, t->ncol)) {
		switch (ruhu_type_delete_rule(t->type)) {
		case RUHU_UPDATE_WINS:
			m->res->refused++;
			return merge_decide(m, t, NULL, "update_wins", NULL, NULL, NULL, NULL, 0, c, NULL,
					    "record changed on the hub since the device's copy: kept");
		case RUHU_DELETE_WINS:
			if ((error = merge_decide(m, t, NULL, "delete_wins", NULL, NULL, NULL, NULL, 0, c,
						  NULL, "record changed on the hub since the device's "
						  "copy: deleted all the same")) < 0)
				return error;
			break;
		default:
			m->res->refused++;
			return merge_decide(m, t, NULL, "delete_review", NULL, NULL, NULL, NULL, 1, c, NULL,
					    "record changed on the hub since the device's copy: kept "
					    "until an operator decides");
		}
	}
	if ((error = merge_delete_stmt(&st, m, t)) < 0)
		return error;
	sqlite3_bind_text(st, 1, m->id.ptr, (int)m->id.size, SQLITE_STATIC);
	if ((error = step_write(m, st, why, sizeof(why))) != 0)
		return error < 0 ? error : ruhu_error_set(RUHU_ERROR, "cannot delete %s %s: %s",
							  t->name, m->id.ptr, why);
	if ((error = net_row(m, t, SQLITE_DELETE, m->hub.v)) < 0)
		return error;
	ruhu_buf_clear(&m->scratch);
	if ((error = ruhu_prov_change_bytes(&m->scratch, t->name, t->ncol, t->key, SQLITE_DELETE,
					    m->hub.v, NULL)) < 0 ||
	    (error = ruhu_prov_deleted(m->prov, t->name, m->id.ptr, m->scratch.ptr, m->scratch.size,
				       m->o.hlc, m->o.origin, NULL)) < 0)
		return error;
	m->res->applied++;
	return 0;
}

/* ---- UPDATE -------------------------------------------------------------- */

/* The row is missing: the delete rule decides (*resurrect = 1 when the
 * tombstone row comes back, its values in m->hub). */
static int update_missing(int *resurrect, struct merge *m, struct tab *t, const ruhu_change *c)
{
	ruhu_buf row = RUHU_BUF_INIT;
	ruhu_changeset_iter *it = NULL;
	const ruhu_change *tc;
	int found = 0, error;

	*resurrect = 0;
	if ((error = ruhu_prov_tomb(&found, &row, m->prov, t->name, m->id.ptr)) < 0)
		goto done;
	if (!found) {
		m->res->refused++;
		error = merge_decide(m, t, NULL, "record_missing", NULL, NULL, NULL, NULL, 1, c, NULL,
				     "record was never seen on the hub");
		goto done;
	}
	switch (ruhu_type_delete_rule(t->type)) {
	case RUHU_DELETE_WINS:
		m->res->refused++;
		error = merge_decide(m, t, NULL, "delete_wins", NULL, NULL, NULL, NULL, 0, c, NULL,
				     "record was deleted on the hub: the update is dropped");
		goto done;
	case RUHU_UPDATE_WINS:
		break;
	default:
		m->res->refused++;
		error = merge_decide(m, t, NULL, "delete_review", NULL, NULL, NULL, NULL, 1, c, NULL,
				     "record was deleted on the hub: an operator decides");
		goto done;
	}
	if ((error = ruhu_changeset_iter_new(&it, row.ptr, row.size, NULL, NULL, NULL)) < 0)
		goto done;
	if ((error = ruhu_changeset_iter_next(&tc, it)) < 0)
		goto done;
	if (error == 0 || tc->op != SQLITE_DELETE || tc->ncol != t->ncol ||
	    strcmp(tc->table, t->name) != 0) {
		error = ruhu_error_set(RUHU_ECORRUPT, "tombstone of %s %s is damaged", t->name,
				       m->id.ptr);
		goto done;
	}
	if ((error = row_copy(&m->hub, tc->old_values, t->ncol)) < 0)
		goto done;
	*resurrect = 1;
	error = merge_decide(m, t, NULL, "update_wins", NULL, NULL, NULL, NULL, 0, c, NULL,
			     "record deleted on the hub comes back with the update");
done:
	ruhu_changeset_iter_free(it);
	ruhu_buf_dispose(&row);
	return error;
}

/* What became of each column: 0 untouched, 1 taken from one side, 2 a rule
 * decided, 3 a reference kept the hub value. */
enum { COL_SAME = 0, COL_TAKEN, COL_RULE, COL_REF };

int merge_update(struct merge *m, struct tab *t, const ruhu_change *c)
{
	unsigned char how[64 * 4], set[64 * 4], *hw = how, *st_set = set;
	struct verdict vd[64 * 4], *v = vd;
	size_t nd0 = m->res->ndecisions, nr0 = m->res->nreviews, nset = 0;
	char note[512];
	int found = 0, frozen = 0, resurrect = 0, refused = 0, error = 0;
	sqlite3_stmt *st;

	if (t->ncol > 256)
		return ruhu_error_set(RUHU_ESCHEMA, "table %s has more columns than the merge handles",
				      t->name);
	if (ruhu_type_mutability(t->type) == RUHU_IMMUTABLE) {
		m->res->refused++;
		return merge_decide(m, t, NULL, "immutable", NULL, NULL, NULL, NULL, 1, c, NULL,
				    "%s records never change once written", t->name);
	}
	if ((error = merge_read_row(&found, m, t, m->id.ptr)) < 0)
		return error;
	if (!found) {
		if ((error = update_missing(&resurrect, m, t, c)) < 0 || !resurrect)
			return error;
	} else if ((error = merge_row_frozen(&frozen, m, t, m->id.ptr)) < 0) {
		return error;
	} else if (frozen) {
		m->res->refused++;
		return merge_decide(m, t, NULL, "immutable", NULL, NULL, NULL, NULL, 1, c, NULL,
				    "record is frozen (%s)", ruhu_type_immutable_after(t->type));
	}
	/* pass 1: merge each changed column */
	for (size_t i = 0; i < t->ncol; i++) {
		const ruhu_cval *base = &c->old_values[i], *dev = &c->new_values[i], *hub = &m->hub.v[i];

		m->merged[i] = *hub;
		hw[i] = COL_SAME;
		st_set[i] = 0;
		if (!ruhu_change_changed(c, i) || ruhu_cval_equal(hub, dev))
			continue;
		if (ruhu_cval_equal(hub, base)) {
			m->merged[i] = *dev;
			hw[i] = COL_TAKEN;
		} else {
			if ((error = merge_field(&v[i], m, t, i, base, hub, dev)) < 0)
				return error;
			m->merged[i] = v[i].value;
			hw[i] = COL_RULE;
			m->res->fields_merged++;
		}
		st_set[i] = !ruhu_cval_equal(&m->merged[i], hub);
	}
	/* pass 2: references the merged row would write */
	for (size_t i = 0; i < t->ncol; i++) {
		const ruhu_field *by = ruhu_field_ref_by(ruhu_type_field(t->type, i));
		int ok;

		if (!st_set[i] && !(by && st_set[ruhu_field_index(by)]))
			continue;
		if ((error = check_ref(&ok, note, sizeof(note), m, t, i, m->merged)) < 0)
			return error;
		if (ok)
			continue;
		if ((error = merge_decide(m, t, ruhu_field_name(ruhu_type_field(t->type, i)),
					  "parent_missing", &c->old_values[i], &m->hub.v[i],
					  &c->new_values[i], &m->hub.v[i], 1, c, NULL, "%s", note)) < 0)
			return error;
		m->merged[i] = m->hub.v[i];
		st_set[i] = 0;
		hw[i] = hw[i] == COL_RULE ? COL_REF : COL_SAME;
	}
	for (size_t i = 0; i < t->ncol; i++)
		nset += st_set[i];
	/* write */
	if (resurrect) {
		if ((error = insert_row(&refused, note, sizeof(note), m, t, m->merged)) < 0)
			return error;
		for (size_t i = 0; !refused && i < t->ncol; i++)
			m->merged[i] = m->stored.v[i];
	} else if (nset > 0) {
		size_t changed = 0;

		if ((error = merge_update_stmt(&st, m, t, st_set)) < 0)
			return error;
		sqlite3_bind_text(st, 1, m->id.ptr, (int)m->id.size, SQLITE_STATIC);
		for (size_t i = 0; i < t->ncol; i++)
			if (st_set[i] && (error = ruhu_cval_bind(st, (int)i + 2, &m->merged[i])) < 0) {
				sqlite3_reset(st);
				sqlite3_clear_bindings(st);
				return error;
			}
		if ((error = step_write(m, st, note, sizeof(note))) < 0)
			return error;
		refused = error;
		if (!refused && (error = read_stored(m, t, st_set, m->merged)) < 0)
			return error;
		/* the values as stored; a column stored equal to the hub's is
		 * not a change (merge_net.c note 2) */
		for (size_t i = 0; !refused && i < t->ncol; i++) {
			if (!st_set[i])
				continue;
			m->merged[i] = m->stored.v[i];
			st_set[i] = !ruhu_cval_equal(&m->merged[i], &m->hub.v[i]);
			changed += st_set[i];
		}
		if (!refused && changed == 0)
			nset = 0;
		if (!refused && changed > 0) {
			if ((error = net_update(m, t, st_set, m->hub.v, m->merged)) < 0)
				return error;
			if ((error = ruhu_prov_touch(m->prov, t->name, m->id.ptr, st_set, t->ncol,
						     m->o.hlc, m->oi)) < 0)
				return error;
		}
	}
	if (refused) {
		merge_result_truncate(m->res, nd0, nr0);
		m->res->refused++;
		return merge_decide(m, t, NULL, "constraint", NULL, NULL, NULL, NULL, 1, c, NULL, "%s",
				    note);
	}
	/* the decisions of the rules, with the values the row now holds */
	for (size_t i = 0; i < t->ncol; i++) {
		const ruhu_field *f = ruhu_type_field(t->type, i);

		if (hw[i] != COL_RULE)
			continue;
		if ((error = merge_decide(m, t, ruhu_field_name(f), ruhu_rule_name(ruhu_field_rule(f)),
					  &c->old_values[i], &m->hub.v[i], &c->new_values[i],
					  &m->merged[i], v[i].review, c, NULL, "%s", v[i].note)) < 0)
			return error;
	}
	if (!resurrect && nset == 0)
		return 0;
	m->res->applied++;
	for (size_t i = 0; i < ruhu_type_duplicate_count(t->type); i++)
		if (resurrect || st_set[ruhu_field_index(ruhu_type_duplicate_field(t->type, i))])
			return check_duplicates(m, t, m->merged, c);
	return 0;
}
