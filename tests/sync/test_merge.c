/*
 * test_merge.c — the field rules of the merge, each with two devices
 * editing the same field from the same base, merged in both orders of
 * arrival (docs/merge.md §3), and the decisions.txt format.
 */
#include "sync/merge_fixture.h"

/* Two device saves from one base, merged A then B into hub1 and B then A
 * into hub2. */
struct two {
	const ruhu_schema *s;
	sqlite3 *base, *hub1, *hub2;
	ruhu_merge_result *first1, *second1, *first2, *second2; /* hub1: A, B; hub2: B, A */
};

static void two_run(struct two *t, const ruhu_schema *s, const char *sql_a, uint64_t hlc_a,
		    const char *origin_a, const char *sql_b, uint64_t hlc_b, const char *origin_b)
{
	ruhu_buf a = RUHU_BUF_INIT, b = RUHU_BUF_INIT;

	memset(t, 0, sizeof(*t));
	t->s = s;
	t->base = mf_base(s);
	mf_device(&a, t->base, s, sql_a);
	mf_device(&b, t->base, s, sql_b);
	ck_assert_uint_gt(a.size, 0);
	ck_assert_uint_gt(b.size, 0);
	t->hub1 = mf_clone(t->base);
	t->hub2 = mf_clone(t->base);
	t->first1 = mf_merge(t->hub1, s, &a, hlc_a, origin_a);
	t->second1 = mf_merge(t->hub1, s, &b, hlc_b, origin_b);
	t->first2 = mf_merge(t->hub2, s, &b, hlc_b, origin_b);
	t->second2 = mf_merge(t->hub2, s, &a, hlc_a, origin_a);
	ruhu_buf_dispose(&a);
	ruhu_buf_dispose(&b);
}

static void two_free(struct two *t)
{
	ruhu_merge_result_free(t->first1);
	ruhu_merge_result_free(t->second1);
	ruhu_merge_result_free(t->first2);
	ruhu_merge_result_free(t->second2);
	sqlite3_close(t->base);
	sqlite3_close(t->hub1);
	sqlite3_close(t->hub2);
}

/* Both hubs hold `want` for the query. */
static void both_hold(struct two *t, const char *sql, const char *want)
{
	mf_assert_text(t->hub1, sql, want);
	mf_assert_text(t->hub2, sql, want);
}

#define P1_PHONE "SELECT phone FROM person WHERE id = '" MF_P1 "'"

START_TEST(test_merge_lww_later_hlc_wins_in_both_orders)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct two t;

	/* A's edit is later although it arrives first at hub1 */
	two_run(&t, s, "UPDATE person SET phone = '13800000001' WHERE id = '" MF_P1 "'", mf_hlc(20),
		"tab-01", "UPDATE person SET phone = '13800000002' WHERE id = '" MF_P1 "'", mf_hlc(10),
		"tab-02");
	both_hold(&t, P1_PHONE, "13800000001");
	ck_assert_uint_eq(t.first1->ndecisions, 0);
	ck_assert_uint_eq(mf_count(t.second1, "lww", "phone"), 1);
	ck_assert_uint_eq(mf_count(t.second2, "lww", "phone"), 1);
	ck_assert_uint_eq(t.second1->nreviews + t.second2->nreviews, 0);
	/* the field clock is the winner's on both hubs */
	{
		uint64_t h1, h2;
		ruhu_buf o1 = RUHU_BUF_INIT, o2 = RUHU_BUF_INIT;

		rt_ok(ruhu_provenance_clock(&h1, &o1, t.hub1, "person", MF_P1, 6));
		rt_ok(ruhu_provenance_clock(&h2, &o2, t.hub2, "person", MF_P1, 6));
		ck_assert_uint_eq(h1, mf_hlc(20));
		ck_assert_uint_eq(h2, mf_hlc(20));
		ck_assert_str_eq(o1.ptr, "tab-01");
		ck_assert_str_eq(o2.ptr, "tab-01");
		ruhu_buf_dispose(&o1);
		ruhu_buf_dispose(&o2);
	}
	mf_assert_same_rows(t.hub1, t.hub2, s);
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_lww_tie_broken_by_origin)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct two t;

	two_run(&t, s, "UPDATE person SET phone = '13800000002' WHERE id = '" MF_P1 "'", mf_hlc(10),
		"tab-02", "UPDATE person SET phone = '13800000001' WHERE id = '" MF_P1 "'", mf_hlc(10),
		"tab-01");
	both_hold(&t, P1_PHONE, "13800000002");
	ck_assert_uint_eq(mf_count(t.second1, "lww", "phone"), 1);
	ck_assert_uint_eq(mf_count(t.second2, "lww", "phone"), 1);
	mf_assert_same_rows(t.hub1, t.hub2, s);
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

