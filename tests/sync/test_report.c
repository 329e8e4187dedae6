/*
 * test_report.c — the deadline (6.2.2) and staffing (6.1.1) reports on a hub
 * seeded through the library (sync/report_deadlines.c,
 * sync/report_staffing.c).  Expected numbers come from the seed and the
 * fixture's own calendar (report_fixture.h), never from the report.
 */
#include "report_fixture.h"

/* --- deadlines --- */

struct app {
	const char *item, *responder, *status, *received, *promised;
	char id[RUHU_ID_SIZE];
};

static struct app apps[] = {
	{ "emp.unemployment_registration", "w-01", "received", "2026-09-16T09:00:00+08:00", "2026-09-30", "" },
	{ "ss.resident_pension", "w-02", "processing", "2026-09-10T10:00:00+08:00", "2026-09-25", "" },
	{ "emp.unemployment_registration", "w-01", "accepted", "2026-09-24T09:30:00+08:00", "2026-10-09", "" },
	{ "ss.card_issuance", "w-02", "materials_pending", "2026-09-28T15:00:00+08:00", "2026-10-10", "" },
	{ "ss.resident_pension", "w-02", "received", "2026-09-29T11:00:00+08:00", "2026-10-13", "" },
	{ "ss.resident_pension", "w-02", "received", "2026-09-30T11:00:00+08:00", "2026-10-14", "" },
	{ "emp.unemployment_registration", "w-01", "completed", "2026-09-01T09:00:00+08:00", "2026-09-20", "" },
	{ "ss.card_issuance", "w-02", "rejected", "2026-09-02T09:00:00+08:00", "2026-09-21", "" },
	{ "emp.job_referral", "w-01", "received", "2026-10-08T09:00:00+08:00", NULL, "" },
	{ "ss.resident_pension", "w-01", "received", "2026-09-22T09:00:00+08:00", "2026-10-08", "" },
	{ "lab.dispute_mediation", "w-02", "referred", "2026-09-03T09:00:00+08:00", "2026-09-10", "" },
	{ "no.such_item", "w-03", "received", "2026-09-03T09:00:00+08:00", "2026-09-11", "" },
};
#define NAPPS (sizeof(apps) / sizeof(*apps))

static char person_a[RUHU_ID_SIZE], person_b[RUHU_ID_SIZE];

static void seed_applications(ruhu_replica *hub)
{
	ruhu_edit *e;

	rf_seed_calendar(hub);
	e = rf_begin(hub);
	rf_add(e, "worker", NULL, "id", "w-01", "name", "王芳", NULL);
	rf_add(e, "worker", NULL, "id", "w-02", "name", "赵磊", NULL);
	rf_add(e, "person", person_a, "name", "<script>alert(1)</script>", NULL);
	rf_add(e, "person", person_b, "name", "张伟", NULL);
	for (size_t i = 0; i < NAPPS; i++)
		rf_add(e, "application", apps[i].id, "person_id", i % 2 ? person_b : person_a, "item",
		       apps[i].item, "first_responder", apps[i].responder, "status", apps[i].status,
		       "received_at", apps[i].received, "promised_by", apps[i].promised, NULL);
	rf_commit(e);
}

static int closed(const struct app *a)
{
	return !strcmp(a->status, "completed") || !strcmp(a->status, "rejected") ||
	       !strcmp(a->status, "referred");
}

static const struct app *app_of(const char *id)
{
	for (size_t i = 0; i < NAPPS; i++)
		if (!strcmp(apps[i].id, id))
			return &apps[i];
	ck_abort_msg("the report lists an application not seeded: %s", id);
	return NULL;
}

/* Check a report against the seed for `as_of` and `within`, limited to
 * `worker` (NULL: all). */
