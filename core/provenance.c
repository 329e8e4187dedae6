/*
 * provenance.c — field clocks and tombstones (provenance.h): the local
 * bookkeeping behind the `lww` rule, `update_wins` and "parent deleted".
 *
 * Design notes
 *  1. Tables (local, never replicated; created by ruhu_provenance_init):
 *       _origin(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE) STRICT
 *       _field_clock(type TEXT, id TEXT, clock BLOB NOT NULL,
 *                    PRIMARY KEY (type, id)) STRICT, WITHOUT ROWID
 *       _tombstone(type TEXT, id TEXT, row BLOB NOT NULL, hlc INTEGER NOT NULL,
 *                  origin TEXT NOT NULL, commit_id TEXT,
 *                  PRIMARY KEY (type, id)) STRICT, WITHOUT ROWID
 *     Origin indexes are local to a replica: two replicas may number the
 *     same device differently; only the ids are compared.
 *  2. The clock blob (frozen: replicas keep it across versions):
 *
 *       OFFSET  SIZE  DESCRIPTION
 *       0       1     format, 1
 *       1       8     insert clock of the record (HLC), big-endian; 0 = none
 *       9       4     its origin index, big-endian; 0 = none
 *       13      14*n  entries, sorted by column, no column twice:
 *                       +0  2  column index (table order), big-endian
 *                       +2  8  HLC of the edit that set the field
 *                       +10 4  origin index of that edit
 *
 *     A field without an entry has the insert clock; n may be 0 (a record
 *     only inserted).  Anything else (length not 13 + 14n, format not 1,
 *     columns not increasing) is RUHU_ECORRUPT.
 *  3. The tombstone row is a one-change changeset: the table header as the
 *     delete's changeset had it and the DELETE with the whole old row, with
 *     the indirect flag cleared; ruhu_changeset_iter_new() reads it.
 */
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "core/provenance.h"

#define CLOCK_FORMAT 1
#define CLOCK_HEAD 13
#define CLOCK_ENTRY 14

static const char tables_sql[] =
	"CREATE TABLE IF NOT EXISTS _origin(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE) STRICT;"
	"CREATE TABLE IF NOT EXISTS _field_clock(type TEXT NOT NULL, id TEXT NOT NULL,"
	" clock BLOB NOT NULL, PRIMARY KEY (type, id)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS _tombstone(type TEXT NOT NULL, id TEXT NOT NULL,"
	" row BLOB NOT NULL, hlc INTEGER NOT NULL, origin TEXT NOT NULL, commit_id TEXT,"
	" PRIMARY KEY (type, id)) STRICT, WITHOUT ROWID;";

enum {
	ST_ORIGIN_GET, ST_ORIGIN_ADD, ST_ORIGIN_NAME, ST_CLOCK_GET, ST_CLOCK_PUT, ST_CLOCK_DEL,
	ST_TOMB_GET, ST_TOMB_PUT, ST_TOMB_DEL, ST_CLOCK_TOUCH, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	"SELECT n FROM _origin WHERE id = ?1",
	"INSERT INTO _origin(id) VALUES (?1)",
	"SELECT id FROM _origin WHERE n = ?1",
	"SELECT clock FROM _field_clock WHERE type = ?1 AND id = ?2",
	"INSERT INTO _field_clock(type, id, clock) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (type, id) DO UPDATE SET clock = excluded.clock",
	"DELETE FROM _field_clock WHERE type = ?1 AND id = ?2",
	"SELECT row, hlc, origin, commit_id FROM _tombstone WHERE type = ?1 AND id = ?2",
	"INSERT OR REPLACE INTO _tombstone(type, id, row, hlc, origin, commit_id)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	"DELETE FROM _tombstone WHERE type = ?1 AND id = ?2",
	"INSERT INTO _field_clock(type, id, clock) VALUES (?1, ?2, ?3)"
	" ON CONFLICT (type, id) DO UPDATE SET clock = ruhu_clock_set(clock, excluded.clock)",
};

struct ruhu_prov {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	ruhu_buf blob;              /* scratch for ruhu_prov_put */
	ruhu_prov_clock touch;      /* scratch for ruhu_prov_touch */
	ruhu_buf name;              /* ruhu_prov_origin_name's answer */
	char last_origin[RUHU_PROVENANCE_ORIGIN_MAX + 1];
	uint32_t last_index;        /* index of last_origin, 0 = none cached */
};

