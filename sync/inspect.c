/*
 * inspect.c — look inside a bundle file addressed to this replica: verify
 * it, list it, open it to a plain git bundle (`ruhu bundle verify|list|open`).
 *
 * Design notes
 *  1. A file is read as its recipient reads it, with the same checks and
 *     messages as ingest (sync/ingest.c) and pull (sync/device.c): the
 *     envelope's kind must be one this replica takes (a hub takes tablets'
 *     bundles; a tablet takes replies and enrolment replies), it must be
 *     addressed to this replica, its signature must verify with the
 *     sender's key, and its body must decrypt.  Nothing is written to the
 *     replica: inspection reads only.
 *  2. The sender's key: on a hub, the enrolled device's (`_devices`); on a
 *     tablet, its hub's (`_meta` hub_sign_key).  An enrolment reply read by
 *     a tablet that has not joined yet is verified with the key the file
 *     names (enrol.c, design note 2: trust on first use), and the report
 *     says so (`key_from_file`) with the key id to compare.
 *  3. The git bundle inside is parsed by the strict parser (sync/bundle.h)
 *     and its pack by ruhu_pack_parse, which checks every object; the
 *     commits go into a small in-memory object store (inspect_commits.c),
 *     never into the replica.  Trees and blobs are not kept.
 *  4. Every commit's signature is checked against the keys of the replica
 *     it names (Ruhu-Device): the replica's `_signers`, the sender's key,
 *     and for replies the `signers` section the hub sent inside the signed
 *     envelope (signers.c has its format).  A signer with no key known
 *     anywhere is "unverified", not bad.
 *  5. Commits are given parents first (an iterative depth-first walk over
 *     the commits of the pack, started in commit-time order), so a listing
 *     reads as history does, oldest first.
 *  6. `open` hands the plain bundle to the caller: personal data in clear,
 *     in memory only.  Writing it is the caller's explicit export.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/meta.h"
#include "sync/hub.h"
#include "sync/inspect_int.h"
#include "sync/kvdoc.h"

#define ENROL_REPLY_MAGIC "ruhu enrolment reply 1\nhub-key: "
#define ENROL_REQUEST_MAGIC "ruhu enrolment request 1"

int ruhu_replica_keyid(char out[17], ruhu_replica *r)
{
	unsigned char pk[32];
	int error;

	out[0] = '\0';
	if ((error = ruhu_identity_public(pk, NULL, r)) < 0)
		return error;
	ruhu_keyid(out, pk);
	return 0;
}

static int signer_add(struct signers *s, const char *id, size_t idlen, const unsigned char key[32],
		      int64_t revoked_ms)
{
	if (idlen >= RUHU_ID_SIZE)
		return ruhu_error_set(RUHU_ECORRUPT, "a signer id of the reply is too long");
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct signer *v = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return ruhu_error_oom();
		s->v = v;
		s->cap = cap;
	}
	memcpy(s->v[s->n].id, id, idlen);
	s->v[s->n].id[idlen] = '\0';
	memcpy(s->v[s->n].key, key, 32);
	s->v[s->n].revoked_ms = revoked_ms;
	s->n++;
	return 0;
}

static int signer_from_db(const ruhu_signer *s, void *payload)
{
	return signer_add(payload, s->id, strlen(s->id), s->key, s->revoked_ms);
}

/* The `signers` section of a reply: ID ROLE BASE64-KEY ADDED-MS REVOKED-MS
 * per line (signers.c); authenticated by the envelope, still checked. */
