/*
 * test_via.c — sync through a folder (sync/via.c): the tablet's turn
 * (take its reply, write its push) and the hub's turn (take every push,
 * write every reply); refused files stay and do not stop the others; and
 * what a waiting bundle waits for (sync/ingest.c, report.waiting_for).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/support.h"

static char dir[256], usb[512];

static ruhu_replica_options fast(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

static ruhu_replica *make_hub(const char *name)
{
	ruhu_replica_options o = fast();
	ruhu_replica *h = NULL;
	char p[512];

	rt_path(p, sizeof(p), dir, name);
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
	ruhu_buf_dispose(&req);
	ruhu_buf_dispose(&reply);
	return d;
}

static void save_household(ruhu_replica *r, const char *address, char id[RUHU_ID_SIZE])
{
	ruhu_edit *e;
	ruhu_assign v[] = { { "address", address } };

	rt_ok(ruhu_edit_begin(&e, r));
	rt_ok(ruhu_edit_insert(e, "household", v, 1, id));
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
}

static const char *in_usb(const char *name)
{
	static char p[1024];

	rt_path(p, sizeof(p), usb, name);
	return p;
}

static void digest_of(char out[65], ruhu_replica *r)
{
	ruhu_status st;

	rt_ok(ruhu_status_get(&st, r));
	memcpy(out, st.digest, 65);
}

static void setup(void)
{
	ruhu_init();
	rt_tmpdir(dir, sizeof(dir));
	rt_path(usb, sizeof(usb), dir, "usb");
	ck_assert_int_eq(mkdir(usb, 0700), 0);
}

static void teardown(void)
{
	rt_rmrf(dir);
}

START_TEST(test_via_two_turns_converge)
{
	ruhu_replica *hub = make_hub("hub");
	ruhu_replica *a = make_device(hub, "tab-01", "w-01"), *b = make_device(hub, "tab-02", "w-02");
	ruhu_via_report vr;
	ruhu_hub_via_report hr;
	char h[RUHU_ID_SIZE], da[65], db[65], dh[65];
	ruhu_status st;

	save_household(a, "梅园新村 1 号", h);
	save_household(a, "梅园新村 2 号", NULL);

	/* first turn: no reply yet; the push carries both saves */
	rt_ok(ruhu_sync_via(&vr, a, usb));
	ck_assert_int_eq(vr.reply_found, 0);
	ck_assert_uint_eq(vr.pushed, 2);
	ck_assert_str_eq(vr.push_path.ptr, in_usb("tab-01.push"));
	ruhu_via_report_dispose(&vr);
	rt_ok(ruhu_sync_via(&vr, b, usb));
	ck_assert_uint_eq(vr.pushed, 0);
	ruhu_via_report_dispose(&vr);
	ck_assert(rt_exists(in_usb("tab-01.push")) && rt_exists(in_usb("tab-02.push")));

	/* the hub takes both, in name order, removes them, replies to both */
	rt_ok(ruhu_hub_sync_via(&hr, hub, usb, NULL));
	ck_assert_uint_eq(hr.nfiles, 2);
	ck_assert_uint_eq(hr.taken, 2);
	ck_assert_uint_eq(hr.refused, 0);
	ck_assert_str_eq(hr.files[0].name, "tab-01.push");
	ck_assert_str_eq(hr.files[0].ingest.device, "tab-01");
	ck_assert_uint_eq(hr.files[0].ingest.commits, 2);
	ck_assert_str_eq(hr.files[1].name, "tab-02.push");
	ck_assert_uint_eq(hr.nreplies, 2);
	ck_assert_str_eq(hr.replies[0], "tab-01");
	ck_assert_str_eq(hr.replies[1], "tab-02");
	ruhu_hub_via_report_dispose(&hr);
	ck_assert(!rt_exists(in_usb("tab-01.push")) && !rt_exists(in_usb("tab-02.push")));
	ck_assert(rt_exists(in_usb("tab-01.reply")) && rt_exists(in_usb("tab-02.reply")));

	/* second turn: each takes its reply (removed) and pushes again */
	rt_ok(ruhu_sync_via(&vr, a, usb));
	ck_assert_int_eq(vr.reply_found, 1);
	ck_assert_int_eq(vr.reply_error, 0);
	ck_assert_uint_eq(vr.pull.acknowledged, 2);
	ck_assert_uint_eq(vr.pushed, 0);
	ruhu_via_report_dispose(&vr);
	rt_ok(ruhu_sync_via(&vr, b, usb));
	ck_assert_int_eq(vr.reply_error, 0);
	ck_assert_uint_ge(vr.pull.main_commits, 2);
	ruhu_via_report_dispose(&vr);
	ck_assert(!rt_exists(in_usb("tab-01.reply")) && !rt_exists(in_usb("tab-02.reply")));

	digest_of(da, a);
	digest_of(db, b);
	digest_of(dh, hub);
	ck_assert_str_eq(da, dh);
	ck_assert_str_eq(db, dh);
	rt_ok(ruhu_status_get(&st, a));
	ck_assert_int_eq(st.pending, 0);
	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_via_refused_push_stays_and_others_go_on)
{
	ruhu_replica *hub = make_hub("hub");
	ruhu_replica *a = make_device(hub, "tab-01", "w-01"), *b = make_device(hub, "tab-02", "w-02");
	ruhu_via_report vr;
	ruhu_hub_via_report hr;
	ruhu_status before, after;
	unsigned char *bytes;
	size_t len;

	save_household(a, "a", NULL);
	save_household(b, "b", NULL);
	rt_ok(ruhu_sync_via(&vr, a, usb));
	ruhu_via_report_dispose(&vr);
	rt_ok(ruhu_sync_via(&vr, b, usb));
	ruhu_via_report_dispose(&vr);
	/* tab-01's push damaged on the stick; other files are left alone */
	bytes = rt_read_file(in_usb("tab-01.push"), &len);
	bytes[len / 2] ^= 0x01;
	rt_write_file(in_usb("tab-01.push"), bytes, len);
	free(bytes);
	rt_write_file(in_usb("notes.txt"), "x", 1);
	rt_write_file(in_usb(".hidden.push"), "x", 1);
	rt_write_file(in_usb("tab-09.push.tmp"), "x", 1);
	rt_ok(ruhu_status_get(&before, hub));

	rt_ok(ruhu_hub_sync_via(&hr, hub, usb, NULL));
	ck_assert_uint_eq(hr.nfiles, 2);
	ck_assert_uint_eq(hr.refused, 1);
	ck_assert_uint_eq(hr.taken, 1);
	ck_assert_str_eq(hr.files[0].name, "tab-01.push");
	ck_assert_int_lt(hr.files[0].error, 0);
	ck_assert_ptr_nonnull(hr.files[0].message);
	ck_assert_str_ne(hr.files[0].message, "");
	ck_assert_int_eq(hr.files[1].error, 0);
	ck_assert_uint_eq(hr.files[1].ingest.commits, 1);
	/* replies go to tablets whose bundle the hub has taken at least once:
	 * tab-01's only bundle was refused, so only tab-02 gets one */
	ck_assert_uint_eq(hr.nreplies, 1);
	ck_assert_str_eq(hr.replies[0], "tab-02");
	ruhu_hub_via_report_dispose(&hr);
	ck_assert(rt_exists(in_usb("tab-01.push")));
	ck_assert(!rt_exists(in_usb("tab-02.push")));
	ck_assert(rt_exists(in_usb("notes.txt")) && rt_exists(in_usb(".hidden.push")) &&
		  rt_exists(in_usb("tab-09.push.tmp")));
	rt_ok(ruhu_status_get(&after, hub));
	ck_assert_str_ne(before.head, after.head); /* tab-02's save merged */
	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_via_refused_reply_stays_and_push_is_written)
{
	ruhu_replica *hub = make_hub("hub");
	ruhu_replica *a = make_device(hub, "tab-01", "w-01"), *b = make_device(hub, "tab-02", "w-02");
	ruhu_buf reply = RUHU_BUF_INIT;
	ruhu_via_report vr;
	ruhu_status before, after;

	save_household(a, "a", NULL);
	/* tab-02's reply put where tab-01 looks */
	rt_ok(ruhu_hub_reply(&reply, hub, "tab-02"));
	rt_write_file(in_usb("tab-01.reply"), reply.ptr, reply.size);
	rt_ok(ruhu_status_get(&before, a));
	rt_ok(ruhu_sync_via(&vr, a, usb));
	ck_assert_int_eq(vr.reply_found, 1);
	ck_assert_int_eq(vr.reply_error, RUHU_EINVALID);
	ck_assert_ptr_nonnull(strstr(vr.reply_message.ptr, "addressed to tab-02"));
	ck_assert_uint_eq(vr.pushed, 1);
	ruhu_via_report_dispose(&vr);
	ck_assert(rt_exists(in_usb("tab-01.reply")));
	ck_assert(rt_exists(in_usb("tab-01.push")));
	rt_ok(ruhu_status_get(&after, a));
	ck_assert_str_eq(before.digest, after.digest);
	ck_assert_str_eq(before.main, after.main);
	ruhu_buf_dispose(&reply);
	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_via_revoked_tablet_gets_no_reply)
{
	ruhu_replica *hub = make_hub("hub");
	ruhu_replica *a = make_device(hub, "tab-01", "w-01"), *b = make_device(hub, "tab-02", "w-02");
	ruhu_via_report vr;
	ruhu_hub_via_report hr;

	rt_ok(ruhu_sync_via(&vr, a, usb));
	ruhu_via_report_dispose(&vr);
	rt_ok(ruhu_sync_via(&vr, b, usb));
	ruhu_via_report_dispose(&vr);
	rt_ok(ruhu_hub_sync_via(&hr, hub, usb, NULL));
	ck_assert_uint_eq(hr.nreplies, 2);
	ruhu_hub_via_report_dispose(&hr);
	rt_ok(ruhu_hub_revoke(hub, "tab-02", "lost on the bus"));
	unlink(in_usb("tab-02.reply"));
	rt_ok(ruhu_sync_via(&vr, b, usb));
	ruhu_via_report_dispose(&vr);
	rt_ok(ruhu_hub_sync_via(&hr, hub, usb, NULL));
	ck_assert_uint_eq(hr.refused, 1);
	ck_assert_int_eq(hr.files[0].error, RUHU_EREVOKED);
	ck_assert_ptr_nonnull(strstr(hr.files[0].message, "lost on the bus"));
	ck_assert_uint_eq(hr.nreplies, 1);
	ck_assert_str_eq(hr.replies[0], "tab-01");
	ruhu_hub_via_report_dispose(&hr);
	ck_assert(!rt_exists(in_usb("tab-02.reply")));
	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_via_bad_folders_and_roles)
{
	ruhu_replica *hub = make_hub("hub");
	ruhu_replica *a = make_device(hub, "tab-01", "w-01"), *u = NULL;
	ruhu_replica_options o = fast();
	ruhu_via_report vr;
	ruhu_hub_via_report hr;
	char missing[600], file[600], p[512];

	rt_path(missing, sizeof(missing), dir, "no-such-folder");
	rt_path(file, sizeof(file), dir, "a-file");
	rt_write_file(file, "x", 1);
	ck_assert_int_lt(ruhu_sync_via(&vr, a, missing), 0);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "no-such-folder"));
	ruhu_via_report_dispose(&vr);
	ck_assert_int_eq(ruhu_sync_via(&vr, a, file), RUHU_EINVALID);
	ruhu_via_report_dispose(&vr);
	ck_assert_int_lt(ruhu_hub_sync_via(&hr, hub, missing, NULL), 0);
	ruhu_hub_via_report_dispose(&hr);
	/* a hub is not a tablet, a tablet is not a hub, an unjoined tablet
	 * has nobody to push to */
	ck_assert_int_eq(ruhu_sync_via(&vr, hub, usb), RUHU_EINVALID);
	ruhu_via_report_dispose(&vr);
	ck_assert_int_eq(ruhu_hub_sync_via(&hr, a, usb, NULL), RUHU_EINVALID);
	ruhu_hub_via_report_dispose(&hr);
	rt_path(p, sizeof(p), dir, "tab-05");
	rt_ok(ruhu_device_init(&u, p, "tab-05", "pw", 2, &o));
	ck_assert_int_eq(ruhu_sync_via(&vr, u, usb), RUHU_EINVALID);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "has not joined"));
	ruhu_via_report_dispose(&vr);
	ck_assert(!rt_exists(in_usb("tab-05.push")));
	ruhu_replica_free(u);
	ruhu_replica_free(a);
	ruhu_replica_free(hub);
}
END_TEST

