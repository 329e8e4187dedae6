/*
 * bundle.c — git v2 bundles: the header parser (untrusted input) and the
 * writer (see sync/bundle.h for the design notes; ingest is in
 * bundle_ingest.c).
 *
 * Design notes (of this file)
 *  1. The parser copies the header (up to and with the blank line) once,
 *     turns every newline of the copy into a NUL, and points refs and
 *     prerequisites into it: one allocation for all strings, bounded by the
 *     line and count caps, and nothing read outside data[0..len).
 *  2. Every line is looked for within RUHU_BUNDLE_MAX_LINE bytes, so a
 *     header without newlines costs one bounded scan, not a read to the end.
 *  3. Duplicate ref names are found by sorting a copy of the ref pointers:
 *     O(n log n) at the cap, never quadratic.
 *  4. The writer appends straight to the caller's buffer (a pack can be
 *     large: no second copy) and cuts it back to its old size on failure.
 *  5. The writer walks twice: once to learn the commits it includes (for the
 *     boundary, design note 2 of bundle.h), once inside the packbuilder.
 *     Membership tests use a sorted copy of the first walk.
 */
#include <stdlib.h>
#include <string.h>

#include "sync/bundle.h"

struct ruhu_bundle {
	char *header;                /* the copied header lines, NUL-separated */
	ruhu_bundle_ref *refs;
	size_t nrefs;
	ruhu_bundle_prereq *prereqs;
	size_t nprereqs;
	const unsigned char *pack;   /* borrowed from the parsed bytes */
	size_t pack_len;
};

void ruhu_oidlist_dispose(ruhu_oidlist *list)
{
	if (list == NULL)
		return;
	free(list->ids);
	list->ids = NULL;
	list->count = list->asize_ = 0;
}

/* --- ref names and ids ------------------------------------------------------ */

/* design note 3 of bundle.h: "HEAD" or a valid name under "refs/" */
static int refname_ok(const char *name, size_t len)
{
	int valid = 0;

	if (len == 0 || len > RUHU_BUNDLE_MAX_REFNAME || memchr(name, '\0', len) != NULL)
		return 0;
	if (strcmp(name, "HEAD") != 0 && strncmp(name, "refs/", 5) != 0)
		return 0;
	return git_reference_name_is_valid(&valid, name) == 0 && valid;
}

/* Untrusted text for a message: at most 80 bytes, other bytes than
 * printable ASCII as \xNN, so that nothing reaches a terminal raw. */
