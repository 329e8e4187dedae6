/*
 * crypto.c — ruhu's keys and primitives on libsodium (see core/crypto.h).
 *
 * Design notes
 *  1. Key pairs are one sodium_malloc block each, made read-only as soon as
 *     they are filled; sodium_free zeroes them (crypto.h, design note 1).
 *  2. Secrets that pass through the stack (a seed while loading) are zeroed
 *     with sodium_memzero before the function returns, on every path.
 *  3. Sizes handed to libsodium as unsigned long long come from size_t and
 *     need no check; sizes computed here (sealed length, chunk counts) are
 *     checked for overflow before use.
 */
#include <string.h>

#include <sodium.h>

#include "core/crypto.h"

#define KEY_MAGIC "RHK1"
#define KIND_SIGN 1
#define KIND_BOX 2

struct ruhu_signkey {
	unsigned char sk[crypto_sign_SECRETKEYBYTES]; /* seed || public key */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
};

struct ruhu_boxkey {
	unsigned char sk[crypto_box_SECRETKEYBYTES];
	unsigned char pk[crypto_box_PUBLICKEYBYTES];
};

_Static_assert(sizeof(((ruhu_hash_state *)0)->opaque) >= sizeof(crypto_generichash_state),
	"hash state too small for blake2b");
_Static_assert(sizeof(((ruhu_hash_state *)0)->opaque) >= sizeof(crypto_hash_sha512_state),
	"hash state too small for sha512");
_Static_assert(RUHU_BOX_SEALBYTES == crypto_box_SEALBYTES, "sealbytes");
_Static_assert(RUHU_STREAM_HEADERBYTES == crypto_secretstream_xchacha20poly1305_HEADERBYTES,
	"stream header");
_Static_assert(RUHU_STREAM_ABYTES == crypto_secretstream_xchacha20poly1305_ABYTES, "stream abytes");
_Static_assert(RUHU_STREAM_KEYBYTES == crypto_secretstream_xchacha20poly1305_KEYBYTES, "stream key");

/* --- key pairs ----------------------------------------------------------- */

static void *secure_alloc(size_t size)
{
	return sodium_malloc(size);
}

int ruhu_signkey_from_seed(ruhu_signkey **out, const unsigned char seed[RUHU_SEEDBYTES])
{
	ruhu_signkey *key;

	*out = NULL;
	if ((key = secure_alloc(sizeof(*key))) == NULL)
		return ruhu_error_oom();
	if (crypto_sign_seed_keypair(key->pk, key->sk, seed) != 0) {
		sodium_free(key);
		return ruhu_error_set(RUHU_ERROR, "cannot derive a signing key");
	}
	sodium_mprotect_readonly(key);
	*out = key;
	return 0;
}

int ruhu_signkey_generate(ruhu_signkey **out)
{
	unsigned char seed[RUHU_SEEDBYTES];
	int error;

	randombytes_buf(seed, sizeof(seed));
	error = ruhu_signkey_from_seed(out, seed);
	sodium_memzero(seed, sizeof(seed));
	return error;
}

static void save_record(unsigned char out[RUHU_KEY_STOREBYTES], int kind,
	const unsigned char secret[32], const unsigned char pk[32])
{
	memcpy(out, KEY_MAGIC, 4);
	out[4] = (unsigned char)kind;
	out[5] = out[6] = out[7] = 0;
	memcpy(out + 8, secret, 32);
	memcpy(out + 40, pk, 32);
}

static int check_record(const void *data, size_t len, int kind, const char *what)
{
	const unsigned char *p = data;

	if (len != RUHU_KEY_STOREBYTES || memcmp(p, KEY_MAGIC, 4) != 0 || p[4] != kind ||
	    p[5] || p[6] || p[7])
		return ruhu_error_set(RUHU_ECORRUPT, "stored %s is damaged or of another kind", what);
	return 0;
}

int ruhu_signkey_save(unsigned char out[RUHU_KEY_STOREBYTES], const ruhu_signkey *key)
{
	/* the seed is the first half of libsodium's secret key */
	save_record(out, KIND_SIGN, key->sk, key->pk);
	return 0;
}

int ruhu_signkey_load(ruhu_signkey **out, const void *data, size_t len)
{
	const unsigned char *p = data;
	ruhu_signkey *key = NULL;
	int error;

	*out = NULL;
	if ((error = check_record(data, len, KIND_SIGN, "signing key")) < 0)
		return error;
	if ((error = ruhu_signkey_from_seed(&key, p + 8)) < 0)
		return error;
	if (sodium_memcmp(key->pk, p + 40, 32) != 0) {
		ruhu_signkey_free(key);
		return ruhu_error_set(RUHU_ECORRUPT,
			"stored signing key does not match its public key");
	}
	*out = key;
	return 0;
}

