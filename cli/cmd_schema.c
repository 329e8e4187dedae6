/*
 * cmd_schema.c — `ruhu schema ...` and `ruhu catalogue ...`: show the record
 * types and their rules, check a centre's files, validate a value, list the
 * service catalogue and print an item's one-time notification.
 *
 * Design notes
 *  1. Every command gets its schema or catalogue from load_schema() or
 *     load_catalogue() below and nowhere else: `--catalogue FILE` when given,
 *     else the replica's (-C DIR: the centre's own, with its calendar), else
 *     the one compiled in.
 *  2. Human output is bilingual, Chinese first; --json output carries the
 *     same facts with stable keys (docs/schema.md, "Command line").
 *  3. Exit codes: 0 ok, 1 a file or value refused, 2 usage (cli.h, note 1).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"

/* --- loading (note 1) --- */

static int load_schema(struct cli_ctx *ctx, ruhu_schema **out)
{
	(void)ctx;
	return ruhu_schema_load_default(out);
}

static int load_catalogue(struct cli_ctx *ctx, const char *file, ruhu_catalogue **out)
{
	ruhu_replica *r = NULL;
	int error;

	if (file)
		return ruhu_catalogue_load_file(out, file);
	if (ctx->dir == NULL)
		return ruhu_catalogue_load_default(out);
	if (cli_open_replica(ctx, &r) != CLI_OK)
		return RUHU_ERROR;
	error = ruhu_replica_catalogue(out, r);
	ruhu_replica_free(r);
	return error;
}

/* The promised date: on the replica's calendar with -C DIR, else counting
 * weekends only.  *calendar says which. */
static int promised_date(char out[RUHU_DATE_SIZE], int *calendar, struct cli_ctx *ctx,
			 const char *received, unsigned int days)
{
	ruhu_replica *r = NULL;
	int error;

	*calendar = 0;
	if (ctx->dir == NULL)
		return ruhu_calendar_promised_date(out, NULL, received, days);
	if (cli_open_replica(ctx, &r) != CLI_OK)
		return RUHU_ERROR;
	error = ruhu_replica_promised_date(out, r, received, days);
	ruhu_replica_free(r);
	*calendar = error == 0;
	return error;
}

static void json_labels(struct cli_json *j, const char *key, const char *zh, const char *en)
{
	cli_json_key(j, key);
	cli_json_object_begin(j);
	cli_json_kv_string(j, "zh", zh);
	cli_json_kv_string(j, "en", en);
	cli_json_object_end(j);
}

/* --- schema show --- */

static void json_field(struct cli_json *j, const ruhu_field *f)
{
	const ruhu_order *o = ruhu_field_order(f);

	cli_json_object_begin(j);
	cli_json_kv_string(j, "name", ruhu_field_name(f));
	cli_json_kv_string(j, "type", ruhu_field_sqltype(f));
	cli_json_kv_bool(j, "notnull", ruhu_field_notnull(f));
	json_labels(j, "label", ruhu_field_label(f, RUHU_LANG_ZH), ruhu_field_label(f, RUHU_LANG_EN));
	cli_json_kv_string(j, "rule", ruhu_rule_name(ruhu_field_rule(f)));
	cli_json_kv_bool(j, "rule_declared", ruhu_field_rule_declared(f));
	if (o) {
		cli_json_key(j, "order");
		cli_json_object_begin(j);
		cli_json_kv_string(j, "text", ruhu_order_text(o));
		cli_json_key(j, "states");
		cli_json_array_begin(j);
		for (size_t i = 0; i < ruhu_order_state_count(o); i++)
			cli_json_string(j, ruhu_order_state(o, i));
		cli_json_array_end(j);
		cli_json_key(j, "final");
		cli_json_array_begin(j);
		for (size_t i = 0; i < ruhu_order_final_count(o); i++)
			cli_json_string(j, ruhu_order_final(o, i));
		cli_json_array_end(j);
		cli_json_object_end(j);
	}
	if (ruhu_field_ref(f))
		cli_json_kv_string(j, "ref", ruhu_type_name(ruhu_field_ref(f)));
	if (ruhu_field_ref_by(f))
		cli_json_kv_string(j, "ref_type_column", ruhu_field_name(ruhu_field_ref_by(f)));
	if (ruhu_field_value_count(f)) {
		cli_json_key(j, "values");
		cli_json_array_begin(j);
		for (size_t i = 0; i < ruhu_field_value_count(f); i++) {
			cli_json_object_begin(j);
			cli_json_kv_string(j, "value", ruhu_field_value(f, i));
			cli_json_kv_string(j, "zh", ruhu_field_value_label(f, i, RUHU_LANG_ZH));
			cli_json_kv_string(j, "en", ruhu_field_value_label(f, i, RUHU_LANG_EN));
			cli_json_object_end(j);
		}
		cli_json_array_end(j);
	}
	cli_json_object_end(j);
}

