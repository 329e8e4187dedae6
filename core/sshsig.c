/*
 * sshsig.c — OpenSSH signatures with Ed25519 keys (see core/sshsig.h).
 *
 * Design notes
 *  1. Blobs are built in a ruhu_buf with put_u32/put_string and read with a
 *     bounds-checked reader (rd_*) that fails on the first length running
 *     past the bytes left; the reader never reads before checking.
 *  2. The signed message's hash is computed here; the Ed25519 operations are
 *     crypto.c's (ruhu_signkey_sign, ruhu_sign_verify).
 */
#include <string.h>
#include <time.h>

#include "core/sshsig.h"

#define BEGIN "-----BEGIN SSH SIGNATURE-----"
#define END "-----END SSH SIGNATURE-----"
#define KEYTYPE "ssh-ed25519"
#define MAGIC "SSHSIG"
#define LINE 70

typedef struct {
	const unsigned char *p;
	size_t len, pos;
} reader;

static int put_u32(ruhu_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	return ruhu_buf_put(b, x, 4);
}

static int put_string(ruhu_buf *b, const void *data, size_t len)
{
	int error;

	if (len > UINT32_MAX)
		return ruhu_error_set(RUHU_EINVALID, "field of %zu bytes is too long to sign", len);
	if ((error = put_u32(b, (uint32_t)len)) < 0)
		return error;
	return ruhu_buf_put(b, data, len);
}

static int put_pubkey_blob(ruhu_buf *b, const unsigned char pk[32])
{
	int error;

	if ((error = put_string(b, KEYTYPE, strlen(KEYTYPE))) < 0)
		return error;
	return put_string(b, pk, 32);
}

static int rd_u32(reader *r, uint32_t *v)
{
	if (r->len - r->pos < 4)
		return -1;
	*v = (uint32_t)r->p[r->pos] << 24 | (uint32_t)r->p[r->pos + 1] << 16 |
	     (uint32_t)r->p[r->pos + 2] << 8 | r->p[r->pos + 3];
	r->pos += 4;
	return 0;
}

static int rd_string(reader *r, const unsigned char **s, size_t *n)
{
	uint32_t len;

	if (rd_u32(r, &len) < 0 || len > r->len - r->pos)
		return -1;
	*s = r->p + r->pos;
	*n = len;
	r->pos += len;
	return 0;
}

static int rd_is(reader *r, const char *want)
{
	const unsigned char *s;
	size_t n;

	return rd_string(r, &s, &n) == 0 && n == strlen(want) && memcmp(s, want, n) == 0;
}

/* string("ssh-ed25519") string(32 or 64 bytes), and nothing more. */
static int rd_typed(const unsigned char *blob, size_t len, size_t want, const unsigned char **out)
{
	reader r = { blob, len, 0 };
	size_t n;

	if (!rd_is(&r, KEYTYPE) || rd_string(&r, out, &n) < 0 || n != want || r.pos != r.len)
		return -1;
	return 0;
}

/* The bytes the Ed25519 signature covers (sshsig.h); `hash` is "sha512" or
 * "sha256", `reserved` is signed as it came (empty in practice). */
static int signed_data(ruhu_buf *out, const void *ns, size_t nslen, const void *reserved,
	size_t rlen, const char *hash, const void *data, size_t len)
{
	unsigned char h[64];
	size_t hlen = 64;
	int error;

	if (!strcmp(hash, "sha512")) {
		ruhu_hash_sha512(h, data, len);
	} else {
		ruhu_hash_sha256(h, data, len);
		hlen = 32;
	}
	if ((error = ruhu_buf_put(out, MAGIC, 6)) < 0 ||
	    (error = put_string(out, ns, nslen)) < 0 ||
	    (error = put_string(out, reserved, rlen)) < 0 ||
	    (error = put_string(out, hash, strlen(hash))) < 0)
		return error;
	return put_string(out, h, hlen);
}

