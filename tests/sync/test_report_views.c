/*
 * test_report_views.c — satisfaction (7.2.1) and complaints (7.1.3), the
 * operator's overview on a hub with enrolled tablets, a review item and a
 * revocation, and the deadline report on a tablet for the caseworker who
 * holds it (sync/report_satisfaction.c, sync/report_complaints.c,
 * sync/report_overview.c).
 */
#include "report_fixture.h"

/* --- the seed: visits, applications, surveys, complaints --- */

static char hh[RUHU_ID_SIZE], pa[RUHU_ID_SIZE], pb[RUHU_ID_SIZE];
static char v1[RUHU_ID_SIZE], v2[RUHU_ID_SIZE];
static char p1[RUHU_ID_SIZE], p2[RUHU_ID_SIZE], p3[RUHU_ID_SIZE];

/* Each survey with the keys it must fall under (NULL: no key). */
struct survey {
	const char *visit, *app;     /* ids, set by seed() */
	int score;
	const char *item, *worker, *month;
};

static struct survey surveys[8];
#define NSURVEYS (sizeof(surveys) / sizeof(*surveys))
static const char ghost[] = "01890a5d-ac96-774b-bcce-b30209900099"; /* no such application */

static void set_survey(size_t i, const char *visit, const char *app, int score, const char *item,
		       const char *worker, const char *month)
{
	struct survey s = { visit, app, score, item, worker, month };

	surveys[i] = s;
}

struct complaint {
	const char *status, *received, *response, *feedback;
	int open, no_feedback;
	char id[RUHU_ID_SIZE];
};

static struct complaint complaints[] = {
	{ "received", "2026-09-20T09:00:00+08:00", NULL, NULL, 1, 0, "" },
	{ "handling", "2026-08-01T09:00:00+08:00", "正在核实", NULL, 1, 0, "" },
	{ "closed", "2026-07-01T09:00:00+08:00", "已答复并整改", "2026-07-05T10:00:00+08:00", 0, 0, "" },
	{ "closed", "2026-07-02T09:00:00+08:00", "已处理", NULL, 0, 1, "" },
	{ "closed", "2026-07-03T09:00:00+08:00", NULL, "2026-07-06T10:00:00+08:00", 0, 1, "" },
	{ "responded", "2026-09-01T09:00:00+08:00", "已电话答复", "2026-09-02T10:00:00+08:00", 1, 0, "" },
	{ "closed", "2026-06-30T09:00:00+08:00", " \t\u3000", "2026-07-01T10:00:00+08:00", 0, 1, "" },
};
#define NCOMPLAINTS (sizeof(complaints) / sizeof(*complaints))

