/*
 * test_inspect.c — bundle files looked at by their recipient (sync/inspect.c,
 * sync/inspect_commits.c): what a tablet's bundle, a reply and an enrolment
 * reply hold; who may read them; damaged bytes; verify's refusals; the plain
 * git bundle of `open`; enrolment requests; key ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"

static char dir[256];

static ruhu_replica_options fast(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

static ruhu_replica *make_hub(const char *name, const char *code)
{
	ruhu_replica_options o = fast();
	ruhu_replica *h = NULL;
	char p[512];

	rt_path(p, sizeof(p), dir, name);
	rt_ok(ruhu_hub_init(&h, p, code, "梅园新村街道人社服务中心", NULL, "pw", 2, &o));
	rt_ok(ruhu_worker_use(h, "op-01", "李娜"));
	return h;
}

static ruhu_replica *make_device(const char *id)
{
	ruhu_replica_options o = fast();
	ruhu_replica *d = NULL;
	char p[512];

	rt_path(p, sizeof(p), dir, id);
	rt_ok(ruhu_device_init(&d, p, id, "pw", 2, &o));
	return d;
}

/* The enrolment reply of `d` at `hub` (not joined). */
static void enrol(ruhu_buf *reply, ruhu_replica *hub, ruhu_replica *d, const char *worker)
{
	ruhu_buf req = RUHU_BUF_INIT;

	rt_ok(ruhu_enrol_request(&req, d));
	rt_ok(ruhu_hub_enrol(reply, hub, req.ptr, req.size, worker, worker));
	ruhu_buf_dispose(&req);
}

static void join(ruhu_replica *hub, ruhu_replica *d, const char *worker)
{
	ruhu_buf reply = RUHU_BUF_INIT;
	ruhu_pull_report rep;
	char keyid[17];

	enrol(&reply, hub, d, worker);
	rt_ok(ruhu_join(&rep, keyid, d, reply.ptr, reply.size));
	ruhu_buf_dispose(&reply);
}

static void save(ruhu_replica *r, const char *address)
{
	ruhu_edit *e;
	ruhu_assign v[] = { { "address", address } };

	rt_ok(ruhu_edit_begin(&e, r));
	rt_ok(ruhu_edit_insert(e, "household", v, 1, NULL));
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
}

/* What the callback saw, in order. */
struct seen {
	int order[64];
	size_t n;
	int64_t seqs[64];
	size_t ncommits;
	char sigs[64];
	char first_ref[256];
	int prereq_present;
};

