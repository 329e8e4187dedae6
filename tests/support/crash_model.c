/*
 * crash_model.c — the power-loss model of crash_vfs.h: what a replica
 * folder keeps when power is lost at a given event, and the crash itself.
 * The VFS in crash_vfs.c and fault.c's wrappers feed it.
 *
 * Design notes
 *  1. Model state: inodes (durable bytes + pending ops, oldest first), the
 *     folder's durable entries and current entries (name -> inode), and the
 *     pending folder operations since the folder's last sync.  Inodes are
 *     never freed before rt_disk_end, so an unlinked or replaced file can
 *     come back if the unlink or rename does not survive the crash.
 *  2. Files are found by name: a path is in the model when its folder is the
 *     modelled folder (same device and inode); the name is its last part.  A
 *     VFS file opened before rt_disk_begin finds its inode by name at its
 *     first event (a session number tells lookups of an earlier model);
 *     after that it keeps its inode through renames and unlinks, as a file
 *     descriptor does.
 *  3. Event order: the call is made on the real file system, the model
 *     records it as pending, then the event is counted; at the crash point
 *     the crash happens there.  A sync at the crash point is not made
 *     durable: the crash cut it short.
 *  4. The crash rewrites the folder from the model with the __real_ C
 *     library calls (fault.c's wrappers would feed the model again) and
 *     ends the process with _exit: no close, no checkpoint, no atexit.
 *  5. Memory of the model comes from __real_malloc (fault.c, note 3).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/crash_vfs.h"
#include "support/fault.h"

void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
int __real_open(const char *path, int flags, ...);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
int __real_unlink(const char *path);
int __real_close(int fd);

#define NAME_MAX_LEN 256
#define FD_SLOTS 1024

enum { OP_WRITE = 1, OP_TRUNC };
enum { DOP_CREATE = 1, DOP_UNLINK, DOP_RENAME };
enum { EV_WRITE = 1, EV_SYNC, EV_TRUNC, EV_CREATE, EV_UNLINK, EV_RENAME, EV_POINT };

struct op {
	int kind;
	int64_t off;            /* WRITE: offset; TRUNC: new size */
	size_t len;
	unsigned char *data;
	struct op *next;
};

struct rt_inode {
	unsigned char *bytes;   /* durable */
	size_t len;
	struct op *head, *tail; /* pending */
	struct rt_inode *next;     /* every inode, for rt_disk_end */
};

struct dent {
	char name[NAME_MAX_LEN];
	struct rt_inode *ino;
};

struct dir {
	struct dent *v;
	size_t n, cap;
};

struct dirop {
	int kind;
	char a[NAME_MAX_LEN], b[NAME_MAX_LEN];
	struct rt_inode *ino;      /* CREATE */
};

static struct {
	int active;
	char folder[4096];
	dev_t dev;
	ino_t ino;
	unsigned session;
	struct dir durable, current;
	struct dirop *ops;
	size_t nops, capops;
	struct rt_inode *inodes;
	uint64_t events, crash_at, seed, rng;
	int returned;
	struct rt_disk_report *rep, own;
	struct rt_inode *fd_ino[FD_SLOTS];
	unsigned char fd_dir[FD_SLOTS];
} D;

static void *xalloc(size_t n)
{
	void *p = __real_malloc(n ? n : 1);

	if (p == NULL)
		_exit(99); /* the harness cannot go on; the parent reports it */
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	if ((p = __real_realloc(p, n ? n : 1)) == NULL)
		_exit(99);
	return p;
}

/* ---- names (note 2) ---- */

/* 1 and the name when `path` is in the modelled folder, or is the folder
 * itself (name ""). */
static int model_name(const char *path, char name[NAME_MAX_LEN])
{
	char dir[4096];
	const char *slash;
	struct stat st;
	size_t n;

	if (!D.active || path == NULL)
		return 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		name[0] = '\0';
		return st.st_dev == D.dev && st.st_ino == D.ino;
	}
	if ((slash = strrchr(path, '/')) == NULL) {
		snprintf(dir, sizeof(dir), ".");
		slash = path - 1;
	} else {
		n = (size_t)(slash - path);
		if (n >= sizeof(dir))
			return 0;
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (n == 0)
			snprintf(dir, sizeof(dir), "/");
	}
	if (strlen(slash + 1) >= NAME_MAX_LEN || slash[1] == '\0')
		return 0;
	if (stat(dir, &st) != 0 || st.st_dev != D.dev || st.st_ino != D.ino)
		return 0;
	snprintf(name, NAME_MAX_LEN, "%s", slash + 1);
	return 1;
}

