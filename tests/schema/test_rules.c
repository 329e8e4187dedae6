/*
 * test_rules.c — the schema loader: every rule of the vocabulary parsed, the
 * township schema as declared, lattices, the version, and every malformed
 * rules line, SQL statement or file set refused with its file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "support/support.h"

static const char base_sql[] =
	"CREATE TABLE parent (id TEXT PRIMARY KEY NOT NULL, name TEXT, n INTEGER, b BLOB) STRICT;\n"
	"CREATE TABLE child (id TEXT PRIMARY KEY NOT NULL, parent_id TEXT, kind TEXT,\n"
	"  status TEXT, tags TEXT, notes TEXT, at TEXT, n INTEGER, m REAL, r TEXT, owner TEXT) STRICT;\n";

static int load2(ruhu_schema **out, const char *sql, const char *rules)
{
	ruhu_source src[2] = {
		{ "0001-test.sql", sql, strlen(sql) },
		{ "test.rules", rules, strlen(rules) },
	};

	return ruhu_schema_load(out, src, 2);
}

START_TEST(test_rules_every_rule_parsed)
{
	const char *rules =
		"# every rule\n"
		"format rules 1\n"
		"type parent : 父 | parent\n"
		"\tdelete update_wins\n"
		"\tdefault hub\n"
		"\tduplicate name, n\n"
		"\tfield name review : 名称 | name\n"
		"type child : 子 | child\n"
		"\tdelete delete_wins\n"
		"\timmutable_after(status = 'done' AND at IS NOT NULL)\n"
		"\tfield parent_id lww -> parent : 父 | parent\n"
		"\tfield kind device\n"
		"\tfield status order(new < open<done ; final = void, lost) : 状态 | status\n"
		"\t\tvalue new : 新 | new\n"
		"\t\tvalue lost : 丢失 | lost\n"
		"\tfield tags union\n"
		"\tfield notes append\n"
		"\tfield at min\n"
		"\tfield n max\n"
		"\tfield m min\n"
		"\tfield r -> (kind)\n"
		"\tfield owner hub\n";
	ruhu_schema *s = NULL;
	const ruhu_type *p, *c;
	const ruhu_field *f;
	const ruhu_order *o;

	rt_ok(load2(&s, base_sql, rules));
	ck_assert_uint_eq(ruhu_schema_type_count(s), 2);
	p = ruhu_schema_type(s, 0);
	c = ruhu_schema_type(s, 1);
	ck_assert_str_eq(ruhu_type_name(p), "parent");
	ck_assert_str_eq(ruhu_type_label(p, RUHU_LANG_ZH), "父");
	ck_assert_int_eq(ruhu_type_delete_rule(p), RUHU_UPDATE_WINS);
	ck_assert_int_eq(ruhu_type_default_rule(p), RUHU_RULE_HUB);
	ck_assert_int_eq(ruhu_field_rule(ruhu_type_field_byname(p, "n")), RUHU_RULE_HUB);
	ck_assert(!ruhu_field_rule_declared(ruhu_type_field_byname(p, "n")));
	ck_assert_int_eq(ruhu_field_rule(ruhu_type_field_byname(p, "name")), RUHU_RULE_REVIEW);
	ck_assert(ruhu_field_rule_declared(ruhu_type_field_byname(p, "name")));
	ck_assert_uint_eq(ruhu_type_duplicate_count(p), 2);
	ck_assert_str_eq(ruhu_field_name(ruhu_type_duplicate_field(p, 1)), "n");
	ck_assert_int_eq(ruhu_field_rule(ruhu_type_pk(p)), RUHU_RULE_KEY);
	ck_assert_str_eq(ruhu_field_sqltype(ruhu_type_field_byname(p, "b")), "BLOB");
	/* a column without a field line: default rule, its name as labels */
	ck_assert_str_eq(ruhu_field_label(ruhu_type_field_byname(p, "b"), RUHU_LANG_EN), "b");

	ck_assert_int_eq(ruhu_type_delete_rule(c), RUHU_DELETE_WINS);
	ck_assert_int_eq(ruhu_type_mutability(c), RUHU_IMMUTABLE_AFTER);
	ck_assert_str_eq(ruhu_type_immutable_after(c), "status = 'done' AND at IS NOT NULL");
	ck_assert_int_eq(ruhu_type_default_rule(c), RUHU_RULE_LWW);
	f = ruhu_type_field_byname(c, "parent_id");
	ck_assert_int_eq(ruhu_field_rule(f), RUHU_RULE_LWW);
	ck_assert_ptr_eq(ruhu_field_ref(f), p);
	ck_assert_int_eq(ruhu_field_rule(ruhu_type_field_byname(c, "kind")), RUHU_RULE_DEVICE);
	ck_assert_int_eq(ruhu_field_rule(ruhu_type_field_byname(c, "tags")), RUHU_RULE_UNION);
	ck_assert_int_eq(ruhu_field_rule(ruhu_type_field_byname(c, "notes")), RUHU_RULE_APPEND);
	ck_assert_int_eq(ruhu_field_rule(ruhu_type_field_byname(c, "at")), RUHU_RULE_MIN);
	ck_assert_int_eq(ruhu_field_rule(ruhu_type_field_byname(c, "n")), RUHU_RULE_MAX);
	ck_assert_int_eq(ruhu_field_rule(ruhu_type_field_byname(c, "m")), RUHU_RULE_MIN);
	ck_assert_int_eq(ruhu_field_rule(ruhu_type_field_byname(c, "owner")), RUHU_RULE_HUB);
	f = ruhu_type_field_byname(c, "r");
	ck_assert_ptr_null(ruhu_field_ref(f));
	ck_assert_str_eq(ruhu_field_name(ruhu_field_ref_by(f)), "kind");
	f = ruhu_type_field_byname(c, "status");
	ck_assert_int_eq(ruhu_field_rule(f), RUHU_RULE_ORDER);
	o = ruhu_field_order(f);
	ck_assert_str_eq(ruhu_order_text(o), "order(new<open<done; final=void,lost)");
	ck_assert_uint_eq(ruhu_order_state_count(o), 3);
	ck_assert_uint_eq(ruhu_order_final_count(o), 2);
	ck_assert_str_eq(ruhu_field_value_label_of(f, "lost", RUHU_LANG_ZH), "丢失");
	ck_assert_ptr_null(ruhu_field_value_label_of(f, "open", RUHU_LANG_ZH));
	ck_assert_str_eq(ruhu_rule_name(RUHU_RULE_UNION), "union");
	ck_assert_str_eq(ruhu_delete_rule_name(RUHU_UPDATE_WINS), "update_wins");
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_rules_order_rank_and_ties)
{
	const char *rules =
		"format rules 1\ntype parent\ntype child\n"
		"field status order(received<materials_pending<accepted<processing<completed;"
		" final=rejected,referred)\n";
	ruhu_schema *s = NULL;
	const ruhu_order *o;

	rt_ok(load2(&s, base_sql, rules));
	o = ruhu_field_order(ruhu_type_field_byname(ruhu_schema_type_byname(s, "child"), "status"));
	ck_assert_int_eq(ruhu_order_rank(o, "received"), 0);
	ck_assert_int_eq(ruhu_order_rank(o, "completed"), 4);
	ck_assert_int_eq(ruhu_order_rank(o, "rejected"), 5);
	ck_assert_int_eq(ruhu_order_rank(o, "referred"), 5);
	ck_assert_int_eq(ruhu_order_rank(o, "lost"), -1);
	ck_assert_int_eq(ruhu_order_rank(o, NULL), -1);
	ck_assert(ruhu_order_is_final(o, "referred"));
	ck_assert(!ruhu_order_is_final(o, "completed"));
	ck_assert_int_eq(ruhu_order_pick(o, "accepted", "processing"), 2);
	ck_assert_int_eq(ruhu_order_pick(o, "completed", "received"), 1);
	/* a final state beats every state of the chain, even its top */
	ck_assert_int_eq(ruhu_order_pick(o, "completed", "rejected"), 2);
	ck_assert_int_eq(ruhu_order_pick(o, "referred", "received"), 1);
	/* two different finals tie and go to review; equal values do not */
	ck_assert(ruhu_order_tie(o, "rejected", "referred"));
	ck_assert_int_eq(ruhu_order_pick(o, "rejected", "referred"), 3);
	ck_assert(!ruhu_order_tie(o, "rejected", "rejected"));
	ck_assert_int_eq(ruhu_order_pick(o, "rejected", "rejected"), 0);
	ck_assert(!ruhu_order_tie(o, "accepted", "completed"));
	/* a value in the lattice beats one outside it; two outsiders tie */
	ck_assert_int_eq(ruhu_order_pick(o, "bogus", "received"), 2);
	ck_assert_int_eq(ruhu_order_pick(o, NULL, "received"), 2);
	ck_assert(ruhu_order_tie(o, "bogus", "other"));
	ruhu_schema_free(s);
}
END_TEST

