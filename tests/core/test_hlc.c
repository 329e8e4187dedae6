/*
 * test_hlc.c — the hybrid logical clock (core/hlc.h): monotonic when the
 * wall clock goes back and across restarts, counter overflow, far-future
 * remote timestamps capped, the text form.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "support/support.h"
#include "core/hlc.h"

static const char meta_sql[] = "CREATE TABLE _meta(key TEXT PRIMARY KEY, value ANY) STRICT;";

/* 2026-11-26T23:14:13.123Z */
#define T0 INT64_C(1795734853123)
#define HOUR INT64_C(3600000)

static int64_t fake_wall(void *payload)
{
	return *(int64_t *)payload;
}

static sqlite3 *open_at(const char *path, int create)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	if (create)
		ck_assert_int_eq(sqlite3_exec(db, meta_sql, NULL, NULL, NULL), SQLITE_OK);
	return db;
}

START_TEST(test_hlc_monotonic_when_wall_goes_back)
{
	sqlite3 *db = open_at(":memory:", 1);
	int64_t now = T0;
	ruhu_wallclock clock = { fake_wall, &now };
	uint64_t prev = 0, t;
	unsigned int flags;

	for (int i = 0; i < 2000; i++) {
		/* forward, still, and back by up to an hour now and then */
		now = T0 + i / 3 - ((i % 7 == 3) ? (int64_t)(i % 5) * HOUR / 4 : 0);
		rt_ok(ruhu_hlc_now(&t, &flags, db, &clock));
		ck_assert_msg(t > prev, "step %d went back", i);
		ck_assert_uint_eq(flags, 0);
		prev = t;
	}
	/* the wall clock caught up again: the clock follows it */
	now += 10 * HOUR;
	rt_ok(ruhu_hlc_now(&t, NULL, db, &clock));
	ck_assert_uint_eq(t, ruhu_hlc_make((uint64_t)now, 0));
	sqlite3_close(db);
}
END_TEST

START_TEST(test_hlc_monotonic_across_restarts)
{
	char dir[256], path[300];
	int64_t now = T0;
	ruhu_wallclock clock = { fake_wall, &now };
	uint64_t before, after, stored;
	sqlite3 *db;

	rt_tmpdir(dir, sizeof(dir));
	rt_path(path, sizeof(path), dir, "replica.db");
	db = open_at(path, 1);
	ck_assert_int_eq(ruhu_hlc_load(&stored, db), 0);
	ck_assert_uint_eq(stored, 0);
	for (int i = 0; i < 5; i++)
		rt_ok(ruhu_hlc_now(&before, NULL, db, &clock));
	ck_assert_uint_eq(before, ruhu_hlc_make((uint64_t)T0, 4));
	sqlite3_close(db);

	/* restart with the wall clock set back by a day */
	now = T0 - 24 * HOUR;
	db = open_at(path, 0);
	rt_ok(ruhu_hlc_load(&stored, db));
	ck_assert_uint_eq(stored, before);
	rt_ok(ruhu_hlc_now(&after, NULL, db, &clock));
	ck_assert_uint_gt(after, before);
	ck_assert_uint_eq(after, ruhu_hlc_make((uint64_t)T0, 5));
	/* a value that is not an integer is refused, not reset */
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE _meta SET value = 'x' WHERE key = 'hlc'",
				      NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(ruhu_hlc_now(&after, NULL, db, &clock), RUHU_ECORRUPT);
	sqlite3_close(db);
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_hlc_counter_overflow_moves_to_next_ms)
{
	uint64_t t = 0, prev = 0;

	for (unsigned int i = 0; i < 70000; i++) {
		rt_ok(ruhu_hlc_tick(&t, NULL, t, T0));
		ck_assert(t > prev);
		prev = t;
	}
	/* 65536 values in T0, then T0 + 1 from counter 0 */
	ck_assert_uint_eq(ruhu_hlc_ms(t), (uint64_t)T0 + 1);
	ck_assert_uint_eq(ruhu_hlc_counter(t), 70000 - 65536 - 1);
	/* merging at the top of the counter overflows the same way */
	rt_ok(ruhu_hlc_merge(&t, NULL, ruhu_hlc_make(T0, 0xffff), ruhu_hlc_make(T0, 0xfffe), T0));
	ck_assert_uint_eq(t, ruhu_hlc_make((uint64_t)T0 + 1, 0));
	/* and at the end of time it fails instead of wrapping */
	ck_assert_int_eq(ruhu_hlc_tick(&t, NULL, ruhu_hlc_make(RUHU_HLC_MAX_MS, 0xffff), 0),
			 RUHU_ERROR);
}
END_TEST

