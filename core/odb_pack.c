/*
 * odb_pack.c — the reader of git packs held in memory (ruhu_pack_parse):
 * plain and thin packs from libgit2's packbuilder or stock git, with OFS and
 * REF deltas.  The input is untrusted; this file is a fuzz target.
 *
 * Pack format (git's, version 2 or 3; read-only here):
 *
 *   OFFSET  SIZE   DESCRIPTION
 *   0       4      "PACK"
 *   4       4      version, big-endian: 2 or 3
 *   8       4      number of entries N, big-endian
 *   12      ...    N entries, each:
 *                    1+ bytes  type (bits 6-4 of the first byte) and inflated
 *                              size (bits 3-0, then 7 bits per byte, little
 *                              end first) while bit 7 is set
 *                    OFS_DELTA (6): 1+ bytes, base offset back from this
 *                              entry (7 bits per byte, big end first, +1 per
 *                              continuation)
 *                    REF_DELTA (7): 20 bytes, the base object's id
 *                    zlib stream of exactly `size` inflated bytes
 *   len-20  20     SHA-1 of every byte before it
 *
 * Delta data is read by ruhu_delta_apply (odb_delta.c).
 *
 * Design notes
 *  1. The trailer is checked first; nothing is handed out before it matches.
 *  2. Pass 1 walks the entries in order, checks every header against the
 *     bytes left and the caps (ruhu_pack_opts), inflates each stream to learn
 *     where it ends and that it inflates to exactly its declared size, and
 *     hands out the non-delta objects.  Inflated buffers grow as data
 *     arrives, so a lying size costs no memory it does not fill.
 *  3. Pass 2 resolves deltas like git's index-pack: from every resolved
 *     object, depth first, its OFS children (by entry) and REF children (by
 *     id).  Delta data is inflated again when needed, so memory holds one
 *     chain (at most max_delta_depth objects), not the whole pack.
 *  4. REF deltas whose base is still unknown after pass 2 are thin: their
 *     bases are asked from base_cb and must hash to the id asked for.
 *  5. Every object's id is computed (git_odb_hash, SHA-1 with collision
 *     detection) and commits, trees and tags must parse; an object that does
 *     not is refused.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "core/odb.h"

#define DEFAULT_MAX_OBJECTS ((size_t)1000000)
#define DEFAULT_MAX_OBJECT_SIZE ((size_t)256 << 20)
#define DEFAULT_MAX_INFLATED ((uint64_t)8 << 30)
#define DEFAULT_MAX_DEPTH ((size_t)4096)
#define DEFAULT_MAX_PACK ((size_t)2 << 30)
/* the smallest entry: a header byte and an 8-byte zlib stream */
#define MIN_ENTRY 9
#define NONE ((size_t)-1)

enum { T_COMMIT = 1, T_TREE = 2, T_BLOB = 3, T_TAG = 4, T_OFS = 6, T_REF = 7 };

typedef struct {
	size_t offset;   /* the entry's first byte */
	size_t zstart;   /* the zlib stream's first byte */
	size_t size;     /* declared inflated size */
	size_t base;     /* OFS_DELTA: index of the base entry */
	git_oid oid;     /* the object's id once resolved */
	git_oid base_id; /* REF_DELTA: the base's id */
	unsigned char type;
	unsigned char resolved;
} entry;

typedef struct { size_t base; size_t idx; } ofs_kid;
typedef struct { git_oid base; size_t idx; } ref_kid;

typedef struct {
	unsigned char *data;
	size_t len;
	git_object_t type;
	git_oid oid;
	size_t ofs_at, ofs_end; /* its OFS children in ps->ofs */
	size_t ref_at, ref_end; /* its REF children in ps->ref */
} frame;

typedef struct {
	const unsigned char *p;
	size_t end; /* offset of the trailer */
	ruhu_pack_opts o;
	entry *e;
	size_t n;
	ofs_kid *ofs;
	size_t nofs;
	ref_kid *ref;
	size_t nref;
	frame *stack;
	size_t depth;
	uint64_t inflated;
	size_t handed;
	ruhu_pack_base_cb base_cb;
	ruhu_pack_object_cb object_cb;
	void *payload;
} parser;

int ruhu_pack_opts_init(ruhu_pack_opts *opts, unsigned int version)
{
	ruhu_pack_opts init = RUHU_PACK_OPTS_INIT;

	if (version != RUHU_PACK_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "pack options version %u is unknown", version);
	*opts = init;
	return 0;
}