static const ruhu_field *field_of(const ruhu_schema *s, const char *type, const char *field)
{
	const ruhu_field *f = ruhu_type_field_byname(ruhu_schema_type_byname(s, type), field);

	ck_assert_msg(f != NULL, "no field %s.%s", type, field);
	return f;
}

START_TEST(test_rules_township_schema_as_declared)
{
	static const char *const order[] = { "worker", "holiday", "household", "person", "visit",
					     "application", "dispute", "complaint", "survey", "attachment" };
	static const struct {
		const char *type, *field;
		ruhu_rule rule;
	} rules[] = {
		{ "household", "address", RUHU_RULE_LWW }, { "household", "phone", RUHU_RULE_LWW },
		{ "household", "notes", RUHU_RULE_APPEND }, { "person", "name", RUHU_RULE_LWW },
		{ "person", "phone", RUHU_RULE_LWW }, { "person", "address", RUHU_RULE_LWW },
		{ "person", "employment_status", RUHU_RULE_LWW }, { "person", "id_number", RUHU_RULE_REVIEW },
		{ "person", "notes", RUHU_RULE_APPEND }, { "visit", "summary", RUHU_RULE_APPEND },
		{ "application", "status", RUHU_RULE_ORDER },
		{ "application", "materials_received", RUHU_RULE_UNION },
		{ "application", "result", RUHU_RULE_REVIEW }, { "application", "notes", RUHU_RULE_APPEND },
		{ "dispute", "status", RUHU_RULE_ORDER }, { "dispute", "description", RUHU_RULE_APPEND },
		{ "dispute", "outcome", RUHU_RULE_REVIEW }, { "complaint", "status", RUHU_RULE_ORDER },
		{ "complaint", "response", RUHU_RULE_REVIEW }, { "worker", "name", RUHU_RULE_HUB },
		{ "worker", "active", RUHU_RULE_HUB }, { "holiday", "date", RUHU_RULE_HUB },
		{ "holiday", "kind", RUHU_RULE_HUB }, { "holiday", "name", RUHU_RULE_HUB },
	};
	ruhu_schema *s = NULL;
	const ruhu_order *o;

	rt_ok(ruhu_schema_load_default(&s));
	ck_assert_uint_eq(ruhu_schema_type_count(s), 10);
	for (size_t i = 0; i < 10; i++) {
		const ruhu_type *t = ruhu_schema_type(s, i);

		ck_assert_str_eq(ruhu_type_name(t), order[i]);
		ck_assert_uint_eq(ruhu_type_index(t), i);
		ck_assert_str_eq(ruhu_field_name(ruhu_type_pk(t)), "id");
		ck_assert_str_eq(ruhu_field_sqltype(ruhu_type_pk(t)), "TEXT");
		/* every column of the township schema is labelled */
		for (size_t k = 0; k < ruhu_type_field_count(t); k++) {
			const ruhu_field *f = ruhu_type_field(t, k);

			ck_assert_msg(strcmp(ruhu_field_label(f, RUHU_LANG_ZH), ruhu_field_name(f)) != 0,
				      "%s.%s has no Chinese label", order[i], ruhu_field_name(f));
			ck_assert_uint_eq(ruhu_field_index(f), k);
			ck_assert_ptr_eq(ruhu_field_type(f), t);
		}
	}
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		ck_assert_msg(ruhu_field_rule(field_of(s, rules[i].type, rules[i].field)) == rules[i].rule,
			      "%s.%s has rule %s", rules[i].type, rules[i].field,
			      ruhu_rule_name(ruhu_field_rule(field_of(s, rules[i].type, rules[i].field))));
	for (size_t i = 0; i < 10; i++) {
		const ruhu_type *t = ruhu_schema_type(s, i);
		const char *n = ruhu_type_name(t);

		if (!strcmp(n, "household") || !strcmp(n, "person") || !strcmp(n, "application"))
			ck_assert_int_eq(ruhu_type_delete_rule(t), RUHU_DELETE_REVIEW);
	}
	ck_assert_int_eq(ruhu_type_mutability(ruhu_schema_type_byname(s, "visit")), RUHU_IMMUTABLE_AFTER);
	ck_assert_str_eq(ruhu_type_immutable_after(ruhu_schema_type_byname(s, "visit")), "ended_at IS NOT NULL");
	ck_assert_int_eq(ruhu_type_mutability(ruhu_schema_type_byname(s, "survey")), RUHU_IMMUTABLE);
	ck_assert_int_eq(ruhu_type_mutability(ruhu_schema_type_byname(s, "attachment")), RUHU_IMMUTABLE);
	ck_assert_int_eq(ruhu_type_default_rule(ruhu_schema_type_byname(s, "worker")), RUHU_RULE_HUB);
	ck_assert_ptr_eq(ruhu_field_ref(field_of(s, "person", "household_id")),
			 ruhu_schema_type_byname(s, "household"));
	ck_assert_ptr_eq(ruhu_field_ref(field_of(s, "application", "person_id")),
			 ruhu_schema_type_byname(s, "person"));
	ck_assert_ptr_eq(ruhu_field_ref_by(field_of(s, "attachment", "record_id")),
			 field_of(s, "attachment", "record_type"));
	ck_assert_uint_eq(ruhu_type_duplicate_count(ruhu_schema_type_byname(s, "person")), 1);
	ck_assert_str_eq(ruhu_field_name(ruhu_type_duplicate_field(ruhu_schema_type_byname(s, "person"), 0)),
			 "id_number");
	o = ruhu_field_order(field_of(s, "application", "status"));
	ck_assert_str_eq(ruhu_order_text(o), "order(received<materials_pending<accepted<processing<"
			 "completed; final=rejected,referred)");
	o = ruhu_field_order(field_of(s, "dispute", "status"));
	ck_assert_int_eq(ruhu_order_pick(o, "settled", "forwarded"), 3);
	ck_assert_int_eq(ruhu_order_pick(o, "mediating", "settled"), 2);
	o = ruhu_field_order(field_of(s, "complaint", "status"));
	ck_assert_int_eq(ruhu_order_rank(o, "closed"), 3);
	ruhu_schema_free(s);
}
END_TEST

