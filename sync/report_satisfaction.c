/*
 * report_satisfaction.c — residents' satisfaction ratings (clause 7.2.1 满意
 * 测评): count, mean and distribution of the survey scores (1 to 5), in all
 * and by item, worker or month.
 *
 * Design notes
 *  1. A survey rates a visit, an application, or both.  Its item is the
 *     rated application's; its worker is the visit's worker, else the
 *     application's first responder (the person rated face to face comes
 *     first); its month is the visit's start, else the application's
 *     receipt: a survey carries no date of its own.
 *  2. A survey whose key cannot be found (no application for `item`, a
 *     visit or application deleted since) falls in the group without a key
 *     (key NULL), listed last, so that the groups always add up to the
 *     total.
 *  3. `satisfied` counts scores 4 and 5, the usual 满意率 numerator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/report.h"

static const char groups_sql[] =
	"SELECT k, (SELECT name FROM worker WHERE id = k AND ?1 = 'worker'), count(*), sum(score),"
	" sum(score = 1), sum(score = 2), sum(score = 3), sum(score = 4), sum(score = 5)"
	" FROM (SELECT s.score AS score, CASE ?1"
	"   WHEN 'item' THEN a.item"
	"   WHEN 'worker' THEN coalesce(v.worker_id, a.first_responder)"
	"   ELSE substr(coalesce(v.started_at, a.received_at), 1, 7) END AS k"
	"  FROM survey s LEFT JOIN visit v ON v.id = s.visit_id"
	"  LEFT JOIN application a ON a.id = s.application_id)"
	" GROUP BY k ORDER BY k IS NULL, k";

struct collect {
	ruhu_satisfaction_report *rep;
	const ruhu_catalogue *cat;
	size_t cap;
};

static void finish(ruhu_satisfaction_group *g)
{
	g->satisfied = g->scores[3] + g->scores[4];
	g->mean = g->count ? (double)g->sum / (double)g->count : 0;
}

static int take_group(sqlite3_stmt *st, void *payload)
{
	struct collect *c = payload;
	ruhu_satisfaction_report *rep = c->rep;
	ruhu_satisfaction_group *g;
	int error;

	if ((error = report_grow((void **)&rep->groups, &c->cap, rep->ngroups, sizeof(*g))) < 0)
		return error;
	g = &rep->groups[rep->ngroups];
	memset(g, 0, sizeof(*g));
	if ((error = report_column(&g->key, rep->pool, st, 0)) < 0)
		return error;
	if (rep->by == RUHU_BY_ITEM)
		error = report_strdup(&g->name, rep->pool, report_item_name(c->cat, g->key));
	else
		error = report_column(&g->name, rep->pool, st, 1);
	if (error < 0)
		return error;
	g->count = sqlite3_column_int64(st, 2);
	g->sum = sqlite3_column_int64(st, 3);
	for (int i = 0; i < 5; i++)
		g->scores[i] = sqlite3_column_int64(st, 4 + i);
	finish(g);
	rep->total.count += g->count;
	rep->total.sum += g->sum;
	for (int i = 0; i < 5; i++)
		rep->total.scores[i] += g->scores[i];
	rep->ngroups++;
	return 0;
}

int ruhu_report_satisfaction(ruhu_satisfaction_report **out, ruhu_replica *r,
			     const ruhu_report_opts *in)
{
	ruhu_report_opts opts;
	ruhu_satisfaction_report *rep = NULL;
	const ruhu_schema *schema;
	ruhu_catalogue *cat = NULL;
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
	rep->by = opts.by;
	c.rep = rep;
	if ((error = report_pool_new(&rep->pool)) < 0 || (error = report_read_begin(db, &began)) < 0 ||
	    (error = report_catalogue(&cat, db)) < 0)
		goto done;
	c.cat = cat;
	if ((error = report_each(db, groups_sql, (const char *const[]){ ruhu_report_by_name(opts.by) },
				 1, take_group, &c, "read the satisfaction surveys")) < 0)
		goto done;
	finish(&rep->total);
done:
	report_read_end(db, began);
	ruhu_catalogue_free(cat);
	if (error < 0)
		ruhu_satisfaction_report_free(rep);
	else
		*out = rep;
	return error;
}

void ruhu_satisfaction_report_free(ruhu_satisfaction_report *rep)
{
	if (rep == NULL)
		return;
	free(rep->groups);
	report_pool_free(rep->pool);
	free(rep);
}
