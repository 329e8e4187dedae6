/*
 * test_fault_sync.c — injected faults (support/fault.h) at every call of the
 * operations of a township (support/ops_sync.c): a save on a joined tablet,
 * the hub's merge of a bundle, a tablet's pull with rebase.  The N-th I/O
 * call fails with EIO (once, and from then on); the N-th allocation fails
 * in ruhu and in libgit2; for each N from 1 until the operation completes.
 * The error reaches the caller with a message (an I/O error as one, out of
 * memory as RUHU_ENOMEM), nothing crashes or leaks (the sanitizer build),
 * and the replica holds exactly the state before or after, with its digest
 * the digest of its rows and of its history (support/harness.h).  Each test
 * prints its counts.  test_fault_sync_slow.c adds libgit2's allocations in
 * the merge and the pull, SQLite's allocations, every allocator from then
 * on, and the rollback-journal replicas.
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

/* The loop checks that every error is RUHU_ENOMEM (or libgit2's lost
 * out-of-memory error, harness.c). */
static void alloc(const struct rt_op *op, unsigned sites, unsigned min_runs)
{
	struct rt_fault_result res;

	rt_fault_loop(op, sites, 0, RT_FAULT_EIO, &res);
	ck_assert_uint_ge(res.runs, min_runs);
	ck_assert_uint_gt(res.errors, 0);
	total += res.runs;
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

START_TEST(test_fault_sync_alloc_ruhu)
{
	alloc(&rt_op_save, RT_SITE_RUHU_ALLOC, 100);
	alloc(&rt_op_merge, RT_SITE_RUHU_ALLOC, 100);
	alloc(&rt_op_pull, RT_SITE_RUHU_ALLOC, 100);
}
END_TEST

START_TEST(test_fault_sync_alloc_git)
{
	/* the merge and the pull: test_fault_sync_slow.c */
	alloc(&rt_op_save, RT_SITE_GIT, 50);
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
	TCase *alloc_tc = tcase_create("fault_sync_alloc");

	tcase_add_checked_fixture(io_tc, NULL, teardown);
	tcase_add_checked_fixture(alloc_tc, NULL, teardown);
	tcase_add_test(io_tc, test_fault_sync_io_save);
	tcase_add_test(io_tc, test_fault_sync_io_merge);
	tcase_add_test(io_tc, test_fault_sync_io_pull);
	tcase_add_test(alloc_tc, test_fault_sync_alloc_ruhu);
	tcase_add_test(alloc_tc, test_fault_sync_alloc_git);
	suite_add_tcase(s, io_tc);
	suite_add_tcase(s, alloc_tc);
	return s;
}
