/*
 * merge.c — the merge rule engine's driver (merge.h): options, the checks
 * before anything is written, the savepoint, the apply loop, and the
 * statements cached per table.
 *
 * Design notes
 *  1. Order of work in ruhu_merge_apply():
 *       walk 1 (the walk checks the syntax whole first): every table header
 *       against the schema, text keys, whether rows come in canonical order,
 *       the ids the changeset inserts → one change per row (implied by the
 *       order when sorted, else ruhu_changeset_check) → SAVEPOINT ruhu_merge →
 *       apply loop (merge_row.c), which writes the net changeset as it
 *       writes rows (merge_net.c) → RELEASE.
 *     Any failure after the SAVEPOINT rolls back to it and releases it.
 *  2. Statements are prepared on first use per table and kept for the call:
 *     the row read, the insert, the delete, existence, the immutable_after
 *     test, the duplicate-key lookup, and one UPDATE per set of columns
 *     written (at most 64 sets per table are kept; a table wider than 64
 *     columns prepares its UPDATE for each row).
 *  3. Statements that write are refused by the table's own checks (CHECK,
 *     NOT NULL, STRICT types, the validators, which fail a statement with a
 *     message starting "invalid ") → a `constraint` decision.  Any other
 *     SQLite failure stops the merge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hlc.h"
#include "sync/merge_int.h"

int ruhu_merge_opts_init(ruhu_merge_opts *opts, unsigned int version)
{
	ruhu_merge_opts def = RUHU_MERGE_OPTS_INIT;

	if (opts == NULL || version != RUHU_MERGE_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "unknown merge options version %u", version);
	*opts = def;
	return 0;
}

int merge_db_error(sqlite3 *db, const char *what)
{
	int rc = sqlite3_errcode(db);
	int code = rc == SQLITE_NOMEM ? RUHU_ENOMEM : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ?
		   RUHU_EBUSY : rc == SQLITE_FULL ? RUHU_ENOSPACE : rc == SQLITE_READONLY ?
		   RUHU_EREADONLY : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? RUHU_ECORRUPT : RUHU_ERROR;

	return ruhu_error_set(code, "%s: %s", what, sqlite3_errmsg(db));
}

int merge_is_constraint(sqlite3 *db, int rc)
{
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return 1;
	return rc == SQLITE_ERROR && strncmp(sqlite3_errmsg(db), "invalid ", 8) == 0;
}

/* ---- the checks before writing (design note 1) --------------------------- */

/* 1 when (type, key) comes after the previous change in canonical order
 * (keys are texts: bytes compared, a prefix first). */
static int after(const struct merge *m, size_t type, const ruhu_cval *k)
{
	size_t n = k->n < m->last_key.size ? k->n : m->last_key.size;
	int c;

	if (type != m->last_type)
		return type > m->last_type;
	c = n ? memcmp(k->p, m->last_key.ptr, n) : 0;
	return c > 0 || (c == 0 && k->n > m->last_key.size);
}


static int precheck_cb(const ruhu_chg_table *t, const ruhu_chg_rec *r, void *payload)
{
	struct merge *m = payload;
	const ruhu_type *type = ruhu_schema_type_byname(m->schema, t->name);
	size_t key;
	ruhu_cval k;
	const unsigned char *rec;
	int error;

	if (type == NULL)
		return ruhu_error_set(RUHU_ESCHEMA, "changeset changes table %s, which is not a "
				      "record type of the schema", t->name);
	if (t->ncol != ruhu_type_field_count(type))
		return ruhu_error_set(RUHU_ESCHEMA, "changeset has %zu columns for table %s, the "
				      "schema %zu", t->ncol, t->name, ruhu_type_field_count(type));
	key = ruhu_field_index(ruhu_type_pk(type));
	for (size_t i = 0; i < t->ncol; i++)
		if ((t->pk[i] != 0) != (i == key))
			return ruhu_error_set(RUHU_ESCHEMA, "changeset keys table %s by other "
					      "columns than the schema", t->name);
	if (t->ncol > m->maxcol)
		m->maxcol = t->ncol;
	/* the key field of the record (walk-checked, so decoding is safe) */
	rec = r->op == SQLITE_INSERT ? r->new_rec : r->old_rec;
	for (size_t i = 0; i < key; i++)
		rec = ruhu_chg_skip_field(rec);
	ruhu_chg_decode(&k, rec, 1);
	if (k.type != SQLITE_TEXT || k.n == 0 || memchr(k.p, 0, k.n))
		return ruhu_error_set(RUHU_ESCHEMA, "changeset keys a %s record by a value that "
				      "is not a text id", t->name);
	if (m->sorted && m->nchecked > 0 && !after(m, ruhu_type_index(type), &k))
		m->sorted = 0;
	m->nchecked++;
	m->last_type = ruhu_type_index(type);
	ruhu_buf_clear(&m->last_key);
	if ((error = ruhu_buf_put(&m->last_key, k.p, k.n)) < 0)
		return error;
	if (r->op == SQLITE_INSERT)
		return idset_add(&m->inserted, t->name, (const char *)k.p, k.n);
	return 0;
}

