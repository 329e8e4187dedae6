/*
 * vfs.c — the encrypting SQLite VFS: registration over a named base VFS, key
 * slots, opening and closing files, and the methods that pass through.  The
 * page codec and the read/write patterns are in vfs_io.c.
 *
 * Design notes
 *  1. One shim per base VFS, registered on first use and kept for the life
 *     of the process (SQLite keeps pointers to registered VFSes).  The base is
 *     named, so that a power-loss or fault-injecting VFS can sit under it.
 *  2. A file's kind is fixed at open from SQLite's flags: a main database
 *     needs the URI parameter ruhu_slot naming a key slot, and is refused
 *     without one (fail closed: no database is ever opened in clear through
 *     this VFS); a WAL or rollback journal shares the key of its main database
 *     (sqlite3_database_file_object); a delete-on-close file (temp database,
 *     statement journal, sorter spill) gets the stream cipher; a super-journal
 *     holds only file names and passes through.  Anything else is refused.
 *  3. Keys: the data key is copied into sodium_malloc memory, one sub-key per
 *     file kind is derived with crypto_kdf (so a WAL frame cannot be passed
 *     off as a database page), and the memory is made read-only.  A key is
 *     reference-counted — its slot holds one reference, every open file one —
 *     so files may be closed after the slot is gone.  The registry is a list
 *     under a mutex; a key is zeroed and freed at its last release.
 *  4. mmap is refused: xFetch hands out nothing and SQLITE_FCNTL_MMAP_SIZE
 *     answers 0, since a mapped page would be ciphertext.
 *  5. The atomic-write, safe-append and batch-atomic device capabilities are
 *     masked, so that SQLite keeps the journal and WAL patterns vfs_io.c
 *     relies on.
 *  6. The last authentication failure is kept per thread (file and page) for
 *     the replica's error message.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/vfs.h"
#include "ruhu/common.h"

#define KDF_CONTEXT "ruhupage"
enum { SUB_DB = 1, SUB_WAL = 2, SUB_JOURNAL = 3, SUB_KCV = 4 };

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vfs_key *keys;
static unsigned long next_slot;
static unsigned char *stream_key;

static _Thread_local struct ruhu_vfs_failure last_failure;
static _Thread_local int have_failure;

/* ---- keys (note 3) ---- */

void ruhu_vfs_kcv(unsigned char out[RUHU_VFS_KCV_SIZE], const unsigned char *key)
{
	static const char msg[] = "ruhu replica key check";
	unsigned char sub[32], h[16];

	crypto_kdf_derive_from_key(sub, sizeof(sub), SUB_KCV, KDF_CONTEXT, key);
	crypto_generichash(h, sizeof(h), (const unsigned char *)msg, sizeof(msg) - 1, sub, sizeof(sub));
	memcpy(out, h, RUHU_VFS_KCV_SIZE);
	sodium_memzero(sub, sizeof(sub));
}

int ruhu_vfs_slot_add(char out_slot[RUHU_VFS_SLOT_MAX], const unsigned char *key)
{
	struct vfs_key *k = NULL;
	unsigned char *mem;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return ruhu_error_oom();
	if ((mem = sodium_malloc(3 * RUHU_VFS_KEY_SIZE)) == NULL) {
		free(k);
		return ruhu_error_oom();
	}
	crypto_kdf_derive_from_key(mem, RUHU_VFS_KEY_SIZE, SUB_DB, KDF_CONTEXT, key);
	crypto_kdf_derive_from_key(mem + 32, RUHU_VFS_KEY_SIZE, SUB_WAL, KDF_CONTEXT, key);
	crypto_kdf_derive_from_key(mem + 64, RUHU_VFS_KEY_SIZE, SUB_JOURNAL, KDF_CONTEXT, key);
	sodium_mprotect_readonly(mem);
	ruhu_vfs_kcv(k->kcv, key);
	k->mem = mem;
	k->db = mem;
	k->wal = mem + 32;
	k->journal = mem + 64;
	k->refs = 1;
	pthread_mutex_lock(&registry_lock);
	snprintf(k->slot, sizeof(k->slot), "k%lu", ++next_slot);
	k->next = keys;
	keys = k;
	pthread_mutex_unlock(&registry_lock);
	memcpy(out_slot, k->slot, sizeof(k->slot));
	return 0;
}

/* Drop one reference; the caller holds registry_lock. */
static void key_release_locked(struct vfs_key *k)
{
	if (--k->refs > 0)
		return;
	sodium_free(k->mem);
	sodium_memzero(k, sizeof(*k));
	free(k);
}

