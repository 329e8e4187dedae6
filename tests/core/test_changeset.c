/*
 * test_changeset.c — the changeset parser, the canonical form, decoded
 * iteration and changes.txt (core/changeset.h), on in-memory SQLite
 * databases with STRICT tables keyed by TEXT ids.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "support/support.h"
#include "core/changeset.h"

static const char *const schema_order[] = { "household", "person", "visit_service" };
#define NTABLES (sizeof(schema_order) / sizeof(schema_order[0]))

static const char schema_sql[] =
	"CREATE TABLE household(id TEXT PRIMARY KEY, address TEXT, size INTEGER) STRICT;"
	"CREATE TABLE person(id TEXT PRIMARY KEY, household_id TEXT, name TEXT,"
	" phone TEXT, income REAL, photo BLOB, note ANY) STRICT;"
	"CREATE TABLE visit_service(visit_id TEXT, service TEXT, state TEXT,"
	" PRIMARY KEY(service, visit_id)) STRICT;";

static const char base_sql[] =
	"INSERT INTO household VALUES('0193c1e2-0000-7000-8000-000000000001','东街 1 号',3);"
	"INSERT INTO person VALUES('0193c1e2-0000-7000-8000-00000000000a',"
	" '0193c1e2-0000-7000-8000-000000000001','张三','13800000000',1500.5,NULL,NULL);"
	"INSERT INTO person VALUES('0193c1e2-0000-7000-8000-00000000000b',"
	" '0193c1e2-0000-7000-8000-000000000001','李四',NULL,NULL,x'0102',7);"
	"INSERT INTO visit_service VALUES('v1','pension','open');";

/* memmem without _GNU_SOURCE */
static char *find_bytes(const void *hay, size_t n, const void *needle, size_t m)
{
	const char *h = hay;

	for (size_t i = 0; m <= n && i <= n - m; i++)
		if (memcmp(h + i, needle, m) == 0)
			return (char *)h + i;
	return NULL;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
}

static sqlite3 *open_db(int with_base)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	exec(db, schema_sql);
	if (with_base)
		exec(db, base_sql);
	return db;
}

/* Run `sql` under a session attached to the tables in `order`; return the
 * changeset (sqlite3_free it). */
static void *capture(sqlite3 *db, const char *const *order, size_t n, const char *sql, int *len)
{
	sqlite3_session *s;
	void *p = NULL;

	ck_assert_int_eq(sqlite3session_create(db, "main", &s), SQLITE_OK);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(sqlite3session_attach(s, order[i]), SQLITE_OK);
	exec(db, sql);
	ck_assert_int_eq(sqlite3session_changeset(s, len, &p), SQLITE_OK);
	sqlite3session_delete(s);
	return p;
}

/* Every row of every table, in key order, as text with types. */
static char *dump(sqlite3 *db)
{
	ruhu_buf b = RUHU_BUF_INIT;

	for (size_t t = 0; t < NTABLES; t++) {
		sqlite3_stmt *st;
		char sql[128];

		snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY 1, 2", schema_order[t]);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		rt_ok(ruhu_buf_printf(&b, "[%s]\n", schema_order[t]));
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				int type = sqlite3_column_type(st, c);

				rt_ok(ruhu_buf_printf(&b, "%d:", type));
				if (type == SQLITE_FLOAT)
					rt_ok(ruhu_buf_printf(&b, "%.17g", sqlite3_column_double(st, c)));
				else if (type == SQLITE_BLOB)
					rt_ok(ruhu_buf_puthex(&b, sqlite3_column_blob(st, c),
							      (size_t)sqlite3_column_bytes(st, c)));
				else if (type != SQLITE_NULL)
					rt_ok(ruhu_buf_puts(&b, (const char *)sqlite3_column_text(st, c)));
				rt_ok(ruhu_buf_putc(&b, '|'));
			}
			rt_ok(ruhu_buf_putc(&b, '\n'));
		}
		sqlite3_finalize(st);
	}
	return ruhu_buf_detach(&b);
}

static int abort_on_conflict(void *ctx, int type, sqlite3_changeset_iter *it)
{
	(void)it;
	(*(int *)ctx)++;
	return SQLITE_CHANGESET_ABORT;
}

static void apply(sqlite3 *db, const void *data, size_t len)
{
	int conflicts = 0;
	int rc = sqlite3changeset_apply(db, (int)len, (void *)data, NULL, abort_on_conflict,
					&conflicts);

	ck_assert_msg(rc == SQLITE_OK, "apply: %s", sqlite3_errmsg(db));
	ck_assert_int_eq(conflicts, 0);
}

