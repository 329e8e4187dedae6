/*
 * merge.c — the merge rule engine's driver (merge.h): options, the checks
 * before anything is written, the savepoint and the capture session, the
 * apply loop, and the statements cached per table.
 *
 * Design notes
 *  1. Order of work in ruhu_merge_apply():
 *       check the changeset whole (ruhu_changeset_check: syntax, one change
 *       per row) → check every table header against the schema and collect
 *       the ids the changeset inserts (walk) → SAVEPOINT ruhu_merge → attach
 *       the session (schema order) → apply loop (merge_row.c) → take and
 *       canonicalise the net changeset → RELEASE.
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

#define MAX_UPD 64

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

/* ---- statements ---------------------------------------------------------- */

static int prepare(sqlite3_stmt **out, struct merge *m, const char *what)
{
	if (sqlite3_prepare_v3(m->db, m->sql.ptr, (int)m->sql.size, SQLITE_PREPARE_PERSISTENT, out,
			       NULL) != SQLITE_OK)
		return merge_db_error(m->db, what);
	return 0;
}

static int put_columns(ruhu_buf *sql, struct tab *t, const char *sep)
{
	int error = 0;

	for (size_t i = 0; i < t->ncol && error >= 0; i++)
		error = ruhu_buf_printf(sql, "%s\"%s\"", i ? sep : "",
					ruhu_field_name(ruhu_type_field(t->type, i)));
	return error;
}

int merge_tab_sel(struct merge *m, struct tab *t)
{
	int error;

	if (t->sel)
		return 0;
	ruhu_buf_clear(&m->sql);
	if ((error = ruhu_buf_puts(&m->sql, "SELECT ")) < 0 || (error = put_columns(&m->sql, t, ", ")) < 0 ||
	    (error = ruhu_buf_printf(&m->sql, " FROM \"%s\" WHERE \"%s\" = ?1", t->name,
				     ruhu_field_name(ruhu_type_pk(t->type)))) < 0)
		return error;
	return prepare(&t->sel, m, "cannot read a record table");
}

int merge_insert_stmt(sqlite3_stmt **out, struct merge *m, struct tab *t)
{
	int error;

	if (t->ins == NULL) {
		ruhu_buf_clear(&m->sql);
		if ((error = ruhu_buf_printf(&m->sql, "INSERT INTO \"%s\" (", t->name)) < 0 ||
		    (error = put_columns(&m->sql, t, ", ")) < 0 || (error = ruhu_buf_puts(&m->sql, ") VALUES (")) < 0)
			return error;
		for (size_t i = 0; i < t->ncol; i++)
			if ((error = ruhu_buf_printf(&m->sql, "%s?%zu", i ? ", " : "", i + 1)) < 0)
				return error;
		if ((error = ruhu_buf_putc(&m->sql, ')')) < 0 ||
		    (error = prepare(&t->ins, m, "cannot prepare an insert")) < 0)
			return error;
	}
	*out = t->ins;
	return 0;
}

int merge_delete_stmt(sqlite3_stmt **out, struct merge *m, struct tab *t)
{
	int error;

	if (t->del == NULL) {
		ruhu_buf_clear(&m->sql);
		if ((error = ruhu_buf_printf(&m->sql, "DELETE FROM \"%s\" WHERE \"%s\" = ?1", t->name,
					     ruhu_field_name(ruhu_type_pk(t->type)))) < 0 ||
		    (error = prepare(&t->del, m, "cannot prepare a delete")) < 0)
			return error;
	}
	*out = t->del;
	return 0;
}

/* UPDATE of the columns whose flag is set in `set` (ncol flags); the
 * parameters are ?1 = id, ?(i+2) = column i. */
