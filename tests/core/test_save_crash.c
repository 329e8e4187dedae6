/*
 * test_save_crash.c — saves cut short at many points: a child process makes
 * the saves of home visits on a tablet's replica and dies in the middle, by
 * kill -9 after a random delay, or by _exit() at the N-th write, sync,
 * truncate or delete of a file (a fault VFS under the encrypting one) or at
 * the N-th read of the wall clock (inside the save's transaction, before its
 * commit is written).  After reopening, the replica must hold exactly the
 * saves that committed:
 *  - `ruhu_replica_check` passes and every commit's signature is good;
 *  - the device branch has Ruhu-Seq 1..n with no gap, and `_meta.seq` is n;
 *  - replaying the branch's changesets into a fresh in-memory database with
 *    the schema installed gives, after each commit, the commit's Ruhu-Digest,
 *    and at the end the digest of the replica's rows and its kept digest;
 *  - `_pending` holds exactly the branch's commits, each with its changeset;
 *  - the saves the child reported are all there, at most one more;
 *  - every attachment row's blob is in the object store; an open visit in
 *    `_meta` is a visit row that has not ended.
 * WAL and rollback-journal replicas both.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "core/commit.h"
#include "core/digest.h"
#include "core/meta.h"
#include "core/replica.h"
#include "core/save.h"
#include "schema/schema_db.h"
#include "support/support.h"

#define CRASHED 77     /* exit status of a child stopped at its crash point */
#define PERSONS 5
#define DET_SAVES 4    /* saves of the deterministic child: one of each kind */

static char top[256];
static char households[1][RUHU_ID_SIZE], persons[PERSONS][RUHU_ID_SIZE];

/* ---- a fault VFS: _exit(CRASHED) at the crash_at-th file write ---- */

static sqlite3_vfs *base_vfs;
static long crash_at;   /* 0: off */
static long io_count;

struct crash_file {
	sqlite3_file base;
	sqlite3_file *real;
};

static void io_tick(void)
{
	if (crash_at && ++io_count >= crash_at)
		_exit(CRASHED);
}

#define REAL(f) (((struct crash_file *)(f))->real)

static int c_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int c_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{ return REAL(f)->pMethods->xRead(REAL(f), b, n, o); }
static int c_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{ io_tick(); return REAL(f)->pMethods->xWrite(REAL(f), b, n, o); }
static int c_truncate(sqlite3_file *f, sqlite3_int64 size)
{ io_tick(); return REAL(f)->pMethods->xTruncate(REAL(f), size); }
static int c_sync(sqlite3_file *f, int flags) { io_tick(); return REAL(f)->pMethods->xSync(REAL(f), flags); }
static int c_size(sqlite3_file *f, sqlite3_int64 *s) { return REAL(f)->pMethods->xFileSize(REAL(f), s); }
static int c_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int c_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int c_reserved(sqlite3_file *f, int *o) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), o); }
static int c_control(sqlite3_file *f, int op, void *a) { return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }
static int c_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int c_chars(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int c_shm_map(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{ return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, pp); }
static int c_shm_lock(sqlite3_file *f, int off, int n, int flags)
{ return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags); }
static void c_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int c_shm_unmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }

static const sqlite3_io_methods crash_io = {
	2, c_close, c_read, c_write, c_truncate, c_sync, c_size, c_lock, c_unlock, c_reserved,
	c_control, c_sector, c_chars, c_shm_map, c_shm_lock, c_shm_barrier, c_shm_unmap,
	NULL, NULL
};

static int c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct crash_file *c = (struct crash_file *)f;
	int rc;

	c->real = (sqlite3_file *)(c + 1);
	rc = base_vfs->xOpen(base_vfs, name, c->real, flags, out);
	c->base.pMethods = c->real->pMethods ? &crash_io : NULL;
	return rc;
}

static int c_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	io_tick();
	return base_vfs->xDelete(base_vfs, name, sync);
}

