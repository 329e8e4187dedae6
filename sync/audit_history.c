/*
 * audit_history.c — every version of a record, read from the history
 * (`ruhu audit history`), and the walk the archive shares (see audit.h).
 *
 * Design notes
 *  1. The walk is main's first-parent history, oldest first: each main
 *     commit's `changeset` is what main applied (a merge's net changeset, a
 *     hub edit's own), so applying the changes of one record in that order
 *     gives each of its versions exactly.  On a tablet the hub main it knows
 *     is walked, then its pending saves (`_pending` order) with the
 *     changesets their commits recorded.
 *  2. A merge's second parent is the tablet's save it took in: who, device,
 *     visit and HLC are read there.  decisions.txt lines of the same commit
 *     whose type and id are the record's (for `duplicate`, also those whose
 *     hub column names it) say which rule decided what.  A commit with such
 *     lines and no change of the record is reported as "kept".
 *  3. One walk serves many records (the archive asks for every closed case
 *     at once): targets are looked up by (type, id) in a sorted array.  With
 *     one target, a commit whose changeset and decisions do not hold its id
 *     as bytes is skipped without decoding.
 */
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "core/odb.h"
#include "core/refs.h"
#include "sync/audit.h"

struct tstate {
	const ruhu_type *type;
	const char *tname, *id;
	size_t ncol;
	const char **fields;
	ruhu_value *row;          /* the current version */
	ruhu_value *prev;
	unsigned char *changed;
	size_t version;
	int exists;
	const ruhu_audit_decision **dec;  /* this commit's lines about it */
	ruhu_audit_decision *decv;
	size_t ndec;
	int touched;
	const char *op;
};

struct walk {
	struct audit_ctx *c;
	struct tstate *t;
	size_t n;
	struct tstate **sorted;   /* the targets by (type, id) */
	audit_version_fn fn;
	void *payload;
};

static int cmp_key(const struct tstate *t, const char *type, const char *id)
{
	int r = strcmp(t->tname, type);

	return r ? r : strcmp(t->id, id);
}

static int sort_cmp(const void *a, const void *b)
{
	const struct tstate *x = *(struct tstate *const *)a, *y = *(struct tstate *const *)b;

	return cmp_key(x, y->tname, y->id);
}

static size_t find(const struct walk *w, const char *type, const char *id)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = cmp_key(w->sorted[mid], type, id);

		if (r == 0)
			return (size_t)(w->sorted[mid] - w->t);
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

/* Does [hay, hay + n) hold the bytes of `needle`? */
static int holds(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	if (k == 0 || n < k)
		return k == 0;
	for (const char *p = hay, *end = hay + n - k + 1; p < end; p++) {
		if ((p = memchr(p, needle[0], (size_t)(end - p))) == NULL)
			return 0;
		if (!memcmp(p, needle, k))
			return 1;
	}
	return 0;
}

static void row_clear(ruhu_value *row, size_t n)
{
	for (size_t i = 0; i < n; i++)
		audit_value_clear(&row[i]);
}

static int row_copy(ruhu_value *dst, const ruhu_value *src, size_t n)
{
	row_clear(dst, n);
	for (size_t i = 0; i < n; i++) {
		dst[i] = src[i];
		if (src[i].type == RUHU_VALUE_TEXT || src[i].type == RUHU_VALUE_BLOB) {
			char *p = malloc(src[i].len + 1);

			if (p == NULL) {
				memset(&dst[i], 0, sizeof(dst[i]));
				return ruhu_error_oom();
			}
			memcpy(p, src[i].p, src[i].len + 1);
			dst[i].p = p;
		}
	}
	return 0;
}

/* The change as the target's next version (note 1). */
static int apply_change(struct tstate *t, const ruhu_change *ch)
{
	size_t n = ch->ncol < t->ncol ? ch->ncol : t->ncol;
	int error;

	if ((error = row_copy(t->prev, t->row, t->ncol)) < 0)
		return error;
	memset(t->changed, 0, t->ncol);
	for (size_t i = 0; i < n; i++) {
		if (ch->op == SQLITE_DELETE) {
			audit_value_clear(&t->row[i]);
			t->changed[i] = 1;
		} else if (ch->op == SQLITE_INSERT || ruhu_change_changed(ch, i)) {
			audit_value_clear(&t->row[i]);
			if ((error = audit_value_from_cval(&t->row[i], &ch->new_values[i])) < 0)
				return error;
			t->changed[i] = 1;
		}
	}
	/* an UPDATE names the key without changing it */
	if (ch->op == SQLITE_UPDATE)
		for (size_t i = 0; i < n; i++)
			if (ch->pk[i] && t->row[i].type == RUHU_VALUE_NULL &&
			    (error = audit_value_from_cval(&t->row[i], &ch->old_values[i])) < 0)
				return error;
	t->exists = ch->op != SQLITE_DELETE;
	t->version++;
	t->op = ch->op == SQLITE_INSERT ? "insert" : ch->op == SQLITE_UPDATE ? "update" : "delete";
	t->touched = 1;
	return 0;
}

