/*
 * test_audit_story.h — the sync story the audit suites read: a hub, two
 * tablets, a household and a resident registered on tab-01, the resident's
 * phone changed on both tablets offline (tab-02's edit is the later one and
 * wins under `lww`), an identity number changed on both (a review item the
 * operator resolves), and closed cases for the archive.  Built in C like
 * tests/sync/test_flow.c; each replica runs on its own test clock so that
 * times are known.
 */
#ifndef RUHU_TEST_AUDIT_STORY_H
#define RUHU_TEST_AUDIT_STORY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/replica.h"
#include "support/support.h"

/* 2026-03-02T09:00:00+08:00 */
#define STORY_T0 INT64_C(1772413200000)

struct story_clock {
	int64_t now;
};

static int64_t story_now(void *p)
{
	struct story_clock *c = p;

	c->now += 1000; /* every reading one second later */
	return c->now;
}

struct story {
	char dir[256];
	ruhu_replica *hub, *a, *b;
	struct story_clock ch, ca, cb;
	char household[RUHU_ID_SIZE], person[RUHU_ID_SIZE];
	char app_done[RUHU_ID_SIZE], app_open[RUHU_ID_SIZE], complaint[RUHU_ID_SIZE];
	char dispute[RUHU_ID_SIZE], attachment[RUHU_ID_SIZE];
};

static ruhu_replica_options story_fast(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

static void story_clock_set(ruhu_replica *r, struct story_clock *c, int64_t start)
{
	c->now = start;
	r->clock.now_ms = story_now;
	r->clock.payload = c;
}

static ruhu_replica *story_device(struct story *s, const char *id, const char *worker,
				  struct story_clock *clk, int64_t start)
{
	ruhu_replica_options o = story_fast();
	ruhu_replica *d = NULL;
	ruhu_buf req = RUHU_BUF_INIT, reply = RUHU_BUF_INIT;
	ruhu_pull_report rep;
	char p[512], keyid[17];

	rt_path(p, sizeof(p), s->dir, id);
	rt_ok(ruhu_device_init(&d, p, id, "pw", 2, &o));
	story_clock_set(d, clk, start);
	rt_ok(ruhu_enrol_request(&req, d));
	rt_ok(ruhu_hub_enrol(&reply, s->hub, req.ptr, req.size, worker, worker));
	rt_ok(ruhu_join(&rep, keyid, d, reply.ptr, reply.size));
	ruhu_buf_dispose(&req);
	ruhu_buf_dispose(&reply);
	return d;
}

/* push from d, ingest at the hub, reply, pull at d */
static void story_sync(struct story *s, ruhu_replica *d, const char *id)
{
	ruhu_buf b = RUHU_BUF_INIT, r = RUHU_BUF_INIT;
	ruhu_pull_report pr;
	ruhu_ingest_report ir;

	rt_ok(ruhu_push(&b, NULL, d));
	rt_ok(ruhu_hub_ingest(&ir, s->hub, b.ptr, b.size, NULL));
	ck_assert_str_eq(ir.device, id);
	ruhu_ingest_report_dispose(&ir);
	rt_ok(ruhu_hub_reply(&r, s->hub, id));
	rt_ok(ruhu_pull(&pr, d, r.ptr, r.size));
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&r);
}

static void story_set(ruhu_replica *r, const char *type, const char *id, const char *field,
		      const char *value)
{
	ruhu_edit *e;
	ruhu_assign v[] = { { field, value } };

	rt_ok(ruhu_edit_begin(&e, r));
	rt_ok(ruhu_edit_update(e, type, id, v, 1));
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
}

/* The hub and two tablets, synced up to the phone conflict (and, with
 * `full`, the review, its resolution and the closed cases). */
