/*
 * changeset_canon.c — the canonical form of a changeset and the full check
 * (see changeset.h; the order is frozen in docs/changesets.md).
 *
 * Design notes
 *  1. Canonical order: tables in the caller's schema order; inside a table,
 *     changes sorted by primary key (key columns in table order; per column:
 *     type byte, then integers as signed numbers, reals in IEEE total order,
 *     texts and blobs by memcmp of their bytes, a prefix first).  Keys are
 *     unique per table (changeset.h note 3), so the order is total and the
 *     sort needs no stability.
 *  2. The output is rebuilt from decoded parts, not copied: one header per
 *     table with the flags and name of the first header seen, op and a zero
 *     indirect flag, records with minimal varints.  So every changeset that
 *     means the same changes has one canonical form, and canonicalising it
 *     again gives the same bytes.
 *  3. Growth is bounded by the input: the entry array holds one entry per
 *     change (each change is at least 3 input bytes) and the key arena holds
 *     copies of input bytes.
 *  4. Every byte read here was accepted by changeset.c's check first, which
 *     is why these passes have no error paths for malformed input.
 */
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

struct slot {
	ruhu_chg_table t;               /* t.name NULL until a header is seen */
	size_t count;
};

struct entry {
	size_t slot;
	const unsigned char *key;       /* key fields, copied (nkey fields) */
	size_t keyoff, keylen;
	ruhu_chg_rec r;
};

struct index {
	const char *const *tables;      /* schema order, or NULL: first seen */
	size_t ntables;
	struct slot *slots;
	size_t nslots, aslots;
	struct entry *e;
	size_t n, alloc;
	size_t last;                    /* slot of the previous change */
	ruhu_buf keys;
};

static void index_free(struct index *ix)
{
	free(ix->slots);
	free(ix->e);
	ruhu_buf_dispose(&ix->keys);
}

static int find_slot(size_t *out, struct index *ix, const ruhu_chg_table *t)
{
	size_t i;

	if (ix->last < ix->nslots && ix->slots[ix->last].t.name == t->name) {
		*out = ix->last;
		return 0;
	}
	for (i = 0; i < ix->nslots; i++) {
		const char *name = ix->tables ? ix->tables[i] : ix->slots[i].t.name;

		if (strcmp(name, t->name) == 0)
			break;
	}
	if (i == ix->nslots) {
		if (ix->tables)
			return ruhu_error_set(RUHU_ESCHEMA,
					      "changeset changes table %s, which is not replicated",
					      t->name);
		if (ix->nslots == ix->aslots) {
			size_t na = ix->aslots ? ix->aslots * 2 : 8;
			struct slot *grown = realloc(ix->slots, na * sizeof(*grown));

			if (grown == NULL)
				return ruhu_error_oom();
			ix->slots = grown;
			ix->aslots = na;
		}
		memset(&ix->slots[i], 0, sizeof(ix->slots[i]));
		ix->nslots++;
	}
	if (ix->slots[i].t.name == NULL) {
		ix->slots[i].t = *t;
	} else if (ix->slots[i].t.ncol != t->ncol ||
		   memcmp(ix->slots[i].t.pk, t->pk, t->ncol) != 0) {
		return ruhu_error_set(RUHU_ECORRUPT,
				      "changeset has two different headers for table %s", t->name);
	} else {
		/* the same table again: keep pointing at the first header */
		ix->slots[i].t.name = t->name;
	}
	ix->last = i;
	*out = i;
	return 0;
}

static int collect_cb(const ruhu_chg_table *t, const ruhu_chg_rec *r, void *payload)
{
	struct index *ix = payload;
	const unsigned char *p = r->op == SQLITE_INSERT ? r->new_rec : r->old_rec;
	struct entry *e;
	size_t slot = 0;
	int error;

	if ((error = find_slot(&slot, ix, t)) < 0)
		return error;
	if (ix->n == ix->alloc) {
		size_t na = ix->alloc ? ix->alloc * 2 : 64;
		struct entry *grown = realloc(ix->e, na * sizeof(*grown));

		if (grown == NULL)
			return ruhu_error_oom();
		ix->e = grown;
		ix->alloc = na;
	}
	e = &ix->e[ix->n];
	e->slot = slot;
	e->r = *r;
	e->keyoff = ix->keys.size;
	for (size_t i = 0; i < t->ncol; i++) {
		const unsigned char *next = ruhu_chg_skip_field(p);

		if (t->pk[i] && (error = ruhu_buf_put(&ix->keys, p, (size_t)(next - p))) < 0)
			return error;
		p = next;
	}
	e->keylen = ix->keys.size - e->keyoff;
	ix->slots[slot].count++;
	ix->n++;
	return 0;
}

/* Compare two key fields (design note 1); advances both pointers. */
static int cmp_field(const unsigned char **pa, const unsigned char **pb)
{
	const unsigned char *a = *pa, *b = *pb;
	uint64_t x, y, na, nb;
	int c;

	if (*a != *b)
		return *a < *b ? -1 : 1;
	switch (*a) {
	case SQLITE_INTEGER:
		x = get_be64(a + 1) ^ ((uint64_t)1 << 63);
		y = get_be64(b + 1) ^ ((uint64_t)1 << 63);
		*pa = a + 9;
		*pb = b + 9;
		return x < y ? -1 : x > y;
	case SQLITE_FLOAT:
		x = get_be64(a + 1);
		y = get_be64(b + 1);
		x = (x >> 63) ? ~x : x | ((uint64_t)1 << 63);
		y = (y >> 63) ? ~y : y | ((uint64_t)1 << 63);
		*pa = a + 9;
		*pb = b + 9;
		return x < y ? -1 : x > y;
	default: /* text, blob: key fields are never NULL or undefined */
		a = ruhu_chg_read_varint(&na, a + 1);
		b = ruhu_chg_read_varint(&nb, b + 1);
		*pa = a + na;
		*pb = b + nb;
		c = memcmp(a, b, na < nb ? na : nb);
		if (c)
			return c < 0 ? -1 : 1;
		return na < nb ? -1 : na > nb;
	}
}

