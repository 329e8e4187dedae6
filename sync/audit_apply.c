/*
 * audit_apply.c — a changeset applied exactly to the scratch database of a
 * replay, with the state digest kept in the same pass (see audit_replay.h).
 *
 * Design notes
 *  1. "Exactly" is what sqlite3changeset_apply checks with a conflict
 *     handler that aborts: an INSERT must find no row with its key; an
 *     UPDATE must find its row with the old values of the columns it
 *     changes; a DELETE must find its row with every old value.  Values
 *     compare by type and bytes (ruhu_cval_equal).  A table's CHECK
 *     constraints run as the rows are written.
 *  2. Why not sqlite3changeset_apply: it prepares its statements again on
 *     every call, which costs more than the rows themselves for the ten-row
 *     changesets of a save (docs/performance.md, "Audit").  Here each
 *     table's statements are prepared once per replay.
 *  3. The digest follows each change with the rows at hand: an INSERT adds
 *     its new row, a DELETE removes its old row, an UPDATE removes the row it
 *     read and adds that row with the changed columns replaced — what
 *     ruhu_digest_apply_changeset computes, without reading rows again.
 *  4. The changeset is checked whole by the strict parser before the first
 *     change is applied (ruhu_changeset_walk); the layout of each table (its
 *     columns and key) must be the schema's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "sync/audit_replay.h"

struct tcache {
	const ruhu_type *type;
	size_t ncol, pk;
	sqlite3_stmt *ins, *sel, *upd, *del;
};

struct audit_apply {
	sqlite3 *db;
	const ruhu_schema *schema;
	struct tcache *t;          /* one per schema type, made on first use */
	ruhu_cval *oldv, *newv, *row;
	size_t maxcol;
};

struct run {
	struct audit_apply *ap;
	ruhu_digest d;
	struct audit_diff *diff;
};

int audit_apply_open(struct audit_apply **out, sqlite3 *db, const ruhu_schema *schema)
{
	struct audit_apply *ap = calloc(1, sizeof(*ap));
	size_t n = ruhu_schema_type_count(schema);

	*out = NULL;
	if (ap == NULL || (ap->t = calloc(n ? n : 1, sizeof(*ap->t))) == NULL) {
		free(ap);
		return ruhu_error_oom();
	}
	ap->db = db;
	ap->schema = schema;
	*out = ap;
	return 0;
}

void audit_apply_close(struct audit_apply *ap)
{
	if (ap == NULL)
		return;
	for (size_t i = 0; i < ruhu_schema_type_count(ap->schema); i++) {
		sqlite3_finalize(ap->t[i].ins);
		sqlite3_finalize(ap->t[i].sel);
		sqlite3_finalize(ap->t[i].upd);
		sqlite3_finalize(ap->t[i].del);
	}
	free(ap->t);
	free(ap->oldv);
	free(ap->newv);
	free(ap->row);
	free(ap);
}

static int prepare(sqlite3_stmt **st, sqlite3 *db, const ruhu_buf *sql)
{
	int rc = sqlite3_prepare_v3(db, sql->ptr, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);

	return rc == SQLITE_OK ? 0 : ruhu_error_set(RUHU_ERROR, "cannot prepare the replay: %s", sqlite3_errmsg(db));
}

