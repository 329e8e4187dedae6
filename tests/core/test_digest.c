/*
 * test_digest.c — the state digest (core/digest.h): kept per change from
 * changesets, it must equal the digest recomputed from the rows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "support/support.h"
#include "core/digest.h"

static const char *const tables[] = { "household", "person" };
#define NTABLES 2

static const char schema_sql[] =
	"CREATE TABLE _meta(key TEXT PRIMARY KEY, value ANY) STRICT;"
	"CREATE TABLE household(id TEXT PRIMARY KEY, address TEXT, size INTEGER) STRICT;"
	"CREATE TABLE person(id TEXT PRIMARY KEY, name TEXT, age INTEGER, income REAL,"
	" photo BLOB, note ANY, extra ANY) STRICT;";

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
}

static sqlite3 *open_db(void)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec(db, schema_sql);
	return db;
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Bind a random value of a random type to parameter `idx`. */
static void bind_random(sqlite3_stmt *st, int idx, int kind)
{
	char text[64];
	unsigned char blob[16];
	int len = (int)(next() % 12);

	if (kind < 0)
		kind = (int)(next() % 5);
	switch (kind) {
	case 0:
		sqlite3_bind_null(st, idx);
		break;
	case 1:
		sqlite3_bind_int64(st, idx, (int64_t)next() >> (next() % 63));
		break;
	case 2:
		sqlite3_bind_double(st, idx, ((double)(int64_t)next()) / (double)(1 + next() % 1000));
		break;
	case 3:
		for (int i = 0; i < len; i++)
			text[i] = "abc张 \n"[next() % 7];
		sqlite3_bind_text(st, idx, text, len, SQLITE_TRANSIENT);
		break;
	default:
		for (int i = 0; i < len; i++)
			blob[i] = (unsigned char)next();
		sqlite3_bind_blob(st, idx, blob, len, SQLITE_TRANSIENT);
		break;
	}
}

/* Column kinds of person: name TEXT, age INTEGER, income REAL, photo BLOB,
 * note ANY, extra ANY (0 null, 1 int, 2 real, 3 text, 4 blob, -1 any). */
static int person_kind(int col)
{
	static const int kinds[] = { 3, 1, 2, 4, -1, -1 };
	int k = kinds[col];

	return (k >= 0 && next() % 5 == 0) ? 0 : k;
}

