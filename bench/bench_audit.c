/*
 * bench_audit.c — `audit verify` against SQLite's own changeset apply.
 *
 * A hub replica (encrypted, as made by `ruhu hub init`) gets COMMITS saves on
 * main, each inserting ROWS records (one household per five rows, the rest
 * persons with name, gender and phone: every CHECK and validator runs).  The
 * history is built fast: rows are inserted with prepared statements under a
 * session, and each save is written with ruhu_save_commit (digest, clock,
 * sequence, changeset and changes.txt blobs, tree, signed commit, ref), a
 * thousand saves per transaction.
 *
 * Timed, in the same run:
 *   baseline  the same changesets (read into memory first, not timed)
 *             applied with sqlite3changeset_apply into a fresh in-memory
 *             database with the schema installed, one transaction, no digest,
 *             no signature, no object reads
 *   verify    ruhu_audit_verify on the replica, reopened (cold caches):
 *             every object read and hashed, every signature checked, the
 *             replay with digests, and every row compared with the replica;
 *             with the helper thread (default) and without
 * The rate is main commits per second; the ratio is verify's rate over the
 * baseline's (target >= 0.5).  Each round runs the three in turn; printed
 * are the medians over the rounds of wall-clock time, of process CPU time
 * (both threads of the helper variant: the measure a busy shared machine
 * leaves intact) and of the per-round ratios.
 *
 *   bench_audit [COMMITS] [ROWS] [ROUNDS] [FOLDER]   (10000, 10, 3, $TMPDIR or /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/changeset.h"
#include "core/commit.h"
#include "core/replica.h"
#include "core/refs.h"
#include "core/save.h"
#include "core/uuid.h"
#include "ruhu/ruhu.h"
#include "schema/schema_db.h"

#define MAX_ROUNDS 15

static double clock_of(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now(void)
{
	return clock_of(CLOCK_MONOTONIC);
}

static double cpu(void)
{
	return clock_of(CLOCK_PROCESS_CPUTIME_ID);
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

static void die(const char *what)
{
	fprintf(stderr, "bench_audit: %s: %s\n", what, ruhu_error_last());
	exit(1);
}

static void check(int rc, const char *what)
{
	if (rc < 0)
		die(what);
}

static void sqlok(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		fprintf(stderr, "bench_audit: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
}

static ruhu_replica_options options(void)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

/* The history (see the top of the file). */
static void build(ruhu_replica *r, long commits, long rows)
{
	sqlite3 *db = ruhu_replica_db(r);
	const ruhu_schema *schema;
	const char **tables;
	size_t ntables;
	sqlite3_stmt *hh = NULL, *pp = NULL;
	char hid[RUHU_UUID_TEXT_LEN + 1], pid[RUHU_UUID_TEXT_LEN + 1], name[64], phone[24];
	ruhu_buf canon = RUHU_BUF_INIT;
	long serial = 0;

	check(ruhu_replica_schema(&schema, r), "schema");
	check(ruhu_save_tables(&tables, &ntables, schema), "tables");
	sqlok(db, sqlite3_prepare_v2(db, "INSERT INTO household(id, address) VALUES(?1, ?2)", -1, &hh, NULL), "prepare");
	sqlok(db, sqlite3_prepare_v2(db, "INSERT INTO person(id, household_id, name, gender, phone) "
				     "VALUES(?1, ?2, ?3, ?4, ?5)", -1, &pp, NULL), "prepare");
	for (long c = 0; c < commits; c++) {
		sqlite3_session *s = NULL;
		ruhu_save_spec spec;
		void *raw = NULL;
		int nraw = 0;

		if (c % 1000 == 0)
			check(ruhu_replica_begin(r), "begin");
		sqlok(db, sqlite3session_create(db, "main", &s), "session");
		check(ruhu_schema_attach_session(s, schema), "attach");
		for (long k = 0; k < rows; k++) {
			serial++;
			if (k % 5 == 0) {
				ruhu_uuid_v7(hid);
				sqlite3_bind_text(hh, 1, hid, -1, SQLITE_STATIC);
				snprintf(name, sizeof(name), "梅园新村 %ld 号", serial);
				sqlite3_bind_text(hh, 2, name, -1, SQLITE_TRANSIENT);
				sqlok(db, sqlite3_step(hh), "insert household");
				sqlite3_reset(hh);
				continue;
			}
			ruhu_uuid_v7(pid);
			snprintf(name, sizeof(name), "居民%ld", serial);
			snprintf(phone, sizeof(phone), "139%08ld", serial % 100000000);
			sqlite3_bind_text(pp, 1, pid, -1, SQLITE_STATIC);
			sqlite3_bind_text(pp, 2, hid, -1, SQLITE_STATIC);
			sqlite3_bind_text(pp, 3, name, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(pp, 4, serial % 2 ? "female" : "male", -1, SQLITE_STATIC);
			sqlite3_bind_text(pp, 5, phone, -1, SQLITE_TRANSIENT);
			sqlok(db, sqlite3_step(pp), "insert person");
			sqlite3_reset(pp);
		}
		sqlok(db, sqlite3session_changeset(s, &nraw, &raw), "changeset");
		sqlite3session_delete(s);
		ruhu_buf_clear(&canon);
		check(ruhu_changeset_canonicalize(&canon, raw, (size_t)nraw, tables, ntables), "canonical");
		sqlite3_free(raw);
		memset(&spec, 0, sizeof(spec));
		spec.changeset = canon.ptr;
		spec.len = canon.size;
		check(ruhu_save_commit(NULL, r, &spec), "save");
		if (c % 1000 == 999 || c == commits - 1)
			check(ruhu_replica_commit(r), "commit");
	}
	sqlite3_finalize(hh);
	sqlite3_finalize(pp);
	free(tables);
	ruhu_buf_dispose(&canon);
}

struct changesets {
	ruhu_buf *v;
	size_t n, cap;
	git_repository *repo;
};

static int take(const git_oid *id, void *payload)
{
	struct changesets *c = payload;

	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		if ((c->v = realloc(c->v, c->cap * sizeof(*c->v))) == NULL)
			return ruhu_error_oom();
	}
	memset(&c->v[c->n], 0, sizeof(c->v[c->n]));
	return ruhu_commit_read_path(&c->v[c->n++], c->repo, id, "changeset");
}