static void check_deadlines(const ruhu_deadline_report *rep, const char *as_of, int within,
			    const char *worker)
{
	char horizon[11];
	size_t open = 0, undated = 0, overdue = 0, due = 0;

	rf_after(horizon, as_of, within);
	ck_assert_str_eq(rep->as_of, as_of);
	ck_assert_str_eq(rep->horizon, horizon);
	for (size_t i = 0; i < NAPPS; i++) {
		const struct app *a = &apps[i];

		if (closed(a) || (worker && strcmp(worker, a->responder)))
			continue;
		open++;
		if (a->promised == NULL)
			undated++;
		else if (strcmp(a->promised, as_of) < 0)
			overdue++;
		else if (strcmp(a->promised, horizon) <= 0)
			due++;
	}
	ck_assert_uint_eq(rep->open, open);
	ck_assert_uint_eq(rep->undated, undated);
	ck_assert_uint_eq(rep->overdue, overdue);
	ck_assert_uint_eq(rep->due, due);
	ck_assert_uint_eq(rep->count, overdue + due);
	for (size_t i = 0; i < rep->count; i++) {
		const ruhu_deadline *d = &rep->entries[i];
		const struct app *a = app_of(d->id);
		int late = strcmp(a->promised, as_of) < 0;

		ck_assert(!closed(a));
		ck_assert_int_eq(d->overdue, late);
		ck_assert_str_eq(d->promised_by, a->promised);
		ck_assert_str_eq(d->item, a->item);
		ck_assert_str_eq(d->first_responder, a->responder);
		ck_assert_int_eq(d->working_days, late ? rf_workdays(a->promised, as_of) :
							 rf_workdays(as_of, a->promised));
		ck_assert_int_eq(d->calendar_days, late ? rf_days(a->promised, as_of) :
							  rf_days(as_of, a->promised));
		ck_assert_str_eq(d->person_name, d->person && !strcmp(d->person, person_a) ?
				 "<script>alert(1)</script>" : "张伟");
		ck_assert_int_eq(d->item_name == NULL, !strcmp(a->item, "no.such_item"));
		ck_assert_int_eq(d->responder_name == NULL, !strcmp(a->responder, "w-03"));
		/* order: overdue first, most late first; then due, soonest first */
		if (i > 0) {
			const ruhu_deadline *p = &rep->entries[i - 1];

			ck_assert(p->overdue >= d->overdue);
			if (p->overdue && d->overdue)
				ck_assert_int_ge(p->working_days, d->working_days);
			if (!p->overdue && !d->overdue)
				ck_assert(strcmp(p->promised_by, d->promised_by) <= 0);
		}
	}
	/* the groups add up, and match a count made here */
	for (size_t g = 0; g < rep->nby_item; g++) {
		size_t gd = 0, go = 0;

		for (size_t i = 0; i < rep->count; i++)
			if (!strcmp(rep->entries[i].item, rep->by_item[g].key))
				rep->entries[i].overdue ? go++ : gd++;
		ck_assert_uint_eq(rep->by_item[g].due, gd);
		ck_assert_uint_eq(rep->by_item[g].overdue, go);
		if (g > 0)
			ck_assert(strcmp(rep->by_item[g - 1].key, rep->by_item[g].key) < 0);
	}
	{
		size_t sd = 0, so = 0;

		for (size_t g = 0; g < rep->nby_worker; g++) {
			sd += rep->by_worker[g].due;
			so += rep->by_worker[g].overdue;
		}
		ck_assert_uint_eq(sd, due);
		ck_assert_uint_eq(so, overdue);
	}
}

static ruhu_deadline_report *deadlines(ruhu_replica *r, const char *as_of, unsigned int within,
				       const char *worker)
{
	ruhu_report_opts o = RUHU_REPORT_OPTS_INIT;
	ruhu_deadline_report *rep = NULL;

	o.as_of = as_of;
	o.within = within;
	o.worker = worker;
	rt_ok(ruhu_report_deadlines(&rep, r, &o));
	check_deadlines(rep, as_of, (int)within, worker);
	return rep;
}

static const ruhu_deadline *entry_of(const ruhu_deadline_report *rep, const struct app *a)
{
	for (size_t i = 0; i < rep->count; i++)
		if (!strcmp(rep->entries[i].id, a->id))
			return &rep->entries[i];
	return NULL;
}

