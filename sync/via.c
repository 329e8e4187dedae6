/*
 * via.c — sync through a folder: a USB stick or a shared folder that the
 * tablets and the township hub take turns to see (docs/sync.md §4,
 * "Through a folder").
 *
 * Design notes
 *  1. File names, one pair per tablet:
 *
 *       NAME              WRITTEN BY   CONTENT
 *       <device>.push     the tablet   its bundle to the hub (every save the
 *                                      hub has not acknowledged)
 *       <device>.reply    the hub      the hub's reply to that tablet
 *
 *     Anything else in the folder is left alone.  Names starting with '.'
 *     are never read (temporary files of other programs).
 *  2. Every file is written atomically (ruhu_file_write: a temporary
 *     "<name>.tmp", fsync, rename, fsync of the folder), so a reader sees the
 *     old file or the new one, never a part, and a push simply replaces the
 *     tablet's previous one: a push always carries every unacknowledged
 *     save, so nothing is lost by the replacement.
 *  3. Taking a file: it is read whole through one open descriptor, then
 *     ingested or pulled; on success it is removed, but only when the name
 *     still holds the very file that was read (same device and inode): a
 *     file the other side replaced in the meantime stays for the next turn.
 *  4. A refused file stays where it is, so that the operator can look at it
 *     (`ruhu bundle verify`); the refusal is in the report.  A refusal never
 *     stops the other files; an error of the replica itself (disk full,
 *     locked, out of memory) stops the turn.
 *  5. The hub takes the pushes in byte order of their names (reproducible
 *     merges in tests and in the day script), then writes a reply for every
 *     enrolled, non-revoked tablet that has sent at least one bundle, whether
 *     or not it sent one this turn: the reply carries what others sent.
 *  6. Nothing here decrypts or writes personal data: bundles and replies
 *     stay encrypted; this file only moves them between the folder and
 *     ruhu_hub_ingest / ruhu_pull.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/identity.h"
#include "core/keyfile.h"
#include "sync/hub.h"
#include "sync/sync_int.h"

#define PUSH_EXT ".push"
#define REPLY_EXT ".reply"

int ruhu_file_read(ruhu_buf *out, const char *path, size_t max)
{
	return ruhu_read_file(out, path, max);
}

int ruhu_file_write(const char *path, const void *data, size_t len)
{
	return ruhu_write_file(path, data, len);
}

/* The file at `path`, read through one descriptor; `st` gets what was
 * read (design note 3).  RUHU_ENOTFOUND when there is none. */
static int take_file(ruhu_buf *out, struct stat *st, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), error = 0;
	char chunk[65536];
	ssize_t n;

	ruhu_buf_clear(out);
	if (fd < 0)
		return ruhu_error_errno(errno, "cannot open", path);
	if (fstat(fd, st) < 0) {
		error = ruhu_error_errno(errno, "cannot read", path);
		goto done;
	}
	if (!S_ISREG(st->st_mode)) {
		error = ruhu_error_set(RUHU_EINVALID, "%s is not a file", path);
		goto done;
	}
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) < 0) {
			if (errno == EINTR)
				continue;
			error = ruhu_error_errno(errno, "cannot read", path);
			goto done;
		}
		if (n == 0)
			break;
		if (out->size + (size_t)n > RUHU_FILE_MAX) {
			error = ruhu_error_set(RUHU_EINVALID, "%s is larger than any bundle may be", path);
			goto done;
		}
		if ((error = ruhu_buf_put(out, chunk, (size_t)n)) < 0)
			goto done;
	}
done:
	close(fd);
	return error;
}