static int abort_all(void *ctx, int type, sqlite3_changeset_iter *it)
{
	(void)ctx;
	(void)type;
	(void)it;
	return SQLITE_CHANGESET_ABORT;
}

/* The baseline: the changesets applied with no checks (see the top). */
static double baseline(const ruhu_schema *schema, const struct changesets *cs, double *cputime)
{
	sqlite3 *db = NULL;
	double t0, c0, t;

	sqlok(db, sqlite3_open(":memory:", &db), "open");
	check(ruhu_schema_install(db, schema), "install");
	t0 = now();
	c0 = cpu();
	sqlok(db, sqlite3_exec(db, "PRAGMA cache_size = -262144; BEGIN", NULL, NULL, NULL), "begin");
	for (size_t i = 0; i < cs->n; i++)
		if (cs->v[i].size)
			sqlok(db, sqlite3changeset_apply(db, (int)cs->v[i].size, cs->v[i].ptr, NULL, abort_all, NULL),
			      "apply");
	sqlok(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	t = now() - t0;
	*cputime = cpu() - c0;
	sqlite3_close(db);
	return t;
}

static double verify(ruhu_replica **r, const char *dir, unsigned int threads, ruhu_audit_verify_report *rep,
		     double *cputime)
{
	ruhu_replica_options o = options();
	ruhu_audit_verify_opts vo = RUHU_AUDIT_VERIFY_OPTS_INIT;
	double t0, c0, t;

	ruhu_replica_free(*r);
	check(ruhu_replica_open(r, dir, "pw", 2, &o), "reopen");
	vo.threads = threads;
	t0 = now();
	c0 = cpu();
	check(ruhu_audit_verify(rep, *r, &vo), "verify");
	t = now() - t0;
	*cputime = cpu() - c0;
	return t;
}

int main(int argc, char **argv)
{
	long commits = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
	long rows = argc > 2 ? strtol(argv[2], NULL, 10) : 10;
	int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3;
	const char *base = argc > 4 ? argv[4] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	ruhu_replica_options o = options();
	ruhu_replica *r = NULL;
	ruhu_audit_verify_report rep;
	struct changesets cs;
	const ruhu_schema *schema;
	git_oid head;
	char dir[512];
	double t0, tbuild, tread, tb[MAX_ROUNDS], cb[MAX_ROUNDS], tv[MAX_ROUNDS], cv[MAX_ROUNDS], t1[MAX_ROUNDS],
	       c1[MAX_ROUNDS], rv[MAX_ROUNDS], r1[MAX_ROUNDS], rcv[MAX_ROUNDS], rc1[MAX_ROUNDS];

	if (commits < 1 || rows < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: bench_audit [COMMITS] [ROWS] [ROUNDS (1-%d)] [FOLDER]\n", MAX_ROUNDS);
		return 2;
	}
	check(ruhu_init(), "init");
	snprintf(dir, sizeof(dir), "%s/bench-audit-%ld", base, (long)getpid());
	check(ruhu_hub_init(&r, dir, "320102", "梅园新村街道人社服务中心", NULL, "pw", 2, &o), "hub init");
	check(ruhu_worker_use(r, "op-01", "李娜"), "worker");
	t0 = now();
	build(r, commits, rows);
	tbuild = now() - t0;

	/* the changesets, read once for the baseline */
	memset(&cs, 0, sizeof(cs));
	check(ruhu_replica_repo(&cs.repo, r), "repo");
	check(ruhu_replica_schema(&schema, r), "schema");
	check(ruhu_refs_get(&head, ruhu_replica_db(r), "refs/heads/main"), "main");
	t0 = now();
	check(ruhu_history_walk(cs.repo, &head, NULL, 0, RUHU_HISTORY_FIRST_PARENT | RUHU_HISTORY_REVERSE, take, &cs),
	      "walk");
	tread = now() - t0;

	for (int i = 0; i < rounds; i++) {
		/* the replica is reopened by each verify: its schema too */
		check(ruhu_replica_schema(&schema, r), "schema");
		tb[i] = baseline(schema, &cs, &cb[i]);
		tv[i] = verify(&r, dir, 0, &rep, &cv[i]);
		if (i == 0) {
			printf("hub: %ld commits, %zu rows; built in %.1f s (%.0f saves/s); changesets read in %.2f s\n",
			       commits, rep.rows, tbuild, commits / tbuild, tread);
			printf("verified: %zu commits, %zu signatures, %zu objects, %zu replayed, %zu digests, "
			       "%zu rows\n", rep.commits, rep.signatures, rep.objects, rep.replayed, rep.digests, rep.rows);
		}
		ruhu_audit_verify_report_dispose(&rep);
		t1[i] = verify(&r, dir, 1, &rep, &c1[i]);
		ruhu_audit_verify_report_dispose(&rep);
		rv[i] = tb[i] / tv[i];
		r1[i] = tb[i] / t1[i];
		rcv[i] = cb[i] / cv[i];
		rc1[i] = cb[i] / c1[i];
	}
	printf("medians of %d rounds          wall s   commits/s   cpu s   ratio (wall)   ratio (cpu)\n", rounds);
	printf("baseline: changeset_apply   %8.2f %11.0f %7.2f\n", median(tb, rounds), commits / median(tb, rounds),
	       median(cb, rounds));
	printf("verify, helper thread       %8.2f %11.0f %7.2f %14.2f %13.2f\n", median(tv, rounds),
	       commits / median(tv, rounds), median(cv, rounds), median(rv, rounds), median(rcv, rounds));
	printf("verify, one thread          %8.2f %11.0f %7.2f %14.2f %13.2f\n", median(t1, rounds),
	       commits / median(t1, rounds), median(c1, rounds), median(r1, rounds), median(rc1, rounds));
	for (size_t i = 0; i < cs.n; i++)
		ruhu_buf_dispose(&cs.v[i]);
	free(cs.v);
	ruhu_replica_free(r);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_audit: could not remove %s\n", dir);
	}
	return 0;
}
