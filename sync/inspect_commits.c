/*
 * inspect_commits.c — the commits a bundle carries, for `ruhu bundle list`
 * and `verify`: kept in an in-memory store, ordered parents first, their
 * signatures checked (inspect.c, design notes 3 to 5).
 */
#include <stdlib.h>
#include <string.h>

#include <git2/sys/odb_backend.h>

#include "core/commit.h"
#include "core/odb.h"
#include "sync/inspect_int.h"

/*
 * The commits live in a small object store of their own, not libgit2's
 * mempack: libgit2's commit parser (git_commit_extract_signature among
 * others) reads an object's bytes as a NUL-terminated string, and mempack
 * hands them out without the NUL.  This store, like core/odb.c, gives every
 * object one byte more, a NUL.  Objects are kept sorted by id once the pack
 * is read, and found by binary search.
 */
struct memobj {
	git_oid id;
	unsigned char *data;
	size_t len;
};

struct memstore {
	git_odb_backend parent;
	struct memobj *v;
	size_t n, cap;
};

static int by_memobj(const void *a, const void *b)
{
	return git_oid_cmp(&((const struct memobj *)a)->id, &((const struct memobj *)b)->id);
}

static const struct memobj *mem_find(const struct memstore *m, const git_oid *id)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = git_oid_cmp(&m->v[mid].id, id);

		if (c == 0)
			return &m->v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int mem_read(void **out, size_t *len, git_object_t *type, git_odb_backend *b,
		    const git_oid *id)
{
	const struct memobj *o = mem_find((struct memstore *)b, id);
	unsigned char *buf;

	if (o == NULL)
		return GIT_ENOTFOUND;
	if ((buf = git_odb_backend_data_alloc(b, o->len + 1)) == NULL)
		return -1;
	memcpy(buf, o->data, o->len);
	buf[o->len] = '\0';
	*out = buf;
	*len = o->len;
	*type = GIT_OBJECT_COMMIT;
	return 0;
}

static int mem_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	const struct memobj *o = mem_find((struct memstore *)b, id);

	if (o == NULL)
		return GIT_ENOTFOUND;
	*len = o->len;
	*type = GIT_OBJECT_COMMIT;
	return 0;
}

static int mem_exists(git_odb_backend *b, const git_oid *id)
{
	return mem_find((struct memstore *)b, id) != NULL;
}

static void mem_free(git_odb_backend *b)
{
	struct memstore *m = (struct memstore *)b;

	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].data);
	free(m->v);
	free(m);
}

static int keep_commit(const git_oid *oid, git_object_t type, const void *data, size_t len,
		       void *payload)
{
	struct commits *c = payload;
	struct memstore *m = c->store;

	c->objects++;
	if (type != GIT_OBJECT_COMMIT)
		return 0;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct memobj *v = realloc(m->v, cap * sizeof(*v));
		git_oid *ids = realloc(c->ids, cap * sizeof(*ids));

		if (v)
			m->v = v;
		if (ids)
			c->ids = ids;
		if (v == NULL || ids == NULL)
			return ruhu_error_oom();
		m->cap = cap;
	}
	if ((m->v[m->n].data = malloc(len ? len : 1)) == NULL)
		return ruhu_error_oom();
	memcpy(m->v[m->n].data, data, len);
	m->v[m->n].len = len;
	m->v[m->n].id = *oid; /* computed by the pack parser from the bytes */
	m->n++;
	c->ids[c->n++] = *oid;
	return 0;
}

void inspect_commits_dispose(struct commits *c)
{
	git_repository_free(c->repo);
	git_odb_free(c->odb); /* frees the store it owns */
	if (c->store && !c->store_owned)
		mem_free(&((struct memstore *)c->store)->parent);
	free(c->ids);
	memset(c, 0, sizeof(*c));
}

