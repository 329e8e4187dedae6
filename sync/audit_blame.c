/*
 * audit_blame.c — who made each field of a record what it is (`ruhu audit
 * blame`), from the versions of audit_history.c (see ruhu/audit.h).
 *
 * Design notes
 *  1. A field is set by the last version that changed it (its insert, an
 *     update, a record brought back).  The commit and, for a merge, the
 *     tablet's save it carried are remembered by id and read again at the
 *     end, so nothing borrowed outlives its callback.
 *  2. The rule: the last decisions.txt line about that field, at or after
 *     the version that set it, whose result is the field's value — in the
 *     setting commit itself (a rule chose the incoming value) or in a later
 *     one (a rule kept the value against another tablet's edit).  "" when no
 *     rule fired: one side alone changed the field.
 *  3. Values are compared with decision results in decisions.txt's own
 *     text form (texts as they are, integers in decimal, reals as
 *     changes.txt writes them, blobs as x'hex').
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/changeset.h"
#include "sync/audit.h"

struct fstate {
	git_oid commit, bundle, decided;
	int has_bundle, has_rule;
	size_t version;
	char rule[24];
	ruhu_audit_decision dec;        /* strings owned (strdup) */
};

struct blame {
	size_t ncol;
	const char **fields;            /* borrowed from the schema */
	struct fstate *f;
	ruhu_value *row;                /* the last version */
	int exists, seen;
	git_oid deleted_in;
};

static int decision_text(ruhu_buf *out, const ruhu_value *v)
{
	ruhu_buf_clear(out);
	switch (v->type) {
	case RUHU_VALUE_TEXT:
		return ruhu_buf_put(out, v->p, v->len);
	case RUHU_VALUE_INTEGER:
		return ruhu_buf_printf(out, "%lld", (long long)v->i);
	case RUHU_VALUE_REAL:
		return audit_value_text(out, v);
	case RUHU_VALUE_BLOB:
		if (ruhu_buf_puts(out, "x'") < 0 || ruhu_buf_puthex(out, v->p, v->len) < 0)
			return RUHU_ENOMEM;
		return ruhu_buf_putc(out, '\'');
	default:
		return 0;
	}
}

static int same_value(int *out, const char *result, const ruhu_value *v)
{
	ruhu_buf t = RUHU_BUF_INIT;
	int error;

	*out = 0;
	if (result == NULL || v->type == RUHU_VALUE_NULL) {
		*out = result == NULL && v->type == RUHU_VALUE_NULL;
		return 0;
	}
	if ((error = decision_text(&t, v)) == 0)
		*out = strlen(result) == t.size && !memcmp(result, t.ptr ? t.ptr : "", t.size);
	ruhu_buf_dispose(&t);
	return error;
}

static void dec_clear(ruhu_audit_decision *d)
{
	free((char *)d->type);
	free((char *)d->id);
	free((char *)d->field);
	free((char *)d->rule);
	free((char *)d->base);
	free((char *)d->hub);
	free((char *)d->device);
	free((char *)d->result);
	free((char *)d->note);
	memset(d, 0, sizeof(*d));
}

static int dup_or_null(const char **out, const char *s)
{
	*out = NULL;
	if (s && (*out = strdup(s)) == NULL)
		return ruhu_error_oom();
	return 0;
}

static int dec_copy(ruhu_audit_decision *d, const ruhu_audit_decision *s)
{
	dec_clear(d);
	if (dup_or_null(&d->type, s->type) < 0 || dup_or_null(&d->id, s->id) < 0 ||
	    dup_or_null(&d->field, s->field) < 0 || dup_or_null(&d->rule, s->rule) < 0 ||
	    dup_or_null(&d->base, s->base) < 0 || dup_or_null(&d->hub, s->hub) < 0 ||
	    dup_or_null(&d->device, s->device) < 0 || dup_or_null(&d->result, s->result) < 0 ||
	    dup_or_null(&d->note, s->note) < 0)
		return RUHU_ENOMEM;
	return 0;
}

