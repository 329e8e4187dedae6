/*
 * html.c — the hub operator's overview page: one self-contained HTML file
 * (inline CSS, inline SVG charts; no script, no font, no image, no link to
 * anything) drawn from a ruhu_overview (ruhu/report.h).
 *
 * Design notes
 *  1. Every string that comes from the replica (names, subjects, ids, item
 *     codes, kinds, reasons) goes through esc(), which turns & < > " ' into
 *     entities, in text and in attribute values alike.  Format strings of
 *     rawf() hold only markup and numbers; the only %s they take are
 *     constants of this file and times formatted here.  A resident named <script>alert(1)</script>
 *     shows as that text.
 *  2. A Content-Security-Policy of default-src 'none' (inline styles only)
 *     keeps the browser from fetching anything, should the page ever hold
 *     a reference by mistake.
 *  3. Numbers the e2e test reads carry ids (deadlines-overdue,
 *     satisfaction-mean, ...) and the chart bars data-* attributes; they
 *     are part of the page's contract (docs/reports.md).
 *  4. Writing collects the page in a buffer and remembers a failed
 *     allocation; the file is written at once, 0600, by a rename.
 *  5. A list shows at most MAX_ROWS rows, the most urgent first (the
 *     reports' order), and says how many more the command line lists; the
 *     counts and charts always cover everything.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/report.h"

#define MAX_ROWS 200

struct page {
	ruhu_buf *b;
	int failed;
};

static void raw(struct page *p, const char *s)
{
	if (ruhu_buf_puts(p->b, s) < 0)
		p->failed = 1;
}

static void rawf(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void rawf(struct page *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ruhu_buf_vprintf(p->b, fmt, ap) < 0)
		p->failed = 1;
	va_end(ap);
}

/* Text or attribute value from the replica (design note 1); NULL as a dash. */
static void esc(struct page *p, const char *s)
{
	const char *run = s;

	if (s == NULL) {
		raw(p, "\xe2\x80\x93");
		return;
	}
	for (; *s; s++) {
		const char *ent = NULL;

		switch (*s) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		if (s > run && ruhu_buf_put(p->b, run, (size_t)(s - run)) < 0)
			p->failed = 1;
		raw(p, ent);
		run = s + 1;
	}
	if (s > run && ruhu_buf_put(p->b, run, (size_t)(s - run)) < 0)
		p->failed = 1;
}

/* <td>text</td> */
static void td(struct page *p, const char *s)
{
	raw(p, "<td>");
	esc(p, s);
	raw(p, "</td>");
}

/* The row that says how many were left out (design note 5). */
static void more_rows(struct page *p, size_t shown, size_t n, int cols, const char *command)
{
	if (n > shown)
		rawf(p, "<tr class=\"more\"><td colspan=\"%d\" class=\"muted\">and %zu more: "
		     "<code>ruhu report %s</code> lists them all</td></tr>", cols, n - shown, command);
}

/* <td class="text">text</td>: a cell that may wrap */
static void td_text(struct page *p, const char *s)
{
	raw(p, "<td class=\"text\">");
	esc(p, s);
	raw(p, "</td>");
}

void cli_report_time(char *out, size_t size, int64_t ms, int tz)
{
	time_t t = (time_t)(ms / 1000) + (time_t)tz * 60;
	struct tm tm;

	if (ms == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, size, "-");
		return;
	}
	snprintf(out, size, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min);
}

static const char style[] =
	"body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei','PingFang SC','Microsoft YaHei',"
	"sans-serif;margin:0;background:#f4f5f7;color:#1d2733;font-size:14px}"
	"header{background:#1f4e79;color:#fff;padding:18px 28px}"
	"header h1{margin:0;font-size:22px}header p{margin:4px 0 0;opacity:.85}"
	"main{padding:12px 28px 28px;display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}"
	"section{background:#fff;border-radius:6px;padding:14px 18px;box-shadow:0 1px 2px rgba(0,0,0,.12)}"
	"section.wide{grid-column:1/-1}"
	"h2{font-size:16px;margin:0 0 10px}h2 small{font-weight:normal;color:#5b6775}"
	".cards{display:flex;flex-wrap:wrap;gap:12px}"
	".card{flex:1 1 130px;border-left:4px solid #1f4e79;padding:6px 10px;background:#f8f9fb}"
	".card b{display:block;font-size:24px}.card.bad{border-color:#c0392b}.card.ok{border-color:#2e8b57}"
	"table{border-collapse:collapse;width:100%;margin-top:8px}"
	"th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e3e6ea;vertical-align:top;"
	"white-space:nowrap}td.text{white-space:normal}"
	"th{color:#5b6775;font-weight:normal;font-size:12px}td.n,th.n{text-align:right}"
	".bad{color:#c0392b}.ok{color:#2e8b57}.muted{color:#5b6775}"
	"svg text{font-size:12px;fill:#1d2733}"
	"footer{padding:0 28px 24px;color:#5b6775;font-size:12px}";

