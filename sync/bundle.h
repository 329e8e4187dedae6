/*
 * sync/bundle.h — git v2 bundles over the object store (core/odb.h): make
 * one from refs and the commits the recipient already has, parse one that
 * arrived (untrusted), and ingest it.  A bundle travels inside an envelope
 * (sync/envelope.h); the format and the rules are in docs/bundles.md.
 *
 * Design notes
 *  1. The format is git's own (Documentation/gitformat-bundle.txt, version
 *     2), so that a decrypted bundle is something stock git can clone and
 *     fetch:
 *
 *       PART            DESCRIPTION (git's v2 bundle; frozen by git)
 *       signature       "# v2 git bundle\n"
 *       prerequisites   "-<40 hex> <comment>\n" per commit the recipient must have
 *       refs            "<40 hex> <refname>\n" per ref, at least one
 *       end of header   "\n"
 *       pack            a git pack (version 2 or 3) up to the end of the bytes
 *
 *  2. ruhu_bundle_create computes prerequisites as `git bundle create`
 *     (`rev-list --boundary`) does: the commits left out ("have") that are
 *     parents of included commits, with their subject as comment.  A ref
 *     whose commit is itself left out is a prerequisite too, so that a
 *     recipient that lacks it waits instead of taking a ref to nothing.  No
 *     commit left out: no prerequisites (a full bundle).  The pack is
 *     libgit2's packbuilder over a walk from the refs hiding "have": never
 *     thin, so stock git reads it without a repository around it.
 *  3. ruhu_bundle_parse is the fuzz entry point.  It reads only the bytes it
 *     is given and checks every line: the signature, 40 hex digits for every
 *     id (never the zero id), ref names by git's rules ("HEAD" or under
 *     "refs/", at most RUHU_BUNDLE_MAX_REFNAME bytes, no duplicates), lines
 *     of at most RUHU_BUNDLE_MAX_LINE bytes, at most RUHU_BUNDLE_MAX_REFS refs
 *     and RUHU_BUNDLE_MAX_PREREQS prerequisites, the blank line, and the pack
 *     header ("PACK", version 2 or 3, room for the trailing checksum).
 *     Anything else is RUHU_ECORRUPT saying what.  The pack itself is checked
 *     whole by ingest (core/odb.h, ruhu_pack_parse).
 *  4. ruhu_bundle_ingest writes nothing unless every prerequisite is a
 *     commit of the store (else RUHU_EWAITING: "bundle needs commit <id>
 *     which has not arrived").  Then, inside one SAVEPOINT: the pack goes
 *     from memory into the store (ruhu_odb_write_pack), every object the
 *     bundle added is checked to be connected (a commit's tree and parents,
 *     a tree's entries, a tag's target are stored, with the right type), and
 *     every ref must name a commit now stored.  Any failure rolls the
 *     savepoint back: the store is as it was.  Nothing commits; the caller
 *     owns the transaction.
 *  5. "The commits the bundle brought" are the commit rows ingest added to
 *     _objects: _objects is a rowid table (core/odb.h, design note 1), so
 *     rows added by one ingest are the ones above the largest rowid it saw
 *     first.  Commits already stored (a bundle received twice) are not
 *     listed.  They come oldest first, parents before children (git's
 *     topological order, ties by commit time).  The connectivity check reads
 *     those rows with SQL, not through libgit2, so a refused bundle leaves no
 *     object in libgit2's cache (core/odb.h, design note 4).
 *  6. A store is closed under ancestry: every commit in it has its parents,
 *     trees and blobs in it.  Design notes 4 and 5 keep it so, given a store
 *     that was so before.
 */
#ifndef RUHU_SYNC_BUNDLE_H
#define RUHU_SYNC_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "core/odb.h"
#include "ruhu/common.h"

#define RUHU_BUNDLE_SIGNATURE "# v2 git bundle\n"
/** Longest header line, with its newline (design note 3). */
#define RUHU_BUNDLE_MAX_LINE 4096
/** Longest ref name (as core/refs.c allows). */
#define RUHU_BUNDLE_MAX_REFNAME 1024
#define RUHU_BUNDLE_MAX_REFS 4096
#define RUHU_BUNDLE_MAX_PREREQS 4096
/** Largest pack a bundle may carry (bytes), as the envelope's body cap. */
#define RUHU_BUNDLE_MAX_PACK ((uint64_t)1 << 31)