int inspect_load_commits(struct commits *c, const ruhu_bundle *b)
{
	struct memstore *m;
	const void *pack;
	size_t plen;
	int rc, error;

	memset(c, 0, sizeof(*c));
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ruhu_error_oom();
	c->store = m;
	if ((rc = git_odb_init_backend(&m->parent, GIT_ODB_BACKEND_VERSION)) < 0)
		return ruhu_git_error(rc, "cannot make a store for the bundle's commits");
	m->parent.read = mem_read;
	m->parent.read_header = mem_read_header;
	m->parent.exists = mem_exists;
	m->parent.free = mem_free;
	pack = ruhu_bundle_pack(b, &plen);
	if ((error = ruhu_pack_parse(NULL, pack, plen, NULL, NULL, keep_commit, c)) < 0)
		return error;
	if (m->n)
		qsort(m->v, m->n, sizeof(*m->v), by_memobj);
	if ((rc = git_odb_new(&c->odb)) < 0 || (rc = git_odb_add_backend(c->odb, &m->parent, 1)) < 0)
		return ruhu_git_error(rc, "cannot make a store for the bundle's commits");
	c->store_owned = 1;
	if ((rc = git_repository_wrap_odb(&c->repo, c->odb)) < 0)
		return ruhu_git_error(rc, "cannot make a store for the bundle's commits");
	return 0;
}

struct node {
	git_oid id;
	int64_t time;
	size_t parent[2];  /* indexes into the node array, or SIZE_MAX */
	int state;         /* 0 new, 1 parents pushed, 2 given */
};

/* An index of the nodes by commit id. */
struct by_id {
	git_oid id;
	size_t node;
};

static int by_time(const void *a, const void *b)
{
	const struct node *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return git_oid_cmp(&x->id, &y->id);
}

static int by_oid(const void *a, const void *b)
{
	return git_oid_cmp(&((const struct by_id *)a)->id, &((const struct by_id *)b)->id);
}

/* The node of commit `id`, or SIZE_MAX when the bundle does not carry it. */
static size_t find_node(const struct by_id *index, size_t n, const git_oid *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = git_oid_cmp(&index[mid].id, id);

		if (c == 0)
			return index[mid].node;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

/* The signature letter of a commit (design note 4). */
static char sig_letter(size_t *bad, size_t *unverified, git_repository *repo, const git_oid *id,
		       const struct signers *s, const char *device, int64_t time)
{
	unsigned char (*keys)[32] = NULL;
	ruhu_commit_sig sig;
	size_t n = 0;
	char letter = 'E';

	if (s->n && (keys = malloc(s->n * sizeof(*keys))) == NULL)
		goto done;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].id, device))
			memcpy(keys[n++], s->v[i].key, 32);
	if (ruhu_commit_verify(&sig, repo, id, n ? (const unsigned char (*)[32])keys : NULL, n) < 0) {
		ruhu_error_clear();
		goto done;
	}
	letter = ruhu_sig_status_letter(sig.status);
	if (sig.status == RUHU_SIG_GOOD && n == 0) {
		letter = 'U';
	} else if (sig.status == RUHU_SIG_GOOD) {
		for (size_t i = 0; i < s->n; i++)
			if (!strcmp(s->v[i].id, device) && !memcmp(s->v[i].key, sig.signer, 32) &&
			    s->v[i].revoked_ms && s->v[i].revoked_ms <= time * 1000)
				letter = 'R';
	}
done:
	free(keys);
	if (letter == 'U' && n == 0)
		(*unverified)++;
	else if (letter != 'G')
		(*bad)++;
	return letter;
}

