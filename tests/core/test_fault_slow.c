/*
 * test_fault_slow.c — every operation under every fault model: I/O (EIO
 * once and from then on, ENOSPC from then on) and every allocator (once and
 * from then on), with the default transaction size (label slow).
 */
#include "support/harness.h"

static const struct rt_op *const ops[] = {
	&rt_op_txn_wal, &rt_op_txn_delete, &rt_op_txn_spill, &rt_op_passphrase,
	&rt_op_rekey_wal, &rt_op_rekey_delete, &rt_op_open, &rt_op_open_hot,
	&rt_op_create, &rt_op_check, &rt_op_pack
};
#define NOPS (sizeof(ops) / sizeof(ops[0]))

START_TEST(test_fault_slow_io)
{
	struct rt_fault_result res;
	unsigned runs = 0;

	for (size_t i = 0; i < NOPS; i++) {
		rt_fault_loop(ops[i], RT_SITE_IO, 0, RT_FAULT_EIO, &res);
		runs += res.runs;
		rt_fault_loop(ops[i], RT_SITE_IO, 1, RT_FAULT_EIO, &res);
		runs += res.runs;
		rt_fault_loop(ops[i], RT_SITE_IO, 1, RT_FAULT_ENOSPC, &res);
		runs += res.runs;
	}
	ck_assert_uint_gt(runs, 1000);
}
END_TEST

START_TEST(test_fault_slow_alloc)
{
	struct rt_fault_result res;
	unsigned runs = 0;

	for (size_t i = 0; i < NOPS; i++) {
		rt_fault_loop(ops[i], RT_SITE_ALLOC, 0, RT_FAULT_EIO, &res);
		runs += res.runs;
		rt_fault_loop(ops[i], RT_SITE_ALLOC, 1, RT_FAULT_EIO, &res);
		runs += res.runs;
	}
	ck_assert_uint_gt(runs, 1000);
}
END_TEST

Suite *fault_slow_suite(void)
{
	Suite *s = suite_create("fault_slow");
	TCase *tc = tcase_create("fault_slow");

	tcase_add_test(tc, test_fault_slow_io);
	tcase_add_test(tc, test_fault_slow_alloc);
	suite_add_tcase(s, tc);
	return s;
}