START_TEST(test_report_deadlines_weekends_and_holidays)
{
	ruhu_replica *hub = rf_hub();
	ruhu_deadline_report *rep;

	seed_applications(hub);
	/* Friday 9 October, after the week of holidays: the horizon of 3
	 * working days is Tuesday 13 (Saturday 10 works) */
	rep = deadlines(hub, "2026-10-09", 3, NULL);
	ck_assert_str_eq(rep->horizon, "2026-10-13");
	ck_assert_uint_eq(rep->overdue, 4);
	ck_assert_uint_eq(rep->due, 3);
	/* due Friday 25 September: Sunday 27 worked, 28-30, 8 and 9 October:
	 * six working days late over fourteen calendar days */
	ck_assert_int_eq(entry_of(rep, &apps[1])->working_days, 6);
	ck_assert_int_eq(entry_of(rep, &apps[1])->calendar_days, 14);
	/* most late first: due 11 September, sixteen working days late */
	ck_assert_ptr_eq(entry_of(rep, &apps[11]), &rep->entries[0]);
	ck_assert_int_eq(rep->entries[0].working_days, 16);
	ck_assert_ptr_eq(entry_of(rep, &apps[1]), &rep->entries[1]);
	/* due 30 September: only 8 and 9 October since */
	ck_assert_int_eq(entry_of(rep, &apps[0])->working_days, 2);
	/* due on the adjusted Saturday: one working day left */
	ck_assert_int_eq(entry_of(rep, &apps[3])->working_days, 1);
	ck_assert_int_eq(entry_of(rep, &apps[2])->working_days, 0);
	ck_assert_ptr_null(entry_of(rep, &apps[5]));
	ck_assert_uint_eq(rep->holidays, 9);
	ruhu_deadline_report_free(rep);

	/* Saturday 26 September: the Friday before is overdue by no working
	 * day yet, one calendar day */
	rep = deadlines(hub, "2026-09-26", 3, NULL);
	ck_assert_int_eq(entry_of(rep, &apps[1])->working_days, 0);
	ck_assert_int_eq(entry_of(rep, &apps[1])->calendar_days, 1);
	ck_assert_str_eq(rep->horizon, "2026-09-29");
	ck_assert_ptr_null(entry_of(rep, &apps[0]));
	ruhu_deadline_report_free(rep);
	rep = deadlines(hub, "2026-09-26", 4, NULL);
	ck_assert_int_eq(entry_of(rep, &apps[0])->working_days, 4);
	ruhu_deadline_report_free(rep);

	/* in the holidays, due today only */
	ruhu_deadline_report_free(deadlines(hub, "2026-10-03", 0, NULL));
	ruhu_deadline_report_free(deadlines(hub, "2026-10-07", 1, NULL));
	ruhu_deadline_report_free(deadlines(hub, "2027-01-04", 10, NULL));

	/* one first responder */
	rep = deadlines(hub, "2026-10-09", 3, "w-01");
	ck_assert_str_eq(rep->worker, "w-01");
	ck_assert_int_eq(rep->worker_is_holder, 0);
	ck_assert_uint_eq(rep->nby_worker, 1);
	ck_assert_str_eq(rep->by_worker[0].name, "王芳");
	ruhu_deadline_report_free(rep);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_report_deadlines_groups)
{
	ruhu_replica *hub = rf_hub();
	ruhu_deadline_report *rep;
	const ruhu_deadline_group *g;

	seed_applications(hub);
	rep = deadlines(hub, "2026-10-09", 3, NULL);
	/* items with something due or overdue, by code */
	ck_assert_uint_eq(rep->nby_item, 4);
	g = &rep->by_item[0];
	ck_assert_str_eq(g->key, "emp.unemployment_registration");
	ck_assert_str_eq(g->name, "失业登记");
	ck_assert_uint_eq(g->overdue, 1);
	ck_assert_uint_eq(g->due, 1);
	ck_assert_int_eq(g->most_late, rf_workdays("2026-09-30", "2026-10-09"));
	ck_assert_str_eq(rep->by_item[1].key, "no.such_item");
	ck_assert_ptr_null(rep->by_item[1].name);
	g = &rep->by_item[3];
	ck_assert_str_eq(g->key, "ss.resident_pension");
	ck_assert_uint_eq(g->overdue, 2);
	ck_assert_uint_eq(g->due, 1);
	ck_assert_int_eq(g->most_late, rf_workdays("2026-09-25", "2026-10-09"));
	/* responders: w-01, w-02, and w-03 without a worker record */
	ck_assert_uint_eq(rep->nby_worker, 3);
	ck_assert_str_eq(rep->by_worker[1].key, "w-02");
	ck_assert_str_eq(rep->by_worker[1].name, "赵磊");
	ck_assert_uint_eq(rep->by_worker[1].overdue, 1);
	ck_assert_uint_eq(rep->by_worker[1].due, 2);
	ck_assert_ptr_null(rep->by_worker[2].name);
	ruhu_deadline_report_free(rep);
	ruhu_replica_free(hub);
}
END_TEST

