/*
 * enrol.c — a tablet joins its township hub (DESIGN decision 10).
 *
 * Design notes
 *  1. Keys never leave their replica.  The tablet hands the hub a request
 *     holding its id and public keys, signed with its own key (proof that it
 *     holds the private half); the hub answers with an enrolment reply
 *     addressed to the tablet's box key.
 *  2. Enrolment reply file (frozen, version 1):
 *       "ruhu enrolment reply 1\n"
 *       "hub-key: " BASE64(hub's Ed25519 public key) "\n"
 *       "\n"
 *       envelope (sync/envelope.h, kind ENROL_REPLY)
 *     The tablet learns the hub's key from the reply itself (trust on first
 *     use); `ruhu join` prints its key id so the caseworker can compare it
 *     with the one `ruhu hub enrol` printed at the centre.
 *  3. The reply's body (sync/body.h) holds the sections `hub` (the hub's
 *     identity), `certificate` (the device certificate, signed by the hub),
 *     `catalogue` (the centre's service catalogue), `signers` and `bundle`
 *     (a full bundle of main: the township's current state).
 *  4. Enrolling registers the device (`_devices`, `_signers`) and, when the
 *     caseworker is new, saves their `worker` record on main, so the tablet
 *     receives it with the state.  Enrolling the same tablet again with the
 *     same keys gives a fresh reply; other keys under a known id, or a
 *     revoked id, are refused.
 */
#include <stdio.h>
#include <string.h>

#include "core/identity.h"
#include "core/meta.h"
#include "core/refs.h"
#include "core/when.h"
#include "schema/schema_db.h"
#include "sync/hub.h"
#include "sync/kvdoc.h"
#include "sync/sync_int.h"

#define REQUEST_MAGIC "ruhu enrolment request 1"
#define CERT_MAGIC "ruhu device certificate 1"
#define HUB_MAGIC "ruhu hub 1"

static int b64(ruhu_buf *out, const unsigned char key[32])
{
	ruhu_buf_clear(out);
	return ruhu_base64_encode(out, key, 32);
}

static void now_text(char out[RUHU_DATETIME_SIZE], ruhu_replica *r)
{
	int64_t tz = 480;

	ruhu_meta_int_or(&tz, ruhu_replica_db(r), "tz_minutes", 480);
	ruhu_when_datetime(out, ruhu_replica_now_ms(r), (int)tz);
}

int ruhu_enrol_request(ruhu_buf *out, ruhu_replica *device)
{
	unsigned char spk[32], bpk[32];
	ruhu_buf self = RUHU_BUF_INIT, s64 = RUHU_BUF_INIT, b64b = RUHU_BUF_INIT;
	ruhu_signkey *key = NULL;
	const ruhu_schema *schema;
	char made[RUHU_DATETIME_SIZE];
	int error;

	if ((error = ruhu_device_check(device, 0)) < 0 ||
	    (error = ruhu_identity_self(&self, device)) < 0 ||
	    (error = ruhu_identity_public(spk, bpk, device)) < 0 ||
	    (error = ruhu_replica_schema(&schema, device)) < 0 ||
	    (error = b64(&s64, spk)) < 0 || (error = b64(&b64b, bpk)) < 0 ||
	    (error = ruhu_identity_signkey(&key, device)) < 0)
		goto done;
	now_text(made, device);
	{
		const char *k[] = { "device", "sign-key", "box-key", "schema", "made" };
		const char *v[] = { self.ptr, s64.ptr, b64b.ptr, ruhu_schema_version(schema), made };

		error = ruhu_kvdoc_write(out, REQUEST_MAGIC, k, v, 5, key);
	}
done:
	ruhu_signkey_free(key);
	ruhu_buf_dispose(&self);
	ruhu_buf_dispose(&s64);
	ruhu_buf_dispose(&b64b);
	return error;
}

/* Register the device; RUHU_EEXISTS / RUHU_EREVOKED as design note 4 says. */
static int register_device(ruhu_replica *hub, const char *id, const unsigned char spk[32],
			   const unsigned char bpk[32], const char *worker, const char *wname)
{
	sqlite3 *db = ruhu_replica_db(hub);
	ruhu_device_rec d;
	sqlite3_stmt *st = NULL;
	int error, rc;

	if ((error = ruhu_device_lookup(&d, db, id)) == 0) {
		if (d.revoked_ms)
			return ruhu_error_set(RUHU_EREVOKED, "device %s was revoked (%s): enrol the tablet "
					      "under a new id", id, d.reason);
		if (memcmp(d.sign_key, spk, 32) || memcmp(d.box_key, bpk, 32))
			return ruhu_error_set(RUHU_EEXISTS, "device %s is already enrolled with other keys", id);
	} else if (error != RUHU_ENOTFOUND) {
		return error;
	}
	ruhu_error_clear();
	if ((error = ruhu_replica_begin(hub)) < 0)
		return error;
	if ((rc = sqlite3_prepare_v2(db, "INSERT INTO _devices(id, sign_key, box_key, worker, worker_name, "
				     "enrolled_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE "
				     "SET worker = excluded.worker, worker_name = excluded.worker_name",
				     -1, &st, NULL)) != SQLITE_OK) {
		error = ruhu_sql_error(db, rc, "register the device");
		goto done;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, spk, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, bpk, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, worker, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, wname, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, ruhu_replica_now_ms(hub));
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		error = ruhu_sql_error(db, rc, "register the device");
		goto done;
	}
	if ((error = ruhu_signers_add(db, id, spk, "device", ruhu_replica_now_ms(hub))) < 0)
		goto done;
	error = ruhu_replica_commit(hub);
