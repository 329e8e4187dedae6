/*
 * test_crash.c — simulated power loss (support/harness.h, crash_vfs.h) at
 * every write, sync, truncate, create, unlink and rename of each operation
 * on the replica: a transaction of many rows in WAL mode, in DELETE mode,
 * and in DELETE mode with a cache small enough to spill mid-transaction; a
 * passphrase change; a rekey in both modes; a git pack into the object
 * store; opening after a kill (WAL recovery, hot-journal rollback); and
 * creating a replica.  After each crash the replica opens with exactly one
 * of the passphrases, passes its check, and holds exactly the state before
 * or after (after, whenever the call had returned).  Each test prints its
 * counts (docs/testing.md collects them).  test_crash_slow.c runs more rows
 * and more seeds.
 */
#include "support/harness.h"

static void loop(const struct rt_op *op, unsigned seeds, unsigned min_points)
{
	struct rt_crash_result res;

	rt_crash_loop(op, seeds, &res);
	ck_assert_uint_ge(res.points, min_points);
	ck_assert_uint_eq(res.before + res.after, res.runs);
}

START_TEST(test_crash_txn_wal)
{
	struct rt_crash_result res;

	rt_crash_loop(&rt_op_txn_wal, 1, &res);
	/* a crash before the commit's sync is before; after it, after */
	ck_assert_uint_gt(res.before, 0);
	ck_assert_uint_gt(res.after, 0);
	ck_assert_uint_gt(res.totals.torn + res.totals.garbled, 0);
}
END_TEST

START_TEST(test_crash_txn_delete)
{
	loop(&rt_op_txn_delete, 1, 20);
}
END_TEST

START_TEST(test_crash_txn_spill)
{
	loop(&rt_op_txn_spill, 1, 20);
}
END_TEST

START_TEST(test_crash_passphrase)
{
	struct rt_crash_result res;

	rt_crash_loop(&rt_op_passphrase, 4, &res);
	ck_assert_uint_gt(res.before, 0);
	ck_assert_uint_gt(res.after, 0);
}
END_TEST

START_TEST(test_crash_rekey_wal)
{
	loop(&rt_op_rekey_wal, 1, 20);
}
END_TEST

START_TEST(test_crash_rekey_delete)
{
	loop(&rt_op_rekey_delete, 1, 20);
}
END_TEST

START_TEST(test_crash_pack)
{
	loop(&rt_op_pack, 1, 10);
}
END_TEST

START_TEST(test_crash_open_wal_recovery)
{
	loop(&rt_op_open, 1, 5);
}
END_TEST

START_TEST(test_crash_open_hot_journal)
{
	loop(&rt_op_open_hot, 1, 5);
}
END_TEST

START_TEST(test_crash_create)
{
	loop(&rt_op_create, 2, 5);
}
END_TEST

Suite *crash_suite(void)
{
	Suite *s = suite_create("crash");
	TCase *tc = tcase_create("crash");

	tcase_add_test(tc, test_crash_txn_wal);
	tcase_add_test(tc, test_crash_txn_delete);
	tcase_add_test(tc, test_crash_txn_spill);
	tcase_add_test(tc, test_crash_passphrase);
	tcase_add_test(tc, test_crash_rekey_wal);
	tcase_add_test(tc, test_crash_rekey_delete);
	tcase_add_test(tc, test_crash_pack);
	tcase_add_test(tc, test_crash_open_wal_recovery);
	tcase_add_test(tc, test_crash_open_hot_journal);
	tcase_add_test(tc, test_crash_create);
	suite_add_tcase(s, tc);
	return s;
}
