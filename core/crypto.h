/*
 * core/crypto.h — ruhu's keys and the cryptographic primitives built on
 * libsodium: signing and box key pairs, sealed boxes, chunked stream
 * encryption, hashes, random bytes, base64 and key ids.  Internal to libruhu;
 * no other module includes <sodium.h> (the encrypting VFS excepted).
 *
 * Design notes
 *  1. A secret key lives only in libsodium secure memory (sodium_malloc:
 *     guard pages, mlock, read-only after creation).  ruhu_signkey_free and
 *     ruhu_boxkey_free zero it and release it; both accept NULL.
 *  2. The stored form of a secret key (ruhu_*key_save / _load) is the frozen
 *     72-byte record below.  It is meant for the encrypted replica only; it
 *     never goes to a message, a log or a plain file.  _load recomputes the
 *     public key from the secret part and refuses a record whose stored public
 *     key differs, so a damaged record is found, not used.
 *
 *       OFFSET  SIZE  DESCRIPTION (frozen, version 1)
 *       0       4     magic "RHK1"
 *       4       1     kind: 1 = Ed25519 signing key, 2 = X25519 box key
 *       5       3     zero
 *       8       32    secret: the Ed25519 seed, or the X25519 secret key
 *       40      32    the public key
 *
 *  3. Stream encryption (ruhu_stream_*) is crypto_secretstream_xchacha20poly1305
 *     over a whole buffer cut into chunks of RUHU_STREAM_CHUNK plaintext bytes;
 *     the last chunk (possibly empty) carries TAG_FINAL.  Decryption refuses
 *     input that ends before a TAG_FINAL chunk, a TAG_FINAL chunk that is not
 *     the last, and any chunk that fails to authenticate.
 *
 *       OFFSET  SIZE          DESCRIPTION (frozen, version 1)
 *       0       24            secretstream header
 *       24      65536 + 17    chunk 1 (TAG_MESSAGE) ... as many as needed
 *       ...     n + 17        last chunk, n <= 65536 (TAG_FINAL)
 *
 *  4. A key id is the lowercase hex of the first 8 bytes of BLAKE2b-256 of
 *     the 32-byte public key (frozen): short enough for a message, long
 *     enough to tell a township's devices apart.
 *  5. Every function here assumes ruhu_init() has run.  None prints, aborts
 *     or exits; failures return a negative ruhu_error_code with the message
 *     set, and the messages never hold key bytes.
 */
#ifndef RUHU_CORE_CRYPTO_H
#define RUHU_CORE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "ruhu/common.h"

#define RUHU_SIGN_PUBLICKEYBYTES 32
#define RUHU_SIGN_BYTES 64
#define RUHU_BOX_PUBLICKEYBYTES 32
#define RUHU_BOX_SEALBYTES 48            /* crypto_box_SEALBYTES */
#define RUHU_KEY_STOREBYTES 72           /* design note 2 */
#define RUHU_SEEDBYTES 32
#define RUHU_KEYID_HEXLEN 16             /* design note 4, without the NUL */
#define RUHU_STREAM_KEYBYTES 32
#define RUHU_STREAM_HEADERBYTES 24
#define RUHU_STREAM_ABYTES 17
#define RUHU_STREAM_CHUNK 65536
#define RUHU_SHA256_BYTES 32
#define RUHU_SHA512_BYTES 64

/** An Ed25519 signing key pair in secure memory (design note 1). */
typedef struct ruhu_signkey ruhu_signkey;
/** An X25519 key pair for sealed boxes, in secure memory (design note 1). */
typedef struct ruhu_boxkey ruhu_boxkey;

/* --- signing keys ------------------------------------------------------ */

/** Make a fresh key pair.  *out is the caller's (ruhu_signkey_free). */
int ruhu_signkey_generate(ruhu_signkey **out);
/** Make the key pair of a 32-byte seed (deterministic; tests, recovery). */
int ruhu_signkey_from_seed(ruhu_signkey **out, const unsigned char seed[RUHU_SEEDBYTES]);
/** Write the stored form (design note 2) into `out`; the caller zeroes it. */
int ruhu_signkey_save(unsigned char out[RUHU_KEY_STOREBYTES], const ruhu_signkey *key);
/** Load a stored form; RUHU_ECORRUPT when damaged or of another kind. */
int ruhu_signkey_load(ruhu_signkey **out, const void *data, size_t len);
/** The 32-byte public key, borrowed from `key` for its lifetime. */
const unsigned char *ruhu_signkey_public(const ruhu_signkey *key);
/** The 64-byte secret key in libsodium's layout (seed || public key), borrowed:
 *  for the OpenSSH signature code only, never to be copied out of it. */
const unsigned char *ruhu_signkey_secret(const ruhu_signkey *key);
/** Detached Ed25519 signature of `msg`. */
int ruhu_signkey_sign(unsigned char sig[RUHU_SIGN_BYTES], const ruhu_signkey *key,
	const void *msg, size_t len);
