/*
 * test_export.c — exporting the store as a git repository (core/export.h)
 * and checking signatures with stock git: good, bad and unknown, with ruhu's
 * own verification agreeing on each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commit.h"
#include "core/export.h"
#include "core/odb.h"
#include "support/support.h"

#define GITENV "HOME='%s' GIT_CONFIG_NOSYSTEM=1 "

static char dir[4096], out[4200];
static sqlite3 *db;
static git_repository *repo;
static ruhu_signkey *tab07, *hub, *stranger;

static void key(ruhu_signkey **k, int fill)
{
	unsigned char seed[RUHU_SEEDBYTES];

	memset(seed, fill, sizeof(seed));
	rt_ok(ruhu_signkey_from_seed(k, seed));
}

static void setup(void)
{
	char path[4200];

	rt_ok(ruhu_init());
	rt_tmpdir(dir, sizeof(dir));
	rt_path(path, sizeof(path), dir, "replica.db");
	rt_path(out, sizeof(out), dir, "export");
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	rt_ok(ruhu_odb_open(&repo, db));
	key(&tab07, 7);
	key(&hub, 8);
	key(&stranger, 9);
}

static void teardown(void)
{
	git_repository_free(repo);
	sqlite3_close(db);
	ruhu_signkey_free(tab07);
	ruhu_signkey_free(hub);
	ruhu_signkey_free(stranger);
	rt_rmrf(dir);
}

static git_oid save(const char *subject, const git_oid *parents, size_t np, int64_t when,
	const ruhu_signkey *k, const char *committer)
{
	ruhu_commit_opts o = RUHU_COMMIT_OPTS_INIT;
	ruhu_tree_entry e[2];
	ruhu_trailer t[1] = { { "Device", "tab-07" } };
	git_oid id;

	rt_ok(ruhu_blob_write(&e[0].oid, repo, subject, strlen(subject)));
	rt_ok(ruhu_blob_write(&e[1].oid, repo, "photo", 5));
	e[0] = (ruhu_tree_entry){ "changes.txt", e[0].oid, 0 };
	e[1] = (ruhu_tree_entry){ "attachments/photo.jpg", e[1].oid, 0 };
	o.entries = e;
	o.nentries = 2;
	o.parents = parents;
	o.nparents = np;
	o.author = (ruhu_person){ "Li Na", "li.na@township.example", when, 480 };
	o.committer = (ruhu_person){ committer, "devices@township.example", when, 480 };
	o.subject = subject;
	o.body = "Recorded at the door.";
	o.trailers = t;
	o.ntrailers = 1;
	rt_ok(ruhu_commit_create(&id, repo, &o, k));
	return id;
}

/* Run git in the export; return its exit code, output in *text. */
static int git(char **text, const char *args)
{
	return rt_sh(text, "cd '%s' && " GITENV "git %s 2>&1", out, dir, args);
}

START_TEST(test_export_stock_git_verifies_every_commit)
{
	git_oid c1 = save("Register household", NULL, 0, 1700000000, tab07, "tab-07");
	git_oid c2 = save("Open application", &c1, 1, 1700000600, tab07, "tab-07");
	git_oid h1 = save("Hub note", &c1, 1, 1700000300, hub, "hub");
	git_oid mp[2] = { h1, c2 };
	git_oid m = save("Merge tab-07", mp, 2, 1700000900, hub, "hub");
	ruhu_export_ref refs[2] = { { "main", m }, { "devices/tab-07", c2 } };
	ruhu_export_signer signers[2];
	char *text = NULL, cmd[256];
	const git_oid *all[4] = { &c1, &c2, &h1, &m };
	unsigned char keys[2][32];

	memset(signers, 0, sizeof(signers));
	signers[0].principal = "tab-07@township.example";
	memcpy(signers[0].key, ruhu_signkey_public(tab07), 32);
	signers[1].principal = "hub@township.example";
	memcpy(signers[1].key, ruhu_signkey_public(hub), 32);
	rt_ok(ruhu_export(out, repo, refs, 2, signers, 2));

	/* every commit of main shows a good signature, with the repository's config */
	ck_assert_int_eq(git(&text, "log --format=%G? main"), 0);
	ck_assert_str_eq(text, "G\nG\nG\nG\n");
	free(text);
	/* and with the settings given on the command line, as an auditor might */
	ck_assert_int_eq(git(&text, "-c gpg.format=ssh -c gpg.ssh.allowedSignersFile=allowed_signers "
		"log --show-signature -1 devices/tab-07"), 0);
	ck_assert_ptr_nonnull(strstr(text, "Good \"git\" signature for tab-07@township.example"));
	free(text);
	for (int i = 0; i < 4; i++) {
		ruhu_commit_sig sig;

		snprintf(cmd, sizeof(cmd), "verify-commit %s", git_oid_tostr_s(all[i]));
		ck_assert_int_eq(git(NULL, cmd), 0);
		memcpy(keys[0], ruhu_signkey_public(tab07), 32);
		memcpy(keys[1], ruhu_signkey_public(hub), 32);
		rt_ok(ruhu_commit_verify(&sig, repo, all[i], (const unsigned char (*)[32])keys, 2));
		ck_assert_int_eq(sig.status, RUHU_SIG_GOOD);
	}
	/* HEAD is main; the export is a sound repository */
	ck_assert_int_eq(git(&text, "rev-parse HEAD"), 0);
	ck_assert(!strncmp(text, git_oid_tostr_s(&m), 40));
	free(text);
	ck_assert_int_eq(git(NULL, "fsck --strict --no-dangling"), 0);
	ck_assert_int_eq(git(&text, "cat-file -p main:attachments/photo.jpg"), 0);
	ck_assert_str_eq(text, "photo");
	free(text);
}
END_TEST