/* Remove `path` if it is still the file `st` describes (design note 3). */
static int remove_taken(const char *path, const struct stat *st)
{
	struct stat now;

	if (lstat(path, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return 0;
	if (unlink(path) < 0)
		return ruhu_error_errno(errno, "cannot remove", path);
	return ruhu_sync_parent(path);
}

static int check_folder(const char *dir)
{
	struct stat st;

	if (dir == NULL || dir[0] == '\0')
		return ruhu_error_set(RUHU_EINVALID, "no folder given to sync through");
	if (stat(dir, &st) < 0)
		return ruhu_error_errno(errno, "cannot use the folder", dir);
	if (!S_ISDIR(st.st_mode))
		return ruhu_error_set(RUHU_EINVALID, "%s is not a folder", dir);
	return 0;
}

/* A refusal is about the file; anything else is about this replica
 * (design note 4). */
static int is_refusal(int error)
{
	switch (error) {
	case RUHU_ENOTFOUND: case RUHU_EEXISTS: case RUHU_ECONFLICT: case RUHU_ECORRUPT:
	case RUHU_EAUTH: case RUHU_ESCHEMA: case RUHU_EREVOKED: case RUHU_EINVALID:
	case RUHU_EWAITING:
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The tablet                                                           */
/* ------------------------------------------------------------------ */

void ruhu_via_report_dispose(ruhu_via_report *rep)
{
	if (rep == NULL)
		return;
	ruhu_buf_dispose(&rep->reply_message);
	ruhu_buf_dispose(&rep->reply_path);
	ruhu_buf_dispose(&rep->push_path);
}

int ruhu_sync_via(ruhu_via_report *out, ruhu_replica *device, const char *dir)
{
	ruhu_buf self = RUHU_BUF_INIT, reply = RUHU_BUF_INIT, push = RUHU_BUF_INIT;
	struct stat st;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ruhu_device_check(device, 1)) < 0 || (error = check_folder(dir)) < 0 ||
	    (error = ruhu_identity_self(&self, device)) < 0 ||
	    (error = ruhu_buf_printf(&out->reply_path, "%s/%s" REPLY_EXT, dir, self.ptr)) < 0 ||
	    (error = ruhu_buf_printf(&out->push_path, "%s/%s" PUSH_EXT, dir, self.ptr)) < 0)
		goto done;

	/* take the reply first: the push then tells the hub the newest main */
	if ((error = take_file(&reply, &st, out->reply_path.ptr)) == 0) {
		out->reply_found = 1;
		if ((error = ruhu_pull(&out->pull, device, reply.ptr, reply.size)) == 0) {
			if ((error = remove_taken(out->reply_path.ptr, &st)) < 0)
				goto done;
		} else if (is_refusal(error)) {
			out->reply_error = error;
			if ((error = ruhu_buf_puts(&out->reply_message, ruhu_error_last())) < 0)
				goto done;
			ruhu_error_clear();
		} else {
			goto done;
		}
	} else if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
	} else {
		goto done;
	}

	if ((error = ruhu_push(&push, &out->pushed, device)) < 0 ||
	    (error = ruhu_write_file(out->push_path.ptr, push.ptr, push.size)) < 0)
		goto done;
done:
	ruhu_buf_dispose(&self);
	ruhu_buf_dispose(&reply);
	ruhu_buf_dispose(&push);
	return error;
}

/* ------------------------------------------------------------------ */
/* The hub                                                              */
/* ------------------------------------------------------------------ */

void ruhu_hub_via_report_dispose(ruhu_hub_via_report *rep)
{
	if (rep == NULL)
		return;
	for (size_t i = 0; i < rep->nfiles; i++) {
		free(rep->files[i].name);
		free(rep->files[i].message);
		ruhu_ingest_report_dispose(&rep->files[i].ingest);
	}
	free(rep->files);
	free(rep->replies);
	memset(rep, 0, sizeof(*rep));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	return n > e && name[0] != '.' && !strcmp(name + n - e, ext);
}

/* The names of the *.push files in `dir`, sorted (design note 5). */
static int list_pushes(char ***out, size_t *count, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int error = 0;

	*out = NULL;
	*count = 0;
	if (d == NULL)
		return ruhu_error_errno(errno, "cannot read the folder", dir);
	while ((e = readdir(d)) != NULL) {
		if (!has_ext(e->d_name, PUSH_EXT))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **v = realloc(names, ncap * sizeof(*v));

			if (v == NULL) {
				error = ruhu_error_oom();
				goto done;
			}
			names = v;
			cap = ncap;
		}
		if ((names[n] = strdup(e->d_name)) == NULL) {
			error = ruhu_error_oom();
			goto done;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
done:
	closedir(d);
	if (error < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return error;
	}
	*out = names;
	*count = n;
	return 0;
}

/* Ingest one file into out->files[out->nfiles] (design notes 3 and 4). */
static int take_push(ruhu_hub_via_report *out, ruhu_replica *hub, const char *dir, char *name,
		     const ruhu_ingest_opts *opts)
{
	ruhu_via_file *f = &out->files[out->nfiles];
	ruhu_buf path = RUHU_BUF_INIT, data = RUHU_BUF_INIT;
	struct stat st;
	int error;

	memset(f, 0, sizeof(*f));
	f->name = name;
	out->nfiles++;
	if ((error = ruhu_buf_printf(&path, "%s/%s", dir, name)) < 0)
		goto done;
	if ((error = take_file(&data, &st, path.ptr)) == 0 &&
	    (error = ruhu_hub_ingest(&f->ingest, hub, data.ptr, data.size, opts)) == 0) {
		out->taken++;
		error = remove_taken(path.ptr, &st);
		goto done;
	}
	if (!is_refusal(error))
		goto done;
	f->error = error;
	if ((f->message = strdup(ruhu_error_last())) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	ruhu_error_clear();
	out->refused++;
	error = 0;
done:
	ruhu_buf_dispose(&path);
	ruhu_buf_dispose(&data);
	return error;
}

struct reply_ctx {
	ruhu_hub_via_report *out;
	size_t cap;
};

static int want_reply(const ruhu_device_info *d, void *payload)
{
	struct reply_ctx *rc = payload;
	ruhu_hub_via_report *out = rc->out;

	if (d->revoked_ms || d->last_bundle_ms == 0)
		return 0;
	if (out->nreplies == rc->cap) {
		size_t ncap = rc->cap ? rc->cap * 2 : 16;
		char (*v)[RUHU_ID_SIZE] = realloc(out->replies, ncap * sizeof(*v));

		if (v == NULL)
			return ruhu_error_oom();
		out->replies = v;
		rc->cap = ncap;
	}
	snprintf(out->replies[out->nreplies++], RUHU_ID_SIZE, "%s", d->id);
	return 0;
}

int ruhu_hub_sync_via(ruhu_hub_via_report *out, ruhu_replica *hub, const char *dir,
		      const ruhu_ingest_opts *opts)
{
	struct reply_ctx rc = { out, 0 };
	ruhu_buf path = RUHU_BUF_INIT, reply = RUHU_BUF_INIT;
	char **names = NULL;
	size_t n = 0, i = 0;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = ruhu_hub_check(hub)) < 0 || (error = check_folder(dir)) < 0 ||
	    (error = list_pushes(&names, &n, dir)) < 0)
		goto done;
	if (n && (out->files = calloc(n, sizeof(*out->files))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	/* each name passes to the report as it is taken */
	for (i = 0; i < n; i++)
		if ((error = take_push(out, hub, dir, names[i], opts)) < 0) {
			i++;
			goto done;
		}

	if ((error = ruhu_hub_devices(hub, want_reply, &rc)) < 0)
		goto done;
	for (size_t k = 0; k < out->nreplies; k++) {
		ruhu_buf_clear(&path);
		ruhu_buf_clear(&reply);
		if ((error = ruhu_hub_reply(&reply, hub, out->replies[k])) < 0 ||
		    (error = ruhu_buf_printf(&path, "%s/%s" REPLY_EXT, dir, out->replies[k])) < 0 ||
		    (error = ruhu_write_file(path.ptr, reply.ptr, reply.size)) < 0) {
			out->nreplies = k;
			goto done;
		}
	}
done:
	for (; i < n; i++)
		free(names[i]);
	free(names);
	ruhu_buf_dispose(&path);
	ruhu_buf_dispose(&reply);
	return error;
}
