/*
 * crash_vfs.h — a simulated disk for ruhu's tests: an SQLite VFS named
 * "crash" (crash_vfs.c) that sits under the encrypting VFS (pass RT_CRASH_VFS as
 * `base_vfs` to ruhu_replica_create_ext/open_ext), and a model of what of
 * a replica folder would survive a power loss at any moment.
 *
 * The model (SQLite's crash VFS, test6.c, is the model for it):
 *  - Each file (an inode) has durable bytes and the writes and truncations
 *    made since its last sync.  The folder has durable entries and the
 *    creations, renames and unlinks made since its last sync.
 *  - A sync of a file makes its data durable; a sync of the folder makes
 *    its entries durable.  SQLite's unix VFS syncs the folder at the first
 *    sync of a journal or WAL it created, and at an unlink asked to; the
 *    model does the same.  ruhu's own calls (open, write, fsync, rename,
 *    unlink, ftruncate) reach the model through the link-time wrappers of
 *    fault.c, so key-file replacement and rekey are covered too.
 *  - Every write, sync, truncate, create, unlink and rename through either
 *    path is an event, numbered from 1 after rt_disk_begin(), and so is
 *    each rt_disk_point() call.  At the event
 *    chosen as the crash point the model crashes: that event is done but not
 *    durable; a random prefix of the pending folder changes lands (journaled
 *    metadata keeps its order); each pending write lands, is lost, is torn
 *    (each sector lands or not) or is garbled (each sector lands, is lost or
 *    becomes random bytes), chosen with a PRNG seeded by (seed, crash
 *    point); the folder is rewritten to that state and the process ends at
 *    once with _exit(RT_CRASH_EXIT) (RT_CRASH_EXIT + 1 once the harness has
 *    said the operation returned).  Nothing after the crash point happens.
 *  - Writes reach the real file at once, so reads see them; only the model
 *    decides what survives.  The -shm file is not modelled: SQLite rebuilds
 *    it from the WAL after a crash.
 *  - Sectors are 512 bytes for tearing (a write may tear at any 512-byte
 *    boundary); bytes outside a write are never disturbed, which is the
 *    powersafe-overwrite promise the unix VFS makes to SQLite.
 *
 * The same VFS also fails calls on demand (fault.h, site RT_SITE_VFS).
 * One thread; the crash runs in a forked child (harness.h).
 */
#ifndef RUHU_TEST_CRASH_VFS_H
#define RUHU_TEST_CRASH_VFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RT_CRASH_VFS "crash"
#define RT_CRASH_EXIT 70
#define RT_SECTOR 512

/* Register the VFS over SQLite's default VFS (idempotent). */
void rt_crash_vfs_register(void);

/* What the model counted, and what it did at the crash. */
struct rt_disk_report {
	uint64_t events;
	uint64_t writes, syncs, truncates, creates, unlinks, renames;
	uint64_t points;             /* rt_disk_point() calls */
	uint64_t returned_at;        /* events before the operation returned */
	/* at the crash */
	uint64_t pending_writes;     /* writes (and truncations) not yet durable */
	uint64_t landed, lost, torn, garbled;
	uint64_t pending_dirops, dirops_landed;
};

/*
 * Start modelling `folder` (a flat folder: the replica's): what is in it
 * now is durable.  Crash at event `crash_at` (0: never), with `seed` for the
 * PRNG.  `report`, when not NULL, is filled as events happen (it may live in
 * memory shared with a parent process).
 */
void rt_disk_begin(const char *folder, uint64_t crash_at, uint64_t seed,
		   struct rt_disk_report *report);
/* Stop modelling and free the model (no crash). */
void rt_disk_end(void);
/* Is the model running? */
int rt_disk_active(void);
/* Events seen since rt_disk_begin. */
uint64_t rt_disk_events(void);
/* From now on a crash exits with RT_CRASH_EXIT + 1: the operation returned. */
void rt_disk_set_returned(void);
/* An event of its own: a moment to crash at with no I/O in it (the harness
 * crashes right after the operation returns, and after the replica closed,
 * with whatever is pending then). */
void rt_disk_point(void);

/* ---- for crash_vfs.c: what SQLite did (crash_model.c) ---- */
struct rt_inode;
unsigned rt_disk_session(void);
/* The inode of `path` when it is in the modelled folder, else NULL. */
struct rt_inode *rt_disk_find(const char *path);
/* A file just created at `path`: its new inode (a create event), or NULL. */
struct rt_inode *rt_disk_created(const char *path);
void rt_disk_write(struct rt_inode *ino, int64_t off, const void *buf, size_t n);
void rt_disk_truncate(struct rt_inode *ino, int64_t size);
/* A sync of the file (and of the folder with `dirsync`); may crash. */
void rt_disk_sync(struct rt_inode *ino, int dirsync);
void rt_disk_deleted(const char *path, int syncdir);

/* ---- for the wrappers of fault.c: what ruhu's own code did ---- */
void rt_disk_posix_open(int fd, const char *path, int flags);
void rt_disk_posix_write(int fd, off_t at, const void *buf, size_t n);
void rt_disk_posix_sync(int fd);
void rt_disk_posix_rename(const char *from, const char *to);
void rt_disk_posix_unlink(const char *path);
void rt_disk_posix_truncate(int fd, off_t size);
void rt_disk_posix_close(int fd);

#endif
