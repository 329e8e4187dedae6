/*
 * cmd_edit.c — `ruhu add|set|delete|get|list`: records of the replica's
 * schema, one save per writing command (see ruhu/core.h, "Saves").
 *
 * Design notes
 *  1. Each writing command is one ruhu_edit: begin, one write, commit.  Any
 *     failure frees the edit, which rolls everything back: no commit, no
 *     partial row.
 *  2. `add` prints the new id and nothing else on stdout, so that scripts
 *     can write `P=$(ruhu add person name=...)`.  `set` and `delete` print
 *     the commit they made (cli_print_save).
 *  3. `-m TEXT` is the commit's subject; without it the library makes one
 *     from the changes ("add 1 person").
 *  4. Field values are given as `field=value` words (fields.c); checking
 *     them is the library's (unknown type or field, validators).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

/* add TYPE field=value... */
int cmd_add(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *message = NULL;
	struct cli_option options[] = {
		CLI_STRING('m', "message", &message, "TEXT", "the commit's subject"),
		CLI_END
	};
	struct cli_assigns a = { NULL, 0 };
	ruhu_replica *r = NULL;
	ruhu_edit *e = NULL;
	ruhu_save_info info;
	char id[RUHU_ID_SIZE];
	int n, rc;

	if ((n = cli_parse(ctx, argc, argv, options, 2, -1)) < 0)
		return CLI_USAGE;
	if ((rc = cli_assigns_parse(ctx, &a, argv + 1, (size_t)n - 1)) != CLI_OK)
		return rc;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		goto done;
	if (ruhu_edit_begin(&e, r) < 0 ||
	    ruhu_edit_insert(e, argv[0], a.items, a.count, id) < 0 ||
	    ruhu_edit_commit(e, message, &info) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("%s\n", id);
done:
	ruhu_edit_free(e);
	ruhu_replica_free(r);
	cli_assigns_release(&a);
	return rc;
}

/* set TYPE ID field=value... */
int cmd_set(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *message = NULL;
	struct cli_option options[] = {
		CLI_STRING('m', "message", &message, "TEXT", "the commit's subject"),
		CLI_END
	};
	struct cli_assigns a = { NULL, 0 };
	ruhu_replica *r = NULL;
	ruhu_edit *e = NULL;
	ruhu_save_info info;
	int n, rc;

	if ((n = cli_parse(ctx, argc, argv, options, 3, -1)) < 0)
		return CLI_USAGE;
	if ((rc = cli_assigns_parse(ctx, &a, argv + 2, (size_t)n - 2)) != CLI_OK)
		return rc;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		goto done;
	if (ruhu_edit_begin(&e, r) < 0 ||
	    ruhu_edit_update(e, argv[0], argv[1], a.items, a.count) < 0 ||
	    ruhu_edit_commit(e, message, &info) < 0) {
		rc = cli_fail();
		goto done;
	}
	cli_print_save(stdout, &info);
done:
	ruhu_edit_free(e);
	ruhu_replica_free(r);
	cli_assigns_release(&a);
	return rc;
}

/* delete TYPE ID */
int cmd_delete(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *message = NULL;
	struct cli_option options[] = {
		CLI_STRING('m', "message", &message, "TEXT", "the commit's subject"),
		CLI_END
	};
	ruhu_replica *r = NULL;
	ruhu_edit *e = NULL;
	ruhu_save_info info;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 2, 2) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_edit_begin(&e, r) < 0 ||
	    ruhu_edit_delete(e, argv[0], argv[1]) < 0 ||
	    ruhu_edit_commit(e, message, &info) < 0) {
		rc = cli_fail();
		goto done;
	}
	cli_print_save(stdout, &info);
done:
	ruhu_edit_free(e);
	ruhu_replica_free(r);
	return rc;
}

struct rows {
	int json;
	int human_list;          /* `list` without --json: one line per record */
	const char *type;
	ruhu_schema *schema;     /* for labels; NULL when it cannot be loaded */
	struct cli_json j;
	size_t count;
};