/* One commit to the callback. */
static int give_commit(ruhu_bundle_info *info, struct commits *c, const struct signers *s,
		       const git_oid *id, ruhu_bundle_entry_cb cb, void *payload)
{
	git_commit *cm = NULL;
	ruhu_trailers tr = RUHU_TRAILERS_INIT;
	ruhu_bundle_entry e;
	const char *v;
	int error;

	memset(&e, 0, sizeof(e));
	if ((error = git_commit_lookup(&cm, c->repo, id)) < 0) {
		error = ruhu_git_error(error, "cannot read commit %s of the bundle", git_oid_tostr_s(id));
		goto done;
	}
	if ((error = ruhu_trailers_parse(&tr, git_commit_message(cm))) < 0)
		goto done;
	e.what = RUHU_BUNDLE_ENTRY_COMMIT;
	git_oid_tostr(e.id, sizeof(e.id), id);
	e.name = git_commit_summary(cm) ? git_commit_summary(cm) : "";
	e.author = git_commit_author(cm)->name;
	e.time = (int64_t)git_commit_time(cm);
	e.offset = git_commit_time_offset(cm);
	e.device = (v = ruhu_trailers_get(&tr, "Ruhu-Device")) ? v : "";
	e.worker = (v = ruhu_trailers_get(&tr, "Ruhu-Worker")) ? v : "";
	e.hlc = (v = ruhu_trailers_get(&tr, "Ruhu-HLC")) ? v : "";
	if ((v = ruhu_trailers_get(&tr, "Ruhu-Seq")) != NULL)
		e.seq = strtoll(v, NULL, 10);
	e.nparents = git_commit_parentcount(cm);
	for (unsigned int i = 0; i < e.nparents && i < 2; i++)
		git_oid_tostr(e.parents[i], RUHU_OID_SIZE, git_commit_parent_id(cm, i));
	e.sig = sig_letter(&info->bad, &info->unverified, c->repo, id, s, e.device, e.time);
	if (cb)
		error = cb(&e, payload);
done:
	ruhu_trailers_dispose(&tr);
	git_commit_free(cm);
	return error;
}

/* Every commit, parents first (design note 5). */
int inspect_give_commits(ruhu_bundle_info *info, struct commits *c, const struct signers *s,
			 ruhu_bundle_entry_cb cb, void *payload)
{
	struct node *nodes = NULL;
	struct by_id *index = NULL;
	size_t *stack = NULL, n = c->n, sp = 0;
	int error = 0;

	if (n == 0)
		return 0;
	if ((nodes = calloc(n, sizeof(*nodes))) == NULL || (index = calloc(n, sizeof(*index))) == NULL ||
	    (stack = calloc(3 * n + 1, sizeof(*stack))) == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		git_commit *cm = NULL;

		nodes[i].id = c->ids[i];
		if ((error = git_commit_lookup(&cm, c->repo, &c->ids[i])) < 0) {
			error = ruhu_git_error(error, "cannot read commit %s of the bundle",
					       git_oid_tostr_s(&c->ids[i]));
			goto done;
		}
		nodes[i].time = (int64_t)git_commit_time(cm);
		git_commit_free(cm);
	}
	qsort(nodes, n, sizeof(*nodes), by_time);
	for (size_t i = 0; i < n; i++) {
		index[i].id = nodes[i].id;
		index[i].node = i;
	}
	qsort(index, n, sizeof(*index), by_oid);
	for (size_t i = 0; i < n; i++) {
		git_commit *cm = NULL;

		nodes[i].parent[0] = nodes[i].parent[1] = SIZE_MAX;
		if ((error = git_commit_lookup(&cm, c->repo, &nodes[i].id)) < 0) {
			error = ruhu_git_error(error, "cannot read a commit of the bundle");
			goto done;
		}
		for (unsigned int k = 0; k < git_commit_parentcount(cm) && k < 2; k++)
			nodes[i].parent[k] = find_node(index, n, git_commit_parent_id(cm, k));
		git_commit_free(cm);
	}
	for (size_t i = 0; i < n && error == 0; i++) {
		if (nodes[i].state)
			continue;
		stack[sp++] = i;
		while (sp && error == 0) {
			size_t k = stack[sp - 1];
			int pushed = 0;

			if (nodes[k].state == 2) {
				sp--;
				continue;
			}
			if (nodes[k].state == 0) {
				nodes[k].state = 1;
				for (int p = 1; p >= 0; p--) {
					size_t q = nodes[k].parent[p];

					if (q != SIZE_MAX && nodes[q].state == 0) {
						stack[sp++] = q;
						pushed = 1;
					}
				}
			}
			if (!pushed) {
				sp--;
				nodes[k].state = 2;
				error = give_commit(info, c, s, &nodes[k].id, cb, payload);
			}
		}
	}
done:
	free(nodes);
	free(index);
	free(stack);
	return error;
}

