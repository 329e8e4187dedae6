/*
 * log.c — reading history: `ruhu log`, `ruhu show`, `ruhu status`
 * (see ruhu/core.h, "History").
 *
 * Design notes
 *  1. The log reads commits, not a separate journal: what it prints is what
 *     is signed.  Each entry carries the trailers of docs/sync.md §2 and the
 *     signature letter of core/trust.h.
 *  2. `show` takes full or abbreviated ids (git's short-id lookup over the
 *     object store); an ambiguous prefix is refused, naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commit.h"
#include "core/identity.h"
#include "core/meta.h"
#include "core/odb.h"
#include "core/refs.h"
#include "core/trust.h"
#include "core/when.h"

struct walk {
	ruhu_replica *r;
	git_repository *repo;
	ruhu_log_cb cb;
	void *payload;
};

static int64_t trailer_int(const ruhu_trailers *tr, const char *key)
{
	const char *v = ruhu_trailers_get(tr, key);
	char *end;
	long long n;

	if (v == NULL)
		return 0;
	n = strtoll(v, &end, 10);
	return *end ? 0 : (int64_t)n;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

static int visit_commit(const git_oid *id, void *payload)
{
	struct walk *w = payload;
	git_commit *c = NULL;
	ruhu_trailers tr = RUHU_TRAILERS_INIT;
	ruhu_log_entry e;
	const git_signature *a, *cm;
	int error;

	memset(&e, 0, sizeof(e));
	if ((error = git_commit_lookup(&c, w->repo, id)) < 0)
		return ruhu_git_error(error, "cannot read commit");
	if ((error = ruhu_trailers_parse(&tr, git_commit_message(c))) < 0)
		goto done;
	a = git_commit_author(c);
	cm = git_commit_committer(c);
	git_oid_tostr(e.id, sizeof(e.id), id);
	e.subject = or_empty(git_commit_summary(c));
	e.message = or_empty(git_commit_message(c));
	e.author = or_empty(a->name);
	e.author_email = or_empty(a->email);
	e.time = a->when.time;
	e.offset = a->when.offset;
	e.committer = or_empty(cm->name);
	e.device = or_empty(ruhu_trailers_get(&tr, "Ruhu-Device"));
	e.worker = or_empty(ruhu_trailers_get(&tr, "Ruhu-Worker"));
	e.visit = or_empty(ruhu_trailers_get(&tr, "Ruhu-Visit"));
	e.hlc = or_empty(ruhu_trailers_get(&tr, "Ruhu-HLC"));
	e.digest = or_empty(ruhu_trailers_get(&tr, "Ruhu-Digest"));
	e.seq = trailer_int(&tr, "Ruhu-Seq");
	e.nparents = git_commit_parentcount(c);
	for (unsigned int i = 0; i < e.nparents && i < 2; i++)
		git_oid_tostr(e.parents[i], sizeof(e.parents[i]), git_commit_parent_id(c, i));
	if ((error = ruhu_trust_commit(&e.sig, w->r, id, e.device)) < 0)
		goto done;
	error = w->cb(&e, w->payload);
done:
	ruhu_trailers_dispose(&tr);
	git_commit_free(c);
	return error;
}

static int branch_of(ruhu_buf *out, ruhu_replica *r, const char *ref)
{
	if (ref)
		return ruhu_buf_puts(out, ref);
	return ruhu_meta_get(out, ruhu_replica_db(r), "branch");
}

int ruhu_log(ruhu_replica *r, const char *ref, unsigned int flags, ruhu_log_cb cb, void *payload)
{
	struct walk w = { r, NULL, cb, payload };
	ruhu_buf name = RUHU_BUF_INIT;
	git_oid head;
	unsigned int hf = 0;
	int error;

	if ((error = branch_of(&name, r, ref)) < 0 || (error = ruhu_replica_repo(&w.repo, r)) < 0)
		goto done;
	if ((error = ruhu_refs_get(&head, ruhu_replica_db(r), name.ptr)) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
		goto done;
	}
	if (error < 0)
		goto done;
	if (flags & RUHU_LOG_FIRST_PARENT)
		hf |= RUHU_HISTORY_FIRST_PARENT;
	if (flags & RUHU_LOG_REVERSE)
		hf |= RUHU_HISTORY_REVERSE;
	error = ruhu_history_walk(w.repo, &head, NULL, 0, hf, visit_commit, &w);
done:
	ruhu_buf_dispose(&name);
	return error;
}

static const char *sig_words(char c)
{
	switch (c) {
	case 'G': return "good";
	case 'B': return "BAD";
	case 'U': return "by an unknown key";
	case 'R': return "by a revoked key";
	case 'N': return "none";
	default: return "unreadable";
	}
}

struct show {
	ruhu_buf *out;
	int tz;
};

static int show_header(const ruhu_log_entry *e, void *payload)
{
	struct show *s = payload;
	char when[RUHU_DATETIME_SIZE];

	ruhu_when_datetime(when, e->time * 1000, e->offset);
	if (ruhu_buf_printf(s->out, "commit %s\n", e->id) < 0 ||
	    (e->nparents == 2 && ruhu_buf_printf(s->out, "Merge:  %.12s %.12s\n", e->parents[0], e->parents[1]) < 0) ||
	    ruhu_buf_printf(s->out, "Author: %s <%s>\nDate:   %s\n", e->author, e->author_email, when) < 0 ||
	    ruhu_buf_printf(s->out, "Device: %s   Worker: %s   Seq: %lld   Signature: %s\n",
			    e->device, e->worker[0] ? e->worker : "-", (long long)e->seq, sig_words(e->sig)) < 0 ||
	    (e->visit[0] && ruhu_buf_printf(s->out, "Visit:  %s\n", e->visit) < 0) ||
	    ruhu_buf_printf(s->out, "HLC:    %s\n\n    %s\n", e->hlc, e->subject) < 0)
		return RUHU_ENOMEM;
	return 1; /* one commit only */
}

