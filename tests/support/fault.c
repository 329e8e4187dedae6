/*
 * fault.c — the fault counters, the allocators handed to SQLite and libgit2,
 * and the link-time wrappers (-Wl,--wrap=SYMBOL) of the C library calls that
 * libruhu makes itself (see fault.h for the sites and the notes).
 *
 * Design notes
 *  1. A wrapper first asks rt_fault_hit(); a call that must fail returns what
 *     the C library returns on that failure (NULL and errno ENOMEM; -1 and
 *     errno EIO or ENOSPC) without calling through.
 *  2. The file-system wrappers then tell the power-loss model (crash_vfs.c)
 *     what happened, so that a crash can undo what was not yet durable:
 *     after the real call, never before, since the model records what the
 *     file system did.
 *  3. Inside this file and crash_vfs.c, memory comes from __real_malloc and
 *     friends, so that the harness never counts its own allocations.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/alloc.h>
#include <sqlite3.h>

#include "ruhu/common.h"
#include "support/crash_vfs.h"
#include "support/fault.h"

static struct {
	int armed;
	unsigned sites;
	uint64_t nth;
	int persistent;
	rt_fault_kind kind;
	uint64_t counted;
	uint64_t injected;
} F;

void rt_fault_arm(unsigned sites, uint64_t nth, int persistent, rt_fault_kind kind)
{
	F.sites = sites;
	F.nth = nth;
	F.persistent = persistent;
	F.kind = kind;
	F.counted = 0;
	F.injected = 0;
	F.armed = 1;
}

void rt_fault_disarm(void)
{
	F.armed = 0;
}

uint64_t rt_fault_counted(void)
{
	return F.counted;
}

uint64_t rt_fault_injected(void)
{
	return F.injected;
}

int rt_fault_armed(void)
{
	return F.armed;
}

unsigned rt_fault_mask(unsigned sites)
{
	unsigned saved = F.sites;

	F.sites &= ~sites;
	return saved;
}

void rt_fault_unmask(unsigned saved)
{
	F.sites = saved;
}

int rt_fault_hit(unsigned site, int space)
{
	if (!F.armed || !(F.sites & site))
		return 0;
	if (F.kind == RT_FAULT_ENOSPC && !space)
		return 0;
	F.counted++;
	if (F.nth && (F.counted == F.nth || (F.persistent && F.counted > F.nth))) {
		F.injected++;
		return 1;
	}
	return 0;
}

int rt_fault_errno(void)
{
	return F.kind == RT_FAULT_ENOSPC ? ENOSPC : EIO;
}

const char *rt_fault_sites_name(unsigned sites)
{
	switch (sites) {
	case RT_SITE_VFS: return "vfs";
	case RT_SITE_POSIX: return "posix";
	case RT_SITE_IO: return "vfs+posix";
	case RT_SITE_MALLOC: return "malloc";
	case RT_SITE_SODIUM: return "sodium_malloc";
	case RT_SITE_RUHU_ALLOC: return "ruhu";
	case RT_SITE_SQLITE: return "sqlite";
	case RT_SITE_GIT: return "libgit2";
	case RT_SITE_ALLOC: return "all allocators";
	default: return "mixed";
	}
}

/* ---- allocation wrappers (design notes 1 and 3) ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__real_sodium_malloc(size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
void *__wrap_sodium_malloc(size_t n);

#define FAIL_ALLOC(site) do { \
	if (rt_fault_hit((site), 0)) { \
		errno = ENOMEM; \
		return NULL; \
	} \
} while (0)

void *__wrap_malloc(size_t n)
{
	FAIL_ALLOC(RT_SITE_MALLOC);
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	FAIL_ALLOC(RT_SITE_MALLOC);
	return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	FAIL_ALLOC(RT_SITE_MALLOC);
	return __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	FAIL_ALLOC(RT_SITE_MALLOC);
	return __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	FAIL_ALLOC(RT_SITE_MALLOC);
	return __real_strndup(s, n);
}

void *__wrap_sodium_malloc(size_t n)
{
	FAIL_ALLOC(RT_SITE_SODIUM);
	return __real_sodium_malloc(n);
}

/* ---- SQLite's allocator ---- */

static sqlite3_mem_methods sqlite_orig;

static void *sq_malloc(int n)
{
	return rt_fault_hit(RT_SITE_SQLITE, 0) ? NULL : sqlite_orig.xMalloc(n);
}

static void sq_free(void *p)
{
	sqlite_orig.xFree(p);
}

static void *sq_realloc(void *p, int n)
{
	return rt_fault_hit(RT_SITE_SQLITE, 0) ? NULL : sqlite_orig.xRealloc(p, n);
}

static int sq_size(void *p)
{
	return sqlite_orig.xSize(p);
}

static int sq_roundup(int n)
{
	return sqlite_orig.xRoundup(n);
}

static int sq_init(void *app)
{
	return sqlite_orig.xInit(sqlite_orig.pAppData);
}

static void sq_shutdown(void *app)
{
	sqlite_orig.xShutdown(sqlite_orig.pAppData);
}

/* ---- libgit2's allocator ---- */

static void *g_malloc(size_t n, const char *file, int line)
{
	return rt_fault_hit(RT_SITE_GIT, 0) ? NULL : __real_malloc(n);
}

static void *g_calloc(size_t n, size_t size, const char *file, int line)
{
	return rt_fault_hit(RT_SITE_GIT, 0) ? NULL : __real_calloc(n, size);
}

