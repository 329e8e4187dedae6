/*
 * commit.c — signed commits, trees, trailers and history walks (see
 * core/commit.h for the design notes and docs/history.md for the formats).
 *
 * Design notes (of this file)
 *  1. Trees are built from a sorted copy of the entries: paths that share a
 *     directory are then adjacent, so each directory is one recursive call
 *     over a contiguous run.  Depth is bounded by MAX_DEPTH path components.
 *  2. Every libgit2 object looked up here is freed at the single exit of the
 *     function that looked it up.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/commit.h"
#include "core/odb.h"
#include "core/sshsig.h"

#define MAX_PATH 4096
#define MAX_DEPTH 32

int ruhu_blob_write(git_oid *out, git_repository *repo, const void *data, size_t len)
{
	int error = git_blob_create_from_buffer(out, repo, len ? data : "", len);

	return error < 0 ? ruhu_git_error(error, "cannot write a blob of %zu bytes", len) : 0;
}

/* --- trees (design note 1) --------------------------------------------------- */

typedef struct {
	const char *rest; /* the path below the directory being built */
	const ruhu_tree_entry *e;
} item;

static int cmp_items(const void *a, const void *b)
{
	return strcmp(((const item *)a)->rest, ((const item *)b)->rest);
}

static int bad_path(const char *path, const char *why)
{
	return ruhu_error_set(RUHU_EINVALID, "tree path '%.200s' %s", path, why);
}

static int build_tree(git_oid *out, git_repository *repo, item *items, size_t n, int depth)
{
	git_treebuilder *bld = NULL;
	size_t i = 0;
	int error = 0;

	if (depth > MAX_DEPTH)
		return bad_path(items[0].e->path, "is too deep");
	if ((error = git_treebuilder_new(&bld, repo, NULL)) < 0)
		return ruhu_git_error(error, "cannot start a tree");
	while (i < n) {
		const char *rest = items[i].rest, *slash = strchr(rest, '/');
		char name[256];
		git_oid oid;
		git_filemode_t mode;
		size_t nlen = slash ? (size_t)(slash - rest) : strlen(rest), j = i + 1;

		if (nlen == 0 || nlen >= sizeof(name) || (slash && slash[1] == '\0')) {
			error = bad_path(items[i].e->path, "has an empty or too long name");
			goto done;
		}
		memcpy(name, rest, nlen);
		name[nlen] = '\0';
		if (slash) {
			/* the run of paths below directory `name` */
			while (j < n && !strncmp(items[j].rest, rest, nlen + 1))
				j++;
			for (size_t k = i; k < j; k++)
				items[k].rest += nlen + 1;
			if ((error = build_tree(&oid, repo, items + i, j - i, depth + 1)) < 0)
				goto done;
			mode = GIT_FILEMODE_TREE;
		} else {
			oid = items[i].e->oid;
			mode = items[i].e->mode ? items[i].e->mode : GIT_FILEMODE_BLOB;
			if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE &&
			    mode != GIT_FILEMODE_TREE) {
				error = bad_path(items[i].e->path, "has an unsupported mode");
				goto done;
			}
		}
		if (git_treebuilder_get(bld, name) != NULL) {
			error = bad_path(items[i].e->path, "is given twice");
			goto done;
		}
		if ((error = git_treebuilder_insert(NULL, bld, name, &oid, mode)) < 0) {
			const git_error *e = git_error_last();

			/* the object store failed to look the entry up: that error
			 * (libgit2 says "invalid object specified"); libgit2 1.5.1
			 * (tree.c) replaces the out-of-memory error of its map of
			 * entries with "failed to insert NAME" */
			int giterr = error;

			error = ruhu_odb_take_failure();
			if (error == 0 && e && e->klass == GIT_ERROR_TREE && e->message &&
			    !strncmp(e->message, "failed to insert ", 17) && !strcmp(e->message + 17, name))
				error = ruhu_error_set(RUHU_ENOMEM, "cannot add '%.200s' to a tree: out of memory",
						       items[i].e->path);
			else if (error == 0)
				error = ruhu_git_error(giterr, "cannot add '%.200s' to a tree", items[i].e->path);
			goto done;
		}
		i = j;
	}
	if ((error = git_treebuilder_write(out, bld)) < 0)
		error = ruhu_git_error(error, "cannot write a tree");
done:
	git_treebuilder_free(bld);
	return error;
}

