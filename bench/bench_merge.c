/*
 * bench_merge.c — the hub merge against SQLite's own changeset apply.
 *
 * Plain SQLite files (the encrypted replica's overhead is measured by
 * bench_replica), same pragmas on both sides (WAL, synchronous NORMAL,
 * 64 MiB page cache).  Workloads:
 *
 *  1. A hub of N residents (default 1,000,000 person rows, inserted in one
 *     transaction with every CHECK and validator), a device changeset of
 *     100,000 field changes (50,000 persons, phone and employment status),
 *     of which 5,000 persons were changed on the hub since the device's copy
 *     (so `lww` decides their phone).  Timed: ruhu_merge_apply (its own apply
 *     loop, session capture, canonical net changeset, provenance) against
 *     sqlite3changeset_apply_v2 (REPLACE on data conflicts) of the same
 *     changeset into an identical copy.  Target ≤ 2.0×.
 *  2. 100 field changes merged into a hub of 10,000 and into the hub of N:
 *     target ≤ 1.5× (the merge's cost must not grow with the hub).
 *
 * Each timed run is inside BEGIN ... ROLLBACK, so every round starts from
 * the same state; the printed ratio is the median over rounds of the
 * per-round ratio, runs alternating.
 *
 *   bench_merge [RESIDENTS] [ROUNDS] [FOLDER]   (1000000, 5, $TMPDIR or /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/hlc.h"
#include "core/provenance.h"
#include "schema/schema_db.h"
#include "sync/merge.h"

#define MAX_ROUNDS 64
#define SMALL_HUB 10000
#define CHANGED 50000
#define HUB_EDITED 5000
#define SMALL_CHANGES 50

static const char pragmas[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
	"PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY";

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_merge: %s: %s\n", what, msg);
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die(sql, err ? err : "?");
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		die(path, sqlite3_errmsg(db));
	if (ruhu_schema_register(db) < 0)
		die(path, ruhu_error_last());
	exec(db, pragmas);
	return db;
}

static void person_id(char out[37], unsigned long n)
{
	snprintf(out, 37, "01890a5d-%04lx-7%03lx-8000-%012lx", (n >> 12) & 0xffff, n & 0xfff, n & 0xffffffffffffUL);
}

/* A hub of `n` residents with the schema and provenance tables. */
static void build(const char *path, const ruhu_schema *s, unsigned long n)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	static const char *const status[] = { "employed", "unemployed", "flexible", "retired" };

	unlink(path);
	db = open_db(path);
	exec(db, "BEGIN");
	if (ruhu_schema_install(db, s) < 0 || ruhu_provenance_init(db) < 0)
		die(path, ruhu_error_last());
	if (sqlite3_prepare_v2(db, "INSERT INTO person (id, name, phone, address, employment_status)"
			       " VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK)
		die("insert", sqlite3_errmsg(db));
	for (unsigned long i = 0; i < n; i++) {
		char id[37], name[32], phone[32], addr[64];

		person_id(id, i);
		snprintf(name, sizeof(name), "居民%lu", i);
		snprintf(phone, sizeof(phone), "139%08lu", i % 100000000);
		snprintf(addr, sizeof(addr), "高资街道 %lu 号", i % 5000);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, phone, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, addr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 5, status[i % 4], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("insert", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	exec(db, "COMMIT");
	sqlite3_close(db);
}

static void copy_db(const char *from, const char *to)
{
	sqlite3 *db = open_db(from);
	char sql[4200];

	unlink(to);
	snprintf(sql, sizeof(sql), "VACUUM INTO '%s'", to);
	exec(db, sql);
	sqlite3_close(db);
}

/* Run `step` edits of persons first..first+count (stride `stride`) on `db`
 * under a session; the canonical changeset in `out`. */
static void device_changeset(ruhu_buf *out, sqlite3 *db, const ruhu_schema *s, unsigned long first,
			     unsigned long count, unsigned long stride, const char *tag)
{
	sqlite3_session *session = NULL;
	sqlite3_stmt *st = NULL;
	const char *names[64];
	size_t nt = ruhu_schema_type_count(s);
	void *cs = NULL;
	int n = 0;

	for (size_t i = 0; i < nt; i++)
		names[i] = ruhu_type_name(ruhu_schema_type(s, i));
	if (sqlite3session_create(db, "main", &session) != SQLITE_OK ||
	    ruhu_schema_attach_session(session, s) < 0)
		die("session", sqlite3_errmsg(db));
	exec(db, "BEGIN");
	if (sqlite3_prepare_v2(db, "UPDATE person SET phone = ?2, employment_status = 'other'"
			       " WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		die("update", sqlite3_errmsg(db));
	for (unsigned long i = 0; i < count; i++) {
		char id[37], phone[32];

		person_id(id, first + i * stride);
		snprintf(phone, sizeof(phone), "13%s%08lu", tag, i % 100000000);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, phone, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("update", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (sqlite3session_changeset(session, &n, &cs) != SQLITE_OK)
		die("changeset", sqlite3_errmsg(db));
	ruhu_buf_clear(out);
	if (ruhu_changeset_canonicalize(out, cs, (size_t)n, names, nt) < 0)
		die("canonicalize", ruhu_error_last());
	sqlite3_free(cs);
	sqlite3session_delete(session);
	exec(db, "ROLLBACK");
}

static double time_merge(sqlite3 *db, const ruhu_schema *s, const ruhu_buf *cs, size_t *decisions)
{
	ruhu_merge_opts o = RUHU_MERGE_OPTS_INIT;
	ruhu_merge_result *r = NULL;
	double t;

	o.hlc = ruhu_hlc_make(UINT64_C(1714957200000), 0);
	o.origin = "tab-07";
	o.worker = "w-0012";
	exec(db, "BEGIN");
	t = now();
	if (ruhu_merge_apply(&r, db, s, cs->ptr, cs->size, &o) < 0)
		die("merge", ruhu_error_last());
	t = now() - t;
	if (decisions)
		*decisions = r->ndecisions;
	ruhu_merge_result_free(r);
	exec(db, "ROLLBACK");
	return t;
}

static int replace_conflicts(void *ctx, int kind, sqlite3_changeset_iter *it)
{
	return kind == SQLITE_CHANGESET_DATA ? SQLITE_CHANGESET_REPLACE : SQLITE_CHANGESET_OMIT;
}

static double time_apply(sqlite3 *db, const ruhu_buf *cs)
{
	double t;

	exec(db, "BEGIN");
	t = now();
	if (sqlite3changeset_apply_v2(db, (int)cs->size, cs->ptr, NULL, replace_conflicts, NULL, NULL,
				      NULL, 0) != SQLITE_OK)
		die("apply", sqlite3_errmsg(db));
	t = now() - t;
	exec(db, "ROLLBACK");
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	unsigned long residents = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
	const char *tmp = argc > 3 ? argv[3] : getenv("TMPDIR");
	char dir[4096], hub[4200], plain[4200], dev[4200], small[4200], sdev[4200];
	ruhu_schema *s = NULL;
	sqlite3 *h, *p, *d, *sm, *sd;
	ruhu_buf big = RUHU_BUF_INIT, little = RUHU_BUF_INIT, slittle = RUHU_BUF_INIT;
	double ratio[MAX_ROUNDS], tm[MAX_ROUNDS], ta[MAX_ROUNDS], r2[MAX_ROUNDS], ts[MAX_ROUNDS],
	       tl[MAX_ROUNDS], t0;
	size_t decisions = 0;

	if (residents < 2 * CHANGED || rounds < 1 || rounds > MAX_ROUNDS)
		die("usage", "bench_merge [RESIDENTS >= 100000] [ROUNDS 1-64] [FOLDER]");
	snprintf(dir, sizeof(dir), "%s/ruhu-bench-merge-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die(dir, "cannot make the folder");
	snprintf(hub, sizeof(hub), "%s/hub.db", dir);
	snprintf(plain, sizeof(plain), "%s/plain.db", dir);
	snprintf(dev, sizeof(dev), "%s/device.db", dir);
	snprintf(small, sizeof(small), "%s/small.db", dir);
	snprintf(sdev, sizeof(sdev), "%s/small-device.db", dir);
	if (ruhu_init() < 0 || ruhu_schema_load_default(&s) < 0)
		die("init", ruhu_error_last());

	t0 = now();
	build(hub, s, residents);
	printf("built a hub of %lu residents in %.1f s\n", residents, now() - t0);
	build(small, s, SMALL_HUB);
	copy_db(hub, dev);
	copy_db(small, sdev);
	/* the hub changed some of the persons the device will change */
	h = open_db(hub);
	{
		char sql[256];

		snprintf(sql, sizeof(sql), "UPDATE person SET phone = '1370' || substr(phone, 5)"
			 " WHERE rowid IN (SELECT rowid FROM person WHERE rowid %% 20 = 1 LIMIT %d)",
			 HUB_EDITED);
		exec(h, sql);
	}
	sqlite3_close(h);
	copy_db(hub, plain);

	d = open_db(dev);
	device_changeset(&big, d, s, 0, CHANGED, 2, "5");
	device_changeset(&little, d, s, residents / 2, SMALL_CHANGES, 997, "6");
	sqlite3_close(d);
	sd = open_db(sdev);
	device_changeset(&slittle, sd, s, SMALL_HUB / 2, SMALL_CHANGES, 97, "6");
	sqlite3_close(sd);
	printf("device changeset: %lu persons, %d field changes, %zu bytes\n", (unsigned long)CHANGED,
	       2 * CHANGED, big.size);

	h = open_db(hub);
	p = open_db(plain);
	sm = open_db(small);
	/* warm both caches once */
	time_merge(h, s, &big, &decisions);
	time_apply(p, &big);
	for (int i = 0; i < rounds; i++) {
		tm[i] = time_merge(h, s, &big, NULL);
		ta[i] = time_apply(p, &big);
		ratio[i] = tm[i] / ta[i];
		ts[i] = time_merge(sm, s, &slittle, NULL);
		tl[i] = time_merge(h, s, &little, NULL);
		r2[i] = tl[i] / ts[i];
	}
	printf("merge of %d field changes into %lu residents (%zu decisions):\n", 2 * CHANGED, residents,
	       decisions);
	printf("  ruhu_merge_apply  %8.1f ms (median)\n", median(tm, rounds) * 1000);
	printf("  changeset_apply   %8.1f ms (median)\n", median(ta, rounds) * 1000);
	printf("  ratio             %8.2fx (median of per-round ratios; target <= 2.0)\n",
	       median(ratio, rounds));
	printf("merge of %d field changes, hub of %d vs %lu residents:\n", 2 * SMALL_CHANGES, SMALL_HUB,
	       residents);
	printf("  small hub         %8.3f ms (median)\n", median(ts, rounds) * 1000);
	printf("  large hub         %8.3f ms (median)\n", median(tl, rounds) * 1000);
	printf("  ratio             %8.2fx (median of per-round ratios; target <= 1.5)\n",
	       median(r2, rounds));
	sqlite3_close(h);
	sqlite3_close(p);
	sqlite3_close(sm);
	ruhu_buf_dispose(&big);
	ruhu_buf_dispose(&little);
	ruhu_buf_dispose(&slittle);
	ruhu_schema_free(s);
	unlink(hub);
	unlink(plain);
	unlink(dev);
	unlink(small);
	unlink(sdev);
	{
		char side[4300];
		const char *files[] = { hub, plain, dev, small, sdev };

		for (int i = 0; i < 5; i++) {
			snprintf(side, sizeof(side), "%s-wal", files[i]);
			unlink(side);
			snprintf(side, sizeof(side), "%s-shm", files[i]);
			unlink(side);
		}
	}
	rmdir(dir);
	return 0;
}