static int add_decision(struct tstate *t, const ruhu_audit_decision *d)
{
	ruhu_audit_decision *v = realloc(t->decv, (t->ndec + 1) * sizeof(*v));

	if (v == NULL)
		return ruhu_error_oom();
	t->decv = v;
	t->decv[t->ndec++] = *d;
	t->touched = 1;
	return 0;
}

/* One commit: its changeset (`cs`) and decisions; `pending` for a tablet's
 * own save. */
static int one_commit(struct walk *w, const git_oid *id, int64_t merged_at, const ruhu_buf *cs,
		      const ruhu_buf *dtext, int pending)
{
	struct audit_ctx *c = w->c;
	struct audit_decisions dec;
	struct audit_commit ac, bc;
	ruhu_changeset_iter *it = NULL;
	const ruhu_change *ch;
	int error = 0, more, loaded = 0;

	memset(&dec, 0, sizeof(dec));
	memset(&ac, 0, sizeof(ac));
	memset(&bc, 0, sizeof(bc));
	if (w->n == 1 && !(cs->size && holds(cs->ptr, cs->size, w->t[0].id)) &&
	    !(dtext->size && holds(dtext->ptr, dtext->size, w->t[0].id)))
		return 0;
	for (size_t k = 0; k < w->n; k++) {
		w->t[k].touched = 0;
		w->t[k].ndec = 0;
	}
	if (cs->size) {
		if ((error = ruhu_changeset_iter_new(&it, cs->ptr, cs->size, c->db, NULL, NULL)) < 0)
			goto done;
		while ((more = ruhu_changeset_iter_next(&ch, it)) > 0) {
			size_t k = find(w, ch->table, ch->key);

			if (k != (size_t)-1 && (error = apply_change(&w->t[k], ch)) < 0)
				goto done;
		}
		if (more < 0) {
			error = more;
			goto done;
		}
	}
	if (dtext->size && (error = audit_decisions_parse(&dec, dtext->ptr, dtext->size)) < 0)
		goto done;
	for (size_t i = 0; i < dec.n; i++) {
		size_t k = find(w, dec.v[i].type, dec.v[i].id);

		if (k == (size_t)-1 && !strcmp(dec.v[i].rule, "duplicate") && dec.v[i].hub)
			k = find(w, dec.v[i].type, dec.v[i].hub);
		if (k != (size_t)-1 && (error = add_decision(&w->t[k], &dec.v[i])) < 0)
			goto done;
	}
	for (size_t k = 0; k < w->n; k++) {
		struct tstate *t = &w->t[k];
		ruhu_audit_version v;
		int changed = t->op != NULL;

		if (!t->touched)
			continue;
		if (!loaded) {
			if ((error = audit_commit_load(&ac, c, id, merged_at)) < 0)
				goto done;
			if (!pending && git_commit_parentcount(ac.c) >= 2 &&
			    (error = audit_commit_load(&bc, c, git_commit_parent_id(ac.c, 1),
						       git_commit_time(ac.c))) < 0)
				goto done;
			loaded = 1;
		}
		memset(&v, 0, sizeof(v));
		v.version = t->version;
		v.op = changed ? t->op : "kept";
		v.pending = pending;
		v.commit = &ac.e;
		v.bundle = bc.c ? &bc.e : NULL;
		v.nfields = t->ncol;
		v.fields = t->fields;
		v.before = changed ? t->prev : t->row;
		v.after = t->row;
		if (!changed)
			memset(t->changed, 0, t->ncol);
		v.changed = t->changed;
		v.decisions = t->decv;
		v.ndecisions = t->ndec;
		t->op = NULL;
		if ((error = w->fn(k, &v, w->payload)) != 0)
			goto done;
	}
done:
	for (size_t k = 0; k < w->n; k++)
		w->t[k].op = NULL;
	ruhu_changeset_iter_free(it);
	audit_decisions_release(&dec);
	audit_commit_release(&ac);
	audit_commit_release(&bc);
	return error;
}

