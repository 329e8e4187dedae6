/*
 * report.h — what the report files of sync/ share (report.c): the string
 * pool of a report, the as-of date, working-day counting, the closed states
 * of a lattice, the catalogue, and a statement runner.
 *
 * Design notes
 *  1. A report's strings are copied into its pool and freed with it; an
 *     array of a report is one allocation freed by the report's _free.
 *  2. Every function sets the error message where a failure is found and
 *     returns the code; callers pass it up unchanged.
 */
#ifndef RUHU_SYNC_REPORT_H
#define RUHU_SYNC_REPORT_H

#include <sqlite3.h>

#include "core/replica.h"
#include "ruhu/report.h"
#include "ruhu/schema.h"

/* --- the pool --- */
struct ruhu_report_pool;

int report_pool_new(struct ruhu_report_pool **out);
void report_pool_free(struct ruhu_report_pool *pool);
/* Copy `s` (NULL stays NULL) into the pool; *out points at the copy. */
int report_strdup(const char **out, struct ruhu_report_pool *pool, const char *s);
/* Copy column `col` of the current row (NULL stays NULL). */
int report_column(const char **out, struct ruhu_report_pool *pool, sqlite3_stmt *st, int col);

/* Make room for n + 1 elements of `size` bytes in *arr (capacity *cap). */
int report_grow(void **arr, size_t *cap, size_t n, size_t size);

/* --- the replica --- */

/* The options (NULL: defaults), checked: version, as_of, within. */
int report_opts(ruhu_report_opts *out, const ruhu_report_opts *in);
/* The centre's zone in minutes east of UTC (_meta.tz_minutes, 480). */
int report_tz(int *out, sqlite3 *db);
/* The as-of date: opts->as_of, else today in the centre's zone. */
int report_as_of(char out[RUHU_DATE_SIZE], ruhu_replica *r, const ruhu_report_opts *opts);
/* The replica's schema; RUHU_ENOTFOUND "DIR holds no record tables". */
int report_schema(const ruhu_schema **out, ruhu_replica *r);
/* The replica's catalogue, else the embedded default. */
int report_catalogue(ruhu_catalogue **out, sqlite3 *db);
/* The Chinese name of an item, or NULL when the catalogue lacks it. */
const char *report_item_name(const ruhu_catalogue *cat, const char *code);

/* Open a read transaction when none is open (*began = 1), so that every
 * query of a report sees one state; report_read_end ends what it began. */
int report_read_begin(sqlite3 *db, int *began);
void report_read_end(sqlite3 *db, int began);

/* The lattice of `type.field` (NULL when the field has none). */
const ruhu_order *report_order(const ruhu_schema *schema, const char *type, const char *field);
/* 1 when `value` closes a case: the top of the chain or a final state
 * (ruhu/report.h, note 4).  Without a lattice, never. */
int report_is_closed(const ruhu_order *order, const char *value);

/* Run `sql` with text binds (NULL: SQL NULL), calling row() on each row; a
 * non-zero return of row() stops and is returned.  `what` names the work
 * in errors ("read the applications"). */
int report_each(sqlite3 *db, const char *sql, const char *const *binds, size_t nbinds,
		int (*row)(sqlite3_stmt *st, void *payload), void *payload, const char *what);
/* One integer from a query of one row (0 when it returns none). */
int report_count(int64_t *out, sqlite3 *db, const char *sql, const char *const *binds,
		 size_t nbinds, const char *what);

/* --- days --- */

/* Days since 1970-01-01 of the date at the start of `s` (YYYY-MM-DD...);
 * -1 with RUHU_EINVALID when it is not a date. */
int report_day(long *out, const char *s);
void report_day_format(char out[RUHU_DATE_SIZE], long day);

/* Working days of a calendar over a span of days, counted once (prefix
 * sums), so that each application costs two lookups. */
struct report_workdays {
	long first;
	size_t n;
	int *cum;   /* cum[i]: working days in [first, first + i] */
};

int report_workdays_build(struct report_workdays *wd, const ruhu_calendar *cal, long first,
			  long last);
/* Working days d with a < d <= b (negative when b < a). */
int report_workdays_between(const struct report_workdays *wd, long a, long b);
void report_workdays_dispose(struct report_workdays *wd);

#endif
