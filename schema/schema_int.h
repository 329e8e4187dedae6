/*
 * schema_int.h — what the files of schema/ share: the arena, the line
 * scanner of the rules and catalogue formats, date arithmetic, the
 * validators' message-writing cores, and the structures behind the opaque
 * types of ruhu/schema.h.
 *
 * Design notes
 *  1. A loaded schema or catalogue keeps all its strings and structures in
 *     one arena, freed at once; nothing inside is freed on its own.
 *  2. Text formats are UTF-8, lines end in LF or CRLF, a UTF-8 byte-order
 *     mark at the start is skipped.  A line starting with '#' (after blanks)
 *     is a comment; blank lines are ignored; leading and trailing blanks are
 *     not part of a line.  NUL bytes, invalid UTF-8 and lines over
 *     TEXT_MAX_LINE bytes are refused with the line number.
 *  3. The check_* functions write a complete one-line message into `why` and
 *     return -1 when the value is refused; they touch no global state, so
 *     SQL functions can use them without disturbing the last error.
 */
#ifndef RUHU_SCHEMA_INT_H
#define RUHU_SCHEMA_INT_H

#include <stddef.h>

#include <sqlite3.h>

#include "ruhu/schema.h"

#define TEXT_MAX_FILE ((size_t)1 << 20) /* bytes in one schema or catalogue file */
#define TEXT_MAX_LINE 4096              /* bytes in one line */
#define WHY_SIZE 256                    /* a validator message */

/* --- arena (text.c) --- */
struct arena_chunk;
struct arena {
	struct arena_chunk *head;
};

/* Zeroed memory that lives until arena_release; NULL with the error set. */
void *arena_alloc(struct arena *a, size_t size);
/* A NUL-terminated copy of n bytes. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_release(struct arena *a);

/* Grow a realloc'd array to hold at least `need` elements of `elem` bytes. */
int array_grow(void **array, size_t *cap, size_t need, size_t elem);

/* --- lines (text.c, design note 2) --- */
struct lines {
	const char *name; /* for errors */
	const char *p, *end;
	int lineno;
};

struct line {
	const char *s; /* trimmed, not NUL-terminated */
	size_t n;
	int lineno;
};

void lines_init(struct lines *l, const char *name, const char *data, size_t len);
/* 1 and the next meaningful line, 0 at the end, negative on a bad line. */
int lines_next(struct lines *l, struct line *out);

