/*
 * ruhu/schema.h — the township schema: record types, fields and conflict
 * rules; the service catalogue; the working-day calendar; the validators.
 *
 * Design notes
 *  1. The schema and the catalogue are data (docs/schema.md): SQL migrations
 *     plus a rules file, and a catalogue file.  The defaults are compiled
 *     into libruhu; a centre may give its own catalogue.  Nothing about a
 *     record type is written in C anywhere else: merge and capture code read
 *     it from a loaded ruhu_schema.
 *  2. Loading checks everything and refuses the first problem with
 *     RUHU_ESCHEMA and a message "FILE:LINE: reason".  A loaded object is
 *     read-only and may be shared between threads.
 *  3. Every pointer returned by an accessor (types, fields, orders, items,
 *     strings) is borrowed from the ruhu_schema or ruhu_catalogue it came
 *     from, and valid until that object is freed.
 *  4. Types come in schema order (parents before children): the order in
 *     which tables are attached to capture sessions and canonicalised.
 *     Fields come in table (column) order.
 *  5. The schema version is the hex SHA-256 of a manifest of the schema
 *     files, in the format of `sha256sum` (docs/schema.md, "Version"): any
 *     change to a migration or to the rules changes it.
 *  6. Validators never echo the value they refuse (it may be personal data);
 *     their message names the field and says what is wrong.
 *
 * Functions that take a sqlite3 connection are in schema/schema_db.h.
 */
#ifndef RUHU_SCHEMA_H
#define RUHU_SCHEMA_H

#include "ruhu/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ruhu_schema ruhu_schema;
typedef struct ruhu_type ruhu_type;
typedef struct ruhu_field ruhu_field;
typedef struct ruhu_order ruhu_order;
typedef struct ruhu_catalogue ruhu_catalogue;
typedef struct ruhu_item ruhu_item;
typedef struct ruhu_calendar ruhu_calendar;

/** Label languages.  Every label exists in each language. */
typedef enum {
	RUHU_LANG_ZH = 0,
	RUHU_LANG_EN = 1
} ruhu_lang;

/** A named chunk of text: a file's contents and the name used in errors. */
typedef struct {
	const char *name;  /**< "migrations/0001-township.sql", a path, ... */
	const void *data;
	size_t len;
} ruhu_source;

/* ------------------------------------------------------------------ */
/* Conflict rules (DESIGN decision 8; semantics in docs/schema.md)      */

/** The merge rule of one field.  A field without one gets its type's
 *  default rule, which is `lww` unless the type says otherwise. */
typedef enum {
	RUHU_RULE_KEY = 0,  /**< the primary key: it never merges */
	RUHU_RULE_LWW,      /**< later HLC wins; ties by device id */
	RUHU_RULE_HUB,      /**< the hub's value stays */
	RUHU_RULE_DEVICE,   /**< the incoming (device) value wins */
	RUHU_RULE_ORDER,    /**< a state lattice: the later state wins */
	RUHU_RULE_UNION,    /**< a set of tokens: the union */
	RUHU_RULE_APPEND,   /**< text: both kept, attributed */
	RUHU_RULE_MIN,      /**< the smaller value (SQLite order) */
	RUHU_RULE_MAX,      /**< the larger value (SQLite order) */
	RUHU_RULE_REVIEW    /**< the hub's value stays; an operator decides */
} ruhu_rule;

/** What happens when one side deletes a row the other side changed. */
typedef enum {
	RUHU_DELETE_REVIEW = 0, /**< the row stays; an operator decides */
	RUHU_DELETE_WINS,       /**< `delete_wins`: the row is deleted */
	RUHU_UPDATE_WINS        /**< `update_wins`: the updated row stays */
} ruhu_delete_rule;

/** Whether rows of a type may change once written. */
typedef enum {
	RUHU_MUTABLE = 0,
	RUHU_IMMUTABLE,       /**< never updated once inserted */
	RUHU_IMMUTABLE_AFTER  /**< frozen once a SQL condition holds on the row */
} ruhu_mutability;

