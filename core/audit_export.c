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
 *  4. OUTDIR/README tells an auditor how to check the export with stock git
 *     and OpenSSH alone, what the trailers mean, what stock git cannot check
 *     (revocation dates, the replay: `ruhu audit verify`), and that the
 *     export holds personal data in clear.  A bare repository ignores files
 *     it does not know, so `git fsck` and `git clone` are unaffected.
 */
#include <errno.h>
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

static const char readme_text[] =
	"ruhu audit export\n"
	"=================\n"
	"\n"
	"This folder is the history of a ruhu replica (入户, home visits of a township\n"
	"human-resources and social-security service centre) as a plain, bare git\n"
	"repository. Every save on a tablet and every merge on the township hub is a\n"
	"git commit signed with the Ed25519 key of the replica that made it (OpenSSH\n"
	"signature format, the `gpgsig` header), so stock git and OpenSSH check it\n"
	"without ruhu.\n"
	"\n"
	"PERSONAL DATA IN CLEAR. The commits hold the residents' records (names,\n"
	"identity numbers, phones, addresses, photos) unencrypted: git only compresses\n"
	"them. Keep this folder on protected storage, never copy it to shared places,\n"
	"and delete it when the audit is done (DOMAIN clause 6.4.2).\n"
	"\n"
	"Checking it with stock git\n"
	"--------------------------\n"
	"The repository's config sets gpg.format = ssh and gpg.ssh.allowedSignersFile =\n"
	"allowed_signers (beside this file), which lists every key the replica knew,\n"
	"revoked ones included, one line per key: `<id>@<centre> ssh-ed25519 AAAA...`.\n"
	"\n"
	"  git -C OUTDIR log --show-signature          # Good \"git\" signature for <id>@<centre>\n"
	"  git -C OUTDIR log --format='%h %G? %ce %s'  # G good, B bad (changed after\n"
	"                                             # signing), U unknown key, N none\n"
	"  git -C OUTDIR verify-commit COMMIT          # exit status 0 when good\n"
	"  git -C OUTDIR log --graph --format='%h %s'  # merges of tablets' saves into main\n"
	"  git -C OUTDIR show COMMIT:changes.txt       # what a save changed, readable\n"
	"  git -C OUTDIR show COMMIT:decisions.txt     # a merge: every conflict rule that fired\n"
	"  git clone OUTDIR work                       # a working copy, if wanted\n"
	"\n"
	"Checking one commit with OpenSSH alone (ssh-keygen -Y verify):\n"
	"\n"
	"  c=COMMIT\n"
	"  git -C OUTDIR cat-file commit $c >commit.txt\n"
	"  sed -n '/^gpgsig /,/-----END SSH SIGNATURE-----/p' commit.txt |\n"
	"      sed 's/^gpgsig //; s/^ //' >commit.sig\n"
	"  awk '/^gpgsig /{s=1; next} s && /^ /{next} {s=0; print}' commit.txt >commit.data\n"
	"  ssh-keygen -Y verify -f OUTDIR/allowed_signers -n git -s commit.sig \\\n"
	"      -I \"$(git -C OUTDIR log -1 --format=%ce $c)\" <commit.data\n"
	"\n"
	"The signed bytes are the commit without its gpgsig header; the principal is\n"
	"the committer's e-mail address, `<replica id>@<centre code>`.\n"
	"\n"
	"What the commits hold\n"
	"---------------------\n"
	"A tablet's save: its tree holds `changeset` (the SQLite session changeset of\n"
	"the save, canonical), `changes.txt` (one readable line per field change) and\n"
	"`attachments/<id>` (photos and scans it introduced). Author: the caseworker;\n"
	"committer: the tablet. A merge on the hub's main has two parents (previous\n"
	"main, the tablet's save) and holds the net changeset main applied, its\n"
	"changes.txt and `decisions.txt` (tab-separated: type, id, field, rule, base,\n"
	"hub, device, result, note; \\N is NULL). Hub edits, review resolutions,\n"
	"revocations and archive exports are one-parent commits on main.\n"
	"\n"
	"Trailers (the last paragraph of every message):\n"
	"\n"
	"  Ruhu-Device    the replica that made the commit (a tablet, or the hub)\n"
	"  Ruhu-Worker    the caseworker or operator (a merge: the tablet's caseworker)\n"
	"  Ruhu-Seq       the maker's sequence number of the commit\n"
	"  Ruhu-HLC       hybrid logical clock (UTC milliseconds + counter): the order of edits\n"
	"  Ruhu-Schema    SHA-256 of the schema the records follow\n"
	"  Ruhu-Visit     the home visit the save belongs to, while one is open\n"
	"  Ruhu-Digest    hash of every record row after the commit (order-independent)\n"
	"  Ruhu-Merge-Of  a merge: the tablet and sequence number of the save it took in\n"
	"  Ruhu-Review    a merge: review items it opened for an operator\n"
	"  Ruhu-Resolves  a resolution: the review item it settles\n"
	"  Ruhu-Revoke    a revocation: the tablet whose bundles are refused from then on\n"
	"  Ruhu-Archive   an archive export: records packaged and the manifest's SHA-256\n"
	"\n"
	"What stock git cannot check\n"
	"---------------------------\n"
	"allowed_signers keeps revoked keys so that older commits still verify, so git\n"
	"says G for a commit a revoked tablet signed later. `ruhu audit verify` on the\n"
	"replica judges every signature against the key's enrolment and revocation\n"
	"dates (a tablet's save at the time the hub merged it), checks that every\n"
	"object is present and intact, replays main from its first commit into a\n"
	"scratch database matching every Ruhu-Digest, and compares the result with\n"
	"the replica row by row.\n";

static int write_readme(const char *outdir)
{
	ruhu_buf path = RUHU_BUF_INIT;
	FILE *f = NULL;
	int error = 0;

	if ((error = ruhu_buf_printf(&path, "%s/README", outdir)) < 0)
		return error;
	if ((f = fopen(path.ptr, "wb")) == NULL ||
	    fwrite(readme_text, 1, sizeof(readme_text) - 1, f) != sizeof(readme_text) - 1) {
		error = ruhu_error_set(RUHU_ERROR, "cannot write %s: %s", path.ptr, strerror(errno));
		goto done;
	}
	if (fclose(f) != 0) {
		f = NULL;
		error = ruhu_error_set(RUHU_ERROR, "cannot write %s: %s", path.ptr, strerror(errno));
		goto done;
	}
	f = NULL;
done:
	if (f)
		fclose(f);
	ruhu_buf_dispose(&path);
	return error;
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
	if ((error = ruhu_export(outdir, repo, c.refs, c.nrefs, c.signers, c.nsigners)) < 0 ||
	    (error = write_readme(outdir)) < 0)
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