static const char *printable(char out[4 * 80 + 4], const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && i < 80; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
		} else {
			static const char hex[] = "0123456789abcdef";

			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (n > 80) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static int hex_oid(git_oid *out, const char *p)
{
	for (int i = 0; i < GIT_OID_HEXSZ; i++) {
		char c = p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return -1;
	}
	if (git_oid_fromstrn(out, p, GIT_OID_HEXSZ) < 0 || git_oid_is_zero(out))
		return -1;
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	const ruhu_bundle_ref *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* design note 3: the first name given twice, or NULL */
static int find_duplicate(const char **out, const ruhu_bundle_ref *refs, size_t n)
{
	const ruhu_bundle_ref **sorted;

	*out = NULL;
	if (n < 2)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (sorted == NULL)
		return ruhu_error_oom();
	for (size_t i = 0; i < n; i++)
		sorted[i] = &refs[i];
	qsort(sorted, n, sizeof(*sorted), cmp_name);
	for (size_t i = 1; i < n && *out == NULL; i++)
		if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
			*out = sorted[i]->name;
	free(sorted);
	return 0;
}

/* --- parser ------------------------------------------------------------------- */

void ruhu_bundle_free(ruhu_bundle *b)
{
	if (b == NULL)
		return;
	free(b->header);
	free(b->refs);
	free(b->prereqs);
	free(b);
}

/* Make room in an array of `size`-byte items for one more (callers cap the
 * counts of parsed input; the doubling itself is checked). */
static int grow(void **arr, size_t *alloc, size_t count, size_t size)
{
	void *p;
	size_t want;

	if (count < *alloc)
		return 0;
	want = *alloc ? *alloc * 2 : 16;
	if (want < *alloc || want > SIZE_MAX / size)
		return ruhu_error_oom();
	p = realloc(*arr, want * size);
	if (p == NULL)
		return ruhu_error_oom();
	*arr = p;
	*alloc = want;
	return 0;
}

/* One header line of the copy (its newline already a NUL), number `lineno`. */
static int parse_line(ruhu_bundle *b, char *line, size_t len, size_t lineno,
	size_t *refs_alloc, size_t *prereqs_alloc)
{
	char shown[4 * 80 + 4];
	git_oid id;
	int error;

	if (memchr(line, '\0', len) != NULL)
		return ruhu_error_set(RUHU_ECORRUPT, "bundle header line %zu holds a NUL byte", lineno);
	if (line[0] == '-') {
		ruhu_bundle_prereq *p;

		if (len < 1 + GIT_OID_HEXSZ || hex_oid(&id, line + 1) < 0 ||
		    (len > 1 + GIT_OID_HEXSZ && line[1 + GIT_OID_HEXSZ] != ' '))
			return ruhu_error_set(RUHU_ECORRUPT,
				"bundle header line %zu is not a commit id after '-'", lineno);
		if (b->nprereqs == RUHU_BUNDLE_MAX_PREREQS)
			return ruhu_error_set(RUHU_ECORRUPT,
				"bundle lists more than %d prerequisites", RUHU_BUNDLE_MAX_PREREQS);
		if ((error = grow((void **)&b->prereqs, prereqs_alloc, b->nprereqs,
				  sizeof(*b->prereqs))) < 0)
			return error;
		p = &b->prereqs[b->nprereqs++];
		p->oid = id;
		p->comment = len > 1 + GIT_OID_HEXSZ ? line + 2 + GIT_OID_HEXSZ : line + len;
		return 0;
	} else {
		ruhu_bundle_ref *r;

		if (len < GIT_OID_HEXSZ + 2 || hex_oid(&id, line) < 0 || line[GIT_OID_HEXSZ] != ' ')
			return ruhu_error_set(RUHU_ECORRUPT,
				"bundle header line %zu is not '<commit id> <ref name>'", lineno);
		if (!refname_ok(line + GIT_OID_HEXSZ + 1, len - GIT_OID_HEXSZ - 1))
			return ruhu_error_set(RUHU_ECORRUPT,
				"bundle header line %zu has an invalid ref name '%s'", lineno,
				printable(shown, line + GIT_OID_HEXSZ + 1, len - GIT_OID_HEXSZ - 1));
		if (b->nrefs == RUHU_BUNDLE_MAX_REFS)
			return ruhu_error_set(RUHU_ECORRUPT, "bundle lists more than %d refs",
				RUHU_BUNDLE_MAX_REFS);
		if ((error = grow((void **)&b->refs, refs_alloc, b->nrefs, sizeof(*b->refs))) < 0)
			return error;
		r = &b->refs[b->nrefs++];
		r->oid = id;
		r->name = line + GIT_OID_HEXSZ + 1;
		return 0;
	}
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The pack header only; the whole pack is checked by ingest. */
static int check_pack(const unsigned char *p, size_t len)
{
	uint32_t version;

	if (len < 12 + 20)
		return ruhu_error_set(RUHU_ECORRUPT, "bundle pack is truncated (%zu bytes)", len);
	if ((uint64_t)len > RUHU_BUNDLE_MAX_PACK)
		return ruhu_error_set(RUHU_ECORRUPT, "bundle pack of %zu bytes is over the cap", len);
	if (memcmp(p, "PACK", 4) != 0)
		return ruhu_error_set(RUHU_ECORRUPT, "bundle has no pack after its header");
	version = be32(p + 4);
	if (version != 2 && version != 3)
		return ruhu_error_set(RUHU_ECORRUPT, "bundle pack has version %u, not 2 or 3",
			(unsigned)version);
	return 0;
}

int ruhu_bundle_parse(ruhu_bundle **out, const void *data, size_t len)
{
	static const char v3[] = "# v3 git bundle\n";
	const unsigned char *p = data;
	const size_t siglen = sizeof(RUHU_BUNDLE_SIGNATURE) - 1;
	size_t pos, hlen, lineno = 1, refs_alloc = 0, prereqs_alloc = 0;
	ruhu_bundle *b = NULL;
	const char *dup;
	int error = 0;

	*out = NULL;
	if (len >= sizeof(v3) - 1 && memcmp(p, v3, sizeof(v3) - 1) == 0)
		return ruhu_error_set(RUHU_ECORRUPT,
			"bundle is a git v3 bundle; ruhu reads v2 bundles");
	if (len < siglen || memcmp(p, RUHU_BUNDLE_SIGNATURE, siglen) != 0)
		return ruhu_error_set(RUHU_ECORRUPT, "bundle does not start with '# v2 git bundle'");

	/* find the blank line, each line within the cap (design note 2) */
	for (pos = siglen;; lineno++) {
		size_t room = len - pos;
		const unsigned char *nl;

		if (room > RUHU_BUNDLE_MAX_LINE)
			room = RUHU_BUNDLE_MAX_LINE;
		nl = memchr(p + pos, '\n', room);
		if (nl == NULL) {
			if (room == RUHU_BUNDLE_MAX_LINE)
				return ruhu_error_set(RUHU_ECORRUPT,
					"bundle header line %zu is longer than %d bytes", lineno + 1,
					RUHU_BUNDLE_MAX_LINE);
			return ruhu_error_set(RUHU_ECORRUPT,
				"bundle header is truncated (no blank line before the pack)");
		}
		if (nl == p + pos) {
			pos++;
			break;
		}
		pos = (size_t)(nl - p) + 1;
		if (lineno > RUHU_BUNDLE_MAX_REFS + RUHU_BUNDLE_MAX_PREREQS)
			return ruhu_error_set(RUHU_ECORRUPT, "bundle header has more than %d lines",
				RUHU_BUNDLE_MAX_REFS + RUHU_BUNDLE_MAX_PREREQS);
	}
	hlen = pos;

	b = calloc(1, sizeof(*b));
	if (b != NULL)
		b->header = malloc(hlen);
	if (b == NULL || b->header == NULL) {
		error = ruhu_error_oom();
		goto done;
	}
	memcpy(b->header, p, hlen);
	lineno = 1;
	for (size_t at = siglen; at < hlen - 1; lineno++) {
		char *line = b->header + at;
		char *nl = memchr(line, '\n', hlen - at);
		size_t n = (size_t)(nl - line);

		*nl = '\0';
		if ((error = parse_line(b, line, n, lineno + 1, &refs_alloc, &prereqs_alloc)) < 0)
			goto done;
		at += n + 1;
	}
	if (b->nrefs == 0) {
		error = ruhu_error_set(RUHU_ECORRUPT, "bundle lists no refs");
		goto done;
	}
	if ((error = find_duplicate(&dup, b->refs, b->nrefs)) < 0)
		goto done;
	if (dup) {
		error = ruhu_error_set(RUHU_ECORRUPT, "bundle lists ref %s twice", dup);
		goto done;
	}
	if ((error = check_pack(p + hlen, len - hlen)) < 0)
		goto done;
	b->pack = p + hlen;
	b->pack_len = len - hlen;
	*out = b;
	b = NULL;
done:
	ruhu_bundle_free(b);
	return error;
}

size_t ruhu_bundle_ref_count(const ruhu_bundle *b)
{
	return b->nrefs;
}

const ruhu_bundle_ref *ruhu_bundle_ref_at(const ruhu_bundle *b, size_t i)
{
	return i < b->nrefs ? &b->refs[i] : NULL;
}

int ruhu_bundle_ref_lookup(git_oid *out, const ruhu_bundle *b, const char *name)
{
	for (size_t i = 0; i < b->nrefs; i++)
		if (strcmp(b->refs[i].name, name) == 0) {
			git_oid_cpy(out, &b->refs[i].oid);
			return 0;
		}
	return ruhu_error_set(RUHU_ENOTFOUND, "bundle has no ref %.200s", name);
}

size_t ruhu_bundle_prereq_count(const ruhu_bundle *b)
{
	return b->nprereqs;
}

const ruhu_bundle_prereq *ruhu_bundle_prereq_at(const ruhu_bundle *b, size_t i)
{
	return i < b->nprereqs ? &b->prereqs[i] : NULL;
}

const void *ruhu_bundle_pack(const ruhu_bundle *b, size_t *len)
{
	*len = b->pack_len;
	return b->pack;
}

/* --- writer --------------------------------------------------------------------- */

static int oidlist_add(ruhu_oidlist *l, const git_oid *id)
{
	int error;

	if ((error = grow((void **)&l->ids, &l->asize_, l->count, sizeof(*l->ids))) < 0)
		return error;
	git_oid_cpy(&l->ids[l->count++], id);
	return 0;
}

static int cmp_oid(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static int sorted_has(const git_oid *ids, size_t n, const git_oid *id)
{
	return n && bsearch(id, ids, n, sizeof(git_oid), cmp_oid) != NULL;
}

/* 0 when `id` is a commit of the store; `what` names it in the message. */
static int is_commit(git_odb *odb, const git_oid *id, const char *what)
{
	size_t sz;
	git_object_t type;
	int error = git_odb_read_header(&sz, &type, odb, id);

	if (error == GIT_ENOTFOUND)
		return ruhu_error_set(RUHU_ENOTFOUND, "%s %s is not in the object store", what,
			git_oid_tostr_s(id));
	if (error < 0)
		return ruhu_git_error(error, "cannot read %s %s", what, git_oid_tostr_s(id));
	if (type != GIT_OBJECT_COMMIT)
		return ruhu_error_set(RUHU_EINVALID, "%s %s is a %s, not a commit", what,
			git_oid_tostr_s(id), git_object_type2string(type));
	return 0;
}

static int check_input(git_repository *repo, const ruhu_bundle_ref *refs, size_t nrefs,
	const git_oid *have, size_t nhave)
{
	char shown[4 * 80 + 4];
	git_odb *odb = NULL;
	const char *dup;
	int error;

	if (nrefs == 0)
		return ruhu_error_set(RUHU_EINVALID, "a bundle needs at least one ref");
	if (nrefs > RUHU_BUNDLE_MAX_REFS)
		return ruhu_error_set(RUHU_EINVALID, "a bundle holds at most %d refs",
			RUHU_BUNDLE_MAX_REFS);
	for (size_t i = 0; i < nrefs; i++)
		if (refs[i].name == NULL || !refname_ok(refs[i].name, strlen(refs[i].name)))
			return ruhu_error_set(RUHU_EINVALID, "'%s' is not a valid bundle ref name",
				refs[i].name ? printable(shown, refs[i].name, strlen(refs[i].name)) : "");
	if ((error = find_duplicate(&dup, refs, nrefs)) < 0)
		return error;
	if (dup)
		return ruhu_error_set(RUHU_EINVALID, "ref %s is given twice", dup);
	if ((error = git_repository_odb(&odb, repo)) < 0)
		return ruhu_git_error(error, "cannot open the object store");
	for (size_t i = 0; i < nrefs && error == 0; i++)
		error = is_commit(odb, &refs[i].oid, "the commit of ref");
	for (size_t i = 0; i < nhave && error == 0; i++)
		error = is_commit(odb, &have[i], "commit left out");
	git_odb_free(odb);
	return error;
}

/* A walk from the refs hiding `have`; the caller frees it. */
static int new_walk(git_revwalk **out, git_repository *repo, const ruhu_bundle_ref *refs,
	size_t nrefs, const git_oid *have, size_t nhave)
{
	git_revwalk *walk = NULL;
	int error;

	*out = NULL;
	if ((error = git_revwalk_new(&walk, repo)) < 0)
		return ruhu_git_error(error, "cannot start a history walk");
	if ((error = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME)) < 0) {
		error = ruhu_git_error(error, "cannot sort a history walk");
		goto done;
	}
	for (size_t i = 0; i < nrefs; i++)
		if ((error = git_revwalk_push(walk, &refs[i].oid)) < 0) {
			error = ruhu_git_error(error, "cannot walk from %s", refs[i].name);
			goto done;
		}
	for (size_t i = 0; i < nhave; i++)
		if ((error = git_revwalk_hide(walk, &have[i])) < 0) {
			error = ruhu_git_error(error, "cannot leave out commit %s",
				git_oid_tostr_s(&have[i]));
			goto done;
		}
	*out = walk;
	walk = NULL;
done:
	git_revwalk_free(walk);
	return error;
}

/* Append "-<id> <subject>\n", the subject cut to fit RUHU_BUNDLE_MAX_LINE. */
static int put_prereq(ruhu_buf *out, git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	const char *subject = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t n = 0, max = RUHU_BUNDLE_MAX_LINE - GIT_OID_HEXSZ - 3;
	int error;

	if ((error = git_commit_lookup(&c, repo, id)) < 0)
		return ruhu_git_error(error, "cannot read commit %s", git_oid_tostr_s(id));
	subject = git_commit_summary(c);
	if (subject != NULL)
		n = strlen(subject);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)subject[n] & 0xc0) == 0x80)
			n--; /* not inside a UTF-8 sequence */
	}
	git_oid_tostr(hex, sizeof(hex), id);
	if ((error = ruhu_buf_putc(out, '-')) < 0 || (error = ruhu_buf_puts(out, hex)) < 0)
		goto done;
	if (n && ((error = ruhu_buf_putc(out, ' ')) < 0 ||
		  (error = ruhu_buf_put(out, subject, n)) < 0))
		goto done;
	error = ruhu_buf_putc(out, '\n');