static struct dent *dir_find(struct dir *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].name, name))
			return &d->v[i];
	return NULL;
}

static void dir_set(struct dir *d, const char *name, struct rt_inode *ino)
{
	struct dent *e = dir_find(d, name);

	if (e == NULL) {
		if (d->n == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 16;
			d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
		}
		e = &d->v[d->n++];
		snprintf(e->name, sizeof(e->name), "%s", name);
	}
	e->ino = ino;
}

static void dir_remove(struct dir *d, const char *name)
{
	struct dent *e = dir_find(d, name);

	if (e)
		*e = d->v[--d->n];
}

static void dir_copy(struct dir *to, const struct dir *from)
{
	to->n = 0;
	for (size_t i = 0; i < from->n; i++)
		dir_set(to, from->v[i].name, from->v[i].ino);
}

static void dir_apply(struct dir *d, const struct dirop *op)
{
	struct dent *e;

	switch (op->kind) {
	case DOP_CREATE:
		dir_set(d, op->a, op->ino);
		break;
	case DOP_UNLINK:
		dir_remove(d, op->a);
		break;
	case DOP_RENAME:
		if ((e = dir_find(d, op->a)) != NULL) {
			struct rt_inode *ino = e->ino;

			dir_remove(d, op->a);
			dir_set(d, op->b, ino);
		}
		break;
	}
}

/* ---- inodes ---- */

static struct rt_inode *inode_new(const unsigned char *bytes, size_t len)
{
	struct rt_inode *ino = xalloc(sizeof(*ino));

	memset(ino, 0, sizeof(*ino));
	ino->bytes = xalloc(len);
	if (len)
		memcpy(ino->bytes, bytes, len);
	ino->len = len;
	ino->next = D.inodes;
	D.inodes = ino;
	return ino;
}

/* An inode holding what the file at `path` has now (durable by assumption). */
static struct rt_inode *inode_from_file(const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	struct rt_inode *ino;
	ssize_t n;
	int fd = __real_open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		for (;;) {
			if (cap - len < 65536)
				buf = xrealloc(buf, cap = cap ? cap * 2 : 65536);
			if ((n = __real_read(fd, buf + len, cap - len)) <= 0)
				break;
			len += (size_t)n;
		}
		__real_close(fd);
	}
	ino = inode_new(buf, len);
	free(buf);
	return ino;
}

static void inode_push(struct rt_inode *ino, int kind, int64_t off, const void *data, size_t len)
{
	struct op *op = xalloc(sizeof(*op));

	op->kind = kind;
	op->off = off;
	op->len = len;
	op->data = NULL;
	op->next = NULL;
	if (kind == OP_WRITE) {
		op->data = xalloc(len);
		memcpy(op->data, data, len);
	}
	if (ino->tail)
		ino->tail->next = op;
	else
		ino->head = op;
	ino->tail = op;
}

/* Put `len` bytes at `off` into a byte buffer, growing it (gaps are zeros). */
static void put_bytes(unsigned char **bytes, size_t *blen, int64_t off, const void *data, size_t len)
{
	size_t end = (size_t)off + len;

	if (end > *blen) {
		*bytes = xrealloc(*bytes, end);
		memset(*bytes + *blen, 0, end - *blen);
		*blen = end;
	}
	memcpy(*bytes + off, data, len);
}

static void op_apply(unsigned char **bytes, size_t *blen, const struct op *op)
{
	if (op->kind == OP_WRITE)
		put_bytes(bytes, blen, op->off, op->data, op->len);
	else if ((size_t)op->off < *blen)
		*blen = (size_t)op->off;
	else
		put_bytes(bytes, blen, op->off, "", 0);
}

static void inode_land(struct rt_inode *ino)
{
	struct op *op, *next;

	for (op = ino->head; op; op = next) {
		next = op->next;
		op_apply(&ino->bytes, &ino->len, op);
		free(op->data);
		free(op);
	}
	ino->head = ino->tail = NULL;
}

