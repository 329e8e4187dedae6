/*
 * tokens.c — token sets, the values of `union` fields: union, add, member.
 *
 * Design notes
 *  1. Encoding (ruhu/schema.h): tokens of [A-Za-z0-9_.-], distinct, sorted
 *     bytewise (a token sorts before every longer token it begins), joined
 *     with ','; the empty set is NULL.  One set has exactly one encoding, so
 *     equal sets are equal strings and the union is a plain sorted merge.
 *  2. Inputs are checked with check_tokens before use; the output is always
 *     a well-formed set.
 */
#include <string.h>

#include "schema/schema_int.h"

static int cmp_token(const char *a, size_t an, const char *b, size_t bn)
{
	size_t min = an < bn ? an : bn;
	int c = memcmp(a, b, min);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

static size_t token_len(const char *s)
{
	const char *comma = strchr(s, ',');

	return comma ? (size_t)(comma - s) : strlen(s);
}

static int valid(const char *set, const char *what)
{
	char why[WHY_SIZE];

	if (set && check_tokens(set, strlen(set), what, NULL, why, sizeof(why)) < 0)
		return ruhu_error_set(RUHU_EINVALID, "%s", why);
	return 0;
}

static int put_token(ruhu_buf *out, const char *t, size_t n)
{
	int error;

	if (out->size && (error = ruhu_buf_putc(out, ',')) < 0)
		return error;
	return ruhu_buf_put(out, t, n);
}

int ruhu_tokens_union(ruhu_buf *out, const char *a, const char *b)
{
	int error;

	ruhu_buf_clear(out);
	if ((error = valid(a, "the first set")) < 0 || (error = valid(b, "the second set")) < 0)
		return error;
	while ((a && *a) || (b && *b)) {
		size_t an = a && *a ? token_len(a) : 0, bn = b && *b ? token_len(b) : 0;
		int c = !an ? 1 : !bn ? -1 : cmp_token(a, an, b, bn);

		if ((error = put_token(out, c <= 0 ? a : b, c <= 0 ? an : bn)) < 0)
			return error;
		if (c <= 0)
			a = a[an] ? a + an + 1 : a + an;
		if (c >= 0)
			b = b[bn] ? b + bn + 1 : b + bn;
	}
	return 0;
}

int ruhu_tokens_add(ruhu_buf *out, const char *set, const char *token)
{
	char why[WHY_SIZE];

	if (token == NULL || check_tokens(token, strlen(token), "the token", NULL, why, sizeof(why)) < 0 ||
	    strchr(token, ','))
		return ruhu_error_set(RUHU_EINVALID, "invalid token: expected letters, digits, "
				      "'_', '.' or '-'");
	return ruhu_tokens_union(out, set, token);
}

int ruhu_tokens_has(const char *set, const char *token)
{
	char why[WHY_SIZE];
	size_t tn = token ? strlen(token) : 0;

	if (set == NULL || tn == 0 || check_tokens(set, strlen(set), NULL, NULL, why, sizeof(why)) < 0)
		return 0;
	while (*set) {
		size_t n = token_len(set);

		if (n == tn && !memcmp(set, token, n))
			return 1;
		set += set[n] ? n + 1 : n;
	}
	return 0;
}
