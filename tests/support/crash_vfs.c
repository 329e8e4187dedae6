/*
 * crash_vfs.c — the "crash" SQLite VFS of crash_vfs.h: a pass-through to
 * SQLite's default VFS that fails calls on demand (fault.h, RT_SITE_VFS) and
 * tells the power-loss model (crash_model.c) what SQLite wrote, synced,
 * created and deleted.
 *
 * Design notes
 *  1. The VFS never syncs for real, and fault.c's fsync wrapper does not
 *     while the model is active or a fault is armed: the model alone decides
 *     what is durable, and real syncs only cost time (thousands per loop).
 *  2. Like SQLite's unix VFS, the first sync of a journal or WAL opened with
 *     SQLITE_OPEN_CREATE also syncs the folder; an unlink syncs the folder
 *     when asked to.
 *  3. mmap is not offered (xFetch hands out nothing): every read and write
 *     goes through the methods.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "support/crash_vfs.h"
#include "support/fault.h"

/* ---- the VFS ---- */

struct cfile {
	sqlite3_file base;
	sqlite3_file *real;      /* the default VFS's file, right after */
	const char *path;        /* as SQLite gave it (valid until close) */
	struct rt_inode *ino;
	unsigned session;        /* D.session when ino was looked up */
	int dirsync;             /* the first sync also syncs the folder */
};

#define REAL(f) (((struct cfile *)(f))->real)

static struct rt_inode *cfile_inode(struct cfile *f)
{
	if (!rt_disk_active())
		return NULL;
	if (f->session != rt_disk_session()) {
		f->ino = rt_disk_find(f->path);
		f->session = rt_disk_session();
	}
	return f->ino;
}

static int fail(unsigned space, int rc)
{
	if (!rt_fault_hit(RT_SITE_VFS, (int)space))
		return SQLITE_OK;
	errno = rt_fault_errno();
	return errno == ENOSPC && space ? SQLITE_FULL : rc;
}

static int c_close(sqlite3_file *file)
{
	return REAL(file)->pMethods->xClose(REAL(file));
}

static int c_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	int rc = fail(0, SQLITE_IOERR_READ);

	return rc ? rc : REAL(file)->pMethods->xRead(REAL(file), buf, amt, off);
}

static int c_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
	struct cfile *f = (struct cfile *)file;
	struct rt_inode *ino;
	int rc = fail(1, SQLITE_IOERR_WRITE);

	if (rc || (rc = f->real->pMethods->xWrite(f->real, buf, amt, off)) != SQLITE_OK)
		return rc;
	if ((ino = cfile_inode(f)) != NULL)
		rt_disk_write(ino, off, buf, (size_t)amt);
	return SQLITE_OK;
}

static int c_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct cfile *f = (struct cfile *)file;
	struct rt_inode *ino;
	int rc = fail(0, SQLITE_IOERR_TRUNCATE);

	if (rc || (rc = f->real->pMethods->xTruncate(f->real, size)) != SQLITE_OK)
		return rc;
	if ((ino = cfile_inode(f)) != NULL)
		rt_disk_truncate(ino, size);
	return SQLITE_OK;
}

static int c_sync(sqlite3_file *file, int flags)
{
	struct cfile *f = (struct cfile *)file;
	struct rt_inode *ino;
	int rc = fail(0, SQLITE_IOERR_FSYNC);

	/* notes 1 and 2: no real sync */
	if (rc)
		return rc;
	if ((ino = cfile_inode(f)) != NULL)
		rt_disk_sync(ino, f->dirsync);
	f->dirsync = 0;
	return SQLITE_OK;
}

static int c_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int rc = fail(0, SQLITE_IOERR_FSTAT);

	return rc ? rc : REAL(file)->pMethods->xFileSize(REAL(file), size);
}

static int c_lock(sqlite3_file *file, int level)
{
	return REAL(file)->pMethods->xLock(REAL(file), level);
}

static int c_unlock(sqlite3_file *file, int level)
{
	return REAL(file)->pMethods->xUnlock(REAL(file), level);
}

static int c_check_reserved(sqlite3_file *file, int *out)
{
	return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

static int c_file_control(sqlite3_file *file, int op, void *arg)
{
	return REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int c_sector_size(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int c_device_characteristics(sqlite3_file *file)
{
	return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

static int c_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
	return REAL(file)->pMethods->xShmMap(REAL(file), pg, pgsz, extend, pp);
}

static int c_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}

static void c_shm_barrier(sqlite3_file *file)
{
	REAL(file)->pMethods->xShmBarrier(REAL(file));
}

static int c_shm_unmap(sqlite3_file *file, int delete_flag)
{
	return REAL(file)->pMethods->xShmUnmap(REAL(file), delete_flag);
}

static int c_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
	*pp = NULL;
	return SQLITE_OK;
}

static int c_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	return SQLITE_OK;
}

