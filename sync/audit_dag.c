/*
 * audit_dag.c — the commit graph of a history in memory, and the order in
 * which `git log --graph` shows it (see audit.h).
 *
 * Design notes
 *  1. Nodes are made when a commit is first named (as a tip or a parent) and
 *     read afterwards, so a parent's number is known before it is read.  A
 *     commit that cannot be read stays a node without parents, flagged
 *     AUDIT_NODE_MISSING, when the caller's callback allows it.
 *  2. Ids are found through an open-addressing table keyed by the first
 *     bytes of the id (ids are uniformly distributed).
 *  3. The order is git's sort_in_topological_order with graph order (what
 *     `git log --graph` uses without a commit-graph file, and what an export
 *     has): every node gets 1 plus its number of children; the tips go on a
 *     stack, the first tip on top; a node popped is shown, and each parent
 *     whose last child it was is pushed, in parent order — so after a merge
 *     its second parent comes first.  Tips are the nodes without shown
 *     children, newest committer time first (ties: the order met).
 */
#include <stdlib.h>
#include <string.h>

#include "core/odb.h"
#include "sync/audit.h"

static size_t slot_of(const git_oid *id, size_t nslots)
{
	uint32_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (nslots - 1);
}

uint32_t audit_dag_find(const struct audit_dag *d, const git_oid *id)
{
	size_t s;

	if (d->nslots == 0)
		return AUDIT_NONE;
	for (s = slot_of(id, d->nslots); d->slots[s]; s = (s + 1) & (d->nslots - 1))
		if (git_oid_equal(&d->v[d->slots[s] - 1].oid, id))
			return d->slots[s] - 1;
	return AUDIT_NONE;
}

static int rehash(struct audit_dag *d)
{
	size_t n = d->nslots ? d->nslots * 2 : 1024;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (slots == NULL)
		return ruhu_error_oom();
	for (size_t i = 0; i < d->n; i++) {
		size_t s = slot_of(&d->v[i].oid, n);

		while (slots[s])
			s = (s + 1) & (n - 1);
		slots[s] = (uint32_t)i + 1;
	}
	free(d->slots);
	d->slots = slots;
	d->nslots = n;
	return 0;
}

/* The node of `id`, made when new (*made = 1). */
static int node(uint32_t *out, int *made, struct audit_dag *d, const git_oid *id)
{
	size_t s;
	int error;

	*made = 0;
	if ((*out = audit_dag_find(d, id)) != AUDIT_NONE)
		return 0;
	if (d->n >= UINT32_MAX - 1)
		return ruhu_error_set(RUHU_EINVALID, "the history has too many commits to audit");
	if ((d->n + 1) * 2 > d->nslots && (error = rehash(d)) < 0)
		return error;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		struct audit_node *v = realloc(d->v, cap * sizeof(*v));

		if (v == NULL)
			return ruhu_error_oom();
		d->v = v;
		d->cap = cap;
	}
	memset(&d->v[d->n], 0, sizeof(d->v[d->n]));
	d->v[d->n].oid = *id;
	d->v[d->n].merged_at = -1;
	for (s = slot_of(id, d->nslots); d->slots[s]; s = (s + 1) & (d->nslots - 1))
		;
	d->slots[s] = (uint32_t)d->n + 1;
	*out = (uint32_t)d->n++;
	*made = 1;
	return 0;
}

static int push(uint32_t **stack, size_t *n, size_t *cap, uint32_t v)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		uint32_t *s = realloc(*stack, c * sizeof(*s));

		if (s == NULL)
			return ruhu_error_oom();
		*stack = s;
		*cap = c;
	}
	(*stack)[(*n)++] = v;
	return 0;
}

