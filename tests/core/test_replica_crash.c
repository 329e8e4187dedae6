/*
 * test_replica_crash.c — kill -9 in the middle of large write transactions:
 * a child commits transactions of 2,000 rows and reports each commit on a
 * pipe; the parent kills it at a random moment, reopens the replica, and
 * finds exactly the committed transactions (all rows of each, none of the
 * one cut short), and a clean check.  Ten runs in WAL mode, ten in DELETE.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/replica.h"
#include "support/support.h"

#define ROWS 2000

static void child(const char *dir, int fd)
{
	ruhu_replica *r = NULL;
	char sql[512];

	if (ruhu_replica_open(&r, dir, "pw", 2, NULL) < 0)
		_exit(3);
	for (int txn = 1; txn < 100000; txn++) {
		snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE;"
			 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d) "
			 "INSERT INTO t(txn, i, pad) SELECT %d, i, hex(randomblob(60)) FROM n;"
			 "UPDATE t SET pad = lower(pad) WHERE txn = %d - 1; COMMIT", ROWS, txn, txn);
		if (ruhu_replica_exec(r, sql) < 0)
			_exit(4);
		if (write(fd, &txn, sizeof(txn)) != sizeof(txn))
			_exit(5);
	}
	_exit(0);
}

static void crash_once(const char *dir, ruhu_journal_mode mode, unsigned delay_ms)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_replica *r = NULL;
	ruhu_replica_check_report rep;
	sqlite3_stmt *st;
	int fds[2], txn, reported = 0, status, expect = 1;
	pid_t pid;

	o.journal_mode = mode;
	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	rt_ok(ruhu_replica_create(&r, dir, "pw", 2, &o));
	rt_ok(ruhu_replica_exec(r, "CREATE TABLE t(txn INTEGER, i INTEGER, pad TEXT, PRIMARY KEY (txn, i))"));
	ruhu_replica_free(r);
	ck_assert_int_eq(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child(dir, fds[1]);
	}
	close(fds[1]);
	usleep(delay_ms * 1000);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status), "the child ended by itself (%d)", WEXITSTATUS(status));
	while (read(fds[0], &txn, sizeof(txn)) == sizeof(txn))
		reported = txn;
	close(fds[0]);

	r = NULL;
	rt_ok(ruhu_replica_open(&r, dir, "pw", 2, NULL));
	ck_assert_int_eq(sqlite3_prepare_v2(ruhu_replica_db(r),
		"SELECT txn, count(*), sum(i) FROM t GROUP BY txn ORDER BY txn", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ck_assert_int_eq(sqlite3_column_int(st, 0), expect);
		ck_assert_int_eq(sqlite3_column_int(st, 1), ROWS);
		ck_assert_int_eq(sqlite3_column_int64(st, 2), (int64_t)ROWS * (ROWS + 1) / 2);
		expect++;
	}
	sqlite3_finalize(st);
	/* every reported commit is there; at most the unreported last one more */
	ck_assert_int_ge(expect - 1, reported);
	ck_assert_int_le(expect - 1, reported + 1);
	rt_ok(ruhu_replica_check(r, &rep));
	ruhu_replica_free(r);
}

START_TEST(test_replica_crash_kill9_mid_transaction)
{
	char dir[256], sub[300];
	unsigned committed_runs = 0;

	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	for (int run = 0; run < 20; run++) {
		snprintf(sub, sizeof(sub), "%s/run%d", dir, run);
		crash_once(sub, run % 2 ? RUHU_JOURNAL_DELETE : RUHU_JOURNAL_WAL,
			   40 + randombytes_uniform(400));
		committed_runs++;
		rt_rmrf(sub);
	}
	ck_assert_uint_eq(committed_runs, 20);
	rt_rmrf(dir);
}
END_TEST

Suite *replica_crash_suite(void)
{
	Suite *s = suite_create("replica_crash");
	TCase *tc = tcase_create("replica_crash");

	tcase_add_test(tc, test_replica_crash_kill9_mid_transaction);
	suite_add_tcase(s, tc);
	return s;
}
