/*
 * changeset_text.c — decoded iteration over a changeset and its readable
 * form, changes.txt (see changeset.h; the text form is frozen in
 * docs/changesets.md).
 *
 * Design notes
 *  1. ruhu_changeset_iter_new() checks the whole changeset and resolves the
 *     column names of every table before the first change is handed out, so
 *     that iteration fails only for lack of memory and a schema mismatch is
 *     reported before a merge has started.
 *  2. Column names come from PRAGMA table_info of the `main` schema (cid
 *     order, which is the changeset's column order); a table that has more
 *     columns in the changeset than in the database is a changeset from a
 *     newer schema and is refused (RUHU_ESCHEMA).  Fewer is fine: a column
 *     added later is appended at the end.
 *  3. changes.txt, one line per field change, "  " between the row and the
 *     field:
 *        <table> <key>  inserted
 *        <table> <key>  + <column>: <value>        (each non-NULL non-key column)
 *        <table> <key>  <column>: <old> → <new>    (each column an UPDATE changed)
 *        <table> <key>  deleted
 *        <table> <key>  - <column>: <value>        (each non-NULL non-key column)
 *     Values: integers in decimal; reals in the fewest significant digits
 *     that read back to the same double, without an exponent from 1e-7 to
 *     1e21, always with a '.' or an exponent (Inf and -Inf); texts in double
 *     quotes; NULL as the bare word NULL; blobs as
 *     `<N bytes>`.  The key is its column values joined by '/', texts without
 *     quotes, blobs as x'hex'.  Inside texts, keys and names, a backslash, a
 *     quote (texts only), control characters (C0, DEL, C1), line separators
 *     and bytes that are not UTF-8 are escaped (\\ \" \n \r \t, else \xNN
 *     per byte); keys and names also escape ' ' and '/' so that a line
 *     splits back into its parts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "core/meta.h"

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

enum esc { ESC_QUOTED, ESC_BARE };

static int put_escaped(ruhu_buf *out, const unsigned char *p, size_t n, enum esc mode)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	int error;

	if ((error = ruhu_buf_grow(out, n + 2)) < 0)
		return error;
	while (i < n) {
		unsigned char c = p[i];
		size_t len = utf8_seq(p + i, n - i);
		int bad = len == 0 || c < 0x20 || c == 0x7f ||
			  (len == 2 && c == 0xc2 && p[i + 1] < 0xa0) ||
			  (len == 3 && c == 0xe2 && p[i + 1] == 0x80 &&
			   (p[i + 2] == 0xa8 || p[i + 2] == 0xa9));
		char esc[4] = { '\\', 0, 0, 0 };

		if (!bad && c != '\\' && !(c == '"' && mode == ESC_QUOTED) &&
		    !((c == ' ' || c == '/') && mode == ESC_BARE)) {
			if ((error = ruhu_buf_put(out, p + i, len)) < 0)
				return error;
			i += len;
			continue;
		}
		if (len == 0)
			len = 1;
		for (size_t j = 0; j < len; j++) {
			c = p[i + j];
			if (c == '\\' || c == '"')
				esc[1] = (char)c;
			else if (c == '\n')
				esc[1] = 'n';
			else if (c == '\r')
				esc[1] = 'r';
			else if (c == '\t')
				esc[1] = 't';
			else
				esc[1] = 0;
			if (esc[1])
				error = ruhu_buf_put(out, esc, 2);
			else
				error = ruhu_buf_printf(out, "\\x%c%c", hex[c >> 4], hex[c & 15]);
			if (error < 0)
				return error;
		}
		i += len;
	}
	return 0;
}

static int put_real(ruhu_buf *out, double r)
{
	char tmp[40];
	int prec;
	long exp;

	if (isnan(r))
		return ruhu_buf_puts(out, "NaN");
	if (isinf(r))
		return ruhu_buf_puts(out, r > 0 ? "Inf" : "-Inf");
	/* the fewest significant digits that read back to r ... */
	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, r);
		for (char *c = tmp; *c; c++)
			if (*c == ',')
				*c = '.';
		if (strtod(tmp, NULL) == r)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, r);
	exp = strtol(strchr(tmp, 'e') + 1, NULL, 10);
	/* ... shown without an exponent when it is small (as JavaScript does) */
	if (exp >= -7 && exp < 21)
		snprintf(tmp, sizeof(tmp), "%.*f", prec - 1 - exp > 0 ? (int)(prec - 1 - exp) : 0, r);
	for (char *c = tmp; *c; c++)
		if (*c == ',')
			*c = '.';
	if (strcspn(tmp, ".eEn") == strlen(tmp) && strlen(tmp) + 2 < sizeof(tmp))
		memcpy(tmp + strlen(tmp), ".0", 3);
	return ruhu_buf_puts(out, tmp);
}

