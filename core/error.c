/*
 * error.c — the thread-local last error of libruhu.
 *
 * Design notes
 *  1. One message per thread, set where a failure is found (see ruhu/common.h).
 *  2. Setting never allocates: the message lives in a fixed thread-local array,
 *     so that "out of memory" can always be reported.
 *  3. A new message may quote the last one (ruhu_error_last() as an
 *     argument): it is formatted on the stack before it replaces the old.
 */
#include <stdio.h>
#include <string.h>

#include "ruhu/common.h"

static _Thread_local char last_message[1024];
static _Thread_local int last_code;

int ruhu_error_vset(int code, const char *fmt, va_list ap)
{
	char message[sizeof(last_message)];

	/* formatted aside first: a caller may wrap the last message in a new
	 * one ("...: %s", ruhu_error_last()) */
	vsnprintf(message, sizeof(message), fmt, ap);
	memcpy(last_message, message, sizeof(last_message));
	/* design note 3 of common.h: one line */
	for (char *p = last_message; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	last_code = code;
	return code;
}

int ruhu_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ruhu_error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

int ruhu_error_oom(void)
{
	return ruhu_error_set(RUHU_ENOMEM, "out of memory");
}

const char *ruhu_error_last(void)
{
	return last_message;
}

int ruhu_error_last_code(void)
{
	return last_code;
}

void ruhu_error_clear(void)
{
	last_message[0] = '\0';
	last_code = 0;
}

const char *ruhu_error_name(int code)
{
	switch (code) {
	case RUHU_OK: return "ok";
	case RUHU_ENOTFOUND: return "not found";
	case RUHU_EEXISTS: return "exists";
	case RUHU_ECONFLICT: return "conflict";
	case RUHU_ECORRUPT: return "corrupt";
	case RUHU_EAUTH: return "authentication failed";
	case RUHU_ESCHEMA: return "schema";
	case RUHU_EBUSY: return "busy";
	case RUHU_EREVOKED: return "revoked";
	case RUHU_EINVALID: return "invalid input";
	case RUHU_ENOSPACE: return "no space left on device";
	case RUHU_ENOMEM: return "out of memory";
	case RUHU_EWAITING: return "waiting";
	case RUHU_EREADONLY: return "read-only";
	default: return "error";
	}
}
