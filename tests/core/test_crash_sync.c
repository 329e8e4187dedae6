/*
 * test_crash_sync.c — simulated power loss (support/harness.h, crash_vfs.h)
 * at every write, sync, truncate, create, unlink and rename of the
 * operations of a township (support/ops_sync.c): a save on a joined tablet
 * (several records and an attachment), the hub's merge of a tablet's bundle
 * with conflicts, and a tablet's pull that undoes its pending saves,
 * applies main, drops what main acknowledged and redoes the rest; each in
 * WAL mode, in rollback-journal mode, and in rollback-journal mode with a
 * cache small enough to spill pages before the commit.  After each crash the replica opens,
 * passes its check, its digest is the digest of its rows and of its history,
 * and its state is exactly before or after (after, whenever the call had
 * returned).  Each test prints its counts (docs/testing.md collects them);
 * test_crash_sync_slow.c runs four seeds at every point.
 */
#include "support/harness.h"

static void loop(const struct rt_op *op, unsigned seeds)
{
	struct rt_crash_result res;

	rt_crash_loop(op, seeds, &res);
	ck_assert_uint_ge(res.points, 10);
	ck_assert_uint_eq(res.before + res.after, res.runs);
	/* a crash early is before, one after the commit is durable after */
	ck_assert_uint_gt(res.before, 0);
	ck_assert_uint_gt(res.after, 0);
}

START_TEST(test_crash_sync_save)
{
	loop(&rt_op_save, 1);
}
END_TEST

START_TEST(test_crash_sync_save_delete)
{
	loop(&rt_op_save_delete, 1);
}
END_TEST

START_TEST(test_crash_sync_merge)
{
	loop(&rt_op_merge, 1);
}
END_TEST

START_TEST(test_crash_sync_merge_delete)
{
	loop(&rt_op_merge_delete, 1);
}
END_TEST

START_TEST(test_crash_sync_pull)
{
	loop(&rt_op_pull, 1);
}
END_TEST

START_TEST(test_crash_sync_pull_delete)
{
	loop(&rt_op_pull_delete, 1);
}
END_TEST

START_TEST(test_crash_sync_spill)
{
	/* a small cache: the transactions spill pages before they commit */
	loop(&rt_op_save_spill, 1);
	loop(&rt_op_merge_spill, 1);
	loop(&rt_op_pull_spill, 1);
}
END_TEST

Suite *crash_sync_suite(void)
{
	Suite *s = suite_create("crash_sync");
	TCase *tc = tcase_create("crash_sync");

	tcase_add_test(tc, test_crash_sync_save);
	tcase_add_test(tc, test_crash_sync_save_delete);
	tcase_add_test(tc, test_crash_sync_merge);
	tcase_add_test(tc, test_crash_sync_merge_delete);
	tcase_add_test(tc, test_crash_sync_pull);
	tcase_add_test(tc, test_crash_sync_pull_delete);
	tcase_add_test(tc, test_crash_sync_spill);
	suite_add_tcase(s, tc);
	return s;
}