/** 0 when `sig` is a valid signature of `msg` by `pk`, else RUHU_EAUTH. */
int ruhu_sign_verify(const unsigned char sig[RUHU_SIGN_BYTES], const void *msg, size_t len,
	const unsigned char pk[RUHU_SIGN_PUBLICKEYBYTES]);
/** Zero and free (accepts NULL). */
void ruhu_signkey_free(ruhu_signkey *key);

/* --- box keys and sealed boxes ----------------------------------------- */

int ruhu_boxkey_generate(ruhu_boxkey **out);
int ruhu_boxkey_save(unsigned char out[RUHU_KEY_STOREBYTES], const ruhu_boxkey *key);
int ruhu_boxkey_load(ruhu_boxkey **out, const void *data, size_t len);
const unsigned char *ruhu_boxkey_public(const ruhu_boxkey *key);
void ruhu_boxkey_free(ruhu_boxkey *key);

/**
 * Seal `len` bytes to the holder of box public key `pk` (crypto_box_seal):
 * `out` gets len + RUHU_BOX_SEALBYTES bytes, appended.
 */
int ruhu_box_seal(ruhu_buf *out, const void *msg, size_t len,
	const unsigned char pk[RUHU_BOX_PUBLICKEYBYTES]);
/**
 * Open a sealed box into `out`, which must hold exactly
 * len - RUHU_BOX_SEALBYTES bytes (the caller keeps a secret in its own
 * memory).  RUHU_EAUTH when the box was not sealed to `key` or was altered,
 * RUHU_EINVALID when outlen does not fit.
 */
int ruhu_box_open(unsigned char *out, size_t outlen, const void *sealed, size_t len,
	const ruhu_boxkey *key);

/* --- stream encryption (design note 3) --------------------------------- */

/**
 * Encrypt `len` bytes under `key`, appending header and chunks to `out`.
 * `ad` (may be NULL when adlen is 0) is authenticated with every chunk.
 */
int ruhu_stream_encrypt(ruhu_buf *out, const unsigned char key[RUHU_STREAM_KEYBYTES],
	const void *in, size_t len, const void *ad, size_t adlen);
/**
 * Decrypt what ruhu_stream_encrypt made, appending the plaintext to `out`.
 * RUHU_ECORRUPT when the input is truncated, extended or altered, or `ad`
 * differs; on failure `out` is left at its size on entry.
 */
int ruhu_stream_decrypt(ruhu_buf *out, const unsigned char key[RUHU_STREAM_KEYBYTES],
	const void *in, size_t len, const void *ad, size_t adlen);

/* --- hashes, random bytes, encodings ------------------------------------ */

typedef enum {
	RUHU_HASH_BLAKE2B = 1, /* crypto_generichash, output 16..64 bytes */
	RUHU_HASH_SHA256 = 2,
	RUHU_HASH_SHA512 = 3
} ruhu_hash_kind;

/** Incremental hash state; opaque (large enough for every kind). */
typedef struct {
	_Alignas(64) unsigned char opaque[384];
	int kind;
	size_t outlen;
} ruhu_hash_state;

/** BLAKE2b of `in` into `outlen` bytes (16..64), keyed when keylen > 0. */
int ruhu_hash_blake2b(unsigned char *out, size_t outlen, const void *in, size_t len,
	const unsigned char *key, size_t keylen);
void ruhu_hash_sha256(unsigned char out[RUHU_SHA256_BYTES], const void *in, size_t len);
void ruhu_hash_sha512(unsigned char out[RUHU_SHA512_BYTES], const void *in, size_t len);
/** Start a hash; `outlen` is used by BLAKE2b only (16..64). */
int ruhu_hash_init(ruhu_hash_state *st, ruhu_hash_kind kind, size_t outlen);
void ruhu_hash_update(ruhu_hash_state *st, const void *in, size_t len);
/** Write the digest (32, 64 or `outlen` bytes) and zero the state. */
void ruhu_hash_final(ruhu_hash_state *st, unsigned char *out);

/** Fill `buf` with `len` unpredictable bytes. */
void ruhu_random(void *buf, size_t len);
/** Compare in constant time; 1 when equal. */
int ruhu_memequal(const void *a, const void *b, size_t len);

/** Append standard base64 (with padding, no line breaks) of `in` to `out`. */
int ruhu_base64_encode(ruhu_buf *out, const void *in, size_t len);
/**
 * Append the bytes of base64 text `in` to `out`, skipping characters in
 * `ignore` (may be NULL).  RUHU_EINVALID when it is not base64.
 */
int ruhu_base64_decode(ruhu_buf *out, const char *in, size_t len, const char *ignore);

/** The key id of a 32-byte public key (design note 4), NUL-terminated. */
void ruhu_keyid(char out[RUHU_KEYID_HEXLEN + 1], const unsigned char pk[32]);

#endif