static void random_edit(sqlite3 *db)
{
	sqlite3_stmt *st;
	char sql[160], id[40];
	int what = (int)(next() % 10);

	snprintf(id, sizeof(id), "0193c1e2-%04x", (unsigned)(next() % 150));
	if (what < 3) {
		ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO person "
						    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st,
						    NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		for (int c = 0; c < 6; c++)
			bind_random(st, c + 2, person_kind(c));
	} else if (what < 7) {
		static const char *const cols[] = { "name", "age", "income", "photo", "note",
						    "extra" };
		int c = (int)(next() % 6), d = (int)(next() % 6);

		snprintf(sql, sizeof(sql), "UPDATE person SET %s = ?2, %s = ?3 WHERE id = ?1",
			 cols[c], cols[d]);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		bind_random(st, 2, person_kind(c));
		bind_random(st, 3, person_kind(d));
	} else if (what < 8) {
		ck_assert_int_eq(sqlite3_prepare_v2(db, "DELETE FROM person WHERE id = ?1", -1,
						    &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	} else if (what < 9) {
		/* a key change: a DELETE and an INSERT in the changeset */
		ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE OR IGNORE person SET id = ?2 "
						    "WHERE id = ?1", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		snprintf(id, sizeof(id), "0193c1e2-%04x", (unsigned)(next() % 150));
		sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
	} else {
		ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO household VALUES(?1, ?2, ?3) "
						    "ON CONFLICT(id) DO UPDATE SET size = size + 1",
						    -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		bind_random(st, 2, 3);
		bind_random(st, 3, 1);
	}
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static void assert_digest_is(sqlite3 *db, const ruhu_digest *kept)
{
	ruhu_digest fresh;
	char a[RUHU_DIGEST_HEX_LEN + 1], b[RUHU_DIGEST_HEX_LEN + 1];

	rt_ok(ruhu_digest_compute(&fresh, db, tables, NTABLES));
	ruhu_digest_hex(a, kept);
	ruhu_digest_hex(b, &fresh);
	ck_assert_str_eq(a, b);
}

static int no_conflicts(void *ctx, int type, sqlite3_changeset_iter *it)
{
	(void)it;
	(*(int *)ctx)++;
	return SQLITE_CHANGESET_ABORT;
}

static void apply(sqlite3 *db, const void *data, int len)
{
	int conflicts = 0;

	ck_assert_int_eq(sqlite3changeset_apply(db, len, (void *)data, NULL, no_conflicts,
						&conflicts), SQLITE_OK);
	ck_assert_int_eq(conflicts, 0);
}

#define ROUNDS 400
#define EDITS_PER_ROUND 10

START_TEST(test_digest_kept_per_change_equals_recomputed)
{
	sqlite3 *db = open_db(), *other = open_db();
	ruhu_digest kept = RUHU_DIGEST_INIT, mirror = RUHU_DIGEST_INIT, zero = RUHU_DIGEST_INIT;
	void *cs[ROUNDS];
	int len[ROUNDS];
	size_t changes = 0;

	for (int r = 0; r < ROUNDS; r++) {
		sqlite3_session *s;
		size_t n;

		ck_assert_int_eq(sqlite3session_create(db, "main", &s), SQLITE_OK);
		for (int t = 0; t < NTABLES; t++)
			ck_assert_int_eq(sqlite3session_attach(s, tables[t]), SQLITE_OK);
		exec(db, "BEGIN");
		for (int e = 0; e < EDITS_PER_ROUND; e++)
			random_edit(db);
		ck_assert_int_eq(sqlite3session_changeset(s, &len[r], &cs[r]), SQLITE_OK);
		sqlite3session_delete(s);
		rt_ok(ruhu_digest_apply_changeset(&kept, db, cs[r], (size_t)len[r]));
		exec(db, "COMMIT");
		assert_digest_is(db, &kept);
		rt_ok(ruhu_changeset_count(&n, cs[r], (size_t)len[r]));
		changes += n;

		/* the same changesets applied to a second replica */
		apply(other, cs[r], len[r]);
		rt_ok(ruhu_digest_apply_changeset(&mirror, other, cs[r], (size_t)len[r]));
		ck_assert(ruhu_digest_equal(&kept, &mirror));
	}
	ck_assert_uint_gt(changes, ROUNDS * 3);
	ck_assert(!ruhu_digest_equal(&kept, &zero));
	assert_digest_is(other, &mirror);

	/* and undone, newest first, with their inverses */
	for (int r = ROUNDS - 1; r >= 0; r--) {
		void *inv;
		int ninv;

		ck_assert_int_eq(sqlite3changeset_invert(len[r], cs[r], &ninv, &inv), SQLITE_OK);
		apply(other, inv, ninv);
		rt_ok(ruhu_digest_apply_changeset(&mirror, other, inv, (size_t)ninv));
		if (r % 50 == 0)
			assert_digest_is(other, &mirror);
		sqlite3_free(inv);
		sqlite3_free(cs[r]);
	}
	ck_assert(ruhu_digest_equal(&mirror, &zero));
	assert_digest_is(other, &zero);
	sqlite3_close(db);
	sqlite3_close(other);
}
END_TEST

START_TEST(test_digest_multiset_order_free)
{
	ruhu_cval a[3] = {
		{ .type = SQLITE_TEXT, .p = (const unsigned char *)"h1", .n = 2 },
		{ .type = SQLITE_NULL },
		{ .type = SQLITE_INTEGER, .i = 3 },
	};
	ruhu_cval b[3] = {
		{ .type = SQLITE_TEXT, .p = (const unsigned char *)"h2", .n = 2 },
		{ .type = SQLITE_TEXT, .p = (const unsigned char *)"", .n = 0 },
		{ .type = SQLITE_FLOAT, .r = 3.0 },
	};
	ruhu_digest x = RUHU_DIGEST_INIT, y = RUHU_DIGEST_INIT, zero = RUHU_DIGEST_INIT;

	rt_ok(ruhu_digest_add_row(&x, "household", a, 3));
	rt_ok(ruhu_digest_add_row(&x, "household", b, 3));
	rt_ok(ruhu_digest_add_row(&y, "household", b, 3));
	rt_ok(ruhu_digest_add_row(&y, "household", a, 3));
	ck_assert(ruhu_digest_equal(&x, &y));
	/* the table name and the value types are part of the row */
	rt_ok(ruhu_digest_remove_row(&y, "household", a, 3));
	rt_ok(ruhu_digest_add_row(&y, "person", a, 3));
	ck_assert(!ruhu_digest_equal(&x, &y));
	rt_ok(ruhu_digest_remove_row(&x, "household", a, 3));
	rt_ok(ruhu_digest_remove_row(&x, "household", b, 3));
	ck_assert(ruhu_digest_equal(&x, &zero));
	a[2] = (ruhu_cval){ .type = RUHU_CVAL_UNDEFINED };
	ck_assert_int_eq(ruhu_digest_add_row(&x, "household", a, 3), RUHU_EINVALID);
	ck_assert(ruhu_digest_equal(&x, &zero));
}
END_TEST

START_TEST(test_digest_encoding_frozen)
{
	/* docs/changesets.md: the row encoding and the hash are a frozen format;
	 * this vector changes only if they do (checked independently with
	 * Python's hashlib.blake2b(digest_size=32, person=b"ruhu-row-v1")) */
	ruhu_cval row[3] = {
		{ .type = SQLITE_TEXT, .p = (const unsigned char *)"0193c1e2-0000-7000-8000-000000000001",
		  .n = 36 },
		{ .type = SQLITE_TEXT, .p = (const unsigned char *)"东街 1 号", .n = 12 },
		{ .type = SQLITE_INTEGER, .i = 3 },
	};
	ruhu_digest d = RUHU_DIGEST_INIT;
	char hex[RUHU_DIGEST_HEX_LEN + 1];
	sqlite3 *db = open_db();

	rt_ok(ruhu_digest_add_row(&d, "household", row, 3));
	ruhu_digest_hex(hex, &d);
	ck_assert_str_eq(hex, "298df06ac6f803f131c090ead083a5811cb85893fa8190b0cb8fe4ca5389745c");
	/* the same row read from a database gives the same digest */
	exec(db, "INSERT INTO household VALUES('0193c1e2-0000-7000-8000-000000000001',"
		 "'东街 1 号', 3)");
	assert_digest_is(db, &d);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_digest_refuses_what_is_not_in_the_database)
{
	sqlite3 *db = open_db(), *narrow;
	sqlite3_session *s;
	ruhu_digest d = RUHU_DIGEST_INIT, before;
	void *cs;
	int len;

	exec(db, "INSERT INTO person(id, name, age) VALUES('p1', 'a', 1)");
	rt_ok(ruhu_digest_compute(&d, db, tables, NTABLES));
	before = d;
	ck_assert_int_eq(sqlite3session_create(db, "main", &s), SQLITE_OK);
	ck_assert_int_eq(sqlite3session_attach(s, NULL), SQLITE_OK);
	exec(db, "UPDATE person SET name = 'b' WHERE id = 'p1'");
	ck_assert_int_eq(sqlite3session_changeset(s, &len, &cs), SQLITE_OK);
	sqlite3session_delete(s);
	/* the row changed again after the changeset: refused, digest kept */
	exec(db, "UPDATE person SET name = 'c' WHERE id = 'p1'");
	ck_assert_int_eq(ruhu_digest_apply_changeset(&d, db, cs, (size_t)len), RUHU_ECONFLICT);
	ck_assert(ruhu_digest_equal(&d, &before));
	exec(db, "DELETE FROM person");
	ck_assert_int_eq(ruhu_digest_apply_changeset(&d, db, cs, (size_t)len), RUHU_ECONFLICT);
	ck_assert(strstr(ruhu_error_last(), "person") != NULL);
	/* a replica whose table differs from the changeset's header */
	ck_assert_int_eq(sqlite3_open(":memory:", &narrow), SQLITE_OK);
	exec(narrow, "CREATE TABLE person(id TEXT PRIMARY KEY, name TEXT) STRICT");
	ck_assert_int_eq(ruhu_digest_apply_changeset(&d, narrow, cs, (size_t)len), RUHU_ESCHEMA);
	ck_assert_int_eq(ruhu_digest_compute(&d, narrow, tables, NTABLES), RUHU_ESCHEMA);
	ck_assert(strstr(ruhu_error_last(), "household") != NULL);
	ck_assert(ruhu_digest_equal(&d, &before));
	/* and a changeset that is not one */
	ck_assert_int_eq(ruhu_digest_apply_changeset(&d, db, "T", 1), RUHU_ECORRUPT);
	sqlite3_free(cs);
	sqlite3_close(db);
	sqlite3_close(narrow);
}
END_TEST

START_TEST(test_digest_hex_and_meta)
{
	sqlite3 *db = open_db();
	ruhu_digest d = { { 1, 0x0123456789abcdefull, UINT64_MAX, 42 } }, e;
	char hex[RUHU_DIGEST_HEX_LEN + 1];

	ruhu_digest_hex(hex, &d);
	ck_assert_uint_eq(strlen(hex), 64);
	ck_assert(!strncmp(hex, "0100000000000000efcdab8967452301ffffffffffffffff2a", 50));
	rt_ok(ruhu_digest_parse_hex(&e, hex, 64));
	ck_assert(ruhu_digest_equal(&d, &e));
	ck_assert_int_eq(ruhu_digest_parse_hex(&e, hex, 63), RUHU_EINVALID);
	hex[5] = 'G';
	ck_assert_int_eq(ruhu_digest_parse_hex(&e, hex, 64), RUHU_EINVALID);
	hex[5] = 'A';
	ck_assert_int_eq(ruhu_digest_parse_hex(&e, hex, 64), RUHU_EINVALID);

	ck_assert_int_eq(ruhu_digest_load(&e, db), RUHU_ENOTFOUND);
	rt_ok(ruhu_digest_store(db, &d));
	rt_ok(ruhu_digest_store(db, &d));
	rt_ok(ruhu_digest_load(&e, db));
	ck_assert(ruhu_digest_equal(&d, &e));
	exec(db, "UPDATE _meta SET value = 7 WHERE key = 'digest'");
	ck_assert_int_eq(ruhu_digest_load(&e, db), RUHU_ECORRUPT);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_digest_shows_change_made_outside)
{
	sqlite3 *db = open_db();
	ruhu_digest kept, now;

	exec(db, "INSERT INTO person(id, name, income) VALUES('p1', 'a', 1.5), ('p2', 'b', 2)");
	rt_ok(ruhu_digest_compute(&kept, db, tables, NTABLES));
	exec(db, "UPDATE person SET income = 1.5000000000000002 WHERE id = 'p1'");
	rt_ok(ruhu_digest_compute(&now, db, tables, NTABLES));
	ck_assert(!ruhu_digest_equal(&kept, &now));
	exec(db, "UPDATE person SET income = 1.5 WHERE id = 'p1'");
	rt_ok(ruhu_digest_compute(&now, db, tables, NTABLES));
	ck_assert(ruhu_digest_equal(&kept, &now));
	sqlite3_close(db);
}
END_TEST

static void setup(void)
{
	ck_assert_int_eq(ruhu_init(), 0);
}

Suite *digest_suite(void)
{
	Suite *s = suite_create("digest");
	TCase *tc = tcase_create("digest");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_digest_kept_per_change_equals_recomputed);
	tcase_add_test(tc, test_digest_multiset_order_free);
	tcase_add_test(tc, test_digest_encoding_frozen);
	tcase_add_test(tc, test_digest_refuses_what_is_not_in_the_database);
	tcase_add_test(tc, test_digest_hex_and_meta);
	tcase_add_test(tc, test_digest_shows_change_made_outside);
	suite_add_tcase(s, tc);
	return s;
}
