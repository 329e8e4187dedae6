/*
 * test_flow.c — the life of a home visit across tablets and the hub, in C
 * (sync/enrol.c, sync/device.c, sync/ingest.c, sync/reply.c, sync/pull.c,
 * sync/review.c): enrol, join, save, push, ingest, reply, pull.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commit.h"
#include "core/identity.h"
#include "core/meta.h"
#include "core/refs.h"
#include "core/replica.h"
#include "support/support.h"

static char dir[256];

static ruhu_replica_options fast(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

static ruhu_replica *make_hub(void)
{
	ruhu_replica_options o = fast();
	ruhu_replica *h = NULL;
	char p[512];

	rt_path(p, sizeof(p), dir, "hub");
	rt_ok(ruhu_hub_init(&h, p, "320102", "梅园新村街道人社服务中心", NULL, "pw", 2, &o));
	rt_ok(ruhu_worker_use(h, "op-01", "李娜"));
	return h;
}

static ruhu_replica *make_device(ruhu_replica *hub, const char *id, const char *worker)
{
	ruhu_replica_options o = fast();
	ruhu_replica *d = NULL;
	ruhu_buf req = RUHU_BUF_INIT, reply = RUHU_BUF_INIT;
	ruhu_pull_report rep;
	char p[512], keyid[17];

	rt_path(p, sizeof(p), dir, id);
	rt_ok(ruhu_device_init(&d, p, id, "pw", 2, &o));
	rt_ok(ruhu_enrol_request(&req, d));
	rt_ok(ruhu_hub_enrol(&reply, hub, req.ptr, req.size, worker, worker));
	rt_ok(ruhu_join(&rep, keyid, d, reply.ptr, reply.size));
	ck_assert_int_eq((int)strlen(keyid), 16);
	ruhu_buf_dispose(&req);
	ruhu_buf_dispose(&reply);
	return d;
}

/* push from d, ingest at hub, reply, pull at d */
static void round_trip(ruhu_replica *hub, ruhu_replica *d, const char *id, ruhu_ingest_report *ir)
{
	ruhu_buf b = RUHU_BUF_INIT, r = RUHU_BUF_INIT;
	ruhu_pull_report pr;
	size_t n;
	ruhu_ingest_report local;

	if (ir == NULL)
		ir = &local;
	rt_ok(ruhu_push(&b, &n, d));
	rt_ok(ruhu_hub_ingest(ir, hub, b.ptr, b.size, NULL));
	ck_assert_str_eq(ir->device, id);
	rt_ok(ruhu_hub_reply(&r, hub, id));
	rt_ok(ruhu_pull(&pr, d, r.ptr, r.size));
	if (ir == &local)
		ruhu_ingest_report_dispose(&local);
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&r);
}

static void same_digest(ruhu_replica *a, ruhu_replica *b)
{
	ruhu_status sa, sb;

	rt_ok(ruhu_status_get(&sa, a));
	rt_ok(ruhu_status_get(&sb, b));
	ck_assert_str_eq(sa.digest, sb.digest);
}

static char got[256];

static int take_field(int stmt, int ncols, const char *const *names, const ruhu_value *v, void *p)
{
	for (int i = 0; i < ncols; i++)
		if (!strcmp(names[i], (const char *)p))
			snprintf(got, sizeof(got), "%s", v[i].type == RUHU_VALUE_NULL ? "(null)" : v[i].p);
	return 0;
}

static const char *field(ruhu_replica *r, const char *type, const char *id, const char *f)
{
	got[0] = '\0';
	rt_ok(ruhu_record_get(r, type, id, take_field, (void *)f));
	return got;
}

static void setup(void)
{
	ruhu_init();
	rt_tmpdir(dir, sizeof(dir));
}

static void teardown(void)
{
	rt_rmrf(dir);
}