static int collect(const ruhu_bundle_entry *e, void *payload)
{
	struct seen *s = payload;

	if (s->n < 64)
		s->order[s->n++] = e->what;
	if (e->what == RUHU_BUNDLE_ENTRY_REF && !s->first_ref[0])
		snprintf(s->first_ref, sizeof(s->first_ref), "%s", e->name);
	if (e->what == RUHU_BUNDLE_ENTRY_PREREQ)
		s->prereq_present += e->present;
	if (e->what == RUHU_BUNDLE_ENTRY_COMMIT && s->ncommits < 64) {
		s->seqs[s->ncommits] = e->seq;
		s->sigs[s->ncommits++] = e->sig;
	}
	return 0;
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

START_TEST(test_inspect_device_bundle_on_its_hub)
{
	ruhu_replica *hub = make_hub("hub", "320102"), *a = make_device("tab-01");
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_bundle_info info;
	struct seen s;
	char keyid[17];
	size_t n;

	join(hub, a, "w-01");
	save(a, "一");
	save(a, "二");
	save(a, "三");
	rt_ok(ruhu_push(&b, &n, a));
	memset(&s, 0, sizeof(s));
	rt_ok(ruhu_bundle_inspect(&info, hub, b.ptr, b.size, collect, &s));
	ck_assert_str_eq(info.kind, "device bundle");
	ck_assert_str_eq(info.sender, "tab-01");
	ck_assert_str_eq(info.recipient, "hub-320102");
	rt_ok(ruhu_replica_keyid(keyid, a));
	ck_assert_int_eq((int)strlen(keyid), 16);
	ck_assert_str_eq(info.sender_keyid, keyid);
	ck_assert_int_eq(info.key_from_file, 0);
	ck_assert_uint_eq(info.ncommits, 3);
	ck_assert_uint_eq(info.nrefs, 2);
	ck_assert_uint_eq(info.missing, 0);
	ck_assert_uint_eq(info.bad, 0);
	ck_assert_uint_eq(info.unverified, 0);
	ck_assert_uint_ge(info.objects, 3 * 3);
	/* refs, then prerequisites, then commits parents first */
	ck_assert_str_eq(s.first_ref, "refs/devices/tab-01");
	for (size_t i = 1; i < s.n; i++)
		ck_assert_int_le(s.order[i - 1], s.order[i]);
	ck_assert_uint_eq(s.ncommits, 3);
	ck_assert_int_eq(s.seqs[0], 1);
	ck_assert_int_eq(s.seqs[1], 2);
	ck_assert_int_eq(s.seqs[2], 3);
	ck_assert_int_eq(s.sigs[0], 'G');
	ck_assert_int_eq(s.sigs[2], 'G');
	ck_assert_int_eq(s.prereq_present, (int)info.nprereqs);
	rt_ok(ruhu_bundle_verify(&info, hub, b.ptr, b.size));
	ruhu_buf_dispose(&b);
	ruhu_replica_free(a);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_inspect_replies_on_their_tablet)
{
	ruhu_replica *hub = make_hub("hub", "320102"), *a = make_device("tab-01"), *b = make_device("tab-02");
	ruhu_buf enrol_reply = RUHU_BUF_INIT, bundle = RUHU_BUF_INIT, reply = RUHU_BUF_INIT;
	ruhu_ingest_report ir;
	ruhu_bundle_info info;
	ruhu_pull_report pr;
	struct seen s;
	char hkey[17], keyid[17];

	rt_ok(ruhu_replica_keyid(hkey, hub));
	/* before joining: the key is the one the enrolment reply names */
	enrol(&enrol_reply, hub, a, "w-01");
	rt_ok(ruhu_bundle_verify(&info, a, enrol_reply.ptr, enrol_reply.size));
	ck_assert_str_eq(info.kind, "enrolment reply");
	ck_assert_str_eq(info.sender, "hub-320102");
	ck_assert_int_eq(info.key_from_file, 1);
	ck_assert_str_eq(info.sender_keyid, hkey);
	ck_assert_uint_eq(info.nprereqs, 0); /* a full bundle of main */
	ck_assert_uint_ge(info.ncommits, 1);
	rt_ok(ruhu_join(&pr, keyid, a, enrol_reply.ptr, enrol_reply.size));
	/* after joining: the tablet's hub key, and the same answer */
	rt_ok(ruhu_bundle_verify(&info, a, enrol_reply.ptr, enrol_reply.size));
	ck_assert_int_eq(info.key_from_file, 0);

	/* a reply carrying another tablet's commits: checked with the keys
	 * the reply's signers section names */
	join(hub, b, "w-02");
	save(b, "二");
	rt_ok(ruhu_push(&bundle, NULL, b));
	rt_ok(ruhu_hub_ingest(&ir, hub, bundle.ptr, bundle.size, NULL));
	ruhu_ingest_report_dispose(&ir);
	rt_ok(ruhu_hub_reply(&reply, hub, "tab-01"));
	memset(&s, 0, sizeof(s));
	rt_ok(ruhu_bundle_inspect(&info, a, reply.ptr, reply.size, collect, &s));
	ck_assert_str_eq(info.kind, "hub reply");
	ck_assert_str_eq(info.recipient, "tab-01");
	ck_assert_uint_eq(info.bad, 0);
	ck_assert_uint_eq(info.unverified, 0);
	ck_assert_uint_ge(s.ncommits, 2); /* enrolment of w-02, tab-02's save, its merge */
	for (size_t i = 0; i < s.ncommits; i++)
		ck_assert_int_eq(s.sigs[i], 'G');
	ck_assert_str_eq(s.first_ref, "refs/heads/main");
	rt_ok(ruhu_bundle_verify(&info, a, reply.ptr, reply.size));

	/* only the recipient reads it */
	ck_assert_int_eq(ruhu_bundle_inspect(&info, b, reply.ptr, reply.size, NULL, NULL), RUHU_EINVALID);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "addressed to tab-01"));
	ck_assert_int_eq(ruhu_bundle_inspect(&info, hub, reply.ptr, reply.size, NULL, NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_bundle_inspect(&info, a, bundle.ptr, bundle.size, NULL, NULL), RUHU_EINVALID);
	ruhu_buf_dispose(&enrol_reply);
	ruhu_buf_dispose(&bundle);
	ruhu_buf_dispose(&reply);
	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_inspect_damaged_bytes_are_refused)
{
	ruhu_replica *hub = make_hub("hub", "320102"), *a = make_device("tab-01"), *c;
	ruhu_buf b = RUHU_BUF_INIT, e = RUHU_BUF_INIT;
	ruhu_bundle_info info;

	join(hub, a, "w-01");
	save(a, "一");
	rt_ok(ruhu_push(&b, NULL, a));
	for (size_t i = 0; i < b.size; i += b.size / 29 + 1) {
		b.ptr[i] ^= 0x40;
		ck_assert_int_lt(ruhu_bundle_inspect(&info, hub, b.ptr, b.size, NULL, NULL), 0);
		ck_assert_str_ne(ruhu_error_last(), "");
		b.ptr[i] ^= 0x40;
	}
	for (size_t cut = 0; cut < b.size; cut += b.size / 7 + 1)
		ck_assert_int_lt(ruhu_bundle_inspect(&info, hub, b.ptr, cut, NULL, NULL), 0);
	/* the clear header of an enrolment reply is covered too: another key */
	c = make_device("tab-02");
	enrol(&e, hub, c, "w-02");
	rt_ok(ruhu_bundle_inspect(&info, c, e.ptr, e.size, NULL, NULL));
	{
		char *k = strstr(e.ptr, "hub-key: ") + 9;

		k[3] = k[3] == 'A' ? 'B' : 'A';
	}
	ck_assert_int_lt(ruhu_bundle_inspect(&info, c, e.ptr, e.size, NULL, NULL), 0);
	ruhu_replica_free(c);
	rt_ok(ruhu_bundle_inspect(&info, hub, b.ptr, b.size, NULL, NULL));
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&e);
	ruhu_replica_free(a);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_inspect_verify_refusals)
{
	ruhu_replica *hub = make_hub("hub", "320102"), *other = make_hub("other", "320102");
	ruhu_replica *a = make_device("tab-01");
	ruhu_buf b = RUHU_BUF_INIT, r2 = RUHU_BUF_INIT;
	ruhu_bundle_info info;

	join(hub, a, "w-01");
	save(a, "一");
	rt_ok(ruhu_push(&b, NULL, a));
	/* another hub with the same id, which has enrolled the tablet too:
	 * the bundle is sealed to the first hub's key */
	enrol(&r2, other, a, "w-01");
	ck_assert_int_eq(ruhu_bundle_verify(&info, other, b.ptr, b.size), RUHU_EAUTH);
	/* its prerequisites are missing at a hub that never took the tablet's
	 * state... here the same hub, after revocation: refused */
	rt_ok(ruhu_hub_revoke(hub, "tab-01", "lost on the bus"));
	rt_ok(ruhu_bundle_inspect(&info, hub, b.ptr, b.size, NULL, NULL));
	ck_assert_int_eq(info.sender_revoked, 1);
	ck_assert_int_eq(ruhu_bundle_verify(&info, hub, b.ptr, b.size), RUHU_EREVOKED);
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&r2);
	ruhu_replica_free(a);
	ruhu_replica_free(other);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_inspect_verify_missing_prerequisite)
{
	ruhu_replica *hub = make_hub("hub", "320102"), *a = make_device("tab-01");
	ruhu_buf b1 = RUHU_BUF_INIT, b2 = RUHU_BUF_INIT, reply = RUHU_BUF_INIT;
	ruhu_ingest_report ir;
	ruhu_bundle_info info;
	ruhu_pull_report pr;
	char hp[512], bp[512];

	join(hub, a, "w-01");
	rt_path(hp, sizeof(hp), dir, "hub");
	rt_path(bp, sizeof(bp), dir, "hub-copy");
	ruhu_replica_free(hub);
	ck_assert_int_eq(rt_sh(NULL, "cp -a '%s' '%s'", hp, bp), 0);
	rt_ok(ruhu_replica_open(&hub, hp, "pw", 2, NULL));
	save(a, "一");
	rt_ok(ruhu_push(&b1, NULL, a));
	rt_ok(ruhu_hub_ingest(&ir, hub, b1.ptr, b1.size, NULL));
	ruhu_ingest_report_dispose(&ir);
	rt_ok(ruhu_hub_reply(&reply, hub, "tab-01"));
	rt_ok(ruhu_pull(&pr, a, reply.ptr, reply.size));
	save(a, "二");
	rt_ok(ruhu_push(&b2, NULL, a));
	rt_ok(ruhu_bundle_verify(&info, hub, b2.ptr, b2.size));
	ruhu_replica_free(hub);
	rt_ok(ruhu_replica_open(&hub, bp, "pw", 2, NULL));
	rt_ok(ruhu_bundle_inspect(&info, hub, b2.ptr, b2.size, NULL, NULL));
	ck_assert_uint_ge(info.missing, 1);
	ck_assert_int_eq(ruhu_bundle_verify(&info, hub, b2.ptr, b2.size), RUHU_EWAITING);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "does not have"));
	ruhu_buf_dispose(&b1);
	ruhu_buf_dispose(&b2);
	ruhu_buf_dispose(&reply);
	ruhu_replica_free(a);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_inspect_open_gives_a_plain_git_bundle)
{
	ruhu_replica *hub = make_hub("hub", "320102"), *a = make_device("tab-01");
	ruhu_buf b = RUHU_BUF_INIT, plain = RUHU_BUF_INIT, e = RUHU_BUF_INIT;
	ruhu_bundle_info info;
	const char *sig = "# v2 git bundle\n";

	enrol(&e, hub, a, "w-01");
	rt_ok(ruhu_bundle_open(&plain, &info, a, e.ptr, e.size));
	ck_assert_uint_eq(plain.size, info.bytes);
	ck_assert(plain.size > strlen(sig) && !memcmp(plain.ptr, sig, strlen(sig)));
	ck_assert_ptr_nonnull(strstr(plain.ptr, " refs/heads/main\n"));
	for (size_t i = 0; i + strlen(sig) <= e.size; i++) /* encrypted as it travels */
		ck_assert(memcmp(e.ptr + i, sig, strlen(sig)) != 0);
	ruhu_buf_dispose_secure(&plain);
	{
		ruhu_pull_report pr;
		char keyid[17];

		rt_ok(ruhu_join(&pr, keyid, a, e.ptr, e.size));
	}
	save(a, "一");
	rt_ok(ruhu_push(&b, NULL, a));
	rt_ok(ruhu_bundle_open(&plain, NULL, hub, b.ptr, b.size));
	ck_assert(!memcmp(plain.ptr, sig, strlen(sig)));
	ck_assert_ptr_nonnull(strstr(plain.ptr, " refs/devices/tab-01\n"));
	ruhu_buf_dispose_secure(&plain);
	ck_assert_int_eq(ruhu_bundle_open(&plain, NULL, a, b.ptr, b.size), RUHU_EINVALID);
	ck_assert_uint_eq(plain.size, 0);
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&e);
	ruhu_replica_free(a);
	ruhu_replica_free(hub);
}
END_TEST

