/*
 * report_deadlines.c — applications due and overdue (clause 6.2.2 限时办结:
 * finish within the promised time), by item and by first responder.
 *
 * Design notes
 *  1. In scope: applications that are not closed (ruhu/report.h, note 4),
 *     of one first responder or of all.  On a tablet the default scope is
 *     the caseworker holding it; on a hub, everyone.
 *  2. Overdue: promised_by is before as_of.  Due: promised_by is as_of or
 *     later, up to the horizon, the `within`-th working day after as_of
 *     (ruhu_calendar_promised_date: the same counting as the promise
 *     itself).  Open applications without a promised date are counted as
 *     `undated` and listed nowhere else.
 *  3. Days late are working days of the centre's calendar after promised_by
 *     up to and including as_of: due Friday, seen Monday, is 1 working day
 *     late; seen Saturday it is overdue by 0 working days (and 1 calendar
 *     day).  Days left are working days after as_of up to and including
 *     promised_by: 0 means due today.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/meta.h"
#include "schema/schema_db.h"
#include "sync/report.h"

struct collect {
	ruhu_deadline_report *rep;
	const ruhu_catalogue *cat;
	const ruhu_order *status;
	long as_of, horizon, first;  /* first: the earliest promised day listed */
	size_t cap;
};

static int take_row(sqlite3_stmt *st, void *payload)
{
	struct collect *c = payload;
	ruhu_deadline_report *rep = c->rep;
	ruhu_deadline *d;
	const char *status = (const char *)sqlite3_column_text(st, 6);
	long day;
	int error;

	if (report_is_closed(c->status, status))
		return 0;
	rep->open++;
	if (sqlite3_column_type(st, 8) == SQLITE_NULL) {
		rep->undated++;
		return 0;
	}
	if ((error = report_day(&day, (const char *)sqlite3_column_text(st, 8))) < 0)
		return error;
	if (day > c->horizon)
		return 0;
	if ((error = report_grow((void **)&rep->entries, &c->cap, rep->count, sizeof(*d))) < 0)
		return error;
	d = &rep->entries[rep->count];
	memset(d, 0, sizeof(*d));
	if ((error = report_column(&d->id, rep->pool, st, 0)) < 0 ||
	    (error = report_column(&d->item, rep->pool, st, 1)) < 0 ||
	    (error = report_strdup(&d->item_name, rep->pool, report_item_name(c->cat, d->item))) < 0 ||
	    (error = report_column(&d->person, rep->pool, st, 2)) < 0 ||
	    (error = report_column(&d->person_name, rep->pool, st, 3)) < 0 ||
	    (error = report_column(&d->first_responder, rep->pool, st, 4)) < 0 ||
	    (error = report_column(&d->responder_name, rep->pool, st, 5)) < 0 ||
	    (error = report_column(&d->status, rep->pool, st, 6)) < 0 ||
	    (error = report_column(&d->received, rep->pool, st, 7)) < 0 ||
	    (error = report_column(&d->promised_by, rep->pool, st, 8)) < 0)
		return error;
	rep->count++;
	d->overdue = day < c->as_of;
	d->calendar_days = (int)(d->overdue ? c->as_of - day : day - c->as_of);
	if (d->overdue)
		rep->overdue++;
	else
		rep->due++;
	if (day < c->first)
		c->first = day;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const ruhu_deadline *x = a, *y = b;
	int c;

	if (x->overdue != y->overdue)
		return x->overdue ? -1 : 1;
	if (x->overdue && x->working_days != y->working_days)
		return x->working_days > y->working_days ? -1 : 1;
	if ((c = strcmp(x->promised_by, y->promised_by)) != 0)
		return c;
	return strcmp(x->id, y->id);
}