START_TEST(test_flow_enrol_save_sync_converges)
{
	ruhu_replica *hub = make_hub();
	ruhu_replica *a = make_device(hub, "tab-01", "w-01"), *b = make_device(hub, "tab-02", "w-02");
	ruhu_edit *e;
	char hh[RUHU_ID_SIZE], p[RUHU_ID_SIZE];
	ruhu_status st;
	ruhu_ingest_report ir;

	/* the worker records came with the enrolment; b's enrolment moved
	 * main on, and a catches up with its next pull */
	ck_assert_str_eq(field(a, "worker", "w-01", "name"), "w-01");
	same_digest(b, hub);

	rt_ok(ruhu_edit_begin(&e, a));
	{
		ruhu_assign h[] = { { "address", "梅园新村 12 号" } };
		ruhu_assign pv[] = { { "household_id", hh }, { "name", "张伟" }, { "phone", "13800000000" } };

		rt_ok(ruhu_edit_insert(e, "household", h, 1, hh));
		rt_ok(ruhu_edit_insert(e, "person", pv, 3, p));
	}
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
	rt_ok(ruhu_status_get(&st, a));
	ck_assert_int_eq(st.pending, 1);

	round_trip(hub, a, "tab-01", &ir);
	ck_assert_uint_eq(ir.commits, 1);
	ruhu_ingest_report_dispose(&ir);
	rt_ok(ruhu_status_get(&st, a));
	ck_assert_int_eq(st.pending, 0);
	same_digest(a, hub);
	ck_assert_str_eq(field(hub, "person", p, "name"), "张伟");

	/* b gets it, both change the phone offline; the later edit wins */
	round_trip(hub, b, "tab-02", NULL);
	ck_assert_str_eq(field(b, "person", p, "phone"), "13800000000");
	rt_ok(ruhu_edit_begin(&e, a));
	{
		ruhu_assign v[] = { { "phone", "13911111111" } };

		rt_ok(ruhu_edit_update(e, "person", p, v, 1));
	}
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
	rt_ok(ruhu_edit_begin(&e, b));
	{
		ruhu_assign v[] = { { "phone", "13922222222" } };

		rt_ok(ruhu_edit_update(e, "person", p, v, 1));
	}
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
	round_trip(hub, b, "tab-02", NULL);
	round_trip(hub, a, "tab-01", &ir);
	ck_assert_uint_eq(ir.commits, 1);
	ck_assert_uint_ge(ir.nrules, 1);
	ck_assert_str_eq(ir.rules[0].rule, "lww");
	ruhu_ingest_report_dispose(&ir);
	round_trip(hub, b, "tab-02", NULL);
	ck_assert_str_eq(field(hub, "person", p, "phone"), "13922222222");
	ck_assert_str_eq(field(a, "person", p, "phone"), "13922222222");
	ck_assert_str_eq(field(b, "person", p, "phone"), "13922222222");
	same_digest(a, hub);
	same_digest(b, hub);

	/* the same bundle again is a no-op */
	{
		ruhu_buf bb = RUHU_BUF_INIT;

		rt_ok(ruhu_push(&bb, NULL, a));
		rt_ok(ruhu_hub_ingest(&ir, hub, bb.ptr, bb.size, NULL));
		ck_assert_uint_eq(ir.commits, 0);
		ruhu_ingest_report_dispose(&ir);
		ruhu_buf_dispose(&bb);
	}
	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_flow_review_and_resolve)
{
	ruhu_replica *hub = make_hub();
	ruhu_replica *a = make_device(hub, "tab-01", "w-01"), *b = make_device(hub, "tab-02", "w-02");
	ruhu_edit *e;
	char p[RUHU_ID_SIZE];
	ruhu_ingest_report ir;
	ruhu_save_info info;

	rt_ok(ruhu_edit_begin(&e, a));
	{
		ruhu_assign pv[] = { { "name", "王五" }, { "id_number", "11010519491231002X" } };

		rt_ok(ruhu_edit_insert(e, "person", pv, 2, p));
	}
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
	round_trip(hub, a, "tab-01", NULL);
	round_trip(hub, b, "tab-02", NULL);
	/* both change the identity number: review */
	rt_ok(ruhu_edit_begin(&e, a));
	{
		ruhu_assign v[] = { { "id_number", "110105194912310038" } };

		rt_ok(ruhu_edit_update(e, "person", p, v, 1));
	}
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
	rt_ok(ruhu_edit_begin(&e, b));
	{
		ruhu_assign v[] = { { "id_number", "110105194912310046" } };

		rt_ok(ruhu_edit_update(e, "person", p, v, 1));
	}
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
	round_trip(hub, a, "tab-01", NULL);
	round_trip(hub, b, "tab-02", &ir);
	ck_assert_uint_eq(ir.reviews, 1);
	ruhu_ingest_report_dispose(&ir);
	ck_assert_str_eq(field(hub, "person", p, "id_number"), "110105194912310038");
	ck_assert_str_eq(field(b, "person", p, "id_number"), "110105194912310038");
	same_digest(b, hub);

	rt_ok(ruhu_review_resolve(&info, hub, 1, RUHU_TAKE_DEVICE, NULL, "checked the card"));
	ck_assert_int_eq(info.committed, 1);
	ck_assert_str_eq(field(hub, "person", p, "id_number"), "110105194912310046");
	ck_assert_int_eq(ruhu_review_resolve(&info, hub, 1, RUHU_TAKE_HUB, NULL, NULL), RUHU_EINVALID);
	round_trip(hub, a, "tab-01", NULL);
	ck_assert_str_eq(field(a, "person", p, "id_number"), "110105194912310046");
	same_digest(a, hub);
	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_flow_refusals_change_nothing)
{
	ruhu_replica *hub = make_hub();
	ruhu_replica *a = make_device(hub, "tab-01", "w-01");
	ruhu_buf bb = RUHU_BUF_INIT;
	ruhu_ingest_report ir;
	ruhu_status before, after;
	ruhu_edit *e;

	rt_ok(ruhu_edit_begin(&e, a));
	{
		ruhu_assign h[] = { { "address", "x" } };

		rt_ok(ruhu_edit_insert(e, "household", h, 1, NULL));
	}
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
	rt_ok(ruhu_push(&bb, NULL, a));
	rt_ok(ruhu_status_get(&before, hub));
	/* a flipped byte anywhere is refused */
	for (size_t i = 0; i < bb.size; i += bb.size / 37 + 1) {
		bb.ptr[i] ^= 0x20;
		ck_assert_int_lt(ruhu_hub_ingest(&ir, hub, bb.ptr, bb.size, NULL), 0);
		ck_assert_str_ne(ruhu_error_last(), "");
		ruhu_ingest_report_dispose(&ir);
		bb.ptr[i] ^= 0x20;
	}
	rt_ok(ruhu_status_get(&after, hub));
	ck_assert_str_eq(before.head, after.head);
	/* revoked: refused with the reason */
	rt_ok(ruhu_hub_revoke(hub, "tab-01", "lost on the bus"));
	ck_assert_int_eq(ruhu_hub_ingest(&ir, hub, bb.ptr, bb.size, NULL), RUHU_EREVOKED);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "lost on the bus"));
	ruhu_ingest_report_dispose(&ir);
	ruhu_buf_dispose(&bb);
	ruhu_replica_free(a);
	ruhu_replica_free(hub);
}
END_TEST

