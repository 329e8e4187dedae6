/*
 * access.c — the read-only accessors of ruhu_schema, ruhu_type, ruhu_field
 * and ruhu_order, and the lattice's rank, tie and pick.
 *
 * Design notes
 *  1. Accessors accept NULL and out-of-range indexes and answer NULL, 0 or
 *     -1: a caller iterating with the count never sees them.
 *  2. Lattice (rules.c, note 3): chain state i has rank i; every final state
 *     has rank nstates; NULL and unknown values have rank -1.  Two different
 *     values of equal rank tie (two finals, or two unknowns).
 */
#include <string.h>

#include "schema/schema_int.h"

static int lang_ok(ruhu_lang lang)
{
	return lang == RUHU_LANG_ZH || lang == RUHU_LANG_EN;
}

const char *ruhu_schema_version(const ruhu_schema *s)
{
	return s ? s->version : NULL;
}

size_t ruhu_schema_migration_count(const ruhu_schema *s)
{
	return s ? s->nmigrations : 0;
}

int ruhu_schema_migration_number(const ruhu_schema *s, size_t i)
{
	return s && i < s->nmigrations ? s->migrations[i].number : -1;
}

const char *ruhu_schema_migration_name(const ruhu_schema *s, size_t i)
{
	return s && i < s->nmigrations ? s->migrations[i].name : NULL;
}

size_t ruhu_schema_type_count(const ruhu_schema *s)
{
	return s ? s->ntypes : 0;
}

const ruhu_type *ruhu_schema_type(const ruhu_schema *s, size_t i)
{
	return s && i < s->ntypes ? s->types[i] : NULL;
}

const ruhu_type *ruhu_schema_type_byname(const ruhu_schema *s, const char *name)
{
	for (size_t i = 0; s && name && i < s->ntypes; i++)
		if (!strcmp(s->types[i]->name, name))
			return s->types[i];
	return NULL;
}

const char *ruhu_type_name(const ruhu_type *t)
{
	return t ? t->name : NULL;
}

const char *ruhu_type_label(const ruhu_type *t, ruhu_lang lang)
{
	return t && lang_ok(lang) ? t->label[lang] : NULL;
}

size_t ruhu_type_index(const ruhu_type *t)
{
	return t ? t->index : 0;
}

const ruhu_field *ruhu_type_pk(const ruhu_type *t)
{
	return t ? &t->fields[t->pk] : NULL;
}

size_t ruhu_type_field_count(const ruhu_type *t)
{
	return t ? t->nfields : 0;
}

const ruhu_field *ruhu_type_field(const ruhu_type *t, size_t i)
{
	return t && i < t->nfields ? &t->fields[i] : NULL;
}

const ruhu_field *ruhu_type_field_byname(const ruhu_type *t, const char *name)
{
	for (size_t i = 0; t && name && i < t->nfields; i++)
		if (!strcmp(t->fields[i].name, name))
			return &t->fields[i];
	return NULL;
}

ruhu_delete_rule ruhu_type_delete_rule(const ruhu_type *t)
{
	return t ? t->del : RUHU_DELETE_REVIEW;
}

ruhu_mutability ruhu_type_mutability(const ruhu_type *t)
{
	return t ? t->mut : RUHU_MUTABLE;
}

const char *ruhu_type_immutable_after(const ruhu_type *t)
{
	return t ? t->immutable_after : NULL;
}

ruhu_rule ruhu_type_default_rule(const ruhu_type *t)
{
	return t ? t->default_rule : RUHU_RULE_LWW;
}

size_t ruhu_type_duplicate_count(const ruhu_type *t)
{
	return t ? t->ndup : 0;
}

const ruhu_field *ruhu_type_duplicate_field(const ruhu_type *t, size_t i)
{
	return t && i < t->ndup ? t->dup[i] : NULL;
}

const char *ruhu_field_name(const ruhu_field *f)
{
	return f ? f->name : NULL;
}

