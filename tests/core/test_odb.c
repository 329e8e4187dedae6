/*
 * test_odb.c — the object store backend (core/odb.h): objects, history
 * operations over it, duplicates, foreach, transactions, nothing on disk
 * outside the database.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/odb.h"
#include "support/support.h"

static char dir[4096];
static sqlite3 *db;
static git_repository *repo;

static void setup(void)
{
	char path[4200];

	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	rt_path(path, sizeof(path), dir, "replica.db");
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	rt_ok(ruhu_odb_open(&repo, db));
}

static void teardown(void)
{
	git_repository_free(repo);
	repo = NULL;
	sqlite3_close(db);
	db = NULL;
	rt_rmrf(dir);
}

static long long count_objects(void)
{
	sqlite3_stmt *st;
	long long n;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM _objects", -1, &st, NULL),
		SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static git_oid blob(const char *text)
{
	git_oid id;

	ck_assert_int_eq(git_blob_create_from_buffer(&id, repo, text, strlen(text)), 0);
	return id;
}

/* An unsigned commit with one file, made with libgit2's own API. */
static git_oid commit(const char *msg, const git_oid *p1, const git_oid *p2, int64_t when)
{
	git_treebuilder *bld;
	git_signature *sig;
	git_tree *tree;
	const git_commit *parents[2] = { NULL, NULL };
	git_oid tree_id, blob_id = blob(msg), id;
	size_t n = 0;

	ck_assert_int_eq(git_treebuilder_new(&bld, repo, NULL), 0);
	ck_assert_int_eq(git_treebuilder_insert(NULL, bld, "changeset", &blob_id,
		GIT_FILEMODE_BLOB), 0);
	ck_assert_int_eq(git_treebuilder_write(&tree_id, bld), 0);
	git_treebuilder_free(bld);
	ck_assert_int_eq(git_tree_lookup(&tree, repo, &tree_id), 0);
	ck_assert_int_eq(git_signature_new(&sig, "Li Na", "li.na@example.cn", when, 480), 0);
	if (p1)
		ck_assert_int_eq(git_commit_lookup((git_commit **)&parents[n++], repo, p1), 0);
	if (p2)
		ck_assert_int_eq(git_commit_lookup((git_commit **)&parents[n++], repo, p2), 0);
	ck_assert_int_eq(git_commit_create(&id, repo, NULL, sig, sig, NULL, msg, tree, n, parents),
		0);
	for (size_t i = 0; i < n; i++)
		git_commit_free((git_commit *)parents[i]);
	git_tree_free(tree);
	git_signature_free(sig);
	return id;
}

START_TEST(test_odb_blobs_and_headers)
{
	git_odb *odb;
	git_odb_object *obj;
	git_blob *b;
	size_t len;
	git_object_t type;
	git_oid id = blob("resident 110101199003071234 registered\n"), missing;

	ck_assert_int_eq(git_blob_lookup(&b, repo, &id), 0);
	ck_assert_uint_eq(git_blob_rawsize(b), 39);
	ck_assert_mem_eq(git_blob_rawcontent(b), "resident 110101199003071234", 27);
	git_blob_free(b);

	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert_int_eq(git_odb_read_header(&len, &type, odb, &id), 0);
	ck_assert_uint_eq(len, 39);
	ck_assert_int_eq(type, GIT_OBJECT_BLOB);
	ck_assert(git_odb_exists(odb, &id));
	memset(&missing, 0xab, sizeof(missing));
	ck_assert(!git_odb_exists(odb, &missing));
	ck_assert_int_eq(git_odb_read(&obj, odb, &missing), GIT_ENOTFOUND);
	ck_assert_int_eq(git_odb_read_header(&len, &type, odb, &missing), GIT_ENOTFOUND);

	/* an empty blob */
	ck_assert_int_eq(git_blob_create_from_buffer(&id, repo, "", 0), 0);
	ck_assert_int_eq(git_odb_read(&obj, odb, &id), 0);
	ck_assert_uint_eq(git_odb_object_size(obj), 0);
	git_odb_object_free(obj);
	git_odb_free(odb);
	ck_assert_ptr_eq(ruhu_odb_db(repo), db);
}
END_TEST

