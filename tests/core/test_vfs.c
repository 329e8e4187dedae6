/*
 * test_vfs.c — the encrypting VFS (core/vfs.c, core/vfs_io.c): nothing in
 * clear on disk, tampering detected, and one test per trap of the design
 * notes, each saying which handling it would catch missing.
 *
 * A "crash image" is a copy of a replica's files taken while a connection
 * still has them open (without the -shm, so that SQLite runs recovery): what
 * the disk holds if the process dies at that moment.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/replica.h"
#include "support/support.h"

#define MARKER "ruhu-marker-4b1d"
#define PSIZE 4096

static ruhu_replica_options fast(ruhu_journal_mode mode)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;

	o.journal_mode = mode;
	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	return o;
}

static ruhu_replica *make(const char *dir, ruhu_journal_mode mode)
{
	ruhu_replica_options o = fast(mode);
	ruhu_replica *r = NULL;

	rt_ok(ruhu_init());
	rt_ok(ruhu_replica_create(&r, dir, "pw", 2, &o));
	return r;
}

static ruhu_replica *reopen(const char *dir)
{
	ruhu_replica *r = NULL;

	rt_ok(ruhu_replica_open(&r, dir, "pw", 2, NULL));
	return r;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, err ? err : sqlite3_errstr(rc));
}

static int64_t q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s: %s", sql, sqlite3_errmsg(db));
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void copy_if(const char *src, const char *dst)
{
	size_t len;
	unsigned char *data;

	if (!rt_exists(src))
		return;
	data = rt_read_file(src, &len);
	rt_write_file(dst, data, len);
	free(data);
}

/* Copy replica.db, -wal, -journal and the key file of `dir` into `img`. */
static void crash_image(const char *dir, const char *img)
{
	static const char *const names[] = { "replica.db", "replica.db-wal", "replica.db-journal", "replica.key" };
	char a[4096], b[4096];

	mkdir(img, 0700);
	for (size_t i = 0; i < 4; i++) {
		rt_path(a, sizeof(a), dir, names[i]);
		rt_path(b, sizeof(b), img, names[i]);
		copy_if(a, b);
	}
}

static void flip(const char *path, long off)
{
	int fd = open(path, O_RDWR);
	unsigned char c;

	ck_assert(fd >= 0);
	ck_assert_int_eq(pread(fd, &c, 1, off), 1);
	c ^= 0x20;
	ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static void fill(sqlite3 *db, int rows, const char *table)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS %s(id INTEGER PRIMARY KEY, v TEXT);"
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d) "
		 "INSERT INTO %s(v) SELECT '" MARKER "' || i || hex(randomblob(40)) FROM n;",
		 table, rows, table);
	exec_ok(db, sql);
}

/* ---- nothing in clear ---- */

/* Count the marker in open delete-on-close temp files of this process. */
static size_t marker_in_temp_files(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0, files = 0;

	ck_assert(d != NULL);
	while ((e = readdir(d)) != NULL) {
		char link[300], target[4096];
		ssize_t len;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		if ((len = readlink(link, target, sizeof(target) - 1)) <= 0)
			continue;
		target[len] = '\0';
		if (strstr(target, "etilqs_")) {
			files++;
			n += rt_count_in_file(link, MARKER);
		}
	}
	closedir(d);
	ck_assert_msg(files > 0, "the sort did not spill to a temp file");
	return n;
}

struct counts { size_t db, journal, wal, temp; };

/* The workload: 10,000 rows with the marker through a rollback journal (copied
 * while the transaction is open), then WAL, then a sort that spills. */
