/*
 * test_merge_rows.c — the merge of whole rows: delete against update under
 * each delete rule in both orders, immutable and frozen records, references
 * to missing records, duplicate keys, inserts that clash, REDO mode, the net
 * changeset, and untrusted changesets refused with the database unchanged.
 */
#include "sync/merge_fixture.h"

#define P1 "'" MF_P1 "'"

/* Delete on device A, update on device B, in both orders. */
struct dvu {
	sqlite3 *base, *hub1, *hub2;
	ruhu_merge_result *r[4]; /* hub1: delete, update; hub2: update, delete */
};

static void dvu_run(struct dvu *d, const ruhu_schema *s, const char *del, const char *upd)
{
	ruhu_buf a = RUHU_BUF_INIT, b = RUHU_BUF_INIT;

	d->base = mf_base(s);
	mf_device(&a, d->base, s, del);
	mf_device(&b, d->base, s, upd);
	d->hub1 = mf_clone(d->base);
	d->hub2 = mf_clone(d->base);
	d->r[0] = mf_merge(d->hub1, s, &a, mf_hlc(10), "tab-01");
	d->r[1] = mf_merge(d->hub1, s, &b, mf_hlc(20), "tab-02");
	d->r[2] = mf_merge(d->hub2, s, &b, mf_hlc(20), "tab-02");
	d->r[3] = mf_merge(d->hub2, s, &a, mf_hlc(10), "tab-01");
	ruhu_buf_dispose(&a);
	ruhu_buf_dispose(&b);
}

static void dvu_free(struct dvu *d)
{
	for (int i = 0; i < 4; i++)
		ruhu_merge_result_free(d->r[i]);
	sqlite3_close(d->base);
	sqlite3_close(d->hub1);
	sqlite3_close(d->hub2);
}

