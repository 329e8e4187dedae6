/*
 * audit_keys.c — the replica opened for an audit, the signers' keys with
 * their dates, and the judgement of a commit's signature (see audit.h,
 * design note 3, and ruhu/audit.h, design note 5).
 *
 * Design notes
 *  1. `_signers` is read once per audit into memory: a verification judges
 *     every commit of the history against it.
 *  2. The time a signature is judged at: a tablet's save that main took in
 *     is judged at the merge's time, which the hub's own signature vouches
 *     for; its committer time is only the tablet's claim, and a revoked
 *     tablet could back-date.  Every other commit is judged at its
 *     committer time.  A key counts as revoked from its revocation time on.
 *  3. The enrolment date is compared with the merge time on a hub only: a
 *     tablet records the keys it learns with the date it learned them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/meta.h"
#include "core/odb.h"
#include "core/refs.h"
#include "core/sshsig.h"
#include "core/when.h"
#include "sync/audit.h"

static int take_key(const ruhu_signer *s, void *payload)
{
	struct audit_keys *k = payload;
	struct audit_key *v = realloc(k->v, (k->n + 1) * sizeof(*v));

	if (v == NULL)
		return ruhu_error_oom();
	k->v = v;
	v = &k->v[k->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", s->id);
	snprintf(v->role, sizeof(v->role), "%s", s->role ? s->role : "");
	memcpy(v->key, s->key, 32);
	v->added_ms = s->added_ms;
	v->revoked_ms = s->revoked_ms;
	snprintf(v->reason, sizeof(v->reason), "%s", s->reason ? s->reason : "");
	return 0;
}

int audit_keys_load(struct audit_keys *k, sqlite3 *db)
{
	int error;

	memset(k, 0, sizeof(*k));
	if ((error = ruhu_signers_foreach(db, NULL, take_key, k)) < 0)
		audit_keys_release(k);
	return error;
}

void audit_keys_release(struct audit_keys *k)
{
	free(k->v);
	memset(k, 0, sizeof(*k));
}

int audit_sig_read(ruhu_buf *sig, ruhu_buf *data, git_repository *repo, const git_oid *id,
		   int *unsigned_out)
{
	git_buf s = GIT_BUF_INIT, d = GIT_BUF_INIT;
	int rc, error = 0;

	*unsigned_out = 0;
	ruhu_buf_clear(sig);
	ruhu_buf_clear(data);
	rc = git_commit_extract_signature(&s, &d, repo, (git_oid *)id, "gpgsig");
	if (rc == GIT_ENOTFOUND) {
		git_odb *odb = NULL;

		/* no signature, or no commit at all */
		if (git_repository_odb(&odb, repo) == 0 && git_odb_exists(odb, id))
			*unsigned_out = 1;
		else
			error = ruhu_error_set(RUHU_ENOTFOUND, "commit %s is missing", git_oid_tostr_s(id));
		git_odb_free(odb);
	} else if (rc < 0) {
		error = ruhu_git_error(rc, "cannot read the signature of commit %s", git_oid_tostr_s(id));
	} else if (ruhu_buf_put(sig, s.ptr, s.size) < 0 || ruhu_buf_put(data, d.ptr, d.size) < 0) {
		error = RUHU_ENOMEM;
	}
	git_buf_dispose(&s);
	git_buf_dispose(&d);
	return error;
}

void audit_sig_check(struct audit_sig *out, const ruhu_buf *sig, const ruhu_buf *data)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = ruhu_sshsig_verify(out->signer, sig->ptr ? sig->ptr : "", sig->size, RUHU_SSHSIG_GIT,
				data->ptr ? data->ptr : "", data->size);
	out->has_signer = rc == 0 || rc == RUHU_EAUTH;
	out->status = rc == 0 ? RUHU_SIG_GOOD : rc == RUHU_EAUTH ? RUHU_SIG_BAD : RUHU_SIG_MALFORMED;
}

static void when_text(char out[RUHU_DATETIME_SIZE], int64_t ms, int tz)
{
	ruhu_when_datetime(out, ms, tz);
}

