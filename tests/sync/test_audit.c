/*
 * test_audit.c — the audit's reading side on a hub after a sync story
 * (test_audit_story.h): log, show, history and blame of one record
 * (sync/audit_log.c, sync/audit_history.c, sync/audit_blame.c).
 */
#include "test_audit_story.h"

static struct story s;

static void setup(void)
{
	story_build(&s, 1);
}

static void teardown(void)
{
	story_free(&s);
}

/* ---- blame ---- */

struct blamed {
	char value[64], kind[16], merge_of[RUHU_ID_SIZE], device[RUHU_ID_SIZE], worker[RUHU_ID_SIZE];
	char rule[24], decided_merge_of[RUHU_ID_SIZE], decided_id[RUHU_OID_SIZE], commit[RUHU_OID_SIZE];
	size_t version, fields;
	int found;
};

static int take_blame(const ruhu_audit_blame_line *l, void *p)
{
	struct blamed *b = p;

	b->fields++;
	if (strcmp(l->field, "phone"))
		return 0;
	b->found = 1;
	snprintf(b->value, sizeof(b->value), "%s", l->value.type == RUHU_VALUE_TEXT ? l->value.p : "?");
	snprintf(b->kind, sizeof(b->kind), "%s", l->commit->kind);
	snprintf(b->merge_of, sizeof(b->merge_of), "%s", l->commit->merge_of);
	snprintf(b->commit, sizeof(b->commit), "%s", l->commit->commit.id);
	ck_assert_ptr_nonnull(l->bundle);
	snprintf(b->device, sizeof(b->device), "%s", l->bundle->commit.device);
	snprintf(b->worker, sizeof(b->worker), "%s", l->bundle->commit.worker);
	snprintf(b->rule, sizeof(b->rule), "%s", l->rule);
	if (l->decided_in) {
		snprintf(b->decided_merge_of, sizeof(b->decided_merge_of), "%s", l->decided_in->merge_of);
		snprintf(b->decided_id, sizeof(b->decided_id), "%s", l->decided_in->commit.id);
	}
	ck_assert_int_eq(l->commit->commit.sig, 'G');
	ck_assert_int_eq(l->bundle->commit.sig, 'G');
	b->version = l->version;
	return 0;
}

START_TEST(test_audit_blame_names_the_winning_tablet_and_rule)
{
	struct blamed b;

	memset(&b, 0, sizeof(b));
	rt_ok(ruhu_audit_blame(s.hub, "person", s.person, take_blame, &b));
	ck_assert_int_eq(b.found, 1);
	ck_assert_uint_eq(b.fields, 11);
	ck_assert_str_eq(b.value, "13922222222");
	/* the value came with tab-02's save, merged into main */
	ck_assert_str_eq(b.kind, "merge");
	ck_assert_str_eq(b.merge_of, "tab-02");
	ck_assert_str_eq(b.device, "tab-02");
	ck_assert_str_eq(b.worker, "w-02");
	/* and lww kept it when tab-01's earlier edit arrived */
	ck_assert_str_eq(b.rule, "lww");
	ck_assert_str_eq(b.decided_merge_of, "tab-01");
	ck_assert_str_ne(b.decided_id, b.commit);
	ck_assert_uint_eq(b.version, 2);
	/* the same on the tablet that lost */
	memset(&b, 0, sizeof(b));
	rt_ok(ruhu_audit_blame(s.a, "person", s.person, take_blame, &b));
	ck_assert_str_eq(b.value, "13922222222");
	ck_assert_str_eq(b.device, "tab-02");
	ck_assert_str_eq(b.rule, "lww");
}
END_TEST

static int take_id_number(const ruhu_audit_blame_line *l, void *p)
{
	struct blamed *b = p;

	if (strcmp(l->field, "id_number"))
		return 0;
	snprintf(b->value, sizeof(b->value), "%s", l->value.p);
	snprintf(b->kind, sizeof(b->kind), "%s", l->commit->kind);
	snprintf(b->rule, sizeof(b->rule), "%s", l->rule);
	b->found = l->bundle == NULL;
	return 0;
}

