/*
 * test_errors.c — the error type and ruhu_buf (common.h).
 */
#include <string.h>

#include "support/support.h"

START_TEST(test_errors_last_message_kept)
{
	ck_assert_int_eq(ruhu_error_set(RUHU_ENOTFOUND, "no record %s", "person 1"), RUHU_ENOTFOUND);
	ck_assert_str_eq(ruhu_error_last(), "no record person 1");
	ck_assert_int_eq(ruhu_error_last_code(), RUHU_ENOTFOUND);
	ruhu_error_set(RUHU_ERROR, "two\nlines");
	ck_assert_str_eq(ruhu_error_last(), "two lines");
	ruhu_error_clear();
	ck_assert_str_eq(ruhu_error_last(), "");
	ck_assert_str_eq(ruhu_error_name(RUHU_ECORRUPT), "corrupt");
}
END_TEST

START_TEST(test_errors_message_may_quote_the_last)
{
	ruhu_error_set(RUHU_EAUTH, "signature by key %s does not verify", "179f2a0fe5138e63");
	ruhu_error_set(RUHU_EAUTH, "the bundle from %s is refused: %s", "tab-01", ruhu_error_last());
	ck_assert_str_eq(ruhu_error_last(),
			 "the bundle from tab-01 is refused: signature by key 179f2a0fe5138e63 does not verify");
}
END_TEST

START_TEST(test_errors_buf_grows_and_terminates)
{
	ruhu_buf b = RUHU_BUF_INIT;

	for (int i = 0; i < 1000; i++)
		rt_ok(ruhu_buf_printf(&b, "%d,", i));
	ck_assert_uint_eq(strlen(b.ptr), b.size);
	ck_assert(!strncmp(b.ptr, "0,1,2,", 6));
	rt_ok(ruhu_buf_puthex(&b, "\x01\xab", 2));
	ck_assert_str_eq(b.ptr + b.size - 4, "01ab");
	ruhu_buf_truncate(&b, 2);
	ck_assert_str_eq(b.ptr, "0,");
	ruhu_buf_dispose(&b);
	ck_assert_ptr_null(b.ptr);
	ck_assert_int_eq(ruhu_buf_grow(&b, SIZE_MAX - 1), RUHU_ENOMEM);
	ck_assert_ptr_null(b.ptr);
}
END_TEST

Suite *errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tcase_create("errors");

	tcase_add_test(tc, test_errors_last_message_kept);
	tcase_add_test(tc, test_errors_message_may_quote_the_last);
	tcase_add_test(tc, test_errors_buf_grows_and_terminates);
	suite_add_tcase(s, tc);
	return s;
}
