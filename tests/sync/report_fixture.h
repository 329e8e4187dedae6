/*
 * report_fixture.h — what the report suites share: a hub made through the
 * library, records added with the edit API, and a working-day calendar
 * computed here, independently of ruhu's (libc's timegm and gmtime on the
 * holidays the fixture seeds).  Static functions only, included by
 * test_report*.c.
 *
 * The seeded calendar (autumn 2026): 1-7 October are holidays (Thursday to
 * Wednesday); Sunday 27 September and Saturday 10 October are adjusted
 * working days.
 */
#ifndef RUHU_TEST_REPORT_FIXTURE_H
#define RUHU_TEST_REPORT_FIXTURE_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/replica.h"
#include "support/support.h"

#define RF_UNUSED __attribute__((unused))
#define RF_MAX_FIELDS 16

static char rf_dir[256];

static const char *const rf_holidays[] = {
	"2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06",
	"2026-10-07"
};
static const char *const rf_adjusted[] = { "2026-09-27", "2026-10-10" };

static RF_UNUSED ruhu_replica_options rf_fast(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

static RF_UNUSED void rf_setup(void)
{
	ruhu_init();
	rt_tmpdir(rf_dir, sizeof(rf_dir));
}

static RF_UNUSED void rf_teardown(void)
{
	rt_rmrf(rf_dir);
}

static RF_UNUSED ruhu_replica *rf_hub(void)
{
	ruhu_replica_options o = rf_fast();
	ruhu_replica *h = NULL;
	char p[512];

	rt_path(p, sizeof(p), rf_dir, "hub");
	rt_ok(ruhu_hub_init(&h, p, "320102", "梅园新村街道人社服务中心", NULL, "pw", 2, &o));
	rt_ok(ruhu_worker_use(h, "op-01", "李娜"));
	return h;
}

/* Insert a record: pairs of field and value (value NULL: SQL NULL), ended
 * by a NULL field.  `out` (may be NULL) gets the id. */
static RF_UNUSED void rf_add(ruhu_edit *e, const char *type, char out[RUHU_ID_SIZE], ...)
{
	ruhu_assign v[RF_MAX_FIELDS];
	char id[RUHU_ID_SIZE];
	size_t n = 0;
	va_list ap;
	const char *f;

	va_start(ap, out);
	while ((f = va_arg(ap, const char *)) != NULL) {
		ck_assert_uint_lt(n, RF_MAX_FIELDS);
		v[n].field = f;
		v[n].value = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	rt_ok(ruhu_edit_insert(e, type, v, n, out ? out : id));
}

static RF_UNUSED void rf_set(ruhu_edit *e, const char *type, const char *id, const char *field,
			     const char *value)
{
	ruhu_assign v = { field, value };

	rt_ok(ruhu_edit_update(e, type, id, &v, 1));
}

static RF_UNUSED ruhu_edit *rf_begin(ruhu_replica *r)
{
	ruhu_edit *e = NULL;

	rt_ok(ruhu_edit_begin(&e, r));
	return e;
}

static RF_UNUSED void rf_commit(ruhu_edit *e)
{
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
}

/* The seeded calendar as holiday records (one save). */
static RF_UNUSED void rf_seed_calendar(ruhu_replica *hub)
{
	ruhu_edit *e = rf_begin(hub);

	for (size_t i = 0; i < sizeof(rf_holidays) / sizeof(*rf_holidays); i++)
		rf_add(e, "holiday", NULL, "date", rf_holidays[i], "kind", "holiday", "name", "国庆节",
		       NULL);
	for (size_t i = 0; i < sizeof(rf_adjusted) / sizeof(*rf_adjusted); i++)
		rf_add(e, "holiday", NULL, "date", rf_adjusted[i], "kind", "workday", "name", "调休上班",
		       NULL);
	rf_commit(e);
}

/* --- the fixture's own calendar --- */

static RF_UNUSED time_t rf_time(const char *date)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)strtol(date, &end, 10) - 1900;
	tm.tm_mon = (int)strtol(end + 1, &end, 10) - 1;
	tm.tm_mday = (int)strtol(end + 1, &end, 10);
	tm.tm_hour = 12;
	return timegm(&tm);
}

static RF_UNUSED void rf_date(char out[11], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static RF_UNUSED int rf_listed(const char *const *list, size_t n, const char *date)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], date))
			return 1;
	return 0;
}

static RF_UNUSED int rf_working(time_t t)
{
	char d[11];
	struct tm tm;

	rf_date(d, t);
	gmtime_r(&t, &tm);
	if (rf_listed(rf_holidays, sizeof(rf_holidays) / sizeof(*rf_holidays), d))
		return 0;
	if (rf_listed(rf_adjusted, sizeof(rf_adjusted) / sizeof(*rf_adjusted), d))
		return 1;
	return tm.tm_wday != 0 && tm.tm_wday != 6;
}

/* Working days d with a < d <= b. */
static RF_UNUSED int rf_workdays(const char *a, const char *b)
{
	int n = 0;

	for (time_t t = rf_time(a) + 86400; t <= rf_time(b); t += 86400)
		n += rf_working(t);
	return n;
}

static RF_UNUSED int rf_days(const char *a, const char *b)
{
	return (int)((rf_time(b) - rf_time(a)) / 86400);
}

/* The n-th working day after `date`. */
static RF_UNUSED void rf_after(char out[11], const char *date, int n)
{
	time_t t = rf_time(date);

	while (n > 0) {
		t += 86400;
		n -= rf_working(t);
	}
	rf_date(out, t);
}

#endif
