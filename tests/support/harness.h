/*
 * harness.h — the reliability harness: an operation on a replica, run under
 * simulated power loss at every event (crash_vfs.h) and under injected
 * faults at every call (fault.h), then checked to be exactly before or
 * exactly after.
 *
 * An operation is one struct rt_op: how to make the replica it starts from
 * (setup), the call under test (run), and optionally what "the state" is
 * (state; by default every row of every table and the schema).  Adding an
 * operation — the save engine, the hub merge, the device pull — is one
 * struct and one line in a test:
 *
 *     static int run_save(struct rt_run *run) { return ruhu_save(run->r, ...); }
 *     static const struct rt_op op_save = { .name = "save", .setup = setup_save,
 *                                           .run = run_save };
 *     rt_crash_loop(&op_save, 1, NULL);
 *     rt_fault_loop(&op_save, RT_SITE_IO, 0, RT_FAULT_EIO, NULL);
 *
 * What the loops check after each crash or fault, as Check assertions that
 * name the operation, the crash point or fault number, and the seed:
 *  - the replica opens through the normal path (default VFS) with the
 *    passphrase of before or of after, exactly one of them (the other is a
 *    wrong passphrase, RUHU_EAUTH);
 *  - ruhu_replica_check passes (every page authenticates, integrity ok);
 *  - its state is exactly the state before or exactly the state after (and
 *    "after" whenever the call had returned 0 before the crash: with
 *    synchronous=FULL nothing whose commit returned is lost);
 *  - no rekey leftovers (replica.db.new, replica.key.new) stay after open;
 *  - it takes a new write transaction;
 *  - under faults: a failed call returned a negative code with a message,
 *    and nothing crashed or leaked (the sanitizer build checks leaks).
 */
#ifndef RUHU_TEST_HARNESS_H
#define RUHU_TEST_HARNESS_H

#include <stdint.h>

#include "core/replica.h"
#include "support/crash_vfs.h"
#include "support/fault.h"
#include "support/support.h"

struct rt_op;

/* What `run` gets. */
struct rt_run {
	const char *dir;         /* the replica folder */
	ruhu_replica *r;         /* open through RT_CRASH_VFS with pass_before,
				    or NULL with RT_OP_OPENS (run sets it) */
	const struct rt_op *op;
};

/* rt_op.flags */
#define RT_OP_OPENS   0x1u  /* run opens (or creates) the replica into run->r */
#define RT_OP_CREATES 0x2u  /* before = no replica in the folder (setup makes
			       none); a crash may leave none, and create works again */

struct rt_op {
	const char *name;
	unsigned flags;
	/* options of every open (journal mode, cache); zero = defaults, with
	 * the KDF at its cheapest unless set */
	ruhu_replica_options opts;
	const char *pass_before;  /* NULL: "pw" */
	const char *pass_after;   /* NULL: pass_before */
	/* make the starting replica in `dir` (a new empty folder); Check
	 * assertions may be used; NULL: an empty replica */
	void (*setup)(const char *dir, const struct rt_op *op);
	/* the call under test: 0 or a negative ruhu error */
	int (*run)(struct rt_run *run);
	/* the state to compare; NULL: rt_state_tables */
	int (*state)(ruhu_replica *r, ruhu_buf *out);
	void *payload;
};

/* Every table's schema and rows, hashed, as "N tables, M rows, <hex>". */
int rt_state_tables(ruhu_replica *r, ruhu_buf *out);

/* The options of an operation with the defaults of the harness filled in. */
ruhu_replica_options rt_op_options(const struct rt_op *op);
const char *rt_op_pass_before(const struct rt_op *op);
const char *rt_op_pass_after(const struct rt_op *op);

/* Make the operation's starting replica in a new folder `dir`. */
void rt_op_setup(const struct rt_op *op, const char *dir);

struct rt_crash_result {
	unsigned points;         /* crash points (events of the operation) */
	unsigned runs;           /* points x seeds */
	unsigned before, after;  /* state found after recovery */
	unsigned after_return;   /* crashes after the call had returned */
	unsigned completed;      /* runs that ended without reaching their point */
	unsigned stuck;          /* RT_OP_CREATES: runs after which create refuses
				    the folder (counted among `before`) */
	struct rt_disk_report totals; /* summed over the runs */
};