static void fill_defaults(ruhu_pack_opts *o, const ruhu_pack_opts *given)
{
	ruhu_pack_opts init = RUHU_PACK_OPTS_INIT;

	*o = given ? *given : init;
	if (!o->max_objects)
		o->max_objects = DEFAULT_MAX_OBJECTS;
	if (!o->max_object_size)
		o->max_object_size = DEFAULT_MAX_OBJECT_SIZE;
	if (!o->max_inflated)
		o->max_inflated = DEFAULT_MAX_INFLATED;
	if (!o->max_delta_depth)
		o->max_delta_depth = DEFAULT_MAX_DEPTH;
	if (!o->max_pack_size)
		o->max_pack_size = DEFAULT_MAX_PACK;
	/* keep "size + 1" and "depth + 2" from wrapping */
	if (o->max_object_size > SIZE_MAX / 2)
		o->max_object_size = SIZE_MAX / 2;
	if (o->max_delta_depth > ((size_t)1 << 20))
		o->max_delta_depth = (size_t)1 << 20;
}

static int corrupt_at(const entry *e, size_t i, const char *what)
{
	return ruhu_error_set(RUHU_ECORRUPT, "pack entry %zu at byte %zu %s", i, e->offset, what);
}

/*
 * Inflate entry `i`.  With `out`, the bytes go into a malloc()ed buffer
 * grown as they arrive (design note 2); without, they are counted and
 * dropped.  *zlen gets the length of the zlib stream.
 */
static int inflate_entry(parser *ps, size_t i, unsigned char **out, size_t *zlen)
{
	entry *e = &ps->e[i];
	unsigned char scratch[16384], *buf = NULL, *nbuf;
	size_t left = ps->end - e->zstart, fed = 0, produced = 0, cap = 0;
	z_stream zs;
	int rc, error = 0;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return ruhu_error_oom();
	for (;;) {
		size_t room, before;

		if (zs.avail_in == 0 && fed < left) {
			size_t chunk = left - fed > (1u << 30) ? (1u << 30) : left - fed;

			zs.next_in = (unsigned char *)ps->p + e->zstart + fed;
			zs.avail_in = (uInt)chunk;
			fed += chunk;
		}
		if (out) {
			/* one byte more than declared, to see a stream that runs over */
			if (produced == cap) {
				size_t want = cap ? cap * 2 : 65536;

				if (want > e->size + 1 || want < cap)
					want = e->size + 1;
				if ((nbuf = realloc(buf, want)) == NULL) {
					error = ruhu_error_oom();
					goto done;
				}
				buf = nbuf;
				cap = want;
			}
			room = cap - produced;
			zs.next_out = buf + produced;
		} else {
			room = sizeof(scratch);
			zs.next_out = scratch;
		}
		zs.avail_out = (uInt)(room > (1u << 30) ? (1u << 30) : room);
		before = zs.avail_out;
		rc = inflate(&zs, Z_NO_FLUSH);
		produced += before - zs.avail_out;
		if (produced > e->size) {
			error = corrupt_at(e, i, "inflates beyond its declared size");
			goto done;
		}
		if (rc == Z_STREAM_END)
			break;
		if (rc == Z_BUF_ERROR && zs.avail_in == 0 && fed == left) {
			error = corrupt_at(e, i, "is truncated");
			goto done;
		}
		if (rc == Z_MEM_ERROR) {
			error = ruhu_error_oom();
			goto done;
		}
		if ((rc != Z_OK && rc != Z_BUF_ERROR) ||
		    (rc == Z_BUF_ERROR && zs.avail_in > 0 && zs.avail_out > 0)) {
			error = corrupt_at(e, i, "is not a valid zlib stream");
			goto done;
		}
	}
	if (produced != e->size) {
		error = corrupt_at(e, i, "inflates to less than its declared size");
		goto done;
	}
	*zlen = fed - zs.avail_in;
	if (out) {
		*out = buf;
		buf = NULL;
	}
done:
	inflateEnd(&zs);
	free(buf);
	return error;
}

/* Count inflated bytes against the cap (design note 2). */
static int count_inflated(parser *ps, size_t size)
{
	if (size > ps->o.max_inflated - ps->inflated)
		return ruhu_error_set(RUHU_EINVALID,
			"pack inflates to more than the cap of %llu bytes",
			(unsigned long long)ps->o.max_inflated);
	ps->inflated += size;
	return 0;
}

