/*
 * sync_int.h — what the files of sync/ share among themselves.
 */
#ifndef RUHU_SYNC_INT_H
#define RUHU_SYNC_INT_H

#include <git2.h>

#include "core/replica.h"
#include "ruhu/sync.h"
#include "sync/body.h"
#include "sync/bundle.h"
#include "sync/envelope.h"

/* The clear start of an enrolment reply file (enrol.c, design note 2). */
#define RUHU_ENROL_REPLY_MAGIC "ruhu enrolment reply 1\nhub-key: "

/* signers.c: the `signers` section of a reply (format in signers.c). */
int ruhu_signers_section(ruhu_buf *out, sqlite3 *db);
/* Add the listed keys and revocations; `self` is skipped. */
int ruhu_signers_apply(sqlite3 *db, const void *data, size_t len, const char *self);

/* pull.c: the body of a pull, after the reply's objects are in the store:
 * undo pending saves, apply main up to `main`, drop what it acknowledged,
 * redo the rest (docs/sync.md §5); one transaction, which the caller opened. */
int ruhu_pull_apply(ruhu_pull_report *out, ruhu_replica *r, const git_oid *main);

/* reply.c: the body of a hub's reply to `device` (signers and a bundle of
 * main leaving out what the device has); `extra` sections go first. */
int ruhu_reply_body(ruhu_buf *out, ruhu_replica *hub, const char *device,
		    const char *const *names, const ruhu_buf *const *extra, size_t nextra);

/* Seal a reply body for a registered device (envelope kind `kind`). */
int ruhu_reply_seal(ruhu_buf *out, ruhu_replica *hub, const void *device_rec, unsigned int kind,
		    const ruhu_buf *body);

/* Read a whole file (at most `max` bytes) into out. */
int ruhu_read_file(ruhu_buf *out, const char *path, size_t max);
/* Write a file atomically: temporary, fsync, rename, fsync of the folder. */
int ruhu_write_file(const char *path, const void *data, size_t len);

/* 1 when the object is in the store, 0 when it is not, < 0 when the store
 * failed to say (out of memory, an I/O error: its error is set). */
int ruhu_object_exists(git_repository *repo, const git_oid *id);

/* A trailer of a commit (cleared first); RUHU_ENOTFOUND when missing. */
int ruhu_commit_trailer(ruhu_buf *out, git_repository *repo, const git_oid *id, const char *key);
/* The same for a trailer a commit may lack: empty then (out of memory and
 * a commit that cannot be read are still errors). */
int ruhu_commit_trailer_opt(ruhu_buf *out, git_repository *repo, const git_oid *id, const char *key);

#endif
