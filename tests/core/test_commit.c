/*
 * test_commit.c — signed commits, trees, trailers, reading by path and
 * history walks (core/commit.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/commit.h"
#include "core/odb.h"
#include "support/support.h"

static char dir[4096];
static sqlite3 *db;
static git_repository *repo;
static ruhu_signkey *device, *hub;

static void setup(void)
{
	char path[4200];
	unsigned char seed[RUHU_SEEDBYTES];

	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	rt_path(path, sizeof(path), dir, "replica.db");
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	rt_ok(ruhu_odb_open(&repo, db));
	memset(seed, 1, sizeof(seed));
	rt_ok(ruhu_signkey_from_seed(&device, seed));
	memset(seed, 2, sizeof(seed));
	rt_ok(ruhu_signkey_from_seed(&hub, seed));
}

static void teardown(void)
{
	git_repository_free(repo);
	sqlite3_close(db);
	ruhu_signkey_free(device);
	ruhu_signkey_free(hub);
	rt_rmrf(dir);
}

static git_oid save(const char *subject, const git_oid *parents, size_t np, int64_t when,
	const ruhu_signkey *key)
{
	ruhu_commit_opts o = RUHU_COMMIT_OPTS_INIT;
	ruhu_tree_entry e[1];
	ruhu_trailer t[2] = { { "Device", "tab-07" }, { "Seq", "1" } };
	git_oid id;

	rt_ok(ruhu_blob_write(&e[0].oid, repo, subject, strlen(subject)));
	e[0].path = "changeset";
	e[0].mode = 0;
	o.entries = e;
	o.nentries = 1;
	o.parents = parents;
	o.nparents = np;
	o.author = (ruhu_person){ "Li Na", "li.na@township.example", when, 480 };
	o.committer = (ruhu_person){ "tab-07", "tab-07@township.example", when, 480 };
	o.subject = subject;
	o.trailers = t;
	o.ntrailers = 2;
	rt_ok(ruhu_commit_create(&id, repo, &o, key));
	return id;
}

START_TEST(test_commit_message_format)
{
	ruhu_buf m = RUHU_BUF_INIT;
	ruhu_trailer t[2] = { { "Device", "tab-07" }, { "HLC", "0190a1b2c3d4-0003" } };

	rt_ok(ruhu_commit_message(&m, "Register household", "\nTwo people.\n\n", t, 2));
	ck_assert_str_eq(m.ptr, "Register household\n\nTwo people.\n\nDevice: tab-07\n"
				"HLC: 0190a1b2c3d4-0003\n");
	ruhu_buf_clear(&m);
	rt_ok(ruhu_commit_message(&m, "Close visit", NULL, NULL, 0));
	ck_assert_str_eq(m.ptr, "Close visit\n");
	ck_assert_int_eq(ruhu_commit_message(&m, "two\nlines", NULL, NULL, 0), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_commit_message(&m, "", NULL, NULL, 0), RUHU_EINVALID);
	t[0].key = "Bad Key";
	ck_assert_int_eq(ruhu_commit_message(&m, "s", NULL, t, 2), RUHU_EINVALID);
	t[0].key = "Device";
	t[1].value = "a\nb";
	ck_assert_int_eq(ruhu_commit_message(&m, "s", NULL, t, 2), RUHU_EINVALID);
	ck_assert_str_eq(m.ptr, "Close visit\n");
	ruhu_buf_dispose(&m);
}
END_TEST

START_TEST(test_commit_trailers_parse)
{
	ruhu_trailers t = RUHU_TRAILERS_INIT;

	rt_ok(ruhu_trailers_parse(&t, "Register\n\nBody text: with colon.\n\nDevice: tab-07\n"
				      "Worker: 3302\nSchema-Version: 4\n\n"));
	ck_assert_uint_eq(t.count, 3);
	ck_assert_str_eq(ruhu_trailers_get(&t, "device"), "tab-07");
	ck_assert_str_eq(ruhu_trailers_get(&t, "Schema-Version"), "4");
	ck_assert_ptr_null(ruhu_trailers_get(&t, "Visit"));
	ruhu_trailers_dispose(&t);

	/* a last paragraph with one line that is no trailer: no trailers */
	rt_ok(ruhu_trailers_parse(&t, "Register\n\nDevice: tab-07\nthen some prose\n"));
	ck_assert_uint_eq(t.count, 0);
	/* the subject alone is never trailers */
	rt_ok(ruhu_trailers_parse(&t, "Fix: spelling\n"));
	ck_assert_uint_eq(t.count, 0);
	/* "Key:value" without the space, or a key with a space: not trailers */
	rt_ok(ruhu_trailers_parse(&t, "s\n\nKey:value\n"));
	ck_assert_uint_eq(t.count, 0);
	rt_ok(ruhu_trailers_parse(&t, "s\n\nTwo words: value\n"));
	ck_assert_uint_eq(t.count, 0);
	rt_ok(ruhu_trailers_parse(&t, ""));
	ck_assert_uint_eq(t.count, 0);
	/* a value may hold colons */
	rt_ok(ruhu_trailers_parse(&t, "s\n\nBody.\n\nVisit: 0190:a:b\n"));
	ck_assert_str_eq(ruhu_trailers_get(&t, "visit"), "0190:a:b");
	ruhu_trailers_dispose(&t);
}
END_TEST

