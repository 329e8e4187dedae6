/*
 * ops_sync_template.c — the township that the operations of ops_sync.c start
 * from: a hub and two joined tablets with their saves, made once per process,
 * and the copy of a replica from it into an operation's folder.
 *
 * Design notes
 *  1. A township template is made once per process (rt_sync_template): a
 *     hub and two joined tablets, tab-01 (A) and tab-02 (B), sharing two
 *     households, four residents and two applications.  B then edits them
 *     and its bundle is merged; A edits the same fields (saves a1, a2,
 *     pushed as bundle A, and a3, kept back), so that:
 *       - the merge base is the hub after B's bundle, and the merge is the
 *         ingest of bundle A: lww, append, order, review, a deleted record
 *         updated, a possible duplicate and an attachment all fire;
 *       - the pull base is tablet A with a1, a2, a3 pending, and the pull
 *         is the hub's reply after bundle A: undo a3, a2, a1; apply main's
 *         four merges; drop a1 and a2 (acknowledged); redo a3, whose notes
 *         conflict with main's (append in the redo);
 *       - the save base is tablet A too (three pending saves), and the save
 *         is one edit of several records with an attachment.
 *     Each loop's setup copies the replica folder it needs from the template
 *     (converting it to DELETE mode for the _delete operations).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "support/ops_sync_int.h"

/* ---- the template (design note 1) ---- */

#define HUB_CODE "320102"

static int64_t tick;

static int64_t ticking_clock(void *payload)
{
	(void)payload;
	return T0_MS + 1000 * tick++;
}

struct rt_sync_tpl rt_sync_tpl;

static ruhu_replica_options fast(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

/* A resident identity number with its check digit. */
void rt_sync_idnumber(char out[19], unsigned n)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char m[] = "10X98765432";
	int sum = 0;

	snprintf(out, 19, "3201021985%02u%02u%03u", 1 + n % 12, 1 + n % 28, n % 1000);
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * w[i];
	out[17] = m[sum % 11];
	out[18] = '\0';
}

/* Bytes of a photo: deterministic, not compressible much. */
void rt_sync_photo(unsigned char *out, size_t len, unsigned seed)
{
	unsigned char key[crypto_stream_chacha20_KEYBYTES] = { 0 };
	unsigned char nonce[crypto_stream_chacha20_NONCEBYTES] = { 0 };

	key[0] = (unsigned char)seed;
	crypto_stream_chacha20(out, len, nonce, key);
	memcpy(out, "\xff\xd8\xff\xe0", 4);   /* a JPEG to the sniffer */
}

static void tpl_clocked(ruhu_replica *r)
{
	r->clock.now_ms = ticking_clock;
	r->clock.payload = NULL;
}

static ruhu_replica *tpl_open(const char *name)
{
	ruhu_replica_options o = fast();
	ruhu_replica *r = NULL;
	char p[400];

	rt_path(p, sizeof(p), rt_sync_tpl.dir, name);
	rt_ok(ruhu_replica_open(&r, p, "pw", 2, &o));
	tpl_clocked(r);
	return r;
}

static ruhu_replica *tpl_device(ruhu_replica *hub, const char *id, const char *worker)
{
	ruhu_replica_options o = fast();
	ruhu_replica *d = NULL;
	ruhu_buf req = RUHU_BUF_INIT, reply = RUHU_BUF_INIT;
	ruhu_pull_report rep;
	char p[400], keyid[17];

	rt_path(p, sizeof(p), rt_sync_tpl.dir, id);
	rt_ok(ruhu_device_init(&d, p, id, "pw", 2, &o));
	tpl_clocked(d);
	rt_ok(ruhu_enrol_request(&req, d));
	rt_ok(ruhu_hub_enrol(&reply, hub, req.ptr, req.size, worker, worker));
	rt_ok(ruhu_join(&rep, keyid, d, reply.ptr, reply.size));
	ruhu_buf_dispose(&req);
	ruhu_buf_dispose(&reply);
	return d;
}

