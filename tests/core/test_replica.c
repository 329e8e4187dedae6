/*
 * test_replica.c — the replica API (core/replica.c): create and open, bulk
 * data in both journal modes, every refusal with its own message, passphrase
 * change, rekey (also interrupted), SQL, transactions, busy mapping, and the
 * session extension on an encrypted replica.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/replica.h"
#include "support/support.h"

static ruhu_replica_options fast(ruhu_journal_mode mode)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.journal_mode = mode;
	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

static ruhu_replica *make(const char *dir, ruhu_journal_mode mode)
{
	ruhu_replica_options o = fast(mode);
	ruhu_replica *r = NULL;

	rt_ok(ruhu_init());
	rt_ok(ruhu_replica_create(&r, dir, "pw", 2, &o));
	return r;
}

static int64_t q1(ruhu_replica *r, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(ruhu_replica_db(r), sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(ruhu_replica_db(r)));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void check_ok(ruhu_replica *r)
{
	ruhu_replica_check_report rep;

	rt_ok(ruhu_replica_check(r, &rep));
	ck_assert_int_gt(rep.pages, 0);
	ck_assert_int_eq(rep.pages_failed, 0);
	ck_assert_int_eq(rep.integrity_errors, 0);
}

static void copy_file(const char *src, const char *dst)
{
	size_t len;
	unsigned char *d = rt_read_file(src, &len);

	rt_write_file(dst, d, len);
	free(d);
}

START_TEST(test_replica_create_layout_and_meta)
{
	char dir[256], sub[300], path[400];
	ruhu_replica *r, *again = NULL;
	ruhu_replica_options o = fast(RUHU_JOURNAL_DEFAULT);
	struct stat st;

	rt_tmpdir(dir, sizeof(dir));
	rt_path(sub, sizeof(sub), dir, "a/b/tab-07");
	r = make(sub, RUHU_JOURNAL_DEFAULT);
	ck_assert_str_eq(ruhu_replica_dir(r), sub);
	ck_assert_int_eq(q1(r, "SELECT value FROM _meta WHERE key = 'format'"), 1);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	ck_assert_int_eq(q1(r, "PRAGMA cache_size"), -65536);
	ck_assert_int_eq(q1(r, "PRAGMA synchronous"), 2);
	ck_assert_int_eq(q1(r, "PRAGMA secure_delete"), 1);
	ck_assert_int_eq(q1(r, "PRAGMA temp_store"), 2);
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM sqlite_schema WHERE name = '_meta' AND sql LIKE '%STRICT'"), 1);
	rt_path(path, sizeof(path), sub, "replica.key");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 128);
	ck_assert_int_eq(st.st_mode & 077, 0);
	/* a folder holding a replica is refused, and left as it was */
	ck_assert_int_eq(ruhu_replica_create(&again, sub, "pw", 2, &o), RUHU_EEXISTS);
	ck_assert_ptr_null(again);
	ck_assert_msg(strstr(ruhu_error_last(), "already holds a replica"), "%s", ruhu_error_last());
	ruhu_replica_free(r);
	rt_rmrf(dir);
}
END_TEST

static void bulk(ruhu_journal_mode mode)
{
	char dir[256];
	ruhu_replica *r;

	rt_tmpdir(dir, sizeof(dir));
	r = make(dir, mode);
	rt_ok(ruhu_replica_exec(r, "CREATE TABLE person(id INTEGER PRIMARY KEY, name TEXT, idno TEXT)"));
	rt_ok(ruhu_replica_begin(r));
	rt_ok(ruhu_replica_exec(r, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 100000) "
				   "INSERT INTO person(name, idno) SELECT 'resident ' || i, printf('3201%014d', i) FROM n"));
	rt_ok(ruhu_replica_commit(r));
	ruhu_replica_free(r);
	r = NULL;
	rt_ok(ruhu_replica_open(&r, dir, "pw", 2, NULL));
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM person"), 100000);
	ck_assert_int_eq(q1(r, "SELECT count(DISTINCT idno) FROM person"), 100000);
	check_ok(r);
	ruhu_replica_free(r);
	rt_rmrf(dir);
}

START_TEST(test_replica_100k_rows_wal)
{
	bulk(RUHU_JOURNAL_WAL);
}
END_TEST