START_TEST(test_merge_rows_delete_review_both_orders)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct dvu d;

	dvu_run(&d, s, "DELETE FROM person WHERE id = " P1,
		"UPDATE person SET phone = '13800000009' WHERE id = " P1);
	/* hub1: the delete went through (hub = base), the update meets the tombstone */
	ck_assert_int_eq(mf_int(d.hub1, "SELECT count(*) FROM person WHERE id = " P1), 0);
	ck_assert_uint_eq(d.r[1]->nreviews, 1);
	ck_assert_str_eq(d.r[1]->reviews[0].kind, "delete_review");
	ck_assert_uint_gt(d.r[1]->reviews[0].change_len, 0);
	/* hub2: the update went through, the delete of a changed row goes to review */
	ck_assert_int_eq(mf_int(d.hub2, "SELECT count(*) FROM person WHERE id = " P1), 1);
	ck_assert_uint_eq(d.r[3]->nreviews, 1);
	ck_assert_str_eq(d.r[3]->reviews[0].kind, "delete_review");
	ck_assert_uint_eq(d.r[3]->net.size, 0);
	dvu_free(&d);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_rows_delete_wins_both_orders)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct dvu d;

	dvu_run(&d, s, "DELETE FROM holiday", "UPDATE holiday SET name = '国庆'");
	ck_assert_int_eq(mf_int(d.hub1, "SELECT count(*) FROM holiday"), 0);
	ck_assert_int_eq(mf_int(d.hub2, "SELECT count(*) FROM holiday"), 0);
	ck_assert_uint_eq(mf_count(d.r[1], "delete_wins", NULL), 1);
	ck_assert_uint_eq(mf_count(d.r[3], "delete_wins", NULL), 1);
	ck_assert_uint_eq(d.r[1]->nreviews + d.r[3]->nreviews, 0);
	mf_assert_same_rows(d.hub1, d.hub2, s);
	dvu_free(&d);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_rows_update_wins_brings_the_row_back)
{
	ruhu_schema *s = mf_schema("delete delete_wins\n\tduplicate date",
				   "delete update_wins\n\tduplicate date");
	struct dvu d;
	ruhu_tombstone tomb = RUHU_TOMBSTONE_INIT;

	dvu_run(&d, s, "DELETE FROM holiday", "UPDATE holiday SET kind = 'workday'");
	/* hub1: the tombstone row comes back with the update */
	mf_assert_text(d.hub1, "SELECT date || kind || name FROM holiday", "2024-10-01workday国庆节");
	ck_assert_uint_eq(mf_count(d.r[1], "update_wins", NULL), 1);
	ck_assert_int_eq(ruhu_provenance_tombstone(&tomb, d.hub1, "holiday", MF_HOLIDAY), RUHU_ENOTFOUND);
	/* hub2: the changed row stays */
	mf_assert_text(d.hub2, "SELECT date || kind || name FROM holiday", "2024-10-01workday国庆节");
	ck_assert_uint_eq(mf_count(d.r[3], "update_wins", NULL), 1);
	mf_assert_same_rows(d.hub1, d.hub2, s);
	ruhu_tombstone_dispose(&tomb);
	dvu_free(&d);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_rows_immutable_update_goes_to_review)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base);
	ruhu_buf cs = RUHU_BUF_INIT;
	ruhu_merge_result *r;

	mf_device(&cs, base, s, "UPDATE survey SET score = 1; UPDATE attachment SET caption = '照片'");
	r = mf_merge(hub, s, &cs, mf_hlc(1), "tab-01");
	ck_assert_uint_eq(r->nreviews, 2);
	ck_assert_uint_eq(mf_count(r, "immutable", NULL), 2);
	ck_assert_uint_eq(r->net.size, 0);
	ck_assert_int_eq(mf_int(hub, "SELECT score FROM survey"), 5);
	mf_assert_text(hub, "SELECT caption FROM attachment", "身份证照片");
	ruhu_merge_result_free(r);
	/* deleting an immutable record is allowed (its delete rule says so) */
	mf_device(&cs, base, s, "DELETE FROM survey");
	r = mf_merge(hub, s, &cs, mf_hlc(2), "tab-01");
	ck_assert_int_eq(mf_int(hub, "SELECT count(*) FROM survey"), 0);
	ck_assert_uint_eq(r->ndecisions, 0);
	ruhu_merge_result_free(r);
	ruhu_buf_dispose(&cs);
	sqlite3_close(base);
	sqlite3_close(hub);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_rows_closed_visit_is_frozen)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base);
	ruhu_buf a = RUHU_BUF_INIT, b = RUHU_BUF_INIT, c = RUHU_BUF_INIT;
	ruhu_merge_result *ra, *rb, *rc;

	mf_device(&a, base, s, "UPDATE visit SET ended_at = '2024-05-06T10:00:00+08:00'");
	mf_device(&b, base, s, "UPDATE visit SET purpose = 'publicity'");
	mf_device(&c, base, s, "DELETE FROM visit");
	ra = mf_merge(hub, s, &a, mf_hlc(1), "tab-01");
	rb = mf_merge(hub, s, &b, mf_hlc(2), "tab-02");
	rc = mf_merge(hub, s, &c, mf_hlc(3), "tab-02");
	ck_assert_uint_eq(ra->applied, 1);
	ck_assert_uint_eq(rb->nreviews, 1);
	ck_assert_str_eq(rb->reviews[0].kind, "immutable");
	ck_assert_uint_eq(rc->nreviews, 1);
	ck_assert_str_eq(rc->reviews[0].kind, "immutable");
	mf_assert_text(hub, "SELECT purpose FROM visit", "intake");
	ruhu_merge_result_free(ra);
	ruhu_merge_result_free(rb);
	ruhu_merge_result_free(rc);
	ruhu_buf_dispose(&a);
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&c);
	sqlite3_close(base);
	sqlite3_close(hub);
	ruhu_schema_free(s);
}
END_TEST

#define NEW_VISIT(id, hh) \
	"INSERT INTO visit (id, household_id, worker_id, device_id, purpose, started_at) VALUES" \
	" ('" id "', '" hh "', 'staff-001', 'tab-02', 'follow_up', '2024-05-07T09:00:00+08:00')"