static void canon(ruhu_buf *out, const void *data, int len)
{
	ruhu_buf_clear(out);
	rt_ok(ruhu_changeset_canonicalize(out, data, (size_t)len, schema_order, NTABLES));
}

/* Edits of a visit, written in one order ... */
static const char edits_a[] =
	"UPDATE household SET size = 4 WHERE id = '0193c1e2-0000-7000-8000-000000000001';"
	"INSERT INTO household VALUES('0193c1e2-0000-7000-8000-000000000002','西街 9 号',1);"
	"INSERT INTO person VALUES('0193c1e2-0000-7000-8000-00000000000c',"
	" '0193c1e2-0000-7000-8000-000000000002','王五','13900000000',NULL,NULL,'x');"
	"INSERT INTO person VALUES('0193c1e2-0000-7000-8000-000000000009',"
	" '0193c1e2-0000-7000-8000-000000000002','赵六',NULL,2.25,x'ff',NULL);"
	"UPDATE person SET phone = '13900000001', income = 1600 "
	" WHERE id = '0193c1e2-0000-7000-8000-00000000000a';"
	"DELETE FROM person WHERE id = '0193c1e2-0000-7000-8000-00000000000b';"
	"INSERT INTO visit_service VALUES('v1','medical','open');"
	"UPDATE visit_service SET state = 'done' WHERE visit_id = 'v1' AND service = 'pension';";

/* ... and the same logical edits in another order, through detours. */
static const char edits_b[] =
	"INSERT INTO visit_service VALUES('v1','medical','draft');"
	"UPDATE visit_service SET state = 'done' WHERE visit_id = 'v1' AND service = 'pension';"
	"DELETE FROM person WHERE id = '0193c1e2-0000-7000-8000-00000000000b';"
	"INSERT INTO person VALUES('0193c1e2-0000-7000-8000-000000000009',"
	" '0193c1e2-0000-7000-8000-000000000002','赵六',NULL,2.25,x'ff',NULL);"
	"INSERT INTO person VALUES('0193c1e2-0000-7000-8000-00000000000c',"
	" '0193c1e2-0000-7000-8000-000000000002','王',NULL,NULL,NULL,'x');"
	"INSERT INTO person VALUES('0193c1e2-0000-7000-8000-0000000000ff',"
	" NULL,'temporary',NULL,NULL,NULL,NULL);"
	"UPDATE person SET phone = '13900000000', name = '王五'"
	" WHERE id = '0193c1e2-0000-7000-8000-00000000000c';"
	"UPDATE person SET phone = '13900000001' WHERE id = '0193c1e2-0000-7000-8000-00000000000a';"
	"UPDATE person SET income = 1600 WHERE id = '0193c1e2-0000-7000-8000-00000000000a';"
	"DELETE FROM person WHERE id = '0193c1e2-0000-7000-8000-0000000000ff';"
	"UPDATE visit_service SET state = 'open' WHERE visit_id = 'v1' AND service = 'medical';"
	"INSERT INTO household VALUES('0193c1e2-0000-7000-8000-000000000002','西街 9 号',1);"
	"UPDATE household SET size = 5 WHERE id = '0193c1e2-0000-7000-8000-000000000001';"
	"UPDATE household SET size = 4 WHERE id = '0193c1e2-0000-7000-8000-000000000001';";

static const char *const reverse_order[] = { "visit_service", "person", "household" };

START_TEST(test_changeset_same_edits_same_bytes)
{
	sqlite3 *a = open_db(1), *b = open_db(1);
	ruhu_buf ca = RUHU_BUF_INIT, cb = RUHU_BUF_INIT;
	int la, lb;
	void *ra = capture(a, schema_order, NTABLES, edits_a, &la);
	void *rb = capture(b, reverse_order, NTABLES, edits_b, &lb);
	char *da = dump(a), *db = dump(b);

	ck_assert_str_eq(da, db);
	/* SQLite's own bytes differ: table order and row order follow history */
	ck_assert(la != lb || memcmp(ra, rb, (size_t)la) != 0);
	canon(&ca, ra, la);
	canon(&cb, rb, lb);
	ck_assert_uint_eq(ca.size, cb.size);
	ck_assert(memcmp(ca.ptr, cb.ptr, ca.size) == 0);
	ck_assert_int_eq(ruhu_changeset_is_canonical(ca.ptr, ca.size, schema_order, NTABLES), 1);
	ck_assert_int_eq(ruhu_changeset_is_canonical(ra, (size_t)la, schema_order, NTABLES), 0);
	/* canonicalising the canonical form changes nothing */
	canon(&cb, ca.ptr, (int)ca.size);
	ck_assert(cb.size == ca.size && memcmp(ca.ptr, cb.ptr, ca.size) == 0);
	free(da);
	free(db);
	sqlite3_free(ra);
	sqlite3_free(rb);
	ruhu_buf_dispose(&ca);
	ruhu_buf_dispose(&cb);
	sqlite3_close(a);
	sqlite3_close(b);
}
END_TEST