int merge_update_stmt(sqlite3_stmt **out, struct merge *m, struct tab *t, const unsigned char *set)
{
	uint64_t mask = 0;
	sqlite3_stmt *st = NULL;
	int error, first = 1;

	*out = NULL;
	for (size_t i = 0; i < t->ncol && i < 64; i++)
		if (set[i])
			mask |= UINT64_C(1) << i;
	for (size_t i = 0; t->ncol <= 64 && i < t->nupd; i++)
		if (t->upd[i].mask == mask) {
			*out = t->upd[i].st;
			return 0;
		}
	ruhu_buf_clear(&m->sql);
	if ((error = ruhu_buf_printf(&m->sql, "UPDATE \"%s\" SET ", t->name)) < 0)
		return error;
	for (size_t i = 0; i < t->ncol; i++) {
		if (!set[i])
			continue;
		if ((error = ruhu_buf_printf(&m->sql, "%s\"%s\" = ?%zu", first ? "" : ", ",
					     ruhu_field_name(ruhu_type_field(t->type, i)), i + 2)) < 0)
			return error;
		first = 0;
	}
	if ((error = ruhu_buf_printf(&m->sql, " WHERE \"%s\" = ?1",
				     ruhu_field_name(ruhu_type_pk(t->type)))) < 0 ||
	    (error = prepare(&st, m, "cannot prepare an update")) < 0)
		return error;
	if (t->ncol > 64 || t->nupd == MAX_UPD) {
		/* not cached: kept in the last slot of an over-full table until
		 * the next uncached statement replaces it */
		if (t->nupd == t->aupd) {
			struct upd *u = realloc(t->upd, (t->aupd + 1) * sizeof(*u));

			if (u == NULL) {
				sqlite3_finalize(st);
				return ruhu_error_oom();
			}
			t->upd = u;
			t->aupd++;
			t->upd[t->nupd].st = NULL;
		}
		sqlite3_finalize(t->upd[t->nupd].st);
		t->upd[t->nupd].st = st;
		t->upd[t->nupd].mask = 0;
		*out = st;
		return 0;
	}
	if (t->nupd == t->aupd) {
		size_t na = t->aupd ? t->aupd * 2 : 4;
		struct upd *u = realloc(t->upd, (na + 1) * sizeof(*u));

		if (u == NULL) {
			sqlite3_finalize(st);
			return ruhu_error_oom();
		}
		t->upd = u;
		t->aupd = na;
		t->upd[t->nupd].st = NULL;
	}
	t->upd[t->nupd].mask = mask;
	t->upd[t->nupd].st = st;
	t->nupd++;
	*out = st;
	return 0;
}

int merge_dup_stmt(sqlite3_stmt **out, struct merge *m, struct tab *t)
{
	const char *pk = ruhu_field_name(ruhu_type_pk(t->type));
	size_t n = ruhu_type_duplicate_count(t->type);
	int error;

	if (t->dup == NULL) {
		ruhu_buf_clear(&m->sql);
		if ((error = ruhu_buf_printf(&m->sql, "SELECT \"%s\" FROM \"%s\" WHERE ", pk, t->name)) < 0)
			return error;
		for (size_t i = 0; i < n; i++)
			if ((error = ruhu_buf_printf(&m->sql, "\"%s\" = ?%zu AND ",
						     ruhu_field_name(ruhu_type_duplicate_field(t->type, i)),
						     i + 2)) < 0)
				return error;
		if ((error = ruhu_buf_printf(&m->sql, "\"%s\" <> ?1 ORDER BY \"%s\" LIMIT 16", pk, pk)) < 0 ||
		    (error = prepare(&t->dup, m, "cannot prepare the duplicate lookup")) < 0)
			return error;
	}
	*out = t->dup;
	return 0;
}

/* Run a one-row query on `id`: *out = 1 when it returns a row. */
static int exists_query(int *out, struct merge *m, sqlite3_stmt *st, const char *id)
{
	int rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return merge_db_error(m->db, "cannot look a record up");
	return 0;
}

int merge_record_exists(int *out, struct merge *m, struct tab *t, const char *id)
{
	int error;

	if (t->exists == NULL) {
		ruhu_buf_clear(&m->sql);
		if ((error = ruhu_buf_printf(&m->sql, "SELECT 1 FROM \"%s\" WHERE \"%s\" = ?1", t->name,
					     ruhu_field_name(ruhu_type_pk(t->type)))) < 0 ||
		    (error = prepare(&t->exists, m, "cannot look a record up")) < 0)
			return error;
	}
	return exists_query(out, m, t->exists, id);
}

int merge_row_frozen(int *out, struct merge *m, struct tab *t, const char *id)
{
	int error;

	*out = ruhu_type_mutability(t->type) == RUHU_IMMUTABLE;
	if (ruhu_type_mutability(t->type) != RUHU_IMMUTABLE_AFTER)
		return 0;
	if (t->frozen == NULL) {
		ruhu_buf_clear(&m->sql);
		if ((error = ruhu_buf_printf(&m->sql, "SELECT 1 FROM \"%s\" WHERE \"%s\" = ?1 AND (%s)",
					     t->name, ruhu_field_name(ruhu_type_pk(t->type)),
					     ruhu_type_immutable_after(t->type))) < 0 ||
		    (error = prepare(&t->frozen, m, "cannot evaluate immutable_after")) < 0)
			return error;
	}
	return exists_query(out, m, t->frozen, id);
}