START_TEST(test_inspect_enrolment_request)
{
	ruhu_replica *a = make_device("tab-07"), *hub = make_hub("hub", "320102");
	ruhu_buf req = RUHU_BUF_INIT;
	char device[RUHU_ID_SIZE], keyid[17], own[17];

	rt_ok(ruhu_enrol_request(&req, a));
	rt_ok(ruhu_enrol_request_inspect(device, keyid, req.ptr, req.size));
	ck_assert_str_eq(device, "tab-07");
	rt_ok(ruhu_replica_keyid(own, a));
	ck_assert_str_eq(keyid, own);
	/* a changed byte in a value: the signature fails */
	{
		char *v = strstr(req.ptr, "made: ") + 6;

		*v = *v == '1' ? '2' : '1';
	}
	ck_assert_int_lt(ruhu_enrol_request_inspect(device, keyid, req.ptr, req.size), 0);
	ck_assert_str_eq(device, "");
	ck_assert_int_eq(ruhu_enrol_request_inspect(device, keyid, "hello", 5), RUHU_EINVALID);
	/* a request is not a bundle */
	{
		ruhu_bundle_info info;

		rt_ok(ruhu_enrol_request(&req, a));
		ck_assert_int_eq(ruhu_bundle_inspect(&info, hub, req.ptr, req.size, NULL, NULL), RUHU_EINVALID);
		ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "enrolment request"));
	}
	ruhu_buf_dispose(&req);
	ruhu_replica_free(a);
	ruhu_replica_free(hub);
}
END_TEST

Suite *inspect_suite(void)
{
	Suite *s = suite_create("inspect");
	TCase *tc = tcase_create("inspect");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_inspect_device_bundle_on_its_hub);
	tcase_add_test(tc, test_inspect_replies_on_their_tablet);
	tcase_add_test(tc, test_inspect_damaged_bytes_are_refused);
	tcase_add_test(tc, test_inspect_verify_refusals);
	tcase_add_test(tc, test_inspect_verify_missing_prerequisite);
	tcase_add_test(tc, test_inspect_open_gives_a_plain_git_bundle);
	tcase_add_test(tc, test_inspect_enrolment_request);
	suite_add_tcase(s, tc);
	return s;
}