/* The statements of a table (note 2). */
static int table(struct tcache **out, struct audit_apply *ap, const ruhu_chg_table *h, struct audit_diff *diff)
{
	const ruhu_type *t = ruhu_schema_type_byname(ap->schema, h->name);
	struct tcache *c;
	ruhu_buf cols = RUHU_BUF_INIT, sql = RUHU_BUF_INIT;
	int error = 0;

	if (t == NULL || ruhu_type_field_count(t) != h->ncol) {
		snprintf(diff->type, sizeof(diff->type), "%s", h->name);
		snprintf(diff->message, sizeof(diff->message), "its changeset writes table %s with %zu columns, "
			 "which the schema does not have", h->name, h->ncol);
		return RUHU_ECONFLICT;
	}
	for (size_t i = 0; i < h->ncol; i++)
		if (!!h->pk[i] != !!ruhu_field_is_pk(ruhu_type_field(t, i))) {
			snprintf(diff->message, sizeof(diff->message), "its changeset keys table %s on other columns "
				 "than the schema", h->name);
			return RUHU_ECONFLICT;
		}
	c = &ap->t[ruhu_type_index(t)];
	*out = c;
	if (c->ins)
		return 0;
	c->type = t;
	c->ncol = h->ncol;
	c->pk = ruhu_field_index(ruhu_type_pk(t));
	if (h->ncol > ap->maxcol) {
		ruhu_cval *a = realloc(ap->oldv, h->ncol * sizeof(*a)), *b, *r;

		if (a == NULL)
			return ruhu_error_oom();
		ap->oldv = a;
		if ((b = realloc(ap->newv, h->ncol * sizeof(*b))) == NULL)
			return ruhu_error_oom();
		ap->newv = b;
		if ((r = realloc(ap->row, h->ncol * sizeof(*r))) == NULL)
			return ruhu_error_oom();
		ap->row = r;
		ap->maxcol = h->ncol;
	}
	for (size_t i = 0; i < h->ncol && error == 0; i++)
		error = ruhu_buf_printf(&cols, "%s\"%s\"", i ? ", " : "", ruhu_field_name(ruhu_type_field(t, i)));
	if (error == 0 && (error = ruhu_buf_printf(&sql, "INSERT INTO \"%s\"(%s) VALUES(", h->name, cols.ptr)) == 0)
		for (size_t i = 0; i < h->ncol && error == 0; i++)
			error = ruhu_buf_printf(&sql, "%s?%zu", i ? ", " : "", i + 1);
	if (error < 0 || (error = ruhu_buf_putc(&sql, ')')) < 0 || (error = prepare(&c->ins, ap->db, &sql)) < 0)
		goto done;
	ruhu_buf_clear(&sql);
	if ((error = ruhu_buf_printf(&sql, "SELECT %s FROM \"%s\" WHERE \"%s\" = ?1", cols.ptr, h->name,
				     ruhu_field_name(ruhu_type_pk(t)))) < 0 ||
	    (error = prepare(&c->sel, ap->db, &sql)) < 0)
		goto done;
	ruhu_buf_clear(&sql);
	if ((error = ruhu_buf_printf(&sql, "UPDATE \"%s\" SET ", h->name)) < 0)
		goto done;
	for (size_t i = 0, k = 0; i < h->ncol && error == 0; i++)
		if (i != c->pk)
			error = ruhu_buf_printf(&sql, "%s\"%s\" = ?%zu", k++ ? ", " : "",
						ruhu_field_name(ruhu_type_field(t, i)), i + 1);
	if (error < 0 || (error = ruhu_buf_printf(&sql, " WHERE \"%s\" = ?%zu", ruhu_field_name(ruhu_type_pk(t)),
						  c->pk + 1)) < 0 ||
	    (error = prepare(&c->upd, ap->db, &sql)) < 0)
		goto done;
	ruhu_buf_clear(&sql);
	if ((error = ruhu_buf_printf(&sql, "DELETE FROM \"%s\" WHERE \"%s\" = ?1", h->name,
				     ruhu_field_name(ruhu_type_pk(t)))) < 0 ||
	    (error = prepare(&c->del, ap->db, &sql)) < 0)
		goto done;
done:
	if (error < 0) {
		sqlite3_finalize(c->ins);
		sqlite3_finalize(c->sel);
		sqlite3_finalize(c->upd);
		c->ins = c->sel = c->upd = NULL;
	}
	ruhu_buf_dispose(&cols);
	ruhu_buf_dispose(&sql);
	return error;
}

static char *text_of(const ruhu_cval *v)
{
	ruhu_buf b = RUHU_BUF_INIT;

	if (ruhu_cval_text(&b, v) < 0) {
		ruhu_buf_dispose(&b);
		return NULL;
	}
	return ruhu_buf_detach(&b);
}

static int conflict(struct run *r, const struct tcache *c, const ruhu_cval *key, const char *what, int col,
		    const ruhu_cval *expected, const ruhu_cval *found)
{
	struct audit_diff *d = r->diff;

	snprintf(d->type, sizeof(d->type), "%s", ruhu_type_name(c->type));
	if (key->type == SQLITE_TEXT)
		snprintf(d->id, sizeof(d->id), "%.*s", (int)key->n, (const char *)key->p);
	else
		snprintf(d->id, sizeof(d->id), "%lld", (long long)key->i);
	d->what = what;
	d->column = col;
	if (col >= 0) {
		snprintf(d->field, sizeof(d->field), "%s", ruhu_field_name(ruhu_type_field(c->type, (size_t)col)));
		d->expected = text_of(expected);
		d->found = text_of(found);
	}
	snprintf(d->message, sizeof(d->message), "%s %s %s%s%s", d->type, d->id, what, col >= 0 ? ": field " : "",
		 d->field);
	return RUHU_ECONFLICT;
}

static int bind_row(sqlite3_stmt *st, const ruhu_cval *v, size_t n)
{
	int error = 0;

	for (size_t i = 0; i < n && error == 0; i++)
		error = ruhu_cval_bind(st, (int)i + 1, &v[i]);
	return error;
}

