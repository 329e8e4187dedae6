/*
 * sqlfunc.c — ruhu's validators as SQL functions, for the CHECK constraints
 * of the record tables.
 *
 * Design notes
 *  1. Every function returns 1 for an acceptable value (NULL included) and
 *     otherwise fails the statement with sqlite3_result_error, so that the
 *     INSERT or UPDATE fails with exactly the validator's message ("invalid
 *     date for person.birth_date: not a real calendar date").
 *  2. The functions are SQLITE_DETERMINISTIC (required inside CHECK) and
 *     SQLITE_INNOCUOUS (no side effects: usable with trusted_schema=OFF).
 *     They never touch the thread's last error.
 *  3. The functions and their arguments (docs/schema.md, "Validators"):
 *       ruhu_id_number(v, field)     ruhu_credit_code(v, field)
 *       ruhu_mobile(v, field)        ruhu_phone(v, field)
 *       ruhu_date(v, field)          ruhu_datetime(v, field)
 *       ruhu_uuid(v, field)          ruhu_code(v, field)
 *       ruhu_enum(v, field, 'a,b')   ruhu_range(v, field, lo, hi)
 *       ruhu_tokens(v, field)        ruhu_tokens(v, field, 'a,b')
 *       ruhu_text(v, field, max)     ruhu_hex(v, field, digits)
 *       ruhu_not_before(v, other, field, other_field)
 */
#include <stdio.h>
#include <string.h>

#include "schema/schema_db.h"
#include "schema/schema_int.h"

typedef int (*check2_fn)(const char *, size_t, const char *, char *, size_t);

enum kind { K_PLAIN, K_LIST, K_NUMBER, K_RANGE, K_NOT_BEFORE };

struct fn {
	const char *name;
	int nargs;
	enum kind kind;
	check2_fn plain;
	int (*list)(const char *, size_t, const char *, const char *, char *, size_t);
	int (*number)(const char *, size_t, const char *, long long, char *, size_t);
};

static const char *field_arg(sqlite3_value *v)
{
	const char *f = (const char *)sqlite3_value_text(v);

	return f && *f ? f : "value";
}

static int text_arg(sqlite3_context *ctx, sqlite3_value *v, const char *field,
		    const char **s, size_t *n)
{
	char why[WHY_SIZE];

	if (sqlite3_value_type(v) != SQLITE_TEXT) {
		snprintf(why, sizeof(why), "invalid value for %s: expected text", field);
		sqlite3_result_error(ctx, why, -1);
		return -1;
	}
	*s = (const char *)sqlite3_value_text(v);
	*n = (size_t)sqlite3_value_bytes(v);
	if (*s == NULL) {
		sqlite3_result_error_nomem(ctx);
		return -1;
	}
	return 0;
}

/* A date-time as seconds and nanoseconds; with use_zone the zone's offset
 * is applied (docs/schema.md, ruhu_not_before).  `s` is a valid date-time. */
static void instant(const char *s, size_t n, int use_zone, long long *secs, long *nanos,
		    int *zoned)
{
	int y, m, d;
	size_t i = 19;

	*nanos = 0;
	*zoned = 0;
	if (date_parse(s, 10, &y, &m, &d) < 0)
		y = 1970, m = 1, d = 1;
	*secs = (long long)days_from_civil(y, m, d) * 86400 +
		((s[11] - '0') * 10 + (s[12] - '0')) * 3600 +
		((s[14] - '0') * 10 + (s[15] - '0')) * 60 + (s[17] - '0') * 10 + (s[18] - '0');
	if (i < n && s[i] == '.') {
		long scale = 100000000;

		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
			*nanos += (s[i] - '0') * scale;
	}
	if (i < n && s[i] == 'Z') {
		*zoned = 1;
	} else if (i + 6 <= n && (s[i] == '+' || s[i] == '-')) {
		long off = ((s[i + 1] - '0') * 10 + (s[i + 2] - '0')) * 3600 +
			   ((s[i + 4] - '0') * 10 + (s[i + 5] - '0')) * 60;

		*zoned = 1;
		if (use_zone)
			*secs -= s[i] == '+' ? off : -off;
	}
}

static int is_time(const char *s, size_t n, const char *field)
{
	char why[WHY_SIZE];

	if (n == 10)
		return check_date(s, n, field, why, sizeof(why)) == 0;
	return check_datetime(s, n, field, why, sizeof(why)) == 0;
}

/* 1 when a is earlier than b (both valid dates or date-times): by date when
 * either is a date; as instants when both have a zone; else by clock time. */