START_TEST(test_merge_rows_visit_for_deleted_household)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base);
	ruhu_buf a = RUHU_BUF_INIT, b = RUHU_BUF_INIT;
	ruhu_merge_result *ra, *rb;

	mf_device(&a, base, s, "DELETE FROM household");
	mf_device(&b, base, s, NEW_VISIT(MF_ID(30), MF_HH) ";" NEW_VISIT(MF_ID(31), MF_ID(99)));
	ra = mf_merge(hub, s, &a, mf_hlc(1), "tab-01");
	rb = mf_merge(hub, s, &b, mf_hlc(2), "tab-02");
	ck_assert_int_eq(mf_int(hub, "SELECT count(*) FROM household"), 0);
	ck_assert_int_eq(mf_int(hub, "SELECT count(*) FROM visit"), 1);
	ck_assert_uint_eq(rb->nreviews, 2);
	ck_assert_str_eq(rb->reviews[0].kind, "parent_missing");
	ck_assert_str_eq(rb->reviews[0].field, "household_id");
	ck_assert_ptr_nonnull(strstr(rb->reviews[0].note, "was deleted"));
	ck_assert_ptr_nonnull(strstr(rb->reviews[1].note, "was never seen"));
	ck_assert_uint_eq(rb->net.size, 0);
	ruhu_merge_result_free(ra);
	ruhu_merge_result_free(rb);
	ruhu_buf_dispose(&a);
	ruhu_buf_dispose(&b);
	sqlite3_close(base);
	sqlite3_close(hub);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_rows_new_household_with_its_head_in_one_save)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base);
	ruhu_buf a = RUHU_BUF_INIT;
	ruhu_merge_result *r;

	mf_device(&a, base, s,
		  "INSERT INTO household (id, address, head_person_id) VALUES (" MF_Q(40) ", '西街 2 号', "
		  MF_Q(41) ");"
		  "INSERT INTO person (id, household_id, name) VALUES (" MF_Q(41) ", " MF_Q(40) ", '赵六')");
	r = mf_merge(hub, s, &a, mf_hlc(1), "tab-01");
	ck_assert_uint_eq(r->ndecisions, 0);
	ck_assert_uint_eq(r->applied, 2);
	ruhu_merge_result_free(r);
	ruhu_buf_dispose(&a);
	sqlite3_close(base);
	sqlite3_close(hub);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_rows_duplicate_residents_linked_once)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base);
	ruhu_buf a = RUHU_BUF_INIT, b = RUHU_BUF_INIT, sql = RUHU_BUF_INIT;
	ruhu_merge_result *ra, *rb;
	char idn[19];
	size_t n = 0;

	mf_id_number(idn, "32111219800101123");
	rt_ok(ruhu_buf_printf(&sql, "INSERT INTO person (id, name, id_number) VALUES (" MF_Q(50)
			      ", '张三', '%s')", idn));
	mf_device(&a, base, s, sql.ptr);
	ruhu_buf_clear(&sql);
	rt_ok(ruhu_buf_printf(&sql, "INSERT INTO person (id, name, id_number) VALUES (" MF_Q(51)
			      ", '张三', '%s')", idn));
	mf_device(&b, base, s, sql.ptr);
	ra = mf_merge(hub, s, &a, mf_hlc(1), "tab-01");
	rb = mf_merge(hub, s, &b, mf_hlc(2), "tab-02");
	ck_assert_int_eq(mf_int(hub, "SELECT count(*) FROM person WHERE name = '张三'"), 2);
	n = ra->nreviews + rb->nreviews;
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rb->reviews[0].kind, "duplicate");
	ck_assert_str_eq(rb->reviews[0].id, MF_ID(51));
	ck_assert_str_eq(rb->reviews[0].other_id, MF_ID(50));
	ck_assert_str_eq(rb->reviews[0].field, "id_number");
	ruhu_merge_result_free(ra);
	ruhu_merge_result_free(rb);
	ruhu_buf_dispose(&a);
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&sql);
	sqlite3_close(base);
	sqlite3_close(hub);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_rows_insert_clash_and_same_insert)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base);
	ruhu_buf a = RUHU_BUF_INIT, b = RUHU_BUF_INIT;
	ruhu_merge_result *r1, *r2, *r3;

	mf_device(&a, base, s, "INSERT INTO person (id, name) VALUES (" MF_Q(60) ", '甲')");
	mf_device(&b, base, s, "INSERT INTO person (id, name) VALUES (" MF_Q(60) ", '乙')");
	r1 = mf_merge(hub, s, &a, mf_hlc(1), "tab-01");
	r2 = mf_merge(hub, s, &a, mf_hlc(1), "tab-01");
	r3 = mf_merge(hub, s, &b, mf_hlc(2), "tab-02");
	ck_assert_uint_eq(r2->ndecisions, 0);
	ck_assert_uint_eq(r2->net.size, 0);
	ck_assert_uint_eq(r3->nreviews, 1);
	ck_assert_str_eq(r3->reviews[0].kind, "insert_clash");
	mf_assert_text(hub, "SELECT name FROM person WHERE id = " MF_Q(60), "甲");
	ruhu_merge_result_free(r1);
	ruhu_merge_result_free(r2);
	ruhu_merge_result_free(r3);
	ruhu_buf_dispose(&a);
	ruhu_buf_dispose(&b);
	sqlite3_close(base);
	sqlite3_close(hub);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_rows_record_missing_and_constraint)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base);
	ruhu_buf a = RUHU_BUF_INIT;
	ruhu_merge_result *r;
	ruhu_cval oldv[12], newv[12];

	/* an update of a record the hub never had */
	mf_exec(base, "INSERT INTO person (id, name) VALUES (" MF_Q(70) ", '甲')");
	mf_device(&a, base, s, "UPDATE person SET name = '乙' WHERE id = " MF_Q(70));
	r = mf_merge(hub, s, &a, mf_hlc(1), "tab-01");
	ck_assert_uint_eq(r->nreviews, 1);
	ck_assert_str_eq(r->reviews[0].kind, "record_missing");
	ruhu_merge_result_free(r);

	/* a device change the table's checks refuse: nothing of it applied */
	memset(oldv, 0, sizeof(oldv));
	memset(newv, 0, sizeof(newv));
	oldv[0].type = SQLITE_TEXT;
	oldv[0].p = (const unsigned char *)MF_P1;
	oldv[0].n = strlen(MF_P1);
	oldv[4].type = SQLITE_TEXT;
	oldv[4].p = (const unsigned char *)"female";
	oldv[4].n = 6;
	newv[4].type = SQLITE_TEXT;
	newv[4].p = (const unsigned char *)"x";
	newv[4].n = 1;
	oldv[6].type = SQLITE_TEXT;
	oldv[6].p = (const unsigned char *)"13912345678";
	oldv[6].n = 11;
	newv[6].type = SQLITE_TEXT;
	newv[6].p = (const unsigned char *)"13800000000";
	newv[6].n = 11;
	ruhu_buf_clear(&a);
	rt_ok(ruhu_prov_change_bytes(&a, "person", 11, 0, SQLITE_UPDATE, oldv, newv));
	r = mf_merge(hub, s, &a, mf_hlc(2), "tab-01");
	ck_assert_uint_eq(r->ndecisions, 1);
	ck_assert_str_eq(r->decisions[0].rule, "constraint");
	ck_assert_ptr_nonnull(strstr(r->decisions[0].note, "person.gender"));
	mf_assert_text(hub, "SELECT phone || gender FROM person WHERE id = " P1, "13912345678female");
	ck_assert_uint_eq(r->net.size, 0);
	ruhu_merge_result_free(r);
	ruhu_buf_dispose(&a);
	sqlite3_close(base);
	sqlite3_close(hub);
	ruhu_schema_free(s);
}
END_TEST

