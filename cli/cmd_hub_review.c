/*
 * cmd_hub_review.c — the hub's review queue: `ruhu hub review [--all]`,
 * `ruhu hub review show RID`, `ruhu hub resolve RID` (ruhu/sync.h, "Review
 * queue"; item kinds in docs/merge.md §7).
 *
 * Design notes
 *  1. An item shows the record and field with their labels from the schema
 *     (中文 / English), the base, hub and device values, and who and which
 *     commits brought it: the device, the caseworker, the device commit and
 *     the merge commit.
 *  2. A resolution is a save on main (one signed commit, authored by the
 *     operator holding the hub); the tablets get it with their next reply.
 *  3. Values are shown as the item holds them; NULL is "(none)" for people
 *     and null in JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"

struct review_out {
	int json;
	struct cli_json j;
	size_t count;
	ruhu_schema *schema; /* labels; NULL when it cannot be loaded */
};

static const char *kind_help(const char *kind)
{
	static const struct { const char *kind, *help; } k[] = {
		{ "review", "both sides changed a field whose rule is review" },
		{ "order", "two different final states" },
		{ "union", "a value that is not a set of tokens" },
		{ "append", "a value that is not text" },
		{ "delete_review", "deleted on one side, changed on the other" },
		{ "immutable", "a change to a record that may no longer change" },
		{ "parent_missing", "a reference to a record that does not exist" },
		{ "record_missing", "a change to a record the hub never had" },
		{ "duplicate", "possibly the same record twice" },
		{ "insert_clash", "the same id made twice with other values" },
		{ "constraint", "the merged record breaks a check of its table" },
	};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (!strcmp(k[i].kind, kind))
			return k[i].help;
	return "";
}

static void json_item(struct cli_json *j, const ruhu_review_item *it)
{
	char opened[32];

	cli_format_ms(opened, sizeof(opened), it->opened_ms);
	cli_json_object_begin(j);
	cli_json_kv_int(j, "rid", it->rid);
	cli_json_kv_string(j, "kind", it->kind);
	cli_json_kv_string(j, "type", it->type);
	cli_json_kv_string(j, "id", it->id);
	cli_json_kv_string(j, "field", it->field);
	cli_json_kv_string(j, "base", it->base);
	cli_json_kv_string(j, "hub", it->hub);
	cli_json_kv_string(j, "device", it->device);
	cli_json_kv_string(j, "other_id", it->other_id);
	cli_json_kv_string(j, "note", it->note);
	cli_json_kv_string(j, "device_id", it->device_id);
	cli_json_kv_string(j, "worker", it->worker);
	cli_json_kv_string(j, "device_commit", it->device_commit[0] ? it->device_commit : NULL);
	cli_json_kv_string(j, "merge_commit", it->merge_commit[0] ? it->merge_commit : NULL);
	cli_json_kv_string(j, "opened", opened);
	cli_json_kv_string(j, "status", it->status);
	cli_json_kv_string(j, "resolution", it->resolution);
	cli_json_kv_string(j, "resolution_commit", it->resolution_commit[0] ? it->resolution_commit : NULL);
	cli_json_object_end(j);
}

static int list_item(const ruhu_review_item *it, void *payload)
{
	struct review_out *o = payload;
	char opened[32];

	o->count++;
	if (o->json) {
		json_item(&o->j, it);
		return 0;
	}
	cli_format_ms(opened, sizeof(opened), it->opened_ms);
	printf("%-4lld %-14s %s %s %-18s from %s (%s), opened %s", (long long)it->rid, it->kind,
	       it->type, it->id, it->field ? it->field : "(whole record)",
	       it->device_id ? it->device_id : "?", it->worker ? it->worker : "-", opened);
	if (strcmp(it->status, "open"))
		printf(", %s: %s", it->status, it->resolution ? it->resolution : "");
	putchar('\n');
	return 0;
}

