/*
 * test_uuid.c — UUID version 7 (core/uuid.h): format, version and variant
 * bits, monotonic order, the validator.
 */
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "core/hlc.h"
#include "core/uuid.h"

#define N 10000

static void setup(void)
{
	ck_assert_int_eq(ruhu_init(), 0);
}

START_TEST(test_uuid_format_and_bits)
{
	char text[RUHU_UUID_TEXT_LEN + 1];
	unsigned char b[16], back[16];
	int64_t before = ruhu_wallclock_system(NULL);

	ruhu_uuid_v7(text);
	ck_assert_uint_eq(strlen(text), 36);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			ck_assert_int_eq(text[i], '-');
		else
			ck_assert(strchr("0123456789abcdef", text[i]) != NULL);
	}
	ck_assert_int_eq(text[14], '7');
	ck_assert(strchr("89ab", text[19]) != NULL);
	ck_assert_int_eq(ruhu_uuid_is_v7(text, 36), 1);
	rt_ok(ruhu_uuid_parse(b, text, 36));
	ck_assert_int_eq(b[6] >> 4, 7);
	ck_assert_int_eq(b[8] >> 6, 2);
	/* the timestamp is the wall clock's, give or take the test's run time */
	ck_assert_uint_ge(ruhu_uuid_v7_ms(b) + 1000, (uint64_t)before);
	ck_assert_uint_le(ruhu_uuid_v7_ms(b), (uint64_t)before + 60000);
	ruhu_uuid_v7_bytes_at(b, 0x0193c1e2abcdLL + 1000000);
	ruhu_uuid_format(text, b);
	rt_ok(ruhu_uuid_parse(back, text, 36));
	ck_assert(memcmp(b, back, 16) == 0);
}
END_TEST

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_uuid_monotonic_in_a_tight_loop)
{
	char (*ids)[RUHU_UUID_TEXT_LEN + 1] = malloc(N * sizeof(*ids));
	char **sorted = malloc(N * sizeof(*sorted));
	unsigned char prev[16], b[16];

	ck_assert_ptr_nonnull(ids);
	for (int i = 0; i < N; i++) {
		ruhu_uuid_v7(ids[i]);
		sorted[i] = ids[i];
		if (i > 0)
			ck_assert_msg(strcmp(ids[i - 1], ids[i]) < 0, "%s then %s", ids[i - 1], ids[i]);
	}
	/* many share a millisecond, none is repeated */
	qsort(sorted, N, sizeof(*sorted), cmp_text);
	for (int i = 0; i < N; i++)
		ck_assert_ptr_eq(sorted[i], ids[i]);
	rt_ok(ruhu_uuid_parse(prev, ids[0], 36));
	rt_ok(ruhu_uuid_parse(b, ids[N - 1], 36));
	ck_assert_uint_lt(ruhu_uuid_v7_ms(b) - ruhu_uuid_v7_ms(prev), N);

	/* the clock going back keeps the order too */
	ruhu_uuid_v7_bytes_at(prev, 0x7ffffffffffLL);
	for (int i = 0; i < 1000; i++) {
		ruhu_uuid_v7_bytes_at(b, 0x7ffffffffffLL - i * 1000);
		ck_assert(memcmp(prev, b, 16) < 0);
		ck_assert_int_eq(b[6] >> 4, 7);
		ck_assert_int_eq(b[8] >> 6, 2);
		memcpy(prev, b, 16);
	}
	free(ids);
	free(sorted);
}
END_TEST

START_TEST(test_uuid_validator_refuses_malformed)
{
	static const char *const bad[] = {
		"",
		"0193c1e2-7b4a-7cc0-9a4e-3f1c2d4e5f6",
		"0193c1e2-7b4a-7cc0-9a4e-3f1c2d4e5f600",
		"0193C1E2-7B4A-7CC0-9A4E-3F1C2D4E5F60",
		"0193c1e2_7b4a-7cc0-9a4e-3f1c2d4e5f60",
		"0193c1e27b4a-7cc0-9a4e-3f1c2d4e5f60-",
		"0193c1e2-7b4a-7cc0-9a4e-3f1c2d4e5fg0",
		"{193c1e2-7b4a-7cc0-9a4e-3f1c2d4e5f60",
	};
	unsigned char b[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ruhu_uuid_parse(b, bad[i], strlen(bad[i])) == RUHU_EINVALID,
			      "accepted '%s'", bad[i]);
		ck_assert_int_eq(ruhu_uuid_is_v7(bad[i], strlen(bad[i])), 0);
	}
	rt_ok(ruhu_uuid_parse(b, "0193c1e2-7b4a-7cc0-9a4e-3f1c2d4e5f60", 36));
	ck_assert_int_eq(ruhu_uuid_is_v7("0193c1e2-7b4a-7cc0-9a4e-3f1c2d4e5f60", 36), 1);
	/* a version 4 id, and a version 7 with the wrong variant */
	ck_assert_int_eq(ruhu_uuid_is_v7("0193c1e2-7b4a-4cc0-9a4e-3f1c2d4e5f60", 36), 0);
	ck_assert_int_eq(ruhu_uuid_is_v7("0193c1e2-7b4a-7cc0-ca4e-3f1c2d4e5f60", 36), 0);
	ck_assert_int_eq(ruhu_uuid_is_v7(NULL, 36), 0);
}
END_TEST

Suite *uuid_suite(void)
{
	Suite *s = suite_create("uuid");
	TCase *tc = tcase_create("uuid");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_uuid_format_and_bits);
	tcase_add_test(tc, test_uuid_monotonic_in_a_tight_loop);
	tcase_add_test(tc, test_uuid_validator_refuses_malformed);
	suite_add_tcase(s, tc);
	return s;
}