/* Rewrite the tablet's newest save as another commit: same tree and
 * parents, its Ruhu-Schema trailer replaced when `schema` is given, signed
 * with `key`.  The branch and the pending save follow it, as if the tablet
 * itself had made it. */
static void forge_head(ruhu_replica *d, const char *schema, ruhu_signkey *key)
{
	sqlite3 *db = ruhu_replica_db(d);
	git_repository *repo;
	git_commit *c;
	git_oid head, forged;
	ruhu_trailers tr = RUHU_TRAILERS_INIT;
	ruhu_commit_opts o = RUHU_COMMIT_OPTS_INIT;
	ruhu_trailer items[16];
	git_oid parents[2];
	sqlite3_stmt *st;

	rt_ok(ruhu_replica_repo(&repo, d));
	rt_ok(ruhu_refs_get(&head, db, "refs/heads/device"));
	ck_assert_int_eq(git_commit_lookup(&c, repo, &head), 0);
	rt_ok(ruhu_trailers_parse(&tr, git_commit_message(c)));
	ck_assert_uint_le(tr.count, 16);
	for (size_t i = 0; i < tr.count; i++) {
		items[i] = tr.items[i];
		if (schema && !strcmp(items[i].key, "Ruhu-Schema"))
			items[i].value = schema;
	}
	for (unsigned int i = 0; i < git_commit_parentcount(c); i++)
		parents[i] = *git_commit_parent_id(c, i);
	o.tree = git_commit_tree_id(c);
	o.parents = parents;
	o.nparents = git_commit_parentcount(c);
	o.author.name = git_commit_author(c)->name;
	o.author.email = git_commit_author(c)->email;
	o.author.time = git_commit_author(c)->when.time;
	o.author.offset = git_commit_author(c)->when.offset;
	o.committer.name = git_commit_committer(c)->name;
	o.committer.email = git_commit_committer(c)->email;
	o.committer.time = git_commit_committer(c)->when.time;
	o.committer.offset = git_commit_committer(c)->when.offset;
	o.subject = git_commit_summary(c);
	o.trailers = items;
	o.ntrailers = tr.count;
	rt_ok(ruhu_commit_create(&forged, repo, &o, key));
	rt_ok(ruhu_refs_set(db, "refs/heads/device", &forged, &head));
	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE _pending SET oid = ?1 WHERE oid = ?2", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, forged.id, GIT_OID_RAWSZ, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, head.id, GIT_OID_RAWSZ, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	ruhu_trailers_dispose(&tr);
	git_commit_free(c);
}

