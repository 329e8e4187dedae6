/*
 * args.c — declared options for every `ruhu` command (see cli.h, note 3).
 *
 * Design notes
 *  1. Accepted forms: -x VALUE, -xVALUE, --long VALUE, --long=VALUE, and
 *     grouped short booleans (-ab).  "--" ends the options.
 *  2. Whole numbers are parsed with strtoll and checked (no atoi): trailing
 *     characters and overflow are usage errors.
 *  3. A usage error prints one line naming the option, then the usage.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void cli_list_release(struct cli_list *list)
{
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

/* A usage error inside cli_parse, which returns -1 for it (cli.h). */
#define usage_error(...) (cli_usage_error(__VA_ARGS__), -1)

static int take(struct cli_ctx *ctx, const struct cli_option *all,
		const struct cli_option *o, const char *arg, const char *shown)
{
	switch (o->type) {
	case CLI_OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case CLI_OPT_INT: {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(arg, &end, 10);
		if (errno || end == arg || *end)
			return usage_error(ctx, all, "option %s expects a whole number, not '%s'", shown, arg);
		*(long *)o->value = (long)v;
		return 0;
	}
	case CLI_OPT_LIST: {
		struct cli_list *l = o->value;
		const char **n = realloc(l->items, sizeof(*n) * ((size_t)l->count + 1));

		if (n == NULL)
			return usage_error(ctx, all, "out of memory");
		n[l->count++] = arg;
		l->items = n;
		return 0;
	}
	default:
		return usage_error(ctx, all, "option %s takes no value", shown);
	}
}

static const struct cli_option *find_long(const struct cli_option *opts, const char *name, size_t len)
{
	for (const struct cli_option *o = opts; o && o->type != CLI_OPT_END; o++)
		if (o->long_name && strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
			return o;
	return NULL;
}

static const struct cli_option *find_short(const struct cli_option *opts, char c)
{
	for (const struct cli_option *o = opts; o && o->type != CLI_OPT_END; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

int cli_parse(struct cli_ctx *ctx, int argc, const char **argv,
	      const struct cli_option *opts, int min, int max)
{
	int npos = 0, only_positional = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (only_positional || a[0] != '-' || a[1] == '\0') {
			argv[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_positional = 1;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			cli_usage(ctx, opts, stdout);
			exit(CLI_OK);
		}
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct cli_option *o = find_long(opts, name, len);

			if (o == NULL)
				return usage_error(ctx, opts, "unknown option '--%.*s'", (int)len, name);
			if (o->type == CLI_OPT_BOOL) {
				if (eq)
					return usage_error(ctx, opts, "option --%s takes no value", o->long_name);
				*(int *)o->value = 1;
				continue;
			}
			if (eq) {
				if (take(ctx, opts, o, eq + 1, a) < 0)
					return -1;
			} else if (i + 1 < argc) {
				if (take(ctx, opts, o, argv[++i], a) < 0)
					return -1;
			} else {
				return usage_error(ctx, opts, "option --%s needs a value", o->long_name);
			}
			continue;
		}
		for (const char *p = a + 1; *p; p++) {
			const struct cli_option *o = find_short(opts, *p);
			char shown[3] = { '-', *p, 0 };

			if (o == NULL)
				return usage_error(ctx, opts, "unknown option '-%c'", *p);
			if (o->type == CLI_OPT_BOOL) {
				*(int *)o->value = 1;
				continue;
			}
			if (p[1]) {
				if (take(ctx, opts, o, p + 1, shown) < 0)
					return -1;
			} else if (i + 1 < argc) {
				if (take(ctx, opts, o, argv[++i], shown) < 0)
					return -1;
			} else {
				return usage_error(ctx, opts, "option -%c needs a value", *p);
			}
			break;
		}
	}
	if (npos < min)
		return usage_error(ctx, opts, "too few arguments");
	if (max >= 0 && npos > max)
		return usage_error(ctx, opts, "too many arguments: '%s'", argv[max]);
	argv[npos] = NULL;
	return npos;
}

void cli_usage(const struct cli_ctx *ctx, const struct cli_option *opts, FILE *out)
{
	const struct cli_command *c = ctx->cmd;

	if (c)
		fprintf(out, "usage: %s\n", c->usage);
	if (opts && opts->type != CLI_OPT_END)
		fputc('\n', out);
	for (const struct cli_option *o = opts; o && o->type != CLI_OPT_END; o++) {
		char left[64];
		int n = 0;

		if (o->short_name && o->long_name)
			n = snprintf(left, sizeof(left), "-%c, --%s", o->short_name, o->long_name);
		else if (o->short_name)
			n = snprintf(left, sizeof(left), "-%c", o->short_name);
		else
			n = snprintf(left, sizeof(left), "--%s", o->long_name);
		if (o->argh && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->argh);
		fprintf(out, "    %-26s %s\n", left, o->help ? o->help : "");
	}
}
