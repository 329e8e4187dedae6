/*
 * catalogue.c — the service catalogue: parser, accessors, and the one-time
 * notification (一次性告知) text.
 *
 * Design notes
 *  1. The format is line-oriented (schema_int.h, note 2; docs/schema.md):
 *         format catalogue 1                 first line
 *         centre NAME                        optional
 *         defaults                           optional: ruhu's suggestions
 *         category CODE : ZH | EN            before the items using it
 *         item CODE : ZH | EN                starts an item; then, for it:
 *           category CODE    basis TEXT    limit N
 *           material CODE : ZH | EN          any number, in order
 *           step ZH | EN                     one or more, in order
 *  2. An item needs a category, a basis, a limit (0..365 working days) and
 *     at least one step; item codes are "group.name" (lowercase), unique;
 *     material codes are unique within their item and are the tokens of
 *     application.materials_received.  Anything else is refused with
 *     file:line: an unknown field, a field given twice, a duplicate code.
 *  3. The source text is kept, byte for byte, so that it can be stored in a
 *     replica and shipped to tablets; the version is its SHA-256.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/embedded.h"
#include "schema/schema_int.h"

#define CAT_MAX_ITEMS 1000
#define CAT_MAX_CATEGORIES 64
#define CAT_MAX_LIST 64
#define CAT_MAX_LIMIT 365

struct cparser {
	ruhu_catalogue *cat;
	const char *name;
	int line;
	ruhu_item *item;
};

/* An error quoting at most 64 bytes of the line. */
#define perr(p, fmt, a, an) \
	src_error((p)->name, (p)->line, fmt, (int)((an) > 64 ? 64 : (an)), (a))

static char *cdup(struct cparser *p, const char *s, size_t n)
{
	return arena_strndup(&p->cat->arena, s, n);
}