int ruhu_show(ruhu_buf *out, ruhu_replica *r, const char *rev)
{
	git_repository *repo;
	git_object *obj = NULL;
	git_oid oid;
	ruhu_buf part = RUHU_BUF_INIT;
	struct walk w;
	struct show s = { out, 0 };
	size_t len = rev ? strlen(rev) : 0;
	int error;

	if (len < 4 || len > GIT_OID_HEXSZ || git_oid_fromstrn(&oid, rev, len) < 0)
		return ruhu_error_set(RUHU_EINVALID, "'%s' is not a commit id (4 to 40 hex digits)", rev ? rev : "");
	if ((error = ruhu_replica_repo(&repo, r)) < 0)
		return error;
	if ((error = git_object_lookup_prefix(&obj, repo, &oid, len, GIT_OBJECT_COMMIT)) < 0) {
		if (error == GIT_EAMBIGUOUS)
			error = ruhu_error_set(RUHU_EINVALID, "commit id '%s' is ambiguous: give more digits", rev);
		else
			error = ruhu_error_set(RUHU_ENOTFOUND, "no commit %s", rev);
		goto done;
	}
	w.r = r;
	w.repo = repo;
	w.cb = show_header;
	w.payload = &s;
	if ((error = visit_commit(git_object_id(obj), &w)) < 0)
		goto done;
	error = 0;
	if ((error = ruhu_commit_read_path(&part, repo, git_object_id(obj), "changes.txt")) == 0) {
		if ((error = ruhu_buf_puts(out, "\nchanges:\n")) < 0 || (error = ruhu_buf_put(out, part.ptr, part.size)) < 0)
			goto done;
	} else if (error != RUHU_ENOTFOUND) {
		goto done;
	}
	if ((error = ruhu_commit_read_path(&part, repo, git_object_id(obj), "decisions.txt")) == 0) {
		if ((error = ruhu_buf_puts(out, "\ndecisions:\n")) < 0 || (error = ruhu_buf_put(out, part.ptr, part.size)) < 0)
			goto done;
	} else if (error == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
	}
done:
	git_object_free(obj);
	ruhu_buf_dispose(&part);
	return error;
}

static void copy_meta(char *out, size_t size, sqlite3 *db, const char *key)
{
	ruhu_buf v = RUHU_BUF_INIT;

	out[0] = '\0';
	if (ruhu_meta_get(&v, db, key) == 0)
		snprintf(out, size, "%s", v.ptr);
	ruhu_buf_dispose(&v);
}

static void copy_ref(char *out, size_t size, sqlite3 *db, const char *name)
{
	git_oid oid;

	out[0] = '\0';
	if (name[0] && ruhu_refs_get(&oid, db, name) == 0)
		git_oid_tostr(out, size, &oid);
}

int ruhu_status_get(ruhu_status *out, ruhu_replica *r)
{
	sqlite3 *db = ruhu_replica_db(r);
	char branch[256];
	sqlite3_stmt *st = NULL;
	int error;

	memset(out, 0, sizeof(*out));
	copy_meta(out->self, sizeof(out->self), db, "self");
	copy_meta(out->centre, sizeof(out->centre), db, "centre");
	copy_meta(out->role, sizeof(out->role), db, "role");
	copy_meta(out->worker, sizeof(out->worker), db, "worker");
	copy_meta(out->worker_name, sizeof(out->worker_name), db, "worker_name");
	copy_meta(out->visit, sizeof(out->visit), db, "visit");
	copy_meta(out->digest, sizeof(out->digest), db, "digest");
	copy_meta(out->schema, sizeof(out->schema), db, "schema_version");
	copy_meta(branch, sizeof(branch), db, "branch");
	copy_ref(out->head, sizeof(out->head), db, branch);
	copy_ref(out->main, sizeof(out->main), db, strcmp(branch, "refs/heads/main") ?
		 "refs/remotes/hub/main" : "refs/heads/main");
	ruhu_error_clear();
	if ((error = ruhu_meta_int_or(&out->seq, db, "seq", 0)) < 0)
		return error;
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM _pending", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		out->pending = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (out->self[0] == '\0') {
		ruhu_buf self = RUHU_BUF_INIT;

		error = ruhu_identity_self(&self, r); /* sets the message */
		ruhu_buf_dispose(&self);
		return error < 0 ? error : RUHU_ENOTFOUND;
	}
	return 0;
}
