/*
 * core/export.h — export the object store as a plain git repository that an
 * auditor reads with stock git (`git log --show-signature`, `git
 * verify-commit`), without ruhu.
 *
 * Design notes
 *  1. The export is a bare repository at OUTDIR (HEAD, config, objects/,
 *     refs/ directly in OUTDIR): nothing to check out, nothing for `git
 *     status` to report, and `git clone OUTDIR` gives anyone a working copy.
 *  2. Every object of the store goes into one pack (objects/pack/), so the
 *     export holds the whole history even where no ref reaches it.
 *  3. Each ref given becomes a ref of the export: a name starting with
 *     "refs/" as it is, any other as a branch "refs/heads/<name>".  HEAD
 *     points at refs/heads/main when given, else at the first branch given.
 *  4. OUTDIR/allowed_signers lists the given (principal, key) pairs, and the
 *     export's config sets gpg.format = ssh and gpg.ssh.allowedSignersFile =
 *     allowed_signers, so `git -C OUTDIR log --show-signature` checks every
 *     signature with no further setup (the path is relative to OUTDIR, so the
 *     folder can be moved or archived).
 *  5. A signer with a `valid_before_ms` gets OpenSSH's valid-before option
 *     (core/sshsig.h): git judges each commit at its committer time, so a
 *     commit a revoked key signed at or after its revocation is not good,
 *     and what it signed before still is.
 *  6. OUTDIR must not exist or be empty (RUHU_EEXISTS otherwise).  On failure
 *     it may hold a partial repository; remove it before trying again.
 */
#ifndef RUHU_CORE_EXPORT_H
#define RUHU_CORE_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "ruhu/common.h"

typedef struct {
	const char *name; /**< "main", "devices/tab-07", or "refs/..." (design note 3) */
	git_oid oid;
} ruhu_export_ref;

typedef struct {
	const char *principal; /**< e.g. "tab-07@township" (core/sshsig.h rules) */
	unsigned char key[32]; /**< Ed25519 public key */
	int64_t valid_before_ms; /**< 0: none; else its revocation (UTC ms, note 5) */
} ruhu_export_signer;

/** Write the repository (design notes 1-6) from the store of `repo`. */
int ruhu_export(const char *outdir, git_repository *repo, const ruhu_export_ref *refs,
	size_t nrefs, const ruhu_export_signer *signers, size_t nsigners);

#endif