/* ---- the driver ---------------------------------------------------------- */

static void merge_release(struct merge *m)
{
	/* tabs may be missing: merge_setup ran out of memory */
	for (size_t i = 0; m->tabs && i < m->ntabs; i++) {
		struct tab *t = &m->tabs[i];

		sqlite3_finalize(t->sel);
		sqlite3_finalize(t->ins);
		sqlite3_finalize(t->del);
		sqlite3_finalize(t->exists);
		sqlite3_finalize(t->frozen);
		sqlite3_finalize(t->dup);
		for (size_t j = 0; j < t->aupd && t->upd; j++)
			sqlite3_finalize(t->upd[j].st);
		free(t->upd);
	}
	for (size_t i = 0; m->net && i < m->ntabs; i++)
		ruhu_buf_dispose(&m->net[i]);
	free(m->net);
	free(m->tabs);
	free(m->stored.v);
	ruhu_buf_dispose(&m->stored.bytes);
	ruhu_buf_dispose(&m->last_key);
	ruhu_prov_close(m->prov);
	ruhu_prov_clock_dispose(&m->clock);
	idset_free(&m->inserted);
	free(m->hub.v);
	ruhu_buf_dispose(&m->hub.bytes);
	free(m->merged);
	free(m->oldv);
	free(m->newv);
	for (size_t i = 0; m->colbuf && i < m->maxcol; i++)
		ruhu_buf_dispose(&m->colbuf[i]);
	free(m->colbuf);
	ruhu_buf_dispose(&m->id);
	ruhu_buf_dispose(&m->scratch);
	ruhu_buf_dispose(&m->sql);
}

static int merge_setup(struct merge *m, const ruhu_merge_opts *opts)
{
	char hlc[RUHU_HLC_TEXT_LEN + 1];
	const char *time = opts->time;
	int n;

	m->o = *opts;
	if (m->o.origin == NULL || m->o.origin[0] == 0 ||
	    strlen(m->o.origin) > RUHU_PROVENANCE_ORIGIN_MAX)
		return ruhu_error_set(RUHU_EINVALID, "merge needs the origin (device id) of the changes");
	if (time == NULL) {
		if (ruhu_hlc_format(hlc, m->o.hlc) < 0)
			return ruhu_error_set(RUHU_EINVALID, "merge clock is past the year 9999");
		time = hlc;
	}
	n = snprintf(m->attribution, sizeof(m->attribution), "[%s %s %s] ", m->o.origin,
		     m->o.worker && m->o.worker[0] ? m->o.worker : "-", time);
	if (n < 0 || (size_t)n >= sizeof(m->attribution) || strpbrk(m->attribution, "\n\r"))
		return ruhu_error_set(RUHU_EINVALID, "merge attribution is too long or spans lines");
	m->ntabs = ruhu_schema_type_count(m->schema);
	m->tabs = calloc(m->ntabs ? m->ntabs : 1, sizeof(*m->tabs));
	m->net = calloc(m->ntabs ? m->ntabs : 1, sizeof(*m->net));
	if (m->tabs == NULL || m->net == NULL)
		return ruhu_error_oom();
	m->sorted = 1;
	for (size_t i = 0; i < m->ntabs; i++) {
		struct tab *t = &m->tabs[i];

		t->type = ruhu_schema_type(m->schema, i);
		t->name = ruhu_type_name(t->type);
		t->ncol = ruhu_type_field_count(t->type);
		t->key = ruhu_field_index(ruhu_type_pk(t->type));
	}
	return 0;
}

static struct tab *find_tab(struct merge *m, const char *name)
{
	const ruhu_type *type = ruhu_schema_type_byname(m->schema, name);

	return type ? &m->tabs[ruhu_type_index(type)] : NULL;
}

/* The apply loop: one change at a time, in the changeset's order (a walk
 * callback: the walk has checked the bytes, so decoding is safe). */
