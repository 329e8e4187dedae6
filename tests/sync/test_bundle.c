/*
 * test_bundle.c — git v2 bundles (sync/bundle.h): bundles ruhu makes from
 * signed commits are cloned and fetched by stock git, bundles stock git makes
 * are ingested by ruhu, a bundle waits for missing prerequisites, the parser
 * refuses damaged headers, and a damaged or incomplete bundle leaves the
 * store as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commit.h"
#include "core/odb.h"
#include "sync/bundle.h"
#include "sync/envelope.h"
#include "support/support.h"

static char dir[4096];
static sqlite3 *db, *db2;
static git_repository *repo, *repo2;
static ruhu_signkey *device;

#define GITENV "HOME='%s' GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Wang GIT_AUTHOR_EMAIL=w@x " \
	"GIT_COMMITTER_NAME=Wang GIT_COMMITTER_EMAIL=w@x "

static void open_store(sqlite3 **d, git_repository **r, const char *name)
{
	char path[4200];

	rt_path(path, sizeof(path), dir, name);
	ck_assert_int_eq(sqlite3_open(path, d), SQLITE_OK);
	rt_ok(ruhu_odb_open(r, *d));
}

static void setup(void)
{
	unsigned char seed[RUHU_SEEDBYTES];

	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	open_store(&db, &repo, "a.db");
	open_store(&db2, &repo2, "b.db");
	memset(seed, 7, sizeof(seed));
	rt_ok(ruhu_signkey_from_seed(&device, seed));
}

static void teardown(void)
{
	git_repository_free(repo);
	git_repository_free(repo2);
	sqlite3_close(db);
	sqlite3_close(db2);
	ruhu_signkey_free(device);
	rt_rmrf(dir);
}

static long long count(sqlite3 *d)
{
	sqlite3_stmt *st;
	long long n;

	ck_assert_int_eq(sqlite3_prepare_v2(d, "SELECT count(*) FROM _objects", -1, &st, NULL),
		SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* One signed save on `parent` (NULL: the first), as a device commit has it. */
static git_oid save(git_repository *r, const git_oid *parent, int seq)
{
	ruhu_commit_opts o = RUHU_COMMIT_OPTS_INIT;
	ruhu_tree_entry e[2];
	char changeset[128], text[128], subject[64], seqs[16];
	ruhu_trailer t[3] = { { "Ruhu-Device", "tab-07" }, { "Ruhu-Worker", "w-0012" },
			      { "Ruhu-Seq", seqs } };
	int n;
	git_oid id;

	n = snprintf(changeset, sizeof(changeset), "person 0190%08d phone 1390000%04d", seq, seq);
	rt_ok(ruhu_blob_write(&e[0].oid, r, changeset, (size_t)n));
	e[0].path = "changeset";
	e[0].mode = 0;
	n = snprintf(text, sizeof(text), "person 0190%08d: phone changed\n", seq);
	rt_ok(ruhu_blob_write(&e[1].oid, r, text, (size_t)n));
	e[1].path = "changes.txt";
	e[1].mode = 0;
	snprintf(subject, sizeof(subject), "Update person %d", seq);
	snprintf(seqs, sizeof(seqs), "%d", seq);
	o.entries = e;
	o.nentries = 2;
	o.parents = parent;
	o.nparents = parent ? 1 : 0;
	o.author = (ruhu_person){ "Li Na", "w-0012@township.example", 1790000000 + seq * 60, 480 };
	o.committer = (ruhu_person){ "tab-07", "tab-07@township.example", 1790000000 + seq * 60,
				     480 };
	o.subject = subject;
	o.trailers = t;
	o.ntrailers = 3;
	rt_ok(ruhu_commit_create(&id, r, &o, device));
	return id;
}

/* A chain of `n` saves after `from` (NULL: a new history); ids into `ids`. */
static git_oid chain(git_repository *r, const git_oid *from, int first, int n, git_oid *ids)
{
	git_oid tip;
	const git_oid *parent = from;

	for (int i = 0; i < n; i++) {
		tip = save(r, parent, first + i);
		if (ids)
			ids[i] = tip;
		parent = &tip;
	}
	return tip;
}

static void write_in(const char *name, const void *data, size_t len)
{
	char path[4200];

	rt_path(path, sizeof(path), dir, name);
	rt_write_file(path, data, len);
}

static unsigned char *read_in(const char *name, size_t *len)
{
	char path[4200];

	rt_path(path, sizeof(path), dir, name);
	return rt_read_file(path, len);
}

static void make(ruhu_buf *out, git_repository *r, const char *name, const git_oid *tip,
	const git_oid *have, size_t nhave)
{
	ruhu_bundle_ref ref = { name, *tip };

	ruhu_buf_clear(out);
	rt_ok(ruhu_bundle_create(out, r, &ref, 1, have, nhave));
}

static ruhu_bundle *parse(const ruhu_buf *b)
{
	ruhu_bundle *out;

	rt_ok(ruhu_bundle_parse(&out, b->ptr, b->size));
	return out;
}

/* --- made by ruhu, read by stock git ---------------------------------------------- */

