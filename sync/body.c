/*
 * body.c — sections inside a reply envelope (format in body.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/body.h"

#define MAGIC "ruhu sync body 1\n"
#define MAX_HEADER 4096
#define MAX_SECTION ((size_t)1 << 31)

static int name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 24)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
			return 0;
	return 1;
}

int ruhu_body_header(ruhu_buf *out, const char *const *names, const size_t *lens, size_t count)
{
	int error;

	if (count > RUHU_BODY_MAX_SECTIONS)
		return ruhu_error_set(RUHU_EINVALID, "too many sections in a reply");
	if ((error = ruhu_buf_puts(out, MAGIC)) < 0)
		return error;
	for (size_t i = 0; i < count; i++) {
		if (!name_ok(names[i], strlen(names[i])) || lens[i] > MAX_SECTION)
			return ruhu_error_set(RUHU_EINVALID, "bad reply section '%s'", names[i]);
		if ((error = ruhu_buf_printf(out, "section %s %zu\n", names[i], lens[i])) < 0)
			return error;
	}
	return ruhu_buf_putc(out, '\n');
}

int ruhu_body_parse(ruhu_body *out, const void *data, size_t len)
{
	const char *p = data, *end = p + len, *line, *nl;
	size_t offset;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(MAGIC) - 1 || memcmp(p, MAGIC, sizeof(MAGIC) - 1))
		return ruhu_error_set(RUHU_ECORRUPT, "the reply's contents are not a ruhu sync body");
	line = p + sizeof(MAGIC) - 1;
	for (;;) {
		const char *sp;
		size_t n = 0;

		if (line >= end || line - p > MAX_HEADER ||
		    (nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			return ruhu_error_set(RUHU_ECORRUPT, "the reply's section list is cut short");
		if (nl == line)
			break;
		if (out->count == RUHU_BODY_MAX_SECTIONS || (size_t)(nl - line) < 11 ||
		    memcmp(line, "section ", 8) ||
		    (sp = memchr(line + 8, ' ', (size_t)(nl - line - 8))) == NULL ||
		    !name_ok(line + 8, (size_t)(sp - line - 8)) || sp + 1 >= nl)
			return ruhu_error_set(RUHU_ECORRUPT, "the reply has a malformed section line");
		for (const char *d = sp + 1; d < nl; d++) {
			if (*d < '0' || *d > '9' || n > MAX_SECTION / 10)
				return ruhu_error_set(RUHU_ECORRUPT, "the reply has a bad section length");
			n = n * 10 + (size_t)(*d - '0');
		}
		if (n > MAX_SECTION || ((nl - (sp + 1)) > 1 && sp[1] == '0'))
			return ruhu_error_set(RUHU_ECORRUPT, "the reply has a bad section length");
		memcpy(out->sections[out->count].name, line + 8, (size_t)(sp - line - 8));
		for (size_t i = 0; i < out->count; i++)
			if (!strcmp(out->sections[i].name, out->sections[out->count].name))
				return ruhu_error_set(RUHU_ECORRUPT, "the reply names section '%s' twice",
						      out->sections[i].name);
		out->sections[out->count].len = n;
		out->count++;
		line = nl + 1;
	}
	offset = (size_t)(nl + 1 - p);
	for (size_t i = 0; i < out->count; i++) {
		if (out->sections[i].len > len - offset)
			return ruhu_error_set(RUHU_ECORRUPT, "the reply's section '%s' is cut short",
					      out->sections[i].name);
		out->sections[i].data = (const unsigned char *)p + offset;
		offset += out->sections[i].len;
	}
	if (offset != len)
		return ruhu_error_set(RUHU_ECORRUPT, "the reply has bytes after its last section");
	return 0;
}

const unsigned char *ruhu_body_section(const ruhu_body *b, const char *name, size_t *len)
{
	for (size_t i = 0; i < b->count; i++)
		if (!strcmp(b->sections[i].name, name)) {
			*len = b->sections[i].len;
			return b->sections[i].data;
		}
	*len = 0;
	return NULL;
}