static void story_build(struct story *s, int full)
{
	ruhu_replica_options o = story_fast();
	ruhu_edit *e;
	char p[512];

	memset(s, 0, sizeof(*s));
	ruhu_init();
	rt_tmpdir(s->dir, sizeof(s->dir));
	rt_path(p, sizeof(p), s->dir, "hub");
	rt_ok(ruhu_hub_init(&s->hub, p, "320102", "梅园新村街道人社服务中心", NULL, "pw", 2, &o));
	story_clock_set(s->hub, &s->ch, STORY_T0);
	rt_ok(ruhu_worker_use(s->hub, "op-01", "李娜"));
	s->a = story_device(s, "tab-01", "w-01", &s->ca, STORY_T0 + 60000);
	s->b = story_device(s, "tab-02", "w-02", &s->cb, STORY_T0 + 120000);

	rt_ok(ruhu_edit_begin(&e, s->a));
	{
		ruhu_assign h[] = { { "address", "梅园新村 12 号" } };
		ruhu_assign pv[] = { { "household_id", s->household }, { "name", "张伟" },
				     { "phone", "13800000000" }, { "id_number", "11010519491231002X" } };

		rt_ok(ruhu_edit_insert(e, "household", h, 1, s->household));
		rt_ok(ruhu_edit_insert(e, "person", pv, 4, s->person));
	}
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
	story_sync(s, s->a, "tab-01");
	story_sync(s, s->b, "tab-02");

	/* both change the phone offline; tab-02's clock is later: its edit wins */
	story_set(s->a, "person", s->person, "phone", "13911111111");
	s->cb.now = s->ca.now + 3600000;
	story_set(s->b, "person", s->person, "phone", "13922222222");
	s->ch.now = s->cb.now + 60000;
	story_sync(s, s->b, "tab-02");
	story_sync(s, s->a, "tab-01");
	story_sync(s, s->b, "tab-02");
	if (!full)
		return;

	/* both change the identity number: a review item, resolved at the hub */
	story_set(s->a, "person", s->person, "id_number", "110105194912310038");
	story_set(s->b, "person", s->person, "id_number", "110105194912310046");
	story_sync(s, s->a, "tab-01");
	story_sync(s, s->b, "tab-02");
	{
		ruhu_save_info info;

		rt_ok(ruhu_review_resolve(&info, s->hub, 1, RUHU_TAKE_DEVICE, NULL, "checked the card"));
		ck_assert_int_eq(info.committed, 1);
	}

	/* cases: one application completed, one still open, a closed
	 * complaint, a settled dispute, a photo of the application's form */
	{
		ruhu_buf notice = RUHU_BUF_INIT;
		static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1,
						      2, 3, 4, 5, 6, 7, 8, 9, 0xff, 0xd9 };

		rt_ok(ruhu_application_open(s->a, "emp.unemployment_registration", s->person, &notice,
					    s->app_done, NULL));
		rt_ok(ruhu_application_open(s->a, "ss.resident_pension", s->person, &notice, s->app_open, NULL));
		ruhu_buf_dispose(&notice);
		rt_ok(ruhu_edit_begin(&e, s->a));
		rt_ok(ruhu_edit_attach(e, "application", s->app_done, jpeg, sizeof(jpeg), "申请表",
				       s->attachment));
		{
			ruhu_assign cv[] = { { "person_id", s->person }, { "channel", "visit" },
					     { "subject", "窗口排队太久" },
					     { "received_at", "2026-03-02T10:00:00+08:00" } };
			ruhu_assign dv[] = { { "person_id", s->person }, { "employer_name", "梅园电子厂" },
					     { "kind", "wages" } };

			rt_ok(ruhu_edit_insert(e, "complaint", cv, 4, s->complaint));
			rt_ok(ruhu_edit_insert(e, "dispute", dv, 3, s->dispute));
		}
		rt_ok(ruhu_edit_commit(e, NULL, NULL));
		ruhu_edit_free(e);
		story_sync(s, s->a, "tab-01");
		story_set(s->hub, "application", s->app_done, "status", "completed");
		story_set(s->hub, "complaint", s->complaint, "status", "closed");
		story_set(s->hub, "dispute", s->dispute, "status", "settled");
	}
}

static void story_free(struct story *s)
{
	ruhu_replica_free(s->a);
	ruhu_replica_free(s->b);
	ruhu_replica_free(s->hub);
	rt_rmrf(s->dir);
}

#endif