static void sha_hex(char out[65], const void *data, size_t len)
{
	unsigned char h[32];

	crypto_hash_sha256(h, data, len);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

START_TEST(test_rules_version_is_the_manifest_hash)
{
	const char *root = getenv("RUHU_SOURCE_DIR");
	const char *names[] = { "migrations/0001-township.sql", "township.rules" };
	char path[4096], h[65], want[65];
	ruhu_buf manifest = RUHU_BUF_INIT;
	ruhu_schema *s = NULL, *again = NULL, *other = NULL;
	unsigned char *rules;
	size_t len;

	ck_assert_msg(root != NULL, "RUHU_SOURCE_DIR is not set (run through ctest)");
	for (size_t i = 0; i < 2; i++) {
		unsigned char *data;

		snprintf(path, sizeof(path), "%s/schema/data/%s", root, names[i]);
		data = rt_read_file(path, &len);
		sha_hex(h, data, len);
		rt_ok(ruhu_buf_printf(&manifest, "%s  %s\n", h, names[i]));
		free(data);
	}
	sha_hex(want, manifest.ptr, manifest.size);
	rt_ok(ruhu_schema_load_default(&s));
	rt_ok(ruhu_schema_load_default(&again));
	ck_assert_str_eq(ruhu_schema_version(s), want);
	ck_assert_str_eq(ruhu_schema_version(again), want);
	/* one byte more in the rules: another version */
	rules = rt_read_file(path, &len);
	rules = realloc(rules, len + 2);
	memcpy(rules + len, "#\n", 2);
	rt_ok(ruhu_schema_load_rules(&other, "township.rules", rules, len + 2));
	ck_assert_str_ne(ruhu_schema_version(other), want);
	ck_assert_uint_eq(ruhu_schema_migration_count(s), 1);
	ck_assert_int_eq(ruhu_schema_migration_number(s, 0), 1);
	ck_assert_str_eq(ruhu_schema_migration_name(s, 0), "0001-township.sql");
	free(rules);
	ruhu_buf_dispose(&manifest);
	ruhu_schema_free(s);
	ruhu_schema_free(again);
	ruhu_schema_free(other);
}
END_TEST

/* --- refusals: each case is (text, expected start of the message) --- */

static void refused(const char *sql, const char *rules, const char *want)
{
	ruhu_schema *s = (ruhu_schema *)&s;
	int rc = load2(&s, sql, rules);

	ck_assert_msg(rc == RUHU_ESCHEMA, "accepted (%d), expected '%s'", rc, want);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(ruhu_error_last(), want) != NULL, "message '%s' lacks '%s'",
		      ruhu_error_last(), want);
}