START_TEST(test_audit_blame_of_a_resolution_names_the_operator)
{
	struct blamed b;

	memset(&b, 0, sizeof(b));
	rt_ok(ruhu_audit_blame(s.hub, "person", s.person, take_id_number, &b));
	ck_assert_str_eq(b.value, "110105194912310046");
	ck_assert_str_eq(b.kind, "resolution");
	ck_assert_str_eq(b.rule, "resolution");
	ck_assert_int_eq(b.found, 1); /* a hub edit: no tablet's save carried it */
}
END_TEST

START_TEST(test_audit_blame_refuses_unknown_and_missing)
{
	struct blamed b;

	ck_assert_int_eq(ruhu_audit_blame(s.hub, "nosuch", s.person, take_blame, &b), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_audit_blame(s.hub, "person", "01900000-0000-7000-8000-000000000000", take_blame,
					  &b), RUHU_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "no commit of the history holds person"));
}
END_TEST

/* ---- history ---- */

struct versions {
	char ops[16][16];
	char phone[16][24];
	char device[16][RUHU_ID_SIZE];
	char rules[16][64];
	size_t version[16];
	int pending[16];
	size_t n;
};

static int take_version(const ruhu_audit_version *v, void *p)
{
	struct versions *h = p;
	size_t i = h->n++;

	ck_assert_uint_lt(i, 16);
	snprintf(h->ops[i], sizeof(h->ops[i]), "%s", v->op);
	h->version[i] = v->version;
	h->pending[i] = v->pending;
	ck_assert_uint_eq(v->nfields, 11);
	for (size_t k = 0; k < v->nfields; k++)
		if (!strcmp(v->fields[k], "phone"))
			snprintf(h->phone[i], sizeof(h->phone[i]), "%s",
				 v->after[k].type == RUHU_VALUE_TEXT ? v->after[k].p : "NULL");
	snprintf(h->device[i], sizeof(h->device[i]), "%s", v->bundle ? v->bundle->commit.device : "hub");
	for (size_t k = 0; k < v->ndecisions; k++) {
		strncat(h->rules[i], v->decisions[k].rule, sizeof(h->rules[i]) - strlen(h->rules[i]) - 2);
		strcat(h->rules[i], " ");
	}
	ck_assert_int_eq(v->commit->commit.sig, 'G');
	return 0;
}

START_TEST(test_audit_history_lists_every_version_in_order)
{
	struct versions h;

	memset(&h, 0, sizeof(h));
	rt_ok(ruhu_audit_history(s.hub, "person", s.person, take_version, &h));
	ck_assert_uint_eq(h.n, 6);
	/* registered on tab-01 */
	ck_assert_str_eq(h.ops[0], "insert");
	ck_assert_uint_eq(h.version[0], 1);
	ck_assert_str_eq(h.phone[0], "13800000000");
	ck_assert_str_eq(h.device[0], "tab-01");
	/* tab-02's phone, merged first */
	ck_assert_str_eq(h.ops[1], "update");
	ck_assert_uint_eq(h.version[1], 2);
	ck_assert_str_eq(h.phone[1], "13922222222");
	ck_assert_str_eq(h.device[1], "tab-02");
	ck_assert_str_eq(h.rules[1], "");
	/* tab-01's earlier edit arrives: lww keeps the value */
	ck_assert_str_eq(h.ops[2], "kept");
	ck_assert_uint_eq(h.version[2], 2);
	ck_assert_str_eq(h.phone[2], "13922222222");
	ck_assert_str_eq(h.device[2], "tab-01");
	ck_assert_str_eq(h.rules[2], "lww ");
	/* the identity numbers: tab-01's applied, tab-02's to review, the
	 * operator's resolution takes tab-02's */
	ck_assert_str_eq(h.ops[3], "update");
	ck_assert_str_eq(h.device[3], "tab-01");
	ck_assert_str_eq(h.ops[4], "kept");
	ck_assert_str_eq(h.rules[4], "review ");
	ck_assert_str_eq(h.ops[5], "update");
	ck_assert_str_eq(h.device[5], "hub");
	ck_assert_str_eq(h.rules[5], "resolution ");
	ck_assert_uint_eq(h.version[5], 4);
}
END_TEST