const unsigned char *ruhu_signkey_public(const ruhu_signkey *key)
{
	return key->pk;
}

const unsigned char *ruhu_signkey_secret(const ruhu_signkey *key)
{
	return key->sk;
}

int ruhu_signkey_sign(unsigned char sig[RUHU_SIGN_BYTES], const ruhu_signkey *key,
	const void *msg, size_t len)
{
	if (crypto_sign_detached(sig, NULL, msg, len, key->sk) != 0)
		return ruhu_error_set(RUHU_ERROR, "cannot sign");
	return 0;
}

int ruhu_sign_verify(const unsigned char sig[RUHU_SIGN_BYTES], const void *msg, size_t len,
	const unsigned char pk[RUHU_SIGN_PUBLICKEYBYTES])
{
	char id[RUHU_KEYID_HEXLEN + 1];

	if (crypto_sign_verify_detached(sig, msg, len, pk) == 0)
		return 0;
	ruhu_keyid(id, pk);
	return ruhu_error_set(RUHU_EAUTH, "signature by key %s does not verify", id);
}

void ruhu_signkey_free(ruhu_signkey *key)
{
	if (key)
		sodium_free(key);
}

int ruhu_boxkey_generate(ruhu_boxkey **out)
{
	ruhu_boxkey *key;

	*out = NULL;
	if ((key = secure_alloc(sizeof(*key))) == NULL)
		return ruhu_error_oom();
	if (crypto_box_keypair(key->pk, key->sk) != 0) {
		sodium_free(key);
		return ruhu_error_set(RUHU_ERROR, "cannot make a box key");
	}
	sodium_mprotect_readonly(key);
	*out = key;
	return 0;
}

int ruhu_boxkey_save(unsigned char out[RUHU_KEY_STOREBYTES], const ruhu_boxkey *key)
{
	save_record(out, KIND_BOX, key->sk, key->pk);
	return 0;
}

int ruhu_boxkey_load(ruhu_boxkey **out, const void *data, size_t len)
{
	const unsigned char *p = data;
	ruhu_boxkey *key;
	int error;

	*out = NULL;
	if ((error = check_record(data, len, KIND_BOX, "box key")) < 0)
		return error;
	if ((key = secure_alloc(sizeof(*key))) == NULL)
		return ruhu_error_oom();
	memcpy(key->sk, p + 8, 32);
	if (crypto_scalarmult_base(key->pk, key->sk) != 0 ||
	    sodium_memcmp(key->pk, p + 40, 32) != 0) {
		sodium_free(key);
		return ruhu_error_set(RUHU_ECORRUPT, "stored box key does not match its public key");
	}
	sodium_mprotect_readonly(key);
	*out = key;
	return 0;
}

const unsigned char *ruhu_boxkey_public(const ruhu_boxkey *key)
{
	return key->pk;
}

void ruhu_boxkey_free(ruhu_boxkey *key)
{
	if (key)
		sodium_free(key);
}

/* --- sealed boxes -------------------------------------------------------- */

int ruhu_box_seal(ruhu_buf *out, const void *msg, size_t len,
	const unsigned char pk[RUHU_BOX_PUBLICKEYBYTES])
{
	int error;

	if (len > SIZE_MAX - crypto_box_SEALBYTES - 1)
		return ruhu_error_oom();
	if ((error = ruhu_buf_grow(out, len + crypto_box_SEALBYTES)) < 0)
		return error;
	if (crypto_box_seal((unsigned char *)out->ptr + out->size, msg, len, pk) != 0)
		return ruhu_error_set(RUHU_ERROR, "cannot seal a box");
	out->size += len + crypto_box_SEALBYTES;
	out->ptr[out->size] = '\0';
	return 0;
}

int ruhu_box_open(unsigned char *out, size_t outlen, const void *sealed, size_t len,
	const ruhu_boxkey *key)
{
	char id[RUHU_KEYID_HEXLEN + 1];

	if (len < crypto_box_SEALBYTES || outlen != len - crypto_box_SEALBYTES)
		return ruhu_error_set(RUHU_EINVALID, "sealed box of %zu bytes cannot hold %zu",
			len, outlen);
	if (crypto_box_seal_open(out, sealed, len, key->pk, key->sk) != 0) {
		sodium_memzero(out, outlen);
		ruhu_keyid(id, key->pk);
		return ruhu_error_set(RUHU_EAUTH,
			"sealed box was not sealed to key %s or was altered", id);
	}
	return 0;
}

/* --- stream encryption (crypto.h, design note 3) -------------------------- */

