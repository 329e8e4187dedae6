/*
 * sync/envelope.h — the signed, encrypted envelope a bundle travels in
 * (DESIGN decision 6): who sent it, to whom, a per-envelope key sealed to the
 * recipient, the body encrypted under that key, and the sender's signature
 * over all of it.  The byte layout is frozen; it is in envelope.c and in
 * docs/bundles.md.
 *
 * Design notes
 *  1. Opening is two steps, so that the caller can look the sender up
 *     between them: ruhu_envelope_parse reads the clear header (untrusted;
 *     every length checked, the body capped at RUHU_ENVELOPE_MAX_BODY) and
 *     tells kind, sender, recipient and recipient key id; ruhu_envelope_open
 *     then checks the signature with the sender's public key the caller
 *     found, checks that the envelope is addressed to the given box key,
 *     opens the sealed key and decrypts the body.
 *  2. The signature covers every byte before it, and the body's associated
 *     data is every byte before the body: a changed, cut or extended byte
 *     anywhere is found.  The signature is checked first, so nothing is
 *     decrypted for an envelope the sender did not sign.
 *  3. The body key is 32 random bytes made for one envelope.  It lives in
 *     a stack buffer that is zeroed on every path out of seal and open.
 *  4. Ids (sender, recipient) are 1 to 64 letters, digits, '_', '.' or '-'
 *     (the rule of device ids), so they are safe in messages as they are.
 *  5. Errors.  Parse: RUHU_ECORRUPT saying what is wrong.  Open: RUHU_EAUTH
 *     when the signature does not verify with the sender key given ("the
 *     sender is not who it claims" messages are the caller's, who knows the
 *     enrolled devices), RUHU_EAUTH when the envelope is addressed to another
 *     box key or its key does not open, RUHU_ECORRUPT when the body does not
 *     decrypt, RUHU_EINVALID when the bytes changed after parse (they are
 *     parsed again once the signature holds, and must say the same).
 *  6. The plaintext body is personal data: open returns it in memory only;
 *     callers dispose of it with ruhu_buf_dispose_secure and never write it
 *     to a plain file.
 */
#ifndef RUHU_SYNC_ENVELOPE_H
#define RUHU_SYNC_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/crypto.h"
#include "ruhu/common.h"

#define RUHU_ENVELOPE_VERSION 1
/** Hash algorithm of the bundle inside: git's SHA-1 (a later SHA-256 gets 2). */
#define RUHU_ENVELOPE_HASH_SHA1 1
/** Largest body (bytes): 2 GiB. */
#define RUHU_ENVELOPE_MAX_BODY ((uint64_t)1 << 31)
/** Longest sender or recipient id (design note 4). */
#define RUHU_ENVELOPE_MAX_ID 64

/** What an envelope carries (a byte of the header; values are frozen). */
typedef enum {
	RUHU_ENVELOPE_DEVICE_BUNDLE = 1,  /**< a device's saves, to its hub */
	RUHU_ENVELOPE_HUB_REPLY = 2,      /**< the hub's main, to a device */
	RUHU_ENVELOPE_ENROL_REQUEST = 3,  /**< a device asks to join a hub */
	RUHU_ENVELOPE_ENROL_REPLY = 4     /**< the hub's answer, with its state */
} ruhu_envelope_kind;

/** A short lowercase name of a kind ("device bundle"), or "unknown". */
const char *ruhu_envelope_kind_name(unsigned int kind);

/** 1 when `id` is a valid sender or recipient id (design note 4). */
int ruhu_envelope_id_valid(const char *id);

/** What to write into an envelope.  kind, sender, recipient and
 *  recipient_key have no default and must be given. */
typedef struct {
	unsigned int version;
	unsigned int kind;                   /**< a ruhu_envelope_kind */
	const char *sender;                  /**< id of the sender (design note 4) */
	const char *recipient;               /**< id of the recipient */
	const unsigned char *recipient_key;  /**< the recipient's 32-byte box public key */
	int64_t created;                     /**< seconds since the epoch; 0: not given */
	unsigned int hash;                   /**< 0: RUHU_ENVELOPE_HASH_SHA1 */
} ruhu_envelope_opts;

#define RUHU_ENVELOPE_OPTS_VERSION 1
#define RUHU_ENVELOPE_OPTS_INIT { .version = RUHU_ENVELOPE_OPTS_VERSION }
int ruhu_envelope_opts_init(ruhu_envelope_opts *opts, unsigned int version);

/**
 * Append an envelope holding `body` (len bytes, may be 0) to `out`, signed
 * with `sender_key`.  RUHU_EINVALID for bad options or a body over the cap.
 * On failure `out` keeps its size.
 */
int ruhu_envelope_seal(ruhu_buf *out, const ruhu_envelope_opts *opts,
	const ruhu_signkey *sender_key, const void *body, size_t len);

/** A parsed envelope header.  The pointers borrow the bytes given to
 *  ruhu_envelope_parse, which must stay unchanged until open is done. */
typedef struct {
	unsigned int version;                       /**< format version (1) */
	unsigned int hash;                          /**< RUHU_ENVELOPE_HASH_SHA1 */
	unsigned int kind;                          /**< a ruhu_envelope_kind */
	char sender[RUHU_ENVELOPE_MAX_ID + 1];
	char recipient[RUHU_ENVELOPE_MAX_ID + 1];
	char recipient_keyid[RUHU_KEYID_HEXLEN + 1];
	int64_t created;
	uint64_t body_size;                         /**< bytes of the decrypted body */
	const unsigned char *data_;                 /**< the whole envelope */
	size_t len_;
	size_t body_at_;                            /**< offset of the encrypted body */
} ruhu_envelope;

/**
 * Step one (design note 1): read the clear header of `data` (the fuzz entry
 * point; nothing outside data[0..len) is read).  Fills `out`, which borrows
 * `data`.  RUHU_ECORRUPT for anything but a well-formed envelope of this
 * format, with its exact length.
 */
int ruhu_envelope_parse(ruhu_envelope *out, const void *data, size_t len);

/**
 * Step two (design note 1): verify `env` with the sender's Ed25519 public
 * key `sender_pk`, check that it is addressed to `recipient` (the box key
 * pair of this replica), and append the body to `out`.  Errors as design
 * note 5; on failure `out` keeps its size and no plaintext is left in it.
 */
int ruhu_envelope_open(ruhu_buf *out, const ruhu_envelope *env,
	const unsigned char sender_pk[RUHU_SIGN_PUBLICKEYBYTES], const ruhu_boxkey *recipient);

#endif
