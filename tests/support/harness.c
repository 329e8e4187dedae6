/*
 * harness.c — the crash loop and the fault loop of harness.h, and the
 * checks they share.
 *
 * Design notes
 *  1. Every run starts from a byte copy of the starting folder made once by
 *     the operation's setup (a closed replica: no WAL, no journal).
 *  2. A crash run is a forked child: it opens the copy through the crash
 *     VFS, starts the model, runs the call, closes the replica, and _exits;
 *     at the crash point the model rewrites the folder and _exits.  The
 *     parent learns the counts and the child's last error through a shared
 *     page, and checks the folder with the default VFS.
 *  3. A fault run stays in the test process (faults end in error returns,
 *     not in exits), so the sanitizers see every leak of an error path.
 *  4. The state before and after comes from the operation's own clean runs
 *     (no crash, no fault) on their own copies.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "support/harness.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define RT_LSAN_DISABLE() __lsan_disable()
#define RT_LSAN_ENABLE() __lsan_enable()
#else
#define RT_LSAN_DISABLE() ((void)0)
#define RT_LSAN_ENABLE() ((void)0)
#endif

/* seeds at the crash points right after the call returned */
#define RT_SEEDS_AFTER_RETURN 8

/* ---- the state ---- */

static void hash_value(crypto_generichash_state *h, sqlite3_stmt *st, int i)
{
	unsigned char t = (unsigned char)sqlite3_column_type(st, i);
	int64_t v;
	double d;

	crypto_generichash_update(h, &t, 1);
	switch (t) {
	case SQLITE_INTEGER:
		v = sqlite3_column_int64(st, i);
		crypto_generichash_update(h, (const unsigned char *)&v, sizeof(v));
		break;
	case SQLITE_FLOAT:
		d = sqlite3_column_double(st, i);
		crypto_generichash_update(h, (const unsigned char *)&d, sizeof(d));
		break;
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const void *p = sqlite3_column_blob(st, i);
		uint64_t n = (uint64_t)sqlite3_column_bytes(st, i);

		crypto_generichash_update(h, (const unsigned char *)&n, sizeof(n));
		if (p)
			crypto_generichash_update(h, p, (size_t)n);
		break;
	}
	default:
		break;
	}
}

int rt_state_tables(ruhu_replica *r, ruhu_buf *out)
{
	sqlite3 *db = ruhu_replica_db(r);
	sqlite3_stmt *tables = NULL, *st = NULL;
	crypto_generichash_state h;
	unsigned char sum[16];
	ruhu_buf sql = RUHU_BUF_INIT;
	long ntables = 0, nrows = 0;
	int rc, error = 0;

	crypto_generichash_init(&h, NULL, 0, sizeof(sum));
	rc = sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema "
				"ORDER BY name", -1, &tables, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(tables)) == SQLITE_ROW) {
		rc = SQLITE_OK;
		for (int i = 0; i < 4; i++)
			hash_value(&h, tables, i);
		if (strcmp((const char *)sqlite3_column_text(tables, 0), "table") != 0)
			continue;
		ntables++;
		ruhu_buf_clear(&sql);
		if ((error = ruhu_buf_printf(&sql, "SELECT * FROM \"%s\"",
					     (const char *)sqlite3_column_text(tables, 1))) < 0)
			goto done;
		if ((rc = sqlite3_prepare_v2(db, sql.ptr, -1, &st, NULL)) != SQLITE_OK)
			break;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			nrows++;
			for (int i = 0; i < sqlite3_column_count(st); i++)
				hash_value(&h, st, i);
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc != SQLITE_DONE)
			break;
		rc = SQLITE_OK;
	}
	if (rc == SQLITE_OK)
		rc = SQLITE_ERROR;
	if (rc != SQLITE_DONE) {
		error = ruhu_replica_sqlite_error(r, rc, "cannot read the state");
		goto done;
	}
	crypto_generichash_final(&h, sum, sizeof(sum));
	ruhu_buf_clear(out);
	if ((error = ruhu_buf_printf(out, "%ld tables, %ld rows, ", ntables, nrows)) == 0)
		error = ruhu_buf_puthex(out, sum, sizeof(sum));