static int db_error(sqlite3 *db, const char *what)
{
	int rc = sqlite3_errcode(db);
	int code = rc == SQLITE_NOMEM ? RUHU_ENOMEM : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ?
		   RUHU_EBUSY : rc == SQLITE_FULL ? RUHU_ENOSPACE : rc == SQLITE_READONLY ?
		   RUHU_EREADONLY : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? RUHU_ECORRUPT : RUHU_ERROR;

	return ruhu_error_set(code, "%s: %s", what, sqlite3_errmsg(db));
}

static void put_be(unsigned char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t get_be(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

int ruhu_provenance_init(sqlite3 *db)
{
	if (db == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no database for the provenance tables");
	if (sqlite3_exec(db, tables_sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, "cannot create the provenance tables");
	return 0;
}

int ruhu_provenance_later(uint64_t hlc_a, const char *origin_a, size_t na,
			  uint64_t hlc_b, const char *origin_b, size_t nb)
{
	int c;

	if (hlc_a != hlc_b)
		return hlc_a > hlc_b;
	c = memcmp(origin_a, origin_b, na < nb ? na : nb);
	if (c == 0)
		return na > nb;
	return c > 0;
}

/* ---- ruhu_clock_set(old, new): old with new's entries set ----------------- */

static int clock_decode(ruhu_prov_clock *c, const unsigned char *b, size_t n, const char *type);
static int clock_encode(ruhu_buf *out, const ruhu_prov_clock *c);

static void clock_set_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	ruhu_prov_clock a = { 0 }, b = { 0 };
	ruhu_buf out = RUHU_BUF_INIT;
	int error = 0;

	if (sqlite3_value_type(argv[0]) == SQLITE_BLOB)
		error = clock_decode(&a, sqlite3_value_blob(argv[0]),
				     (size_t)sqlite3_value_bytes(argv[0]), "changed");
	if (error >= 0)
		error = clock_decode(&b, sqlite3_value_blob(argv[1]),
				     (size_t)sqlite3_value_bytes(argv[1]), "changed");
	for (size_t i = 0; error >= 0 && i < b.n; i++)
		error = ruhu_prov_set_field(&a, b.e[i].col, b.e[i].hlc, b.e[i].origin);
	if (error >= 0)
		error = clock_encode(&out, &a);
	if (error == RUHU_ENOMEM)
		sqlite3_result_error_nomem(ctx);
	else if (error < 0)
		sqlite3_result_error(ctx, ruhu_error_last(), -1);
	else
		sqlite3_result_blob(ctx, out.ptr, (int)out.size, SQLITE_TRANSIENT);
	ruhu_buf_dispose(&out);
	ruhu_prov_clock_dispose(&a);
	ruhu_prov_clock_dispose(&b);
}

/* ---- the cached statements ---------------------------------------------- */

void ruhu_prov_close(ruhu_prov *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(p->st[i]);
	ruhu_buf_dispose(&p->blob);
	ruhu_buf_dispose(&p->name);
	ruhu_prov_clock_dispose(&p->touch);
	free(p);
}

int ruhu_prov_open(ruhu_prov **out, sqlite3 *db)
{
	ruhu_prov *p = calloc(1, sizeof(*p));
	int error = 0, rc;

	*out = NULL;
	if (p == NULL)
		return ruhu_error_oom();
	p->db = db;
	/* registered on every call: SQLITE_BUSY means it is already there and
	 * in use by a running statement of the caller */
	rc = sqlite3_create_function_v2(db, "ruhu_clock_set", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC |
					SQLITE_DIRECTONLY, NULL, clock_set_fn, NULL, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		error = db_error(db, "cannot register the provenance functions");
		goto done;
	}
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &p->st[i],
				       NULL) != SQLITE_OK) {
			error = db_error(db, "cannot read the provenance tables");
			goto done;
		}
	*out = p;
	p = NULL;
done:
	ruhu_prov_close(p);
	return error;
}

/* Step a statement that returns no row, then reset it. */
static int run(ruhu_prov *p, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int error = rc == SQLITE_DONE ? 0 : db_error(p->db, what);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return error;
}

static int check_origin(const char *origin)
{
	size_t n = origin ? strlen(origin) : 0;

	if (n == 0 || n > RUHU_PROVENANCE_ORIGIN_MAX)
		return ruhu_error_set(RUHU_EINVALID, "origin id must be 1 to %d bytes",
				      RUHU_PROVENANCE_ORIGIN_MAX);
	return 0;
}

int ruhu_prov_origin_index(uint32_t *out, ruhu_prov *p, const char *origin)
{
	sqlite3_stmt *st = p->st[ST_ORIGIN_GET];
	int rc, error;

	if ((error = check_origin(origin)) < 0)
		return error;
	if (p->last_index && strcmp(p->last_origin, origin) == 0) {
		*out = p->last_index;
		return 0;
	}
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = (uint32_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE) {
		sqlite3_bind_text(p->st[ST_ORIGIN_ADD], 1, origin, -1, SQLITE_STATIC);
		if ((error = run(p, p->st[ST_ORIGIN_ADD], "cannot record an origin")) < 0)
			return error;
		if (sqlite3_last_insert_rowid(p->db) <= 0 ||
		    sqlite3_last_insert_rowid(p->db) > UINT32_MAX)
			return ruhu_error_set(RUHU_ECORRUPT, "origin table is full");
		*out = (uint32_t)sqlite3_last_insert_rowid(p->db);
	} else if (rc != SQLITE_ROW) {
		return db_error(p->db, "cannot read an origin");
	}
	memcpy(p->last_origin, origin, strlen(origin) + 1);
	p->last_index = *out;
	return 0;
}

int ruhu_prov_origin_name(const char **out, size_t *len, ruhu_prov *p, uint32_t index)
{
	sqlite3_stmt *st = p->st[ST_ORIGIN_NAME];
	int rc, error = 0;

	ruhu_buf_clear(&p->name);
	*out = "";
	*len = 0;
	if (index == 0)
		return 0;
	sqlite3_bind_int64(st, 1, index);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *t = sqlite3_column_text(st, 0);

		if ((error = ruhu_buf_put(&p->name, t ? t : "", (size_t)sqlite3_column_bytes(st, 0))) >= 0) {
			*out = p->name.ptr;
			*len = p->name.size;
		}
	} else if (rc == SQLITE_DONE) {
		error = ruhu_error_set(RUHU_ECORRUPT, "field clock names unknown origin %u", index);
	} else {
		error = db_error(p->db, "cannot read an origin");
	}
	sqlite3_reset(st);
	return error;
}