static void json_type(struct cli_json *j, const ruhu_type *t)
{
	cli_json_object_begin(j);
	cli_json_kv_string(j, "name", ruhu_type_name(t));
	json_labels(j, "label", ruhu_type_label(t, RUHU_LANG_ZH), ruhu_type_label(t, RUHU_LANG_EN));
	cli_json_kv_string(j, "pk", ruhu_field_name(ruhu_type_pk(t)));
	cli_json_kv_string(j, "default_rule", ruhu_rule_name(ruhu_type_default_rule(t)));
	cli_json_kv_string(j, "delete", ruhu_delete_rule_name(ruhu_type_delete_rule(t)));
	cli_json_kv_string(j, "mutability", ruhu_mutability_name(ruhu_type_mutability(t)));
	if (ruhu_type_immutable_after(t))
		cli_json_kv_string(j, "immutable_after", ruhu_type_immutable_after(t));
	cli_json_key(j, "duplicate");
	cli_json_array_begin(j);
	for (size_t i = 0; i < ruhu_type_duplicate_count(t); i++)
		cli_json_string(j, ruhu_field_name(ruhu_type_duplicate_field(t, i)));
	cli_json_array_end(j);
	cli_json_key(j, "fields");
	cli_json_array_begin(j);
	for (size_t i = 0; i < ruhu_type_field_count(t); i++)
		json_field(j, ruhu_type_field(t, i));
	cli_json_array_end(j);
	cli_json_object_end(j);
}

static void print_type(const ruhu_type *t, int values)
{
	printf("\n%s  %s / %s\n", ruhu_type_name(t), ruhu_type_label(t, RUHU_LANG_ZH),
	       ruhu_type_label(t, RUHU_LANG_EN));
	printf("  delete %s", ruhu_delete_rule_name(ruhu_type_delete_rule(t)));
	if (ruhu_type_mutability(t) == RUHU_IMMUTABLE)
		printf("; immutable");
	else if (ruhu_type_mutability(t) == RUHU_IMMUTABLE_AFTER)
		printf("; immutable_after(%s)", ruhu_type_immutable_after(t));
	if (ruhu_type_default_rule(t) != RUHU_RULE_LWW)
		printf("; default %s", ruhu_rule_name(ruhu_type_default_rule(t)));
	for (size_t i = 0; i < ruhu_type_duplicate_count(t); i++)
		printf("%s%s", i ? "," : "; duplicate ", ruhu_field_name(ruhu_type_duplicate_field(t, i)));
	printf("\n");
	for (size_t i = 0; i < ruhu_type_field_count(t); i++) {
		const ruhu_field *f = ruhu_type_field(t, i);
		const ruhu_order *o = ruhu_field_order(f);
		const char *rule = o ? ruhu_order_text(o) : ruhu_rule_name(ruhu_field_rule(f));
		char what[256];

		if (ruhu_field_ref(f))
			snprintf(what, sizeof(what), "%s -> %s", rule, ruhu_type_name(ruhu_field_ref(f)));
		else if (ruhu_field_ref_by(f))
			snprintf(what, sizeof(what), "%s -> (%s)", rule, ruhu_field_name(ruhu_field_ref_by(f)));
		else
			snprintf(what, sizeof(what), "%s", rule);
		printf("  %-20s %-8s %-22s %s / %s\n", ruhu_field_name(f), ruhu_field_sqltype(f), what,
		       ruhu_field_label(f, RUHU_LANG_ZH), ruhu_field_label(f, RUHU_LANG_EN));
		for (size_t k = 0; values && k < ruhu_field_value_count(f); k++)
			printf("      %-20s %s / %s\n", ruhu_field_value(f, k),
			       ruhu_field_value_label(f, k, RUHU_LANG_ZH),
			       ruhu_field_value_label(f, k, RUHU_LANG_EN));
	}
}