static void card(struct page *p, const char *id, long long value, const char *label, int bad)
{
	rawf(p, "<div class=\"card%s\"><b id=\"%s\">%lld</b>%s</div>", bad ? " bad" : "", id, value,
	     label);
}

static void summary(struct page *p, const ruhu_overview *ov)
{
	const ruhu_satisfaction_group *t = &ov->satisfaction->total;

	raw(p, "<section class=\"wide\" id=\"summary\"><div class=\"cards\">");
	card(p, "deadlines-overdue", (long long)ov->deadlines->overdue, "逾期 overdue applications",
	     ov->deadlines->overdue > 0);
	card(p, "deadlines-due", (long long)ov->deadlines->due, "临近 due soon", 0);
	if (ov->is_hub)
		card(p, "review-open", ov->review_open, "待审 open review items", ov->review_open > 0);
	card(p, "complaints-open", ov->complaints->open, "未结投诉 open complaints", 0);
	card(p, "complaints-no-feedback", ov->complaints->closed_no_feedback,
	     "未反馈 closed without feedback", ov->complaints->closed_no_feedback > 0);
	if (t->count)
		rawf(p, "<div class=\"card\"><b id=\"satisfaction-mean\">%.2f</b>满意度 mean of "
		     "<span id=\"satisfaction-count\">%lld</span> ratings</div>", t->mean, (long long)t->count);
	else
		raw(p, "<div class=\"card\"><b id=\"satisfaction-mean\">\xe2\x80\x93</b>满意度 no ratings "
		    "(<span id=\"satisfaction-count\">0</span>)</div>");
	rawf(p, "<div class=\"card %s\"><b id=\"staffing-verdict\">%s</b>人员配备 staffing guide</div>",
	     ov->staffing->meets ? "ok" : "bad", ov->staffing->meets ? "met" : "not met");
	raw(p, "</div></section>\n");
}

static void tablets(struct page *p, const ruhu_overview *ov)
{
	char when[64];

	rawf(p, "<section id=\"sync\"><h2>同步 Tablets <small><span id=\"tablets-count\">%zu</span> "
	     "enrolled</small></h2>", ov->ndevices);
	if (ov->ndevices == 0) {
		raw(p, "<p class=\"muted\">No tablet enrolled yet.</p></section>\n");
		return;
	}
	raw(p, "<table><tr><th>tablet</th><th>caseworker</th><th>last bundle</th>"
	    "<th class=\"n\">last save merged</th><th class=\"n\">waiting</th><th>state</th></tr>");
	for (size_t i = 0; i < ov->ndevices; i++) {
		const ruhu_overview_device *d = &ov->devices[i];

		raw(p, "<tr class=\"device\" data-device=\"");
		esc(p, d->id);
		raw(p, "\">");
		td(p, d->id);
		raw(p, "<td>");
		esc(p, d->worker);
		raw(p, " ");
		esc(p, d->worker_name);
		raw(p, "</td>");
		cli_report_time(when, sizeof(when), d->last_bundle_ms, ov->tz_minutes);
		rawf(p, "<td>%s</td><td class=\"n\">%lld</td><td class=\"n%s\">%zu</td>",
		     d->last_bundle_ms ? when : "never", (long long)d->last_seq,
		     d->waiting ? " bad" : "", d->waiting);
		if (d->revoked_ms) {
			cli_report_time(when, sizeof(when), d->revoked_ms, ov->tz_minutes);
			rawf(p, "<td class=\"bad text\">revoked %s: ", when);
			esc(p, d->reason);
			raw(p, "</td>");
		} else {
			raw(p, "<td class=\"ok\">active</td>");
		}
		raw(p, "</tr>");
	}
	raw(p, "</table></section>\n");
}

