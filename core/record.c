/*
 * record.c — reading records by type and id, or by field values
 * (see ruhu/core.h, "Reading records").  Names come from the schema and are
 * quoted; values are bound.
 */
#include <stdlib.h>
#include <string.h>

#include "core/edit.h"
#include "core/replica.h"

struct counted {
	ruhu_row_cb cb;
	void *payload;
	int rows;
};

static int count_row(int stmt, int ncols, const char *const *names, const ruhu_value *values,
		     void *payload)
{
	struct counted *c = payload;

	c->rows++;
	return c->cb ? c->cb(stmt, ncols, names, values, c->payload) : 0;
}

static int select_where(ruhu_replica *r, const char *type, const ruhu_assign *where, size_t n,
			ruhu_row_cb cb, void *payload, int *rows)
{
	const ruhu_schema *s;
	const ruhu_type *t;
	ruhu_buf sql = RUHU_BUF_INIT;
	const char **binds = NULL;
	struct counted c = { cb, payload, 0 };
	int error;

	if ((error = ruhu_replica_schema(&s, r)) < 0 || (error = ruhu_edit_type(&t, s, type)) < 0)
		goto done;
	if ((binds = calloc(n + 1, sizeof(*binds))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	if ((error = ruhu_buf_printf(&sql, "SELECT * FROM \"%s\"", ruhu_type_name(t))) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if (ruhu_type_field_byname(t, where[i].field) == NULL) {
			error = ruhu_error_set(RUHU_EINVALID, "%s has no field '%s'", type, where[i].field);
			goto done;
		}
		if ((error = ruhu_buf_printf(&sql, "%s\"%s\" IS ?%zu", i ? " AND " : " WHERE ",
					     where[i].field, i + 1)) < 0)
			goto done;
		binds[i] = where[i].value;
	}
	if ((error = ruhu_buf_printf(&sql, " ORDER BY \"%s\"", ruhu_field_name(ruhu_type_pk(t)))) < 0)
		goto done;
	error = ruhu_replica_query(r, sql.ptr, binds, n, count_row, &c);
	*rows = c.rows;
done:
	free(binds);
	ruhu_buf_dispose(&sql);
	return error;
}

int ruhu_record_get(ruhu_replica *r, const char *type, const char *id, ruhu_row_cb cb,
		    void *payload)
{
	const ruhu_schema *s;
	const ruhu_type *t;
	ruhu_assign w;
	int rows = 0, error;

	if ((error = ruhu_replica_schema(&s, r)) < 0 || (error = ruhu_edit_type(&t, s, type)) < 0)
		return error;
	w.field = ruhu_field_name(ruhu_type_pk(t));
	w.value = id;
	if ((error = select_where(r, type, &w, 1, cb, payload, &rows)) != 0)
		return error;
	if (rows == 0)
		return ruhu_error_set(RUHU_ENOTFOUND, "no %s with id %s", type, id);
	return 0;
}

int ruhu_record_list(ruhu_replica *r, const char *type, const ruhu_assign *where, size_t nwhere,
		     ruhu_row_cb cb, void *payload)
{
	int rows;

	return select_where(r, type, where, nwhere, cb, payload, &rows);
}