/* Compute the id, check the object parses, and hand it out (note 5). */
static int hand_out(parser *ps, git_oid *oid, git_object_t type, const unsigned char *data,
	size_t len)
{
	int valid = 0;

	if (git_odb_hash(oid, data, len, type) < 0)
		return ruhu_git_error(-1, "cannot hash a pack object");
	if (type != GIT_OBJECT_BLOB &&
	    git_object_rawcontent_is_valid(&valid, (const char *)data, len, type) < 0)
		return ruhu_git_error(-1, "cannot check a pack object");
	if (type != GIT_OBJECT_BLOB && !valid)
		return ruhu_error_set(RUHU_ECORRUPT, "pack object %s is not a valid %s",
			git_oid_tostr_s(oid), git_object_type2string(type));
	ps->handed++;
	return ps->object_cb ? ps->object_cb(oid, type, data, len, ps->payload) : 0;
}

/* Read a varint of 7-bit groups, little end first, starting at `shift`. */
static int varint(uint64_t *v, const unsigned char *p, size_t end, size_t *pos, int shift,
	unsigned char first)
{
	unsigned char c = first;

	while (c & 0x80) {
		uint64_t bits;

		if (*pos >= end || shift >= 64)
			return -1;
		c = p[(*pos)++];
		bits = (uint64_t)(c & 0x7f);
		if ((bits << shift) >> shift != bits)
			return -1;
		*v |= bits << shift;
		shift += 7;
	}
	return 0;
}

