/*
 * test_fault.c — injected faults (support/fault.h) at every call of each
 * operation on the replica: the N-th I/O call (crash VFS under the
 * encrypting VFS, and ruhu's own file-system calls) fails with EIO, once or
 * from then on; the N-th allocation fails in ruhu (malloc and friends,
 * sodium_malloc), in SQLite and in libgit2.  Each N from 1 until the
 * operation completes.  The call reports the error with a message, nothing
 * crashes or leaks (the sanitizer build), and the replica holds exactly the
 * state before or after (support/harness.h).  Each test prints its counts.
 * The smaller transactions keep allocation loops short; test_fault_slow.c
 * runs the default sizes and every operation.
 */
#include "support/harness.h"

/* Smaller transactions: SQLite allocates per row. */
static void small(void)
{
	rt_txn_rows = 40;
}

static void io(const struct rt_op *op)
{
	struct rt_fault_result once, persistent;

	rt_fault_loop(op, RT_SITE_IO, 0, RT_FAULT_EIO, &once);
	rt_fault_loop(op, RT_SITE_IO, 1, RT_FAULT_EIO, &persistent);
	ck_assert_uint_gt(once.runs, 0);
	ck_assert_uint_ge(persistent.runs, once.runs);
	ck_assert_uint_gt(once.errors, 0);
	ck_assert_uint_gt(persistent.errors, 0);
}

START_TEST(test_fault_io_txn_wal)
{
	io(&rt_op_txn_wal);
}
END_TEST

START_TEST(test_fault_io_txn_delete)
{
	io(&rt_op_txn_spill);
}
END_TEST

START_TEST(test_fault_io_passphrase)
{
	io(&rt_op_passphrase);
}
END_TEST

START_TEST(test_fault_io_rekey)
{
	io(&rt_op_rekey_wal);
	io(&rt_op_rekey_delete);
}
END_TEST

START_TEST(test_fault_io_open)
{
	io(&rt_op_open);
	io(&rt_op_open_hot);
}
END_TEST

START_TEST(test_fault_io_create)
{
	io(&rt_op_create);
}
END_TEST

START_TEST(test_fault_io_check)
{
	struct rt_fault_result res;

	rt_fault_loop(&rt_op_check, RT_SITE_IO, 0, RT_FAULT_EIO, &res);
	/* a read that fails is an error of the check, never a pass, and never
	 * "damaged or altered" (the check could not run) */
	ck_assert_uint_gt(res.errors, 0);
	ck_assert_uint_eq(res.codes[-RUHU_ECORRUPT], 0);
}
END_TEST

START_TEST(test_fault_io_pack)
{
	io(&rt_op_pack);
}
END_TEST

/* The runs with a fault injected. */
static unsigned alloc(const struct rt_op *op, unsigned sites)
{
	struct rt_fault_result res;

	small();
	rt_fault_loop(op, sites, 0, RT_FAULT_EIO, &res);
	return res.runs;
}

START_TEST(test_fault_alloc_ruhu)
{
	unsigned runs = 0;

	runs += alloc(&rt_op_passphrase, RT_SITE_RUHU_ALLOC);
	runs += alloc(&rt_op_rekey_wal, RT_SITE_RUHU_ALLOC);
	runs += alloc(&rt_op_open, RT_SITE_RUHU_ALLOC);
	runs += alloc(&rt_op_create, RT_SITE_RUHU_ALLOC);
	runs += alloc(&rt_op_check, RT_SITE_RUHU_ALLOC);
	runs += alloc(&rt_op_pack, RT_SITE_RUHU_ALLOC);
	ck_assert_uint_ge(runs, 20);
}
END_TEST

START_TEST(test_fault_alloc_sqlite)
{
	unsigned runs = 0;

	runs += alloc(&rt_op_txn_wal, RT_SITE_SQLITE);
	runs += alloc(&rt_op_rekey_wal, RT_SITE_SQLITE);
	runs += alloc(&rt_op_open, RT_SITE_SQLITE);
	runs += alloc(&rt_op_pack, RT_SITE_SQLITE);
	ck_assert_uint_ge(runs, 300);
}
END_TEST

START_TEST(test_fault_alloc_git)
{
	/* the pack parser's hashing and object checks (opening the repository
	 * is not counted: support/ops.c) */
	ck_assert_uint_ge(alloc(&rt_op_pack, RT_SITE_GIT), 3);
}
END_TEST

START_TEST(test_fault_alloc_persistent)
{
	struct rt_fault_result res;

	small();
	rt_fault_loop(&rt_op_txn_wal, RT_SITE_ALLOC, 1, RT_FAULT_EIO, &res);
	ck_assert_uint_gt(res.errors, 0);
	rt_fault_loop(&rt_op_rekey_wal, RT_SITE_ALLOC, 1, RT_FAULT_EIO, &res);
	ck_assert_uint_gt(res.errors, 0);
}
END_TEST

Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *io_tc = tcase_create("fault_io");
	TCase *alloc_tc = tcase_create("fault_alloc");

	tcase_add_test(io_tc, test_fault_io_txn_wal);
	tcase_add_test(io_tc, test_fault_io_txn_delete);
	tcase_add_test(io_tc, test_fault_io_passphrase);
	tcase_add_test(io_tc, test_fault_io_rekey);
	tcase_add_test(io_tc, test_fault_io_open);
	tcase_add_test(io_tc, test_fault_io_create);
	tcase_add_test(io_tc, test_fault_io_check);
	tcase_add_test(io_tc, test_fault_io_pack);
	tcase_add_test(alloc_tc, test_fault_alloc_ruhu);
	tcase_add_test(alloc_tc, test_fault_alloc_sqlite);
	tcase_add_test(alloc_tc, test_fault_alloc_git);
	tcase_add_test(alloc_tc, test_fault_alloc_persistent);
	suite_add_tcase(s, io_tc);
	suite_add_tcase(s, alloc_tc);
	return s;
}
