/*
 * test_odb_refs.c — refs in the _refs table (core/refs.h): get, set with
 * compare-and-swap, delete, listing by prefix, names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/refs.h"
#include "support/support.h"

static char dir[4096];
static sqlite3 *db;

static void setup(void)
{
	char path[4200];

	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	rt_path(path, sizeof(path), dir, "replica.db");
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
}

static void teardown(void)
{
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK); /* no statement left open */
	rt_rmrf(dir);
}

static git_oid oid_of(int n)
{
	git_oid id;

	memset(&id, 0, sizeof(id));
	id.id[0] = (unsigned char)n;
	id.id[19] = 1;
	return id;
}

START_TEST(test_odb_refs_get_set_delete)
{
	git_oid a = oid_of(1), b = oid_of(2), got;

	/* no table yet: nothing found, nothing created by reading */
	ck_assert_int_eq(ruhu_refs_get(&got, db, "refs/heads/main"), RUHU_ENOTFOUND);
	ck_assert_str_eq(ruhu_error_last(), "no ref refs/heads/main");
	ck_assert_int_eq(ruhu_refs_delete(db, "refs/heads/main", NULL), RUHU_ENOTFOUND);

	rt_ok(ruhu_refs_set(db, "refs/heads/main", &a, NULL));
	rt_ok(ruhu_refs_get(&got, db, "refs/heads/main"));
	ck_assert(git_oid_equal(&got, &a));
	rt_ok(ruhu_refs_set(db, "refs/heads/main", &b, NULL));
	rt_ok(ruhu_refs_get(&got, db, "refs/heads/main"));
	ck_assert(git_oid_equal(&got, &b));
	rt_ok(ruhu_refs_delete(db, "refs/heads/main", NULL));
	ck_assert_int_eq(ruhu_refs_get(&got, db, "refs/heads/main"), RUHU_ENOTFOUND);
	ck_assert_int_eq(ruhu_refs_delete(db, "refs/heads/main", NULL), RUHU_ENOTFOUND);
}
END_TEST

START_TEST(test_odb_refs_compare_and_swap)
{
	git_oid a = oid_of(1), b = oid_of(2), c = oid_of(3), zero, got;

	memset(&zero, 0, sizeof(zero));
	/* create-only */
	rt_ok(ruhu_refs_set(db, "refs/devices/tab-07", &a, &zero));
	ck_assert_int_eq(ruhu_refs_set(db, "refs/devices/tab-07", &b, &zero), RUHU_ECONFLICT);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "already exists"));
	/* move only from the expected value */
	ck_assert_int_eq(ruhu_refs_set(db, "refs/devices/tab-07", &c, &b), RUHU_ECONFLICT);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "refs/devices/tab-07 moved"));
	rt_ok(ruhu_refs_get(&got, db, "refs/devices/tab-07"));
	ck_assert(git_oid_equal(&got, &a));
	rt_ok(ruhu_refs_set(db, "refs/devices/tab-07", &b, &a));
	rt_ok(ruhu_refs_get(&got, db, "refs/devices/tab-07"));
	ck_assert(git_oid_equal(&got, &b));
	/* expecting a ref that is missing */
	ck_assert_int_eq(ruhu_refs_set(db, "refs/devices/tab-08", &b, &a), RUHU_ECONFLICT);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "missing"));
	/* delete only from the expected value */
	ck_assert_int_eq(ruhu_refs_delete(db, "refs/devices/tab-07", &a), RUHU_ECONFLICT);
	rt_ok(ruhu_refs_delete(db, "refs/devices/tab-07", &b));
	ck_assert_int_eq(ruhu_refs_get(&got, db, "refs/devices/tab-07"), RUHU_ENOTFOUND);
}
END_TEST

START_TEST(test_odb_refs_inside_caller_transaction)
{
	git_oid a = oid_of(1), got;

	rt_ok(ruhu_refs_init(db));
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	rt_ok(ruhu_refs_set(db, "refs/heads/main", &a, NULL));
	ck_assert_int_eq(sqlite3_get_autocommit(db), 0);
	ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(ruhu_refs_get(&got, db, "refs/heads/main"), RUHU_ENOTFOUND);
}
END_TEST

START_TEST(test_odb_refs_names_checked)
{
	git_oid a = oid_of(1), zero;

	memset(&zero, 0, sizeof(zero));
	ck_assert_int_eq(ruhu_refs_set(db, "main", &a, NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_refs_set(db, "refs/heads/a..b", &a, NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_refs_set(db, "refs/heads/x y", &a, NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_refs_set(db, "refs/heads/x.lock", &a, NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_refs_set(db, "refs/heads/", &a, NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_refs_set(db, NULL, &a, NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_refs_set(db, "refs/heads/main", &zero, NULL), RUHU_EINVALID);
	rt_ok(ruhu_refs_set(db, "refs/heads/乡镇", &a, NULL));
}
END_TEST

typedef struct {
	char names[8][64];
	int n;
	int stop_at;
} list_ctx;

static int list_cb(const char *name, const git_oid *oid, void *payload)
{
	list_ctx *c = payload;

	(void)oid;
	snprintf(c->names[c->n], sizeof(c->names[0]), "%s", name);
	if (++c->n == c->stop_at)
		return 9;
	/* the walk works on a copy: changing _refs here is safe */
	return 0;
}

START_TEST(test_odb_refs_foreach_by_prefix)
{
	git_oid a = oid_of(1);
	list_ctx c;

	memset(&c, 0, sizeof(c));
	rt_ok(ruhu_refs_foreach(db, "refs/", list_cb, &c));
	ck_assert_int_eq(c.n, 0);
	rt_ok(ruhu_refs_set(db, "refs/heads/main", &a, NULL));
	rt_ok(ruhu_refs_set(db, "refs/devices/tab-08", &a, NULL));
	rt_ok(ruhu_refs_set(db, "refs/devices/tab-07", &a, NULL));
	rt_ok(ruhu_refs_set(db, "refs/devices-old/tab-01", &a, NULL));
	rt_ok(ruhu_refs_set(db, "refs/devicesX", &a, NULL));

	rt_ok(ruhu_refs_foreach(db, "refs/devices/", list_cb, &c));
	ck_assert_int_eq(c.n, 2);
	ck_assert_str_eq(c.names[0], "refs/devices/tab-07");
	ck_assert_str_eq(c.names[1], "refs/devices/tab-08");

	memset(&c, 0, sizeof(c));
	rt_ok(ruhu_refs_foreach(db, NULL, list_cb, &c));
	ck_assert_int_eq(c.n, 5);
	/* a LIKE pattern character in the prefix is an ordinary byte */
	memset(&c, 0, sizeof(c));
	rt_ok(ruhu_refs_foreach(db, "refs/devices_", list_cb, &c));
	ck_assert_int_eq(c.n, 0);

	memset(&c, 0, sizeof(c));
	c.stop_at = 2;
	ck_assert_int_eq(ruhu_refs_foreach(db, "refs/", list_cb, &c), 9);
	ck_assert_int_eq(c.n, 2);
}
END_TEST

Suite *odb_refs_suite(void)
{
	Suite *s = suite_create("odb_refs");
	TCase *tc = tcase_create("odb_refs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_odb_refs_get_set_delete);
	tcase_add_test(tc, test_odb_refs_compare_and_swap);
	tcase_add_test(tc, test_odb_refs_inside_caller_transaction);
	tcase_add_test(tc, test_odb_refs_names_checked);
	tcase_add_test(tc, test_odb_refs_foreach_by_prefix);
	suite_add_tcase(s, tc);
	return s;
}