char audit_keys_judge(char *note, size_t notesize, const char **kind, const struct audit_keys *k,
		      const char *maker, const struct audit_sig *s, int64_t own_ms, int64_t merged_ms,
		      int check_added, int tz)
{
	const struct audit_key *mine = NULL, *other = NULL;
	char a[RUHU_DATETIME_SIZE], b[RUHU_DATETIME_SIZE];

	note[0] = '\0';
	*kind = NULL;
	switch (s->status) {
	case RUHU_SIG_UNSIGNED:
		snprintf(note, notesize, "the commit is not signed");
		*kind = "unsigned";
		return 'N';
	case RUHU_SIG_MALFORMED:
		snprintf(note, notesize, "the commit's signature cannot be read");
		*kind = "unreadable-signature";
		return 'E';
	case RUHU_SIG_BAD:
		snprintf(note, notesize, "the signature does not verify over the commit: it was "
			 "changed after signing");
		*kind = "bad-signature";
		return 'B';
	default:
		break;
	}
	if (maker == NULL || maker[0] == '\0') {
		snprintf(note, notesize, "the commit names no maker (no Ruhu-Device trailer)");
		*kind = "not-a-ruhu-commit";
		return 'U';
	}
	for (size_t i = 0; i < k->n; i++) {
		if (memcmp(k->v[i].key, s->signer, 32))
			continue;
		if (!strcmp(k->v[i].id, maker))
			mine = &k->v[i];
		else if (other == NULL)
			other = &k->v[i];
	}
	if (mine == NULL) {
		if (other)
			snprintf(note, notesize, "signed with the key of %s, not with a key of %s", other->id,
				 maker);
		else
			snprintf(note, notesize, "signed with a key this replica does not know for %s", maker);
		*kind = "unknown-key";
		return 'U';
	}
	if (mine->revoked_ms && mine->revoked_ms <= own_ms) {
		when_text(a, own_ms, tz);
		when_text(b, mine->revoked_ms, tz);
		snprintf(note, notesize, "made at %s with %s's key, which was revoked at %s (%s)", a, maker,
			 b, mine->reason);
		*kind = "revoked-key";
		return 'R';
	}
	if (mine->revoked_ms && merged_ms >= 0 && mine->revoked_ms <= merged_ms) {
		when_text(a, merged_ms, tz);
		when_text(b, mine->revoked_ms, tz);
		snprintf(note, notesize, "taken in by the hub at %s, after %s's key was revoked at %s (%s)",
			 a, maker, b, mine->reason);
		*kind = "revoked-key";
		return 'R';
	}
	if (check_added && merged_ms >= 0 && merged_ms + 999 < mine->added_ms) {
		when_text(a, merged_ms, tz);
		when_text(b, mine->added_ms, tz);
		snprintf(note, notesize, "taken in by the hub at %s, before %s's key was enrolled at %s", a,
			 maker, b);
		*kind = "not-enrolled";
		return 'U';
	}
	return 'G';
}

/* ---- the replica opened for an audit ---- */

int audit_ctx_open(struct audit_ctx *c, ruhu_replica *r)
{
	ruhu_buf v = RUHU_BUF_INIT;
	int64_t tz = 480;
	int error;

	memset(c, 0, sizeof(*c));
	c->r = r;
	c->db = ruhu_replica_db(r);
	if ((error = ruhu_replica_schema(&c->schema, r)) < 0 ||
	    (error = ruhu_replica_repo(&c->repo, r)) < 0 ||
	    (error = ruhu_identity_self(&v, r)) < 0)
		goto done;
	snprintf(c->self, sizeof(c->self), "%s", v.ptr);
	if ((error = ruhu_meta_get(&v, c->db, "role")) == 0) {
		c->hub = !strcmp(v.ptr, "hub");
	} else if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
	} else {
		goto done;
	}
	if ((error = ruhu_meta_int_or(&tz, c->db, "tz_minutes", 480)) < 0)
		goto done;
	c->tz = (int)tz;
	error = audit_keys_load(&c->keys, c->db);
done:
	ruhu_buf_dispose(&v);
	if (error < 0)
		audit_ctx_close(c);
	return error;
}

void audit_ctx_close(struct audit_ctx *c)
{
	audit_keys_release(&c->keys);
	memset(c, 0, sizeof(*c));
}

static int ref_or_none(git_oid *out, int *found, sqlite3 *db, const char *name)
{
	int error = ruhu_refs_get(out, db, name);

	*found = error == 0;
	if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
	}
	return error;
}

int audit_tips(git_oid *tips, size_t *ntips, int *has_main, git_oid *main_out, struct audit_ctx *c)
{
	git_oid id;
	int found, error;

	*ntips = 0;
	*has_main = 0;
	if (!c->hub) {
		if ((error = ref_or_none(&id, &found, c->db, "refs/heads/device")) < 0)
			return error;
		if (found)
			tips[(*ntips)++] = id;
	}
	if ((error = ref_or_none(&id, &found, c->db, c->hub ? "refs/heads/main" : "refs/remotes/hub/main")) < 0)
		return error;
	if (found) {
		tips[(*ntips)++] = id;
		*has_main = 1;
		if (main_out)
			*main_out = id;
	}
	return 0;
}