int ruhu_tree_write(git_oid *out, git_repository *repo, const ruhu_tree_entry *entries, size_t n)
{
	item *items = NULL;
	int error = 0;

	if (n == 0)
		return build_tree(out, repo, NULL, 0, 0); /* the empty tree */
	if ((items = calloc(n, sizeof(*items))) == NULL)
		return ruhu_error_oom();
	for (size_t i = 0; i < n; i++) {
		const char *p = entries[i].path;

		if (p == NULL || p[0] == '\0' || p[0] == '/' || strlen(p) > MAX_PATH) {
			error = bad_path(p ? p : "", "is empty, absolute or too long");
			goto done;
		}
		items[i].rest = p;
		items[i].e = &entries[i];
	}
	qsort(items, n, sizeof(*items), cmp_items);
	error = build_tree(out, repo, items, n, 0);
done:
	free(items);
	return error;
}

/* --- messages ------------------------------------------------------------------ */

static int valid_key(const char *k, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '-'))
			return 0;
	return 1;
}

int ruhu_commit_opts_init(ruhu_commit_opts *opts, unsigned int version)
{
	ruhu_commit_opts init = RUHU_COMMIT_OPTS_INIT;

	if (version != RUHU_COMMIT_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "commit options version %u is unknown", version);
	*opts = init;
	return 0;
}

int ruhu_commit_message(ruhu_buf *out, const char *subject, const char *body,
	const ruhu_trailer *trailers, size_t ntrailers)
{
	size_t start = out->size, blen;
	int error = 0;

	if (subject == NULL || subject[0] == '\0' || strpbrk(subject, "\r\n"))
		return ruhu_error_set(RUHU_EINVALID, "commit subject must be one non-empty line");
	for (size_t i = 0; i < ntrailers; i++) {
		const char *k = trailers[i].key, *v = trailers[i].value;

		if (k == NULL || !valid_key(k, strlen(k)))
			return ruhu_error_set(RUHU_EINVALID, "'%.80s' is not a trailer key",
				k ? k : "");
		if (v == NULL || strpbrk(v, "\r\n"))
			return ruhu_error_set(RUHU_EINVALID, "trailer %s must have a one-line value",
				k);
	}
	if ((error = ruhu_buf_printf(out, "%s\n", subject)) < 0)
		goto done;
	if (body) {
		/* design note 2 of commit.h: no blank lines at the body's ends */
		while (*body == '\n')
			body++;
		blen = strlen(body);
		while (blen && (body[blen - 1] == '\n' || body[blen - 1] == ' '))
			blen--;
		if (blen && ((error = ruhu_buf_putc(out, '\n')) < 0 ||
			     (error = ruhu_buf_put(out, body, blen)) < 0 ||
			     (error = ruhu_buf_putc(out, '\n')) < 0))
			goto done;
	}
	if (ntrailers && (error = ruhu_buf_putc(out, '\n')) < 0)
		goto done;
	for (size_t i = 0; i < ntrailers; i++)
		if ((error = ruhu_buf_printf(out, "%s: %s\n", trailers[i].key,
				trailers[i].value)) < 0)
			goto done;
done:
	if (error < 0)
		ruhu_buf_truncate(out, start);
	return error;
}

static int person(git_signature **out, const ruhu_person *p, const char *role)
{
	int error;

	if (p->name == NULL || p->email == NULL || strpbrk(p->name, "<>\r\n") ||
	    strpbrk(p->email, "<>\r\n") || p->name[0] == '\0')
		return ruhu_error_set(RUHU_EINVALID, "commit %s needs a one-line name and email",
			role);
	if (p->offset < -24 * 60 || p->offset > 24 * 60)
		return ruhu_error_set(RUHU_EINVALID, "commit %s has a time zone offset of %d minutes",
			role, p->offset);
	if ((error = git_signature_new(out, p->name, p->email, (git_time_t)p->time, p->offset)) < 0)
		return ruhu_git_error(error, "cannot make the commit %s", role);
	return 0;
}

