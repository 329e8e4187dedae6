/*
 * util.c — small helpers of sync/: files in and out, commit trailers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/commit.h"
#include "core/keyfile.h"
#include "core/odb.h"
#include "sync/sync_int.h"

int ruhu_read_file(ruhu_buf *out, const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int error = 0;

	ruhu_buf_clear(out);
	if (f == NULL)
		return ruhu_error_set(errno == ENOENT ? RUHU_ENOTFOUND : RUHU_ERROR,
				      "cannot read %s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->size + n > max) {
			error = ruhu_error_set(RUHU_EINVALID, "%s is larger than %zu bytes", path, max);
			break;
		}
		if ((error = ruhu_buf_put(out, chunk, n)) < 0)
			break;
	}
	if (error == 0 && ferror(f))
		error = ruhu_error_set(RUHU_ERROR, "cannot read %s", path);
	fclose(f);
	return error;
}

int ruhu_write_file(const char *path, const void *data, size_t len)
{
	return ruhu_write_atomic(path, data, len);
}

int ruhu_commit_trailer(ruhu_buf *out, git_repository *repo, const git_oid *id, const char *key)
{
	git_commit *c = NULL;
	ruhu_trailers tr = RUHU_TRAILERS_INIT;
	const char *v;
	int error;

	ruhu_buf_clear(out);
	if ((error = git_commit_lookup(&c, repo, id)) < 0)
		return ruhu_git_error(error, "cannot read commit");
	if ((error = ruhu_trailers_parse(&tr, git_commit_message(c))) < 0)
		goto done;
	if ((v = ruhu_trailers_get(&tr, key)) == NULL) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), id);
		error = ruhu_error_set(RUHU_ENOTFOUND, "commit %.12s has no %s", hex, key);
		goto done;
	}
	error = ruhu_buf_puts(out, v);
done:
	ruhu_trailers_dispose(&tr);
	git_commit_free(c);
	return error;
}

int ruhu_commit_trailer_opt(ruhu_buf *out, git_repository *repo, const git_oid *id, const char *key)
{
	int error = ruhu_commit_trailer(out, repo, id, key);

	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		ruhu_buf_clear(out);
		error = 0;
	}
	return error;
}

int ruhu_object_exists(git_repository *repo, const git_oid *id)
{
	git_odb *odb = NULL;
	int found, error;

	if ((error = git_repository_odb(&odb, repo)) < 0)
		return ruhu_git_error(error, "cannot open the object store");
	found = git_odb_exists(odb, id);
	git_odb_free(odb);
	/* libgit2 reads a failed lookup as "missing" (core/odb.c, design
	 * note 3): ask the store whether it failed */
	if (!found && (error = ruhu_odb_take_failure()) < 0)
		return error;
	return found;
}