START_TEST(test_hlc_merge_rules)
{
	uint64_t t;
	unsigned int flags;

	/* remote ahead (within the bound): after it */
	rt_ok(ruhu_hlc_merge(&t, &flags, ruhu_hlc_make(T0, 3), ruhu_hlc_make(T0 + 5000, 7), T0));
	ck_assert_uint_eq(t, ruhu_hlc_make(T0 + 5000, 8));
	ck_assert_uint_eq(flags, 0);
	/* same ms on both sides: the larger counter plus one */
	rt_ok(ruhu_hlc_merge(&t, NULL, ruhu_hlc_make(T0, 9), ruhu_hlc_make(T0, 4), T0 - 1));
	ck_assert_uint_eq(t, ruhu_hlc_make(T0, 10));
	/* local ahead of remote and wall */
	rt_ok(ruhu_hlc_merge(&t, NULL, ruhu_hlc_make(T0, 9), ruhu_hlc_make(T0 - 1, 40), T0 - 2));
	ck_assert_uint_eq(t, ruhu_hlc_make(T0, 10));
	/* wall ahead of both */
	rt_ok(ruhu_hlc_merge(&t, NULL, ruhu_hlc_make(T0, 9), ruhu_hlc_make(T0, 40), T0 + 1));
	ck_assert_uint_eq(t, ruhu_hlc_make(T0 + 1, 0));
	/* a negative wall clock counts as 0 */
	rt_ok(ruhu_hlc_tick(&t, NULL, 0, -5));
	ck_assert_uint_eq(t, 1);
}
END_TEST

START_TEST(test_hlc_far_future_remote_capped)
{
	sqlite3 *db = open_at(":memory:", 1);
	int64_t now = T0;
	ruhu_wallclock clock = { fake_wall, &now };
	uint64_t t, later;
	unsigned int flags;

	/* a tablet whose clock says next month */
	rt_ok(ruhu_hlc_observe(&t, &flags, db, &clock, ruhu_hlc_make(T0 + 30 * 24 * HOUR, 5)));
	ck_assert_uint_eq(flags, RUHU_HLC_CAPPED);
	ck_assert_uint_eq(t, ruhu_hlc_make((uint64_t)(T0 + 24 * HOUR), 1));
	rt_ok(ruhu_hlc_now(&later, &flags, db, &clock));
	ck_assert_uint_eq(flags, 0);
	ck_assert_uint_gt(later, t);
	/* one just inside the bound is taken as it is */
	rt_ok(ruhu_hlc_observe(&t, &flags, db, &clock, ruhu_hlc_make(T0 + 24 * HOUR, 9)));
	ck_assert_uint_eq(flags, 0);
	ck_assert_uint_eq(t, ruhu_hlc_make((uint64_t)(T0 + 24 * HOUR), 10));
	/* the clock itself far ahead (the wall clock was fixed later): it still
	 * counts on, never back, and says so */
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE _meta SET value = 1 << 62 WHERE key = 'hlc'",
				      NULL, NULL, NULL), SQLITE_OK);
	rt_ok(ruhu_hlc_now(&t, &flags, db, &clock));
	ck_assert_uint_eq(flags, RUHU_HLC_AHEAD);
	ck_assert_uint_eq(t, ((uint64_t)1 << 62) + 1);
	rt_ok(ruhu_hlc_observe(&later, &flags, db, &clock, ruhu_hlc_make(T0, 0)));
	ck_assert_uint_eq(flags, RUHU_HLC_AHEAD);
	ck_assert_uint_eq(later, t + 1);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_hlc_text_roundtrip)
{
	char text[RUHU_HLC_TEXT_LEN + 1];
	uint64_t v, x = 0x9e3779b97f4a7c15ull;

	rt_ok(ruhu_hlc_format(text, ruhu_hlc_make(T0, 5)));
	ck_assert_str_eq(text, "2026-11-26T23:14:13.123Z+0005");
	rt_ok(ruhu_hlc_parse(&v, text, strlen(text)));
	ck_assert_uint_eq(v, ruhu_hlc_make(T0, 5));
	rt_ok(ruhu_hlc_format(text, 0));
	ck_assert_str_eq(text, "1970-01-01T00:00:00.000Z+0000");
	rt_ok(ruhu_hlc_format(text, ruhu_hlc_make(UINT64_C(951825600000), 0xffff)));
	ck_assert_str_eq(text, "2000-02-29T12:00:00.000Z+ffff");
	rt_ok(ruhu_hlc_format(text, ruhu_hlc_make(UINT64_C(253402300799999), 0xabc)));
	ck_assert_str_eq(text, "9999-12-31T23:59:59.999Z+0abc");
	ck_assert_int_eq(ruhu_hlc_format(text, ruhu_hlc_make(UINT64_C(253402300800000), 0)),
			 RUHU_EINVALID);
	for (int i = 0; i < 100000; i++) {
		uint64_t h;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		h = ruhu_hlc_make(x % UINT64_C(253402300800000), (unsigned int)(x >> 48));
		rt_ok(ruhu_hlc_format(text, h));
		rt_ok(ruhu_hlc_parse(&v, text, RUHU_HLC_TEXT_LEN));
		ck_assert_uint_eq(v, h);
	}
}
END_TEST

