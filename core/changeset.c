/*
 * changeset.c — the strict parser of SQLite changesets, and values as ruhu
 * reads, writes and binds them (see changeset.h; the format is frozen in
 * docs/changesets.md).
 *
 * Design notes
 *  1. The binary format (SQLite's ext/session/sqlite3session.c; frozen for
 *     ruhu in docs/changesets.md):
 *
 *     TABLE HEADER
 *       SIZE     DESCRIPTION
 *       1        0x54 'T' (0x50 'P' is a patchset: refused)
 *       varint   ncol, 1..32767
 *       ncol     primary-key flags: 0 = not in the key, else the column's
 *                1-based position in the key (PRAGMA table_info.pk)
 *       n+1      table name, UTF-8, NUL-terminated, not empty
 *     CHANGE (SQLite writes one or more after each header; none is accepted)
 *       1        op: 0x12 INSERT, 0x17 UPDATE, 0x09 DELETE
 *       1        indirect flag: 0 or 1
 *       record   old.* (UPDATE, DELETE)
 *       record   new.* (INSERT, UPDATE)
 *     RECORD = ncol fields, each a type byte and its payload:
 *       0x00 undefined, 0x05 NULL: nothing
 *       0x01 integer, 0x02 real: 8 bytes big-endian (a real is never NaN)
 *       0x03 text, 0x04 blob: varint length (<= 2^31 - 1), then the bytes
 *     Varints are SQLite's: 1 to 9 bytes, big-endian groups of 7 bits with a
 *     continuation bit, the 9th byte holding 8 bits.
 *
 *  2. The rules a change must follow, beyond the byte layout:
 *       INSERT, DELETE: no undefined field; key fields not NULL.
 *       UPDATE old.*:   key fields defined and not NULL.
 *       UPDATE new.*:   key fields undefined; a non-key field is defined
 *                       exactly when it is defined in old.*; at least one is.
 *  3. check_all() is the only code that reads unchecked bytes; every later
 *     pass (walk callbacks, decoding, copying, changeset_canon.c,
 *     changeset_text.c) runs over bytes it accepted, which is why those
 *     passes have no error paths for malformed input.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"

struct reader {
	const unsigned char *base;
	const unsigned char *p;
	const unsigned char *end;
};

static int corrupt(const struct reader *rd, const char *what)
{
	return ruhu_error_set(RUHU_ECORRUPT, "changeset is corrupt at byte %zu: %s",
			      (size_t)(rd->p - rd->base), what);
}

static int get_varint(uint64_t *out, struct reader *rd)
{
	uint64_t v = 0;

	for (int i = 0; i < 9; i++) {
		unsigned char b;

		if (rd->p >= rd->end)
			return corrupt(rd, "truncated varint");
		b = *rd->p++;
		if (i == 8) {
			v = (v << 8) | b;
			break;
		}
		v = (v << 7) | (b & 0x7f);
		if (!(b & 0x80))
			break;
	}
	*out = v;
	return 0;
}

const unsigned char *ruhu_chg_read_varint(uint64_t *out, const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 9; i++) {
		unsigned char b = *p++;

		if (i == 8) {
			v = (v << 8) | b;
			break;
		}
		v = (v << 7) | (b & 0x7f);
		if (!(b & 0x80))
			break;
	}
	*out = v;
	return p;
}

int ruhu_chg_put_varint(ruhu_buf *out, uint64_t v)
{
	unsigned char tmp[9];
	int n = 0;

	if (v & ((uint64_t)0xff << 56)) {
		tmp[8] = (unsigned char)v;
		v >>= 8;
		for (int i = 7; i >= 0; i--) {
			tmp[i] = (unsigned char)((v & 0x7f) | 0x80);
			v >>= 7;
		}
		return ruhu_buf_put(out, tmp, 9);
	}
	do {
		tmp[8 - n++] = (unsigned char)((v & 0x7f) | 0x80);
		v >>= 7;
	} while (v);
	tmp[8] &= 0x7f;
	return ruhu_buf_put(out, tmp + 9 - n, (size_t)n);
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

/* ---- values ------------------------------------------------------------ */

