/*
 * test_crash_slow.c — the crash loops of test_crash.c with five times the
 * rows and four seeds at every crash point (label slow: `ctest -L slow`).
 */
#include "support/harness.h"

static void loop(const struct rt_op *op)
{
	struct rt_crash_result res;

	rt_txn_rows = 1500;
	rt_crash_loop(op, 4, &res);
	ck_assert_uint_eq(res.before + res.after, res.runs);
	ck_assert_uint_gt(res.runs, res.points);
}

START_TEST(test_crash_slow_txn)
{
	loop(&rt_op_txn_wal);
	loop(&rt_op_txn_delete);
	loop(&rt_op_txn_spill);
}
END_TEST

START_TEST(test_crash_slow_keys)
{
	loop(&rt_op_passphrase);
	loop(&rt_op_rekey_wal);
	loop(&rt_op_rekey_delete);
}
END_TEST

START_TEST(test_crash_slow_open_create_pack)
{
	loop(&rt_op_open);
	loop(&rt_op_open_hot);
	loop(&rt_op_create);
	loop(&rt_op_pack);
}
END_TEST

Suite *crash_slow_suite(void)
{
	Suite *s = suite_create("crash_slow");
	TCase *tc = tcase_create("crash_slow");

	tcase_add_test(tc, test_crash_slow_txn);
	tcase_add_test(tc, test_crash_slow_keys);
	tcase_add_test(tc, test_crash_slow_open_create_pack);
	suite_add_tcase(s, tc);
	return s;
}
