/*
 * test_crash_sync_slow.c — the crash loops of test_crash_sync.c with four
 * seeds at every crash point (label slow: `ctest -L slow`): a save, a hub
 * merge and a pull, each in WAL mode, rollback-journal mode, and
 * rollback-journal mode with a cache that spills.
 */
#include <stdio.h>

#include "support/harness.h"

static const struct rt_op *const ops[] = {
	&rt_op_save, &rt_op_save_delete, &rt_op_save_spill,
	&rt_op_merge, &rt_op_merge_delete, &rt_op_merge_spill,
	&rt_op_pull, &rt_op_pull_delete, &rt_op_pull_spill,
};

static void loops(size_t from, size_t to)
{
	struct rt_crash_result res;
	unsigned points = 0, runs = 0;

	for (size_t i = from; i < to; i++) {
		rt_crash_loop(ops[i], 4, &res);
		ck_assert_uint_eq(res.before + res.after, res.runs);
		ck_assert_uint_gt(res.runs, 3 * res.points);
		ck_assert_uint_gt(res.before, 0);
		ck_assert_uint_gt(res.after, 0);
		points += res.points;
		runs += res.runs;
	}
	printf("crash_sync_slow: %u crash points, %u runs\n", points, runs);
}

START_TEST(test_crash_sync_slow_save)
{
	loops(0, 3);
}
END_TEST

START_TEST(test_crash_sync_slow_merge)
{
	loops(3, 6);
}
END_TEST

START_TEST(test_crash_sync_slow_pull)
{
	loops(6, 9);
}
END_TEST

Suite *crash_sync_slow_suite(void)
{
	Suite *s = suite_create("crash_sync_slow");
	TCase *tc = tcase_create("crash_sync_slow");

	tcase_add_test(tc, test_crash_sync_slow_save);
	tcase_add_test(tc, test_crash_sync_slow_merge);
	tcase_add_test(tc, test_crash_sync_slow_pull);
	suite_add_tcase(s, tc);
	return s;
}
