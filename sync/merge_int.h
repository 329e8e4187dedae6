/*
 * merge_int.h — the insides of the merge rule engine, shared by merge.c (the
 * driver and the apply loop), merge_row.c (INSERT, UPDATE and DELETE),
 * merge_rules.c (the field rules) and merge_result.c (the result object and
 * decisions.txt) and merge_net.c (the net changeset).  Nothing outside
 * sync/merge*.c includes it.  merge_stmt.c holds the cached statements.
 */
#ifndef RUHU_SYNC_MERGE_INT_H
#define RUHU_SYNC_MERGE_INT_H

#include "core/provenance.h"
#include "schema/schema_db.h"
#include "sync/merge.h"

/* An UPDATE statement for one set of columns (bit i = column i). */
struct upd {
	uint64_t mask;
	sqlite3_stmt *st;
};

/* A record table and its statements, prepared on first use. */
struct tab {
	const ruhu_type *type;
	const char *name;
	size_t ncol;
	size_t key;                 /* column of the primary key */
	sqlite3_stmt *sel;          /* SELECT every column WHERE id = ?1 */
	sqlite3_stmt *ins;          /* INSERT every column */
	sqlite3_stmt *del;          /* DELETE WHERE id = ?1 */
	sqlite3_stmt *exists;       /* SELECT 1 WHERE id = ?1 */
	sqlite3_stmt *frozen;       /* SELECT 1 WHERE id = ?1 AND (immutable_after) */
	sqlite3_stmt *dup;          /* SELECT id WHERE key fields = ... AND id <> ?n */
	struct upd *upd;
	size_t nupd, aupd;
};

/* A row of values whose bytes the row owns. */
struct row {
	ruhu_cval *v;
	size_t n;
	ruhu_buf bytes;
};

/* The ids a changeset inserts, for references to records made in the same
 * save (a new household and its head of household). */
struct idset {
	char **slot;                /* "type\0id" strings, open addressing */
	size_t n, cap;
};

struct merge {
	sqlite3 *db;
	const ruhu_schema *schema;
	ruhu_merge_opts o;
	char attribution[512];      /* "[origin worker time] " for append */
	ruhu_merge_result *res;
	struct tab *tabs;           /* one per type, schema order */
	size_t ntabs;
	ruhu_prov *prov;
	uint32_t oi;                /* index of the incoming origin */
	ruhu_prov_clock clock;      /* the current record's clock ... */
	int clock_loaded;           /* ... once read for this change */
	struct idset inserted;
	struct row hub;             /* the hub row of the current change */
	struct row stored;          /* the row as stored, read back after a write
	                               that SQLite may have converted */
	ruhu_buf *net;              /* per table: the net changeset's changes */
	int sorted;                 /* the input's rows came in canonical order */
	size_t nchecked;            /* changes seen by the first walk */
	struct tab *cur;            /* the table of the current change ... */
	const char *cur_name;       /* ... and its name in the changeset */
	ruhu_cval *oldv, *newv;     /* maxcol decoded values of the change */
	size_t last_type;           /* type index of the previous change ... */
	ruhu_buf last_key;          /* ... and its key, for `sorted` */
	ruhu_cval *merged;          /* ncol merged values */
	ruhu_buf *colbuf;           /* ncol scratch buffers for computed values */
	size_t maxcol;
	ruhu_buf id;                /* the current record id, NUL-terminated */
	ruhu_buf scratch;
	ruhu_buf sql;
};

/* ---- merge.c and merge_stmt.c ---- */
int merge_db_error(sqlite3 *db, const char *what);
/* 1 when a failed step was refused by the table's checks (CHECK, NOT NULL,
 * STRICT types, a validator), 0 for any other failure. */
int merge_is_constraint(sqlite3 *db, int rc);
int merge_tab_sel(struct merge *m, struct tab *t);
/* Read the row `id` of t into m->hub; *found = 0 when there is none. */
int merge_read_row(int *found, struct merge *m, struct tab *t, const char *id);
int merge_read_into(int *found, struct row *into, struct merge *m, struct tab *t, const char *id);
int merge_record_exists(int *out, struct merge *m, struct tab *t, const char *id);
int merge_row_frozen(int *out, struct merge *m, struct tab *t, const char *id);
/* UPDATE of the flagged columns, ?1 = id, ?(i+2) = column i. */
int merge_update_stmt(sqlite3_stmt **out, struct merge *m, struct tab *t, const unsigned char *set);
int merge_insert_stmt(sqlite3_stmt **out, struct merge *m, struct tab *t);
int merge_delete_stmt(sqlite3_stmt **out, struct merge *m, struct tab *t);
int merge_dup_stmt(sqlite3_stmt **out, struct merge *m, struct tab *t);
int idset_has(const struct idset *s, const char *type, const char *id, size_t idlen);
int idset_add(struct idset *s, const char *type, const char *id, size_t idlen);
void idset_free(struct idset *s);
int row_copy(struct row *r, const ruhu_cval *v, size_t n);

/* ---- merge_net.c ---- */
int net_row(struct merge *m, struct tab *t, int op, const ruhu_cval *row);
int net_update(struct merge *m, struct tab *t, const unsigned char *set, const ruhu_cval *old_row,
	       const ruhu_cval *new_row);
int net_finish(struct merge *m);

/* ---- merge_row.c ---- */
int merge_insert(struct merge *m, struct tab *t, const ruhu_change *c);
int merge_update(struct merge *m, struct tab *t, const ruhu_change *c);
int merge_delete(struct merge *m, struct tab *t, const ruhu_change *c);

/* ---- merge_rules.c ---- */
/* Outcome of a field rule on a conflict (hub != base, device != base,
 * hub != device). */
struct verdict {
	ruhu_cval value;            /* the merged value */
	int review;                 /* 1: the hub value stays, an operator decides */
	const char *note;           /* static text, "" when none */
};
int merge_field(struct verdict *out, struct merge *m, struct tab *t, size_t col,
		const ruhu_cval *base, const ruhu_cval *hub, const ruhu_cval *dev);
/* SQLite's order of two values (NULL < numbers < text < blob; BINARY). */
int merge_value_cmp(const ruhu_cval *a, const ruhu_cval *b);

/* ---- merge_result.c ---- */
int merge_result_new(ruhu_merge_result **out);
/* Add a decision; with `review` (HUB mode only) also a review item holding
 * the change `c` (may be NULL) and `other_id` (may be NULL).  Values may be
 * NULL for "does not apply". */
int merge_decide(struct merge *m, struct tab *t, const char *field, const char *rule,
		 const ruhu_cval *base, const ruhu_cval *hub, const ruhu_cval *dev,
		 const ruhu_cval *result, int review, const ruhu_change *c, const char *other_id,
		 const char *fmt, ...) __attribute__((format(printf, 12, 13)));
/* Forget the decisions and reviews added after the marks. */
void merge_result_truncate(ruhu_merge_result *res, size_t ndecisions, size_t nreviews);

#endif