static int64_t fixed_ms;

static int64_t fixed_clock(void *payload)
{
	return fixed_ms;
}

START_TEST(test_report_deadlines_today_in_centre_zone)
{
	ruhu_replica *hub = rf_hub();
	ruhu_deadline_report *rep;

	seed_applications(hub);
	/* 2026-10-08T16:30Z is already Friday 9 October in +08:00 */
	fixed_ms = (int64_t)(rf_time("2026-10-08") - 12 * 3600 + 16 * 3600 + 30 * 60) * 1000;
	hub->clock.now_ms = fixed_clock;
	rt_ok(ruhu_report_deadlines(&rep, hub, NULL));
	check_deadlines(rep, "2026-10-09", RUHU_REPORT_WITHIN_DEFAULT, NULL);
	ruhu_deadline_report_free(rep);
	hub->clock.now_ms = NULL;
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_report_refuses_bad_options)
{
	ruhu_replica *hub = rf_hub();
	ruhu_report_opts o = RUHU_REPORT_OPTS_INIT;
	ruhu_deadline_report *rep = (void *)1;
	ruhu_replica *plain = NULL;
	ruhu_replica_options ro = rf_fast();
	char p[512];

	o.as_of = "2026-02-30";
	ck_assert_int_eq(ruhu_report_deadlines(&rep, hub, &o), RUHU_EINVALID);
	ck_assert_ptr_null(rep);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "as-of date"));
	o.as_of = NULL;
	o.within = RUHU_REPORT_WITHIN_MAX + 1;
	ck_assert_int_eq(ruhu_report_deadlines(&rep, hub, &o), RUHU_EINVALID);
	o.within = 3;
	o.version = 99;
	ck_assert_int_eq(ruhu_report_deadlines(&rep, hub, &o), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_report_opts_init(&o, 99), RUHU_EINVALID);
	rt_ok(ruhu_report_opts_init(&o, RUHU_REPORT_OPTS_VERSION));
	ck_assert_uint_eq(o.within, 3);
	/* a replica without record tables */
	rt_path(p, sizeof(p), rf_dir, "plain");
	rt_ok(ruhu_replica_create(&plain, p, "pw", 2, &ro));
	ck_assert_int_eq(ruhu_report_deadlines(&rep, plain, NULL), RUHU_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "record tables"));
	ruhu_replica_free(plain);
	ruhu_replica_free(hub);
}
END_TEST

/* --- staffing --- */

static void seed_persons(ruhu_replica *hub, int n)
{
	ruhu_edit *e = rf_begin(hub);
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < %d)"
		 " INSERT INTO person (id, name) SELECT printf('%%08x-0000-7000-8000-%%012x', i, i),"
		 " 'resident ' || i FROM k",
		 n);
	rt_ok(ruhu_edit_sql(e, sql, NULL, NULL));
	rf_commit(e);
}