static void marker_workload(sqlite3 *db, const char *dbpath, const char *dir, struct counts *c)
{
	char jpath[4096], jcopy[4096], wpath[4096];
	sqlite3_stmt *st;

	snprintf(jpath, sizeof(jpath), "%s-journal", dbpath);
	snprintf(wpath, sizeof(wpath), "%s-wal", dbpath);
	rt_path(jcopy, sizeof(jcopy), dir, "journal-copy");
	exec_ok(db, "PRAGMA journal_mode=DELETE; PRAGMA cache_size=10; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
	fill(db, 10000, "t");
	exec_ok(db, "BEGIN; UPDATE t SET v = v || 'x'; UPDATE t SET v = '" MARKER "' || v WHERE id % 2 = 0");
	ck_assert_msg(rt_exists(jpath), "no rollback journal mid-transaction");
	copy_if(jpath, jcopy);
	exec_ok(db, "COMMIT");
	exec_ok(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; UPDATE t SET v = v || 'y'");
	/* the replica keeps temp data in memory; a file is the safety net tested here */
	exec_ok(db, "PRAGMA temp_store=FILE");
	c->wal = rt_count_in_file(wpath, MARKER);
	c->db = rt_count_in_file(dbpath, MARKER);
	c->journal = rt_count_in_file(jcopy, MARKER);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT v FROM t ORDER BY substr(v, 20)", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	c->temp = marker_in_temp_files();
	sqlite3_finalize(st);
}

START_TEST(test_vfs_marker_never_in_clear)
{
	char dir[256], rdir[300], ctl[300], path[400];
	ruhu_replica_options o = fast(RUHU_JOURNAL_DELETE);
	ruhu_replica *r = NULL;
	struct counts enc = { 0 }, plain = { 0 };
	sqlite3 *db;

	rt_tmpdir(dir, sizeof(dir));
	rt_path(rdir, sizeof(rdir), dir, "replica");
	rt_path(ctl, sizeof(ctl), dir, "control");
	mkdir(ctl, 0700);
	rt_ok(ruhu_init());
	/* the marker is the passphrase too: the key file must not hold it */
	rt_ok(ruhu_replica_create(&r, rdir, MARKER, strlen(MARKER), &o));
	rt_path(path, sizeof(path), rdir, "replica.db");
	marker_workload(ruhu_replica_db(r), path, dir, &enc);
	ck_assert_uint_eq(rt_count_in_tree(rdir, MARKER), 0);
	ruhu_replica_free(r);
	ck_assert_uint_eq(enc.db + enc.journal + enc.wal + enc.temp, 0);
	ck_assert_uint_eq(rt_count_in_tree(rdir, MARKER), 0);

	/* the same on a plain SQLite file finds it everywhere: the test can fail */
	rt_path(path, sizeof(path), ctl, "plain.db");
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	marker_workload(db, path, ctl, &plain);
	sqlite3_close(db);
	ck_assert_uint_gt(plain.db, 0);
	ck_assert_uint_gt(plain.journal, 0);
	ck_assert_uint_gt(plain.wal, 0);
	ck_assert_uint_gt(plain.temp, 0);
	rt_rmrf(dir);
}
END_TEST

/* ---- tampering ---- */

/* A DELETE-mode replica of 2,000 rows, closed: all data in replica.db. */
static void tamper_setup(const char *dir)
{
	ruhu_replica *r = make(dir, RUHU_JOURNAL_DELETE);

	fill(ruhu_replica_db(r), 2000, "t");
	ruhu_replica_free(r);
}

/* Open and read everything; expect RUHU_ECORRUPT naming `what`. */
static void expect_damage(const char *dir, const char *what)
{
	ruhu_replica *r = NULL;
	ruhu_replica_check_report rep;
	int error = ruhu_replica_open(&r, dir, "pw", 2, NULL);

	if (error == 0) {
		error = ruhu_replica_sql(r, "SELECT sum(length(v)) FROM t", NULL, NULL);
		ck_assert_int_eq(error, RUHU_ECORRUPT);
		ck_assert_msg(strstr(ruhu_error_last(), what) != NULL, "message: %s", ruhu_error_last());
		ck_assert_int_eq(ruhu_replica_check(r, &rep), RUHU_ECORRUPT);
		ck_assert_msg(rep.pages_failed > 0 || rep.integrity_errors > 0, "check saw nothing");
		ruhu_replica_free(r);
		return;
	}
	ck_assert_int_eq(error, RUHU_ECORRUPT);
	ck_assert_msg(strstr(ruhu_error_last(), what) != NULL, "message: %s", ruhu_error_last());
}

START_TEST(test_vfs_tamper_detected)
{
	static const struct { const char *name; long off; const char *what; } cases[] = {
		{ "page data", 2L * PSIZE + 100, "replica.db page 3 failed authentication" },
		{ "nonce", 2L * PSIZE + PSIZE - 40 + 5, "replica.db page 3 failed authentication" },
		{ "tag", 2L * PSIZE + PSIZE - 16 + 3, "replica.db page 3 failed authentication" },
		{ "page 1 body", 60, "page 1 failed authentication" },
		{ "page 1 clear header", 21, "page 1 failed authentication" },
	};
	char dir[256], img[300], path[400];

	rt_tmpdir(dir, sizeof(dir));
	rt_path(img, sizeof(img), dir, "r");
	tamper_setup(img);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char copy[300];

		snprintf(copy, sizeof(copy), "%s/case%zu", dir, i);
		crash_image(img, copy);
		rt_path(path, sizeof(path), copy, "replica.db");
		flip(path, cases[i].off);
		expect_damage(copy, cases[i].what);
	}
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_vfs_swapped_pages_detected)
{
	char dir[256], img[300], path[400];
	unsigned char *data;
	unsigned char tmp[PSIZE];
	size_t len;

	rt_tmpdir(dir, sizeof(dir));
	rt_path(img, sizeof(img), dir, "r");
	tamper_setup(img);
	rt_path(path, sizeof(path), img, "replica.db");
	data = rt_read_file(path, &len);
	ck_assert_uint_ge(len, 5 * PSIZE);
	memcpy(tmp, data + 2 * PSIZE, PSIZE);
	memcpy(data + 2 * PSIZE, data + 3 * PSIZE, PSIZE);
	memcpy(data + 3 * PSIZE, tmp, PSIZE);
	rt_write_file(path, data, len);
	free(data);
	expect_damage(img, "failed authentication");
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_vfs_wal_frame_tamper_detected)
{
	char dir[256], wal[300];
	ruhu_replica *a, *b = NULL;
	size_t len;
	unsigned char *data;
	long frames;

	rt_tmpdir(dir, sizeof(dir));
	a = make(dir, RUHU_JOURNAL_WAL);
	exec_ok(ruhu_replica_db(a), "PRAGMA wal_autocheckpoint=0");
	fill(ruhu_replica_db(a), 2000, "t");
	rt_path(wal, sizeof(wal), dir, "replica.db-wal");
	data = rt_read_file(wal, &len);
	free(data);
	frames = (long)(len - 32) / (PSIZE + 24);
	ck_assert_int_gt(frames, 3);
	/* the last frame is the newest version of its page: a reader needs it */
	flip(wal, 32 + (frames - 1) * (PSIZE + 24) + 24 + 300);
	rt_ok(ruhu_replica_open(&b, dir, "pw", 2, NULL));
	ck_assert_int_eq(ruhu_replica_sql(b, "SELECT sum(length(v)) FROM t", NULL, NULL), RUHU_ECORRUPT);
	ck_assert_msg(strstr(ruhu_error_last(), "replica.db-wal frame") != NULL, "%s", ruhu_error_last());
	ruhu_replica_free(b);
	ruhu_replica_free(a);
	rt_rmrf(dir);
}
END_TEST

/* ---- traps ---- */

/*
 * Trap: WAL recovery reads header and page in ONE call of pageSize+24 bytes
 * (vfs_io.c note 7), and the WAL checksum covers the reserved tail, which must
 * read back as zeros (note 3).  Without either, every frame fails SQLite's
 * checksum at recovery and the committed rows in the WAL are silently lost.
 */
START_TEST(test_vfs_trap_wal_recovery_whole_frame)
{
	char dir[256], img[300];
	ruhu_replica *r;
	sqlite3 *db;

	rt_tmpdir(dir, sizeof(dir));
	r = make(dir, RUHU_JOURNAL_WAL);
	db = ruhu_replica_db(r);
	exec_ok(db, "PRAGMA wal_autocheckpoint=0");
	for (int i = 0; i < 20; i++)
		fill(db, 100, "t");
	crash_image(dir, strcat(strcpy(img, dir), "/img"));
	ruhu_replica_free(r);
	r = reopen(img);
	ck_assert_int_eq(q1(ruhu_replica_db(r), "SELECT count(*) FROM t"), 2000);
	rt_ok(ruhu_replica_check(r, &(ruhu_replica_check_report){ 0 }));
	ruhu_replica_free(r);
	rt_rmrf(dir);
}
END_TEST

/*
 * A WAL frame that fails authentication during recovery is given page number
 * 0 (vfs_io.c note 7): SQLite takes it for a torn frame and stops at the last
 * good commit, as it does after a torn write.  Failing the read instead makes
 * recovery fail and the replica unopenable.
 */
START_TEST(test_vfs_trap_wal_bad_frame_at_recovery)
{
	char dir[256], img[300], wal[400];
	ruhu_replica *r;
	sqlite3 *db;
	unsigned char *data;
	size_t len;
	long frames;

	rt_tmpdir(dir, sizeof(dir));
	r = make(dir, RUHU_JOURNAL_WAL);
	db = ruhu_replica_db(r);
	exec_ok(db, "PRAGMA wal_autocheckpoint=0");
	for (int i = 0; i < 20; i++)
		fill(db, 100, "t");
	crash_image(dir, strcat(strcpy(img, dir), "/img"));
	ruhu_replica_free(r);
	rt_path(wal, sizeof(wal), img, "replica.db-wal");
	data = rt_read_file(wal, &len);
	free(data);
	frames = (long)(len - 32) / (PSIZE + 24);
	/* the commit frame of the last transaction */
	flip(wal, 32 + (frames - 1) * (PSIZE + 24) + 24 + 500);
	r = reopen(img);
	ck_assert_int_eq(q1(ruhu_replica_db(r), "SELECT count(*) FROM t"), 1900);
	rt_ok(ruhu_replica_check(r, &(ruhu_replica_check_report){ 0 }));
	ruhu_replica_free(r);
	rt_rmrf(dir);
}
END_TEST

/*
 * Trap: inside one transaction SQLite rewrites the page of a frame without
 * writing its header again (note 7).  The page number for the associated data
 * must come from the header on disk; taking it from the last header written
 * seals the page under the wrong number and the rows are unreadable.
 */
START_TEST(test_vfs_trap_wal_page_only_rewrite)
{
	char dir[256], img[300];
	uint64_t before = vfs_wal_rewrites;
	ruhu_replica *r;
	sqlite3 *db;

	rt_tmpdir(dir, sizeof(dir));
	r = make(dir, RUHU_JOURNAL_WAL);
	db = ruhu_replica_db(r);
	exec_ok(db, "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=10; BEGIN");
	fill(db, 3000, "t");
	exec_ok(db, "UPDATE t SET v = upper(v); UPDATE t SET v = lower(v); COMMIT");
	ck_assert_msg(vfs_wal_rewrites > before, "no frame was rewritten in place");
	ck_assert_int_eq(q1(db, "SELECT count(*) FROM t WHERE v = lower(v)"), 3000);
	crash_image(dir, strcat(strcpy(img, dir), "/img"));
	ruhu_replica_free(r);
	r = reopen(img);
	ck_assert_int_eq(q1(ruhu_replica_db(r), "SELECT count(*) FROM t WHERE v = lower(v)"), 3000);
	rt_ok(ruhu_replica_check(r, &(ruhu_replica_check_report){ 0 }));
	ruhu_replica_free(r);
	rt_rmrf(dir);
}
END_TEST

/* A DELETE replica of 1,000 rows with a transaction of 5,000 more spilled to
 * the database file; the crash image is taken before it commits. */
static void spilled_transaction_image(const char *dir, const char *img)
{
	ruhu_replica *r = make(dir, RUHU_JOURNAL_DELETE);
	sqlite3 *db = ruhu_replica_db(r);

	fill(db, 1000, "t");
	exec_ok(db, "PRAGMA cache_size=20; BEGIN");
	fill(db, 5000, "t");
	crash_image(dir, img);
	exec_ok(db, "ROLLBACK");
	ruhu_replica_free(r);
}

/*
 * Trap: journal records are classified by sequence, not size (note 8).  The
 * journal header here is 4096 bytes, a page's size: a size-based shim
 * encrypts it, SQLite no longer sees a hot journal, and the half-written
 * transaction stays in the database.
 */
START_TEST(test_vfs_trap_journal_by_sequence)
{
	static const unsigned char magic[8] = { 0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7 };
	char dir[256], img[300], path[400];
	unsigned char *data;
	size_t len;
	ruhu_replica *r;

	rt_tmpdir(dir, sizeof(dir));
	snprintf(img, sizeof(img), "%s/img", dir);
	spilled_transaction_image(dir, img);
	rt_path(path, sizeof(path), img, "replica.db-journal");
	data = rt_read_file(path, &len);
	ck_assert_uint_gt(len, PSIZE);
	ck_assert_int_eq(memcmp(data, magic, 8), 0);
	free(data);
	r = reopen(img);
	ck_assert_int_eq(q1(ruhu_replica_db(r), "SELECT count(*) FROM t"), 1000);
	rt_ok(ruhu_replica_check(r, &(ruhu_replica_check_report){ 0 }));
	ruhu_replica_free(r);
	ck_assert(!rt_exists(path));
	rt_rmrf(dir);
}
END_TEST

/*
 * Trap: a torn page 1 at open (note 5).  SQLite reads 100 header bytes
 * before it looks for a hot journal; if that read fails on a page 1 torn by
 * power loss, the journal that would repair it never runs.
 */
START_TEST(test_vfs_trap_torn_page1_at_open)
{
	char dir[256], img[300], path[400];
	unsigned char junk[PSIZE / 2];
	int fd;
	ruhu_replica *r;

	rt_tmpdir(dir, sizeof(dir));
	snprintf(img, sizeof(img), "%s/img", dir);
	spilled_transaction_image(dir, img);
	rt_path(path, sizeof(path), img, "replica.db");
	randombytes_buf(junk, sizeof(junk));
	fd = open(path, O_RDWR);
	ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), PSIZE / 2), (ssize_t)sizeof(junk));
	close(fd);
	r = reopen(img);
	ck_assert_int_eq(q1(ruhu_replica_db(r), "SELECT count(*) FROM t"), 1000);
	rt_ok(ruhu_replica_check(r, &(ruhu_replica_check_report){ 0 }));
	ruhu_replica_free(r);
	rt_rmrf(dir);
}
END_TEST