int row_copy(struct row *r, const ruhu_cval *v, size_t n)
{
	size_t off = 0;
	int error;

	if (n > r->n) {
		ruhu_cval *nv = realloc(r->v, n * sizeof(*nv));

		if (nv == NULL)
			return ruhu_error_oom();
		r->v = nv;
		r->n = n;
	}
	ruhu_buf_clear(&r->bytes);
	for (size_t i = 0; i < n; i++)
		if ((v[i].type == SQLITE_TEXT || v[i].type == SQLITE_BLOB) &&
		    (error = ruhu_buf_put(&r->bytes, v[i].p, v[i].n)) < 0)
			return error;
	for (size_t i = 0; i < n; i++) {
		r->v[i] = v[i];
		if (v[i].type == SQLITE_TEXT || v[i].type == SQLITE_BLOB) {
			r->v[i].p = (const unsigned char *)r->bytes.ptr + off;
			off += v[i].n;
		}
	}
	return 0;
}

int merge_read_row(int *found, struct merge *m, struct tab *t, const char *id)
{
	ruhu_cval vals[64], *v = vals;
	int rc, error = 0;

	*found = 0;
	if ((error = merge_tab_sel(m, t)) < 0)
		return error;
	if (t->ncol > 64 && (v = calloc(t->ncol, sizeof(*v))) == NULL)
		return ruhu_error_oom();
	sqlite3_bind_text(t->sel, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(t->sel);
	if (rc == SQLITE_ROW) {
		*found = 1;
		for (size_t i = 0; i < t->ncol; i++)
			ruhu_cval_from_column(&v[i], t->sel, (int)i);
		error = row_copy(&m->hub, v, t->ncol);
	} else if (rc != SQLITE_DONE) {
		error = merge_db_error(m->db, "cannot read a record");
	}
	sqlite3_reset(t->sel);
	if (v != vals)
		free(v);
	return error;
}

/* ---- ids inserted by the changeset --------------------------------------- */

static uint64_t hash_key(const char *type, const char *id, size_t idlen)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *p = type; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (size_t i = 0; i < idlen; i++)
		h = (h ^ (unsigned char)id[i]) * 1099511628211ULL;
	return h;
}

static int slot_match(const char *slot, const char *type, const char *id, size_t idlen)
{
	size_t tl = strlen(type);

	return strcmp(slot, type) == 0 && strlen(slot + tl + 1) == idlen &&
	       memcmp(slot + tl + 1, id, idlen) == 0;
}

int idset_has(const struct idset *s, const char *type, const char *id, size_t idlen)
{
	if (s->cap == 0)
		return 0;
	for (size_t i = hash_key(type, id, idlen) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->slot[i] == NULL)
			return 0;
		if (slot_match(s->slot[i], type, id, idlen))
			return 1;
	}
}

