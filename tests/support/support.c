/*
 * support.c — helpers shared by ruhu's Check suites (see support.h).
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/support.h"

void rt_tmpdir(char *out, size_t outlen)
{
	const char *base = getenv("TMPDIR");
	int n;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	n = snprintf(out, outlen, "%s/ruhu-test-XXXXXX", base);
	ck_assert_msg(n > 0 && (size_t)n < outlen, "temporary path too long");
	ck_assert_msg(mkdtemp(out) != NULL, "cannot make a temporary folder under %s", base);
}

void rt_rmrf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char child[4096];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
			rt_rmrf(child);
		else
			unlink(child);
	}
	closedir(d);
	rmdir(path);
}

void rt_path(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	ck_assert_msg(n > 0 && (size_t)n < outlen, "path too long: %s/%s", dir, name);
}

unsigned char *rt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t size = 0, cap = 0, n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	for (;;) {
		if (cap - size < 65536) {
			cap = cap ? cap * 2 : 65536;
			data = realloc(data, cap + 1);
			ck_assert_msg(data != NULL, "out of memory reading %s", path);
		}
		n = fread(data + size, 1, cap - size, f);
		size += n;
		if (n == 0)
			break;
	}
	fclose(f);
	data[size] = 0;
	if (len)
		*len = size;
	return data;
}

void rt_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "cannot create %s", path);
	ck_assert_msg(fwrite(data, 1, len, f) == len, "cannot write %s", path);
	ck_assert_msg(fclose(f) == 0, "cannot close %s", path);
}

int rt_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

size_t rt_count_in_file(const char *path, const char *marker)
{
	size_t len, mlen = strlen(marker), count = 0;
	unsigned char *data;

	if (!rt_exists(path))
		return 0;
	data = rt_read_file(path, &len);
	for (size_t i = 0; mlen && i + mlen <= len; i++)
		if (data[i] == (unsigned char)marker[0] && !memcmp(data + i, marker, mlen))
			count++;
	free(data);
	return count;
}

size_t rt_count_in_tree(const char *dir, const char *marker)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char child[4096];
	size_t count = 0;

	if (d == NULL)
		return rt_count_in_file(dir, marker);
	while ((e = readdir(d)) != NULL) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", dir, e->d_name);
		if (lstat(child, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			count += rt_count_in_tree(child, marker);
		else if (S_ISREG(st.st_mode))
			count += rt_count_in_file(child, marker);
	}
	closedir(d);
	return count;
}

const char *rt_bin(void)
{
	const char *b = getenv("RUHU_BIN");

	ck_assert_msg(b != NULL, "RUHU_BIN is not set (run the tests through ctest)");
	return b;
}

int rt_sh(char **out, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	FILE *p;
	int n, status;
	size_t size = 0, cap = 0;
	char *data = NULL;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(n > 0 && (size_t)n < sizeof(cmd), "command too long");
	fflush(NULL);
	p = popen(cmd, "r");
	ck_assert_msg(p != NULL, "cannot run %s", cmd);
	for (;;) {
		size_t got;

		if (cap - size < 4096) {
			cap = cap ? cap * 2 : 8192;
			data = realloc(data, cap + 1);
			ck_assert(data != NULL);
		}
		got = fread(data + size, 1, cap - size, p);
		size += got;
		if (got == 0)
			break;
	}
	data[size] = 0;
	status = pclose(p);
	if (out)
		*out = data;
	else
		free(data);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}