/* Records of the seed (workers come from enrolment or are added here). */
static void seed(ruhu_replica *hub, int add_workers)
{
	ruhu_edit *e;

	rf_seed_calendar(hub);
	e = rf_begin(hub);
	if (add_workers) {
		rf_add(e, "worker", NULL, "id", "w-01", "name", "王芳", NULL);
		rf_add(e, "worker", NULL, "id", "w-02", "name", "赵磊", NULL);
	}
	rf_add(e, "household", hh, "address", "梅园新村 12 号", NULL);
	rf_add(e, "person", pa, "name", "<script>alert(1)</script>", "household_id", hh, NULL);
	rf_add(e, "person", pb, "name", "张伟", "household_id", hh, NULL);
	rf_add(e, "visit", v1, "household_id", hh, "worker_id", "w-02", "device_id", "tab-02",
	       "purpose", "intake", "started_at", "2026-09-03T10:00:00+08:00", NULL);
	rf_add(e, "visit", v2, "household_id", hh, "worker_id", "w-01", "device_id", "tab-01",
	       "purpose", "publicity", "started_at", "2026-08-20T10:00:00+08:00", NULL);
	rf_add(e, "application", p1, "person_id", pa, "item", "emp.unemployment_registration",
	       "first_responder", "w-01", "received_at", "2026-08-12T09:00:00+08:00", "promised_by",
	       "2026-10-08", NULL);
	rf_add(e, "application", p2, "person_id", pb, "item", "ss.resident_pension",
	       "first_responder", "w-02", "received_at", "2026-09-15T09:00:00+08:00", "promised_by",
	       "2026-10-12", NULL);
	rf_add(e, "application", p3, "person_id", pb, "item", "emp.unemployment_registration",
	       "first_responder", "w-01", "received_at", "2026-09-28T09:00:00+08:00", "promised_by",
	       "2026-09-30", NULL);
	set_survey(0, NULL, p1, 5, "emp.unemployment_registration", "w-01", "2026-08");
	set_survey(1, NULL, p3, 3, "emp.unemployment_registration", "w-01", "2026-09");
	set_survey(2, NULL, p2, 4, "ss.resident_pension", "w-02", "2026-09");
	set_survey(3, v1, NULL, 2, NULL, "w-02", "2026-09");
	set_survey(4, v1, p1, 4, "emp.unemployment_registration", "w-02", "2026-09");
	set_survey(5, NULL, p2, 1, "ss.resident_pension", "w-02", "2026-09");
	set_survey(6, v2, NULL, 5, NULL, "w-01", "2026-08");
	set_survey(7, NULL, ghost, 3, NULL, NULL, NULL);
	for (size_t i = 0; i < NSURVEYS; i++) {
		char score[2] = { (char)('0' + surveys[i].score), 0 };

		rf_add(e, "survey", NULL, "visit_id", surveys[i].visit, "application_id", surveys[i].app,
		       "score", score, NULL);
	}
	for (size_t i = 0; i < NCOMPLAINTS; i++)
		rf_add(e, "complaint", complaints[i].id, "person_id", i == 1 ? NULL : pa, "channel",
		       "phone", "subject", i == 0 ? "<b>态度</b> & \"办理慢\"" : "办理慢", "received_at",
		       complaints[i].received, "status", complaints[i].status, "response",
		       complaints[i].response, "feedback_at", complaints[i].feedback, NULL);
	rf_commit(e);
}

/* --- satisfaction --- */

static const char *key_of(const struct survey *s, ruhu_report_by by)
{
	return by == RUHU_BY_ITEM ? s->item : by == RUHU_BY_WORKER ? s->worker : s->month;
}

static int same_key(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && !strcmp(a, b);
}

static void check_group(const ruhu_satisfaction_group *g, ruhu_report_by by, int all)
{
	int64_t count = 0, sum = 0, scores[5] = { 0 };

	for (size_t i = 0; i < NSURVEYS; i++) {
		if (!all && !same_key(key_of(&surveys[i], by), g->key))
			continue;
		count++;
		sum += surveys[i].score;
		scores[surveys[i].score - 1]++;
	}
	ck_assert_int_eq(g->count, count);
	ck_assert_int_eq(g->sum, sum);
	for (int k = 0; k < 5; k++)
		ck_assert_int_eq(g->scores[k], scores[k]);
	ck_assert(g->mean == (double)sum / (double)count);
	ck_assert_int_eq(g->satisfied, scores[3] + scores[4]);
}