static int c_access(sqlite3_vfs *v, const char *n, int fl, int *o) { return base_vfs->xAccess(base_vfs, n, fl, o); }
static int c_full(sqlite3_vfs *v, const char *n, int sz, char *o) { return base_vfs->xFullPathname(base_vfs, n, sz, o); }
static int c_random(sqlite3_vfs *v, int n, char *o) { return base_vfs->xRandomness(base_vfs, n, o); }
static int c_sleep(sqlite3_vfs *v, int us) { return base_vfs->xSleep(base_vfs, us); }
static int c_time(sqlite3_vfs *v, double *o) { return base_vfs->xCurrentTime(base_vfs, o); }
static int c_lasterr(sqlite3_vfs *v, int n, char *o) { return base_vfs->xGetLastError(base_vfs, n, o); }
static int c_time64(sqlite3_vfs *v, sqlite3_int64 *o) { return base_vfs->xCurrentTimeInt64(base_vfs, o); }

static sqlite3_vfs crash_vfs = {
	2, 0, 1024, NULL, "crashvfs", NULL, c_open, c_delete, c_access, c_full,
	NULL, NULL, NULL, NULL, c_random, c_sleep, c_time, c_lasterr, c_time64,
	NULL, NULL, NULL
};

static void register_crash_vfs(void)
{
	if (base_vfs)
		return;
	base_vfs = sqlite3_vfs_find(NULL);
	ck_assert_ptr_nonnull(base_vfs);
	crash_vfs.szOsFile = (int)sizeof(struct crash_file) + base_vfs->szOsFile;
	crash_vfs.mxPathname = base_vfs->mxPathname;
	ck_assert_int_eq(sqlite3_vfs_register(&crash_vfs, 0), SQLITE_OK);
}

/* ---- a wall clock that _exits at its crash_clock-th reading ---- */

static long crash_clock, clock_count;

static int64_t crash_now(void *payload)
{
	if (crash_clock && ++clock_count >= crash_clock)
		_exit(CRASHED);
	return ruhu_wallclock_system(payload);
}

/* ---- the saves of a visit ---- */

/* Save number i: 0 a resident updated and an application opened (and an
 * older application deleted every other time), 1 a photo attached and the
 * household's notes changed, 2 a visit started, 3 the visit closed. */
static void one_save(ruhu_replica *r, long i, char last_app[RUHU_ID_SIZE])
{
	ruhu_edit *e = NULL;
	char id[RUHU_ID_SIZE], phone[16], note[64];
	unsigned char photo[3000];

	switch (i % 4) {
	case 0: {
		ruhu_assign p[] = { { "phone", phone }, { "employment_status", i % 8 ? "unemployed" : "flexible" } };
		ruhu_assign a[] = {
			{ "person_id", persons[i % PERSONS] }, { "item", "emp.unemployment_registration" },
			{ "status", "received" }, { "received_at", "2026-11-27T09:00:00+08:00" },
			{ "promised_by", "2026-12-02" }, { "first_responder", "w-0012" },
		};

		snprintf(phone, sizeof(phone), "139%08ld", i % 100000000);
		if (ruhu_edit_begin(&e, r) < 0 ||
		    ruhu_edit_update(e, "person", persons[i % PERSONS], p, 2) < 0 ||
		    ruhu_edit_insert(e, "application", a, 6, id) < 0 ||
		    (i % 8 == 4 && last_app[0] && ruhu_edit_delete(e, "application", last_app) < 0) ||
		    ruhu_edit_commit(e, NULL, NULL) < 0)
			_exit(4);
		memcpy(last_app, id, RUHU_ID_SIZE);
		break;
	}
	case 1: {
		ruhu_assign h[] = { { "notes", note } };

		snprintf(note, sizeof(note), "门牌照片 %ld", i);
		randombytes_buf(photo, sizeof(photo));
		if (ruhu_edit_begin(&e, r) < 0 ||
		    ruhu_edit_attach(e, "household", households[0], photo, sizeof(photo), "门牌", NULL) < 0 ||
		    ruhu_edit_update(e, "household", households[0], h, 1) < 0 ||
		    ruhu_edit_commit(e, NULL, NULL) < 0)
			_exit(5);
		break;
	}
	case 2:
		if (ruhu_visit_start(r, households[0], "follow_up", NULL, id, NULL) < 0)
			_exit(6);
		break;
	default:
		if (ruhu_visit_close(r, "回访完成", NULL) < 0)
			_exit(7);
		break;
	}
	ruhu_edit_free(e);
}