done:
	git_commit_free(c);
	return error;
}

/* Add `id` to the boundary unless it is included or already there. */
static int boundary_add(ruhu_oidlist *out, const git_oid *in, size_t nin, const git_oid *id)
{
	if (sorted_has(in, nin, id))
		return 0;
	for (size_t i = 0; i < out->count; i++) /* a handful: linear is fine */
		if (git_oid_equal(&out->ids[i], id))
			return 0;
	if (out->count == RUHU_BUNDLE_MAX_PREREQS)
		return ruhu_error_set(RUHU_EINVALID, "bundle would need more than %d prerequisites",
			RUHU_BUNDLE_MAX_PREREQS);
	return oidlist_add(out, id);
}

/* Design note 2 of bundle.h: the boundary ids, in walk order, then the
 * refs whose commit is left out. */
static int boundary(ruhu_oidlist *out, git_repository *repo, const ruhu_bundle_ref *refs,
	size_t nrefs, const git_oid *have, size_t nhave)
{
	git_revwalk *walk = NULL;
	ruhu_oidlist in = RUHU_OIDLIST_INIT;
	git_oid *sorted = NULL, id;
	int error;

	if ((error = new_walk(&walk, repo, refs, nrefs, have, nhave)) < 0)
		goto done;
	while ((error = git_revwalk_next(&id, walk)) == 0)
		if ((error = oidlist_add(&in, &id)) < 0)
			goto done;
	if (error != GIT_ITEROVER) {
		error = ruhu_git_error(error, "cannot walk the history to bundle");
		goto done;
	}
	error = 0;
	if (nhave == 0)
		goto done; /* nothing left out: a full bundle */
	if (in.count) {
		sorted = malloc(in.count * sizeof(*sorted));
		if (sorted == NULL) {
			error = ruhu_error_oom();
			goto done;
		}
		memcpy(sorted, in.ids, in.count * sizeof(*sorted));
		qsort(sorted, in.count, sizeof(*sorted), cmp_oid);
	}
	for (size_t i = 0; i < in.count; i++) {
		git_commit *c = NULL;
		unsigned int np;

		if ((error = git_commit_lookup(&c, repo, &in.ids[i])) < 0) {
			error = ruhu_git_error(error, "cannot read commit %s",
				git_oid_tostr_s(&in.ids[i]));
			goto done;
		}
		np = git_commit_parentcount(c);
		for (unsigned int k = 0; k < np && error == 0; k++)
			error = boundary_add(out, sorted, in.count, git_commit_parent_id(c, k));
		git_commit_free(c);
		if (error < 0)
			goto done;
	}
	for (size_t i = 0; i < nrefs; i++)
		if ((error = boundary_add(out, sorted, in.count, &refs[i].oid)) < 0)
			goto done;
done:
	git_revwalk_free(walk);
	ruhu_oidlist_dispose(&in);
	free(sorted);
	return error;
}