START_TEST(test_commit_signed_create_verify_read)
{
	ruhu_commit_opts o = RUHU_COMMIT_OPTS_INIT;
	ruhu_tree_entry e[3];
	ruhu_trailer t[1] = { { "Visit", "0190" } };
	ruhu_commit_sig sig;
	ruhu_buf out = RUHU_BUF_INIT;
	ruhu_trailers tr = RUHU_TRAILERS_INIT;
	git_commit *c;
	git_oid id;
	unsigned char keys[2][32];

	rt_ok(ruhu_blob_write(&e[0].oid, repo, "binary\0changeset", 16));
	rt_ok(ruhu_blob_write(&e[1].oid, repo, "+ person 1\n", 11));
	rt_ok(ruhu_blob_write(&e[2].oid, repo, "\xff\xd8jpeg", 6));
	e[0].path = "changeset";
	e[1].path = "changes.txt";
	e[2].path = "attachments/photo-1.jpg";
	e[0].mode = e[1].mode = e[2].mode = 0;
	o.entries = e;
	o.nentries = 3;
	o.author = (ruhu_person){ "Li Na", "li.na@township.example", 1700000000, 480 };
	o.subject = "Register household";
	o.body = "Household of two at Xinhua Road 5.";
	o.trailers = t;
	o.ntrailers = 1;
	rt_ok(ruhu_commit_create(&id, repo, &o, device));

	ck_assert_int_eq(git_commit_lookup(&c, repo, &id), 0);
	ck_assert_str_eq(git_commit_committer(c)->name, "Li Na");
	ck_assert_int_eq(git_commit_time_offset(c), 480);
	rt_ok(ruhu_trailers_parse(&tr, git_commit_message(c)));
	ck_assert_str_eq(ruhu_trailers_get(&tr, "Visit"), "0190");
	ruhu_trailers_dispose(&tr);
	git_commit_free(c);

	rt_ok(ruhu_commit_verify(&sig, repo, &id, NULL, 0));
	ck_assert_int_eq(sig.status, RUHU_SIG_GOOD);
	ck_assert(sig.has_signer);
	ck_assert_mem_eq(sig.signer, ruhu_signkey_public(device), 32);
	memcpy(keys[0], ruhu_signkey_public(hub), 32);
	rt_ok(ruhu_commit_verify(&sig, repo, &id, (const unsigned char (*)[32])keys, 1));
	ck_assert_int_eq(sig.status, RUHU_SIG_UNKNOWN);
	ck_assert_int_eq(ruhu_sig_status_letter(sig.status), 'U');
	memcpy(keys[1], ruhu_signkey_public(device), 32);
	rt_ok(ruhu_commit_verify(&sig, repo, &id, (const unsigned char (*)[32])keys, 2));
	ck_assert_int_eq(sig.status, RUHU_SIG_GOOD);

	rt_ok(ruhu_commit_read_path(&out, repo, &id, "changeset"));
	ck_assert_uint_eq(out.size, 16);
	ck_assert_mem_eq(out.ptr, "binary\0changeset", 16);
	ruhu_buf_clear(&out);
	rt_ok(ruhu_commit_read_path(&out, repo, &id, "attachments/photo-1.jpg"));
	ck_assert_mem_eq(out.ptr, "\xff\xd8jpeg", 6);
	ck_assert_int_eq(ruhu_commit_read_path(&out, repo, &id, "decisions.txt"), RUHU_ENOTFOUND);
	ck_assert_int_eq(ruhu_commit_read_path(&out, repo, &id, "attachments"), RUHU_EINVALID);
	ruhu_buf_dispose(&out);
}
END_TEST