static int find_entry(const parser *ps, size_t upto, size_t offset, size_t *out)
{
	size_t lo = 0, hi = upto;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ps->e[mid].offset == offset) {
			*out = mid;
			return 0;
		}
		if (ps->e[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Pass 1 (design note 2). */
static int read_entries(parser *ps)
{
	size_t pos = 12, zlen;
	int error = 0;

	for (size_t i = 0; i < ps->n; i++) {
		entry *e = &ps->e[i];
		unsigned char c, *data = NULL;
		uint64_t size;

		e->offset = pos;
		if (pos >= ps->end)
			return ruhu_error_set(RUHU_ECORRUPT,
				"pack is truncated: %zu of %zu entries present", i, ps->n);
		c = ps->p[pos++];
		e->type = (c >> 4) & 7;
		size = c & 15;
		if (varint(&size, ps->p, ps->end, &pos, 4, c) < 0)
			return corrupt_at(e, i, "has a bad size");
		if (size > ps->o.max_object_size)
			return ruhu_error_set(RUHU_EINVALID,
				"pack entry %zu declares %llu bytes, over the cap of %zu", i,
				(unsigned long long)size, ps->o.max_object_size);
		e->size = (size_t)size;
		if (e->type == T_OFS) {
			uint64_t back;

			if (pos >= ps->end)
				return corrupt_at(e, i, "is truncated");
			c = ps->p[pos++];
			back = c & 0x7f;
			while (c & 0x80) {
				if (pos >= ps->end || back >= (UINT64_MAX >> 7) - 1)
					return corrupt_at(e, i, "has a bad delta offset");
				c = ps->p[pos++];
				back = ((back + 1) << 7) | (c & 0x7f);
			}
			if (back == 0 || back > e->offset ||
			    find_entry(ps, i, e->offset - (size_t)back, &e->base) < 0)
				return corrupt_at(e, i, "has a delta base that is no entry");
		} else if (e->type == T_REF) {
			if (ps->end - pos < GIT_OID_RAWSZ)
				return corrupt_at(e, i, "is truncated");
			git_oid_fromraw(&e->base_id, ps->p + pos);
			pos += GIT_OID_RAWSZ;
		} else if (e->type < T_COMMIT || e->type > T_TAG) {
			return corrupt_at(e, i, "has an unknown type");
		}
		e->zstart = pos;
		if ((error = count_inflated(ps, e->size)) < 0)
			return error;
		if (e->type == T_OFS || e->type == T_REF) {
			if ((error = inflate_entry(ps, i, NULL, &zlen)) < 0)
				return error;
		} else {
			if ((error = inflate_entry(ps, i, &data, &zlen)) < 0)
				return error;
			error = hand_out(ps, &e->oid, (git_object_t)e->type, data, e->size);
			free(data);
			if (error < 0)
				return error;
			e->resolved = 1;
		}
		pos += zlen;
	}
	if (pos != ps->end)
		return ruhu_error_set(RUHU_ECORRUPT,
			"pack has %zu stray bytes after its last entry", ps->end - pos);
	return 0;
}

static int cmp_ofs(const void *a, const void *b)
{
	const ofs_kid *x = a, *y = b;

	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_ref(const void *a, const void *b)
{
	const ref_kid *x = a, *y = b;
	int c = git_oid_cmp(&x->base, &y->base);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int index_deltas(parser *ps)
{
	size_t nofs = 0, nref = 0;

	for (size_t i = 0; i < ps->n; i++) {
		nofs += ps->e[i].type == T_OFS;
		nref += ps->e[i].type == T_REF;
	}
	if ((nofs && (ps->ofs = calloc(nofs, sizeof(*ps->ofs))) == NULL) ||
	    (nref && (ps->ref = calloc(nref, sizeof(*ps->ref))) == NULL))
		return ruhu_error_oom();
	for (size_t i = 0; i < ps->n; i++) {
		if (ps->e[i].type == T_OFS) {
			ps->ofs[ps->nofs].base = ps->e[i].base;
			ps->ofs[ps->nofs++].idx = i;
		} else if (ps->e[i].type == T_REF) {
			ps->ref[ps->nref].base = ps->e[i].base_id;
			ps->ref[ps->nref++].idx = i;
		}
	}
	if (ps->nofs)
		qsort(ps->ofs, ps->nofs, sizeof(*ps->ofs), cmp_ofs);
	if (ps->nref)
		qsort(ps->ref, ps->nref, sizeof(*ps->ref), cmp_ref);
	return 0;
}

/* The range of OFS children of entry `base` (NONE: none for an outside base). */
static void ofs_range(const parser *ps, size_t base, size_t *at, size_t *end)
{
	size_t lo = 0, hi = ps->nofs;

	*at = *end = 0;
	if (base == NONE)
		return;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ps->ofs[mid].base < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = *end = lo;
	while (*end < ps->nofs && ps->ofs[*end].base == base)
		(*end)++;
}

static void ref_range(const parser *ps, const git_oid *base, size_t *at, size_t *end)
{
	size_t lo = 0, hi = ps->nref;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (git_oid_cmp(&ps->ref[mid].base, base) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = *end = lo;
	while (*end < ps->nref && git_oid_equal(&ps->ref[*end].base, base))
		(*end)++;
}

static int push(parser *ps, size_t idx, unsigned char *data, size_t len, git_object_t type,
	const git_oid *oid)
{
	frame *f;

	if (ps->depth > ps->o.max_delta_depth) {
		free(data);
		return ruhu_error_set(RUHU_EINVALID, "pack has a delta chain longer than %zu",
			ps->o.max_delta_depth);
	}
	f = &ps->stack[ps->depth++];
	f->data = data;
	f->len = len;
	f->type = type;
	f->oid = *oid;
	ofs_range(ps, idx, &f->ofs_at, &f->ofs_end);
	ref_range(ps, oid, &f->ref_at, &f->ref_end);
	return 0;
}

/* Resolve every delta below one resolved object, depth first (note 3). */
static int resolve_from(parser *ps, size_t idx, unsigned char *data, size_t len,
	git_object_t type, const git_oid *oid)
{
	int error;

	if ((error = push(ps, idx, data, len, type, oid)) < 0)
		return error;
	while (ps->depth > 0) {
		frame *f = &ps->stack[ps->depth - 1];
		unsigned char *delta = NULL, *result = NULL;
		size_t kid, zlen, rlen = 0;
		entry *k;

		if (f->ofs_at < f->ofs_end)
			kid = ps->ofs[f->ofs_at++].idx;
		else if (f->ref_at < f->ref_end)
			kid = ps->ref[f->ref_at++].idx;
		else {
			free(f->data);
			f->data = NULL;
			ps->depth--;
			continue;
		}
		k = &ps->e[kid];
		if (k->resolved)
			continue;
		if ((error = inflate_entry(ps, kid, &delta, &zlen)) < 0)
			return error;
		error = ruhu_delta_apply(&result, &rlen, f->data, f->len, delta, k->size,
			ps->o.max_object_size, &f->oid);
		free(delta);
		if (error < 0)
			return error;
		if ((error = count_inflated(ps, rlen)) < 0 ||
		    (error = hand_out(ps, &k->oid, f->type, result, rlen)) < 0) {
			free(result);
			return error;
		}
		k->resolved = 1;
		/* push may move nothing: the stack was sized for the deepest chain */
		if ((error = push(ps, kid, result, rlen, f->type, &k->oid)) < 0)
			return error;
	}
	return 0;
}

static int has_kids(const parser *ps, size_t idx, const git_oid *oid)
{
	size_t a, b;

	ofs_range(ps, idx, &a, &b);
	if (a < b)
		return 1;
	ref_range(ps, oid, &a, &b);
	return a < b;
}

/* Bases from outside the pack (design note 4). */
static int resolve_thin(parser *ps)
{
	for (size_t r = 0; r < ps->nref; r++) {
		const git_oid *want = &ps->ref[r].base;
		void *data = NULL;
		size_t len = 0;
		git_object_t type = GIT_OBJECT_INVALID;
		git_oid got;
		int error;

		if (ps->e[ps->ref[r].idx].resolved)
			continue;
		if (r > 0 && git_oid_equal(want, &ps->ref[r - 1].base))
			continue; /* the same base was asked for just before */
		error = ps->base_cb ? ps->base_cb(&data, &len, &type, want, ps->payload)
				    : RUHU_ENOTFOUND;
		if (error == RUHU_ENOTFOUND)
			return ruhu_error_set(RUHU_ENOTFOUND,
				"pack needs delta base %s, which is missing", git_oid_tostr_s(want));
		if (error < 0)
			return error;
		if (type < GIT_OBJECT_COMMIT || type > GIT_OBJECT_TAG ||
		    git_odb_hash(&got, data, len, type) < 0 || !git_oid_equal(&got, want)) {
			free(data);
			return ruhu_error_set(RUHU_ECORRUPT, "stored delta base %s does not hash to its id",
				git_oid_tostr_s(want));
		}
		if ((error = resolve_from(ps, NONE, data, len, type, want)) < 0)
			return error;
	}
	return 0;
}

static int resolve_deltas(parser *ps)
{
	size_t left = 0, zlen;
	int error;

	if ((error = index_deltas(ps)) < 0)
		return error;
	if (ps->nofs + ps->nref == 0)
		return 0;
	if ((ps->stack = calloc(ps->o.max_delta_depth + 2, sizeof(*ps->stack))) == NULL)
		return ruhu_error_oom();
	for (size_t i = 0; i < ps->n; i++) {
		entry *e = &ps->e[i];
		unsigned char *data = NULL;

		if (e->type == T_OFS || e->type == T_REF || !has_kids(ps, i, &e->oid))
			continue;
		if ((error = inflate_entry(ps, i, &data, &zlen)) < 0)
			return error;
		if ((error = resolve_from(ps, i, data, e->size, (git_object_t)e->type, &e->oid)) < 0)
			return error;
	}
	if ((error = resolve_thin(ps)) < 0)
		return error;
	for (size_t i = 0; i < ps->n; i++)
		left += !ps->e[i].resolved;
	if (left)
		return ruhu_error_set(RUHU_ECORRUPT, "pack has %zu deltas whose base never resolves",
			left);
	return 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int ruhu_pack_parse(size_t *out_objects, const void *pack, size_t len,
	const ruhu_pack_opts *opts, ruhu_pack_base_cb base_cb, ruhu_pack_object_cb object_cb,
	void *payload)
{
	parser ps;
	unsigned char sum[20];
	uint32_t version;
	int error = 0;

	memset(&ps, 0, sizeof(ps));
	if (out_objects)
		*out_objects = 0;
	if (opts && opts->version != RUHU_PACK_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "pack options version %u is unknown",
			opts->version);
	fill_defaults(&ps.o, opts);
	ps.p = pack;
	ps.base_cb = base_cb;
	ps.object_cb = object_cb;
	ps.payload = payload;
	if (len < 12 + 20 || memcmp(ps.p, "PACK", 4) != 0)
		return ruhu_error_set(RUHU_ECORRUPT, "data of %zu bytes is not a git pack", len);
	version = be32(ps.p + 4);
	if (version != 2 && version != 3)
		return ruhu_error_set(RUHU_ECORRUPT, "pack version %u is not supported", version);
	/* design note 1 */
	ps.end = len - 20;
	ruhu_pack_sha1(sum, ps.p, ps.end);
	if (memcmp(sum, ps.p + ps.end, 20) != 0)
		return ruhu_error_set(RUHU_ECORRUPT, "pack checksum does not match its bytes");
	ps.n = be32(ps.p + 8);
	if (ps.n > ps.o.max_objects)
		return ruhu_error_set(RUHU_EINVALID, "pack holds %zu objects, over the cap of %zu",
			ps.n, ps.o.max_objects);
	if (ps.n > (ps.end - 12) / MIN_ENTRY)
		return ruhu_error_set(RUHU_ECORRUPT, "pack of %zu bytes cannot hold %zu objects",
			len, ps.n);
	if (ps.n && (ps.e = calloc(ps.n, sizeof(*ps.e))) == NULL)
		return ruhu_error_oom();
	if ((error = read_entries(&ps)) < 0 || (error = resolve_deltas(&ps)) < 0)
		goto done;
	if (out_objects)
		*out_objects = ps.n;
done:
	if (ps.stack)
		for (size_t i = 0; i < ps.depth; i++)
			free(ps.stack[i].data);
	free(ps.stack);
	free(ps.ofs);
	free(ps.ref);
	free(ps.e);
	return error;
}
