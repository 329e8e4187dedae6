/*
 * bench_replica.c — the cost of the encrypted replica against plain SQLite.
 *
 * Each workload runs on a ruhu replica and on a plain SQLite file with the
 * same pragmas (the replica's: WAL, synchronous FULL, 64 MiB page cache,
 * secure_delete, temp_store MEMORY, mmap off); the only difference is the
 * encrypting VFS.  Runs alternate plain / ruhu; the ratio printed is the
 * median over the runs of ruhu time / plain time of the same round.
 *
 *   bench_replica [ROUNDS] [FOLDER]     (defaults: 5, $TMPDIR or /tmp)
 *
 * Workloads: bulk insert of 100,000 rows in one transaction; 10,000
 * single-row transactions; 100,000 primary-key lookups on a fresh
 * connection; a full scan on a fresh connection (every page decrypted once),
 * then the same scan again on that connection (pages in the cache).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/replica.h"

#define ROWS 100000
#define SINGLE 10000
#define LOOKUPS 100000
#define MAX_ROUNDS 64

static const char pragmas[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
	"PRAGMA cache_size=-65536; PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0";

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_replica: %s: %s\n", what, msg);
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die(sql, err ? err : "?");
}

/* A connection: plain (r == NULL) or through a replica. */
struct conn {
	sqlite3 *db;
	ruhu_replica *r;
};

static void conn_open(struct conn *c, const char *dir, int ruhu, int create)
{
	char path[4096];

	memset(c, 0, sizeof(*c));
	if (ruhu) {
		ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;
		int error;

		o.kdf_opslimit = 1; /* the KDF is not what is measured */
		o.kdf_memlimit = 8192;
		error = create ? ruhu_replica_create(&c->r, dir, "bench", 5, &o)
			       : ruhu_replica_open(&c->r, dir, "bench", 5, &o);
		if (error < 0)
			die(dir, ruhu_error_last());
		c->db = ruhu_replica_db(c->r);
		return;
	}
	snprintf(path, sizeof(path), "%s/plain.db", dir);
	if (sqlite3_open(path, &c->db) != SQLITE_OK)
		die(path, sqlite3_errmsg(c->db));
	exec(c->db, pragmas);
}

static void conn_close(struct conn *c)
{
	if (c->r)
		ruhu_replica_free(c->r);
	else
		sqlite3_close(c->db);
}

