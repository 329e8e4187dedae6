/*
 * buf.c — ruhu_buf, a growable NUL-terminated byte buffer (like git's strbuf).
 *
 * Design notes
 *  1. ptr[size] is always 0 once anything was put, so text is a C string.
 *  2. Growth doubles, and every size computation is checked for overflow: a
 *     request that cannot be met leaves the buffer untouched and returns
 *     RUHU_ENOMEM with the last error set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ruhu/common.h"

int ruhu_buf_grow(ruhu_buf *buf, size_t extra)
{
	size_t need, alloc;
	char *p;

	if (extra > SIZE_MAX - buf->size - 1)
		return ruhu_error_oom();
	need = buf->size + extra + 1;
	if (need <= buf->asize)
		return 0;
	alloc = buf->asize ? buf->asize : 64;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
	if ((p = realloc(buf->ptr, alloc)) == NULL)
		return ruhu_error_oom();
	buf->ptr = p;
	buf->asize = alloc;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int ruhu_buf_put(ruhu_buf *buf, const void *data, size_t len)
{
	int error;

	if ((error = ruhu_buf_grow(buf, len)) < 0)
		return error;
	if (len)
		memmove(buf->ptr + buf->size, data, len);
	buf->size += len;
	buf->ptr[buf->size] = '\0';
	return 0;
}

int ruhu_buf_puts(ruhu_buf *buf, const char *str)
{
	return ruhu_buf_put(buf, str, strlen(str));
}

int ruhu_buf_putc(ruhu_buf *buf, char c)
{
	return ruhu_buf_put(buf, &c, 1);
}

int ruhu_buf_vprintf(ruhu_buf *buf, const char *fmt, va_list ap)
{
	va_list copy;
	int len, error;

	va_copy(copy, ap);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len < 0)
		return ruhu_error_set(RUHU_ERROR, "cannot format text");
	if ((error = ruhu_buf_grow(buf, (size_t)len)) < 0)
		return error;
	vsnprintf(buf->ptr + buf->size, (size_t)len + 1, fmt, ap);
	buf->size += (size_t)len;
	return 0;
}

int ruhu_buf_printf(ruhu_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = ruhu_buf_vprintf(buf, fmt, ap);
	va_end(ap);
	return error;
}

int ruhu_buf_puthex(ruhu_buf *buf, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	int error;

	if (len > SIZE_MAX / 2)
		return ruhu_error_oom();
	if ((error = ruhu_buf_grow(buf, len * 2)) < 0)
		return error;
	for (size_t i = 0; i < len; i++) {
		buf->ptr[buf->size++] = digits[p[i] >> 4];
		buf->ptr[buf->size++] = digits[p[i] & 15];
	}
	buf->ptr[buf->size] = '\0';
	return 0;
}

void ruhu_buf_clear(ruhu_buf *buf)
{
	buf->size = 0;
	if (buf->ptr)
		buf->ptr[0] = '\0';
}

void ruhu_buf_truncate(ruhu_buf *buf, size_t len)
{
	if (len < buf->size) {
		buf->size = len;
		buf->ptr[len] = '\0';
	}
}

char *ruhu_buf_detach(ruhu_buf *buf)
{
	char *p = buf->ptr;

	if (p == NULL)
		p = calloc(1, 1);
	buf->ptr = NULL;
	buf->size = buf->asize = 0;
	return p;
}

void ruhu_buf_dispose(ruhu_buf *buf)
{
	free(buf->ptr);
	buf->ptr = NULL;
	buf->size = buf->asize = 0;
}

void ruhu_memzero(void *p, size_t len)
{
	volatile unsigned char *v = p;

	while (len--)
		*v++ = 0;
}

void ruhu_buf_dispose_secure(ruhu_buf *buf)
{
	if (buf->ptr)
		ruhu_memzero(buf->ptr, buf->asize);
	ruhu_buf_dispose(buf);
}
