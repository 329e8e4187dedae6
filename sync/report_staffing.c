/*
 * report_staffing.c — residents served per active caseworker against the
 * staffing guide of clause 6.1.1 人员配备: about one staff member per 6,000
 * residents served, and at least three full-time staff.
 *
 * Design notes
 *  1. Residents served (ruhu_served): every `person` record (registered,
 *     the default: the centre's register of the people it serves), or the
 *     persons with a service in the 12 months up to as_of (active): an
 *     application or a labour dispute received, or a visit to their
 *     household started, in the window.  Both numbers are always given;
 *     `served` picks the one the guide is judged on.
 *  2. Active caseworker: a `worker` row with role caseworker and active = 1.
 *     The worker record has no full-time flag, so the minimum of full-time
 *     staff is judged on the active caseworkers too; operators, supervisors
 *     and auditors are counted apart (`other_staff`) and never in the
 *     ratio.
 *  3. The guide is met when caseworkers * per >= residents (with at least
 *     one caseworker once there is any resident) and caseworkers >=
 *     minimum.  required = max(minimum, ceil(residents / per)).
 *  4. The window: from the day after as_of minus 12 months (SQLite's date
 *     arithmetic) up to and including as_of, by the date part of each
 *     record's time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/meta.h"
#include "sync/report.h"

static const char active_sql[] =
	"SELECT count(*) FROM person p WHERE"
	" EXISTS (SELECT 1 FROM application a WHERE a.person_id = p.id"
	"   AND substr(a.received_at, 1, 10) BETWEEN ?1 AND ?2)"
	" OR EXISTS (SELECT 1 FROM dispute d WHERE d.person_id = p.id"
	"   AND substr(d.received_at, 1, 10) BETWEEN ?1 AND ?2)"
	" OR (p.household_id IS NOT NULL AND EXISTS (SELECT 1 FROM visit v"
	"   WHERE v.household_id = p.household_id"
	"   AND substr(v.started_at, 1, 10) BETWEEN ?1 AND ?2))";

/* One row per active caseworker: id, name, visits, applications, distinct
 * residents of both, in the window ?1..?2. */
static const char staff_sql[] =
	"SELECT w.id, w.name,"
	" (SELECT count(*) FROM visit v WHERE v.worker_id = w.id"
	"   AND substr(v.started_at, 1, 10) BETWEEN ?1 AND ?2),"
	" (SELECT count(*) FROM application a WHERE a.first_responder = w.id"
	"   AND substr(a.received_at, 1, 10) BETWEEN ?1 AND ?2),"
	" (SELECT count(*) FROM ("
	"   SELECT a.person_id FROM application a WHERE a.first_responder = w.id"
	"     AND substr(a.received_at, 1, 10) BETWEEN ?1 AND ?2"
	"   UNION SELECT p.id FROM visit v JOIN person p ON p.household_id = v.household_id"
	"     WHERE v.worker_id = w.id AND substr(v.started_at, 1, 10) BETWEEN ?1 AND ?2))"
	" FROM worker w WHERE w.role = 'caseworker' AND w.active = 1 ORDER BY w.id";

struct collect {
	ruhu_staffing_report *rep;
	size_t cap;
};

static int take_staff(sqlite3_stmt *st, void *payload)
{
	struct collect *c = payload;
	ruhu_staffing_report *rep = c->rep;
	ruhu_staff_member *m;
	int error;

	if ((error = report_grow((void **)&rep->staff, &c->cap, rep->nstaff, sizeof(*m))) < 0)
		return error;
	m = &rep->staff[rep->nstaff];
	memset(m, 0, sizeof(*m));
	if ((error = report_column(&m->id, rep->pool, st, 0)) < 0 ||
	    (error = report_column(&m->name, rep->pool, st, 1)) < 0)
		return error;
	m->visits = sqlite3_column_int64(st, 2);
	m->applications = sqlite3_column_int64(st, 3);
	m->residents = sqlite3_column_int64(st, 4);
	rep->nstaff++;
	return 0;
}

