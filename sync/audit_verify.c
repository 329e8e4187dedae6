/*
 * audit_verify.c — `ruhu audit verify`: everything an auditor who trusts
 * nothing can check from the replica alone (see ruhu/audit.h).
 *
 * Design notes
 *  1. Stages, each reported with its own problem kinds:
 *       objects     every ref's history is walked to its roots; every
 *                   commit, tree and blob it names must be in the store and
 *                   hash to its id (libgit2 checks each read) —
 *                   missing-object, corrupt-object
 *       signatures  every commit against `_signers` (audit_keys.c) —
 *                   unsigned, unreadable-signature, bad-signature,
 *                   unknown-key, revoked-key, not-enrolled,
 *                   not-a-ruhu-commit; and main's own consistency:
 *                   not-by-the-hub, merge-mismatch
 *       replay      main's first-parent chain from its first commit into a
 *                   scratch database, each changeset exactly, each
 *                   Ruhu-Digest matched; on a tablet its pending saves
 *                   after it — replay-conflict, digest
 *       rows        the replayed rows against the replica's —
 *                   row-missing, row-extra, row-changed
 *     Problems are listed in that order; the replay and the comparison stop
 *     at their first divergence (what follows it would only echo it).  A
 *     main chain broken by a missing commit cannot be replayed: the
 *     missing object is the problem reported.
 *  2. One pass reads each commit once: main's chain oldest first (each
 *     commit's objects checked, its signature queued, its changeset
 *     replayed from the bytes just read), then every other commit the refs
 *     reach.  Signatures are checked on a helper thread meanwhile
 *     (audit_sigpool.c) and judged at the end, when every merge time is
 *     known.
 *  3. Trees and blobs shared by several commits are read once (a set of
 *     ids); a changeset is read again only when a main commit shares its
 *     tree with one checked before.
 *  4. A field found changed behind ruhu's back is reported with the commit
 *     that last set it (the record's history walked once more).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/digest.h"
#include "core/odb.h"
#include "core/refs.h"
#include "sync/audit.h"
#include "sync/audit_sigpool.h"
#include "sync/audit_verify.h"

/* ---- a set of object ids (design note 3) ---- */

static size_t set_slot(const git_oid *id, size_t cap)
{
	uint32_t h;

	memcpy(&h, id->id + 4, sizeof(h));
	return h & (cap - 1);
}

static int set_add(int *added, struct oidset *s, const git_oid *id)
{
	size_t i;

	*added = 0;
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		git_oid *v = calloc(cap, sizeof(*v));

		if (v == NULL)
			return ruhu_error_oom();
		for (size_t k = 0; k < s->cap; k++)
			if (!git_oid_is_zero(&s->v[k])) {
				for (i = set_slot(&s->v[k], cap); !git_oid_is_zero(&v[i]); i = (i + 1) & (cap - 1))
					;
				v[i] = s->v[k];
			}
		free(s->v);
		s->v = v;
		s->cap = cap;
	}
	for (i = set_slot(id, s->cap); !git_oid_is_zero(&s->v[i]); i = (i + 1) & (s->cap - 1))
		if (git_oid_equal(&s->v[i], id))
			return 0;
	s->v[i] = *id;
	s->n++;
	*added = 1;
	return 0;
}

/* ---- problems ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int verify_problem(struct verify *v, int stage, const char *kind, const git_oid *commit, const char *type,
		   const char *id, const char *field, const char *expected, const char *found,
		   const char *fmt, ...)
{
	ruhu_audit_verify_report *rep = v->rep;
	ruhu_audit_problem *p;
	ruhu_buf msg = RUHU_BUF_INIT;
	va_list ap;
	int error;

	if (rep->nproblems >= RUHU_AUDIT_MAX_PROBLEMS) {
		rep->more_problems++;
		return 0;
	}
	if (rep->problems == NULL &&
	    ((rep->problems = calloc(RUHU_AUDIT_MAX_PROBLEMS, sizeof(*rep->problems))) == NULL ||
	     (v->stage = calloc(RUHU_AUDIT_MAX_PROBLEMS, sizeof(*v->stage))) == NULL))
		return ruhu_error_oom();
	va_start(ap, fmt);
	error = ruhu_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (error < 0)
		return error;
	p = &rep->problems[rep->nproblems];
	memset(p, 0, sizeof(*p));
	p->message = ruhu_buf_detach(&msg);
	if (commit)
		git_oid_tostr(p->commit, sizeof(p->commit), commit);
	if ((p->kind = strdup(kind)) == NULL || p->message == NULL ||
	    (type && (p->type = strdup(type)) == NULL) || (id && (p->id = strdup(id)) == NULL) ||
	    (field && (p->field = strdup(field)) == NULL) ||
	    (expected && (p->expected = dup_or_null(expected)) == NULL) ||
	    (found && (p->found = dup_or_null(found)) == NULL)) {
		rep->nproblems++; /* disposed with the rest */
		return ruhu_error_oom();
	}
	v->stage[rep->nproblems] = stage;
	rep->nproblems++;
	return 0;
}