done:
	sqlite3_finalize(st);
	if (error < 0)
		ruhu_replica_rollback(hub);
	return error;
}

static int no_row(int stmt, int ncols, const char *const *names, const ruhu_value *values, void *p)
{
	return 0;
}

/* The caseworker's `worker` record, saved on main when new. */
static int ensure_worker(ruhu_replica *hub, const char *worker, const char *wname, const char *device)
{
	ruhu_edit *e = NULL;
	char subject[160];
	int error = ruhu_record_get(hub, "worker", worker, no_row, NULL);

	if (error != RUHU_ENOTFOUND)
		return error;
	ruhu_error_clear();
	snprintf(subject, sizeof(subject), "enrol %s for %s", worker, device);
	if ((error = ruhu_edit_begin(&e, hub)) == 0) {
		ruhu_assign v[] = { { "id", worker }, { "name", wname }, { "role", "caseworker" } };

		if ((error = ruhu_edit_insert(e, "worker", v, 3, NULL)) == 0)
			error = ruhu_edit_commit(e, subject, NULL);
	}
	ruhu_edit_free(e);
	return error;
}

static int hub_section(ruhu_buf *out, ruhu_replica *hub)
{
	sqlite3 *db = ruhu_replica_db(hub);
	unsigned char spk[32], bpk[32];
	ruhu_buf self = RUHU_BUF_INIT, centre = RUHU_BUF_INIT, name = RUHU_BUF_INIT,
		 s64 = RUHU_BUF_INIT, b64b = RUHU_BUF_INIT;
	int error;

	if ((error = ruhu_identity_self(&self, hub)) < 0 || (error = ruhu_identity_centre(&centre, hub)) < 0 ||
	    (error = ruhu_meta_get(&name, db, "centre_name")) < 0 ||
	    (error = ruhu_identity_public(spk, bpk, hub)) < 0 ||
	    (error = b64(&s64, spk)) < 0 || (error = b64(&b64b, bpk)) < 0)
		goto done;
	{
		const char *k[] = { "hub", "centre", "centre-name", "sign-key", "box-key" };
		const char *v[] = { self.ptr, centre.ptr, name.ptr, s64.ptr, b64b.ptr };

		error = ruhu_kvdoc_write(out, HUB_MAGIC, k, v, 5, NULL);
	}
done:
	ruhu_buf_dispose(&self);
	ruhu_buf_dispose(&centre);
	ruhu_buf_dispose(&name);
	ruhu_buf_dispose(&s64);
	ruhu_buf_dispose(&b64b);
	return error;
}

static int certificate(ruhu_buf *out, ruhu_replica *hub, const ruhu_kvdoc *req, const char *worker,
		       const char *wname)
{
	ruhu_buf self = RUHU_BUF_INIT, centre = RUHU_BUF_INIT;
	ruhu_signkey *key = NULL;
	char issued[RUHU_DATETIME_SIZE];
	int error;

	if ((error = ruhu_identity_self(&self, hub)) < 0 || (error = ruhu_identity_centre(&centre, hub)) < 0 ||
	    (error = ruhu_identity_signkey(&key, hub)) < 0)
		goto done;
	now_text(issued, hub);
	{
		const char *k[] = { "centre", "hub", "device", "sign-key", "box-key", "worker",
				    "worker-name", "issued" };
		const char *v[] = { centre.ptr, self.ptr, ruhu_kvdoc_get(req, "device"),
				    ruhu_kvdoc_get(req, "sign-key"), ruhu_kvdoc_get(req, "box-key"),
				    worker, wname, issued };

		error = ruhu_kvdoc_write(out, CERT_MAGIC, k, v, 8, key);
	}
done:
	ruhu_signkey_free(key);
	ruhu_buf_dispose(&self);
	ruhu_buf_dispose(&centre);
	return error;
}