int ruhu_commit_create(git_oid *out, git_repository *repo, const ruhu_commit_opts *opts,
	const ruhu_signkey *key)
{
	git_signature *author = NULL, *committer = NULL;
	const git_commit *parents[2] = { NULL, NULL };
	git_tree *tree = NULL;
	git_buf content = GIT_BUF_INIT;
	ruhu_buf message = RUHU_BUF_INIT, sig = RUHU_BUF_INIT;
	git_oid tree_id;
	int error;

	memset(out, 0, sizeof(*out));
	if (opts == NULL || opts->version != RUHU_COMMIT_OPTS_VERSION)
		return ruhu_error_set(RUHU_EINVALID, "commit options are missing or of another version");
	if (opts->nparents > 2)
		return ruhu_error_set(RUHU_EINVALID, "a commit has at most 2 parents, not %zu",
			opts->nparents);
	if ((error = person(&author, &opts->author, "author")) < 0 ||
	    (error = person(&committer, opts->committer.name ? &opts->committer : &opts->author,
			    "committer")) < 0 ||
	    (error = ruhu_commit_message(&message, opts->subject, opts->body, opts->trailers,
			    opts->ntrailers)) < 0)
		goto done;
	if (opts->tree)
		tree_id = *opts->tree;
	else if ((error = ruhu_tree_write(&tree_id, repo, opts->entries, opts->nentries)) < 0)
		goto done;
	if ((error = git_tree_lookup(&tree, repo, &tree_id)) < 0) {
		error = ruhu_git_error(error, "cannot find tree %s", git_oid_tostr_s(&tree_id));
		goto done;
	}
	for (size_t i = 0; i < opts->nparents; i++)
		if ((error = git_commit_lookup((git_commit **)&parents[i], repo,
				&opts->parents[i])) < 0) {
			error = ruhu_git_error(error, "cannot find parent commit %s",
				git_oid_tostr_s(&opts->parents[i]));
			goto done;
		}
	if ((error = git_commit_create_buffer(&content, repo, author, committer, NULL,
			message.ptr, tree, opts->nparents, parents)) < 0) {
		error = ruhu_git_error(error, "cannot format a commit");
		goto done;
	}
	if ((error = ruhu_sshsig_sign(&sig, key, RUHU_SSHSIG_GIT, content.ptr, content.size)) < 0)
		goto done;
	if ((error = git_commit_create_with_signature(out, repo, content.ptr, sig.ptr,
			"gpgsig")) < 0)
		error = ruhu_git_error(error, "cannot write a signed commit");
done:
	for (size_t i = 0; i < 2; i++)
		git_commit_free((git_commit *)parents[i]);
	git_tree_free(tree);
	git_signature_free(author);
	git_signature_free(committer);
	git_buf_dispose(&content);
	ruhu_buf_dispose(&message);
	ruhu_buf_dispose(&sig);
	return error;
}

/* --- verification ------------------------------------------------------------------ */

char ruhu_sig_status_letter(ruhu_sig_status status)
{
	switch (status) {
	case RUHU_SIG_GOOD: return 'G';
	case RUHU_SIG_UNKNOWN: return 'U';
	case RUHU_SIG_BAD: return 'B';
	case RUHU_SIG_UNSIGNED: return 'N';
	case RUHU_SIG_MALFORMED: return 'E';
	}
	return 'E';
}

int ruhu_commit_verify(ruhu_commit_sig *out, git_repository *repo, const git_oid *id,
	const unsigned char (*keys)[32], size_t nkeys)
{
	git_odb *odb = NULL;
	git_odb_object *obj = NULL;
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	int error;

	memset(out, 0, sizeof(*out));
	out->status = RUHU_SIG_MALFORMED;
	if ((error = git_repository_odb(&odb, repo)) < 0) {
		error = ruhu_git_error(error, "cannot open the object store");
		goto done;
	}
	/* read first: a missing or altered object is an error, not a status */
	if ((error = git_odb_read(&obj, odb, id)) < 0) {
		error = ruhu_git_error(error, "cannot read commit %s", git_oid_tostr_s(id));
		goto done;
	}
	if (git_odb_object_type(obj) != GIT_OBJECT_COMMIT) {
		error = ruhu_error_set(RUHU_EINVALID, "object %s is not a commit", git_oid_tostr_s(id));
		goto done;
	}
	error = git_commit_extract_signature(&sig, &data, repo, (git_oid *)id, "gpgsig");
	if (error == GIT_ENOTFOUND) {
		out->status = RUHU_SIG_UNSIGNED;
		error = 0;
		goto done;
	}
	if (error < 0) {
		error = ruhu_git_error(error, "cannot read the signature of commit %s",
			git_oid_tostr_s(id));
		goto done;
	}
	error = ruhu_sshsig_verify(out->signer, sig.ptr, sig.size, RUHU_SSHSIG_GIT, data.ptr,
		data.size);
	out->has_signer = error == 0 || error == RUHU_EAUTH;
	if (error == RUHU_ECORRUPT) {
		out->status = RUHU_SIG_MALFORMED;
	} else if (error == RUHU_EAUTH) {
		out->status = RUHU_SIG_BAD;
	} else if (error < 0) {
		goto done;
	} else {
		out->status = keys ? RUHU_SIG_UNKNOWN : RUHU_SIG_GOOD;
		for (size_t i = 0; keys && i < nkeys; i++)
			if (!memcmp(keys[i], out->signer, 32))
				out->status = RUHU_SIG_GOOD;
	}
	error = 0;
done:
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	git_odb_object_free(obj);
	git_odb_free(odb);
	return error;
}

/* --- trailers (commit.h, design note 3) ------------------------------------------------ */

/* Is [s, e) a `Key: value` line?  Sets the split point. */
static int trailer_line(const char *s, const char *e, const char **colon)
{
	const char *c = memchr(s, ':', (size_t)(e - s));

	if (c == NULL || !valid_key(s, (size_t)(c - s)) || c + 1 >= e || c[1] != ' ')
		return 0;
	*colon = c;
	return 1;
}

