/*
 * cmd_report.c — `ruhu report deadlines|staffing|satisfaction|complaints|
 * overview`: the library's reports of the standard's duties (ruhu/report.h,
 * docs/reports.md), printed for people, as JSON, or as the overview page.
 *
 * Design notes
 *  1. Every number comes from the library; this file only prints (the JSON
 *     in report_json.c, the page in html.c).
 *  2. Days late are working days of the centre's calendar, and the human
 *     output says so beside every such number ("wd"); calendar days are "d".
 *  3. `overview --html FILE` writes a page that holds personal data in clear
 *     (names, complaint subjects): an explicit export, said on stderr each
 *     time, written readable by its owner only.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/report.h"

/* --- options shared by the report commands --- */

struct report_args {
	const char *as_of, *worker, *served, *by, *html;
	long within, per, minimum;
	int all, json;
};

/* per and minimum: -1 when not given (the library's default) */
#define ARGS_INIT { NULL, NULL, NULL, NULL, NULL, RUHU_REPORT_WITHIN_DEFAULT, -1, -1, 0, 0 }

/* Check the words and numbers of the options into `o`; CLI_USAGE after a
 * message when one is wrong. */
static int to_opts(ruhu_report_opts *o, const struct report_args *a)
{
	ruhu_report_opts_init(o, RUHU_REPORT_OPTS_VERSION);
	o->as_of = a->as_of;
	if (a->within < 0 || a->within > RUHU_REPORT_WITHIN_MAX)
		return cli_error(CLI_USAGE, "--within must be 0 to %d working days", RUHU_REPORT_WITHIN_MAX);
	o->within = (unsigned int)a->within;
	if (a->worker && a->all)
		return cli_error(CLI_USAGE, "--worker and --all cannot go together");
	o->worker = a->worker;
	o->all_workers = a->all;
	if (a->per != -1 && (a->per < 1 || a->per > 1000000))
		return cli_error(CLI_USAGE, "--per must be 1 to 1000000 residents");
	if (a->minimum != -1 && (a->minimum < 1 || a->minimum > 10000))
		return cli_error(CLI_USAGE, "--minimum must be 1 to 10000 staff");
	o->per = a->per > 0 ? (unsigned int)a->per : 0;
	o->minimum = a->minimum > 0 ? (unsigned int)a->minimum : 0;
	if (a->served == NULL || !strcmp(a->served, "registered"))
		o->served = RUHU_SERVED_REGISTERED;
	else if (!strcmp(a->served, "active"))
		o->served = RUHU_SERVED_ACTIVE;
	else
		return cli_error(CLI_USAGE, "--served must be registered or active, not '%s'", a->served);
	if (a->by == NULL || !strcmp(a->by, "item"))
		o->by = RUHU_BY_ITEM;
	else if (!strcmp(a->by, "worker"))
		o->by = RUHU_BY_WORKER;
	else if (!strcmp(a->by, "month"))
		o->by = RUHU_BY_MONTH;
	else
		return cli_error(CLI_USAGE, "--by must be item, worker or month, not '%s'", a->by);
	return CLI_OK;
}

static const char *or_dash(const char *s)
{
	return s ? s : "-";
}

/* --- deadlines --- */

static void print_deadlines(const ruhu_deadline_report *rep)
{
	int head = 0;

	printf("限时办结 Deadlines (clause 6.2.2) as of %s\n", rep->as_of);
	if (rep->worker)
		printf("first responder: %s%s\n", rep->worker,
		       rep->worker_is_holder ? " (the caseworker holding this tablet; --all for everyone)" : "");
	else
		printf("first responder: everyone\n");
	printf("due means promised by %s: within %u working days of the centre's calendar "
	       "(weekends off, %zu holiday and adjusted-day entries)\n",
	       rep->horizon, rep->within, rep->holidays);
	printf("open %zu  overdue %zu  due %zu  without a promised date %zu\n", rep->open, rep->overdue,
	       rep->due, rep->undated);
	for (size_t i = 0; i < rep->count; i++) {
		const ruhu_deadline *d = &rep->entries[i];
		char days[64];

		if (head == 0 && d->overdue) {
			printf("\noverdue (wd: working days late, by the centre's calendar; d: calendar days)\n");
			head = 1;
		} else if (head < 2 && !d->overdue) {
			printf("\ndue (wd: working days left; 0 is today)\n");
			head = 2;
		}
		snprintf(days, sizeof(days), "%d wd (%d d)", d->working_days, d->calendar_days);
		printf("  %s  %-14s %-18s %-8s %s  %s %s  %s %s\n", d->promised_by, days, d->status,
		       d->first_responder, d->id, d->item, or_dash(d->item_name), or_dash(d->person_name),
		       or_dash(d->responder_name));
	}
	if (rep->nby_item)
		printf("\nby item                              overdue  due  most late\n");
	for (size_t i = 0; i < rep->nby_item; i++) {
		const ruhu_deadline_group *g = &rep->by_item[i];

		printf("  %-34s %7zu %4zu  %d wd  %s\n", g->key, g->overdue, g->due, g->most_late,
		       or_dash(g->name));
	}
	if (rep->nby_worker)
		printf("\nby first responder                   overdue  due  most late\n");
	for (size_t i = 0; i < rep->nby_worker; i++) {
		const ruhu_deadline_group *g = &rep->by_worker[i];

		printf("  %-34s %7zu %4zu  %d wd  %s\n", g->key, g->overdue, g->due, g->most_late,
		       or_dash(g->name));
	}
}

