/*
 * crash_model.c — the power-loss model of crash_vfs.h: what a replica
 * folder keeps when power is lost at a given event.  The VFS in crash_vfs.c
 * and fault.c's wrappers feed it; the crash itself is in
 * crash_model_apply.c.
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
 *  4. Memory of the model comes from __real_malloc (fault.c, note 3).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/crash_model_int.h"
#include "support/fault.h"

/* The model (note 1). */
struct rt_model rt_model;

void *rt_model_alloc(size_t n)
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

	if (!rt_model.active || path == NULL)
		return 0;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		name[0] = '\0';
		return st.st_dev == rt_model.dev && st.st_ino == rt_model.ino;
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
	if (stat(dir, &st) != 0 || st.st_dev != rt_model.dev || st.st_ino != rt_model.ino)
		return 0;
	snprintf(name, NAME_MAX_LEN, "%s", slash + 1);
	return 1;
}

struct dent *rt_model_dir_find(struct dir *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].name, name))
			return &d->v[i];
	return NULL;
}

static void dir_set(struct dir *d, const char *name, struct rt_inode *ino)
{
	struct dent *e = rt_model_dir_find(d, name);

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
	struct dent *e = rt_model_dir_find(d, name);

	if (e)
		*e = d->v[--d->n];
}

void rt_model_dir_copy(struct dir *to, const struct dir *from)
{
	to->n = 0;
	for (size_t i = 0; i < from->n; i++)
		dir_set(to, from->v[i].name, from->v[i].ino);
}

void rt_model_dir_apply(struct dir *d, const struct dirop *op)
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
		if ((e = rt_model_dir_find(d, op->a)) != NULL) {
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
	struct rt_inode *ino = rt_model_alloc(sizeof(*ino));

	memset(ino, 0, sizeof(*ino));
	ino->bytes = rt_model_alloc(len);
	if (len)
		memcpy(ino->bytes, bytes, len);
	ino->len = len;
	ino->next = rt_model.inodes;
	rt_model.inodes = ino;
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
	struct op *op = rt_model_alloc(sizeof(*op));

	op->kind = kind;
	op->off = off;
	op->len = len;
	op->data = NULL;
	op->next = NULL;
	if (kind == OP_WRITE) {
		op->data = rt_model_alloc(len);
		memcpy(op->data, data, len);
	}
	if (ino->tail)
		ino->tail->next = op;
	else
		ino->head = op;
	ino->tail = op;
}

/* Put `len` bytes at `off` into a byte buffer, growing it (gaps are zeros). */
void rt_model_put_bytes(unsigned char **bytes, size_t *blen, int64_t off, const void *data,
	size_t len)
{
	size_t end = (size_t)off + len;

	if (end > *blen) {
		*bytes = xrealloc(*bytes, end);
		memset(*bytes + *blen, 0, end - *blen);
		*blen = end;
	}
	memcpy(*bytes + off, data, len);
}

void rt_model_op_apply(unsigned char **bytes, size_t *blen, const struct op *op)
{
	if (op->kind == OP_WRITE)
		rt_model_put_bytes(bytes, blen, op->off, op->data, op->len);
	else if ((size_t)op->off < *blen)
		*blen = (size_t)op->off;
	else
		rt_model_put_bytes(bytes, blen, op->off, "", 0);
}

static void inode_land(struct rt_inode *ino)
{
	struct op *op, *next;

	for (op = ino->head; op; op = next) {
		next = op->next;
		rt_model_op_apply(&ino->bytes, &ino->len, op);
		free(op->data);
		free(op);
	}
	ino->head = ino->tail = NULL;
}

static struct rt_inode *lookup(const char *name, const char *path)
{
	struct dent *e = rt_model_dir_find(&rt_model.current, name);

	if (e)
		return e->ino;
	/* a file the model did not see being made: take it as durable */
	{
		struct rt_inode *ino = inode_from_file(path);

		dir_set(&rt_model.current, name, ino);
		dir_set(&rt_model.durable, name, ino);
		return ino;
	}
}

static void dirop_push(int kind, const char *a, const char *b, struct rt_inode *ino)
{
	struct dirop *op;

	if (rt_model.nops == rt_model.capops) {
		rt_model.capops = rt_model.capops ? rt_model.capops * 2 : 16;
		rt_model.ops = xrealloc(rt_model.ops, rt_model.capops * sizeof(*rt_model.ops));
	}
	op = &rt_model.ops[rt_model.nops++];
	op->kind = kind;
	snprintf(op->a, sizeof(op->a), "%s", a);
	snprintf(op->b, sizeof(op->b), "%s", b ? b : "");
	op->ino = ino;
	rt_model_dir_apply(&rt_model.current, op);
}

static void dir_sync(void)
{
	rt_model_dir_copy(&rt_model.durable, &rt_model.current);
	rt_model.nops = 0;
}


/* ---- events (note 3) ---- */

/* Count an event; 1 when it is the crash point (the caller crashes after
 * recording what must not survive for sure). */
static int tick(int kind)
{
	uint64_t *c[] = { NULL, &rt_model.rep->writes, &rt_model.rep->syncs,
			  &rt_model.rep->truncates, &rt_model.rep->creates, &rt_model.rep->unlinks,
			  &rt_model.rep->renames, &rt_model.rep->points };

	rt_model.events++;
	rt_model.rep->events = rt_model.events;
	(*c[kind])++;
	return rt_model.crash_at && rt_model.events == rt_model.crash_at;
}

