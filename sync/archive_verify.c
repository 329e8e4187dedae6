/*
 * archive_verify.c — `ruhu archive verify`: an archive package checked
 * against its fixity manifest (see ruhu/audit.h and archive.h).
 *
 * Design notes
 *  1. The manifest is untrusted input: each line is 64 hex digits, two
 *     spaces (or a space and `*`, sha256sum's binary mark), and a relative
 *     path without empty, `.` or `..` parts, control characters or a
 *     leading `\` (sha256sum's escape mark, which ruhu never writes); a path
 *     listed twice is refused.  At most MAX_LINES lines.
 *
 *       Manifest line (sha256sum's text format; frozen):
 *       OFFSET  SIZE  DESCRIPTION
 *       0       64    SHA-256 of the file, lowercase hex (uppercase accepted)
 *       64      2     "  " (two spaces), or " *" (sha256sum's binary mark)
 *       66      n     the path, relative to the package folder, '/'-separated
 *       66+n    1     line feed
 *
 *  2. Checks, in order, stopping at the first problem (RUHU_ECORRUPT naming
 *     the file): every listed file is a regular file (symbolic links are
 *     not followed) whose SHA-256 is the listed one; no other file is in the
 *     folder; catalogue.csv is listed and every file its records name is
 *     listed; with a replica, an archive event on its main names the
 *     manifest's SHA-256.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/commit.h"
#include "core/refs.h"
#include "sync/archive.h"
#include "sync/sync_int.h"

#define MAX_LINES 1000000
#define MAX_MANIFEST ((size_t)256 << 20)

struct entry {
	char *path;
	char sha[65];
	int seen;
};

struct listing {
	struct entry *v;
	size_t n;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

static struct entry *find(struct listing *l, const char *path)
{
	struct entry key;

	key.path = (char *)path;
	return bsearch(&key, l->v, l->n, sizeof(*l->v), entry_cmp);
}

static int bad_path(const char *p, size_t n)
{
	if (n == 0 || p[0] == '/' || p[0] == '\\')
		return 1;
	for (size_t i = 0, start = 0; i <= n; i++) {
		if (i < n && ((unsigned char)p[i] < 0x20 || p[i] == 0x7f))
			return 1;
		if (i == n || p[i] == '/') {
			size_t len = i - start;

			if (len == 0 || (len == 1 && p[start] == '.') ||
			    (len == 2 && p[start] == '.' && p[start + 1] == '.'))
				return 1;
			start = i + 1;
		}
	}
	return 0;
}

static int parse_manifest(struct listing *l, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t line = 0;

	memset(l, 0, sizeof(*l));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct entry *e;

		if (++line > MAX_LINES)
			return ruhu_error_set(RUHU_ECORRUPT, "%s has too many lines", ARCHIVE_MANIFEST);
		if (nl == NULL)
			return ruhu_error_set(RUHU_ECORRUPT, "line %zu of %s does not end with a line feed", line,
					      ARCHIVE_MANIFEST);
		if (n < 67 || p[64] != ' ' || (p[65] != ' ' && p[65] != '*'))
			return ruhu_error_set(RUHU_ECORRUPT, "line %zu of %s is not `SHA256  PATH`", line,
					      ARCHIVE_MANIFEST);
		for (int i = 0; i < 64; i++)
			if (!strchr("0123456789abcdefABCDEF", p[i]) || p[i] == '\0')
				return ruhu_error_set(RUHU_ECORRUPT, "line %zu of %s has no SHA-256 (64 hex digits)",
						      line, ARCHIVE_MANIFEST);
		if (bad_path(p + 66, n - 66))
			return ruhu_error_set(RUHU_ECORRUPT, "line %zu of %s names a path outside the package or "
					      "one ruhu never writes", line, ARCHIVE_MANIFEST);
		if ((e = realloc(l->v, (l->n + 1) * sizeof(*e))) == NULL)
			return ruhu_error_oom();
		l->v = e;
		e = &l->v[l->n];
		memset(e, 0, sizeof(*e));
		for (int i = 0; i < 64; i++)
			e->sha[i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 'a' : p[i]);
		if ((e->path = strndup(p + 66, n - 66)) == NULL)
			return ruhu_error_oom();
		l->n++;
		p = nl + 1;
	}
	qsort(l->v, l->n, sizeof(*l->v), entry_cmp);
	for (size_t i = 1; i < l->n; i++)
		if (!strcmp(l->v[i - 1].path, l->v[i].path))
			return ruhu_error_set(RUHU_ECORRUPT, "%s lists %s twice", ARCHIVE_MANIFEST, l->v[i].path);
	return 0;
}

/* Every file below `rel` must be listed (design note 2). */
static int walk(struct listing *l, const char *dir, const char *rel, int depth)
{
	ruhu_buf path = RUHU_BUF_INIT, sub = RUHU_BUF_INIT;
	DIR *d = NULL;
	struct dirent *e;
	int error = 0;

	if (depth > 32)
		return ruhu_error_set(RUHU_ECORRUPT, "the package's folders nest too deep at %s", rel);
	if ((error = ruhu_buf_printf(&path, "%s%s%s", dir, rel[0] ? "/" : "", rel)) < 0)
		return error;
	if ((d = opendir(path.ptr)) == NULL) {
		error = ruhu_error_set(RUHU_ERROR, "cannot read %s", path.ptr);
		goto done;
	}
	while (error == 0 && (e = readdir(d)) != NULL) {
		struct stat st;
		struct entry *found;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		ruhu_buf_clear(&sub);
		if ((error = ruhu_buf_printf(&sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name)) < 0)
			break;
		ruhu_buf_clear(&path);
		if ((error = ruhu_buf_printf(&path, "%s/%s", dir, sub.ptr)) < 0)
			break;
		if (lstat(path.ptr, &st) < 0) {
			error = ruhu_error_set(RUHU_ERROR, "cannot read %s", path.ptr);
		} else if (S_ISDIR(st.st_mode)) {
			error = walk(l, dir, sub.ptr, depth + 1);
		} else if (!S_ISREG(st.st_mode)) {
			error = ruhu_error_set(RUHU_ECORRUPT, "%s in the package is not a regular file", sub.ptr);
		} else if (strcmp(sub.ptr, ARCHIVE_MANIFEST) && ((found = find(l, sub.ptr)) == NULL)) {
			error = ruhu_error_set(RUHU_ECORRUPT, "file %s is not listed in the manifest: it was added to "
					       "the package", sub.ptr);
		}
	}
done:
	if (d)
		closedir(d);
	ruhu_buf_dispose(&path);
	ruhu_buf_dispose(&sub);
	return error;
}

