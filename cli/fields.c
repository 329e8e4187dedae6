/*
 * fields.c — what the record commands share: `field=value` words, records
 * printed for people and as JSON, and the one-line report of a save.
 *
 * Design notes
 *  1. A word is split at its first '=': the field name before it, the value
 *     after it (which may hold more '=').  `field=` with nothing after the
 *     '=' is SQL NULL; there is no way to write an empty text, which no
 *     record field takes anyway (the validators refuse blank text).
 *  2. The human form of a record names every field that is not NULL with
 *     its labels, Chinese first, and gives the label of an enumerated value
 *     beside it.  NULL fields are left out; `ruhu schema show TYPE` lists
 *     them all.  The JSON form is one object with every field, NULL as null,
 *     integers and reals as numbers, like `ruhu sql --json`.
 *  3. Text is printed as stored; the lines of a value that holds newlines
 *     are indented under the field, so that one field never looks like two.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

int cli_assigns_parse(struct cli_ctx *ctx, struct cli_assigns *out, const char *const *words,
		      size_t n)
{
	int rc = CLI_OK;

	out->items = NULL;
	out->count = 0;
	if (n == 0)
		return CLI_OK;
	if ((out->items = calloc(n, sizeof(*out->items))) == NULL)
		return cli_error(CLI_FAIL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(words[i], '=');

		if (eq == NULL || eq == words[i]) {
			rc = cli_usage_error(ctx, NULL, "'%s' is not field=value", words[i]);
			goto done;
		}
		/* the field name is the word up to '=': keep it in its own
		 * allocation so that argv stays as given */
		{
			size_t len = (size_t)(eq - words[i]);
			char *name = malloc(len + 1);

			if (name == NULL) {
				rc = cli_error(CLI_FAIL, "out of memory");
				goto done;
			}
			memcpy(name, words[i], len);
			name[len] = '\0';
			out->items[i].field = name;
		}
		out->items[i].value = eq[1] ? eq + 1 : NULL;
		out->count = i + 1;
	}
done:
	if (rc != CLI_OK)
		cli_assigns_release(out);
	return rc;
}

void cli_assigns_release(struct cli_assigns *a)
{
	for (size_t i = 0; a->items && i < a->count; i++)
		free((char *)a->items[i].field);
	free(a->items);
	a->items = NULL;
	a->count = 0;
}

void cli_json_value(struct cli_json *j, const ruhu_value *v)
{
	switch (v->type) {
	case RUHU_VALUE_INTEGER:
		cli_json_int(j, v->i);
		break;
	case RUHU_VALUE_REAL:
		cli_json_double(j, v->d);
		break;
	case RUHU_VALUE_TEXT:
		cli_json_stringn(j, v->p, v->len);
		break;
	case RUHU_VALUE_BLOB: {
		ruhu_buf hex = RUHU_BUF_INIT;

		if (ruhu_buf_puthex(&hex, v->p, v->len) < 0)
			j->failed = 1;
		cli_json_string(j, hex.ptr ? hex.ptr : "");
		ruhu_buf_dispose(&hex);
		break;
	}
	default:
		cli_json_null(j);
	}
}

void cli_json_record(struct cli_json *j, int ncols, const char *const *names,
		     const ruhu_value *values)
{
	cli_json_object_begin(j);
	for (int i = 0; i < ncols; i++) {
		cli_json_key(j, names[i]);
		cli_json_value(j, &values[i]);
	}
	cli_json_object_end(j);
}

/* Text with its later lines indented (design note 3). */
static void put_indented(FILE *out, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		fputc(p[i], out);
		if (p[i] == '\n' && i + 1 < len)
			fputs("      ", out);
	}
}

static void put_value(FILE *out, const ruhu_value *v)
{
	switch (v->type) {
	case RUHU_VALUE_INTEGER:
		fprintf(out, "%lld", (long long)v->i);
		break;
	case RUHU_VALUE_REAL:
		fprintf(out, "%.17g", v->d);
		break;
	case RUHU_VALUE_TEXT:
		put_indented(out, v->p, v->len);
		break;
	case RUHU_VALUE_BLOB:
		fputs("x'", out);
		for (size_t k = 0; k < v->len; k++)
			fprintf(out, "%02x", (unsigned char)v->p[k]);
		fputc('\'', out);
		break;
	default:
		break;
	}
}

void cli_print_record(FILE *out, const ruhu_schema *schema, const char *type, int ncols,
		      const char *const *names, const ruhu_value *values)
{
	const ruhu_type *t = schema ? ruhu_schema_type_byname(schema, type) : NULL;
	const char *id = NULL;

	for (int i = 0; i < ncols; i++)
		if (!strcmp(names[i], "id") && values[i].type == RUHU_VALUE_TEXT)
			id = values[i].p;
	fprintf(out, "%s %s", type, id ? id : "");
	if (t)
		fprintf(out, "  (%s / %s)", ruhu_type_label(t, RUHU_LANG_ZH), ruhu_type_label(t, RUHU_LANG_EN));
	fputc('\n', out);
	for (int i = 0; i < ncols; i++) {
		const ruhu_field *f = t ? ruhu_type_field_byname(t, names[i]) : NULL;

		if (values[i].type == RUHU_VALUE_NULL || (f && ruhu_field_is_pk(f)))
			continue;
		if (f)
			fprintf(out, "  %s (%s / %s): ", names[i], ruhu_field_label(f, RUHU_LANG_ZH),
				ruhu_field_label(f, RUHU_LANG_EN));
		else
			fprintf(out, "  %s: ", names[i]);
		put_value(out, &values[i]);
		if (f && values[i].type == RUHU_VALUE_TEXT) {
			const char *zh = ruhu_field_value_label_of(f, values[i].p, RUHU_LANG_ZH);
			const char *en = ruhu_field_value_label_of(f, values[i].p, RUHU_LANG_EN);

			if (zh && en)
				fprintf(out, " (%s / %s)", zh, en);
		}
		fputc('\n', out);
	}
}

void cli_print_save(FILE *out, const ruhu_save_info *info)
{
	if (!info->committed) {
		fputs("nothing changed: no commit\n", out);
		return;
	}
	fprintf(out, "saved commit %.12s (save %lld, %zu %s)\n", info->id, (long long)info->seq,
		info->changes, info->changes == 1 ? "change" : "changes");
}
