/*
 * text.c — the arena and the line scanner shared by the rules and catalogue
 * parsers (see schema_int.h).
 *
 * Design notes
 *  1. The arena hands out zeroed, 16-byte aligned memory from chunks of at
 *     least 16 KiB; a request larger than a chunk gets a chunk of its own.
 *     Every size computation is checked; failure sets "out of memory".
 *  2. The scanner never reads past `end` and never needs the input to be
 *     NUL-terminated; it refuses NUL bytes, invalid UTF-8 (overlongs,
 *     surrogates, beyond U+10FFFF) and over-long lines (schema_int.h, 2).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "schema/schema_int.h"

#define CHUNK_SIZE ((size_t)16384)
#define ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_chunk *c = a->head;
	size_t need;

	if (size > SIZE_MAX - ALIGN - sizeof(struct arena_chunk) - CHUNK_SIZE) {
		ruhu_error_oom();
		return NULL;
	}
	need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need == 0)
		need = ALIGN;
	if (c == NULL || c->cap - c->used < need) {
		size_t cap = need > CHUNK_SIZE ? need : CHUNK_SIZE;

		if ((c = calloc(1, sizeof(*c) + cap)) == NULL) {
			ruhu_error_oom();
			return NULL;
		}
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	c->used += need;
	return c->data + c->used - need;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = arena_alloc(a, n + 1)) == NULL)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c) {
		struct arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	a->head = NULL;
}

int array_grow(void **array, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return ruhu_error_oom();
		n *= 2;
	}
	if (n > SIZE_MAX / elem || (p = realloc(*array, n * elem)) == NULL)
		return ruhu_error_oom();
	*array = p;
	*cap = n;
	return 0;
}

int src_error(const char *name, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return ruhu_error_set(RUHU_ESCHEMA, "%s:%d: %s", name, line, msg);
	return ruhu_error_set(RUHU_ESCHEMA, "%s: %s", name, msg);
}

size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned int cp;
	size_t n;

	if (left == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0) { n = 2; cp = s[0] & 0x1F; }
	else if ((s[0] & 0xF0) == 0xE0) { n = 3; cp = s[0] & 0x0F; }
	else if ((s[0] & 0xF8) == 0xF0) { n = 4; cp = s[0] & 0x07; }
	else return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

void lines_init(struct lines *l, const char *name, const char *data, size_t len)
{
	l->name = name;
	l->p = data;
	l->end = data + len;
	l->lineno = 0;
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		l->p += 3;
}

static int is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

int lines_next(struct lines *l, struct line *out)
{
	while (l->p < l->end) {
		const char *s = l->p, *e;
		const unsigned char *u;
		size_t n;

		e = memchr(s, '\n', (size_t)(l->end - s));
		if (e == NULL)
			e = l->end;
		l->p = e < l->end ? e + 1 : e;
		l->lineno++;
		n = (size_t)(e - s);
		if (n > TEXT_MAX_LINE)
			return src_error(l->name, l->lineno, "line is longer than %d bytes", TEXT_MAX_LINE);
		u = (const unsigned char *)s;
		for (size_t i = 0; i < n;) {
			size_t k;

			if (u[i] == 0)
				return src_error(l->name, l->lineno, "line holds a NUL byte");
			if (u[i] < 0x20 && u[i] != '\t' && !(u[i] == '\r' && i + 1 == n))
				return src_error(l->name, l->lineno, "line holds a control character");
			if ((k = utf8_seq(u + i, n - i)) == 0)
				return src_error(l->name, l->lineno, "line is not valid UTF-8");
			i += k;
		}
		while (n && (is_blank(s[n - 1]) || s[n - 1] == '\r'))
			n--;
		while (n && is_blank(*s)) {
			s++;
			n--;
		}
		if (n == 0 || s[0] == '#')
			continue;
		out->s = s;
		out->n = n;
		out->lineno = l->lineno;
		return 1;
	}
	return 0;
}

void cur_skip_ws(struct cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

int cur_eof(struct cursor *c)
{
	cur_skip_ws(c);
	return c->p >= c->end;
}

int is_word_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
}

size_t cur_word(struct cursor *c, const char **w)
{
	const char *s;

	cur_skip_ws(c);
	s = c->p;
	while (c->p < c->end && is_word_char((unsigned char)*c->p))
		c->p++;
	*w = s;
	return (size_t)(c->p - s);
}

int cur_take(struct cursor *c, char ch)
{
	cur_skip_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return 1;
	}
	return 0;
}

int cur_parens(struct cursor *c, const char **inner, size_t *len)
{
	int depth = 0;
	char quote = 0;

	if (c->p >= c->end || *c->p != '(')
		return -1;
	for (const char *p = c->p; p < c->end; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')' && --depth == 0) {
			*inner = c->p + 1;
			*len = (size_t)(p - c->p - 1);
			c->p = p + 1;
			return 0;
		}
	}
	return -1;
}

int eqn(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !memcmp(s, lit, n);
}

static void trim(const char **s, size_t *n)
{
	while (*n && is_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_blank((*s)[*n - 1]))
		(*n)--;
}

int split_labels(const char *s, size_t n, const char **zh, size_t *zhn,
		 const char **en, size_t *enn)
{
	const char *bar = memchr(s, '|', n);

	if (bar == NULL || memchr(bar + 1, '|', n - (size_t)(bar - s) - 1))
		return -1;
	*zh = s;
	*zhn = (size_t)(bar - s);
	*en = bar + 1;
	*enn = n - (size_t)(bar - s) - 1;
	trim(zh, zhn);
	trim(en, enn);
	return *zhn && *enn ? 0 : -1;
}

int is_identifier(const char *s, size_t n)
{
	if (n == 0 || n > 64 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

void sha256_hex(char out[65], const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char h[crypto_hash_sha256_BYTES];
	/* idempotent and thread-safe; SHA-256 works whatever it answers */
	int ready = sodium_init();

	(void)ready;
	crypto_hash_sha256(h, data, len);
	for (size_t i = 0; i < sizeof(h); i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 15];
	}
	out[64] = '\0';
}

int read_file(ruhu_buf *out, const char *path, size_t max, const char *what)
{
	FILE *f;
	char chunk[8192];
	size_t got;
	int error = 0;

	ruhu_buf_clear(out);
	if (path == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no %s given", what);
	if ((f = fopen(path, "rb")) == NULL) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s", strerror(errno));
		if (msg[0] >= 'A' && msg[0] <= 'Z')
			msg[0] = (char)(msg[0] - 'A' + 'a');
		return ruhu_error_set(errno == ENOENT ? RUHU_ENOTFOUND : RUHU_ERROR,
				      "cannot open %s %s: %s", what, path, msg);
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->size + got > max) {
			error = ruhu_error_set(RUHU_EINVALID, "%s %s is larger than %zu bytes", what, path, max);
			break;
		}
		if ((error = ruhu_buf_put(out, chunk, got)) < 0)
			break;
	}
	if (error == 0 && ferror(f))
		error = ruhu_error_set(RUHU_ERROR, "cannot read %s %s", what, path);
	fclose(f);
	return error;
}
