/*
 * rules.c — the parser of the rules file: record types in schema order,
 * their conflict rules, references, duplicate keys and labels.
 *
 * Design notes
 *  1. The format is line-oriented (schema_int.h, note 2; docs/schema.md has
 *     the grammar).  A line is a directive; every directive but `format`
 *     and `type` belongs to the type above it, and `value` to the field
 *     above it:
 *         format rules 1
 *         type NAME [: ZH | EN]
 *         default RULE            delete delete_wins|update_wins|review
 *         immutable               immutable_after(SQL CONDITION)
 *         duplicate FIELD[, FIELD...]
 *         field NAME [RULE] [-> TYPE | -> (COLUMN)] [: ZH | EN]
 *         value NAME : ZH | EN
 *  2. This file checks what one line can say (syntax, names, a directive
 *     given twice); schema.c checks the rules against the tables.
 *  3. A lattice is `order(a<b<c)` or `order(a<b<c; final=x,y)`: a chain of
 *     states, lowest first, and final states that beat every state of the
 *     chain and tie with each other.  At least two states in all, all
 *     distinct identifiers, at most RULES_MAX_STATES.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/schema_int.h"

#define RULES_MAX_TYPES 128
#define RULES_MAX_FIELDS 256
#define RULES_MAX_STATES 64
#define RULES_MAX_VALUES 256

static const struct {
	const char *name;
	ruhu_rule rule;
} rule_names[] = {
	{ "lww", RUHU_RULE_LWW }, { "hub", RUHU_RULE_HUB }, { "device", RUHU_RULE_DEVICE },
	{ "order", RUHU_RULE_ORDER }, { "union", RUHU_RULE_UNION }, { "append", RUHU_RULE_APPEND },
	{ "min", RUHU_RULE_MIN }, { "max", RUHU_RULE_MAX }, { "review", RUHU_RULE_REVIEW },
};

const char *ruhu_rule_name(ruhu_rule rule)
{
	for (size_t i = 0; i < sizeof(rule_names) / sizeof(rule_names[0]); i++)
		if (rule_names[i].rule == rule)
			return rule_names[i].name;
	return "key";
}

const char *ruhu_delete_rule_name(ruhu_delete_rule rule)
{
	return rule == RUHU_DELETE_WINS ? "delete_wins" : rule == RUHU_UPDATE_WINS ? "update_wins" : "review";
}

const char *ruhu_mutability_name(ruhu_mutability m)
{
	return m == RUHU_IMMUTABLE ? "immutable" : m == RUHU_IMMUTABLE_AFTER ? "immutable_after" : "mutable";
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* Split s at `sep` into at most `max` trimmed parts; -1 when more. */
static int split(const char *s, size_t n, char sep, const char **parts, size_t *lens, size_t max)
{
	size_t count = 0;

	for (;;) {
		const char *e = memchr(s, sep, n);
		size_t len = e ? (size_t)(e - s) : n;

		if (count == max)
			return -1;
		parts[count] = s;
		lens[count] = len;
		trim(&parts[count], &lens[count]);
		count++;
		if (e == NULL)
			return (int)count;
		n -= len + 1;
		s = e + 1;
	}
}

static int add_state(const char **states, size_t count, const char *name, int line,
		     const char *s, size_t n)
{
	if (!is_identifier(s, n))
		return src_error(name, line, "lattice state '%.*s' is not a lowercase identifier",
				 (int)(n > 64 ? 64 : n), s);
	for (size_t i = 0; i < count; i++)
		if (eqn(s, n, states[i]))
			return src_error(name, line, "lattice state '%.*s' appears twice", (int)n, s);
	return 0;
}

