/*
 * bundle_ingest.c — taking a parsed bundle into the object store: the
 * prerequisite check, the pack inside one savepoint, the connectivity check
 * of what the pack added, and the list of the commits it brought (see
 * sync/bundle.h, design notes 4-6).
 *
 * Design notes (of this file)
 *  1. The objects a pack added are the _objects rows above the largest rowid
 *     read inside the same savepoint before the pack was written (bundle.h,
 *     design note 5).  They are read with SQL and parsed here: a commit's
 *     "tree" and "parent" lines, a tree's entries, a tag's "object" line.
 *     The pack reader has already checked that each of them parses as git
 *     parses it; this code still checks every length against the row.
 *  2. Each id they name must be a row of _objects of the right type: a
 *     commit's tree a tree, its parents commits, a tree entry of mode 040000
 *     a tree, 160000 (a submodule link) is not followed, any other mode a
 *     blob; a tag's target any object.  Since the store was closed under
 *     ancestry before (bundle.h, design note 6), checking the new rows is
 *     enough to keep it so.
 *  3. The order of the new commits comes from libgit2's walk (topological,
 *     then by time, reversed) from the new commits, hiding their parents that
 *     were there before; it runs before the savepoint is released.  Every
 *     decision (prerequisites, connectivity, refs) reads the table with SQL,
 *     never libgit2's cache, so objects that the walk leaves in the cache
 *     after a rollback cannot make a later ingest believe they are stored.
 */
#include <stdlib.h>
#include <string.h>

#include "sync/bundle.h"

enum { Q_MAX, Q_NEW, Q_TYPE, Q_COUNT };

static const char *const queries[Q_COUNT] = {
	"SELECT coalesce(max(rowid), 0) FROM _objects",
	"SELECT oid, type, data FROM _objects WHERE rowid > ?1 AND type IN (1, 2, 4) ORDER BY rowid",
	"SELECT type, rowid FROM _objects WHERE oid = ?1",
};

typedef struct {
	sqlite3 *db;
	sqlite3_stmt *st[Q_COUNT];
	sqlite3_int64 before;
} ingest;

static int db_error(sqlite3 *db, int rc, const char *what)
{
	int code = RUHU_ERROR;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: code = RUHU_EBUSY; break;
	case SQLITE_READONLY: code = RUHU_EREADONLY; break;
	case SQLITE_FULL: code = RUHU_ENOSPACE; break;
	case SQLITE_NOMEM: code = RUHU_ENOMEM; break;
	}
	return ruhu_error_set(code, "cannot %s: %s", what, sqlite3_errmsg(db));
}

static int exec(sqlite3 *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_error(db, rc, what);
}

static void rollback(sqlite3 *db)
{
	/* keep the first error: a failing rollback is secondary */
	sqlite3_exec(db, "ROLLBACK TO ruhu_bundle", NULL, NULL, NULL);
	sqlite3_exec(db, "RELEASE ruhu_bundle", NULL, NULL, NULL);
}

/* The type of stored object `id` into *out (0 when missing); *old is set
 * when it was stored before the pack (design note 1). */