const ruhu_type *ruhu_field_type(const ruhu_field *f)
{
	return f ? f->type : NULL;
}

size_t ruhu_field_index(const ruhu_field *f)
{
	return f ? f->index : 0;
}

const char *ruhu_field_sqltype(const ruhu_field *f)
{
	return f ? f->sqltype : NULL;
}

int ruhu_field_notnull(const ruhu_field *f)
{
	return f ? f->notnull || f->pk : 0;
}

int ruhu_field_is_pk(const ruhu_field *f)
{
	return f ? f->pk : 0;
}

const char *ruhu_field_label(const ruhu_field *f, ruhu_lang lang)
{
	return f && lang_ok(lang) ? f->label[lang] : NULL;
}

ruhu_rule ruhu_field_rule(const ruhu_field *f)
{
	return f ? f->rule : RUHU_RULE_LWW;
}

int ruhu_field_rule_declared(const ruhu_field *f)
{
	return f ? f->declared : 0;
}

const ruhu_order *ruhu_field_order(const ruhu_field *f)
{
	return f ? f->order : NULL;
}

const ruhu_type *ruhu_field_ref(const ruhu_field *f)
{
	return f ? f->ref : NULL;
}

const ruhu_field *ruhu_field_ref_by(const ruhu_field *f)
{
	return f ? f->ref_by : NULL;
}

size_t ruhu_field_value_count(const ruhu_field *f)
{
	return f ? f->nvalues : 0;
}

const char *ruhu_field_value(const ruhu_field *f, size_t i)
{
	return f && i < f->nvalues ? f->values[i].name : NULL;
}

const char *ruhu_field_value_label(const ruhu_field *f, size_t i, ruhu_lang lang)
{
	return f && i < f->nvalues && lang_ok(lang) ? f->values[i].label[lang] : NULL;
}

const char *ruhu_field_value_label_of(const ruhu_field *f, const char *value, ruhu_lang lang)
{
	for (size_t i = 0; f && value && lang_ok(lang) && i < f->nvalues; i++)
		if (!strcmp(f->values[i].name, value))
			return f->values[i].label[lang];
	return NULL;
}

/* --- lattices (note 2) --- */

const char *ruhu_order_text(const ruhu_order *o)
{
	return o ? o->text : NULL;
}

size_t ruhu_order_state_count(const ruhu_order *o)
{
	return o ? o->nstates : 0;
}

const char *ruhu_order_state(const ruhu_order *o, size_t i)
{
	return o && i < o->nstates ? o->states[i] : NULL;
}

size_t ruhu_order_final_count(const ruhu_order *o)
{
	return o ? o->nfinals : 0;
}

const char *ruhu_order_final(const ruhu_order *o, size_t i)
{
	return o && i < o->nfinals ? o->finals[i] : NULL;
}

int ruhu_order_rank(const ruhu_order *o, const char *value)
{
	if (o == NULL || value == NULL)
		return -1;
	for (size_t i = 0; i < o->nstates; i++)
		if (!strcmp(o->states[i], value))
			return (int)i;
	for (size_t i = 0; i < o->nfinals; i++)
		if (!strcmp(o->finals[i], value))
			return (int)o->nstates;
	return -1;
}

int ruhu_order_is_final(const ruhu_order *o, const char *value)
{
	for (size_t i = 0; o && value && i < o->nfinals; i++)
		if (!strcmp(o->finals[i], value))
			return 1;
	return 0;
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

int ruhu_order_tie(const ruhu_order *o, const char *a, const char *b)
{
	return !same(a, b) && ruhu_order_rank(o, a) == ruhu_order_rank(o, b);
}

int ruhu_order_pick(const ruhu_order *o, const char *a, const char *b)
{
	int ra, rb;

	if (same(a, b))
		return 0;
	ra = ruhu_order_rank(o, a);
	rb = ruhu_order_rank(o, b);
	if (ra == rb)
		return 3;
	return ra > rb ? 1 : 2;
}
