/*
 * core/commit.h — signed commits in the object store: trees from path
 * lists, commits signed with a device's or hub's key in the `gpgsig` header
 * (OpenSSH format, core/sshsig.h), their verification, trailers, reading a
 * blob by path, and history walks.  The formats are in docs/history.md.
 *
 * Design notes
 *  1. Every commit ruhu writes is signed: git_commit_create_buffer, an SSH
 *     signature over that buffer in namespace "git", then
 *     git_commit_create_with_signature(..., "gpgsig").  Stock git verifies
 *     the result with `gpg.format = ssh` and an allowed-signers file.
 *  2. The message is frozen as below; keys are [A-Za-z0-9-]+, the subject and
 *     every value one line.
 *
 *       PART       DESCRIPTION (frozen, version 1)
 *       subject    one non-empty line, "\n"
 *       body       when given: "\n", the text without blank lines at its ends, "\n"
 *       trailers   when given: "\n", then "Key: value\n" per trailer, in order
 *  3. Trailers are read back from the last paragraph of a message, which
 *     counts only when it is not the subject and every line of it is a
 *     `Key: value` line: a body that happens to contain a colon is not
 *     taken for trailers.
 *  4. Verification tells good, unknown key, bad, unsigned and malformed
 *     apart, like git's %G? (G, U, B, N, E).  The signer's key is reported
 *     whenever the signature could be read, so a bad signature still names
 *     who claims to have made it.  A stored commit whose bytes no longer
 *     hash to its id is RUHU_ECORRUPT (libgit2 checks every read).
 *  5. Author and committer times are seconds since the epoch with an offset
 *     in minutes east of UTC, as in git.
 */
#ifndef RUHU_CORE_COMMIT_H
#define RUHU_CORE_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "core/crypto.h"

/** One file of a tree; `path` may hold '/' ("attachments/photo-1.jpg"). */
typedef struct {
	const char *path;
	git_oid oid;
	git_filemode_t mode; /**< 0: GIT_FILEMODE_BLOB; also _BLOB_EXECUTABLE, _TREE */
} ruhu_tree_entry;

/** Write a blob. */
int ruhu_blob_write(git_oid *out, git_repository *repo, const void *data, size_t len);

/**
 * Write the tree holding `entries` (in any order), with sub-trees for paths
 * that hold '/'.  RUHU_EINVALID for an empty, duplicate or invalid path.
 */
int ruhu_tree_write(git_oid *out, git_repository *repo, const ruhu_tree_entry *entries, size_t n);

typedef struct {
	const char *name;
	const char *email;
	int64_t time; /**< seconds since the epoch */
	int offset;   /**< minutes east of UTC */
} ruhu_person;

typedef struct {
	const char *key;
	const char *value;
} ruhu_trailer;

typedef struct {
	unsigned int version;
	const git_oid *tree;             /**< the tree, or NULL to build one from entries */
	const ruhu_tree_entry *entries;
	size_t nentries;
	const git_oid *parents;          /**< 0, 1 or 2 commits */
	size_t nparents;
	ruhu_person author;
	ruhu_person committer;           /**< name NULL: the author */
	const char *subject;
	const char *body;                /**< may be NULL */
	const ruhu_trailer *trailers;
	size_t ntrailers;
} ruhu_commit_opts;

#define RUHU_COMMIT_OPTS_VERSION 1
#define RUHU_COMMIT_OPTS_INIT { .version = RUHU_COMMIT_OPTS_VERSION }
int ruhu_commit_opts_init(ruhu_commit_opts *opts, unsigned int version);

/** Format a message (design note 2) into `out` (appended). */
int ruhu_commit_message(ruhu_buf *out, const char *subject, const char *body,
	const ruhu_trailer *trailers, size_t ntrailers);

/** Create a commit signed with `key` (design note 1); *out gets its id. */
int ruhu_commit_create(git_oid *out, git_repository *repo, const ruhu_commit_opts *opts,
	const ruhu_signkey *key);

typedef enum {
	RUHU_SIG_GOOD = 0,  /**< valid, by an allowed key (or any key when none are given) */
	RUHU_SIG_UNKNOWN,   /**< valid, by a key not among the allowed ones */
	RUHU_SIG_BAD,       /**< does not verify over the commit */
	RUHU_SIG_UNSIGNED,  /**< no gpgsig header */
	RUHU_SIG_MALFORMED  /**< a gpgsig header ruhu cannot read */
} ruhu_sig_status;

typedef struct {
	ruhu_sig_status status;
	int has_signer;          /**< signer holds the key the signature names */
	unsigned char signer[32];
} ruhu_commit_sig;

/** git's %G? letter for a status: G, U, B, N or E. */
char ruhu_sig_status_letter(ruhu_sig_status status);

/**
 * Verify the signature of commit `id` (design note 4) against the allowed
 * public keys `keys` (NULL: any key).  Returns 0 with out->status set; a
 * negative code only when the commit cannot be read (RUHU_ENOTFOUND,
 * RUHU_ECORRUPT, RUHU_EINVALID when `id` is not a commit).
 */
int ruhu_commit_verify(ruhu_commit_sig *out, git_repository *repo, const git_oid *id,
	const unsigned char (*keys)[32], size_t nkeys);

/** Trailers read from a message (design note 3); owns its strings. */
typedef struct {
	ruhu_trailer *items;
	size_t count;
	char *text_;
} ruhu_trailers;

#define RUHU_TRAILERS_INIT { NULL, 0, NULL }
int ruhu_trailers_parse(ruhu_trailers *out, const char *message);
/** The value of the first trailer named `key` (case-insensitive), or NULL;
 *  borrowed from `t` until ruhu_trailers_dispose. */
const char *ruhu_trailers_get(const ruhu_trailers *t, const char *key);
void ruhu_trailers_dispose(ruhu_trailers *t);

/**
 * Append the bytes of the blob at `path` ("changeset", "attachments/x.jpg")
 * in the tree of commit `id` to `out`.  RUHU_ENOTFOUND when there is no such
 * path, RUHU_EINVALID when it is not a blob.
 */
int ruhu_commit_read_path(ruhu_buf *out, git_repository *repo, const git_oid *id,
	const char *path);

#define RUHU_HISTORY_FIRST_PARENT 1u /**< follow only first parents */
#define RUHU_HISTORY_REVERSE 2u      /**< oldest first */

/** Return non-zero to stop the walk (the value is returned by the walk). */
typedef int (*ruhu_history_cb)(const git_oid *id, void *payload);

/**
 * Call `cb` for `from` and its ancestors, topological and time order (newest
 * first unless RUHU_HISTORY_REVERSE), leaving out `hide` and their ancestors.
 */
int ruhu_history_walk(git_repository *repo, const git_oid *from, const git_oid *hide,
	size_t nhide, unsigned int flags, ruhu_history_cb cb, void *payload);

#endif