static int stored_type(int *out, int *old, ingest *in, const unsigned char id[GIT_OID_RAWSZ])
{
	sqlite3_stmt *st = in->st[Q_TYPE];
	int rc;

	sqlite3_bind_blob(st, 1, id, GIT_OID_RAWSZ, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	*old = rc == SQLITE_ROW && sqlite3_column_int64(st, 1) <= in->before;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(in->db, rc, "look up an object of the bundle");
	return 0;
}

/* Design note 2: `id`, named by object `from`, is stored with type `want`
 * (0: any type); *old (may be NULL) tells whether it was there before. */
static int need(int *old, ingest *in, const unsigned char id[GIT_OID_RAWSZ], int want,
	const char *what, const git_oid *from)
{
	git_oid oid;
	char hex[GIT_OID_HEXSZ + 1];
	int type, was, error;

	if ((error = stored_type(&type, &was, in, id)) < 0)
		return error;
	if (old)
		*old = was;
	if (type != 0 && (want == 0 || type == want))
		return 0;
	git_oid_fromraw(&oid, id);
	git_oid_tostr(hex, sizeof(hex), &oid);
	if (type == 0)
		return ruhu_error_set(RUHU_ECORRUPT, "bundle is incomplete: %s %s of %s is missing",
			what, hex, git_oid_tostr_s(from));
	return ruhu_error_set(RUHU_ECORRUPT, "bundle is damaged: %s %s of %s is a %s", what, hex,
		git_oid_tostr_s(from), git_object_type2string((git_object_t)type));
}

/* An id written as 40 hex digits after `key` at the start of p[0..len). */
static int hex_after(unsigned char out[GIT_OID_RAWSZ], const char *key, const unsigned char *p,
	size_t len)
{
	size_t k = strlen(key);
	git_oid id;

	if (len < k + GIT_OID_HEXSZ + 1 || memcmp(p, key, k) != 0 || p[k + GIT_OID_HEXSZ] != '\n' ||
	    git_oid_fromstrn(&id, (const char *)p + k, GIT_OID_HEXSZ) < 0)
		return -1;
	memcpy(out, id.id, GIT_OID_RAWSZ);
	return 0;
}

static int list_add(ruhu_oidlist *l, const git_oid *id)
{
	if (l->count == l->asize_) {
		size_t want = l->asize_ ? l->asize_ * 2 : 64;
		git_oid *p;

		if (want > SIZE_MAX / sizeof(*p))
			return ruhu_error_oom();
		p = realloc(l->ids, want * sizeof(*p));
		if (p == NULL)
			return ruhu_error_oom();
		l->ids = p;
		l->asize_ = want;
	}
	git_oid_cpy(&l->ids[l->count++], id);
	return 0;
}

/* Commit: "tree <hex>\n", then "parent <hex>\n" lines.  Parents stored
 * before the pack go to `old_parents` (design note 3). */
static int check_commit(ingest *in, const git_oid *oid, const unsigned char *p, size_t len,
	ruhu_oidlist *old_parents)
{
	unsigned char id[GIT_OID_RAWSZ];
	const size_t tree_line = 5 + GIT_OID_HEXSZ + 1, parent_line = 7 + GIT_OID_HEXSZ + 1;
	int old, error;

	if (hex_after(id, "tree ", p, len) < 0)
		return ruhu_error_set(RUHU_ECORRUPT, "bundle commit %s has no tree line",
			git_oid_tostr_s(oid));
	if ((error = need(NULL, in, id, GIT_OBJECT_TREE, "tree", oid)) < 0)
		return error;
	for (size_t at = tree_line; hex_after(id, "parent ", p + at, len - at) == 0;
	     at += parent_line) {
		git_oid parent;

		if ((error = need(&old, in, id, GIT_OBJECT_COMMIT, "parent", oid)) < 0)
			return error;
		git_oid_fromraw(&parent, id);
		if (old && (error = list_add(old_parents, &parent)) < 0)
			return error;
	}
	return 0;
}

/* Tree: "<octal mode> <name>\0<20 bytes>" per entry. */
static int check_tree(ingest *in, const git_oid *oid, const unsigned char *p, size_t len)
{
	size_t at = 0;
	int error;

	while (at < len) {
		const unsigned char *sp = memchr(p + at, ' ', len - at), *nul = NULL;
		size_t mlen;

		if (sp != NULL)
			nul = memchr(sp, '\0', len - (size_t)(sp - p));
		if (nul == NULL || len - (size_t)(nul - p) - 1 < GIT_OID_RAWSZ)
			return ruhu_error_set(RUHU_ECORRUPT, "bundle tree %s is damaged",
				git_oid_tostr_s(oid));
		mlen = (size_t)(sp - (p + at));
		if (!(mlen == 6 && memcmp(p + at, "160000", 6) == 0)) {
			int dir = mlen == 5 && memcmp(p + at, "40000", 5) == 0;

			if ((error = need(NULL, in, nul + 1, dir ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB,
					 dir ? "tree" : "blob", oid)) < 0)
				return error;
		}
		at = (size_t)(nul - p) + 1 + GIT_OID_RAWSZ;
	}
	return 0;
}

/* Tag: "object <hex>\n" first. */
static int check_tag(ingest *in, const git_oid *oid, const unsigned char *p, size_t len)
{
	unsigned char id[GIT_OID_RAWSZ];

	if (hex_after(id, "object ", p, len) < 0)
		return ruhu_error_set(RUHU_ECORRUPT, "bundle tag %s has no object line",
			git_oid_tostr_s(oid));
	return need(NULL, in, id, 0, "target", oid);
}

/* Design notes 1-2 over every row the pack added. */
static int check_new(ingest *in, ruhu_oidlist *new_commits, ruhu_oidlist *old_parents)
{
	sqlite3_stmt *st = in->st[Q_NEW];
	int rc, error = 0;

	sqlite3_bind_int64(st, 1, in->before);
	for (;;) {
		const unsigned char *data;
		size_t len;
		int type;
		git_oid oid;

		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		data = sqlite3_column_blob(st, 2);
		len = (size_t)sqlite3_column_bytes(st, 2);
		type = sqlite3_column_int(st, 1);
		if (sqlite3_column_bytes(st, 0) != GIT_OID_RAWSZ) {
			error = ruhu_error_set(RUHU_ECORRUPT, "object store holds an id of %d bytes",
				sqlite3_column_bytes(st, 0));
			break;
		}
		git_oid_fromraw(&oid, sqlite3_column_blob(st, 0));
		if (data == NULL)
			data = (const unsigned char *)"";
		if (type == GIT_OBJECT_COMMIT) {
			if ((error = check_commit(in, &oid, data, len, old_parents)) < 0 ||
			    (error = list_add(new_commits, &oid)) < 0)
				break;
		} else if (type == GIT_OBJECT_TREE) {
			if ((error = check_tree(in, &oid, data, len)) < 0)
				break;
		} else if ((error = check_tag(in, &oid, data, len)) < 0) {
			break;
		}
	}
	if (error == 0 && rc != SQLITE_DONE)
		error = db_error(in->db, rc, "read the objects of a bundle");
	sqlite3_reset(st);
	return error;
}

static void finish(ingest *in)
{
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(in->st[i]);
}

static int start(ingest *in, git_repository *repo)
{
	int rc;

	memset(in, 0, sizeof(*in));
	in->db = ruhu_odb_db(repo);
	if (in->db == NULL)
		return ruhu_error_set(RUHU_EINVALID, "repository is not a ruhu object store");
	for (int i = 0; i < Q_COUNT; i++) {
		rc = sqlite3_prepare_v2(in->db, queries[i], -1, &in->st[i], NULL);
		if (rc != SQLITE_OK) {
			finish(in);
			return db_error(in->db, rc, "prepare the ingest of a bundle");
		}
	}
	return 0;
}

static int check_prereqs(ingest *in, const ruhu_bundle *b)
{
	for (size_t i = 0; i < ruhu_bundle_prereq_count(b); i++) {
		const git_oid *id = &ruhu_bundle_prereq_at(b, i)->oid;
		int type, old, error;

		if ((error = stored_type(&type, &old, in, id->id)) < 0)
			return error;
		if (type == 0)
			return ruhu_error_set(RUHU_EWAITING,
				"bundle needs commit %s which has not arrived", git_oid_tostr_s(id));
		if (type != GIT_OBJECT_COMMIT)
			return ruhu_error_set(RUHU_ECORRUPT,
				"bundle prerequisite %s is a %s, not a commit", git_oid_tostr_s(id),
				git_object_type2string((git_object_t)type));
	}
	return 0;
}

int ruhu_bundle_check_prereqs(git_repository *repo, const ruhu_bundle *b)
{
	ingest in;
	int error;

	if ((error = start(&in, repo)) < 0)
		return error;
	error = check_prereqs(&in, b);
	finish(&in);
	return error;
}

/* Every ref of the bundle names a stored commit. */
static int check_refs(ingest *in, const ruhu_bundle *b)
{
	for (size_t i = 0; i < ruhu_bundle_ref_count(b); i++) {
		const ruhu_bundle_ref *r = ruhu_bundle_ref_at(b, i);
		int type, old, error;

		if ((error = stored_type(&type, &old, in, r->oid.id)) < 0)
			return error;
		if (type == 0)
			return ruhu_error_set(RUHU_ECORRUPT,
				"bundle is incomplete: commit %s of ref %s is missing",
				git_oid_tostr_s(&r->oid), r->name);
		if (type != GIT_OBJECT_COMMIT)
			return ruhu_error_set(RUHU_ECORRUPT, "bundle ref %s names a %s, not a commit",
				r->name, git_object_type2string((git_object_t)type));
	}
	return 0;
}

/* Design note 3: `commits` in topological order, oldest first. */
static int order(ruhu_oidlist *out, git_repository *repo, const ruhu_oidlist *commits,
	const ruhu_oidlist *old_parents)
{
	git_revwalk *walk = NULL;
	git_oid id;
	int error;

	if (commits->count == 0)
		return 0;
	if ((error = git_revwalk_new(&walk, repo)) < 0)
		return ruhu_git_error(error, "cannot start a history walk");
	if ((error = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME |
						 GIT_SORT_REVERSE)) < 0) {
		error = ruhu_git_error(error, "cannot sort a history walk");
		goto done;
	}
	for (size_t i = 0; i < commits->count; i++)
		if ((error = git_revwalk_push(walk, &commits->ids[i])) < 0) {
			error = ruhu_git_error(error, "cannot walk from commit %s",
				git_oid_tostr_s(&commits->ids[i]));
			goto done;
		}
	for (size_t i = 0; i < old_parents->count; i++)
		if ((error = git_revwalk_hide(walk, &old_parents->ids[i])) < 0) {
			error = ruhu_git_error(error, "cannot walk past commit %s",
				git_oid_tostr_s(&old_parents->ids[i]));
			goto done;
		}
	while ((error = git_revwalk_next(&id, walk)) == 0)
		if ((error = list_add(out, &id)) < 0)
			goto done;
	error = error == GIT_ITEROVER ? 0 : ruhu_git_error(error, "cannot walk the new commits");
	if (error == 0 && out->count != commits->count)
		error = ruhu_error_set(RUHU_ERROR,
			"walk of the bundle's %zu new commits found %zu", commits->count, out->count);
done:
	git_revwalk_free(walk);
	return error;
}

