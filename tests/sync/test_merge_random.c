/*
 * test_merge_random.c — the seeded property test of the merge
 * (merge_random.h): 200 seeds with the commutative rules, whose two hubs
 * must end identical, and 200 seeds with every rule, deletes and inserts.
 */
#include "sync/merge_random.h"

START_TEST(test_merge_random_commutative_rules_converge)
{
	mr_run(1, 200, 0);
}
END_TEST

START_TEST(test_merge_random_every_rule_stays_consistent)
{
	mr_run(1, 200, 1);
}
END_TEST

Suite *merge_random_suite(void)
{
	Suite *s = suite_create("merge_random");
	TCase *tc = tcase_create("random");

	tcase_add_test(tc, test_merge_random_commutative_rules_converge);
	tcase_add_test(tc, test_merge_random_every_rule_stays_consistent);
	suite_add_tcase(s, tc);
	return s;
}