static void tpl_ingest(ruhu_replica *hub, const ruhu_buf *bundle)
{
	ruhu_ingest_report ir;

	rt_ok(ruhu_hub_ingest(&ir, hub, bundle->ptr, bundle->size, NULL));
	ck_assert(!ir.waiting);
	ruhu_ingest_report_dispose(&ir);
}

static void tpl_sync(ruhu_replica *hub, ruhu_replica *d, const char *id)
{
	ruhu_buf b = RUHU_BUF_INIT, r = RUHU_BUF_INIT;
	ruhu_pull_report pr;

	rt_ok(ruhu_push(&b, NULL, d));
	tpl_ingest(hub, &b);
	rt_ok(ruhu_hub_reply(&r, hub, id));
	rt_ok(ruhu_pull(&pr, d, r.ptr, r.size));
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&r);
}

static void tpl_update(ruhu_edit *e, const char *type, const char *id, const char *field,
		       const char *value)
{
	ruhu_assign v[] = { { field, value } };

	rt_ok(ruhu_edit_update(e, type, id, v, 1));
}

/* The records A and B share (design note 1). */
static void tpl_shared(ruhu_replica *a)
{
	ruhu_edit *e = NULL;
	char idn[4][19];

	for (unsigned i = 0; i < 4; i++)
		rt_sync_idnumber(idn[i], i + 1);
	rt_ok(ruhu_edit_begin(&e, a));
	{
		ruhu_assign h1[] = { { "id", H1 }, { "address", "梅园新村 1 号" }, { "phone", "13800000001" },
				     { "notes", "户内两人" } };
		ruhu_assign h2[] = { { "id", H2 }, { "address", "梅园新村 2 号" } };

		rt_ok(ruhu_edit_insert(e, "household", h1, 4, NULL));
		rt_ok(ruhu_edit_insert(e, "household", h2, 2, NULL));
	}
	{
		ruhu_assign p1[] = { { "id", P1 }, { "household_id", H1 }, { "name", "张伟" },
				     { "id_number", idn[0] }, { "phone", "13800000001" },
				     { "employment_status", "unemployed" }, { "difficulty_category", "aged" },
				     { "notes", "n0" } };
		ruhu_assign p2[] = { { "id", P2 }, { "household_id", H1 }, { "name", "李娟" },
				     { "id_number", idn[1] } };
		ruhu_assign p3[] = { { "id", P3 }, { "household_id", H2 }, { "name", "王强" },
				     { "id_number", idn[2] } };
		ruhu_assign p4[] = { { "id", P4 }, { "household_id", H2 }, { "name", "赵敏" },
				     { "id_number", idn[3] } };

		rt_ok(ruhu_edit_insert(e, "person", p1, 8, NULL));
		rt_ok(ruhu_edit_insert(e, "person", p2, 4, NULL));
		rt_ok(ruhu_edit_insert(e, "person", p3, 4, NULL));
		rt_ok(ruhu_edit_insert(e, "person", p4, 4, NULL));
	}
	{
		ruhu_assign a1[] = { { "id", AP1 }, { "person_id", P1 }, { "item", "emp.assistance" },
				     { "received_at", "2026-11-20T09:00:00+08:00" },
				     { "first_responder", "w-01" }, { "status", "received" },
				     { "materials_received", "id_card" } };
		ruhu_assign a2[] = { { "id", AP2 }, { "person_id", P3 }, { "item", "ss.card_check" },
				     { "received_at", "2026-11-21T10:00:00+08:00" },
				     { "first_responder", "w-01" }, { "status", "received" } };

		rt_ok(ruhu_edit_insert(e, "application", a1, 7, NULL));
		rt_ok(ruhu_edit_insert(e, "application", a2, 6, NULL));
	}
	rt_ok(ruhu_edit_commit(e, "register two households", NULL));
	ruhu_edit_free(e);
}