static int catalogue_text(ruhu_buf *out, ruhu_replica *hub)
{
	ruhu_catalogue *cat = NULL;
	const char *src;
	size_t len;
	int error = ruhu_catalogue_load_db(&cat, ruhu_replica_db(hub));

	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = ruhu_catalogue_load_default(&cat);
	}
	if (error == 0 && (src = ruhu_catalogue_source(cat, &len)) != NULL)
		error = ruhu_buf_put(out, src, len);
	ruhu_catalogue_free(cat);
	return error;
}

int ruhu_hub_enrol(ruhu_buf *out, ruhu_replica *hub, const void *request, size_t len,
		   const char *worker, const char *worker_name)
{
	sqlite3 *db = ruhu_replica_db(hub);
	ruhu_kvdoc req;
	unsigned char spk[32], bpk[32];
	const char *device, *schema_v;
	const ruhu_schema *schema;
	ruhu_buf hubsec = RUHU_BUF_INIT, cert = RUHU_BUF_INIT, cat = RUHU_BUF_INIT,
		 body = RUHU_BUF_INIT, env = RUHU_BUF_INIT;
	ruhu_device_rec d;
	unsigned char hpk[32];
	git_oid main;
	int error;

	memset(&req, 0, sizeof(req));
	if ((error = ruhu_hub_check(hub)) < 0 || (error = ruhu_replica_schema(&schema, hub)) < 0)
		goto done;
	if ((error = ruhu_identity_check_id(worker, "worker id")) < 0)
		goto done;
	if (worker_name == NULL || worker_name[0] == '\0') {
		error = ruhu_error_set(RUHU_EINVALID, "the caseworker needs a name (--worker-name)");
		goto done;
	}
	if ((error = ruhu_kvdoc_parse(&req, request, len, REQUEST_MAGIC, 1)) < 0 ||
	    (error = ruhu_kvdoc_need(&device, &req, "device", "enrolment request")) < 0 ||
	    (error = ruhu_identity_check_id(device, "device id")) < 0 ||
	    (error = ruhu_kvdoc_key(spk, &req, "sign-key", "enrolment request")) < 0 ||
	    (error = ruhu_kvdoc_key(bpk, &req, "box-key", "enrolment request")) < 0 ||
	    (error = ruhu_kvdoc_need(&schema_v, &req, "schema", "enrolment request")) < 0)
		goto done;
	if (ruhu_kvdoc_verify(&req, spk) < 0) {
		error = ruhu_error_set(RUHU_EAUTH, "the enrolment request of %s is not signed by its own key",
				       device);
		goto done;
	}
	if (strcmp(schema_v, ruhu_schema_version(schema))) {
		error = ruhu_error_set(RUHU_ESCHEMA, "device %s has schema %.12s, this hub has %.12s: update "
				       "ruhu on one of them", device, schema_v, ruhu_schema_version(schema));
		goto done;
	}
	if ((error = register_device(hub, device, spk, bpk, worker, worker_name)) < 0 ||
	    (error = ensure_worker(hub, worker, worker_name, device)) < 0)
		goto done;
	/* the enrolment reply carries everything: a full bundle of main;
	 * later replies start from what it carried */
	if ((error = ruhu_device_set_known_main(db, device, NULL)) < 0 ||
	    (error = hub_section(&hubsec, hub)) < 0 ||
	    (error = certificate(&cert, hub, &req, worker, worker_name)) < 0 ||
	    (error = catalogue_text(&cat, hub)) < 0)
		goto done;
	{
		const char *names[] = { "hub", "certificate", "catalogue" };
		const ruhu_buf *extra[] = { &hubsec, &cert, &cat };

		if ((error = ruhu_reply_body(&body, hub, device, names, extra, 3)) < 0)
			goto done;
	}
	if ((error = ruhu_device_lookup(&d, db, device)) < 0 ||
	    (error = ruhu_reply_seal(&env, hub, &d, RUHU_ENVELOPE_ENROL_REPLY, &body)) < 0 ||
	    (error = ruhu_identity_public(hpk, NULL, hub)) < 0 ||
	    (error = ruhu_buf_puts(out, RUHU_ENROL_REPLY_MAGIC)) < 0 ||
	    (error = ruhu_base64_encode(out, hpk, 32)) < 0 ||
	    (error = ruhu_buf_puts(out, "\n\n")) < 0 ||
	    (error = ruhu_buf_put(out, env.ptr, env.size)) < 0 ||
	    (error = ruhu_refs_get(&main, db, "refs/heads/main")) < 0 ||
	    (error = ruhu_device_set_known_main(db, device, &main)) < 0)
		goto done;
done:
	ruhu_kvdoc_dispose(&req);
	ruhu_buf_dispose(&hubsec);
	ruhu_buf_dispose(&cert);
	ruhu_buf_dispose(&cat);
	ruhu_buf_dispose_secure(&body);
	ruhu_buf_dispose(&env);
	return error;
}