/* The last field of every record of catalogue.csv (the file), counted and
 * looked up in the manifest. */
static int check_catalogue(size_t *records, struct listing *l, const char *text, size_t len)
{
	ruhu_buf field = RUHU_BUF_INIT;
	size_t row = 0;
	int quoted = 0, error = 0;

	*records = 0;
	for (size_t i = 0; i < len && error == 0; i++) {
		char ch = text[i];

		if (quoted) {
			if (ch == '"' && i + 1 < len && text[i + 1] == '"')
				error = ruhu_buf_putc(&field, text[++i]);
			else if (ch == '"')
				quoted = 0;
			else
				error = ruhu_buf_putc(&field, ch);
		} else if (ch == '"') {
			quoted = 1;
		} else if (ch == ',') {
			ruhu_buf_clear(&field);
		} else if (ch == '\r') {
			continue;
		} else if (ch == '\n') {
			if (row++ > 0) {
				(*records)++;
				if (field.size == 0 || find(l, field.ptr) == NULL)
					error = ruhu_error_set(RUHU_ECORRUPT, "catalogue.csv line %zu names file %s, which "
							       "the manifest does not list", row,
							       field.size ? field.ptr : "(none)");
			}
			ruhu_buf_clear(&field);
		} else {
			error = ruhu_buf_putc(&field, ch);
		}
	}
	if (error == 0 && (quoted || field.size))
		error = ruhu_error_set(RUHU_ECORRUPT, "catalogue.csv does not end with a whole line");
	ruhu_buf_dispose(&field);
	return error;
}

struct find_event {
	git_repository *repo;
	const char *sha;
	char commit[RUHU_OID_SIZE];
};

static int look(const git_oid *id, void *payload)
{
	struct find_event *f = payload;
	ruhu_buf v = RUHU_BUF_INIT;
	const char *m;
	int found = 0;

	if (ruhu_commit_trailer(&v, f->repo, id, "Ruhu-Archive") == 0 && (m = strstr(v.ptr, "manifest ")) &&
	    !strcmp(m + 9, f->sha)) {
		git_oid_tostr(f->commit, sizeof(f->commit), id);
		found = 1;
	}
	ruhu_error_clear();
	ruhu_buf_dispose(&v);
	return found;
}