static int cmp_group(const void *a, const void *b)
{
	const ruhu_deadline_group *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* Count `d` into the group of `key` (made when new). */
static int add_to(ruhu_deadline_group **groups, size_t *n, size_t *cap, const char *key,
		  const char *name, const ruhu_deadline *d)
{
	ruhu_deadline_group *g = NULL;
	int error;

	for (size_t i = 0; i < *n && g == NULL; i++)
		if (!strcmp((*groups)[i].key, key))
			g = &(*groups)[i];
	if (g == NULL) {
		if ((error = report_grow((void **)groups, cap, *n, sizeof(**groups))) < 0)
			return error;
		g = &(*groups)[(*n)++];
		memset(g, 0, sizeof(*g));
		g->key = key;
		g->name = name;
	}
	if (d->overdue) {
		g->overdue++;
		if (d->working_days > g->most_late)
			g->most_late = d->working_days;
	} else {
		g->due++;
	}
	return 0;
}

/* The worker the report is limited to (design note 1). */
static int scope(ruhu_deadline_report *rep, sqlite3 *db, const ruhu_report_opts *opts)
{
	ruhu_buf role = RUHU_BUF_INIT, worker = RUHU_BUF_INIT;
	int error = 0;

	if (opts->worker) {
		error = report_strdup(&rep->worker, rep->pool, opts->worker);
		goto done;
	}
	if (opts->all_workers)
		goto done;
	if ((error = ruhu_meta_get(&role, db, "role")) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
		goto done;
	}
	if (error < 0 || strcmp(role.ptr, "device") != 0)
		goto done;
	if ((error = ruhu_meta_get(&worker, db, "worker")) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
		goto done;
	}
	if (error == 0 && (error = report_strdup(&rep->worker, rep->pool, worker.ptr)) == 0)
		rep->worker_is_holder = 1;
done:
	ruhu_buf_dispose(&role);
	ruhu_buf_dispose(&worker);
	return error;
}

static const char deadlines_sql[] =
	"SELECT a.id, a.item, a.person_id, p.name, a.first_responder, w.name, a.status,"
	" substr(a.received_at, 1, 10), a.promised_by"
	" FROM application a LEFT JOIN person p ON p.id = a.person_id"
	" LEFT JOIN worker w ON w.id = a.first_responder"
	" WHERE ?1 IS NULL OR a.first_responder = ?1"
	" ORDER BY a.promised_by, a.id";

int ruhu_report_deadlines(ruhu_deadline_report **out, ruhu_replica *r,
			  const ruhu_report_opts *in)
{
	ruhu_report_opts opts;
	ruhu_deadline_report *rep = NULL;
	const ruhu_schema *schema;
	ruhu_catalogue *cat = NULL;
	ruhu_calendar *cal = NULL;
	struct report_workdays wd = { 0 };
	struct collect c = { 0 };
	sqlite3 *db;
	size_t cap_item = 0, cap_worker = 0;
	int64_t holidays = 0;
	int began = 0, error;

	if (out == NULL || r == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no replica to report on");
	*out = NULL;
	db = ruhu_replica_db(r);
	if ((error = report_opts(&opts, in)) < 0 || (error = report_schema(&schema, r)) < 0)
		return error;
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return ruhu_error_oom();
	if ((error = report_pool_new(&rep->pool)) < 0 || (error = report_read_begin(db, &began)) < 0 ||
	    (error = report_as_of(rep->as_of, r, &opts)) < 0 || (error = scope(rep, db, &opts)) < 0 ||
	    (error = ruhu_calendar_load(&cal, db)) < 0 || (error = report_catalogue(&cat, db)) < 0 ||
	    (error = ruhu_calendar_promised_date(rep->horizon, cal, rep->as_of, opts.within)) < 0 ||
	    (error = report_count(&holidays, db, "SELECT count(*) FROM holiday", NULL, 0,
				  "read the calendar")) < 0)
		goto done;
	rep->within = opts.within;
	rep->holidays = (size_t)holidays;
	c.rep = rep;
	c.cat = cat;
	c.status = report_order(schema, "application", "status");
	if ((error = report_day(&c.as_of, rep->as_of)) < 0 ||
	    (error = report_day(&c.horizon, rep->horizon)) < 0)
		goto done;
	c.first = c.as_of;
	if ((error = report_each(db, deadlines_sql, (const char *const[]){ rep->worker }, 1, take_row,
				 &c, "read the applications")) < 0)
		goto done;
	if ((error = report_workdays_build(&wd, cal, c.first, c.horizon)) < 0)
		goto done;
	for (size_t i = 0; i < rep->count; i++) {
		ruhu_deadline *d = &rep->entries[i];
		long day;

		if ((error = report_day(&day, d->promised_by)) < 0)
			goto done;
		d->working_days = d->overdue ? report_workdays_between(&wd, day, c.as_of)
					     : report_workdays_between(&wd, c.as_of, day);
	}
	if (rep->count)
		qsort(rep->entries, rep->count, sizeof(*rep->entries), cmp_entry);
	for (size_t i = 0; i < rep->count; i++) {
		ruhu_deadline *d = &rep->entries[i];

		if ((error = add_to(&rep->by_item, &rep->nby_item, &cap_item, d->item, d->item_name,
				    d)) < 0 ||
		    (error = add_to(&rep->by_worker, &rep->nby_worker, &cap_worker, d->first_responder,
				    d->responder_name, d)) < 0)
			goto done;
	}
	if (rep->nby_item)
		qsort(rep->by_item, rep->nby_item, sizeof(*rep->by_item), cmp_group);
	if (rep->nby_worker)
		qsort(rep->by_worker, rep->nby_worker, sizeof(*rep->by_worker), cmp_group);
done:
	report_read_end(db, began);
	report_workdays_dispose(&wd);
	ruhu_calendar_free(cal);
	ruhu_catalogue_free(cat);
	if (error < 0)
		ruhu_deadline_report_free(rep);
	else
		*out = rep;
	return error;
}

void ruhu_deadline_report_free(ruhu_deadline_report *rep)
{
	if (rep == NULL)
		return;
	free(rep->entries);
	free(rep->by_item);
	free(rep->by_worker);
	report_pool_free(rep->pool);
	free(rep);
}