/** "lww", "order", ... ("key" for RUHU_RULE_KEY). */
const char *ruhu_rule_name(ruhu_rule rule);
/** "review", "delete_wins", "update_wins". */
const char *ruhu_delete_rule_name(ruhu_delete_rule rule);
/** "mutable", "immutable", "immutable_after". */
const char *ruhu_mutability_name(ruhu_mutability m);

/* ------------------------------------------------------------------ */
/* Loading                                                            */

/** Load the schema compiled into libruhu. */
int ruhu_schema_load_default(ruhu_schema **out);

/**
 * Load a schema from files in memory: migrations (`NNNN-name.sql`, numbered
 * from 0001 without gaps) and exactly one rules file (first directive
 * `format rules 1`).  The bytes are copied.  On failure *out is NULL and the
 * last error says "NAME:LINE: reason" (RUHU_ESCHEMA), or RUHU_ENOMEM.
 */
int ruhu_schema_load(ruhu_schema **out, const ruhu_source *files, size_t count);

/**
 * The embedded migrations with `rules` in place of the embedded rules file:
 * the entry point for checking a rules file and for fuzzing its parser.
 */
int ruhu_schema_load_rules(ruhu_schema **out, const char *name, const void *data, size_t len);

/**
 * The embedded schema files, with each file in `paths` read from disk and
 * put in place of the embedded file of the same base name (or added, for a
 * new migration).  Used by `ruhu schema check`.
 */
int ruhu_schema_load_files(ruhu_schema **out, const char *const *paths, size_t count);

/** What a schema or catalogue file holds, judged from its name
 *  (NNNN-name.sql, *.rules) or else its first directive (`format rules 1`,
 *  `format catalogue ...`). */
typedef enum {
	RUHU_FILE_UNKNOWN = 0,
	RUHU_FILE_MIGRATION,
	RUHU_FILE_RULES,
	RUHU_FILE_CATALOGUE
} ruhu_file_kind;

ruhu_file_kind ruhu_schema_file_kind(const char *name, const void *data, size_t len);
/** The same for a file on disk (read whole, at most 1 MiB). */
int ruhu_schema_file_kind_path(ruhu_file_kind *out, const char *path);

/** Free a schema; NULL is fine. */
void ruhu_schema_free(ruhu_schema *schema);

/** The version: 64 lowercase hex digits (design note 5). */
const char *ruhu_schema_version(const ruhu_schema *schema);

/** Migrations: count, and the number / file name / SQL of each (0-based). */
size_t ruhu_schema_migration_count(const ruhu_schema *schema);
int ruhu_schema_migration_number(const ruhu_schema *schema, size_t i);
const char *ruhu_schema_migration_name(const ruhu_schema *schema, size_t i);

/* ------------------------------------------------------------------ */
/* Types and fields                                                   */

size_t ruhu_schema_type_count(const ruhu_schema *schema);
/** The i-th type in schema order, or NULL when i is out of range. */
const ruhu_type *ruhu_schema_type(const ruhu_schema *schema, size_t i);
/** The type with this name (= table name), or NULL. */
const ruhu_type *ruhu_schema_type_byname(const ruhu_schema *schema, const char *name);

const char *ruhu_type_name(const ruhu_type *type);
const char *ruhu_type_label(const ruhu_type *type, ruhu_lang lang);
/** Position in schema order. */
size_t ruhu_type_index(const ruhu_type *type);
/** The primary-key field (always the TEXT column `id`). */
const ruhu_field *ruhu_type_pk(const ruhu_type *type);
size_t ruhu_type_field_count(const ruhu_type *type);
/** The i-th column in table order, or NULL. */
const ruhu_field *ruhu_type_field(const ruhu_type *type, size_t i);
const ruhu_field *ruhu_type_field_byname(const ruhu_type *type, const char *name);
ruhu_delete_rule ruhu_type_delete_rule(const ruhu_type *type);
ruhu_mutability ruhu_type_mutability(const ruhu_type *type);
/** The SQL condition of `immutable_after(...)`, or NULL. */
const char *ruhu_type_immutable_after(const ruhu_type *type);
/** The rule that fields without their own rule get (`lww` by default). */
ruhu_rule ruhu_type_default_rule(const ruhu_type *type);
/** The duplicate key: fields whose equal, non-NULL values in two rows mark
 *  a possible duplicate for review.  Count 0 when the type has none. */