/* Set RUHU_ESCHEMA with "NAME:LINE: message". */
int src_error(const char *name, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A cursor over one line. */
struct cursor {
	const char *p, *end;
};

void cur_skip_ws(struct cursor *c);
int cur_eof(struct cursor *c);
/* A run of [A-Za-z0-9_.-]; 0 when there is none. */
size_t cur_word(struct cursor *c, const char **w);
/* Take `ch` after blanks; 1 when it was there. */
int cur_take(struct cursor *c, char ch);
/* With c->p on '(': the text up to the matching ')' (quotes respected),
 * without the parentheses; -1 when unbalanced. */
int cur_parens(struct cursor *c, const char **inner, size_t *len);

int is_word_char(int ch);
/* Does the n bytes equal the C string? */
int eqn(const char *s, size_t n, const char *lit);
/* Split "zh | en" into two trimmed, non-empty parts; -1 when malformed. */
int split_labels(const char *s, size_t n, const char **zh, size_t *zhn,
		 const char **en, size_t *enn);
/* Length of the valid UTF-8 sequence at s (0 when invalid). */
size_t utf8_seq(const unsigned char *s, size_t left);

/* Hex SHA-256 of bytes into out[65]. */
void sha256_hex(char out[65], const void *data, size_t len);

/* --- dates (date.c) --- */
#define DATE_MIN_YEAR 1800
#define DATE_MAX_YEAR 2199

/* Parse exactly "YYYY-MM-DD" (n bytes); -1 when malformed or not a real
 * date.  Years are not range-checked here. */
int date_parse(const char *s, size_t n, int *y, int *m, int *d);
/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
long days_from_civil(int y, int m, int d);
void civil_from_days(long z, int *y, int *m, int *d);
/* 0 = Monday ... 6 = Sunday. */
int weekday_of(long days);
void date_format(char out[RUHU_DATE_SIZE], long days);

/* --- validators (validate.c, design note 3) --- */
int check_id_number(const char *s, size_t n, const char *field, char *why, size_t whylen);
int check_credit_code(const char *s, size_t n, const char *field, char *why, size_t whylen);
int check_mobile(const char *s, size_t n, const char *field, char *why, size_t whylen);
int check_phone(const char *s, size_t n, const char *field, char *why, size_t whylen);
int check_date(const char *s, size_t n, const char *field, char *why, size_t whylen);
int check_datetime(const char *s, size_t n, const char *field, char *why, size_t whylen);
int check_enum(const char *s, size_t n, const char *field, const char *allowed,
	       char *why, size_t whylen);
int check_uuid(const char *s, size_t n, const char *field, char *why, size_t whylen);
int check_code(const char *s, size_t n, const char *field, char *why, size_t whylen);
int check_tokens(const char *s, size_t n, const char *field, const char *allowed,
		 char *why, size_t whylen);
int check_text(const char *s, size_t n, const char *field, long long max_chars,
	       char *why, size_t whylen);
int check_hex(const char *s, size_t n, const char *field, long long digits,
	      char *why, size_t whylen);

/* --- the objects behind ruhu/schema.h --- */
struct ruhu_order {
	const char **states;
	size_t nstates;
	const char **finals;
	size_t nfinals;
	const char *text;
};

struct field_value {
	const char *name;
	const char *label[2];
	int line; /* in the rules file */
};

struct ruhu_field {
	const ruhu_type *type;
	size_t index;
	const char *name;
	const char *sqltype;
	int notnull, pk;
	const char *label[2];
	ruhu_rule rule;
	int declared;
	ruhu_order *order;
	const ruhu_type *ref;
	const ruhu_field *ref_by;
	struct field_value *values;
	size_t nvalues;
};

struct ruhu_type {
	const ruhu_schema *schema;
	size_t index;
	const char *name;
	const char *label[2];
	ruhu_field *fields;
	size_t nfields;
	size_t pk;
	ruhu_delete_rule del;
	ruhu_mutability mut;
	const char *immutable_after;
	ruhu_rule default_rule;
	const ruhu_field **dup;
	size_t ndup;
};

struct migration {
	int number;
	const char *name; /* base name, "0001-township.sql" */
	const char *sql;
	size_t len;
	char sha256[65];
};

struct ruhu_schema {
	struct arena arena;
	ruhu_type **types;
	size_t ntypes;
	struct migration *migrations;
	size_t nmigrations;
	char version[65];
};

/* --- the catalogue (catalogue.c, item.c) --- */
struct material {
	const char *code;
	const char *label[2];
};

struct step {
	const char *text[2];
};

struct category {
	const char *code;
	const char *label[2];
};

struct ruhu_item {
	const ruhu_catalogue *cat;
	const char *code;
	const char *name[2];
	size_t category; /* index + 1; 0 when not given yet */
	const char *basis;
	unsigned int limit;
	int has_limit;
	struct material *materials;
	size_t nmaterials, cmaterials;
	struct step *steps;
	size_t nsteps, csteps;
	int line;
};

struct ruhu_catalogue {
	struct arena arena;
	char *source;
	size_t len;
	char version[65];
	const char *name;
	const char *centre;
	int defaults;
	struct category *categories;
	size_t ncategories, ccategories;
	ruhu_item *items;
	size_t nitems, citems;
};

/* --- the rules file (rules.c) --- */
struct rules_ref {
	const char *type;   /* "-> household" */
	const char *column; /* "-> (record_type)" */
};

struct rules_field {
	const char *name;
	int line;
	int has_rule;
	ruhu_rule rule;
	ruhu_order *order;
	int has_ref;
	struct rules_ref ref;
	const char *label[2];
	struct field_value *values;
	size_t nvalues, cvalues;
};

struct rules_type {
	const char *name;
	int line;
	const char *label[2];
	int has_delete, has_mut, has_default, has_dup;
	ruhu_delete_rule del;
	ruhu_mutability mut;
	const char *immutable_after;
	int mut_line;
	ruhu_rule default_rule;
	const char **dup;
	size_t ndup;
	int dup_line;
	struct rules_field *fields;
	size_t nfields, cfields;
};

struct rules {
	const char *name;
	struct rules_type *types;
	size_t ntypes, ctypes;
};

/* Parse a rules file; strings go into `arena`.  rules_release frees the
 * arrays (not the arena). */
int rules_parse(struct rules *out, struct arena *arena, const char *name,
		const char *data, size_t len);
void rules_release(struct rules *r);
/* Parse "order(...)" text (inside the parentheses) into an order. */
int order_parse(ruhu_order **out, struct arena *arena, const char *name, int line,
		const char *s, size_t n);

/* --- loading (schema.c, build.c) --- */

/* Where a table or index was created: for file:line errors. */
struct pos {
	const char *name;
	const char *file;
	int line;
};

/*
 * Run the statements of one SQL file in order.  With `load` (the loader's
 * state, schema.c) the loader's authorizer must be installed and statements
 * that change nothing are refused.  Errors: RUHU_ESCHEMA "FILE:LINE: ...".
 */
int schema_run_sql(sqlite3 *db, const char *file, const char *sql, size_t len,
		   void *load, int *stmt_line);

struct build_in {
	ruhu_schema *schema;
	struct arena *arena;
	const struct rules *rules;
	sqlite3 *db;
	const struct pos *tables;
	size_t ntables;
	const struct pos *indexes;
	size_t nindexes;
};

/* Join the tables of `db` with the rules into schema->types (build.c). */
int schema_build(const struct build_in *in);

/* Read a whole file of at most `max` bytes into out (cleared first). */
int read_file(ruhu_buf *out, const char *path, size_t max, const char *what);

/* Identifier rules: [a-z_][a-z0-9_]* for types, fields and states. */
int is_identifier(const char *s, size_t n);

#endif