int order_parse(ruhu_order **out, struct arena *arena, const char *name, int line,
		const char *s, size_t n)
{
	const char *parts[2], *chain[RULES_MAX_STATES + 1], *fin[RULES_MAX_STATES + 1];
	size_t plens[2], clens[RULES_MAX_STATES + 1], flens[RULES_MAX_STATES + 1];
	const char *all[2 * RULES_MAX_STATES];
	int np, nc, nf = 0;
	ruhu_order *o;
	ruhu_buf text = RUHU_BUF_INIT;
	int error = 0;

	*out = NULL;
	if ((np = split(s, n, ';', parts, plens, 2)) < 0)
		return src_error(name, line, "malformed order(...): more than one ';'");
	if ((nc = split(parts[0], plens[0], '<', chain, clens, RULES_MAX_STATES)) < 0)
		return src_error(name, line, "malformed order(...): more than %d states", RULES_MAX_STATES);
	if (nc == 1 && clens[0] == 0)
		return src_error(name, line, "malformed order(...): no states");
	if (np == 2) {
		const char *v = parts[1];
		size_t vn = plens[1];

		if (vn < 6 || memcmp(v, "final", 5) != 0)
			return src_error(name, line, "malformed order(...): expected 'final=STATE,...' after ';'");
		v += 5;
		vn -= 5;
		trim(&v, &vn);
		if (vn == 0 || *v != '=')
			return src_error(name, line, "malformed order(...): expected 'final=STATE,...' after ';'");
		v++;
		vn--;
		if ((nf = split(v, vn, ',', fin, flens, RULES_MAX_STATES)) < 0)
			return src_error(name, line, "malformed order(...): more than %d final states",
					 RULES_MAX_STATES);
	}
	for (int i = 0; i < nc; i++) {
		if ((error = add_state(all, (size_t)i, name, line, chain[i], clens[i])) < 0)
			return error;
		all[i] = arena_strndup(arena, chain[i], clens[i]);
		if (all[i] == NULL)
			return RUHU_ENOMEM;
	}
	for (int i = 0; i < nf; i++) {
		if ((error = add_state(all, (size_t)(nc + i), name, line, fin[i], flens[i])) < 0)
			return error;
		if ((all[nc + i] = arena_strndup(arena, fin[i], flens[i])) == NULL)
			return RUHU_ENOMEM;
	}
	if (nc + nf < 2)
		return src_error(name, line, "malformed order(...): a lattice needs at least two states");
	if ((o = arena_alloc(arena, sizeof(*o))) == NULL ||
	    (o->states = arena_alloc(arena, sizeof(char *) * (size_t)(nc + nf))) == NULL)
		return RUHU_ENOMEM;
	memcpy(o->states, all, sizeof(char *) * (size_t)(nc + nf));
	o->nstates = (size_t)nc;
	o->finals = o->states + nc;
	o->nfinals = (size_t)nf;
	error = ruhu_buf_puts(&text, "order(");
	for (int i = 0; !error && i < nc; i++)
		error = ruhu_buf_printf(&text, "%s%s", i ? "<" : "", all[i]);
	for (int i = 0; !error && i < nf; i++)
		error = ruhu_buf_printf(&text, "%s%s", i ? "," : "; final=", all[nc + i]);
	if (!error)
		error = ruhu_buf_putc(&text, ')');
	if (!error && (o->text = arena_strndup(arena, text.ptr, text.size)) == NULL)
		error = RUHU_ENOMEM;
	ruhu_buf_dispose(&text);
	if (error == 0)
		*out = o;
	return error;
}

/* --- one line at a time --- */

struct parser {
	struct rules *r;
	struct arena *arena;
	const char *name;
	int line;
	struct rules_type *type;
	struct rules_field *field;
};

/* An error quoting at most 64 bytes of the line. */
#define err(p, fmt, a, an) \
	src_error((p)->name, (p)->line, fmt, (int)((an) > 64 ? 64 : (an)), (a))

static char *dup(struct parser *p, const char *s, size_t n)
{
	return arena_strndup(p->arena, s, n);
}

/* ": ZH | EN" at the cursor, or nothing; `required` refuses nothing. */
static int labels(struct parser *p, struct cursor *c, const char **label, int required)
{
	const char *zh, *en;
	size_t zhn, enn;

	if (!cur_take(c, ':')) {
		if (!cur_eof(c))
			return err(p, "unexpected '%.*s' (labels go after ':')", c->p, (size_t)(c->end - c->p));
		return required ? src_error(p->name, p->line, "expected ': ZH | EN' labels") : 0;
	}
	if (split_labels(c->p, (size_t)(c->end - c->p), &zh, &zhn, &en, &enn) < 0)
		return src_error(p->name, p->line, "expected labels as 'ZH | EN', both non-empty");
	if ((label[0] = dup(p, zh, zhn)) == NULL || (label[1] = dup(p, en, enn)) == NULL)
		return RUHU_ENOMEM;
	c->p = c->end;
	return 0;
}

