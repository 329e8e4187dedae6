/*
 * build.c — joining the tables found in the scratch database with the rules
 * file into the record types of a ruhu_schema (schema.c, note 1).
 *
 * Design notes
 *  1. Types come in the order of the rules file: that is the schema order.
 *     Fields come in column order (pragma table_xinfo).
 *  2. What is checked, each refused with the file and line that says it:
 *     a record table that is not STRICT, has no or another primary key than
 *     `id TEXT`, a UNIQUE constraint or index, a foreign key or a generated
 *     column (at its CREATE statement); a type without a table, a table
 *     without a type; a field naming no column; a rule on the key; a rule
 *     that does not fit the column type (union, append, order need TEXT;
 *     min, max refuse BLOB); field rules on an immutable type; a reference
 *     to an unknown type or column; a duplicate key naming an unknown field
 *     or the key; a labelled value outside the field's lattice; an
 *     immutable_after condition SQLite cannot prepare on the table.
 *  3. A column without a `field` line gets the type's default rule and its
 *     own name as both labels.
 */
#include <string.h>

#include "schema/schema_int.h"

static const struct pos *table_pos(const struct build_in *in, const char *name)
{
	for (size_t i = in->ntables; i-- > 0;)
		if (!sqlite3_stricmp(in->tables[i].name, name))
			return &in->tables[i];
	return NULL;
}

static const struct pos *index_pos(const struct build_in *in, const char *name)
{
	for (size_t i = in->nindexes; i-- > 0;)
		if (!sqlite3_stricmp(in->indexes[i].name, name))
			return &in->indexes[i];
	return NULL;
}

static int sql_error(sqlite3 *db)
{
	int rc = sqlite3_errcode(db);

	return ruhu_error_set(rc == SQLITE_NOMEM ? RUHU_ENOMEM : RUHU_ERROR,
			      "cannot read the schema's tables: %s", sqlite3_errmsg(db));
}

static int prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql, const char *arg)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK ||
	    (arg && sqlite3_bind_text(*st, 1, arg, -1, SQLITE_STATIC) != SQLITE_OK))
		return sql_error(db);
	return 0;
}

static const char *upper_type(const char *t)
{
	static const char *const names[] = { "TEXT", "INTEGER", "REAL", "BLOB", "ANY" };

	if (t && !sqlite3_stricmp(t, "INT"))
		return "INTEGER";
	for (size_t i = 0; i < 5; i++)
		if (t && !sqlite3_stricmp(t, names[i]))
			return names[i];
	return "ANY";
}

static const char *label_or(struct arena *a, const char *label, const char *name)
{
	return label ? label : name;
}

/* Read the columns of a record table and check its shape (note 2). */
static int read_table(const struct build_in *in, ruhu_type *t, const struct pos *at, int rules_line)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0, npk = 0;
	int error = 0, rc;

	if ((error = prepare(in->db, &st, "SELECT \"strict\" FROM pragma_table_list WHERE "
			     "schema = 'main' AND name = ?1", t->name)) < 0)
		goto done;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		error = rc != SQLITE_DONE ? sql_error(in->db) : src_error(in->rules->name, rules_line,
			"type %s has no table (no CREATE TABLE %s in the migrations)", t->name, t->name);
		goto done;
	}
	if (sqlite3_column_int(st, 0) != 1) {
		error = src_error(at->file, at->line, "table %s is not STRICT (record tables must be)", t->name);
		goto done;
	}
	sqlite3_finalize(st);
	if ((error = prepare(in->db, &st, "SELECT count(*) FROM pragma_table_xinfo(?1)", t->name)) < 0)
		goto done;
	if (sqlite3_step(st) != SQLITE_ROW) {
		error = sql_error(in->db);
		goto done;
	}
	t->nfields = (size_t)sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if ((t->fields = arena_alloc(in->arena, sizeof(ruhu_field) * (t->nfields ? t->nfields : 1))) == NULL) {
		error = RUHU_ENOMEM;
		goto done;
	}
	if ((error = prepare(in->db, &st, "SELECT name, type, \"notnull\", pk, hidden "
			     "FROM pragma_table_xinfo(?1) ORDER BY cid", t->name)) < 0)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < t->nfields) {
		ruhu_field *f = &t->fields[n];
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (name == NULL || (f->name = arena_strndup(in->arena, name, strlen(name))) == NULL) {
			error = RUHU_ENOMEM;
			goto done;
		}
		f->type = t;
		f->index = n;
		f->sqltype = upper_type((const char *)sqlite3_column_text(st, 1));
		f->notnull = sqlite3_column_int(st, 2);
		f->pk = sqlite3_column_int(st, 3) > 0;
		f->rule = f->pk ? RUHU_RULE_KEY : t->default_rule;
		f->label[0] = f->label[1] = f->name;
		if (sqlite3_column_int(st, 4) >= 2) {
			error = src_error(at->file, at->line, "generated column %s.%s is not allowed in a "
					  "record table (changesets do not carry it)", t->name, f->name);
			goto done;
		}
		if (f->pk) {
			npk++;
			t->pk = n;
		}
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		error = sql_error(in->db);
		goto done;
	}
	t->nfields = n;
	if (npk != 1 || strcmp(t->fields[t->pk].name, "id") != 0 ||
	    strcmp(t->fields[t->pk].sqltype, "TEXT") != 0) {
		error = src_error(at->file, at->line, npk == 0 ? "table %s has no primary key (a record "
				  "table needs 'id TEXT PRIMARY KEY')" : "table %s must have the single "
				  "primary key 'id TEXT'", t->name);
		goto done;
	}
	sqlite3_finalize(st);
	if ((error = prepare(in->db, &st, "SELECT name, \"unique\", origin FROM pragma_index_list(?1)",
			     t->name)) < 0)
		goto done;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *iname = (const char *)sqlite3_column_text(st, 0);
		const char *origin = (const char *)sqlite3_column_text(st, 2);
		const struct pos *ip = iname ? index_pos(in, iname) : NULL;

		if (sqlite3_column_int(st, 1) && origin && strcmp(origin, "pk") != 0) {
			error = src_error(ip ? ip->file : at->file, ip ? ip->line : at->line,
					  "UNIQUE is not allowed on record table %s (it breaks changeset "
					  "apply; declare 'duplicate FIELD' in the rules instead)", t->name);
			goto done;
		}
	}
	sqlite3_finalize(st);
	if ((error = prepare(in->db, &st, "SELECT count(*) FROM pragma_foreign_key_list(?1)", t->name)) < 0)
		goto done;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0)
		error = src_error(at->file, at->line, "foreign keys are not allowed on record table %s "
				  "(declare 'field NAME -> TYPE' in the rules instead)", t->name);
