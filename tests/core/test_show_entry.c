/*
 * test_show_entry.c — one commit as a log entry with its changes.txt and
 * decisions.txt (ruhu_show_entry, core/log.c), the data of `ruhu show
 * --json`; and ruhu_show still printing the same text from it.
 */
#include <stdio.h>
#include <string.h>

#include "core/meta.h"
#include "core/replica.h"
#include "core/setup.h"
#include "support/support.h"

static char dir[256];

static void setup(void)
{
	ruhu_init();
	rt_tmpdir(dir, sizeof(dir));
}

static void teardown(void)
{
	rt_rmrf(dir);
}

struct seen {
	int calls;
	char id[RUHU_OID_SIZE];
	int64_t seq;
	char device[64], worker[64], subject[64];
	char sig;
};

static int take(const ruhu_log_entry *e, void *payload)
{
	struct seen *s = payload;

	s->calls++;
	memcpy(s->id, e->id, sizeof(s->id));
	s->seq = e->seq;
	snprintf(s->device, sizeof(s->device), "%s", e->device);
	snprintf(s->worker, sizeof(s->worker), "%s", e->worker);
	snprintf(s->subject, sizeof(s->subject), "%s", e->subject);
	s->sig = e->sig;
	return 0;
}

START_TEST(test_show_entry_gives_entry_and_changes)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_replica *r = NULL;
	ruhu_edit *e = NULL;
	ruhu_save_info info;
	ruhu_buf changes = RUHU_BUF_INIT, decisions = RUHU_BUF_INIT, text = RUHU_BUF_INIT;
	struct seen s = { 0 };
	char path[512], hh[RUHU_ID_SIZE], shortid[9];
	ruhu_assign h[] = { { "address", "梅园新村 12 号" } };

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	rt_path(path, sizeof(path), dir, "tab");
	rt_ok(ruhu_replica_create(&r, path, "pw", 2, &o));
	rt_ok(ruhu_replica_setup(r, "tab-01", "320102", "refs/heads/device", RUHU_SETUP_TRACK_PENDING));
	rt_ok(ruhu_worker_use(r, "w-01", "王芳"));
	rt_ok(ruhu_edit_begin(&e, r));
	rt_ok(ruhu_edit_insert(e, "household", h, 1, hh));
	rt_ok(ruhu_edit_commit(e, "register the household", &info));
	ruhu_edit_free(e);

	/* an abbreviated id names the commit; text parts are filled */
	memcpy(shortid, info.id, 8);
	shortid[8] = '\0';
	rt_ok(ruhu_buf_puts(&decisions, "left over"));
	rt_ok(ruhu_show_entry(&changes, &decisions, r, shortid, take, &s));
	ck_assert_int_eq(s.calls, 1);
	ck_assert_str_eq(s.id, info.id);
	ck_assert_int_eq(s.seq, 1);
	ck_assert_str_eq(s.device, "tab-01");
	ck_assert_str_eq(s.worker, "w-01");
	ck_assert_str_eq(s.subject, "register the household");
	ck_assert_int_eq(s.sig, 'G');
	ck_assert_ptr_nonnull(strstr(changes.ptr, "inserted"));
	ck_assert_ptr_nonnull(strstr(changes.ptr, hh));
	ck_assert_uint_eq(decisions.size, 0); /* a device save has none; cleared */

	/* NULL parts are fine */
	s.calls = 0;
	rt_ok(ruhu_show_entry(NULL, NULL, r, info.id, take, &s));
	ck_assert_int_eq(s.calls, 1);

	/* refusals, each with its code and nothing given to the callback */
	s.calls = 0;
	ck_assert_int_eq(ruhu_show_entry(&changes, NULL, r, "abc", take, &s), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_show_entry(&changes, NULL, r, "zzzz", take, &s), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_show_entry(&changes, NULL, r, info.id[0] == '0' ? "ffffffff" : "00000000",
					 take, &s), RUHU_ENOTFOUND);
	ck_assert_int_eq(s.calls, 0);

	/* ruhu_show is the same data as text */
	rt_ok(ruhu_show(&text, r, info.id));
	ck_assert_ptr_nonnull(strstr(text.ptr, "Signature: good"));
	ck_assert_ptr_nonnull(strstr(text.ptr, "\nchanges:\n"));
	ck_assert_ptr_nonnull(strstr(text.ptr, changes.ptr));
	ck_assert_ptr_null(strstr(text.ptr, "decisions:"));

	ruhu_buf_dispose(&changes);
	ruhu_buf_dispose(&decisions);
	ruhu_buf_dispose(&text);
	ruhu_replica_free(r);
}
END_TEST

Suite *show_entry_suite(void)
{
	Suite *s = suite_create("show_entry");
	TCase *tc = tcase_create("show_entry");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_show_entry_gives_entry_and_changes);
	suite_add_tcase(s, tc);
	return s;
}