static int cmp_entry(const void *va, const void *vb)
{
	const struct entry *a = va, *b = vb;
	const unsigned char *pa = a->key, *pb = b->key;
	const unsigned char *ea = a->key + a->keylen;

	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	while (pa < ea) {
		int c = cmp_field(&pa, &pb);

		if (c)
			return c;
	}
	return 0;
}

/* Check, collect every change and sort; refuse duplicate keys. */
static int build_index(struct index *ix, const void *data, size_t len)
{
	int error;

	if (ix->tables) {
		ix->slots = calloc(ix->ntables ? ix->ntables : 1, sizeof(*ix->slots));
		if (ix->slots == NULL)
			return ruhu_error_oom();
		ix->nslots = ix->aslots = ix->ntables;
	}
	ix->last = SIZE_MAX;
	if ((error = ruhu_changeset_walk(data, len, collect_cb, ix)) < 0)
		return error;
	for (size_t i = 0; i < ix->n; i++)
		ix->e[i].key = (const unsigned char *)ix->keys.ptr + ix->e[i].keyoff;
	if (ix->n > 1)
		qsort(ix->e, ix->n, sizeof(*ix->e), cmp_entry);
	for (size_t i = 1; i < ix->n; i++)
		if (cmp_entry(&ix->e[i - 1], &ix->e[i]) == 0)
			return ruhu_error_set(RUHU_ECORRUPT,
					      "changeset has two changes for one row of table %s",
					      ix->slots[ix->e[i].slot].t.name);
	return 0;
}

int ruhu_changeset_check(const void *data, size_t len)
{
	struct index ix;
	int error;

	memset(&ix, 0, sizeof(ix));
	error = build_index(&ix, data, len);
	index_free(&ix);
	return error;
}

/* Copy a checked record with minimal varints. */
static int copy_record(ruhu_buf *out, const unsigned char *p, size_t ncol)
{
	int error;

	for (size_t i = 0; i < ncol; i++) {
		const unsigned char *next = ruhu_chg_skip_field(p);
		uint64_t n;

		if (*p == SQLITE_TEXT || *p == SQLITE_BLOB) {
			const unsigned char *bytes = ruhu_chg_read_varint(&n, p + 1);

			if ((error = ruhu_buf_put(out, p, 1)) < 0 ||
			    (error = ruhu_chg_put_varint(out, n)) < 0 ||
			    (error = ruhu_buf_put(out, bytes, (size_t)n)) < 0)
				return error;
		} else if ((error = ruhu_buf_put(out, p, (size_t)(next - p))) < 0) {
			return error;
		}
		p = next;
	}
	return 0;
}

int ruhu_changeset_canonicalize(ruhu_buf *out, const void *data, size_t len,
				const char *const *tables, size_t ntables)
{
	static const char *const none[1] = { NULL };
	struct index ix;
	size_t start = out->size, i = 0;
	int error;

	memset(&ix, 0, sizeof(ix));
	ix.tables = tables ? tables : none;
	ix.ntables = ntables;
	if (tables == NULL && ntables > 0) {
		error = ruhu_error_set(RUHU_EINVALID, "no table list for canonical order");
		goto done;
	}
	if ((error = build_index(&ix, data, len)) < 0)
		goto done;
	if ((error = ruhu_buf_grow(out, len)) < 0)
		goto done;
	while (i < ix.n) {
		const ruhu_chg_table *t = &ix.slots[ix.e[i].slot].t;
		size_t slot = ix.e[i].slot;

		if ((error = ruhu_buf_putc(out, 'T')) < 0 ||
		    (error = ruhu_chg_put_varint(out, t->ncol)) < 0 ||
		    (error = ruhu_buf_put(out, t->pk, t->ncol)) < 0 ||
		    (error = ruhu_buf_put(out, t->name, strlen(t->name) + 1)) < 0)
			goto done;
		for (; i < ix.n && ix.e[i].slot == slot; i++) {
			const ruhu_chg_rec *r = &ix.e[i].r;
			unsigned char head[2] = { (unsigned char)r->op, 0 };

			if ((error = ruhu_buf_put(out, head, 2)) < 0)
				goto done;
			if (r->old_rec && (error = copy_record(out, r->old_rec, t->ncol)) < 0)
				goto done;
			if (r->new_rec && (error = copy_record(out, r->new_rec, t->ncol)) < 0)
				goto done;
		}
	}
done:
	if (error < 0)
		ruhu_buf_truncate(out, start);
	index_free(&ix);
	return error;
}

int ruhu_changeset_is_canonical(const void *data, size_t len,
				const char *const *tables, size_t ntables)
{
	ruhu_buf canon = RUHU_BUF_INIT;
	int error;

	if ((error = ruhu_changeset_canonicalize(&canon, data, len, tables, ntables)) < 0)
		goto done;
	error = canon.size == len && (len == 0 || memcmp(canon.ptr, data, len) == 0);
done:
	ruhu_buf_dispose(&canon);
	return error;
}
