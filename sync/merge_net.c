/*
 * merge_net.c — the net changeset of a merge, written as the merge writes
 * rows: the bytes an SQLite session attached to every record table would
 * record, already in canonical form (docs/changesets.md §2).
 *
 * Design notes
 *  1. Why not a session: on this machine sqlite3session_changeset() reads
 *     every changed row back from the table (≈5.6 µs a row) and the
 *     preupdate hooks cost as much again, so a session alone made the merge
 *     of 100,000 field changes 1.6× the time of sqlite3changeset_apply;
 *     docs/performance.md ("Hub merge") has the numbers.  The merge knows
 *     what it writes, so it writes the changeset itself.
 *  2. Values are the values *as stored*: every INSERT and UPDATE of the
 *     merge ends in RETURNING, so type conversions of STRICT tables (a REAL
 *     5.0 into an INTEGER column) show as SQLite stores them.  A column whose
 *     stored value equals the old one is left out, and an UPDATE that leaves
 *     every column equal records nothing, as a session does.
 *  3. Layout, as sqlite3session_changeset() writes it:
 *       table header  'T', varint ncol, ncol key flags (1 for the key
 *                     column, 0 else), table name, NUL
 *       INSERT        0x12 0x00, the new row (every column)
 *       DELETE        0x09 0x00, the old row (every column)
 *       UPDATE        0x17 0x00, old record (key, old values of the changed
 *                     columns, 0x00 elsewhere), new record (new values of
 *                     the changed columns, 0x00 elsewhere)
 *  4. Order: tables in schema order, rows in the order written.  The apply
 *     loop visits rows in the input's order, so a canonical input gives a
 *     canonical output; otherwise (merge.c notices) the output is
 *     canonicalised at the end.  The tests compare the result with a real
 *     session's canonical changeset byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "sync/merge_int.h"

static int put_head(ruhu_buf *b, int op)
{
	unsigned char h[2] = { (unsigned char)op, 0 };

	return ruhu_buf_put(b, h, 2);
}

static int put_undefined(ruhu_buf *b)
{
	return ruhu_buf_putc(b, RUHU_CVAL_UNDEFINED);
}

int net_row(struct merge *m, struct tab *t, int op, const ruhu_cval *row)
{
	ruhu_buf *b = &m->net[ruhu_type_index(t->type)];
	int error;

	if ((error = put_head(b, op)) < 0)
		return error;
	for (size_t i = 0; i < t->ncol; i++)
		if ((error = ruhu_cval_put(b, &row[i])) < 0)
			return error;
	return 0;
}

int net_update(struct merge *m, struct tab *t, const unsigned char *set, const ruhu_cval *old_row,
	       const ruhu_cval *new_row)
{
	ruhu_buf *b = &m->net[ruhu_type_index(t->type)];
	int error;

	if ((error = put_head(b, SQLITE_UPDATE)) < 0)
		return error;
	for (size_t i = 0; i < t->ncol; i++)
		if ((error = (i == t->key || set[i]) ? ruhu_cval_put(b, &old_row[i]) : put_undefined(b)) < 0)
			return error;
	for (size_t i = 0; i < t->ncol; i++)
		if ((error = set[i] ? ruhu_cval_put(b, &new_row[i]) : put_undefined(b)) < 0)
			return error;
	return 0;
}

int net_finish(struct merge *m)
{
	ruhu_buf all = RUHU_BUF_INIT;
	const char **names = NULL;
	int error = 0;

	for (size_t i = 0; i < m->ntabs; i++) {
		struct tab *t = &m->tabs[i];

		if (m->net[i].size == 0)
			continue;
		if ((error = ruhu_buf_putc(&all, 'T')) < 0 ||
		    (error = ruhu_chg_put_varint(&all, t->ncol)) < 0)
			goto done;
		for (size_t c = 0; c < t->ncol; c++)
			if ((error = ruhu_buf_putc(&all, c == t->key ? 1 : 0)) < 0)
				goto done;
		if ((error = ruhu_buf_put(&all, t->name, strlen(t->name) + 1)) < 0 ||
		    (error = ruhu_buf_put(&all, m->net[i].ptr, m->net[i].size)) < 0)
			goto done;
	}
	ruhu_buf_clear(&m->res->net);
	if (all.size == 0)
		goto done;
	if (m->sorted) {
		/* hand the bytes over as they are (note 4) */
		m->res->net = all;
		memset(&all, 0, sizeof(all));
		goto done;
	}
	names = calloc(m->ntabs, sizeof(*names));
	if (names == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t i = 0; i < m->ntabs; i++)
		names[i] = m->tabs[i].name;
	error = ruhu_changeset_canonicalize(&m->res->net, all.ptr, all.size, names, m->ntabs);
done:
	free(names);
	ruhu_buf_dispose(&all);
	return error;
}