START_TEST(test_export_bad_and_unknown_agree_with_git)
{
	git_oid c1 = save("Register household", NULL, 0, 1700000000, tab07, "tab-07");
	git_oid u = save("Signed by a stranger", &c1, 1, 1700000100, stranger, "tab-99");
	git_oid bad;
	ruhu_export_ref refs[3];
	ruhu_export_signer signer;
	ruhu_commit_sig sig;
	unsigned char keys[1][32];
	git_odb *odb;
	git_odb_object *obj;
	char *raw, *at, *text = NULL, cmd[128];
	size_t len;

	/* rewrite c1's raw bytes with one changed, keeping its signature */
	ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
	ck_assert_int_eq(git_odb_read(&obj, odb, &c1), 0);
	len = git_odb_object_size(obj);
	raw = malloc(len);
	memcpy(raw, git_odb_object_data(obj), len);
	git_odb_object_free(obj);
	at = strstr(raw, "Recorded at the door.");
	ck_assert_ptr_nonnull(at);
	at[0] = 'r';
	ck_assert_int_eq(git_odb_write(&bad, odb, raw, len, GIT_OBJECT_COMMIT), 0);
	free(raw);
	git_odb_free(odb);

	refs[0] = (ruhu_export_ref){ "main", c1 };
	refs[1] = (ruhu_export_ref){ "unknown", u };
	refs[2] = (ruhu_export_ref){ "refs/tampered/c1", bad };
	memset(&signer, 0, sizeof(signer));
	signer.principal = "tab-07@township.example";
	memcpy(signer.key, ruhu_signkey_public(tab07), 32);
	memcpy(keys[0], ruhu_signkey_public(tab07), 32);
	rt_ok(ruhu_export(out, repo, refs, 3, &signer, 1));

	/* good */
	ck_assert_int_eq(git(&text, "log -1 --format=%G? main"), 0);
	ck_assert_str_eq(text, "G\n");
	free(text);
	rt_ok(ruhu_commit_verify(&sig, repo, &c1, (const unsigned char (*)[32])keys, 1));
	ck_assert_int_eq(ruhu_sig_status_letter(sig.status), 'G');

	/* unknown key */
	ck_assert_int_eq(git(&text, "log -1 --format=%G? unknown"), 0);
	ck_assert_str_eq(text, "U\n");
	free(text);
	snprintf(cmd, sizeof(cmd), "verify-commit %s", git_oid_tostr_s(&u));
	ck_assert_int_ne(git(NULL, cmd), 0);
	rt_ok(ruhu_commit_verify(&sig, repo, &u, (const unsigned char (*)[32])keys, 1));
	ck_assert_int_eq(ruhu_sig_status_letter(sig.status), 'U');
	ck_assert_mem_eq(sig.signer, ruhu_signkey_public(stranger), 32);

	/* altered after signing */
	ck_assert_int_eq(git(&text, "log -1 --format=%G? refs/tampered/c1"), 0);
	ck_assert_str_eq(text, "B\n");
	free(text);
	snprintf(cmd, sizeof(cmd), "verify-commit %s", git_oid_tostr_s(&bad));
	ck_assert_int_ne(git(NULL, cmd), 0);
	rt_ok(ruhu_commit_verify(&sig, repo, &bad, (const unsigned char (*)[32])keys, 1));
	ck_assert_int_eq(ruhu_sig_status_letter(sig.status), 'B');
}
END_TEST

/*
 * A revoked key (export.h, note 5): stock git judges each commit at its
 * committer time, in any time zone of the auditor's, by ruhu's rule (a commit
 * of second t is revoked when the revocation is at or before t * 1000 ms).
 */
