/*
 * test_merge_random_slow.c — the property test of merge_random.h over many
 * more seeds (label slow): 1,000 per mode, after the 200 of the unit suite.
 */
#include "sync/merge_random.h"

START_TEST(test_merge_random_slow_commutative_rules_converge)
{
	mr_run(201, 1000, 0);
}
END_TEST

START_TEST(test_merge_random_slow_every_rule_stays_consistent)
{
	mr_run(201, 1000, 1);
}
END_TEST

Suite *merge_random_slow_suite(void)
{
	Suite *s = suite_create("merge_random_slow");
	TCase *tc = tcase_create("random_slow");

	tcase_add_test(tc, test_merge_random_slow_commutative_rules_converge);
	tcase_add_test(tc, test_merge_random_slow_every_rule_stays_consistent);
	suite_add_tcase(s, tc);
	return s;
}
