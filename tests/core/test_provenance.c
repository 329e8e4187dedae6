/*
 * test_provenance.c — field clocks and tombstones: what
 * ruhu_provenance_record() keeps for inserts, updates and deletes, the lww
 * order of clocks, and malformed input refused with nothing changed.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "core/hlc.h"
#include "core/provenance.h"
#include "support/support.h"

#define ID "01890a5d-ac96-774b-bcce-b30209900001"

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, err ? err : "");
	sqlite3_free(err);
}

static sqlite3 *open_db(void)
{
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec_ok(db, "CREATE TABLE t(id TEXT PRIMARY KEY NOT NULL, a TEXT, b INTEGER, c TEXT) STRICT");
	rt_ok(ruhu_provenance_init(db));
	rt_ok(ruhu_provenance_init(db));
	return db;
}

/* Run sql under a session on table t; the changeset in out. */
static void capture(ruhu_buf *out, sqlite3 *db, const char *sql)
{
	sqlite3_session *s = NULL;
	void *p = NULL;
	int n = 0;

	ruhu_buf_clear(out);
	ck_assert_int_eq(sqlite3session_create(db, "main", &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3session_attach(s, "t"), SQLITE_OK);
	exec_ok(db, sql);
	ck_assert_int_eq(sqlite3session_changeset(s, &n, &p), SQLITE_OK);
	rt_ok(ruhu_buf_put(out, p, (size_t)n));
	sqlite3_free(p);
	sqlite3session_delete(s);
}

static void assert_clock(sqlite3 *db, size_t col, uint64_t hlc, const char *origin)
{
	uint64_t h = 99;
	ruhu_buf o = RUHU_BUF_INIT;

	rt_ok(ruhu_provenance_clock(&h, &o, db, "t", ID, col));
	ck_assert_uint_eq(h, hlc);
	ck_assert_str_eq(o.ptr ? o.ptr : "", origin);
	ruhu_buf_dispose(&o);
}

START_TEST(test_provenance_insert_update_delete)
{
	sqlite3 *db = open_db();
	ruhu_buf cs = RUHU_BUF_INIT;
	ruhu_tombstone tomb = RUHU_TOMBSTONE_INIT;
	ruhu_changeset_iter *it = NULL;
	const ruhu_change *c;

	/* nothing known: clock 0, origin "" */
	assert_clock(db, 1, 0, "");
	capture(&cs, db, "INSERT INTO t VALUES ('" ID "', 'x', 1, 'y')");
	rt_ok(ruhu_provenance_record(db, cs.ptr, cs.size, 100, "tab-01", NULL));
	assert_clock(db, 1, 100, "tab-01");
	assert_clock(db, 3, 100, "tab-01");
	capture(&cs, db, "UPDATE t SET b = 2");
	rt_ok(ruhu_provenance_record(db, cs.ptr, cs.size, 200, "tab-02", NULL));
	assert_clock(db, 1, 100, "tab-01");
	assert_clock(db, 2, 200, "tab-02");
	capture(&cs, db, "UPDATE t SET a = 'z', c = NULL");
	rt_ok(ruhu_provenance_record(db, cs.ptr, cs.size, 300, "hub", NULL));
	assert_clock(db, 1, 300, "hub");
	assert_clock(db, 2, 200, "tab-02");
	assert_clock(db, 3, 300, "hub");
	ck_assert_int_eq(ruhu_provenance_tombstone(&tomb, db, "t", ID), RUHU_ENOTFOUND);
	/* delete: clock gone, tombstone with the whole last row */
	capture(&cs, db, "DELETE FROM t");
	rt_ok(ruhu_provenance_record(db, cs.ptr, cs.size, 400, "tab-01", NULL));
	assert_clock(db, 2, 0, "");
	rt_ok(ruhu_provenance_tombstone(&tomb, db, "t", ID));
	ck_assert_uint_eq(tomb.hlc, 400);
	ck_assert_str_eq(tomb.origin.ptr, "tab-01");
	ck_assert_uint_eq(tomb.commit.size, 0);
	rt_ok(ruhu_changeset_iter_new(&it, tomb.row.ptr, tomb.row.size, NULL, NULL, NULL));
	ck_assert_int_eq(ruhu_changeset_iter_next(&c, it), 1);
	ck_assert_int_eq(c->op, SQLITE_DELETE);
	ck_assert_str_eq(c->table, "t");
	ck_assert_int_eq(c->old_values[2].type, SQLITE_INTEGER);
	ck_assert_int_eq(c->old_values[2].i, 2);
	ck_assert_int_eq(c->old_values[3].type, SQLITE_NULL);
	ck_assert_int_eq(ruhu_changeset_iter_next(&c, it), 0);
	ruhu_changeset_iter_free(it);
	/* the commit is filled in later */
	rt_ok(ruhu_provenance_set_commit(db, 400, "tab-01", "0123456789abcdef0123456789abcdef01234567"));
	rt_ok(ruhu_provenance_tombstone(&tomb, db, "t", ID));
	ck_assert_str_eq(tomb.commit.ptr, "0123456789abcdef0123456789abcdef01234567");
	/* an insert of the same id clears the tombstone */
	capture(&cs, db, "INSERT INTO t VALUES ('" ID "', 'x', 1, 'y')");
	rt_ok(ruhu_provenance_record(db, cs.ptr, cs.size, 500, "tab-03", NULL));
	ck_assert_int_eq(ruhu_provenance_tombstone(&tomb, db, "t", ID), RUHU_ENOTFOUND);
	assert_clock(db, 2, 500, "tab-03");
	ruhu_tombstone_dispose(&tomb);
	ruhu_buf_dispose(&cs);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_provenance_malformed_changes_nothing)
{
	sqlite3 *db = open_db();
	ruhu_buf cs = RUHU_BUF_INIT;

	capture(&cs, db, "INSERT INTO t VALUES ('" ID "', 'x', 1, 'y')");
	rt_ok(ruhu_provenance_record(db, cs.ptr, cs.size, 100, "tab-01", NULL));
	capture(&cs, db, "UPDATE t SET a = 'q'; INSERT INTO t VALUES ('" ID "2', 'x', 1, 'y')");
	for (size_t n = 1; n < cs.size; n++) {
		uint64_t before = 0;
		ruhu_buf o = RUHU_BUF_INIT;
		int rc;

		rt_ok(ruhu_provenance_clock(&before, &o, db, "t", ID, 1));
		rc = ruhu_provenance_record(db, cs.ptr, n, 900, "tab-09", NULL);
		if (rc != 0) {
			ck_assert_int_eq(rc, RUHU_ECORRUPT);
			assert_clock(db, 1, before, o.ptr);
		}
		ruhu_buf_dispose(&o);
	}
	ck_assert_int_eq(ruhu_provenance_record(db, cs.ptr, cs.size, 900, "", NULL), RUHU_EINVALID);
	ruhu_buf_dispose(&cs);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_provenance_later_orders_by_clock_then_origin)
{
	ck_assert_int_eq(ruhu_provenance_later(2, "a", 1, 1, "z", 1), 1);
	ck_assert_int_eq(ruhu_provenance_later(1, "z", 1, 2, "a", 1), 0);
	ck_assert_int_eq(ruhu_provenance_later(5, "tab-02", 6, 5, "tab-01", 6), 1);
	ck_assert_int_eq(ruhu_provenance_later(5, "tab-01", 6, 5, "tab-02", 6), 0);
	ck_assert_int_eq(ruhu_provenance_later(5, "tab-0", 5, 5, "tab-01", 6), 0);
	ck_assert_int_eq(ruhu_provenance_later(5, "tab-01", 6, 5, "tab-0", 5), 1);
	ck_assert_int_eq(ruhu_provenance_later(5, "x", 1, 5, "x", 1), 0);
	/* a record with no clock is older than any edit */
	ck_assert_int_eq(ruhu_provenance_later(1, "a", 1, 0, "", 0), 1);
}
END_TEST

START_TEST(test_provenance_damaged_clock_refused)
{
	sqlite3 *db = open_db();
	uint64_t h;
	ruhu_buf o = RUHU_BUF_INIT;

	exec_ok(db, "INSERT INTO _field_clock VALUES ('t', '" ID "', x'0100')");
	ck_assert_int_eq(ruhu_provenance_clock(&h, &o, db, "t", ID, 1), RUHU_ECORRUPT);
	ruhu_buf_dispose(&o);
	sqlite3_close(db);
}
END_TEST

Suite *provenance_suite(void)
{
	Suite *s = suite_create("provenance");
	TCase *tc = tcase_create("provenance");

	tcase_add_test(tc, test_provenance_insert_update_delete);
	tcase_add_test(tc, test_provenance_malformed_changes_nothing);
	tcase_add_test(tc, test_provenance_later_orders_by_clock_then_origin);
	tcase_add_test(tc, test_provenance_damaged_clock_refused);
	suite_add_tcase(s, tc);
	return s;
}