/* Problems in stage order, keeping the order within a stage. */
void verify_sort_problems(struct verify *v)
{
	ruhu_audit_verify_report *rep = v->rep;

	for (size_t i = 1; i < rep->nproblems; i++)
		for (size_t k = i; k > 0 && v->stage[k - 1] > v->stage[k]; k--) {
			ruhu_audit_problem p = rep->problems[k];
			int s = v->stage[k];

			rep->problems[k] = rep->problems[k - 1];
			rep->problems[k - 1] = p;
			v->stage[k] = v->stage[k - 1];
			v->stage[k - 1] = s;
		}
}

void ruhu_audit_verify_report_dispose(ruhu_audit_verify_report *rep)
{
	for (size_t i = 0; rep->problems && i < rep->nproblems; i++) {
		ruhu_audit_problem *p = &rep->problems[i];

		free(p->kind);
		free(p->type);
		free(p->id);
		free(p->field);
		free(p->expected);
		free(p->found);
		free(p->message);
	}
	free(rep->problems);
	memset(rep, 0, sizeof(*rep));
}

int ruhu_audit_verify_opts_init(ruhu_audit_verify_opts *opts, unsigned int version)
{
	if (version != RUHU_AUDIT_VERIFY_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "audit verify options version %u is not known", version);
	memset(opts, 0, sizeof(*opts));
	opts->version = version;
	return 0;
}

/* ---- stage 1: refs and commits ---- */

int verify_take_ref(const char *name, const git_oid *oid, void *payload)
{
	struct verify *v = payload;
	struct refname *r = realloc(v->refs, (v->nrefs + 1) * sizeof(*r));

	if (r == NULL)
		return ruhu_error_oom();
	v->refs = r;
	r[v->nrefs].oid = *oid;
	if ((r[v->nrefs].name = strdup(name)) == NULL)
		return ruhu_error_oom();
	v->nrefs++;
	return 0;
}

static const char *ref_naming(const struct verify *v, const git_oid *id)
{
	for (size_t i = 0; i < v->nrefs; i++)
		if (git_oid_equal(&v->refs[i].oid, id))
			return v->refs[i].name;
	return "?";
}

int verify_on_missing(const git_oid *id, const git_oid *child, int error, void *payload)
{
	struct verify *v = payload;
	const char *kind = error == RUHU_ECORRUPT ? "corrupt-object" : "missing-object";
	const char *what = error == RUHU_ECORRUPT ? "does not hash to its id (altered in the store)" :
						    "is missing from the object store";
	char hex[GIT_OID_HEXSZ + 1];

	ruhu_error_clear();
	git_oid_tostr(hex, sizeof(hex), id);
	if (child)
		return verify_problem(v, ST_OBJECTS, kind, id, NULL, NULL, NULL, NULL, NULL,
			       "commit %s, a parent of commit %.12s, %s", hex, git_oid_tostr_s(child), what);
	return verify_problem(v, ST_OBJECTS, kind, id, NULL, NULL, NULL, NULL, NULL, "commit %s, which ref %s names, %s",
		       hex, ref_naming(v, id), what);
}

/* ---- stage 2: one commit's objects and signature ---- */

static int intern_maker(uint32_t *out, struct verify *v, const char *maker)
{
	char **m;

	*out = AUDIT_NONE;
	if (maker == NULL)
		return 0;
	for (size_t i = 0; i < v->nmakers; i++)
		if (!strcmp(v->makers[i], maker)) {
			*out = (uint32_t)i;
			return 0;
		}
	if ((m = realloc(v->makers, (v->nmakers + 1) * sizeof(*m))) == NULL)
		return ruhu_error_oom();
	v->makers = m;
	if ((m[v->nmakers] = strdup(maker)) == NULL)
		return ruhu_error_oom();
	*out = (uint32_t)v->nmakers++;
	return 0;
}

