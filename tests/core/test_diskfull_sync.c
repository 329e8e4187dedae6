/*
 * test_diskfull_sync.c — a full disk under the operations of a township
 * (support/ops_sync.c): a save on a joined tablet, the hub's merge of a
 * bundle, a tablet's pull with rebase.
 *
 * Always: every write from the N-th on fails with ENOSPC (support/fault.h),
 * for each N: the call fails with RUHU_ENOSPACE ("no space left on device")
 * and the replica holds exactly the state before or after.
 *
 * Where the test can have a private mount namespace (as test_diskfull.c):
 * the three replicas on a real tmpfs, opened, then the disk filled up; each
 * operation fails with RUHU_ENOSPACE and its message; once space is freed
 * each replica opens, passes its check and holds exactly its state of
 * before, and the operation then succeeds.  Where it cannot, it says so and
 * the injected runs still count.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/harness.h"

static void enospc(const struct rt_op *op)
{
	struct rt_fault_result res;

	rt_fault_loop(op, RT_SITE_IO, 1, RT_FAULT_ENOSPC, &res);
	ck_assert_uint_gt(res.errors, 0);
	ck_assert_uint_eq(res.codes[-RUHU_ENOSPACE], res.errors);
}

START_TEST(test_diskfull_sync_injected_save)
{
	enospc(&rt_op_save);
}
END_TEST

START_TEST(test_diskfull_sync_injected_merge)
{
	enospc(&rt_op_merge);
}
END_TEST

START_TEST(test_diskfull_sync_injected_pull)
{
	enospc(&rt_op_pull);
}
END_TEST

/* ---- a real small file system ---- */

static ruhu_replica *open_replica(const struct rt_op *op, const char *dir)
{
	ruhu_replica_options o = rt_op_options(op);
	ruhu_replica *r = NULL;

	rt_ok(ruhu_replica_open(&r, dir, "pw", 2, &o));
	return r;
}

static void state_of(const struct rt_op *op, const char *dir, ruhu_buf *out)
{
	ruhu_replica *r = open_replica(op, dir);

	rt_ok(op->state(r, out));
	ruhu_replica_free(r);
}

START_TEST(test_diskfull_sync_tmpfs)
{
	const struct rt_op *ops[] = { &rt_op_save, &rt_op_merge, &rt_op_pull };
	enum { N = 3 };
	ruhu_buf before[N], now = RUHU_BUF_INIT;
	ruhu_replica *r[N];
	ruhu_replica_check_report rep;
	char mnt[256], dir[N][300], filler[300], why[256];

	rt_ok(ruhu_init());
	rt_sync_template();
	rt_tmpdir(mnt, sizeof(mnt));
	if (rt_private_tmpfs(mnt, "6m", why, sizeof(why)) < 0) {
		printf("diskfull_sync: tmpfs runs skipped (%s); the injected ENOSPC runs cover it\n", why);
		rt_rmrf(mnt);
		return;
	}
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	for (int i = 0; i < N; i++) {
		memset(&before[i], 0, sizeof(before[i]));
		snprintf(dir[i], sizeof(dir[i]), "%s/%d", mnt, i);
		rt_op_setup(ops[i], dir[i]);
		state_of(ops[i], dir[i], &before[i]);
		r[i] = open_replica(ops[i], dir[i]);
	}
	rt_fill_disk(filler);
	for (int i = 0; i < N; i++) {
		struct rt_run run = { dir[i], r[i], ops[i] };
		int rc = ops[i]->run(&run);

		ck_assert_msg(rc == RUHU_ENOSPACE, "%s on a full disk: %d %s", ops[i]->name, rc,
			      ruhu_error_last());
		ck_assert_msg(strstr(ruhu_error_last(), "no space left on device") != NULL, "%s: %s",
			      ops[i]->name, ruhu_error_last());
		printf("diskfull_sync: %s on a full tmpfs: %s\n", ops[i]->name, ruhu_error_last());
	}
	for (int i = 0; i < N; i++)
		ruhu_replica_free(r[i]);

	/* nothing lost: space back, the same state, and the operation works */
	ck_assert_int_eq(unlink(filler), 0);
	for (int i = 0; i < N; i++) {
		struct rt_run run = { dir[i], NULL, ops[i] };

		run.r = open_replica(ops[i], dir[i]);
		rt_ok(ruhu_replica_check(run.r, &rep));
		rt_ok(ops[i]->state(run.r, &now));
		ck_assert_str_eq(now.ptr, before[i].ptr);
		rt_ok(ops[i]->run(&run));
		ruhu_replica_free(run.r);
		ruhu_buf_dispose(&before[i]);
	}
	ck_assert_int_eq(umount(mnt), 0);
	ruhu_buf_dispose(&now);
	rt_rmrf(mnt);
}
END_TEST

Suite *diskfull_sync_suite(void)
{
	Suite *s = suite_create("diskfull_sync");
	TCase *tc = tcase_create("diskfull_sync");

	tcase_add_test(tc, test_diskfull_sync_injected_save);
	tcase_add_test(tc, test_diskfull_sync_injected_merge);
	tcase_add_test(tc, test_diskfull_sync_injected_pull);
	tcase_add_test(tc, test_diskfull_sync_tmpfs);
	suite_add_tcase(s, tc);
	return s;
}