static int apply_cb(const ruhu_chg_table *ct, const ruhu_chg_rec *r, void *payload)
{
	struct merge *m = payload;
	struct tab *t = m->cur;
	ruhu_change c;
	const ruhu_cval *k;
	int error;

	if (t == NULL || ct->name != m->cur_name) {
		t = find_tab(m, ct->name);
		if (t == NULL)
			return ruhu_error_set(RUHU_ESCHEMA, "table %s is not a record type", ct->name);
		m->cur = t;
		m->cur_name = ct->name;
	}
	memset(&c, 0, sizeof(c));
	c.table = ct->name;
	c.op = r->op;
	c.ncol = ct->ncol;
	c.pk = ct->pk;
	c.old_values = m->oldv;
	c.new_values = m->newv;
	if (r->old_rec)
		ruhu_chg_decode(m->oldv, r->old_rec, ct->ncol);
	else
		memset(m->oldv, 0, ct->ncol * sizeof(*m->oldv));
	if (r->new_rec)
		ruhu_chg_decode(m->newv, r->new_rec, ct->ncol);
	else
		memset(m->newv, 0, ct->ncol * sizeof(*m->newv));
	k = r->op == SQLITE_INSERT ? &m->newv[t->key] : &m->oldv[t->key];
	ruhu_buf_clear(&m->id);
	if ((error = ruhu_buf_put(&m->id, k->p, k->n)) < 0)
		return error;
	m->clock_loaded = 0;
	m->res->changes++;
	if (r->op == SQLITE_INSERT)
		return merge_insert(m, t, &c);
	if (r->op == SQLITE_UPDATE)
		return merge_update(m, t, &c);
	return merge_delete(m, t, &c);
}

int ruhu_merge_apply(ruhu_merge_result **out, sqlite3 *db, const ruhu_schema *schema,
		     const void *changeset, size_t len, const ruhu_merge_opts *opts)
{
	struct merge m;
	int error, savepoint = 0;

	memset(&m, 0, sizeof(m));
	if (out == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no place for the merge result");
	*out = NULL;
	if (db == NULL || schema == NULL || (changeset == NULL && len > 0) || opts == NULL)
		return ruhu_error_set(RUHU_EINVALID, "merge needs a database, a schema, a changeset "
				      "and options");
	if (opts->version != RUHU_MERGE_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "unknown merge options version %u", opts->version);
	m.db = db;
	m.schema = schema;
	/* syntax, schema, order; then one change per row: implied by a sorted
	 * input, checked whole otherwise */
	if ((error = merge_setup(&m, opts)) < 0 || (error = merge_result_new(&m.res)) < 0 ||
	    (error = ruhu_changeset_walk(changeset, len, precheck_cb, &m)) < 0 ||
	    (!m.sorted && (error = ruhu_changeset_check(changeset, len)) < 0))
		goto done;
	m.merged = calloc(m.maxcol ? m.maxcol : 1, sizeof(*m.merged));
	m.colbuf = calloc(m.maxcol ? m.maxcol : 1, sizeof(*m.colbuf));
	m.oldv = calloc(m.maxcol ? m.maxcol : 1, sizeof(*m.oldv));
	m.newv = calloc(m.maxcol ? m.maxcol : 1, sizeof(*m.newv));
	if (m.merged == NULL || m.colbuf == NULL || m.oldv == NULL || m.newv == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	if (sqlite3_exec(db, "SAVEPOINT ruhu_merge", NULL, NULL, NULL) != SQLITE_OK) {
		error = merge_db_error(db, "cannot start the merge");
		goto done;
	}
	savepoint = 1;
	if ((error = ruhu_prov_open(&m.prov, db)) < 0 ||
	    (error = ruhu_prov_origin_index(&m.oi, m.prov, m.o.origin)) < 0)
		goto done;
	if ((error = ruhu_changeset_walk(changeset, len, apply_cb, &m)) < 0 ||
	    (error = net_finish(&m)) < 0)
		goto done;
done:
	merge_release(&m);
	if (savepoint && error < 0) {
		sqlite3_exec(db, "ROLLBACK TO ruhu_merge", NULL, NULL, NULL);
		sqlite3_exec(db, "RELEASE ruhu_merge", NULL, NULL, NULL);
	} else if (savepoint && sqlite3_exec(db, "RELEASE ruhu_merge", NULL, NULL, NULL) != SQLITE_OK) {
		error = merge_db_error(db, "cannot finish the merge");
		sqlite3_exec(db, "ROLLBACK TO ruhu_merge", NULL, NULL, NULL);
		sqlite3_exec(db, "RELEASE ruhu_merge", NULL, NULL, NULL);
	}
	if (error < 0) {
		ruhu_merge_result_free(m.res);
		return error;
	}
	*out = m.res;
	return 0;
}