/* ---- clocks -------------------------------------------------------------- */

void ruhu_prov_clock_dispose(ruhu_prov_clock *c)
{
	free(c->e);
	memset(c, 0, sizeof(*c));
}

static int clock_decode(ruhu_prov_clock *c, const unsigned char *b, size_t n, const char *type)
{
	size_t count;

	if (n < CLOCK_HEAD || (n - CLOCK_HEAD) % CLOCK_ENTRY || b[0] != CLOCK_FORMAT)
		return ruhu_error_set(RUHU_ECORRUPT, "field clock of a %s record is damaged", type);
	count = (n - CLOCK_HEAD) / CLOCK_ENTRY;
	if (count > c->alloc) {
		struct ruhu_prov_entry *e = realloc(c->e, count * sizeof(*e));

		if (e == NULL)
			return ruhu_error_oom();
		c->e = e;
		c->alloc = count;
	}
	c->row_hlc = get_be(b + 1, 8);
	c->row_origin = (uint32_t)get_be(b + 9, 4);
	c->present = 1;
	for (size_t i = 0; i < count; i++) {
		const unsigned char *q = b + CLOCK_HEAD + i * CLOCK_ENTRY;

		c->e[i].col = (uint32_t)get_be(q, 2);
		c->e[i].hlc = get_be(q + 2, 8);
		c->e[i].origin = (uint32_t)get_be(q + 10, 4);
		if (i > 0 && c->e[i].col <= c->e[i - 1].col)
			return ruhu_error_set(RUHU_ECORRUPT, "field clock of a %s record is damaged",
					      type);
	}
	c->n = count;
	return 0;
}