/* ---- REDO mode and the net changeset ------------------------------------- */

static const char *const conflict_a =
	"UPDATE person SET phone = '13800000001', birth_date = '1949-12-01', notes = 'n0\nA'"
	" WHERE id = " P1 ";"
	"UPDATE application SET status = 'rejected', materials_received = 'id_card,photo';"
	"DELETE FROM holiday;"
	"INSERT INTO person (id, name, id_number) VALUES (" MF_Q(80) ", '孙七', '11010519491231002X');";
static const char *const conflict_b =
	"UPDATE person SET phone = '13800000002', birth_date = '1949-11-01', notes = 'B'"
	" WHERE id = " P1 ";"
	"UPDATE application SET status = 'referred', materials_received = NULL;"
	"UPDATE holiday SET name = '国庆';"
	"UPDATE complaint SET status = 'closed';"
	"DELETE FROM person WHERE id = '" MF_P2 "';";

START_TEST(test_merge_rows_redo_reaches_the_hub_rows)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base), *dev = mf_clone(base);
	ruhu_buf a = RUHU_BUF_INIT, b = RUHU_BUF_INIT, ta = RUHU_BUF_INIT, tb = RUHU_BUF_INIT;
	ruhu_merge_result *h1, *h2, *d1, *d2;

	mf_device(&a, base, s, conflict_a);
	mf_device(&b, base, s, conflict_b);
	h1 = mf_merge(hub, s, &a, mf_hlc(10), "tab-01");
	h2 = mf_merge(hub, s, &b, mf_hlc(20), "tab-02");
	d1 = mf_merge_mode(dev, s, &a, mf_hlc(10), "tab-01", RUHU_MERGE_REDO);
	d2 = mf_merge_mode(dev, s, &b, mf_hlc(20), "tab-02", RUHU_MERGE_REDO);
	ck_assert_uint_gt(h1->nreviews + h2->nreviews, 2);
	ck_assert_uint_eq(d1->nreviews + d2->nreviews, 0);
	ck_assert_uint_eq(h2->ndecisions, d2->ndecisions);
	mf_dump_all(&ta, hub, s);
	mf_dump_all(&tb, dev, s);
	ck_assert_str_eq(ta.ptr, tb.ptr);
	ck_assert_uint_eq(h2->net.size, d2->net.size);
	ck_assert_int_eq(memcmp(h2->net.ptr, d2->net.ptr, h2->net.size), 0);
	for (size_t i = 0; i < d2->ndecisions; i++)
		ck_assert_int_eq(d2->decisions[i].review, -1);
	ruhu_merge_result_free(h1);
	ruhu_merge_result_free(h2);
	ruhu_merge_result_free(d1);
	ruhu_merge_result_free(d2);
	ruhu_buf_dispose(&a);
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&ta);
	ruhu_buf_dispose(&tb);
	sqlite3_close(base);
	sqlite3_close(hub);
	sqlite3_close(dev);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_rows_net_changeset_reproduces_the_hub)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base), *copy;
	ruhu_buf a = RUHU_BUF_INIT, b = RUHU_BUF_INIT, pa = RUHU_BUF_INIT, pb = RUHU_BUF_INIT;
	ruhu_merge_result *r1, *r2;
	ruhu_digest before, after, kept, recomputed;
	size_t nt;
	const char **names = mf_tables(s, &nt);

	mf_device(&a, base, s, conflict_a);
	mf_device(&b, base, s, conflict_b);
	r1 = mf_merge(hub, s, &a, mf_hlc(10), "tab-01");
	copy = mf_clone(hub);
	mf_digest(&before, hub, s);
	r2 = mf_merge_checked(hub, s, &b, mf_hlc(20), "tab-02", RUHU_MERGE_HUB);
	ck_assert_uint_gt(r2->net.size, 0);
	ck_assert_int_eq(ruhu_changeset_is_canonical(r2->net.ptr, r2->net.size, names, nt), 1);
	/* apply the net changeset to the state before: the same rows */
	ck_assert_int_eq(sqlite3changeset_apply(copy, (int)r2->net.size, r2->net.ptr, NULL, NULL, NULL),
			 SQLITE_OK);
	mf_assert_same_rows(hub, copy, s);
	mf_digest(&after, hub, s);
	mf_digest(&recomputed, copy, s);
	ck_assert(ruhu_digest_equal(&after, &recomputed));
	/* the digest kept from the net changeset is the recomputed one */
	kept = before;
	rt_ok(ruhu_digest_apply_changeset(&kept, hub, r2->net.ptr, r2->net.size));
	ck_assert(ruhu_digest_equal(&kept, &after));
	/* provenance recorded from the net changeset is the merge's own */
	rt_ok(ruhu_provenance_record(copy, r2->net.ptr, r2->net.size, mf_hlc(20), "tab-02", NULL));
	mf_dump_tables(&pa, hub, (const char *const[]){ "_field_clock", "_tombstone" }, 2);
	mf_dump_tables(&pb, copy, (const char *const[]){ "_field_clock", "_tombstone" }, 2);
	ck_assert_str_eq(pa.ptr, pb.ptr);
	ruhu_merge_result_free(r1);
	ruhu_merge_result_free(r2);
	ruhu_buf_dispose(&a);
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&pa);
	ruhu_buf_dispose(&pb);
	sqlite3_close(base);
	sqlite3_close(hub);
	sqlite3_close(copy);
	ruhu_schema_free(s);
}
END_TEST