/* The child: open (through the fault VFS when asked), then make `saves`
 * saves (0: for ever), reporting each on `fd`. */
static void child(const char *dir, int fd, long saves, long at_io, long at_clock)
{
	ruhu_replica *r = NULL;
	char last_app[RUHU_ID_SIZE] = "";

	if (ruhu_replica_open_ext(&r, dir, "pw", 2, NULL, at_io ? "crashvfs" : NULL) < 0)
		_exit(3);
	if (at_clock) {
		r->clock.now_ms = crash_now;
		clock_count = 0;
		crash_clock = at_clock;
	}
	io_count = 0;
	crash_at = at_io;
	for (long i = 0; saves == 0 || i < saves; i++) {
		one_save(r, i, last_app);
		if (write(fd, &i, sizeof(i)) != sizeof(i))
			_exit(8);
	}
	crash_at = 0;
	ruhu_replica_free(r);
	_exit(0);
}

/* ---- the base replica, made once and copied for each run ---- */

static void copy_file(const char *from, const char *to)
{
	size_t len;
	unsigned char *data = rt_read_file(from, &len);

	rt_write_file(to, data, len);
	free(data);
}

static void copy_base(const char *base, const char *dir)
{
	char a[512], b[512];

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	rt_path(a, sizeof(a), base, "replica.db");
	rt_path(b, sizeof(b), dir, "replica.db");
	copy_file(a, b);
	rt_path(a, sizeof(a), base, "replica.key");
	rt_path(b, sizeof(b), dir, "replica.key");
	copy_file(a, b);
}

/* A tablet's replica with its worker, a household and its residents in one
 * save (seq 1), closed cleanly. */
static void make_base(const char *dir, ruhu_journal_mode mode)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_replica *r = NULL;
	ruhu_edit *e = NULL;
	ruhu_assign h[] = { { "address", "梅园新村 12 号" } };

	o.journal_mode = mode;
	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	rt_ok(ruhu_device_init(&r, dir, "tab-07", "pw", 2, &o));
	rt_ok(ruhu_worker_use(r, "w-0012", "王芳"));
	rt_ok(ruhu_edit_begin(&e, r));
	rt_ok(ruhu_edit_insert(e, "household", h, 1, households[0]));
	for (int i = 0; i < PERSONS; i++) {
		char name[32];
		ruhu_assign p[] = { { "household_id", households[0] }, { "name", name } };

		snprintf(name, sizeof(name), "居民%d", i);
		rt_ok(ruhu_edit_insert(e, "person", p, 2, persons[i]));
	}
	rt_ok(ruhu_edit_commit(e, "register the household", NULL));
	ruhu_edit_free(e);
	ruhu_replica_free(r);
}

/* ---- what must hold after a crash ---- */

struct branch {
	char (*ids)[RUHU_OID_SIZE];
	char (*digests)[RUHU_DIGEST_HEX_LEN + 1];
	int64_t *seqs;
	char *sigs;
	size_t n, alloc;
};

