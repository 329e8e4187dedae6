/*
 * test_fault_sync.c — injected faults (support/fault.h) at every call of the
 * operations of a township (support/ops_sync.c): a save on a joined tablet,
 * the hub's merge of a bundle, a tablet's pull with rebase.  The N-th I/O
 * call fails with EIO (once, and from then on), the N-th allocation fails
 * in ruhu, SQLite or libgit2, for each N from 1 until the operation
 * completes.  The error reaches the caller with a message (out of memory
 * as RUHU_ENOMEM), nothing crashes or leaks (the sanitizer build), and the
 * replica holds exactly the state before or after, with its digest the
 * digest of its rows and of its history (support/harness.h).  Each test
 * prints its counts; test_fault_sync_slow.c adds SQLite's allocations for
 * every operation, every allocator from then on, and the rollback-journal
 * replicas.
 */
#include <stdio.h>

#include "support/harness.h"

static unsigned total;

static void io(const struct rt_op *op)
{
	struct rt_fault_result once, persistent;

	rt_fault_loop(op, RT_SITE_IO, 0, RT_FAULT_EIO, &once);
	rt_fault_loop(op, RT_SITE_IO, 1, RT_FAULT_EIO, &persistent);
	ck_assert_uint_gt(once.runs, 10);
	ck_assert_uint_ge(persistent.runs, once.runs);
	ck_assert_uint_gt(once.errors, 0);
	ck_assert_uint_gt(persistent.errors, 0);
	/* an I/O error is reported as one (RUHU_ERROR), never as damage, a
	 * conflict, a missing object or a refusal */
	ck_assert_uint_eq(once.codes[-RUHU_ERROR], once.errors);
	ck_assert_uint_eq(persistent.codes[-RUHU_ERROR], persistent.errors);
	total += once.runs + persistent.runs;
}

START_TEST(test_fault_sync_io_save)
{
	io(&rt_op_save);
}
END_TEST

START_TEST(test_fault_sync_io_merge)
{
	io(&rt_op_merge);
}
END_TEST

START_TEST(test_fault_sync_io_pull)
{
	io(&rt_op_pull);
}
END_TEST

static void teardown(void)
{
	printf("fault_sync: %u runs with a fault in this test\n", total);
	total = 0;
}

Suite *fault_sync_suite(void)
{
	Suite *s = suite_create("fault_sync");
	TCase *io_tc = tcase_create("fault_sync_io");

	tcase_add_checked_fixture(io_tc, NULL, teardown);
	tcase_add_test(io_tc, test_fault_sync_io_save);
	tcase_add_test(io_tc, test_fault_sync_io_merge);
	tcase_add_test(io_tc, test_fault_sync_io_pull);
	suite_add_tcase(s, io_tc);
	return s;
}
