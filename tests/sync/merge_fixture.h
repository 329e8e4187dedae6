/*
 * merge_fixture.h — what the merge suites share: a hub database with the
 * township schema and provenance, device changesets made as a tablet makes
 * them (edits on a copy of the base state under a session), merging, and
 * row dumps and digests to compare two replicas.  Static functions only (the
 * module's test runner globs test_*.c; this header is included by them).
 */
#ifndef RUHU_TEST_MERGE_FIXTURE_H
#define RUHU_TEST_MERGE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/digest.h"
#include "core/hlc.h"
#include "core/provenance.h"
#include "schema/embedded.h"
#include "schema/schema_db.h"
#include "support/support.h"
#include "sync/merge.h"

#define MF_UNUSED __attribute__((unused))

#define MF_ID(n) "01890a5d-ac96-774b-bcce-b302099000" #n
#define MF_Q(n) "'" MF_ID(n) "'"

/* ids of the base rows */
#define MF_HH MF_ID(11)
#define MF_P1 MF_ID(12)
#define MF_P2 MF_ID(20)
#define MF_VISIT MF_ID(13)
#define MF_APP MF_ID(14)
#define MF_DISPUTE MF_ID(15)
#define MF_COMPLAINT MF_ID(16)
#define MF_SURVEY MF_ID(17)
#define MF_ATT MF_ID(18)
#define MF_HOLIDAY MF_ID(10)

static const char mf_base_rows[] MF_UNUSED =
	"INSERT INTO worker (id, name, role, phone, active) VALUES"
	" ('staff-001', '李娜', 'caseworker', '13912345678', 1);"
	"INSERT INTO holiday (id, date, kind, name) VALUES (" MF_Q(10) ", '2024-10-01', 'holiday', '国庆节');"
	"INSERT INTO household (id, address, village, head_person_id, phone, notes) VALUES"
	" (" MF_Q(11) ", '高资街道高资村 8 号', '高资村', " MF_Q(12) ", '0511-85012345', '户内三人');"
	"INSERT INTO person (id, household_id, name, id_number, gender, birth_date, phone,"
	" employment_status, difficulty_category, notes) VALUES (" MF_Q(12) ", " MF_Q(11) ", '王芳',"
	" '11010519491231002X', 'female', '1949-12-31', '13912345678', 'retired', 'aged', 'n0');"
	"INSERT INTO person (id, household_id, name, phone, employment_status) VALUES"
	" (" MF_Q(20) ", " MF_Q(11) ", '王强', '13912345600', 'unemployed');"
	"INSERT INTO visit (id, household_id, worker_id, device_id, purpose, started_at, summary, location)"
	" VALUES (" MF_Q(13) ", " MF_Q(11) ", 'staff-001', 'tab-07', 'intake', '2024-05-06T09:00:00+08:00',"
	" '入户受理', '高资村');"
	"INSERT INTO application (id, person_id, visit_id, item, status, received_at, promised_by,"
	" first_responder, materials_received, notes) VALUES (" MF_Q(14) ", " MF_Q(12) ", " MF_Q(13) ","
	" 'ss.retiree_certification', 'received', '2024-05-06T09:10:00+08:00', '2024-05-20',"
	" 'staff-001', 'id_card', 'a0');"
	"INSERT INTO dispute (id, person_id, visit_id, employer_name, employer_code, kind, status,"
	" received_at, amount_claimed, description) VALUES (" MF_Q(15) ", " MF_Q(12) ", " MF_Q(13) ","
	" '某建筑公司', '91350100M000100Y43', 'wages', 'received', '2024-05-06T09:20:00+08:00',"
	" 350000, '拖欠三个月工资');"
	"INSERT INTO complaint (id, person_id, channel, subject, received_at, status) VALUES"
	" (" MF_Q(16) ", " MF_Q(12) ", 'visit', '窗口等候时间长', '2024-05-06T09:30:00+08:00', 'received');"
	"INSERT INTO survey (id, visit_id, score, comment) VALUES (" MF_Q(17) ", " MF_Q(13) ", 5, '满意');"
	"INSERT INTO attachment (id, record_type, record_id, blob_id, mime, bytes, caption, taken_at)"
	" VALUES (" MF_Q(18) ", 'person', " MF_Q(12) ", 'da39a3ee5e6b4b0d3255bfef95601890afd80709',"
	" 'image/jpeg', 123456, '身份证照片', '2024-05-06T09:05:00+08:00');";