/* A hub brought back from a copy made before it took a tablet's first
 * bundle: the tablet's next bundle needs a main the hub no longer has, and
 * waits; the report says for which commit (sync/ingest.c). */
START_TEST(test_via_waiting_bundle_names_its_prerequisite)
{
	ruhu_replica *hub = make_hub("hub");
	ruhu_replica *a = make_device(hub, "tab-01", "w-01");
	ruhu_buf b1 = RUHU_BUF_INIT, b2 = RUHU_BUF_INIT, reply = RUHU_BUF_INIT;
	ruhu_ingest_report ir;
	ruhu_pull_report pr;
	char hp[512], bp[512];

	rt_path(hp, sizeof(hp), dir, "hub");
	rt_path(bp, sizeof(bp), dir, "hub-copy");
	ruhu_replica_free(hub);
	ck_assert_int_eq(rt_sh(NULL, "cp -a '%s' '%s'", hp, bp), 0);
	rt_ok(ruhu_replica_open(&hub, hp, "pw", 2, NULL));

	save_household(a, "a", NULL);
	rt_ok(ruhu_push(&b1, NULL, a));
	rt_ok(ruhu_hub_ingest(&ir, hub, b1.ptr, b1.size, NULL));
	ck_assert_int_eq(ir.waiting, 0);
	ck_assert_str_eq(ir.waiting_for, "");
	ruhu_ingest_report_dispose(&ir);
	rt_ok(ruhu_hub_reply(&reply, hub, "tab-01"));
	rt_ok(ruhu_pull(&pr, a, reply.ptr, reply.size));
	save_household(a, "b", NULL);
	rt_ok(ruhu_push(&b2, NULL, a));

	/* the copy lacks the main the tablet now has */
	ruhu_replica_free(hub);
	rt_ok(ruhu_replica_open(&hub, bp, "pw", 2, NULL));
	rt_ok(ruhu_hub_ingest(&ir, hub, b2.ptr, b2.size, NULL));
	ck_assert_int_eq(ir.waiting, 1);
	ck_assert_uint_eq(ir.commits, 0);
	ck_assert_int_eq((int)strlen(ir.waiting_for), 40);
	{
		ruhu_buf text = RUHU_BUF_INIT;

		/* a commit the tablet has and the hub's copy lacks */
		rt_ok(ruhu_show(&text, a, ir.waiting_for));
		ck_assert_int_eq(ruhu_show(&text, hub, ir.waiting_for), RUHU_ENOTFOUND);
		ruhu_buf_dispose(&text);
	}
	ruhu_ingest_report_dispose(&ir);
	ruhu_buf_dispose(&b1);
	ruhu_buf_dispose(&b2);
	ruhu_buf_dispose(&reply);
	ruhu_replica_free(a);
	ruhu_replica_free(hub);
}
END_TEST

Suite *via_suite(void)
{
	Suite *s = suite_create("via");
	TCase *tc = tcase_create("via");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_via_two_turns_converge);
	tcase_add_test(tc, test_via_refused_push_stays_and_others_go_on);
	tcase_add_test(tc, test_via_refused_reply_stays_and_push_is_written);
	tcase_add_test(tc, test_via_revoked_tablet_gets_no_reply);
	tcase_add_test(tc, test_via_bad_folders_and_roles);
	tcase_add_test(tc, test_via_waiting_bundle_names_its_prerequisite);
	suite_add_tcase(s, tc);
	return s;
}