/* --- staffing --- */

static void print_staffing(const ruhu_staffing_report *rep)
{
	printf("人员配备 Staffing (clause 6.1.1) as of %s\n", rep->as_of);
	printf("residents served: %lld (%s)\n", (long long)rep->residents,
	       rep->served == RUHU_SERVED_ACTIVE ? "persons with a visit, application or dispute in the 12 months"
						 : "every registered resident");
	printf("  registered %lld; with a visit, application or dispute from %s to %s: %lld\n",
	       (long long)rep->registered, rep->window_from, rep->as_of, (long long)rep->active);
	printf("active caseworkers: %lld (other active staff %lld, inactive %lld, not counted)\n",
	       (long long)rep->caseworkers, (long long)rep->other_staff, (long long)rep->inactive);
	if (rep->caseworkers)
		printf("residents per caseworker: %.1f\n", rep->per_caseworker);
	printf("guide 1 per %u residents served: %s\n", rep->per, rep->meets_ratio ? "met" : "NOT met");
	printf("at least %u full-time staff: %s\n", rep->minimum, rep->meets_minimum ? "met" : "NOT met");
	if (rep->meets)
		printf("the centre meets the staffing guide (%lld caseworkers, %lld needed)\n",
		       (long long)rep->caseworkers, (long long)rep->required);
	else
		printf("the centre does NOT meet the staffing guide: %lld caseworkers, %lld needed "
		       "(%lld more)\n", (long long)rep->caseworkers, (long long)rep->required,
		       (long long)rep->shortfall);
	for (size_t i = 0; i < rep->nstaff; i++)
		printf("  %-16s residents %-6lld visits %-6lld applications %-6lld %s\n", rep->staff[i].id,
		       (long long)rep->staff[i].residents, (long long)rep->staff[i].visits,
		       (long long)rep->staff[i].applications, or_dash(rep->staff[i].name));
}

/* --- satisfaction --- */

static void print_group(const ruhu_satisfaction_group *g, const char *key, const char *name)
{
	printf("  %-30s %5lld  %s%.2f  %lld %lld %lld %lld %lld  %s\n", key, (long long)g->count,
	       g->count ? "" : "-", g->count ? g->mean : 0.0, (long long)g->scores[0],
	       (long long)g->scores[1], (long long)g->scores[2], (long long)g->scores[3],
	       (long long)g->scores[4], name ? name : "");
}

static void print_satisfaction(const ruhu_satisfaction_report *rep)
{
	const char *none = rep->by == RUHU_BY_ITEM ? "(rates a visit only, or an unknown application)"
						   : "(the rated visit or application is unknown)";

	printf("满意测评 Satisfaction (clause 7.2.1), by %s\n", ruhu_report_by_name(rep->by));
	if (rep->total.count == 0) {
		printf("no ratings yet\n");
		return;
	}
	printf("ratings %lld  mean %.2f  satisfied (4 or 5) %lld, %.1f%%\n", (long long)rep->total.count,
	       rep->total.mean, (long long)rep->total.satisfied,
	       100.0 * (double)rep->total.satisfied / (double)rep->total.count);
	printf("\n  %-30s count  mean  scores 1 2 3 4 5\n", ruhu_report_by_name(rep->by));
	for (size_t i = 0; i < rep->ngroups; i++) {
		const ruhu_satisfaction_group *g = &rep->groups[i];

		print_group(g, g->key ? g->key : "-", g->key ? g->name : none);
	}
	print_group(&rep->total, "all", NULL);
}

/* --- complaints --- */