done:
	sqlite3_finalize(st);
	return error;
}

static ruhu_field *field_byname(ruhu_type *t, const char *name)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (!strcmp(t->fields[i].name, name))
			return &t->fields[i];
	return NULL;
}

static ruhu_type *type_byname(ruhu_schema *s, const char *name)
{
	for (size_t i = 0; i < s->ntypes; i++)
		if (!strcmp(s->types[i]->name, name))
			return s->types[i];
	return NULL;
}

/* Apply one `field` line of the rules to its column (note 2). */
static int apply_field(const struct build_in *in, ruhu_type *t, const struct rules_field *rf)
{
	const char *rn = in->rules->name;
	ruhu_field *f = field_byname(t, rf->name);

	if (f == NULL)
		return src_error(rn, rf->line, "unknown field %s.%s (table %s has no such column)",
				 t->name, rf->name, t->name);
	if (f->pk && (rf->has_rule || rf->has_ref))
		return src_error(rn, rf->line, "the primary key %s.%s takes no rule or reference",
				 t->name, f->name);
	f->label[0] = label_or(in->arena, rf->label[0], f->name);
	f->label[1] = label_or(in->arena, rf->label[1], f->name);
	f->values = rf->nvalues ? arena_alloc(in->arena, sizeof(*f->values) * rf->nvalues) : NULL;
	if (rf->nvalues && f->values == NULL)
		return RUHU_ENOMEM;
	if (rf->nvalues)
		memcpy(f->values, rf->values, sizeof(*f->values) * rf->nvalues);
	f->nvalues = rf->nvalues;
	if (rf->has_rule) {
		if (t->mut == RUHU_IMMUTABLE)
			return src_error(rn, rf->line, "field rules have no effect on immutable type %s",
					 t->name);
		if ((rf->rule == RUHU_RULE_UNION || rf->rule == RUHU_RULE_APPEND ||
		     rf->rule == RUHU_RULE_ORDER) && strcmp(f->sqltype, "TEXT") != 0)
			return src_error(rn, rf->line, "rule %s needs a TEXT column; %s.%s is %s",
					 ruhu_rule_name(rf->rule), t->name, f->name, f->sqltype);
		if ((rf->rule == RUHU_RULE_MIN || rf->rule == RUHU_RULE_MAX) && !strcmp(f->sqltype, "BLOB"))
			return src_error(rn, rf->line, "rule %s does not fit BLOB column %s.%s",
					 ruhu_rule_name(rf->rule), t->name, f->name);
		f->rule = rf->rule;
		f->order = rf->order;
		f->declared = 1;
	}
	for (size_t i = 0; f->order && i < f->nvalues; i++)
		if (ruhu_order_rank(f->order, f->values[i].name) < 0)
			return src_error(rn, f->values[i].line, "value '%s' of %s.%s is not a state of its lattice",
					 f->values[i].name, t->name, f->name);
	return 0;
}