static int take_commit(const ruhu_log_entry *e, void *payload)
{
	struct branch *b = payload;

	if (b->n == b->alloc) {
		b->alloc = b->alloc ? b->alloc * 2 : 64;
		b->ids = realloc(b->ids, b->alloc * sizeof(*b->ids));
		b->digests = realloc(b->digests, b->alloc * sizeof(*b->digests));
		b->seqs = realloc(b->seqs, b->alloc * sizeof(*b->seqs));
		b->sigs = realloc(b->sigs, b->alloc);
		ck_assert(b->ids && b->digests && b->seqs && b->sigs);
	}
	memcpy(b->ids[b->n], e->id, RUHU_OID_SIZE);
	snprintf(b->digests[b->n], sizeof(b->digests[b->n]), "%s", e->digest);
	b->seqs[b->n] = e->seq;
	b->sigs[b->n] = e->sig;
	b->n++;
	return 0;
}

static int abort_on_conflict(void *ctx, int kind, sqlite3_changeset_iter *it)
{
	return SQLITE_CHANGESET_ABORT;
}

static void digest_of(char out[RUHU_DIGEST_HEX_LEN + 1], sqlite3 *db, const char **tables, size_t n)
{
	ruhu_digest d;

	rt_ok(ruhu_digest_compute(&d, db, tables, n));
	ruhu_digest_hex(out, &d);
}

/* Check the replica in `dir` (the head-of-file list); `reported` saves were
 * reported done by the child, `exact` when no save can be missing from the
 * report (the child ended by itself).  Returns the saves after the base. */
