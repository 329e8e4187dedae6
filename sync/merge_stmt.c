/*
 * merge_stmt.c — the statements the merge caches per table (merge.c note
 * 2), reading rows into owned copies, and the set of ids a changeset
 * inserts.
 *
 * Design notes
 *  1. SQL is built from the schema's names, which the schema loader limits
 *     to lowercase identifiers, and quoted; values are always bound.
 *  2. A statement is prepared on first use and finalised by merge.c when
 *     the call ends (SQLITE_PREPARE_PERSISTENT: it is stepped many times).
 *  3. Rows read are copied (struct row) at once and the statement reset, so
 *     no value borrowed from SQLite outlives the next write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/merge_int.h"

#define MAX_UPD 64

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
				     ruhu_field_name(ruhu_type_pk(t->type)))) < 0)
		return error;
	if ((error = prepare(&st, m, "cannot prepare an update")) < 0)
		return error;
	if (t->upd == NULL) {
		t->upd = calloc(MAX_UPD + 1, sizeof(*t->upd));
		if (t->upd == NULL) {
			sqlite3_finalize(st);
			return ruhu_error_oom();
		}
		t->aupd = MAX_UPD + 1;
	}
	if (t->ncol > 64 || t->nupd == MAX_UPD) {
		/* not cached: kept in the spare slot until the next uncached
		 * statement replaces it */
		sqlite3_finalize(t->upd[MAX_UPD].st);
		t->upd[MAX_UPD].st = st;
		*out = st;
		return 0;
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
	return merge_read_into(found, &m->hub, m, t, id);
}

int merge_read_into(int *found, struct row *into, struct merge *m, struct tab *t, const char *id)
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
		error = row_copy(into, v, t->ncol);
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

int idset_add(struct idset *s, const char *type, const char *id, size_t idlen)
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

void idset_free(struct idset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
}