static int signers_from_section(struct signers *s, const unsigned char *data, size_t len)
{
	const char *p = (const char *)data, *end = p + len;
	ruhu_buf key = RUHU_BUF_INIT;
	size_t lines = 0;
	int error = 0;

	while (p < end && error == 0) {
		const char *f[5], *nl = memchr(p, '\n', (size_t)(end - p)), *q = p;
		size_t n[5];
		int64_t revoked = 0;

		if (nl == NULL || ++lines > 100000) {
			error = ruhu_error_set(RUHU_ECORRUPT, "the signers of the reply are malformed");
			break;
		}
		for (int i = 0; i < 5; i++) {
			const char *sp = q;

			while (sp < nl && *sp != ' ')
				sp++;
			if (sp == q || (i < 4 && sp == nl) || (i == 4 && sp != nl)) {
				error = ruhu_error_set(RUHU_ECORRUPT, "signer line %zu of the reply is "
						       "malformed", lines);
				goto done;
			}
			f[i] = q;
			n[i] = (size_t)(sp - q);
			q = sp + 1;
		}
		if (n[4] > 15) {
			error = ruhu_error_set(RUHU_ECORRUPT, "signer line %zu of the reply is malformed", lines);
			break;
		}
		for (size_t i = 0; i < n[4]; i++) {
			if (f[4][i] < '0' || f[4][i] > '9') {
				error = ruhu_error_set(RUHU_ECORRUPT, "signer line %zu of the reply is "
						       "malformed", lines);
				goto done;
			}
			revoked = revoked * 10 + (f[4][i] - '0');
		}
		ruhu_buf_clear(&key);
		if (ruhu_base64_decode(&key, f[2], n[2], NULL) < 0 || key.size != 32) {
			error = ruhu_error_set(RUHU_ECORRUPT, "signer line %zu of the reply is malformed", lines);
			break;
		}
		error = signer_add(s, f[0], n[0], (const unsigned char *)key.ptr, revoked);
		p = nl + 1;
	}
done:
	ruhu_buf_dispose(&key);
	return error;
}

int ruhu_enrol_request_inspect(char device[RUHU_ID_SIZE], char keyid[17], const void *request,
			       size_t len)
{
	ruhu_kvdoc req;
	unsigned char key[32];
	const char *id;
	int error;

	device[0] = keyid[0] = '\0';
	memset(&req, 0, sizeof(req));
	if (len < strlen(ENROL_REQUEST_MAGIC) || memcmp(request, ENROL_REQUEST_MAGIC,
							strlen(ENROL_REQUEST_MAGIC))) {
		error = ruhu_error_set(RUHU_EINVALID, "the file is not a tablet's enrolment request");
		goto done;
	}
	if ((error = ruhu_kvdoc_parse(&req, request, len, ENROL_REQUEST_MAGIC, 1)) < 0 ||
	    (error = ruhu_kvdoc_need(&id, &req, "device", "enrolment request")) < 0 ||
	    (error = ruhu_identity_check_id(id, "device id")) < 0 ||
	    (error = ruhu_kvdoc_key(key, &req, "sign-key", "enrolment request")) < 0)
		goto done;
	if (ruhu_kvdoc_verify(&req, key) < 0) {
		error = ruhu_error_set(RUHU_EAUTH, "the enrolment request of %s is not signed by its own "
				       "key", id);
		goto done;
	}
	snprintf(device, RUHU_ID_SIZE, "%s", id);
	ruhu_keyid(keyid, key);
done:
	ruhu_kvdoc_dispose(&req);
	return error;
}

/* What the envelope held, once opened (design notes 1 and 2). */
struct opened {
	ruhu_buf body;               /* the decrypted body: personal data */
	const unsigned char *bundle; /* the git bundle inside body */
	size_t bundle_len;
	struct signers signers;
};

static void opened_dispose(struct opened *o)
{
	ruhu_buf_dispose_secure(&o->body);
	free(o->signers.v);
	memset(o, 0, sizeof(*o));
}

static int meta_key(unsigned char out[32], sqlite3 *db, const char *name)
{
	ruhu_buf v = RUHU_BUF_INIT, raw = RUHU_BUF_INIT;
	int error = ruhu_meta_get(&v, db, name);

	if (error == 0 && (ruhu_base64_decode(&raw, v.ptr, v.size, NULL) < 0 || raw.size != 32))
		error = ruhu_error_set(RUHU_ECORRUPT, "the hub key kept in this tablet is damaged");
	if (error == 0)
		memcpy(out, raw.ptr, 32);
	ruhu_buf_dispose(&v);
	ruhu_buf_dispose(&raw);
	return error;
}

/* The clear prefix of an enrolment reply: the key it names, and where the
 * envelope starts.  0 and *env_at 0 when the file has no such prefix. */