static MF_UNUSED void mf_exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, err ? err : "");
	sqlite3_free(err);
}

/* The default schema, or the default with `from` replaced by `to` in the
 * rules file (for rules the township schema does not use). */
static MF_UNUSED ruhu_schema *mf_schema(const char *from, const char *to)
{
	ruhu_schema *s = NULL;

	if (from == NULL) {
		rt_ok(ruhu_schema_load_default(&s));
		return s;
	}
	for (size_t i = 0; i < ruhu_schema_embedded_count; i++) {
		const struct ruhu_embedded_file *f = &ruhu_schema_embedded_files[i];
		const char *at;
		ruhu_buf text = RUHU_BUF_INIT;

		if (f->name == NULL || strcmp(f->name, "township.rules") != 0)
			continue;
		at = strstr((const char *)f->data, from);
		ck_assert_msg(at != NULL, "no '%s' in the rules", from);
		rt_ok(ruhu_buf_put(&text, f->data, (size_t)(at - (const char *)f->data)));
		rt_ok(ruhu_buf_puts(&text, to));
		rt_ok(ruhu_buf_puts(&text, at + strlen(from)));
		rt_ok(ruhu_schema_load_rules(&s, "township.rules", text.ptr, text.size));
		ruhu_buf_dispose(&text);
		return s;
	}
	ck_abort_msg("no embedded rules file");
	return NULL;
}

/* An empty in-memory replica with the schema and provenance tables. */
static MF_UNUSED sqlite3 *mf_empty(const ruhu_schema *s)
{
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	rt_ok(ruhu_schema_register(db));
	mf_exec(db, "BEGIN");
	rt_ok(ruhu_schema_install(db, s));
	rt_ok(ruhu_provenance_init(db));
	mf_exec(db, "COMMIT");
	return db;
}

/* The base state every test starts from. */
static MF_UNUSED sqlite3 *mf_base(const ruhu_schema *s)
{
	sqlite3 *db = mf_empty(s);

	mf_exec(db, mf_base_rows);
	return db;
}

/* A copy of a database (rows, provenance, everything). */
static MF_UNUSED sqlite3 *mf_clone(sqlite3 *src)
{
	sqlite3 *db = NULL;
	sqlite3_backup *b;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	rt_ok(ruhu_schema_register(db));
	b = sqlite3_backup_init(db, "main", src, "main");
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(sqlite3_backup_step(b, -1), SQLITE_DONE);
	ck_assert_int_eq(sqlite3_backup_finish(b), SQLITE_OK);
	return db;
}

static MF_UNUSED const char **mf_tables(const ruhu_schema *s, size_t *n)
{
	static const char *names[64];

	*n = ruhu_schema_type_count(s);
	ck_assert(*n <= 64);
	for (size_t i = 0; i < *n; i++)
		names[i] = ruhu_type_name(ruhu_schema_type(s, i));
	return names;
}

/* Run `sql` on `dev` under a session; the canonical changeset in `out`. */
static MF_UNUSED void mf_capture(ruhu_buf *out, sqlite3 *dev, const ruhu_schema *s, const char *sql)
{
	sqlite3_session *session = NULL;
	void *cs = NULL;
	int n = 0;
	size_t nt;
	const char **names = mf_tables(s, &nt);

	ruhu_buf_clear(out);
	ck_assert_int_eq(sqlite3session_create(dev, "main", &session), SQLITE_OK);
	rt_ok(ruhu_schema_attach_session(session, s));
	mf_exec(dev, sql);
	ck_assert_int_eq(sqlite3session_changeset(session, &n, &cs), SQLITE_OK);
	if (n > 0)
		rt_ok(ruhu_changeset_canonicalize(out, cs, (size_t)n, names, nt));
	sqlite3_free(cs);
	sqlite3session_delete(session);
}

