/*
 * merge_result.c — the result of a merge: decisions, review items, the
 * arena that owns their strings and values, and decisions.txt.
 *
 * Design notes
 *  1. Every string and value of a result is copied into the result's arena
 *     (blocks that never move), so a result outlives the changeset, the
 *     schema and the database it was made from.
 *  2. decisions.txt (frozen, docs/sync.md §2 and docs/merge.md §6): UTF-8,
 *     one line per decision after the header line, each ending in "\n":
 *
 *       COLUMN   DESCRIPTION
 *       type     record type (table name)
 *       id       record id
 *       field    field name; \N for a decision about the whole row
 *       rule     the rule or refusal (merge.h lists them)
 *       base     the device's old value        \N when NULL or not given
 *       hub      the hub's value before         "
 *       device   the device's new value         "
 *       result   the value the hub holds after  "
 *       note     one line of explanation, may be empty
 *
 *     Columns are separated by one TAB.  Texts are written as they are;
 *     integers in decimal; reals as changes.txt writes them; blobs as
 *     x'hex'.  In every column a backslash is written `\\`, a TAB `\t`, a
 *     line feed `\n` and a carriage return `\r`; `\N` alone is NULL.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/merge_int.h"

#define BLOCK_SIZE 65536

struct block {
	struct block *next;
	size_t used, size;
	unsigned char data[];
};

struct ruhu_merge_arena {
	struct block *head;
};

static void *arena_alloc(ruhu_merge_arena *a, size_t n)
{
	struct block *b = a->head;

	n = (n + 7) & ~(size_t)7;
	if (b == NULL || b->size - b->used < n) {
		size_t size = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;

		b = malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		/* a big allocation goes behind the current block so that the
		 * current block's free space is not lost */
		if (size > BLOCK_SIZE && a->head) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	b->used += n;
	return b->data + b->used - n;
}

static const char *arena_str(ruhu_merge_arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* Copy a value's bytes into the arena; NULL `v` gives an undefined value. */
static int arena_val(ruhu_cval *out, ruhu_merge_arena *a, const ruhu_cval *v)
{
	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return 0;
	*out = *v;
	if ((v->type == SQLITE_TEXT || v->type == SQLITE_BLOB) && v->n > 0) {
		unsigned char *p = arena_alloc(a, v->n);

		if (p == NULL)
			return ruhu_error_oom();
		memcpy(p, v->p, v->n);
		out->p = p;
	} else {
		out->p = NULL;
	}
	return 0;
}

int merge_result_new(ruhu_merge_result **out)
{
	ruhu_merge_result *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r)
		r->arena = calloc(1, sizeof(*r->arena));
	if (r == NULL || r->arena == NULL) {
		free(r);
		return ruhu_error_oom();
	}
	*out = r;
	return 0;
}

void ruhu_merge_result_free(ruhu_merge_result *res)
{
	if (res == NULL)
		return;
	if (res->arena) {
		struct block *b = res->arena->head;

		while (b) {
			struct block *next = b->next;

			free(b);
			b = next;
		}
		free(res->arena);
	}
	ruhu_buf_dispose(&res->net);
	free(res->decisions);
	free(res->reviews);
	free(res);
}

void merge_result_truncate(ruhu_merge_result *res, size_t ndecisions, size_t nreviews)
{
	if (ndecisions < res->ndecisions)
		res->ndecisions = ndecisions;
	if (nreviews < res->nreviews)
		res->nreviews = nreviews;
}

static int grow(void **arr, size_t *alloc, size_t n, size_t size)
{
	void *p;
	size_t na;

	if (n < *alloc)
		return 0;
	na = *alloc ? *alloc * 2 : 64;
	p = realloc(*arr, na * size);
	if (p == NULL)
		return ruhu_error_oom();
	*arr = p;
	*alloc = na;
	return 0;
}

/* The device's change as a one-change changeset, in the arena. */
static int change_bytes(const unsigned char **out, size_t *len, struct merge *m, struct tab *t,
			const ruhu_change *c)
{
	unsigned char *p;
	int error;

	ruhu_buf_clear(&m->scratch);
	if ((error = ruhu_prov_change_bytes(&m->scratch, t->name, t->ncol, t->key, c->op,
					    c->old_values, c->new_values)) < 0)
		return error;
	p = arena_alloc(m->res->arena, m->scratch.size);
	if (p == NULL)
		return ruhu_error_oom();
	memcpy(p, m->scratch.ptr, m->scratch.size);
	*out = p;
	*len = m->scratch.size;
	return 0;
}

