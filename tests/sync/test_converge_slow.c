/*
 * test_converge_slow.c — the convergence property of converge.h over 2,000
 * more seeds and longer schedules (label slow: `ctest -L slow`).
 */
#include "converge.h"

START_TEST(test_converge_slow_many_seeds)
{
	for (int s = 1001; s <= 3000; s++)
		cv_seed((uint64_t)s, 80);
	printf("converge_slow: 2000 seeds of 80 steps, every digest equal to the hub's\n");
}
END_TEST

Suite *converge_slow_suite(void)
{
	Suite *s = suite_create("converge_slow");
	TCase *tc = tcase_create("converge_slow");

	tcase_add_unchecked_fixture(tc, cv_setup, cv_teardown);
	tcase_add_test(tc, test_converge_slow_many_seeds);
	suite_add_tcase(s, tc);
	return s;
}