static int window_from(char out[RUHU_DATE_SIZE], sqlite3 *db, const char *as_of)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *t;
	int rc, error = 0;

	if ((rc = sqlite3_prepare_v2(db, "SELECT date(?1, '-12 months', '+1 day')", -1, &st, NULL)) !=
	    SQLITE_OK)
		return ruhu_sql_error(db, rc, "count the 12 months before the as-of date");
	sqlite3_bind_text(st, 1, as_of, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW || (t = sqlite3_column_text(st, 0)) == NULL ||
	    strlen((const char *)t) != 10)
		error = ruhu_error_set(RUHU_EINVALID, "cannot count 12 months back from %s", as_of);
	else
		memcpy(out, t, RUHU_DATE_SIZE);
	sqlite3_finalize(st);
	return error;
}

/* Judge the numbers against the guide (design note 3). */
static void judge(ruhu_staffing_report *rep)
{
	int64_t by_ratio;

	rep->residents = rep->served == RUHU_SERVED_ACTIVE ? rep->active : rep->registered;
	by_ratio = (rep->residents + (int64_t)rep->per - 1) / (int64_t)rep->per;
	rep->required = by_ratio > (int64_t)rep->minimum ? by_ratio : (int64_t)rep->minimum;
	rep->shortfall = rep->required > rep->caseworkers ? rep->required - rep->caseworkers : 0;
	rep->per_caseworker = rep->caseworkers ? (double)rep->residents / (double)rep->caseworkers : 0;
	rep->meets_ratio = rep->caseworkers >= by_ratio;
	rep->meets_minimum = rep->caseworkers >= (int64_t)rep->minimum;
	rep->meets = rep->meets_ratio && rep->meets_minimum;
}

int ruhu_report_staffing(ruhu_staffing_report **out, ruhu_replica *r,
			 const ruhu_report_opts *in)
{
	ruhu_report_opts opts;
	ruhu_staffing_report *rep = NULL;
	const ruhu_schema *schema;
	struct collect c = { 0 };
	sqlite3 *db;
	int began = 0, error;

	if (out == NULL || r == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no replica to report on");
	*out = NULL;
	db = ruhu_replica_db(r);
	if ((error = report_opts(&opts, in)) < 0 || (error = report_schema(&schema, r)) < 0)
		return error;
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return ruhu_error_oom();
	rep->served = opts.served;
	rep->per = opts.per;
	rep->minimum = opts.minimum;
	c.rep = rep;
	if ((error = report_pool_new(&rep->pool)) < 0 || (error = report_read_begin(db, &began)) < 0 ||
	    (error = report_as_of(rep->as_of, r, &opts)) < 0 ||
	    (error = window_from(rep->window_from, db, rep->as_of)) < 0)
		goto done;
	{
		const char *const win[] = { rep->window_from, rep->as_of };

		if ((error = report_count(&rep->registered, db, "SELECT count(*) FROM person", NULL, 0,
					  "count the residents")) < 0 ||
		    (error = report_count(&rep->active, db, active_sql, win, 2,
					  "count the residents served")) < 0 ||
		    (error = report_count(&rep->caseworkers, db,
					  "SELECT count(*) FROM worker WHERE role = 'caseworker' AND active = 1",
					  NULL, 0, "count the caseworkers")) < 0 ||
		    (error = report_count(&rep->other_staff, db,
					  "SELECT count(*) FROM worker WHERE role <> 'caseworker' AND active = 1",
					  NULL, 0, "count the staff")) < 0 ||
		    (error = report_count(&rep->inactive, db,
					  "SELECT count(*) FROM worker WHERE active = 0", NULL, 0,
					  "count the staff")) < 0 ||
		    (error = report_each(db, staff_sql, win, 2, take_staff, &c,
					 "read the caseworkers' work")) < 0)
			goto done;
	}
	judge(rep);
done:
	report_read_end(db, began);
	if (error < 0)
		ruhu_staffing_report_free(rep);
	else
		*out = rep;
	return error;
}

void ruhu_staffing_report_free(ruhu_staffing_report *rep)
{
	if (rep == NULL)
		return;
	free(rep->staff);
	report_pool_free(rep->pool);
	free(rep);
}