static int enrol_prefix(unsigned char key[32], size_t *env_at, const char *p, size_t len)
{
	size_t mlen = strlen(ENROL_REPLY_MAGIC);
	ruhu_buf raw = RUHU_BUF_INIT;
	const char *nl;
	int error = 0;

	*env_at = 0;
	if (len < mlen || memcmp(p, ENROL_REPLY_MAGIC, mlen))
		return 0;
	if ((nl = memchr(p + mlen, '\n', len - mlen)) == NULL || (size_t)(nl - p) + 2 > len ||
	    nl[1] != '\n' || ruhu_base64_decode(&raw, p + mlen, (size_t)(nl - p) - mlen, NULL) < 0 ||
	    raw.size != 32) {
		error = ruhu_error_set(RUHU_ECORRUPT, "the enrolment reply's header is damaged");
		goto done;
	}
	memcpy(key, raw.ptr, 32);
	*env_at = (size_t)(nl + 2 - p);
done:
	ruhu_buf_dispose(&raw);
	return error;
}

/* The sender's key on a hub (design note 2). */
static int hub_sender(unsigned char key[32], ruhu_bundle_info *info, sqlite3 *db,
		      const ruhu_envelope *env)
{
	ruhu_device_rec d;
	int error;

	if ((error = ruhu_device_lookup(&d, db, env->sender)) == RUHU_ENOTFOUND)
		return ruhu_error_set(RUHU_EAUTH, "the bundle comes from %s, a device this hub has not "
				      "enrolled", env->sender);
	if (error < 0)
		return error;
	memcpy(key, d.sign_key, 32);
	info->sender_revoked = d.revoked_ms != 0;
	return 0;
}

/* The sender's key on a tablet (design note 2). */
static int device_sender(unsigned char key[32], ruhu_bundle_info *info, sqlite3 *db,
			 const ruhu_envelope *env, int has_prefix, const unsigned char file_key[32])
{
	ruhu_buf hub = RUHU_BUF_INIT;
	int error = ruhu_meta_get(&hub, db, "hub"), joined = error == 0;

	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
	}
	if (error < 0)
		goto done;
	if (env->kind == RUHU_ENVELOPE_ENROL_REPLY && !has_prefix) {
		error = ruhu_error_set(RUHU_ECORRUPT, "the enrolment reply has lost its header");
		goto done;
	}
	if (!joined && env->kind == RUHU_ENVELOPE_HUB_REPLY) {
		error = ruhu_error_set(RUHU_EINVALID, "this tablet has not joined a hub: it cannot check "
				       "a hub's reply");
		goto done;
	}
	if (!joined) {
		memcpy(key, file_key, 32);
		info->key_from_file = 1;
		goto done;
	}
	if (strcmp(env->sender, hub.ptr)) {
		error = ruhu_error_set(RUHU_EAUTH, "the file comes from %s, but this tablet's hub is %s",
				       env->sender, hub.ptr);
		goto done;
	}
	if ((error = meta_key(key, db, "hub_sign_key")) < 0)
		goto done;
	if (has_prefix && memcmp(key, file_key, 32))
		error = ruhu_error_set(RUHU_EAUTH, "the enrolment reply names another key than this "
				       "tablet's hub %s has", hub.ptr);
done:
	ruhu_buf_dispose(&hub);
	return error;
}

