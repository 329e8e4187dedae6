/*
 * test_wal_checkpoint.c — a replica checkpoints its WAL at 4000 pages
 * (core/replica.c, design note 4), whether created or opened, and the saves
 * it holds survive the checkpoint and a reopening.
 */
#include <stdio.h>
#include <string.h>

#include "core/replica.h"
#include "support/support.h"
#include "ruhu/sync.h"

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

static int take_int(int stmt, int ncols, const char *const *names, const ruhu_value *v, void *payload)
{
	*(int64_t *)payload = v[0].type == RUHU_VALUE_INTEGER ? v[0].i : -1;
	return 0;
}

static int64_t query_int(ruhu_replica *r, const char *sql)
{
	int64_t n = -2;

	rt_ok(ruhu_replica_sql(r, sql, take_int, &n));
	return n;
}

START_TEST(test_wal_checkpoint_at_4000_pages)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_replica *r = NULL;
	ruhu_edit *e = NULL;
	char path[512], hh[RUHU_ID_SIZE];
	ruhu_assign h[] = { { "address", "梅园新村 12 号" } };

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	rt_path(path, sizeof(path), dir, "tab");
	rt_ok(ruhu_device_init(&r, path, "tab-07", "pw", 2, &o));
	ck_assert_int_eq(query_int(r, "PRAGMA wal_autocheckpoint"), 4000);
	rt_ok(ruhu_worker_use(r, "w-0012", "王芳"));
	for (int i = 0; i < 300; i++) {
		char notes[32];
		ruhu_assign n[] = { { "notes", notes } };

		snprintf(notes, sizeof(notes), "第 %d 次", i);
		rt_ok(ruhu_edit_begin(&e, r));
		if (i == 0)
			rt_ok(ruhu_edit_insert(e, "household", h, 1, hh));
		else
			rt_ok(ruhu_edit_update(e, "household", hh, n, 1));
		rt_ok(ruhu_edit_commit(e, NULL, NULL));
		ruhu_edit_free(e);
	}
	ruhu_replica_free(r);

	rt_ok(ruhu_replica_open(&r, path, "pw", 2, NULL));
	ck_assert_int_eq(query_int(r, "PRAGMA wal_autocheckpoint"), 4000);
	ck_assert_int_eq(query_int(r, "SELECT count(*) FROM _pending"), 300);
	ck_assert_int_eq(query_int(r, "SELECT value FROM _meta WHERE key = 'seq'"), 300);
	{
		ruhu_replica_check_report rep;

		rt_ok(ruhu_replica_check(r, &rep));
	}
	ruhu_replica_free(r);
}
END_TEST

Suite *wal_checkpoint_suite(void)
{
	Suite *s = suite_create("wal_checkpoint");
	TCase *tc = tcase_create("wal_checkpoint");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_wal_checkpoint_at_4000_pages);
	suite_add_tcase(s, tc);
	return s;
}