START_TEST(test_rules_malformed_rules_refused_with_line)
{
	static const char *const cases[][2] = {
		{ "", "test.rules: empty rules file" },
		{ "type parent\n", "test.rules:1: expected 'format rules 1'" },
		{ "format rules 2\n", "test.rules:1: expected 'format rules 1'" },
		{ "format rules 1\n", "test.rules: no types" },
		{ "format rules 1\ntype parent\ncolour red\n", "test.rules:3: unknown directive 'colour'" },
		{ "format rules 1\nfield name lww\n", "test.rules:2: 'field' before any 'type'" },
		{ "format rules 1\ntype parent\n\n# c\nfield name lwx\n", "test.rules:5: unknown rule 'lwx'" },
		{ "format rules 1\ntype parent\ntype child\ntype nothing\n",
		  "test.rules:4: type nothing has no table" },
		{ "format rules 1\ntype parent\nfield nosuch lww\ntype child\n",
		  "test.rules:3: unknown field parent.nosuch" },
		{ "format rules 1\ntype parent\ntype child\nfield status order(a<b\n", "test.rules:4: malformed order(...): no closing ')'" },
		{ "format rules 1\ntype parent\ntype child\nfield status order()\n", "test.rules:4: malformed order(...): no states" },
		{ "format rules 1\ntype parent\ntype child\nfield status order(a<a)\n", "test.rules:4: lattice state 'a' appears twice" },
		{ "format rules 1\ntype parent\ntype child\nfield status order(a)\n", "test.rules:4: malformed order(...): a lattice needs at least two" },
		{ "format rules 1\ntype parent\ntype child\nfield status order(a<b; finale=c)\n", "test.rules:4: malformed order(...): expected 'final=" },
		{ "format rules 1\ntype parent\ntype child\nfield status order(a<b; final=c; x)\n", "test.rules:4: malformed order(...): more than one ';'" },
		{ "format rules 1\ntype parent\ntype child\nfield status order(A<b)\n", "test.rules:4: lattice state 'A' is not" },
		{ "format rules 1\ntype parent\ntype child\nfield status order(a<<b)\n", "test.rules:4: lattice state '' is not" },
		{ "format rules 1\ntype parent\ntype child\nfield status order a<b\n", "test.rules:4: malformed order(...): expected order(a<b<c)" },
		{ "format rules 1\ntype parent\nfield name lww(x)\ntype child\n", "test.rules:3: rule 'lww' takes no arguments" },
		{ "format rules 1\ntype parent\nfield n union\ntype child\n", "test.rules:3: rule union needs a TEXT column; parent.n is INTEGER" },
		{ "format rules 1\ntype parent\nfield n append\ntype child\n", "test.rules:3: rule append needs a TEXT column" },
		{ "format rules 1\ntype parent\ntype child\nfield n order(a<b)\n", "test.rules:4: rule order needs a TEXT column" },
		{ "format rules 1\ntype parent\nfield b max\ntype child\n", "test.rules:3: rule max does not fit BLOB" },
		{ "format rules 1\ntype parent\nfield id lww\ntype child\n", "test.rules:3: the primary key parent.id takes no rule" },
		{ "format rules 1\ntype parent\nfield id -> child\ntype child\n", "test.rules:3: the primary key parent.id takes no rule or reference" },
		{ "format rules 1\ntype parent\ndelete never\ntype child\n", "test.rules:3: unknown delete rule 'never'" },
		{ "format rules 1\ntype parent\ndelete review\ndelete review\ntype child\n", "test.rules:4: 'delete' is given twice" },
		{ "format rules 1\ntype parent\nimmutable\nimmutable_after(n > 1)\ntype child\n", "test.rules:4: type parent is declared immutable twice (first at line 3)" },
		{ "format rules 1\ntype parent\nimmutable_after( )\ntype child\n", "test.rules:3: immutable_after() needs a condition" },
		{ "format rules 1\ntype parent\nimmutable_after n > 1\ntype child\n", "test.rules:3: expected immutable_after(CONDITION)" },
		{ "format rules 1\ntype parent\ntype child\nimmutable_after(nosuch = 1)\n", "test.rules:4: immutable_after condition of child: no such column: nosuch" },
		{ "format rules 1\ntype parent\ntype child\nimmutable_after(1) UNION SELECT (1)\n", "test.rules:4: unexpected 'UNION SELECT (1)'" },
		{ "format rules 1\ntype parent\ntype child\nimmutable_after(n = 1; DROP TABLE parent)\n", "test.rules:4: the condition of immutable_after holds a ';'" },
		{ "format rules 1\ntype parent\nimmutable\nfield name lww\ntype child\n", "test.rules:4: field rules have no effect on immutable type parent" },
		{ "format rules 1\ntype parent\ntype child\nfield parent_id -> nobody\n", "test.rules:4: child.parent_id refers to unknown type 'nobody'" },
		{ "format rules 1\ntype parent\ntype child\nfield r -> (nosuch)\n", "test.rules:4: child.r: '-> (nosuch)' needs another TEXT column" },
		{ "format rules 1\ntype parent\ntype child\nfield r -> (n)\n", "test.rules:4: child.r: '-> (n)' needs another TEXT column" },
		{ "format rules 1\ntype parent\ntype child\nfield n -> parent\n", "test.rules:4: reference child.n must be a TEXT column" },
		{ "format rules 1\ntype parent\ntype child\nfield parent_id - parent\n", "test.rules:4: expected '->' before" },
		{ "format rules 1\ntype parent\nduplicate nosuch\ntype child\n", "test.rules:3: the duplicate key of parent names unknown field 'nosuch'" },
		{ "format rules 1\ntype parent\nduplicate id\ntype child\n", "test.rules:3: the duplicate key of parent cannot hold the primary key" },
		{ "format rules 1\ntype parent\nduplicate name, name\ntype child\n", "test.rules:3: field 'name' appears twice in the duplicate key" },
		{ "format rules 1\ntype parent\ntype child\nfield status order(a<b)\nvalue c : 丙 | c\n", "test.rules:5: value 'c' of child.status is not a state" },
		{ "format rules 1\ntype parent\ntype child\nfield kind\nvalue c\n", "test.rules:5: expected ': ZH | EN' labels" },
		{ "format rules 1\ntype parent\ntype child\nfield kind\nvalue c : 丙 | c\nvalue c : 丙 | c\n", "test.rules:6: value 'c' is labelled twice" },
		{ "format rules 1\ntype parent\nvalue c : 丙 | c\n", "test.rules:3: 'value' before any 'field'" },
		{ "format rules 1\ntype parent : 父\ntype child\n", "test.rules:2: expected labels as 'ZH | EN'" },
		{ "format rules 1\ntype parent : 父 | parent | x\ntype child\n", "test.rules:2: expected labels as 'ZH | EN'" },
		{ "format rules 1\ntype parent : | parent\ntype child\n", "test.rules:2: expected labels as 'ZH | EN'" },
		{ "format rules 1\ntype parent\ntype child\ntype parent\n", "test.rules:4: type 'parent' is declared twice (first at line 2)" },
		{ "format rules 1\ntype parent\nfield name\nfield name\ntype child\n", "test.rules:4: field parent.name is declared twice (first at line 3)" },
		{ "format rules 1\ntype _parent\n", "test.rules:2: type '_parent': names starting with '_'" },
		{ "format rules 1\ntype Parent\n", "test.rules:2: type name 'Parent' is not a lowercase identifier" },
		{ "format rules 1\ntype parent\ndefault union\ntype child\n", "test.rules:3: rule 'union' cannot be a type's default" },
		{ "format rules 1\ntype parent\ndefault order(a<b)\ntype child\n", "test.rules:3: order(...) is a field rule" },
		{ "format rules 1\ntype parent\ndefault hub\ndefault lww\ntype child\n", "test.rules:4: 'default' is given twice" },
		{ "format rules 1\ntype parent\nfield name lww extra\ntype child\n", "test.rules:3: unexpected 'extra'" },
		{ "format rules 1\ntype parent\nfield name LWW\ntype child\n", "test.rules:3: expected a rule, '->' or ':' at 'LWW'" },
		{ "format rules 1\ntype parent\nformat rules 1\n", "test.rules:3: 'format' must be the first line" },
		{ "format rules 1\ntype parent\n", "0001-test.sql:2: table child has no 'type child' in test.rules" },
		{ "format rules 1\ntype parent : \xC3\x28 | x\ntype child\n", "test.rules:2: line is not valid UTF-8" },
		{ "format rules 1\ntype parent\x01\ntype child\n", "test.rules:2: line holds a control character" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refused(base_sql, cases[i][0], cases[i][1]);
}
END_TEST

START_TEST(test_rules_nul_and_long_lines_refused)
{
	char rules[8192];
	ruhu_schema *s = NULL;
	ruhu_source src[2] = { { "0001-test.sql", base_sql, strlen(base_sql) }, { "test.rules", rules, 0 } };

	memcpy(rules, "format rules 1\ntype pa\0rent\n", 29);
	src[1].len = 29;
	ck_assert_int_eq(ruhu_schema_load(&s, src, 2), RUHU_ESCHEMA);
	ck_assert_str_eq(ruhu_error_last(), "test.rules:2: line holds a NUL byte");
	memset(rules, 'x', sizeof(rules));
	memcpy(rules, "format rules 1\n# ", 17);
	src[1].len = sizeof(rules);
	ck_assert_int_eq(ruhu_schema_load(&s, src, 2), RUHU_ESCHEMA);
	ck_assert_str_eq(ruhu_error_last(), "test.rules:2: line is longer than 4096 bytes");
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_rules_malformed_sql_refused_with_line)
{
	static const char rules[] = "format rules 1\ntype parent\ntype child\n";
	static const char child[] = "CREATE TABLE child (id TEXT PRIMARY KEY NOT NULL) STRICT;\n";
	static const char *const cases[][2] = {
		{ "CREATE TABLE parent (id TEXT, name TEXT) STRICT;\n", "0001-test.sql:1: table parent has no primary key" },
		{ "CREATE TABLE parent (key TEXT PRIMARY KEY) STRICT;\n", "0001-test.sql:1: table parent must have the single primary key 'id TEXT'" },
		{ "CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;\n", "must have the single primary key 'id TEXT'" },
		{ "CREATE TABLE parent (id TEXT, k TEXT, PRIMARY KEY (id, k)) STRICT;\n", "must have the single primary key" },
		{ "\n-- c\nCREATE TABLE parent (id TEXT PRIMARY KEY);\n", "0001-test.sql:3: table parent is not STRICT" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY,\n  code TEXT UNIQUE) STRICT;\n", "0001-test.sql:1: UNIQUE is not allowed on record table parent" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY, code TEXT) STRICT;\n\nCREATE UNIQUE INDEX pc ON parent(code);\n", "0001-test.sql:3: UNIQUE is not allowed" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY, c TEXT REFERENCES child(id)) STRICT;\n", "0001-test.sql:1: foreign keys are not allowed on record table parent" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY, n INTEGER, m INTEGER AS (n + 1)) STRICT;\n", "0001-test.sql:1: generated column parent.m is not allowed" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY) STRICT;\nCREATE TRIGGER t AFTER INSERT ON parent BEGIN SELECT 1; END;\n", "0001-test.sql:2: triggers are not allowed" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY) STRICT;\nCREATE VIEW v AS SELECT * FROM parent;\n", "0001-test.sql:2: views are not allowed" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY) STRICT;\nINSERT INTO parent VALUES ('x');\n", "0001-test.sql:2: migrations define tables and indexes; they do not write rows" },
		{ "BEGIN;\nCREATE TABLE parent (id TEXT PRIMARY KEY) STRICT;\n", "0001-test.sql:1: migrations run inside ruhu's transaction" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY) STRICT;\nPRAGMA foreign_keys = ON;\n", "0001-test.sql:2: pragmas are not allowed" },
		{ "CREATE TEMP TABLE parent (id TEXT PRIMARY KEY) STRICT;\n", "0001-test.sql:1: temporary tables" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY) STRICT;\nSELECT 1;\n", "0001-test.sql:2: migrations define tables and indexes; a statement that changes nothing" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY,\n name TEXT CHECK (nosuch(name))) STRICT;\n", "0001-test.sql:2: no such function: nosuch" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY,\n name TEXT NOT NULL garbage here) STRICT;\n", "0001-test.sql:2: near \"garbage\": syntax error" },
		{ "CREATE TABLE parent (id TEXT PRIMARY KEY) STRICT;\nATTACH 'x.db' AS x;\n", "0001-test.sql:2: ATTACH and DETACH are not allowed" },
		{ "CREATE VIRTUAL TABLE parent USING fts5(x);\n", "0001-test.sql:1:" },
	};
	char sql[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(sql, sizeof(sql), "%s%s", cases[i][0], child);
		refused(sql, rules, cases[i][1]);
	}
}
END_TEST