size_t ruhu_type_duplicate_count(const ruhu_type *type);
const ruhu_field *ruhu_type_duplicate_field(const ruhu_type *type, size_t i);

const char *ruhu_field_name(const ruhu_field *field);
/** The type the field belongs to. */
const ruhu_type *ruhu_field_type(const ruhu_field *field);
/** Column index in the table. */
size_t ruhu_field_index(const ruhu_field *field);
/** Declared SQL type: "TEXT", "INTEGER", "REAL", "BLOB" or "ANY". */
const char *ruhu_field_sqltype(const ruhu_field *field);
int ruhu_field_notnull(const ruhu_field *field);
int ruhu_field_is_pk(const ruhu_field *field);
const char *ruhu_field_label(const ruhu_field *field, ruhu_lang lang);
/** The effective rule (the type's default when none was declared). */
ruhu_rule ruhu_field_rule(const ruhu_field *field);
/** 1 when the rules file names a rule for this field. */
int ruhu_field_rule_declared(const ruhu_field *field);
/** The lattice of an `order(...)` field, else NULL. */
const ruhu_order *ruhu_field_order(const ruhu_field *field);
/** The referenced type (`-> type`), else NULL. */
const ruhu_type *ruhu_field_ref(const ruhu_field *field);
/** For a reference whose type is named by another column of the row
 *  (`-> (record_type)`), that column; else NULL. */
const ruhu_field *ruhu_field_ref_by(const ruhu_field *field);
/** Labelled values of the field (enum values, lattice states). */
size_t ruhu_field_value_count(const ruhu_field *field);
const char *ruhu_field_value(const ruhu_field *field, size_t i);
const char *ruhu_field_value_label(const ruhu_field *field, size_t i, ruhu_lang lang);
/** The label of value `value`, or NULL when it has none. */
const char *ruhu_field_value_label_of(const ruhu_field *field, const char *value, ruhu_lang lang);

/* ------------------------------------------------------------------ */
/* State lattices: order(a<b<c; final=x,y)                             */

/** Canonical text, e.g. "order(received<accepted; final=rejected)". */
const char *ruhu_order_text(const ruhu_order *order);
/** The chain (non-final states), lowest first. */
size_t ruhu_order_state_count(const ruhu_order *order);
const char *ruhu_order_state(const ruhu_order *order, size_t i);
/** The final states. */
size_t ruhu_order_final_count(const ruhu_order *order);
const char *ruhu_order_final(const ruhu_order *order, size_t i);
/**
 * Rank of a value: its position in the chain (0 = lowest); every final
 * state has the same rank, one above the top of the chain; -1 for NULL or a
 * value not in the lattice.
 */
int ruhu_order_rank(const ruhu_order *order, const char *value);
/** 1 when `value` is a final state. */
int ruhu_order_is_final(const ruhu_order *order, const char *value);
/**
 * 1 when a and b tie: different values of equal rank (two different final
 * states, or two values not in the lattice).  A tie goes to review.
 */
int ruhu_order_tie(const ruhu_order *order, const char *a, const char *b);
/**
 * Which value wins: 0 when they are equal (as strings, or both NULL), 1 when
 * a wins, 2 when b wins, 3 on a tie (ruhu_order_tie).  A value in the
 * lattice beats NULL and values not in it.
 */