/* Design notes 1 and 2: check and decrypt; find the git bundle inside. */
static int open_file(struct opened *o, ruhu_bundle_info *info, ruhu_replica *r, const void *data,
		     size_t len)
{
	sqlite3 *db = ruhu_replica_db(r);
	ruhu_buf role = RUHU_BUF_INIT, self = RUHU_BUF_INIT;
	unsigned char file_key[32], key[32];
	ruhu_boxkey *box = NULL;
	ruhu_envelope env;
	ruhu_body sec;
	size_t at = 0;
	int error, is_hub;

	memset(o, 0, sizeof(*o));
	memset(info, 0, sizeof(*info));
	if (len >= strlen(ENROL_REQUEST_MAGIC) && !memcmp(data, ENROL_REQUEST_MAGIC, strlen(ENROL_REQUEST_MAGIC)))
		return ruhu_error_set(RUHU_EINVALID, "the file is a tablet's enrolment request, not a bundle "
				      "(the hub takes it with 'ruhu hub enrol')");
	if ((error = enrol_prefix(file_key, &at, data, len)) < 0 ||
	    (error = ruhu_envelope_parse(&env, (const char *)data + at, len - at)) < 0 ||
	    (error = ruhu_meta_get(&role, db, "role")) < 0 ||
	    (error = ruhu_identity_self(&self, r)) < 0)
		goto done;
	is_hub = !strcmp(role.ptr, "hub");
	snprintf(info->kind, sizeof(info->kind), "%s", ruhu_envelope_kind_name(env.kind));
	snprintf(info->sender, sizeof(info->sender), "%s", env.sender);
	snprintf(info->recipient, sizeof(info->recipient), "%s", env.recipient);
	info->created = env.created;
	if (at && env.kind != RUHU_ENVELOPE_ENROL_REPLY) {
		error = ruhu_error_set(RUHU_ECORRUPT, "the file has an enrolment reply's header but holds "
				       "a %s", ruhu_envelope_kind_name(env.kind));
		goto done;
	}
	if (is_hub && env.kind != RUHU_ENVELOPE_DEVICE_BUNDLE) {
		error = ruhu_error_set(RUHU_EINVALID, "the file is %s %s, which a hub does not take (it is "
				       "for a tablet)", strchr("aeiou", info->kind[0]) ? "an" : "a", info->kind);
		goto done;
	}
	if (!is_hub && env.kind != RUHU_ENVELOPE_HUB_REPLY && env.kind != RUHU_ENVELOPE_ENROL_REPLY) {
		error = ruhu_error_set(RUHU_EINVALID, "the file is %s %s, which a tablet does not take (it "
				       "is for a hub)", strchr("aeiou", info->kind[0]) ? "an" : "a", info->kind);
		goto done;
	}
	if (strcmp(env.recipient, self.ptr)) {
		error = ruhu_error_set(RUHU_EINVALID, "the file is addressed to %s, not to this replica (%s)",
				       env.recipient, self.ptr);
		goto done;
	}
	if ((error = is_hub ? hub_sender(key, info, db, &env)
			    : device_sender(key, info, db, &env, at != 0, file_key)) < 0)
		goto done;
	ruhu_keyid(info->sender_keyid, key);
	if ((error = ruhu_identity_boxkey(&box, r)) < 0)
		goto done;
	if ((error = ruhu_envelope_open(&o->body, &env, key, box)) == RUHU_EAUTH) {
		error = ruhu_error_set(RUHU_EAUTH, "the %s from %s does not verify: %s", info->kind,
				       env.sender, ruhu_error_last());
		goto done;
	}
	if (error < 0)
		goto done;
	if ((error = signer_add(&o->signers, env.sender, strlen(env.sender), key, 0)) < 0 ||
	    (error = ruhu_signers_foreach(db, NULL, signer_from_db, &o->signers)) < 0)
		goto done;
	if (env.kind == RUHU_ENVELOPE_DEVICE_BUNDLE) {
		o->bundle = (const unsigned char *)o->body.ptr;
		o->bundle_len = o->body.size;
	} else {
		const unsigned char *s;
		size_t n;

		if ((error = ruhu_body_parse(&sec, o->body.ptr, o->body.size)) < 0)
			goto done;
		if ((s = ruhu_body_section(&sec, "signers", &n)) != NULL &&
		    (error = signers_from_section(&o->signers, s, n)) < 0)
			goto done;
		if ((o->bundle = ruhu_body_section(&sec, "bundle", &o->bundle_len)) == NULL) {
			error = ruhu_error_set(RUHU_ECORRUPT, "the %s holds no bundle", info->kind);
			goto done;
		}
	}
	info->bytes = o->bundle_len;
done:
	ruhu_boxkey_free(box);
	ruhu_buf_dispose(&role);
	ruhu_buf_dispose(&self);
	if (error < 0)
		opened_dispose(o);
	return error;
}

/* ------------------------------------------------------------------ */
/* The API                                                              */
/* ------------------------------------------------------------------ */

