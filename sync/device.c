/*
 * device.c — the tablet's side of sync: join the hub, push saves, pull
 * replies (docs/sync.md §4 and §5; enrolment formats in enrol.c).
 *
 * Design notes
 *  1. Everything that arrives is checked before anything is kept: the
 *     envelope is from the tablet's own hub (its key from the enrolment),
 *     addressed to this tablet, intact; then the objects go into the store
 *     and the rebase runs, all in one transaction.
 *  2. A push carries every save the hub has not acknowledged (everything
 *     not reachable from the main the tablet has), so a bundle lost on the
 *     way is simply superseded by the next one.
 *  3. The hub's identity is kept in `_meta`: hub (id), hub_sign_key,
 *     hub_box_key (base64), centre, centre_name, certificate.
 */
#include <string.h>

#include "core/identity.h"
#include "core/meta.h"
#include "core/refs.h"
#include "schema/schema_db.h"
#include "sync/hub.h"
#include "sync/kvdoc.h"
#include "sync/sync_int.h"


static int meta_key(unsigned char out[32], sqlite3 *db, const char *name)
{
	ruhu_buf v = RUHU_BUF_INIT, raw = RUHU_BUF_INIT;
	int error = ruhu_meta_get(&v, db, name);

	if (error == 0 && (error = ruhu_base64_decode(&raw, v.ptr, v.size, NULL)) != RUHU_ENOMEM &&
	    (error < 0 || raw.size != 32))
		error = ruhu_error_set(RUHU_ECORRUPT, "the hub key kept in this tablet is damaged");
	if (error == 0)
		memcpy(out, raw.ptr, 32);
	ruhu_buf_dispose(&v);
	ruhu_buf_dispose(&raw);
	return error;
}

/* Check and open an envelope from the hub (design note 1). */
static int open_envelope(ruhu_buf *body, ruhu_replica *r, const void *data, size_t len,
			 unsigned int kind, const unsigned char hub_pk[32], const char *hub_id)
{
	ruhu_envelope env;
	ruhu_boxkey *box = NULL;
	ruhu_buf self = RUHU_BUF_INIT;
	int error;

	if ((error = ruhu_envelope_parse(&env, data, len)) < 0 ||
	    (error = ruhu_identity_self(&self, r)) < 0)
		goto done;
	if (env.kind != kind) {
		error = ruhu_error_set(RUHU_EINVALID, "the file is a %s, not a %s",
				       ruhu_envelope_kind_name(env.kind), ruhu_envelope_kind_name(kind));
		goto done;
	}
	if (strcmp(env.recipient, self.ptr)) {
		error = ruhu_error_set(RUHU_EINVALID, "the file is addressed to %s, not to %s",
				       env.recipient, self.ptr);
		goto done;
	}
	if (hub_id && strcmp(env.sender, hub_id)) {
		error = ruhu_error_set(RUHU_EAUTH, "the file comes from %s, but this tablet's hub is %s",
				       env.sender, hub_id);
		goto done;
	}
	if ((error = ruhu_identity_boxkey(&box, r)) < 0 ||
	    (error = ruhu_envelope_open(body, &env, hub_pk, box)) < 0)
		goto done;
done:
	ruhu_boxkey_free(box);
	ruhu_buf_dispose(&self);
	return error;
}

/* Store the bundle's objects and rebase on its main; in a transaction the
 * caller opened. */
static int take_main(ruhu_pull_report *out, ruhu_replica *r, const unsigned char *data, size_t len)
{
	git_repository *repo;
	ruhu_bundle *b = NULL;
	git_oid main;
	int error;

	if (data == NULL)
		return ruhu_error_set(RUHU_ECORRUPT, "the reply holds no bundle");
	if ((error = ruhu_replica_repo(&repo, r)) < 0 ||
	    (error = ruhu_bundle_parse(&b, data, len)) < 0 ||
	    (error = ruhu_bundle_ref_lookup(&main, b, "refs/heads/main")) < 0)
		goto done;
	if ((error = ruhu_bundle_ingest(NULL, repo, b, NULL)) == RUHU_EWAITING)
		error = ruhu_error_set(RUHU_EWAITING, "this reply follows one the tablet has not pulled: "
				       "%s (pull the earlier reply first)", ruhu_error_last());
	if (error < 0)
		goto done;
	error = ruhu_pull_apply(out, r, &main);
done:
	ruhu_bundle_free(b);
	return error;
}