int ruhu_order_pick(const ruhu_order *order, const char *a, const char *b);

/* ------------------------------------------------------------------ */
/* Token sets (the values of `union` fields)                          */

/**
 * A token set is a sorted (bytewise), comma-separated list of distinct
 * tokens of [A-Za-z0-9_.-], no spaces; the empty set is NULL (an empty
 * string is refused).  ruhu_tokens_union writes the union of two sets
 * (either may be NULL) into out (cleared first); out->size is 0 for the
 * empty set.  Fails with RUHU_EINVALID when an input is not a token set.
 */
int ruhu_tokens_union(ruhu_buf *out, const char *a, const char *b);
/** Add one token to a set (same rules as ruhu_tokens_union). */
int ruhu_tokens_add(ruhu_buf *out, const char *set, const char *token);
/** 1 when `token` is in the set, 0 when not (a malformed set has none). */
int ruhu_tokens_has(const char *set, const char *token);

/* ------------------------------------------------------------------ */
/* Validators: 0, or RUHU_EINVALID with a message naming `field`.      */
/* NULL values are valid (NOT NULL is the table's business).           */

/** Resident identity number (GB 11643): 18 characters, a province-level
 *  region code, a real birth date, ISO 7064 MOD 11-2 check ('X' = 10). */
int ruhu_validate_id_number(const char *value, const char *field);
/** Unified social credit code (GB 32100-2015) with its check character. */
int ruhu_validate_credit_code(const char *value, const char *field);
/** Mobile number: 11 digits, 1[3-9]xxxxxxxxx. */
int ruhu_validate_mobile(const char *value, const char *field);
/** A mobile number, or a fixed line 0AA(A)-NNNNNNN(N). */
int ruhu_validate_phone(const char *value, const char *field);
/** ISO 8601 calendar date YYYY-MM-DD, a real date, years 1800-2199. */
int ruhu_validate_date(const char *value, const char *field);
/** ISO 8601 date-time YYYY-MM-DDTHH:MM:SS[.f][Z|+HH:MM|-HH:MM]. */
int ruhu_validate_datetime(const char *value, const char *field);
/** One of the comma-separated `allowed` values. */
int ruhu_validate_enum(const char *value, const char *field, const char *allowed);
/** A whole number in [lo, hi]. */
int ruhu_validate_range(long long value, const char *field, long long lo, long long hi);
/** A lowercase UUID, 8-4-4-4-12 hex digits (any version). */
int ruhu_validate_uuid(const char *value, const char *field);
/** A code: 1 to 64 characters of [A-Za-z0-9_.-]. */
int ruhu_validate_code(const char *value, const char *field);
/** A token set; with `allowed` (comma-separated) every token must be in it. */
int ruhu_validate_tokens(const char *value, const char *field, const char *allowed);
/** Text that is valid UTF-8, not blank, no control characters but tab and
 *  newline, at most max_chars characters. */
int ruhu_validate_text(const char *value, const char *field, long long max_chars);

/* ------------------------------------------------------------------ */
/* The service catalogue                                              */

/** Load the catalogue compiled into libruhu (every item a default). */
int ruhu_catalogue_load_default(ruhu_catalogue **out);
/**
 * Load a catalogue from bytes (the fuzz entry point; the hub ships its
 * catalogue text to tablets this way).  `name` is used in error messages.
 * The bytes are copied.  On failure *out is NULL and the last error says
 * "NAME:LINE: reason" (RUHU_ESCHEMA).
 */
int ruhu_catalogue_load_buffer(ruhu_catalogue **out, const char *name, const void *data, size_t len);
/** Load a centre's catalogue file (`--catalogue FILE`). */
int ruhu_catalogue_load_file(ruhu_catalogue **out, const char *path);
void ruhu_catalogue_free(ruhu_catalogue *cat);