static void fill(sqlite3 *db, int rows)
{
	sqlite3_stmt *st;
	char name[64], idno[32], note[128];

	exec(db, "CREATE TABLE IF NOT EXISTS person(id INTEGER PRIMARY KEY, name TEXT, idno TEXT, note TEXT)");
	exec(db, "BEGIN");
	if (sqlite3_prepare_v2(db, "INSERT INTO person(name, idno, note) VALUES (?1, ?2, ?3)", -1, &st, NULL))
		die("prepare", sqlite3_errmsg(db));
	for (int i = 0; i < rows; i++) {
		snprintf(name, sizeof(name), "resident %d", i);
		snprintf(idno, sizeof(idno), "3201%014d", i);
		snprintf(note, sizeof(note), "visit %d: household registered, two applications taken in, "
			 "checklist printed", i);
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, idno, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, note, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("insert", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	exec(db, "COMMIT");
}

enum { W_BULK, W_SINGLE, W_LOOKUP, W_SCAN, W_WARM, W_COUNT };
static const char *const names[W_COUNT] = {
	"bulk insert, 100k rows, 1 transaction",
	"10k single-row transactions",
	"100k primary-key lookups, fresh connection",
	"full scan, fresh connection",
	"full scan again, same connection (warm)",
};

/* One round of every workload on one kind; times in seconds into t[]. */
static void round_of(const char *base, int ruhu, int round, double t[W_COUNT])
{
	char dir[4096];
	struct conn c;
	sqlite3_stmt *st;
	double t0;
	long long sum = 0;

	snprintf(dir, sizeof(dir), "%s/%s-%d", base, ruhu ? "ruhu" : "plain", round);
	if (!ruhu) {
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
		if (system(cmd) != 0)
			die(dir, "cannot make folder");
	}
	conn_open(&c, dir, ruhu, 1);
	t0 = now();
	fill(c.db, ROWS);
	t[W_BULK] = now() - t0;

	if (sqlite3_prepare_v2(c.db, "INSERT INTO person(name, idno, note) VALUES ('one', ?1, 'single')",
			       -1, &st, NULL))
		die("prepare", sqlite3_errmsg(c.db));
	t0 = now();
	for (int i = 0; i < SINGLE; i++) {
		sqlite3_bind_int(st, 1, i);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("single insert", sqlite3_errmsg(c.db));
		sqlite3_reset(st);
	}
	t[W_SINGLE] = now() - t0;
	sqlite3_finalize(st);
	exec(c.db, "PRAGMA wal_checkpoint(TRUNCATE)");
	conn_close(&c);

	conn_open(&c, dir, ruhu, 0);
	if (sqlite3_prepare_v2(c.db, "SELECT length(note) FROM person WHERE id = ?1", -1, &st, NULL))
		die("prepare", sqlite3_errmsg(c.db));
	t0 = now();
	for (int i = 0; i < LOOKUPS; i++) {
		sqlite3_bind_int(st, 1, 1 + (int)(((unsigned)i * 7919u) % ROWS));
		if (sqlite3_step(st) != SQLITE_ROW)
			die("lookup", sqlite3_errmsg(c.db));
		sum += sqlite3_column_int(st, 0);
		sqlite3_reset(st);
	}
	t[W_LOOKUP] = now() - t0;
	sqlite3_finalize(st);
	conn_close(&c);

	conn_open(&c, dir, ruhu, 0);
	if (sqlite3_prepare_v2(c.db, "SELECT sum(length(name) + length(idno) + length(note)) FROM person",
			       -1, &st, NULL))
		die("prepare", sqlite3_errmsg(c.db));
	t0 = now();
	if (sqlite3_step(st) != SQLITE_ROW)
		die("scan", sqlite3_errmsg(c.db));
	sum += sqlite3_column_int64(st, 0);
	t[W_SCAN] = now() - t0;
	sqlite3_reset(st);
	t0 = now();
	if (sqlite3_step(st) != SQLITE_ROW)
		die("scan", sqlite3_errmsg(c.db));
	sum += sqlite3_column_int64(st, 0);
	t[W_WARM] = now() - t0;
	sqlite3_finalize(st);
	conn_close(&c);
	if (sum == 0)
		die("scan", "no rows");
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
	static double plain[W_COUNT][MAX_ROUNDS], ruhu[W_COUNT][MAX_ROUNDS], ratio[W_COUNT][MAX_ROUNDS];
	int rounds = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 5;
	const char *tmp = argc > 2 ? argv[2] : getenv("TMPDIR");
	char base[4096], cmd[4200];

	if (rounds < 1 || rounds > MAX_ROUNDS)
		die("rounds", "must be 1..64");
	snprintf(base, sizeof(base), "%s/ruhu-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(base) == NULL || ruhu_init() < 0)
		die("setup", "cannot make a temporary folder or initialise ruhu");
	printf("bench_replica: %d rounds, SQLite %s, pragmas: %s\n", rounds, sqlite3_libversion(), pragmas);
	for (int r = 0; r < rounds; r++) {
		double tp[W_COUNT], tr[W_COUNT];

		if (r % 2 == 0) {
			round_of(base, 0, r, tp);
			round_of(base, 1, r, tr);
		} else {
			round_of(base, 1, r, tr);
			round_of(base, 0, r, tp);
		}
		for (int w = 0; w < W_COUNT; w++) {
			plain[w][r] = tp[w];
			ruhu[w][r] = tr[w];
			ratio[w][r] = tr[w] / tp[w];
		}
		fprintf(stderr, "round %d done\n", r + 1);
	}
	printf("%-44s %10s %10s %8s\n", "workload", "plain ms", "ruhu ms", "ratio");
	for (int w = 0; w < W_COUNT; w++)
		printf("%-44s %10.1f %10.1f %7.2fx\n", names[w], 1000 * median(plain[w], rounds),
		       1000 * median(ruhu[w], rounds), median(ratio[w], rounds));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : 1;
}
