/*
 * crash_model_int.h — what crash_model.c and crash_model_apply.c share: the
 * power-loss model's state, its inodes and folder entries, and the steps
 * that replay pending operations (crash_model.c has the design notes).
 */
#ifndef RT_CRASH_MODEL_INT_H
#define RT_CRASH_MODEL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "support/crash_vfs.h"

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

/* The model's state (crash_model.c, note 1). */
struct rt_model {
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
};
extern struct rt_model rt_model;

/* Memory of the model (crash_model.c, note 4): never NULL; the process
 * ends when there is none. */
void *rt_model_alloc(size_t n);
/* Put `len` bytes at `off` into a byte buffer, growing it (gaps are zeros). */
void rt_model_put_bytes(unsigned char **bytes, size_t *blen, int64_t off, const void *data,
	size_t len);
/* Apply one pending write or truncate to a byte buffer. */
void rt_model_op_apply(unsigned char **bytes, size_t *blen, const struct op *op);
struct dent *rt_model_dir_find(struct dir *d, const char *name);
void rt_model_dir_copy(struct dir *to, const struct dir *from);
void rt_model_dir_apply(struct dir *d, const struct dirop *op);

/* The crash (crash_model_apply.c): rewrite the folder as the power loss
 * leaves it and end the process; never returns. */
void rt_model_crash(void);

#endif