START_TEST(test_report_satisfaction_means_and_distributions)
{
	ruhu_replica *hub = rf_hub();
	ruhu_report_opts o = RUHU_REPORT_OPTS_INIT;
	const ruhu_report_by bys[] = { RUHU_BY_ITEM, RUHU_BY_WORKER, RUHU_BY_MONTH };
	const size_t ngroups[] = { 3, 3, 3 };

	seed(hub, 1);
	for (size_t b = 0; b < 3; b++) {
		ruhu_satisfaction_report *rep = NULL;

		o.by = bys[b];
		rt_ok(ruhu_report_satisfaction(&rep, hub, &o));
		ck_assert_int_eq(rep->by, bys[b]);
		check_group(&rep->total, bys[b], 1);
		ck_assert_uint_eq(rep->ngroups, ngroups[b]);
		for (size_t g = 0; g < rep->ngroups; g++) {
			check_group(&rep->groups[g], bys[b], 0);
			/* by key, the group without a key last */
			if (g + 1 < rep->ngroups && rep->groups[g + 1].key)
				ck_assert(strcmp(rep->groups[g].key, rep->groups[g + 1].key) < 0);
		}
		ck_assert_ptr_null(rep->groups[rep->ngroups - 1].key);
		ruhu_satisfaction_report_free(rep);
	}
	/* by hand: all eight are 5 3 4 2 4 1 5 3, mean 27/8; the item
	 * 失业登记 has 5, 3 and 4; w-02 has 4, 2, 4 and 1 */
	{
		ruhu_satisfaction_report *rep = NULL;

		o.by = RUHU_BY_ITEM;
		rt_ok(ruhu_report_satisfaction(&rep, hub, &o));
		ck_assert(rep->total.mean == 3.375);
		ck_assert_str_eq(rep->groups[0].key, "emp.unemployment_registration");
		ck_assert_str_eq(rep->groups[0].name, "失业登记");
		ck_assert(rep->groups[0].mean == 4.0);
		ruhu_satisfaction_report_free(rep);
		o.by = RUHU_BY_WORKER;
		rt_ok(ruhu_report_satisfaction(&rep, hub, &o));
		ck_assert_str_eq(rep->groups[1].key, "w-02");
		ck_assert_str_eq(rep->groups[1].name, "赵磊");
		ck_assert(rep->groups[1].mean == 2.75);
		ruhu_satisfaction_report_free(rep);
	}
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_report_satisfaction_none)
{
	ruhu_replica *hub = rf_hub();
	ruhu_satisfaction_report *rep = NULL;

	rt_ok(ruhu_report_satisfaction(&rep, hub, NULL));
	ck_assert_int_eq(rep->total.count, 0);
	ck_assert(rep->total.mean == 0);
	ck_assert_uint_eq(rep->ngroups, 0);
	ruhu_satisfaction_report_free(rep);
	ruhu_replica_free(hub);
}
END_TEST

/* --- complaints --- */

START_TEST(test_report_complaints_without_feedback)
{
	ruhu_replica *hub = rf_hub();
	ruhu_report_opts o = RUHU_REPORT_OPTS_INIT;
	ruhu_complaint_report *rep = NULL;
	int64_t open = 0, nofb = 0;
	const char *states[] = { "received", "handling", "responded", "closed" };

	seed(hub, 1);
	o.as_of = "2026-10-09";
	rt_ok(ruhu_report_complaints(&rep, hub, &o));
	for (size_t i = 0; i < NCOMPLAINTS; i++) {
		open += complaints[i].open;
		nofb += complaints[i].no_feedback;
	}
	ck_assert_int_eq(rep->total, (int64_t)NCOMPLAINTS);
	ck_assert_int_eq(rep->open, open);
	ck_assert_int_eq(rep->closed, (int64_t)NCOMPLAINTS - open);
	ck_assert_int_eq(rep->closed_no_feedback, nofb);
	ck_assert_uint_eq(rep->nopen, (size_t)open);
	ck_assert_uint_eq(rep->nno_feedback, (size_t)nofb);
	ck_assert_uint_eq(rep->nby_status, 4);
	for (size_t s = 0; s < 4; s++) {
		int64_t n = 0;

		for (size_t i = 0; i < NCOMPLAINTS; i++)
			n += !strcmp(complaints[i].status, states[s]);
		ck_assert_str_eq(rep->by_status[s].status, states[s]);
		ck_assert_int_eq(rep->by_status[s].count, n);
	}
	for (size_t k = 0; k < rep->nopen + rep->nno_feedback; k++) {
		const ruhu_complaint_entry *c = k < rep->nopen ? &rep->open_list[k] :
								 &rep->no_feedback[k - rep->nopen];
		const struct complaint *want = NULL;

		for (size_t i = 0; i < NCOMPLAINTS; i++)
			if (!strcmp(complaints[i].id, c->id))
				want = &complaints[i];
		ck_assert_ptr_nonnull(want);
		ck_assert_int_eq(want->open, k < rep->nopen);
		ck_assert_int_eq(want->no_feedback, k >= rep->nopen);
		ck_assert_int_eq(c->days, rf_days(want->received, "2026-10-09"));
		ck_assert_str_eq(c->received, want->received);
		/* oldest first */
		if (k > 0 && k != rep->nopen)
			ck_assert(strcmp(c[-1].received, c->received) <= 0);
	}
	/* the anonymous one, and the record text as it was written */
	ck_assert_ptr_null(rep->open_list[0].person);
	ck_assert_ptr_null(rep->open_list[0].person_name);
	ck_assert_str_eq(rep->open_list[2].subject, "<b>态度</b> & \"办理慢\"");
	ck_assert_str_eq(rep->open_list[2].person_name, "<script>alert(1)</script>");
	/* a blank response is no response */
	ck_assert_ptr_null(rep->no_feedback[0].response);
	ck_assert_str_eq(rep->no_feedback[0].id, complaints[6].id);
	ruhu_complaint_report_free(rep);
	ruhu_replica_free(hub);
}
END_TEST

