/*
 * audit_export.c — a replica's history as a plain git repository with its
 * signers (see audit_export.h).
 *
 * Design notes
 *  1. Refs and signers are read into memory first, then the export is
 *     written: no callback of a table walk writes anything.
 *  2. The replica's own branch (`_meta.branch`) is given first, so that the
 *     export's HEAD is it unless a `main` branch is there (export.h, note 3):
 *     a device export opens on the device's saves, a hub export on main.
 *  3. Nothing is written to the replica; the export is read in the
 *     replica's current state (one read of `_refs`, one of `_signers`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit_export.h"
#include "core/export.h"
#include "core/identity.h"
#include "core/meta.h"
#include "core/refs.h"
#include "core/replica.h"

struct collected {
	ruhu_export_ref *refs;
	size_t nrefs, arefs;
	ruhu_export_signer *signers;
	size_t nsigners, asigners;
	const char *own;          /* the replica's own branch ref */
	const char *centre;
};

/* "refs/heads/NAME" -> "NAME", "refs/NAME" -> "NAME" (audit_export.h). */
static const char *branch_name(const char *ref)
{
	if (!strncmp(ref, "refs/heads/", 11))
		return ref + 11;
	if (!strncmp(ref, "refs/", 5))
		return ref + 5;
	return ref;
}

static int take_ref(const char *name, const git_oid *oid, void *payload)
{
	struct collected *c = payload;
	char *copy;

	if (c->nrefs == c->arefs) {
		size_t n = c->arefs ? c->arefs * 2 : 8;
		ruhu_export_ref *grown = realloc(c->refs, n * sizeof(*grown));

		if (grown == NULL)
			return ruhu_error_oom();
		c->refs = grown;
		c->arefs = n;
	}
	if ((copy = strdup(branch_name(name))) == NULL)
		return ruhu_error_oom();
	/* note 2: the own branch first */
	if (c->own && !strcmp(name, c->own) && c->nrefs) {
		memmove(&c->refs[1], &c->refs[0], c->nrefs * sizeof(*c->refs));
		c->refs[0].name = copy;
		c->refs[0].oid = *oid;
	} else {
		c->refs[c->nrefs].name = copy;
		c->refs[c->nrefs].oid = *oid;
	}
	c->nrefs++;
	return 0;
}

static int take_signer(const ruhu_signer *s, void *payload)
{
	struct collected *c = payload;
	ruhu_buf principal = RUHU_BUF_INIT;

	if (c->nsigners == c->asigners) {
		size_t n = c->asigners ? c->asigners * 2 : 8;
		ruhu_export_signer *grown = realloc(c->signers, n * sizeof(*grown));

		if (grown == NULL)
			return ruhu_error_oom();
		c->signers = grown;
		c->asigners = n;
	}
	if (ruhu_buf_printf(&principal, "%s@%s", s->id, c->centre) < 0)
		return RUHU_ENOMEM;
	c->signers[c->nsigners].principal = ruhu_buf_detach(&principal);
	memcpy(c->signers[c->nsigners].key, s->key, sizeof(s->key));
	c->nsigners++;
	return 0;
}

int ruhu_audit_export(ruhu_audit_export_info *out, ruhu_replica *r, const char *outdir)
{
	sqlite3 *db = ruhu_replica_db(r);
	git_repository *repo;
	struct collected c;
	ruhu_buf own = RUHU_BUF_INIT, centre = RUHU_BUF_INIT;
	int error;

	memset(&c, 0, sizeof(c));
	if (out)
		memset(out, 0, sizeof(*out));
	if ((error = ruhu_replica_repo(&repo, r)) < 0 ||
	    (error = ruhu_identity_centre(&centre, r)) < 0)
		goto done;
	if ((error = ruhu_meta_get(&own, db, "branch")) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
	} else if (error < 0) {
		goto done;
	}
	c.own = own.size ? own.ptr : NULL;
	c.centre = centre.ptr;
	if ((error = ruhu_refs_foreach(db, "refs/", take_ref, &c)) != 0 ||
	    (error = ruhu_signers_foreach(db, NULL, take_signer, &c)) != 0)
		goto done;
	if ((error = ruhu_export(outdir, repo, c.refs, c.nrefs, c.signers, c.nsigners)) < 0)
		goto done;
	if (out) {
		out->refs = c.nrefs;
		out->signers = c.nsigners;
		for (size_t i = 0; i < c.nrefs; i++)
			if (!strcmp(c.refs[i].name, "main"))
				snprintf(out->head, sizeof(out->head), "main");
		if (out->head[0] == '\0' && c.nrefs)
			snprintf(out->head, sizeof(out->head), "%s", c.refs[0].name);
	}
done:
	for (size_t i = 0; i < c.nrefs; i++)
		free((char *)c.refs[i].name);
	for (size_t i = 0; i < c.nsigners; i++)
		free((char *)c.signers[i].principal);
	free(c.refs);
	free(c.signers);
	ruhu_buf_dispose(&own);
	ruhu_buf_dispose(&centre);
	return error;
}
