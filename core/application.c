/*
 * application.c — applications (业务受理) taken in at the door: opening one
 * with its one-time notification, promised date and first responder, and
 * recording the materials received (see visit.c for the design notes that
 * apply here too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/edit.h"
#include "core/meta.h"
#include "core/when.h"
#include "schema/schema_db.h"

/* The replica's catalogue, else the embedded default. */
static int catalogue(ruhu_catalogue **out, sqlite3 *db)
{
	int error = ruhu_catalogue_load_db(out, db);

	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = ruhu_catalogue_load_default(out);
	}
	return error;
}

int ruhu_replica_catalogue(ruhu_catalogue **out, ruhu_replica *r)
{
	return catalogue(out, ruhu_replica_db(r));
}

int ruhu_replica_promised_date(char out[RUHU_DATE_SIZE], ruhu_replica *r, const char *received,
			       unsigned int working_days)
{
	return ruhu_calendar_promised_date_db(out, ruhu_replica_db(r), received, working_days);
}

static int find_item(const ruhu_item **out, const ruhu_catalogue *cat, const char *code)
{
	if ((*out = ruhu_catalogue_item_byname(cat, code ? code : "")) == NULL)
		return ruhu_error_set(RUHU_ENOTFOUND, "unknown service item '%s' (see 'ruhu catalogue list')",
				      code ? code : "");
	return 0;
}

struct fields {
	const char *names[4];
	ruhu_buf *out[4];
};

static int take(int stmt, int ncols, const char *const *names, const ruhu_value *values, void *payload)
{
	struct fields *f = payload;

	for (int i = 0; i < ncols; i++)
		for (int k = 0; k < 4 && f->names[k]; k++)
			if (!strcmp(names[i], f->names[k]) && values[i].type == RUHU_VALUE_TEXT &&
			    ruhu_buf_put(f->out[k], values[i].p, values[i].len) < 0)
				return RUHU_ENOMEM;
	return 0;
}

int ruhu_application_open(ruhu_replica *r, const char *item, const char *person, ruhu_buf *notice,
			  char out_id[RUHU_ID_SIZE], ruhu_save_info *info)
{
	sqlite3 *db = ruhu_replica_db(r);
	ruhu_catalogue *cat = NULL;
	const ruhu_item *it;
	ruhu_edit *e = NULL;
	ruhu_buf worker = RUHU_BUF_INIT, wname = RUHU_BUF_INIT, visit = RUHU_BUF_INIT,
		 name = RUHU_BUF_INIT;
	struct fields pf = { { "name" }, { &name } };
	char now[RUHU_DATETIME_SIZE], today[RUHU_DAY_SIZE], promised[RUHU_DATE_SIZE], id[RUHU_ID_SIZE];
	int64_t tz;
	int64_t ms = ruhu_replica_now_ms(r);
	int error;

	if ((error = catalogue(&cat, db)) < 0 || (error = find_item(&it, cat, item)) < 0 ||
	    (error = ruhu_record_get(r, "person", person, take, &pf)) < 0 ||
	    (error = ruhu_meta_int_or(&tz, db, "tz_minutes", 480)) < 0)
		goto done;
	if ((error = ruhu_meta_get(&worker, db, "worker")) == RUHU_ENOTFOUND) {
		error = ruhu_error_set(RUHU_EINVALID, "no caseworker holds this tablet to be the first "
				       "responder: run 'ruhu worker use ID --name NAME' first");
		goto done;
	}
	if (error < 0 || (error = ruhu_meta_get(&wname, db, "worker_name")) < 0)
		goto done;
	if ((error = ruhu_meta_get(&visit, db, "visit")) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
	} else if (error < 0) {
		goto done;
	}
	ruhu_when_datetime(now, ms, (int)tz);
	ruhu_when_date(today, ms, (int)tz);
	if ((error = ruhu_calendar_promised_date_db(promised, db, today, ruhu_item_limit(it))) < 0 ||
	    (error = ruhu_edit_begin(&e, r)) < 0)
		goto done;
	{
		ruhu_assign v[] = {
			{ "person_id", person }, { "item", ruhu_item_code(it) }, { "status", "received" },
			{ "received_at", now }, { "promised_by", promised },
			{ "first_responder", worker.ptr }, { "visit_id", visit.size ? visit.ptr : NULL },
		};

		if ((error = ruhu_edit_insert(e, "application", v, 7, id)) < 0)
			goto done;
	}
	if ((error = ruhu_edit_commit(e, "open application", info)) < 0)
		goto done;
	if (notice &&
	    ((error = ruhu_catalogue_notice(notice, cat, it, today, promised, NULL)) < 0 ||
	     (error = ruhu_buf_printf(notice, "服务对象 Resident: %s\n首问责任人 First responder: %s (%s)\n",
				      name.ptr ? name.ptr : person, wname.ptr, worker.ptr)) < 0))
		goto done;
	if (out_id)
		memcpy(out_id, id, sizeof(id));
done:
	ruhu_edit_free(e);
	ruhu_catalogue_free(cat);
	ruhu_buf_dispose(&worker);
	ruhu_buf_dispose(&wname);
	ruhu_buf_dispose(&visit);
	ruhu_buf_dispose(&name);
	return error;
}

