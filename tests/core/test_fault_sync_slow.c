/*
 * test_fault_sync_slow.c — the fault loops of test_fault_sync.c that take
 * minutes (label slow): libgit2's N-th allocation failing in a save, a hub
 * merge and a pull (libgit2's object cache off); SQLite's N-th allocation
 * failing for every N of the same (ten thousand and more each); every
 * allocator failing from the N-th allocation on, and the I/O loops (EIO
 * once and from then on, ENOSPC from then on) of the rollback-journal
 * replicas.
 */
#include <stdio.h>

#include <git2.h>

#include "support/harness.h"

static const struct rt_op *const ops[] = { &rt_op_save, &rt_op_merge, &rt_op_pull };
#define NOPS (sizeof(ops) / sizeof(ops[0]))

START_TEST(test_fault_sync_slow_alloc_git)
{
	struct rt_fault_result res;
	unsigned runs = 0;

	/* libgit2 1.5.1's object cache hands back a raw object as a parsed
	 * one when storing the parsed one fails (cache.c, cache_store), and
	 * the next use of it crashes: these loops run with the cache off
	 * (docs/testing.md) */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	for (size_t i = 0; i < NOPS; i++) {
		rt_fault_loop(ops[i], RT_SITE_GIT, 0, RT_FAULT_EIO, &res);
		ck_assert_uint_gt(res.errors, 0);
		runs += res.runs;
	}
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 1);
	printf("fault_sync_slow: %u runs with libgit2's allocations failing\n", runs);
	ck_assert_uint_gt(runs, 500);
}
END_TEST

START_TEST(test_fault_sync_slow_alloc_sqlite)
{
	struct rt_fault_result res;
	unsigned runs = 0;

	for (size_t i = 0; i < NOPS; i++) {
		rt_fault_loop(ops[i], RT_SITE_SQLITE, 0, RT_FAULT_EIO, &res);
		ck_assert_uint_gt(res.errors, 0);
		runs += res.runs;
	}
	printf("fault_sync_slow: %u runs with SQLite's allocations failing\n", runs);
	ck_assert_uint_gt(runs, 3000);
}
END_TEST

START_TEST(test_fault_sync_slow_alloc_persistent)
{
	struct rt_fault_result res;
	unsigned runs = 0;

	/* libgit2's object cache off: test_fault_sync.c, test_fault_sync_alloc_git */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	for (size_t i = 0; i < NOPS; i++) {
		rt_fault_loop(ops[i], RT_SITE_ALLOC, 1, RT_FAULT_EIO, &res);
		ck_assert_uint_gt(res.errors, 0);
		runs += res.runs;
	}
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 1);
	printf("fault_sync_slow: %u runs with every allocator failing from the N-th on\n", runs);
	ck_assert_uint_gt(runs, 1000);
}
END_TEST

START_TEST(test_fault_sync_slow_io_delete)
{
	static const struct rt_op *const del[] = { &rt_op_save_delete, &rt_op_merge_delete,
						   &rt_op_pull_delete };
	struct rt_fault_result res;
	unsigned runs = 0;

	for (size_t i = 0; i < NOPS; i++) {
		rt_fault_loop(del[i], RT_SITE_IO, 0, RT_FAULT_EIO, &res);
		ck_assert_uint_eq(res.codes[-RUHU_ERROR], res.errors);
		runs += res.runs;
		rt_fault_loop(del[i], RT_SITE_IO, 1, RT_FAULT_EIO, &res);
		ck_assert_uint_eq(res.codes[-RUHU_ERROR], res.errors);
		runs += res.runs;
		rt_fault_loop(del[i], RT_SITE_IO, 1, RT_FAULT_ENOSPC, &res);
		ck_assert_uint_eq(res.codes[-RUHU_ENOSPACE], res.errors);
		runs += res.runs;
	}
	printf("fault_sync_slow: %u runs with I/O faults on rollback-journal replicas\n", runs);
	ck_assert_uint_gt(runs, 500);
}
END_TEST

Suite *fault_sync_slow_suite(void)
{
	Suite *s = suite_create("fault_sync_slow");
	TCase *tc = tcase_create("fault_sync_slow");

	tcase_add_test(tc, test_fault_sync_slow_alloc_git);
	tcase_add_test(tc, test_fault_sync_slow_alloc_sqlite);
	tcase_add_test(tc, test_fault_sync_slow_alloc_persistent);
	tcase_add_test(tc, test_fault_sync_slow_io_delete);
	suite_add_tcase(s, tc);
	return s;
}
