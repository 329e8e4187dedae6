/*
 * json.c — a small streaming JSON writer for the CLI's --json output.
 *
 * Design notes
 *  1. The writer only appends; nesting deeper than 32 levels is not needed by
 *     any command and is refused at print time.
 *  2. Strings are written as UTF-8 with the characters JSON requires escaped;
 *     bytes that are not valid UTF-8 are replaced by U+FFFD, so the output is
 *     always valid JSON.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void put(struct cli_json *j, const char *s, size_t len)
{
	if (ruhu_buf_put(&j->buf, s, len) < 0)
		j->failed = 1;
}

static void puts_(struct cli_json *j, const char *s)
{
	put(j, s, strlen(s));
}

static void value_prefix(struct cli_json *j)
{
	if (j->depth < 0 || j->depth >= 32) {
		j->failed = 1;
		return;
	}
	if (j->need_comma[j->depth] == 1)
		puts_(j, ",");
	/* 2 marks "after a key": no comma, and the next value clears it */
	j->need_comma[j->depth] = 1;
}

void cli_json_init(struct cli_json *j)
{
	memset(j, 0, sizeof(*j));
}

static void open_(struct cli_json *j, const char *c)
{
	value_prefix(j);
	puts_(j, c);
	if (++j->depth < 32)
		j->need_comma[j->depth] = 0;
	else
		j->failed = 1;
}

static void close_(struct cli_json *j, const char *c)
{
	puts_(j, c);
	if (j->depth > 0)
		j->depth--;
	else
		j->failed = 1;
}

void cli_json_object_begin(struct cli_json *j) { open_(j, "{"); }
void cli_json_object_end(struct cli_json *j) { close_(j, "}"); }
void cli_json_array_begin(struct cli_json *j) { open_(j, "["); }
void cli_json_array_end(struct cli_json *j) { close_(j, "]"); }

static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned int cp;

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

static void string_body(struct cli_json *j, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];

	puts_(j, "\"");
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		size_t n;

		if (c == '"' || c == '\\') {
			esc[0] = '\\'; esc[1] = (char)c;
			put(j, esc, 2);
			i++;
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			puts_(j, esc);
			i++;
		} else if ((n = utf8_len(p + i, len - i)) == 0) {
			puts_(j, "\xEF\xBF\xBD");
			i++;
		} else {
			put(j, s + i, n);
			i += n;
		}
	}
	puts_(j, "\"");
}

void cli_json_key(struct cli_json *j, const char *key)
{
	value_prefix(j);
	string_body(j, key, strlen(key));
	puts_(j, ":");
	j->need_comma[j->depth] = 2;
}

void cli_json_stringn(struct cli_json *j, const char *s, size_t len)
{
	value_prefix(j);
	if (s == NULL)
		puts_(j, "null");
	else
		string_body(j, s, len);
}

void cli_json_string(struct cli_json *j, const char *s)
{
	cli_json_stringn(j, s, s ? strlen(s) : 0);
}

void cli_json_int(struct cli_json *j, long long v)
{
	char tmp[32];

	value_prefix(j);
	snprintf(tmp, sizeof(tmp), "%lld", v);
	puts_(j, tmp);
}

void cli_json_double(struct cli_json *j, double v)
{
	char tmp[64];

	value_prefix(j);
	if (!isfinite(v))
		puts_(j, "null");
	else {
		snprintf(tmp, sizeof(tmp), "%.17g", v);
		puts_(j, tmp);
	}
}

void cli_json_bool(struct cli_json *j, int v)
{
	value_prefix(j);
	puts_(j, v ? "true" : "false");
}

void cli_json_null(struct cli_json *j)
{
	value_prefix(j);
	puts_(j, "null");
}

void cli_json_kv_string(struct cli_json *j, const char *key, const char *s)
{
	cli_json_key(j, key);
	cli_json_string(j, s);
}

void cli_json_kv_int(struct cli_json *j, const char *key, long long v)
{
	cli_json_key(j, key);
	cli_json_int(j, v);
}

void cli_json_kv_bool(struct cli_json *j, const char *key, int v)
{
	cli_json_key(j, key);
	cli_json_bool(j, v);
}

void cli_json_kv_opt(struct cli_json *j, const char *key, const char *s)
{
	cli_json_kv_string(j, key, s && s[0] ? s : NULL);
}

void cli_json_lines(struct cli_json *j, const char *key, const char *text, size_t len)
{
	const char *p = text, *end = text ? text + len : NULL;

	cli_json_key(j, key);
	cli_json_array_begin(j);
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		cli_json_stringn(j, p, n);
		p += n + 1;
	}
	cli_json_array_end(j);
}

void cli_json_parents(struct cli_json *j, const char (*parents)[RUHU_OID_SIZE], size_t n)
{
	cli_json_key(j, "parents");
	cli_json_array_begin(j);
	for (size_t i = 0; i < n && i < 2; i++)
		cli_json_string(j, parents[i]);
	cli_json_array_end(j);
}

int cli_json_print(struct cli_json *j)
{
	int rc = CLI_OK;

	/* open_ and close_ change depth by one, so the value containers must have
	 * closed again: a depth other than 0 is a bug in the command */
	if (j->failed || j->depth != 0)
		rc = cli_error(CLI_FAIL, "cannot write the JSON output");
	else if (fwrite(j->buf.ptr ? j->buf.ptr : "", 1, j->buf.size, stdout) != j->buf.size ||
		 fputc('\n', stdout) == EOF)
		rc = cli_error(CLI_FAIL, "cannot write to standard output");
	ruhu_buf_dispose(&j->buf);
	return rc;
}