START_TEST(test_replica_100k_rows_delete)
{
	bulk(RUHU_JOURNAL_DELETE);
}
END_TEST

static void expect_open(const char *dir, const char *pass, int code, const char *msg)
{
	ruhu_replica *r = (ruhu_replica *)1;

	ck_assert_int_eq(ruhu_replica_open(&r, dir, pass, strlen(pass), NULL), code);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(ruhu_error_last(), msg) != NULL, "message: %s", ruhu_error_last());
}

START_TEST(test_replica_refusals_have_their_own_messages)
{
	char dir[256], a[300], b[300], p[300], path[400], path2[400], want[400];
	unsigned char *before, *after;
	size_t n1, n2;
	sqlite3 *plain;

	rt_tmpdir(dir, sizeof(dir));
	rt_path(a, sizeof(a), dir, "a");
	rt_path(b, sizeof(b), dir, "b");
	rt_path(p, sizeof(p), dir, "p");
	ruhu_replica_free(make(a, RUHU_JOURNAL_WAL));
	ruhu_replica_free(make(b, RUHU_JOURNAL_DELETE));

	/* wrong passphrase: refused, nothing changed */
	rt_path(path, sizeof(path), a, "replica.db");
	before = rt_read_file(path, &n1);
	snprintf(want, sizeof(want), "wrong passphrase for replica %s", a);
	expect_open(a, "not-the-passphrase", RUHU_EAUTH, want);
	ck_assert_str_eq(ruhu_error_last(), want);
	after = rt_read_file(path, &n2);
	ck_assert(n1 == n2 && memcmp(before, after, n1) == 0);
	free(before);
	free(after);

	/* the key file of another replica */
	rt_path(path, sizeof(path), a, "replica.key");
	rt_path(path2, sizeof(path2), b, "replica.key");
	copy_file(path, path2);
	expect_open(b, "pw", RUHU_EINVALID, "belongs to another replica");

	/* missing key file */
	unlink(path2);
	expect_open(b, "pw", RUHU_ENOTFOUND, "replica.key is missing");

	/* a plain SQLite file as replica.db */
	mkdir(p, 0700);
	rt_path(path2, sizeof(path2), p, "replica.db");
	ck_assert_int_eq(sqlite3_open(path2, &plain), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(plain, "CREATE TABLE x(y)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(plain);
	rt_path(path2, sizeof(path2), p, "replica.key");
	copy_file(path, path2);
	expect_open(p, "pw", RUHU_EINVALID, "is a plain sqlite database, not an encrypted replica");

	/* not a replica: no database, something else as database, no folder */
	expect_open(dir, "pw", RUHU_ENOTFOUND, "is not a replica folder");
	rt_path(path2, sizeof(path2), p, "replica.db");
	rt_write_file(path2, "hello, this is not a database at all", 36);
	expect_open(p, "pw", RUHU_EINVALID, "is not a ruhu replica database");
	rt_path(path2, sizeof(path2), dir, "nowhere");
	expect_open(path2, "pw", RUHU_ENOTFOUND, "the folder does not exist");
	expect_open(path, "pw", RUHU_EINVALID, "it is a file");

	/* a damaged key file */
	rt_write_file(path, "ruhu-key", 8);
	expect_open(a, "pw", RUHU_ECORRUPT, "is damaged");
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_replica_change_passphrase)
{
	char dir[256];
	ruhu_replica_options o = fast(RUHU_JOURNAL_DEFAULT);
	ruhu_replica *r;

	rt_tmpdir(dir, sizeof(dir));
	r = make(dir, RUHU_JOURNAL_WAL);
	rt_ok(ruhu_replica_exec(r, "CREATE TABLE t(x); INSERT INTO t VALUES ('kept')"));
	ck_assert_int_eq(ruhu_replica_change_passphrase(r, "", 0, &o), RUHU_EINVALID);
	rt_ok(ruhu_replica_change_passphrase(r, "new one", 7, &o));
	ruhu_replica_free(r);
	expect_open(dir, "pw", RUHU_EAUTH, "wrong passphrase");
	r = NULL;
	rt_ok(ruhu_replica_open(&r, dir, "new one", 7, NULL));
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM t WHERE x = 'kept'"), 1);
	check_ok(r);
	ruhu_replica_free(r);
	rt_rmrf(dir);
}
END_TEST

static void rekey_keeps_data(ruhu_journal_mode mode)
{
	char dir[256], db[400], key[400], oldkey[400];
	ruhu_replica *r;
	unsigned char *before, *after;
	size_t n1, n2;

	rt_tmpdir(dir, sizeof(dir));
	rt_path(key, sizeof(key), dir, "r/replica.key");
	rt_path(oldkey, sizeof(oldkey), dir, "old.key");
	snprintf(db, sizeof(db), "%s/r", dir);
	r = make(db, mode);
	rt_ok(ruhu_replica_exec(r, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
			"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 5000) "
			"INSERT INTO t(v) SELECT 'row ' || i FROM n"));
	copy_file(key, oldkey);
	rt_ok(ruhu_replica_exec(r, "PRAGMA wal_checkpoint(TRUNCATE)"));
	snprintf(db, sizeof(db), "%s/r/replica.db", dir);
	before = rt_read_file(db, &n1);
	rt_ok(ruhu_replica_rekey(r));
	/* the same replica goes on working, under the new key */
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM t"), 5000);
	rt_ok(ruhu_replica_exec(r, "INSERT INTO t(v) VALUES ('after rekey')"));
	ruhu_replica_free(r);
	after = rt_read_file(db, &n2);
	ck_assert_int_ne(memcmp(before + 8, after + 8, 8), 0); /* key check value */
	free(before);
	free(after);
	snprintf(db, sizeof(db), "%s/r", dir);
	r = NULL;
	rt_ok(ruhu_replica_open(&r, db, "pw", 2, NULL));
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM t"), 5001);
	check_ok(r);
	ruhu_replica_free(r);
	/* the old key file no longer opens it */
	copy_file(oldkey, key);
	expect_open(db, "pw", RUHU_EINVALID, "belongs to another replica");
	rt_rmrf(dir);
}

START_TEST(test_replica_rekey_wal)
{
	rekey_keeps_data(RUHU_JOURNAL_WAL);
}
END_TEST

START_TEST(test_replica_rekey_delete)
{
	rekey_keeps_data(RUHU_JOURNAL_DELETE);
}
END_TEST

/* replica.c note 5: a crash between the two renames of a rekey. */
START_TEST(test_replica_rekey_interrupted_is_finished)
{
	char dir[256], r1[300], r2[300], a[400], b[400];
	ruhu_replica *r;

	rt_tmpdir(dir, sizeof(dir));
	rt_path(r1, sizeof(r1), dir, "one");
	rt_path(r2, sizeof(r2), dir, "two");
	r = make(r1, RUHU_JOURNAL_DELETE);
	rt_ok(ruhu_replica_exec(r, "CREATE TABLE t(x); INSERT INTO t VALUES (7)"));
	ruhu_replica_free(r);
	rt_ok(rt_sh(NULL, "cp -r '%s' '%s'", r1, r2) == 0 ? 0 : -1);
	r = NULL;
	rt_ok(ruhu_replica_open(&r, r2, "pw", 2, NULL));
	rt_ok(ruhu_replica_rekey(r));
	ruhu_replica_free(r);
	/* one/: new database in place, old key file, new key file beside it */
	snprintf(a, sizeof(a), "%s/replica.db", r2);
	snprintf(b, sizeof(b), "%s/replica.db", r1);
	copy_file(a, b);
	snprintf(a, sizeof(a), "%s/replica.key", r2);
	snprintf(b, sizeof(b), "%s/replica.key.new", r1);
	copy_file(a, b);
	r = NULL;
	rt_ok(ruhu_replica_open(&r, r1, "pw", 2, NULL));
	ck_assert_int_eq(q1(r, "SELECT x FROM t"), 7);
	ruhu_replica_free(r);
	ck_assert(!rt_exists(b));
	/* before the first rename: the new files are dropped, the old pair stays */
	snprintf(a, sizeof(a), "%s/replica.db.new", r1);
	rt_write_file(a, "partial", 7);
	rt_write_file(b, "partial", 7);
	r = NULL;
	rt_ok(ruhu_replica_open(&r, r1, "pw", 2, NULL));
	ck_assert_int_eq(q1(r, "SELECT x FROM t"), 7);
	ruhu_replica_free(r);
	ck_assert(!rt_exists(a) && !rt_exists(b));
	rt_rmrf(dir);
}
END_TEST

struct rows { int n; int64_t sum; char text[64]; };

static int collect(int stmt, int ncols, const char *const *names, const ruhu_value *v, void *payload)
{
	struct rows *r = payload;

	ck_assert_int_eq(stmt, 2); /* CREATE, INSERT, then the SELECT */
	ck_assert_int_eq(ncols, 4);
	ck_assert_str_eq(names[0], "i");
	ck_assert_int_eq(v[0].type, RUHU_VALUE_INTEGER);
	ck_assert_int_eq(v[1].type, RUHU_VALUE_TEXT);
	ck_assert_int_eq(v[2].type, RUHU_VALUE_BLOB);
	ck_assert_int_eq(v[3].type, v[0].i == 1 ? RUHU_VALUE_NULL : RUHU_VALUE_REAL);
	ck_assert_uint_eq(v[2].len, 2);
	r->n++;
	r->sum += v[0].i;
	snprintf(r->text, sizeof(r->text), "%.*s", (int)v[1].len, v[1].p);
	return 0;
}

START_TEST(test_replica_sql_rows_and_errors)
{
	char dir[256];
	ruhu_replica *r;
	struct rows rows = { 0 };

	rt_tmpdir(dir, sizeof(dir));
	r = make(dir, RUHU_JOURNAL_WAL);
	rt_ok(ruhu_replica_sql(r, "CREATE TABLE t(i INTEGER PRIMARY KEY, s TEXT, b BLOB, f REAL);"
			       "INSERT INTO t VALUES (1, '张三', x'00ff', NULL), (2, 'li', x'0102', 2.5);"
			       "-- a comment\n SELECT i, s, b, f FROM t ORDER BY i; ", collect, &rows));
	ck_assert_int_eq(rows.n, 2);
	ck_assert_int_eq(rows.sum, 3);
	ck_assert_str_eq(rows.text, "li");
	ck_assert_int_eq(ruhu_replica_sql(r, "SELEC 1", NULL, NULL), RUHU_EINVALID);
	ck_assert_msg(strstr(ruhu_error_last(), "syntax error"), "%s", ruhu_error_last());
	ck_assert_int_eq(ruhu_replica_sql(r, "INSERT INTO t VALUES (1, 'dup', x'00', 0)", NULL, NULL),
			 RUHU_EINVALID);
	ck_assert_msg(strstr(ruhu_error_last(), "UNIQUE"), "%s", ruhu_error_last());
	ruhu_replica_free(r);
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_replica_transactions_and_busy)
{
	char dir[256];
	ruhu_replica_options o = fast(RUHU_JOURNAL_DEFAULT);
	ruhu_replica *r, *other = NULL;

	rt_tmpdir(dir, sizeof(dir));
	r = make(dir, RUHU_JOURNAL_WAL);
	rt_ok(ruhu_replica_exec(r, "CREATE TABLE t(x)"));
	rt_ok(ruhu_replica_begin(r));
	rt_ok(ruhu_replica_exec(r, "INSERT INTO t VALUES (1)"));
	rt_ok(ruhu_replica_savepoint(r, "visit_1"));
	rt_ok(ruhu_replica_exec(r, "INSERT INTO t VALUES (2)"));
	rt_ok(ruhu_replica_rollback_to(r, "visit_1"));
	rt_ok(ruhu_replica_savepoint(r, "visit_2"));
	rt_ok(ruhu_replica_exec(r, "INSERT INTO t VALUES (3)"));
	rt_ok(ruhu_replica_release(r, "visit_2"));
	ck_assert_int_eq(ruhu_replica_savepoint(r, "1; DROP TABLE t"), RUHU_EINVALID);

	/* a second writer waits busy_timeout, then gets a clear error */
	o.busy_timeout_ms = 50;
	rt_ok(ruhu_replica_open(&other, dir, "pw", 2, &o));
	ck_assert_int_eq(ruhu_replica_begin(other), RUHU_EBUSY);
	ck_assert_msg(strstr(ruhu_error_last(), "is in use by another process"), "%s", ruhu_error_last());
	rt_ok(ruhu_replica_commit(r));
	ck_assert_int_eq(q1(other, "SELECT sum(x) FROM t"), 4);
	rt_ok(ruhu_replica_begin(other));
	rt_ok(ruhu_replica_exec(other, "INSERT INTO t VALUES (5)"));
	ruhu_replica_rollback(other);
	ruhu_replica_rollback(other); /* nothing to roll back: harmless */
	ck_assert_int_eq(q1(r, "SELECT count(*) FROM t"), 2);
	ruhu_replica_free(other);
	ruhu_replica_free(r);
	rt_rmrf(dir);
}
END_TEST

static int conflict_abort(void *ctx, int kind, sqlite3_changeset_iter *it)
{
	return SQLITE_CHANGESET_ABORT;
}

START_TEST(test_replica_session_changesets)
{
	char dir[256], a[300], b[300];
	ruhu_replica *ra, *rb;
	sqlite3_session *s;
	void *cs = NULL;
	int n = 0;
	static const char schema[] = "CREATE TABLE person(id TEXT PRIMARY KEY, name TEXT, phone TEXT) STRICT";

	rt_tmpdir(dir, sizeof(dir));
	rt_path(a, sizeof(a), dir, "tablet");
	rt_path(b, sizeof(b), dir, "hub");
	ra = make(a, RUHU_JOURNAL_WAL);
	rb = make(b, RUHU_JOURNAL_DELETE);
	rt_ok(ruhu_replica_exec(ra, schema));
	rt_ok(ruhu_replica_exec(rb, schema));
	rt_ok(ruhu_replica_exec(ra, "INSERT INTO person VALUES ('p0', 'old', NULL)"));
	rt_ok(ruhu_replica_exec(rb, "INSERT INTO person VALUES ('p0', 'old', NULL)"));
	ck_assert_int_eq(sqlite3session_create(ruhu_replica_db(ra), "main", &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3session_attach(s, "person"), SQLITE_OK);
	rt_ok(ruhu_replica_exec(ra, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 500) "
				    "INSERT INTO person SELECT 'p' || i, '王' || i, '138' || printf('%08d', i) FROM n;"
				    "UPDATE person SET name = 'new' WHERE id = 'p0';"
				    "DELETE FROM person WHERE id = 'p7'"));
	ck_assert_int_eq(sqlite3session_changeset(s, &n, &cs), SQLITE_OK);
	sqlite3session_delete(s);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sqlite3changeset_apply(ruhu_replica_db(rb), n, cs, NULL, conflict_abort, NULL),
			 SQLITE_OK);
	sqlite3_free(cs);
	ck_assert_int_eq(q1(rb, "SELECT count(*) FROM person"), 500);
	ck_assert_int_eq(q1(rb, "SELECT count(*) FROM person WHERE name = 'new'"), 1);
	ck_assert_int_eq(q1(rb, "SELECT count(*) FROM person WHERE id = 'p7'"), 0);
	ruhu_replica_free(ra);
	ruhu_replica_free(rb);
	rb = NULL;
	rt_ok(ruhu_replica_open(&rb, b, "pw", 2, NULL));
	ck_assert_int_eq(q1(rb, "SELECT count(*) FROM person WHERE phone LIKE '138%'"), 499);
	check_ok(rb);
	ruhu_replica_free(rb);
	rt_rmrf(dir);
}
END_TEST

Suite *replica_suite(void)
{
	Suite *s = suite_create("replica");
	TCase *tc = tcase_create("replica");

	tcase_add_test(tc, test_replica_create_layout_and_meta);
	tcase_add_test(tc, test_replica_100k_rows_wal);
	tcase_add_test(tc, test_replica_100k_rows_delete);
	tcase_add_test(tc, test_replica_refusals_have_their_own_messages);
	tcase_add_test(tc, test_replica_change_passphrase);
	tcase_add_test(tc, test_replica_rekey_wal);
	tcase_add_test(tc, test_replica_rekey_delete);
	tcase_add_test(tc, test_replica_rekey_interrupted_is_finished);
	tcase_add_test(tc, test_replica_sql_rows_and_errors);
	tcase_add_test(tc, test_replica_transactions_and_busy);
	tcase_add_test(tc, test_replica_session_changesets);
	suite_add_tcase(s, tc);
	return s;
}
