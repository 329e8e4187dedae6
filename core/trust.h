/*
 * trust.h — is a commit signed by the replica it says made it?
 *
 * Design notes
 *  1. A commit names its maker in the Ruhu-Device trailer.  Its signature is
 *     good ('G') only when it verifies with a key `_signers` holds for that
 *     id; a key revoked at or before the commit's committer time gives 'R';
 *     a valid signature by any other key 'U'; 'B' bad, 'N' unsigned, 'E'
 *     unreadable (git's %G? letters, plus R).
 *  2. The committer time is the signer's own claim: a revoked device could
 *     back-date a commit.  The hub therefore refuses every bundle of a revoked
 *     device whatever its dates (sync), and audit compares against the time
 *     the hub received it.
 */
#ifndef RUHU_CORE_TRUST_H
#define RUHU_CORE_TRUST_H

#include <git2.h>

#include "core/replica.h"

/* The letter of design note 1 for commit `id` made by replica `device`
 * (NULL or "": read it from the commit's trailers). */
int ruhu_trust_commit(char *out, ruhu_replica *r, const git_oid *id, const char *device);

#endif