int ruhu_application_receive(ruhu_replica *r, const char *application,
			     const char *const *materials, size_t n, ruhu_buf *missing,
			     ruhu_save_info *info)
{
	sqlite3 *db = ruhu_replica_db(r);
	ruhu_catalogue *cat = NULL;
	const ruhu_item *it;
	ruhu_edit *e = NULL;
	ruhu_buf code = RUHU_BUF_INIT, have = RUHU_BUF_INIT, next = RUHU_BUF_INIT;
	struct fields af = { { "item", "materials_received" }, { &code, &have } };
	int error;

	if (n == 0)
		return ruhu_error_set(RUHU_EINVALID, "no material given");
	if ((error = ruhu_record_get(r, "application", application, take, &af)) < 0 ||
	    (error = catalogue(&cat, db)) < 0 || (error = find_item(&it, cat, code.ptr)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		while (k < ruhu_item_material_count(it) && strcmp(ruhu_item_material_code(it, k), materials[i]))
			k++;
		if (k == ruhu_item_material_count(it)) {
			ruhu_buf list = RUHU_BUF_INIT;

			for (k = 0; k < ruhu_item_material_count(it); k++)
				ruhu_buf_printf(&list, "%s%s", k ? ", " : "", ruhu_item_material_code(it, k));
			error = ruhu_error_set(RUHU_EINVALID, "%s needs no material '%s' (its materials: %s)",
					       ruhu_item_code(it), materials[i], list.ptr ? list.ptr : "none");
			ruhu_buf_dispose(&list);
			goto done;
		}
		ruhu_buf_clear(&next);
		if ((error = ruhu_tokens_add(&next, have.size ? have.ptr : NULL, materials[i])) < 0)
			goto done;
		ruhu_buf_clear(&have);
		if ((error = ruhu_buf_put(&have, next.ptr, next.size)) < 0)
			goto done;
	}
	if ((error = ruhu_edit_begin(&e, r)) < 0)
		goto done;
	{
		ruhu_assign v[] = { { "materials_received", have.ptr } };

		if ((error = ruhu_edit_update(e, "application", application, v, 1)) < 0 ||
		    (error = ruhu_edit_commit(e, "receive materials", info)) < 0)
			goto done;
	}
	if (missing)
		error = ruhu_catalogue_notice(missing, cat, it, NULL, NULL, have.ptr);
done:
	ruhu_edit_free(e);
	ruhu_catalogue_free(cat);
	ruhu_buf_dispose(&code);
	ruhu_buf_dispose(&have);
	ruhu_buf_dispose(&next);
	return error;
}