int ruhu_stream_encrypt(ruhu_buf *out, const unsigned char key[RUHU_STREAM_KEYBYTES],
	const void *in, size_t len, const void *ad, size_t adlen)
{
	crypto_secretstream_xchacha20poly1305_state st;
	const unsigned char *p = in;
	size_t chunks = len / RUHU_STREAM_CHUNK + 1, total, start = out->size;
	int error = 0;

	/* design note 3: header + every chunk's overhead + the bytes */
	if (chunks > (SIZE_MAX - RUHU_STREAM_HEADERBYTES - len) / RUHU_STREAM_ABYTES)
		return ruhu_error_oom();
	total = RUHU_STREAM_HEADERBYTES + chunks * RUHU_STREAM_ABYTES + len;
	if ((error = ruhu_buf_grow(out, total)) < 0)
		return error;
	crypto_secretstream_xchacha20poly1305_init_push(&st,
		(unsigned char *)out->ptr + out->size, key);
	out->size += RUHU_STREAM_HEADERBYTES;
	for (size_t i = 0; i < chunks; i++) {
		size_t n = len - i * RUHU_STREAM_CHUNK;
		unsigned char tag = crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
		unsigned long long clen;

		/* every chunk but the last is full; the last may be empty */
		if (i == chunks - 1)
			tag = crypto_secretstream_xchacha20poly1305_TAG_FINAL;
		else
			n = RUHU_STREAM_CHUNK;
		if (crypto_secretstream_xchacha20poly1305_push(&st,
			(unsigned char *)out->ptr + out->size, &clen,
			n ? p + i * RUHU_STREAM_CHUNK : NULL, n, ad, adlen, tag) != 0) {
			error = ruhu_error_set(RUHU_ERROR, "cannot encrypt a stream chunk");
			ruhu_buf_truncate(out, start);
			goto done;
		}
		out->size += (size_t)clen;
	}
	out->ptr[out->size] = '\0';
done:
	sodium_memzero(&st, sizeof(st));
	return error;
}

int ruhu_stream_decrypt(ruhu_buf *out, const unsigned char key[RUHU_STREAM_KEYBYTES],
	const void *in, size_t len, const void *ad, size_t adlen)
{
	crypto_secretstream_xchacha20poly1305_state st;
	const unsigned char *p = in;
	size_t pos = RUHU_STREAM_HEADERBYTES, start = out->size;
	int error = 0, final = 0;

	if (len < RUHU_STREAM_HEADERBYTES + RUHU_STREAM_ABYTES)
		return ruhu_error_set(RUHU_ECORRUPT, "encrypted stream is truncated");
	/* the plaintext is never longer than the input */
	if ((error = ruhu_buf_grow(out, len)) < 0)
		return error;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&st, p, key) != 0) {
		error = ruhu_error_set(RUHU_ECORRUPT, "encrypted stream has a bad header");
		goto done;
	}
	while (pos < len) {
		size_t n = len - pos;
		unsigned long long mlen;
		unsigned char tag;

		if (final) {
			error = ruhu_error_set(RUHU_ECORRUPT,
				"encrypted stream has bytes after its final chunk");
			goto done;
		}
		if (n > RUHU_STREAM_CHUNK + RUHU_STREAM_ABYTES)
			n = RUHU_STREAM_CHUNK + RUHU_STREAM_ABYTES;
		if (n < RUHU_STREAM_ABYTES ||
		    crypto_secretstream_xchacha20poly1305_pull(&st,
			(unsigned char *)out->ptr + out->size, &mlen, &tag, p + pos, n,
			ad, adlen) != 0) {
			error = ruhu_error_set(RUHU_ECORRUPT,
				"encrypted stream chunk at byte %zu does not authenticate", pos);
			goto done;
		}
		if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL)
			final = 1;
		else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE ||
			 n != RUHU_STREAM_CHUNK + RUHU_STREAM_ABYTES) {
			error = ruhu_error_set(RUHU_ECORRUPT,
				"encrypted stream chunk at byte %zu is out of place", pos);
			goto done;
		}
		out->size += (size_t)mlen;
		pos += n;
	}
	if (!final)
		error = ruhu_error_set(RUHU_ECORRUPT, "encrypted stream is truncated");
done:
	sodium_memzero(&st, sizeof(st));
	if (error < 0) {
		sodium_memzero(out->ptr + start, out->size - start);
		ruhu_buf_truncate(out, start);
	} else {
		out->ptr[out->size] = '\0';
	}
	return error;
}

/* --- hashes ----------------------------------------------------------------- */

