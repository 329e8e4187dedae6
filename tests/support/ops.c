/*
 * ops.c — the operations of harness.h on the replica as it is today: open
 * (with WAL recovery or a hot journal to roll back), create, a transaction
 * of many rows (WAL, DELETE, DELETE with cache spills), passphrase change,
 * rekey, a git pack into the object store, check.
 *
 * Design notes
 *  1. Row contents are deterministic (no randomblob): the state after the
 *     clean run must equal the state after a crash run that got through.
 *  2. The "open" operations start from a folder that a killed process left
 *     (a child commits, or spills half a transaction, and _exits without
 *     closing), so that open itself writes: WAL recovery then checkpoint at
 *     close, or the rollback of a hot journal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/odb.h"
#include "support/harness.h"

int rt_txn_rows = 300;

/* ---- shared setup ---- */

static ruhu_replica *setup_replica(const char *dir, const struct rt_op *op)
{
	ruhu_replica_options o = rt_op_options(op);
	const char *pw = rt_op_pass_before(op);
	ruhu_replica *r = NULL;
	char sql[512];

	rt_ok(ruhu_replica_create(&r, dir, pw, strlen(pw), &o));
	snprintf(sql, sizeof(sql), "CREATE TABLE visit(id INTEGER PRIMARY KEY, txn INTEGER, note TEXT); "
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d) "
		 "INSERT INTO visit(id, txn, note) SELECT i, 0, printf('%%06d ', i) || "
		 "hex(zeroblob(40)) FROM n", rt_txn_rows / 2);
	rt_ok(ruhu_replica_exec(r, sql));
	return r;
}

static void setup_rows(const char *dir, const struct rt_op *op)
{
	ruhu_replica_free(setup_replica(dir, op));
}

/* The inserts of the transaction. */
static const char *insert_sql(void)
{
	static char sql[512];

	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < %d) "
		 "INSERT INTO visit(id, txn, note) SELECT 100000 + i, 1, printf('%%06d ', i) || "
		 "hex(zeroblob(60)) FROM n", rt_txn_rows);
	return sql;
}

/* Inserts, updates and deletes in one transaction (note 1). */
static const char *txn_sql(void)
{
	static char sql[1024];

	snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE; %s; "
		 "UPDATE visit SET note = lower(note) || 'x' WHERE id %% 3 = 0; "
		 "DELETE FROM visit WHERE id %% 7 = 0; COMMIT", insert_sql());
	return sql;
}

static int run_txn(struct rt_run *run)
{
	int error = ruhu_replica_exec(run->r, txn_sql());

	if (error < 0)
		ruhu_replica_rollback(run->r);
	return error;
}

const struct rt_op rt_op_txn_wal = {
	.name = "transaction (wal)",
	.opts = { .journal_mode = RUHU_JOURNAL_WAL },
	.setup = setup_rows,
	.run = run_txn,
};

const struct rt_op rt_op_txn_delete = {
	.name = "transaction (delete)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE },
	.setup = setup_rows,
	.run = run_txn,
};

const struct rt_op rt_op_txn_spill = {
	.name = "transaction (delete, cache spill)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE, .cache_kib = 16 },
	.setup = setup_rows,
	.run = run_txn,
};

/* ---- passphrase and rekey ---- */

static int run_passphrase(struct rt_run *run)
{
	ruhu_replica_options o = rt_op_options(run->op);

	return ruhu_replica_change_passphrase(run->r, "new passphrase", 14, &o);
}

const struct rt_op rt_op_passphrase = {
	.name = "passphrase change",
	.pass_after = "new passphrase",
	.setup = setup_rows,
	.run = run_passphrase,
};

static int run_rekey(struct rt_run *run)
{
	return ruhu_replica_rekey(run->r);
}

/* The key check value of the starting replica's data key (setup_rekey). */
static unsigned char old_kcv[8];

static void read_kcv(unsigned char out[8], const char *dir)
{
	char path[4096];
	unsigned char *head;
	size_t len;

	rt_path(path, sizeof(path), dir, RUHU_REPLICA_DB);
	head = rt_read_file(path, &len);
	ck_assert_uint_ge(len, 16);
	memcpy(out, head + 8, 8);
	free(head);
}

static void setup_rekey(const char *dir, const struct rt_op *op)
{
	setup_rows(dir, op);
	read_kcv(old_kcv, dir);
}

/* The rows, and whether the old or a new data key encrypts the database
 * (a new key is random: every run makes another). */
static int state_rekey(ruhu_replica *r, ruhu_buf *out)
{
	unsigned char kcv[8];
	int error;

	if ((error = rt_state_tables(r, out)) < 0)
		return error;
	read_kcv(kcv, ruhu_replica_path(r));
	return ruhu_buf_puts(out, memcmp(kcv, old_kcv, 8) ? ", new key" : ", old key");
}

const struct rt_op rt_op_rekey_wal = {
	.name = "rekey (wal)",
	.opts = { .journal_mode = RUHU_JOURNAL_WAL },
	.setup = setup_rekey,
	.run = run_rekey,
	.state = state_rekey,
};

const struct rt_op rt_op_rekey_delete = {
	.name = "rekey (delete)",
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE },
	.setup = setup_rekey,
	.run = run_rekey,
	.state = state_rekey,
};

/* ---- open and create ---- */

