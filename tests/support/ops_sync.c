/*
 * ops_sync.c — the operations of harness.h on a township's replicas (sync/):
 * a save on a joined tablet, a hub merge of a tablet's bundle, and a
 * tablet's pull that rebases its pending saves; and the states they are
 * compared by.
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
 *  2. "Exactly before or exactly after" needs an operation that makes the
 *     same bytes every time: each run sets the replica's wall clock to a
 *     fixed time (commit times, HLC, review and bundle times), and record
 *     ids that a save makes itself (an attachment's) come from a counter:
 *     the test programs are linked with --wrap=ruhu_uuid_v7 (only the call
 *     from core/edit.c is wrapped; out of a run it passes through).
 *  3. The state (rt_state_tablet, rt_state_hub) is a readable summary —
 *     heads, digest, pending saves, merges and review items — followed by
 *     the hash of every table (rt_state_tables).  Computing it checks the
 *     history as it goes and fails with a message when it does not hold:
 *     the digest kept in `_meta` is the digest of the rows; on the hub it is
 *     the Ruhu-Digest of main's head; on a tablet, undoing the pending
 *     saves (inside a savepoint that is rolled back) reaches the Ruhu-Digest
 *     of the hub main it has, and `_meta.seq` is the Ruhu-Seq of its head.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/commit.h"
#include "core/digest.h"
#include "core/meta.h"
#include "core/refs.h"
#include "core/save.h"
#include "core/uuid.h"
#include "support/harness.h"
#include "sync/sync_int.h"

/* ---- determinism (design note 2) ---- */

/* 2026-11-27T09:00:00+08:00: the template's clock starts here and ticks a
 * second per reading; every run of an operation reads a fixed time a day
 * later. */
#define T0_MS INT64_C(1795741200000)
#define RUN_MS (T0_MS + INT64_C(86400000))

static struct {
	int on;
	uint64_t ids;
} det;

static int64_t tick;

static int64_t ticking_clock(void *payload)
{
	(void)payload;
	return T0_MS + 1000 * tick++;
}

static int64_t fixed_clock(void *payload)
{
	(void)payload;
	return RUN_MS;
}

void __real_ruhu_uuid_v7(char out[RUHU_UUID_TEXT_LEN + 1]);
void __wrap_ruhu_uuid_v7(char out[RUHU_UUID_TEXT_LEN + 1]);

void __wrap_ruhu_uuid_v7(char out[RUHU_UUID_TEXT_LEN + 1])
{
	unsigned char b[16];
	uint64_t ms = (uint64_t)RUN_MS, n;

	if (!det.on) {
		__real_ruhu_uuid_v7(out);
		return;
	}
	n = ++det.ids;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (8 * (5 - i)));
	b[6] = 0x70;
	b[7] = 0;
	b[8] = 0x80;
	for (int i = 9; i < 16; i++)
		b[i] = (unsigned char)(n >> (8 * (15 - i)));
	ruhu_uuid_format(out, b);
}

/*
 * Start a run: the fixed clock, ids from 1; and the object store opened
 * with libgit2's allocations not counted: libgit2 1.5.1 crashes in
 * git_repository_wrap_odb when one of its own first allocations fails
 * (docs/testing.md, as rt_op_pack does).  The other sites count it.
 */
static int det_begin(ruhu_replica *r)
{
	git_repository *repo;
	unsigned saved;
	int error;

	r->clock.now_ms = fixed_clock;
	r->clock.payload = NULL;
	det.on = 1;
	det.ids = 0;
	saved = rt_fault_mask(RT_SITE_GIT);
	error = ruhu_replica_repo(&repo, r);
	rt_fault_unmask(saved);
	return error;
}

static void det_end(void)
{
	det.on = 0;
}

/*
 * libgit2 1.5.1 crashes when some of its own allocations fail: inside
 * git_graph_descendant_of (its merge-base search goes on with a commit it
 * could not record) and inside git_revwalk_next.  The test programs are
 * linked with --wrap for both (tests/CMakeLists.txt): their allocations are
 * not counted, as for opening the object store (docs/testing.md).  Every
 * other site counts them.
 */
int __real_git_graph_descendant_of(git_repository *repo, const git_oid *commit,
				   const git_oid *ancestor);
int __wrap_git_graph_descendant_of(git_repository *repo, const git_oid *commit,
				   const git_oid *ancestor);