static ruhu_staffing_report *staffing(ruhu_replica *r, ruhu_served served, unsigned int per)
{
	ruhu_report_opts o = RUHU_REPORT_OPTS_INIT;
	ruhu_staffing_report *rep = NULL;

	o.as_of = "2026-10-09";
	o.served = served;
	o.per = per;
	rt_ok(ruhu_report_staffing(&rep, r, &o));
	ck_assert_str_eq(rep->as_of, "2026-10-09");
	ck_assert_str_eq(rep->window_from, "2025-10-10");
	return rep;
}

START_TEST(test_report_staffing_under_the_guide)
{
	ruhu_replica *hub = rf_hub();
	ruhu_staffing_report *rep;
	ruhu_edit *e;
	int64_t residents = 20000;

	e = rf_begin(hub);
	rf_add(e, "worker", NULL, "id", "w-01", "name", "王芳", NULL);
	rf_add(e, "worker", NULL, "id", "w-02", "name", "赵磊", NULL);
	rf_add(e, "worker", NULL, "id", "w-09", "name", "钱进", "active", "0", NULL);
	rf_add(e, "worker", NULL, "id", "op-01", "name", "李娜", "role", "operator", NULL);
	rf_commit(e);
	seed_persons(hub, (int)residents);

	/* 2 caseworkers for 20,000 residents: the guide asks for
	 * ceil(20000 / 6000) = 4, and the minimum is 3 */
	rep = staffing(hub, RUHU_SERVED_REGISTERED, 0);
	ck_assert_int_eq(rep->registered, residents);
	ck_assert_int_eq(rep->residents, residents);
	ck_assert_int_eq(rep->caseworkers, 2);
	ck_assert_int_eq(rep->other_staff, 1);
	ck_assert_int_eq(rep->inactive, 1);
	ck_assert_uint_eq(rep->per, 6000);
	ck_assert_uint_eq(rep->minimum, 3);
	ck_assert_int_eq(rep->required, (residents + 5999) / 6000);
	ck_assert_int_eq(rep->shortfall, (residents + 5999) / 6000 - 2);
	ck_assert(rep->per_caseworker == (double)residents / 2);
	ck_assert_int_eq(rep->meets_ratio, 0);
	ck_assert_int_eq(rep->meets_minimum, 0);
	ck_assert_int_eq(rep->meets, 0);
	ck_assert_uint_eq(rep->nstaff, 2);
	ck_assert_str_eq(rep->staff[0].id, "w-01");
	ck_assert_str_eq(rep->staff[1].name, "赵磊");
	ruhu_staffing_report_free(rep);

	/* a guide of 10,000: the ratio is met, the minimum still not */
	rep = staffing(hub, RUHU_SERVED_REGISTERED, 10000);
	ck_assert_int_eq(rep->meets_ratio, 1);
	ck_assert_int_eq(rep->meets_minimum, 0);
	ck_assert_int_eq(rep->meets, 0);
	ck_assert_int_eq(rep->required, 3);
	ck_assert_int_eq(rep->shortfall, 1);
	ruhu_staffing_report_free(rep);

	/* a third caseworker comes back: both met at 10,000 */
	e = rf_begin(hub);
	rf_set(e, "worker", "w-09", "active", "1");
	rf_commit(e);
	rep = staffing(hub, RUHU_SERVED_REGISTERED, 10000);
	ck_assert_int_eq(rep->caseworkers, 3);
	ck_assert_int_eq(rep->meets, 1);
	ck_assert_int_eq(rep->shortfall, 0);
	ruhu_staffing_report_free(rep);
	rep = staffing(hub, RUHU_SERVED_REGISTERED, 0);
	ck_assert_int_eq(rep->meets, 0);
	ck_assert_int_eq(rep->shortfall, 1);
	ruhu_staffing_report_free(rep);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_report_staffing_residents_served_in_twelve_months)
{
	ruhu_replica *hub = rf_hub();
	ruhu_staffing_report *rep;
	ruhu_edit *e = rf_begin(hub);
	char hh[RUHU_ID_SIZE], x[RUHU_ID_SIZE], y[RUHU_ID_SIZE], z[RUHU_ID_SIZE], h1[RUHU_ID_SIZE],
		h2[RUHU_ID_SIZE], idle[RUHU_ID_SIZE];

	rf_add(e, "worker", NULL, "id", "w-01", "name", "王芳", NULL);
	rf_add(e, "worker", NULL, "id", "w-02", "name", "赵磊", NULL);
	rf_add(e, "household", hh, "address", "梅园新村 12 号", NULL);
	rf_add(e, "person", x, "name", "甲", NULL);
	rf_add(e, "person", y, "name", "乙", NULL);
	rf_add(e, "person", z, "name", "丙", NULL);
	rf_add(e, "person", h1, "name", "丁", "household_id", hh, NULL);
	rf_add(e, "person", h2, "name", "戊", "household_id", hh, NULL);
	rf_add(e, "person", idle, "name", "己", NULL);
	/* in the window (2025-10-10 .. 2026-10-09): x's application, the
	 * visit to hh (h1, h2), z's dispute on its first day; y's application
	 * the day before it */
	rf_add(e, "application", NULL, "person_id", x, "item", "emp.job_referral", "first_responder",
	       "w-01", "received_at", "2026-01-05T09:00:00+08:00", NULL);
	rf_add(e, "application", NULL, "person_id", y, "item", "emp.job_referral", "first_responder",
	       "w-02", "received_at", "2025-10-09T09:00:00+08:00", NULL);
	rf_add(e, "visit", NULL, "household_id", hh, "worker_id", "w-01", "device_id", "tab-01",
	       "purpose", "publicity", "started_at", "2026-03-01T10:00:00+08:00", NULL);
	rf_add(e, "dispute", NULL, "person_id", z, "employer_name", "某某公司", "kind", "wages",
	       "received_at", "2025-10-10T08:00:00+08:00", NULL);
	rf_commit(e);

	rep = staffing(hub, RUHU_SERVED_ACTIVE, 0);
	ck_assert_int_eq(rep->registered, 6);
	ck_assert_int_eq(rep->active, 4);
	ck_assert_int_eq(rep->residents, 4);
	ck_assert_int_eq(rep->meets_ratio, 1);
	ck_assert_int_eq(rep->meets_minimum, 0);
	/* w-01: x's application and the two residents of hh */
	ck_assert_uint_eq(rep->nstaff, 2);
	ck_assert_int_eq(rep->staff[0].residents, 3);
	ck_assert_int_eq(rep->staff[0].visits, 1);
	ck_assert_int_eq(rep->staff[0].applications, 1);
	ck_assert_int_eq(rep->staff[1].residents, 0);
	ruhu_staffing_report_free(rep);
	rep = staffing(hub, RUHU_SERVED_REGISTERED, 0);
	ck_assert_int_eq(rep->residents, 6);
	ck_assert_int_eq(rep->active, 4);
	ruhu_staffing_report_free(rep);
	ruhu_replica_free(hub);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("deadlines");

	tcase_add_checked_fixture(tc, rf_setup, rf_teardown);
	tcase_add_test(tc, test_report_deadlines_weekends_and_holidays);
	tcase_add_test(tc, test_report_deadlines_groups);
	tcase_add_test(tc, test_report_deadlines_today_in_centre_zone);
	tcase_add_test(tc, test_report_refuses_bad_options);
	suite_add_tcase(s, tc);
	tc = tcase_create("staffing");
	tcase_add_checked_fixture(tc, rf_setup, rf_teardown);
	tcase_add_test(tc, test_report_staffing_under_the_guide);
	tcase_add_test(tc, test_report_staffing_residents_served_in_twelve_months);
	suite_add_tcase(s, tc);
	return s;
}