static int on_version(size_t target, const ruhu_audit_version *v, void *payload)
{
	struct blame *b = payload;
	git_oid cid;
	int error;

	(void)target;
	if (git_oid_fromstr(&cid, v->commit->commit.id) < 0)
		return ruhu_error_set(RUHU_ERROR, "a commit id cannot be read back");
	b->seen = 1;
	if (strcmp(v->op, "kept")) {
		for (size_t i = 0; i < b->ncol && i < v->nfields; i++) {
			struct fstate *f = &b->f[i];

			if (!v->changed[i])
				continue;
			f->commit = cid;
			f->has_bundle = v->bundle != NULL;
			if (v->bundle && git_oid_fromstr(&f->bundle, v->bundle->commit.id) < 0)
				return ruhu_error_set(RUHU_ERROR, "a commit id cannot be read back");
			f->version = v->version;
			f->has_rule = 0;
			f->rule[0] = '\0';
			dec_clear(&f->dec);
		}
		for (size_t i = 0; i < b->ncol; i++)
			audit_value_clear(&b->row[i]);
		for (size_t i = 0; i < b->ncol && i < v->nfields; i++) {
			ruhu_value *dst = &b->row[i];

			*dst = v->after[i];
			if (dst->type == RUHU_VALUE_TEXT || dst->type == RUHU_VALUE_BLOB) {
				char *p = malloc(dst->len + 1);

				if (p == NULL) {
					memset(dst, 0, sizeof(*dst));
					return ruhu_error_oom();
				}
				memcpy(p, v->after[i].p, dst->len + 1);
				dst->p = p;
			}
		}
		b->exists = strcmp(v->op, "delete") != 0;
		if (!b->exists)
			b->deleted_in = cid;
	}
	for (size_t k = 0; k < v->ndecisions; k++) {
		const ruhu_audit_decision *d = &v->decisions[k];
		size_t i;
		int same;

		if (d->field == NULL)
			continue;
		for (i = 0; i < b->ncol && strcmp(b->fields[i], d->field); i++)
			;
		if (i == b->ncol)
			continue;
		if ((error = same_value(&same, d->result, &b->row[i])) < 0)
			return error;
		if (!same)
			continue;
		snprintf(b->f[i].rule, sizeof(b->f[i].rule), "%s", d->rule);
		b->f[i].has_rule = 1;
		b->f[i].decided = cid;
		if ((error = dec_copy(&b->f[i].dec, d)) < 0)
			return error;
	}
	return 0;
}

/* Entries read once each (a record's fields share a few commits); each
 * is allocated on its own, since an entry points into itself. */
struct cache {
	struct audit_commit **v;
	size_t n;
};

static const ruhu_audit_entry *lookup(struct cache *c, const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];

	git_oid_tostr(hex, sizeof(hex), id);
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i]->e.commit.id, hex))
			return &c->v[i]->e;
	return NULL;
}

static int entry(const ruhu_audit_entry **out, struct cache *c, struct audit_ctx *ctx,
		 const git_oid *id, int64_t merged_at)
{
	struct audit_commit **v, *ac;
	int error;

	if ((*out = lookup(c, id)) != NULL)
		return 0;
	if ((v = realloc(c->v, (c->n + 1) * sizeof(*v))) == NULL)
		return ruhu_error_oom();
	c->v = v;
	if ((ac = calloc(1, sizeof(*ac))) == NULL)
		return ruhu_error_oom();
	if ((error = audit_commit_load(ac, ctx, id, merged_at)) < 0) {
		free(ac);
		return error;
	}
	c->v[c->n++] = ac;
	*out = &ac->e;
	return 0;
}

static int64_t commit_time(struct audit_ctx *c, const git_oid *id)
{
	git_commit *m = NULL;
	int64_t t = -1;

	if (git_commit_lookup(&m, c->repo, id) == 0)
		t = git_commit_time(m);
	git_commit_free(m);
	return t;
}