int ruhu_prov_get(ruhu_prov_clock *c, ruhu_prov *p, const char *type, const char *id)
{
	sqlite3_stmt *st = p->st[ST_CLOCK_GET];
	int rc, error = 0;

	c->row_hlc = 0;
	c->row_origin = 0;
	c->n = 0;
	c->present = 0;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		error = clock_decode(c, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
				     type);
	else if (rc != SQLITE_DONE)
		error = db_error(p->db, "cannot read a field clock");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return error;
}

void ruhu_prov_field(uint64_t *hlc, uint32_t *origin, const ruhu_prov_clock *c, uint32_t col)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->e[mid].col == col) {
			*hlc = c->e[mid].hlc;
			*origin = c->e[mid].origin;
			return;
		}
		if (c->e[mid].col < col)
			lo = mid + 1;
		else
			hi = mid;
	}
	*hlc = c->row_hlc;
	*origin = c->row_origin;
}

int ruhu_prov_set_field(ruhu_prov_clock *c, uint32_t col, uint64_t hlc, uint32_t origin)
{
	size_t i = 0;

	if (col > 0xffff)
		return ruhu_error_set(RUHU_EINVALID, "column %u is past the field clock's range", col);
	while (i < c->n && c->e[i].col < col)
		i++;
	if (i < c->n && c->e[i].col == col) {
		c->e[i].hlc = hlc;
		c->e[i].origin = origin;
		return 0;
	}
	if (c->n == c->alloc) {
		size_t na = c->alloc ? c->alloc * 2 : 8;
		struct ruhu_prov_entry *e = realloc(c->e, na * sizeof(*e));

		if (e == NULL)
			return ruhu_error_oom();
		c->e = e;
		c->alloc = na;
	}
	memmove(c->e + i + 1, c->e + i, (c->n - i) * sizeof(*c->e));
	c->e[i].col = col;
	c->e[i].hlc = hlc;
	c->e[i].origin = origin;
	c->n++;
	return 0;
}

static int clock_encode(ruhu_buf *out, const ruhu_prov_clock *c)
{
	unsigned char *b;
	int error;

	ruhu_buf_clear(out);
	if ((error = ruhu_buf_grow(out, CLOCK_HEAD + c->n * CLOCK_ENTRY)) < 0)
		return error;
	b = (unsigned char *)out->ptr;
	b[0] = CLOCK_FORMAT;
	put_be(b + 1, c->row_hlc, 8);
	put_be(b + 9, c->row_origin, 4);
	for (size_t i = 0; i < c->n; i++) {
		unsigned char *q = b + CLOCK_HEAD + i * CLOCK_ENTRY;

		put_be(q, c->e[i].col, 2);
		put_be(q + 2, c->e[i].hlc, 8);
		put_be(q + 10, c->e[i].origin, 4);
	}
	out->size = CLOCK_HEAD + c->n * CLOCK_ENTRY;
	out->ptr[out->size] = 0;
	return 0;
}

static int clock_write(ruhu_prov *p, sqlite3_stmt *st, const char *type, const char *id,
		       const ruhu_prov_clock *c)
{
	int error;

	if ((error = clock_encode(&p->blob, c)) < 0)
		return error;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, p->blob.ptr, (int)p->blob.size, SQLITE_STATIC);
	return run(p, st, "cannot write a field clock");
}

int ruhu_prov_put(ruhu_prov *p, const char *type, const char *id, const ruhu_prov_clock *c)
{
	return clock_write(p, p->st[ST_CLOCK_PUT], type, id, c);
}

int ruhu_prov_touch(ruhu_prov *p, const char *type, const char *id, const unsigned char *set,
		    size_t ncol, uint64_t hlc, uint32_t origin)
{
	int error = 0;

	p->touch.row_hlc = 0;
	p->touch.row_origin = 0;
	p->touch.n = 0;
	for (size_t i = 0; i < ncol && error >= 0; i++)
		if (set[i])
			error = ruhu_prov_set_field(&p->touch, (uint32_t)i, hlc, origin);
	if (error < 0)
		return error;
	return clock_write(p, p->st[ST_CLOCK_TOUCH], type, id, &p->touch);
}