static void review(struct page *p, const ruhu_overview *ov)
{
	char when[64];

	rawf(p, "<section id=\"review\"><h2>待审 Review queue <small>%lld open</small></h2>",
	     (long long)ov->review_open);
	if (ov->nreviews == 0) {
		raw(p, "<p class=\"muted\">Nothing waits for a decision.</p></section>\n");
		return;
	}
	raw(p, "<table><tr><th>kind</th><th class=\"n\">open</th><th>oldest opened</th></tr>");
	for (size_t i = 0; i < ov->nreviews; i++) {
		raw(p, "<tr class=\"review\" data-kind=\"");
		esc(p, ov->reviews[i].kind);
		raw(p, "\">");
		td(p, ov->reviews[i].kind);
		cli_report_time(when, sizeof(when), ov->reviews[i].oldest_ms, ov->tz_minutes);
		rawf(p, "<td class=\"n\">%lld</td><td>%s</td></tr>", (long long)ov->reviews[i].count, when);
	}
	raw(p, "</table></section>\n");
}

/* Horizontal stacked bars: overdue (red) and due (amber) by item. */
static void deadline_chart(struct page *p, const ruhu_deadline_report *d)
{
	size_t most = 1;
	int h = (int)d->nby_item * 26 + 34;

	for (size_t i = 0; i < d->nby_item; i++)
		if (d->by_item[i].due + d->by_item[i].overdue > most)
			most = d->by_item[i].due + d->by_item[i].overdue;
	rawf(p, "<svg id=\"deadline-chart\" width=\"640\" height=\"%d\" viewBox=\"0 0 640 %d\" "
	     "role=\"img\" aria-label=\"due and overdue applications by item\">", h, h);
	for (size_t i = 0; i < d->nby_item; i++) {
		const ruhu_deadline_group *g = &d->by_item[i];
		double scale = 360.0 / (double)most;
		double wo = scale * (double)g->overdue, wd = scale * (double)g->due;
		int y = 8 + (int)i * 26;

		raw(p, "<g class=\"item-bar\" data-item=\"");
		esc(p, g->key);
		rawf(p, "\" data-overdue=\"%zu\" data-due=\"%zu\"><text x=\"232\" y=\"%d\" "
		     "text-anchor=\"end\">", g->overdue, g->due, y + 14);
		esc(p, g->name ? g->name : g->key);
		rawf(p, "</text><rect x=\"240\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"#c0392b\"/>"
		     "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" fill=\"#e6a23c\"/>"
		     "<text x=\"%.1f\" y=\"%d\">%zu / %zu</text></g>",
		     y, wo, 240 + wo, y, wd, 246 + wo + wd, y + 14, g->overdue, g->due);
	}
	rawf(p, "<rect x=\"240\" y=\"%d\" width=\"12\" height=\"12\" fill=\"#c0392b\"/>"
	     "<text x=\"256\" y=\"%d\">overdue 逾期</text><rect x=\"350\" y=\"%d\" width=\"12\" "
	     "height=\"12\" fill=\"#e6a23c\"/><text x=\"366\" y=\"%d\">due within %u working days</text>"
	     "</svg>", h - 20, h - 10, h - 20, h - 10, d->within);
}

static void deadlines(struct page *p, const ruhu_overview *ov)
{
	const ruhu_deadline_report *d = ov->deadlines;

	raw(p, "<section class=\"wide\" id=\"deadlines\"><h2>限时办结 Deadlines (6.2.2) <small>as of ");
	esc(p, d->as_of);
	raw(p, "; due by ");
	esc(p, d->horizon);
	rawf(p, "; <span id=\"deadlines-open\">%zu</span> open, %zu without a promised date; "
	     "days are working days of the centre's calendar</small></h2>", d->open, d->undated);
	if (d->count == 0) {
		raw(p, "<p class=\"muted\">Nothing overdue or due soon.</p></section>\n");
		return;
	}
	deadline_chart(p, d);
	raw(p, "<table><tr><th>promised by</th><th class=\"n\">working days</th><th>item</th>"
	    "<th>resident</th><th>first responder</th><th>status</th><th>application</th></tr>");
	for (size_t i = 0; i < d->count && i < MAX_ROWS; i++) {
		const ruhu_deadline *e = &d->entries[i];

		rawf(p, "<tr class=\"%s\">", e->overdue ? "overdue" : "due");
		td(p, e->promised_by);
		rawf(p, "<td class=\"n%s\">%d %s</td>", e->overdue ? " bad" : "", e->working_days,
		     e->overdue ? "late" : "left");
		td(p, e->item_name ? e->item_name : e->item);
		td_text(p, e->person_name);
		raw(p, "<td>");
		esc(p, e->first_responder);
		raw(p, " ");
		esc(p, e->responder_name);
		raw(p, "</td>");
		td(p, e->status);
		td(p, e->id);
		raw(p, "</tr>");
	}
	more_rows(p, MAX_ROWS, d->count, 7, "deadlines");
	raw(p, "</table></section>\n");
}