/*
 * Run `op` once to count its events (writes, syncs, ... including closing
 * the replica after it), then once per event and seed with a crash there,
 * each in a forked child on a fresh copy of the starting replica, and check
 * the result (see the top of this file).  Prints one line of counts; fills
 * *out when not NULL.
 */
void rt_crash_loop(const struct rt_op *op, unsigned seeds, struct rt_crash_result *out);

struct rt_fault_result {
	unsigned calls;          /* calls counted in a clean run */
	unsigned runs;           /* runs with a fault injected */
	unsigned errors;         /* runs where the call reported an error */
	unsigned absorbed;       /* runs where it succeeded despite the fault */
	unsigned before, after;  /* state found afterwards */
	unsigned codes[16];      /* errors by -code (codes[1] = RUHU_ERROR ...) */
};

/*
 * For N = 1, 2, ... until the operation completes without a fault: a fresh
 * copy, the replica opened through RT_CRASH_VFS (not counted), fault N
 * armed at `sites` (once, or from N on with `persistent`), the call, closing
 * the replica (still armed when persistent), then the checks.  Prints one
 * line of counts; fills *out when not NULL.
 */
void rt_fault_loop(const struct rt_op *op, unsigned sites, int persistent, rt_fault_kind kind,
		   struct rt_fault_result *out);

/* ---- a real small file system (diskfull.c) ---- */

/* Mount a private tmpfs of `size` ("1M") at `dir`, in a mount namespace of
 * the process's own: 0, or -1 with the reason in `why`. */
int rt_private_tmpfs(const char *dir, const char *size, char *why, size_t whylen);
/* Fill the file system of `path` with that file until a write fails with
 * ENOSPC. */
void rt_fill_disk(const char *path);

/* ---- operations on the replica as it is now (ops.c) ---- */
extern const struct rt_op rt_op_open;            /* open after a kill: WAL recovery */
extern const struct rt_op rt_op_open_hot;        /* open after a kill: hot journal rollback */
extern const struct rt_op rt_op_create;          /* create a new replica */
extern const struct rt_op rt_op_txn_wal;         /* one transaction of many rows, WAL */
extern const struct rt_op rt_op_txn_delete;      /* the same, rollback journal */
extern const struct rt_op rt_op_txn_spill;       /* DELETE, a small cache: spills mid-transaction */
extern const struct rt_op rt_op_passphrase;      /* passphrase change */
extern const struct rt_op rt_op_rekey_wal;       /* rekey of a WAL replica */
extern const struct rt_op rt_op_rekey_delete;    /* rekey of a DELETE replica */
extern const struct rt_op rt_op_pack;            /* a git pack into the object store (libgit2) */
extern const struct rt_op rt_op_check;           /* ruhu_replica_check (reads only) */

/* Rows the transaction operations write (the _slow suites raise it). */
extern int rt_txn_rows;

/* ---- operations of a township: a hub and joined tablets (ops_sync.c) ---- */
extern const struct rt_op rt_op_save;            /* a save on a joined tablet: records, an attachment */
extern const struct rt_op rt_op_save_delete;     /* the same, rollback journal */
extern const struct rt_op rt_op_merge;           /* the hub ingests a bundle with conflicts */
extern const struct rt_op rt_op_merge_delete;    /* the same, rollback journal */
extern const struct rt_op rt_op_pull;            /* a tablet pulls: undo, main, drop, redo */
extern const struct rt_op rt_op_pull_delete;     /* the same, rollback journal */
/* rollback journal and a 32 KiB cache: pages spill mid-transaction */
extern const struct rt_op rt_op_save_spill;
extern const struct rt_op rt_op_merge_spill;
extern const struct rt_op rt_op_pull_spill;

/* Make the township template of ops_sync_template.c now (it is made on
 * first use otherwise; once per process). */
void rt_sync_template(void);
/* The state of a tablet and of a hub (ops_sync_state.c): heads, digest
 * (checked against _meta and the history), pending saves or merges and
 * review items, and every table's hash; fails with a message when the
 * history does not hold. */
int rt_state_tablet(ruhu_replica *r, ruhu_buf *out);
int rt_state_hub(ruhu_replica *r, ruhu_buf *out);

#endif