int ruhu_join(ruhu_pull_report *out, char hub_keyid[17], ruhu_replica *device,
	      const void *reply, size_t len)
{
	sqlite3 *db = ruhu_replica_db(device);
	const char *p = reply, *nl;
	size_t mlen = strlen(RUHU_ENROL_REPLY_MAGIC), n;
	unsigned char hpk[32], spk[32], bpk[32], cspk[32], cbpk[32];
	ruhu_buf raw = RUHU_BUF_INIT, body = RUHU_BUF_INIT, joined = RUHU_BUF_INIT, self = RUHU_BUF_INIT;
	ruhu_body sec;
	ruhu_kvdoc hub, cert;
	ruhu_catalogue *cat = NULL;
	const unsigned char *s;
	const char *hub_id, *centre, *cname, *worker, *wname;
	int error, began = 0;

	memset(out, 0, sizeof(*out));
	memset(&hub, 0, sizeof(hub));
	memset(&cert, 0, sizeof(cert));
	if ((error = ruhu_device_check(device, 0)) < 0)
		goto done;
	if ((error = ruhu_meta_get(&joined, db, "hub")) == 0) {
		error = ruhu_error_set(RUHU_EEXISTS, "this tablet has already joined %s", joined.ptr);
		goto done;
	}
	ruhu_error_clear();
	if (len < mlen + 4 || memcmp(p, RUHU_ENROL_REPLY_MAGIC, mlen) ||
	    (nl = memchr(p + mlen, '\n', len - mlen)) == NULL || (size_t)(nl - p) + 2 > len || nl[1] != '\n' ||
	    ruhu_base64_decode(&raw, p + mlen, (size_t)(nl - p) - mlen, NULL) < 0 || raw.size != 32) {
		error = ruhu_error_set(RUHU_EINVALID, "the file is not a hub's enrolment reply");
		goto done;
	}
	memcpy(hpk, raw.ptr, 32);
	ruhu_keyid(hub_keyid, hpk);
	if ((error = open_envelope(&body, device, nl + 2, len - (size_t)(nl + 2 - p),
				   RUHU_ENVELOPE_ENROL_REPLY, hpk, NULL)) < 0 ||
	    (error = ruhu_body_parse(&sec, body.ptr, body.size)) < 0)
		goto done;
	/* the hub's identity and the certificate must agree with the envelope
	 * and with this tablet's own keys */
	if ((s = ruhu_body_section(&sec, "hub", &n)) == NULL ||
	    (error = ruhu_kvdoc_parse(&hub, s, n, "ruhu hub 1", 0)) < 0 ||
	    (error = ruhu_kvdoc_need(&hub_id, &hub, "hub", "hub identity")) < 0 ||
	    (error = ruhu_kvdoc_need(&centre, &hub, "centre", "hub identity")) < 0 ||
	    (error = ruhu_kvdoc_need(&cname, &hub, "centre-name", "hub identity")) < 0 ||
	    (error = ruhu_kvdoc_key(spk, &hub, "sign-key", "hub identity")) < 0 ||
	    (error = ruhu_kvdoc_key(bpk, &hub, "box-key", "hub identity")) < 0) {
		if (error == 0)
			error = ruhu_error_set(RUHU_ECORRUPT, "the enrolment reply has no hub identity");
		goto done;
	}
	if (memcmp(spk, hpk, 32)) {
		error = ruhu_error_set(RUHU_EAUTH, "the enrolment reply names another key than it is signed with");
		goto done;
	}
	if ((s = ruhu_body_section(&sec, "certificate", &n)) == NULL ||
	    (error = ruhu_kvdoc_parse(&cert, s, n, "ruhu device certificate 1", 1)) < 0 ||
	    (error = ruhu_kvdoc_verify(&cert, hpk)) < 0 ||
	    (error = ruhu_kvdoc_key(cspk, &cert, "sign-key", "certificate")) < 0 ||
	    (error = ruhu_kvdoc_key(cbpk, &cert, "box-key", "certificate")) < 0 ||
	    (error = ruhu_kvdoc_need(&worker, &cert, "worker", "certificate")) < 0 ||
	    (error = ruhu_kvdoc_need(&wname, &cert, "worker-name", "certificate")) < 0 ||
	    (error = ruhu_identity_public(spk, bpk, device)) < 0 ||
	    (error = ruhu_identity_self(&self, device)) < 0) {
		if (error == 0)
			error = ruhu_error_set(RUHU_ECORRUPT, "the enrolment reply has no certificate");
		goto done;
	}
	if (memcmp(cspk, spk, 32) || memcmp(cbpk, bpk, 32) ||
	    strcmp(ruhu_kvdoc_get(&cert, "device") ? ruhu_kvdoc_get(&cert, "device") : "", self.ptr)) {
		error = ruhu_error_set(RUHU_EAUTH, "the certificate in the enrolment reply is for another tablet");
		goto done;
	}
	if ((s = ruhu_body_section(&sec, "catalogue", &n)) != NULL &&
	    (error = ruhu_catalogue_load_buffer(&cat, "catalogue from the hub", s, n)) < 0)
		goto done;

	if ((error = ruhu_replica_begin(device)) < 0)
		goto done;
	began = 1;
	if ((error = ruhu_meta_set(db, "hub", hub_id)) < 0 ||
	    (error = ruhu_meta_set(db, "centre", centre)) < 0 ||
	    (error = ruhu_meta_set(db, "centre_name", cname)) < 0)
		goto done;
	ruhu_buf_clear(&raw);
	if ((error = ruhu_base64_encode(&raw, hpk, 32)) < 0 ||
	    (error = ruhu_meta_set(db, "hub_sign_key", raw.ptr)) < 0)
		goto done;
	ruhu_buf_clear(&raw);
	if ((error = ruhu_kvdoc_key(bpk, &hub, "box-key", "hub identity")) < 0 ||
	    (error = ruhu_base64_encode(&raw, bpk, 32)) < 0 ||
	    (error = ruhu_meta_set(db, "hub_box_key", raw.ptr)) < 0 ||
	    (error = ruhu_meta_set(db, "worker", worker)) < 0 ||
	    (error = ruhu_meta_set(db, "worker_name", wname)) < 0 ||
	    (error = ruhu_signers_add(db, hub_id, hpk, "hub", ruhu_replica_now_ms(device))) < 0 ||
	    (cat && (error = ruhu_catalogue_store(db, cat)) < 0))
		goto done;
	ruhu_buf_clear(&raw);
	if ((error = ruhu_buf_put(&raw, ruhu_body_section(&sec, "certificate", &n), n)) < 0 ||
	    (error = ruhu_meta_set(db, "certificate", raw.ptr)) < 0)
		goto done;
	if ((s = ruhu_body_section(&sec, "signers", &n)) != NULL &&
	    (error = ruhu_signers_apply(db, s, n, self.ptr)) < 0)
		goto done;
	s = ruhu_body_section(&sec, "bundle", &n);
	if ((error = take_main(out, device, s, n)) < 0 || (error = ruhu_replica_commit(device)) < 0)
		goto done;
	began = 0;
done:
	if (began) {
		ruhu_replica_rollback(device);
		ruhu_replica_repo_reset(device);
	}
	ruhu_kvdoc_dispose(&hub);
	ruhu_kvdoc_dispose(&cert);
	ruhu_catalogue_free(cat);
	ruhu_buf_dispose(&raw);
	ruhu_buf_dispose_secure(&body);
	ruhu_buf_dispose(&joined);
	ruhu_buf_dispose(&self);
	return error;
}

