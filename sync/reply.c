/*
 * reply.c — what the hub sends a tablet: the keys it knows and a bundle of
 * main that leaves out what the tablet already has (docs/sync.md §4).
 *
 * Design notes
 *  1. "What the tablet has" is the main it last reported (the
 *     refs/remotes/hub/main of its newest bundle, or the main it was enrolled
 *     at) and its own newest commit: both are left out of the pack, and the
 *     first becomes the bundle's prerequisite.
 *  2. A reply with nothing new still carries the signers and a bundle of
 *     refs/heads/main alone, so a pull of it is a quick no-op.
 */
#include <string.h>

#include "core/identity.h"
#include "core/meta.h"
#include "core/refs.h"
#include "sync/hub.h"
#include "sync/sync_int.h"

int ruhu_reply_body(ruhu_buf *out, ruhu_replica *hub, const char *device,
		    const char *const *names, const ruhu_buf *const *extra, size_t nextra)
{
	sqlite3 *db = ruhu_replica_db(hub);
	git_repository *repo;
	ruhu_device_rec d;
	ruhu_buf signers = RUHU_BUF_INIT, bundle = RUHU_BUF_INIT;
	const char *all[RUHU_BODY_MAX_SECTIONS];
	size_t lens[RUHU_BODY_MAX_SECTIONS], n = 0;
	ruhu_bundle_ref ref = { "refs/heads/main", { { 0 } } };
	git_oid have[2];
	size_t nhave = 0;
	int error;

	if (nextra + 2 > RUHU_BODY_MAX_SECTIONS)
		return ruhu_error_set(RUHU_EINVALID, "too many sections for a reply");
	if ((error = ruhu_replica_repo(&repo, hub)) < 0 ||
	    (error = ruhu_device_lookup(&d, db, device)) < 0 ||
	    (error = ruhu_refs_get(&ref.oid, db, "refs/heads/main")) < 0 ||
	    (error = ruhu_signers_section(&signers, db)) < 0)
		goto done;
	if (d.has_known_main && (error = ruhu_object_exists(repo, &d.known_main)) != 0) {
		if (error < 0)
			goto done;
		have[nhave++] = d.known_main;
	}
	if (d.has_tip && (error = ruhu_object_exists(repo, &d.tip)) != 0) {
		if (error < 0)
			goto done;
		have[nhave++] = d.tip;
	}
	if ((error = ruhu_bundle_create(&bundle, repo, &ref, 1, have, nhave)) < 0)
		goto done;
	for (size_t i = 0; i < nextra; i++) {
		all[n] = names[i];
		lens[n++] = extra[i]->size;
	}
	all[n] = "signers";
	lens[n++] = signers.size;
	all[n] = "bundle";
	lens[n++] = bundle.size;
	if ((error = ruhu_body_header(out, all, lens, n)) < 0)
		goto done;
	for (size_t i = 0; i < nextra; i++)
		if ((error = ruhu_buf_put(out, extra[i]->ptr, extra[i]->size)) < 0)
			goto done;
	if ((error = ruhu_buf_put(out, signers.ptr, signers.size)) < 0 ||
	    (error = ruhu_buf_put(out, bundle.ptr, bundle.size)) < 0)
		goto done;
done:
	ruhu_buf_dispose(&signers);
	ruhu_buf_dispose(&bundle);
	return error;
}

/* Seal a body for a device. */
int ruhu_reply_seal(ruhu_buf *out, ruhu_replica *hub, const void *device_rec, unsigned int kind,
		    const ruhu_buf *body)
{
	const ruhu_device_rec *d = device_rec;
	ruhu_envelope_opts eo = RUHU_ENVELOPE_OPTS_INIT;
	ruhu_signkey *key = NULL;
	ruhu_buf self = RUHU_BUF_INIT;
	int error;

	if ((error = ruhu_identity_self(&self, hub)) < 0 || (error = ruhu_identity_signkey(&key, hub)) < 0)
		goto done;
	eo.kind = kind;
	eo.sender = self.ptr;
	eo.recipient = d->id;
	eo.recipient_key = d->box_key;
	eo.created = ruhu_replica_now_ms(hub) / 1000;
	error = ruhu_envelope_seal(out, &eo, key, body->ptr, body->size);
done:
	ruhu_signkey_free(key);
	ruhu_buf_dispose(&self);
	return error;
}

int ruhu_hub_reply(ruhu_buf *out, ruhu_replica *hub, const char *device)
{
	ruhu_device_rec d;
	ruhu_buf body = RUHU_BUF_INIT;
	int error;

	if ((error = ruhu_hub_check(hub)) < 0 ||
	    (error = ruhu_device_lookup(&d, ruhu_replica_db(hub), device)) < 0)
		goto done;
	if (d.revoked_ms) {
		error = ruhu_error_set(RUHU_EREVOKED, "device %s is revoked (%s): it gets no reply",
				       device, d.reason);
		goto done;
	}
	if ((error = ruhu_reply_body(&body, hub, device, NULL, NULL, 0)) < 0 ||
	    (error = ruhu_reply_seal(out, hub, &d, RUHU_ENVELOPE_HUB_REPLY, &body)) < 0)
		goto done;
done:
	ruhu_buf_dispose_secure(&body);
	return error;
}
