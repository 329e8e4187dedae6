/*
 * report_overview.c — what the hub operator's overview page shows, as data:
 * the centre, the tablets' sync state (ruhu_hub_devices), the review queue
 * by kind (ruhu_review_list), and the deadline, staffing, satisfaction and
 * complaint reports, all read in one transaction.
 *
 * Design notes
 *  1. Devices and reviews exist only on a hub; on a tablet the overview has
 *     none and says so with is_hub = 0.
 *  2. Satisfaction is by item whatever opts->by says: the page draws the
 *     distribution of all ratings and the mean per item.
 *  3. Review kinds come in the order of their first open item; counts are
 *     of open items only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/meta.h"
#include "ruhu/sync.h"
#include "sync/report.h"

struct collect {
	ruhu_overview *ov;
	size_t cap_dev, cap_rev;
};

static int take_device(const ruhu_device_info *d, void *payload)
{
	struct collect *c = payload;
	ruhu_overview *ov = c->ov;
	ruhu_overview_device *o;
	int error;

	if ((error = report_grow((void **)&ov->devices, &c->cap_dev, ov->ndevices, sizeof(*o))) < 0)
		return error;
	o = &ov->devices[ov->ndevices];
	memset(o, 0, sizeof(*o));
	if ((error = report_strdup(&o->id, ov->pool, d->id)) < 0 ||
	    (error = report_strdup(&o->worker, ov->pool, d->worker && *d->worker ? d->worker : NULL)) < 0 ||
	    (error = report_strdup(&o->worker_name, ov->pool,
				   d->worker_name && *d->worker_name ? d->worker_name : NULL)) < 0 ||
	    (error = report_strdup(&o->reason, ov->pool, d->reason && *d->reason ? d->reason : NULL)) < 0)
		return error;
	o->enrolled_ms = d->enrolled_ms;
	o->revoked_ms = d->revoked_ms;
	o->last_seq = d->last_seq;
	o->last_bundle_ms = d->last_bundle_ms;
	o->waiting = d->waiting;
	ov->ndevices++;
	ov->revoked_devices += d->revoked_ms != 0;
	ov->waiting_bundles += d->waiting;
	return 0;
}

static int take_review(const ruhu_review_item *it, void *payload)
{
	struct collect *c = payload;
	ruhu_overview *ov = c->ov;
	ruhu_overview_review *o = NULL;
	const char *kind = it->kind ? it->kind : "";
	int error;

	ov->review_open++;
	for (size_t i = 0; i < ov->nreviews && o == NULL; i++)
		if (!strcmp(ov->reviews[i].kind, kind))
			o = &ov->reviews[i];
	if (o == NULL) {
		if ((error = report_grow((void **)&ov->reviews, &c->cap_rev, ov->nreviews,
					 sizeof(*o))) < 0)
			return error;
		o = &ov->reviews[ov->nreviews];
		memset(o, 0, sizeof(*o));
		if ((error = report_strdup(&o->kind, ov->pool, kind)) < 0)
			return error;
		o->oldest_ms = it->opened_ms;
		ov->nreviews++;
	}
	o->count++;
	if (it->opened_ms < o->oldest_ms)
		o->oldest_ms = it->opened_ms;
	return 0;
}

/* A _meta text into the pool; NULL when unset. */
static int meta_text(const char **out, ruhu_overview *ov, sqlite3 *db, const char *key)
{
	ruhu_buf v = RUHU_BUF_INIT;
	int error = ruhu_meta_get(&v, db, key);

	*out = NULL;
	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
	} else if (error == 0) {
		error = report_strdup(out, ov->pool, v.ptr);
	}
	ruhu_buf_dispose(&v);
	return error;
}

static int identity(ruhu_overview *ov, ruhu_replica *r, sqlite3 *db)
{
	const char *role = NULL;
	int error;

	if ((error = meta_text(&role, ov, db, "role")) < 0 ||
	    (error = meta_text(&ov->self, ov, db, "self")) < 0 ||
	    (error = meta_text(&ov->centre, ov, db, "centre")) < 0 ||
	    (error = meta_text(&ov->centre_name, ov, db, "centre_name")) < 0 ||
	    (error = report_tz(&ov->tz_minutes, db)) < 0)
		return error;
	snprintf(ov->role, sizeof(ov->role), "%s", role ? role : "");
	ov->is_hub = role && !strcmp(role, "hub");
	ov->made_ms = ruhu_replica_now_ms(r);
	return 0;
}

int ruhu_report_overview(ruhu_overview **out, ruhu_replica *r, const ruhu_report_opts *in)
{
	ruhu_report_opts opts;
	ruhu_overview *ov = NULL;
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
	opts.by = RUHU_BY_ITEM;
	if ((ov = calloc(1, sizeof(*ov))) == NULL)
		return ruhu_error_oom();
	c.ov = ov;
	if ((error = report_pool_new(&ov->pool)) < 0 || (error = report_read_begin(db, &began)) < 0 ||
	    (error = identity(ov, r, db)) < 0 || (error = report_as_of(ov->as_of, r, &opts)) < 0)
		goto done;
	/* every report of the page at the same date, whatever the clock does */
	opts.as_of = ov->as_of;
	if (ov->is_hub && ((error = ruhu_hub_devices(r, take_device, &c)) < 0 ||
			   (error = ruhu_review_list(r, 0, take_review, &c)) < 0))
		goto done;
	if ((error = ruhu_report_deadlines(&ov->deadlines, r, &opts)) < 0 ||
	    (error = ruhu_report_staffing(&ov->staffing, r, &opts)) < 0 ||
	    (error = ruhu_report_satisfaction(&ov->satisfaction, r, &opts)) < 0 ||
	    (error = ruhu_report_complaints(&ov->complaints, r, &opts)) < 0)
		goto done;
done:
	report_read_end(db, began);
	if (error < 0)
		ruhu_overview_free(ov);
	else
		*out = ov;
	return error;
}

void ruhu_overview_free(ruhu_overview *ov)
{
	if (ov == NULL)
		return;
	free(ov->devices);
	free(ov->reviews);
	ruhu_deadline_report_free(ov->deadlines);
	ruhu_staffing_report_free(ov->staffing);
	ruhu_satisfaction_report_free(ov->satisfaction);
	ruhu_complaint_report_free(ov->complaints);
	report_pool_free(ov->pool);
	free(ov);
}
