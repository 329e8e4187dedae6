/*
 * merge_rules.c — the field rules of docs/merge.md §3: what a field becomes
 * when the hub and the device both changed it from the same base to
 * different values.
 *
 * Design notes
 *  1. merge_field() is called only on a conflict: hub != base, device !=
 *     base, hub != device (compared as ruhu_cval_equal does).  It never
 *     writes: it returns the merged value (pointing at the hub's, the
 *     device's, or bytes in the column's scratch buffer m->colbuf[col]) and
 *     whether an operator must decide (the hub value then stays).
 *  2. Every rule is a pure function of (base, hub, device) and, for `lww`,
 *     of the field's clock and the incoming (hlc, origin): so the hub and a
 *     device in REDO mode decide alike.  `union`, `min`, `max`, `hub`,
 *     `device` and `order` (off ties) give the same value whichever of two
 *     concurrent edits arrives first; `lww` gives the later edit in both
 *     orders; `append` keeps both texts in both orders (in arrival order).
 *  3. A value a rule cannot read (a token set that is not one, a non-text
 *     value for `append` or `order`, a state outside the lattice) goes to
 *     review rather than being guessed.
 */
#include <string.h>

#include "sync/merge_int.h"

/* ---- SQLite's order ------------------------------------------------------ */

static int type_class(int type)
{
	switch (type) {
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		return 1;
	case SQLITE_TEXT:
		return 2;
	case SQLITE_BLOB:
		return 3;
	default:
		return 0;
	}
}

static int cmp_bytes(const ruhu_cval *a, const ruhu_cval *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int c = n ? memcmp(a->p, b->p, n) : 0;

	if (c)
		return c < 0 ? -1 : 1;
	return a->n < b->n ? -1 : a->n > b->n;
}

/* Compare an integer with a real exactly (no rounding of large integers). */
static int cmp_int_real(int64_t i, double r)
{
	if (r != r)
		return 1;
	if (r >= 9223372036854775808.0)
		return -1;
	if (r < -9223372036854775808.0)
		return 1;
	{
		int64_t ri = (int64_t)r;

		if (i != ri)
			return i < ri ? -1 : 1;
		return (double)ri < r ? -1 : (double)ri > r ? 1 : 0;
	}
}

int merge_value_cmp(const ruhu_cval *a, const ruhu_cval *b)
{
	int ca = type_class(a->type), cb = type_class(b->type);

	if (ca != cb)
		return ca < cb ? -1 : 1;
	switch (ca) {
	case 0:
		return 0;
	case 1:
		if (a->type == SQLITE_INTEGER && b->type == SQLITE_INTEGER)
			return a->i < b->i ? -1 : a->i > b->i;
		if (a->type == SQLITE_FLOAT && b->type == SQLITE_FLOAT)
			return a->r < b->r ? -1 : a->r > b->r;
		if (a->type == SQLITE_INTEGER)
			return cmp_int_real(a->i, b->r);
		return -cmp_int_real(b->i, a->r);
	default:
		return cmp_bytes(a, b);
	}
}

/* ---- lww ----------------------------------------------------------------- */

static int rule_lww(struct verdict *v, struct merge *m, struct tab *t, size_t col,
		    const ruhu_cval *hub, const ruhu_cval *dev)
{
	uint64_t hlc = 0;
	uint32_t oi = 0;
	const char *name;
	size_t n;
	int error;

	if (!m->clock_loaded) {
		if ((error = ruhu_prov_get(&m->clock, m->prov, t->name, m->id.ptr)) < 0)
			return error;
		m->clock_loaded = 1;
	}
	ruhu_prov_field(&hlc, &oi, &m->clock, (uint32_t)col);
	if (m->o.hlc != hlc) {
		v->value = m->o.hlc > hlc ? *dev : *hub;
		v->note = m->o.hlc > hlc ? "device edit is later" : "hub value is later";
		return 0;
	}
	if ((error = ruhu_prov_origin_name(&name, &n, m->prov, oi)) < 0)
		return error;
	if (ruhu_provenance_later(m->o.hlc, m->o.origin, strlen(m->o.origin), hlc, name, n)) {
		v->value = *dev;
		v->note = "same clock: device id is greater";
	} else {
		v->value = *hub;
		v->note = "same clock: hub value's origin is not smaller";
	}
	return 0;
}

