/*
 * args_fuzz.c — the command line's option parser (cli/args.c, cli_parse):
 * the input is the arguments, separated by NUL bytes; the first byte picks
 * the bounds on positional arguments.  The options table has one option of
 * each kind, short and long.  -h and --help are left out: they print the
 * usage and exit, by design.
 * Properties: no input reads outside its arguments; on success the
 * positional arguments are within bounds and argv[n] is NULL.
 */
#include <string.h>

#include "cli/cli.h"
#include "fuzz.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;
	const char *argv[MAX_ARGS + 2];
	struct cli_ctx ctx = { NULL, "ruhu", NULL };
	struct cli_list list = { NULL, 0 };
	const char *str = NULL;
	long num = 0;
	int flag = 0, other = 0, argc = 1, min, max, n;
	const struct cli_option opts[] = {
		CLI_BOOL('q', "quiet", &flag, "say less"),
		CLI_BOOL(0, "json", &other, "print json"),
		CLI_STRING('C', "dir", &str, "DIR", "replica folder"),
		CLI_INT('n', "count", &num, "N", "how many"),
		CLI_LIST('t', "type", &list, "TYPE", "record type"),
		CLI_END
	};

	if (size == 0)
		return 0;
	min = data[0] & 3;
	max = (data[0] >> 2) & 7 ? (data[0] >> 2) & 7 : -1;
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	argv[0] = "cmd";
	for (char *p = copy; p < copy + size - 1 && argc <= MAX_ARGS; p += strlen(p) + 1) {
		if (!strcmp(p, "-h") || !strcmp(p, "--help"))
			goto done;
		argv[argc++] = p;
	}
	argv[argc] = NULL;
	if ((n = cli_parse(&ctx, argc, argv, opts, min, max)) >= 0) {
		FUZZ_CHECK(n >= min && (max < 0 || n <= max));
		FUZZ_CHECK(argv[n] == NULL);
	}
done:
	cli_list_release(&list);
	free(copy);
	return 0;
}
