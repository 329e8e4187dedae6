/*
 * test_diskfull.c — a full disk and read-only media.
 *
 * Always: the crash VFS and ruhu's file-system calls fail every write from
 * the N-th on with ENOSPC (support/fault.h), for each N, in a transaction,
 * a passphrase change and a rekey: the error is RUHU_ENOSPACE ("no space
 * left on device") and the replica holds the state before or after.
 *
 * When the test can have a private mount namespace (root, as in CI, or an
 * unprivileged user namespace): a real 1 MiB tmpfs, filled up, under the
 * same three operations (RUHU_ENOSPACE, nothing lost, all works again once
 * space is freed), then remounted read-only (RUHU_EREADONLY).  Where it
 * cannot, it says so on stdout and the injected runs still count.
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

START_TEST(test_diskfull_injected_txn)
{
	enospc(&rt_op_txn_wal);
	enospc(&rt_op_txn_delete);
}
END_TEST

START_TEST(test_diskfull_injected_passphrase)
{
	enospc(&rt_op_passphrase);
}
END_TEST

START_TEST(test_diskfull_injected_rekey)
{
	enospc(&rt_op_rekey_wal);
}
END_TEST

/* ---- a real small file system ---- */

static void state(ruhu_replica *r, ruhu_buf *out)
{
	rt_ok(rt_state_tables(r, out));
}

START_TEST(test_diskfull_tmpfs)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_buf before = RUHU_BUF_INIT, now = RUHU_BUF_INIT;
	ruhu_replica_check_report rep;
	ruhu_replica *r = NULL;
	char mnt[256], dir[300], filler[300], why[256];
	int rc;

	rt_ok(ruhu_init());
	rt_tmpdir(mnt, sizeof(mnt));
	if (rt_private_tmpfs(mnt, "1m", why, sizeof(why)) < 0) {
		printf("diskfull: tmpfs runs skipped (%s); the injected ENOSPC runs cover it\n", why);
		rt_rmrf(mnt);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/replica", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	o.cache_kib = 64;
	rt_ok(ruhu_replica_create(&r, dir, "pw", 2, &o));
	rt_ok(ruhu_replica_exec(r, "CREATE TABLE visit(id INTEGER PRIMARY KEY, note TEXT); "
				"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 200) "
				"INSERT INTO visit SELECT i, hex(zeroblob(100)) FROM n"));
	state(r, &before);
	rt_fill_disk(filler);

	rc = ruhu_replica_exec(r, "BEGIN IMMEDIATE; "
			       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000) "
			       "INSERT INTO visit SELECT 1000 + i, hex(zeroblob(200)) FROM n; COMMIT");
	ck_assert_msg(rc == RUHU_ENOSPACE, "transaction on a full disk: %d %s", rc, ruhu_error_last());
	ck_assert_msg(strstr(ruhu_error_last(), "no space left on device") != NULL, "%s",
		      ruhu_error_last());
	ruhu_replica_rollback(r);
	rc = ruhu_replica_change_passphrase(r, "new", 3, &o);
	ck_assert_msg(rc == RUHU_ENOSPACE, "passphrase change on a full disk: %d %s", rc,
		      ruhu_error_last());
	rc = ruhu_replica_rekey(r);
	ck_assert_msg(rc == RUHU_ENOSPACE, "rekey on a full disk: %d %s", rc, ruhu_error_last());
	ruhu_replica_free(r);
	r = NULL;
	printf("diskfull: tmpfs 1 MiB full: transaction, passphrase change and rekey refused "
	       "with RUHU_ENOSPACE\n");

	/* nothing lost: space back, the old passphrase, the same rows */
	ck_assert_int_eq(unlink(filler), 0);
	rt_ok(ruhu_replica_open(&r, dir, "pw", 2, &o));
	rt_ok(ruhu_replica_check(r, &rep));
	state(r, &now);
	ck_assert_str_eq(now.ptr, before.ptr);
	rt_ok(ruhu_replica_exec(r, "INSERT INTO visit VALUES (5000, 'after')"));
	rt_ok(ruhu_replica_rekey(r));
	ruhu_replica_free(r);
	r = NULL;

	/* read-only media */
	ck_assert_int_eq(mount("tmpfs", mnt, "tmpfs", MS_REMOUNT | MS_RDONLY, NULL), 0);
	rc = ruhu_replica_open(&r, dir, "pw", 2, &o);
	if (rc == 0) {
		rc = ruhu_replica_exec(r, "INSERT INTO visit VALUES (5001, 'read-only')");
		ruhu_replica_free(r);
	}
	ck_assert_msg(rc == RUHU_EREADONLY, "read-only media: %d %s", rc, ruhu_error_last());
	printf("diskfull: read-only tmpfs: %s\n", ruhu_error_last());
	ck_assert_int_eq(umount(mnt), 0);
	ruhu_buf_dispose(&before);
	ruhu_buf_dispose(&now);
	rt_rmrf(mnt);
}
END_TEST

Suite *diskfull_suite(void)
{
	Suite *s = suite_create("diskfull");
	TCase *tc = tcase_create("diskfull");

	tcase_add_test(tc, test_diskfull_injected_txn);
	tcase_add_test(tc, test_diskfull_injected_passphrase);
	tcase_add_test(tc, test_diskfull_injected_rekey);
	tcase_add_test(tc, test_diskfull_tmpfs);
	suite_add_tcase(s, tc);
	return s;
}
