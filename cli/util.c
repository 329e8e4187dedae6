/*
 * util.c — error printing and small helpers shared by the command files.
 *
 * Design notes
 *  1. Every message is one line on stderr: "ruhu: <message>" for an error,
 *     "warning: <message>" for a warning (cli.h, note 4); say() writes both.
 *  2. A usage error is the message, then the command's usage, and exit code
 *     CLI_USAGE (cli_usage_error); cli_parse reports its own the same way.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli/cli.h"

static void say(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_fail(void)
{
	const char *msg = ruhu_error_last();

	fprintf(stderr, "ruhu: %s\n", *msg ? msg : "unknown error");
	return CLI_FAIL;
}

int cli_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("ruhu: ", fmt, ap);
	va_end(ap);
	return code;
}

int cli_usage_error(const struct cli_ctx *ctx, const struct cli_option *opts, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("ruhu: ", fmt, ap);
	va_end(ap);
	cli_usage(ctx, opts, stderr);
	return CLI_USAGE;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("warning: ", fmt, ap);
	va_end(ap);
}

const char *cli_replica_dir(struct cli_ctx *ctx)
{
	if (ctx->dir == NULL || ctx->dir[0] == '\0') {
		cli_error(CLI_USAGE, "no replica: give -C DIR or set RUHU_DIR");
		return NULL;
	}
	return ctx->dir;
}
