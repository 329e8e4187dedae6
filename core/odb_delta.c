/*
 * odb_delta.c — applying a git delta (from a pack) to its base object.  The
 * delta is untrusted: every offset, size and count is checked against the
 * bytes present and the declared sizes before it is used.
 *
 * Delta format (git's):
 *
 *   FIELD          SIZE  DESCRIPTION
 *   base size      1+    7-bit groups, little end first, bit 7 = more
 *   result size    1+    same encoding; capped by the caller's maximum
 *   instructions   ...   1xxxxxxx: copy from the base; bits 0-3 flag which
 *                        of 4 offset bytes follow, bits 4-6 which of 3 size
 *                        bytes follow (little end first; size 0 = 65536)
 *                        0nnnnnnn, n > 0: insert the next n delta bytes
 *                        00000000: invalid
 *
 * Design notes
 *  1. The result buffer is allocated once at the declared result size
 *     (already capped), and every instruction must fit in what is left of
 *     it; at the end it must be exactly full.
 *  2. The declared base size must equal the base's length.
 */
#include <stdlib.h>
#include <string.h>

#include "core/odb.h"

static int varint(uint64_t *v, const unsigned char *p, size_t end, size_t *pos)
{
	unsigned char c;
	int shift = 0;

	*v = 0;
	do {
		uint64_t bits;

		if (*pos >= end || shift >= 64)
			return -1;
		c = p[(*pos)++];
		bits = (uint64_t)(c & 0x7f);
		if ((bits << shift) >> shift != bits)
			return -1;
		*v |= bits << shift;
		shift += 7;
	} while (c & 0x80);
	return 0;
}

int ruhu_delta_apply(unsigned char **out, size_t *outlen, const unsigned char *base,
	size_t blen, const unsigned char *d, size_t dlen, size_t max, const git_oid *id)
{
	uint64_t bsize = 0, rsize = 0;
	size_t pos = 0, o = 0;
	unsigned char *r;

	if (varint(&bsize, d, dlen, &pos) < 0 || varint(&rsize, d, dlen, &pos) < 0)
		return ruhu_error_set(RUHU_ECORRUPT, "pack delta on %s has a bad header",
			git_oid_tostr_s(id));
	if (bsize != blen)
		return ruhu_error_set(RUHU_ECORRUPT,
			"pack delta expects a base of %llu bytes, %s has %zu",
			(unsigned long long)bsize, git_oid_tostr_s(id), blen);
	if (rsize > max)
		return ruhu_error_set(RUHU_EINVALID,
			"pack delta on %s makes %llu bytes, over the cap of %zu",
			git_oid_tostr_s(id), (unsigned long long)rsize, max);
	if ((r = malloc(rsize ? (size_t)rsize : 1)) == NULL)
		return ruhu_error_oom();
	while (pos < dlen) {
		unsigned char cmd = d[pos++];
		size_t off = 0, n = 0;
		const unsigned char *src;

		if (cmd & 0x80) {
			for (int b = 0; b < 4; b++)
				if (cmd & (1 << b)) {
					if (pos >= dlen)
						goto bad;
					off |= (size_t)d[pos++] << (8 * b);
				}
			for (int b = 0; b < 3; b++)
				if (cmd & (0x10 << b)) {
					if (pos >= dlen)
						goto bad;
					n |= (size_t)d[pos++] << (8 * b);
				}
			if (n == 0)
				n = 0x10000;
			if (off > blen || n > blen - off)
				goto bad;
			src = base + off;
		} else if (cmd) {
			n = cmd;
			if (n > dlen - pos)
				goto bad;
			src = d + pos;
			pos += n;
		} else {
			goto bad;
		}
		if (n > rsize - o)
			goto bad;
		memcpy(r + o, src, n);
		o += n;
	}
	if (o != rsize)
		goto bad;
	*out = r;
	*outlen = o;
	return 0;
bad:
	free(r);
	return ruhu_error_set(RUHU_ECORRUPT, "pack delta on %s is damaged", git_oid_tostr_s(id));
}