static int inspect(ruhu_bundle_info *out, ruhu_buf *plain, ruhu_replica *r, const void *data,
		   size_t len, ruhu_bundle_entry_cb cb, void *payload)
{
	struct opened o;
	struct commits c;
	ruhu_bundle *b = NULL;
	git_repository *repo;
	ruhu_bundle_entry e;
	int error;

	memset(&c, 0, sizeof(c));
	if ((error = open_file(&o, out, r, data, len)) < 0)
		return error;
	if ((error = ruhu_replica_repo(&repo, r)) < 0 ||
	    (error = ruhu_bundle_parse(&b, o.bundle, o.bundle_len)) < 0 ||
	    (error = inspect_load_commits(&c, b)) < 0)
		goto done;
	out->objects = c.objects;
	out->ncommits = c.n;
	out->nrefs = ruhu_bundle_ref_count(b);
	out->nprereqs = ruhu_bundle_prereq_count(b);
	for (size_t i = 0; i < out->nrefs && error == 0; i++) {
		const ruhu_bundle_ref *ref = ruhu_bundle_ref_at(b, i);
		int here = 0;

		for (size_t k = 0; k < c.n && !here; k++)
			here = !git_oid_cmp(&c.ids[k], &ref->oid);
		if (!here && (error = ruhu_object_exists(repo, &ref->oid)) < 0)
			break;
		if (!here && !error)
			out->missing++;
		error = 0;
		memset(&e, 0, sizeof(e));
		e.what = RUHU_BUNDLE_ENTRY_REF;
		git_oid_tostr(e.id, sizeof(e.id), &ref->oid);
		e.name = ref->name;
		e.present = 1;
		if (cb)
			error = cb(&e, payload);
	}
	for (size_t i = 0; i < out->nprereqs && error == 0; i++) {
		const ruhu_bundle_prereq *p = ruhu_bundle_prereq_at(b, i);

		memset(&e, 0, sizeof(e));
		e.what = RUHU_BUNDLE_ENTRY_PREREQ;
		git_oid_tostr(e.id, sizeof(e.id), &p->oid);
		e.name = p->comment;
		if ((error = ruhu_object_exists(repo, &p->oid)) < 0)
			break;
		e.present = error;
		error = 0;
		out->missing += !e.present;
		if (cb)
			error = cb(&e, payload);
	}
	if (error == 0)
		error = inspect_give_commits(out, &c, &o.signers, cb, payload);
	if (error == 0 && plain)
		error = ruhu_buf_put(plain, o.bundle, o.bundle_len);
done:
	inspect_commits_dispose(&c);
	ruhu_bundle_free(b);
	opened_dispose(&o);
	return error;
}

int ruhu_bundle_inspect(ruhu_bundle_info *out, ruhu_replica *r, const void *data, size_t len,
			ruhu_bundle_entry_cb cb, void *payload)
{
	return inspect(out, NULL, r, data, len, cb, payload);
}

struct first_bad {
	char missing[RUHU_OID_SIZE];
	char bad[RUHU_OID_SIZE];
	char sig;
	char device[RUHU_ID_SIZE];
};

static int note_first(const ruhu_bundle_entry *e, void *payload)
{
	struct first_bad *f = payload;

	if (e->what == RUHU_BUNDLE_ENTRY_PREREQ && !e->present && !f->missing[0])
		snprintf(f->missing, sizeof(f->missing), "%s", e->id);
	if (e->what == RUHU_BUNDLE_ENTRY_COMMIT && e->sig != 'G' && e->sig != 'U' && !f->bad[0]) {
		snprintf(f->bad, sizeof(f->bad), "%s", e->id);
		snprintf(f->device, sizeof(f->device), "%s", e->device);
		f->sig = e->sig;
	}
	return 0;
}

int ruhu_bundle_verify(ruhu_bundle_info *out, ruhu_replica *r, const void *data, size_t len)
{
	struct first_bad f;
	int error;

	memset(&f, 0, sizeof(f));
	if ((error = inspect(out, NULL, r, data, len, note_first, &f)) < 0)
		return error;
	if (out->sender_revoked)
		return ruhu_error_set(RUHU_EREVOKED, "device %s is revoked: its bundles are refused",
				      out->sender);
	if (out->missing && f.missing[0])
		return ruhu_error_set(RUHU_EWAITING, "the bundle needs commit %.12s, which this replica "
				      "does not have", f.missing);
	if (out->missing)
		return ruhu_error_set(RUHU_ECORRUPT, "a ref of the bundle names a commit it does not "
				      "carry");
	if (out->bad)
		return ruhu_error_set(RUHU_EAUTH, "commit %.12s of the bundle is not signed by %s's key "
				      "(signature %c)", f.bad[0] ? f.bad : "?", f.device[0] ? f.device : "its maker",
				      f.sig ? f.sig : 'U');
	return 0;
}

int ruhu_bundle_open(ruhu_buf *out, ruhu_bundle_info *info, ruhu_replica *r, const void *data,
		     size_t len)
{
	ruhu_bundle_info local;
	ruhu_buf plain = RUHU_BUF_INIT;
	int error;

	if ((error = inspect(info ? info : &local, &plain, r, data, len, NULL, NULL)) == 0)
		error = ruhu_buf_put(out, plain.ptr, plain.size);
	ruhu_buf_dispose_secure(&plain);
	return error;
}
