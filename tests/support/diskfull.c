/*
 * diskfull.c — a real small file system for the disk-full tests
 * (harness.h): a private tmpfs, and a file that fills it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "support/harness.h"

int rt_private_tmpfs(const char *dir, const char *size, char *why, size_t whylen)
{
	char opts[64];

	if (unshare(CLONE_NEWNS) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		snprintf(why, whylen, "no mount namespace: %s", strerror(errno));
		return -1;
	}
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(why, whylen, "cannot make mounts private: %s", strerror(errno));
		return -1;
	}
	snprintf(opts, sizeof(opts), "size=%s,mode=0700", size);
	if (mount("tmpfs", dir, "tmpfs", 0, opts) < 0) {
		snprintf(why, whylen, "cannot mount a tmpfs: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void rt_fill_disk(const char *path)
{
	static char block[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t w;

	ck_assert_int_ge(fd, 0);
	while ((w = write(fd, block, sizeof(block))) > 0)
		;
	while ((w = write(fd, block, 1)) > 0)
		;
	ck_assert_int_eq(errno, ENOSPC);
	close(fd);
}