static int idset_add(struct idset *s, const char *type, const char *id, size_t idlen)
{
	size_t tl = strlen(type);
	char *e;

	if (idset_has(s, type, id, idlen))
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		char **ns = calloc(nc, sizeof(*ns));

		if (ns == NULL)
			return ruhu_error_oom();
		for (size_t i = 0; i < s->cap; i++) {
			const char *q = s->slot[i];
			size_t j;

			if (q == NULL)
				continue;
			j = hash_key(q, q + strlen(q) + 1, strlen(q + strlen(q) + 1)) & (nc - 1);
			while (ns[j])
				j = (j + 1) & (nc - 1);
			ns[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = ns;
		s->cap = nc;
	}
	e = malloc(tl + idlen + 2);
	if (e == NULL)
		return ruhu_error_oom();
	memcpy(e, type, tl + 1);
	memcpy(e + tl + 1, id, idlen);
	e[tl + 1 + idlen] = 0;
	{
		size_t i = hash_key(type, id, idlen) & (s->cap - 1);

		while (s->slot[i])
			i = (i + 1) & (s->cap - 1);
		s->slot[i] = e;
	}
	s->n++;
	return 0;
}

static void idset_free(struct idset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
}

/* ---- the checks before writing (design note 1) --------------------------- */

static int precheck_cb(const ruhu_chg_table *t, const ruhu_chg_rec *r, void *payload)
{
	struct merge *m = payload;
	const ruhu_type *type = ruhu_schema_type_byname(m->schema, t->name);
	size_t key;
	ruhu_cval k;
	const unsigned char *rec;

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
	if (r->op == SQLITE_INSERT)
		return idset_add(&m->inserted, t->name, (const char *)k.p, k.n);
	return 0;
}

/* ---- the driver ---------------------------------------------------------- */

static void merge_release(struct merge *m)
{
	for (size_t i = 0; i < m->ntabs; i++) {
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
	free(m->tabs);
	ruhu_prov_close(m->prov);
	ruhu_prov_clock_dispose(&m->clock);
	idset_free(&m->inserted);
	free(m->hub.v);
	ruhu_buf_dispose(&m->hub.bytes);
	free(m->merged);
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
	if (m->tabs == NULL)
		return ruhu_error_oom();
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

/* The apply loop: one change at a time, in the changeset's order. */
static int apply_all(struct merge *m, const void *data, size_t len)
{
	ruhu_changeset_iter *it = NULL;
	const ruhu_change *c;
	struct tab *t = NULL;
	const char *last = NULL;
	int rc, error;

	if ((error = ruhu_changeset_iter_new(&it, data, len, NULL, NULL, NULL)) < 0)
		return error;
	while ((rc = ruhu_changeset_iter_next(&c, it)) > 0) {
		const ruhu_cval *k;

		if (c->table != last) {
			t = find_tab(m, c->table);
			last = c->table;
		}
		if (t == NULL) {
			error = ruhu_error_set(RUHU_ESCHEMA, "table %s is not a record type", c->table);
			goto done;
		}
		k = c->op == SQLITE_INSERT ? &c->new_values[t->key] : &c->old_values[t->key];
		ruhu_buf_clear(&m->id);
		if ((error = ruhu_buf_put(&m->id, k->p, k->n)) < 0)
			goto done;
		m->clock_loaded = 0;
		m->res->changes++;
		if (c->op == SQLITE_INSERT)
			error = merge_insert(m, t, c);
		else if (c->op == SQLITE_UPDATE)
			error = merge_update(m, t, c);
		else
			error = merge_delete(m, t, c);
		if (error < 0)
			goto done;
	}
	error = rc;
done:
	ruhu_changeset_iter_free(it);
	return error;
}

static int take_net(struct merge *m, sqlite3_session *session)
{
	const char **names = NULL;
	void *cs = NULL;
	int n = 0, rc, error = 0;

	rc = sqlite3session_changeset(session, &n, &cs);
	if (rc != SQLITE_OK) {
		error = rc == SQLITE_NOMEM ? ruhu_error_oom() :
			ruhu_error_set(RUHU_ERROR, "cannot take the merge's changeset: %s",
				       sqlite3_errstr(rc));
		goto done;
	}
	if (n == 0)
		goto done;
	names = calloc(m->ntabs ? m->ntabs : 1, sizeof(*names));
	if (names == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t i = 0; i < m->ntabs; i++)
		names[i] = m->tabs[i].name;
	error = ruhu_changeset_canonicalize(&m->res->net, cs, (size_t)n, names, m->ntabs);
done:
	sqlite3_free(cs);
	free(names);
	return error;
}

int ruhu_merge_apply(ruhu_merge_result **out, sqlite3 *db, const ruhu_schema *schema,
		     const void *changeset, size_t len, const ruhu_merge_opts *opts)
{
	struct merge m;
	sqlite3_session *session = NULL;
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
	if ((error = merge_setup(&m, opts)) < 0 || (error = merge_result_new(&m.res)) < 0 ||
	    (error = ruhu_changeset_check(changeset, len)) < 0 ||
	    (error = ruhu_changeset_walk(changeset, len, precheck_cb, &m)) < 0)
		goto done;
	m.merged = calloc(m.maxcol ? m.maxcol : 1, sizeof(*m.merged));
	m.colbuf = calloc(m.maxcol ? m.maxcol : 1, sizeof(*m.colbuf));
	if (m.merged == NULL || m.colbuf == NULL) {
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
	if (sqlite3session_create(db, "main", &session) != SQLITE_OK) {
		error = merge_db_error(db, "cannot start the merge's capture session");
		goto done;
	}
	if ((error = ruhu_schema_attach_session(session, schema)) < 0 ||
	    (error = apply_all(&m, changeset, len)) < 0 || (error = take_net(&m, session)) < 0)
		goto done;
done:
	sqlite3session_delete(session);
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