/* A rule name, with its lattice for order(...). */
static int rule(struct parser *p, struct cursor *c, const char *w, size_t wn,
		ruhu_rule *out, ruhu_order **order)
{
	size_t i;

	for (i = 0; i < sizeof(rule_names) / sizeof(rule_names[0]); i++)
		if (eqn(w, wn, rule_names[i].name))
			break;
	if (i == sizeof(rule_names) / sizeof(rule_names[0]))
		return err(p, "unknown rule '%.*s'", w, wn);
	*out = rule_names[i].rule;
	if (*out == RUHU_RULE_ORDER) {
		const char *in;
		size_t n;

		if (c->p >= c->end || *c->p != '(')
			return src_error(p->name, p->line, "malformed order(...): expected order(a<b<c)");
		if (cur_parens(c, &in, &n) < 0)
			return src_error(p->name, p->line, "malformed order(...): no closing ')'");
		if (order == NULL)
			return src_error(p->name, p->line, "order(...) is a field rule, not a type default");
		return order_parse(order, p->arena, p->name, p->line, in, n);
	}
	if (c->p < c->end && *c->p == '(')
		return err(p, "rule '%.*s' takes no arguments", w, wn);
	return 0;
}

static int need_type(struct parser *p, const char *what)
{
	if (p->type == NULL)
		return src_error(p->name, p->line, "'%s' before any 'type'", what);
	return 0;
}

static int d_type(struct parser *p, struct cursor *c)
{
	const char *w;
	size_t wn = cur_word(c, &w);
	struct rules_type *t;
	int error;

	if (wn == 0)
		return src_error(p->name, p->line, "'type' needs a name");
	if (w[0] == '_')
		return err(p, "type '%.*s': names starting with '_' are for tables that are not replicated", w, wn);
	if (!is_identifier(w, wn))
		return err(p, "type name '%.*s' is not a lowercase identifier", w, wn);
	for (size_t i = 0; i < p->r->ntypes; i++)
		if (eqn(w, wn, p->r->types[i].name))
			return src_error(p->name, p->line, "type '%.*s' is declared twice (first at line %d)",
					 (int)wn, w, p->r->types[i].line);
	if (p->r->ntypes >= RULES_MAX_TYPES)
		return src_error(p->name, p->line, "more than %d types", RULES_MAX_TYPES);
	if ((error = array_grow((void **)&p->r->types, &p->r->ctypes, p->r->ntypes + 1, sizeof(*t))) < 0)
		return error;
	t = &p->r->types[p->r->ntypes++];
	memset(t, 0, sizeof(*t));
	t->line = p->line;
	t->default_rule = RUHU_RULE_LWW;
	p->type = t;
	p->field = NULL;
	if ((t->name = dup(p, w, wn)) == NULL)
		return RUHU_ENOMEM;
	return labels(p, c, t->label, 0);
}

static int d_default(struct parser *p, struct cursor *c)
{
	const char *w;
	size_t wn;
	int error;

	if ((error = need_type(p, "default")) < 0)
		return error;
	if (p->type->has_default)
		return src_error(p->name, p->line, "'default' is given twice for type %s", p->type->name);
	if ((wn = cur_word(c, &w)) == 0)
		return src_error(p->name, p->line, "'default' needs a rule");
	if ((error = rule(p, c, w, wn, &p->type->default_rule, NULL)) < 0)
		return error;
	if (p->type->default_rule == RUHU_RULE_UNION || p->type->default_rule == RUHU_RULE_APPEND)
		return err(p, "rule '%.*s' cannot be a type's default (name it per field)", w, wn);
	p->type->has_default = 1;
	return cur_eof(c) ? 0 : err(p, "unexpected '%.*s'", c->p, (size_t)(c->end - c->p));
}

static int d_delete(struct parser *p, struct cursor *c)
{
	const char *w;
	size_t wn;
	int error;

	if ((error = need_type(p, "delete")) < 0)
		return error;
	if (p->type->has_delete)
		return src_error(p->name, p->line, "'delete' is given twice for type %s", p->type->name);
	wn = cur_word(c, &w);
	if (eqn(w, wn, "review"))
		p->type->del = RUHU_DELETE_REVIEW;
	else if (eqn(w, wn, "delete_wins"))
		p->type->del = RUHU_DELETE_WINS;
	else if (eqn(w, wn, "update_wins"))
		p->type->del = RUHU_UPDATE_WINS;
	else
		return err(p, "unknown delete rule '%.*s' (expected delete_wins, update_wins or review)", w, wn);
	p->type->has_delete = 1;
	return cur_eof(c) ? 0 : err(p, "unexpected '%.*s'", c->p, (size_t)(c->end - c->p));
}

