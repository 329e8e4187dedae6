/*
 * bench_save.c — what a save costs: ruhu's save engine against the same SQL
 * on plain SQLite, in the same run.
 *
 *   bench_save [SAVES] [FOLDER] [ROUNDS] [WHAT]
 *     defaults: 2000, $TMPDIR or /tmp, 3, all; WHAT is saves, import or all
 *
 * Workloads
 *  1. A typical visit save, SAVES times: one resident updated (phone,
 *     employment status) and one application opened, as one save — a signed
 *     commit with its changeset, changes.txt, digest, clock, sequence and
 *     pending entry.  The baseline is a plain SQLite file with the same
 *     pragmas and the same schema (validators included) running the same
 *     UPDATE and INSERT in one transaction per save, with prepared
 *     statements reused.  Saves alternate ruhu / plain one by one; each is
 *     timed on its own; the median, 99th percentile and maximum of each
 *     round are printed, then the median of each over ROUNDS rounds (fresh
 *     replicas each round).  Run with synchronous=FULL (the default: every
 *     save is on disk when it returns), then synchronous=NORMAL in WAL mode
 *     (both sides).
 *  2. A bulk import of 100,000 residents as one save (ruhu_edit_insert per
 *     row, one commit) against the same 100,000 inserts into plain SQLite in
 *     one transaction; ROUNDS rounds alternating plain / ruhu, the median
 *     ratio printed, with ruhu's time split into inserting (capture) and
 *     committing (changeset, changes.txt, digest, objects).
 *  3. What one fsync costs on the disk of FOLDER: 4 KiB written and
 *     fdatasync'ed, 200 times, median.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/replica.h"
#include "core/uuid.h"
#include "ruhu/sync.h"
#include "schema/schema_db.h"

#define PERSONS 100
#define IMPORT 100000
#define MAX_SAVES 100000

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_save: %s: %s\n", what, msg);
	exit(1);
}

static void ok(int error, const char *what)
{
	if (error < 0)
		die(what, ruhu_error_last());
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die(sql, err ? err : "?");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The value at fraction q of the sorted array (q = 0.5: median). */
static double quantile(double *v, size_t n, double q)
{
	size_t i;

	qsort(v, n, sizeof(*v), cmp_double);
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static void mkdir_or_die(const char *dir)
{
	if (mkdir(dir, 0700) < 0)
		die(dir, "cannot make the folder (it must not exist)");
}

/* A resident identity number with its check character (ISO 7064 MOD 11-2). */
static void id_number(char out[19], long i)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	int sum = 0;

	snprintf(out, 19, "320102%04ld%02ld%02ld%03ld", 1940 + (i / 1000) % 60, 1 + (i / 60000) % 12,
		 1 + (i / 1000) % 28, i % 1000);
	for (int k = 0; k < 17; k++)
		sum += (out[k] - '0') * w[k];
	out[17] = "10X98765432"[sum % 11];
	out[18] = '\0';
}

/* ---- the two sides ---- */

struct side {
	ruhu_replica *r;                  /* ruhu */
	sqlite3 *db;                      /* plain (or the replica's, for reads) */
	sqlite3_stmt *update, *insert;    /* plain */
	char persons[PERSONS][RUHU_ID_SIZE];
};

static const char plain_pragmas[] = "PRAGMA journal_mode=WAL; PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=4000; "
	"PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0";

static void open_ruhu(struct side *s, const char *dir, int normal)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	memset(s, 0, sizeof(*s));
	o.kdf_opslimit = 1; /* the KDF is not what is measured */
	o.kdf_memlimit = 8192;
	o.synchronous = normal ? RUHU_SYNC_NORMAL : RUHU_SYNC_FULL;
	ok(ruhu_device_init(&s->r, dir, "tab-07", "bench", 5, &o), dir);
	ok(ruhu_worker_use(s->r, "w-0012", "王芳"), "worker use");
	s->db = ruhu_replica_db(s->r);
}