/* ---- untrusted changesets ------------------------------------------------ */

static int assert_refused(sqlite3 *hub, const ruhu_schema *s, const void *p, size_t n,
			   const ruhu_buf *before)
{
	ruhu_merge_opts o = RUHU_MERGE_OPTS_INIT;
	ruhu_merge_result *r = (ruhu_merge_result *)1;
	ruhu_buf after = RUHU_BUF_INIT;
	int rc;

	o.hlc = mf_hlc(5);
	o.origin = "tab-09";
	rc = ruhu_merge_apply(&r, hub, s, p, n, &o);
	if (rc == 0) {
		/* a prefix can be a well-formed changeset itself: then it merged */
		ruhu_merge_result_free(r);
		return 0;
	}
	ck_assert_msg(rc == RUHU_ECORRUPT || rc == RUHU_ESCHEMA || rc == RUHU_EINVALID,
		      "unexpected %d: %s", rc, ruhu_error_last());
	ck_assert_ptr_null(r);
	mf_dump_all(&after, hub, s);
	ck_assert_str_eq(before->ptr, after.ptr);
	ruhu_buf_dispose(&after);
	return 1;
}

START_TEST(test_merge_rows_malformed_refused_unchanged)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base);
	ruhu_buf cs = RUHU_BUF_INIT, before = RUHU_BUF_INIT, bad = RUHU_BUF_INIT;
	unsigned int seed = 7;
	size_t refused = 0;
	ruhu_cval row[3];

	mf_device(&cs, base, s, conflict_b);
	mf_dump_all(&before, hub, s);
	/* every truncation: refused with nothing changed, or (cut at a change
	 * boundary) a well-formed changeset that merges */
	for (size_t n = 1; n < cs.size; n++) {
		refused += assert_refused(hub, s, cs.ptr, n, &before);
		mf_dump_all(&before, hub, s);
	}
	ck_assert_uint_gt(refused, (cs.size - 1) * 9 / 10);
	for (int i = 0; i < 300; i++) {
		ruhu_buf_clear(&bad);
		rt_ok(ruhu_buf_put(&bad, cs.ptr, cs.size));
		for (int k = 0; k < 1 + i % 3; k++) {
			seed = seed * 1103515245u + 12345u;
			bad.ptr[(seed >> 8) % bad.size] ^= (char)(1u << ((seed >> 4) % 8));
		}
		assert_refused(hub, s, bad.ptr, bad.size, &before);
		mf_dump_all(&before, hub, s);
	}
	/* a table the schema does not have, and a wrong column count */
	memset(row, 0, sizeof(row));
	row[0].type = SQLITE_TEXT;
	row[0].p = (const unsigned char *)MF_ID(90);
	row[0].n = strlen(MF_ID(90));
	row[1].type = SQLITE_TEXT;
	row[1].p = (const unsigned char *)"x";
	row[1].n = 1;
	row[2] = row[1];
	ruhu_buf_clear(&bad);
	rt_ok(ruhu_prov_change_bytes(&bad, "_meta", 2, 0, SQLITE_INSERT, NULL, row));
	{
		ruhu_merge_opts o = RUHU_MERGE_OPTS_INIT;
		ruhu_merge_result *r = NULL;

		o.origin = "tab-09";
		ck_assert_int_eq(ruhu_merge_apply(&r, hub, s, bad.ptr, bad.size, &o), RUHU_ESCHEMA);
		ruhu_buf_clear(&bad);
		rt_ok(ruhu_prov_change_bytes(&bad, "holiday", 3, 0, SQLITE_INSERT, NULL, row));
		ck_assert_int_eq(ruhu_merge_apply(&r, hub, s, bad.ptr, bad.size, &o), RUHU_ESCHEMA);
		ck_assert_ptr_null(r);
		/* and options without an origin */
		o.origin = NULL;
		ck_assert_int_eq(ruhu_merge_apply(&r, hub, s, cs.ptr, cs.size, &o), RUHU_EINVALID);
	}
	ruhu_buf_dispose(&cs);
	ruhu_buf_dispose(&before);
	ruhu_buf_dispose(&bad);
	sqlite3_close(base);
	sqlite3_close(hub);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_rows_unsorted_input_gives_canonical_output)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base), *hub2 = mf_clone(base);
	ruhu_buf a = RUHU_BUF_INIT, b = RUHU_BUF_INIT, both = RUHU_BUF_INIT;
	ruhu_merge_result *r;
	ruhu_merge_opts o = RUHU_MERGE_OPTS_INIT;
	size_t nt;
	const char **names = mf_tables(s, &nt);

	mf_device(&a, base, s, "UPDATE person SET phone = '13800000001' WHERE id = " P1);
	mf_device(&b, base, s, "UPDATE person SET phone = '13800000002' WHERE id = '" MF_P2 "'");
	/* P2 before P1: rows out of canonical order */
	rt_ok(ruhu_buf_put(&both, b.ptr, b.size));
	rt_ok(ruhu_buf_put(&both, a.ptr, a.size));
	ck_assert_int_eq(ruhu_changeset_is_canonical(both.ptr, both.size, names, nt), 0);
	r = mf_merge_checked(hub, s, &both, mf_hlc(1), "tab-01", RUHU_MERGE_HUB);
	ck_assert_int_eq(ruhu_changeset_is_canonical(r->net.ptr, r->net.size, names, nt), 1);
	ck_assert_uint_eq(r->applied, 2);
	ruhu_merge_result_free(r);
	/* the same row twice is refused, nothing written */
	ruhu_buf_clear(&both);
	rt_ok(ruhu_buf_put(&both, a.ptr, a.size));
	rt_ok(ruhu_buf_put(&both, a.ptr, a.size));
	o.origin = "tab-01";
	r = NULL;
	ck_assert_int_eq(ruhu_merge_apply(&r, hub2, s, both.ptr, both.size, &o), RUHU_ECORRUPT);
	ck_assert_ptr_null(r);
	mf_assert_same_rows(hub2, base, s);
	ruhu_buf_dispose(&a);
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&both);
	sqlite3_close(base);
	sqlite3_close(hub);
	sqlite3_close(hub2);
	ruhu_schema_free(s);
}
END_TEST