START_TEST(test_bundle_create_full_cloned_by_stock_git)
{
	git_oid ids[5], tip = chain(repo, NULL, 1, 5, ids);
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_bundle *pb;
	char *log = NULL, expect[5 * 41 + 1] = "";

	make(&b, repo, "refs/heads/main", &tip, NULL, 0);
	pb = parse(&b);
	ck_assert_uint_eq(ruhu_bundle_prereq_count(pb), 0); /* a full bundle */
	ck_assert_uint_eq(ruhu_bundle_ref_count(pb), 1);
	ck_assert_str_eq(ruhu_bundle_ref_at(pb, 0)->name, "refs/heads/main");
	ck_assert(git_oid_equal(&ruhu_bundle_ref_at(pb, 0)->oid, &tip));
	ruhu_bundle_free(pb);
	write_in("full.bundle", b.ptr, b.size);

	ck_assert_int_eq(rt_sh(&log, "cd '%s' && export " GITENV " && "
		"git clone -q -b main full.bundle clone 2>&1 && cd clone && "
		"git bundle verify ../full.bundle >/dev/null 2>&1 && git log --format=%%H", dir, dir), 0);
	for (int i = 4; i >= 0; i--) {
		strcat(expect, git_oid_tostr_s(&ids[i]));
		strcat(expect, "\n");
	}
	ck_assert_str_eq(log, expect);
	free(log);
	/* the commits keep their signatures and trailers */
	ck_assert_int_eq(rt_sh(&log, "cd '%s/clone' && git cat-file commit HEAD", dir), 0);
	ck_assert_ptr_nonnull(strstr(log, "gpgsig -----BEGIN SSH SIGNATURE-----"));
	ck_assert_ptr_nonnull(strstr(log, "Ruhu-Seq: 5"));
	free(log);
	ck_assert_int_eq(rt_sh(NULL, "cd '%s/clone' && git fsck --strict --no-progress 2>&1", dir), 0);

	/* a device ref outside refs/heads: a mirror clone takes it as it is */
	make(&b, repo, "refs/devices/tab-07", &tip, NULL, 0);
	write_in("device.bundle", b.ptr, b.size);
	ck_assert_int_eq(rt_sh(&log, "cd '%s' && export " GITENV " && "
		"git clone -q --mirror device.bundle mirror 2>&1 && "
		"git -C mirror rev-list --count refs/devices/tab-07", dir, dir), 0);
	ck_assert_str_eq(log, "5\n");
	free(log);
	ruhu_buf_dispose(&b);
}
END_TEST

START_TEST(test_bundle_create_incremental_fetched_by_stock_git)
{
	git_oid base = chain(repo, NULL, 1, 4, NULL), ids[3], tip = chain(repo, &base, 5, 3, ids);
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_bundle *pb;
	char *out = NULL, subject[64];

	make(&b, repo, "refs/heads/main", &base, NULL, 0);
	write_in("base.bundle", b.ptr, b.size);
	make(&b, repo, "refs/heads/main", &tip, &base, 1);
	write_in("inc.bundle", b.ptr, b.size);

	/* one prerequisite, the boundary, with its subject */
	pb = parse(&b);
	ck_assert_uint_eq(ruhu_bundle_prereq_count(pb), 1);
	ck_assert(git_oid_equal(&ruhu_bundle_prereq_at(pb, 0)->oid, &base));
	ck_assert_str_eq(ruhu_bundle_prereq_at(pb, 0)->comment, "Update person 4");
	ruhu_bundle_free(pb);
	snprintf(subject, sizeof(subject), "-%s Update person 4\n", git_oid_tostr_s(&base));
	ck_assert_ptr_nonnull(strstr(b.ptr, subject));

	ck_assert_int_eq(rt_sh(&out, "cd '%s' && export " GITENV " && "
		"git clone -q -b main base.bundle clone 2>&1 && cd clone && "
		"git bundle verify ../inc.bundle >/dev/null 2>&1 && "
		"git fetch -q ../inc.bundle main:refs/remotes/hub/main 2>&1 && "
		"git rev-list --count refs/remotes/hub/main && git rev-parse refs/remotes/hub/main",
		dir, dir), 0);
	ck_assert_int_eq(strncmp(out, "7\n", 2), 0);
	ck_assert_int_eq(strncmp(out + 2, git_oid_tostr_s(&tip), 40), 0);
	free(out);
	/* stock git agrees that the bundle needs the base */
	ck_assert_int_ne(rt_sh(NULL, "cd '%s' && export " GITENV " && git init -q empty && "
		"cd empty && git bundle verify -q ../inc.bundle 2>/dev/null", dir, dir), 0);
	ruhu_buf_dispose(&b);
}
END_TEST

/* Prerequisites are git's `rev-list --boundary`, also around merges. */
START_TEST(test_bundle_create_boundary_as_stock_git)
{
	git_oid c = chain(repo, NULL, 1, 3, NULL), d, m, tip, have[2];
	ruhu_commit_opts o = RUHU_COMMIT_OPTS_INIT;
	git_oid parents[2];
	git_commit *cc;
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_bundle *pb;
	char *expect = NULL, got[4096] = "";

	/* c -- d1 d2 (device) ; c -- m (merge of d2) -- tip */
	d = chain(repo, &c, 10, 2, NULL);
	ck_assert_int_eq(git_commit_lookup(&cc, repo, &c), 0);
	parents[0] = c;
	parents[1] = d;
	o.tree = git_commit_tree_id(cc);
	o.parents = parents;
	o.nparents = 2;
	o.author = o.committer = (ruhu_person){ "hub", "hub@township.example", 1790009000, 480 };
	o.subject = "Merge tab-07 11";
	rt_ok(ruhu_commit_create(&m, repo, &o, device));
	git_commit_free(cc);
	tip = chain(repo, &m, 20, 2, NULL);
	have[0] = c;
	have[1] = chain(repo, &c, 30, 1, NULL); /* a side commit that is not an ancestor */
	make(&b, repo, "refs/heads/main", &tip, have, 2);
	pb = parse(&b);
	for (size_t i = 0; i < ruhu_bundle_prereq_count(pb); i++) {
		strcat(got, git_oid_tostr_s(&ruhu_bundle_prereq_at(pb, i)->oid));
		strcat(got, "\n");
	}
	ruhu_bundle_free(pb);

	/* the same question to stock git, over an export of the whole store */
	make(&b, repo, "refs/heads/all", &tip, NULL, 0);
	write_in("all.bundle", b.ptr, b.size);
	make(&b, repo, "refs/heads/side", &have[1], NULL, 0);
	write_in("side.bundle", b.ptr, b.size);
	ck_assert_int_eq(rt_sh(&expect, "cd '%s' && export " GITENV " && "
		"git init -q -b x g && cd g && git fetch -q ../all.bundle 'refs/*:refs/*' && "
		"git fetch -q ../side.bundle 'refs/*:refs/*' && "
		"git rev-list --boundary refs/heads/all ^%s ^%s | sed -n 's/^-//p' | sort",
		dir, dir, git_oid_tostr_s(&have[0]), git_oid_tostr_s(&have[1])), 0);
	ck_assert_str_eq(expect, got); /* one prerequisite: c */
	ck_assert_int_eq(strlen(got), 41);
	free(expect);
	ruhu_buf_dispose(&b);
}
END_TEST

