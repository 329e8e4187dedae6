/*
 * crash_model_apply.c — the crash of the power-loss model (crash_model.c):
 * the modelled folder rewritten as a power loss at the crash point leaves
 * it, each pending write landed, lost, torn or garbled by the seeded random
 * draw, and the process ended.
 *
 * Design notes
 *  1. The crash rewrites the folder from the model with the __real_ C
 *     library calls (fault.c's wrappers would feed the model again) and
 *     ends the process with _exit: no close, no checkpoint, no atexit.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/crash_model_int.h"

static uint64_t rng_next(void)
{
	/* xorshift64* */
	rt_model.rng ^= rt_model.rng >> 12;
	rt_model.rng ^= rt_model.rng << 25;
	rt_model.rng ^= rt_model.rng >> 27;
	return rt_model.rng * UINT64_C(2685821657736338717);
}

static unsigned rng_below(unsigned n)
{
	return n ? (unsigned)(rng_next() % n) : 0;
}

/* The bytes of `ino` after the crash: durable, then each pending op's fate. */
static void crash_content(struct rt_inode *ino, unsigned char **out, size_t *outlen)
{
	unsigned char *bytes = rt_model_alloc(ino->len);
	size_t len = ino->len;

	memcpy(bytes, ino->bytes, len);
	for (struct op *op = ino->head; op; op = op->next) {
		unsigned fate = op->kind == OP_WRITE ? rng_below(4) : rng_below(2);

		rt_model.rep->pending_writes++;
		if (fate == 0) {
			rt_model.rep->landed++;
			rt_model_op_apply(&bytes, &len, op);
			continue;
		}
		if (fate == 1) {
			rt_model.rep->lost++;
			continue;
		}
		fate == 2 ? rt_model.rep->torn++ : rt_model.rep->garbled++;
		for (size_t at = 0; at < op->len;) {
			size_t n = RT_SECTOR - (size_t)((op->off + (int64_t)at) % RT_SECTOR);
			unsigned how = rng_below(fate == 2 ? 2 : 3);

			if (n > op->len - at)
				n = op->len - at;
			if (how == 0) {
				rt_model_put_bytes(&bytes, &len, op->off + (int64_t)at, op->data + at, n);
			} else if (how == 2) {
				unsigned char junk[RT_SECTOR];

				for (size_t i = 0; i < n; i++)
					junk[i] = (unsigned char)rng_next();
				rt_model_put_bytes(&bytes, &len, op->off + (int64_t)at, junk, n);
			}
			at += n;
		}
	}
	*out = bytes;
	*outlen = len;
}

void rt_model_crash(void)
{
	struct dir final = { NULL, 0, 0 };
	char path[4096 + NAME_MAX_LEN];
	size_t k;

	rt_model.rng = (rt_model.seed * UINT64_C(0x9E3779B97F4A7C15)) ^ (rt_model.crash_at + 1) ^
		       UINT64_C(0x5DEECE66D);
	if (rt_model.rng == 0)
		rt_model.rng = 1;
	k = rng_below((unsigned)rt_model.nops + 1);
	rt_model.rep->pending_dirops = rt_model.nops;
	rt_model.rep->dirops_landed = k;
	rt_model_dir_copy(&final, &rt_model.durable);
	for (size_t i = 0; i < k; i++)
		rt_model_dir_apply(&final, &rt_model.ops[i]);
	/* names that are gone after the crash */
	for (int pass = 0; pass < 2; pass++) {
		const struct dir *d = pass ? &rt_model.durable : &rt_model.current;

		for (size_t i = 0; i < d->n; i++) {
			if (rt_model_dir_find(&final, d->v[i].name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", rt_model.folder, d->v[i].name);
			__real_unlink(path);
		}
	}
	for (size_t i = 0; i < final.n; i++) {
		unsigned char *bytes;
		size_t len, off = 0;
		int fd;

		crash_content(final.v[i].ino, &bytes, &len);
		snprintf(path, sizeof(path), "%s/%s", rt_model.folder, final.v[i].name);
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
	 * check finds it still reachable (note 1) */
	_exit(RT_CRASH_EXIT + (rt_model.returned ? 1 : 0));
}