/* Vertical bars of the scores 1 to 5 of all ratings. */
static void score_chart(struct page *p, const ruhu_satisfaction_group *t)
{
	int64_t most = 1;

	for (int i = 0; i < 5; i++)
		if (t->scores[i] > most)
			most = t->scores[i];
	raw(p, "<svg id=\"score-chart\" width=\"360\" height=\"200\" viewBox=\"0 0 360 200\" "
	    "role=\"img\" aria-label=\"ratings by score\">");
	for (int i = 0; i < 5; i++) {
		double hgt = 140.0 * (double)t->scores[i] / (double)most;
		int x = 24 + i * 66;

		rawf(p, "<g class=\"score-bar\" data-score=\"%d\" data-count=\"%lld\"><rect x=\"%d\" "
		     "y=\"%.1f\" width=\"46\" height=\"%.1f\" fill=\"%s\"/><text x=\"%d\" y=\"%.1f\" "
		     "text-anchor=\"middle\">%lld</text><text x=\"%d\" y=\"192\" text-anchor=\"middle\">"
		     "%d 分</text></g>",
		     i + 1, (long long)t->scores[i], x, 166 - hgt, hgt, i >= 3 ? "#2e8b57" : i == 2 ? "#e6a23c" : "#c0392b",
		     x + 23, 160 - hgt, (long long)t->scores[i], x + 23, i + 1);
	}
	raw(p, "<line x1=\"16\" y1=\"166\" x2=\"344\" y2=\"166\" stroke=\"#5b6775\"/></svg>");
}

static void satisfaction(struct page *p, const ruhu_overview *ov)
{
	const ruhu_satisfaction_report *s = ov->satisfaction;

	rawf(p, "<section id=\"satisfaction\"><h2>满意测评 Satisfaction (7.2.1) <small>%lld ratings, "
	     "%lld satisfied (4 or 5)</small></h2>",
	     (long long)s->total.count, (long long)s->total.satisfied);
	if (s->total.count == 0) {
		raw(p, "<p class=\"muted\">No ratings yet.</p></section>\n");
		return;
	}
	score_chart(p, &s->total);
	raw(p, "<table><tr><th>item</th><th class=\"n\">ratings</th><th class=\"n\">mean</th>"
	    "<th class=\"n\">1</th><th class=\"n\">2</th><th class=\"n\">3</th><th class=\"n\">4</th>"
	    "<th class=\"n\">5</th></tr>");
	for (size_t i = 0; i < s->ngroups; i++) {
		const ruhu_satisfaction_group *g = &s->groups[i];

		raw(p, "<tr class=\"sat-item\" data-item=\"");
		esc(p, g->key ? g->key : "");
		raw(p, "\">");
		if (g->key)
			td(p, g->name ? g->name : g->key);
		else
			raw(p, "<td class=\"muted\">visit only / unknown application</td>");
		rawf(p, "<td class=\"n\">%lld</td><td class=\"n\">%.2f</td>", (long long)g->count, g->mean);
		for (int k = 0; k < 5; k++)
			rawf(p, "<td class=\"n\">%lld</td>", (long long)g->scores[k]);
		raw(p, "</tr>");
	}
	raw(p, "</table></section>\n");
}

static void complaint_rows(struct page *p, const ruhu_complaint_entry *list, size_t n, int missing)
{
	for (size_t i = 0; i < n && i < MAX_ROWS; i++) {
		const ruhu_complaint_entry *c = &list[i];
		char day[11];

		snprintf(day, sizeof(day), "%.10s", c->received ? c->received : "");
		rawf(p, "<tr class=\"%s\">", missing ? "no-feedback" : "open");
		td(p, day);
		rawf(p, "<td class=\"n\">%d</td>", c->days);
		td(p, c->status);
		td_text(p, c->person_name ? c->person_name : "(anonymous)");
		td_text(p, c->subject);
		if (missing)
			rawf(p, "<td class=\"bad\">%s%s</td>", c->response ? "" : "response ",
			     c->feedback_at ? "" : "feedback");
		raw(p, "</tr>");
	}
	more_rows(p, MAX_ROWS, n, missing ? 6 : 5, "complaints");
}