static sqlite3 *raw_open(const char *path, const char *slot)
{
	char uri[4200];
	const char *vfs;
	sqlite3 *db = NULL;

	rt_ok(ruhu_vfs_register(&vfs, NULL));
	snprintf(uri, sizeof(uri), "file:%s?ruhu_slot=%s", path, slot);
	ck_assert_int_eq(sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					 SQLITE_OPEN_URI, vfs), SQLITE_OK);
	return db;
}

/*
 * Trap: page 1 is written last in a new database's first large transaction
 * (notes 5 and 6).  The pages written before it must not need it (the page
 * size comes from the write), and a crash there leaves a page 1 of zeros that
 * must read as an empty header so that the hot journal can truncate the file.
 */
START_TEST(test_vfs_trap_page1_written_late)
{
	char dir[256], path[400], img[400], slot[RUHU_VFS_SLOT_MAX];
	unsigned char key[32], *data;
	size_t len;
	int reserve = RUHU_VFS_RESERVE;
	sqlite3 *db;

	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	randombytes_buf(key, sizeof(key));
	rt_ok(ruhu_vfs_slot_add(slot, key));
	rt_path(path, sizeof(path), dir, "new.db");
	db = raw_open(path, slot);
	sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
	exec_ok(db, "PRAGMA journal_mode=DELETE; PRAGMA cache_size=20; BEGIN");
	fill(db, 5000, "t");
	data = rt_read_file(path, &len);
	ck_assert_uint_gt(len, 10 * PSIZE);
	ck_assert_msg(sodium_is_zero(data, PSIZE), "page 1 was written before the commit");
	free(data);
	rt_path(img, sizeof(img), dir, "img.db");
	copy_if(path, img);
	strcat(path, "-journal");
	strcat(img, "-journal");
	copy_if(path, img);
	exec_ok(db, "COMMIT");
	ck_assert_int_eq(q1(db, "SELECT count(*) FROM t"), 5000);
	sqlite3_close(db);

	img[strlen(img) - strlen("-journal")] = '\0';
	db = raw_open(img, slot);
	ck_assert_int_eq(q1(db, "SELECT count(*) FROM sqlite_master"), 0);
	data = rt_read_file(img, &len);
	ck_assert_uint_eq(len, 0); /* the hot journal truncated it */
	free(data);
	/* empty again: the reserve must be asked for again before the first write */
	reserve = RUHU_VFS_RESERVE; /* the call gave back the previous value */
	sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
	exec_ok(db, "CREATE TABLE u(x); INSERT INTO u VALUES (1)");
	ck_assert_int_eq(q1(db, "SELECT count(*) FROM u"), 1);
	sqlite3_close(db);
	ruhu_vfs_slot_remove(slot);
	rt_rmrf(dir);
}
END_TEST

