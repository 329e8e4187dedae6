/*
 * kvdoc.c — small signed text documents (format in kvdoc.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sync/kvdoc.h"

#define MAX_DOC 16384
#define MAX_VALUE 1024

static int key_ok(const char *k, size_t n)
{
	if (n == 0 || n > 24)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || k[i] == '-'))
			return 0;
	return 1;
}

static int value_ok(const char *v, size_t n)
{
	if (n > MAX_VALUE)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

int ruhu_kvdoc_write(ruhu_buf *out, const char *magic, const char *const *keys,
		     const char *const *values, size_t n, const ruhu_signkey *key)
{
	unsigned char sig[64];
	size_t start = out->size;
	int error;

	if (n > RUHU_KVDOC_MAX_ITEMS - 1)
		return ruhu_error_set(RUHU_EINVALID, "too many lines for a %s", magic);
	if ((error = ruhu_buf_printf(out, "%s\n", magic)) < 0)
		return error;
	for (size_t i = 0; i < n; i++) {
		const char *v = values[i] ? values[i] : "";

		if (!key_ok(keys[i], strlen(keys[i])) || !value_ok(v, strlen(v)))
			return ruhu_error_set(RUHU_EINVALID, "bad '%s' line for a %s", keys[i], magic);
		if ((error = ruhu_buf_printf(out, "%s: %s\n", keys[i], v)) < 0)
			return error;
	}
	if (key == NULL)
		return 0;
	if ((error = ruhu_signkey_sign(sig, key, out->ptr + start, out->size - start)) < 0 ||
	    (error = ruhu_buf_puts(out, "signature: ")) < 0 ||
	    (error = ruhu_base64_encode(out, sig, sizeof(sig))) < 0)
		return error;
	return ruhu_buf_putc(out, '\n');
}

void ruhu_kvdoc_dispose(ruhu_kvdoc *doc)
{
	free(doc->text_);
	memset(doc, 0, sizeof(*doc));
}

int ruhu_kvdoc_parse(ruhu_kvdoc *out, const void *data, size_t len, const char *magic,
		     int want_signature)
{
	const char *p, *end, *line, *nl;
	size_t mlen = strlen(magic), lineno = 1;
	int error = 0;

	memset(out, 0, sizeof(*out));
	if (len > MAX_DOC)
		return ruhu_error_set(RUHU_ECORRUPT, "the %s is too large", magic);
	if ((out->text_ = malloc(len + 1)) == NULL)
		return ruhu_error_oom();
	memcpy(out->text_, data, len);
	out->text_[len] = '\0';
	out->data_ = data;
	p = out->text_;
	end = p + len;
	if (len < mlen + 1 || memcmp(p, magic, mlen) || p[mlen] != '\n') {
		error = ruhu_error_set(RUHU_ECORRUPT, "not a %s (its first line differs)", magic);
		goto done;
	}
	for (line = p + mlen + 1; line < end; line = nl + 1) {
		const char *colon;
		size_t klen;

		lineno++;
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL) {
			error = ruhu_error_set(RUHU_ECORRUPT, "%s line %zu does not end", magic, lineno);
			goto done;
		}
		if (out->has_signature) {
			error = ruhu_error_set(RUHU_ECORRUPT, "%s line %zu follows the signature", magic, lineno);
			goto done;
		}
		colon = memchr(line, ':', (size_t)(nl - line));
		if (colon == NULL || colon + 1 >= nl + 1 || colon[1] != ' ' ||
		    !key_ok(line, klen = (size_t)(colon - line)) ||
		    !value_ok(colon + 2, (size_t)(nl - colon - 2))) {
			error = ruhu_error_set(RUHU_ECORRUPT, "%s line %zu is not 'key: value'", magic, lineno);
			goto done;
		}
		*(char *)colon = '\0';
		*(char *)nl = '\0';
		if (klen == 9 && !memcmp(line, "signature", 9)) {
			ruhu_buf sig = RUHU_BUF_INIT;

			if (ruhu_base64_decode(&sig, colon + 2, strlen(colon + 2), NULL) < 0 || sig.size != 64) {
				ruhu_buf_dispose(&sig);
				error = ruhu_error_set(RUHU_ECORRUPT, "%s line %zu holds no signature", magic, lineno);
				goto done;
			}
			memcpy(out->signature, sig.ptr, 64);
			ruhu_buf_dispose(&sig);
			out->has_signature = 1;
			out->signed_len = (size_t)(line - p);
			continue;
		}
		if (out->count == RUHU_KVDOC_MAX_ITEMS) {
			error = ruhu_error_set(RUHU_ECORRUPT, "the %s has too many lines", magic);
			goto done;
		}
		for (size_t i = 0; i < out->count; i++)
			if (!strcmp(out->items[i].key, line)) {
				error = ruhu_error_set(RUHU_ECORRUPT, "%s line %zu repeats '%s'", magic, lineno, line);
				goto done;
			}
		out->items[out->count].key = (char *)line;
		out->items[out->count].value = (char *)colon + 2;
		out->count++;
	}
	if (want_signature && !out->has_signature)
		error = ruhu_error_set(RUHU_ECORRUPT, "the %s is not signed", magic);
	else if (!want_signature && out->has_signature)
		error = ruhu_error_set(RUHU_ECORRUPT, "the %s should not be signed", magic);
done:
	if (error < 0)
		ruhu_kvdoc_dispose(out);
	return error;
}

int ruhu_kvdoc_verify(const ruhu_kvdoc *doc, const unsigned char pk[32])
{
	if (!doc->has_signature)
		return ruhu_error_set(RUHU_EAUTH, "the document is not signed");
	if (ruhu_sign_verify(doc->signature, doc->data_, doc->signed_len, pk) < 0)
		return ruhu_error_set(RUHU_EAUTH, "the document's signature does not verify");
	return 0;
}

const char *ruhu_kvdoc_get(const ruhu_kvdoc *doc, const char *key)
{
	for (size_t i = 0; i < doc->count; i++)
		if (!strcmp(doc->items[i].key, key))
			return doc->items[i].value;
	return NULL;
}

int ruhu_kvdoc_need(const char **out, const ruhu_kvdoc *doc, const char *key, const char *what)
{
	if ((*out = ruhu_kvdoc_get(doc, key)) == NULL || (*out)[0] == '\0')
		return ruhu_error_set(RUHU_ECORRUPT, "the %s has no %s", what, key);
	return 0;
}

int ruhu_kvdoc_key(unsigned char out[32], const ruhu_kvdoc *doc, const char *key, const char *what)
{
	ruhu_buf b = RUHU_BUF_INIT;
	const char *v;
	int error;

	if ((error = ruhu_kvdoc_need(&v, doc, key, what)) < 0)
		return error;
	if (ruhu_base64_decode(&b, v, strlen(v), NULL) < 0 || b.size != 32)
		error = ruhu_error_set(RUHU_ECORRUPT, "the %s's %s is not a public key", what, key);
	else
		memcpy(out, b.ptr, 32);
	ruhu_buf_dispose(&b);
	return error;
}