static long verify(const char *dir, long reported, int exact)
{
	ruhu_replica *r = NULL;
	ruhu_replica_check_report rep;
	struct branch b = { 0 };
	const ruhu_schema *schema;
	git_repository *repo;
	sqlite3 *db, *mem = NULL;
	sqlite3_stmt *st;
	const char **tables;
	size_t ntables;
	int64_t seq;
	ruhu_buf cs = RUHU_BUF_INIT, visit = RUHU_BUF_INIT;
	ruhu_digest kept;
	char hex[RUHU_DIGEST_HEX_LEN + 1], hex2[RUHU_DIGEST_HEX_LEN + 1];
	long saves;

	rt_ok(ruhu_replica_open(&r, dir, "pw", 2, NULL));
	db = ruhu_replica_db(r);
	rt_ok(ruhu_replica_check(r, &rep));
	rt_ok(ruhu_replica_schema(&schema, r));
	rt_ok(ruhu_replica_repo(&repo, r));
	rt_ok(ruhu_save_tables(&tables, &ntables, schema));

	/* the branch: Ruhu-Seq 1..n, good signatures, _meta.seq = n */
	rt_ok(ruhu_log(r, NULL, RUHU_LOG_REVERSE, take_commit, &b));
	ck_assert_uint_ge(b.n, 1);
	for (size_t i = 0; i < b.n; i++) {
		ck_assert_msg(b.seqs[i] == (int64_t)i + 1, "commit %zu has Ruhu-Seq %lld", i + 1,
			      (long long)b.seqs[i]);
		ck_assert_int_eq(b.sigs[i], 'G');
	}
	rt_ok(ruhu_meta_get_int(&seq, db, "seq"));
	ck_assert_int_eq(seq, (int64_t)b.n);
	saves = (long)b.n - 1;
	ck_assert_msg(saves >= reported && saves <= reported + (exact ? 0 : 1),
		      "%ld saves on the branch, %ld reported", saves, reported);

	/* replay every changeset into an empty database with the schema */
	{
		ruhu_schema *fresh = NULL;

		ck_assert_int_eq(sqlite3_open(":memory:", &mem), SQLITE_OK);
		rt_ok(ruhu_schema_load_default(&fresh));
		rt_ok(ruhu_schema_install(mem, fresh));
		ruhu_schema_free(fresh);
	}
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT seq, oid, changeset FROM _pending ORDER BY seq",
					    -1, &st, NULL), SQLITE_OK);
	for (size_t i = 0; i < b.n; i++) {
		git_oid oid;

		ck_assert_int_eq(git_oid_fromstr(&oid, b.ids[i]), 0);
		ruhu_buf_clear(&cs);
		rt_ok(ruhu_commit_read_path(&cs, repo, &oid, "changeset"));
		ck_assert_int_eq(sqlite3changeset_apply(mem, (int)cs.size, cs.ptr, NULL, abort_on_conflict,
							NULL), SQLITE_OK);
		digest_of(hex, mem, tables, ntables);
		ck_assert_msg(!strcmp(hex, b.digests[i]), "after commit %zu the replay's digest is not "
			      "its Ruhu-Digest", i + 1);
		/* _pending: this commit, applied as it was made (NULL: the
		 * commit's own changeset, core/setup.c) */
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_int_eq(sqlite3_column_int64(st, 0), (int64_t)i + 1);
		ck_assert_int_eq(sqlite3_column_bytes(st, 1), GIT_OID_RAWSZ);
		ck_assert(memcmp(sqlite3_column_blob(st, 1), oid.id, GIT_OID_RAWSZ) == 0);
		ck_assert_int_eq(sqlite3_column_type(st, 2), SQLITE_NULL);
	}
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	/* the rows are what the history says, and the kept digest too */
	digest_of(hex, mem, tables, ntables);
	digest_of(hex2, db, tables, ntables);
	ck_assert_str_eq(hex, hex2);
	rt_ok(ruhu_digest_load(&kept, db));
	ruhu_digest_hex(hex2, &kept);
	ck_assert_str_eq(hex, hex2);

	/* attachments' bytes are in the store */
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT blob_id FROM attachment", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		git_oid oid;
		git_blob *blob = NULL;

		ck_assert_int_eq(git_oid_fromstr(&oid, (const char *)sqlite3_column_text(st, 0)), 0);
		ck_assert_int_eq(git_blob_lookup(&blob, repo, &oid), 0);
		ck_assert_int_eq(git_blob_rawsize(blob), 3000);
		git_blob_free(blob);
	}
	sqlite3_finalize(st);
	/* an open visit is one that has not ended */
	if (ruhu_meta_get(&visit, db, "visit") == 0) {
		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT ended_at IS NULL FROM visit WHERE id = ?1",
						    -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, visit.ptr, -1, SQLITE_STATIC);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
		sqlite3_finalize(st);
	}
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM visit WHERE ended_at IS NULL",
					    -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), visit.size ? 1 : 0);
	sqlite3_finalize(st);

	sqlite3_close(mem);
	free(b.ids);
	free(b.digests);
	free(b.seqs);
	free(b.sigs);
	free(tables);
	ruhu_buf_dispose(&cs);
	ruhu_buf_dispose(&visit);
	ruhu_replica_free(r);
	ruhu_error_clear();
	return saves;
}

/* Run the child on `dir`, stopped by SIGKILL after `delay_us` (kill) or
 * at its crash point; return how it ended (CRASHED, 0, or -1 for the
 * signal) and the saves it reported. */