done:
	sqlite3_finalize(st);
	sqlite3_finalize(tables);
	ruhu_buf_dispose(&sql);
	return error;
}

/* ---- operations ---- */

ruhu_replica_options rt_op_options(const struct rt_op *op)
{
	ruhu_replica_options o = op->opts;

	o.version = RUHU_REPLICA_OPTIONS_VERSION;
	if (o.kdf_opslimit == 0)
		o.kdf_opslimit = 1;
	if (o.kdf_memlimit == 0)
		o.kdf_memlimit = 8192;
	return o;
}

const char *rt_op_pass_before(const struct rt_op *op)
{
	return op->pass_before ? op->pass_before : "pw";
}

const char *rt_op_pass_after(const struct rt_op *op)
{
	return op->pass_after ? op->pass_after : rt_op_pass_before(op);
}

void rt_op_setup(const struct rt_op *op, const char *dir)
{
	ruhu_replica_options o = rt_op_options(op);
	const char *pw = rt_op_pass_before(op);
	ruhu_replica *r = NULL;

	ck_assert_int_eq(mkdir(dir, 0700), 0);
	if (op->setup) {
		op->setup(dir, op);
	} else if (!(op->flags & RT_OP_CREATES)) {
		rt_ok(ruhu_replica_create(&r, dir, pw, strlen(pw), &o));
		ruhu_replica_free(r);
	}
}

/* ---- shared checks ---- */

/* A new folder for a loop: on /dev/shm when there is one (thousands of
 * runs; the model, not the file system, decides what survives). */
static void loop_tmpdir(char *out, size_t outlen)
{
	const char *saved = getenv("TMPDIR");
	char keep[4096] = "";

	if (saved)
		snprintf(keep, sizeof(keep), "%s", saved);
	if (access("/dev/shm", W_OK) == 0)
		setenv("TMPDIR", "/dev/shm", 1);
	rt_tmpdir(out, outlen);
	if (saved)
		setenv("TMPDIR", keep, 1);
	else
		unsetenv("TMPDIR");
}

