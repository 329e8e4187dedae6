/*
 * report_json.c — the reports of ruhu/report.h as JSON documents (`ruhu
 * report ... --json`).  Keys are the report structs' field names, with the
 * unit in the name where one is counted ("working_days_late",
 * "calendar_days"); a value the records do not give is null.  The keys are
 * listed in docs/reports.md and are part of the command's contract.
 */
#include "cli/report.h"

static void json_deadline_group(struct cli_json *j, const char *keyname, const ruhu_deadline_group *g)
{
	cli_json_object_begin(j);
	cli_json_kv_string(j, keyname, g->key);
	cli_json_kv_string(j, "name", g->name);
	cli_json_kv_int(j, "overdue", (long long)g->overdue);
	cli_json_kv_int(j, "due", (long long)g->due);
	cli_json_kv_int(j, "most_working_days_late", g->most_late);
	cli_json_object_end(j);
}

void cli_report_json_deadlines(struct cli_json *j, const ruhu_deadline_report *rep)
{
	cli_json_object_begin(j);
	cli_json_kv_string(j, "as_of", rep->as_of);
	cli_json_kv_int(j, "within_working_days", rep->within);
	cli_json_kv_string(j, "horizon", rep->horizon);
	cli_json_kv_string(j, "worker", rep->worker);
	cli_json_kv_bool(j, "worker_holds_replica", rep->worker_is_holder);
	cli_json_kv_int(j, "calendar_entries", (long long)rep->holidays);
	cli_json_kv_int(j, "open", (long long)rep->open);
	cli_json_kv_int(j, "undated", (long long)rep->undated);
	cli_json_kv_int(j, "overdue", (long long)rep->overdue);
	cli_json_kv_int(j, "due", (long long)rep->due);
	cli_json_key(j, "applications");
	cli_json_array_begin(j);
	for (size_t i = 0; i < rep->count; i++) {
		const ruhu_deadline *d = &rep->entries[i];

		cli_json_object_begin(j);
		cli_json_kv_string(j, "id", d->id);
		cli_json_kv_string(j, "item", d->item);
		cli_json_kv_string(j, "item_name", d->item_name);
		cli_json_kv_string(j, "person", d->person);
		cli_json_kv_string(j, "person_name", d->person_name);
		cli_json_kv_string(j, "first_responder", d->first_responder);
		cli_json_kv_string(j, "responder_name", d->responder_name);
		cli_json_kv_string(j, "status", d->status);
		cli_json_kv_string(j, "received", d->received);
		cli_json_kv_string(j, "promised_by", d->promised_by);
		cli_json_kv_bool(j, "overdue", d->overdue);
		cli_json_key(j, "working_days_late");
		if (d->overdue)
			cli_json_int(j, d->working_days);
		else
			cli_json_null(j);
		cli_json_key(j, "working_days_left");
		if (d->overdue)
			cli_json_null(j);
		else
			cli_json_int(j, d->working_days);
		cli_json_kv_int(j, "calendar_days", d->calendar_days);
		cli_json_object_end(j);
	}
	cli_json_array_end(j);
	cli_json_key(j, "by_item");
	cli_json_array_begin(j);
	for (size_t i = 0; i < rep->nby_item; i++)
		json_deadline_group(j, "item", &rep->by_item[i]);
	cli_json_array_end(j);
	cli_json_key(j, "by_worker");
	cli_json_array_begin(j);
	for (size_t i = 0; i < rep->nby_worker; i++)
		json_deadline_group(j, "worker", &rep->by_worker[i]);
	cli_json_array_end(j);
	cli_json_object_end(j);
}

void cli_report_json_staffing(struct cli_json *j, const ruhu_staffing_report *rep)
{
	cli_json_object_begin(j);
	cli_json_kv_string(j, "as_of", rep->as_of);
	cli_json_kv_string(j, "window_from", rep->window_from);
	cli_json_kv_string(j, "served", ruhu_served_name(rep->served));
	cli_json_kv_int(j, "residents", rep->residents);
	cli_json_kv_int(j, "registered", rep->registered);
	cli_json_kv_int(j, "active", rep->active);
	cli_json_kv_int(j, "per", rep->per);
	cli_json_kv_int(j, "minimum", rep->minimum);
	cli_json_kv_int(j, "caseworkers", rep->caseworkers);
	cli_json_kv_int(j, "other_staff", rep->other_staff);
	cli_json_kv_int(j, "inactive", rep->inactive);
	cli_json_key(j, "per_caseworker");
	cli_json_double(j, rep->per_caseworker);
	cli_json_kv_int(j, "required", rep->required);
	cli_json_kv_int(j, "shortfall", rep->shortfall);
	cli_json_kv_bool(j, "meets_ratio", rep->meets_ratio);
	cli_json_kv_bool(j, "meets_minimum", rep->meets_minimum);
	cli_json_kv_bool(j, "meets", rep->meets);
	cli_json_key(j, "caseworkers_list");
	cli_json_array_begin(j);
	for (size_t i = 0; i < rep->nstaff; i++) {
		cli_json_object_begin(j);
		cli_json_kv_string(j, "id", rep->staff[i].id);
		cli_json_kv_string(j, "name", rep->staff[i].name);
		cli_json_kv_int(j, "residents", rep->staff[i].residents);
		cli_json_kv_int(j, "visits", rep->staff[i].visits);
		cli_json_kv_int(j, "applications", rep->staff[i].applications);
		cli_json_object_end(j);
	}
	cli_json_array_end(j);
	cli_json_object_end(j);
}