int __real_git_revwalk_next(git_oid *out, git_revwalk *walk);
int __wrap_git_revwalk_next(git_oid *out, git_revwalk *walk);

int __wrap_git_graph_descendant_of(git_repository *repo, const git_oid *commit,
				   const git_oid *ancestor)
{
	unsigned saved = rt_fault_mask(RT_SITE_GIT);
	int rc = __real_git_graph_descendant_of(repo, commit, ancestor);

	rt_fault_unmask(saved);
	return rc;
}

int __wrap_git_revwalk_next(git_oid *out, git_revwalk *walk)
{
	unsigned saved = rt_fault_mask(RT_SITE_GIT);
	int rc = __real_git_revwalk_next(out, walk);

	rt_fault_unmask(saved);
	return rc;
}

/* ---- the template (design note 1) ---- */

#define HUB_CODE "320102"
#define ID(n) "0190e0e0-0000-7000-8000-0000000000" #n
#define H1 ID(11)
#define H2 ID(12)
#define H3 ID(13)
#define P1 ID(21)
#define P2 ID(22)
#define P3 ID(23)
#define P4 ID(24)
#define P5 ID(25)
#define P6 ID(26)
#define AP1 ID(31)
#define AP2 ID(32)

static struct {
	pid_t pid;                /* the process that made it (0: none yet) */
	char dir[256];
	char hub_base[300];       /* the hub after B's bundle: the merge base */
	char tablet_base[300];    /* tablet A with a1, a2, a3 pending */
	ruhu_buf bundle_a;        /* A's bundle of a1 and a2 */
	ruhu_buf reply_a;         /* the hub's reply to A after bundle A */
} tpl;

static ruhu_replica_options fast(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

/* A resident identity number with its check digit. */
static void idnumber(char out[19], unsigned n)
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
static void photo(unsigned char *out, size_t len, unsigned seed)
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

	rt_path(p, sizeof(p), tpl.dir, name);
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

	rt_path(p, sizeof(p), tpl.dir, id);
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
		idnumber(idn[i], i + 1);
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

	idnumber(idn, 20);
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

	idnumber(idn, 21);
	rt_ok(ruhu_edit_begin(&e, a));
	tpl_update(e, "person", P1, "phone", "13700000003");             /* lww */
	tpl_update(e, "person", P2, "id_number", idn);                   /* review */
	tpl_update(e, "household", H1, "notes", "户内两人\n已回访");        /* append */
	tpl_update(e, "application", AP1, "status", "accepted");         /* order */
	rt_ok(ruhu_edit_commit(e, "a1", NULL));
	ruhu_edit_free(e);

	idnumber(idn, 1);
	rt_ok(ruhu_edit_begin(&e, a));
	tpl_update(e, "person", P4, "phone", "13700000004");             /* deleted on the hub */
	tpl_update(e, "person", P3, "difficulty_category", "disabled");
	{
		ruhu_assign p5[] = { { "id", P5 }, { "household_id", H2 }, { "name", "张伟" },
				     { "id_number", idn } };                      /* duplicate of P1 */

		rt_ok(ruhu_edit_insert(e, "person", p5, 4, NULL));
	}
	photo(jpeg, sizeof(jpeg), 1);
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
	if (tpl.pid == getpid() && tpl.dir[0])
		rt_rmrf(tpl.dir);
}