static void copy_folder(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *e;
	char a[4096], b[4096];

	rt_rmrf(to);
	ck_assert_int_eq(mkdir(to, 0700), 0);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		unsigned char *bytes;
		size_t len;

		rt_path(a, sizeof(a), from, e->d_name);
		if (stat(a, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		rt_path(b, sizeof(b), to, e->d_name);
		bytes = rt_read_file(a, &len);
		rt_write_file(b, bytes, len);
		free(bytes);
	}
	closedir(d);
}

static int op_state(const struct rt_op *op, ruhu_replica *r, ruhu_buf *out)
{
	return op->state ? op->state(r, out) : rt_state_tables(r, out);
}

/* The state of the replica in `dir`, opened the normal way with `pw`. */
static void state_of(const struct rt_op *op, const char *dir, const char *pw, ruhu_buf *out)
{
	ruhu_replica_options o = rt_op_options(op);
	ruhu_replica *r = NULL;

	o.journal_mode = RUHU_JOURNAL_DEFAULT;
	rt_ok(ruhu_replica_open(&r, dir, pw, strlen(pw), &o));
	rt_ok(op_state(op, r, out));
	ruhu_replica_free(r);
}

/* The state before, read from a copy (opening may recover the folder). */
static void state_before(const struct rt_op *op, const char *base, const char *work, ruhu_buf *out)
{
	if (op->flags & RT_OP_CREATES) {
		ruhu_buf_puts(out, "(no replica)");
		return;
	}
	copy_folder(base, work);
	state_of(op, work, rt_op_pass_before(op), out);
}

/*
 * Check the folder after a crash or a fault (see harness.h); returns 0 for
 * "before", 1 for "after", 2 for "before, but create refuses the folder".
 * `where` names the run in messages.
 */
static int verify(const struct rt_op *op, const char *dir, const ruhu_buf *before,
		  const ruhu_buf *after, int must_after, const char *where)
{
	ruhu_replica_options o = rt_op_options(op);
	const char *pb = rt_op_pass_before(op), *pa = rt_op_pass_after(op);
	ruhu_replica *rb = NULL, *ra = NULL, *r;
	ruhu_replica_check_report rep;
	ruhu_buf state = RUHU_BUF_INIT;
	char path[4096], msg[1024] = "";
	int eb, ea, is_after;

	o.journal_mode = RUHU_JOURNAL_DEFAULT;
	eb = ruhu_replica_open(&rb, dir, pb, strlen(pb), &o);
	if (eb < 0)
		snprintf(msg, sizeof(msg), "%s", ruhu_error_last());
	if (strcmp(pa, pb) != 0) {
		ea = ruhu_replica_open(&ra, dir, pa, strlen(pa), &o);
		ck_assert_msg((eb == 0) != (ea == 0), "%s: the replica opens with %s", where,
			      eb == 0 ? "both passphrases" : "neither passphrase");
		ck_assert_msg((eb == 0 ? ea : eb) == RUHU_EAUTH, "%s: open failed (%d) for another "
			      "reason than the passphrase: %s", where, eb == 0 ? ea : eb,
			      eb == 0 ? ruhu_error_last() : msg);
	} else {
		ea = eb;
	}
	if ((op->flags & RT_OP_CREATES) && eb < 0) {
		/* before: no replica opens, and create works again on the
		 * folder the crash left (core/replica.c, note 6) */
		ck_assert_msg(!must_after, "%s: the replica does not open after the call returned: %s",
			      where, msg);
		eb = ruhu_replica_create(&rb, dir, pb, strlen(pb), &o);
		ck_assert_msg(eb == 0, "%s: create fails again on the folder a crash left (%d): %s",
			      where, eb, ruhu_error_last());
		ruhu_replica_free(rb);
		return 0;
	}
	ck_assert_msg(eb == 0 || ea == 0, "%s: the replica does not open (%d): %s", where, eb, msg);
	r = eb == 0 ? rb : ra;
	ck_assert_msg(ruhu_replica_check(r, &rep) == 0, "%s: check failed: %s", where,
		      ruhu_error_last());
	rt_ok(op_state(op, r, &state));
	if (strcmp(pa, pb) != 0) {
		/* the passphrase tells which side it is on */
		is_after = ea == 0;
		ck_assert_msg(strcmp(state.ptr, is_after ? after->ptr : before->ptr) == 0,
			      "%s: opened with the passphrase of %s, the state is %s (before: %s, "
			      "after: %s)", where, is_after ? "after" : "before", state.ptr,
			      before->ptr, after->ptr);
	} else {
		is_after = strcmp(state.ptr, after->ptr) == 0;
		ck_assert_msg(is_after || strcmp(state.ptr, before->ptr) == 0,
			      "%s: the state is neither before nor after: %s (before: %s, after: %s)",
			      where, state.ptr, before->ptr, after->ptr);
	}
	ck_assert_msg(is_after || !must_after, "%s: the call had returned but the state is "
		      "the one before it (%s)", where, state.ptr);
	rt_path(path, sizeof(path), dir, RUHU_REPLICA_DB ".new");
	ck_assert_msg(!rt_exists(path), "%s: %s is left after open", where, path);
	rt_path(path, sizeof(path), dir, RUHU_REPLICA_KEY ".new");
	ck_assert_msg(!rt_exists(path), "%s: %s is left after open", where, path);
	ck_assert_msg(ruhu_replica_exec(r, "CREATE TABLE IF NOT EXISTS rt_probe(x); "
					"INSERT INTO rt_probe VALUES (1)") == 0,
		      "%s: the recovered replica takes no write: %s", where, ruhu_error_last());
	ruhu_replica_free(r);
	ruhu_buf_dispose(&state);
	return is_after;
}

/* ---- the crash loop (note 2) ---- */

struct shared {
	struct rt_disk_report rep;
	int stage;               /* 1 opened, 2 run returned, 3 closed */
	int rc;
	char msg[1024];
};

static void child(const struct rt_op *op, const char *dir, uint64_t at, uint64_t seed,
		  struct shared *sh)
{
	ruhu_replica_options o = rt_op_options(op);
	const char *pw = rt_op_pass_before(op);
	struct rt_run run = { dir, NULL, op };
	int rc = 0;

	if (!(op->flags & RT_OP_OPENS))
		rc = ruhu_replica_open_ext(&run.r, dir, pw, strlen(pw), &o, RT_CRASH_VFS);
	if (rc == 0) {
		sh->stage = 1;
		rt_disk_begin(dir, at, seed, &sh->rep);
		rc = op->run(&run);
		rt_disk_set_returned();
		sh->stage = 2;
	}
	sh->rc = rc;
	if (rc < 0) {
		snprintf(sh->msg, sizeof(sh->msg), "%s", ruhu_error_last());
		_exit(3);
	}
	rt_disk_point();        /* power lost right after the call returned */
	ruhu_replica_free(run.r);
	sh->stage = 3;
	rt_disk_point();        /* ... or right after the replica closed */
	rt_disk_end();
	_exit(0);
}

/* Fork a child for one run; its exit status. */
static int fork_run(const struct rt_op *op, const char *dir, uint64_t at, uint64_t seed,
		    struct shared *sh)
{
	int status;
	pid_t pid;

	memset(sh, 0, sizeof(*sh));
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child(op, dir, at, seed, sh);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "%s: crash point %llu: the child died of signal %d",
		      op->name, (unsigned long long)at, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ck_assert_msg(WEXITSTATUS(status) != 3, "%s: crash point %llu: the call failed (%d): %s",
		      op->name, (unsigned long long)at, sh->rc, sh->msg);
	return WEXITSTATUS(status);
}

static void add_report(struct rt_disk_report *t, const struct rt_disk_report *r)
{
	t->pending_writes += r->pending_writes;
	t->landed += r->landed;
	t->lost += r->lost;
	t->torn += r->torn;
	t->garbled += r->garbled;
	t->pending_dirops += r->pending_dirops;
	t->dirops_landed += r->dirops_landed;
}

void rt_crash_loop(const struct rt_op *op, unsigned seeds, struct rt_crash_result *out)
{
	struct rt_crash_result res;
	ruhu_buf before = RUHU_BUF_INIT, after = RUHU_BUF_INIT;
	char tmp[256], base[300], work[300], where[256], stuck[128] = "";
	struct shared *sh;
	uint64_t events, returned_at;
	int status;

	memset(&res, 0, sizeof(res));
	rt_ok(ruhu_init());
	rt_crash_vfs_register();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(sh, MAP_FAILED);
	loop_tmpdir(tmp, sizeof(tmp));
	snprintf(base, sizeof(base), "%s/base", tmp);
	snprintf(work, sizeof(work), "%s/work", tmp);
	rt_op_setup(op, base);
	state_before(op, base, work, &before);
	copy_folder(base, work);
	status = fork_run(op, work, 0, 0, sh);
	ck_assert_msg(status == 0, "%s: the clean run ended with %d", op->name, status);
	events = sh->rep.events;
	res.totals = sh->rep;
	state_of(op, work, rt_op_pass_after(op), &after);
	ck_assert_msg(events > 0, "%s: the operation made no write", op->name);

	returned_at = sh->rep.returned_at;
	for (uint64_t at = 1; at <= events; at++) {
		/* the two points after the call returned (rt_disk_point): what
		 * is pending then is few and decisive; try more outcomes */
		unsigned n = at + 2 > events && at > returned_at && seeds < RT_SEEDS_AFTER_RETURN ?
			RT_SEEDS_AFTER_RETURN : seeds;

		for (unsigned s = 0; s < n; s++) {
			copy_folder(base, work);
			status = fork_run(op, work, at, s + 1, sh);
			snprintf(where, sizeof(where), "%s: crash at event %llu of %llu, seed %u",
				 op->name, (unsigned long long)at, (unsigned long long)events, s + 1);
			ck_assert_msg(status == 0 || status == RT_CRASH_EXIT || status == RT_CRASH_EXIT + 1,
				      "%s: the child ended with %d (stage %d)", where, status, sh->stage);
			if (status == 0)
				res.completed++;
			if (status == RT_CRASH_EXIT + 1)
				res.after_return++;
			add_report(&res.totals, &sh->rep);
			switch (verify(op, work, &before, &after, status != RT_CRASH_EXIT, where)) {
			case 1:
				res.after++;
				break;
			case 2:
				res.stuck++;
				/* fall through */
			default:
				res.before++;
			}
			res.runs++;
		}
	}
	res.points = (unsigned)events;
	if (res.stuck)
		snprintf(stuck, sizeof(stuck), "; create refuses the folder left after %u of them",
			 res.stuck);
	printf("crash: %s: %u crash points, %u seeds (%u at the 2 after return) = %u runs (events: %llu writes, %llu syncs, "
	       "%llu truncates, %llu creates, %llu unlinks, %llu renames, %llu returns); pending at the crash: "
	       "%llu writes (%llu landed, %llu lost, %llu torn, %llu garbled), %llu folder changes "
	       "(%llu landed); recovered: %u before, %u after (%u crashed after the call returned, "
	       "%u completed)%s\n", op->name, res.points, seeds,
	       seeds < RT_SEEDS_AFTER_RETURN ? RT_SEEDS_AFTER_RETURN : seeds, res.runs,
	       (unsigned long long)res.totals.writes, (unsigned long long)res.totals.syncs,
	       (unsigned long long)res.totals.truncates, (unsigned long long)res.totals.creates,
	       (unsigned long long)res.totals.unlinks, (unsigned long long)res.totals.renames,
	       (unsigned long long)res.totals.points, (unsigned long long)res.totals.pending_writes, (unsigned long long)res.totals.landed,
	       (unsigned long long)res.totals.lost, (unsigned long long)res.totals.torn,
	       (unsigned long long)res.totals.garbled, (unsigned long long)res.totals.pending_dirops,
	       (unsigned long long)res.totals.dirops_landed, res.before, res.after,
	       res.after_return, res.completed, stuck);
	fflush(stdout);
	munmap(sh, sizeof(*sh));
	ruhu_buf_dispose(&before);
	ruhu_buf_dispose(&after);
	rt_rmrf(tmp);
	if (out)
		*out = res;
}

/* ---- the fault loop (note 3) ---- */

/* One run with fault `nth` (0: none); returns the call's result. */
static int fault_run(const struct rt_op *op, const char *dir, unsigned sites, uint64_t nth,
		     int persistent, rt_fault_kind kind)
{
	ruhu_replica_options o = rt_op_options(op);
	const char *pw = rt_op_pass_before(op);
	struct rt_run run = { dir, NULL, op };
	int rc;

	if (!(op->flags & RT_OP_OPENS))
		rt_ok(ruhu_replica_open_ext(&run.r, dir, pw, strlen(pw), &o, RT_CRASH_VFS));
	ruhu_error_clear();
	/* libgit2 1.5.1 leaks on its own failed allocations (git_signature_new,
	 * git_odb_open_wstream, git_commit_create_with_signature keep what they
	 * had allocated when the next allocation fails): no leak check while
	 * libgit2's allocator fails (docs/testing.md, known gaps) */
	if (sites & RT_SITE_GIT)
		RT_LSAN_DISABLE();
	rt_fault_arm(sites, nth, persistent, kind);
	rc = op->run(&run);
	if (!persistent)
		rt_fault_disarm();
	ruhu_replica_free(run.r);
	rt_fault_disarm();
	if (sites & RT_SITE_GIT)
		RT_LSAN_ENABLE();
	return rc;
}

void rt_fault_loop(const struct rt_op *op, unsigned sites, int persistent, rt_fault_kind kind,
		   struct rt_fault_result *out)
{
	struct rt_fault_result res;
	ruhu_buf before = RUHU_BUF_INIT, after = RUHU_BUF_INIT;
	char tmp[256], base[300], work[300], where[300], msg[1024];
	uint64_t calls, from = 1;
	int rc;

	/* RT_FAULT_FROM=N starts every loop at fault N, to look at one */
	if (getenv("RT_FAULT_FROM") && (from = strtoull(getenv("RT_FAULT_FROM"), NULL, 10)) == 0)
		from = 1;
	memset(&res, 0, sizeof(res));
	rt_fault_setup();
	rt_crash_vfs_register();
	loop_tmpdir(tmp, sizeof(tmp));
	snprintf(base, sizeof(base), "%s/base", tmp);
	snprintf(work, sizeof(work), "%s/work", tmp);
	rt_op_setup(op, base);
	state_before(op, base, work, &before);
	copy_folder(base, work);
	rc = fault_run(op, work, sites, 0, 0, kind);
	ck_assert_msg(rc == 0, "%s: the clean run failed (%d): %s", op->name, rc, ruhu_error_last());
	calls = rt_fault_counted();
	state_of(op, work, rt_op_pass_after(op), &after);

	for (uint64_t n = from;; n++) {
		copy_folder(base, work);
		rc = fault_run(op, work, sites, n, persistent, kind);
		snprintf(msg, sizeof(msg), "%s", ruhu_error_last());
		snprintf(where, sizeof(where), "%s: %s fault %llu (%s, %s)", op->name,
			 kind == RT_FAULT_ENOSPC ? "ENOSPC" : sites & RT_SITE_IO ? "EIO" : "allocation",
			 (unsigned long long)n,
			 rt_fault_sites_name(sites), persistent ? "persistent" : "once");
		if (rt_fault_injected() == 0) {
			ck_assert_msg(rc == 0, "%s: failed without a fault (%d): %s", where, rc, msg);
			ck_assert_msg(verify(op, work, &before, &after, 1, where) == 1, "%s: not after",
				      where);
			break;
		}
		res.runs++;
		if (getenv("RT_VERBOSE"))
			printf("  %s: %d %s\n", where, rc, rc < 0 ? msg : "(absorbed)");
		if (rc < 0) {
			res.errors++;
			ck_assert_msg(msg[0] != '\0', "%s: error %d without a message", where, rc);
			res.codes[-rc < 16 ? -rc : 0]++;
			/* an allocation that fails is out of memory, never damage;
			 * libgit2 1.5.1 sometimes loses its own out-of-memory error,
			 * which then comes back as a plain error */
			if (!(sites & RT_SITE_IO))
				ck_assert_msg(rc == RUHU_ENOMEM || ((sites & RT_SITE_GIT) && rc == RUHU_ERROR &&
								    strstr(msg, "libgit2 failed")),
					      "%s: a failed allocation is reported as %d: %s", where, rc, msg);
			if (kind == RT_FAULT_ENOSPC && (sites & RT_SITE_IO))
				ck_assert_msg(rc == RUHU_ENOSPACE || rc == RUHU_ENOMEM,
					      "%s: a full disk is reported as %d: %s", where, rc, msg);
		} else {
			res.absorbed++;
		}
		if (verify(op, work, &before, &after, rc == 0, where) == 1)
			res.after++;
		else
			res.before++;
		ck_assert_msg(n < calls + 1000, "%s: the operation never completes", where);
	}
	res.calls = (unsigned)calls;
	printf("fault: %s: %s %s (%s): %u calls, %u runs with a fault: %u errors reported "
	       "(%u enospace, %u nomem, %u corrupt, %u readonly, %u busy, %u other), %u absorbed; "
	       "state: %u before, %u after\n", op->name, rt_fault_sites_name(sites),
	       kind == RT_FAULT_ENOSPC ? "ENOSPC" : (sites & RT_SITE_IO ? "EIO" : "NULL"),
	       persistent ? "persistent" : "once", res.calls, res.runs, res.errors,
	       res.codes[-RUHU_ENOSPACE], res.codes[-RUHU_ENOMEM], res.codes[-RUHU_ECORRUPT],
	       res.codes[-RUHU_EREADONLY], res.codes[-RUHU_EBUSY],
	       res.errors - res.codes[-RUHU_ENOSPACE] - res.codes[-RUHU_ENOMEM] -
	       res.codes[-RUHU_ECORRUPT] - res.codes[-RUHU_EREADONLY] - res.codes[-RUHU_EBUSY],
	       res.absorbed, res.before, res.after);
	fflush(stdout);
	ruhu_buf_dispose(&before);
	ruhu_buf_dispose(&after);
	rt_rmrf(tmp);
	if (out)
		*out = res;
}