static void complaints(struct page *p, const ruhu_overview *ov)
{
	const ruhu_complaint_report *c = ov->complaints;

	rawf(p, "<section id=\"complaints\"><h2>投诉 Complaints (7.1.3) <small>%lld in all, %lld closed"
	     "</small></h2>", (long long)c->total, (long long)c->closed);
	raw(p, "<p>");
	for (size_t i = 0; i < c->nby_status; i++) {
		esc(p, c->by_status[i].status);
		rawf(p, " %lld%s", (long long)c->by_status[i].count, i + 1 < c->nby_status ? " · " : "");
	}
	raw(p, "</p>");
	if (c->nopen) {
		raw(p, "<h3>open</h3><table><tr><th>received</th><th class=\"n\">days</th><th>status</th>"
		    "<th>complainant</th><th>subject</th></tr>");
		complaint_rows(p, c->open_list, c->nopen, 0);
		raw(p, "</table>");
	}
	if (c->nno_feedback) {
		raw(p, "<h3 class=\"bad\">closed without feedback to the complainant</h3><table><tr>"
		    "<th>received</th><th class=\"n\">days</th><th>status</th><th>complainant</th>"
		    "<th>subject</th><th>missing</th></tr>");
		complaint_rows(p, c->no_feedback, c->nno_feedback, 1);
		raw(p, "</table>");
	}
	raw(p, "</section>\n");
}

static void staffing(struct page *p, const ruhu_overview *ov)
{
	const ruhu_staffing_report *s = ov->staffing;

	rawf(p, "<section id=\"staffing\"><h2>人员配备 Staffing (6.1.1)</h2><p>"
	     "<b id=\"staffing-residents\">%lld</b> residents served (%s), "
	     "<b id=\"staffing-caseworkers\">%lld</b> active caseworkers",
	     (long long)s->residents, s->served == RUHU_SERVED_ACTIVE ? "served in the last 12 months" :
	     "registered", (long long)s->caseworkers);
	if (s->caseworkers)
		rawf(p, ": %.0f residents each", s->per_caseworker);
	rawf(p, ".</p><p class=\"%s\">1 per %u residents: %s. At least %u full-time staff: %s. ",
	     s->meets ? "ok" : "bad", s->per, s->meets_ratio ? "met" : "not met", s->minimum,
	     s->meets_minimum ? "met" : "not met");
	if (s->meets)
		rawf(p, "The centre meets the guide (%lld needed).</p>", (long long)s->required);
	else
		rawf(p, "The centre does not meet the guide: %lld caseworkers needed, %lld more.</p>",
		     (long long)s->required, (long long)s->shortfall);
	raw(p, "</section>\n");
}

int cli_overview_html(ruhu_buf *out, const ruhu_overview *ov)
{
	struct page p = { out, 0 };
	char made[64];

	cli_report_time(made, sizeof(made), ov->made_ms, ov->tz_minutes);
	raw(&p, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\"><meta name=\"viewport\" content=\"width=device-width\">"
	    "<title>");
	esc(&p, ov->centre_name ? ov->centre_name : ov->centre);
	raw(&p, " — overview ");
	esc(&p, ov->as_of);
	rawf(&p, "</title><style>%s</style></head><body><header><h1>", style);
	esc(&p, ov->centre_name ? ov->centre_name : ov->centre);
	raw(&p, "</h1><p>入户 ruhu · ");
	esc(&p, ov->self);
	raw(&p, " · as of <span id=\"as-of\">");
	esc(&p, ov->as_of);
	rawf(&p, "</span> · made %s</p></header><main>\n", made);
	summary(&p, ov);
	if (ov->is_hub) {
		tablets(&p, ov);
		review(&p, ov);
	}
	deadlines(&p, ov);
	satisfaction(&p, ov);
	complaints(&p, ov);
	staffing(&p, ov);
	raw(&p, "</main><footer>This page holds residents' personal data in clear. Keep it on "
	    "protected storage and delete it once read (standard 6.4.2).</footer></body></html>\n");
	return p.failed ? ruhu_error_oom() : 0;
}

int cli_write_private(const char *path, const void *data, size_t len)
{
	ruhu_buf tmp = RUHU_BUF_INIT;
	int fd = -1, rc = CLI_OK;
	const char *p = data;

	if (ruhu_buf_printf(&tmp, "%s.XXXXXX", path) < 0) {
		rc = cli_fail();
		goto done;
	}
	if ((fd = mkstemp(tmp.ptr)) < 0) {
		rc = cli_error(CLI_FAIL, "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = cli_error(CLI_FAIL, "cannot write %s: %s", path, strerror(errno));
			goto done;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		rc = cli_error(CLI_FAIL, "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp.ptr, path) < 0)
		rc = cli_error(CLI_FAIL, "cannot write %s: %s", path, strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	if (rc != CLI_OK && tmp.ptr)
		unlink(tmp.ptr);
	ruhu_buf_dispose(&tmp);
	return rc;
}