static char *g_strdup(const char *s, const char *file, int line)
{
	return rt_fault_hit(RT_SITE_GIT, 0) ? NULL : __real_strdup(s);
}

static char *g_strndup(const char *s, size_t n, const char *file, int line)
{
	return rt_fault_hit(RT_SITE_GIT, 0) ? NULL : __real_strndup(s, n);
}

static char *g_substrdup(const char *s, size_t n, const char *file, int line)
{
	char *p;

	if (n == SIZE_MAX || rt_fault_hit(RT_SITE_GIT, 0) || (p = __real_malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void *g_realloc(void *p, size_t n, const char *file, int line)
{
	return rt_fault_hit(RT_SITE_GIT, 0) ? NULL : __real_realloc(p, n);
}

static void *g_reallocarray(void *p, size_t n, size_t size, const char *file, int line)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return g_realloc(p, n * size, file, line);
}

static void *g_mallocarray(size_t n, size_t size, const char *file, int line)
{
	return g_reallocarray(NULL, n, size, file, line);
}

static void g_free(void *p)
{
	free(p);
}

void rt_fault_setup(void)
{
	static int done;
	static sqlite3_mem_methods mine;
	static git_allocator galloc;

	if (done)
		return;
	ruhu_init();
	sqlite3_shutdown();
	sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_orig);
	mine.xMalloc = sq_malloc;
	mine.xFree = sq_free;
	mine.xRealloc = sq_realloc;
	mine.xSize = sq_size;
	mine.xRoundup = sq_roundup;
	mine.xInit = sq_init;
	mine.xShutdown = sq_shutdown;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mine) != SQLITE_OK)
		return;
	sqlite3_initialize();
	galloc.gmalloc = g_malloc;
	galloc.gcalloc = g_calloc;
	galloc.gstrdup = g_strdup;
	galloc.gstrndup = g_strndup;
	galloc.gsubstrdup = g_substrdup;
	galloc.grealloc = g_realloc;
	galloc.greallocarray = g_reallocarray;
	galloc.gmallocarray = g_mallocarray;
	galloc.gfree = g_free;
	git_libgit2_opts(GIT_OPT_SET_ALLOCATOR, &galloc);
	done = 1;
}

/* ---- file-system wrappers (design notes 1 and 2) ---- */

int __real_open(const char *path, int flags, ...);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_fsync(int fd);
int __real_fdatasync(int fd);
int __real_rename(const char *from, const char *to);
int __real_unlink(const char *path);
int __real_ftruncate(int fd, off_t size);
int __real_close(int fd);
int __wrap_open(const char *path, int flags, ...);
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __wrap_fsync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_rename(const char *from, const char *to);
int __wrap_unlink(const char *path);
int __wrap_ftruncate(int fd, off_t size);
int __wrap_close(int fd);

#define FAIL_IO(space) do { \
	if (rt_fault_hit(RT_SITE_POSIX, (space))) { \
		errno = rt_fault_errno(); \
		return -1; \
	} \
} while (0)

int __wrap_open(const char *path, int flags, ...)
{
	int mode = 0, fd;

	if (flags & O_CREAT) {
		va_list ap;

		va_start(ap, flags);
		mode = va_arg(ap, int);
		va_end(ap);
	}
	if (rt_fault_hit(RT_SITE_POSIX, (flags & O_CREAT) != 0 && access(path, F_OK) != 0)) {
		errno = rt_fault_errno();
		return -1;
	}
	if ((fd = __real_open(path, flags, mode)) >= 0)
		rt_disk_posix_open(fd, path, flags);
	return fd;
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	FAIL_IO(0);
	return __real_read(fd, buf, n);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	off_t at = lseek(fd, 0, SEEK_CUR);
	ssize_t w;

	FAIL_IO(1);
	if ((w = __real_write(fd, buf, n)) > 0 && at >= 0)
		rt_disk_posix_write(fd, at, buf, (size_t)w);
	return w;
}

int __wrap_fsync(int fd)
{
	int rc;

	FAIL_IO(0);
	/* crash_vfs.c, note 1 */
	if ((rc = rt_disk_active() || rt_fault_armed() ? 0 : __real_fsync(fd)) == 0)
		rt_disk_posix_sync(fd);
	return rc;
}

int __wrap_fdatasync(int fd)
{
	int rc;

	FAIL_IO(0);
	/* crash_vfs.c, note 1 */
	if ((rc = rt_disk_active() || rt_fault_armed() ? 0 : __real_fdatasync(fd)) == 0)
		rt_disk_posix_sync(fd);
	return rc;
}

int __wrap_rename(const char *from, const char *to)
{
	int rc;

	FAIL_IO(0);
	if ((rc = __real_rename(from, to)) == 0)
		rt_disk_posix_rename(from, to);
	return rc;
}

int __wrap_unlink(const char *path)
{
	int rc;

	FAIL_IO(0);
	if ((rc = __real_unlink(path)) == 0)
		rt_disk_posix_unlink(path);
	return rc;
}

int __wrap_ftruncate(int fd, off_t size)
{
	int rc;

	FAIL_IO(0);
	if ((rc = __real_ftruncate(fd, size)) == 0)
		rt_disk_posix_truncate(fd, size);
	return rc;
}

int __wrap_close(int fd)
{
	rt_disk_posix_close(fd);
	return __real_close(fd);
}