Suite *merge_rows_suite(void)
{
	Suite *s = suite_create("merge_rows");
	TCase *tc = tcase_create("rows");

	tcase_add_test(tc, test_merge_rows_delete_review_both_orders);
	tcase_add_test(tc, test_merge_rows_delete_wins_both_orders);
	tcase_add_test(tc, test_merge_rows_update_wins_brings_the_row_back);
	tcase_add_test(tc, test_merge_rows_immutable_update_goes_to_review);
	tcase_add_test(tc, test_merge_rows_closed_visit_is_frozen);
	tcase_add_test(tc, test_merge_rows_visit_for_deleted_household);
	tcase_add_test(tc, test_merge_rows_new_household_with_its_head_in_one_save);
	tcase_add_test(tc, test_merge_rows_duplicate_residents_linked_once);
	tcase_add_test(tc, test_merge_rows_insert_clash_and_same_insert);
	tcase_add_test(tc, test_merge_rows_record_missing_and_constraint);
	suite_add_tcase(s, tc);
	tc = tcase_create("capture");
	tcase_add_test(tc, test_merge_rows_redo_reaches_the_hub_rows);
	tcase_add_test(tc, test_merge_rows_net_changeset_reproduces_the_hub);
	tcase_add_test(tc, test_merge_rows_malformed_refused_unchanged);
	tcase_add_test(tc, test_merge_rows_unsorted_input_gives_canonical_output);
	suite_add_tcase(s, tc);
	return s;
}