int cmd_schema_show(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0, n, rc = CLI_OK;
	const struct cli_option opts[] = {
		CLI_BOOL(0, "json", &json, "print JSON"),
		CLI_END
	};
	ruhu_schema *s = NULL;
	const ruhu_type *only = NULL;

	if ((n = cli_parse(ctx, argc, argv, opts, 0, 1)) < 0)
		return CLI_USAGE;
	if (load_schema(ctx, &s) < 0)
		return cli_fail();
	if (n == 1 && (only = ruhu_schema_type_byname(s, argv[0])) == NULL) {
		rc = cli_error(CLI_FAIL, "no record type '%s'; see 'ruhu schema show'", argv[0]);
		goto done;
	}
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_kv_string(&j, "version", ruhu_schema_version(s));
		cli_json_key(&j, "migrations");
		cli_json_array_begin(&j);
		for (size_t i = 0; i < ruhu_schema_migration_count(s); i++) {
			cli_json_object_begin(&j);
			cli_json_kv_int(&j, "number", ruhu_schema_migration_number(s, i));
			cli_json_kv_string(&j, "name", ruhu_schema_migration_name(s, i));
			cli_json_object_end(&j);
		}
		cli_json_array_end(&j);
		cli_json_key(&j, "types");
		cli_json_array_begin(&j);
		for (size_t i = 0; i < ruhu_schema_type_count(s); i++)
			if (only == NULL || only == ruhu_schema_type(s, i))
				json_type(&j, ruhu_schema_type(s, i));
		cli_json_array_end(&j);
		cli_json_object_end(&j);
		rc = cli_json_print(&j);
		goto done;
	}
	printf("schema %s (%zu types, last migration %s)\n", ruhu_schema_version(s),
	       ruhu_schema_type_count(s),
	       ruhu_schema_migration_name(s, ruhu_schema_migration_count(s) - 1));
	for (size_t i = 0; i < ruhu_schema_type_count(s); i++)
		if (only == NULL || only == ruhu_schema_type(s, i))
			print_type(ruhu_schema_type(s, i), only != NULL);
done:
	ruhu_schema_free(s);
	return rc;
}

/* --- schema check --- */

int cmd_schema_check(struct cli_ctx *ctx, int argc, const char **argv)
{
	const struct cli_option opts[] = { CLI_END };
	const char **schema_files = NULL;
	size_t nschema = 0;
	int n, rc = CLI_OK;

	if ((n = cli_parse(ctx, argc, argv, opts, 1, -1)) < 0)
		return CLI_USAGE;
	if ((schema_files = calloc((size_t)n, sizeof(*schema_files))) == NULL)
		return cli_error(CLI_FAIL, "out of memory");
	for (int i = 0; i < n; i++) {
		ruhu_file_kind kind;
		ruhu_catalogue *cat = NULL;

		if (ruhu_schema_file_kind_path(&kind, argv[i]) < 0) {
			rc = cli_fail();
		} else if (kind == RUHU_FILE_CATALOGUE) {
			if (ruhu_catalogue_load_file(&cat, argv[i]) < 0)
				rc = cli_fail();
			else
				printf("%s: catalogue ok (%zu items, version %.16s)\n", argv[i],
				       ruhu_catalogue_item_count(cat), ruhu_catalogue_version(cat));
			ruhu_catalogue_free(cat);
		} else if (kind == RUHU_FILE_UNKNOWN) {
			rc = cli_error(CLI_FAIL, "%s: not a catalogue ('format catalogue 1'), rules file "
				       "('format rules 1') or migration (NNNN-name.sql)", argv[i]);
		} else {
			schema_files[nschema++] = argv[i];
		}
	}
	if (nschema) {
		ruhu_schema *s = NULL;

		if (ruhu_schema_load_files(&s, schema_files, nschema) < 0) {
			rc = cli_fail();
		} else {
			printf("schema ok (%zu types, version %.16s):", ruhu_schema_type_count(s),
			       ruhu_schema_version(s));
			for (size_t i = 0; i < nschema; i++)
				printf(" %s", schema_files[i]);
			printf("\n");
		}
		ruhu_schema_free(s);
	}
	free(schema_files);
	return rc;
}

/* --- schema validate --- */