static int is_item_code(const char *s, size_t n)
{
	const char *dot = memchr(s, '.', n);
	size_t head;

	if (dot == NULL || n > 64)
		return 0;
	head = (size_t)(dot - s);
	for (size_t i = 0; i < head; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return head > 0 && is_identifier(dot + 1, n - head - 1);
}

/* "CODE : ZH | EN" with a code checked by `valid`. */
static int code_labels(struct cparser *p, struct cursor *c, int (*valid)(const char *, size_t),
		       const char *what, const char **code, const char **label)
{
	const char *w, *zh, *en;
	size_t wn = cur_word(c, &w), zhn, enn;

	if (wn == 0 || !valid(w, wn)) {
		size_t n = wn;

		if (n == 0)
			while (w + n < c->end && w[n] != ' ' && w[n] != '\t' && w[n] != ':')
				n++;
		return src_error(p->name, p->line, "malformed %s code '%.*s'", what,
				 (int)(n > 64 ? 64 : n), w);
	}
	if (!cur_take(c, ':'))
		return src_error(p->name, p->line, "expected ': ZH | EN' after the %s code", what);
	if (split_labels(c->p, (size_t)(c->end - c->p), &zh, &zhn, &en, &enn) < 0)
		return src_error(p->name, p->line, "expected labels as 'ZH | EN', both non-empty");
	if ((*code = cdup(p, w, wn)) == NULL || (label[0] = cdup(p, zh, zhn)) == NULL ||
	    (label[1] = cdup(p, en, enn)) == NULL)
		return RUHU_ENOMEM;
	return 0;
}

/* The rest of the line, non-empty. */
static int rest(struct cparser *p, struct cursor *c, const char *what, const char **out)
{
	cur_skip_ws(c);
	if (c->p >= c->end)
		return src_error(p->name, p->line, "'%s' needs a value", what);
	if ((*out = cdup(p, c->p, (size_t)(c->end - c->p))) == NULL)
		return RUHU_ENOMEM;
	return 0;
}

static int identifier(const char *s, size_t n)
{
	return is_identifier(s, n);
}

static int item_complete(struct cparser *p)
{
	const ruhu_item *it = p->item;
	const char *missing = NULL;

	if (it == NULL)
		return 0;
	if (!it->category)
		missing = "category";
	else if (!it->basis)
		missing = "basis";
	else if (!it->has_limit)
		missing = "limit";
	else if (!it->nsteps)
		missing = "step";
	if (missing)
		return src_error(p->name, it->line, "item %s has no '%s'", it->code, missing);
	return 0;
}

static int d_category(struct cparser *p, struct cursor *c)
{
	ruhu_catalogue *cat = p->cat;
	struct category *k;
	const char *w;
	size_t wn;
	int error;

	if (p->item) {
		/* inside an item: the item's category */
		wn = cur_word(c, &w);
		if (p->item->category)
			return src_error(p->name, p->line, "item %s has two categories", p->item->code);
		for (size_t i = 0; i < cat->ncategories; i++)
			if (eqn(w, wn, cat->categories[i].code)) {
				p->item->category = i + 1;
				return cur_eof(c) ? 0 : perr(p, "unexpected '%.*s'", c->p, (size_t)(c->end - c->p));
			}
		return perr(p, "unknown category '%.*s' (declare it with 'category CODE : ZH | EN' "
			    "before the items)", w, wn ? wn : (size_t)(c->end - c->p));
	}
	if (cat->ncategories >= CAT_MAX_CATEGORIES)
		return src_error(p->name, p->line, "more than %d categories", CAT_MAX_CATEGORIES);
	if ((error = array_grow((void **)&cat->categories, &cat->ccategories, cat->ncategories + 1,
				sizeof(*k))) < 0)
		return error;
	k = &cat->categories[cat->ncategories];
	memset(k, 0, sizeof(*k));
	if ((error = code_labels(p, c, identifier, "category", &k->code, k->label)) < 0)
		return error;
	for (size_t i = 0; i < cat->ncategories; i++)
		if (!strcmp(cat->categories[i].code, k->code))
			return src_error(p->name, p->line, "category %s is declared twice", k->code);
	cat->ncategories++;
	return 0;
}

static int d_item(struct cparser *p, struct cursor *c)
{
	ruhu_catalogue *cat = p->cat;
	ruhu_item *it;
	int error;

	if ((error = item_complete(p)) < 0)
		return error;
	if (cat->nitems >= CAT_MAX_ITEMS)
		return src_error(p->name, p->line, "more than %d items", CAT_MAX_ITEMS);
	if ((error = array_grow((void **)&cat->items, &cat->citems, cat->nitems + 1, sizeof(*it))) < 0)
		return error;
	it = &cat->items[cat->nitems];
	memset(it, 0, sizeof(*it));
	it->line = p->line;
	p->item = it;
	cat->nitems++;
	if ((error = code_labels(p, c, is_item_code, "item", &it->code, it->name)) < 0)
		return error;
	for (size_t i = 0; i + 1 < cat->nitems; i++)
		if (!strcmp(cat->items[i].code, it->code))
			return src_error(p->name, p->line, "duplicate item code %s (first at line %d)",
					 it->code, cat->items[i].line);
	return 0;
}

static int d_limit(struct cparser *p, struct cursor *c)
{
	const char *w;
	size_t wn = cur_word(c, &w);
	unsigned int v = 0;

	if (p->item->has_limit)
		return src_error(p->name, p->line, "item %s has two limits", p->item->code);
	if (wn == 0 || wn > 3 || !cur_eof(c))
		return src_error(p->name, p->line, "'limit' needs a number of working days, 0 to %d",
				 CAT_MAX_LIMIT);
	for (size_t i = 0; i < wn; i++) {
		if (w[i] < '0' || w[i] > '9')
			return src_error(p->name, p->line, "'limit' needs a number of working days, 0 to %d",
					 CAT_MAX_LIMIT);
		v = v * 10 + (unsigned int)(w[i] - '0');
	}
	if (v > CAT_MAX_LIMIT)
		return src_error(p->name, p->line, "limit %u is over %d working days", v, CAT_MAX_LIMIT);
	p->item->limit = v;
	p->item->has_limit = 1;
	return 0;
}

static int d_material(struct cparser *p, struct cursor *c)
{
	ruhu_item *it = p->item;
	struct material *m;
	int error;

	if (it->nmaterials >= CAT_MAX_LIST)
		return src_error(p->name, p->line, "more than %d materials in item %s", CAT_MAX_LIST, it->code);
	if ((error = array_grow((void **)&it->materials, &it->cmaterials, it->nmaterials + 1,
				sizeof(*m))) < 0)
		return error;
	m = &it->materials[it->nmaterials];
	memset(m, 0, sizeof(*m));
	if ((error = code_labels(p, c, identifier, "material", &m->code, m->label)) < 0)
		return error;
	for (size_t i = 0; i < it->nmaterials; i++)
		if (!strcmp(it->materials[i].code, m->code))
			return src_error(p->name, p->line, "material %s appears twice in item %s",
					 m->code, it->code);
	it->nmaterials++;
	return 0;
}

static int d_step(struct cparser *p, struct cursor *c)
{
	ruhu_item *it = p->item;
	struct step *s;
	const char *zh, *en;
	size_t zhn, enn;
	int error;

	if (it->nsteps >= CAT_MAX_LIST)
		return src_error(p->name, p->line, "more than %d steps in item %s", CAT_MAX_LIST, it->code);
	cur_skip_ws(c);
	if (split_labels(c->p, (size_t)(c->end - c->p), &zh, &zhn, &en, &enn) < 0)
		return src_error(p->name, p->line, "expected 'step ZH | EN', both non-empty");
	if ((error = array_grow((void **)&it->steps, &it->csteps, it->nsteps + 1, sizeof(*s))) < 0)
		return error;
	s = &it->steps[it->nsteps];
	if ((s->text[0] = cdup(p, zh, zhn)) == NULL || (s->text[1] = cdup(p, en, enn)) == NULL)
		return RUHU_ENOMEM;
	it->nsteps++;
	return 0;
}

static int directive(struct cparser *p, struct cursor *c)
{
	ruhu_catalogue *cat = p->cat;
	const char *w;
	size_t wn = cur_word(c, &w);

	if (eqn(w, wn, "item"))
		return d_item(p, c);
	if (eqn(w, wn, "category"))
		return d_category(p, c);
	if (p->item == NULL) {
		if (eqn(w, wn, "centre")) {
			if (cat->centre)
				return src_error(p->name, p->line, "'centre' is given twice");
			return rest(p, c, "centre", &cat->centre);
		}
		if (eqn(w, wn, "defaults")) {
			if (cat->defaults || !cur_eof(c))
				return src_error(p->name, p->line, "'defaults' is a single word, given once");
			cat->defaults = 1;
			return 0;
		}
	} else {
		if (eqn(w, wn, "basis")) {
			if (p->item->basis)
				return src_error(p->name, p->line, "item %s has two 'basis' lines", p->item->code);
			return rest(p, c, "basis", &p->item->basis);
		}
		if (eqn(w, wn, "limit"))
			return d_limit(p, c);
		if (eqn(w, wn, "material"))
			return d_material(p, c);
		if (eqn(w, wn, "step"))
			return d_step(p, c);
	}
	if (eqn(w, wn, "format"))
		return src_error(p->name, p->line, "'format' must be the first line");
	if (wn == 0)
		wn = (size_t)(c->end - c->p);
	return perr(p, p->item ? "unknown catalogue field '%.*s' in an item" :
		    "unknown catalogue field '%.*s' before the first item", w, wn);
}

void ruhu_catalogue_free(ruhu_catalogue *cat)
{
	if (cat == NULL)
		return;
	for (size_t i = 0; i < cat->nitems; i++) {
		free(cat->items[i].materials);
		free(cat->items[i].steps);
	}
	free(cat->items);
	free(cat->categories);
	arena_release(&cat->arena);
	free(cat);
}

int ruhu_catalogue_load_buffer(ruhu_catalogue **out, const char *name, const void *data, size_t len)
{
	struct cparser p;
	ruhu_catalogue *cat;
	struct lines l;
	struct line ln;
	int error = 0, rc, first = 1;

	if (out == NULL || (data == NULL && len))
		return ruhu_error_set(RUHU_EINVALID, "no catalogue given");
	*out = NULL;
	name = name ? name : "catalogue";
	if (len > TEXT_MAX_FILE)
		return src_error(name, 0, "larger than %zu bytes", TEXT_MAX_FILE);
	if ((cat = calloc(1, sizeof(*cat))) == NULL)
		return ruhu_error_oom();
	memset(&p, 0, sizeof(p));
	p.cat = cat;
	p.name = name;
	if ((cat->source = arena_strndup(&cat->arena, data, len)) == NULL ||
	    (cat->name = arena_strndup(&cat->arena, name, strlen(name))) == NULL) {
		error = RUHU_ENOMEM;
		goto done;
	}
	cat->len = len;
	sha256_hex(cat->version, cat->source, len);
	lines_init(&l, name, cat->source, len);
	while ((rc = lines_next(&l, &ln)) > 0) {
		struct cursor c = { ln.s, ln.s + ln.n };

		p.line = ln.lineno;
		if (first) {
			if (!eqn(ln.s, ln.n, "format catalogue 1")) {
				error = src_error(name, p.line, "expected 'format catalogue 1' as the first line");
				goto done;
			}
			first = 0;
			continue;
		}
		if ((error = directive(&p, &c)) < 0)
			goto done;
	}
	if ((error = rc) < 0 || (error = item_complete(&p)) < 0)
		goto done;
	if (first)
		error = src_error(name, 0, "empty catalogue (expected 'format catalogue 1')");
	else if (cat->nitems == 0)
		error = src_error(name, 0, "no items");
	for (size_t i = 0; i < cat->nitems; i++)
		cat->items[i].cat = cat;
done:
	if (error < 0) {
		ruhu_catalogue_free(cat);
		cat = NULL;
	}
	*out = cat;
	return error;
}

int ruhu_catalogue_load_file(ruhu_catalogue **out, const char *path)
{
	ruhu_buf buf = RUHU_BUF_INIT;
	int error;

	if (out == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no place for the catalogue");
	*out = NULL;
	if ((error = read_file(&buf, path, TEXT_MAX_FILE, "catalogue file")) == 0)
		error = ruhu_catalogue_load_buffer(out, path, buf.ptr ? buf.ptr : "", buf.size);
	ruhu_buf_dispose(&buf);
	return error;
}

int ruhu_catalogue_load_default(ruhu_catalogue **out)
{
	const struct ruhu_embedded_file *e = &ruhu_catalogue_embedded_files[0];

	if (ruhu_catalogue_embedded_count < 1)
		return ruhu_error_set(RUHU_ENOTFOUND, "no catalogue is compiled into ruhu");
	return ruhu_catalogue_load_buffer(out, e->name, e->data, e->len);
}