int audit_dag_load(struct audit_dag *d, git_repository *repo, const git_oid *tips, size_t ntips,
		   audit_missing_cb missing, void *payload)
{
	uint32_t *todo = NULL, *child = NULL;
	size_t ntodo = 0, cap = 0, ccap = 0, nchild = 0;
	int error = 0;

	memset(d, 0, sizeof(*d));
	/* tips first, in order, so that their numbers follow the order given */
	for (size_t i = 0; i < ntips; i++) {
		uint32_t t;
		int made;

		if ((error = node(&t, &made, d, &tips[i])) < 0)
			goto done;
		if (!made)
			continue;
		d->v[t].flags |= AUDIT_NODE_SHOWN; /* "queued" while loading */
		if ((error = push(&todo, &ntodo, &cap, t)) < 0 ||
		    (error = push(&child, &nchild, &ccap, AUDIT_NONE)) < 0)
			goto done;
	}
	/* read them in the order given (a stack, reversed once) */
	for (size_t i = 0; i < ntodo / 2; i++) {
		uint32_t t = todo[i];

		todo[i] = todo[ntodo - 1 - i];
		todo[ntodo - 1 - i] = t;
	}
	/* (child[] holds only AUDIT_NONE so far: no need to reverse it) */
	while (ntodo) {
		uint32_t i = todo[--ntodo], from = child[--nchild];
		git_commit *c = NULL;
		unsigned int np;
		int rc;

		if ((rc = git_commit_lookup(&c, repo, &d->v[i].oid)) < 0) {
			error = ruhu_git_error(rc, "cannot read commit %s", git_oid_tostr_s(&d->v[i].oid));
			if (missing == NULL ||
			    (error = missing(&d->v[i].oid, from == AUDIT_NONE ? NULL : &d->v[from].oid,
					     error, payload)) < 0)
				goto done;
			d->v[i].flags |= AUDIT_NODE_MISSING;
			continue;
		}
		d->v[i].time = git_commit_time(c);
		np = git_commit_parentcount(c);
		if (d->npar + np > d->cappar) {
			size_t pc = d->cappar ? d->cappar * 2 : 2048;
			uint32_t *p;

			while (pc < d->npar + np)
				pc *= 2;
			if ((p = realloc(d->par, pc * sizeof(*p))) == NULL) {
				git_commit_free(c);
				error = ruhu_error_oom();
				goto done;
			}
			d->par = p;
			d->cappar = pc;
		}
		d->v[i].parents = (uint32_t)d->npar;
		d->v[i].nparents = np;
		d->npar += np;
		/* parents pushed last first, so that the first parent is read
		 * next (a depth-first walk down first parents) */
		for (unsigned int k = 0; k < np; k++) {
			uint32_t p;
			int made;

			if ((error = node(&p, &made, d, git_commit_parent_id(c, k))) < 0) {
				git_commit_free(c);
				goto done;
			}
			d->par[d->v[i].parents + k] = p;
		}
		for (unsigned int k = np; k-- > 0;) {
			uint32_t p = d->par[d->v[i].parents + k];

			if (d->v[p].flags & AUDIT_NODE_SHOWN)
				continue;
			d->v[p].flags |= AUDIT_NODE_SHOWN; /* "queued" while loading */
			if ((error = push(&todo, &ntodo, &cap, p)) < 0 ||
			    (error = push(&child, &nchild, &ccap, i)) < 0) {
				git_commit_free(c);
				goto done;
			}
		}
		git_commit_free(c);
	}
	for (size_t i = 0; i < d->n; i++)
		d->v[i].flags &= ~AUDIT_NODE_SHOWN;
done:
	free(todo);
	free(child);
	if (error < 0)
		audit_dag_release(d);
	return error;
}

void audit_dag_release(struct audit_dag *d)
{
	free(d->v);
	free(d->par);
	free(d->slots);
	memset(d, 0, sizeof(*d));
}

void audit_dag_mark_main(struct audit_dag *d, uint32_t tip)
{
	for (uint32_t i = tip; i != AUDIT_NONE;) {
		const uint32_t *p = audit_dag_parents(d, i);

		if (d->v[i].flags & AUDIT_NODE_MAIN)
			break; /* a cycle cannot happen in git, but never loop */
		d->v[i].flags |= AUDIT_NODE_MAIN;
		/* newest first: the last assignment is the oldest merge */
		for (uint32_t k = 1; k < d->v[i].nparents; k++)
			d->v[p[k]].merged_at = d->v[i].time;
		i = d->v[i].nparents ? p[0] : AUDIT_NONE;
	}
}

struct tip {
	uint32_t node;
	int64_t time;
};

static int tip_cmp(const void *a, const void *b)
{
	const struct tip *x = a, *y = b;

	if (x->time != y->time)
		return x->time > y->time ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

int audit_topo_order(uint32_t **out, size_t *n, const struct audit_dag *d, const uint32_t *pidx,
		     const uint32_t *pcount, const uint32_t *par)
{
	uint32_t *indeg = NULL, *stack = NULL, *order = NULL;
	struct tip *cand = NULL;
	size_t nstack = 0, scap = 0, norder = 0, ncand = 0;
	int error = 0;

	*out = NULL;
	*n = 0;
	if ((indeg = calloc(d->n ? d->n : 1, sizeof(*indeg))) == NULL ||
	    (order = malloc((d->n ? d->n : 1) * sizeof(*order))) == NULL ||
	    (cand = malloc((d->n ? d->n : 1) * sizeof(*cand))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].flags & AUDIT_NODE_SHOWN)
			indeg[i] = 1;
	for (size_t i = 0; i < d->n; i++) {
		if (!indeg[i])
			continue;
		for (uint32_t k = 0; k < pcount[i]; k++)
			if (indeg[par[pidx[i] + k]])
				indeg[par[pidx[i] + k]]++;
	}
	for (size_t i = 0; i < d->n; i++)
		if (indeg[i] == 1) {
			cand[ncand].node = (uint32_t)i;
			cand[ncand].time = d->v[i].time;
			ncand++;
		}
	qsort(cand, ncand, sizeof(*cand), tip_cmp);
	for (size_t i = ncand; i-- > 0;)
		if ((error = push(&stack, &nstack, &scap, cand[i].node)) < 0)
			goto done;
	while (nstack) {
		uint32_t c = stack[--nstack];

		for (uint32_t k = 0; k < pcount[c]; k++) {
			uint32_t p = par[pidx[c] + k];

			if (!indeg[p])
				continue;
			if (--indeg[p] == 1 && (error = push(&stack, &nstack, &scap, p)) < 0)
				goto done;
		}
		indeg[c] = 0;
		order[norder++] = c;
	}
	*out = order;
	*n = norder;
	order = NULL;
done:
	free(indeg);
	free(stack);
	free(order);
	free(cand);
	return error;
}