static int earlier(const char *a, size_t an, const char *b, size_t bn)
{
	long long as, bs;
	long ana, bna;
	int az, bz;

	if (an == 10 || bn == 10)
		return memcmp(a, b, 10) < 0;
	instant(a, an, 1, &as, &ana, &az);
	instant(b, bn, 1, &bs, &bna, &bz);
	if (!(az && bz)) {
		instant(a, an, 0, &as, &ana, &az);
		instant(b, bn, 0, &bs, &bna, &bz);
	}
	return as < bs || (as == bs && ana < bna);
}

static void run(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const struct fn *f = sqlite3_user_data(ctx);
	const char *field, *s;
	char why[WHY_SIZE];
	size_t n;
	int rc = 0;

	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_int(ctx, 1);
		return;
	}
	field = field_arg(argv[f->kind == K_NOT_BEFORE ? 2 : 1]);
	if (f->kind == K_RANGE) {
		long long v = sqlite3_value_int64(argv[0]);
		long long lo = sqlite3_value_int64(argv[2]), hi = sqlite3_value_int64(argv[3]);

		if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER || v < lo || v > hi) {
			snprintf(why, sizeof(why), "invalid value for %s: expected a whole number "
				 "from %lld to %lld", field, lo, hi);
			sqlite3_result_error(ctx, why, -1);
			return;
		}
		sqlite3_result_int(ctx, 1);
		return;
	}
	if (text_arg(ctx, argv[0], field, &s, &n) < 0)
		return;
	switch (f->kind) {
	case K_PLAIN:
		rc = f->plain(s, n, field, why, sizeof(why));
		break;
	case K_LIST: {
		const char *list = argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL;

		rc = f->list(s, n, field, list, why, sizeof(why));
		break;
	}
	case K_NUMBER:
		rc = f->number(s, n, field, sqlite3_value_int64(argv[2]), why, sizeof(why));
		break;
	case K_NOT_BEFORE: {
		const char *o = (const char *)sqlite3_value_text(argv[1]);
		size_t on = (size_t)sqlite3_value_bytes(argv[1]);
		const char *other = field_arg(argv[3]);

		if (o == NULL || sqlite3_value_type(argv[1]) != SQLITE_TEXT ||
		    !is_time(s, n, field) || !is_time(o, on, other))
			break; /* the columns' own checks judge malformed values */
		if (earlier(s, n, o, on)) {
			snprintf(why, sizeof(why), "invalid %s for %s: earlier than %s",
				 n == 10 ? "date" : "date-time", field, other);
			rc = -1;
		}
		break;
	}
	default:
		break;
	}
	if (rc < 0)
		sqlite3_result_error(ctx, why, -1);
	else
		sqlite3_result_int(ctx, 1);
}

static const struct fn functions[] = {
	{ "ruhu_id_number", 2, K_PLAIN, check_id_number, NULL, NULL },
	{ "ruhu_credit_code", 2, K_PLAIN, check_credit_code, NULL, NULL },
	{ "ruhu_mobile", 2, K_PLAIN, check_mobile, NULL, NULL },
	{ "ruhu_phone", 2, K_PLAIN, check_phone, NULL, NULL },
	{ "ruhu_date", 2, K_PLAIN, check_date, NULL, NULL },
	{ "ruhu_datetime", 2, K_PLAIN, check_datetime, NULL, NULL },
	{ "ruhu_uuid", 2, K_PLAIN, check_uuid, NULL, NULL },
	{ "ruhu_code", 2, K_PLAIN, check_code, NULL, NULL },
	{ "ruhu_enum", 3, K_LIST, NULL, check_enum, NULL },
	{ "ruhu_tokens", 2, K_LIST, NULL, check_tokens, NULL },
	{ "ruhu_tokens", 3, K_LIST, NULL, check_tokens, NULL },
	{ "ruhu_text", 3, K_NUMBER, NULL, NULL, check_text },
	{ "ruhu_hex", 3, K_NUMBER, NULL, NULL, check_hex },
	{ "ruhu_range", 4, K_RANGE, NULL, NULL, NULL },
	{ "ruhu_not_before", 4, K_NOT_BEFORE, NULL, NULL, NULL },
};

int ruhu_schema_register(sqlite3 *db)
{
	for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
		const struct fn *f = &functions[i];
		int rc = sqlite3_create_function_v2(db, f->name, f->nargs,
			SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
			(void *)f, run, NULL, NULL, NULL);

		if (rc != SQLITE_OK)
			return ruhu_error_set(rc == SQLITE_NOMEM ? RUHU_ENOMEM : RUHU_ERROR,
					      "cannot register SQL function %s: %s", f->name,
					      sqlite3_errstr(rc));
	}
	return 0;
}
