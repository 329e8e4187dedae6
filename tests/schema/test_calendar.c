/*
 * test_calendar.c — working days and promised dates across weekends, a
 * holiday week with adjusted working days, month and year ends; the same
 * over the holiday table of a database.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "schema/schema_db.h"
#include "schema/schema_int.h"
#include "support/support.h"

/* National Day 2024 as the State Council set it: 1-7 October off, Sunday
 * 29 September and Saturday 12 October worked. */
static const ruhu_holiday national_day[] = {
	{ "2024-10-01", RUHU_DAY_HOLIDAY }, { "2024-10-02", RUHU_DAY_HOLIDAY },
	{ "2024-10-03", RUHU_DAY_HOLIDAY }, { "2024-10-04", RUHU_DAY_HOLIDAY },
	{ "2024-10-05", RUHU_DAY_HOLIDAY }, { "2024-10-06", RUHU_DAY_HOLIDAY },
	{ "2024-10-07", RUHU_DAY_HOLIDAY }, { "2024-09-29", RUHU_DAY_WORKDAY },
	{ "2024-10-12", RUHU_DAY_WORKDAY }, { "2025-01-01", RUHU_DAY_HOLIDAY },
};

static void promised(const ruhu_calendar *cal, const char *received, unsigned int days, const char *want)
{
	char out[RUHU_DATE_SIZE];

	rt_ok(ruhu_calendar_promised_date(out, cal, received, days));
	ck_assert_msg(!strcmp(out, want), "%s + %u working days: %s, not %s", received, days, out, want);
}

START_TEST(test_calendar_weekends_are_skipped)
{
	promised(NULL, "2024-05-10", 0, "2024-05-10");  /* Friday, same day */
	promised(NULL, "2024-05-10", 1, "2024-05-13");  /* Friday → Monday */
	promised(NULL, "2024-05-11", 1, "2024-05-13");  /* Saturday → Monday */
	promised(NULL, "2024-05-12", 0, "2024-05-12");  /* Sunday, same day */
	promised(NULL, "2024-05-13", 5, "2024-05-20");  /* Monday → next Monday */
	promised(NULL, "2024-05-06", 20, "2024-06-03");
	promised(NULL, "2024-02-28", 2, "2024-03-01");  /* through 29 February */
	promised(NULL, "2023-02-28", 2, "2023-03-02");
	promised(NULL, "2024-05-10T16:45:00+08:00", 1, "2024-05-13");
	ck_assert_int_eq(ruhu_calendar_is_working_day(NULL, "2024-05-11"), 0);
	ck_assert_int_eq(ruhu_calendar_is_working_day(NULL, "2024-05-13"), 1);
}
END_TEST

START_TEST(test_calendar_holidays_and_adjusted_working_days)
{
	ruhu_calendar *cal = NULL;

	rt_ok(ruhu_calendar_new(&cal, national_day, sizeof(national_day) / sizeof(national_day[0])));
	ck_assert_int_eq(ruhu_calendar_is_working_day(cal, "2024-09-29"), 1); /* Sunday worked */
	ck_assert_int_eq(ruhu_calendar_is_working_day(cal, "2024-10-01"), 0); /* Tuesday off */
	ck_assert_int_eq(ruhu_calendar_is_working_day(cal, "2024-10-12"), 1); /* Saturday worked */
	ck_assert_int_eq(ruhu_calendar_is_working_day(cal, "2024-10-13"), 0);
	/* Friday 27 September: Sunday 29 counts, Monday 30, then the holiday */
	promised(cal, "2024-09-27", 1, "2024-09-29");
	promised(cal, "2024-09-27", 2, "2024-09-30");
	promised(cal, "2024-09-27", 3, "2024-10-08");
	promised(cal, "2024-09-27", 6, "2024-10-11");
	promised(cal, "2024-09-27", 7, "2024-10-12");  /* the adjusted Saturday */
	promised(cal, "2024-09-27", 8, "2024-10-14");
	/* received on a holiday: counting starts at the next working day */
	promised(cal, "2024-10-03", 1, "2024-10-08");
	/* the same without the calendar: weekdays only */
	promised(NULL, "2024-09-27", 3, "2024-10-02");
	/* across the year end, New Year's Day off */
	promised(cal, "2024-12-31", 3, "2025-01-06");
	ruhu_calendar_free(cal);
}
END_TEST

