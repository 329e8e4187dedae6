/*
 * report_complaints.c — complaints received, handled and fed back (clause
 * 7.1.3 投诉: the result of handling goes back to the complainant).
 *
 * Design notes
 *  1. Open: the status is not closed (the top of complaint.status's lattice,
 *     or a final state: ruhu/report.h, note 4).
 *  2. Closed without feedback: closed, and either no feedback_at (nobody
 *     recorded telling the complainant) or no response (nothing recorded to
 *     tell them); a response of only blanks counts as none.
 *  3. `days` are calendar days from the receipt's date to as_of: the
 *     standard sets no time limit for complaints, so no working days are
 *     counted here.
 *  4. by_status lists every state of the lattice in order, with zeros, then
 *     any value outside it (a schema of another centre) by name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/report.h"

static const char complaints_sql[] =
	"SELECT c.id, c.person_id, p.name, c.channel, c.subject, c.received_at, c.status,"
	" CASE WHEN trim(c.response, ' ' || char(9, 10, 13, 12288)) = '' THEN NULL ELSE c.response END,"
	" c.feedback_at"
	" FROM complaint c LEFT JOIN person p ON p.id = c.person_id"
	" ORDER BY c.received_at, c.id";

struct collect {
	ruhu_complaint_report *rep;
	const ruhu_order *status;
	long as_of;
	size_t cap_open, cap_nofb, cap_status;
};

static int count_status(struct collect *c, const char *status)
{
	ruhu_complaint_report *rep = c->rep;
	ruhu_complaint_status *s;
	int error;

	for (size_t i = 0; i < rep->nby_status; i++)
		if (!strcmp(rep->by_status[i].status, status)) {
			rep->by_status[i].count++;
			return 0;
		}
	if ((error = report_grow((void **)&rep->by_status, &c->cap_status, rep->nby_status,
				 sizeof(*s))) < 0)
		return error;
	s = &rep->by_status[rep->nby_status];
	s->count = 1;
	if ((error = report_strdup(&s->status, rep->pool, status)) < 0)
		return error;
	rep->nby_status++;
	return 0;
}

static int fill(ruhu_complaint_entry *e, struct collect *c, sqlite3_stmt *st)
{
	struct ruhu_report_pool *pool = c->rep->pool;
	long day;
	int error;

	memset(e, 0, sizeof(*e));
	if ((error = report_column(&e->id, pool, st, 0)) < 0 ||
	    (error = report_column(&e->person, pool, st, 1)) < 0 ||
	    (error = report_column(&e->person_name, pool, st, 2)) < 0 ||
	    (error = report_column(&e->channel, pool, st, 3)) < 0 ||
	    (error = report_column(&e->subject, pool, st, 4)) < 0 ||
	    (error = report_column(&e->received, pool, st, 5)) < 0 ||
	    (error = report_column(&e->status, pool, st, 6)) < 0 ||
	    (error = report_column(&e->response, pool, st, 7)) < 0 ||
	    (error = report_column(&e->feedback_at, pool, st, 8)) < 0 ||
	    (error = report_day(&day, e->received)) < 0)
		return error;
	e->days = (int)(c->as_of - day);
	return 0;
}

static int take_row(sqlite3_stmt *st, void *payload)
{
	struct collect *c = payload;
	ruhu_complaint_report *rep = c->rep;
	const char *status = (const char *)sqlite3_column_text(st, 6);
	int error;

	rep->total++;
	if ((error = count_status(c, status ? status : "")) < 0)
		return error;
	if (!report_is_closed(c->status, status)) {
		rep->open++;
		if ((error = report_grow((void **)&rep->open_list, &c->cap_open, rep->nopen,
					 sizeof(*rep->open_list))) < 0 ||
		    (error = fill(&rep->open_list[rep->nopen], c, st)) < 0)
			return error;
		rep->nopen++;
		return 0;
	}
	rep->closed++;
	if (sqlite3_column_type(st, 7) != SQLITE_NULL && sqlite3_column_type(st, 8) != SQLITE_NULL)
		return 0;
	rep->closed_no_feedback++;
	if ((error = report_grow((void **)&rep->no_feedback, &c->cap_nofb, rep->nno_feedback,
				 sizeof(*rep->no_feedback))) < 0 ||
	    (error = fill(&rep->no_feedback[rep->nno_feedback], c, st)) < 0)
		return error;
	rep->nno_feedback++;
	return 0;
}

/* Every state of the lattice first, with a zero count (design note 4). */
static int seed_states(struct collect *c)
{
	ruhu_complaint_report *rep = c->rep;
	size_t n = c->status ? ruhu_order_state_count(c->status) : 0;
	size_t f = c->status ? ruhu_order_final_count(c->status) : 0;
	int error;

	for (size_t i = 0; i < n + f; i++) {
		ruhu_complaint_status *s;
		const char *name = i < n ? ruhu_order_state(c->status, i) :
					   ruhu_order_final(c->status, i - n);

		if ((error = report_grow((void **)&rep->by_status, &c->cap_status, rep->nby_status,
					 sizeof(*s))) < 0)
			return error;
		s = &rep->by_status[rep->nby_status];
		s->count = 0;
		if ((error = report_strdup(&s->status, rep->pool, name)) < 0)
			return error;
		rep->nby_status++;
	}
	return 0;
}

int ruhu_report_complaints(ruhu_complaint_report **out, ruhu_replica *r,
			   const ruhu_report_opts *in)
{
	ruhu_report_opts opts;
	ruhu_complaint_report *rep = NULL;
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
	c.rep = rep;
	c.status = report_order(schema, "complaint", "status");
	if ((error = report_pool_new(&rep->pool)) < 0 || (error = report_read_begin(db, &began)) < 0 ||
	    (error = report_as_of(rep->as_of, r, &opts)) < 0 ||
	    (error = report_day(&c.as_of, rep->as_of)) < 0 || (error = seed_states(&c)) < 0 ||
	    (error = report_each(db, complaints_sql, NULL, 0, take_row, &c,
				 "read the complaints")) < 0)
		goto done;
done:
	report_read_end(db, began);
	if (error < 0)
		ruhu_complaint_report_free(rep);
	else
		*out = rep;
	return error;
}

void ruhu_complaint_report_free(ruhu_complaint_report *rep)
{
	if (rep == NULL)
		return;
	free(rep->open_list);
	free(rep->no_feedback);
	free(rep->by_status);
	report_pool_free(rep->pool);
	free(rep);
}