/* --- the overview, with tablets --- */

static ruhu_replica *tablet(ruhu_replica *hub, const char *id, const char *worker,
			    const char *name)
{
	ruhu_replica_options o = rf_fast();
	ruhu_replica *d = NULL;
	ruhu_buf req = RUHU_BUF_INIT, reply = RUHU_BUF_INIT;
	ruhu_pull_report rep;
	char p[512], keyid[17];

	rt_path(p, sizeof(p), rf_dir, id);
	rt_ok(ruhu_device_init(&d, p, id, "pw", 2, &o));
	rt_ok(ruhu_enrol_request(&req, d));
	rt_ok(ruhu_hub_enrol(&reply, hub, req.ptr, req.size, worker, name));
	rt_ok(ruhu_join(&rep, keyid, d, reply.ptr, reply.size));
	ruhu_buf_dispose(&req);
	ruhu_buf_dispose(&reply);
	return d;
}

static void sync_once(ruhu_replica *hub, ruhu_replica *d, const char *id)
{
	ruhu_buf b = RUHU_BUF_INIT, r = RUHU_BUF_INIT;
	ruhu_ingest_report ir;
	ruhu_pull_report pr;

	rt_ok(ruhu_push(&b, NULL, d));
	rt_ok(ruhu_hub_ingest(&ir, hub, b.ptr, b.size, NULL));
	ruhu_ingest_report_dispose(&ir);
	rt_ok(ruhu_hub_reply(&r, hub, id));
	rt_ok(ruhu_pull(&pr, d, r.ptr, r.size));
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&r);
}

static void set_id_number(ruhu_replica *r, const char *person, const char *value)
{
	ruhu_edit *e = rf_begin(r);

	rf_set(e, "person", person, "id_number", value);
	rf_commit(e);
}