int ruhu_pull(ruhu_pull_report *out, ruhu_replica *device, const void *reply, size_t len)
{
	sqlite3 *db = ruhu_replica_db(device);
	unsigned char hpk[32];
	ruhu_buf hub = RUHU_BUF_INIT, body = RUHU_BUF_INIT, self = RUHU_BUF_INIT;
	ruhu_body sec;
	const unsigned char *s;
	size_t n;
	int error, began = 0;

	memset(out, 0, sizeof(*out));
	if ((error = ruhu_device_check(device, 1)) < 0 ||
	    (error = ruhu_meta_get(&hub, db, "hub")) < 0 ||
	    (error = meta_key(hpk, db, "hub_sign_key")) < 0 ||
	    (error = ruhu_identity_self(&self, device)) < 0 ||
	    (error = open_envelope(&body, device, reply, len, RUHU_ENVELOPE_HUB_REPLY, hpk, hub.ptr)) < 0 ||
	    (error = ruhu_body_parse(&sec, body.ptr, body.size)) < 0)
		goto done;
	if ((error = ruhu_replica_begin(device)) < 0)
		goto done;
	began = 1;
	if ((s = ruhu_body_section(&sec, "signers", &n)) != NULL &&
	    (error = ruhu_signers_apply(db, s, n, self.ptr)) < 0)
		goto done;
	s = ruhu_body_section(&sec, "bundle", &n);
	if ((error = take_main(out, device, s, n)) < 0 || (error = ruhu_replica_commit(device)) < 0)
		goto done;
	began = 0;
done:
	if (began) {
		ruhu_replica_rollback(device);
		ruhu_replica_repo_reset(device);
	}
	ruhu_buf_dispose(&hub);
	ruhu_buf_dispose(&self);
	ruhu_buf_dispose_secure(&body);
	return error;
}