/* Read an object (hash-checked by libgit2); *ok = 0 after reporting it. */
static int read_object(int *ok, git_odb_object **out, struct verify *v, const git_oid *id, const git_oid *commit,
		       const char *path)
{
	int rc = git_odb_read(out, v->odb, id);

	*ok = rc == 0;
	if (rc == 0) {
		v->rep->objects++;
		return 0;
	}
	ruhu_error_clear();
	if (rc == GIT_EMISMATCH)
		return verify_problem(v, ST_OBJECTS, "corrupt-object", commit, NULL, NULL, NULL, NULL, NULL,
			       "object %s (%s of commit %.12s) does not hash to its id (altered in the store)",
			       git_oid_tostr_s(id), path, git_oid_tostr_s(commit));
	return verify_problem(v, ST_OBJECTS, "missing-object", commit, NULL, NULL, NULL, NULL, NULL,
		       "object %s (%s of commit %.12s) is missing from the object store", git_oid_tostr_s(id),
		       path, git_oid_tostr_s(commit));
}

/* Every object below tree `id`; the `changeset` blob's bytes into `cs`
 * (when not NULL).  *ok = 0 when something was missing. */
static int check_tree(int *ok, struct verify *v, const git_oid *id, const git_oid *commit, const char *prefix,
		      ruhu_buf *cs)
{
	git_tree *tree = NULL;
	git_odb_object *obj = NULL;
	int added, good, rc, error;

	if ((error = set_add(&added, &v->seen, id)) < 0)
		return error;
	if (!added && cs == NULL)
		return 0;
	if ((rc = git_tree_lookup(&tree, v->c.repo, id)) < 0) {
		*ok = 0;
		ruhu_error_clear();
		return verify_problem(v, ST_OBJECTS, rc == GIT_EMISMATCH ? "corrupt-object" : "missing-object", commit, NULL,
			       NULL, NULL, NULL, NULL, "tree %s (%s of commit %.12s) %s", git_oid_tostr_s(id),
			       prefix[0] ? prefix : "root", git_oid_tostr_s(commit),
			       rc == GIT_EMISMATCH ? "does not hash to its id" : "is missing from the object store");
	}
	if (added)
		v->rep->objects++;
	for (size_t i = 0; i < git_tree_entrycount(tree) && error == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		const git_oid *eid = git_tree_entry_id(e);
		int want = cs && prefix[0] == '\0' && !strcmp(git_tree_entry_name(e), "changeset");
		char path[256], sub[260];

		snprintf(path, sizeof(path), "%s%s", prefix, git_tree_entry_name(e));
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			snprintf(sub, sizeof(sub), "%s/", path);
			error = check_tree(ok, v, eid, commit, sub, NULL);
			continue;
		}
		if ((error = set_add(&added, &v->seen, eid)) < 0)
			break;
		if (!added && !want)
			continue;
		if ((error = read_object(&good, &obj, v, eid, commit, path)) < 0)
			break;
		if (!added)
			v->rep->objects--; /* read again for its bytes only */
		if (!good) {
			*ok = 0;
			continue;
		}
		if (want)
			error = ruhu_buf_put(cs, git_odb_object_data(obj), git_odb_object_size(obj));
		git_odb_object_free(obj);
		obj = NULL;
	}
	git_tree_free(tree);
	return error;
}

static int is_hub_maker(const struct verify *v, const char *maker)
{
	if (maker == NULL)
		return 0;
	if (v->c.hub)
		return !strcmp(maker, v->c.self);
	for (size_t i = 0; i < v->c.keys.n; i++)
		if (!strcmp(v->c.keys.v[i].id, maker) && !strcmp(v->c.keys.v[i].role, "hub"))
			return 1;
	return 0;
}

/* A merge on main must say which save it took in, and be right. */
static int check_merge(struct verify *v, git_commit *m, const ruhu_trailers *tr)
{
	const char *mo = ruhu_trailers_get(tr, "Ruhu-Merge-Of");
	ruhu_trailers dt = RUHU_TRAILERS_INIT;
	git_commit *dc = NULL;
	const char *dev, *seq;
	char want[96];
	int error = 0;

	if (git_commit_parentcount(m) < 2)
		return 0;
	if (audit_dag_find(&v->d, git_commit_parent_id(m, 1)) != AUDIT_NONE &&
	    (v->d.v[audit_dag_find(&v->d, git_commit_parent_id(m, 1))].flags & AUDIT_NODE_MISSING))
		return 0; /* reported as missing */
	if (git_commit_lookup(&dc, v->c.repo, git_commit_parent_id(m, 1)) < 0) {
		ruhu_error_clear();
		return 0;
	}
	if ((error = ruhu_trailers_parse(&dt, git_commit_message(dc))) < 0)
		goto done;
	dev = ruhu_trailers_get(&dt, "Ruhu-Device");
	seq = ruhu_trailers_get(&dt, "Ruhu-Seq");
	snprintf(want, sizeof(want), "%s %s", dev ? dev : "?", seq ? seq : "?");
	if (mo == NULL || strcmp(mo, want))
		error = verify_problem(v, ST_SIGNATURES, "merge-mismatch", git_commit_id(m), NULL, NULL, NULL, NULL, NULL,
				"merge %.12s says it takes in %s, but its second parent %.12s is %s",
				git_oid_tostr_s(git_commit_id(m)), mo ? mo : "nothing",
				git_oid_tostr_s(git_commit_parent_id(m, 1)), want);
done:
	ruhu_trailers_dispose(&dt);
	git_commit_free(dc);
	return error;
}