static int pending_saves(struct walk *w, ruhu_buf *cs, ruhu_buf *dtext)
{
	sqlite3_stmt *st = NULL;
	int rc, error = 0;

	/* only a tablet has the table */
	if (sqlite3_prepare_v2(w->c->db, "SELECT oid FROM _pending ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	ruhu_buf_clear(dtext);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		git_oid id;

		if (sqlite3_column_bytes(st, 0) != GIT_OID_RAWSZ)
			continue;
		git_oid_fromraw(&id, sqlite3_column_blob(st, 0));
		if ((error = audit_read_part(cs, w->c->repo, &id, "changeset")) < 0 ||
		    (error = one_commit(w, &id, -1, cs, dtext, 1)) != 0)
			break;
	}
	sqlite3_finalize(st);
	return error;
}

int audit_history_walk(struct audit_ctx *c, const struct audit_target *targets, size_t n,
		       audit_version_fn fn, void *payload)
{
	struct walk w;
	git_oid *chain = NULL, cur;
	size_t nchain = 0, cap = 0;
	ruhu_buf cs = RUHU_BUF_INIT, dtext = RUHU_BUF_INIT;
	int error = 0, found;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.n = n;
	w.fn = fn;
	w.payload = payload;
	if ((w.t = calloc(n ? n : 1, sizeof(*w.t))) == NULL || (w.sorted = calloc(n ? n : 1, sizeof(*w.sorted))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t k = 0; k < n; k++) {
		struct tstate *t = &w.t[k];

		if ((t->type = ruhu_schema_type_byname(c->schema, targets[k].type)) == NULL) {
			error = ruhu_error_set(RUHU_EINVALID, "unknown record type '%s'", targets[k].type);
			goto done;
		}
		t->tname = ruhu_type_name(t->type);
		t->id = targets[k].id;
		t->ncol = ruhu_type_field_count(t->type);
		if ((t->fields = calloc(t->ncol, sizeof(*t->fields))) == NULL ||
		    (t->row = calloc(t->ncol, sizeof(*t->row))) == NULL ||
		    (t->prev = calloc(t->ncol, sizeof(*t->prev))) == NULL ||
		    (t->changed = calloc(t->ncol, 1)) == NULL) {
			error = ruhu_error_oom();
			goto done;
		}
		for (size_t i = 0; i < t->ncol; i++)
			t->fields[i] = ruhu_field_name(ruhu_type_field(t->type, i));
		w.sorted[k] = t;
	}
	qsort(w.sorted, n, sizeof(*w.sorted), sort_cmp);

	/* main's first-parent chain, newest first, then walked backwards */
	if ((error = ruhu_refs_get(&cur, c->db, c->hub ? "refs/heads/main" : "refs/remotes/hub/main")) == RUHU_ENOTFOUND) {
		ruhu_error_clear();
		error = 0;
		found = 0;
	} else if (error < 0) {
		goto done;
	} else {
		found = 1;
	}
	while (found) {
		git_commit *cm = NULL;

		if (nchain == cap) {
			git_oid *v = realloc(chain, (cap = cap ? cap * 2 : 256) * sizeof(*v));

			if (v == NULL) {
				error = ruhu_error_oom();
				goto done;
			}
			chain = v;
		}
		chain[nchain++] = cur;
		if ((error = git_commit_lookup(&cm, c->repo, &cur)) < 0) {
			error = ruhu_git_error(error, "cannot read commit %s", git_oid_tostr_s(&cur));
			goto done;
		}
		found = git_commit_parentcount(cm) > 0;
		if (found)
			cur = *git_commit_parent_id(cm, 0);
		git_commit_free(cm);
	}
	for (size_t k = nchain; k-- > 0;) {
		if ((error = audit_read_part(&cs, c->repo, &chain[k], "changeset")) < 0 ||
		    (error = audit_read_part(&dtext, c->repo, &chain[k], "decisions.txt")) < 0 ||
		    (error = one_commit(&w, &chain[k], -1, &cs, &dtext, 0)) != 0)
			goto done;
	}
	if (!c->hub)
		error = pending_saves(&w, &cs, &dtext);
done:
	for (size_t k = 0; w.t && k < n; k++) {
		struct tstate *t = &w.t[k];

		if (t->row)
			row_clear(t->row, t->ncol);
		if (t->prev)
			row_clear(t->prev, t->ncol);
		free(t->row);
		free(t->prev);
		free(t->changed);
		free(t->fields);
		free(t->decv);
	}
	free(w.t);
	free(w.sorted);
	free(chain);
	ruhu_buf_dispose(&cs);
	ruhu_buf_dispose(&dtext);
	return error;
}

/* ---- `audit history` ---- */

struct one {
	int (*cb)(const ruhu_audit_version *v, void *payload);
	void *payload;
	size_t seen;
};

static int one_version(size_t target, const ruhu_audit_version *v, void *payload)
{
	struct one *o = payload;

	(void)target;
	o->seen++;
	return o->cb(v, o->payload);
}

int ruhu_audit_history(ruhu_replica *r, const char *type, const char *id,
		       int (*cb)(const ruhu_audit_version *v, void *payload), void *payload)
{
	struct audit_ctx c;
	struct audit_target t = { type, id };
	struct one o = { cb, payload, 0 };
	int error;

	if (type == NULL || id == NULL || id[0] == '\0')
		return ruhu_error_set(RUHU_EINVALID, "history needs a record type and an id");
	if ((error = audit_ctx_open(&c, r)) < 0)
		return error;
	if ((error = audit_history_walk(&c, &t, 1, one_version, &o)) == 0 && o.seen == 0)
		error = ruhu_error_set(RUHU_ENOTFOUND, "no commit of the history holds %s %s", type, id);
	audit_ctx_close(&c);
	return error;
}