int ruhu_push(ruhu_buf *out, size_t *ncommits, ruhu_replica *device)
{
	sqlite3 *db = ruhu_replica_db(device);
	git_repository *repo;
	ruhu_buf self = RUHU_BUF_INIT, hub = RUHU_BUF_INIT, refname = RUHU_BUF_INIT,
		 bundle = RUHU_BUF_INIT;
	ruhu_bundle_ref refs[2];
	ruhu_envelope_opts eo = RUHU_ENVELOPE_OPTS_INIT;
	unsigned char hbk[32];
	ruhu_signkey *key = NULL;
	git_oid known;
	size_t nrefs = 0;
	int64_t pending = 0;
	int error;

	if (ncommits)
		*ncommits = 0;
	if ((error = ruhu_device_check(device, 1)) < 0 ||
	    (error = ruhu_replica_repo(&repo, device)) < 0 ||
	    (error = ruhu_identity_self(&self, device)) < 0 ||
	    (error = ruhu_meta_get(&hub, db, "hub")) < 0 ||
	    (error = meta_key(hbk, db, "hub_box_key")) < 0 ||
	    (error = ruhu_refs_get(&known, db, "refs/remotes/hub/main")) < 0 ||
	    (error = ruhu_buf_printf(&refname, "refs/devices/%s", self.ptr)) < 0)
		goto done;
	if ((error = ruhu_refs_get(&refs[0].oid, db, "refs/heads/device")) == 0) {
		refs[0].name = refname.ptr;
		nrefs++;
	} else if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
	} else {
		goto done;
	}
	refs[nrefs].name = "refs/remotes/hub/main";
	refs[nrefs].oid = known;
	nrefs++;
	if ((error = ruhu_bundle_create(&bundle, repo, refs, nrefs, &known, 1)) < 0 ||
	    (error = ruhu_meta_int_or(&pending, db, "seq", 0)) < 0)
		goto done;
	{
		sqlite3_stmt *st = NULL;

		if (sqlite3_prepare_v2(db, "SELECT count(*) FROM _pending", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW && ncommits)
			*ncommits = (size_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if ((error = ruhu_identity_signkey(&key, device)) < 0)
		goto done;
	eo.kind = RUHU_ENVELOPE_DEVICE_BUNDLE;
	eo.sender = self.ptr;
	eo.recipient = hub.ptr;
	eo.recipient_key = hbk;
	eo.created = ruhu_replica_now_ms(device) / 1000;
	error = ruhu_envelope_seal(out, &eo, key, bundle.ptr, bundle.size);
done:
	ruhu_signkey_free(key);
	ruhu_buf_dispose(&self);
	ruhu_buf_dispose(&hub);
	ruhu_buf_dispose(&refname);
	ruhu_buf_dispose_secure(&bundle);
	return error;
}