void ruhu_vfs_slot_remove(const char *slot)
{
	pthread_mutex_lock(&registry_lock);
	for (struct vfs_key **p = &keys; *p; p = &(*p)->next) {
		if (!strcmp((*p)->slot, slot)) {
			struct vfs_key *k = *p;

			*p = k->next;
			key_release_locked(k);
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
}

static struct vfs_key *key_find(const char *slot)
{
	struct vfs_key *k;

	pthread_mutex_lock(&registry_lock);
	for (k = keys; k; k = k->next)
		if (!strcmp(k->slot, slot))
			break;
	if (k)
		k->refs++;
	pthread_mutex_unlock(&registry_lock);
	return k;
}

static void key_hold(struct vfs_key *k)
{
	pthread_mutex_lock(&registry_lock);
	k->refs++;
	pthread_mutex_unlock(&registry_lock);
}

static void key_release(struct vfs_key *k)
{
	pthread_mutex_lock(&registry_lock);
	key_release_locked(k);
	pthread_mutex_unlock(&registry_lock);
}

const unsigned char *vfs_stream_key(void)
{
	return stream_key;
}

/* ---- failures (note 6) ---- */

void vfs_note_failure(const struct vfs_file *f, uint32_t pgno, uint32_t frame)
{
	snprintf(last_failure.file, sizeof(last_failure.file), "%s", f->name ? f->name : "?");
	last_failure.pgno = pgno;
	last_failure.frame = frame;
	have_failure = 1;
}

int ruhu_vfs_take_failure(struct ruhu_vfs_failure *out)
{
	if (!have_failure)
		return 0;
	*out = last_failure;
	have_failure = 0;
	return 1;
}

void ruhu_vfs_clear_failure(void)
{
	have_failure = 0;
}

/* ---- file methods ---- */

#define REAL(file) (((struct vfs_file *)(file))->real)

static int v_close(sqlite3_file *file)
{
	struct vfs_file *f = (struct vfs_file *)file;
	int rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;

	if (f->key)
		key_release(f->key);
	sqlite3_free(f->scratch);
	sodium_memzero(f->pool, sizeof(f->pool));
	f->key = NULL;
	f->scratch = NULL;
	return rc;
}

static int v_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	return vfs_io_read((struct vfs_file *)file, buf, amt, off);
}

static int v_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
	return vfs_io_write((struct vfs_file *)file, buf, amt, off);
}

static int v_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfs_file *f = (struct vfs_file *)file;

	f->wal_hdr_off = -1;
	f->jw_off = f->jr_off = -1;
	return f->real->pMethods->xTruncate(f->real, size);
}

static int v_sync(sqlite3_file *file, int flags)
{
	return REAL(file)->pMethods->xSync(REAL(file), flags);
}

static int v_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	return REAL(file)->pMethods->xFileSize(REAL(file), size);
}

static int v_lock(sqlite3_file *file, int level)
{
	return REAL(file)->pMethods->xLock(REAL(file), level);
}

static int v_unlock(sqlite3_file *file, int level)
{
	return REAL(file)->pMethods->xUnlock(REAL(file), level);
}

static int v_check_reserved(sqlite3_file *file, int *out)
{
	return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

static int v_file_control(sqlite3_file *file, int op, void *arg)
{
	if (op == SQLITE_FCNTL_MMAP_SIZE) {
		*(sqlite3_int64 *)arg = 0; /* note 4 */
		return SQLITE_OK;
	}
	return REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int v_sector_size(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int v_device_characteristics(sqlite3_file *file)
{
	int caps = REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));

	/* note 5 */
	return caps & ~(SQLITE_IOCAP_ATOMIC | SQLITE_IOCAP_ATOMIC512 | SQLITE_IOCAP_ATOMIC1K |
			SQLITE_IOCAP_ATOMIC2K | SQLITE_IOCAP_ATOMIC4K | SQLITE_IOCAP_ATOMIC8K |
			SQLITE_IOCAP_ATOMIC16K | SQLITE_IOCAP_ATOMIC32K | SQLITE_IOCAP_ATOMIC64K |
			SQLITE_IOCAP_SAFE_APPEND | SQLITE_IOCAP_BATCH_ATOMIC);
}

static int v_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
	sqlite3_file *r = REAL(file);

	if (r->pMethods->iVersion < 2)
		return SQLITE_IOERR_SHMMAP;
	return r->pMethods->xShmMap(r, pg, pgsz, extend, pp);
}

static int v_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}

static void v_shm_barrier(sqlite3_file *file)
{
	REAL(file)->pMethods->xShmBarrier(REAL(file));
}

static int v_shm_unmap(sqlite3_file *file, int delete_flag)
{
	sqlite3_file *r = REAL(file);

	if (r->pMethods->iVersion < 2)
		return SQLITE_OK;
	return r->pMethods->xShmUnmap(r, delete_flag);
}