START_TEST(test_calendar_listed_twice_is_a_holiday_and_bad_input_refused)
{
	const ruhu_holiday both[] = { { "2024-05-13", RUHU_DAY_WORKDAY }, { "2024-05-13", RUHU_DAY_HOLIDAY } };
	const ruhu_holiday bad_date[] = { { "2024-02-30", RUHU_DAY_HOLIDAY } };
	const ruhu_holiday bad_kind[] = { { "2024-02-01", (ruhu_day_kind)7 } };
	ruhu_calendar *cal = NULL;
	char out[RUHU_DATE_SIZE];

	rt_ok(ruhu_calendar_new(&cal, both, 2));
	ck_assert_int_eq(ruhu_calendar_is_working_day(cal, "2024-05-13"), 0);
	ck_assert_int_eq(ruhu_calendar_promised_date(out, cal, "2024-05-13", 3651), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_calendar_promised_date(out, cal, "2024-13-01", 1), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "invalid date for the received date: not a real calendar date");
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(ruhu_calendar_promised_date(out, cal, NULL, 1), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_calendar_is_working_day(cal, "someday"), RUHU_EINVALID);
	ruhu_calendar_free(cal);
	ck_assert_int_eq(ruhu_calendar_new(&cal, bad_date, 1), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "invalid date for holiday.date: not a real calendar date");
	ck_assert_ptr_null(cal);
	ck_assert_int_eq(ruhu_calendar_new(&cal, bad_kind, 1), RUHU_EINVALID);
	rt_ok(ruhu_calendar_new(&cal, NULL, 0));
	promised(cal, "2024-05-10", 1, "2024-05-13");
	ruhu_calendar_free(cal);
}
END_TEST

START_TEST(test_calendar_day_arithmetic_round_trips)
{
	long first = days_from_civil(1800, 1, 1), last = days_from_civil(2199, 12, 31);
	char text[RUHU_DATE_SIZE];
	int y, m, d;

	ck_assert_int_eq(days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(weekday_of(days_from_civil(2024, 5, 6)), 0);   /* a Monday */
	ck_assert_int_eq(weekday_of(days_from_civil(1949, 10, 1)), 5);  /* a Saturday */
	ck_assert_int_eq(weekday_of(days_from_civil(1800, 1, 1)), 2);   /* a Wednesday */
	for (long z = first; z <= last; z++) {
		civil_from_days(z, &y, &m, &d);
		ck_assert(days_from_civil(y, m, d) == z);
		if (z % 997 == 0) {
			date_format(text, z);
			rt_ok(ruhu_validate_date(text, "d"));
		}
	}
	ck_assert_int_eq(last - first + 1, 146097); /* 400 years */
}
END_TEST

START_TEST(test_calendar_from_the_holiday_table)
{
	char dir[256], path[512], out[RUHU_DATE_SIZE];
	ruhu_schema *s = NULL;
	ruhu_calendar *cal = NULL;
	sqlite3 *db = NULL;

	rt_tmpdir(dir, sizeof(dir));
	rt_path(path, sizeof(path), dir, "replica.db");
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	rt_ok(ruhu_schema_load_default(&s));
	rt_ok(ruhu_schema_install(db, s));
	for (size_t i = 0; i < sizeof(national_day) / sizeof(national_day[0]); i++) {
		char sql[256];

		snprintf(sql, sizeof(sql), "INSERT INTO holiday (id, date, kind, name) VALUES"
			 " ('01890a5d-ac96-774b-bcce-b302099000%02zu', '%s', '%s', '国庆节')", i,
			 national_day[i].date, national_day[i].kind == RUHU_DAY_HOLIDAY ? "holiday" : "workday");
		ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	rt_ok(ruhu_calendar_promised_date_db(out, db, "2024-09-27T10:00:00+08:00", 7));
	ck_assert_str_eq(out, "2024-10-12");
	rt_ok(ruhu_calendar_load(&cal, db));
	ck_assert_int_eq(ruhu_calendar_is_working_day(cal, "2024-10-07"), 0);
	ruhu_calendar_free(cal);
	sqlite3_close(db);
	ruhu_schema_free(s);
	rt_rmrf(dir);
}
END_TEST

Suite *calendar_suite(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("calendar");

	tcase_add_test(tc, test_calendar_weekends_are_skipped);
	tcase_add_test(tc, test_calendar_holidays_and_adjusted_working_days);
	tcase_add_test(tc, test_calendar_listed_twice_is_a_holiday_and_bad_input_refused);
	tcase_add_test(tc, test_calendar_day_arithmetic_round_trips);
	tcase_add_test(tc, test_calendar_from_the_holiday_table);
	suite_add_tcase(s, tc);
	return s;
}
