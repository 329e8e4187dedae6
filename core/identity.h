/*
 * identity.h — who a replica is: its id, its keys, and the signing keys it
 * knows of other replicas.
 *
 * Design notes
 *  1. A replica's keys are made on the machine that holds it (DESIGN 10) and
 *     live only in the encrypted replica, in `_keys(name, secret, public)`:
 *     'sign' (Ed25519, commits and envelopes) and 'box' (X25519, the keys of
 *     bundles addressed to it).  They are loaded into libsodium secure memory
 *     for the time of one operation and never leave the process.
 *  2. `_signers(id, key, role, added_ms, revoked_ms, reason)` lists the
 *     signing keys the replica trusts, its own included: a commit is good
 *     when the key that signed it is the key of the replica its
 *     `Ruhu-Device` trailer names, and was not revoked when it was signed.
 *  3. An id (device, hub, worker on the command line) is 1 to 32 characters
 *     of [A-Za-z0-9._-], starting with a letter or digit, without "..": it
 *     appears in ref names, file names and git e-mail addresses.
 *  4. The `_meta` keys written here: `self` (the id), `centre` (the township
 *     centre code, part of every git e-mail address).
 */
#ifndef RUHU_CORE_IDENTITY_H
#define RUHU_CORE_IDENTITY_H

#include <stdint.h>

#include "core/crypto.h"
#include "core/replica.h"

#define RUHU_ID_MAX 32

/* Check an id (design note 3); `what` names it in the message ("device id"). */
int ruhu_identity_check_id(const char *id, const char *what);

/* Make the replica's keys and record its id and centre; in the caller's
 * transaction.  RUHU_EEXISTS when it already has an identity. */
int ruhu_identity_setup(ruhu_replica *r, const char *self_id, const char *centre);

/* The replica's id / centre code (RUHU_ENOTFOUND: no identity). */
int ruhu_identity_self(ruhu_buf *out, ruhu_replica *r);
int ruhu_identity_centre(ruhu_buf *out, ruhu_replica *r);

/* The replica's keys, in secure memory; free with ruhu_signkey_free /
 * ruhu_boxkey_free. */
int ruhu_identity_signkey(ruhu_signkey **out, ruhu_replica *r);
int ruhu_identity_boxkey(ruhu_boxkey **out, ruhu_replica *r);
/* The public halves. */
int ruhu_identity_public(unsigned char sign_pk[32], unsigned char box_pk[32], ruhu_replica *r);

/* ---- known signers (design note 2) ---- */
typedef struct {
	const char *id;
	unsigned char key[32];
	const char *role;      /* "device", "hub" */
	int64_t added_ms;
	int64_t revoked_ms;    /* 0: not revoked */
	const char *reason;    /* of the revocation, or NULL */
} ruhu_signer;

/* Add (or re-add) a signer; an existing (id, key) keeps its dates. */
int ruhu_signers_add(sqlite3 *db, const char *id, const unsigned char key[32],
		     const char *role, int64_t added_ms);
/* Mark every key of `id` revoked from `at_ms`. RUHU_ENOTFOUND: unknown id. */
int ruhu_signers_revoke(sqlite3 *db, const char *id, int64_t at_ms, const char *reason);
/* Each signer, ordered by id then date added; the strings are borrowed for
 * the callback; a non-zero return stops and is returned. */
typedef int (*ruhu_signer_cb)(const ruhu_signer *s, void *payload);
int ruhu_signers_foreach(sqlite3 *db, const char *id, ruhu_signer_cb cb, void *payload);

#endif