START_TEST(test_export_revoked_key_limited_to_before_its_revocation)
{
	git_oid c1 = save("Register household", NULL, 0, 1700000000, tab07, "tab-07");
	git_oid c2 = save("Last save before", &c1, 1, 1700000599, tab07, "tab-07");
	git_oid c3 = save("Save in the second revoked", &c2, 1, 1700000600, tab07, "tab-07");
	git_oid c4 = save("Save after", &c3, 1, 1700000601, tab07, "tab-07");
	git_oid h = save("Hub note", &c4, 1, 1700000700, hub, "hub");
	ruhu_export_ref ref = { "main", h };
	ruhu_export_signer signers[2] = {
		{ "tab-07@township.example", { 0 }, INT64_C(1700000600000) },
		{ "hub@township.example", { 0 }, 0 },
	};
	char path[4300], *text = NULL, cmd[128];

	memcpy(signers[0].key, ruhu_signkey_public(tab07), 32);
	memcpy(signers[1].key, ruhu_signkey_public(hub), 32);
	rt_ok(ruhu_export(out, repo, &ref, 1, signers, 2));

	/* the revoked key's line ends its validity at 22:23:19 UTC; the hub's has no limit */
	rt_path(path, sizeof(path), out, "allowed_signers");
	ck_assert_uint_eq(rt_count_in_file(path, "tab-07@township.example "
		"valid-before=\"20231114222319Z\" ssh-ed25519 AAAA"), 1);
	ck_assert_uint_eq(rt_count_in_file(path, "\nhub@township.example ssh-ed25519 AAAA"), 1);
	ck_assert_uint_eq(rt_count_in_file(path, "valid-before"), 1);

	/* newest first: the hub's note, then tab-07's commits of the revoked
	 * second and after (not good), then before (good); the same at UTC and
	 * at UTC+8, since git and ssh-keygen exchange local times */
	ck_assert_int_eq(git(&text, "log --format=%G? main"), 0);
	ck_assert_str_eq(text, "G\nU\nU\nG\nG\n");
	free(text);
	ck_assert_int_eq(rt_sh(&text, "cd '%s' && TZ=CST-8 " GITENV "git log --format=%%G? main 2>&1",
		out, dir), 0);
	ck_assert_str_eq(text, "G\nU\nU\nG\nG\n");
	free(text);
	snprintf(cmd, sizeof(cmd), "verify-commit %s", git_oid_tostr_s(&c3));
	ck_assert_int_ne(git(&text, cmd), 0);
	ck_assert_ptr_nonnull(strstr(text, "key has expired"));
	free(text);
	snprintf(cmd, sizeof(cmd), "verify-commit %s", git_oid_tostr_s(&c2));
	ck_assert_int_eq(git(NULL, cmd), 0);

	/* revoked half a second into 22:23:20: that second's commit may be
	 * older than the revocation, and stays good */
	rt_rmrf(out);
	signers[0].valid_before_ms = INT64_C(1700000600500);
	rt_ok(ruhu_export(out, repo, &ref, 1, signers, 2));
	ck_assert_uint_eq(rt_count_in_file(path, "valid-before=\"20231114222320Z\""), 1);
	ck_assert_int_eq(git(&text, "log --format=%G? main"), 0);
	ck_assert_str_eq(text, "G\nU\nG\nG\nG\n");
	free(text);
}
END_TEST

START_TEST(test_export_refuses_used_folder)
{
	git_oid c1 = save("Register household", NULL, 0, 1700000000, tab07, "tab-07");
	ruhu_export_ref ref = { "main", c1 };
	ruhu_export_signer bad = { "two words", { 0 }, 0 };
	char file[4300];

	ck_assert_int_eq(rt_sh(NULL, "mkdir '%s'", out), 0);
	rt_path(file, sizeof(file), out, "notes.txt");
	rt_write_file(file, "mine", 4);
	ck_assert_int_eq(ruhu_export(out, repo, &ref, 1, NULL, 0), RUHU_EEXISTS);
	ck_assert_uint_eq(rt_count_in_file(file, "mine"), 1);
	rt_rmrf(out);
	ck_assert_int_eq(ruhu_export(out, repo, &ref, 1, &bad, 1), RUHU_EINVALID);
}
END_TEST

Suite *export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tcase_create("export");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_export_stock_git_verifies_every_commit);
	tcase_add_test(tc, test_export_bad_and_unknown_agree_with_git);
	tcase_add_test(tc, test_export_revoked_key_limited_to_before_its_revocation);
	tcase_add_test(tc, test_export_refuses_used_folder);
	suite_add_tcase(s, tc);
	return s;
}