/* Objects and signature of node `i`; its changeset into `cs` when asked.
 * *ok = 0 when an object of it is missing. */
int verify_check_commit(int *ok, struct verify *v, uint32_t i, ruhu_buf *cs)
{
	const git_oid *id = &v->d.v[i].oid;
	git_commit *cm = NULL;
	ruhu_trailers tr = RUHU_TRAILERS_INIT;
	ruhu_buf sig = RUHU_BUF_INIT, data = RUHU_BUF_INIT;
	int is_unsigned, error;

	*ok = 1;
	if ((error = git_commit_lookup(&cm, v->c.repo, id)) < 0) {
		error = ruhu_git_error(error, "cannot read commit %s", git_oid_tostr_s(id));
		goto done;
	}
	v->rep->objects++;
	v->rep->commits++;
	if ((error = ruhu_trailers_parse(&tr, git_commit_message(cm))) < 0 ||
	    (error = intern_maker(&v->maker[i], v, ruhu_trailers_get(&tr, "Ruhu-Device"))) < 0 ||
	    (error = check_tree(ok, v, git_commit_tree_id(cm), id, "", cs)) < 0)
		goto done;
	if (v->d.v[i].flags & AUDIT_NODE_MAIN) {
		const char *maker = ruhu_trailers_get(&tr, "Ruhu-Device");

		if (!is_hub_maker(v, maker) &&
		    (error = verify_problem(v, ST_SIGNATURES, "not-by-the-hub", id, NULL, NULL, NULL, NULL, NULL,
				     "commit %.12s on main is made by %s, not by the hub", git_oid_tostr_s(id),
				     maker ? maker : "no one (no Ruhu-Device trailer)")) < 0)
			goto done;
		if ((error = check_merge(v, cm, &tr)) < 0)
			goto done;
	}
	if ((error = audit_sig_read(&sig, &data, v->c.repo, id, &is_unsigned)) < 0)
		goto done;
	if (is_unsigned) {
		v->sigstate[i] = 2;
	} else {
		v->sigstate[i] = 1;
		audit_sigpool_submit(v->pool, i, &sig, &data);
	}
	if (v->opts && v->opts->progress && ++v->done % 1000 == 0)
		v->opts->progress(v->done, v->d.n, v->opts->payload);
done:
	ruhu_buf_dispose(&sig);
	ruhu_buf_dispose(&data);
	ruhu_trailers_dispose(&tr);
	git_commit_free(cm);
	return error;
}

/* ---- the judgement of every signature ---- */

int verify_judge_all(struct verify *v)
{
	char note[256];
	const char *kind;
	int error;

	for (size_t i = 0; i < v->d.n; i++) {
		struct audit_sig s = v->sigs[i];
		const char *maker = v->maker[i] == AUDIT_NONE ? NULL : v->makers[v->maker[i]];
		char letter;

		if (v->sigstate[i] == 0)
			continue;
		if (v->sigstate[i] == 2) {
			memset(&s, 0, sizeof(s));
			s.status = RUHU_SIG_UNSIGNED;
		}
		letter = audit_keys_judge(note, sizeof(note), &kind, &v->c.keys, maker, &s, v->d.v[i].time * 1000,
					  v->d.v[i].merged_at >= 0 ? v->d.v[i].merged_at * 1000 : -1, v->c.hub, v->c.tz);
		if (letter == 'G') {
			v->rep->signatures++;
			continue;
		}
		if ((error = verify_problem(v, ST_SIGNATURES, kind, &v->d.v[i].oid, NULL, NULL, NULL, NULL, NULL,
				     "commit %.12s by %s (%c): %s", git_oid_tostr_s(&v->d.v[i].oid),
				     maker ? maker : "?", letter, note)) < 0)
			return error;
	}
	return 0;
}