int merge_decide(struct merge *m, struct tab *t, const char *field, const char *rule,
		 const ruhu_cval *base, const ruhu_cval *hub, const ruhu_cval *dev,
		 const ruhu_cval *result, int review, const ruhu_change *c, const char *other_id,
		 const char *fmt, ...)
{
	ruhu_merge_result *res = m->res;
	ruhu_merge_arena *a = res->arena;
	ruhu_merge_decision *d;
	char note[512];
	va_list ap;
	int error;

	va_start(ap, fmt);
	vsnprintf(note, sizeof(note), fmt, ap);
	va_end(ap);
	if (m->o.mode == RUHU_MERGE_REDO)
		review = 0;
	if ((error = grow((void **)&res->decisions, &res->dalloc, res->ndecisions,
			  sizeof(*res->decisions))) < 0)
		return error;
	d = &res->decisions[res->ndecisions];
	memset(d, 0, sizeof(*d));
	d->rule = rule;
	d->review = -1;
	d->type = arena_str(a, t->name, strlen(t->name));
	d->id = arena_str(a, m->id.ptr, m->id.size);
	d->field = field ? arena_str(a, field, strlen(field)) : NULL;
	d->note = arena_str(a, note, strlen(note));
	if (d->type == NULL || d->id == NULL || (field && d->field == NULL) || d->note == NULL)
		return ruhu_error_oom();
	if ((error = arena_val(&d->base, a, base)) < 0 || (error = arena_val(&d->hub, a, hub)) < 0 ||
	    (error = arena_val(&d->device, a, dev)) < 0 ||
	    (error = arena_val(&d->result, a, result)) < 0)
		return error;
	if (review) {
		ruhu_merge_review *r;

		if ((error = grow((void **)&res->reviews, &res->ralloc, res->nreviews,
				  sizeof(*res->reviews))) < 0)
			return error;
		r = &res->reviews[res->nreviews];
		memset(r, 0, sizeof(*r));
		r->kind = rule;
		r->type = d->type;
		r->id = d->id;
		r->field = d->field;
		r->base = d->base;
		r->hub = d->hub;
		r->device = d->device;
		r->note = d->note;
		if (c && (error = change_bytes(&r->change, &r->change_len, m, t, c)) < 0)
			return error;
		r->other_id = other_id ? arena_str(a, other_id, strlen(other_id)) : NULL;
		if (other_id && r->other_id == NULL)
			return ruhu_error_oom();
		d->review = (long)res->nreviews;
		res->nreviews++;
	}
	res->ndecisions++;
	return 0;
}

/* ---- decisions.txt ------------------------------------------------------- */

static int put_escaped(ruhu_buf *out, const unsigned char *p, size_t n)
{
	size_t start = 0;
	int error;

	for (size_t i = 0; i < n; i++) {
		const char *esc = p[i] == '\\' ? "\\\\" : p[i] == '\t' ? "\\t" : p[i] == '\n' ? "\\n" :
				  p[i] == '\r' ? "\\r" : NULL;

		if (esc == NULL)
			continue;
		if ((error = ruhu_buf_put(out, p + start, i - start)) < 0 ||
		    (error = ruhu_buf_puts(out, esc)) < 0)
			return error;
		start = i + 1;
	}
	return ruhu_buf_put(out, p + start, n - start);
}

static int put_str(ruhu_buf *out, const char *s)
{
	if (s == NULL)
		return ruhu_buf_puts(out, "\\N");
	return put_escaped(out, (const unsigned char *)s, strlen(s));
}

static int put_value(ruhu_buf *out, const ruhu_cval *v)
{
	switch (v->type) {
	case SQLITE_TEXT:
		return put_escaped(out, v->p, v->n);
	case SQLITE_BLOB: {
		int error = ruhu_buf_puts(out, "x'");

		if (error >= 0 && (error = ruhu_buf_puthex(out, v->p, v->n)) >= 0)
			error = ruhu_buf_putc(out, '\'');
		return error;
	}
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		return ruhu_cval_text(out, v);
	default:
		return ruhu_buf_puts(out, "\\N");
	}
}

int ruhu_merge_decisions_text(ruhu_buf *out, const ruhu_merge_result *res)
{
	size_t start = out ? out->size : 0;
	int error = 0;

	if (out == NULL || res == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no merge result to write");
	if ((error = ruhu_buf_puts(out, "type\tid\tfield\trule\tbase\thub\tdevice\tresult\tnote\n")) < 0)
		goto done;
	for (size_t i = 0; i < res->ndecisions; i++) {
		const ruhu_merge_decision *d = &res->decisions[i];
		const ruhu_cval *vals[4] = { &d->base, &d->hub, &d->device, &d->result };

		if ((error = put_str(out, d->type)) < 0 || (error = ruhu_buf_putc(out, '\t')) < 0 ||
		    (error = put_str(out, d->id)) < 0 || (error = ruhu_buf_putc(out, '\t')) < 0 ||
		    (error = put_str(out, d->field)) < 0 || (error = ruhu_buf_putc(out, '\t')) < 0 ||
		    (error = put_str(out, d->rule)) < 0)
			goto done;
		for (int k = 0; k < 4; k++)
			if ((error = ruhu_buf_putc(out, '\t')) < 0 || (error = put_value(out, vals[k])) < 0)
				goto done;
		if ((error = ruhu_buf_putc(out, '\t')) < 0 || (error = put_str(out, d->note)) < 0 ||
		    (error = ruhu_buf_putc(out, '\n')) < 0)
			goto done;
	}
done:
	if (error < 0)
		ruhu_buf_truncate(out, start);
	return error;
}