int ruhu_hash_blake2b(unsigned char *out, size_t outlen, const void *in, size_t len,
	const unsigned char *key, size_t keylen)
{
	if (outlen < crypto_generichash_BYTES_MIN || outlen > crypto_generichash_BYTES_MAX ||
	    keylen > crypto_generichash_KEYBYTES_MAX)
		return ruhu_error_set(RUHU_EINVALID, "blake2b cannot make %zu bytes", outlen);
	crypto_generichash(out, outlen, in, len, keylen ? key : NULL, keylen);
	return 0;
}

void ruhu_hash_sha256(unsigned char out[RUHU_SHA256_BYTES], const void *in, size_t len)
{
	crypto_hash_sha256(out, in, len);
}

void ruhu_hash_sha512(unsigned char out[RUHU_SHA512_BYTES], const void *in, size_t len)
{
	crypto_hash_sha512(out, in, len);
}

int ruhu_hash_init(ruhu_hash_state *st, ruhu_hash_kind kind, size_t outlen)
{
	st->kind = kind;
	switch (kind) {
	case RUHU_HASH_BLAKE2B:
		if (outlen < crypto_generichash_BYTES_MIN || outlen > crypto_generichash_BYTES_MAX)
			return ruhu_error_set(RUHU_EINVALID, "blake2b cannot make %zu bytes", outlen);
		st->outlen = outlen;
		crypto_generichash_init((crypto_generichash_state *)st->opaque, NULL, 0, outlen);
		return 0;
	case RUHU_HASH_SHA256:
		st->outlen = crypto_hash_sha256_BYTES;
		crypto_hash_sha256_init((crypto_hash_sha256_state *)st->opaque);
		return 0;
	case RUHU_HASH_SHA512:
		st->outlen = crypto_hash_sha512_BYTES;
		crypto_hash_sha512_init((crypto_hash_sha512_state *)st->opaque);
		return 0;
	}
	return ruhu_error_set(RUHU_EINVALID, "unknown hash kind %d", (int)kind);
}

void ruhu_hash_update(ruhu_hash_state *st, const void *in, size_t len)
{
	switch (st->kind) {
	case RUHU_HASH_BLAKE2B:
		crypto_generichash_update((crypto_generichash_state *)st->opaque, in, len);
		break;
	case RUHU_HASH_SHA256:
		crypto_hash_sha256_update((crypto_hash_sha256_state *)st->opaque, in, len);
		break;
	case RUHU_HASH_SHA512:
		crypto_hash_sha512_update((crypto_hash_sha512_state *)st->opaque, in, len);
		break;
	}
}

void ruhu_hash_final(ruhu_hash_state *st, unsigned char *out)
{
	switch (st->kind) {
	case RUHU_HASH_BLAKE2B:
		crypto_generichash_final((crypto_generichash_state *)st->opaque, out, st->outlen);
		break;
	case RUHU_HASH_SHA256:
		crypto_hash_sha256_final((crypto_hash_sha256_state *)st->opaque, out);
		break;
	case RUHU_HASH_SHA512:
		crypto_hash_sha512_final((crypto_hash_sha512_state *)st->opaque, out);
		break;
	}
	sodium_memzero(st->opaque, sizeof(st->opaque));
}

/* --- random bytes, comparisons, encodings --------------------------------------- */

void ruhu_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

int ruhu_memequal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

int ruhu_base64_encode(ruhu_buf *out, const void *in, size_t len)
{
	size_t enc;
	int error;

	if (len > (SIZE_MAX - 2) / 4 * 3 - 3)
		return ruhu_error_oom();
	enc = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	if ((error = ruhu_buf_grow(out, enc)) < 0)
		return error;
	sodium_bin2base64(out->ptr + out->size, enc, in, len, sodium_base64_VARIANT_ORIGINAL);
	out->size += enc - 1; /* enc counts the NUL */
	return 0;
}

int ruhu_base64_decode(ruhu_buf *out, const char *in, size_t len, const char *ignore)
{
	size_t max = len / 4 * 3 + 3, got = 0;
	int error;

	if ((error = ruhu_buf_grow(out, max)) < 0)
		return error;
	if (sodium_base642bin((unsigned char *)out->ptr + out->size, max, in, len, ignore, &got,
			      NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return ruhu_error_set(RUHU_EINVALID, "text of %zu bytes is not base64", len);
	out->size += got;
	out->ptr[out->size] = '\0';
	return 0;
}

void ruhu_keyid(char out[RUHU_KEYID_HEXLEN + 1], const unsigned char pk[32])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), pk, 32, NULL, 0);
	sodium_bin2hex(out, RUHU_KEYID_HEXLEN + 1, h, RUHU_KEYID_HEXLEN / 2);
}