START_TEST(test_changeset_rows_sorted_whatever_insert_order)
{
	ruhu_buf c1 = RUHU_BUF_INIT, c2 = RUHU_BUF_INIT;
	ruhu_buf s1 = RUHU_BUF_INIT, s2 = RUHU_BUF_INIT;
	sqlite3 *a = open_db(0), *b = open_db(0);
	void *ra, *rb;
	int la, lb;

	for (int i = 0; i < 300; i++)
		rt_ok(ruhu_buf_printf(&s1, "INSERT INTO person(id, name) VALUES('p%05d', 'n%d');",
				      (i * 7919) % 300, i));
	for (int i = 299; i >= 0; i--)
		rt_ok(ruhu_buf_printf(&s2, "INSERT INTO person(id, name) VALUES('p%05d', 'n%d');",
				      (i * 7919) % 300, i));
	ra = capture(a, schema_order, NTABLES, s1.ptr, &la);
	rb = capture(b, schema_order, NTABLES, s2.ptr, &lb);
	ck_assert_int_eq(la, lb);
	ck_assert(memcmp(ra, rb, (size_t)la) != 0);
	canon(&c1, ra, la);
	canon(&c2, rb, lb);
	ck_assert(c1.size == c2.size && memcmp(c1.ptr, c2.ptr, c1.size) == 0);
	sqlite3_free(ra);
	sqlite3_free(rb);
	ruhu_buf_dispose(&c1);
	ruhu_buf_dispose(&c2);
	ruhu_buf_dispose(&s1);
	ruhu_buf_dispose(&s2);
	sqlite3_close(a);
	sqlite3_close(b);
}
END_TEST

START_TEST(test_changeset_canonical_applies_and_inverts)
{
	sqlite3 *orig = open_db(1), *copy = open_db(1);
	ruhu_buf c = RUHU_BUF_INIT;
	char *base = dump(copy), *after, *now;
	void *inv = NULL;
	int len, ninv;
	void *raw = capture(orig, reverse_order, NTABLES, edits_b, &len);

	canon(&c, raw, len);
	apply(copy, c.ptr, c.size);
	after = dump(orig);
	now = dump(copy);
	ck_assert_str_eq(after, now);
	free(now);
	ck_assert_int_eq(sqlite3changeset_invert((int)c.size, c.ptr, &ninv, &inv), SQLITE_OK);
	apply(copy, inv, (size_t)ninv);
	now = dump(copy);
	ck_assert_str_eq(base, now);
	ck_assert_str_ne(base, after);
	free(now);
	free(base);
	free(after);
	sqlite3_free(inv);
	sqlite3_free(raw);
	ruhu_buf_dispose(&c);
	sqlite3_close(orig);
	sqlite3_close(copy);
}
END_TEST

/* Pieces of handmade changesets. */
#define HDR_HOUSEHOLD "T\x03\x01\x00\x00household\0"
#define TXT(n, s) "\x03" n s

static int check_bytes(const char *bytes, size_t len)
{
	return ruhu_changeset_check(bytes, len);
}