/* `list` for people: the id, then field=value for each field that is set. */
static void print_line(int ncols, const char *const *names, const ruhu_value *v)
{
	for (int i = 0; i < ncols; i++)
		if (!strcmp(names[i], "id") && v[i].type == RUHU_VALUE_TEXT)
			fwrite(v[i].p, 1, v[i].len, stdout);
	for (int i = 0; i < ncols; i++) {
		if (!strcmp(names[i], "id") || v[i].type == RUHU_VALUE_NULL)
			continue;
		printf("  %s=", names[i]);
		switch (v[i].type) {
		case RUHU_VALUE_INTEGER: printf("%lld", (long long)v[i].i); break;
		case RUHU_VALUE_REAL: printf("%.17g", v[i].d); break;
		case RUHU_VALUE_TEXT:
			/* one record, one line: newlines shown as \n */
			for (size_t k = 0; k < v[i].len; k++) {
				if (v[i].p[k] == '\n')
					fputs("\\n", stdout);
				else
					putchar(v[i].p[k]);
			}
			break;
		default: printf("<%zu bytes>", v[i].len); break;
		}
	}
	putchar('\n');
}

static int take_row(int stmt, int ncols, const char *const *names, const ruhu_value *values,
		    void *payload)
{
	struct rows *o = payload;

	o->count++;
	if (o->json)
		cli_json_record(&o->j, ncols, names, values);
	else if (o->human_list)
		print_line(ncols, names, values);
	else
		cli_print_record(stdout, o->schema, o->type, ncols, names, values);
	return 0;
}

/* get TYPE ID [--json] */
int cmd_get(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct rows o = { 0 };
	ruhu_replica *r = NULL;
	int rc;
	struct cli_option options[] = {
		CLI_BOOL(0, "json", &o.json, "print the record as a JSON object"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 2, 2) < 0)
		return CLI_USAGE;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	o.type = argv[0];
	if (!o.json && ruhu_schema_load_default(&o.schema) < 0)
		o.schema = NULL; /* names without labels */
	if (o.json)
		cli_json_init(&o.j);
	if (ruhu_record_get(r, argv[0], argv[1], take_row, &o) < 0) {
		rc = cli_fail();
		ruhu_buf_dispose(&o.j.buf);
	} else if (o.json) {
		rc = cli_json_print(&o.j);
	}
	ruhu_schema_free(o.schema);
	ruhu_replica_free(r);
	return rc;
}

/* list TYPE [--where field=value]... [--json] */
int cmd_list(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct rows o = { 0 };
	struct cli_list where = { NULL, 0 };
	struct cli_assigns w = { NULL, 0 };
	ruhu_replica *r = NULL;
	int rc;
	struct cli_option options[] = {
		CLI_LIST(0, "where", &where, "FIELD=VALUE", "only records whose field has this value "
			 "(FIELD= for none); repeat to combine"),
		CLI_BOOL(0, "json", &o.json, "print a JSON array of records"),
		CLI_END
	};

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0) {
		cli_list_release(&where);
		return CLI_USAGE;
	}
	if ((rc = cli_assigns_parse(ctx, &w, where.items, (size_t)where.count)) != CLI_OK)
		goto done;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		goto done;
	o.type = argv[0];
	o.human_list = 1;
	if (o.json) {
		cli_json_init(&o.j);
		cli_json_array_begin(&o.j);
	}
	if (ruhu_record_list(r, argv[0], w.items, w.count, take_row, &o) < 0) {
		rc = cli_fail();
		ruhu_buf_dispose(&o.j.buf);
		goto done;
	}
	if (o.json) {
		cli_json_array_end(&o.j);
		rc = cli_json_print(&o.j);
	}
done:
	ruhu_replica_free(r);
	cli_assigns_release(&w);
	cli_list_release(&where);
	return rc;
}