static struct rt_inode *lookup(const char *name, const char *path)
{
	struct dent *e = dir_find(&D.current, name);

	if (e)
		return e->ino;
	/* a file the model did not see being made: take it as durable */
	{
		struct rt_inode *ino = inode_from_file(path);

		dir_set(&D.current, name, ino);
		dir_set(&D.durable, name, ino);
		return ino;
	}
}

static void dirop_push(int kind, const char *a, const char *b, struct rt_inode *ino)
{
	struct dirop *op;

	if (D.nops == D.capops) {
		D.capops = D.capops ? D.capops * 2 : 16;
		D.ops = xrealloc(D.ops, D.capops * sizeof(*D.ops));
	}
	op = &D.ops[D.nops++];
	op->kind = kind;
	snprintf(op->a, sizeof(op->a), "%s", a);
	snprintf(op->b, sizeof(op->b), "%s", b ? b : "");
	op->ino = ino;
	dir_apply(&D.current, op);
}

static void dir_sync(void)
{
	dir_copy(&D.durable, &D.current);
	D.nops = 0;
}

/* ---- the crash (notes 3 and 4) ---- */

static uint64_t rng_next(void)
{
	/* xorshift64* */
	D.rng ^= D.rng >> 12;
	D.rng ^= D.rng << 25;
	D.rng ^= D.rng >> 27;
	return D.rng * UINT64_C(2685821657736338717);
}

static unsigned rng_below(unsigned n)
{
	return n ? (unsigned)(rng_next() % n) : 0;
}

/* The bytes of `ino` after the crash: durable, then each pending op's fate. */
static void crash_content(struct rt_inode *ino, unsigned char **out, size_t *outlen)
{
	unsigned char *bytes = xalloc(ino->len);
	size_t len = ino->len;

	memcpy(bytes, ino->bytes, len);
	for (struct op *op = ino->head; op; op = op->next) {
		unsigned fate = op->kind == OP_WRITE ? rng_below(4) : rng_below(2);

		D.rep->pending_writes++;
		if (fate == 0) {
			D.rep->landed++;
			op_apply(&bytes, &len, op);
			continue;
		}
		if (fate == 1) {
			D.rep->lost++;
			continue;
		}
		fate == 2 ? D.rep->torn++ : D.rep->garbled++;
		for (size_t at = 0; at < op->len;) {
			size_t n = RT_SECTOR - (size_t)((op->off + (int64_t)at) % RT_SECTOR);
			unsigned how = rng_below(fate == 2 ? 2 : 3);

			if (n > op->len - at)
				n = op->len - at;
			if (how == 0) {
				put_bytes(&bytes, &len, op->off + (int64_t)at, op->data + at, n);
			} else if (how == 2) {
				unsigned char junk[RT_SECTOR];

				for (size_t i = 0; i < n; i++)
					junk[i] = (unsigned char)rng_next();
				put_bytes(&bytes, &len, op->off + (int64_t)at, junk, n);
			}
			at += n;
		}
	}
	*out = bytes;
	*outlen = len;
}