int ruhu_sshsig_sign(ruhu_buf *out, const ruhu_signkey *key, const char *ns, const void *data,
	size_t len)
{
	ruhu_buf msg = RUHU_BUF_INIT, blob = RUHU_BUF_INIT, sigblob = RUHU_BUF_INIT,
		 b64 = RUHU_BUF_INIT;
	unsigned char sig[RUHU_SIGN_BYTES];
	size_t start = out->size;
	int error;

	if ((error = signed_data(&msg, ns, strlen(ns), "", 0, "sha512", data, len)) < 0 ||
	    (error = ruhu_signkey_sign(sig, key, msg.ptr, msg.size)) < 0)
		goto done;
	if ((error = put_string(&sigblob, KEYTYPE, strlen(KEYTYPE))) < 0 ||
	    (error = put_string(&sigblob, sig, sizeof(sig))) < 0 ||
	    (error = ruhu_buf_put(&blob, MAGIC, 6)) < 0 ||
	    (error = put_u32(&blob, 1)) < 0 ||
	    (error = put_u32(&blob, 4 + 11 + 4 + 32)) < 0 ||
	    (error = put_pubkey_blob(&blob, ruhu_signkey_public(key))) < 0 ||
	    (error = put_string(&blob, ns, strlen(ns))) < 0 ||
	    (error = put_string(&blob, "", 0)) < 0 ||
	    (error = put_string(&blob, "sha512", 6)) < 0 ||
	    (error = put_string(&blob, sigblob.ptr, sigblob.size)) < 0 ||
	    (error = ruhu_base64_encode(&b64, blob.ptr, blob.size)) < 0)
		goto done;
	if ((error = ruhu_buf_puts(out, BEGIN "\n")) < 0)
		goto done;
	for (size_t i = 0; i < b64.size; i += LINE) {
		size_t n = b64.size - i < LINE ? b64.size - i : LINE;

		if ((error = ruhu_buf_put(out, b64.ptr + i, n)) < 0 ||
		    (error = ruhu_buf_putc(out, '\n')) < 0)
			goto done;
	}
	error = ruhu_buf_puts(out, END); /* design note 2 of sshsig.h: no newline */
done:
	if (error < 0)
		ruhu_buf_truncate(out, start);
	ruhu_buf_dispose(&msg);
	ruhu_buf_dispose(&blob);
	ruhu_buf_dispose(&sigblob);
	ruhu_buf_dispose(&b64);
	return error;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Base64-decode what lies between the armour lines (sshsig.h, note 3). */
static int unarmour(ruhu_buf *blob, const char *a, size_t len)
{
	size_t s = 0, e = len, blen = strlen(BEGIN), elen = strlen(END);
	int error;

	if (len > RUHU_SSHSIG_MAX_ARMOUR)
		return ruhu_error_set(RUHU_ECORRUPT, "ssh signature of %zu bytes is too long", len);
	while (s < e && is_space(a[s]))
		s++;
	while (e > s && is_space(a[e - 1]))
		e--;
	if (e - s < blen + elen || memcmp(a + s, BEGIN, blen) != 0 ||
	    memcmp(a + e - elen, END, elen) != 0)
		return ruhu_error_set(RUHU_ECORRUPT, "text is not an armoured ssh signature");
	if ((error = ruhu_base64_decode(blob, a + s + blen, e - elen - s - blen, " \t\r\n")) < 0)
		return error == RUHU_ENOMEM ? error :
		       ruhu_error_set(RUHU_ECORRUPT, "ssh signature armour holds bad base64");
	return 0;
}

int ruhu_sshsig_verify(unsigned char out_key[32], const char *armoured, size_t armlen,
	const char *ns, const void *data, size_t len)
{
	ruhu_buf blob = RUHU_BUF_INIT, msg = RUHU_BUF_INIT;
	const unsigned char *pkblob, *sns, *reserved, *hash, *sigblob, *pk, *sig;
	size_t pklen, nslen, rlen, hlen, siglen;
	char hashname[8];
	uint32_t version;
	reader r;
	int error;

	if (out_key)
		memset(out_key, 0, 32);
	if ((error = unarmour(&blob, armoured, armlen)) < 0)
		goto done;
	r.p = (const unsigned char *)blob.ptr;
	r.len = blob.size;
	r.pos = 0;
	if (r.len < 6 || memcmp(r.p, MAGIC, 6) != 0) {
		error = ruhu_error_set(RUHU_ECORRUPT, "ssh signature lacks its magic");
		goto done;
	}
	r.pos = 6;
	if (rd_u32(&r, &version) < 0 || version != 1 || rd_string(&r, &pkblob, &pklen) < 0 ||
	    rd_string(&r, &sns, &nslen) < 0 || rd_string(&r, &reserved, &rlen) < 0 ||
	    rd_string(&r, &hash, &hlen) < 0 || rd_string(&r, &sigblob, &siglen) < 0 ||
	    r.pos != r.len) {
		error = ruhu_error_set(RUHU_ECORRUPT, "ssh signature is malformed");
		goto done;
	}
	if (rd_typed(pkblob, pklen, 32, &pk) < 0 || rd_typed(sigblob, siglen, 64, &sig) < 0) {
		error = ruhu_error_set(RUHU_ECORRUPT, "ssh signature is not an ssh-ed25519 one");
		goto done;
	}
	if (hlen != 6 || (memcmp(hash, "sha512", 6) && memcmp(hash, "sha256", 6))) {
		error = ruhu_error_set(RUHU_ECORRUPT, "ssh signature uses an unknown hash");
		goto done;
	}
	memcpy(hashname, hash, 6);
	hashname[6] = '\0';
	if (out_key)
		memcpy(out_key, pk, 32);
	if (nslen != strlen(ns) || memcmp(sns, ns, nslen) != 0) {
		error = ruhu_error_set(RUHU_EAUTH, "ssh signature is not for namespace %s", ns);
		goto done;
	}
	if ((error = signed_data(&msg, ns, nslen, reserved, rlen, hashname, data, len)) < 0)
		goto done;
	error = ruhu_sign_verify(sig, msg.ptr, msg.size, pk);
done:
	ruhu_buf_dispose(&blob);
	ruhu_buf_dispose(&msg);
	return error;
}

int ruhu_sshsig_pubkey_line(ruhu_buf *out, const unsigned char pk[32], const char *comment)
{
	ruhu_buf blob = RUHU_BUF_INIT;
	size_t start = out->size;
	int error;

	if (comment && strpbrk(comment, "\r\n"))
		return ruhu_error_set(RUHU_EINVALID, "key comment holds a line break");
	if ((error = put_pubkey_blob(&blob, pk)) < 0 ||
	    (error = ruhu_buf_puts(out, KEYTYPE " ")) < 0 ||
	    (error = ruhu_base64_encode(out, blob.ptr, blob.size)) < 0)
		goto done;
	if (comment && *comment)
		error = ruhu_buf_printf(out, " %s", comment);
done:
	if (error < 0)
		ruhu_buf_truncate(out, start);
	ruhu_buf_dispose(&blob);
	return error;
}

int ruhu_sshsig_pubkey_parse(unsigned char out[32], const char *line, size_t len)
{
	ruhu_buf blob = RUHU_BUF_INIT;
	const unsigned char *pk;
	size_t s = 0, e, tlen = strlen(KEYTYPE);
	int error = 0;

	memset(out, 0, 32);
	while (s < len && is_space(line[s]))
		s++;
	if (len - s <= tlen || memcmp(line + s, KEYTYPE, tlen) != 0 || line[s + tlen] != ' ') {
		error = ruhu_error_set(RUHU_EINVALID, "public key is not an ssh-ed25519 key line");
		goto done;
	}
	s += tlen;
	while (s < len && line[s] == ' ')
		s++;
	for (e = s; e < len && !is_space(line[e]);)
		e++;
	if ((error = ruhu_base64_decode(&blob, line + s, e - s, NULL)) == RUHU_ENOMEM)
		goto done;
	if (error < 0 || rd_typed((const unsigned char *)blob.ptr, blob.size, 32, &pk) < 0) {
		error = ruhu_error_set(RUHU_EINVALID, "ssh-ed25519 key line holds a damaged key");
		goto done;
	}
	memcpy(out, pk, 32);
done:
	ruhu_buf_dispose(&blob);
	return error;
}

/*
 * The option valid-before="YYYYMMDDHHMMSSZ" for a key that no longer counts
 * from `ms` (sshsig.h).  OpenSSH accepts a signature checked at second t when
 * t <= valid-before; ruhu refuses a commit of second t when ms <= t * 1000
 * (core/trust.c).  Both agree when valid-before is ceil(ms / 1000) - 1,
 * which for ms > 0 is (ms - 1) / 1000.
 */
static int put_valid_before(ruhu_buf *out, int64_t ms)
{
	time_t t;
	struct tm tm;

	/* no revocation is dated before 1970; the format has four digits of year */
	if (ms < 0)
		goto bad;
	t = (time_t)((ms - 1) / 1000);
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999)
		goto bad;
	return ruhu_buf_printf(out, "valid-before=\"%04d%02d%02d%02d%02d%02dZ\" ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
bad:
	return ruhu_error_set(RUHU_EINVALID, "%lld ms is not a time an allowed-signers line can hold",
		(long long)ms);
}

int ruhu_sshsig_allowed_signer_line(ruhu_buf *out, const char *principal,
	const unsigned char pk[32], int64_t valid_before_ms)
{
	size_t start = out->size, n = principal ? strlen(principal) : 0;
	int error;

	if (n == 0 || n > 256 || principal[0] == '#')
		goto bad;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)principal[i];

		if (c <= ' ' || c == 0x7f || strchr("\"',*?!", c))
			goto bad;
	}
	if ((error = ruhu_buf_printf(out, "%s ", principal)) < 0 ||
	    (valid_before_ms && (error = put_valid_before(out, valid_before_ms)) < 0) ||
	    (error = ruhu_sshsig_pubkey_line(out, pk, NULL)) < 0)
		ruhu_buf_truncate(out, start);
	return error;
bad:
	return ruhu_error_set(RUHU_EINVALID, "'%.80s' cannot be an allowed-signers principal",
		principal ? principal : "");
}
