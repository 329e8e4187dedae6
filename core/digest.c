/*
 * digest.c — the state digest, a multiset hash over replicated rows (see
 * digest.h).
 *
 * Design notes
 *  1. Row encoding (frozen; docs/changesets.md), hashed with BLAKE2b-256
 *     (crypto_generichash_blake2b_salt_personal, no key, no salt, the
 *     16-byte personalisation "ruhu-row-v1" padded with zeros):
 *
 *       SIZE     DESCRIPTION
 *       n        table name, UTF-8, as in the changeset header
 *       1        0x00
 *       varint   ncol, the table's column count (SQLite varint, minimal)
 *       fields   ncol values in table order, each encoded as in a
 *                changeset record: type byte 0x01 integer / 0x02 real
 *                (8 bytes big-endian), 0x03 text / 0x04 blob (minimal
 *                varint length, bytes), 0x05 NULL
 *
 *     The 32-byte hash is read as four little-endian 64-bit lanes; the
 *     digest is the lane-wise sum mod 2^64 over all rows.  Hex form: the
 *     four lanes, each as 8 little-endian bytes, as 64 lowercase digits.
 *  2. A value is hashed with the type SQLite reports: in a STRICT table an
 *     integer column holds integers and a REAL column reals, so the digest
 *     read from the database and the one kept from changesets agree.
 *  3. ruhu_digest_apply_changeset() works on a copy and writes it back only
 *     when the whole changeset went through (digest.h note 3).  It prepares
 *     one statement per table per call and checks the table's columns and key
 *     against the changeset's header before using it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/digest.h"
#include "core/meta.h"

static const unsigned char personal[16] = "ruhu-row-v1";

int ruhu_digest_equal(const ruhu_digest *a, const ruhu_digest *b)
{
	return memcmp(a->lane, b->lane, sizeof(a->lane)) == 0;
}

static int encode_row(ruhu_buf *out, const char *table, const ruhu_cval *vals, size_t ncol)
{
	int error;

	ruhu_buf_clear(out);
	if ((error = ruhu_buf_put(out, table, strlen(table) + 1)) < 0 ||
	    (error = ruhu_chg_put_varint(out, ncol)) < 0)
		return error;
	for (size_t i = 0; i < ncol; i++) {
		if (vals[i].type == RUHU_CVAL_UNDEFINED)
			return ruhu_error_set(RUHU_EINVALID,
					      "row of table %s has no value for column %zu", table, i);
		if ((error = ruhu_cval_put(out, &vals[i])) < 0)
			return error;
	}
	return 0;
}

static void hash_bytes(unsigned char out[32], const ruhu_buf *row)
{
	crypto_generichash_blake2b_salt_personal(out, 32, (const unsigned char *)row->ptr,
						 row->size, NULL, 0, NULL, personal);
}

/* Add (sign 1) or remove (sign -1) an encoded row. */
static void fold(ruhu_digest *d, const unsigned char h[32], int sign)
{
	for (int l = 0; l < 4; l++) {
		uint64_t v = 0;

		for (int b = 7; b >= 0; b--)
			v = (v << 8) | h[l * 8 + b];
		d->lane[l] = sign > 0 ? d->lane[l] + v : d->lane[l] - v;
	}
}

static int fold_row(ruhu_digest *d, ruhu_buf *scratch, const char *table,
		    const ruhu_cval *vals, size_t ncol, int sign)
{
	unsigned char h[32];
	int error;

	if ((error = encode_row(scratch, table, vals, ncol)) < 0)
		return error;
	hash_bytes(h, scratch);
	fold(d, h, sign);
	return 0;
}

int ruhu_digest_row_hash(unsigned char out[32], const char *table,
			 const ruhu_cval *vals, size_t ncol)
{
	ruhu_buf row = RUHU_BUF_INIT;
	int error;

	if ((error = encode_row(&row, table, vals, ncol)) == 0)
		hash_bytes(out, &row);
	ruhu_buf_dispose(&row);
	return error;
}

static int add_or_remove(ruhu_digest *d, const char *table, const ruhu_cval *vals,
			 size_t ncol, int sign)
{
	ruhu_buf row = RUHU_BUF_INIT;
	int error = fold_row(d, &row, table, vals, ncol, sign);

	ruhu_buf_dispose(&row);
	return error;
}

int ruhu_digest_add_row(ruhu_digest *d, const char *table, const ruhu_cval *vals, size_t ncol)
{
	return add_or_remove(d, table, vals, ncol, 1);
}

