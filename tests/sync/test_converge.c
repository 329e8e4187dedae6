/*
 * test_converge.c — tablets and hub converge whatever the sync schedule
 * (the property of converge.h), over 200 seeds.
 */
#include "converge.h"

START_TEST(test_converge_random_schedules)
{
	const char *env = getenv("RUHU_CONVERGE_SEEDS");
	int seeds = env ? (int)strtol(env, NULL, 10) : 200;

	for (int s = 1; s <= seeds; s++)
		cv_seed((uint64_t)s, 40);
	printf("converge: %d seeds, every digest equal to the hub's\n", seeds);
}
END_TEST

Suite *converge_suite(void)
{
	Suite *s = suite_create("converge");
	TCase *tc = tcase_create("converge");

	tcase_add_unchecked_fixture(tc, cv_setup, cv_teardown);
	tcase_add_test(tc, test_converge_random_schedules);
	suite_add_tcase(s, tc);
	return s;
}