START_TEST(test_bundle_create_ref_left_out_is_prerequisite)
{
	git_oid tip = chain(repo, NULL, 1, 3, NULL);
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_oidlist added = RUHU_OIDLIST_INIT;
	ruhu_bundle *pb;
	size_t plen;

	/* nothing to send: the ref is what the recipient has; the pack is empty */
	make(&b, repo, "refs/heads/main", &tip, &tip, 1);
	pb = parse(&b);
	ck_assert_uint_eq(ruhu_bundle_prereq_count(pb), 1);
	ck_assert(git_oid_equal(&ruhu_bundle_prereq_at(pb, 0)->oid, &tip));
	ruhu_bundle_pack(pb, &plen);
	ck_assert_uint_eq(plen, 12 + 20);
	ck_assert_int_eq(ruhu_bundle_ingest(&added, repo2, pb, NULL), RUHU_EWAITING);
	rt_ok(ruhu_bundle_ingest(&added, repo, pb, NULL));
	ck_assert_uint_eq(added.count, 0);
	ruhu_bundle_free(pb);
	ruhu_oidlist_dispose(&added);
	ruhu_buf_dispose(&b);
}
END_TEST

START_TEST(test_bundle_create_refuses_bad_input)
{
	git_oid tip = chain(repo, NULL, 1, 2, NULL), blob, missing;
	ruhu_bundle_ref refs[2] = { { "refs/heads/main", tip }, { "refs/heads/main", tip } };
	ruhu_buf b = RUHU_BUF_INIT;

	rt_ok(ruhu_buf_puts(&b, "kept"));
	ck_assert_int_eq(ruhu_bundle_create(&b, repo, refs, 0, NULL, 0), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_bundle_create(&b, repo, refs, 2, NULL, 0), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "ref refs/heads/main is given twice");
	refs[0].name = "main";
	ck_assert_int_eq(ruhu_bundle_create(&b, repo, refs, 1, NULL, 0), RUHU_EINVALID);
	refs[0].name = "refs/heads/a..b";
	ck_assert_int_eq(ruhu_bundle_create(&b, repo, refs, 1, NULL, 0), RUHU_EINVALID);
	refs[0].name = "refs/heads/main";
	rt_ok(ruhu_blob_write(&blob, repo, "x", 1));
	refs[0].oid = blob;
	ck_assert_int_eq(ruhu_bundle_create(&b, repo, refs, 1, NULL, 0), RUHU_EINVALID);
	memset(&missing, 0x5a, sizeof(missing));
	refs[0].oid = missing;
	ck_assert_int_eq(ruhu_bundle_create(&b, repo, refs, 1, NULL, 0), RUHU_ENOTFOUND);
	refs[0].oid = tip;
	ck_assert_int_eq(ruhu_bundle_create(&b, repo, refs, 1, &missing, 1), RUHU_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), git_oid_tostr_s(&missing)));
	ck_assert_str_eq(b.ptr, "kept");
	/* and HEAD is a name stock git clones by */
	refs[0].name = "HEAD";
	rt_ok(ruhu_bundle_create(&b, repo, refs, 1, NULL, 0));
	ruhu_buf_dispose(&b);
}
END_TEST

/* --- made by stock git, ingested by ruhu ------------------------------------------- */

static void stock_repo(void)
{
	ck_assert_int_eq(rt_sh(NULL,
		"cd '%s' && export " GITENV " && set -e && git init -q -b main src && cd src && "
		"seq 1 3000 > register.txt && mkdir photos && head -c 5000 /dev/urandom > photos/p1 && "
		"git add . && git commit -qm c1 && "
		"sed -i 's/^100$/one hundred/' register.txt && git commit -qam c2 && "
		"git branch base && "
		"sed -i 's/^500$/five hundred/' register.txt && echo x > note.txt && "
		"git add . && git commit -qm c3 && "
		"git checkout -q -b side base && echo s > side.txt && git add . && "
		"git commit -qm s1 && git checkout -q main && git merge -q --no-edit side && "
		"sed -i 's/^900$/nine hundred/' register.txt && git commit -qam c4 && "
		"git bundle create -q ../base.bundle base && "
		"git bundle create -q ../inc.bundle main side ^base && "
		"git rev-list --objects --all | cut -c1-40 > ../all.txt && "
		"git rev-list --reverse base > ../base.txt && "
		"git rev-list main side ^base | sort > ../inc.txt",
		dir, dir), 0);
}