int ruhu_digest_remove_row(ruhu_digest *d, const char *table, const ruhu_cval *vals, size_t ncol)
{
	return add_or_remove(d, table, vals, ncol, -1);
}

/* Append "name" with embedded quotes doubled. */
static int put_ident(ruhu_buf *out, const char *name)
{
	int error = ruhu_buf_putc(out, '"');

	for (const char *p = name; *p && error == 0; p++)
		error = *p == '"' ? ruhu_buf_puts(out, "\"\"") : ruhu_buf_putc(out, *p);
	return error ? error : ruhu_buf_putc(out, '"');
}

/* SQLite's failure with its code: out of memory, a full disk, read-only */
static int sql_error(sqlite3 *db, const char *what, const char *table)
{
	char w[256];

	snprintf(w, sizeof(w), "%s table %.180s", what, table);
	return ruhu_sql_error(db, sqlite3_extended_errcode(db), w);
}

int ruhu_digest_compute(ruhu_digest *out, sqlite3 *db, const char *const *tables,
			size_t ntables)
{
	ruhu_digest d = RUHU_DIGEST_INIT;
	ruhu_buf sql = RUHU_BUF_INIT, scratch = RUHU_BUF_INIT;
	ruhu_cval *vals = NULL;
	sqlite3_stmt *stmt = NULL;
	int error = 0, rc;

	for (size_t t = 0; t < ntables; t++) {
		int ncol;

		ruhu_buf_clear(&sql);
		if ((error = ruhu_buf_puts(&sql, "SELECT * FROM main.")) < 0 ||
		    (error = put_ident(&sql, tables[t])) < 0)
			goto done;
		if (sqlite3_prepare_v2(db, sql.ptr, -1, &stmt, NULL) != SQLITE_OK) {
			error = sqlite3_errcode(db) == SQLITE_NOMEM ? ruhu_error_oom() :
				ruhu_error_set(RUHU_ESCHEMA, "cannot read table %s for the digest: %s",
					       tables[t], sqlite3_errmsg(db));
			goto done;
		}
		ncol = sqlite3_column_count(stmt);
		free(vals);
		vals = calloc((size_t)ncol + 1, sizeof(*vals));
		if (vals == NULL) {
			error = ruhu_error_oom();
			goto done;
		}
		for (;;) {
			rc = sqlite3_step(stmt);
			if (rc != SQLITE_ROW)
				break;
			for (int c = 0; c < ncol; c++)
				ruhu_cval_from_column(&vals[c], stmt, c);
			if ((error = fold_row(&d, &scratch, tables[t], vals, (size_t)ncol, 1)) < 0)
				goto done;
		}
		if (rc != SQLITE_DONE) {
			error = sql_error(db, "read", tables[t]);
			goto done;
		}
		sqlite3_finalize(stmt);
		stmt = NULL;
	}
	*out = d;
done:
	sqlite3_finalize(stmt);
	free(vals);
	ruhu_buf_dispose(&sql);
	ruhu_buf_dispose(&scratch);
	return error;
}

/* ---- per change (design note 3) --------------------------------------- */

struct table_stmt {
	const char *name;               /* borrowed from the changeset */
	sqlite3_stmt *select;           /* the row by key */
	size_t ncol;
};

struct apply_ctx {
	ruhu_digest d;
	sqlite3 *db;
	ruhu_buf scratch;
	struct table_stmt *t;
	size_t n, alloc;
	ruhu_cval *before, *after;     /* maxcol each */
	size_t maxcol;
};