int ruhu_cval_text(ruhu_buf *out, const ruhu_cval *v)
{
	int error;

	switch (v->type) {
	case SQLITE_INTEGER:
		return ruhu_buf_printf(out, "%lld", (long long)v->i);
	case SQLITE_FLOAT:
		return put_real(out, v->r);
	case SQLITE_TEXT:
		if ((error = ruhu_buf_putc(out, '"')) < 0 ||
		    (error = put_escaped(out, v->p, v->n, ESC_QUOTED)) < 0)
			return error;
		return ruhu_buf_putc(out, '"');
	case SQLITE_BLOB:
		return ruhu_buf_printf(out, "<%zu %s>", v->n, v->n == 1 ? "byte" : "bytes");
	case SQLITE_NULL:
		return ruhu_buf_puts(out, "NULL");
	default:
		return ruhu_buf_puts(out, "undefined");
	}
}

/* ---- column names (design note 2) ------------------------------------- */

struct names {
	const char *table;              /* borrowed from the changeset */
	size_t ncol;
	const char **name;              /* ncol entries, NULL when unknown */
	char *owned;                    /* names read from the database */
};

struct namer {
	sqlite3 *db;
	ruhu_colname_fn colname;
	void *payload;
	struct names *t;
	size_t n, alloc;
	size_t maxcol;
};

static void namer_free(struct namer *nm)
{
	for (size_t i = 0; i < nm->n; i++) {
		free(nm->t[i].name);
		free(nm->t[i].owned);
	}
	free(nm->t);
}

static const struct names *namer_find(const struct namer *nm, const char *table)
{
	for (size_t i = nm->n; i-- > 0;)
		if (strcmp(nm->t[i].table, table) == 0)
			return &nm->t[i];
	return NULL;
}

/* SQLite's own failure (out of memory, i/o) with its code */
static int columns_error(sqlite3 *db, const char *table)
{
	char what[256];

	snprintf(what, sizeof(what), "read the columns of table %.180s", table);
	return ruhu_sql_error(db, sqlite3_extended_errcode(db), what);
}

static int names_from_db(struct names *tn, sqlite3 *db)
{
	sqlite3_stmt *stmt = NULL;
	ruhu_buf all = RUHU_BUF_INIT;
	size_t *offs = NULL, count = 0;
	int rc, error = 0;

	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1, 'main') ORDER BY cid",
			       -1, &stmt, NULL) != SQLITE_OK) {
		error = columns_error(db, tn->table);
		goto done;
	}
	sqlite3_bind_text(stmt, 1, tn->table, -1, SQLITE_STATIC);
	offs = calloc(tn->ncol, sizeof(*offs));
	if (offs == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (;;) {
		const unsigned char *name;

		rc = sqlite3_step(stmt);
		if (rc != SQLITE_ROW)
			break;
		name = sqlite3_column_text(stmt, 0);
		if (name == NULL && (sqlite3_errcode(db) & 0xff) == SQLITE_NOMEM) {
			error = ruhu_error_oom();
			goto done;
		}
		if (count < tn->ncol) {
			offs[count] = all.size;
			if ((error = ruhu_buf_put(&all, name ? (const char *)name : "",
						  name ? strlen((const char *)name) + 1 : 1)) < 0)
				goto done;
		}
		count++;
	}
	if (rc != SQLITE_DONE) {
		error = columns_error(db, tn->table);
		goto done;
	}
	if (count > 0 && count < tn->ncol) {
		error = ruhu_error_set(RUHU_ESCHEMA,
				       "changeset has %zu columns for table %s, the replica %zu",
				       tn->ncol, tn->table, count);
		goto done;
	}
	if (count > 0) {
		tn->owned = ruhu_buf_detach(&all);
		for (size_t i = 0; i < tn->ncol; i++)
			tn->name[i] = tn->owned + offs[i];
	}
done:
	sqlite3_finalize(stmt);
	ruhu_buf_dispose(&all);
	free(offs);
	return error;
}