START_TEST(test_report_overview_on_a_hub)
{
	ruhu_replica *hub = rf_hub();
	ruhu_replica *a = tablet(hub, "tab-01", "w-01", "王芳");
	ruhu_replica *b = tablet(hub, "tab-02", "w-02", "赵磊");
	ruhu_report_opts o = RUHU_REPORT_OPTS_INIT;
	ruhu_overview *ov = NULL;
	ruhu_deadline_report *dl = NULL;

	seed(hub, 0);
	sync_once(hub, a, "tab-01");
	sync_once(hub, b, "tab-02");
	/* both tablets change an identity number: one review item */
	set_id_number(a, pb, "110105194912310038");
	set_id_number(b, pb, "110105194912310046");
	sync_once(hub, a, "tab-01");
	sync_once(hub, b, "tab-02");
	rt_ok(ruhu_hub_revoke(hub, "tab-02", "lost on a visit"));

	o.as_of = "2026-10-09";
	o.by = RUHU_BY_MONTH; /* ignored: the page is by item */
	rt_ok(ruhu_report_overview(&ov, hub, &o));
	ck_assert_str_eq(ov->role, "hub");
	ck_assert_int_eq(ov->is_hub, 1);
	ck_assert_str_eq(ov->self, "hub-320102");
	ck_assert_str_eq(ov->centre, "320102");
	ck_assert_str_eq(ov->centre_name, "梅园新村街道人社服务中心");
	ck_assert_str_eq(ov->as_of, "2026-10-09");
	ck_assert_int_eq(ov->tz_minutes, 480);
	ck_assert_uint_eq(ov->ndevices, 2);
	ck_assert_str_eq(ov->devices[0].id, "tab-01");
	ck_assert_str_eq(ov->devices[0].worker, "w-01");
	ck_assert_str_eq(ov->devices[0].worker_name, "王芳");
	ck_assert_int_eq(ov->devices[0].last_seq, 1);
	ck_assert_int_gt(ov->devices[0].last_bundle_ms, 0);
	ck_assert_int_eq(ov->devices[0].revoked_ms, 0);
	ck_assert_ptr_null(ov->devices[0].reason);
	ck_assert_int_gt(ov->devices[1].revoked_ms, 0);
	ck_assert_str_eq(ov->devices[1].reason, "lost on a visit");
	ck_assert_uint_eq(ov->devices[1].waiting, 0);
	ck_assert_uint_eq(ov->revoked_devices, 1);
	ck_assert_uint_eq(ov->waiting_bundles, 0);
	ck_assert_int_eq(ov->review_open, 1);
	ck_assert_uint_eq(ov->nreviews, 1);
	ck_assert_str_eq(ov->reviews[0].kind, "review");
	ck_assert_int_eq(ov->reviews[0].count, 1);
	ck_assert_int_gt(ov->reviews[0].oldest_ms, 0);
	/* the sections are the reports, at the same date */
	ck_assert_int_eq(ov->satisfaction->by, RUHU_BY_ITEM);
	ck_assert_int_eq(ov->satisfaction->total.count, (int64_t)NSURVEYS);
	ck_assert_int_eq(ov->complaints->closed_no_feedback, 3);
	ck_assert_str_eq(ov->complaints->as_of, "2026-10-09");
	ck_assert_int_eq(ov->staffing->caseworkers, 2);
	ck_assert_int_eq(ov->staffing->registered, 2);
	rt_ok(ruhu_report_deadlines(&dl, hub, &o));
	ck_assert_uint_eq(ov->deadlines->count, dl->count);
	ck_assert_uint_eq(ov->deadlines->overdue, 2);
	ck_assert_uint_eq(ov->deadlines->due, 1);
	ck_assert_ptr_null(ov->deadlines->worker);
	ruhu_deadline_report_free(dl);
	ruhu_overview_free(ov);

	/* on the tablet of w-01: only w-01's applications, and no devices */
	rt_ok(ruhu_report_deadlines(&dl, a, &o));
	ck_assert_str_eq(dl->worker, "w-01");
	ck_assert_int_eq(dl->worker_is_holder, 1);
	ck_assert_uint_eq(dl->overdue, 2);
	ck_assert_uint_eq(dl->due, 0);
	ck_assert_int_eq(dl->entries[0].working_days, rf_workdays("2026-09-30", "2026-10-09"));
	ruhu_deadline_report_free(dl);
	o.all_workers = 1;
	rt_ok(ruhu_report_deadlines(&dl, a, &o));
	ck_assert_ptr_null(dl->worker);
	ck_assert_uint_eq(dl->due, 1);
	ruhu_deadline_report_free(dl);
	rt_ok(ruhu_report_overview(&ov, a, &o));
	ck_assert_int_eq(ov->is_hub, 0);
	ck_assert_str_eq(ov->role, "device");
	ck_assert_uint_eq(ov->ndevices, 0);
	ruhu_overview_free(ov);

	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
}
END_TEST

Suite *report_views_suite(void)
{
	Suite *s = suite_create("report_views");
	TCase *tc = tcase_create("satisfaction");

	tcase_add_checked_fixture(tc, rf_setup, rf_teardown);
	tcase_add_test(tc, test_report_satisfaction_means_and_distributions);
	tcase_add_test(tc, test_report_satisfaction_none);
	suite_add_tcase(s, tc);
	tc = tcase_create("complaints");
	tcase_add_checked_fixture(tc, rf_setup, rf_teardown);
	tcase_add_test(tc, test_report_complaints_without_feedback);
	suite_add_tcase(s, tc);
	tc = tcase_create("overview");
	tcase_add_checked_fixture(tc, rf_setup, rf_teardown);
	tcase_add_test(tc, test_report_overview_on_a_hub);
	suite_add_tcase(s, tc);
	return s;
}