void ruhu_cval_from_sqlite(ruhu_cval *out, sqlite3_value *v)
{
	memset(out, 0, sizeof(*out));
	out->type = sqlite3_value_type(v);
	switch (out->type) {
	case SQLITE_INTEGER:
		out->i = sqlite3_value_int64(v);
		break;
	case SQLITE_FLOAT:
		out->r = sqlite3_value_double(v);
		break;
	case SQLITE_TEXT:
		out->p = sqlite3_value_text(v);
		out->n = (size_t)sqlite3_value_bytes(v);
		break;
	case SQLITE_BLOB:
		out->p = sqlite3_value_blob(v);
		out->n = (size_t)sqlite3_value_bytes(v);
		break;
	default:
		out->type = SQLITE_NULL;
		break;
	}
}

void ruhu_cval_from_column(ruhu_cval *out, sqlite3_stmt *stmt, int col)
{
	memset(out, 0, sizeof(*out));
	out->type = sqlite3_column_type(stmt, col);
	switch (out->type) {
	case SQLITE_INTEGER:
		out->i = sqlite3_column_int64(stmt, col);
		break;
	case SQLITE_FLOAT:
		out->r = sqlite3_column_double(stmt, col);
		break;
	case SQLITE_TEXT:
		out->p = sqlite3_column_text(stmt, col);
		out->n = (size_t)sqlite3_column_bytes(stmt, col);
		break;
	case SQLITE_BLOB:
		out->p = sqlite3_column_blob(stmt, col);
		out->n = (size_t)sqlite3_column_bytes(stmt, col);
		break;
	default:
		out->type = SQLITE_NULL;
		break;
	}
}

int ruhu_cval_equal(const ruhu_cval *a, const ruhu_cval *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case SQLITE_INTEGER:
		return a->i == b->i;
	case SQLITE_FLOAT:
		return memcmp(&a->r, &b->r, sizeof(double)) == 0;
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
	default:
		return 1;
	}
}

int ruhu_cval_put(ruhu_buf *out, const ruhu_cval *v)
{
	unsigned char b[9];
	uint64_t bits;
	int error;

	b[0] = (unsigned char)v->type;
	switch (v->type) {
	case SQLITE_INTEGER:
		put_be64(b + 1, (uint64_t)v->i);
		return ruhu_buf_put(out, b, 9);
	case SQLITE_FLOAT:
		memcpy(&bits, &v->r, sizeof(bits));
		put_be64(b + 1, bits);
		return ruhu_buf_put(out, b, 9);
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		if ((error = ruhu_buf_put(out, b, 1)) < 0 ||
		    (error = ruhu_chg_put_varint(out, v->n)) < 0)
			return error;
		return ruhu_buf_put(out, v->p, v->n);
	case SQLITE_NULL:
	case RUHU_CVAL_UNDEFINED:
		return ruhu_buf_put(out, b, 1);
	default:
		return ruhu_error_set(RUHU_EINVALID, "value of unknown type %d", v->type);
	}
}