/* Make sure the names of table `t` are known (a walk callback). */
static int namer_add(const ruhu_chg_table *t, const ruhu_chg_rec *r, void *payload)
{
	struct namer *nm = payload;
	struct names *tn;
	int error;

	if (t->ncol > nm->maxcol)
		nm->maxcol = t->ncol;
	if (nm->n > 0 && nm->t[nm->n - 1].table == t->name)
		return 0;
	tn = (struct names *)namer_find(nm, t->name);
	if (tn != NULL) {
		if (tn->ncol != t->ncol)
			return ruhu_error_set(RUHU_ECORRUPT,
					      "changeset has two different headers for table %s",
					      t->name);
		return 0;
	}
	if (nm->n == nm->alloc) {
		size_t na = nm->alloc ? nm->alloc * 2 : 8;
		struct names *grown = realloc(nm->t, na * sizeof(*grown));

		if (grown == NULL)
			return ruhu_error_oom();
		nm->t = grown;
		nm->alloc = na;
	}
	tn = &nm->t[nm->n];
	memset(tn, 0, sizeof(*tn));
	tn->table = t->name;
	tn->ncol = t->ncol;
	tn->name = calloc(t->ncol, sizeof(*tn->name));
	if (tn->name == NULL)
		return ruhu_error_oom();
	nm->n++;
	if (nm->db && (error = names_from_db(tn, nm->db)) < 0)
		return error;
	if (tn->owned == NULL && nm->colname)
		for (size_t i = 0; i < t->ncol; i++)
			tn->name[i] = nm->colname(t->name, i, nm->payload);
	return 0;
}

/* ---- iteration --------------------------------------------------------- */

struct ruhu_changeset_iter {
	const unsigned char *p, *end;
	ruhu_chg_table t;
	const struct names *names;
	struct namer nm;
	ruhu_cval *vals;               /* 2 * nm.maxcol */
	ruhu_buf key;
	ruhu_change cur;
};

void ruhu_changeset_iter_free(ruhu_changeset_iter *it)
{
	if (it == NULL)
		return;
	namer_free(&it->nm);
	free(it->vals);
	ruhu_buf_dispose(&it->key);
	free(it);
}