static void open_plain(struct side *s, const char *dir, int normal)
{
	ruhu_schema *schema = NULL;
	char path[4200];

	memset(s, 0, sizeof(*s));
	mkdir_or_die(dir);
	snprintf(path, sizeof(path), "%s/plain.db", dir);
	if (sqlite3_open(path, &s->db) != SQLITE_OK)
		die(path, sqlite3_errmsg(s->db));
	exec(s->db, plain_pragmas);
	exec(s->db, normal ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
	ok(ruhu_schema_load_default(&schema), "schema");
	ok(ruhu_schema_install(s->db, schema), "schema install");
	ruhu_schema_free(schema);
}

static void close_side(struct side *s)
{
	sqlite3_finalize(s->update);
	sqlite3_finalize(s->insert);
	if (s->r)
		ruhu_replica_free(s->r);
	else
		sqlite3_close(s->db);
}

/* The household and its residents, one save (ruhu) / one transaction. */
static void base_rows(struct side *s)
{
	char hh[RUHU_ID_SIZE], name[32];

	if (s->r) {
		ruhu_edit *e = NULL;
		ruhu_assign h[] = { { "address", "梅园新村 12 号" } };

		ok(ruhu_edit_begin(&e, s->r), "begin");
		ok(ruhu_edit_insert(e, "household", h, 1, hh), "household");
		for (int i = 0; i < PERSONS; i++) {
			ruhu_assign p[] = { { "household_id", hh }, { "name", name } };

			snprintf(name, sizeof(name), "居民%d", i);
			ok(ruhu_edit_insert(e, "person", p, 2, s->persons[i]), "person");
		}
		ok(ruhu_edit_commit(e, NULL, NULL), "commit");
		ruhu_edit_free(e);
		return;
	}
	ruhu_uuid_v7(hh);
	exec(s->db, "BEGIN");
	{
		sqlite3_stmt *st;

		if (sqlite3_prepare_v2(s->db, "INSERT INTO household(id, address) VALUES (?1, '梅园新村 12 号')",
				       -1, &st, NULL) != SQLITE_OK)
			die("prepare", sqlite3_errmsg(s->db));
		sqlite3_bind_text(st, 1, hh, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("household", sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		if (sqlite3_prepare_v2(s->db, "INSERT INTO person(id, household_id, name) VALUES (?1, ?2, ?3)",
				       -1, &st, NULL) != SQLITE_OK)
			die("prepare", sqlite3_errmsg(s->db));
		for (int i = 0; i < PERSONS; i++) {
			ruhu_uuid_v7(s->persons[i]);
			snprintf(name, sizeof(name), "居民%d", i);
			sqlite3_bind_text(st, 1, s->persons[i], -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, hh, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				die("person", sqlite3_errmsg(s->db));
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
	}
	exec(s->db, "COMMIT");
	if (sqlite3_prepare_v2(s->db, "UPDATE person SET phone = ?1, employment_status = ?2 WHERE id = ?3",
			       -1, &s->update, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT INTO application(person_id, item, status, received_at, "
			       "promised_by, first_responder, id) VALUES (?1, 'emp.unemployment_registration', "
			       "'received', '2026-11-27T09:00:00+08:00', '2026-12-02', 'w-0012', ?2)",
			       -1, &s->insert, NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(s->db));
}

/* One typical visit save; returns its time in seconds. */
static double visit_save(struct side *s, long i)
{
	char phone[16], app[RUHU_ID_SIZE];
	const char *status = i % 2 ? "unemployed" : "flexible";
	const char *person = s->persons[i % PERSONS];
	double t0;

	snprintf(phone, sizeof(phone), "139%08ld", i % 100000000);
	if (s->r) {
		ruhu_edit *e = NULL;
		ruhu_assign p[] = { { "phone", phone }, { "employment_status", status } };
		ruhu_assign a[] = {
			{ "person_id", person }, { "item", "emp.unemployment_registration" },
			{ "status", "received" }, { "received_at", "2026-11-27T09:00:00+08:00" },
			{ "promised_by", "2026-12-02" }, { "first_responder", "w-0012" },
		};

		t0 = now();
		ok(ruhu_edit_begin(&e, s->r), "begin");
		ok(ruhu_edit_update(e, "person", person, p, 2), "update");
		ok(ruhu_edit_insert(e, "application", a, 6, app), "insert");
		ok(ruhu_edit_commit(e, NULL, NULL), "commit");
		ruhu_edit_free(e);
		return now() - t0;
	}
	t0 = now();
	ruhu_uuid_v7(app);
	exec(s->db, "BEGIN IMMEDIATE");
	sqlite3_bind_text(s->update, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->update, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->update, 3, person, -1, SQLITE_STATIC);
	if (sqlite3_step(s->update) != SQLITE_DONE)
		die("update", sqlite3_errmsg(s->db));
	sqlite3_reset(s->update);
	sqlite3_bind_text(s->insert, 1, person, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->insert, 2, app, -1, SQLITE_STATIC);
	if (sqlite3_step(s->insert) != SQLITE_DONE)
		die("insert", sqlite3_errmsg(s->db));
	sqlite3_reset(s->insert);
	exec(s->db, "COMMIT");
	return now() - t0;
}

/* One round of n saves on each side; its statistics in ms into st[]:
 * plain median, p99, max, ruhu median, p99, max. */
static void saves_round(const char *top, long n, int normal, int round, double st[6])
{
	char dir[4200];
	struct side ruhu, plain;
	double *tr = calloc((size_t)n, sizeof(double)), *tp = calloc((size_t)n, sizeof(double));

	if (tr == NULL || tp == NULL)
		die("saves", "out of memory");
	snprintf(dir, sizeof(dir), "%s/saves-%s-%d-ruhu", top, normal ? "normal" : "full", round);
	open_ruhu(&ruhu, dir, normal);
	snprintf(dir, sizeof(dir), "%s/saves-%s-%d-plain", top, normal ? "normal" : "full", round);
	open_plain(&plain, dir, normal);
	base_rows(&ruhu);
	base_rows(&plain);
	for (long i = 0; i < n; i++) {
		tr[i] = visit_save(&ruhu, i);
		tp[i] = visit_save(&plain, i);
	}
	st[0] = quantile(tp, (size_t)n, 0.5) * 1e3;
	st[1] = quantile(tp, (size_t)n, 0.99) * 1e3;
	st[2] = tp[n - 1] * 1e3;
	st[3] = quantile(tr, (size_t)n, 0.5) * 1e3;
	st[4] = quantile(tr, (size_t)n, 0.99) * 1e3;
	st[5] = tr[n - 1] * 1e3;
	close_side(&ruhu);
	close_side(&plain);
	free(tr);
	free(tp);
}

static void saves(const char *top, long n, int normal, long rounds)
{
	double st[16][6], col[16], med[6];

	for (long r = 0; r < rounds; r++) {
		saves_round(top, n, normal, (int)r, st[r]);
		printf("| visit save, synchronous=%s | %ld | %ld | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | "
		       "%.2fx | %.2fx |\n", normal ? "NORMAL" : "FULL", r + 1, n, st[r][0], st[r][1], st[r][2],
		       st[r][3], st[r][4], st[r][5], st[r][3] / st[r][0], st[r][4] / st[r][1]);
		fflush(stdout);
	}
	for (int k = 0; k < 6; k++) {
		for (long r = 0; r < rounds; r++)
			col[r] = st[r][k];
		med[k] = quantile(col, (size_t)rounds, 0.5);
	}
	printf("| **median of the rounds** | | | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.2fx | %.2fx |\n",
	       med[0], med[1], med[2], med[3], med[4], med[5], med[3] / med[0], med[4] / med[1]);
	fflush(stdout);
}

/* ---- bulk import ---- */

static void resident(long i, char name[32], char idno[19], char birth[11], char phone[16])
{
	id_number(idno, i);
	snprintf(name, 32, "居民%ld", i);
	snprintf(birth, 11, "%.4s-%.2s-%.2s", idno + 6, idno + 10, idno + 12);
	snprintf(phone, 16, "139%08ld", i);
}

static void import(const char *top, int round, int use_ruhu, double *total, double *capture)
{
	char dir[4200], name[32], idno[19], birth[11], phone[16], hh[RUHU_ID_SIZE];
	struct side s;
	double t0, t1;

	ruhu_uuid_v7(hh);
	snprintf(dir, sizeof(dir), "%s/import-%d-%s", top, round, use_ruhu ? "ruhu" : "plain");
	if (use_ruhu) {
		ruhu_edit *e = NULL;

		open_ruhu(&s, dir, 0);
		t0 = now();
		ok(ruhu_edit_begin(&e, s.r), "begin");
		for (long i = 0; i < IMPORT; i++) {
			ruhu_assign p[] = {
				{ "household_id", hh }, { "name", name }, { "id_number", idno },
				{ "gender", i % 2 ? "male" : "female" }, { "birth_date", birth },
				{ "phone", phone }, { "address", "梅园新村" },
			};

			resident(i, name, idno, birth, phone);
			ok(ruhu_edit_insert(e, "person", p, 7, NULL), "insert");
		}
		t1 = now();
		ok(ruhu_edit_commit(e, "import residents", NULL), "commit");
		ruhu_edit_free(e);
		*total = now() - t0;
		*capture = t1 - t0;
	} else {
		sqlite3_stmt *st;
		char id[RUHU_ID_SIZE];

		open_plain(&s, dir, 0);
		t0 = now();
		exec(s.db, "BEGIN");
		if (sqlite3_prepare_v2(s.db, "INSERT INTO person(household_id, name, id_number, gender, "
				       "birth_date, phone, address, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '梅园新村', ?7)",
				       -1, &st, NULL) != SQLITE_OK)
			die("prepare", sqlite3_errmsg(s.db));
		for (long i = 0; i < IMPORT; i++) {
			resident(i, name, idno, birth, phone);
			ruhu_uuid_v7(id);
			sqlite3_bind_text(st, 1, hh, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, idno, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, i % 2 ? "male" : "female", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, birth, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 6, phone, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 7, id, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE)
				die("insert", sqlite3_errmsg(s.db));
			sqlite3_reset(st);
		}
		sqlite3_finalize(st);
		exec(s.db, "COMMIT");
		*total = now() - t0;
		*capture = *total;
	}
	close_side(&s);
}

/* ---- fsync ---- */

static double fsync_cost(const char *top)
{
	char path[4200], page[4096];
	double t[200];
	int fd;

	snprintf(path, sizeof(path), "%s/fsync.bin", top);
	if ((fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600)) < 0)
		die(path, "cannot create");
	memset(page, 'x', sizeof(page));
	for (int i = 0; i < 200; i++) {
		double t0 = now();

		if (pwrite(fd, page, sizeof(page), (off_t)(i % 16) * 4096) != (ssize_t)sizeof(page) ||
		    fdatasync(fd) < 0)
			die(path, "cannot write");
		t[i] = now() - t0;
	}
	close(fd);
	unlink(path);
	return quantile(t, 200, 0.5);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	const char *base = argc > 2 ? argv[2] : getenv("TMPDIR");
	long rounds = argc > 3 ? strtol(argv[3], NULL, 10) : 3;
	const char *what = argc > 4 ? argv[4] : "all";
	int do_saves = strcmp(what, "import") != 0, do_import = strcmp(what, "saves") != 0;
	char top[4096], cmd[4200];
	double ratio[16], tot[2], cap[2], rt[16], ct[16], pt[16];

	if (n < 100 || n > MAX_SAVES || rounds < 1 || rounds > 16)
		die("usage", "bench_save [SAVES 100..100000] [FOLDER] [ROUNDS 1..16]");
	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(top, sizeof(top), "%s/bench_save-%ld", base, (long)getpid());
	mkdir_or_die(top);
	ok(ruhu_init(), "init");

	printf("fsync (4 KiB pwrite + fdatasync) on %s: median %.3f ms\n\n", base, fsync_cost(top) * 1e3);
	printf("| workload | round | saves | plain median ms | plain p99 ms | plain max ms | ruhu median ms "
	       "| ruhu p99 ms | ruhu max ms | median ratio | p99 ratio |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
	fflush(stdout);
	if (do_saves) {
		saves(top, n, 0, rounds);
		saves(top, n, 1, rounds);
	}

	printf("\n| bulk import of %d residents, 1 save | round | plain s | ruhu s | ruhu inserting s | ruhu committing s | ratio |\n|---|---|---|---|---|---|---|\n", IMPORT);
	for (long r = 0; do_import && r < rounds; r++) {
		import(top, (int)r, 0, &tot[0], &cap[0]);
		import(top, (int)r, 1, &tot[1], &cap[1]);
		ratio[r] = tot[1] / tot[0];
		pt[r] = tot[0];
		rt[r] = tot[1];
		ct[r] = cap[1];
		printf("| | %ld | %.3f | %.3f | %.3f | %.3f | %.2fx |\n", r + 1, tot[0], tot[1], cap[1],
		       tot[1] - cap[1], ratio[r]);
		fflush(stdout);
	}
	if (do_import)
		printf("\nbulk import: median ratio %.2fx (plain median %.3f s, ruhu median %.3f s, of which "
	       "inserting %.3f s)\n", quantile(ratio, (size_t)rounds, 0.5), quantile(pt, (size_t)rounds, 0.5),
	       quantile(rt, (size_t)rounds, 0.5), quantile(ct, (size_t)rounds, 0.5));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_save: could not remove %s\n", top);
	return 0;
}
