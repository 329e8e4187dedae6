/*
 * init.c — making a tablet's or a hub's replica (see ruhu/sync.h).
 *
 * Design notes
 *  1. Creation is all or nothing: a replica whose set-up fails is removed
 *     again, so a retry starts from an empty folder.
 *  2. `_meta.role` is "device" or "hub"; the flags of core/setup.h carry
 *     what core needs to know of it (pending saves, merge authority).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/identity.h"
#include "core/meta.h"
#include "core/replica.h"
#include "core/setup.h"
#include "ruhu/sync.h"
#include "sync/hub.h"
#include "schema/schema_db.h"

static void remove_replica(const char *dir)
{
	char path[4096];
	static const char *files[] = { "replica.db", "replica.db-wal", "replica.db-shm",
				       "replica.db-journal", "replica.key" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
}

static int finish(ruhu_replica **out, ruhu_replica *r, const char *dir, int error)
{
	if (error < 0) {
		ruhu_replica_free(r);
		remove_replica(dir);
		return error;
	}
	*out = r;
	return 0;
}

int ruhu_device_init(ruhu_replica **out, const char *dir, const char *device_id,
		     const char *passphrase, size_t len, const ruhu_replica_options *opts)
{
	ruhu_replica *r = NULL;
	int error;

	*out = NULL;
	if ((error = ruhu_identity_check_id(device_id, "device id")) < 0)
		return error;
	if ((error = ruhu_replica_create(&r, dir, passphrase, len, opts)) < 0)
		return error;
	/* the centre is known once the device joins its hub */
	if ((error = ruhu_replica_setup(r, device_id, "unjoined", "refs/heads/device",
					RUHU_SETUP_TRACK_PENDING)) == 0)
		error = ruhu_meta_set(ruhu_replica_db(r), "role", "device");
	return finish(out, r, dir, error);
}

int ruhu_hub_init(ruhu_replica **out, const char *dir, const char *code, const char *name,
		  const char *catalogue, const char *passphrase, size_t len,
		  const ruhu_replica_options *opts)
{
	ruhu_replica *r = NULL;
	ruhu_catalogue *cat = NULL;
	char id[RUHU_ID_MAX + 8];
	sqlite3 *db;
	int error;

	*out = NULL;
	if ((error = ruhu_identity_check_id(code, "centre code")) < 0)
		return error;
	if (name == NULL || name[0] == '\0')
		return ruhu_error_set(RUHU_EINVALID, "the centre needs a name");
	if (snprintf(id, sizeof(id), "hub-%s", code) > RUHU_ID_MAX)
		return ruhu_error_set(RUHU_EINVALID, "centre code '%s' is too long", code);
	/* a centre's own catalogue is checked before anything is made */
	if (catalogue && (error = ruhu_catalogue_load_file(&cat, catalogue)) < 0)
		return error;
	if ((error = ruhu_replica_create(&r, dir, passphrase, len, opts)) < 0)
		goto done;
	if ((error = ruhu_replica_setup(r, id, code, "refs/heads/main", RUHU_SETUP_AUTHORITY)) < 0)
		goto done;
	db = ruhu_replica_db(r);
	if ((error = ruhu_replica_begin(r)) < 0)
		goto done;
	if ((error = ruhu_meta_set(db, "role", "hub")) < 0 ||
	    (error = ruhu_hub_tables(db)) < 0 ||
	    (error = ruhu_meta_set(db, "centre_name", name)) < 0 ||
	    (cat && (error = ruhu_catalogue_store(db, cat)) < 0) ||
	    (error = ruhu_replica_commit(r)) < 0)
		ruhu_replica_rollback(r);
done:
	ruhu_catalogue_free(cat);
	if (r == NULL)
		return error;
	return finish(out, r, dir, error);
}