static void print_complaint(const ruhu_complaint_entry *c, int missing)
{
	printf("  %.10s  %4d d  %-9s %-7s %s  %s  %s", c->received, c->days, c->status, c->channel, c->id,
	       c->person_name ? c->person_name : "(anonymous)", c->subject);
	if (missing)
		printf("  [missing:%s%s]", c->response ? "" : " response", c->feedback_at ? "" : " feedback_at");
	printf("\n");
}

static void print_complaints(const ruhu_complaint_report *rep)
{
	printf("投诉 Complaints (clause 7.1.3) as of %s\n", rep->as_of);
	printf("total %lld  open %lld  closed %lld  closed without feedback to the complainant %lld\n",
	       (long long)rep->total, (long long)rep->open, (long long)rep->closed,
	       (long long)rep->closed_no_feedback);
	printf("by status:");
	for (size_t i = 0; i < rep->nby_status; i++)
		printf("%s %s %lld", i ? "," : "", rep->by_status[i].status, (long long)rep->by_status[i].count);
	printf("\n");
	if (rep->nopen)
		printf("\nopen (d: calendar days since received)\n");
	for (size_t i = 0; i < rep->nopen; i++)
		print_complaint(&rep->open_list[i], 0);
	if (rep->nno_feedback)
		printf("\nclosed without feedback (no feedback_at, or no response)\n");
	for (size_t i = 0; i < rep->nno_feedback; i++)
		print_complaint(&rep->no_feedback[i], 1);
}

/* --- the commands --- */

enum kind { DEADLINES, STAFFING, SATISFACTION, COMPLAINTS };