static void one_save(ruhu_replica *d)
{
	ruhu_edit *e;
	ruhu_assign h[] = { { "address", "x" } };

	rt_ok(ruhu_edit_begin(&e, d));
	rt_ok(ruhu_edit_insert(e, "household", h, 1, NULL));
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
}

/* A bundle is refused whole, and the hub changes in nothing, when a commit
 * in it was made with another schema or is not signed by its device. */
START_TEST(test_flow_refuses_other_schema_and_bad_signature)
{
	ruhu_replica *hub = make_hub();
	ruhu_replica *a = make_device(hub, "tab-01", "w-01"), *b = make_device(hub, "tab-02", "w-02");
	ruhu_signkey *ka = NULL, *kb = NULL;
	ruhu_buf bb = RUHU_BUF_INIT;
	ruhu_ingest_report ir;
	ruhu_status before, after;
	ruhu_schema *schema = NULL;

	rt_ok(ruhu_schema_load_default(&schema));
	rt_ok(ruhu_identity_signkey(&ka, a));
	rt_ok(ruhu_identity_signkey(&kb, b));
	rt_ok(ruhu_status_get(&before, hub));

	one_save(a);
	forge_head(a, "0000000000000000000000000000000000000000000000000000000000000000", ka);
	rt_ok(ruhu_push(&bb, NULL, a));
	ck_assert_int_eq(ruhu_hub_ingest(&ir, hub, bb.ptr, bb.size, NULL), RUHU_ESCHEMA);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "was made with schema 000000000000"));
	ruhu_ingest_report_dispose(&ir);
	rt_ok(ruhu_status_get(&after, hub));
	ck_assert_str_eq(before.head, after.head);
	ck_assert_str_eq(before.digest, after.digest);

	/* the same save signed by another tablet's key */
	forge_head(a, ruhu_schema_version(schema), kb);
	ruhu_buf_clear(&bb);
	rt_ok(ruhu_push(&bb, NULL, a));
	ck_assert_int_eq(ruhu_hub_ingest(&ir, hub, bb.ptr, bb.size, NULL), RUHU_EAUTH);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "is not signed by tab-01's key"));
	ruhu_ingest_report_dispose(&ir);
	rt_ok(ruhu_status_get(&after, hub));
	ck_assert_str_eq(before.head, after.head);
	ck_assert_str_eq(before.digest, after.digest);

	/* signed by its own key again: taken */
	forge_head(a, NULL, ka);
	ruhu_buf_clear(&bb);
	rt_ok(ruhu_push(&bb, NULL, a));
	rt_ok(ruhu_hub_ingest(&ir, hub, bb.ptr, bb.size, NULL));
	ck_assert_uint_eq(ir.commits, 1);
	ruhu_ingest_report_dispose(&ir);

	ruhu_schema_free(schema);
	ruhu_signkey_free(ka);
	ruhu_signkey_free(kb);
	ruhu_buf_dispose(&bb);
	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
}
END_TEST

Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *tc = tcase_create("flow");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_flow_enrol_save_sync_converges);
	tcase_add_test(tc, test_flow_review_and_resolve);
	tcase_add_test(tc, test_flow_refusals_change_nothing);
	tcase_add_test(tc, test_flow_refuses_other_schema_and_bad_signature);
	suite_add_tcase(s, tc);
	return s;
}