START_TEST(test_rules_sql_that_is_allowed)
{
	/* tables starting with '_' are not replicated and need no type; ALTER,
	 * DROP and plain indexes are what migrations are for */
	static const char sql[] =
		"CREATE TABLE _local (k TEXT, v ANY);\n"
		"CREATE TABLE parent (id TEXT PRIMARY KEY NOT NULL, name TEXT) STRICT;\n"
		"CREATE TABLE child (id TEXT PRIMARY KEY NOT NULL, parent_id TEXT) STRICT;\n"
		"CREATE TABLE gone (id TEXT PRIMARY KEY) STRICT;\n"
		"DROP TABLE gone;\n"
		"CREATE INDEX child_parent ON child(parent_id);\n"
		"ALTER TABLE parent ADD COLUMN phone TEXT CHECK (ruhu_phone(phone, 'parent.phone'));\n";
	static const char rules[] = "format rules 1\ntype parent\nfield phone lww : 电话 | phone\ntype child\n";
	ruhu_schema *s = NULL;
	const ruhu_type *p;

	rt_ok(load2(&s, sql, rules));
	p = ruhu_schema_type_byname(s, "parent");
	ck_assert_uint_eq(ruhu_type_field_count(p), 3);
	ck_assert_str_eq(ruhu_field_name(ruhu_type_field(p, 2)), "phone");
	ck_assert_ptr_null(ruhu_schema_type_byname(s, "_local"));
	ruhu_schema_free(s);
}
END_TEST