int ruhu_audit_blame(ruhu_replica *r, const char *type, const char *id,
		     int (*cb)(const ruhu_audit_blame_line *b, void *payload), void *payload)
{
	struct audit_ctx c;
	struct audit_target t = { type, id };
	struct blame b;
	struct cache cache = { NULL, 0 };
	const ruhu_type *ty;
	const ruhu_audit_entry *tmp;
	int error;

	memset(&b, 0, sizeof(b));
	if (type == NULL || id == NULL || id[0] == '\0')
		return ruhu_error_set(RUHU_EINVALID, "blame needs a record type and an id");
	if ((error = audit_ctx_open(&c, r)) < 0)
		return error;
	if ((ty = ruhu_schema_type_byname(c.schema, type)) == NULL) {
		error = ruhu_error_set(RUHU_EINVALID, "unknown record type '%s'", type);
		goto done;
	}
	b.ncol = ruhu_type_field_count(ty);
	if ((b.fields = calloc(b.ncol, sizeof(*b.fields))) == NULL ||
	    (b.f = calloc(b.ncol, sizeof(*b.f))) == NULL || (b.row = calloc(b.ncol, sizeof(*b.row))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t i = 0; i < b.ncol; i++)
		b.fields[i] = ruhu_field_name(ruhu_type_field(ty, i));
	if ((error = audit_history_walk(&c, &t, 1, on_version, &b)) < 0)
		goto done;
	if (!b.seen) {
		error = ruhu_error_set(RUHU_ENOTFOUND, "no commit of the history holds %s %s", type, id);
		goto done;
	}
	if (!b.exists) {
		if ((error = entry(&tmp, &cache, &c, &b.deleted_in, -1)) < 0)
			goto done;
		error = ruhu_error_set(RUHU_ENOTFOUND, "%s %s was deleted by commit %.12s (%s, %s, %s)", type, id,
				       tmp->commit.id, tmp->merge_of[0] ? tmp->merge_of : tmp->commit.device,
				       tmp->commit.worker[0] ? tmp->commit.worker : "-", tmp->commit.subject);
		goto done;
	}
	/* read every commit named, then hand out the lines */
	for (size_t i = 0; i < b.ncol; i++) {
		int64_t mt = commit_time(&c, &b.f[i].commit);

		if ((error = entry(&tmp, &cache, &c, &b.f[i].commit, -1)) < 0 ||
		    (b.f[i].has_bundle && (error = entry(&tmp, &cache, &c, &b.f[i].bundle, mt)) < 0) ||
		    (b.f[i].has_rule && (error = entry(&tmp, &cache, &c, &b.f[i].decided, -1)) < 0))
			goto done;
	}
	for (size_t i = 0; i < b.ncol; i++) {
		ruhu_audit_blame_line l;

		memset(&l, 0, sizeof(l));
		l.field = b.fields[i];
		l.value = b.row[i];
		l.commit = lookup(&cache, &b.f[i].commit);
		l.bundle = b.f[i].has_bundle ? lookup(&cache, &b.f[i].bundle) : NULL;
		l.version = b.f[i].version;
		l.rule = b.f[i].has_rule ? b.f[i].rule : "";
		l.decided_in = b.f[i].has_rule ? lookup(&cache, &b.f[i].decided) : NULL;
		l.decision = b.f[i].has_rule ? &b.f[i].dec : NULL;
		if ((error = cb(&l, payload)) != 0)
			goto done;
	}
done:
	for (size_t i = 0; i < cache.n; i++) {
		audit_commit_release(cache.v[i]);
		free(cache.v[i]);
	}
	free(cache.v);
	for (size_t i = 0; b.f && i < b.ncol; i++)
		dec_clear(&b.f[i].dec);
	for (size_t i = 0; b.row && i < b.ncol; i++)
		audit_value_clear(&b.row[i]);
	free(b.f);
	free(b.row);
	free(b.fields);
	audit_ctx_close(&c);
	return error;
}