START_TEST(test_changeset_refuses_malformed)
{
	static const struct {
		const char *bytes;
		size_t len;
		int code;
	} cases[] = {
#define C(b, code) { b, sizeof(b) - 1, code }
		C("P\x03\x01\x00\x00household\0\x12\x00" TXT("\x01", "a") "\x05\x05", RUHU_ECORRUPT),
		C("X", RUHU_ECORRUPT),
		C("T\x00household\0", RUHU_ECORRUPT),
		C("T\x02\x00\x00household\0", RUHU_ECORRUPT),
		C("T\x02\x01\x00\0", RUHU_ECORRUPT),
		C("T\x02\x01\x00household", RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x13\x00" TXT("\x01", "a") "\x05\x05", RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x12\x02" TXT("\x01", "a") "\x05\x05", RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x12\x00" TXT("\x01", "a") "\x05\x00", RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x12\x00\x05\x05\x05", RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x12\x00" TXT("\x05", "a") "\x05\x05", RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x12\x00" TXT("\x8f\xff\xff\xff\x7f", "a") "\x05\x05", RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x12\x00" TXT("\x01", "a") "\x06\x05", RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x12\x00" TXT("\x01", "a") "\x02\x7f\xf8\0\0\0\0\0\0\x05",
		  RUHU_ECORRUPT),
		/* an update that changes nothing, one that sets its key */
		C(HDR_HOUSEHOLD "\x17\x00" TXT("\x01", "a") "\x00\x00" "\x00\x00\x00", RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x17\x00" TXT("\x01", "a") "\x05\x00" TXT("\x01", "b") "\x05\x00",
		  RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x17\x00" TXT("\x01", "a") "\x05\x00" "\x00\x00\x05", RUHU_ECORRUPT),
		/* two changes of one row, two different headers of one table */
		C(HDR_HOUSEHOLD "\x12\x00" TXT("\x01", "a") "\x05\x05"
		  "\x09\x00" TXT("\x01", "a") "\x05\x05", RUHU_ECORRUPT),
		C(HDR_HOUSEHOLD "\x12\x00" TXT("\x01", "a") "\x05\x05"
		  "T\x02\x01\x00household\0\x12\x00" TXT("\x01", "b") "\x05", RUHU_ECORRUPT),
		/* truncated right after the op byte */
		C(HDR_HOUSEHOLD "\x12", RUHU_ECORRUPT),
#undef C
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = check_bytes(cases[i].bytes, cases[i].len);

		ck_assert_msg(rc == cases[i].code, "case %zu: got %d (%s)", i, rc, ruhu_error_last());
		ck_assert_msg(strstr(ruhu_error_last(), "changeset") != NULL, "case %zu: %s", i,
			      ruhu_error_last());
	}
	/* the well-formed twin of those cases passes */
	ck_assert_int_eq(check_bytes(HDR_HOUSEHOLD "\x12\x00" TXT("\x01", "a") "\x05\x05",
				     sizeof(HDR_HOUSEHOLD) + 7 - 1 + 0), 0);
	/* the same row twice under two identical headers is still refused */
	ck_assert_int_eq(check_bytes(HDR_HOUSEHOLD "\x12\x00" TXT("\x01", "a") "\x05\x05"
				     HDR_HOUSEHOLD "\x12\x00" TXT("\x01", "a") "\x05\x05",
				     2 * (sizeof(HDR_HOUSEHOLD) - 1 + 7)), RUHU_ECORRUPT);
	ck_assert_int_eq(ruhu_changeset_check("", 0), 0);
	ck_assert_int_eq(ruhu_changeset_check("x", RUHU_CHANGESET_MAX_SIZE + 1), RUHU_EINVALID);
}
END_TEST

START_TEST(test_changeset_unknown_table_refused)
{
	static const char bytes[] = "T\x02\x01\x00" "cadre\0\x12\x00" TXT("\x01", "a") "\x05";
	ruhu_buf out = RUHU_BUF_INIT;

	rt_ok(ruhu_buf_puts(&out, "kept"));
	ck_assert_int_eq(ruhu_changeset_canonicalize(&out, bytes, sizeof(bytes) - 1, schema_order,
						     NTABLES), RUHU_ESCHEMA);
	ck_assert(strstr(ruhu_error_last(), "cadre") != NULL);
	ck_assert_str_eq(out.ptr, "kept");
	/* no list at all refuses every table, and takes an empty changeset */
	ck_assert_int_eq(ruhu_changeset_canonicalize(&out, bytes, sizeof(bytes) - 1, NULL, 0),
			 RUHU_ESCHEMA);
	rt_ok(ruhu_changeset_canonicalize(&out, "", 0, NULL, 0));
	ck_assert_str_eq(out.ptr, "kept");
	ruhu_buf_dispose(&out);
}
END_TEST

START_TEST(test_changeset_repeated_headers_merged)
{
	/* three changesets laid end to end: household, person, household again */
	sqlite3 *db = open_db(1);
	ruhu_buf all = RUHU_BUF_INIT, c = RUHU_BUF_INIT, once = RUHU_BUF_INIT;
	const char *sql[] = {
		"UPDATE household SET size = 9;",
		"UPDATE person SET name = 'x' WHERE id LIKE '%a';",
		"INSERT INTO household(id) VALUES('0000');",
	};
	size_t n;
	int len;

	for (int i = 0; i < 3; i++) {
		void *p = capture(db, schema_order, NTABLES, sql[i], &len);

		rt_ok(ruhu_buf_put(&all, p, (size_t)len));
		sqlite3_free(p);
	}
	rt_ok(ruhu_changeset_count(&n, all.ptr, all.size));
	ck_assert_uint_eq(n, 3);
	rt_ok(ruhu_changeset_canonicalize(&c, all.ptr, all.size, schema_order, NTABLES));
	ck_assert_uint_lt(c.size, all.size);
	/* one header per table now: 'T' + ncol 3 + flags, twice */
	{
		char *first = find_bytes(c.ptr, c.size, "T\x03\x01\x00\x00household", 14);
		size_t rest;

		ck_assert_ptr_nonnull(first);
		rest = c.size - (size_t)(first + 14 - c.ptr);
		ck_assert_ptr_null(find_bytes(first + 14, rest, "household", 9));
		ck_assert_ptr_nonnull(find_bytes(c.ptr, c.size, "T\x07\x01", 3));
	}
	/* and it is the same as capturing the three statements in one session */
	{
		sqlite3 *fresh = open_db(1);
		void *p = capture(fresh, reverse_order, NTABLES, "UPDATE household SET size = 9;"
				  "UPDATE person SET name = 'x' WHERE id LIKE '%a';"
				  "INSERT INTO household(id) VALUES('0000');", &len);

		canon(&once, p, len);
		ck_assert(once.size == c.size && memcmp(once.ptr, c.ptr, c.size) == 0);
		sqlite3_free(p);
		sqlite3_close(fresh);
	}
	ruhu_buf_dispose(&all);
	ruhu_buf_dispose(&c);
	ruhu_buf_dispose(&once);
	sqlite3_close(db);
}
END_TEST

/* A SQLite iterator must accept whatever ruhu's check accepted. */
static void sqlite_accepts(const void *data, size_t len)
{
	sqlite3_changeset_iter *it;
	int rc;

	ck_assert_int_eq(sqlite3changeset_start(&it, (int)len, (void *)data), SQLITE_OK);
	while ((rc = sqlite3changeset_next(it)) == SQLITE_ROW)
		;
	ck_assert_int_eq(rc, SQLITE_DONE);
	ck_assert_int_eq(sqlite3changeset_finalize(it), SQLITE_OK);
}

static void try_all(const unsigned char *p, size_t len, size_t *accepted)
{
	ruhu_buf out = RUHU_BUF_INIT;
	ruhu_changeset_iter *it = NULL;
	const ruhu_change *c;
	size_t n;
	int rc = ruhu_changeset_check(p, len);

	ck_assert_msg(rc == 0 || rc == RUHU_ECORRUPT, "check gave %d: %s", rc, ruhu_error_last());
	if (rc == 0) {
		(*accepted)++;
		sqlite_accepts(p, len);
		rt_ok(ruhu_changeset_count(&n, p, len));
		rc = ruhu_changeset_canonicalize(&out, p, len, schema_order, NTABLES);
		ck_assert_msg(rc == 0 || rc == RUHU_ESCHEMA, "canonicalize gave %d", rc);
		if (rc == 0) {
			sqlite_accepts(out.ptr, out.size);
			ck_assert_int_eq(ruhu_changeset_is_canonical(out.ptr, out.size, schema_order,
								     NTABLES), 1);
		}
	}
	ruhu_buf_clear(&out);
	rc = ruhu_changeset_text(&out, p, len, NULL, NULL, NULL);
	ck_assert(rc == 0 || rc == RUHU_ECORRUPT);
	if (ruhu_changeset_iter_new(&it, p, len, NULL, NULL, NULL) == 0) {
		while ((rc = ruhu_changeset_iter_next(&c, it)) > 0)
			ck_assert_ptr_nonnull(c->key);
		ck_assert_int_eq(rc, 0);
	}
	ruhu_changeset_iter_free(it);
	ruhu_buf_dispose(&out);
}

START_TEST(test_changeset_truncated_and_flipped_refused_cleanly)
{
	sqlite3 *db = open_db(1);
	ruhu_buf c = RUHU_BUF_INIT;
	unsigned char *copy;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	size_t accepted = 0;
	int len;
	void *raw = capture(db, schema_order, NTABLES, edits_a, &len);

	canon(&c, raw, len);
	copy = malloc(c.size);
	for (size_t cut = 0; cut < c.size; cut++) {
		/* an exact copy of the prefix, so ASan sees any read past it */
		unsigned char *prefix = malloc(cut ? cut : 1);

		memcpy(prefix, c.ptr, cut);
		try_all(prefix, cut, &accepted);
		free(prefix);
	}
	for (int round = 0; round < 20000; round++) {
		int flips = 1 + (int)(x % 3);

		memcpy(copy, c.ptr, c.size);
		for (int f = 0; f < flips; f++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			copy[x % c.size] ^= (unsigned char)(1u << ((x >> 32) % 8));
		}
		try_all(copy, c.size, &accepted);
	}
	/* some flips land in values and leave a valid changeset: both paths ran */
	ck_assert_uint_gt(accepted, 0);
	ck_assert_uint_lt(accepted, c.size + 20000);
	free(copy);
	sqlite3_free(raw);
	ruhu_buf_dispose(&c);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_changeset_iterates_decoded)
{
	sqlite3 *db = open_db(1);
	ruhu_changeset_iter *it;
	const ruhu_change *c;
	ruhu_buf cs = RUHU_BUF_INIT;
	int len, n = 0, seen_update = 0, seen_delete = 0, seen_composite = 0;
	void *raw = capture(db, schema_order, NTABLES, edits_a, &len);
	size_t count;

	canon(&cs, raw, len);
	rt_ok(ruhu_changeset_count(&count, cs.ptr, cs.size));
	ck_assert_uint_eq(count, 8);
	rt_ok(ruhu_changeset_iter_new(&it, cs.ptr, cs.size, db, NULL, NULL));
	while ((len = ruhu_changeset_iter_next(&c, it)) > 0) {
		n++;
		ck_assert_ptr_nonnull(c->columns);
		if (c->op == SQLITE_UPDATE && !strcmp(c->table, "person")) {
			seen_update = 1;
			ck_assert_str_eq(c->key, "0193c1e2-0000-7000-8000-00000000000a");
			ck_assert_str_eq(c->columns[3], "phone");
			ck_assert(ruhu_change_changed(c, 3) && ruhu_change_changed(c, 4));
			ck_assert(!ruhu_change_changed(c, 0) && !ruhu_change_changed(c, 2));
			ck_assert_int_eq(c->old_values[3].type, SQLITE_TEXT);
			ck_assert(c->old_values[3].n == 11 &&
				  !memcmp(c->old_values[3].p, "13800000000", 11));
			ck_assert_int_eq(c->new_values[4].type, SQLITE_FLOAT);
			ck_assert(c->new_values[4].r == 1600.0);
			ck_assert_int_eq(c->new_values[2].type, RUHU_CVAL_UNDEFINED);
		}
		if (c->op == SQLITE_DELETE) {
			seen_delete = 1;
			ck_assert_int_eq(c->old_values[5].type, SQLITE_BLOB);
			ck_assert_int_eq(c->old_values[6].type, SQLITE_INTEGER);
			ck_assert_int_eq(c->old_values[6].i, 7);
			ck_assert_int_eq(c->new_values[0].type, RUHU_CVAL_UNDEFINED);
		}
		if (!strcmp(c->table, "visit_service")) {
			seen_composite++;
			ck_assert(!strcmp(c->key, "v1/medical") || !strcmp(c->key, "v1/pension"));
			ck_assert(c->pk[0] && c->pk[1] && !c->pk[2]);
		}
	}
	ck_assert_int_eq(len, 0);
	ck_assert_int_eq(n, 8);
	ck_assert(seen_update && seen_delete && seen_composite == 2);
	ruhu_changeset_iter_free(it);
	ruhu_buf_dispose(&cs);
	sqlite3_free(raw);
	sqlite3_close(db);
}
END_TEST

static const char *name_cb(const char *table, size_t col, void *payload)
{
	static const char *const names[] = { "id", "where", "size" };

	(*(int *)payload)++;
	return !strcmp(table, "household") && col < 3 ? names[col] : NULL;
}

START_TEST(test_changeset_text_form)
{
	sqlite3 *db = open_db(1), *nodb = open_db(0);
	ruhu_buf cs = RUHU_BUF_INIT, txt = RUHU_BUF_INIT;
	int len, calls = 0;
	void *raw = capture(db, schema_order, NTABLES, edits_a, &len);
	static const char expect[] =
		"household 0193c1e2-0000-7000-8000-000000000001  size: 3 \xe2\x86\x92 4\n"
		"household 0193c1e2-0000-7000-8000-000000000002  inserted\n"
		"household 0193c1e2-0000-7000-8000-000000000002  + address: \"西街 9 号\"\n"
		"household 0193c1e2-0000-7000-8000-000000000002  + size: 1\n"
		"person 0193c1e2-0000-7000-8000-000000000009  inserted\n"
		"person 0193c1e2-0000-7000-8000-000000000009  + household_id: "
		"\"0193c1e2-0000-7000-8000-000000000002\"\n"
		"person 0193c1e2-0000-7000-8000-000000000009  + name: \"赵六\"\n"
		"person 0193c1e2-0000-7000-8000-000000000009  + income: 2.25\n"
		"person 0193c1e2-0000-7000-8000-000000000009  + photo: <1 byte>\n"
		"person 0193c1e2-0000-7000-8000-00000000000a  phone: \"13800000000\" \xe2\x86\x92 "
		"\"13900000001\"\n"
		"person 0193c1e2-0000-7000-8000-00000000000a  income: 1500.5 \xe2\x86\x92 1600.0\n"
		"person 0193c1e2-0000-7000-8000-00000000000b  deleted\n"
		"person 0193c1e2-0000-7000-8000-00000000000b  - household_id: "
		"\"0193c1e2-0000-7000-8000-000000000001\"\n"
		"person 0193c1e2-0000-7000-8000-00000000000b  - name: \"李四\"\n"
		"person 0193c1e2-0000-7000-8000-00000000000b  - photo: <2 bytes>\n"
		"person 0193c1e2-0000-7000-8000-00000000000b  - note: 7\n"
		"person 0193c1e2-0000-7000-8000-00000000000c  inserted\n"
		"person 0193c1e2-0000-7000-8000-00000000000c  + household_id: "
		"\"0193c1e2-0000-7000-8000-000000000002\"\n"
		"person 0193c1e2-0000-7000-8000-00000000000c  + name: \"王五\"\n"
		"person 0193c1e2-0000-7000-8000-00000000000c  + phone: \"13900000000\"\n"
		"person 0193c1e2-0000-7000-8000-00000000000c  + note: \"x\"\n"
		"visit_service v1/medical  inserted\n"
		"visit_service v1/medical  + state: \"open\"\n"
		"visit_service v1/pension  state: \"open\" \xe2\x86\x92 \"done\"\n";

	canon(&cs, raw, len);
	rt_ok(ruhu_changeset_text(&txt, cs.ptr, cs.size, db, NULL, NULL));
	ck_assert_str_eq(txt.ptr, expect);
	/* without a database: names from the callback, else #index */
	ruhu_buf_clear(&txt);
	rt_ok(ruhu_changeset_text(&txt, cs.ptr, cs.size, NULL, name_cb, &calls));
	ck_assert_int_gt(calls, 0);
	ck_assert_ptr_nonnull(strstr(txt.ptr, "000000000002  + where: \"西街 9 号\"\n"));
	ck_assert_ptr_nonnull(strstr(txt.ptr, "00000000000a  #3: \"13800000000\""));
	/* a database with fewer columns than the changeset refuses it */
	exec(nodb, "DROP TABLE person; CREATE TABLE person(id TEXT PRIMARY KEY, x ANY) STRICT;");
	ruhu_buf_clear(&txt);
	ck_assert_int_eq(ruhu_changeset_text(&txt, cs.ptr, cs.size, nodb, NULL, NULL),
			 RUHU_ESCHEMA);
	ck_assert(strstr(ruhu_error_last(), "person") != NULL);
	ck_assert_uint_eq(txt.size, 0);
	ruhu_buf_dispose(&cs);
	ruhu_buf_dispose(&txt);
	sqlite3_free(raw);
	sqlite3_close(db);
	sqlite3_close(nodb);
}
END_TEST

START_TEST(test_changeset_text_escapes_values)
{
	sqlite3 *db = open_db(0);
	ruhu_buf txt = RUHU_BUF_INIT;
	int len;
	void *raw = capture(db, schema_order, NTABLES,
			    "INSERT INTO person(id, name, phone, income, note) VALUES("
			    "'a b/c', 'line1\nline2\t\"q\"\\', '', 1e300, -0.0);"
			    "INSERT INTO person(id, name, note) VALUES("
			    "'k', char(27) || 'x' || char(133) || char(8232), x'');"
			    "INSERT INTO person(id, name, note) VALUES("
			    "'n', 'NULL', CAST(x'ff41' AS TEXT));", &len);

	rt_ok(ruhu_changeset_text(&txt, raw, (size_t)len, db, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(txt.ptr, "person a\\x20b\\x2fc  inserted\n"));
	ck_assert_ptr_nonnull(strstr(txt.ptr, "+ name: \"line1\\nline2\\t\\\"q\\\"\\\\\"\n"));
	ck_assert_ptr_nonnull(strstr(txt.ptr, "+ phone: \"\"\n"));
	ck_assert_ptr_nonnull(strstr(txt.ptr, "+ income: 1e+300\n"));
	ck_assert_ptr_nonnull(strstr(txt.ptr, "+ note: -0.0\n"));
	ck_assert_ptr_nonnull(strstr(txt.ptr, "+ name: \"\\x1bx\\xc2\\x85\\xe2\\x80\\xa8\"\n"));
	ck_assert_ptr_nonnull(strstr(txt.ptr, "+ note: <0 bytes>\n"));
	ck_assert_ptr_nonnull(strstr(txt.ptr, "+ name: \"NULL\"\n"));
	ck_assert_ptr_nonnull(strstr(txt.ptr, "+ note: \"\\xffA\"\n"));
	/* one line per field, no raw control character anywhere */
	for (size_t i = 0; i < txt.size; i++)
		ck_assert(txt.ptr[i] == '\n' || (unsigned char)txt.ptr[i] >= 0x20);
	ruhu_buf_dispose(&txt);
	sqlite3_free(raw);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_changeset_values_roundtrip)
{
	sqlite3 *db = open_db(0);
	sqlite3_stmt *st;
	ruhu_cval v, w;
	ruhu_buf b = RUHU_BUF_INIT;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT ?1", -1, &st, NULL), SQLITE_OK);
	v = (ruhu_cval){ .type = SQLITE_TEXT, .p = (const unsigned char *)"张三", .n = 6 };
	rt_ok(ruhu_cval_bind(st, 1, &v));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ruhu_cval_from_column(&w, st, 0);
	ck_assert(ruhu_cval_equal(&v, &w));
	sqlite3_reset(st);
	v = (ruhu_cval){ .type = SQLITE_FLOAT, .r = 1.0 };
	w = (ruhu_cval){ .type = SQLITE_INTEGER, .i = 1 };
	ck_assert(!ruhu_cval_equal(&v, &w));
	w = (ruhu_cval){ .type = SQLITE_FLOAT, .r = -0.0 };
	ck_assert(!ruhu_cval_equal(&(ruhu_cval){ .type = SQLITE_FLOAT, .r = 0.0 }, &w));
	rt_ok(ruhu_cval_put(&b, &(ruhu_cval){ .type = SQLITE_INTEGER, .i = -2 }));
	ck_assert(b.size == 9 && !memcmp(b.ptr, "\x01\xff\xff\xff\xff\xff\xff\xff\xfe", 9));
	ruhu_buf_clear(&b);
	rt_ok(ruhu_chg_put_varint(&b, 127));
	rt_ok(ruhu_chg_put_varint(&b, 128));
	rt_ok(ruhu_chg_put_varint(&b, UINT64_MAX));
	ck_assert_uint_eq(b.size, 1 + 2 + 9);
	ck_assert(!memcmp(b.ptr, "\x7f\x81\x00", 3));
	{
		uint64_t x;
		const unsigned char *p = (const unsigned char *)b.ptr;

		p = ruhu_chg_read_varint(&x, p);
		ck_assert(x == 127);
		p = ruhu_chg_read_varint(&x, p);
		ck_assert(x == 128);
		p = ruhu_chg_read_varint(&x, p);
		ck_assert(x == UINT64_MAX);
		ck_assert(p == (const unsigned char *)b.ptr + b.size);
	}
	ruhu_buf_dispose(&b);
	sqlite3_finalize(st);
	sqlite3_close(db);
}
END_TEST

Suite *changeset_suite(void)
{
	Suite *s = suite_create("changeset");
	TCase *tc = tcase_create("changeset");

	tcase_add_test(tc, test_changeset_same_edits_same_bytes);
	tcase_add_test(tc, test_changeset_rows_sorted_whatever_insert_order);
	tcase_add_test(tc, test_changeset_canonical_applies_and_inverts);
	tcase_add_test(tc, test_changeset_refuses_malformed);
	tcase_add_test(tc, test_changeset_unknown_table_refused);
	tcase_add_test(tc, test_changeset_repeated_headers_merged);
	tcase_add_test(tc, test_changeset_truncated_and_flipped_refused_cleanly);
	tcase_add_test(tc, test_changeset_iterates_decoded);
	tcase_add_test(tc, test_changeset_text_form);
	tcase_add_test(tc, test_changeset_text_escapes_values);
	tcase_add_test(tc, test_changeset_values_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