/* A device changeset: `sql` run on a copy of `base`. */
static MF_UNUSED void mf_device(ruhu_buf *out, sqlite3 *base, const ruhu_schema *s, const char *sql)
{
	sqlite3 *dev = mf_clone(base);

	mf_capture(out, dev, s, sql);
	sqlite3_close(dev);
}

static MF_UNUSED uint64_t mf_hlc(unsigned int n)
{
	return ruhu_hlc_make(UINT64_C(1714957200000) + n * 1000u, 0);
}

static MF_UNUSED ruhu_merge_result *mf_merge_mode(sqlite3 *db, const ruhu_schema *s, const ruhu_buf *cs,
						  uint64_t hlc, const char *origin, ruhu_merge_mode mode)
{
	ruhu_merge_opts o = RUHU_MERGE_OPTS_INIT;
	ruhu_merge_result *r = NULL;

	o.hlc = hlc;
	o.origin = origin;
	o.worker = "w-0012";
	o.time = "2024-05-06T10:00:00+08:00";
	o.mode = mode;
	rt_ok(ruhu_merge_apply(&r, db, s, cs->ptr, cs->size, &o));
	ck_assert_ptr_nonnull(r);
	return r;
}

static MF_UNUSED ruhu_merge_result *mf_merge(sqlite3 *db, const ruhu_schema *s, const ruhu_buf *cs,
					     uint64_t hlc, const char *origin)
{
	return mf_merge_mode(db, s, cs, hlc, origin, RUHU_MERGE_HUB);
}

/* Merge with an SQLite session attached around the call: the merge's net
 * changeset must be byte for byte the session's canonical changeset. */
static MF_UNUSED ruhu_merge_result *mf_merge_checked(sqlite3 *db, const ruhu_schema *s,
						     const ruhu_buf *cs, uint64_t hlc,
						     const char *origin, ruhu_merge_mode mode)
{
	sqlite3_session *session = NULL;
	ruhu_merge_result *r;
	ruhu_buf canon = RUHU_BUF_INIT;
	void *p = NULL;
	int n = 0;
	size_t nt;
	const char **names = mf_tables(s, &nt);

	ck_assert_int_eq(sqlite3session_create(db, "main", &session), SQLITE_OK);
	rt_ok(ruhu_schema_attach_session(session, s));
	r = mf_merge_mode(db, s, cs, hlc, origin, mode);
	ck_assert_int_eq(sqlite3session_changeset(session, &n, &p), SQLITE_OK);
	if (n > 0)
		rt_ok(ruhu_changeset_canonicalize(&canon, p, (size_t)n, names, nt));
	ck_assert_msg(canon.size == r->net.size && (canon.size == 0 ||
		      memcmp(canon.ptr, r->net.ptr, canon.size) == 0),
		      "net changeset (%zu bytes) differs from the session's (%zu bytes)", r->net.size,
		      canon.size);
	sqlite3_free(p);
	sqlite3session_delete(session);
	ruhu_buf_dispose(&canon);
	return r;
}

/* The text of a one-value query (NULL for SQL NULL or no row); free() it. */
static MF_UNUSED char *mf_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *out = NULL;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static MF_UNUSED long long mf_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long n = -1;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Assert that a query gives `want` (NULL: SQL NULL). */
#define mf_assert_text(db, sql, want) do { \
	char *mf_got_ = mf_text((db), (sql)); \
	const char *mf_want_ = (want); \
	if (mf_want_ == NULL) \
		ck_assert_msg(mf_got_ == NULL, "%s: got '%s', want NULL", (sql), mf_got_); \
	else \
		ck_assert_msg(mf_got_ && strcmp(mf_got_, mf_want_) == 0, "%s: got '%s', want '%s'", \
			      (sql), mf_got_ ? mf_got_ : "NULL", mf_want_); \
	free(mf_got_); \
} while (0)

/* Every row of every record table (and, with `all`, of the provenance
 * tables), as text, in key order. */