static int d_immutable(struct parser *p, struct cursor *c, int after)
{
	int error;

	if ((error = need_type(p, after ? "immutable_after" : "immutable")) < 0)
		return error;
	if (p->type->has_mut)
		return src_error(p->name, p->line, "type %s is declared immutable twice (first at line %d)",
				 p->type->name, p->type->mut_line);
	p->type->has_mut = 1;
	p->type->mut_line = p->line;
	p->type->mut = after ? RUHU_IMMUTABLE_AFTER : RUHU_IMMUTABLE;
	if (after) {
		const char *in;
		size_t n;

		cur_skip_ws(c);
		if (cur_parens(c, &in, &n) < 0)
			return src_error(p->name, p->line, "expected immutable_after(CONDITION)");
		trim(&in, &n);
		if (n == 0)
			return src_error(p->name, p->line, "immutable_after() needs a condition");
		if (memchr(in, ';', n))
			return src_error(p->name, p->line, "the condition of immutable_after holds a ';'");
		if ((p->type->immutable_after = dup(p, in, n)) == NULL)
			return RUHU_ENOMEM;
	}
	return cur_eof(c) ? 0 : err(p, "unexpected '%.*s'", c->p, (size_t)(c->end - c->p));
}

static int d_duplicate(struct parser *p, struct cursor *c)
{
	const char *parts[16];
	size_t lens[16];
	int n, error;

	if ((error = need_type(p, "duplicate")) < 0)
		return error;
	if (p->type->has_dup)
		return src_error(p->name, p->line, "'duplicate' is given twice for type %s", p->type->name);
	if ((n = split(c->p, (size_t)(c->end - c->p), ',', parts, lens, 16)) < 0)
		return src_error(p->name, p->line, "a duplicate key has at most 16 fields");
	if ((p->type->dup = arena_alloc(p->arena, sizeof(char *) * (size_t)n)) == NULL)
		return RUHU_ENOMEM;
	for (int i = 0; i < n; i++) {
		if (!is_identifier(parts[i], lens[i]))
			return err(p, "'duplicate' needs field names, not '%.*s'", parts[i], lens[i]);
		for (int k = 0; k < i; k++)
			if (eqn(parts[i], lens[i], p->type->dup[k]))
				return err(p, "field '%.*s' appears twice in the duplicate key", parts[i], lens[i]);
		if ((p->type->dup[i] = dup(p, parts[i], lens[i])) == NULL)
			return RUHU_ENOMEM;
	}
	p->type->ndup = (size_t)n;
	p->type->has_dup = 1;
	p->type->dup_line = p->line;
	return 0;
}

static int d_field(struct parser *p, struct cursor *c)
{
	struct rules_type *t = p->type;
	struct rules_field *f;
	const char *w;
	size_t wn;
	int error;

	if ((error = need_type(p, "field")) < 0)
		return error;
	if ((wn = cur_word(c, &w)) == 0 || !is_identifier(w, wn))
		return err(p, "'field' needs a lowercase identifier, not '%.*s'", c->p, (size_t)(c->end - c->p));
	for (size_t i = 0; i < t->nfields; i++)
		if (eqn(w, wn, t->fields[i].name))
			return src_error(p->name, p->line, "field %s.%.*s is declared twice (first at line %d)",
					 t->name, (int)wn, w, t->fields[i].line);
	if (t->nfields >= RULES_MAX_FIELDS)
		return src_error(p->name, p->line, "more than %d fields in type %s", RULES_MAX_FIELDS, t->name);
	if ((error = array_grow((void **)&t->fields, &t->cfields, t->nfields + 1, sizeof(*f))) < 0)
		return error;
	f = &t->fields[t->nfields++];
	memset(f, 0, sizeof(*f));
	f->line = p->line;
	p->field = f;
	if ((f->name = dup(p, w, wn)) == NULL)
		return RUHU_ENOMEM;
	cur_skip_ws(c);
	if (c->p < c->end && *c->p >= 'a' && *c->p <= 'z') {
		wn = cur_word(c, &w);
		if ((error = rule(p, c, w, wn, &f->rule, &f->order)) < 0)
			return error;
		f->has_rule = 1;
	} else if (c->p < c->end && *c->p != '-' && *c->p != ':') {
		return err(p, "expected a rule, '->' or ':' at '%.*s'", c->p, (size_t)(c->end - c->p));
	}
	if (cur_take(c, '-')) {
		if (c->p >= c->end || *c->p != '>')
			return src_error(p->name, p->line, "expected '->' before the referenced type");
		c->p++;
		f->has_ref = 1;
		cur_skip_ws(c);
		if (c->p < c->end && *c->p == '(') {
			const char *in;
			size_t n;

			if (cur_parens(c, &in, &n) < 0 || (trim(&in, &n), !is_identifier(in, n)))
				return src_error(p->name, p->line, "expected '-> (COLUMN)' naming the column "
						 "that holds the referenced type");
			if ((f->ref.column = dup(p, in, n)) == NULL)
				return RUHU_ENOMEM;
		} else {
			if ((wn = cur_word(c, &w)) == 0 || !is_identifier(w, wn))
				return src_error(p->name, p->line, "expected a type name after '->'");
			if ((f->ref.type = dup(p, w, wn)) == NULL)
				return RUHU_ENOMEM;
		}
	}
	return labels(p, c, f->label, 0);
}