/** A ref of a bundle: a name ("refs/devices/tab-07") and its commit. */
typedef struct {
	const char *name;
	git_oid oid;
} ruhu_bundle_ref;

/** A prerequisite: a commit the recipient must already have. */
typedef struct {
	git_oid oid;
	const char *comment; /**< the commit's subject as the bundle gives it; may be "" */
} ruhu_bundle_prereq;

/** A list of commit ids; the caller disposes of it. */
typedef struct {
	git_oid *ids;
	size_t count;
	size_t asize_;
} ruhu_oidlist;

#define RUHU_OIDLIST_INIT { NULL, 0, 0 }
/** Free the ids; the list is empty and can be reused. */
void ruhu_oidlist_dispose(ruhu_oidlist *list);

/**
 * Append a bundle to `out`: refs `refs[0..nrefs)` (each a commit of the
 * store, names as in design note 3, at least one, no duplicates) and what
 * they reach, leaving out commits `have[0..nhave)` (commits of the store the
 * recipient has; nhave 0 for a full bundle) and their ancestors (design note
 * 2).  RUHU_EINVALID for a bad ref list, RUHU_ENOTFOUND when a ref's commit
 * or a "have" commit is not in the store.  On failure `out` keeps its size.
 */
int ruhu_bundle_create(ruhu_buf *out, git_repository *repo, const ruhu_bundle_ref *refs,
	size_t nrefs, const git_oid *have, size_t nhave);

/** A parsed bundle (opaque). */
typedef struct ruhu_bundle ruhu_bundle;

/**
 * Parse the bytes of a bundle (design note 3).  *out is the caller's
 * (ruhu_bundle_free); it copies the header and borrows the pack from `data`,
 * which must stay unchanged while the bundle lives.  On failure *out is NULL.
 */
int ruhu_bundle_parse(ruhu_bundle **out, const void *data, size_t len);

/** Refs in the order of the bundle; pointers borrowed from `b`. */
size_t ruhu_bundle_ref_count(const ruhu_bundle *b);
const ruhu_bundle_ref *ruhu_bundle_ref_at(const ruhu_bundle *b, size_t i);
/** The commit of ref `name`: 0, or RUHU_ENOTFOUND (message set). */
int ruhu_bundle_ref_lookup(git_oid *out, const ruhu_bundle *b, const char *name);

/** Prerequisites in the order of the bundle; borrowed from `b`. */
size_t ruhu_bundle_prereq_count(const ruhu_bundle *b);
const ruhu_bundle_prereq *ruhu_bundle_prereq_at(const ruhu_bundle *b, size_t i);

/** The pack bytes (borrowed from the parsed data) and their length. */
const void *ruhu_bundle_pack(const ruhu_bundle *b, size_t *len);

/** Free a bundle (NULL is fine). */
void ruhu_bundle_free(ruhu_bundle *b);

/**
 * 0 when every prerequisite of `b` is a commit of the store; RUHU_EWAITING
 * naming the first missing one otherwise; RUHU_ECORRUPT when one is stored
 * but is not a commit.  Reads only.
 */
int ruhu_bundle_check_prereqs(git_repository *repo, const ruhu_bundle *b);

/**
 * Ingest `b` into the store of `repo` (from ruhu_odb_open), design note 4.
 * `opts` caps the pack (NULL: defaults).  When `out` is not NULL it is
 * emptied and gets the commits the bundle added, oldest first (design note
 * 5).  Errors: RUHU_EWAITING (nothing written), RUHU_ECORRUPT for a damaged
 * pack or an incomplete bundle, RUHU_EINVALID when a cap is passed, codes of
 * the database; in every case the store is as it was and `out` is empty.
 */
int ruhu_bundle_ingest(ruhu_oidlist *out, git_repository *repo, const ruhu_bundle *b,
	const ruhu_pack_opts *opts);

#endif