int ruhu_changeset_iter_new(ruhu_changeset_iter **out, const void *data, size_t len,
			    sqlite3 *db, ruhu_colname_fn colname, void *payload)
{
	ruhu_changeset_iter *it;
	int error;

	*out = NULL;
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return ruhu_error_oom();
	it->nm.db = db;
	it->nm.colname = colname;
	it->nm.payload = payload;
	it->p = data;
	it->end = it->p + len;
	if ((error = ruhu_changeset_walk(data, len, namer_add, &it->nm)) < 0)
		goto done;
	if (it->nm.maxcol)
		it->vals = calloc(it->nm.maxcol * 2, sizeof(*it->vals));
	if (it->nm.maxcol && it->vals == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	*out = it;
done:
	if (error < 0)
		ruhu_changeset_iter_free(it);
	return error;
}

/* Append the key of a change (design note 3). */
static int put_key(ruhu_buf *out, const ruhu_cval *vals, const unsigned char *pk, size_t ncol)
{
	int error = 0, first = 1;

	for (size_t i = 0; i < ncol && error == 0; i++) {
		const ruhu_cval *v = &vals[i];

		if (!pk[i])
			continue;
		if (!first && (error = ruhu_buf_putc(out, '/')) < 0)
			break;
		first = 0;
		if (v->type == SQLITE_TEXT)
			error = put_escaped(out, v->p, v->n, ESC_BARE);
		else if (v->type != SQLITE_BLOB)
			error = ruhu_cval_text(out, v);
		else if ((error = ruhu_buf_puts(out, "x'")) == 0 &&
			 (error = ruhu_buf_puthex(out, v->p, v->n)) == 0)
			error = ruhu_buf_putc(out, '\'');
	}
	return error;
}

int ruhu_changeset_iter_next(const ruhu_change **out, ruhu_changeset_iter *it)
{
	ruhu_change *c = &it->cur;
	ruhu_cval *oldv, *newv;
	int error;

	*out = NULL;
	while (it->p < it->end && *it->p == 'T') {
		it->p = ruhu_chg_read_header(&it->t, it->p);
		it->names = namer_find(&it->nm, it->t.name);
	}
	if (it->p >= it->end)
		return 0;
	oldv = it->vals;
	newv = it->vals + it->t.ncol;
	memset(c, 0, sizeof(*c));
	c->table = it->t.name;
	c->ncol = it->t.ncol;
	c->pk = it->t.pk;
	c->op = it->p[0];
	c->indirect = it->p[1];
	it->p += 2;
	memset(it->vals, 0, 2 * it->t.ncol * sizeof(*it->vals));
	if (c->op != SQLITE_INSERT) {
		ruhu_chg_decode(oldv, it->p, c->ncol);
		it->p = ruhu_chg_skip_record(it->p, c->ncol);
	}
	if (c->op != SQLITE_DELETE) {
		ruhu_chg_decode(newv, it->p, c->ncol);
		it->p = ruhu_chg_skip_record(it->p, c->ncol);
	}
	c->old_values = oldv;
	c->new_values = newv;
	c->columns = it->names ? it->names->name : NULL;
	ruhu_buf_clear(&it->key);
	if ((error = put_key(&it->key, c->op == SQLITE_INSERT ? newv : oldv, c->pk, c->ncol)) < 0)
		return error;
	c->key = it->key.ptr ? it->key.ptr : "";
	*out = c;
	return 1;
}

/* ---- changes.txt (design note 3) --------------------------------------- */

static int put_column(ruhu_buf *out, const ruhu_change *c, size_t col)
{
	const char *name = c->columns ? c->columns[col] : NULL;

	if (name == NULL)
		return ruhu_buf_printf(out, "#%zu", col);
	return put_escaped(out, (const unsigned char *)name, strlen(name), ESC_BARE);
}

static int put_prefix(ruhu_buf *out, const ruhu_change *c)
{
	int error;

	if ((error = put_escaped(out, (const unsigned char *)c->table, strlen(c->table),
				 ESC_BARE)) < 0 ||
	    (error = ruhu_buf_putc(out, ' ')) < 0 ||
	    (error = ruhu_buf_puts(out, c->key)) < 0)
		return error;
	return ruhu_buf_puts(out, "  ");
}

static int put_change(ruhu_buf *out, const ruhu_change *c)
{
	const ruhu_cval *row = c->op == SQLITE_INSERT ? c->new_values : c->old_values;
	int error = 0;

	if (c->op != SQLITE_UPDATE &&
	    ((error = put_prefix(out, c)) < 0 ||
	     (error = ruhu_buf_puts(out, c->op == SQLITE_INSERT ? "inserted\n" : "deleted\n")) < 0))
		return error;
	for (size_t i = 0; i < c->ncol; i++) {
		if (!ruhu_change_changed(c, i) || c->pk[i])
			continue;
		if (c->op != SQLITE_UPDATE && row[i].type == SQLITE_NULL)
			continue;
		if ((error = put_prefix(out, c)) < 0)
			return error;
		if (c->op != SQLITE_UPDATE &&
		    (error = ruhu_buf_puts(out, c->op == SQLITE_INSERT ? "+ " : "- ")) < 0)
			return error;
		if ((error = put_column(out, c, i)) < 0 ||
		    (error = ruhu_buf_puts(out, ": ")) < 0 ||
		    (error = ruhu_cval_text(out, &row[i])) < 0)
			return error;
		if (c->op == SQLITE_UPDATE &&
		    ((error = ruhu_buf_puts(out, " \xe2\x86\x92 ")) < 0 ||
		     (error = ruhu_cval_text(out, &c->new_values[i])) < 0))
			return error;
		if ((error = ruhu_buf_putc(out, '\n')) < 0)
			return error;
	}
	return 0;
}

int ruhu_changeset_text(ruhu_buf *out, const void *data, size_t len,
			sqlite3 *db, ruhu_colname_fn colname, void *payload)
{
	ruhu_changeset_iter *it = NULL;
	const ruhu_change *c;
	size_t start = out->size;
	int error;

	if ((error = ruhu_changeset_iter_new(&it, data, len, db, colname, payload)) < 0)
		goto done;
	while ((error = ruhu_changeset_iter_next(&c, it)) > 0)
		if ((error = put_change(out, c)) < 0)
			goto done;
done:
	if (error < 0)
		ruhu_buf_truncate(out, start);
	ruhu_changeset_iter_free(it);
	return error;
}
