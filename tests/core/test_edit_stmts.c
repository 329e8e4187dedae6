/*
 * test_edit_stmts.c — the statements a save keeps between its writes
 * (core/edit.c, design note 5): many rows of one shape, more shapes than
 * are kept, and a failed write followed by a good one of the same shape.
 */
#include <stdio.h>
#include <string.h>

#include "core/replica.h"
#include "core/setup.h"
#include "support/support.h"

static char dir[256];

static void setup(void)
{
	ruhu_init();
	rt_tmpdir(dir, sizeof(dir));
}

static void teardown(void)
{
	rt_rmrf(dir);
}

static ruhu_replica *device(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_replica *r = NULL;
	char path[512];

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	rt_path(path, sizeof(path), dir, "tab");
	rt_ok(ruhu_replica_create(&r, path, "pw", 2, &o));
	rt_ok(ruhu_replica_setup(r, "tab-01", "320102", "refs/heads/device", RUHU_SETUP_TRACK_PENDING));
	rt_ok(ruhu_worker_use(r, "w-01", "王芳"));
	return r;
}

static int count_rows(int stmt, int ncols, const char *const *names, const ruhu_value *v, void *payload)
{
	(*(int *)payload)++;
	return 0;
}

static int take_text(int stmt, int ncols, const char *const *names, const ruhu_value *v, void *payload)
{
	snprintf(payload, 64, "%s", v[0].type == RUHU_VALUE_TEXT ? v[0].p : "(null)");
	return 0;
}

START_TEST(test_edit_stmts_many_shapes_and_failures)
{
	ruhu_replica *r = device();
	ruhu_edit *e = NULL;
	ruhu_save_info info;
	char hh[RUHU_ID_SIZE], ids[40][RUHU_ID_SIZE], got[64];
	static const char *const fields[] = { "village", "phone", "notes", "head_person_id" };
	int rows = 0;

	rt_ok(ruhu_edit_begin(&e, r));
	{
		ruhu_assign h[] = { { "address", "梅园新村 12 号" } };

		rt_ok(ruhu_edit_insert(e, "household", h, 1, hh));
	}
	/* 40 residents in 10 shapes (more than the statements kept), the
	 * values of each row its own */
	for (int i = 0; i < 40; i++) {
		char name[32];
		ruhu_assign p[] = {
			{ "name", name }, { "household_id", hh },
			{ i % 2 ? "phone" : "address", i % 2 ? "13900000000" : "梅园" },
			{ i % 5 ? "gender" : "notes", i % 5 ? "female" : "note" },
		};

		snprintf(name, sizeof(name), "居民%d", i);
		rt_ok(ruhu_edit_insert(e, "person", p, 2 + (size_t)(i % 3 != 0) + (size_t)(i % 7 != 0), ids[i]));
	}
	/* a refused write, then a good one of the very same shape */
	{
		ruhu_assign bad[] = { { "name", "李四" }, { "phone", "12345" } };
		ruhu_assign good[] = { { "name", "李四" }, { "phone", "13900000001" } };

		ck_assert_int_eq(ruhu_edit_insert(e, "person", bad, 2, NULL), RUHU_EINVALID);
		ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "person.phone"));
		rt_ok(ruhu_edit_insert(e, "person", good, 2, NULL));
	}
	/* a duplicate id is still named as such, and the shape works after it */
	{
		ruhu_assign dup[] = { { "id", ids[3] }, { "name", "x" } };
		ruhu_assign fresh[] = { { "id", "0190e0e0-0000-7000-8000-000000000001" }, { "name", "x" } };

		ck_assert_int_eq(ruhu_edit_insert(e, "person", dup, 2, NULL), RUHU_EEXISTS);
		rt_ok(ruhu_edit_insert(e, "person", fresh, 2, NULL));
	}
	/* updates of many shapes, one of them of a missing record */
	for (int i = 0; i < 12; i++) {
		ruhu_assign v[] = { { fields[i % 4], i % 4 == 1 ? "13900000002" : i % 4 == 3 ? NULL : "x" } };

		rt_ok(ruhu_edit_update(e, "household", hh, v, 1));
	}
	{
		/* the same shape with a value, then with NULL: bindings do not
		 * carry over from one write to the next */
		ruhu_assign set[] = { { "village", "梅园" } }, unset[] = { { "village", NULL } };

		rt_ok(ruhu_edit_update(e, "household", hh, set, 1));
		rt_ok(ruhu_edit_update(e, "household", hh, unset, 1));
	}
	{
		ruhu_assign v[] = { { "notes", "y" } };

		ck_assert_int_eq(ruhu_edit_update(e, "household", "0190e0e0-0000-7000-8000-00000000dead", v, 1),
				 RUHU_ENOTFOUND);
		rt_ok(ruhu_edit_update(e, "household", hh, v, 1));
	}
	rt_ok(ruhu_edit_commit(e, NULL, &info));
	ruhu_edit_free(e);
	ck_assert_int_eq(info.committed, 1);
	ck_assert_uint_eq(info.changes, 43); /* household, 40 + 2 residents */

	rt_ok(ruhu_record_list(r, "person", NULL, 0, count_rows, &rows));
	ck_assert_int_eq(rows, 42);
	/* i = 10: four fields, address and notes; i = 11: phone and gender;
	 * i = 35: three fields, the fourth left as it was */
	rt_ok(ruhu_replica_sql(r, "SELECT name || '/' || coalesce(address, '-') || '/' || coalesce(phone, '-') "
			       "|| '/' || coalesce(gender, '-') || '/' || coalesce(notes, '-') FROM person "
			       "WHERE name = '居民10'", take_text, got));
	ck_assert_str_eq(got, "居民10/梅园/-/-/note");
	rt_ok(ruhu_replica_sql(r, "SELECT name || '/' || coalesce(address, '-') || '/' || coalesce(phone, '-') "
			       "|| '/' || coalesce(gender, '-') || '/' || coalesce(notes, '-') FROM person "
			       "WHERE name = '居民11'", take_text, got));
	ck_assert_str_eq(got, "居民11/-/13900000000/female/-");
	rt_ok(ruhu_replica_sql(r, "SELECT name || '/' || coalesce(address, '-') || '/' || coalesce(phone, '-') "
			       "|| '/' || coalesce(gender, '-') || '/' || coalesce(notes, '-') FROM person "
			       "WHERE name = '居民35'", take_text, got));
	ck_assert_str_eq(got, "居民35/-/13900000000/-/-");
	rt_ok(ruhu_replica_sql(r, "SELECT notes || '/' || phone || '/' || coalesce(head_person_id, 'null') "
			       "|| '/' || coalesce(village, 'null') FROM household", take_text, got));
	ck_assert_str_eq(got, "y/13900000002/null/null");
	ruhu_replica_free(r);
}
END_TEST

Suite *edit_stmts_suite(void)
{
	Suite *s = suite_create("edit_stmts");
	TCase *tc = tcase_create("edit_stmts");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_edit_stmts_many_shapes_and_failures);
	suite_add_tcase(s, tc);
	return s;
}
