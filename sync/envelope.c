/*
 * envelope.c — the envelope a bundle travels in: its frozen format, the
 * writer, and the two-step reader (see sync/envelope.h for the design notes).
 *
 * Format (frozen; version 1).  Integers are big-endian.
 *
 *   OFFSET   SIZE  DESCRIPTION
 *   0        8     magic "ruhu-env"
 *   8        1     format version, 1
 *   9        1     hash algorithm of the bundle inside: 1 = SHA-1
 *   10       1     kind: 1 device bundle, 2 hub reply, 3 enrolment request,
 *                  4 enrolment reply
 *   11       1     S, length of the sender id, 1..64
 *   12       1     R, length of the recipient id, 1..64
 *   13       1     body encoding: 0 = the bytes as they are (the only value in
 *                  version 1; room for a compressed encoding later)
 *   14       2     zero
 *   16       8     created: seconds since the epoch (two's complement), 0 = not given
 *   24       8     B, length of the body in bytes, 0..2^31
 *   32       16    recipient key id: 16 lowercase hex digits, ruhu_keyid() of the
 *                  recipient's X25519 box public key
 *   48       S     sender id: letters, digits, '_', '.', '-'
 *   48+S     R     recipient id: same characters
 *   H        80    body key: 32 random bytes sealed to the recipient's box key
 *                  (crypto_box_seal: 32 + 48 bytes); H = 48 + S + R
 *   H+80     C     body: crypto_secretstream_xchacha20poly1305 of the B bytes in
 *                  chunks of 65,536 (core/crypto.h, design note 3), every chunk
 *                  with bytes 0..H+79 as associated data;
 *                  C = 24 + 17 * (floor(B / 65536) + 1) + B
 *   H+80+C   64    Ed25519 signature by the sender over bytes 0..H+80+C-1
 *   H+144+C        end: the envelope is exactly this long
 *
 * Design notes (of this file)
 *  1. The parser checks the fixed part, then computes the one length the
 *     envelope may have from S, R and B (in 64-bit arithmetic, B capped
 *     first) and refuses any other length before anything else is read.
 *  2. The writer builds the header (at most 48 + 64 + 64 + 80 bytes) in its
 *     own buffer, because it is the associated data of every body chunk and
 *     the output buffer moves while the body is encrypted into it.
 *  3. The parsed header borrows the caller's bytes.  After the signature,
 *     open parses the signed bytes again and refuses them when they no longer
 *     say what parse told the caller (the sender it looked up, above all).
 */
#include <string.h>

#include "sync/envelope.h"

#define FIXED 48
#define SEALED (32 + RUHU_BOX_SEALBYTES)

static const unsigned char magic[8] = { 'r', 'u', 'h', 'u', '-', 'e', 'n', 'v' };

const char *ruhu_envelope_kind_name(unsigned int kind)
{
	switch (kind) {
	case RUHU_ENVELOPE_DEVICE_BUNDLE: return "device bundle";
	case RUHU_ENVELOPE_HUB_REPLY: return "hub reply";
	case RUHU_ENVELOPE_ENROL_REQUEST: return "enrolment request";
	case RUHU_ENVELOPE_ENROL_REPLY: return "enrolment reply";
	}
	return "unknown";
}