/* ---- order --------------------------------------------------------------- */

/* A text value as a NUL-terminated string in `buf` into *out, or NULL when
 * it is no text; out of memory is an error (never "no text"). */
static int cstr(const char **out, ruhu_buf *buf, const ruhu_cval *v)
{
	int error;

	*out = NULL;
	ruhu_buf_clear(buf);
	if (v->type != SQLITE_TEXT || memchr(v->p, 0, v->n))
		return 0;
	if ((error = ruhu_buf_put(buf, v->p, v->n)) < 0)
		return error;
	*out = buf->ptr ? buf->ptr : "";
	return 0;
}

static int rule_order(struct verdict *v, struct merge *m, const ruhu_order *order,
		      const ruhu_cval *hub, const ruhu_cval *dev, ruhu_buf *tmp)
{
	ruhu_buf a = RUHU_BUF_INIT;
	const char *hs, *ds;
	int pick, error;

	if ((error = cstr(&hs, &a, hub)) < 0 || (error = cstr(&ds, tmp, dev)) < 0)
		goto done;
	if (order == NULL || hs == NULL || ds == NULL || ruhu_order_rank(order, hs) < 0 ||
	    ruhu_order_rank(order, ds) < 0) {
		v->value = *hub;
		v->review = 1;
		v->note = "a state outside the lattice";
		goto done;
	}
	pick = ruhu_order_pick(order, hs, ds);
	if (pick == 3) {
		v->value = *hub;
		v->review = 1;
		v->note = "two different final states";
	} else if (pick == 2) {
		v->value = *dev;
		v->note = "device state is later";
	} else {
		v->value = *hub;
		v->note = "hub state is later";
	}
done:
	ruhu_buf_dispose(&a);
	return error;
}

/* ---- union --------------------------------------------------------------- */

struct toks {
	const unsigned char *p[64];
	size_t n[64];
	size_t count;
};

static int tok_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static int tok_cmp(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

/* Split a token set (docs/schema.md); -1 when it is not one, or too big. */
static int toks_parse(struct toks *t, const ruhu_cval *v)
{
	size_t i = 0;

	t->count = 0;
	if (v->type == SQLITE_NULL)
		return 0;
	if (v->type != SQLITE_TEXT || v->n == 0)
		return -1;
	while (i <= v->n) {
		size_t s = i;

		while (i < v->n && tok_char(v->p[i]))
			i++;
		if (i == s || (i < v->n && v->p[i] != ',') || t->count == 64)
			return -1;
		t->p[t->count] = v->p + s;
		t->n[t->count] = i - s;
		if (t->count > 0 && tok_cmp(t->p[t->count - 1], t->n[t->count - 1], v->p + s, i - s) >= 0)
			return -1;
		t->count++;
		i++;
	}
	return 0;
}

static int toks_has(const struct toks *t, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->n[i] == n && memcmp(t->p[i], p, n) == 0)
			return 1;
	return 0;
}

