/*
 * setup.c — a new replica made ready for saves (see setup.h).
 */
#include "core/identity.h"
#include "core/meta.h"
#include "core/odb.h"
#include "core/provenance.h"
#include "core/refs.h"
#include "core/setup.h"
#include "schema/schema_db.h"

/* A pending save: its commit, and its changeset as it is applied on this
 * replica now — NULL while that is the commit's own changeset (until a
 * pull re-applies it on top of the hub's main), so a save does not store
 * its changeset twice. */
static const char pending_ddl[] =
	"CREATE TABLE IF NOT EXISTS _pending("
	" seq INTEGER PRIMARY KEY, oid BLOB NOT NULL, changeset BLOB) STRICT;";

int ruhu_replica_setup(ruhu_replica *r, const char *self_id, const char *centre,
		       const char *branch, unsigned int flags)
{
	sqlite3 *db = ruhu_replica_db(r);
	ruhu_schema *schema = NULL;
	int error, rc;

	if ((error = ruhu_schema_load_default(&schema)) < 0)
		return error;
	if ((error = ruhu_replica_begin(r)) < 0)
		goto done;
	if ((error = ruhu_schema_install(db, schema)) < 0 ||
	    (error = ruhu_identity_setup(r, self_id, centre)) < 0 ||
	    (error = ruhu_odb_init(db)) < 0 ||
	    (error = ruhu_refs_init(db)) < 0 ||
	    (error = ruhu_provenance_init(db)) < 0 ||
	    (error = ruhu_meta_set(db, "branch", branch)) < 0 ||
	    (error = ruhu_meta_set_int(db, "track_pending", (flags & RUHU_SETUP_TRACK_PENDING) != 0)) < 0 ||
	    (error = ruhu_meta_set_int(db, "authority", (flags & RUHU_SETUP_AUTHORITY) != 0)) < 0 ||
	    (error = ruhu_meta_set_int(db, "seq", 0)) < 0)
		goto fail;
	if ((rc = sqlite3_exec(db, pending_ddl, NULL, NULL, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "make the table of pending saves");
		goto fail;
	}
	if ((error = ruhu_replica_commit(r)) < 0)
		goto fail;
	goto done;
fail:
	ruhu_replica_rollback(r);
done:
	ruhu_schema_free(schema);
	return error;
}