static int id_ok(const char *s, size_t n)
{
	if (n < 1 || n > RUHU_ENVELOPE_MAX_ID)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int ruhu_envelope_id_valid(const char *id)
{
	return id != NULL && id_ok(id, strnlen(id, RUHU_ENVELOPE_MAX_ID + 1));
}

int ruhu_envelope_opts_init(ruhu_envelope_opts *opts, unsigned int version)
{
	ruhu_envelope_opts init = RUHU_ENVELOPE_OPTS_INIT;

	if (version != RUHU_ENVELOPE_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "envelope options version %u is unknown", version);
	*opts = init;
	return 0;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* C of the format table, for a body of `b` <= RUHU_ENVELOPE_MAX_BODY bytes. */
static uint64_t cipher_size(uint64_t b)
{
	return RUHU_STREAM_HEADERBYTES + RUHU_STREAM_ABYTES * (b / RUHU_STREAM_CHUNK + 1) + b;
}

static int check_opts(const ruhu_envelope_opts *o, size_t len)
{
	unsigned int hash = o->hash ? o->hash : RUHU_ENVELOPE_HASH_SHA1;

	if (o->version != RUHU_ENVELOPE_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "envelope options version %u is unknown",
			o->version);
	if (o->kind < RUHU_ENVELOPE_DEVICE_BUNDLE || o->kind > RUHU_ENVELOPE_ENROL_REPLY)
		return ruhu_error_set(RUHU_EINVALID, "envelope kind %u is unknown", o->kind);
	if (hash != RUHU_ENVELOPE_HASH_SHA1)
		return ruhu_error_set(RUHU_EINVALID, "envelope hash algorithm %u is unknown", hash);
	if (!ruhu_envelope_id_valid(o->sender))
		return ruhu_error_set(RUHU_EINVALID, "'%.80s' is not a valid sender id",
			o->sender ? o->sender : "");
	if (!ruhu_envelope_id_valid(o->recipient))
		return ruhu_error_set(RUHU_EINVALID, "'%.80s' is not a valid recipient id",
			o->recipient ? o->recipient : "");
	if (o->recipient_key == NULL)
		return ruhu_error_set(RUHU_EINVALID, "envelope needs the recipient's box key");
	if ((uint64_t)len > RUHU_ENVELOPE_MAX_BODY)
		return ruhu_error_set(RUHU_EINVALID, "envelope body of %zu bytes is over the cap of "
			"%llu", len, (unsigned long long)RUHU_ENVELOPE_MAX_BODY);
	return 0;
}

int ruhu_envelope_seal(ruhu_buf *out, const ruhu_envelope_opts *opts,
	const ruhu_signkey *sender_key, const void *body, size_t len)
{
	unsigned char fixed[FIXED], key[RUHU_STREAM_KEYBYTES], sig[RUHU_SIGN_BYTES];
	char keyid[RUHU_KEYID_HEXLEN + 1];
	ruhu_buf head = RUHU_BUF_INIT;
	size_t start = out->size, s, r;
	uint64_t total;
	int error;

	if (opts == NULL)
		return ruhu_error_set(RUHU_EINVALID, "envelope needs its options");
	if ((error = check_opts(opts, len)) < 0)
		return error;
	s = strlen(opts->sender);
	r = strlen(opts->recipient);
	memset(fixed, 0, sizeof(fixed));
	memcpy(fixed, magic, sizeof(magic));
	fixed[8] = RUHU_ENVELOPE_VERSION;
	fixed[9] = (unsigned char)(opts->hash ? opts->hash : RUHU_ENVELOPE_HASH_SHA1);
	fixed[10] = (unsigned char)opts->kind;
	fixed[11] = (unsigned char)s;
	fixed[12] = (unsigned char)r;
	put_be64(fixed + 16, (uint64_t)opts->created);
	put_be64(fixed + 24, (uint64_t)len);
	ruhu_keyid(keyid, opts->recipient_key);
	memcpy(fixed + 32, keyid, RUHU_KEYID_HEXLEN);

	/* design note 3 of envelope.h: a fresh key, zeroed on every path */
	ruhu_random(key, sizeof(key));
	if ((error = ruhu_buf_put(&head, fixed, sizeof(fixed))) < 0 ||
	    (error = ruhu_buf_put(&head, opts->sender, s)) < 0 ||
	    (error = ruhu_buf_put(&head, opts->recipient, r)) < 0 ||
	    (error = ruhu_box_seal(&head, key, sizeof(key), opts->recipient_key)) < 0)
		goto done;
	total = head.size + cipher_size(len) + RUHU_SIGN_BYTES;
	if (total > SIZE_MAX - 1 - out->size) {
		error = ruhu_error_oom();
		goto done;
	}
	/* design note 2 of this file: `head` stays put while `out` grows */
	if ((error = ruhu_buf_grow(out, (size_t)total)) < 0 ||
	    (error = ruhu_buf_put(out, head.ptr, head.size)) < 0 ||
	    (error = ruhu_stream_encrypt(out, key, body, len, head.ptr, head.size)) < 0 ||
	    (error = ruhu_signkey_sign(sig, sender_key, out->ptr + start, out->size - start)) < 0)
		goto done;
	error = ruhu_buf_put(out, sig, sizeof(sig));
done:
	ruhu_memzero(key, sizeof(key));
	ruhu_buf_dispose(&head);
	if (error < 0 && out->ptr)
		ruhu_buf_truncate(out, start);
	return error;
}

int ruhu_envelope_parse(ruhu_envelope *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t b, total;
	size_t s, r;

	memset(out, 0, sizeof(*out));
	if (len < FIXED)
		return ruhu_error_set(RUHU_ECORRUPT, "envelope is truncated (%zu bytes)", len);
	if (memcmp(p, magic, sizeof(magic)) != 0)
		return ruhu_error_set(RUHU_ECORRUPT, "file is not a ruhu envelope");
	if (p[8] != RUHU_ENVELOPE_VERSION)
		return ruhu_error_set(RUHU_ECORRUPT, "envelope format version %u is unknown (ruhu "
			"reads version %d)", p[8], RUHU_ENVELOPE_VERSION);
	if (p[9] != RUHU_ENVELOPE_HASH_SHA1)
		return ruhu_error_set(RUHU_ECORRUPT, "envelope hash algorithm %u is unknown", p[9]);
	if (p[10] < RUHU_ENVELOPE_DEVICE_BUNDLE || p[10] > RUHU_ENVELOPE_ENROL_REPLY)
		return ruhu_error_set(RUHU_ECORRUPT, "envelope kind %u is unknown", p[10]);
	if (p[13] != 0)
		return ruhu_error_set(RUHU_ECORRUPT, "envelope body encoding %u is unknown", p[13]);
	if (p[14] || p[15])
		return ruhu_error_set(RUHU_ECORRUPT, "envelope reserved bytes are not zero");
	s = p[11];
	r = p[12];
	if (s < 1 || s > RUHU_ENVELOPE_MAX_ID || r < 1 || r > RUHU_ENVELOPE_MAX_ID)
		return ruhu_error_set(RUHU_ECORRUPT, "envelope id lengths %zu and %zu are not 1..%d",
			s, r, RUHU_ENVELOPE_MAX_ID);
	b = get_be64(p + 24);
	if (b > RUHU_ENVELOPE_MAX_BODY)
		return ruhu_error_set(RUHU_ECORRUPT, "envelope body of %llu bytes is over the cap",
			(unsigned long long)b);
	for (int i = 0; i < RUHU_KEYID_HEXLEN; i++) {
		unsigned char c = p[32 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return ruhu_error_set(RUHU_ECORRUPT, "envelope recipient key id is not hex");
	}
	/* design note 1 of this file: one possible length */
	total = FIXED + s + r + SEALED + cipher_size(b) + RUHU_SIGN_BYTES;
	if ((uint64_t)len < total)
		return ruhu_error_set(RUHU_ECORRUPT, "envelope is truncated (%zu of %llu bytes)",
			len, (unsigned long long)total);
	if ((uint64_t)len > total)
		return ruhu_error_set(RUHU_ECORRUPT, "envelope has %llu bytes after its signature",
			(unsigned long long)((uint64_t)len - total));
	if (!id_ok((const char *)p + FIXED, s) || !id_ok((const char *)p + FIXED + s, r))
		return ruhu_error_set(RUHU_ECORRUPT, "envelope sender or recipient id is not valid");
	out->version = p[8];
	out->hash = p[9];
	out->kind = p[10];
	memcpy(out->sender, p + FIXED, s);
	memcpy(out->recipient, p + FIXED + s, r);
	memcpy(out->recipient_keyid, p + 32, RUHU_KEYID_HEXLEN);
	out->created = (int64_t)get_be64(p + 16);
	out->body_size = b;
	out->data_ = p;
	out->len_ = len;
	out->body_at_ = FIXED + s + r + SEALED;
	return 0;
}

int ruhu_envelope_open(ruhu_buf *out, const ruhu_envelope *env,
	const unsigned char sender_pk[RUHU_SIGN_PUBLICKEYBYTES], const ruhu_boxkey *recipient)
{
	unsigned char key[RUHU_STREAM_KEYBYTES];
	char mine[RUHU_KEYID_HEXLEN + 1], signer[RUHU_KEYID_HEXLEN + 1];
	ruhu_envelope again;
	size_t start = out->size, signed_len, at;
	int error;

	if (env->data_ == NULL || env->len_ < env->body_at_ + RUHU_SIGN_BYTES)
		return ruhu_error_set(RUHU_EINVALID, "envelope was not parsed");
	signed_len = env->len_ - RUHU_SIGN_BYTES;
	at = env->body_at_;
	if (ruhu_sign_verify(env->data_ + signed_len, env->data_, signed_len, sender_pk) < 0) {
		ruhu_keyid(signer, sender_pk);
		return ruhu_error_set(RUHU_EAUTH,
			"signature of the envelope from %s does not verify with key %s", env->sender,
			signer);
	}
	/* the signed bytes must still say what the caller was told (design note 3
	 * of this file) */
	if ((error = ruhu_envelope_parse(&again, env->data_, env->len_)) < 0)
		return error;
	if (again.kind != env->kind || again.created != env->created ||
	    again.body_size != env->body_size || strcmp(again.sender, env->sender) != 0 ||
	    strcmp(again.recipient, env->recipient) != 0 ||
	    strcmp(again.recipient_keyid, env->recipient_keyid) != 0)
		return ruhu_error_set(RUHU_EINVALID, "envelope changed between parse and open");
	ruhu_keyid(mine, ruhu_boxkey_public(recipient));
	if (memcmp(mine, env->recipient_keyid, RUHU_KEYID_HEXLEN) != 0)
		return ruhu_error_set(RUHU_EAUTH, "envelope from %s is addressed to another recipient "
			"(key id %s, not %s)", env->sender, env->recipient_keyid, mine);
	if (ruhu_box_open(key, sizeof(key), env->data_ + at - SEALED, SEALED, recipient) < 0) {
		error = ruhu_error_set(RUHU_EAUTH, "key of the envelope from %s does not open with "
			"box key %s", env->sender, mine);
		goto done;
	}
	if ((error = ruhu_stream_decrypt(out, key, env->data_ + at, signed_len - at, env->data_,
			 at)) < 0)
		goto done;
	if ((uint64_t)(out->size - start) != env->body_size) {
		size_t got = out->size - start;

		ruhu_memzero(out->ptr + start, got);
		ruhu_buf_truncate(out, start);
		error = ruhu_error_set(RUHU_ECORRUPT, "body of the envelope from %s has %zu bytes, "
			"not %llu", env->sender, got, (unsigned long long)env->body_size);
	}
done:
	ruhu_memzero(key, sizeof(key));
	return error;
}
