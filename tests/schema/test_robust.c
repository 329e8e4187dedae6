/*
 * test_robust.c — the loaders on truncated, mutated and random input: no
 * crash, no leak (under the sanitizers), and either a loaded object or a
 * clean RUHU_ESCHEMA with a "NAME:..." message and NULL output.  The byte
 * buffer entry points here are the ones a fuzz driver uses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

static unsigned int seed = 20240506;

static unsigned int next_rand(void)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 8) & 0xffffff;
}

static void check_catalogue(const void *data, size_t len)
{
	ruhu_catalogue *cat = (ruhu_catalogue *)&cat;
	int rc = ruhu_catalogue_load_buffer(&cat, "fuzz.txt", data, len);

	if (rc == 0) {
		ck_assert_ptr_nonnull(cat);
		ck_assert_uint_ge(ruhu_catalogue_item_count(cat), 1);
		ruhu_catalogue_free(cat);
		return;
	}
	ck_assert_msg(rc == RUHU_ESCHEMA, "rc %d: %s", rc, ruhu_error_last());
	ck_assert_ptr_null(cat);
	ck_assert(!strncmp(ruhu_error_last(), "fuzz.txt", 8));
}

static void check_rules(const void *data, size_t len)
{
	ruhu_schema *s = (ruhu_schema *)&s;
	int rc = ruhu_schema_load_rules(&s, "fuzz.rules", data, len);

	if (rc == 0) {
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(ruhu_schema_type_count(s), 10);
		ruhu_schema_free(s);
		return;
	}
	ck_assert_msg(rc == RUHU_ESCHEMA, "rc %d: %s", rc, ruhu_error_last());
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(ruhu_error_last(), ".rules") || strstr(ruhu_error_last(), ".sql"),
		      "message names no file: %s", ruhu_error_last());
}

static unsigned char *mutate(const char *src, size_t len, size_t *outlen)
{
	unsigned char *p = malloc(len + 16);
	int edits = 1 + (int)(next_rand() % 8);

	ck_assert_ptr_nonnull(p);
	memcpy(p, src, len);
	*outlen = len;
	for (int e = 0; e < edits && *outlen > 0; e++) {
		size_t at = next_rand() % *outlen;

		switch (next_rand() % 4) {
		case 0: p[at] = (unsigned char)next_rand(); break;         /* any byte */
		case 1: p[at] = (unsigned char)"()<>;:|,-=#\n \t\x80\xff"[next_rand() % 16]; break;
		case 2: memmove(p + at, p + at + 1, *outlen - at - 1); (*outlen)--; break;
		default: /* duplicate a byte */
			memmove(p + at + 1, p + at, *outlen - at);
			(*outlen)++;
			break;
		}
	}
	return p;
}

START_TEST(test_robust_catalogue_truncated_mutated_random)
{
	ruhu_catalogue *def = NULL;
	const char *src;
	size_t len;
	unsigned char noise[512];

	rt_ok(ruhu_catalogue_load_default(&def));
	src = ruhu_catalogue_source(def, &len);
	for (size_t n = 0; n <= len; n += 1 + n % 11)
		check_catalogue(src, n);
	for (int i = 0; i < 3000; i++) {
		size_t mlen;
		unsigned char *m = mutate(src, len, &mlen);

		check_catalogue(m, mlen);
		free(m);
	}
	for (int i = 0; i < 2000; i++) {
		size_t n = next_rand() % sizeof(noise);

		for (size_t k = 0; k < n; k++)
			noise[k] = (unsigned char)next_rand();
		if (i % 2)
			memcpy(noise, "format catalogue 1\n", n < 19 ? n : 19);
		check_catalogue(noise, n);
	}
	ruhu_catalogue_free(def);
}
END_TEST

START_TEST(test_robust_rules_truncated_mutated_random)
{
	char path[4096];
	const char *root = getenv("RUHU_SOURCE_DIR");
	unsigned char *rules, noise[256];
	size_t len;

	ck_assert_msg(root != NULL, "RUHU_SOURCE_DIR is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/schema/data/township.rules", root);
	rules = rt_read_file(path, &len);
	check_rules(rules, len);
	for (size_t n = 0; n < len; n += 37 + n % 23)
		check_rules(rules, n);
	for (int i = 0; i < 400; i++) {
		size_t mlen;
		unsigned char *m = mutate((const char *)rules, len, &mlen);

		check_rules(m, mlen);
		free(m);
	}
	for (int i = 0; i < 300; i++) {
		size_t n = next_rand() % sizeof(noise);

		for (size_t k = 0; k < n; k++)
			noise[k] = (unsigned char)next_rand();
		if (i % 2)
			memcpy(noise, "format rules 1\ntype ", n < 20 ? n : 20);
		check_rules(noise, n);
	}
	free(rules);
}
END_TEST

START_TEST(test_robust_migration_truncated)
{
	char path[4096];
	const char *root = getenv("RUHU_SOURCE_DIR");
	unsigned char *sql, *rules;
	size_t sqllen, ruleslen;

	ck_assert_msg(root != NULL, "RUHU_SOURCE_DIR is not set (run through ctest)");
	snprintf(path, sizeof(path), "%s/schema/data/migrations/0001-township.sql", root);
	sql = rt_read_file(path, &sqllen);
	snprintf(path, sizeof(path), "%s/schema/data/township.rules", root);
	rules = rt_read_file(path, &ruleslen);
	for (size_t n = 0; n < sqllen; n += 61 + n % 17) {
		ruhu_source src[2] = { { "0001-township.sql", sql, n }, { "township.rules", rules, ruleslen } };
		ruhu_schema *s = (ruhu_schema *)&s;
		int rc = ruhu_schema_load(&s, src, 2);

		/* a cut loses a table or breaks a statement, unless it falls
		 * between the last CREATE TABLE and an index */
		if (rc == 0) {
			ruhu_schema_free(s);
			ck_assert_uint_gt(n, sqllen * 9 / 10);
			continue;
		}
		ck_assert_int_eq(rc, RUHU_ESCHEMA);
		ck_assert_ptr_null(s);
	}
	free(sql);
	free(rules);
}
END_TEST

Suite *robust_suite(void)
{
	Suite *s = suite_create("robust");
	TCase *tc = tcase_create("robust");

	tcase_add_test(tc, test_robust_catalogue_truncated_mutated_random);
	tcase_add_test(tc, test_robust_rules_truncated_mutated_random);
	tcase_add_test(tc, test_robust_migration_truncated);
	suite_add_tcase(s, tc);
	return s;
}