int ruhu_prov_inserted(ruhu_prov *p, const char *type, const char *id, uint64_t hlc,
		       uint32_t origin)
{
	ruhu_prov_clock c = { 0 };
	sqlite3_stmt *del = p->st[ST_TOMB_DEL];
	int error;

	c.row_hlc = hlc;
	c.row_origin = origin;
	c.present = 1;
	if ((error = ruhu_prov_put(p, type, id, &c)) < 0)
		return error;
	sqlite3_bind_text(del, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(del, 2, id, -1, SQLITE_STATIC);
	return run(p, del, "cannot clear a tombstone");
}

int ruhu_prov_deleted(ruhu_prov *p, const char *type, const char *id, const void *row,
		      size_t len, uint64_t hlc, const char *origin, const char *commit)
{
	sqlite3_stmt *del = p->st[ST_CLOCK_DEL], *put = p->st[ST_TOMB_PUT];
	int error;

	if ((error = check_origin(origin)) < 0)
		return error;
	sqlite3_bind_text(del, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(del, 2, id, -1, SQLITE_STATIC);
	if ((error = run(p, del, "cannot remove a field clock")) < 0)
		return error;
	sqlite3_bind_text(put, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(put, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(put, 3, row, len, SQLITE_STATIC);
	sqlite3_bind_int64(put, 4, (sqlite3_int64)hlc);
	sqlite3_bind_text(put, 5, origin, -1, SQLITE_STATIC);
	if (commit)
		sqlite3_bind_text(put, 6, commit, -1, SQLITE_STATIC);
	return run(p, put, "cannot write a tombstone");
}

/* Read a tombstone's columns into the given buffers (any may be NULL). */
static int tomb_read(int *found, ruhu_buf *row, uint64_t *hlc, ruhu_buf *origin, ruhu_buf *commit,
		     ruhu_prov *p, const char *type, const char *id)
{
	sqlite3_stmt *st = p->st[ST_TOMB_GET];
	int rc, error = 0;

	*found = 0;
	sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*found = 1;
		if (row) {
			ruhu_buf_clear(row);
			error = ruhu_buf_put(row, sqlite3_column_blob(st, 0),
					     (size_t)sqlite3_column_bytes(st, 0));
		}
		if (hlc)
			*hlc = (uint64_t)sqlite3_column_int64(st, 1);
		if (error >= 0 && origin) {
			ruhu_buf_clear(origin);
			error = ruhu_buf_put(origin, sqlite3_column_text(st, 2),
					     (size_t)sqlite3_column_bytes(st, 2));
		}
		if (error >= 0 && commit) {
			ruhu_buf_clear(commit);
			if (sqlite3_column_type(st, 3) == SQLITE_TEXT)
				error = ruhu_buf_put(commit, sqlite3_column_text(st, 3),
						     (size_t)sqlite3_column_bytes(st, 3));
		}
	} else if (rc != SQLITE_DONE) {
		error = db_error(p->db, "cannot read a tombstone");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return error;
}

int ruhu_prov_tomb(int *found, ruhu_buf *row, ruhu_prov *p, const char *type, const char *id)
{
	return tomb_read(found, row, NULL, NULL, NULL, p, type, id);
}

/* ---- the public, one-shot functions -------------------------------------- */

int ruhu_provenance_tombstone(ruhu_tombstone *out, sqlite3 *db, const char *type, const char *id)
{
	ruhu_prov *p = NULL;
	int found = 0, error;

	out->hlc = 0;
	ruhu_buf_clear(&out->origin);
	ruhu_buf_clear(&out->commit);
	ruhu_buf_clear(&out->row);
	if ((error = ruhu_prov_open(&p, db)) < 0 ||
	    (error = tomb_read(&found, &out->row, &out->hlc, &out->origin, &out->commit, p, type,
			       id)) < 0)
		goto done;
	if (!found)
		error = ruhu_error_set(RUHU_ENOTFOUND, "no tombstone for %s %s", type, id);
done:
	ruhu_prov_close(p);
	return error;
}

void ruhu_tombstone_dispose(ruhu_tombstone *t)
{
	ruhu_buf_dispose(&t->origin);
	ruhu_buf_dispose(&t->commit);
	ruhu_buf_dispose(&t->row);
	t->hlc = 0;
}