int cmd_schema_validate(struct cli_ctx *ctx, int argc, const char **argv)
{
	static const struct {
		const char *kind;
		int (*fn)(const char *, const char *);
	} kinds[] = {
		{ "id-number", ruhu_validate_id_number }, { "credit-code", ruhu_validate_credit_code },
		{ "mobile", ruhu_validate_mobile }, { "phone", ruhu_validate_phone },
		{ "date", ruhu_validate_date }, { "datetime", ruhu_validate_datetime },
		{ "uuid", ruhu_validate_uuid }, { "code", ruhu_validate_code },
	};
	const char *field = NULL;
	const struct cli_option opts[] = {
		CLI_STRING(0, "field", &field, "NAME", "the field named in messages (default: the kind)"),
		CLI_END
	};
	int n, rc = CLI_OK;
	size_t k;

	if ((n = cli_parse(ctx, argc, argv, opts, 2, -1)) < 0)
		return CLI_USAGE;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(kinds[k].kind, argv[0]))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		return cli_error(CLI_USAGE, "unknown kind '%s' (id-number, credit-code, mobile, phone, "
				 "date, datetime, uuid, code)", argv[0]);
	for (int i = 1; i < n; i++) {
		if (kinds[k].fn(argv[i], field ? field : argv[0]) < 0)
			rc = cli_fail();
		else
			printf("ok\n");
	}
	return rc;
}

/* --- catalogue list / show / export --- */

int cmd_catalogue_list(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0, rc = CLI_OK;
	const char *file = NULL;
	const struct cli_option opts[] = {
		CLI_BOOL(0, "json", &json, "print JSON"),
		CLI_STRING(0, "catalogue", &file, "FILE", "a centre's catalogue file instead of the default"),
		CLI_END
	};
	ruhu_catalogue *cat = NULL;

	if (cli_parse(ctx, argc, argv, opts, 0, 0) < 0)
		return CLI_USAGE;
	if (load_catalogue(ctx, file, &cat) < 0)
		return cli_fail();
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		cli_json_object_begin(&j);
		cli_json_kv_string(&j, "version", ruhu_catalogue_version(cat));
		cli_json_kv_string(&j, "centre", ruhu_catalogue_centre(cat));
		cli_json_kv_bool(&j, "defaults", ruhu_catalogue_is_default(cat));
		cli_json_key(&j, "items");
		cli_json_array_begin(&j);
		for (size_t i = 0; i < ruhu_catalogue_item_count(cat); i++) {
			const ruhu_item *it = ruhu_catalogue_item(cat, i);

			cli_json_object_begin(&j);
			cli_json_kv_string(&j, "code", ruhu_item_code(it));
			json_labels(&j, "name", ruhu_item_name(it, RUHU_LANG_ZH), ruhu_item_name(it, RUHU_LANG_EN));
			cli_json_kv_string(&j, "category", ruhu_item_category(it));
			cli_json_kv_int(&j, "limit", ruhu_item_limit(it));
			cli_json_object_end(&j);
		}
		cli_json_array_end(&j);
		cli_json_object_end(&j);
		rc = cli_json_print(&j);
	} else {
		for (size_t i = 0; i < ruhu_catalogue_item_count(cat); i++) {
			const ruhu_item *it = ruhu_catalogue_item(cat, i);

			printf("%-34s %3u 个工作日 working days  %s\n", ruhu_item_code(it),
			       ruhu_item_limit(it), ruhu_item_name(it, RUHU_LANG_ZH));
		}
		if (ruhu_catalogue_is_default(cat))
			printf("(默认目录：时限和材料为默认值 / ruhu's default catalogue: limits and "
			       "materials are defaults)\n");
	}
	ruhu_catalogue_free(cat);
	return rc;
}

static void today(char out[RUHU_DATE_SIZE])
{
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL || strftime(out, RUHU_DATE_SIZE, "%Y-%m-%d", &tm) != 10)
		snprintf(out, RUHU_DATE_SIZE, "1970-01-01");
}