START_TEST(test_audit_history_on_a_tablet_shows_pending_saves)
{
	struct versions h;

	story_set(s.b, "person", s.person, "phone", "13933333333");
	memset(&h, 0, sizeof(h));
	rt_ok(ruhu_audit_history(s.b, "person", s.person, take_version, &h));
	ck_assert_uint_ge(h.n, 2);
	ck_assert_str_eq(h.ops[h.n - 1], "update");
	ck_assert_int_eq(h.pending[h.n - 1], 1);
	ck_assert_int_eq(h.pending[h.n - 2], 0);
	ck_assert_str_eq(h.phone[h.n - 1], "13933333333");
}
END_TEST

/* ---- log ---- */

struct logged {
	size_t n, merges, saves, hub, resolutions, bad;
	char kinds[64][16];
	char ids[64][RUHU_OID_SIZE];
	char graph[8192];
};

static int take_entry(const ruhu_audit_entry *e, void *p)
{
	struct logged *l = p;

	if (l->n < 64) {
		snprintf(l->kinds[l->n], sizeof(l->kinds[l->n]), "%s", e->kind);
		snprintf(l->ids[l->n], sizeof(l->ids[l->n]), "%s", e->commit.id);
	}
	l->n++;
	l->merges += !strcmp(e->kind, "merge");
	l->saves += !strcmp(e->kind, "save");
	l->hub += !strcmp(e->kind, "hub");
	l->resolutions += !strcmp(e->kind, "resolution");
	l->bad += e->commit.sig != 'G';
	strncat(l->graph, e->graph_before, sizeof(l->graph) - strlen(l->graph) - 1);
	strncat(l->graph, e->graph, sizeof(l->graph) - strlen(l->graph) - 1);
	if (e->graph[0])
		strncat(l->graph, "\n", sizeof(l->graph) - strlen(l->graph) - 1);
	strncat(l->graph, e->graph_after, sizeof(l->graph) - strlen(l->graph) - 1);
	if (!strcmp(e->kind, "merge")) {
		ck_assert_str_ne(e->merge_of, "");
		ck_assert_int_gt(e->merge_seq, 0);
		ck_assert_uint_eq(e->commit.nparents, 2);
	}
	return 0;
}

