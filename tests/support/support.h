/*
 * support.h — helpers shared by ruhu's Check suites: temporary folders, file
 * bytes, running the real `ruhu` binary.  Every helper fails the current test
 * (ck_abort_msg) instead of returning an error, so tests stay short.
 */
#ifndef RUHU_TEST_SUPPORT_H
#define RUHU_TEST_SUPPORT_H

#include <stddef.h>

#include <check.h>

#include "ruhu/ruhu.h"

/* Make a fresh folder under $TMPDIR (or /tmp); `out` gets its path. */
void rt_tmpdir(char *out, size_t outlen);
/* Remove a folder and everything below it. */
void rt_rmrf(const char *path);
/* Join folder and name into out (aborts when it does not fit). */
void rt_path(char *out, size_t outlen, const char *dir, const char *name);

/* Read a whole file (aborts when missing); *len gets its size.  free() it. */
unsigned char *rt_read_file(const char *path, size_t *len);
/* Write a whole file (aborts on failure). */
void rt_write_file(const char *path, const void *data, size_t len);
/* How many times `marker` appears in the file's bytes (0 if it is missing). */
size_t rt_count_in_file(const char *path, const char *marker);
/* How many times `marker` appears in the bytes of every file below `dir`. */
size_t rt_count_in_tree(const char *dir, const char *marker);
/* Does the file exist? */
int rt_exists(const char *path);

/* The `ruhu` binary under test ($RUHU_BIN). */
const char *rt_bin(void);
/* Run a shell command (formatted); return its exit code (-1 on a signal).
 * Its stdout goes into *out when out is not NULL (free() it). */
int rt_sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fail the test with the library's last error when `expr` is negative. */
#define rt_ok(expr) do { \
	int rt_rc_ = (expr); \
	ck_assert_msg(rt_rc_ >= 0, "%s failed (%d): %s", #expr, rt_rc_, ruhu_error_last()); \
} while (0)

#endif
