/*
 * fault.h — fault injection for ruhu's tests: fail the N-th I/O call or the
 * N-th allocation, once or from then on.
 *
 * Where a fault can be injected (a "site", a bit mask):
 *   RT_SITE_VFS     every call of the crash VFS (crash_vfs.h) under the
 *                   encrypting VFS: open, read, write, truncate, sync, file
 *                   size, delete, access.  The call returns SQLite's IOERR
 *                   code for it (SQLITE_FULL for a write in ENOSPC mode).
 *   RT_SITE_POSIX   file-system calls made by ruhu's own code (key file,
 *                   rekey, folder sync): open, read, write, fsync, rename,
 *                   unlink.  The call returns -1 with errno EIO or ENOSPC.
 *   RT_SITE_MALLOC  malloc, calloc, realloc, strdup, strndup called from
 *                   the objects linked into the test program (libruhu and
 *                   the tests; not from inside libc or a shared library).
 *   RT_SITE_SODIUM  sodium_malloc called from libruhu (the key buffers).
 *                   Argon2id's own memory is allocated inside libsodium and
 *                   is out of reach; crypto_pwhash reports its failure.
 *   RT_SITE_SQLITE  SQLite's allocator (SQLITE_CONFIG_MALLOC).
 *   RT_SITE_GIT     libgit2's allocator (GIT_OPT_SET_ALLOCATOR).
 *
 * The test program is linked with -Wl,--wrap=malloc,... (tests/CMakeLists.txt)
 * so that those calls reach the counters here; while nothing is armed every
 * wrapper passes straight through.
 *
 * Design notes
 *  1. Counting happens only between rt_fault_arm() and rt_fault_disarm(),
 *     so a test arms around the one library call under test and makes its
 *     Check assertions (which allocate) after disarming.
 *  2. In ENOSPC mode only calls that need space are counted and failed:
 *     writes, and opens that create a file.  Nothing else fails, as on a
 *     full disk.
 *  3. rt_fault_setup() installs the SQLite and libgit2 allocators; SQLite
 *     takes its allocator only before sqlite3_initialize(), so setup shuts
 *     SQLite down first: call it while no connection is open.  The
 *     allocators are the system's plus a counter, so memory from before and
 *     after mixes freely.
 *  4. Single-threaded: the tests that arm faults run one thread.
 */
#ifndef RUHU_TEST_FAULT_H
#define RUHU_TEST_FAULT_H

#include <stdint.h>

enum {
	RT_SITE_VFS = 1u << 0,
	RT_SITE_POSIX = 1u << 1,
	RT_SITE_MALLOC = 1u << 2,
	RT_SITE_SODIUM = 1u << 3,
	RT_SITE_SQLITE = 1u << 4,
	RT_SITE_GIT = 1u << 5
};
#define RT_SITE_IO (RT_SITE_VFS | RT_SITE_POSIX)
#define RT_SITE_RUHU_ALLOC (RT_SITE_MALLOC | RT_SITE_SODIUM)
#define RT_SITE_ALLOC (RT_SITE_MALLOC | RT_SITE_SODIUM | RT_SITE_SQLITE | RT_SITE_GIT)

typedef enum {
	RT_FAULT_EIO = 0,     /* an I/O error (or a failed allocation) */
	RT_FAULT_ENOSPC = 1   /* no space left on device (design note 2) */
} rt_fault_kind;

/* Install the SQLite and libgit2 allocators (design note 3).  Idempotent. */
void rt_fault_setup(void);

/*
 * Count calls at `sites`; the `nth` (1-based) fails, and with `persistent`
 * every later one too.  nth = 0 only counts.  Resets the counters.
 */
void rt_fault_arm(unsigned sites, uint64_t nth, int persistent, rt_fault_kind kind);
/* Stop counting and failing; the counters stay readable. */
void rt_fault_disarm(void);
/* Calls counted since rt_fault_arm, and how many of them were failed. */
uint64_t rt_fault_counted(void);
uint64_t rt_fault_injected(void);
/* Is a fault armed? */
int rt_fault_armed(void);
/*
 * Stop counting at `sites` until rt_fault_unmask(returned value): for calls
 * into code whose own failure handling is broken and out of ruhu's reach
 * (docs/testing.md lists each use).
 */
unsigned rt_fault_mask(unsigned sites);
void rt_fault_unmask(unsigned saved);

/*
 * For the hooks: count one call at `site` (`space`: it needs disk space) and
 * say whether it must fail (1) or go on (0).
 */
int rt_fault_hit(unsigned site, int space);
/* The errno a failed I/O call reports (EIO or ENOSPC). */
int rt_fault_errno(void);
/* A short name of a site mask for reports ("vfs+posix", "sqlite"). */
const char *rt_fault_sites_name(unsigned sites);

#endif