static int run(struct cli_ctx *ctx, int argc, const char **argv, enum kind kind)
{
	struct report_args a = ARGS_INIT;
	struct cli_option deadline_opts[] = {
		CLI_STRING(0, "as-of", &a.as_of, "DATE", "the date to count from (default: today)"),
		CLI_INT(0, "within", &a.within, "N", "working days ahead counted as due (default 3)"),
		CLI_STRING(0, "worker", &a.worker, "ID", "only this first responder"),
		CLI_BOOL(0, "all", &a.all, "every first responder (on a tablet: not only its caseworker)"),
		CLI_BOOL(0, "json", &a.json, "print the report as JSON"),
		CLI_END
	};
	struct cli_option staffing_opts[] = {
		CLI_STRING(0, "as-of", &a.as_of, "DATE", "the end of the 12 months counted (default: today)"),
		CLI_STRING(0, "served", &a.served, "WHO", "registered (every person, default) or active (12 months)"),
		CLI_INT(0, "per", &a.per, "N", "residents served per caseworker (default 6000)"),
		CLI_INT(0, "minimum", &a.minimum, "N", "fewest full-time staff (default 3)"),
		CLI_BOOL(0, "json", &a.json, "print the report as JSON"),
		CLI_END
	};
	struct cli_option satisfaction_opts[] = {
		CLI_STRING(0, "by", &a.by, "KEY", "item (default), worker or month"),
		CLI_BOOL(0, "json", &a.json, "print the report as JSON"),
		CLI_END
	};
	struct cli_option complaint_opts[] = {
		CLI_STRING(0, "as-of", &a.as_of, "DATE", "the date to count days to (default: today)"),
		CLI_BOOL(0, "json", &a.json, "print the report as JSON"),
		CLI_END
	};
	const struct cli_option *opts[] = { deadline_opts, staffing_opts, satisfaction_opts, complaint_opts };
	ruhu_report_opts o;
	ruhu_replica *r = NULL;
	struct cli_json j;
	ruhu_deadline_report *dl = NULL;
	ruhu_staffing_report *st = NULL;
	ruhu_satisfaction_report *sa = NULL;
	ruhu_complaint_report *co = NULL;
	int rc, error = 0;

	if (cli_parse(ctx, argc, argv, opts[kind], 0, 0) < 0)
		return CLI_USAGE;
	if ((rc = to_opts(&o, &a)) != CLI_OK || (rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	cli_json_init(&j);
	switch (kind) {
	case DEADLINES:
		if ((error = ruhu_report_deadlines(&dl, r, &o)) == 0 && a.json)
			cli_report_json_deadlines(&j, dl);
		else if (error == 0)
			print_deadlines(dl);
		break;
	case STAFFING:
		if ((error = ruhu_report_staffing(&st, r, &o)) == 0 && a.json)
			cli_report_json_staffing(&j, st);
		else if (error == 0)
			print_staffing(st);
		break;
	case SATISFACTION:
		if ((error = ruhu_report_satisfaction(&sa, r, &o)) == 0 && a.json)
			cli_report_json_satisfaction(&j, sa);
		else if (error == 0)
			print_satisfaction(sa);
		break;
	case COMPLAINTS:
		if ((error = ruhu_report_complaints(&co, r, &o)) == 0 && a.json)
			cli_report_json_complaints(&j, co);
		else if (error == 0)
			print_complaints(co);
		break;
	}
	if (error < 0)
		rc = cli_fail();
	else if (a.json)
		rc = cli_json_print(&j);
	ruhu_buf_dispose(&j.buf);
	ruhu_deadline_report_free(dl);
	ruhu_staffing_report_free(st);
	ruhu_satisfaction_report_free(sa);
	ruhu_complaint_report_free(co);
	ruhu_replica_free(r);
	return rc;
}

int cmd_report_deadlines(struct cli_ctx *ctx, int argc, const char **argv)
{
	return run(ctx, argc, argv, DEADLINES);
}

int cmd_report_staffing(struct cli_ctx *ctx, int argc, const char **argv)
{
	return run(ctx, argc, argv, STAFFING);
}

int cmd_report_satisfaction(struct cli_ctx *ctx, int argc, const char **argv)
{
	return run(ctx, argc, argv, SATISFACTION);
}

int cmd_report_complaints(struct cli_ctx *ctx, int argc, const char **argv)
{
	return run(ctx, argc, argv, COMPLAINTS);
}

static void print_overview(const ruhu_overview *ov)
{
	printf("%s %s of centre %s %s, as of %s\n", ov->role, or_dash(ov->self), or_dash(ov->centre),
	       or_dash(ov->centre_name), ov->as_of);
	if (ov->is_hub) {
		printf("tablets        %zu enrolled, %zu revoked, %zu bundles waiting\n", ov->ndevices,
		       ov->revoked_devices, ov->waiting_bundles);
		printf("review queue   %lld open\n", (long long)ov->review_open);
	}
	printf("deadlines      %zu overdue, %zu due within %u working days\n", ov->deadlines->overdue,
	       ov->deadlines->due, ov->deadlines->within);
	printf("staffing       %s\n", ov->staffing->meets ? "meets the guide" : "does NOT meet the guide");
	if (ov->satisfaction->total.count)
		printf("satisfaction   %lld ratings, mean %.2f\n", (long long)ov->satisfaction->total.count,
		       ov->satisfaction->total.mean);
	else
		printf("satisfaction   no ratings yet\n");
	printf("complaints     %lld open, %lld closed without feedback\n", (long long)ov->complaints->open,
	       (long long)ov->complaints->closed_no_feedback);
}

/* overview [--as-of DATE] [--within N] [--html FILE | --json] */
int cmd_report_overview(struct cli_ctx *ctx, int argc, const char **argv)
{
	struct report_args a = ARGS_INIT;
	struct cli_option options[] = {
		CLI_STRING(0, "as-of", &a.as_of, "DATE", "the date of the reports (default: today)"),
		CLI_INT(0, "within", &a.within, "N", "working days ahead counted as due (default 3)"),
		CLI_STRING(0, "html", &a.html, "FILE", "write the overview page to FILE (personal data in clear)"),
		CLI_BOOL(0, "json", &a.json, "print the overview as JSON"),
		CLI_END
	};
	ruhu_report_opts o;
	ruhu_replica *r = NULL;
	ruhu_overview *ov = NULL;
	ruhu_buf page = RUHU_BUF_INIT;
	struct cli_json j;
	int rc;

	if (cli_parse(ctx, argc, argv, options, 0, 0) < 0)
		return CLI_USAGE;
	if (a.html && a.json)
		return cli_error(CLI_USAGE, "--html and --json cannot go together");
	if (a.html && !*a.html)
		return cli_error(CLI_USAGE, "--html needs a file name");
	if ((rc = to_opts(&o, &a)) != CLI_OK || (rc = cli_open_replica(ctx, &r)) != CLI_OK)
		return rc;
	cli_json_init(&j);
	if (ruhu_report_overview(&ov, r, &o) < 0) {
		rc = cli_fail();
	} else if (a.json) {
		cli_report_json_overview(&j, ov);
		rc = cli_json_print(&j);
	} else if (a.html) {
		if (cli_overview_html(&page, ov) < 0)
			rc = cli_fail();
		else if ((rc = cli_write_private(a.html, page.ptr, page.size)) == CLI_OK) {
			printf("wrote the overview of %s to %s\n", ov->as_of, a.html);
			cli_warn("%s holds personal data in clear (names, complaints): keep it on protected "
				 "storage and delete it when it has been read", a.html);
		}
	} else {
		print_overview(ov);
	}
	ruhu_buf_dispose(&j.buf);
	ruhu_buf_dispose(&page);
	ruhu_overview_free(ov);
	ruhu_replica_free(r);
	return rc;
}
