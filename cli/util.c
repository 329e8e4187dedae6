/*
 * util.c — error printing and small helpers shared by the command files.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli/cli.h"

int cli_fail(void)
{
	const char *msg = ruhu_error_last();

	fprintf(stderr, "ruhu: %s\n", *msg ? msg : "unknown error");
	return CLI_FAIL;
}

int cli_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("ruhu: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *cli_replica_dir(struct cli_ctx *ctx)
{
	if (ctx->dir == NULL || ctx->dir[0] == '\0') {
		cli_error(CLI_USAGE, "no replica: give -C DIR or set RUHU_DIR");
		return NULL;
	}
	return ctx->dir;
}