static int check_event(char commit[RUHU_OID_SIZE], ruhu_replica *r, const char *sha)
{
	struct find_event f;
	git_oid main;
	int error;

	memset(&f, 0, sizeof(f));
	f.sha = sha;
	if ((error = ruhu_replica_repo(&f.repo, r)) < 0)
		return error;
	if ((error = ruhu_refs_get(&main, ruhu_replica_db(r), "refs/heads/main")) < 0 &&
	    (error = ruhu_refs_get(&main, ruhu_replica_db(r), "refs/remotes/hub/main")) < 0)
		return ruhu_error_set(RUHU_ENOTFOUND, "%s has no hub history to look the archive event up in",
				      ruhu_replica_path(r));
	if ((error = ruhu_history_walk(f.repo, &main, NULL, 0, RUHU_HISTORY_FIRST_PARENT, look, &f)) < 0)
		return error;
	if (error == 0)
		return ruhu_error_set(RUHU_ECORRUPT, "no archive event on the hub's main records manifest %.16s...: "
				      "this is not a package the hub exported, or it was changed", sha);
	memcpy(commit, f.commit, RUHU_OID_SIZE);
	return 0;
}

int ruhu_archive_verify(ruhu_archive_check *out, const char *dir, ruhu_replica *r)
{
	struct listing l;
	ruhu_buf text = RUHU_BUF_INIT, path = RUHU_BUF_INIT;
	struct entry *cat;
	int error;

	memset(out, 0, sizeof(*out));
	memset(&l, 0, sizeof(l));
	if (dir == NULL || dir[0] == '\0')
		return ruhu_error_set(RUHU_EINVALID, "archive verify needs the package's folder");
	if ((error = ruhu_buf_printf(&path, "%s/%s", dir, ARCHIVE_MANIFEST)) < 0)
		goto done;
	if ((error = ruhu_read_file(&text, path.ptr, MAX_MANIFEST)) < 0) {
		if (error == RUHU_ENOTFOUND)
			error = ruhu_error_set(RUHU_ECORRUPT, "%s has no %s: it is not an archive package, or its "
					       "manifest was removed", dir, ARCHIVE_MANIFEST);
		goto done;
	}
	archive_sha256_hex(out->manifest_sha256, text.ptr ? text.ptr : "", text.size);
	if ((error = parse_manifest(&l, text.ptr ? text.ptr : "", text.size)) < 0)
		goto done;
	for (size_t i = 0; i < l.n; i++) {
		char sha[65];
		uint64_t size;
		struct stat st;

		ruhu_buf_clear(&path);
		if ((error = ruhu_buf_printf(&path, "%s/%s", dir, l.v[i].path)) < 0)
			goto done;
		if (lstat(path.ptr, &st) < 0) {
			error = ruhu_error_set(RUHU_ECORRUPT, "file %s, listed in the manifest, is missing", l.v[i].path);
			goto done;
		}
		if (!S_ISREG(st.st_mode)) {
			error = ruhu_error_set(RUHU_ECORRUPT, "%s in the package is not a regular file", l.v[i].path);
			goto done;
		}
		if ((error = archive_sha256_file(sha, &size, path.ptr)) < 0)
			goto done;
		if (strcmp(sha, l.v[i].sha)) {
			error = ruhu_error_set(RUHU_ECORRUPT, "file %s has SHA-256 %.16s..., the manifest says %.16s...: "
					       "it was changed", l.v[i].path, sha, l.v[i].sha);
			goto done;
		}
		out->files++;
		out->bytes += size;
	}
	if ((error = walk(&l, dir, "", 0)) < 0)
		goto done;
	if ((cat = find(&l, "catalogue.csv")) == NULL) {
		error = ruhu_error_set(RUHU_ECORRUPT, "the manifest does not list catalogue.csv");
		goto done;
	}
	ruhu_buf_clear(&path);
	ruhu_buf_clear(&text);
	if ((error = ruhu_buf_printf(&path, "%s/catalogue.csv", dir)) < 0 ||
	    (error = ruhu_read_file(&text, path.ptr, MAX_MANIFEST)) < 0 ||
	    (error = check_catalogue(&out->records, &l, text.ptr ? text.ptr : "", text.size)) < 0)
		goto done;
	if (r && (error = check_event(out->commit, r, out->manifest_sha256)) < 0)
		goto done;
done:
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i].path);
	free(l.v);
	ruhu_buf_dispose(&text);
	ruhu_buf_dispose(&path);
	return error;
}