int ruhu_trailers_parse(ruhu_trailers *out, const char *message)
{
	const char *end, *para, *p;
	size_t len, lines = 0;
	char *text = NULL;
	int error = 0;

	memset(out, 0, sizeof(*out));
	len = strlen(message);
	while (len && (message[len - 1] == '\n' || message[len - 1] == ' ' ||
		       message[len - 1] == '\r'))
		len--;
	end = message + len;
	/* the last paragraph starts after the last blank line */
	for (para = end; para > message; para--)
		if (para[-1] == '\n' && para - 1 > message && para[-2] == '\n')
			break;
	if (para == message)
		return 0; /* only the subject paragraph */
	for (p = para; p < end; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *colon;

		if (!trailer_line(p, e, &colon))
			return 0;
		p = nl ? nl + 1 : end;
	}
	if ((text = malloc((size_t)(end - para) + 1)) == NULL ||
	    (out->items = calloc(lines, sizeof(*out->items))) == NULL) {
		free(text);
		return ruhu_error_oom();
	}
	memcpy(text, para, (size_t)(end - para));
	text[end - para] = '\0';
	for (char *q = text; *q;) {
		char *nl = strchr(q, '\n'), *colon = strchr(q, ':');

		if (nl)
			*nl = '\0';
		*colon = '\0';
		out->items[out->count].key = q;
		out->items[out->count++].value = colon + 2;
		q = nl ? nl + 1 : q + strlen(q);
	}
	out->text_ = text;
	return error;
}

const char *ruhu_trailers_get(const ruhu_trailers *t, const char *key)
{
	for (size_t i = 0; i < t->count; i++)
		if (!strcasecmp(t->items[i].key, key))
			return t->items[i].value;
	return NULL;
}

void ruhu_trailers_dispose(ruhu_trailers *t)
{
	free(t->items);
	free(t->text_);
	memset(t, 0, sizeof(*t));
}

/* --- reading and walking ------------------------------------------------------------------ */

int ruhu_commit_read_path(ruhu_buf *out, git_repository *repo, const git_oid *id,
	const char *path)
{
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	git_blob *blob = NULL;
	int error;

	if ((error = git_commit_lookup(&commit, repo, id)) < 0 ||
	    (error = git_commit_tree(&tree, commit)) < 0) {
		error = ruhu_git_error(error, "cannot read commit %s", git_oid_tostr_s(id));
		goto done;
	}
	if ((error = git_tree_entry_bypath(&entry, tree, path)) < 0) {
		error = error == GIT_ENOTFOUND
			? ruhu_error_set(RUHU_ENOTFOUND, "commit %.12s has no file %s",
				git_oid_tostr_s(id), path)
			: ruhu_git_error(error, "cannot look up %s", path);
		goto done;
	}
	if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB) {
		error = ruhu_error_set(RUHU_EINVALID, "%s in commit %.12s is not a file", path,
			git_oid_tostr_s(id));
		goto done;
	}
	if ((error = git_blob_lookup(&blob, repo, git_tree_entry_id(entry))) < 0) {
		error = ruhu_git_error(error, "cannot read %s", path);
		goto done;
	}
	error = ruhu_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
done:
	git_blob_free(blob);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return error;
}

int ruhu_history_walk(git_repository *repo, const git_oid *from, const git_oid *hide,
	size_t nhide, unsigned int flags, ruhu_history_cb cb, void *payload)
{
	git_revwalk *walk = NULL;
	unsigned int sort = GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME;
	git_oid id;
	int error;

	if ((error = git_revwalk_new(&walk, repo)) < 0) {
		error = ruhu_git_error(error, "cannot start a history walk");
		goto done;
	}
	if (flags & RUHU_HISTORY_REVERSE)
		sort |= GIT_SORT_REVERSE;
	if ((error = git_revwalk_sorting(walk, sort)) < 0 ||
	    ((flags & RUHU_HISTORY_FIRST_PARENT) && (error = git_revwalk_simplify_first_parent(walk)) < 0) ||
	    (error = git_revwalk_push(walk, from)) < 0) {
		error = ruhu_git_error(error, "cannot walk from commit %s", git_oid_tostr_s(from));
		goto done;
	}
	for (size_t i = 0; i < nhide; i++)
		if ((error = git_revwalk_hide(walk, &hide[i])) < 0) {
			error = ruhu_git_error(error, "cannot hide commit %s", git_oid_tostr_s(&hide[i]));
			goto done;
		}
	while ((error = git_revwalk_next(&id, walk)) == 0)
		if ((error = cb(&id, payload)) != 0)
			goto done;
	if (error == GIT_ITEROVER)
		error = 0;
	else
		error = ruhu_git_error(error, "history walk from %s failed", git_oid_tostr_s(from));
done:
	git_revwalk_free(walk);
	return error;
}
