/*
 * cmd_visit.c — the work of a home visit: `ruhu worker use`, `ruhu visit
 * start|close`, `ruhu apply`, `ruhu receive`, `ruhu attach` (see
 * ruhu/core.h, "The work of a home visit").
 *
 * Design notes
 *  1. Each command is one save made by the library (one signed commit);
 *     nothing here writes to the replica by itself.
 *  2. Commands that make something print its id on the first line of stdout
 *     (visit start, apply, attach), so that scripts can take it with
 *     `$(... | head -n 1)`; what follows is for people.
 *  3. `attach` reads the whole file into memory before the save: the
 *     library refuses it when it is over the replica's attachment limit
 *     (20 MB unless the centre set another), and this file refuses anything
 *     over 1 GiB before reading it (no attachment field can hold more).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"

#define MAX_FILE (1024L * 1024 * 1024)

/* worker use ID [--name NAME] */
int cmd_worker_use(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *name = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "name", &name, "NAME", "their name (default: the name in their worker record)"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_status st;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_worker_use(r, argv[0], name) < 0 || ruhu_status_get(&st, r) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("%s (%s) now holds replica %s\n", st.worker, st.worker_name, ruhu_replica_path(r));
done:
	ruhu_replica_free(r);
	return rc;
}

/* visit start --household ID --purpose PURPOSE [--location TEXT] */
int cmd_visit_start(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *household = NULL, *purpose = NULL, *location = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "household", &household, "ID", "the household visited"),
		CLI_STRING(0, "purpose", &purpose, "PURPOSE", "publicity, intake, follow_up or certification"),
		CLI_STRING(0, "location", &location, "TEXT", "where the visit takes place"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	char id[RUHU_ID_SIZE];
	int rc;

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if (household == NULL || purpose == NULL)
		return cli_usage_error(ctx, options, "visit start needs --household and --purpose");
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_visit_start(r, household, purpose, location, id, NULL) < 0)
		rc = cli_fail();
	else
		printf("%s\n", id);
	ruhu_replica_free(r);
	return rc;
}

/* visit close [--summary TEXT] */
int cmd_visit_close(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *summary = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "summary", &summary, "TEXT", "what the visit did and found"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_save_info info;
	ruhu_status st;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_status_get(&st, r) < 0 || ruhu_visit_close(r, summary, &info) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("closed visit %s\n", st.visit);
	cli_print_save(stdout, &info);
done:
	ruhu_replica_free(r);
	return rc;
}

/* apply ITEM --person ID */
int cmd_apply(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *person = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "person", &person, "ID", "the resident applying"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_buf notice = RUHU_BUF_INIT;
	char id[RUHU_ID_SIZE];
	int rc;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if (person == NULL)
		return cli_usage_error(ctx, options, "apply needs --person");
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_application_open(r, argv[0], person, &notice, id, NULL) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("%s\n", id);
	if (notice.size)
		fwrite(notice.ptr, 1, notice.size, stdout);
done:
	ruhu_buf_dispose(&notice);
	ruhu_replica_free(r);
	return rc;
}

/* receive APP MATERIAL... */
int cmd_receive(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct cli_option options[] = { CLI_END };
	ruhu_replica *r = NULL;
	ruhu_buf missing = RUHU_BUF_INIT;
	int n, rc;

	if ((n = cli_parse(ctx, argc, argv, options, 2, -1)) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_application_receive(r, argv[0], argv + 1, (size_t)n - 1, &missing, NULL) < 0) {
		rc = cli_fail();
		goto done;
	}
	if (missing.size)
		fwrite(missing.ptr, 1, missing.size, stdout);
done:
	ruhu_buf_dispose(&missing);
	ruhu_replica_free(r);
	return rc;
}

/* The whole file at `path` (note 3); prints the error itself. */
static int read_file(ruhu_buf *out, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char chunk[65536];
	size_t n;
	int rc = CLI_OK;

	if (f == NULL)
		return cli_error(CLI_FAIL, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = cli_error(CLI_FAIL, "%s is not a file", path);
		goto done;
	}
	if (st.st_size > MAX_FILE) {
		rc = cli_error(CLI_FAIL, "%s is %lld bytes, more than any attachment may be (1 GiB)",
			       path, (long long)st.st_size);
		goto done;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->size + n > (size_t)MAX_FILE) {
			rc = cli_error(CLI_FAIL, "%s grew past 1 GiB while it was read", path);
			goto done;
		}
		if (ruhu_buf_put(out, chunk, n) < 0) {
			rc = cli_fail();
			goto done;
		}
	}
	if (ferror(f))
		rc = cli_error(CLI_FAIL, "cannot read %s: %s", path, strerror(errno));
done:
	fclose(f);
	return rc;
}

/* attach TYPE ID FILE [--caption TEXT] */
int cmd_attach(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *caption = NULL, *message = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "caption", &caption, "TEXT", "what the file shows"),
		CLI_STRING('m', "message", &message, "TEXT", "the commit's subject"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_edit *e = NULL;
	ruhu_buf data = RUHU_BUF_INIT;
	ruhu_save_info info;
	char id[RUHU_ID_SIZE];
	int rc;

	if (cli_parse(ctx, argc, argv, options, 3, 3) < 0)
		return CLI_USAGE;
	if ((rc = read_file(&data, argv[2])) != CLI_OK)
		return rc;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		goto done;
	if (ruhu_edit_begin(&e, r) < 0 ||
	    ruhu_edit_attach(e, argv[0], argv[1], data.ptr ? data.ptr : "", data.size, caption, id) < 0 ||
	    ruhu_edit_commit(e, message, &info) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("%s\n", id);
done:
	ruhu_edit_free(e);
	ruhu_replica_free(r);
	ruhu_buf_dispose(&data);
	return rc;
}