static void json_group(struct cli_json *j, const ruhu_satisfaction_group *g, const char *keyname)
{
	cli_json_object_begin(j);
	if (keyname) {
		cli_json_kv_string(j, keyname, g->key);
		cli_json_kv_string(j, "name", g->name);
	}
	cli_json_kv_int(j, "count", g->count);
	cli_json_kv_int(j, "sum", g->sum);
	cli_json_key(j, "mean");
	if (g->count)
		cli_json_double(j, g->mean);
	else
		cli_json_null(j);
	cli_json_kv_int(j, "satisfied", g->satisfied);
	cli_json_key(j, "scores");
	cli_json_array_begin(j);
	for (int i = 0; i < 5; i++)
		cli_json_int(j, g->scores[i]);
	cli_json_array_end(j);
	cli_json_object_end(j);
}

void cli_report_json_satisfaction(struct cli_json *j, const ruhu_satisfaction_report *rep)
{
	const char *by = ruhu_report_by_name(rep->by);

	cli_json_object_begin(j);
	cli_json_kv_string(j, "by", by);
	cli_json_key(j, "total");
	json_group(j, &rep->total, NULL);
	cli_json_key(j, "groups");
	cli_json_array_begin(j);
	for (size_t i = 0; i < rep->ngroups; i++)
		json_group(j, &rep->groups[i], by);
	cli_json_array_end(j);
	cli_json_object_end(j);
}

static void json_complaint_list(struct cli_json *j, const char *key, const ruhu_complaint_entry *list,
				size_t n)
{
	cli_json_key(j, key);
	cli_json_array_begin(j);
	for (size_t i = 0; i < n; i++) {
		const ruhu_complaint_entry *c = &list[i];

		cli_json_object_begin(j);
		cli_json_kv_string(j, "id", c->id);
		cli_json_kv_string(j, "person", c->person);
		cli_json_kv_string(j, "person_name", c->person_name);
		cli_json_kv_string(j, "channel", c->channel);
		cli_json_kv_string(j, "subject", c->subject);
		cli_json_kv_string(j, "received", c->received);
		cli_json_kv_string(j, "status", c->status);
		cli_json_kv_string(j, "response", c->response);
		cli_json_kv_string(j, "feedback_at", c->feedback_at);
		cli_json_kv_int(j, "calendar_days", c->days);
		cli_json_object_end(j);
	}
	cli_json_array_end(j);
}

void cli_report_json_complaints(struct cli_json *j, const ruhu_complaint_report *rep)
{
	cli_json_object_begin(j);
	cli_json_kv_string(j, "as_of", rep->as_of);
	cli_json_kv_int(j, "total", rep->total);
	cli_json_kv_int(j, "open", rep->open);
	cli_json_kv_int(j, "closed", rep->closed);
	cli_json_kv_int(j, "closed_without_feedback", rep->closed_no_feedback);
	cli_json_key(j, "by_status");
	cli_json_object_begin(j);
	for (size_t i = 0; i < rep->nby_status; i++)
		cli_json_kv_int(j, rep->by_status[i].status, rep->by_status[i].count);
	cli_json_object_end(j);
	json_complaint_list(j, "open_complaints", rep->open_list, rep->nopen);
	json_complaint_list(j, "closed_without_feedback_complaints", rep->no_feedback, rep->nno_feedback);
	cli_json_object_end(j);
}

void cli_report_json_overview(struct cli_json *j, const ruhu_overview *ov)
{
	char when[64];

	cli_json_object_begin(j);
	cli_json_kv_string(j, "role", ov->role);
	cli_json_kv_string(j, "id", ov->self);
	cli_json_kv_string(j, "centre", ov->centre);
	cli_json_kv_string(j, "centre_name", ov->centre_name);
	cli_json_kv_string(j, "as_of", ov->as_of);
	cli_report_time(when, sizeof(when), ov->made_ms, ov->tz_minutes);
	cli_json_kv_string(j, "made", when);
	cli_json_key(j, "devices");
	if (!ov->is_hub)
		cli_json_null(j);
	else {
		cli_json_array_begin(j);
		for (size_t i = 0; i < ov->ndevices; i++) {
			const ruhu_overview_device *d = &ov->devices[i];

			cli_json_object_begin(j);
			cli_json_kv_string(j, "id", d->id);
			cli_json_kv_string(j, "worker", d->worker);
			cli_json_kv_string(j, "worker_name", d->worker_name);
			cli_json_kv_int(j, "enrolled_ms", d->enrolled_ms);
			cli_json_kv_int(j, "last_bundle_ms", d->last_bundle_ms);
			cli_json_kv_int(j, "last_seq", d->last_seq);
			cli_json_kv_int(j, "waiting", (long long)d->waiting);
			cli_json_kv_bool(j, "revoked", d->revoked_ms != 0);
			cli_json_kv_string(j, "reason", d->reason);
			cli_json_object_end(j);
		}
		cli_json_array_end(j);
	}
	cli_json_key(j, "review");
	if (!ov->is_hub)
		cli_json_null(j);
	else {
		cli_json_object_begin(j);
		cli_json_kv_int(j, "open", ov->review_open);
		cli_json_key(j, "by_kind");
		cli_json_object_begin(j);
		for (size_t i = 0; i < ov->nreviews; i++)
			cli_json_kv_int(j, ov->reviews[i].kind, ov->reviews[i].count);
		cli_json_object_end(j);
		cli_json_object_end(j);
	}
	cli_json_key(j, "deadlines");
	cli_report_json_deadlines(j, ov->deadlines);
	cli_json_key(j, "staffing");
	cli_report_json_staffing(j, ov->staffing);
	cli_json_key(j, "satisfaction");
	cli_report_json_satisfaction(j, ov->satisfaction);
	cli_json_key(j, "complaints");
	cli_report_json_complaints(j, ov->complaints);
	cli_json_object_end(j);
}