START_TEST(test_audit_log_shows_merges_saves_and_resolutions)
{
	ruhu_audit_log_opts o = RUHU_AUDIT_LOG_OPTS_INIT;
	struct logged l;
	size_t merges;

	memset(&l, 0, sizeof(l));
	rt_ok(ruhu_audit_log(s.hub, NULL, take_entry, &l));
	ck_assert_uint_eq(l.bad, 0);
	ck_assert_uint_eq(l.merges, l.saves); /* every save merged once */
	ck_assert_uint_eq(l.resolutions, 1);
	ck_assert_uint_ge(l.hub, 5);          /* enrolments' workers, cases closed */
	ck_assert_str_eq(l.graph, "");
	merges = l.merges;

	/* with the graph: one '*' per commit */
	memset(&l, 0, sizeof(l));
	o.flags = RUHU_AUDIT_GRAPH;
	rt_ok(ruhu_audit_log(s.hub, &o, take_entry, &l));
	{
		size_t stars = 0;

		for (const char *q = l.graph; *q; q++)
			stars += *q == '*';
		ck_assert_uint_eq(stars, l.n);
		ck_assert_ptr_nonnull(strstr(l.graph, "|\\"));
		ck_assert_ptr_nonnull(strstr(l.graph, "|/"));
	}

	/* only tab-02: its saves and their merges */
	memset(&l, 0, sizeof(l));
	o.device = "tab-02";
	rt_ok(ruhu_audit_log(s.hub, &o, take_entry, &l));
	ck_assert_uint_gt(l.merges, 0);
	ck_assert_uint_eq(l.merges, l.saves);
	ck_assert_uint_lt(l.merges, merges);
	ck_assert_uint_eq(l.hub + l.resolutions, 0);

	/* only the operator's commits */
	memset(&l, 0, sizeof(l));
	o.device = NULL;
	o.worker = "op-01";
	rt_ok(ruhu_audit_log(s.hub, &o, take_entry, &l));
	ck_assert_uint_eq(l.merges + l.saves, 0);
	ck_assert_uint_ge(l.resolutions, 1);

	/* since a time after everything: nothing */
	memset(&l, 0, sizeof(l));
	o.worker = NULL;
	rt_ok(ruhu_audit_parse_time(&o.since, s.hub, "2099-01-01"));
	rt_ok(ruhu_audit_log(s.hub, &o, take_entry, &l));
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(test_audit_parse_time)
{
	int64_t t;

	rt_ok(ruhu_audit_parse_time(&t, s.hub, "2026-03-02"));
	ck_assert_int_eq(t, STORY_T0 / 1000 - 9 * 3600);  /* midnight in +08:00 */
	rt_ok(ruhu_audit_parse_time(&t, s.hub, "2026-03-02T09:00"));
	ck_assert_int_eq(t, STORY_T0 / 1000);
	rt_ok(ruhu_audit_parse_time(&t, s.hub, "2026-03-02T01:00:00Z"));
	ck_assert_int_eq(t, STORY_T0 / 1000);
	ck_assert_int_eq(ruhu_audit_parse_time(&t, s.hub, "2026-02-30"), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_audit_parse_time(&t, s.hub, "yesterday"), RUHU_EINVALID);
}
END_TEST

/* ---- show ---- */

struct shown {
	char kind[16], merged_device[RUHU_ID_SIZE], rule[24], field[32], result[32];
	size_t ndecisions;
	int has_changes, has_merged_changes;
};

static int take_show(const ruhu_audit_commit *c, void *p)
{
	struct shown *o = p;

	snprintf(o->kind, sizeof(o->kind), "%s", c->entry.kind);
	if (c->merged)
		snprintf(o->merged_device, sizeof(o->merged_device), "%s", c->merged->commit.device);
	o->ndecisions = c->ndecisions;
	if (c->ndecisions) {
		snprintf(o->rule, sizeof(o->rule), "%s", c->decisions[0].rule);
		snprintf(o->field, sizeof(o->field), "%s", c->decisions[0].field ? c->decisions[0].field : "");
		snprintf(o->result, sizeof(o->result), "%s", c->decisions[0].result ? c->decisions[0].result : "");
	}
	o->has_changes = c->changes[0] != '\0';
	o->has_merged_changes = c->merged_changes[0] != '\0';
	return 0;
}

START_TEST(test_audit_show_a_merge_with_its_decisions)
{
	struct blamed b;
	struct shown o;

	memset(&b, 0, sizeof(b));
	rt_ok(ruhu_audit_blame(s.hub, "person", s.person, take_blame, &b));
	memset(&o, 0, sizeof(o));
	rt_ok(ruhu_audit_show(s.hub, b.decided_id, take_show, &o));
	ck_assert_str_eq(o.kind, "merge");
	ck_assert_str_eq(o.merged_device, "tab-01");
	ck_assert_uint_eq(o.ndecisions, 1);
	ck_assert_str_eq(o.rule, "lww");
	ck_assert_str_eq(o.field, "phone");
	ck_assert_str_eq(o.result, "13922222222");
	/* main changed nothing; the tablet's save changed the phone */
	ck_assert_int_eq(o.has_changes, 0);
	ck_assert_int_eq(o.has_merged_changes, 1);
	/* an abbreviated id works, a bad one is refused */
	b.decided_id[8] = '\0';
	rt_ok(ruhu_audit_show(s.hub, b.decided_id, take_show, &o));
	ck_assert_int_eq(ruhu_audit_show(s.hub, "xyz", take_show, &o), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_audit_show(s.hub, "0000000000", take_show, &o), RUHU_ENOTFOUND);
}
END_TEST

Suite *audit_suite(void)
{
	Suite *su = suite_create("audit");
	TCase *tc = tcase_create("audit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_audit_blame_names_the_winning_tablet_and_rule);
	tcase_add_test(tc, test_audit_blame_of_a_resolution_names_the_operator);
	tcase_add_test(tc, test_audit_blame_refuses_unknown_and_missing);
	tcase_add_test(tc, test_audit_history_lists_every_version_in_order);
	tcase_add_test(tc, test_audit_history_on_a_tablet_shows_pending_saves);
	tcase_add_test(tc, test_audit_log_shows_merges_saves_and_resolutions);
	tcase_add_test(tc, test_audit_parse_time);
	tcase_add_test(tc, test_audit_show_a_merge_with_its_decisions);
	suite_add_tcase(su, tc);
	return su;
}