/*
 * Trap: reserve bytes can only be set before the first write (vfs_io.c note
 * 2).  A database whose pages have no room for nonce and tag must be refused,
 * not written in clear.
 */
START_TEST(test_vfs_trap_no_reserve_fails_closed)
{
	char dir[256], path[400], slot[RUHU_VFS_SLOT_MAX];
	unsigned char key[32], *data;
	size_t len;
	sqlite3 *db;
	ruhu_replica *r;

	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	randombytes_buf(key, sizeof(key));
	rt_ok(ruhu_vfs_slot_add(slot, key));
	rt_path(path, sizeof(path), dir, "noreserve.db");
	db = raw_open(path, slot);
	ck_assert_int_ne(sqlite3_exec(db, "CREATE TABLE secret_table_name(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ruhu_vfs_slot_remove(slot);
	ck_assert_uint_eq(rt_count_in_file(path, "secret_table_name"), 0);
	ck_assert_uint_eq(rt_count_in_file(path, "SQLite format 3"), 0);
	/* a replica has them, and keeps them through a rekey */
	rt_path(path, sizeof(path), dir, "r");
	r = make(path, RUHU_JOURNAL_WAL);
	rt_ok(ruhu_replica_rekey(r));
	ruhu_replica_free(r);
	strcat(path, "/replica.db");
	data = rt_read_file(path, &len);
	ck_assert_uint_eq(data[20], RUHU_VFS_RESERVE);
	free(data);
	rt_rmrf(dir);
}
END_TEST

/* mmap would hand SQLite ciphertext (vfs.c note 4). */
START_TEST(test_vfs_trap_mmap_refused)
{
	char dir[256];
	ruhu_replica *r;
	sqlite3 *db;

	rt_tmpdir(dir, sizeof(dir));
	r = make(dir, RUHU_JOURNAL_WAL);
	fill(ruhu_replica_db(r), 3000, "t");
	ruhu_replica_free(r);
	r = reopen(dir);
	db = ruhu_replica_db(r);
	ck_assert_int_eq(q1(db, "PRAGMA mmap_size=268435456"), 0);
	exec_ok(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	ck_assert_int_eq(q1(db, "SELECT count(*) FROM t WHERE v LIKE '" MARKER "%'"), 3000);
	ruhu_replica_free(r);
	rt_rmrf(dir);
}
END_TEST

/* Fail closed: a main database without a key slot is never opened. */
START_TEST(test_vfs_no_slot_refused)
{
	char dir[256], path[400];
	const char *vfs;
	sqlite3 *db = NULL;

	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	rt_ok(ruhu_vfs_register(&vfs, NULL));
	rt_path(path, sizeof(path), dir, "x.db");
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
			 SQLITE_CANTOPEN);
	sqlite3_close(db);
	ck_assert(!rt_exists(path));
	rt_rmrf(dir);
}
END_TEST

Suite *vfs_suite(void)
{
	Suite *s = suite_create("vfs");
	TCase *tc = tcase_create("vfs");

	tcase_add_test(tc, test_vfs_marker_never_in_clear);
	tcase_add_test(tc, test_vfs_tamper_detected);
	tcase_add_test(tc, test_vfs_swapped_pages_detected);
	tcase_add_test(tc, test_vfs_wal_frame_tamper_detected);
	tcase_add_test(tc, test_vfs_trap_wal_recovery_whole_frame);
	tcase_add_test(tc, test_vfs_trap_wal_page_only_rewrite);
	tcase_add_test(tc, test_vfs_trap_wal_bad_frame_at_recovery);
	tcase_add_test(tc, test_vfs_trap_journal_by_sequence);
	tcase_add_test(tc, test_vfs_trap_torn_page1_at_open);
	tcase_add_test(tc, test_vfs_trap_page1_written_late);
	tcase_add_test(tc, test_vfs_trap_no_reserve_fails_closed);
	tcase_add_test(tc, test_vfs_trap_mmap_refused);
	tcase_add_test(tc, test_vfs_no_slot_refused);
	suite_add_tcase(s, tc);
	return s;
}