static MF_UNUSED void mf_dump_tables(ruhu_buf *out, sqlite3 *db, const char *const *tables, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char sql[4096];
		size_t used;
		sqlite3_stmt *st = NULL;
		ruhu_buf q = RUHU_BUF_INIT;

		snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s') ORDER BY cid", tables[i]);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		rt_ok(ruhu_buf_puts(&q, "SELECT ''"));
		while (sqlite3_step(st) == SQLITE_ROW)
			rt_ok(ruhu_buf_printf(&q, " || quote(\"%s\") || '|'", sqlite3_column_text(st, 0)));
		sqlite3_finalize(st);
		used = q.size;
		rt_ok(ruhu_buf_printf(&q, " FROM \"%s\" ORDER BY 1", tables[i]));
		(void)used;
		ck_assert_int_eq(sqlite3_prepare_v2(db, q.ptr, -1, &st, NULL), SQLITE_OK);
		rt_ok(ruhu_buf_printf(out, "== %s\n", tables[i]));
		while (sqlite3_step(st) == SQLITE_ROW)
			rt_ok(ruhu_buf_printf(out, "%s\n", sqlite3_column_text(st, 0)));
		sqlite3_finalize(st);
		ruhu_buf_dispose(&q);
	}
}

static MF_UNUSED void mf_dump(ruhu_buf *out, sqlite3 *db, const ruhu_schema *s)
{
	size_t n;
	const char **names = mf_tables(s, &n);

	ruhu_buf_clear(out);
	mf_dump_tables(out, db, names, n);
}

/* Record rows and provenance. */
static MF_UNUSED void mf_dump_all(ruhu_buf *out, sqlite3 *db, const ruhu_schema *s)
{
	static const char *const prov[] = { "_field_clock", "_tombstone", "_origin" };

	mf_dump(out, db, s);
	mf_dump_tables(out, db, prov, 3);
}

static MF_UNUSED void mf_assert_same_rows(sqlite3 *a, sqlite3 *b, const ruhu_schema *s)
{
	ruhu_buf da = RUHU_BUF_INIT, db_ = RUHU_BUF_INIT;

	mf_dump(&da, a, s);
	mf_dump(&db_, b, s);
	ck_assert_msg(da.size == db_.size && memcmp(da.ptr, db_.ptr, da.size) == 0,
		      "replicas differ:\n%s\n---\n%s", da.ptr, db_.ptr);
	ruhu_buf_dispose(&da);
	ruhu_buf_dispose(&db_);
}

static MF_UNUSED void mf_digest(ruhu_digest *d, sqlite3 *db, const ruhu_schema *s)
{
	size_t n;
	const char **names = mf_tables(s, &n);

	rt_ok(ruhu_digest_compute(d, db, names, n));
}

/* Count decisions (and reviews) with a rule; `field` NULL matches any. */
static MF_UNUSED size_t mf_count(const ruhu_merge_result *r, const char *rule, const char *field)
{
	size_t n = 0;

	for (size_t i = 0; i < r->ndecisions; i++)
		if (strcmp(r->decisions[i].rule, rule) == 0 &&
		    (field == NULL || (r->decisions[i].field && !strcmp(r->decisions[i].field, field))))
			n++;
	return n;
}

static MF_UNUSED const ruhu_merge_decision *mf_find(const ruhu_merge_result *r, const char *rule)
{
	for (size_t i = 0; i < r->ndecisions; i++)
		if (strcmp(r->decisions[i].rule, rule) == 0)
			return &r->decisions[i];
	ck_abort_msg("no decision %s", rule);
	return NULL;
}

/* A value as a C string for comparisons ("NULL" for NULL, "-" undefined). */
static MF_UNUSED const char *mf_val(char *buf, size_t n, const ruhu_cval *v)
{
	if (v->type == SQLITE_TEXT)
		snprintf(buf, n, "%.*s", (int)v->n, (const char *)v->p);
	else if (v->type == SQLITE_INTEGER)
		snprintf(buf, n, "%lld", (long long)v->i);
	else if (v->type == SQLITE_NULL)
		snprintf(buf, n, "NULL");
	else
		snprintf(buf, n, "-");
	return buf;
}

/* A resident identity number with its check character for the first 17. */
static MF_UNUSED void mf_id_number(char out[19], const char *first17)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char map[] = "10X98765432";
	int sum = 0;

	for (int i = 0; i < 17; i++)
		sum += (first17[i] - '0') * w[i];
	memcpy(out, first17, 17);
	out[17] = map[sum % 11];
	out[18] = 0;
}

#endif
