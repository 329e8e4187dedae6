/*
 * report.c — what the reports share: the string pool, options and the as-of
 * date, the read transaction, closed states, statements, working days (see
 * report.h; the reports are in report_*.c, docs/reports.md).
 *
 * Design notes
 *  1. The pool is a chain of blocks of at least POOL_BLOCK bytes; a string
 *     is copied once and never moves, so pointers into the pool stay valid
 *     until the pool is freed.
 *  2. Dates are day numbers since 1970-01-01 in the proleptic Gregorian
 *     calendar (Hinnant's days_from_civil / civil_from_days).  Working days
 *     are asked of the calendar once per day of the span a report needs and
 *     kept as prefix sums.
 *  3. Spans are bounded by the dates the validators accept (1800-2199), so
 *     a prefix array is at most about 146,000 ints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/meta.h"
#include "core/when.h"
#include "schema/schema_db.h"
#include "sync/report.h"

#define POOL_BLOCK 16384u
#define MAX_SPAN_DAYS 200000L

struct block {
	struct block *next;
	size_t used, size;
	char data[];
};

struct ruhu_report_pool {
	struct block *head;
};

int report_pool_new(struct ruhu_report_pool **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return ruhu_error_oom();
	return 0;
}

void report_pool_free(struct ruhu_report_pool *pool)
{
	struct block *b, *next;

	if (pool == NULL)
		return;
	for (b = pool->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(pool);
}

static int pool_copy(const char **out, struct ruhu_report_pool *pool, const char *s, size_t len)
{
	struct block *b = pool->head;

	if (b == NULL || b->size - b->used < len + 1) {
		size_t size = len + 1 > POOL_BLOCK ? len + 1 : POOL_BLOCK;

		if ((b = malloc(sizeof(*b) + size)) == NULL)
			return ruhu_error_oom();
		b->used = 0;
		b->size = size;
		b->next = pool->head;
		pool->head = b;
	}
	memcpy(b->data + b->used, s, len);
	b->data[b->used + len] = '\0';
	*out = b->data + b->used;
	b->used += len + 1;
	return 0;
}

int report_strdup(const char **out, struct ruhu_report_pool *pool, const char *s)
{
	*out = NULL;
	return s ? pool_copy(out, pool, s, strlen(s)) : 0;
}

int report_column(const char **out, struct ruhu_report_pool *pool, sqlite3_stmt *st, int col)
{
	const unsigned char *t;

	*out = NULL;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	if ((t = sqlite3_column_text(st, col)) == NULL)
		return ruhu_error_oom();
	return pool_copy(out, pool, (const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

int report_grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap <= n || ncap > SIZE_MAX / size)
		return ruhu_error_oom();
	if ((p = realloc(*arr, ncap * size)) == NULL)
		return ruhu_error_oom();
	*arr = p;
	*cap = ncap;
	return 0;
}

int ruhu_report_opts_init(ruhu_report_opts *opts, unsigned int version)
{
	ruhu_report_opts d = RUHU_REPORT_OPTS_INIT;

	if (opts == NULL || version != RUHU_REPORT_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "unknown report options version %u", version);
	*opts = d;
	return 0;
}

int report_opts(ruhu_report_opts *out, const ruhu_report_opts *in)
{
	ruhu_report_opts d = RUHU_REPORT_OPTS_INIT;

	*out = in ? *in : d;
	if (out->version != RUHU_REPORT_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "unknown report options version %u", out->version);
	if (out->within > RUHU_REPORT_WITHIN_MAX)
		return ruhu_error_set(RUHU_EINVALID, "cannot look %u working days ahead (at most %d)",
				      out->within, RUHU_REPORT_WITHIN_MAX);
	if (out->as_of && ruhu_validate_date(out->as_of, "the as-of date") < 0)
		return RUHU_EINVALID;
	if (out->served != RUHU_SERVED_REGISTERED && out->served != RUHU_SERVED_ACTIVE)
		return ruhu_error_set(RUHU_EINVALID, "unknown definition of residents served (%d)",
				      (int)out->served);
	if (out->by != RUHU_BY_ITEM && out->by != RUHU_BY_WORKER && out->by != RUHU_BY_MONTH)
		return ruhu_error_set(RUHU_EINVALID, "unknown grouping of ratings (%d)", (int)out->by);
	if (out->per == 0)
		out->per = RUHU_REPORT_PER_DEFAULT;
	if (out->minimum == 0)
		out->minimum = RUHU_REPORT_MINIMUM_DEFAULT;
	return 0;
}

int report_tz(int *out, sqlite3 *db)
{
	int64_t tz;
	int error = ruhu_meta_int_or(&tz, db, "tz_minutes", 480);

	if (error == 0 && (tz < -14 * 60 || tz > 14 * 60))
		error = ruhu_error_set(RUHU_ECORRUPT, "the centre's time zone is out of range (%lld minutes)",
				       (long long)tz);
	*out = error == 0 ? (int)tz : 480;
	return error;
}

int report_as_of(char out[RUHU_DATE_SIZE], ruhu_replica *r, const ruhu_report_opts *opts)
{
	int tz, error;

	if (opts->as_of) {
		snprintf(out, RUHU_DATE_SIZE, "%.10s", opts->as_of);
		return 0;
	}
	if ((error = report_tz(&tz, ruhu_replica_db(r))) < 0)
		return error;
	ruhu_when_date(out, ruhu_replica_now_ms(r), tz);
	return 0;
}

int report_schema(const ruhu_schema **out, ruhu_replica *r)
{
	return ruhu_replica_schema(out, r);
}

int report_catalogue(ruhu_catalogue **out, sqlite3 *db)
{
	int error = ruhu_catalogue_load_db(out, db);

	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = ruhu_catalogue_load_default(out);
	}
	return error;
}

const char *report_item_name(const ruhu_catalogue *cat, const char *code)
{
	const ruhu_item *it = code ? ruhu_catalogue_item_byname(cat, code) : NULL;

	return it ? ruhu_item_name(it, RUHU_LANG_ZH) : NULL;
}

int report_read_begin(sqlite3 *db, int *began)
{
	int rc;

	*began = 0;
	if (!sqlite3_get_autocommit(db))
		return 0;
	if ((rc = sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, "begin reading the replica");
	*began = 1;
	return 0;
}

void report_read_end(sqlite3 *db, int began)
{
	if (began && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

const ruhu_order *report_order(const ruhu_schema *schema, const char *type, const char *field)
{
	const ruhu_type *t = ruhu_schema_type_byname(schema, type);
	const ruhu_field *f = t ? ruhu_type_field_byname(t, field) : NULL;

	return f ? ruhu_field_order(f) : NULL;
}

int report_is_closed(const ruhu_order *order, const char *value)
{
	size_t n;

	if (order == NULL || value == NULL)
		return 0;
	if (ruhu_order_is_final(order, value))
		return 1;
	n = ruhu_order_state_count(order);
	return n > 0 && !strcmp(ruhu_order_state(order, n - 1), value);
}

static int prepare(sqlite3_stmt **st, sqlite3 *db, const char *sql, const char *const *binds,
		   size_t nbinds, const char *what)
{
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, st, NULL)) != SQLITE_OK)
		return ruhu_sql_error(db, rc, what);
	for (size_t i = 0; i < nbinds; i++)
		if (binds[i] && (rc = sqlite3_bind_text(*st, (int)i + 1, binds[i], -1,
							SQLITE_STATIC)) != SQLITE_OK)
			return ruhu_sql_error(db, rc, what);
	return 0;
}

int report_each(sqlite3 *db, const char *sql, const char *const *binds, size_t nbinds,
		int (*row)(sqlite3_stmt *st, void *payload), void *payload, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_DONE, error;

	if ((error = prepare(&st, db, sql, binds, nbinds, what)) < 0)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((error = row(st, payload)) != 0)
			goto done;
	if (rc != SQLITE_DONE)
		error = ruhu_sql_error(db, rc, what);
done:
	sqlite3_finalize(st);
	return error;
}

int report_count(int64_t *out, sqlite3 *db, const char *sql, const char *const *binds,
		 size_t nbinds, const char *what)
{
	sqlite3_stmt *st = NULL;
	int rc, error;

	*out = 0;
	if ((error = prepare(&st, db, sql, binds, nbinds, what)) < 0)
		goto done;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		error = ruhu_sql_error(db, rc, what);
done:
	sqlite3_finalize(st);
	return error;
}

/* --- days (design note 2) --- */