static int run_child(const char *dir, long saves, long at_io, long at_clock, long delay_us,
		     long *reported)
{
	int fds[2], status;
	long done;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child(dir, fds[1], saves, at_io, at_clock);
	}
	close(fds[1]);
	if (delay_us) {
		usleep((useconds_t)delay_us);
		kill(pid, SIGKILL);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	*reported = 0;
	while (read(fds[0], &done, sizeof(done)) == sizeof(done))
		*reported = done + 1;
	close(fds[0]);
	if (WIFSIGNALED(status)) {
		ck_assert_int_eq(WTERMSIG(status), SIGKILL);
		return -1;
	}
	ck_assert_msg(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == CRASHED,
		      "the child failed on its own (exit %d)", WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

static void setup(void)
{
	rt_ok(ruhu_init());
	rt_tmpdir(top, sizeof(top));
	register_crash_vfs();
}

static void teardown(void)
{
	rt_rmrf(top);
}

/* kill -9 after a random delay, at least 20 runs per journal mode */
START_TEST(test_save_crash_kill9_during_saves)
{
	char base[512], dir[512];
	long reported, total = 0, unreported = 0;

	for (int mode = 0; mode < 2; mode++) {
		ruhu_journal_mode jm = mode ? RUHU_JOURNAL_DELETE : RUHU_JOURNAL_WAL;

		snprintf(base, sizeof(base), "%s/base%d", top, mode);
		make_base(base, jm);
		for (int run = 0; run < 20; run++) {
			long saves;

			snprintf(dir, sizeof(dir), "%s/kill%d-%d", top, mode, run);
			copy_base(base, dir);
			ck_assert_int_eq(run_child(dir, 0, 0, 0, 2000 + randombytes_uniform(150000),
						   &reported), -1);
			saves = verify(dir, reported, 0);
			total += saves;
			unreported += saves > reported;
			rt_rmrf(dir);
		}
	}
	/* the runs made saves (the delays are not all before the first),
	 * and were not all cut at the same place */
	ck_assert_int_gt(total, 40);
	ck_assert_int_lt(unreported, 40);
}
END_TEST

/* _exit at every file write, sync, truncate and delete of four saves (one
 * of each kind), until the child runs past its last one */
START_TEST(test_save_crash_exit_at_every_write)
{
	char base[512], dir[512];
	long reported, points[2] = { 0, 0 }, kept[2] = { 0, 0 };

	for (int mode = 0; mode < 2; mode++) {
		ruhu_journal_mode jm = mode ? RUHU_JOURNAL_DELETE : RUHU_JOURNAL_WAL;

		snprintf(base, sizeof(base), "%s/base%d", top, mode);
		make_base(base, jm);
		for (long at = 1; at < 5000; at++) {
			int how;

			snprintf(dir, sizeof(dir), "%s/io%d-%ld", top, mode, at);
			copy_base(base, dir);
			how = run_child(dir, DET_SAVES, at, 0, 0, &reported);
			/* a crash after the save's commit is durable but before
			 * the save returned keeps a save the child never reported */
			kept[mode] += verify(dir, reported, how == 0) > reported;
			rt_rmrf(dir);
			if (how == 0) {
				ck_assert_int_eq(reported, DET_SAVES);
				break;
			}
			points[mode]++;
		}
		/* four saves touch the files many times; every point was a crash,
		 * on both sides of some commit */
		ck_assert_int_gt(points[mode], 4 * DET_SAVES);
		ck_assert_int_lt(points[mode], 4999);
		ck_assert_int_lt(kept[mode], points[mode]);
	}
}
END_TEST

/* _exit at every reading of the wall clock: inside a save's transaction,
 * after its rows and digest are written, before its commit is */
START_TEST(test_save_crash_exit_inside_the_transaction)
{
	char base[512], dir[512];
	long reported, points = 0;

	snprintf(base, sizeof(base), "%s/base", top);
	make_base(base, RUHU_JOURNAL_WAL);
	for (long at = 1; at < 1000; at++) {
		int how;

		snprintf(dir, sizeof(dir), "%s/clock%ld", top, at);
		copy_base(base, dir);
		how = run_child(dir, DET_SAVES, 0, at, 0, &reported);
		verify(dir, reported, 1);
		rt_rmrf(dir);
		if (how == 0)
			break;
		points++;
	}
	ck_assert_int_ge(points, DET_SAVES);
}
END_TEST

Suite *save_crash_suite(void)
{
	Suite *s = suite_create("save_crash");
	TCase *tc = tcase_create("save_crash");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_save_crash_kill9_during_saves);
	tcase_add_test(tc, test_save_crash_exit_at_every_write);
	tcase_add_test(tc, test_save_crash_exit_inside_the_transaction);
	suite_add_tcase(s, tc);
	return s;
}