#define APP_STATUS "SELECT status FROM application WHERE id = '" MF_APP "'"
#define SET_STATUS(v) "UPDATE application SET status = '" v "' WHERE id = '" MF_APP "'"

START_TEST(test_merge_order_advance_and_finals)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct two t;
	char b1[64], b2[64], b3[64];

	/* advance vs advance: the later state */
	two_run(&t, s, SET_STATUS("accepted"), mf_hlc(20), "tab-01", SET_STATUS("processing"), mf_hlc(10),
		"tab-02");
	both_hold(&t, APP_STATUS, "processing");
	ck_assert_uint_eq(mf_count(t.second1, "order", "status"), 1);
	ck_assert_uint_eq(mf_count(t.second2, "order", "status"), 1);
	ck_assert_uint_eq(t.second1->nreviews + t.second2->nreviews, 0);
	two_free(&t);

	/* final beats the top of the chain */
	two_run(&t, s, SET_STATUS("rejected"), mf_hlc(10), "tab-01", SET_STATUS("completed"), mf_hlc(20),
		"tab-02");
	both_hold(&t, APP_STATUS, "rejected");
	mf_assert_same_rows(t.hub1, t.hub2, s);
	two_free(&t);

	/* two different finals: review, the hub keeps what it had */
	two_run(&t, s, SET_STATUS("rejected"), mf_hlc(10), "tab-01", SET_STATUS("referred"), mf_hlc(20),
		"tab-02");
	mf_assert_text(t.hub1, APP_STATUS, "rejected");
	mf_assert_text(t.hub2, APP_STATUS, "referred");
	ck_assert_uint_eq(t.second1->nreviews, 1);
	ck_assert_uint_eq(t.second2->nreviews, 1);
	ck_assert_str_eq(t.second1->reviews[0].kind, "order");
	ck_assert_str_eq(t.second1->reviews[0].field, "status");
	ck_assert_str_eq(mf_val(b1, sizeof(b1), &t.second1->reviews[0].base), "received");
	ck_assert_str_eq(mf_val(b2, sizeof(b2), &t.second1->reviews[0].hub), "rejected");
	ck_assert_str_eq(mf_val(b3, sizeof(b3), &t.second1->reviews[0].device), "referred");
	ck_assert_uint_gt(t.second1->reviews[0].change_len, 0);
	ck_assert_int_eq(t.second1->decisions[0].review, 0);
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_union_three_way_in_both_orders)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct two t;

	/* base {aged}; A adds disabled; B removes aged and adds low_income */
	two_run(&t, s, "UPDATE person SET difficulty_category = 'aged,disabled' WHERE id = '" MF_P1 "'",
		mf_hlc(10), "tab-01",
		"UPDATE person SET difficulty_category = 'low_income' WHERE id = '" MF_P1 "'", mf_hlc(20),
		"tab-02");
	both_hold(&t, "SELECT difficulty_category FROM person WHERE id = '" MF_P1 "'",
		  "disabled,low_income");
	ck_assert_uint_eq(mf_count(t.second1, "union", "difficulty_category"), 1);
	ck_assert_uint_eq(mf_count(t.second2, "union", "difficulty_category"), 1);
	mf_assert_same_rows(t.hub1, t.hub2, s);
	two_free(&t);

	/* both remove everything: the empty set is NULL */
	two_run(&t, s, "UPDATE application SET materials_received = NULL WHERE id = '" MF_APP "'",
		mf_hlc(10), "tab-01",
		"UPDATE application SET materials_received = 'photo' WHERE id = '" MF_APP "'", mf_hlc(20),
		"tab-02");
	both_hold(&t, "SELECT materials_received FROM application WHERE id = '" MF_APP "'", "photo");
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_append_keeps_both_texts_attributed)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct two t;
	char *h1, *h2;

	two_run(&t, s, "UPDATE person SET notes = 'n0\nfrom A' WHERE id = '" MF_P1 "'", mf_hlc(10),
		"tab-01", "UPDATE person SET notes = 'n0\nfrom B' WHERE id = '" MF_P1 "'", mf_hlc(20),
		"tab-02");
	h1 = mf_text(t.hub1, "SELECT notes FROM person WHERE id = '" MF_P1 "'");
	h2 = mf_text(t.hub2, "SELECT notes FROM person WHERE id = '" MF_P1 "'");
	ck_assert_str_eq(h1, "n0\nfrom A\n[tab-02 w-0012 2024-05-06T10:00:00+08:00] from B");
	ck_assert_str_eq(h2, "n0\nfrom B\n[tab-01 w-0012 2024-05-06T10:00:00+08:00] from A");
	ck_assert_uint_eq(mf_count(t.second1, "append", "notes"), 1);
	free(h1);
	free(h2);
	two_free(&t);

	/* a device text that does not extend the base is added whole */
	two_run(&t, s, "UPDATE household SET notes = '户内四人' WHERE id = '" MF_HH "'", mf_hlc(10),
		"tab-01", "UPDATE household SET notes = '已搬迁' WHERE id = '" MF_HH "'", mf_hlc(20),
		"tab-02");
	mf_assert_text(t.hub1, "SELECT notes FROM household", "户内四人\n[tab-02 w-0012 "
		       "2024-05-06T10:00:00+08:00] 已搬迁");
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_min_and_max)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct two t;

	two_run(&t, s, "UPDATE application SET received_at = '2024-05-06T08:30:00+08:00' WHERE id = '"
		MF_APP "'", mf_hlc(20), "tab-01",
		"UPDATE application SET received_at = '2024-05-06T08:00:00+08:00' WHERE id = '" MF_APP "'",
		mf_hlc(10), "tab-02");
	both_hold(&t, "SELECT received_at FROM application", "2024-05-06T08:00:00+08:00");
	ck_assert_uint_eq(mf_count(t.second1, "min", "received_at"), 1);
	ck_assert_uint_eq(mf_count(t.second2, "min", "received_at"), 1);
	mf_assert_same_rows(t.hub1, t.hub2, s);
	two_free(&t);

	/* max on a field the base left NULL; integers compare as numbers */
	two_run(&t, s, "UPDATE complaint SET feedback_at = '2024-05-09T10:00:00+08:00'", mf_hlc(10),
		"tab-01", "UPDATE complaint SET feedback_at = '2024-05-10T09:00:00+08:00'", mf_hlc(20),
		"tab-02");
	both_hold(&t, "SELECT feedback_at FROM complaint", "2024-05-10T09:00:00+08:00");
	ck_assert_uint_eq(mf_count(t.second1, "max", "feedback_at"), 1);
	mf_assert_same_rows(t.hub1, t.hub2, s);
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_min_compares_numbers_numerically)
{
	ruhu_schema *s = mf_schema("field amount_claimed lww", "field amount_claimed min");
	struct two t;

	two_run(&t, s, "UPDATE dispute SET amount_claimed = 90000", mf_hlc(10), "tab-01",
		"UPDATE dispute SET amount_claimed = 100000", mf_hlc(20), "tab-02");
	ck_assert_int_eq(mf_int(t.hub1, "SELECT amount_claimed FROM dispute"), 90000);
	ck_assert_int_eq(mf_int(t.hub2, "SELECT amount_claimed FROM dispute"), 90000);
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_hub_device_and_review)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct two t;
	char b[64];

	/* hub: the value the hub has stays (first arrival) */
	two_run(&t, s, "UPDATE worker SET name = '李娜甲'", mf_hlc(10), "tab-01",
		"UPDATE worker SET name = '李娜乙'", mf_hlc(20), "tab-02");
	mf_assert_text(t.hub1, "SELECT name FROM worker", "李娜甲");
	mf_assert_text(t.hub2, "SELECT name FROM worker", "李娜乙");
	ck_assert_uint_eq(mf_count(t.second1, "hub", "name"), 1);
	ck_assert_uint_eq(mf_count(t.second2, "hub", "name"), 1);
	two_free(&t);

	/* device: the incoming value wins (last arrival) */
	two_run(&t, s, "UPDATE visit SET location = '甲'", mf_hlc(10), "tab-01",
		"UPDATE visit SET location = '乙'", mf_hlc(20), "tab-02");
	mf_assert_text(t.hub1, "SELECT location FROM visit", "乙");
	mf_assert_text(t.hub2, "SELECT location FROM visit", "甲");
	ck_assert_uint_eq(mf_count(t.second1, "device", "location"), 1);
	two_free(&t);

	/* review: the hub value stays; the item holds base, hub and device */
	two_run(&t, s, "UPDATE person SET birth_date = '1949-12-30' WHERE id = '" MF_P1 "'", mf_hlc(10),
		"tab-01", "UPDATE person SET birth_date = '1949-11-30' WHERE id = '" MF_P1 "'", mf_hlc(20),
		"tab-02");
	mf_assert_text(t.hub1, "SELECT birth_date FROM person WHERE id = '" MF_P1 "'", "1949-12-30");
	mf_assert_text(t.hub2, "SELECT birth_date FROM person WHERE id = '" MF_P1 "'", "1949-11-30");
	ck_assert_uint_eq(t.first1->nreviews, 0);
	ck_assert_uint_eq(t.second1->nreviews, 1);
	ck_assert_str_eq(t.second1->reviews[0].kind, "review");
	ck_assert_str_eq(t.second1->reviews[0].type, "person");
	ck_assert_str_eq(t.second1->reviews[0].id, MF_P1);
	ck_assert_str_eq(mf_val(b, sizeof(b), &t.second1->reviews[0].base), "1949-12-31");
	ck_assert_str_eq(mf_val(b, sizeof(b), &t.second1->reviews[0].hub), "1949-12-30");
	ck_assert_str_eq(mf_val(b, sizeof(b), &t.second1->reviews[0].device), "1949-11-30");
	ck_assert_str_eq(mf_val(b, sizeof(b), &t.second1->decisions[0].result), "1949-12-30");
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_different_fields_no_decision)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct two t;

	two_run(&t, s, "UPDATE person SET phone = '13800000001' WHERE id = '" MF_P1 "'", mf_hlc(10),
		"tab-01", "UPDATE person SET address = '东街 1 号', birth_date = '1949-12-01' WHERE id = '"
		MF_P1 "'", mf_hlc(20), "tab-02");
	both_hold(&t, P1_PHONE, "13800000001");
	both_hold(&t, "SELECT address || birth_date FROM person WHERE id = '" MF_P1 "'",
		  "东街 1 号1949-12-01");
	ck_assert_uint_eq(t.first1->ndecisions + t.second1->ndecisions, 0);
	ck_assert_uint_eq(t.first2->ndecisions + t.second2->ndecisions, 0);
	ck_assert_uint_eq(t.second1->applied, 1);
	mf_assert_same_rows(t.hub1, t.hub2, s);
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_same_value_on_both_sides_is_no_conflict)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct two t;

	two_run(&t, s, "UPDATE person SET birth_date = '1949-12-30' WHERE id = '" MF_P1 "'", mf_hlc(10),
		"tab-01", "UPDATE person SET birth_date = '1949-12-30' WHERE id = '" MF_P1 "'", mf_hlc(20),
		"tab-02");
	ck_assert_uint_eq(t.second1->ndecisions, 0);
	ck_assert_uint_eq(t.second1->net.size, 0);
	ck_assert_uint_eq(t.second1->applied, 0);
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