static void event(int kind)
{
	if (tick(kind))
		rt_model_crash();
}

/* ---- the model's API ---- */

void rt_disk_begin(const char *folder, uint64_t crash_at, uint64_t seed,
		   struct rt_disk_report *report)
{
	DIR *d;
	struct dirent *e;
	struct stat st;

	rt_disk_end();
	memset(&rt_model.own, 0, sizeof(rt_model.own));
	rt_model.rep = report ? report : &rt_model.own;
	memset(rt_model.rep, 0, sizeof(*rt_model.rep));
	if (stat(folder, &st) != 0 || !S_ISDIR(st.st_mode))
		return;
	snprintf(rt_model.folder, sizeof(rt_model.folder), "%s", folder);
	rt_model.dev = st.st_dev;
	rt_model.ino = st.st_ino;
	rt_model.crash_at = crash_at;
	rt_model.seed = seed;
	rt_model.events = 0;
	rt_model.returned = 0;
	rt_model.session++;
	rt_model.active = 1;
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

	for (ino = rt_model.inodes; ino; ino = next) {
		next = ino->next;
		for (struct op *op = ino->head, *n; op; op = n) {
			n = op->next;
			free(op->data);
			free(op);
		}
		free(ino->bytes);
		free(ino);
	}
	free(rt_model.durable.v);
	free(rt_model.current.v);
	free(rt_model.ops);
	rt_model.inodes = NULL;
	memset(&rt_model.durable, 0, sizeof(rt_model.durable));
	memset(&rt_model.current, 0, sizeof(rt_model.current));
	rt_model.ops = NULL;
	rt_model.nops = rt_model.capops = 0;
	memset(rt_model.fd_ino, 0, sizeof(rt_model.fd_ino));
	memset(rt_model.fd_dir, 0, sizeof(rt_model.fd_dir));
	rt_model.active = 0;
	rt_model.session++;
}

int rt_disk_active(void)
{
	return rt_model.active;
}

uint64_t rt_disk_events(void)
{
	return rt_model.events;
}

void rt_disk_set_returned(void)
{
	rt_model.returned = 1;
	if (rt_model.rep)
		rt_model.rep->returned_at = rt_model.events;
}

void rt_disk_point(void)
{
	if (rt_model.active)
		event(EV_POINT);
}

/* ---- ruhu's own file-system calls (through fault.c's wrappers) ---- */

void rt_disk_posix_open(int fd, const char *path, int flags)
{
	char name[NAME_MAX_LEN];

	if (fd < 0 || fd >= FD_SLOTS || !model_name(path, name))
		return;
	rt_model.fd_ino[fd] = NULL;
	rt_model.fd_dir[fd] = name[0] == '\0';
	if (rt_model.fd_dir[fd])
		return;
	if (rt_model_dir_find(&rt_model.current, name) == NULL && (flags & O_CREAT)) {
		struct rt_inode *ino = inode_new(NULL, 0);

		dirop_push(DOP_CREATE, name, NULL, ino);
		rt_model.fd_ino[fd] = ino;
		event(EV_CREATE);
		return;
	}
	rt_model.fd_ino[fd] = lookup(name, path);
	if (flags & O_TRUNC) {
		inode_push(rt_model.fd_ino[fd], OP_TRUNC, 0, NULL, 0);
		event(EV_TRUNC);
	}
}

void rt_disk_posix_write(int fd, off_t at, const void *buf, size_t n)
{
	if (!rt_model.active || fd < 0 || fd >= FD_SLOTS || rt_model.fd_ino[fd] == NULL)
		return;
	inode_push(rt_model.fd_ino[fd], OP_WRITE, at, buf, n);
	event(EV_WRITE);
}

void rt_disk_posix_sync(int fd)
{
	if (!rt_model.active || fd < 0 || fd >= FD_SLOTS ||
	    (!rt_model.fd_dir[fd] && rt_model.fd_ino[fd] == NULL))
		return;
	if (tick(EV_SYNC))
		rt_model_crash();
	if (rt_model.fd_dir[fd])
		dir_sync();
	else
		inode_land(rt_model.fd_ino[fd]);
}

void rt_disk_posix_rename(const char *from, const char *to)
{
	char a[NAME_MAX_LEN], b[NAME_MAX_LEN];
	int in_a, in_b;

	if (!rt_model.active)
		return;
	in_a = model_name(from, a) && a[0];
	in_b = model_name(to, b) && b[0];
	if (in_a && in_b) {
		if (rt_model_dir_find(&rt_model.current, a) == NULL)
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
	if (!rt_model.active || fd < 0 || fd >= FD_SLOTS || rt_model.fd_ino[fd] == NULL)
		return;
	inode_push(rt_model.fd_ino[fd], OP_TRUNC, size, NULL, 0);
	event(EV_TRUNC);
}

void rt_disk_posix_close(int fd)
{
	if (fd >= 0 && fd < FD_SLOTS) {
		rt_model.fd_ino[fd] = NULL;
		rt_model.fd_dir[fd] = 0;
	}
}

/* ---- for the VFS (crash_vfs.c) ---- */

unsigned rt_disk_session(void)
{
	return rt_model.session;
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

	if (!model_name(path, name) || !name[0] || rt_model_dir_find(&rt_model.current, name) != NULL)
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
		rt_model_crash();
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