static int d_value(struct parser *p, struct cursor *c)
{
	struct rules_field *f = p->field;
	struct field_value *v;
	const char *w;
	size_t wn;
	int error;

	if ((error = need_type(p, "value")) < 0)
		return error;
	if (f == NULL)
		return src_error(p->name, p->line, "'value' before any 'field' of type %s", p->type->name);
	if ((wn = cur_word(c, &w)) == 0)
		return src_error(p->name, p->line, "'value' needs a value");
	for (size_t i = 0; i < f->nvalues; i++)
		if (eqn(w, wn, f->values[i].name))
			return err(p, "value '%.*s' is labelled twice", w, wn);
	if (f->nvalues >= RULES_MAX_VALUES)
		return src_error(p->name, p->line, "more than %d values for one field", RULES_MAX_VALUES);
	if ((error = array_grow((void **)&f->values, &f->cvalues, f->nvalues + 1, sizeof(*v))) < 0)
		return error;
	v = &f->values[f->nvalues++];
	memset(v, 0, sizeof(*v));
	v->line = p->line;
	if ((v->name = dup(p, w, wn)) == NULL)
		return RUHU_ENOMEM;
	return labels(p, c, v->label, 1);
}

static int directive(struct parser *p, struct cursor *c)
{
	const char *w;
	size_t wn = cur_word(c, &w);

	if (eqn(w, wn, "type"))
		return d_type(p, c);
	if (eqn(w, wn, "field"))
		return d_field(p, c);
	if (eqn(w, wn, "value"))
		return d_value(p, c);
	if (eqn(w, wn, "default"))
		return d_default(p, c);
	if (eqn(w, wn, "delete"))
		return d_delete(p, c);
	if (eqn(w, wn, "immutable"))
		return d_immutable(p, c, 0);
	if (eqn(w, wn, "immutable_after"))
		return d_immutable(p, c, 1);
	if (eqn(w, wn, "duplicate"))
		return d_duplicate(p, c);
	if (eqn(w, wn, "format"))
		return src_error(p->name, p->line, "'format' must be the first line");
	if (wn == 0)
		wn = (size_t)(c->end - c->p);
	return err(p, "unknown directive '%.*s'", w, wn);
}

void rules_release(struct rules *r)
{
	for (size_t i = 0; i < r->ntypes; i++) {
		for (size_t k = 0; k < r->types[i].nfields; k++)
			free(r->types[i].fields[k].values);
		free(r->types[i].fields);
	}
	free(r->types);
	memset(r, 0, sizeof(*r));
}

int rules_parse(struct rules *out, struct arena *arena, const char *name,
		const char *data, size_t len)
{
	struct parser p = { out, arena, name, 0, NULL, NULL };
	struct lines l;
	struct line ln;
	int rc, first = 1;

	memset(out, 0, sizeof(*out));
	out->name = name;
	if (len > TEXT_MAX_FILE)
		return src_error(name, 0, "larger than %zu bytes", TEXT_MAX_FILE);
	lines_init(&l, name, data, len);
	while ((rc = lines_next(&l, &ln)) > 0) {
		struct cursor c = { ln.s, ln.s + ln.n };

		p.line = ln.lineno;
		if (first) {
			if (!eqn(ln.s, ln.n, "format rules 1"))
				return src_error(name, p.line, "expected 'format rules 1' as the first line");
			first = 0;
			continue;
		}
		if ((rc = directive(&p, &c)) < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (first)
		return src_error(name, 0, "empty rules file (expected 'format rules 1')");
	if (out->ntypes == 0)
		return src_error(name, 0, "no types");
	return 0;
}
