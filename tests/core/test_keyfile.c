/*
 * test_keyfile.c — the key file (core/keyfile.c): its parser checks every
 * length and field, the header is authenticated, and it is replaced
 * atomically.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "core/keyfile.h"
#include "core/vfs.h"
#include "support/support.h"

static void sample(unsigned char out[RUHU_KEYFILE_SIZE], unsigned char key[32], unsigned char kek[32])
{
	struct ruhu_keyfile kf;

	rt_ok(ruhu_init());
	randombytes_buf(key, 32);
	rt_ok(ruhu_keyfile_init(&kf, 1, 8192));
	rt_ok(ruhu_keyfile_derive(kek, &kf, "pw", 2));
	ruhu_keyfile_wrap(&kf, key, kek);
	ruhu_keyfile_serialize(out, &kf);
}

START_TEST(test_keyfile_round_trip)
{
	unsigned char buf[RUHU_KEYFILE_SIZE], key[32], kek[32], got[32], again[RUHU_KEYFILE_SIZE], kcv[8];
	struct ruhu_keyfile kf;

	sample(buf, key, kek);
	rt_ok(ruhu_keyfile_parse(&kf, buf, sizeof(buf)));
	ck_assert_int_eq(kf.opslimit, 1);
	ck_assert_int_eq(kf.memlimit, 8192);
	ruhu_keyfile_serialize(again, &kf);
	ck_assert_int_eq(memcmp(buf, again, sizeof(buf)), 0);
	ck_assert_int_eq(ruhu_keyfile_unwrap(got, &kf, kek), 0);
	ck_assert_int_eq(memcmp(got, key, 32), 0);
	ruhu_vfs_kcv(kcv, key);
	ck_assert_int_eq(memcmp(kf.kcv, kcv, 8), 0);
	/* a wrong wrapping key is refused */
	kek[0] ^= 1;
	ck_assert_int_eq(ruhu_keyfile_unwrap(got, &kf, kek), -1);
}
END_TEST

START_TEST(test_keyfile_parse_checks_every_field)
{
	unsigned char buf[RUHU_KEYFILE_SIZE + 1], key[32], kek[32];
	struct ruhu_keyfile kf;
	static const struct { size_t off; unsigned char value; } bad[] = {
		{ 0, 'R' }, { 7, 'Y' }, { 8, 2 }, { 9, 0 }, { 9, 2 }, { 10, 1 }, { 11, 1 }, { 12, 1 },
		{ 15, 1 }, { 23, 0 }, { 16, 1 }, { 30, 0 }, { 24, 1 },
	};

	sample(buf, key, kek);
	/* every length other than 128, including past the end of the buffer */
	for (size_t len = 0; len <= sizeof(buf); len++) {
		unsigned char *copy = malloc(len ? len : 1);

		memcpy(copy, buf, len);
		ck_assert_int_eq(ruhu_keyfile_parse(&kf, copy, len), len == RUHU_KEYFILE_SIZE ? 0 : RUHU_ECORRUPT);
		free(copy);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char copy[RUHU_KEYFILE_SIZE];

		memcpy(copy, buf, sizeof(copy));
		copy[bad[i].off] = bad[i].value;
		ck_assert_msg(ruhu_keyfile_parse(&kf, copy, sizeof(copy)) == RUHU_ECORRUPT,
			      "byte %zu = %u accepted", bad[i].off, bad[i].value);
	}
}
END_TEST

/* The header is the associated data: a cost or salt changed within bounds
 * parses, but no longer unwraps. */
START_TEST(test_keyfile_header_authenticated)
{
	unsigned char buf[RUHU_KEYFILE_SIZE], key[32], kek[32], got[32];
	struct ruhu_keyfile kf;
	static const size_t offs[] = { 23, 30, 40, 50, 60, 100, 120 };

	sample(buf, key, kek);
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		unsigned char copy[RUHU_KEYFILE_SIZE];

		memcpy(copy, buf, sizeof(copy));
		copy[offs[i]] ^= offs[i] == 23 ? 3 : 0x10; /* opslimit 1 -> 2 stays in bounds */
		rt_ok(ruhu_keyfile_parse(&kf, copy, sizeof(copy)));
		ck_assert_msg(ruhu_keyfile_unwrap(got, &kf, kek) == -1, "byte %zu not authenticated", offs[i]);
	}
}
END_TEST

START_TEST(test_keyfile_write_is_atomic_and_private)
{
	char dir[256], path[400], tmp[420];
	unsigned char buf[RUHU_KEYFILE_SIZE], key[32], kek[32];
	struct ruhu_keyfile kf, back;
	struct stat st;

	rt_tmpdir(dir, sizeof(dir));
	sample(buf, key, kek);
	rt_ok(ruhu_keyfile_parse(&kf, buf, sizeof(buf)));
	rt_path(path, sizeof(path), dir, "replica.key");
	rt_write_file(path, "old", 3);
	rt_ok(ruhu_keyfile_write(path, &kf));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert(!rt_exists(tmp));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 077, 0);
	rt_ok(ruhu_keyfile_read(&back, path));
	ck_assert_int_eq(memcmp(back.sealed, kf.sealed, sizeof(kf.sealed)), 0);
	rt_path(path, sizeof(path), dir, "missing.key");
	ck_assert_int_eq(ruhu_keyfile_read(&back, path), RUHU_ENOTFOUND);
	ck_assert_int_eq(ruhu_keyfile_init(&back, 65, 0), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_keyfile_init(&back, 0, 1024), RUHU_EINVALID);
	rt_rmrf(dir);
}
END_TEST

Suite *keyfile_suite(void)
{
	Suite *s = suite_create("keyfile");
	TCase *tc = tcase_create("keyfile");

	tcase_add_test(tc, test_keyfile_round_trip);
	tcase_add_test(tc, test_keyfile_parse_checks_every_field);
	tcase_add_test(tc, test_keyfile_header_authenticated);
	tcase_add_test(tc, test_keyfile_write_is_atomic_and_private);
	suite_add_tcase(s, tc);
	return s;
}