static void tpl_make(void)
{
	ruhu_replica_options o = fast();
	ruhu_replica *hub = NULL, *a, *b;
	ruhu_buf bundle_b = RUHU_BUF_INIT;
	char p[400];
	const char *saved = getenv("TMPDIR");
	char keep[4096] = "";

	if (tpl.pid == getpid())
		return;
	/* a copy inherited from a parent process is the parent's to remove */
	memset(&tpl, 0, sizeof(tpl));
	rt_ok(ruhu_init());
	if (saved)
		snprintf(keep, sizeof(keep), "%s", saved);
	if (access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	rt_tmpdir(tpl.dir, sizeof(tpl.dir));
	if (saved)
		setenv("TMPDIR", keep, 1);
	else
		unsetenv("TMPDIR");
	tpl.pid = getpid();
	atexit(tpl_cleanup);
	tick = 0;

	rt_path(p, sizeof(p), tpl.dir, "hub");
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
	tpl_edits_a(a, &tpl.bundle_a);
	tpl_ingest(hub, &bundle_b);

	/* the bases, from closed replicas */
	ruhu_replica_free(a);
	ruhu_replica_free(b);
	ruhu_replica_free(hub);
	snprintf(tpl.hub_base, sizeof(tpl.hub_base), "%s/hub-base", tpl.dir);
	snprintf(tpl.tablet_base, sizeof(tpl.tablet_base), "%s/tablet-base", tpl.dir);
	rt_path(p, sizeof(p), tpl.dir, "hub");
	copy_replica(p, tpl.hub_base);
	rt_path(p, sizeof(p), tpl.dir, "tab-01");
	copy_replica(p, tpl.tablet_base);

	/* the reply A will pull */
	hub = tpl_open("hub");
	tpl_ingest(hub, &tpl.bundle_a);
	rt_ok(ruhu_hub_reply(&tpl.reply_a, hub, "tab-01"));
	ruhu_replica_free(hub);
	ruhu_buf_dispose(&bundle_b);
}

void rt_sync_template(void)
{
	tpl_make();
}

/* Copy a base into the operation's folder, in the operation's journal mode. */
static void setup_from(const char *base, const char *dir, const struct rt_op *op)
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

/* ---- the states (design note 3) ---- */

static int hex_of(char out[13], const ruhu_digest *d)
{
	char hex[RUHU_DIGEST_HEX_LEN + 1];

	ruhu_digest_hex(hex, d);
	memcpy(out, hex, 12);
	out[12] = '\0';
	return 0;
}

/* The digest of the rows; checked against the one kept in _meta with `kept`. */
static int rows_digest(ruhu_digest *out, ruhu_replica *r, int check_kept)
{
	const ruhu_schema *schema;
	const char **tables = NULL;
	size_t n;
	ruhu_digest kept;
	char a[13], b[13];
	int error;

	if ((error = ruhu_replica_schema(&schema, r)) < 0 ||
	    (error = ruhu_save_tables(&tables, &n, schema)) < 0 ||
	    (error = ruhu_digest_compute(out, ruhu_replica_db(r), tables, n)) < 0 || !check_kept ||
	    (error = ruhu_digest_load(&kept, ruhu_replica_db(r))) < 0)
		goto done;
	if (!ruhu_digest_equal(out, &kept)) {
		hex_of(a, &kept);
		hex_of(b, out);
		error = ruhu_error_set(RUHU_ECORRUPT, "the digest kept in _meta (%s) is not the digest of "
				       "the rows (%s)", a, b);
	}
done:
	free(tables);
	return error;
}

/* The head of `ref` as 12 hex digits, or "-" when there is none. */
static int head_of(char out[13], git_oid *oid, ruhu_replica *r, const char *ref)
{
	char hex[GIT_OID_HEXSZ + 1];
	int error = ruhu_refs_get(oid, ruhu_replica_db(r), ref);

	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		snprintf(out, 13, "-");
		memset(oid, 0, sizeof(*oid));
		return 0;
	}
	if (error == 0) {
		git_oid_tostr(hex, sizeof(hex), oid);
		memcpy(out, hex, 12);
		out[12] = '\0';
	}
	return error;
}

/* The Ruhu-Digest of a commit. */
static int commit_digest(ruhu_digest *out, ruhu_replica *r, const git_oid *id)
{
	git_repository *repo;
	ruhu_buf v = RUHU_BUF_INIT;
	int error;

	if ((error = ruhu_replica_repo(&repo, r)) == 0 &&
	    (error = ruhu_commit_trailer(&v, repo, id, "Ruhu-Digest")) == 0)
		error = ruhu_digest_parse_hex(out, v.ptr, v.size);
	ruhu_buf_dispose(&v);
	return error;
}

static int count_of(int64_t *out, ruhu_replica *r, const char *sql)
{
	sqlite3 *db = ruhu_replica_db(r);
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : ruhu_replica_sqlite_error(r, rc, sql);
}

static int abort_conflict(void *ctx, int kind, sqlite3_changeset_iter *it)
{
	(void)it;
	*(int *)ctx = kind;
	return SQLITE_CHANGESET_ABORT;
}

/*
 * The pending saves of a tablet: their number and a hash of (seq, commit,
 * changeset as applied); and, in a savepoint rolled back, their undo, whose
 * digest must be `main_digest` (design note 3).
 */