/* B's saves: b1 and b2. */
static void tpl_edits_b(ruhu_replica *b)
{
	ruhu_edit *e = NULL;
	char idn[19];

	rt_ok(ruhu_edit_begin(&e, b));
	tpl_update(e, "person", P1, "phone", "13900000002");
	tpl_update(e, "household", H1, "notes", "户内两人\n门口有狗");
	tpl_update(e, "application", AP1, "status", "processing");
	tpl_update(e, "application", AP1, "materials_received", "employment_certificate,id_card");
	rt_ok(ruhu_edit_commit(e, "b1", NULL));
	ruhu_edit_free(e);

	rt_sync_idnumber(idn, 20);
	rt_ok(ruhu_edit_begin(&e, b));
	rt_ok(ruhu_edit_delete(e, "person", P4));
	tpl_update(e, "person", P2, "id_number", idn);
	tpl_update(e, "application", AP2, "status", "accepted");
	rt_ok(ruhu_edit_commit(e, "b2", NULL));
	ruhu_edit_free(e);
}

/* A's saves a1 and a2 (pushed) and a3 (kept back). */
static void tpl_edits_a(ruhu_replica *a, ruhu_buf *bundle)
{
	ruhu_edit *e = NULL;
	unsigned char jpeg[6000];
	char idn[19];

	rt_sync_idnumber(idn, 21);
	rt_ok(ruhu_edit_begin(&e, a));
	tpl_update(e, "person", P1, "phone", "13700000003");             /* lww */
	tpl_update(e, "person", P2, "id_number", idn);                   /* review */
	tpl_update(e, "household", H1, "notes", "户内两人\n已回访");        /* append */
	tpl_update(e, "application", AP1, "status", "accepted");         /* order */
	rt_ok(ruhu_edit_commit(e, "a1", NULL));
	ruhu_edit_free(e);

	rt_sync_idnumber(idn, 1);
	rt_ok(ruhu_edit_begin(&e, a));
	tpl_update(e, "person", P4, "phone", "13700000004");             /* deleted on the hub */
	tpl_update(e, "person", P3, "difficulty_category", "disabled");
	{
		ruhu_assign p5[] = { { "id", P5 }, { "household_id", H2 }, { "name", "张伟" },
				     { "id_number", idn } };                      /* duplicate of P1 */

		rt_ok(ruhu_edit_insert(e, "person", p5, 4, NULL));
	}
	rt_sync_photo(jpeg, sizeof(jpeg), 1);
	rt_ok(ruhu_edit_attach(e, "household", H2, jpeg, sizeof(jpeg), "门牌", NULL));
	rt_ok(ruhu_edit_commit(e, "a2", NULL));
	ruhu_edit_free(e);

	rt_ok(ruhu_push(bundle, NULL, a));

	rt_ok(ruhu_edit_begin(&e, a));
	tpl_update(e, "person", P1, "employment_status", "employed");
	tpl_update(e, "household", H1, "notes", "户内两人\n已回访\n三号回访");
	{
		ruhu_assign h3[] = { { "id", H3 }, { "address", "梅园新村 3 号" } };
		ruhu_assign p6[] = { { "id", P6 }, { "household_id", H3 }, { "name", "陈红" } };

		rt_ok(ruhu_edit_insert(e, "household", h3, 2, NULL));
		rt_ok(ruhu_edit_insert(e, "person", p6, 3, NULL));
	}
	rt_ok(ruhu_edit_commit(e, "a3", NULL));
	ruhu_edit_free(e);
}

/* Copy the files of a closed replica folder (made when missing). */
static void copy_replica(const char *from, const char *to)
{
	const char *names[] = { RUHU_REPLICA_DB, RUHU_REPLICA_KEY };
	char a[600], b[600];

	if (!rt_exists(to))
		ck_assert_int_eq(mkdir(to, 0700), 0);
	for (size_t i = 0; i < 2; i++) {
		unsigned char *bytes;
		size_t len;

		rt_path(a, sizeof(a), from, names[i]);
		rt_path(b, sizeof(b), to, names[i]);
		bytes = rt_read_file(a, &len);
		rt_write_file(b, bytes, len);
		free(bytes);
	}
	rt_path(a, sizeof(a), from, RUHU_REPLICA_DB "-wal");
	ck_assert_msg(!rt_exists(a), "%s is left by a closed replica", a);
	rt_path(a, sizeof(a), from, RUHU_REPLICA_DB "-journal");
	ck_assert_msg(!rt_exists(a), "%s is left by a closed replica", a);
}