static int v_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **pp)
{
	*pp = NULL; /* note 4 */
	return SQLITE_OK;
}

static int v_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	return SQLITE_OK;
}

static const sqlite3_io_methods io_methods = {
	3, v_close, v_read, v_write, v_truncate, v_sync, v_file_size, v_lock, v_unlock,
	v_check_reserved, v_file_control, v_sector_size, v_device_characteristics,
	v_shm_map, v_shm_lock, v_shm_barrier, v_shm_unmap, v_fetch, v_unfetch
};

/* ---- the VFS ---- */

struct shim {
	sqlite3_vfs vfs;
	sqlite3_vfs *base;
	char name[64];
	struct shim *next;
};

static struct shim *shims;

#define BASE(vfs) (((struct shim *)(vfs))->base)

/* Note 2: the key a file of this kind uses, with a reference taken. */
static int file_key(struct vfs_key **out, const char *name, int flags)
{
	const char *slot;
	sqlite3_file *main;

	*out = NULL;
	if (flags & SQLITE_OPEN_MAIN_DB) {
		if (name == NULL || (slot = sqlite3_uri_parameter(name, RUHU_VFS_SLOT_PARAM)) == NULL ||
		    (*out = key_find(slot)) == NULL)
			return SQLITE_CANTOPEN;
		return SQLITE_OK;
	}
	if (name == NULL || (main = sqlite3_database_file_object(name)) == NULL ||
	    main->pMethods != &io_methods || ((struct vfs_file *)main)->key == NULL)
		return SQLITE_CANTOPEN;
	*out = ((struct vfs_file *)main)->key;
	key_hold(*out);
	return SQLITE_OK;
}

static int v_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
		  int *out_flags)
{
	struct vfs_file *f = (struct vfs_file *)file;
	sqlite3_vfs *base = BASE(vfs);
	int rc;

	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)((char *)f + ((sizeof(*f) + 7) & ~(size_t)7));
	f->name = name;
	f->wal_hdr_off = f->jw_off = f->jr_off = -1;
	f->pool_used = sizeof(f->pool);
	if (flags & SQLITE_OPEN_DELETEONCLOSE) {
		f->kind = VFS_STREAM;
		randombytes_buf(f->stream_nonce, sizeof(f->stream_nonce));
	} else if (flags & SQLITE_OPEN_MAIN_DB) {
		f->kind = VFS_MAIN;
	} else if (flags & SQLITE_OPEN_WAL) {
		f->kind = VFS_WAL;
	} else if (flags & SQLITE_OPEN_MAIN_JOURNAL) {
		f->kind = VFS_JOURNAL;
	} else if (flags & SQLITE_OPEN_SUPER_JOURNAL) {
		f->kind = VFS_PLAIN;
	} else {
		return SQLITE_CANTOPEN;
	}
	if (f->kind == VFS_MAIN || f->kind == VFS_WAL || f->kind == VFS_JOURNAL) {
		if ((rc = file_key(&f->key, name, flags)) != SQLITE_OK)
			return rc;
	}
	rc = base->xOpen(base, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		if (f->real->pMethods)
			f->real->pMethods->xClose(f->real);
		if (f->key)
			key_release(f->key);
		f->key = NULL;
		return rc;
	}
	f->base.pMethods = &io_methods;
	return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	return BASE(vfs)->xDelete(BASE(vfs), name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	return BASE(vfs)->xAccess(BASE(vfs), name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	return BASE(vfs)->xFullPathname(BASE(vfs), name, n, out);
}

static void *v_dlopen(sqlite3_vfs *vfs, const char *name)
{
	return BASE(vfs)->xDlOpen(BASE(vfs), name);
}

static void v_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	BASE(vfs)->xDlError(BASE(vfs), n, msg);
}

static void (*v_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	return BASE(vfs)->xDlSym(BASE(vfs), h, sym);
}