static void crash(void)
{
	struct dir final = { NULL, 0, 0 };
	char path[4096 + NAME_MAX_LEN];
	size_t k;

	D.rng = (D.seed * UINT64_C(0x9E3779B97F4A7C15)) ^ (D.crash_at + 1) ^ UINT64_C(0x5DEECE66D);
	if (D.rng == 0)
		D.rng = 1;
	k = rng_below((unsigned)D.nops + 1);
	D.rep->pending_dirops = D.nops;
	D.rep->dirops_landed = k;
	dir_copy(&final, &D.durable);
	for (size_t i = 0; i < k; i++)
		dir_apply(&final, &D.ops[i]);
	/* names that are gone after the crash */
	for (int pass = 0; pass < 2; pass++) {
		const struct dir *d = pass ? &D.durable : &D.current;

		for (size_t i = 0; i < d->n; i++) {
			if (dir_find(&final, d->v[i].name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", D.folder, d->v[i].name);
			__real_unlink(path);
		}
	}
	for (size_t i = 0; i < final.n; i++) {
		unsigned char *bytes;
		size_t len, off = 0;
		int fd;

		crash_content(final.v[i].ino, &bytes, &len);
		snprintf(path, sizeof(path), "%s/%s", D.folder, final.v[i].name);
		fd = __real_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			_exit(98);
		while (off < len) {
			ssize_t w = __real_write(fd, bytes + off, len - off);

			if (w <= 0)
				_exit(98);
			off += (size_t)w;
		}
		__real_close(fd);
		free(bytes);
	}
	free(final.v);
	/* what the process held is abandoned on purpose; valgrind's leak
	 * check finds it still reachable (note 4) */
	_exit(RT_CRASH_EXIT + (D.returned ? 1 : 0));
}

/* Count an event; 1 when it is the crash point (the caller crashes after
 * recording what must not survive for sure). */
static int tick(int kind)
{
	uint64_t *c[] = { NULL, &D.rep->writes, &D.rep->syncs, &D.rep->truncates,
			  &D.rep->creates, &D.rep->unlinks, &D.rep->renames, &D.rep->points };

	D.events++;
	D.rep->events = D.events;
	(*c[kind])++;
	return D.crash_at && D.events == D.crash_at;
}

static void event(int kind)
{
	if (tick(kind))
		crash();
}

/* ---- the model's API ---- */

void rt_disk_begin(const char *folder, uint64_t crash_at, uint64_t seed,
		   struct rt_disk_report *report)
{
	DIR *d;
	struct dirent *e;
	struct stat st;

	rt_disk_end();
	memset(&D.own, 0, sizeof(D.own));
	D.rep = report ? report : &D.own;
	memset(D.rep, 0, sizeof(*D.rep));
	if (stat(folder, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	snprintf(D.folder, sizeof(D.folder), "%s", folder);
	D.dev = st.st_dev;
	D.ino = st.st_ino;
	D.crash_at = crash_at;
	D.seed = seed;
	D.events = 0;
	D.returned = 0;
	D.session++;
	D.active = 1;
	if ((d = opendir(folder)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[4096 + NAME_MAX_LEN];
		size_t n = strlen(e->d_name);

		snprintf(path, sizeof(path), "%s/%s", folder, e->d_name);
		if (n >= NAME_MAX_LEN || (n > 4 && !strcmp(e->d_name + n - 4, "-shm")) ||
		    stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		lookup(e->d_name, path);
	}
	closedir(d);
}

void rt_disk_end(void)
{
	struct rt_inode *ino, *next;

	for (ino = D.inodes; ino; ino = next) {
		next = ino->next;
		for (struct op *op = ino->head, *n; op; op = n) {
			n = op->next;
			free(op->data);
			free(op);
		}
		free(ino->bytes);
		free(ino);
	}
	free(D.durable.v);
	free(D.current.v);
	free(D.ops);
	D.inodes = NULL;
	memset(&D.durable, 0, sizeof(D.durable));
	memset(&D.current, 0, sizeof(D.current));
	D.ops = NULL;
	D.nops = D.capops = 0;
	memset(D.fd_ino, 0, sizeof(D.fd_ino));
	memset(D.fd_dir, 0, sizeof(D.fd_dir));
	D.active = 0;
	D.session++;
}

int rt_disk_active(void)
{
	return D.active;
}

uint64_t rt_disk_events(void)
{
	return D.events;
}

void rt_disk_set_returned(void)
{
	D.returned = 1;
	if (D.rep)
		D.rep->returned_at = D.events;
}

void rt_disk_point(void)
{
	if (D.active)
		event(EV_POINT);
}

/* ---- ruhu's own file-system calls (through fault.c's wrappers) ---- */

void rt_disk_posix_open(int fd, const char *path, int flags)
{
	char name[NAME_MAX_LEN];

	if (fd < 0 || fd >= FD_SLOTS || !model_name(path, name))
		return;
	D.fd_ino[fd] = NULL;
	D.fd_dir[fd] = name[0] == '\0';
	if (D.fd_dir[fd])
		return;
	if (dir_find(&D.current, name) == NULL && (flags & O_CREAT)) {
		struct rt_inode *ino = inode_new(NULL, 0);

		dirop_push(DOP_CREATE, name, NULL, ino);
		D.fd_ino[fd] = ino;
		event(EV_CREATE);
		return;
	}
	D.fd_ino[fd] = lookup(name, path);
	if (flags & O_TRUNC) {
		inode_push(D.fd_ino[fd], OP_TRUNC, 0, NULL, 0);
		event(EV_TRUNC);
	}
}

void rt_disk_posix_write(int fd, off_t at, const void *buf, size_t n)
{
	if (!D.active || fd < 0 || fd >= FD_SLOTS || D.fd_ino[fd] == NULL)
		return;
	inode_push(D.fd_ino[fd], OP_WRITE, at, buf, n);
	event(EV_WRITE);
}

void rt_disk_posix_sync(int fd)
{
	if (!D.active || fd < 0 || fd >= FD_SLOTS || (!D.fd_dir[fd] && D.fd_ino[fd] == NULL))
		return;
	if (tick(EV_SYNC))
		crash();
	if (D.fd_dir[fd])
		dir_sync();
	else
		inode_land(D.fd_ino[fd]);
}

void rt_disk_posix_rename(const char *from, const char *to)
{
	char a[NAME_MAX_LEN], b[NAME_MAX_LEN];
	int in_a, in_b;

	if (!D.active)
		return;
	in_a = model_name(from, a) && a[0];
	in_b = model_name(to, b) && b[0];
	if (in_a && in_b) {
		if (dir_find(&D.current, a) == NULL)
			lookup(a, to);
		dirop_push(DOP_RENAME, a, b, NULL);
	} else if (in_b) {
		dirop_push(DOP_CREATE, b, NULL, inode_from_file(to));
	} else if (in_a) {
		dirop_push(DOP_UNLINK, a, NULL, NULL);
	} else {
		return;
	}
	event(EV_RENAME);
}

void rt_disk_posix_unlink(const char *path)
{
	char name[NAME_MAX_LEN];

	if (!model_name(path, name) || name[0] == '\0')
		return;
	dirop_push(DOP_UNLINK, name, NULL, NULL);
	event(EV_UNLINK);
}

void rt_disk_posix_truncate(int fd, off_t size)
{
	if (!D.active || fd < 0 || fd >= FD_SLOTS || D.fd_ino[fd] == NULL)
		return;
	inode_push(D.fd_ino[fd], OP_TRUNC, size, NULL, 0);
	event(EV_TRUNC);
}

void rt_disk_posix_close(int fd)
{
	if (fd >= 0 && fd < FD_SLOTS) {
		D.fd_ino[fd] = NULL;
		D.fd_dir[fd] = 0;
	}
}

/* ---- for the VFS (crash_vfs.c) ---- */

unsigned rt_disk_session(void)
{
	return D.session;
}

struct rt_inode *rt_disk_find(const char *path)
{
	char name[NAME_MAX_LEN];

	return model_name(path, name) && name[0] ? lookup(name, path) : NULL;
}

struct rt_inode *rt_disk_created(const char *path)
{
	char name[NAME_MAX_LEN];
	struct rt_inode *ino;

	if (!model_name(path, name) || !name[0] || dir_find(&D.current, name) != NULL)
		return NULL;
	ino = inode_new(NULL, 0);
	dirop_push(DOP_CREATE, name, NULL, ino);
	event(EV_CREATE);
	return ino;
}

void rt_disk_write(struct rt_inode *ino, int64_t off, const void *buf, size_t n)
{
	inode_push(ino, OP_WRITE, off, buf, n);
	event(EV_WRITE);
}

void rt_disk_truncate(struct rt_inode *ino, int64_t size)
{
	inode_push(ino, OP_TRUNC, size, NULL, 0);
	event(EV_TRUNC);
}

void rt_disk_sync(struct rt_inode *ino, int dirsync)
{
	if (tick(EV_SYNC))
		crash();
	inode_land(ino);
	if (dirsync)
		dir_sync();
}

void rt_disk_deleted(const char *path, int syncdir)
{
	char name[NAME_MAX_LEN];

	if (!model_name(path, name) || !name[0])
		return;
	dirop_push(DOP_UNLINK, name, NULL, NULL);
	event(EV_UNLINK);
	if (syncdir)
		dir_sync();
}