static void tpl_cleanup(void)
{
	if (rt_sync_tpl.pid == getpid() && rt_sync_tpl.dir[0])
		rt_rmrf(rt_sync_tpl.dir);
}

static void tpl_make(void)
{
	ruhu_replica_options o = fast();
	ruhu_replica *hub = NULL, *a, *b;
	ruhu_buf bundle_b = RUHU_BUF_INIT;
	char p[400];
	const char *saved = getenv("TMPDIR");
	char keep[4096] = "";

	if (rt_sync_tpl.pid == getpid())
		return;
	/* a copy inherited from a parent process is the parent's to remove */
	memset(&rt_sync_tpl, 0, sizeof(rt_sync_tpl));
	rt_ok(ruhu_init());
	if (saved)
		snprintf(keep, sizeof(keep), "%s", saved);
	if (access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	rt_tmpdir(rt_sync_tpl.dir, sizeof(rt_sync_tpl.dir));
	if (saved)
		setenv("TMPDIR", keep, 1);
	else
		unsetenv("TMPDIR");
	rt_sync_tpl.pid = getpid();
	atexit(tpl_cleanup);
	tick = 0;

	rt_path(p, sizeof(p), rt_sync_tpl.dir, "hub");
	rt_ok(ruhu_hub_init(&hub, p, HUB_CODE, "梅园新村街道人社服务中心", NULL, "pw", 2, &o));
	tpl_clocked(hub);
	rt_ok(ruhu_worker_use(hub, "op-01", "李娜"));
	a = tpl_device(hub, "tab-01", "w-01");
	b = tpl_device(hub, "tab-02", "w-02");
	tpl_shared(a);
	tpl_sync(hub, a, "tab-01");
	tpl_sync(hub, b, "tab-02");
	tpl_sync(hub, a, "tab-01");

	tpl_edits_b(b);
	rt_ok(ruhu_push(&bundle_b, NULL, b));
	tpl_edits_a(a, &rt_sync_tpl.bundle_a);
	tpl_ingest(hub, &bundle_b);

	/* the bases, from closed replicas */
	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
	snprintf(rt_sync_tpl.hub_base, sizeof(rt_sync_tpl.hub_base), "%s/hub-base", rt_sync_tpl.dir);
	snprintf(rt_sync_tpl.tablet_base, sizeof(rt_sync_tpl.tablet_base), "%s/tablet-base",
		 rt_sync_tpl.dir);
	rt_path(p, sizeof(p), rt_sync_tpl.dir, "hub");
	copy_replica(p, rt_sync_tpl.hub_base);
	rt_path(p, sizeof(p), rt_sync_tpl.dir, "tab-01");
	copy_replica(p, rt_sync_tpl.tablet_base);

	/* the reply A will pull */
	hub = tpl_open("hub");
	tpl_ingest(hub, &rt_sync_tpl.bundle_a);
	rt_ok(ruhu_hub_reply(&rt_sync_tpl.reply_a, hub, "tab-01"));
	ruhu_replica_free(hub);
	ruhu_buf_dispose(&bundle_b);
}

void rt_sync_template(void)
{
	tpl_make();
}

/* Copy a base into the operation's folder, in the operation's journal mode. */
void rt_sync_setup_from(const char *base, const char *dir, const struct rt_op *op)
{
	ruhu_replica_options o = rt_op_options(op);
	ruhu_replica *r = NULL;

	tpl_make();
	copy_replica(base, dir);
	if (o.journal_mode != RUHU_JOURNAL_DEFAULT) {
		rt_ok(ruhu_replica_open(&r, dir, "pw", 2, &o));
		ruhu_replica_free(r);
	}
}