/* Check the table against the header and prepare the select by key. */
static int prepare_table(struct table_stmt *ts, sqlite3 *db, const ruhu_chg_table *t)
{
	ruhu_buf sql = RUHU_BUF_INIT;
	sqlite3_stmt *info = NULL;
	size_t count = 0, keys = 0;
	int error = 0, rc;

	if (sqlite3_prepare_v2(db, "SELECT name, pk FROM pragma_table_info(?1, 'main') "
			       "ORDER BY cid", -1, &info, NULL) != SQLITE_OK) {
		error = sql_error(db, "read the columns of", t->name);
		goto done;
	}
	sqlite3_bind_text(info, 1, t->name, -1, SQLITE_STATIC);
	if ((error = ruhu_buf_puts(&sql, "SELECT * FROM main.")) < 0 ||
	    (error = put_ident(&sql, t->name)) < 0 ||
	    (error = ruhu_buf_puts(&sql, " WHERE ")) < 0)
		goto done;
	for (;;) {
		const char *name;
		int pk;

		rc = sqlite3_step(info);
		if (rc != SQLITE_ROW)
			break;
		name = (const char *)sqlite3_column_text(info, 0);
		pk = sqlite3_column_int(info, 1);
		if (count < t->ncol && pk != t->pk[count])
			break;
		if (pk) {
			if ((keys && (error = ruhu_buf_puts(&sql, " AND ")) < 0) ||
			    (error = put_ident(&sql, name ? name : "")) < 0 ||
			    (error = ruhu_buf_printf(&sql, " = ?%zu", count + 1)) < 0)
				goto done;
			keys++;
		}
		count++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		error = sql_error(db, "read the columns of", t->name);
		goto done;
	}
	if (rc == SQLITE_ROW || count != t->ncol) {
		error = ruhu_error_set(RUHU_ESCHEMA, "table %s in the replica does not match the "
				       "changeset (%zu columns and its key)", t->name, t->ncol);
		goto done;
	}
	if (sqlite3_prepare_v2(db, sql.ptr, -1, &ts->select, NULL) != SQLITE_OK)
		error = sql_error(db, "read", t->name);
done:
	sqlite3_finalize(info);
	ruhu_buf_dispose(&sql);
	return error;
}

static int find_table(struct table_stmt **out, struct apply_ctx *cx, const ruhu_chg_table *t)
{
	struct table_stmt *ts;
	int error;

	for (size_t i = cx->n; i-- > 0;)
		if (cx->t[i].name == t->name || strcmp(cx->t[i].name, t->name) == 0) {
			*out = &cx->t[i];
			return 0;
		}
	if (cx->n == cx->alloc) {
		size_t na = cx->alloc ? cx->alloc * 2 : 8;
		struct table_stmt *grown = realloc(cx->t, na * sizeof(*grown));

		if (grown == NULL)
			return ruhu_error_oom();
		cx->t = grown;
		cx->alloc = na;
	}
	if (t->ncol > cx->maxcol) {
		ruhu_cval *b = realloc(cx->before, t->ncol * sizeof(*b));

		if (b == NULL)
			return ruhu_error_oom();
		cx->before = b;
		b = realloc(cx->after, t->ncol * sizeof(*b));
		if (b == NULL)
			return ruhu_error_oom();
		cx->after = b;
		cx->maxcol = t->ncol;
	}
	ts = &cx->t[cx->n];
	memset(ts, 0, sizeof(*ts));
	ts->name = t->name;
	ts->ncol = t->ncol;
	if ((error = prepare_table(ts, cx->db, t)) < 0) {
		sqlite3_finalize(ts->select);
		return error;
	}
	cx->n++;
	*out = ts;
	return 0;
}

static int apply_update(struct apply_ctx *cx, struct table_stmt *ts, const ruhu_chg_table *t,
			const ruhu_chg_rec *r)
{
	sqlite3_stmt *st = ts->select;
	ruhu_cval *oldv = cx->before, *newv = cx->after;
	int error = 0, rc;

	ruhu_chg_decode(oldv, r->old_rec, t->ncol);
	for (size_t i = 0; i < t->ncol; i++)
		if (t->pk[i] && (error = ruhu_cval_bind(st, (int)i + 1, &oldv[i])) < 0)
			goto done;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		error = rc == SQLITE_DONE ?
			ruhu_error_set(RUHU_ECONFLICT, "a row of table %s that the changeset "
				       "updates is not in the replica", t->name) :
			sql_error(cx->db, "read", t->name);
		goto done;
	}
	/* the changeset's new values must be what the row holds now */
	ruhu_chg_decode(newv, r->new_rec, t->ncol);
	for (size_t i = 0; i < t->ncol; i++) {
		ruhu_cval now;

		ruhu_cval_from_column(&now, st, (int)i);
		if (newv[i].type != RUHU_CVAL_UNDEFINED && !ruhu_cval_equal(&newv[i], &now)) {
			error = ruhu_error_set(RUHU_ECONFLICT, "a row of table %s does not hold "
					       "the values the changeset gave it", t->name);
			goto done;
		}
		newv[i] = now;
		if (oldv[i].type == RUHU_CVAL_UNDEFINED)
			oldv[i] = now;
	}
	if ((error = fold_row(&cx->d, &cx->scratch, t->name, oldv, t->ncol, -1)) < 0 ||
	    (error = fold_row(&cx->d, &cx->scratch, t->name, newv, t->ncol, 1)) < 0)
		goto done;
done:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return error;
}

static int apply_cb(const ruhu_chg_table *t, const ruhu_chg_rec *r, void *payload)
{
	struct apply_ctx *cx = payload;
	struct table_stmt *ts = NULL;
	int error;

	if ((error = find_table(&ts, cx, t)) < 0)
		return error;
	if (r->op == SQLITE_UPDATE)
		return apply_update(cx, ts, t, r);
	ruhu_chg_decode(cx->before, r->op == SQLITE_INSERT ? r->new_rec : r->old_rec, t->ncol);
	return fold_row(&cx->d, &cx->scratch, t->name, cx->before, t->ncol,
			r->op == SQLITE_INSERT ? 1 : -1);
}

int ruhu_digest_apply_changeset(ruhu_digest *d, sqlite3 *db, const void *data, size_t len)
{
	struct apply_ctx cx;
	int error;

	memset(&cx, 0, sizeof(cx));
	cx.d = *d;
	cx.db = db;
	if ((error = ruhu_changeset_walk(data, len, apply_cb, &cx)) == 0)
		*d = cx.d;
	for (size_t i = 0; i < cx.n; i++)
		sqlite3_finalize(cx.t[i].select);
	free(cx.t);
	free(cx.before);
	free(cx.after);
	ruhu_buf_dispose(&cx.scratch);
	return error;
}

/* ---- text form and _meta ----------------------------------------------- */

void ruhu_digest_hex(char out[RUHU_DIGEST_HEX_LEN + 1], const ruhu_digest *d)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = 0;

	for (int l = 0; l < 4; l++)
		for (int b = 0; b < 8; b++) {
			unsigned char c = (unsigned char)(d->lane[l] >> (8 * b));

			out[k++] = hex[c >> 4];
			out[k++] = hex[c & 15];
		}
	out[k] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int ruhu_digest_parse_hex(ruhu_digest *out, const char *text, size_t len)
{
	ruhu_digest d = RUHU_DIGEST_INIT;

	if (text == NULL || len != RUHU_DIGEST_HEX_LEN)
		return ruhu_error_set(RUHU_EINVALID, "state digest is not 64 hex digits");
	for (size_t k = 0; k < RUHU_DIGEST_HEX_LEN; k += 2) {
		int hi = hexval(text[k]), lo = hexval(text[k + 1]);

		if (hi < 0 || lo < 0)
			return ruhu_error_set(RUHU_EINVALID, "state digest is not 64 hex digits");
		d.lane[k / 16] |= (uint64_t)(hi << 4 | lo) << (8 * ((k % 16) / 2));
	}
	*out = d;
	return 0;
}

int ruhu_digest_load(ruhu_digest *out, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	if (sqlite3_prepare_v2(db, "SELECT value FROM _meta WHERE key = 'digest'", -1, &st,
			       NULL) != SQLITE_OK) {
		error = sql_error(db, "read", "_meta");
		goto done;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		error = ruhu_error_set(RUHU_ENOTFOUND, "no state digest in the replica");
		goto done;
	}
	if (rc != SQLITE_ROW) {
		error = sql_error(db, "read", "_meta");
		goto done;
	}
	if (sqlite3_column_type(st, 0) != SQLITE_TEXT ||
	    ruhu_digest_parse_hex(out, (const char *)sqlite3_column_text(st, 0),
				  (size_t)sqlite3_column_bytes(st, 0)) < 0)
		error = ruhu_error_set(RUHU_ECORRUPT, "the state digest stored in the replica "
				       "is not a digest");
done:
	sqlite3_finalize(st);
	return error;
}

int ruhu_digest_store(sqlite3 *db, const ruhu_digest *d)
{
	char hex[RUHU_DIGEST_HEX_LEN + 1];
	sqlite3_stmt *st = NULL;
	int error = 0;

	ruhu_digest_hex(hex, d);
	if (sqlite3_prepare_v2(db, "INSERT INTO _meta(key, value) VALUES('digest', ?1) "
			       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", -1, &st,
			       NULL) != SQLITE_OK) {
		error = sql_error(db, "write", "_meta");
		goto done;
	}
	sqlite3_bind_text(st, 1, hex, RUHU_DIGEST_HEX_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = sql_error(db, "write", "_meta");
done:
	sqlite3_finalize(st);
	return error;
}