START_TEST(test_commit_altered_unsigned_malformed)
{
	git_oid id = save("Register household", NULL, 0, 1700000000, device), forged, plain;
	git_odb *odb;
	git_odb_object *obj;
	ruhu_commit_sig sig;
	char *raw, *at;
	size_t len;
	git_signature *who;
	git_tree *tree;
	git_commit *c;

	/* the same bytes with one changed, signature kept: a new object, bad */
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert_int_eq(git_odb_read(&obj, odb, &id), 0);
	len = git_odb_object_size(obj);
	raw = malloc(len);
	memcpy(raw, git_odb_object_data(obj), len);
	git_odb_object_free(obj);
	at = strstr(raw, "\n\nRegister household");
	ck_assert_ptr_nonnull(at);
	at[2] = 'r';
	ck_assert_int_eq(git_odb_write(&forged, odb, raw, len, GIT_OBJECT_COMMIT), 0);
	rt_ok(ruhu_commit_verify(&sig, repo, &forged, NULL, 0));
	ck_assert_int_eq(sig.status, RUHU_SIG_BAD);
	ck_assert(sig.has_signer);
	ck_assert_mem_eq(sig.signer, ruhu_signkey_public(device), 32);
	free(raw);

	/* unsigned, and a gpgsig header that is no SSH signature */
	ck_assert_int_eq(git_signature_new(&who, "x", "x@y", 1700000000, 0), 0);
	ck_assert_int_eq(git_commit_lookup(&c, repo, &id), 0);
	ck_assert_int_eq(git_commit_tree(&tree, c), 0);
	ck_assert_int_eq(git_commit_create(&plain, repo, NULL, who, who, NULL, "plain\n", tree, 0,
		NULL), 0);
	rt_ok(ruhu_commit_verify(&sig, repo, &plain, NULL, 0));
	ck_assert_int_eq(sig.status, RUHU_SIG_UNSIGNED);
	ck_assert_int_eq(ruhu_sig_status_letter(sig.status), 'N');
	{
		git_buf content = GIT_BUF_INIT;
		git_oid odd;

		ck_assert_int_eq(git_commit_create_buffer(&content, repo, who, who, NULL, "odd\n",
			tree, 0, NULL), 0);
		ck_assert_int_eq(git_commit_create_with_signature(&odd, repo, content.ptr,
			"-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----",
			"gpgsig"), 0);
		rt_ok(ruhu_commit_verify(&sig, repo, &odd, NULL, 0));
		ck_assert_int_eq(sig.status, RUHU_SIG_MALFORMED);
		ck_assert(!sig.has_signer);
		git_buf_dispose(&content);
	}
	/* not a commit, not there */
	ck_assert_int_eq(ruhu_commit_verify(&sig, repo, git_tree_id(tree), NULL, 0), RUHU_EINVALID);
	git_tree_free(tree);
	git_commit_free(c);
	git_signature_free(who);
	memset(&forged, 0x11, sizeof(forged));
	ck_assert_int_eq(ruhu_commit_verify(&sig, repo, &forged, NULL, 0), RUHU_ENOTFOUND);
	git_odb_free(odb);
}
END_TEST

START_TEST(test_commit_altered_in_place_is_corrupt)
{
	git_oid id = save("Register household", NULL, 0, 1700000000, device);
	ruhu_commit_sig sig;
	sqlite3_stmt *st;

	/* change a byte of the stored row itself, under the same id */
	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE _objects SET data = "
		"CAST(replace(CAST(data AS TEXT), 'Register', 'register') AS BLOB) WHERE oid = ?1", -1, &st, NULL),
		SQLITE_OK);
	sqlite3_bind_blob(st, 1, id.id, 20, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	ck_assert_int_eq(sqlite3_changes(db), 1);
	sqlite3_finalize(st);
	/* a fresh repository: no cached copy of the commit */
	git_repository_free(repo);
	rt_ok(ruhu_odb_open(&repo, db));
	ck_assert_int_eq(ruhu_commit_verify(&sig, repo, &id, NULL, 0), RUHU_ECORRUPT);
}
END_TEST