static int pending_of(int64_t *count, char hash[17], ruhu_replica *r, const ruhu_digest *main_digest)
{
	sqlite3 *db = ruhu_replica_db(r);
	sqlite3_stmt *st = NULL;
	git_repository *repo;
	crypto_generichash_state h;
	unsigned char sum[8];
	ruhu_buf own = RUHU_BUF_INIT;
	ruhu_digest d;
	char a[13], b[13];
	int rc, error = 0, began = 0;

	*count = 0;
	crypto_generichash_init(&h, NULL, 0, sizeof(sum));
	if ((error = ruhu_replica_repo(&repo, r)) < 0)
		return error;
	if ((error = ruhu_replica_savepoint(r, "rt_history")) < 0)
		return error;
	began = 1;
	if ((rc = sqlite3_prepare_v2(db, "SELECT seq, oid, changeset FROM _pending ORDER BY seq DESC", -1,
				     &st, NULL)) != SQLITE_OK) {
		error = ruhu_replica_sqlite_error(r, rc, "read the pending saves");
		goto done;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		const void *cs = sqlite3_column_blob(st, 2);
		int n = sqlite3_column_bytes(st, 2), ninv = 0, conflict = 0;
		void *inv = NULL;

		(*count)++;
		crypto_generichash_update(&h, (const unsigned char *)&seq, sizeof(seq));
		crypto_generichash_update(&h, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		if (sqlite3_column_type(st, 2) == SQLITE_NULL) {
			/* the commit's own changeset, as the save made it */
			git_oid oid;

			if (sqlite3_column_bytes(st, 1) != GIT_OID_RAWSZ) {
				error = ruhu_error_set(RUHU_ECORRUPT, "pending save %lld names no commit",
						       (long long)seq);
				goto done;
			}
			git_oid_fromraw(&oid, sqlite3_column_blob(st, 1));
			ruhu_buf_clear(&own);
			if ((error = ruhu_commit_read_path(&own, repo, &oid, "changeset")) < 0)
				goto done;
			cs = own.ptr;
			n = (int)own.size;
		}
		if (n == 0)
			continue;
		crypto_generichash_update(&h, cs, (size_t)n);
		if (sqlite3changeset_invert(n, cs, &ninv, &inv) != SQLITE_OK) {
			error = ruhu_error_set(RUHU_ECORRUPT, "pending save %lld does not invert", (long long)seq);
			goto done;
		}
		rc = sqlite3changeset_apply(db, ninv, inv, NULL, abort_conflict, &conflict);
		sqlite3_free(inv);
		if (rc != SQLITE_OK || conflict) {
			error = ruhu_error_set(RUHU_ECORRUPT, "pending save %lld does not undo on the rows "
					       "(conflict %d, rc %d)", (long long)seq, conflict, rc);
			goto done;
		}
	}
	if (rc != SQLITE_DONE) {
		error = ruhu_replica_sqlite_error(r, rc, "read the pending saves");
		goto done;
	}
	if ((error = rows_digest(&d, r, 0)) < 0)
		goto done;
	if (main_digest && !ruhu_digest_equal(&d, main_digest)) {
		hex_of(a, &d);
		hex_of(b, main_digest);
		error = ruhu_error_set(RUHU_ECORRUPT, "undoing the %lld pending saves gives digest %s, "
				       "not the %s of the hub's main", (long long)*count, a, b);
	}
done:
	sqlite3_finalize(st);
	ruhu_buf_dispose(&own);
	if (began)
		ruhu_replica_rollback_to(r, "rt_history");   /* and releases it */
	crypto_generichash_final(&h, sum, sizeof(sum));
	for (int i = 0; i < 8; i++)
		snprintf(hash + 2 * i, 3, "%02x", sum[i]);
	return error;
}

int rt_state_tablet(ruhu_replica *r, ruhu_buf *out)
{
	ruhu_buf tables = RUHU_BUF_INIT, v = RUHU_BUF_INIT;
	ruhu_digest rows, main_digest;
	git_oid head, main;
	git_repository *repo;
	char d[13], hh[13], hm[13], ph[17];
	int64_t pending, seq = 0;
	int error;

	if ((error = rows_digest(&rows, r, 1)) < 0 ||
	    (error = head_of(hh, &head, r, "refs/heads/device")) < 0 ||
	    (error = head_of(hm, &main, r, "refs/remotes/hub/main")) < 0 ||
	    (error = commit_digest(&main_digest, r, &main)) < 0 ||
	    (error = pending_of(&pending, ph, r, &main_digest)) < 0 ||
	    (error = ruhu_meta_int_or(&seq, ruhu_replica_db(r), "seq", 0)) < 0 ||
	    (error = ruhu_replica_repo(&repo, r)) < 0 ||
	    (error = ruhu_commit_trailer(&v, repo, &head, "Ruhu-Seq")) < 0)
		goto done;
	if (strtoll(v.ptr, NULL, 10) != seq) {
		error = ruhu_error_set(RUHU_ECORRUPT, "_meta.seq is %lld, the head's Ruhu-Seq %s",
				       (long long)seq, v.ptr);
		goto done;
	}
	if ((error = rt_state_tables(r, &tables)) < 0)
		goto done;
	hex_of(d, &rows);
	ruhu_buf_clear(out);
	error = ruhu_buf_printf(out, "tablet: digest %s, device %s, hub/main %s, seq %lld, %lld pending %s; %s",
				d, hh, hm, (long long)seq, (long long)pending, ph, tables.ptr);
done:
	ruhu_buf_dispose(&tables);
	ruhu_buf_dispose(&v);
	return error;
}

int rt_state_hub(ruhu_replica *r, ruhu_buf *out)
{
	ruhu_buf tables = RUHU_BUF_INIT;
	ruhu_digest rows, main_digest;
	git_oid main, dev;
	char d[13], hm[13], h1[13], h2[13], a[13];
	int64_t merged, review, inbox;
	int error;

	if ((error = rows_digest(&rows, r, 1)) < 0 ||
	    (error = head_of(hm, &main, r, "refs/heads/main")) < 0 ||
	    (error = head_of(h1, &dev, r, "refs/devices/tab-01")) < 0 ||
	    (error = head_of(h2, &dev, r, "refs/devices/tab-02")) < 0 ||
	    (error = commit_digest(&main_digest, r, &main)) < 0 ||
	    (error = count_of(&merged, r, "SELECT count(*) FROM _merged")) < 0 ||
	    (error = count_of(&review, r, "SELECT count(*) FROM _review")) < 0 ||
	    (error = count_of(&inbox, r, "SELECT count(*) FROM _inbox")) < 0)
		goto done;
	hex_of(d, &rows);
	if (!ruhu_digest_equal(&rows, &main_digest)) {
		hex_of(a, &main_digest);
		error = ruhu_error_set(RUHU_ECORRUPT, "the hub's digest %s is not the Ruhu-Digest %s of "
				       "main %s", d, a, hm);
		goto done;
	}
	if ((error = rt_state_tables(r, &tables)) < 0)
		goto done;
	ruhu_buf_clear(out);
	error = ruhu_buf_printf(out, "hub: digest %s, main %s, tab-01 %s, tab-02 %s, %lld merged, "
				"%lld review items, %lld waiting; %s", d, hm, h1, h2, (long long)merged,
				(long long)review, (long long)inbox, tables.ptr);
done:
	ruhu_buf_dispose(&tables);
	return error;
}

/* ---- a save on a joined tablet ---- */

static void setup_tablet(const char *dir, const struct rt_op *op)
{
	tpl_make();
	setup_from(tpl.tablet_base, dir, op);
}

static int save_update(ruhu_edit *e, const char *type, const char *id, const char *field,
		       const char *value)
{
	ruhu_assign v[] = { { field, value } };

	return ruhu_edit_update(e, type, id, v, 1);
}

static int run_save(struct rt_run *run)
{
	static unsigned char jpeg[20000];
	ruhu_edit *e = NULL;
	char idn[19];
	int error;

	if ((error = det_begin(run->r)) < 0)
		goto done;
	photo(jpeg, sizeof(jpeg), 2);
	idnumber(idn, 40);
	{
		ruhu_assign h[] = { { "id", ID(41) }, { "address", "梅园新村 4 号" }, { "village", "梅园" },
				    { "phone", "13800000041" } };
		ruhu_assign p[] = { { "id", ID(42) }, { "household_id", ID(41) }, { "name", "周杰" },
				    { "id_number", idn }, { "gender", "male" },
				    { "employment_status", "flexible" } };
		ruhu_assign q[] = { { "id", ID(43) }, { "household_id", ID(41) }, { "name", "周梅" } };
		ruhu_assign a[] = { { "id", ID(44) }, { "person_id", ID(42) }, { "item", "emp.assistance" },
				    { "received_at", "2026-11-28T09:30:00+08:00" },
				    { "first_responder", "w-01" }, { "status", "received" } };

		if ((error = ruhu_edit_begin(&e, run->r)) < 0 ||
		    (error = ruhu_edit_insert(e, "household", h, 4, NULL)) < 0 ||
		    (error = ruhu_edit_insert(e, "person", p, 6, NULL)) < 0 ||
		    (error = ruhu_edit_insert(e, "person", q, 3, NULL)) < 0 ||
		    (error = ruhu_edit_insert(e, "application", a, 6, NULL)) < 0 ||
		    (error = save_update(e, "person", P1, "phone", "13500000005")) < 0 ||
		    (error = save_update(e, "person", P2, "notes", "已电话联系")) < 0 ||
		    (error = ruhu_edit_delete(e, "application", AP2)) < 0 ||
		    (error = ruhu_edit_attach(e, "household", ID(41), jpeg, sizeof(jpeg), "门牌", NULL)) < 0 ||
		    (error = ruhu_edit_commit(e, "a visit's save", NULL)) < 0)
			goto done;
	}
done:
	ruhu_edit_free(e);
	det_end();
	return error;
}

const struct rt_op rt_op_save = {
	.name = "save",
	.setup = setup_tablet,
	.run = run_save,
	.state = rt_state_tablet,
};

const struct rt_op rt_op_save_delete = {
	.name = "save (delete)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE },
	.setup = setup_tablet,
	.run = run_save,
	.state = rt_state_tablet,
};

/* ---- a hub merge of a bundle ---- */

static void setup_hub(const char *dir, const struct rt_op *op)
{
	tpl_make();
	setup_from(tpl.hub_base, dir, op);
}

static int run_merge(struct rt_run *run)
{
	ruhu_ingest_report rep;
	int error;

	memset(&rep, 0, sizeof(rep));
	if ((error = det_begin(run->r)) == 0)
		error = ruhu_hub_ingest(&rep, run->r, tpl.bundle_a.ptr, tpl.bundle_a.size, NULL);
	if (error == 0 && (rep.commits != 2 || rep.reviews == 0))
		error = ruhu_error_set(RUHU_ERROR, "the merge took %zu commits and opened %zu review items",
				       rep.commits, rep.reviews);
	ruhu_ingest_report_dispose(&rep);
	det_end();
	return error;
}

const struct rt_op rt_op_save_spill = {
	.name = "save (delete, cache spill)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE, .cache_kib = 32 },
	.setup = setup_tablet,
	.run = run_save,
	.state = rt_state_tablet,
};

const struct rt_op rt_op_merge = {
	.name = "merge",
	.setup = setup_hub,
	.run = run_merge,
	.state = rt_state_hub,
};

const struct rt_op rt_op_merge_delete = {
	.name = "merge (delete)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE },
	.setup = setup_hub,
	.run = run_merge,
	.state = rt_state_hub,
};

const struct rt_op rt_op_merge_spill = {
	.name = "merge (delete, cache spill)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE, .cache_kib = 32 },
	.setup = setup_hub,
	.run = run_merge,
	.state = rt_state_hub,
};

/* ---- a tablet's pull with a rebase ---- */

static int run_pull(struct rt_run *run)
{
	ruhu_pull_report rep;
	int error;

	if ((error = det_begin(run->r)) == 0)
		error = ruhu_pull(&rep, run->r, tpl.reply_a.ptr, tpl.reply_a.size);
	if (error == 0 && (rep.acknowledged != 2 || rep.redone != 1 || rep.main_commits < 4))
		error = ruhu_error_set(RUHU_ERROR, "the pull applied %zu main commits, dropped %zu saves "
				       "and redid %zu", rep.main_commits, rep.acknowledged, rep.redone);
	det_end();
	return error;
}

const struct rt_op rt_op_pull = {
	.name = "pull",
	.setup = setup_tablet,
	.run = run_pull,
	.state = rt_state_tablet,
};

const struct rt_op rt_op_pull_delete = {
	.name = "pull (delete)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE },
	.setup = setup_tablet,
	.run = run_pull,
	.state = rt_state_tablet,
};

const struct rt_op rt_op_pull_spill = {
	.name = "pull (delete, cache spill)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE, .cache_kib = 32 },
	.setup = setup_tablet,
	.run = run_pull,
	.state = rt_state_tablet,
};