static const sqlite3_io_methods c_methods = {
	3, c_close, c_read, c_write, c_truncate, c_sync, c_file_size, c_lock, c_unlock,
	c_check_reserved, c_file_control, c_sector_size, c_device_characteristics,
	c_shm_map, c_shm_lock, c_shm_barrier, c_shm_unmap, c_fetch, c_unfetch
};

static sqlite3_vfs crash_vfs;

#define BASE ((sqlite3_vfs *)crash_vfs.pAppData)

static int c_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
		  int *out_flags)
{
	struct cfile *f = (struct cfile *)file;
	struct rt_inode *ino;
	int existed = name && access(name, F_OK) == 0, rc;

	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)((char *)f + ((sizeof(*f) + 7) & ~(size_t)7));
	if ((rc = fail((flags & SQLITE_OPEN_CREATE) && !existed, SQLITE_CANTOPEN)) != SQLITE_OK)
		return rc;
	if ((rc = BASE->xOpen(BASE, name, f->real, flags, out_flags)) != SQLITE_OK) {
		if (f->real->pMethods)
			f->real->pMethods->xClose(f->real);
		return rc;
	}
	f->base.pMethods = &c_methods;
	f->path = name;
	f->session = rt_disk_session() - 1;
	f->dirsync = (flags & SQLITE_OPEN_CREATE) &&
		(flags & (SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_WAL | SQLITE_OPEN_SUPER_JOURNAL));
	if (!existed && name && rt_disk_active() && (ino = rt_disk_created(name)) != NULL) {
		f->ino = ino;
		f->session = rt_disk_session();
	}
	return SQLITE_OK;
}

static int c_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	int rc = fail(0, SQLITE_IOERR_DELETE);

	if (rc || (rc = BASE->xDelete(BASE, name, sync_dir)) != SQLITE_OK)
		return rc;
	rt_disk_deleted(name, sync_dir);
	return SQLITE_OK;
}

static int c_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	int rc = fail(0, SQLITE_IOERR_ACCESS);

	return rc ? rc : BASE->xAccess(BASE, name, flags, out);
}

static int c_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	return BASE->xFullPathname(BASE, name, n, out);
}

static void *c_dlopen(sqlite3_vfs *vfs, const char *name)
{
	return BASE->xDlOpen(BASE, name);
}

static void c_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	BASE->xDlError(BASE, n, msg);
}

static void (*c_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	return BASE->xDlSym(BASE, h, sym);
}

static void c_dlclose(sqlite3_vfs *vfs, void *h)
{
	BASE->xDlClose(BASE, h);
}

static int c_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	return BASE->xRandomness(BASE, n, out);
}

static int c_sleep(sqlite3_vfs *vfs, int us)
{
	return BASE->xSleep(BASE, us);
}

static int c_current_time(sqlite3_vfs *vfs, double *out)
{
	return BASE->xCurrentTime(BASE, out);
}

static int c_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	return errno;
}

static int c_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	return BASE->xCurrentTimeInt64(BASE, out);
}

void rt_crash_vfs_register(void)
{
	sqlite3_vfs *base;

	if (crash_vfs.zName)
		return;
	sqlite3_initialize();
	base = sqlite3_vfs_find(NULL);
	crash_vfs.iVersion = 2;
	crash_vfs.szOsFile = (int)((sizeof(struct cfile) + 7) & ~(size_t)7) + base->szOsFile;
	crash_vfs.mxPathname = base->mxPathname;
	crash_vfs.zName = RT_CRASH_VFS;
	crash_vfs.pAppData = base;
	crash_vfs.xOpen = c_open;
	crash_vfs.xDelete = c_delete;
	crash_vfs.xAccess = c_access;
	crash_vfs.xFullPathname = c_full_pathname;
	crash_vfs.xDlOpen = c_dlopen;
	crash_vfs.xDlError = c_dlerror;
	crash_vfs.xDlSym = c_dlsym;
	crash_vfs.xDlClose = c_dlclose;
	crash_vfs.xRandomness = c_randomness;
	crash_vfs.xSleep = c_sleep;
	crash_vfs.xCurrentTime = c_current_time;
	crash_vfs.xGetLastError = c_get_last_error;
	crash_vfs.xCurrentTimeInt64 = c_current_time64;
	sqlite3_vfs_register(&crash_vfs, 0);
}