START_TEST(test_odb_commits_revwalk_merge_base)
{
	git_oid c1 = commit("first visit\n", NULL, NULL, 1700000000),
		c2 = commit("second visit\n", &c1, NULL, 1700000100),
		side = commit("hub correction\n", &c1, NULL, 1700000200),
		merge = commit("merge tab-07\n", &c2, &side, 1700000300), base, id;
	git_revwalk *walk;
	git_commit *m;
	size_t ahead, behind, n = 0;

	ck_assert_int_eq(git_commit_lookup(&m, repo, &merge), 0);
	ck_assert_uint_eq(git_commit_parentcount(m), 2);
	ck_assert(git_oid_equal(git_commit_parent_id(m, 0), &c2));
	git_commit_free(m);

	ck_assert_int_eq(git_merge_base(&base, repo, &c2, &side), 0);
	ck_assert(git_oid_equal(&base, &c1));
	ck_assert_int_eq(git_graph_ahead_behind(&ahead, &behind, repo, &merge, &c2), 0);
	ck_assert_uint_eq(ahead, 2);
	ck_assert_uint_eq(behind, 0);

	ck_assert_int_eq(git_revwalk_new(&walk, repo), 0);
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	ck_assert_int_eq(git_revwalk_push(walk, &merge), 0);
	while (git_revwalk_next(&id, walk) == 0) {
		if (n == 0)
			ck_assert(git_oid_equal(&id, &merge));
		n++;
	}
	ck_assert(git_oid_equal(&id, &c1));
	ck_assert_uint_eq(n, 4);
	git_revwalk_free(walk);
}
END_TEST

START_TEST(test_odb_short_ids)
{
	git_oid ids[1000], full;
	git_object *obj;
	git_odb *odb;
	char hex[GIT_OID_HEXSZ + 1], text[32];
	int found = 0;

	for (int i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "blob %d\n", i);
		ids[i] = blob(text);
	}
	git_oid_fmt(hex, &ids[500]);
	ck_assert_int_eq(git_object_lookup_prefix(&obj, repo, &ids[500], 12, GIT_OBJECT_ANY), 0);
	ck_assert(git_oid_equal(git_object_id(obj), &ids[500]));
	git_object_free(obj);
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert_int_eq(git_odb_exists_prefix(&full, odb, &ids[7], 9), 0);
	ck_assert(git_oid_equal(&full, &ids[7]));

	/* two of a thousand ids share their first 4 hex digits (birthday bound) */
	for (int i = 0; i < 1000 && !found; i++)
		for (int j = i + 1; j < 1000 && !found; j++)
			if (git_oid_ncmp(&ids[i], &ids[j], 4) == 0) {
				ck_assert_int_eq(git_odb_exists_prefix(&full, odb, &ids[i], 4),
					GIT_EAMBIGUOUS);
				ck_assert_int_eq(git_object_lookup_prefix(&obj, repo, &ids[i], 4,
					GIT_OBJECT_ANY), GIT_EAMBIGUOUS);
				found = 1;
			}
	ck_assert(found);
	/* a 4-digit prefix that no id has is not found */
	memset(&full, 0, sizeof(full));
	for (int p = 0; p < 65536; p++) {
		int used = 0;

		full.id[0] = (unsigned char)(p >> 8);
		full.id[1] = (unsigned char)p;
		for (int i = 0; i < 1000 && !used; i++)
			used = git_oid_ncmp(&full, &ids[i], 4) == 0;
		if (!used)
			break;
	}
	ck_assert_int_eq(git_odb_exists_prefix(NULL, odb, &full, 4), GIT_ENOTFOUND);
	(void)hex;
	git_odb_free(odb);
}
END_TEST

START_TEST(test_odb_duplicate_writes_skipped)
{
	git_oid a = blob("same bytes"), b = blob("same bytes"), c;
	git_odb *odb;

	ck_assert(git_oid_equal(&a, &b));
	ck_assert_int_eq(count_objects(), 1);
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert_int_eq(git_odb_write(&c, odb, "same bytes", 10, GIT_OBJECT_BLOB), 0);
	ck_assert(git_oid_equal(&a, &c));
	ck_assert_int_eq(count_objects(), 1);
	git_odb_free(odb);
}
END_TEST