/* ---- decisions.txt ------------------------------------------------------ */

START_TEST(test_merge_decisions_text_format)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	struct two t;
	ruhu_buf txt = RUHU_BUF_INIT;
	const char *want;

	two_run(&t, s, "UPDATE person SET notes = 'n0\nA\tx\\y' WHERE id = '" MF_P1 "'", mf_hlc(10),
		"tab-01", "UPDATE person SET notes = 'B', gender = NULL WHERE id = '" MF_P1 "'", mf_hlc(20),
		"tab-02");
	rt_ok(ruhu_merge_decisions_text(&txt, t.second1));
	want = "type\tid\tfield\trule\tbase\thub\tdevice\tresult\tnote\n"
	       "person\t" MF_P1 "\tnotes\tappend\tn0\tn0\\nA\\tx\\\\y\tB\t"
	       "n0\\nA\\tx\\\\y\\n[tab-02 w-0012 2024-05-06T10:00:00+08:00] B\t"
	       "hub text, then the device's addition\n";
	ck_assert_str_eq(txt.ptr, want);
	ruhu_buf_clear(&txt);
	rt_ok(ruhu_merge_decisions_text(&txt, t.first1));
	ck_assert_str_eq(txt.ptr, "type\tid\tfield\trule\tbase\thub\tdevice\tresult\tnote\n");
	ruhu_buf_dispose(&txt);
	two_free(&t);
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_merge_decisions_text_nulls_and_rows)
{
	ruhu_schema *s = mf_schema(NULL, NULL);
	sqlite3 *base = mf_base(s), *hub = mf_clone(base);
	ruhu_buf cs = RUHU_BUF_INIT, txt = RUHU_BUF_INIT;
	ruhu_merge_result *r;

	mf_device(&cs, base, s, "UPDATE survey SET comment = NULL");
	r = mf_merge(hub, s, &cs, mf_hlc(1), "tab-01");
	rt_ok(ruhu_merge_decisions_text(&txt, r));
	ck_assert_str_eq(txt.ptr, "type\tid\tfield\trule\tbase\thub\tdevice\tresult\tnote\n"
			 "survey\t" MF_SURVEY "\t\\N\timmutable\t\\N\t\\N\t\\N\t\\N\t"
			 "survey records never change once written\n");
	ruhu_merge_result_free(r);
	ruhu_buf_dispose(&cs);
	ruhu_buf_dispose(&txt);
	sqlite3_close(base);
	sqlite3_close(hub);
	ruhu_schema_free(s);
}
END_TEST

Suite *merge_suite(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, test_merge_lww_later_hlc_wins_in_both_orders);
	tcase_add_test(tc, test_merge_lww_tie_broken_by_origin);
	tcase_add_test(tc, test_merge_order_advance_and_finals);
	tcase_add_test(tc, test_merge_union_three_way_in_both_orders);
	tcase_add_test(tc, test_merge_append_keeps_both_texts_attributed);
	tcase_add_test(tc, test_merge_min_and_max);
	tcase_add_test(tc, test_merge_min_compares_numbers_numerically);
	tcase_add_test(tc, test_merge_hub_device_and_review);
	tcase_add_test(tc, test_merge_different_fields_no_decision);
	tcase_add_test(tc, test_merge_same_value_on_both_sides_is_no_conflict);
	suite_add_tcase(s, tc);
	tc = tcase_create("text");
	tcase_add_test(tc, test_merge_decisions_text_format);
	tcase_add_test(tc, test_merge_decisions_text_nulls_and_rows);
	suite_add_tcase(s, tc);
	return s;
}