static int put_pack(ruhu_buf *out, git_repository *repo, const ruhu_bundle_ref *refs,
	size_t nrefs, const git_oid *have, size_t nhave)
{
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	git_buf pack = GIT_BUF_INIT;
	int error;

	if ((error = new_walk(&walk, repo, refs, nrefs, have, nhave)) < 0)
		goto done;
	if ((error = git_packbuilder_new(&pb, repo)) < 0 ||
	    (error = git_packbuilder_insert_walk(pb, walk)) < 0 ||
	    (error = git_packbuilder_write_buf(&pack, pb)) < 0) {
		error = ruhu_git_error(error, "cannot build the pack of a bundle");
		goto done;
	}
	error = ruhu_buf_put(out, pack.ptr, pack.size);
done:
	git_buf_dispose(&pack);
	git_packbuilder_free(pb);
	git_revwalk_free(walk);
	return error;
}

int ruhu_bundle_create(ruhu_buf *out, git_repository *repo, const ruhu_bundle_ref *refs,
	size_t nrefs, const git_oid *have, size_t nhave)
{
	ruhu_oidlist prereqs = RUHU_OIDLIST_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	size_t start = out->size;
	int error;

	if ((error = check_input(repo, refs, nrefs, have, nhave)) < 0 ||
	    (error = boundary(&prereqs, repo, refs, nrefs, have, nhave)) < 0 ||
	    (error = ruhu_buf_puts(out, RUHU_BUNDLE_SIGNATURE)) < 0)
		goto done;
	for (size_t i = 0; i < prereqs.count; i++)
		if ((error = put_prereq(out, repo, &prereqs.ids[i])) < 0)
			goto done;
	for (size_t i = 0; i < nrefs; i++) {
		git_oid_tostr(hex, sizeof(hex), &refs[i].oid);
		if ((error = ruhu_buf_printf(out, "%s %s\n", hex, refs[i].name)) < 0)
			goto done;
	}
	if ((error = ruhu_buf_putc(out, '\n')) < 0)
		goto done;
	error = put_pack(out, repo, refs, nrefs, have, nhave);
done:
	if (error < 0 && out->ptr)
		ruhu_buf_truncate(out, start);
	ruhu_oidlist_dispose(&prereqs);
	return error;
}
