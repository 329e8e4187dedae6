/*
 * signers.c — the `signers` section of replies: the signing keys the hub
 * knows (its own and every enrolled device's, with revocations), so that a
 * tablet can check the signature of every commit in main, whoever made it.
 *
 * Format (frozen, version 1): one line per key, fields separated by one
 * space:  ID ROLE BASE64-KEY ADDED-MS REVOKED-MS  (REVOKED-MS 0: not revoked).
 * At most 100,000 lines; anything else is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "sync/sync_int.h"

static int put_signer(const ruhu_signer *s, void *payload)
{
	ruhu_buf *out = payload;
	int error;

	if ((error = ruhu_buf_printf(out, "%s %s ", s->id, strcmp(s->role, "self") ? s->role : "hub")) < 0 ||
	    (error = ruhu_base64_encode(out, s->key, 32)) < 0)
		return error;
	return ruhu_buf_printf(out, " %lld %lld\n", (long long)s->added_ms, (long long)s->revoked_ms);
}

int ruhu_signers_section(ruhu_buf *out, sqlite3 *db)
{
	return ruhu_signers_foreach(db, NULL, put_signer, out);
}

static int field(const char **start, size_t *len, const char **p, const char *end, int last)
{
	const char *q = *p;

	while (q < end && *q != (last ? '\n' : ' ') && *q != '\n')
		q++;
	if (q >= end || *q != (last ? '\n' : ' ') || q == *p)
		return -1;
	*start = *p;
	*len = (size_t)(q - *p);
	*p = q + 1;
	return 0;
}

static int number(int64_t *out, const char *s, size_t n)
{
	int64_t v = 0;

	if (n == 0 || n > 15)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int ruhu_signers_apply(sqlite3 *db, const void *data, size_t len, const char *self)
{
	const char *p = data, *end = p + len;
	ruhu_buf key = RUHU_BUF_INIT;
	char id[RUHU_ID_SIZE], role[16];
	size_t lines = 0;
	int error = 0;

	while (p < end) {
		const char *f[5];
		size_t n[5];
		int64_t added, revoked;

		if (++lines > 100000) {
			error = ruhu_error_set(RUHU_ECORRUPT, "the reply lists too many signers");
			break;
		}
		for (int i = 0; i < 5; i++)
			if (field(&f[i], &n[i], &p, end, i == 4) < 0) {
				error = ruhu_error_set(RUHU_ECORRUPT, "signer line %zu of the reply is malformed", lines);
				goto done;
			}
		ruhu_buf_clear(&key);
		/* out of memory is no malformed line */
		if (n[0] < sizeof(id) && n[1] < sizeof(role) &&
		    (error = ruhu_base64_decode(&key, f[2], n[2], NULL)) == RUHU_ENOMEM)
			break;
		if (n[0] >= sizeof(id) || n[1] >= sizeof(role) || error < 0 || key.size != 32 ||
		    number(&added, f[3], n[3]) < 0 || number(&revoked, f[4], n[4]) < 0) {
			error = ruhu_error_set(RUHU_ECORRUPT, "signer line %zu of the reply is malformed", lines);
			break;
		}
		memcpy(id, f[0], n[0]);
		id[n[0]] = '\0';
		memcpy(role, f[1], n[1]);
		role[n[1]] = '\0';
		if (ruhu_identity_check_id(id, "signer id") < 0) {
			error = ruhu_error_set(RUHU_ECORRUPT, "signer line %zu of the reply has a bad id", lines);
			break;
		}
		if (self && !strcmp(id, self))
			continue; /* a replica knows its own key */
		if ((error = ruhu_signers_add(db, id, (const unsigned char *)key.ptr, role, added)) < 0)
			break;
		if (revoked && (error = ruhu_signers_revoke(db, id, revoked, "revoked by the hub")) < 0) {
			if (error != RUHU_ENOTFOUND)
				break;
			ruhu_error_clear();
			error = 0;
		}
	}
done:
	ruhu_buf_dispose(&key);
	return error;
}