START_TEST(test_rules_file_sets_refused)
{
	static const char rules[] = "format rules 1\ntype parent\ntype child\n";
	static const char cat[] = "format catalogue 1\n";
	ruhu_schema *s = NULL;
	ruhu_source two_rules[3] = { { "0001-a.sql", base_sql, sizeof(base_sql) - 1 },
				     { "a.rules", rules, sizeof(rules) - 1 },
				     { "b.rules", rules, sizeof(rules) - 1 } };
	ruhu_source gap[3] = { { "0001-a.sql", base_sql, sizeof(base_sql) - 1 },
			       { "0003-c.sql", "", 0 }, { "a.rules", rules, sizeof(rules) - 1 } };
	ruhu_source twice[3] = { { "0001-a.sql", base_sql, sizeof(base_sql) - 1 },
				 { "0001-b.sql", "", 0 }, { "a.rules", rules, sizeof(rules) - 1 } };
	ruhu_source norules[1] = { { "0001-a.sql", base_sql, sizeof(base_sql) - 1 } };
	ruhu_source catalogue[2] = { { "0001-a.sql", base_sql, sizeof(base_sql) - 1 },
				     { "centre.txt", cat, sizeof(cat) - 1 } };
	ruhu_source other[2] = { { "0001-a.sql", base_sql, sizeof(base_sql) - 1 },
				 { "notes.txt", "hello\n", 6 } };

	ck_assert_int_eq(ruhu_schema_load(&s, two_rules, 3), RUHU_ESCHEMA);
	ck_assert_str_eq(ruhu_error_last(), "b.rules: a second rules file (the first is a.rules)");
	ck_assert_int_eq(ruhu_schema_load(&s, gap, 3), RUHU_ESCHEMA);
	ck_assert_str_eq(ruhu_error_last(), "0003-c.sql: migration 0002 is missing");
	ck_assert_int_eq(ruhu_schema_load(&s, twice, 3), RUHU_ESCHEMA);
	ck_assert(strstr(ruhu_error_last(), "a second migration numbered 0001") != NULL);
	ck_assert_int_eq(ruhu_schema_load(&s, norules, 1), RUHU_ESCHEMA);
	ck_assert_str_eq(ruhu_error_last(), "no rules file (beginning 'format rules 1')");
	ck_assert_int_eq(ruhu_schema_load(&s, catalogue, 2), RUHU_ESCHEMA);
	ck_assert_str_eq(ruhu_error_last(), "centre.txt: is a catalogue, not a schema file");
	ck_assert_int_eq(ruhu_schema_load(&s, other, 2), RUHU_ESCHEMA);
	ck_assert(strstr(ruhu_error_last(), "notes.txt: not a schema file") != NULL);
	ck_assert_int_eq(ruhu_schema_load(&s, NULL, 0), RUHU_ESCHEMA);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(ruhu_schema_file_kind("x/0002-add.sql", "", 0), RUHU_FILE_MIGRATION);
	ck_assert_int_eq(ruhu_schema_file_kind("a.rules", rules, sizeof(rules) - 1), RUHU_FILE_RULES);
	ck_assert_int_eq(ruhu_schema_file_kind("c.txt", cat, sizeof(cat) - 1), RUHU_FILE_CATALOGUE);
	ck_assert_int_eq(ruhu_schema_file_kind("0002.sql", "", 0), RUHU_FILE_UNKNOWN);
}
END_TEST