int ruhu_bundle_ingest(ruhu_oidlist *out, git_repository *repo, const ruhu_bundle *b,
	const ruhu_pack_opts *opts)
{
	ingest in;
	ruhu_oidlist commits = RUHU_OIDLIST_INIT, old_parents = RUHU_OIDLIST_INIT;
	ruhu_oidlist ordered = RUHU_OIDLIST_INIT;
	const void *pack;
	size_t plen;
	int rc, error, open = 0;

	if (out)
		out->count = 0;
	if ((error = start(&in, repo)) < 0)
		return error;
	if ((error = check_prereqs(&in, b)) < 0)
		goto done;
	if ((error = exec(in.db, "SAVEPOINT ruhu_bundle", "start ingesting a bundle")) < 0)
		goto done;
	open = 1;
	rc = sqlite3_step(in.st[Q_MAX]);
	if (rc != SQLITE_ROW) {
		error = db_error(in.db, rc, "read the object store");
		goto done;
	}
	in.before = sqlite3_column_int64(in.st[Q_MAX], 0);
	sqlite3_reset(in.st[Q_MAX]);
	pack = ruhu_bundle_pack(b, &plen);
	if ((error = ruhu_odb_write_pack(NULL, repo, pack, plen, opts)) < 0 ||
	    (error = check_new(&in, &commits, &old_parents)) < 0 ||
	    (error = check_refs(&in, b)) < 0)
		goto done;
	if (out && (error = order(&ordered, repo, &commits, &old_parents)) < 0)
		goto done;
	if ((error = exec(in.db, "RELEASE ruhu_bundle", "finish ingesting a bundle")) < 0)
		goto done;
	open = 0;
	if (out) {
		ruhu_oidlist_dispose(out);
		*out = ordered;
		ordered = (ruhu_oidlist)RUHU_OIDLIST_INIT;
	}
done:
	if (open)
		rollback(in.db);
	finish(&in);
	ruhu_oidlist_dispose(&commits);
	ruhu_oidlist_dispose(&old_parents);
	ruhu_oidlist_dispose(&ordered);
	return error;
}