int ruhu_cval_bind(sqlite3_stmt *stmt, int idx, const ruhu_cval *v)
{
	int rc;

	switch (v->type) {
	case SQLITE_INTEGER:
		rc = sqlite3_bind_int64(stmt, idx, v->i);
		break;
	case SQLITE_FLOAT:
		rc = sqlite3_bind_double(stmt, idx, v->r);
		break;
	case SQLITE_TEXT:
		rc = sqlite3_bind_text64(stmt, idx, v->n ? (const char *)v->p : "", v->n,
					 SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case SQLITE_BLOB:
		rc = sqlite3_bind_blob64(stmt, idx, v->n ? v->p : (const void *)"", v->n,
					 SQLITE_TRANSIENT);
		break;
	default:
		rc = sqlite3_bind_null(stmt, idx);
		break;
	}
	if (rc == SQLITE_NOMEM)
		return ruhu_error_oom();
	if (rc != SQLITE_OK)
		return ruhu_error_set(RUHU_ERROR, "cannot bind parameter %d: %s", idx,
				      sqlite3_errstr(rc));
	return 0;
}

const unsigned char *ruhu_chg_skip_field(const unsigned char *p)
{
	uint64_t n;

	switch (*p++) {
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		return p + 8;
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		p = ruhu_chg_read_varint(&n, p);
		return p + n;
	default:
		return p;
	}
}

const unsigned char *ruhu_chg_skip_record(const unsigned char *rec, size_t ncol)
{
	for (size_t i = 0; i < ncol; i++)
		rec = ruhu_chg_skip_field(rec);
	return rec;
}

const unsigned char *ruhu_chg_read_header(ruhu_chg_table *t, const unsigned char *p)
{
	uint64_t ncol;

	p = ruhu_chg_read_varint(&ncol, p + 1);
	t->ncol = (size_t)ncol;
	t->pk = p;
	t->name = (const char *)p + ncol;
	return (const unsigned char *)t->name + strlen(t->name) + 1;
}

void ruhu_chg_decode(ruhu_cval *out, const unsigned char *rec, size_t ncol)
{
	for (size_t i = 0; i < ncol; i++) {
		ruhu_cval *v = &out[i];
		uint64_t n, bits;

		memset(v, 0, sizeof(*v));
		v->type = *rec++;
		switch (v->type) {
		case SQLITE_INTEGER:
			v->i = (int64_t)get_be64(rec);
			rec += 8;
			break;
		case SQLITE_FLOAT:
			bits = get_be64(rec);
			memcpy(&v->r, &bits, sizeof(bits));
			rec += 8;
			break;
		case SQLITE_TEXT:
		case SQLITE_BLOB:
			rec = ruhu_chg_read_varint(&n, rec);
			v->p = rec;
			v->n = (size_t)n;
			rec += n;
			break;
		default:
			break;
		}
	}
}

/* ---- checking (design notes 1-3) -------------------------------------- */

enum rec_kind { REC_WHOLE, REC_UPDATE_OLD, REC_UPDATE_NEW };

/*
 * Check one record.  `types` has room for ncol bytes: REC_UPDATE_OLD fills it
 * with the old field types, REC_UPDATE_NEW compares against them.
 */
static int check_record(struct reader *rd, const ruhu_chg_table *t, enum rec_kind kind,
			unsigned char *types)
{
	size_t changed = 0;
	uint64_t n, bits;
	int error;

	for (size_t i = 0; i < t->ncol; i++) {
		int type, key = t->pk[i] != 0;
		double r;

		if (rd->p >= rd->end)
			return corrupt(rd, "truncated record");
		type = *rd->p++;
		switch (type) {
		case SQLITE_INTEGER:
		case SQLITE_FLOAT:
			if ((size_t)(rd->end - rd->p) < 8)
				return corrupt(rd, "truncated number");
			if (type == SQLITE_FLOAT) {
				bits = get_be64(rd->p);
				memcpy(&r, &bits, sizeof(r));
				if (isnan(r))
					return corrupt(rd, "real value is not a number");
			}
			rd->p += 8;
			break;
		case SQLITE_TEXT:
		case SQLITE_BLOB:
			if ((error = get_varint(&n, rd)) < 0)
				return error;
			if (n > INT32_MAX || n > (uint64_t)(rd->end - rd->p))
				return corrupt(rd, "text or blob longer than the changeset");
			rd->p += n;
			break;
		case SQLITE_NULL:
		case RUHU_CVAL_UNDEFINED:
			break;
		default:
			rd->p--;
			return corrupt(rd, "unknown value type");
		}
		switch (kind) {
		case REC_WHOLE:
			if (type == RUHU_CVAL_UNDEFINED)
				return corrupt(rd, "undefined field in an insert or delete");
			if (key && type == SQLITE_NULL)
				return corrupt(rd, "null primary key");
			break;
		case REC_UPDATE_OLD:
			if (key && (type == RUHU_CVAL_UNDEFINED || type == SQLITE_NULL))
				return corrupt(rd, "update without its primary key");
			types[i] = (unsigned char)type;
			break;
		case REC_UPDATE_NEW:
			if (key && type != RUHU_CVAL_UNDEFINED)
				return corrupt(rd, "update sets a primary-key column");
			if (!key && (type == RUHU_CVAL_UNDEFINED) !=
				    (types[i] == RUHU_CVAL_UNDEFINED))
				return corrupt(rd, "update has an old value without a new one");
			changed += type != RUHU_CVAL_UNDEFINED;
			break;
		}
	}
	if (kind == REC_UPDATE_NEW && changed == 0)
		return corrupt(rd, "update changes no column");
	return 0;
}

static int check_header(struct reader *rd, ruhu_chg_table *t)
{
	const unsigned char *nul;
	uint64_t ncol;
	size_t keys = 0;
	int error;

	if (*rd->p == 'P')
		return corrupt(rd, "a patchset, not a changeset");
	if (*rd->p != 'T')
		return corrupt(rd, "expected a table header");
	rd->p++;
	if ((error = get_varint(&ncol, rd)) < 0)
		return error;
	if (ncol == 0 || ncol > RUHU_CHANGESET_MAX_COLUMNS)
		return corrupt(rd, "bad column count");
	if (ncol > (uint64_t)(rd->end - rd->p))
		return corrupt(rd, "truncated primary-key flags");
	t->ncol = (size_t)ncol;
	t->pk = rd->p;
	for (size_t i = 0; i < t->ncol; i++)
		keys += rd->p[i] != 0;
	if (keys == 0)
		return corrupt(rd, "table without a primary key");
	rd->p += t->ncol;
	nul = memchr(rd->p, 0, (size_t)(rd->end - rd->p));
	if (nul == NULL)
		return corrupt(rd, "unterminated table name");
	if (nul == rd->p)
		return corrupt(rd, "empty table name");
	t->name = (const char *)rd->p;
	rd->p = nul + 1;
	return 0;
}

static int check_change(struct reader *rd, const ruhu_chg_table *t, ruhu_chg_rec *r,
			unsigned char *types)
{
	int error = 0;

	r->start = rd->p;
	r->op = *rd->p++;
	if (r->op != SQLITE_INSERT && r->op != SQLITE_UPDATE && r->op != SQLITE_DELETE) {
		rd->p--;
		return corrupt(rd, "unknown operation");
	}
	if (rd->p >= rd->end)
		return corrupt(rd, "truncated change");
	if (*rd->p > 1)
		return corrupt(rd, "bad indirect flag");
	r->indirect = *rd->p++;
	r->old_rec = r->new_rec = NULL;
	if (r->op == SQLITE_UPDATE) {
		r->old_rec = rd->p;
		if ((error = check_record(rd, t, REC_UPDATE_OLD, types)) < 0)
			return error;
		r->new_rec = rd->p;
		error = check_record(rd, t, REC_UPDATE_NEW, types);
	} else if (r->op == SQLITE_DELETE) {
		r->old_rec = rd->p;
		error = check_record(rd, t, REC_WHOLE, NULL);
	} else {
		r->new_rec = rd->p;
		error = check_record(rd, t, REC_WHOLE, NULL);
	}
	r->end = rd->p;
	return error;
}

/* One pass over the bytes; `cb` (may be NULL) sees each accepted change. */
static int check_all(const void *data, size_t len, ruhu_chg_walk_fn cb, void *payload)
{
	struct reader rd;
	ruhu_chg_table t = { NULL, 0, NULL };
	ruhu_chg_rec r;
	unsigned char *types = NULL;
	size_t types_size = 0;
	int error = 0;

	if (len > RUHU_CHANGESET_MAX_SIZE)
		return ruhu_error_set(RUHU_EINVALID, "changeset of %zu bytes is too large", len);
	rd.base = rd.p = data;
	rd.end = rd.base + len;
	while (rd.p < rd.end) {
		if (*rd.p == 'T' || *rd.p == 'P' || t.name == NULL) {
			if ((error = check_header(&rd, &t)) < 0)
				goto done;
			if (t.ncol > types_size) {
				unsigned char *grown = realloc(types, t.ncol);

				if (grown == NULL) {
					error = ruhu_error_oom();
					goto done;
				}
				types = grown;
				types_size = t.ncol;
			}
			continue;
		}
		if ((error = check_change(&rd, &t, &r, types)) < 0)
			goto done;
		if (cb && (error = cb(&t, &r, payload)) < 0)
			goto done;
	}
done:
	free(types);
	return error;
}

int ruhu_changeset_walk(const void *data, size_t len, ruhu_chg_walk_fn cb, void *payload)
{
	int error;

	if ((error = check_all(data, len, NULL, NULL)) < 0)
		return error;
	return check_all(data, len, cb, payload);
}

static int count_cb(const ruhu_chg_table *t, const ruhu_chg_rec *r, void *payload)
{
	(*(size_t *)payload)++;
	return 0;
}

int ruhu_changeset_count(size_t *out, const void *data, size_t len)
{
	size_t n = 0;
	int error;

	*out = 0;
	if ((error = check_all(data, len, count_cb, &n)) < 0)
		return error;
	*out = n;
	return 0;
}