static int count_cb(const git_oid *id, void *payload)
{
	(void)id;
	return ++*(int *)payload == 3 ? 42 : 0;
}

static int all_cb(const git_oid *id, void *payload)
{
	(void)id;
	++*(int *)payload;
	return 0;
}

START_TEST(test_odb_foreach_lists_every_object)
{
	git_odb *odb;
	int n = 0;

	commit("one\n", NULL, NULL, 1700000000);
	blob("extra");
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert_int_eq(git_odb_foreach(odb, all_cb, &n), 0);
	ck_assert_int_eq(n, count_objects());
	ck_assert_int_eq(n, 4); /* blob, tree, commit, extra blob */
	n = 0;
	ck_assert_int_eq(git_odb_foreach(odb, count_cb, &n), 42);
	ck_assert_int_eq(n, 3);
	git_odb_free(odb);
}
END_TEST

START_TEST(test_odb_writes_follow_caller_transaction)
{
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	blob("kept only if committed");
	ck_assert_int_eq(count_objects(), 1);
	ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(count_objects(), 0);

	ck_assert_int_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	commit("committed visit\n", NULL, NULL, 1700000000);
	ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(count_objects(), 3);
	/* no statement is left running: the connection closes cleanly */
	git_repository_free(repo);
	repo = NULL;
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
	db = NULL;
}
END_TEST

START_TEST(test_odb_altered_row_detected)
{
	git_oid id = blob("household of 4");
	git_odb *odb;
	git_odb_object *obj;
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE _objects SET data = ?1", -1, &st, NULL),
		SQLITE_OK);
	sqlite3_bind_blob(st, 1, "household of 5", 14, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert_int_eq(git_odb_read(&obj, odb, &id), GIT_EMISMATCH);
	git_odb_free(odb);
}
END_TEST

static int dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

START_TEST(test_odb_nothing_written_in_cwd)
{
	char cwd[4096], empty[4200];
	git_oid c1, c2;
	git_packbuilder *pb;
	git_buf pack = GIT_BUF_INIT;
	git_revwalk *walk;
	size_t n;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	rt_path(empty, sizeof(empty), dir, "cwd");
	ck_assert_int_eq(rt_sh(NULL, "mkdir '%s'", empty), 0);
	ck_assert_int_eq(chdir(empty), 0);

	c1 = commit("first\n", NULL, NULL, 1700000000);
	c2 = commit("second\n", &c1, NULL, 1700000060);
	ck_assert_int_eq(git_revwalk_new(&walk, repo), 0);
	ck_assert_int_eq(git_revwalk_push(walk, &c2), 0);
	git_revwalk_free(walk);
	ck_assert_int_eq(git_packbuilder_new(&pb, repo), 0);
	ck_assert_int_eq(git_packbuilder_insert_commit(pb, &c2), 0);
	ck_assert_int_eq(git_packbuilder_insert_commit(pb, &c1), 0);
	ck_assert_int_eq(git_packbuilder_write_buf(&pack, pb), 0);
	git_packbuilder_free(pb);
	rt_ok(ruhu_odb_write_pack(&n, repo, pack.ptr, pack.size, NULL));
	ck_assert_uint_eq(n, 6);
	git_buf_dispose(&pack);

	ck_assert_int_eq(dir_entries("."), 0);
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

Suite *odb_suite(void)
{
	Suite *s = suite_create("odb");
	TCase *tc = tcase_create("odb");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_odb_blobs_and_headers);
	tcase_add_test(tc, test_odb_commits_revwalk_merge_base);
	tcase_add_test(tc, test_odb_short_ids);
	tcase_add_test(tc, test_odb_duplicate_writes_skipped);
	tcase_add_test(tc, test_odb_foreach_lists_every_object);
	tcase_add_test(tc, test_odb_writes_follow_caller_transaction);
	tcase_add_test(tc, test_odb_altered_row_detected);
	tcase_add_test(tc, test_odb_nothing_written_in_cwd);
	suite_add_tcase(s, tc);
	return s;
}