/* The ids of a list as lines of hex. */
static char *hex_lines(const ruhu_oidlist *l)
{
	ruhu_buf b = RUHU_BUF_INIT;

	for (size_t i = 0; i < l->count; i++)
		rt_ok(ruhu_buf_printf(&b, "%s\n", git_oid_tostr_s(&l->ids[i])));
	return b.ptr ? ruhu_buf_detach(&b) : strdup("");
}

static int cmp_oid(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

/* `l` lists parents before children, and sorted it is `sorted_hex`. */
static void assert_topological(git_repository *r, const ruhu_oidlist *l, const char *sorted_hex)
{
	ruhu_oidlist copy = RUHU_OIDLIST_INIT;
	char *got;

	for (size_t i = 0; i < l->count; i++) {
		git_commit *c;

		ck_assert_int_eq(git_commit_lookup(&c, r, &l->ids[i]), 0);
		for (unsigned int k = 0; k < git_commit_parentcount(c); k++)
			for (size_t j = i + 1; j < l->count; j++)
				ck_assert_msg(!git_oid_equal(git_commit_parent_id(c, k), &l->ids[j]),
					"parent %zu listed after its child %zu", j, i);
		git_commit_free(c);
	}
	copy.ids = malloc(l->count * sizeof(git_oid) + 1);
	memcpy(copy.ids, l->ids, l->count * sizeof(git_oid));
	copy.count = l->count;
	qsort(copy.ids, copy.count, sizeof(git_oid), cmp_oid);
	got = hex_lines(&copy);
	ck_assert_str_eq(got, sorted_hex);
	free(got);
	ruhu_oidlist_dispose(&copy);
}

START_TEST(test_bundle_ingest_stock_git_bundles)
{
	unsigned char *base, *inc, *list, *want;
	size_t blen, ilen, n;
	ruhu_bundle *bb, *ib;
	ruhu_oidlist added = RUHU_OIDLIST_INIT;
	git_odb *odb;
	char *got;

	stock_repo();
	base = read_in("base.bundle", &blen);
	inc = read_in("inc.bundle", &ilen);
	rt_ok(ruhu_bundle_parse(&bb, base, blen));
	rt_ok(ruhu_bundle_parse(&ib, inc, ilen));
	ck_assert_uint_eq(ruhu_bundle_ref_count(ib), 2);
	ck_assert_uint_eq(ruhu_bundle_prereq_count(ib), 1);

	/* the incremental bundle first: it waits, nothing written */
	ck_assert_int_eq(ruhu_bundle_ingest(&added, repo2, ib, NULL), RUHU_EWAITING);
	ck_assert_int_eq(count(db2), 0);
	ck_assert_uint_eq(added.count, 0);

	rt_ok(ruhu_bundle_ingest(&added, repo2, bb, NULL));
	got = hex_lines(&added);
	want = read_in("base.txt", NULL);
	ck_assert_str_eq(got, (char *)want);
	free(got);
	free(want);

	rt_ok(ruhu_bundle_check_prereqs(repo2, ib));
	rt_ok(ruhu_bundle_ingest(&added, repo2, ib, NULL));
	want = read_in("inc.txt", NULL);
	ck_assert_uint_eq(added.count, 4); /* c3, s1, the merge, c4 */
	assert_topological(repo2, &added, (char *)want);
	free(want);

	/* every object stock git lists is readable (hash-checked by libgit2) */
	list = read_in("all.txt", NULL);
	ck_assert_int_eq(git_repository_odb(&odb, repo2), 0);
	n = 0;
	for (char *line = (char *)list; *line; line += 41, n++) {
		git_oid id;
		git_odb_object *o;

		ck_assert_int_eq(git_oid_fromstrn(&id, line, 40), 0);
		ck_assert_msg(git_odb_read(&o, odb, &id) == 0, "object %.40s unreadable", line);
		git_odb_object_free(o);
	}
	ck_assert_int_eq(count(db2), (long long)n);
	git_odb_free(odb);

	/* received twice: nothing new */
	rt_ok(ruhu_bundle_ingest(&added, repo2, ib, NULL));
	ck_assert_uint_eq(added.count, 0);
	ck_assert_int_eq(count(db2), (long long)n);

	ruhu_oidlist_dispose(&added);
	ruhu_bundle_free(bb);
	ruhu_bundle_free(ib);
	free(list);
	free(base);
	free(inc);
}
END_TEST

/* --- ingest ----------------------------------------------------------------------- */

START_TEST(test_bundle_ingest_waits_for_prerequisites)
{
	git_oid base = chain(repo, NULL, 1, 3, NULL), ids[4], tip = chain(repo, &base, 4, 4, ids);
	ruhu_buf full = RUHU_BUF_INIT, inc = RUHU_BUF_INIT;
	ruhu_bundle *fb, *ib;
	ruhu_oidlist added = RUHU_OIDLIST_INIT;
	char msg[128];

	make(&full, repo, "refs/devices/tab-07", &base, NULL, 0);
	make(&inc, repo, "refs/devices/tab-07", &tip, &base, 1);
	fb = parse(&full);
	ib = parse(&inc);

	ck_assert_int_eq(ruhu_bundle_ingest(&added, repo2, ib, NULL), RUHU_EWAITING);
	snprintf(msg, sizeof(msg), "bundle needs commit %s which has not arrived",
		git_oid_tostr_s(&base));
	ck_assert_str_eq(ruhu_error_last(), msg);
	ck_assert_int_eq(ruhu_bundle_check_prereqs(repo2, ib), RUHU_EWAITING);
	ck_assert_int_eq(count(db2), 0);

	rt_ok(ruhu_bundle_ingest(&added, repo2, fb, NULL));
	ck_assert_uint_eq(added.count, 3);
	ck_assert(git_oid_equal(&added.ids[2], &base));
	rt_ok(ruhu_bundle_ingest(&added, repo2, ib, NULL));
	ck_assert_uint_eq(added.count, 4);
	for (int i = 0; i < 4; i++)
		ck_assert(git_oid_equal(&added.ids[i], &ids[i]));
	ck_assert_int_eq(count(db2), count(db));
	/* the list may be left out */
	rt_ok(ruhu_bundle_ingest(NULL, repo2, ib, NULL));

	ruhu_oidlist_dispose(&added);
	ruhu_bundle_free(fb);
	ruhu_bundle_free(ib);
	ruhu_buf_dispose(&full);
	ruhu_buf_dispose(&inc);
}
END_TEST

START_TEST(test_bundle_ingest_corrupt_pack_leaves_nothing)
{
	git_oid tip = chain(repo, NULL, 1, 5, NULL);
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_bundle *pb;
	ruhu_oidlist added = RUHU_OIDLIST_INIT;
	size_t plen;
	const unsigned char *pack;

	make(&b, repo, "refs/heads/main", &tip, NULL, 0);
	pb = parse(&b);
	pack = ruhu_bundle_pack(pb, &plen);
	/* a byte in the middle of the pack, and one in its checksum */
	b.ptr[(pack - (unsigned char *)b.ptr) + plen / 2] ^= 0x20;
	ck_assert_int_eq(ruhu_bundle_ingest(&added, repo2, pb, NULL), RUHU_ECORRUPT);
	ck_assert_int_eq(count(db2), 0);
	b.ptr[(pack - (unsigned char *)b.ptr) + plen / 2] ^= 0x20;
	b.ptr[b.size - 1] ^= 0x01;
	ck_assert_int_eq(ruhu_bundle_ingest(&added, repo2, pb, NULL), RUHU_ECORRUPT);
	ck_assert_int_eq(count(db2), 0);
	b.ptr[b.size - 1] ^= 0x01;
	rt_ok(ruhu_bundle_ingest(&added, repo2, pb, NULL));
	ck_assert_uint_eq(added.count, 5);
	ruhu_oidlist_dispose(&added);
	ruhu_bundle_free(pb);
	ruhu_buf_dispose(&b);
}
END_TEST

/* Header + the pack part of another bundle. */
static ruhu_bundle *splice(ruhu_buf *out, const char *header, const ruhu_buf *from)
{
	const char *pack = strstr(from->ptr, "\n\nPACK") + 2;

	ruhu_buf_clear(out);
	rt_ok(ruhu_buf_puts(out, header));
	rt_ok(ruhu_buf_put(out, pack, from->size - (size_t)(pack - from->ptr)));
	return parse(out);
}

/* A header that lies about what the pack holds is refused whole. */
START_TEST(test_bundle_ingest_incomplete_refused)
{
	git_oid base = chain(repo, NULL, 1, 2, NULL), tip = chain(repo, &base, 3, 2, NULL), blob;
	ruhu_buf inc = RUHU_BUF_INIT, full = RUHU_BUF_INIT, lie = RUHU_BUF_INIT;
	ruhu_buf header = RUHU_BUF_INIT;
	ruhu_bundle *pb;
	char msg[160];

	make(&inc, repo, "refs/heads/main", &tip, &base, 1);
	make(&full, repo, "refs/heads/main", &base, NULL, 0);

	/* the prerequisite left out of the header: the parent is missing */
	rt_ok(ruhu_buf_printf(&header, "# v2 git bundle\n%s refs/heads/main\n\n",
		git_oid_tostr_s(&tip)));
	pb = splice(&lie, header.ptr, &inc);
	ck_assert_int_eq(ruhu_bundle_ingest(NULL, repo2, pb, NULL), RUHU_ECORRUPT);
	snprintf(msg, sizeof(msg), "bundle is incomplete: parent %s of ", git_oid_tostr_s(&base));
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), msg));
	ck_assert_int_eq(count(db2), 0);
	ruhu_bundle_free(pb);

	/* a ref to a commit the pack does not hold */
	pb = splice(&lie, header.ptr, &full);
	ck_assert_int_eq(ruhu_bundle_ingest(NULL, repo2, pb, NULL), RUHU_ECORRUPT);
	snprintf(msg, sizeof(msg), "bundle is incomplete: commit %s of ref refs/heads/main is "
		"missing", git_oid_tostr_s(&tip));
	ck_assert_str_eq(ruhu_error_last(), msg);
	ck_assert_int_eq(count(db2), 0);
	ruhu_bundle_free(pb);

	/* a ref to a blob that is stored, with an empty pack */
	rt_ok(ruhu_blob_write(&blob, repo2, "kept", 4));
	ruhu_buf_clear(&header);
	rt_ok(ruhu_buf_printf(&header, "# v2 git bundle\n%s refs/heads/main\n\n",
		git_oid_tostr_s(&blob)));
	make(&full, repo, "refs/heads/main", &base, &base, 1);
	pb = splice(&lie, header.ptr, &full);
	ck_assert_int_eq(ruhu_bundle_ingest(NULL, repo2, pb, NULL), RUHU_ECORRUPT);
	ck_assert_str_eq(ruhu_error_last(), "bundle ref refs/heads/main names a blob, not a commit");
	ck_assert_int_eq(count(db2), 1);
	ruhu_bundle_free(pb);
	ruhu_buf_dispose(&inc);
	ruhu_buf_dispose(&full);
	ruhu_buf_dispose(&lie);
	ruhu_buf_dispose(&header);
}
END_TEST