START_TEST(test_rules_files_on_disk_overlay_the_embedded)
{
	char dir[256], path[512], mig[512];
	const char *paths[2];
	ruhu_schema *s = NULL;
	const char *add = "ALTER TABLE person ADD COLUMN wechat TEXT;\n";
	ruhu_schema *def = NULL;

	rt_tmpdir(dir, sizeof(dir));
	rt_path(mig, sizeof(mig), dir, "0002-wechat.sql");
	rt_write_file(mig, add, strlen(add));
	paths[0] = mig;
	rt_ok(ruhu_schema_load_files(&s, paths, 1));
	ck_assert_ptr_nonnull(ruhu_type_field_byname(ruhu_schema_type_byname(s, "person"), "wechat"));
	ck_assert_uint_eq(ruhu_schema_migration_count(s), 2);
	rt_ok(ruhu_schema_load_default(&def));
	ck_assert_str_ne(ruhu_schema_version(s), ruhu_schema_version(def));
	ruhu_schema_free(s);
	/* a rules file replaces the embedded one, whatever its name */
	rt_path(path, sizeof(path), dir, "centre.rules");
	rt_write_file(path, "format rules 1\ntype worker\n", 27);
	paths[0] = path;
	ck_assert_int_eq(ruhu_schema_load_files(&s, paths, 1), RUHU_ESCHEMA);
	ck_assert(strstr(ruhu_error_last(), "table holiday has no 'type holiday' in") != NULL);
	ck_assert(strstr(ruhu_error_last(), "centre.rules") != NULL);
	rt_path(path, sizeof(path), dir, "missing.rules");
	ck_assert_int_eq(ruhu_schema_load_files(&s, paths, 1), RUHU_ENOTFOUND);
	ck_assert_ptr_null(s);
	ruhu_schema_free(def);
	rt_rmrf(dir);
}
END_TEST

Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, test_rules_every_rule_parsed);
	tcase_add_test(tc, test_rules_order_rank_and_ties);
	tcase_add_test(tc, test_rules_township_schema_as_declared);
	tcase_add_test(tc, test_rules_version_is_the_manifest_hash);
	tcase_add_test(tc, test_rules_malformed_rules_refused_with_line);
	tcase_add_test(tc, test_rules_nul_and_long_lines_refused);
	tcase_add_test(tc, test_rules_malformed_sql_refused_with_line);
	tcase_add_test(tc, test_rules_sql_that_is_allowed);
	tcase_add_test(tc, test_rules_file_sets_refused);
	tcase_add_test(tc, test_rules_files_on_disk_overlay_the_embedded);
	suite_add_tcase(s, tc);
	return s;
}