static long days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (long)y - era * 400;
	doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int report_day(long *out, const char *s)
{
	char date[RUHU_DATE_SIZE];
	int y, m, d;

	*out = -1;
	if (s == NULL || strlen(s) < 10)
		return ruhu_error_set(RUHU_EINVALID, "a record holds a date that is not YYYY-MM-DD");
	memcpy(date, s, 10);
	date[10] = '\0';
	if (ruhu_validate_date(date, "a record's date") < 0)
		return RUHU_EINVALID;
	y = (date[0] - '0') * 1000 + (date[1] - '0') * 100 + (date[2] - '0') * 10 + (date[3] - '0');
	m = (date[5] - '0') * 10 + (date[6] - '0');
	d = (date[8] - '0') * 10 + (date[9] - '0');
	*out = days_from_civil(y, m, d);
	return 0;
}

void report_day_format(char out[RUHU_DATE_SIZE], long day)
{
	char tmp[32];
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y % 10000, m, d);
	snprintf(out, RUHU_DATE_SIZE, "%.10s", tmp);
}

int report_workdays_build(struct report_workdays *wd, const ruhu_calendar *cal, long first,
			  long last)
{
	char date[RUHU_DATE_SIZE];
	int sum = 0, w;

	memset(wd, 0, sizeof(*wd));
	if (last < first)
		last = first;
	if (last - first >= MAX_SPAN_DAYS)
		return ruhu_error_set(RUHU_EINVALID, "the dates of the report span more than %ld days",
				      MAX_SPAN_DAYS);
	wd->first = first;
	wd->n = (size_t)(last - first) + 1;
	if ((wd->cum = calloc(wd->n, sizeof(*wd->cum))) == NULL)
		return ruhu_error_oom();
	for (size_t i = 0; i < wd->n; i++) {
		report_day_format(date, first + (long)i);
		if ((w = ruhu_calendar_is_working_day(cal, date)) < 0) {
			report_workdays_dispose(wd);
			return w;
		}
		sum += w;
		wd->cum[i] = sum;
	}
	return 0;
}

/* Working days in [first, day]; days outside the span are clamped (the
 * span always covers the days a report asks about). */
static int upto(const struct report_workdays *wd, long day)
{
	if (wd->n == 0 || day < wd->first)
		return 0;
	if (day - wd->first >= (long)wd->n)
		return wd->cum[wd->n - 1];
	return wd->cum[day - wd->first];
}

int report_workdays_between(const struct report_workdays *wd, long a, long b)
{
	return upto(wd, b) - upto(wd, a);
}

void report_workdays_dispose(struct report_workdays *wd)
{
	free(wd->cum);
	memset(wd, 0, sizeof(*wd));
}

const char *ruhu_report_by_name(ruhu_report_by by)
{
	switch (by) {
	case RUHU_BY_WORKER:
		return "worker";
	case RUHU_BY_MONTH:
		return "month";
	default:
		return "item";
	}
}

const char *ruhu_served_name(ruhu_served served)
{
	return served == RUHU_SERVED_ACTIVE ? "active" : "registered";
}