START_TEST(test_bundle_ingest_inside_caller_transaction)
{
	git_oid tip = chain(repo, NULL, 1, 3, NULL);
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_bundle *pb;

	make(&b, repo, "refs/heads/main", &tip, NULL, 0);
	pb = parse(&b);
	ck_assert_int_eq(sqlite3_exec(db2, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	rt_ok(ruhu_bundle_ingest(NULL, repo2, pb, NULL));
	ck_assert_int_eq(sqlite3_get_autocommit(db2), 0); /* still the caller's */
	ck_assert_int_eq(count(db2), 12);
	ck_assert_int_eq(sqlite3_exec(db2, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(count(db2), 0);
	ruhu_bundle_free(pb);
	ruhu_buf_dispose(&b);
}
END_TEST

/* A bundle sealed in an envelope, opened, parsed, ingested, cloned. */
START_TEST(test_bundle_travels_in_envelope)
{
	git_oid tip = chain(repo, NULL, 1, 4, NULL);
	ruhu_buf b = RUHU_BUF_INIT, env = RUHU_BUF_INIT, body = RUHU_BUF_INIT;
	ruhu_envelope_opts o = RUHU_ENVELOPE_OPTS_INIT;
	ruhu_envelope e;
	ruhu_boxkey *hub;
	ruhu_bundle *pb;
	ruhu_oidlist added = RUHU_OIDLIST_INIT;

	rt_ok(ruhu_boxkey_generate(&hub));
	make(&b, repo, "refs/devices/tab-07", &tip, NULL, 0);
	o.kind = RUHU_ENVELOPE_DEVICE_BUNDLE;
	o.sender = "tab-07";
	o.recipient = "hub-xinhua";
	o.recipient_key = ruhu_boxkey_public(hub);
	rt_ok(ruhu_envelope_seal(&env, &o, device, b.ptr, b.size));
	for (size_t i = 0; i + 15 <= env.size; i++)
		ck_assert(memcmp(env.ptr + i, "# v2 git bundle", 15) != 0);

	rt_ok(ruhu_envelope_parse(&e, env.ptr, env.size));
	ck_assert_str_eq(e.sender, "tab-07");
	rt_ok(ruhu_envelope_open(&body, &e, ruhu_signkey_public(device), hub));
	ck_assert_uint_eq(body.size, b.size);
	pb = parse(&body);
	rt_ok(ruhu_bundle_ingest(&added, repo2, pb, NULL));
	ck_assert_uint_eq(added.count, 4);
	ck_assert(git_oid_equal(&added.ids[3], &tip));
	ruhu_bundle_free(pb);
	ruhu_oidlist_dispose(&added);
	ruhu_boxkey_free(hub);
	ruhu_buf_dispose(&b);
	ruhu_buf_dispose(&env);
	ruhu_buf_dispose_secure(&body);
}
END_TEST

/* --- parser ----------------------------------------------------------------------- */

START_TEST(test_bundle_parse_accessors)
{
	git_oid base = chain(repo, NULL, 1, 2, NULL), tip = chain(repo, &base, 3, 1, NULL), id;
	ruhu_bundle_ref refs[2] = { { "refs/devices/tab-07", tip }, { "refs/remotes/hub/main", base } };
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_bundle *pb;
	const unsigned char *pack;
	size_t plen;

	rt_ok(ruhu_bundle_create(&b, repo, refs, 2, &base, 1));
	pb = parse(&b);
	ck_assert_uint_eq(ruhu_bundle_ref_count(pb), 2);
	ck_assert_str_eq(ruhu_bundle_ref_at(pb, 1)->name, "refs/remotes/hub/main");
	ck_assert_ptr_null(ruhu_bundle_ref_at(pb, 2));
	rt_ok(ruhu_bundle_ref_lookup(&id, pb, "refs/devices/tab-07"));
	ck_assert(git_oid_equal(&id, &tip));
	ck_assert_int_eq(ruhu_bundle_ref_lookup(&id, pb, "refs/heads/main"), RUHU_ENOTFOUND);
	ck_assert_uint_eq(ruhu_bundle_prereq_count(pb), 1);
	ck_assert_ptr_null(ruhu_bundle_prereq_at(pb, 1));
	pack = ruhu_bundle_pack(pb, &plen);
	ck_assert_ptr_eq(pack + plen, (unsigned char *)b.ptr + b.size);
	ck_assert_mem_eq(pack, "PACK", 4);
	ruhu_bundle_free(pb);
	ruhu_bundle_free(NULL);
	ruhu_buf_dispose(&b);
}
END_TEST

START_TEST(test_bundle_parse_truncated_everywhere)
{
	git_oid base = chain(repo, NULL, 1, 2, NULL), tip = chain(repo, &base, 3, 2, NULL);
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_bundle *pb;
	size_t hlen;

	make(&b, repo, "refs/heads/main", &tip, &base, 1);
	hlen = (size_t)(strstr(b.ptr, "\n\nPACK") - b.ptr) + 2;
	/* every cut in the header and the pack's header and checksum room */
	for (size_t len = 0; len < hlen + 32; len++) {
		unsigned char *copy = malloc(len ? len : 1);

		memcpy(copy, b.ptr, len);
		ck_assert_msg(ruhu_bundle_parse(&pb, copy, len) == RUHU_ECORRUPT,
			"cut at %zu accepted", len);
		ck_assert_ptr_null(pb);
		ck_assert_msg(ruhu_error_last()[0] != '\0', "no message at %zu", len);
		free(copy);
	}
	rt_ok(ruhu_bundle_parse(&pb, b.ptr, hlen + 32));
	ruhu_bundle_free(pb);
	ruhu_buf_dispose(&b);
}
END_TEST

static const char pack_stub[] = "PACK\0\0\0\2\0\0\0\0" "0123456789abcdefghij";

/* Parse header text + a stub pack; return the code. */
static int parse_header(const char *header)
{
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_bundle *pb;
	int rc;

	rt_ok(ruhu_buf_puts(&b, header));
	rt_ok(ruhu_buf_put(&b, pack_stub, sizeof(pack_stub) - 1));
	rc = ruhu_bundle_parse(&pb, b.ptr, b.size);
	ck_assert(rc == 0 ? pb != NULL : pb == NULL);
	ruhu_bundle_free(pb);
	ruhu_buf_dispose(&b);
	return rc;
}

#define OID "0123456789abcdef0123456789abcdef01234567"

START_TEST(test_bundle_parse_refuses_bad_headers)
{
	static const struct {
		const char *header;
		const char *message;
	} bad[] = {
		{ "# v3 git bundle\n@object-format=sha1\n" OID " refs/heads/main\n\n",
		  "bundle is a git v3 bundle; ruhu reads v2 bundles" },
		{ "# v2 git bundlE\n" OID " refs/heads/main\n\n",
		  "bundle does not start with '# v2 git bundle'" },
		{ "# v2 git bundle\n\n", "bundle lists no refs" },
		{ "# v2 git bundle\n-" OID " base\n\n", "bundle lists no refs" },
		{ "# v2 git bundle\n0123456789abcdef0123456789abcdef0123456g refs/heads/main\n\n",
		  "bundle header line 2 is not '<commit id> <ref name>'" },
		{ "# v2 git bundle\n0123456789abcdef0123456789abcdef0123456 refs/heads/main\n\n",
		  "bundle header line 2 is not '<commit id> <ref name>'" },
		{ "# v2 git bundle\n0000000000000000000000000000000000000000 refs/heads/main\n\n",
		  "bundle header line 2 is not '<commit id> <ref name>'" },
		{ "# v2 git bundle\n" OID "\trefs/heads/main\n\n",
		  "bundle header line 2 is not '<commit id> <ref name>'" },
		{ "# v2 git bundle\n" OID " \n\n",
		  "bundle header line 2 is not '<commit id> <ref name>'" },
		{ "# v2 git bundle\n-" OID "x\n" OID " refs/heads/main\n\n",
		  "bundle header line 2 is not a commit id after '-'" },
		{ "# v2 git bundle\n-0123\n" OID " refs/heads/main\n\n",
		  "bundle header line 2 is not a commit id after '-'" },
		{ "# v2 git bundle\n" OID " refs/heads/a..b\n\n",
		  "bundle header line 2 has an invalid ref name 'refs/heads/a..b'" },
		{ "# v2 git bundle\n" OID " main\n\n",
		  "bundle header line 2 has an invalid ref name 'main'" },
		{ "# v2 git bundle\n" OID " refs/heads/x.lock\n\n",
		  "bundle header line 2 has an invalid ref name 'refs/heads/x.lock'" },
		{ "# v2 git bundle\n" OID " refs/heads/main\r\n\n",
		  "bundle header line 2 has an invalid ref name 'refs/heads/main\\x0d'" },
		{ "# v2 git bundle\n" OID " refs/heads/main\n" OID " refs/heads/main\n\n",
		  "bundle lists ref refs/heads/main twice" },
		{ "# v2 git bundle\n" OID " refs/heads/main\n",
		  "bundle header is truncated (no blank line before the pack)" },
		{ "# v2 git bundle\n" OID " refs/heads/main\n\nKCAP",
		  "bundle has no pack after its header" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse_header(bad[i].header) == RUHU_ECORRUPT, "case %zu accepted", i);
		ck_assert_str_eq(ruhu_error_last(), bad[i].message);
	}
	/* a NUL inside a line */
	{
		char h[] = "# v2 git bundle\n" OID " refs/heads/mXin\n\n";
		ruhu_buf b = RUHU_BUF_INIT;
		ruhu_bundle *pb;

		h[16 + 41 + 12] = '\0';
		rt_ok(ruhu_buf_put(&b, h, sizeof(h) - 1));
		rt_ok(ruhu_buf_put(&b, pack_stub, sizeof(pack_stub) - 1));
		ck_assert_int_eq(ruhu_bundle_parse(&pb, b.ptr, b.size), RUHU_ECORRUPT);
		ck_assert_str_eq(ruhu_error_last(), "bundle header line 2 holds a NUL byte");
		ruhu_buf_dispose(&b);
	}
	/* a pack of another version, and a pack without room for its checksum */
	{
		static const char h[] = "# v2 git bundle\n" OID " refs/heads/main\n\n";
		ruhu_buf b = RUHU_BUF_INIT;
		ruhu_bundle *pb;

		rt_ok(ruhu_buf_puts(&b, h));
		rt_ok(ruhu_buf_put(&b, pack_stub, sizeof(pack_stub) - 1));
		b.ptr[sizeof(h) - 1 + 7] = 4;
		ck_assert_int_eq(ruhu_bundle_parse(&pb, b.ptr, b.size), RUHU_ECORRUPT);
		ck_assert_str_eq(ruhu_error_last(), "bundle pack has version 4, not 2 or 3");
		b.ptr[sizeof(h) - 1 + 7] = 3;
		rt_ok(ruhu_bundle_parse(&pb, b.ptr, b.size));
		ruhu_bundle_free(pb);
		ck_assert_int_eq(ruhu_bundle_parse(&pb, b.ptr, b.size - 1), RUHU_ECORRUPT);
		ck_assert_str_eq(ruhu_error_last(), "bundle pack is truncated (31 bytes)");
		ruhu_buf_dispose(&b);
	}
	/* what is good: HEAD, comments, prerequisites after refs (git allows it) */
	rt_ok(parse_header("# v2 git bundle\n" OID " HEAD\n-" OID " any comment: yes\n\n"));
	rt_ok(parse_header("# v2 git bundle\n" OID " refs/heads/Main\n-" OID "\n\n"));
}
END_TEST

START_TEST(test_bundle_parse_caps_lines_and_counts)
{
	ruhu_buf h = RUHU_BUF_INIT;

	/* a comment that makes its line one byte over the cap, and one that fits */
	rt_ok(ruhu_buf_puts(&h, "# v2 git bundle\n-" OID " "));
	for (int i = 0; i < RUHU_BUNDLE_MAX_LINE - 42 - 1; i++)
		rt_ok(ruhu_buf_putc(&h, 'x'));
	rt_ok(ruhu_buf_puts(&h, "\n" OID " refs/heads/main\n\n"));
	rt_ok(parse_header(h.ptr));
	ruhu_buf_clear(&h);
	rt_ok(ruhu_buf_puts(&h, "# v2 git bundle\n-" OID " "));
	for (int i = 0; i < RUHU_BUNDLE_MAX_LINE - 42; i++)
		rt_ok(ruhu_buf_putc(&h, 'x'));
	rt_ok(ruhu_buf_puts(&h, "\n" OID " refs/heads/main\n\n"));
	ck_assert_int_eq(parse_header(h.ptr), RUHU_ECORRUPT);
	ck_assert_str_eq(ruhu_error_last(), "bundle header line 2 is longer than 4096 bytes");

	/* a long ref name */
	ruhu_buf_clear(&h);
	rt_ok(ruhu_buf_puts(&h, "# v2 git bundle\n" OID " refs/heads/"));
	for (int i = 0; i < RUHU_BUNDLE_MAX_REFNAME; i++)
		rt_ok(ruhu_buf_putc(&h, 'r'));
	rt_ok(ruhu_buf_puts(&h, "\n\n"));
	ck_assert_int_eq(parse_header(h.ptr), RUHU_ECORRUPT);

	/* the ref count: at the cap, and one over */
	ruhu_buf_clear(&h);
	rt_ok(ruhu_buf_puts(&h, "# v2 git bundle\n"));
	for (int i = 0; i < RUHU_BUNDLE_MAX_REFS; i++)
		rt_ok(ruhu_buf_printf(&h, OID " refs/tags/t%d\n", i));
	rt_ok(ruhu_buf_puts(&h, "\n"));
	rt_ok(parse_header(h.ptr));
	ruhu_buf_truncate(&h, h.size - 1);
	rt_ok(ruhu_buf_puts(&h, OID " refs/tags/one-more\n\n"));
	ck_assert_int_eq(parse_header(h.ptr), RUHU_ECORRUPT);
	ck_assert_str_eq(ruhu_error_last(), "bundle lists more than 4096 refs");

	/* the prerequisite count */
	ruhu_buf_clear(&h);
	rt_ok(ruhu_buf_puts(&h, "# v2 git bundle\n"));
	for (int i = 0; i <= RUHU_BUNDLE_MAX_PREREQS; i++)
		rt_ok(ruhu_buf_puts(&h, "-" OID "\n"));
	rt_ok(ruhu_buf_puts(&h, OID " refs/heads/main\n\n"));
	ck_assert_int_eq(parse_header(h.ptr), RUHU_ECORRUPT);
	ck_assert_str_eq(ruhu_error_last(), "bundle lists more than 4096 prerequisites");

	/* a header of only newlines-free bytes is refused after one line's scan */
	ruhu_buf_clear(&h);
	rt_ok(ruhu_buf_puts(&h, "# v2 git bundle\n"));
	for (int i = 0; i < 100000; i++)
		rt_ok(ruhu_buf_putc(&h, 'y'));
	ck_assert_int_eq(parse_header(h.ptr), RUHU_ECORRUPT);
	ruhu_buf_dispose(&h);
}
END_TEST

Suite *bundle_suite(void)
{
	Suite *s = suite_create("bundle");
	TCase *create = tcase_create("create");
	TCase *ingest = tcase_create("ingest");
	TCase *parser = tcase_create("parse");

	tcase_add_checked_fixture(create, setup, teardown);
	tcase_add_test(create, test_bundle_create_full_cloned_by_stock_git);
	tcase_add_test(create, test_bundle_create_incremental_fetched_by_stock_git);
	tcase_add_test(create, test_bundle_create_boundary_as_stock_git);
	tcase_add_test(create, test_bundle_create_ref_left_out_is_prerequisite);
	tcase_add_test(create, test_bundle_create_refuses_bad_input);
	suite_add_tcase(s, create);

	tcase_add_checked_fixture(ingest, setup, teardown);
	tcase_add_test(ingest, test_bundle_ingest_stock_git_bundles);
	tcase_add_test(ingest, test_bundle_ingest_waits_for_prerequisites);
	tcase_add_test(ingest, test_bundle_ingest_corrupt_pack_leaves_nothing);
	tcase_add_test(ingest, test_bundle_ingest_incomplete_refused);
	tcase_add_test(ingest, test_bundle_ingest_inside_caller_transaction);
	tcase_add_test(ingest, test_bundle_travels_in_envelope);
	suite_add_tcase(s, ingest);

	tcase_add_checked_fixture(parser, setup, teardown);
	tcase_add_test(parser, test_bundle_parse_accessors);
	tcase_add_test(parser, test_bundle_parse_truncated_everywhere);
	tcase_add_test(parser, test_bundle_parse_refuses_bad_headers);
	tcase_add_test(parser, test_bundle_parse_caps_lines_and_counts);
	suite_add_tcase(s, parser);
	return s;
}