static int show_item(const ruhu_review_item *it, void *payload)
{
	struct review_out *o = payload;
	const ruhu_type *t = o->schema ? ruhu_schema_type_byname(o->schema, it->type) : NULL;
	const ruhu_field *f = t && it->field ? ruhu_type_field_byname(t, it->field) : NULL;
	char opened[32];

	o->count++;
	if (o->json) {
		json_item(&o->j, it);
		return 0;
	}
	cli_format_ms(opened, sizeof(opened), it->opened_ms);
	printf("review %lld: %s\n", (long long)it->rid, it->status);
	printf("kind     %s (%s)\n", it->kind, kind_help(it->kind));
	if (t)
		printf("record   %s %s (%s / %s)\n", it->type, it->id, ruhu_type_label(t, RUHU_LANG_ZH),
		       ruhu_type_label(t, RUHU_LANG_EN));
	else
		printf("record   %s %s\n", it->type, it->id);
	if (f)
		printf("field    %s (%s / %s), rule %s\n", it->field, ruhu_field_label(f, RUHU_LANG_ZH),
		       ruhu_field_label(f, RUHU_LANG_EN), ruhu_rule_name(ruhu_field_rule(f)));
	else if (it->field)
		printf("field    %s\n", it->field);
	if (it->field) {
		printf("base     %s\n", it->base ? it->base : "(none)");
		printf("hub      %s\n", it->hub ? it->hub : "(none)");
		printf("device   %s\n", it->device ? it->device : "(none)");
	}
	if (it->other_id)
		printf("other    %s %s\n", it->type, it->other_id);
	printf("from     device %s, caseworker %s\n", it->device_id ? it->device_id : "?",
	       it->worker ? it->worker : "-");
	printf("commits  device %s, merge %s\n", it->device_commit[0] ? it->device_commit : "-",
	       it->merge_commit[0] ? it->merge_commit : "-");
	printf("opened   %s\n", opened);
	if (it->note && it->note[0])
		printf("note     %s\n", it->note);
	if (!strcmp(it->status, "open"))
		printf("resolve  ruhu hub resolve %lld --take hub|device|base%s [--reason TEXT]\n",
		       (long long)it->rid, it->field ? " (or --value VALUE)" : "");
	else
		printf("resolved %s in commit %s\n", it->resolution ? it->resolution : "",
		       it->resolution_commit[0] ? it->resolution_commit : "-");
	return 0;
}

static int parse_rid(int64_t *out, const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0)
		return cli_error(CLI_USAGE, "a review item is a positive number, not '%s'", s);
	*out = v;
	return CLI_OK;
}

/* hub review [--all] [--json] | hub review show RID [--json] */
int cmd_hub_review(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct review_out o;
	int all = 0, n, rc, error;
	int64_t rid = 0;
	struct cli_option options[] = {
		CLI_BOOL(0, "all", &all, "resolved items too"),
		CLI_BOOL(0, "json", &o.json, "print JSON"),
		CLI_END
	};
	ruhu_replica *r = NULL;

	memset(&o, 0, sizeof(o));
	if ((n = cli_parse(ctx, argc, argv, options, 0, 2)) < 0)
		return CLI_USAGE;
	if (n > 0 && (strcmp(argv[0], "show") || n != 2))
		return cli_usage_error(ctx, options, "hub review takes 'show RID' or nothing");
	if (n == 2 && (rc = parse_rid(&rid, argv[1])) != CLI_OK)
		return rc;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (!o.json && ruhu_schema_load_default(&o.schema) < 0)
		o.schema = NULL; /* names without labels */
	if (o.json) {
		cli_json_init(&o.j);
		if (!rid)
			cli_json_array_begin(&o.j);
	}
	error = rid ? ruhu_review_get(r, rid, show_item, &o) : ruhu_review_list(r, all, list_item, &o);
	if (error < 0) {
		if (o.json)
			ruhu_buf_dispose(&o.j.buf);
		rc = cli_fail();
		goto done;
	}
	if (o.json) {
		if (!rid)
			cli_json_array_end(&o.j);
		rc = cli_json_print(&o.j);
	} else if (!rid && o.count == 0) {
		printf("the review queue is empty%s\n", all ? "" : " (--all shows resolved items)");
	}
done:
	ruhu_schema_free(o.schema);
	ruhu_replica_free(r);
	return rc;
}

/* hub resolve RID (--take hub|device|base | --value VALUE) [--reason TEXT] */
int cmd_hub_resolve(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *take = NULL, *value = NULL, *reason = NULL;
	struct cli_option options[] = {
		CLI_STRING(0, "take", &take, "SIDE", "hub, device or base: keep that side's value"),
		CLI_STRING(0, "value", &value, "VALUE", "set the field to this value instead"),
		CLI_STRING(0, "reason", &reason, "TEXT", "why, kept in the resolution's commit"),
		CLI_END
	};
	ruhu_take how = RUHU_TAKE_VALUE;
	ruhu_replica *r = NULL;
	ruhu_save_info info;
	int64_t rid;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 1, 1) < 0)
		return CLI_USAGE;
	if ((take == NULL) == (value == NULL))
		return cli_usage_error(ctx, options,
				       "hub resolve needs one of --take hub|device|base or --value VALUE");
	if (take && !strcmp(take, "hub"))
		how = RUHU_TAKE_HUB;
	else if (take && !strcmp(take, "device"))
		how = RUHU_TAKE_DEVICE;
	else if (take && !strcmp(take, "base"))
		how = RUHU_TAKE_BASE;
	else if (take)
		return cli_error(CLI_USAGE, "--take must be hub, device or base, not '%s'", take);
	if ((rc = parse_rid(&rid, argv[0])) != CLI_OK)
		return rc;
	if ((rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	if (ruhu_review_resolve(&info, r, rid, how, value, reason) < 0) {
		rc = cli_fail();
		goto done;
	}
	printf("resolved review %lld (%s%s%s): ", (long long)rid, take ? "take " : "set ",
	       take ? take : "value ", take ? "" : value);
	cli_print_save(stdout, &info);
	printf("the tablets get the resolution with their next reply\n");
done:
	ruhu_replica_free(r);
	return rc;
}