START_TEST(test_commit_tree_paths)
{
	ruhu_tree_entry e[3];
	git_oid b, tree;
	git_tree *t;
	git_tree_entry *te;

	rt_ok(ruhu_blob_write(&b, repo, "x", 1));
	e[0] = (ruhu_tree_entry){ "attachments/a/one.jpg", b, 0 };
	e[1] = (ruhu_tree_entry){ "attachments/two.jpg", b, 0 };
	e[2] = (ruhu_tree_entry){ "changeset", b, GIT_FILEMODE_BLOB };
	rt_ok(ruhu_tree_write(&tree, repo, e, 3));
	ck_assert_int_eq(git_tree_lookup(&t, repo, &tree), 0);
	ck_assert_uint_eq(git_tree_entrycount(t), 2);
	ck_assert_int_eq(git_tree_entry_bypath(&te, t, "attachments/a/one.jpg"), 0);
	git_tree_entry_free(te);
	git_tree_free(t);

	e[1].path = "changeset";
	ck_assert_int_eq(ruhu_tree_write(&tree, repo, e, 3), RUHU_EINVALID);
	e[1].path = "attachments";
	ck_assert_int_eq(ruhu_tree_write(&tree, repo, e, 3), RUHU_EINVALID);
	e[1].path = "attachments//x";
	ck_assert_int_eq(ruhu_tree_write(&tree, repo, e, 3), RUHU_EINVALID);
	e[1].path = "/abs";
	ck_assert_int_eq(ruhu_tree_write(&tree, repo, e, 3), RUHU_EINVALID);
	e[1].path = "dir/";
	ck_assert_int_eq(ruhu_tree_write(&tree, repo, e, 3), RUHU_EINVALID);
	e[1].path = ".git";
	ck_assert_int_eq(ruhu_tree_write(&tree, repo, e, 3), RUHU_ERROR);
	e[1].path = "ok";
	e[1].mode = GIT_FILEMODE_LINK;
	ck_assert_int_eq(ruhu_tree_write(&tree, repo, e, 3), RUHU_EINVALID);
	rt_ok(ruhu_tree_write(&tree, repo, NULL, 0));
	ck_assert_str_eq(git_oid_tostr_s(&tree), "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
}
END_TEST

typedef struct {
	git_oid ids[16];
	size_t n;
	int stop;
} walk_ctx;

static int walk_cb(const git_oid *id, void *payload)
{
	walk_ctx *w = payload;

	w->ids[w->n++] = *id;
	return w->stop && (int)w->n == w->stop ? 7 : 0;
}

START_TEST(test_commit_history_walks)
{
	git_oid c1 = save("c1", NULL, 0, 1700000000, device);
	git_oid c2 = save("c2", &c1, 1, 1700000100, device);
	git_oid c3 = save("c3", &c2, 1, 1700000200, device);
	git_oid s1 = save("s1", &c2, 1, 1700000150, hub);
	git_oid mp[2] = { c3, s1 };
	git_oid m = save("merge", mp, 2, 1700000300, hub);
	walk_ctx w;

	memset(&w, 0, sizeof(w));
	rt_ok(ruhu_history_walk(repo, &m, NULL, 0, 0, walk_cb, &w));
	ck_assert_uint_eq(w.n, 5);
	ck_assert(git_oid_equal(&w.ids[0], &m));
	ck_assert(git_oid_equal(&w.ids[4], &c1));

	memset(&w, 0, sizeof(w));
	rt_ok(ruhu_history_walk(repo, &m, NULL, 0, RUHU_HISTORY_FIRST_PARENT, walk_cb, &w));
	ck_assert_uint_eq(w.n, 4);
	ck_assert(git_oid_equal(&w.ids[1], &c3));
	ck_assert(git_oid_equal(&w.ids[2], &c2));

	memset(&w, 0, sizeof(w));
	rt_ok(ruhu_history_walk(repo, &m, NULL, 0, RUHU_HISTORY_REVERSE, walk_cb, &w));
	ck_assert(git_oid_equal(&w.ids[0], &c1));
	ck_assert(git_oid_equal(&w.ids[4], &m));

	memset(&w, 0, sizeof(w));
	rt_ok(ruhu_history_walk(repo, &m, &c2, 1, 0, walk_cb, &w));
	ck_assert_uint_eq(w.n, 3); /* m, c3, s1 */

	memset(&w, 0, sizeof(w));
	w.stop = 2;
	ck_assert_int_eq(ruhu_history_walk(repo, &m, NULL, 0, 0, walk_cb, &w), 7);
	ck_assert_uint_eq(w.n, 2);

	/* a commit with three parents is refused */
	{
		ruhu_commit_opts o = RUHU_COMMIT_OPTS_INIT;
		git_oid three[3] = { c1, c2, c3 }, id;

		o.parents = three;
		o.nparents = 3;
		o.subject = "octopus";
		o.author = (ruhu_person){ "a", "a@b", 0, 0 };
		ck_assert_int_eq(ruhu_commit_create(&id, repo, &o, hub), RUHU_EINVALID);
	}
}
END_TEST

Suite *commit_suite(void)
{
	Suite *s = suite_create("commit");
	TCase *tc = tcase_create("commit");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_commit_message_format);
	tcase_add_test(tc, test_commit_trailers_parse);
	tcase_add_test(tc, test_commit_signed_create_verify_read);
	tcase_add_test(tc, test_commit_altered_unsigned_malformed);
	tcase_add_test(tc, test_commit_altered_in_place_is_corrupt);
	tcase_add_test(tc, test_commit_tree_paths);
	tcase_add_test(tc, test_commit_history_walks);
	suite_add_tcase(s, tc);
	return s;
}