static void json_item(struct cli_json *j, const ruhu_catalogue *cat, const ruhu_item *it,
		      const char *received, const char *promised)
{
	cli_json_object_begin(j);
	cli_json_kv_string(j, "code", ruhu_item_code(it));
	json_labels(j, "name", ruhu_item_name(it, RUHU_LANG_ZH), ruhu_item_name(it, RUHU_LANG_EN));
	cli_json_key(j, "category");
	cli_json_object_begin(j);
	cli_json_kv_string(j, "code", ruhu_item_category(it));
	cli_json_kv_string(j, "zh", ruhu_item_category_label(it, RUHU_LANG_ZH));
	cli_json_kv_string(j, "en", ruhu_item_category_label(it, RUHU_LANG_EN));
	cli_json_object_end(j);
	cli_json_kv_string(j, "basis", ruhu_item_basis(it));
	cli_json_key(j, "materials");
	cli_json_array_begin(j);
	for (size_t i = 0; i < ruhu_item_material_count(it); i++) {
		cli_json_object_begin(j);
		cli_json_kv_string(j, "code", ruhu_item_material_code(it, i));
		cli_json_kv_string(j, "zh", ruhu_item_material_label(it, i, RUHU_LANG_ZH));
		cli_json_kv_string(j, "en", ruhu_item_material_label(it, i, RUHU_LANG_EN));
		cli_json_object_end(j);
	}
	cli_json_array_end(j);
	cli_json_key(j, "steps");
	cli_json_array_begin(j);
	for (size_t i = 0; i < ruhu_item_step_count(it); i++) {
		cli_json_object_begin(j);
		cli_json_kv_string(j, "zh", ruhu_item_step(it, i, RUHU_LANG_ZH));
		cli_json_kv_string(j, "en", ruhu_item_step(it, i, RUHU_LANG_EN));
		cli_json_object_end(j);
	}
	cli_json_array_end(j);
	cli_json_kv_int(j, "limit", ruhu_item_limit(it));
	cli_json_kv_bool(j, "default", ruhu_catalogue_is_default(cat));
	cli_json_kv_string(j, "received", received);
	cli_json_kv_string(j, "promised", promised);
	cli_json_object_end(j);
}

int cmd_catalogue_show(struct cli_ctx *ctx, int argc, const char **argv)
{
	int json = 0, rc = CLI_OK;
	const char *file = NULL, *date = NULL;
	const struct cli_option opts[] = {
		CLI_BOOL(0, "json", &json, "print JSON"),
		CLI_STRING(0, "date", &date, "YYYY-MM-DD", "the received date (default: today)"),
		CLI_STRING(0, "catalogue", &file, "FILE", "a centre's catalogue file instead of the default"),
		CLI_END
	};
	ruhu_catalogue *cat = NULL;
	const ruhu_item *it;
	char received[RUHU_DATE_SIZE], promised[RUHU_DATE_SIZE];
	ruhu_buf text = RUHU_BUF_INIT;
	int calendar = 0;

	if (cli_parse(ctx, argc, argv, opts, 1, 1) < 0)
		return CLI_USAGE;
	if (date && ruhu_validate_date(date, "--date") < 0)
		return cli_fail();
	if (load_catalogue(ctx, file, &cat) < 0)
		return cli_fail();
	if ((it = ruhu_catalogue_item_byname(cat, argv[0])) == NULL) {
		rc = cli_error(CLI_FAIL, "no service item '%s'; see 'ruhu catalogue list'", argv[0]);
		goto done;
	}
	if (date)
		snprintf(received, sizeof(received), "%s", date);
	else
		today(received);
	if (promised_date(promised, &calendar, ctx, received, ruhu_item_limit(it)) < 0) {
		rc = ruhu_error_last()[0] ? cli_fail() : CLI_FAIL;
		goto done;
	}
	if (json) {
		struct cli_json j;

		cli_json_init(&j);
		json_item(&j, cat, it, received, promised);
		rc = cli_json_print(&j);
	} else if (ruhu_catalogue_notice(&text, cat, it, received, promised, NULL) < 0) {
		rc = cli_fail();
	} else {
		fwrite(text.ptr, 1, text.size, stdout);
		if (!calendar)
			printf("（未计入法定节假日和调休 / public holidays and adjusted working days not "
			       "counted: give -C DIR for the centre's calendar）\n");
	}
done:
	ruhu_buf_dispose(&text);
	ruhu_catalogue_free(cat);
	return rc;
}

int cmd_catalogue_export(struct cli_ctx *ctx, int argc, const char **argv)
{
	const char *file = NULL;
	const struct cli_option opts[] = {
		CLI_STRING(0, "catalogue", &file, "FILE", "a centre's catalogue file instead of the default"),
		CLI_END
	};
	ruhu_catalogue *cat = NULL;
	const char *src;
	size_t len;
	int rc = CLI_OK;

	if (cli_parse(ctx, argc, argv, opts, 0, 0) < 0)
		return CLI_USAGE;
	if (load_catalogue(ctx, file, &cat) < 0)
		return cli_fail();
	src = ruhu_catalogue_source(cat, &len);
	if (fwrite(src, 1, len, stdout) != len)
		rc = cli_error(CLI_FAIL, "cannot write to standard output");
	ruhu_catalogue_free(cat);
	return rc;
}
