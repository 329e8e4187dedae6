/*
 * audit_decisions.c — decisions.txt read back, values copied out of
 * changesets, and dates (see audit.h).
 *
 * Design notes
 *  1. decisions.txt (docs/merge.md §6, frozen) is a header line, then one
 *     line per decision of nine TAB-separated columns.  `\N` alone is NULL;
 *     `\\`, `\t`, `\n`, `\r` are unescaped.  The text comes from a signed
 *     commit but is still parsed strictly: a line with another column count
 *     or an unknown escape is RUHU_ECORRUPT naming the line.
 *  2. The unescaped fields live in one buffer, each NUL-terminated; since
 *     an escape is never shorter than what it stands for, the buffer is the
 *     input's size plus one.
 */
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "sync/audit.h"

#define NCOLS 9
static const char header[] = "type\tid\tfield\trule\tbase\thub\tdevice\tresult\tnote";

/* Unescape [s, e) into *w; returns the start, or NULL for `\N`; *bad when
 * an escape is unknown. */
static char *unescape(char **w, const char *s, const char *e, int *bad)
{
	char *start = *w;

	if (e - s == 2 && s[0] == '\\' && s[1] == 'N')
		return NULL;
	for (; s < e; s++) {
		char ch = *s;

		if (ch == '\\') {
			if (++s >= e) {
				*bad = 1;
				break;
			}
			switch (*s) {
			case '\\': ch = '\\'; break;
			case 't': ch = '\t'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			default: *bad = 1; ch = *s; break;
			}
		}
		*(*w)++ = ch;
	}
	*(*w)++ = '\0';
	return start;
}

int audit_decisions_parse(struct audit_decisions *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	char *w;
	size_t lines = 0, line = 0;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if ((out->text = malloc(len + 1)) == NULL ||
	    (out->v = calloc(lines + 1, sizeof(*out->v))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	w = out->text;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
		const char *col[NCOLS + 1];
		size_t ncol = 0;
		char *f[NCOLS];
		int bad = 0;

		line++;
		if (line == 1) {
			if ((size_t)(le - p) != sizeof(header) - 1 || memcmp(p, header, sizeof(header) - 1)) {
				error = ruhu_error_set(RUHU_ECORRUPT, "decisions.txt does not start with its "
						       "header line");
				goto done;
			}
			p = nl ? nl + 1 : end;
			continue;
		}
		col[ncol++] = p;
		for (const char *q = p; q < le; q++)
			if (*q == '\t') {
				if (ncol > NCOLS)
					break;
				col[ncol++] = q + 1;
			}
		if (ncol != NCOLS) {
			error = ruhu_error_set(RUHU_ECORRUPT, "line %zu of decisions.txt has %zu columns, not %d",
					       line, ncol, NCOLS);
			goto done;
		}
		for (size_t k = 0; k < NCOLS; k++) {
			const char *ce = k + 1 < NCOLS ? col[k + 1] - 1 : le;

			f[k] = unescape(&w, col[k], ce, &bad);
		}
		if (bad || f[0] == NULL || f[1] == NULL || f[3] == NULL) {
			error = ruhu_error_set(RUHU_ECORRUPT, "line %zu of decisions.txt is malformed", line);
			goto done;
		}
		out->v[out->n].type = f[0];
		out->v[out->n].id = f[1];
		out->v[out->n].field = f[2];
		out->v[out->n].rule = f[3];
		out->v[out->n].base = f[4];
		out->v[out->n].hub = f[5];
		out->v[out->n].device = f[6];
		out->v[out->n].result = f[7];
		out->v[out->n].note = f[8] ? f[8] : "";
		out->n++;
		p = nl ? nl + 1 : end;
	}
done:
	if (error < 0)
		audit_decisions_release(out);
	return error;
}

void audit_decisions_release(struct audit_decisions *d)
{
	free(d->v);
	free(d->text);
	memset(d, 0, sizeof(*d));
}

int audit_value_from_cval(ruhu_value *out, const void *cv)
{
	const ruhu_cval *v = cv;
	char *p;

	memset(out, 0, sizeof(*out));
	switch (v->type) {
	case SQLITE_INTEGER:
		out->type = RUHU_VALUE_INTEGER;
		out->i = v->i;
		return 0;
	case SQLITE_FLOAT:
		out->type = RUHU_VALUE_REAL;
		out->d = v->r;
		return 0;
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		if ((p = malloc(v->n + 1)) == NULL)
			return ruhu_error_oom();
		if (v->n)
			memcpy(p, v->p, v->n);
		p[v->n] = '\0';
		out->type = v->type == SQLITE_TEXT ? RUHU_VALUE_TEXT : RUHU_VALUE_BLOB;
		out->p = p;
		out->len = v->n;
		return 0;
	default:
		out->type = RUHU_VALUE_NULL;
		return 0;
	}
}

void audit_value_clear(ruhu_value *v)
{
	if (v->type == RUHU_VALUE_TEXT || v->type == RUHU_VALUE_BLOB)
		free((char *)v->p);
	memset(v, 0, sizeof(*v));
}

int audit_value_text(ruhu_buf *out, const ruhu_value *v)
{
	ruhu_cval c;

	memset(&c, 0, sizeof(c));
	switch (v->type) {
	case RUHU_VALUE_INTEGER: c.type = SQLITE_INTEGER; c.i = v->i; break;
	case RUHU_VALUE_REAL: c.type = SQLITE_FLOAT; c.r = v->d; break;
	case RUHU_VALUE_TEXT: c.type = SQLITE_TEXT; c.p = (const unsigned char *)v->p; c.n = v->len; break;
	case RUHU_VALUE_BLOB: c.type = SQLITE_BLOB; c.p = (const unsigned char *)v->p; c.n = v->len; break;
	default: c.type = SQLITE_NULL; break;
	}
	return ruhu_cval_text(out, &c);
}

int64_t audit_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}