/** The source text the catalogue was loaded from (NUL-terminated). */
const char *ruhu_catalogue_source(const ruhu_catalogue *cat, size_t *len);
/** Hex SHA-256 of the source text. */
const char *ruhu_catalogue_version(const ruhu_catalogue *cat);
/** The name used in errors (file path, "catalogue.txt", ...). */
const char *ruhu_catalogue_name(const ruhu_catalogue *cat);
/** The issuing centre (`centre` line), or NULL. */
const char *ruhu_catalogue_centre(const ruhu_catalogue *cat);
/** 1 when the file says `defaults`: limits and materials are ruhu's
 *  suggestions, not the centre's policy. */
int ruhu_catalogue_is_default(const ruhu_catalogue *cat);

size_t ruhu_catalogue_item_count(const ruhu_catalogue *cat);
const ruhu_item *ruhu_catalogue_item(const ruhu_catalogue *cat, size_t i);
const ruhu_item *ruhu_catalogue_item_byname(const ruhu_catalogue *cat, const char *code);

const char *ruhu_item_code(const ruhu_item *item);
const char *ruhu_item_name(const ruhu_item *item, ruhu_lang lang);
const char *ruhu_item_category(const ruhu_item *item);
const char *ruhu_item_category_label(const ruhu_item *item, ruhu_lang lang);
/** The legal basis line (法规政策依据). */
const char *ruhu_item_basis(const ruhu_item *item);
/** Time limit in working days (0: finished the day it is received). */
unsigned int ruhu_item_limit(const ruhu_item *item);
size_t ruhu_item_material_count(const ruhu_item *item);
/** Material code: the token recorded in application.materials_received. */
const char *ruhu_item_material_code(const ruhu_item *item, size_t i);
const char *ruhu_item_material_label(const ruhu_item *item, size_t i, ruhu_lang lang);
size_t ruhu_item_step_count(const ruhu_item *item);
const char *ruhu_item_step(const ruhu_item *item, size_t i, ruhu_lang lang);

/**
 * Write the one-time notification (一次性告知) for an item into `out`
 * (appended): legal basis, every required material, procedure, time limit,
 * and, when `received` is given, the received and promised dates.  With a
 * token set `have`, materials are marked received or missing.
 */
int ruhu_catalogue_notice(ruhu_buf *out, const ruhu_catalogue *cat, const ruhu_item *item,
			  const char *received, const char *promised, const char *have);

/* ------------------------------------------------------------------ */
/* Working-day calendar                                               */

/** Size of a date "YYYY-MM-DD" with its terminator. */
#define RUHU_DATE_SIZE 11

typedef enum {
	RUHU_DAY_HOLIDAY = 1, /**< a public holiday: no work */
	RUHU_DAY_WORKDAY = 2  /**< an adjusted working day (often a weekend) */
} ruhu_day_kind;

typedef struct {
	const char *date; /**< YYYY-MM-DD */
	ruhu_day_kind kind;
} ruhu_holiday;

/**
 * Make a calendar: Monday to Friday are working days, except the dates
 * listed as holidays; listed workdays are working days.  A date listed as
 * both is a holiday.  `days` may be NULL when count is 0.
 */
int ruhu_calendar_new(ruhu_calendar **out, const ruhu_holiday *days, size_t count);
void ruhu_calendar_free(ruhu_calendar *cal);
/** 1 for a working day, 0 for a day off, negative for a bad date.  A NULL
 *  calendar has weekends only. */
int ruhu_calendar_is_working_day(const ruhu_calendar *cal, const char *date);
/**
 * The promised date: `working_days` working days after `received` (a date,
 * or a date-time whose date part is used).  Counting starts on the next
 * working day after the received date; 0 days gives the received date.
 * Example: received Friday, 1 working day → the next Monday (if it works).
 */
int ruhu_calendar_promised_date(char out[RUHU_DATE_SIZE], const ruhu_calendar *cal,
				const char *received, unsigned int working_days);

#ifdef __cplusplus
}
#endif
#endif