START_TEST(test_hlc_malformed_text_refused)
{
	static const char *const bad[] = {
		"",
		"2026-11-26T23:14:13.123Z+000",
		"2026-11-26T23:14:13.123Z+00055",
		"2026-11-26 23:14:13.123Z+0005",
		"2026-11-26T23:14:13.123z+0005",
		"2026-11-26T23:14:13,123Z+0005",
		"2026-11-26T23:14:13.123Z-0005",
		"2026-11-26T23:14:13.123Z+000F",
		"2026-11-26T23:14:13.123Z+00g5",
		"2026-13-26T23:14:13.123Z+0005",
		"2026-00-26T23:14:13.123Z+0005",
		"2026-11-31T23:14:13.123Z+0005",
		"2026-02-29T23:14:13.123Z+0005",
		"1900-02-28T23:14:13.123Z+0005",
		"1969-12-31T23:59:59.999Z+0000",
		"2026-11-26T24:00:00.000Z+0005",
		"2026-11-26T23:60:13.123Z+0005",
		"2026-11-26T23:14:60.123Z+0005",
		"2026-11-26T23:14:13.1a3Z+0005",
		"-026-11-26T23:14:13.123Z+0005",
		"2026-11-26T23:14:13.123Z+ 005",
	};
	uint64_t v = 77;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ruhu_hlc_parse(&v, bad[i], strlen(bad[i])) == RUHU_EINVALID,
			      "accepted '%s'", bad[i]);
		ck_assert_uint_eq(v, 77);
	}
	ck_assert_int_eq(ruhu_hlc_parse(&v, NULL, 29), RUHU_EINVALID);
	rt_ok(ruhu_hlc_parse(&v, "2024-02-29T00:00:00.000Z+0000", RUHU_HLC_TEXT_LEN));
}
END_TEST

Suite *hlc_suite(void)
{
	Suite *s = suite_create("hlc");
	TCase *tc = tcase_create("hlc");

	tcase_add_test(tc, test_hlc_monotonic_when_wall_goes_back);
	tcase_add_test(tc, test_hlc_monotonic_across_restarts);
	tcase_add_test(tc, test_hlc_counter_overflow_moves_to_next_ms);
	tcase_add_test(tc, test_hlc_merge_rules);
	tcase_add_test(tc, test_hlc_far_future_remote_capped);
	tcase_add_test(tc, test_hlc_text_roundtrip);
	tcase_add_test(tc, test_hlc_malformed_text_refused);
	suite_add_tcase(s, tc);
	return s;
}