/* References need every type: a second pass. */
static int resolve_refs(const struct build_in *in, ruhu_type *t, const struct rules_type *rt)
{
	const char *rn = in->rules->name;

	for (size_t k = 0; k < rt->nfields; k++) {
		const struct rules_field *rf = &rt->fields[k];
		ruhu_field *f = field_byname(t, rf->name);

		if (!rf->has_ref || f == NULL)
			continue;
		if (strcmp(f->sqltype, "TEXT") != 0)
			return src_error(rn, rf->line, "reference %s.%s must be a TEXT column (it holds an id)",
					 t->name, f->name);
		if (rf->ref.type) {
			if ((f->ref = type_byname(in->schema, rf->ref.type)) == NULL)
				return src_error(rn, rf->line, "%s.%s refers to unknown type '%s'",
						 t->name, f->name, rf->ref.type);
		} else {
			const ruhu_field *by = field_byname(t, rf->ref.column);

			if (by == NULL || by == f || strcmp(by->sqltype, "TEXT") != 0)
				return src_error(rn, rf->line, "%s.%s: '-> (%s)' needs another TEXT column of %s "
						 "naming the referenced type", t->name, f->name,
						 rf->ref.column, t->name);
			f->ref_by = by;
		}
	}
	return 0;
}

static int check_condition(const struct build_in *in, ruhu_type *t, const struct rules_type *rt)
{
	sqlite3_stmt *st = NULL;
	ruhu_buf sql = RUHU_BUF_INIT;
	const char *tail = NULL;
	int error;

	if ((error = ruhu_buf_printf(&sql, "SELECT 1 FROM \"%s\" WHERE (%s)", t->name,
				     t->immutable_after)) < 0)
		return error;
	if (sqlite3_prepare_v2(in->db, sql.ptr, (int)sql.size, &st, &tail) != SQLITE_OK)
		error = (sqlite3_errcode(in->db) & 0xff) == SQLITE_NOMEM ? ruhu_error_oom() :
			src_error(in->rules->name, rt->mut_line, "immutable_after condition of %s: %s",
				  t->name, sqlite3_errmsg(in->db));
	else if (st == NULL || (tail && *tail) || !sqlite3_stmt_readonly(st))
		error = src_error(in->rules->name, rt->mut_line, "immutable_after condition of %s is "
				  "not a single condition on the row", t->name);
	sqlite3_finalize(st);
	ruhu_buf_dispose(&sql);
	return error;
}

static int build_type(const struct build_in *in, const struct rules_type *rt, size_t index)
{
	const char *rn = in->rules->name;
	const struct pos *at = table_pos(in, rt->name);
	ruhu_type *t;
	int error;

	if (at == NULL)
		return src_error(rn, rt->line, "type %s has no table (no CREATE TABLE %s in the migrations)",
				 rt->name, rt->name);
	if ((t = arena_alloc(in->arena, sizeof(*t))) == NULL)
		return RUHU_ENOMEM;
	in->schema->types[index] = t;
	t->schema = in->schema;
	t->index = index;
	t->name = rt->name;
	t->label[0] = label_or(in->arena, rt->label[0], rt->name);
	t->label[1] = label_or(in->arena, rt->label[1], rt->name);
	t->del = rt->del;
	t->mut = rt->mut;
	t->immutable_after = rt->immutable_after;
	t->default_rule = rt->default_rule;
	if ((error = read_table(in, t, at, rt->line)) < 0)
		return error;
	for (size_t k = 0; k < rt->nfields; k++)
		if ((error = apply_field(in, t, &rt->fields[k])) < 0)
			return error;
	if (rt->ndup) {
		if ((t->dup = arena_alloc(in->arena, sizeof(*t->dup) * rt->ndup)) == NULL)
			return RUHU_ENOMEM;
		for (size_t k = 0; k < rt->ndup; k++) {
			const ruhu_field *f = field_byname(t, rt->dup[k]);

			if (f == NULL || f->pk)
				return src_error(rn, rt->dup_line, f ? "the duplicate key of %s cannot hold "
						 "the primary key %s" : "the duplicate key of %s names unknown "
						 "field '%s'", t->name, rt->dup[k]);
			t->dup[k] = f;
		}
		t->ndup = rt->ndup;
	}
	if (t->mut == RUHU_IMMUTABLE_AFTER && (error = check_condition(in, t, rt)) < 0)
		return error;
	return 0;
}

int schema_build(const struct build_in *in)
{
	ruhu_schema *s = in->schema;
	const struct rules *r = in->rules;
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	if ((s->types = arena_alloc(in->arena, sizeof(*s->types) * r->ntypes)) == NULL)
		return RUHU_ENOMEM;
	for (size_t i = 0; i < r->ntypes; i++) {
		if ((error = build_type(in, &r->types[i], i)) < 0)
			return error;
		s->ntypes = i + 1;
	}
	for (size_t i = 0; i < r->ntypes; i++)
		if ((error = resolve_refs(in, s->types[i], &r->types[i])) < 0)
			return error;
	if ((error = prepare(in->db, &st, "SELECT name FROM sqlite_schema WHERE type = 'table' "
			     "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_%' "
			     "ESCAPE '\\' ORDER BY rowid", NULL)) < 0)
		return error;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const struct pos *at = name ? table_pos(in, name) : NULL;

		if (name && type_byname(s, name) == NULL) {
			error = src_error(at ? at->file : "schema", at ? at->line : 0,
					  "table %s has no 'type %s' in %s (every record table needs one)",
					  name, name, r->name);
			break;
		}
	}
	if (error == 0 && rc != SQLITE_DONE)
		error = sql_error(in->db);
	sqlite3_finalize(st);
	return error;
}