/* Kept by both, added by either, minus removed by either. */
static int rule_union(struct verdict *v, const ruhu_cval *base, const ruhu_cval *hub,
		      const ruhu_cval *dev, ruhu_buf *out)
{
	struct toks b, h, d;
	size_t i = 0, j = 0;
	int error;

	if (toks_parse(&b, base) < 0 || toks_parse(&h, hub) < 0 || toks_parse(&d, dev) < 0) {
		v->value = *hub;
		v->review = 1;
		v->note = "a value that is not a token set";
		return 0;
	}
	ruhu_buf_clear(out);
	while (i < h.count || j < d.count) {
		int c = i == h.count ? 1 : j == d.count ? -1 :
			tok_cmp(h.p[i], h.n[i], d.p[j], d.n[j]);
		const unsigned char *p = c <= 0 ? h.p[i] : d.p[j];
		size_t n = c <= 0 ? h.n[i] : d.n[j];
		int keep = c == 0 || !toks_has(&b, p, n);

		if (keep && ((out->size && (error = ruhu_buf_putc(out, ',')) < 0) ||
			     (error = ruhu_buf_put(out, p, n)) < 0))
			return error;
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	memset(&v->value, 0, sizeof(v->value));
	if (out->size == 0) {
		v->value.type = SQLITE_NULL;
	} else {
		v->value.type = SQLITE_TEXT;
		v->value.p = (const unsigned char *)out->ptr;
		v->value.n = out->size;
	}
	v->note = "three-way union of token sets";
	return 0;
}

/* ---- append -------------------------------------------------------------- */

static int rule_append(struct verdict *v, struct merge *m, const ruhu_cval *base,
		       const ruhu_cval *hub, const ruhu_cval *dev, ruhu_buf *out)
{
	const unsigned char *add;
	size_t n;
	int error;

	if ((hub->type != SQLITE_TEXT && hub->type != SQLITE_NULL) ||
	    (dev->type != SQLITE_TEXT && dev->type != SQLITE_NULL) ||
	    (base->type != SQLITE_TEXT && base->type != SQLITE_NULL)) {
		v->value = *hub;
		v->review = 1;
		v->note = "a value that is not text";
		return 0;
	}
	add = dev->p;
	n = dev->type == SQLITE_TEXT ? dev->n : 0;
	if (base->type == SQLITE_TEXT && n >= base->n && base->n > 0 &&
	    memcmp(add, base->p, base->n) == 0) {
		add += base->n;
		n -= base->n;
	}
	while (n > 0 && (add[0] == '\n' || add[0] == '\r')) {
		add++;
		n--;
	}
	if (n == 0) {
		v->value = *hub;
		v->note = "nothing added on the device: hub text kept";
		return 0;
	}
	ruhu_buf_clear(out);
	if (hub->type == SQLITE_TEXT && hub->n > 0 &&
	    ((error = ruhu_buf_put(out, hub->p, hub->n)) < 0 || (error = ruhu_buf_putc(out, '\n')) < 0))
		return error;
	if ((error = ruhu_buf_puts(out, m->attribution)) < 0 || (error = ruhu_buf_put(out, add, n)) < 0)
		return error;
	memset(&v->value, 0, sizeof(v->value));
	v->value.type = SQLITE_TEXT;
	v->value.p = (const unsigned char *)out->ptr;
	v->value.n = out->size;
	v->note = "hub text, then the device's addition";
	return 0;
}

/* ---- the dispatcher ------------------------------------------------------ */

int merge_field(struct verdict *out, struct merge *m, struct tab *t, size_t col,
		const ruhu_cval *base, const ruhu_cval *hub, const ruhu_cval *dev)
{
	const ruhu_field *f = ruhu_type_field(t->type, col);
	int c;

	memset(out, 0, sizeof(*out));
	out->note = "";
	switch (ruhu_field_rule(f)) {
	case RUHU_RULE_LWW:
		return rule_lww(out, m, t, col, hub, dev);
	case RUHU_RULE_HUB:
		out->value = *hub;
		out->note = "hub value stays";
		return 0;
	case RUHU_RULE_DEVICE:
		out->value = *dev;
		out->note = "device value wins";
		return 0;
	case RUHU_RULE_ORDER:
		return rule_order(out, m, ruhu_field_order(f), hub, dev, &m->scratch);
	case RUHU_RULE_UNION:
		return rule_union(out, base, hub, dev, &m->colbuf[col]);
	case RUHU_RULE_APPEND:
		return rule_append(out, m, base, hub, dev, &m->colbuf[col]);
	case RUHU_RULE_MIN:
	case RUHU_RULE_MAX:
		/* a value beats no value (NULL) under both rules */
		if (hub->type == SQLITE_NULL || dev->type == SQLITE_NULL) {
			c = hub->type == SQLITE_NULL ? 1 : -1;
		} else {
			c = merge_value_cmp(hub, dev);
			if (ruhu_field_rule(f) == RUHU_RULE_MAX)
				c = -c;
		}
		out->value = c <= 0 ? *hub : *dev;
		out->note = c <= 0 ? "hub value kept" : "device value taken";
		return 0;
	case RUHU_RULE_REVIEW:
	default:
		out->value = *hub;
		out->review = 1;
		out->note = "hub value stays until an operator decides";
		return 0;
	}
}
