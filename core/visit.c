/*
 * visit.c — the work of a home visit as the standard describes it: who holds
 * the tablet, visits (入户走访, clause 5.3), applications with their one-time
 * notification (一次性告知, 6.2.3), promised date (限时办结, 6.2.2) and first
 * responder (首问负责, 6.2.1), materials received.
 *
 * Design notes
 *  1. Each operation is one save (one commit), made with the same edit API
 *     as any other; nothing here writes around it.
 *  2. Dates are the centre's (`_meta.tz_minutes`, +08:00 by default); the
 *     promised date counts the item's working days on the centre's calendar
 *     (the replicated `holiday` records).
 *  3. The catalogue is the replica's own (stored by the hub and carried to
 *     tablets at enrolment), else the embedded default.
 *  4. The open visit is `_meta.visit`; it is set and cleared in the same
 *     transaction as the visit's save.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/edit.h"
#include "core/identity.h"
#include "core/meta.h"
#include "core/when.h"
#include "schema/schema_db.h"

static int zone(int *tz, sqlite3 *db)
{
	int64_t v;
	int error = ruhu_meta_int_or(&v, db, "tz_minutes", 480);

	*tz = (int)v;
	return error;
}

struct one_text {
	ruhu_buf *out;
	const char *column;
};

static int take_text(int stmt, int ncols, const char *const *names, const ruhu_value *values,
		     void *payload)
{
	struct one_text *t = payload;

	for (int i = 0; i < ncols; i++)
		if (!strcmp(names[i], t->column) && values[i].type == RUHU_VALUE_TEXT)
			return ruhu_buf_put(t->out, values[i].p, values[i].len);
	return 0;
}

/* A text field of a record; RUHU_ENOTFOUND when the record is missing. */
static int field_text(ruhu_buf *out, ruhu_replica *r, const char *type, const char *id,
		      const char *field)
{
	struct one_text t = { out, field };

	ruhu_buf_clear(out);
	return ruhu_record_get(r, type, id, take_text, &t);
}

int ruhu_worker_use(ruhu_replica *r, const char *id, const char *name)
{
	sqlite3 *db = ruhu_replica_db(r);
	ruhu_buf known = RUHU_BUF_INIT;
	int error;

	if ((error = ruhu_identity_check_id(id, "worker id")) < 0)
		return error;
	if (name == NULL) {
		error = field_text(&known, r, "worker", id, "name");
		if (error == RUHU_ENOTFOUND || (error == 0 && known.size == 0)) {
			error = ruhu_error_set(RUHU_ENOTFOUND, "worker %s is not known here: give their name "
					       "with --name", id);
			goto done;
		}
		if (error < 0)
			goto done;
		name = known.ptr;
	}
	if ((error = ruhu_replica_begin(r)) < 0)
		goto done;
	if ((error = ruhu_meta_set(db, "worker", id)) < 0 ||
	    (error = ruhu_meta_set(db, "worker_name", name)) < 0 ||
	    (error = ruhu_replica_commit(r)) < 0)
		ruhu_replica_rollback(r);
done:
	ruhu_buf_dispose(&known);
	return error;
}

static int current(ruhu_buf *out, sqlite3 *db, const char *key, const char *missing)
{
	int error = ruhu_meta_get(out, db, key);

	if (error == RUHU_ENOTFOUND)
		error = ruhu_error_set(RUHU_ENOTFOUND, "%s", missing);
	return error;
}

int ruhu_visit_start(ruhu_replica *r, const char *household, const char *purpose,
		     const char *location, char out_id[RUHU_ID_SIZE], ruhu_save_info *info)
{
	sqlite3 *db = ruhu_replica_db(r);
	ruhu_edit *e = NULL;
	ruhu_buf open = RUHU_BUF_INIT, worker = RUHU_BUF_INIT, self = RUHU_BUF_INIT,
		 addr = RUHU_BUF_INIT;
	char now[RUHU_DATETIME_SIZE], id[RUHU_ID_SIZE];
	int tz, error;

	if ((error = ruhu_meta_get(&open, db, "visit")) == 0) {
		error = ruhu_error_set(RUHU_EEXISTS, "visit %s is still open: close it first", open.ptr);
		goto done;
	}
	ruhu_error_clear();
	if ((error = current(&worker, db, "worker", "no caseworker holds this tablet: run "
			     "'ruhu worker use ID --name NAME' first")) < 0 ||
	    (error = ruhu_identity_self(&self, r)) < 0 ||
	    (error = zone(&tz, db)) < 0 ||
	    (error = field_text(&addr, r, "household", household, "address")) < 0)
		goto done;
	ruhu_when_datetime(now, ruhu_replica_now_ms(r), tz);
	if ((error = ruhu_edit_begin(&e, r)) < 0)
		goto done;
	{
		ruhu_assign v[] = {
			{ "household_id", household }, { "worker_id", worker.ptr },
			{ "device_id", self.ptr }, { "purpose", purpose }, { "started_at", now },
			{ "location", location },
		};

		if ((error = ruhu_edit_insert(e, "visit", v, location ? 6 : 5, id)) < 0)
			goto done;
	}
	if ((error = ruhu_meta_set(db, "visit", id)) < 0 ||
	    (error = ruhu_edit_commit(e, "start visit", info)) < 0)
		goto done;
	if (out_id)
		memcpy(out_id, id, sizeof(id));
done:
	ruhu_edit_free(e);
	ruhu_buf_dispose(&open);
	ruhu_buf_dispose(&worker);
	ruhu_buf_dispose(&self);
	ruhu_buf_dispose(&addr);
	return error;
}

int ruhu_visit_close(ruhu_replica *r, const char *summary, ruhu_save_info *info)
{
	sqlite3 *db = ruhu_replica_db(r);
	ruhu_edit *e = NULL;
	ruhu_buf visit = RUHU_BUF_INIT;
	char now[RUHU_DATETIME_SIZE];
	int tz, error;

	if ((error = current(&visit, db, "visit", "no visit is open")) < 0 ||
	    (error = zone(&tz, db)) < 0)
		goto done;
	ruhu_when_datetime(now, ruhu_replica_now_ms(r), tz);
	if ((error = ruhu_edit_begin(&e, r)) < 0)
		goto done;
	{
		ruhu_assign v[] = { { "ended_at", now }, { "summary", summary } };

		if ((error = ruhu_edit_update(e, "visit", visit.ptr, v, summary ? 2 : 1)) < 0)
			goto done;
	}
	/* the close itself still carries the visit's id (save.c reads it);
	 * the visit is forgotten in the same transaction */
	e->clear_meta = "visit";
	if ((error = ruhu_edit_commit(e, "close visit", info)) < 0)
		goto done;
done:
	ruhu_edit_free(e);
	ruhu_buf_dispose(&visit);
	return error;
}