static void v_dlclose(sqlite3_vfs *vfs, void *h)
{
	BASE(vfs)->xDlClose(BASE(vfs), h);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	return BASE(vfs)->xRandomness(BASE(vfs), n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	return BASE(vfs)->xSleep(BASE(vfs), us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
	return BASE(vfs)->xCurrentTime(BASE(vfs), out);
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	return BASE(vfs)->xGetLastError ? BASE(vfs)->xGetLastError(BASE(vfs), n, out) : 0;
}

static int v_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	return BASE(vfs)->xCurrentTimeInt64(BASE(vfs), out);
}

int ruhu_vfs_register(const char **out_name, const char *base_name)
{
	char name[64];
	sqlite3_vfs *base;
	struct shim *s;
	int error = 0, n;

	if ((base = sqlite3_vfs_find(base_name)) == NULL)
		return ruhu_error_set(RUHU_ERROR, "no sqlite vfs named '%s'", base_name ? base_name : "(default)");
	n = base_name ? snprintf(name, sizeof(name), "ruhu-%s", base_name)
		      : snprintf(name, sizeof(name), "ruhu");
	if (n < 0 || (size_t)n >= sizeof(name))
		return ruhu_error_set(RUHU_EINVALID, "sqlite vfs name '%s' is too long", base_name);
	pthread_mutex_lock(&registry_lock);
	for (s = shims; s; s = s->next)
		if (!strcmp(s->name, name))
			goto done;
	if (stream_key == NULL) {
		if ((stream_key = sodium_malloc(crypto_stream_xchacha20_KEYBYTES)) == NULL) {
			error = ruhu_error_oom();
			goto done;
		}
		crypto_stream_xchacha20_keygen(stream_key);
		sodium_mprotect_readonly(stream_key);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	memcpy(s->name, name, sizeof(name));
	s->base = base;
	s->vfs.iVersion = base->iVersion < 2 ? base->iVersion : 2;
	s->vfs.szOsFile = (int)((sizeof(struct vfs_file) + 7) & ~(size_t)7) + base->szOsFile;
	s->vfs.mxPathname = base->mxPathname;
	s->vfs.zName = s->name;
	s->vfs.pAppData = base;
	s->vfs.xOpen = v_open;
	s->vfs.xDelete = v_delete;
	s->vfs.xAccess = v_access;
	s->vfs.xFullPathname = v_full_pathname;
	s->vfs.xDlOpen = v_dlopen;
	s->vfs.xDlError = v_dlerror;
	s->vfs.xDlSym = v_dlsym;
	s->vfs.xDlClose = v_dlclose;
	s->vfs.xRandomness = v_randomness;
	s->vfs.xSleep = v_sleep;
	s->vfs.xCurrentTime = v_current_time;
	s->vfs.xGetLastError = v_get_last_error;
	s->vfs.xCurrentTimeInt64 = v_current_time64;
	if (sqlite3_vfs_register(&s->vfs, 0) != SQLITE_OK) {
		free(s);
		error = ruhu_error_set(RUHU_ERROR, "cannot register the sqlite vfs '%s'", name);
		goto done;
	}
	s->next = shims;
	shims = s;
done:
	pthread_mutex_unlock(&registry_lock);
	if (error == 0)
		*out_name = s->name;
	return error;
}

int ruhu_vfs_verify_pages(sqlite3 *db, int64_t *out_pages, int64_t *out_bad,
			  uint32_t *out_first_bad)
{
	sqlite3_file *file = NULL;
	struct vfs_file *f;
	unsigned char head[24];
	sqlite3_int64 size = 0;
	int64_t pages, bad = 0;
	uint32_t first_bad = 0, lock_page;
	int rc, psize;

	*out_pages = *out_bad = 0;
	*out_first_bad = 0;
	if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
	    file == NULL || file->pMethods != &io_methods)
		return ruhu_error_set(RUHU_EINVALID, "database is not opened through the ruhu vfs");
	f = (struct vfs_file *)file;
	if ((rc = f->real->pMethods->xFileSize(f->real, &size)) != SQLITE_OK)
		return ruhu_error_set(RUHU_ERROR, "cannot read the size of %s", f->name);
	if (size == 0)
		return 0;
	if ((rc = f->real->pMethods->xRead(f->real, head, sizeof(head), 0)) != SQLITE_OK)
		return ruhu_error_set(RUHU_ERROR, "cannot read page 1 of %s", f->name);
	psize = head[16] << 8 | head[17];
	if (psize == 1)
		psize = 65536;
	if (psize < 512 || psize > 65536 || (psize & (psize - 1)))
		return ruhu_error_set(RUHU_ECORRUPT, "%s page 1 has no valid page size", f->name);
	pages = (int64_t)(size / psize);
	lock_page = (uint32_t)(0x40000000 / psize) + 1;
	for (int64_t p = 1; p <= pages; p++) {
		if ((uint32_t)p == lock_page)
			continue;
		rc = vfs_io_verify_page(f, (uint32_t)p, psize);
		if (rc > 1)
			return ruhu_error_set(RUHU_ERROR, "cannot read page %lld of %s",
					      (long long)p, f->name);
		if (rc == 1 && bad++ == 0)
			first_bad = (uint32_t)p;
	}
	*out_pages = pages;
	*out_bad = bad;
	*out_first_bad = first_bad;
	return 0;
}