/* Step a write; a constraint failure is the change's conflict. */
static int write_row(struct run *r, const struct tcache *c, sqlite3_stmt *st, const ruhu_cval *key)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return conflict(r, c, key, "breaks a constraint of its table when the history is replayed", -1, NULL,
				NULL);
	return ruhu_error_set(RUHU_ERROR, "cannot replay a change of %s: %s", ruhu_type_name(c->type),
			      sqlite3_errmsg(r->ap->db));
}

static int one(const ruhu_chg_table *h, const ruhu_chg_rec *rec, void *payload)
{
	struct run *r = payload;
	struct audit_apply *ap = r->ap;
	struct tcache *c;
	ruhu_cval *oldv = NULL, *newv = NULL, *row = NULL;
	int error, rc;

	if ((error = table(&c, ap, h, r->diff)) < 0)
		return error;
	oldv = ap->oldv;
	newv = ap->newv;
	row = ap->row;
	if (rec->op == SQLITE_INSERT) {
		ruhu_chg_decode(newv, rec->new_rec, c->ncol);
		if ((error = bind_row(c->ins, newv, c->ncol)) < 0)
			return error;
		if ((rc = sqlite3_step(c->ins)) == SQLITE_CONSTRAINT_PRIMARYKEY) {
			sqlite3_reset(c->ins);
			return conflict(r, c, &newv[c->pk], "is inserted by the history but the replay already has it",
					-1, NULL, NULL);
		}
		sqlite3_reset(c->ins);
		sqlite3_clear_bindings(c->ins);
		if (rc != SQLITE_DONE && (rc & 0xff) == SQLITE_CONSTRAINT)
			return conflict(r, c, &newv[c->pk], "breaks a constraint of its table when the history is "
					"replayed", -1, NULL, NULL);
		if (rc != SQLITE_DONE)
			return ruhu_error_set(RUHU_ERROR, "cannot replay a change of %s: %s", h->name,
					      sqlite3_errmsg(ap->db));
		return ruhu_digest_add_row(&r->d, h->name, newv, c->ncol);
	}
	ruhu_chg_decode(oldv, rec->old_rec, c->ncol);
	if ((error = ruhu_cval_bind(c->sel, 1, &oldv[c->pk])) < 0)
		return error;
	if ((rc = sqlite3_step(c->sel)) != SQLITE_ROW) {
		sqlite3_reset(c->sel);
		if (rc != SQLITE_DONE)
			return ruhu_error_set(RUHU_ERROR, "cannot replay a change of %s: %s", h->name,
					      sqlite3_errmsg(ap->db));
		return conflict(r, c, &oldv[c->pk], rec->op == SQLITE_DELETE ?
				"is deleted by the history but the replay does not have it" :
				"is changed by the history but the replay does not have it", -1, NULL, NULL);
	}
	for (size_t i = 0; i < c->ncol; i++) {
		ruhu_cval_from_column(&row[i], c->sel, (int)i);
		if (oldv[i].type != RUHU_CVAL_UNDEFINED && !ruhu_cval_equal(&oldv[i], &row[i])) {
			error = conflict(r, c, &oldv[c->pk], "holds other values than the history expects before the "
					 "change", (int)i, &oldv[i], &row[i]);
			sqlite3_reset(c->sel);
			return error;
		}
	}
	/* the row read is the before-row; values stay valid until the reset */
	if ((error = ruhu_digest_remove_row(&r->d, h->name, row, c->ncol)) < 0)
		goto done;
	if (rec->op == SQLITE_DELETE) {
		sqlite3_reset(c->sel);
		if ((error = ruhu_cval_bind(c->del, 1, &oldv[c->pk])) < 0)
			return error;
		return write_row(r, c, c->del, &oldv[c->pk]);
	}
	ruhu_chg_decode(newv, rec->new_rec, c->ncol);
	for (size_t i = 0; i < c->ncol; i++)
		if (newv[i].type != RUHU_CVAL_UNDEFINED)
			row[i] = newv[i];
	if ((error = ruhu_digest_add_row(&r->d, h->name, row, c->ncol)) < 0 ||
	    (error = bind_row(c->upd, row, c->ncol)) < 0)
		goto done;
	sqlite3_reset(c->sel); /* after binding: SQLite copies text it binds transiently */
	return write_row(r, c, c->upd, &oldv[c->pk]);
done:
	sqlite3_reset(c->sel);
	return error;
}

int audit_apply_changeset(struct audit_apply *ap, ruhu_digest *d, const void *cs, size_t len,
			  struct audit_diff *diff)
{
	struct run r;
	int error;

	r.ap = ap;
	r.d = *d;
	r.diff = diff;
	error = ruhu_changeset_walk(cs, len, one, &r);
	if (error == RUHU_ECORRUPT) {
		snprintf(diff->message, sizeof(diff->message), "its changeset is malformed: %s", ruhu_error_last());
		return RUHU_ECONFLICT;
	}
	if (error == 0)
		*d = r.d;
	return error;
}