/* Leave the folder as a process killed mid-work would (note 2). */
static void setup_killed(const char *dir, const struct rt_op *op)
{
	ruhu_replica_options o = rt_op_options(op);
	const char *pw = rt_op_pass_before(op);
	ruhu_replica *r;
	int status;
	pid_t pid;

	ruhu_replica_free(setup_replica(dir, op));
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (ruhu_replica_open(&r, dir, pw, strlen(pw), &o) < 0)
			_exit(3);
		if (o.journal_mode == RUHU_JOURNAL_WAL) {
			/* committed, never checkpointed */
			if (ruhu_replica_exec(r, txn_sql()) < 0)
				_exit(4);
		} else {
			/* half a transaction: the small cache spills pages into
			 * the database; the journal is hot */
			if (ruhu_replica_exec(r, "BEGIN IMMEDIATE") < 0 ||
			    ruhu_replica_exec(r, insert_sql()) < 0)
				_exit(5);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "setup child ended with %d",
		      status);
}

static int run_open(struct rt_run *run)
{
	ruhu_replica_options o = rt_op_options(run->op);
	const char *pw = rt_op_pass_before(run->op);

	return ruhu_replica_open_ext(&run->r, run->dir, pw, strlen(pw), &o, RT_CRASH_VFS);
}

const struct rt_op rt_op_open = {
	.name = "open (wal recovery)",
	.flags = RT_OP_OPENS,
	.opts = { .journal_mode = RUHU_JOURNAL_WAL },
	.setup = setup_killed,
	.run = run_open,
};

const struct rt_op rt_op_open_hot = {
	.name = "open (hot journal)",
	.flags = RT_OP_OPENS,
	.opts = { .journal_mode = RUHU_JOURNAL_DELETE, .cache_kib = 16 },
	.setup = setup_killed,
	.run = run_open,
};

static int run_create(struct rt_run *run)
{
	ruhu_replica_options o = rt_op_options(run->op);
	const char *pw = rt_op_pass_before(run->op);

	return ruhu_replica_create_ext(&run->r, run->dir, pw, strlen(pw), &o, RT_CRASH_VFS);
}

const struct rt_op rt_op_create = {
	.name = "create",
	.flags = RT_OP_OPENS | RT_OP_CREATES,
	.run = run_create,
};

/* ---- check (reads only) ---- */

static int run_check(struct rt_run *run)
{
	ruhu_replica_check_report rep;

	return ruhu_replica_check(run->r, &rep);
}

const struct rt_op rt_op_check = {
	.name = "check",
	.setup = setup_rows,
	.run = run_check,
};

/* ---- a git pack into the object store ---- */

static git_buf pack = GIT_BUF_INIT;

/* A pack of 24 similar blobs (deltas) and a tree, made once per process in
 * a scratch replica next to `dir`. */
static void setup_pack(const char *dir, const struct rt_op *op)
{
	char src[4200];
	ruhu_replica *r;
	git_repository *repo = NULL;
	git_packbuilder *pb = NULL;
	git_treebuilder *tb = NULL;
	git_oid oid;

	ruhu_replica_free(setup_replica(dir, op));
	if (pack.size)
		return;
	snprintf(src, sizeof(src), "%s-src", dir);
	r = setup_replica(src, op);
	rt_ok(ruhu_odb_open(&repo, ruhu_replica_db(r)));
	ck_assert_int_eq(git_packbuilder_new(&pb, repo), 0);
	ck_assert_int_eq(git_treebuilder_new(&tb, repo, NULL), 0);
	for (int i = 0; i < 24; i++) {
		char text[3000], name[32];
		int n = 0;

		for (int line = 0; line < 60 && n < (int)sizeof(text) - 64; line++)
			n += snprintf(text + n, sizeof(text) - (size_t)n,
				      "visit %d line %d: household registered\n", line == i ? i : 0, line);
		ck_assert_int_eq(git_blob_create_from_buffer(&oid, repo, text, (size_t)n), 0);
		ck_assert_int_eq(git_packbuilder_insert(pb, &oid, NULL), 0);
		snprintf(name, sizeof(name), "note-%02d.txt", i);
		ck_assert_int_eq(git_treebuilder_insert(NULL, tb, name, &oid, GIT_FILEMODE_BLOB), 0);
	}
	ck_assert_int_eq(git_treebuilder_write(&oid, tb), 0);
	ck_assert_int_eq(git_packbuilder_insert(pb, &oid, NULL), 0);
	ck_assert_int_eq(git_packbuilder_write_buf(&pack, pb), 0);
	git_treebuilder_free(tb);
	git_packbuilder_free(pb);
	git_repository_free(repo);
	ruhu_replica_free(r);
	rt_rmrf(src);
}

static int run_pack(struct rt_run *run)
{
	git_repository *repo = NULL;
	size_t n;
	int error;

	unsigned saved;

	if ((error = ruhu_replica_begin(run->r)) < 0)
		return error;
	/* libgit2 1.5.1 crashes in git_repository_wrap_odb when one of its
	 * own first allocations fails (repository_alloc disposes of a cache
	 * it never made): not counted (docs/testing.md) */
	saved = rt_fault_mask(RT_SITE_GIT);
	error = ruhu_odb_open(&repo, ruhu_replica_db(run->r));
	rt_fault_unmask(saved);
	if (error < 0 ||
	    (error = ruhu_odb_write_pack(&n, repo, pack.ptr, pack.size, NULL)) < 0 ||
	    (error = ruhu_replica_commit(run->r)) < 0)
		goto done;
done:
	if (error < 0)
		ruhu_replica_rollback(run->r);
	git_repository_free(repo);
	return error;
}

const struct rt_op rt_op_pack = {
	.name = "pack into the object store",
	.setup = setup_pack,
	.run = run_pack,
};
