/*
 * test_save.c — every save a signed, content-addressed commit (core/edit.c,
 * core/edit_commit.c, core/save.c, core/attach.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "core/changeset.h"
#include "core/commit.h"
#include "core/digest.h"
#include "core/meta.h"
#include "core/refs.h"
#include "core/replica.h"
#include "core/save.h"
#include "core/setup.h"
#include "support/support.h"

static char dir[256];

static ruhu_replica *device(const char *sub, const char *id)
{
	ruhu_replica_options o = RUHU_REPLICA_OPTIONS_INIT;
	ruhu_replica *r = NULL;
	char path[512];
	sqlite3 *db;

	o.kdf_opslimit = 1;
	o.kdf_memlimit = 8192;
	rt_path(path, sizeof(path), dir, sub);
	rt_ok(ruhu_replica_create(&r, path, "pw", 2, &o));
	rt_ok(ruhu_replica_setup(r, id, "320102", "refs/heads/device", RUHU_SETUP_TRACK_PENDING));
	db = ruhu_replica_db(r);
	rt_ok(ruhu_meta_set(db, "worker", "w-01"));
	rt_ok(ruhu_meta_set(db, "worker_name", "王芳"));
	return r;
}

static void setup(void)
{
	ruhu_init();
	rt_tmpdir(dir, sizeof(dir));
}

static void teardown(void)
{
	rt_rmrf(dir);
}

static void head_tree_blob(ruhu_buf *out, ruhu_replica *r, const char *path)
{
	git_repository *repo;
	git_oid head;

	rt_ok(ruhu_refs_get(&head, ruhu_replica_db(r), "refs/heads/device"));
	rt_ok(ruhu_replica_repo(&repo, r));
	rt_ok(ruhu_commit_read_path(out, repo, &head, path));
}

START_TEST(test_save_commit_has_changes_trailers_and_digest)
{
	ruhu_replica *r = device("a", "tab-01");
	ruhu_edit *e = NULL;
	ruhu_save_info info;
	char hh[RUHU_ID_SIZE], p[RUHU_ID_SIZE];
	ruhu_buf text = RUHU_BUF_INIT, msg = RUHU_BUF_INIT;
	ruhu_assign h[] = { { "address", "梅园新村 12 号" }, { "phone", "13800000000" } };
	git_repository *repo;
	git_commit *c;
	git_oid head;
	ruhu_trailers tr = RUHU_TRAILERS_INIT;
	ruhu_digest kept, fresh;
	const ruhu_schema *s;
	const char **tables;
	size_t ntables;
	int64_t seq;

	rt_ok(ruhu_edit_begin(&e, r));
	rt_ok(ruhu_edit_insert(e, "household", h, 2, hh));
	{
		ruhu_assign pv[] = { { "household_id", hh }, { "name", "张伟" }, { "phone", "13900000000" } };

		rt_ok(ruhu_edit_insert(e, "person", pv, 3, p));
	}
	rt_ok(ruhu_edit_commit(e, NULL, &info));
	ruhu_edit_free(e);
	ck_assert_int_eq(info.committed, 1);
	ck_assert_int_eq(info.seq, 1);
	ck_assert_uint_eq(info.changes, 2);

	head_tree_blob(&text, r, "changes.txt");
	ck_assert_ptr_nonnull(strstr(text.ptr, hh));
	ck_assert_ptr_nonnull(strstr(text.ptr, "张伟"));

	rt_ok(ruhu_refs_get(&head, ruhu_replica_db(r), "refs/heads/device"));
	rt_ok(ruhu_replica_repo(&repo, r));
	ck_assert_int_eq(git_commit_lookup(&c, repo, &head), 0);
	rt_ok(ruhu_trailers_parse(&tr, git_commit_message(c)));
	ck_assert_str_eq(ruhu_trailers_get(&tr, "Ruhu-Device"), "tab-01");
	ck_assert_str_eq(ruhu_trailers_get(&tr, "Ruhu-Worker"), "w-01");
	ck_assert_str_eq(ruhu_trailers_get(&tr, "Ruhu-Seq"), "1");
	ck_assert_ptr_nonnull(ruhu_trailers_get(&tr, "Ruhu-HLC"));
	ck_assert_str_eq(git_commit_author(c)->name, "王芳");
	ck_assert_str_eq(git_commit_author(c)->email, "w-01@320102");
	ck_assert_str_eq(git_commit_committer(c)->email, "tab-01@320102");

	/* the digest kept per save is the digest of the rows */
	rt_ok(ruhu_digest_load(&kept, ruhu_replica_db(r)));
	rt_ok(ruhu_replica_schema(&s, r));
	rt_ok(ruhu_save_tables(&tables, &ntables, s));
	rt_ok(ruhu_digest_compute(&fresh, ruhu_replica_db(r), tables, ntables));
	ck_assert(ruhu_digest_equal(&kept, &fresh));
	{
		char hex[RUHU_DIGEST_HEX_LEN + 1];

		ruhu_digest_hex(hex, &kept);
		ck_assert_str_eq(ruhu_trailers_get(&tr, "Ruhu-Digest"), hex);
	}
	rt_ok(ruhu_meta_get_int(&seq, ruhu_replica_db(r), "seq"));
	ck_assert_int_eq(seq, 1);

	free(tables);
	ruhu_trailers_dispose(&tr);
	git_commit_free(c);
	ruhu_buf_dispose(&text);
	ruhu_buf_dispose(&msg);
	ruhu_replica_free(r);
}
END_TEST

START_TEST(test_save_nothing_changed_makes_no_commit)
{
	ruhu_replica *r = device("a", "tab-01");
	ruhu_edit *e = NULL;
	ruhu_save_info info;
	git_oid head;

	rt_ok(ruhu_edit_begin(&e, r));
	rt_ok(ruhu_edit_sql(e, "SELECT count(*) FROM person", NULL, NULL));
	rt_ok(ruhu_edit_commit(e, NULL, &info));
	ruhu_edit_free(e);
	ck_assert_int_eq(info.committed, 0);
	ck_assert_int_eq(ruhu_refs_get(&head, ruhu_replica_db(r), "refs/heads/device"), RUHU_ENOTFOUND);
	ruhu_replica_free(r);
}
END_TEST

START_TEST(test_save_refused_value_leaves_nothing)
{
	ruhu_replica *r = device("a", "tab-01");
	ruhu_edit *e = NULL;
	ruhu_assign bad[] = { { "name", "李四" }, { "id_number", "110105194912310021" } };
	ruhu_assign phone[] = { { "name", "李四" }, { "phone", "12345" } };
	git_oid head;
	int rc;

	rt_ok(ruhu_edit_begin(&e, r));
	rc = ruhu_edit_insert(e, "person", bad, 2, NULL);
	ck_assert_int_eq(rc, RUHU_EINVALID);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "person.id_number"));
	rc = ruhu_edit_insert(e, "person", phone, 2, NULL);
	ck_assert_int_eq(rc, RUHU_EINVALID);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "person.phone"));
	ck_assert_int_eq(ruhu_edit_insert(e, "nosuch", phone, 2, NULL), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "unknown record type 'nosuch'");
	{
		ruhu_assign f[] = { { "colour", "red" } };

		ck_assert_int_eq(ruhu_edit_insert(e, "person", f, 1, NULL), RUHU_EINVALID);
		ck_assert_str_eq(ruhu_error_last(), "person has no field 'colour'");
	}
	ck_assert_int_eq(ruhu_edit_update(e, "person", "0190e0e0-0000-7000-8000-000000000000", phone, 1),
			 RUHU_ENOTFOUND);
	ruhu_edit_free(e);
	ck_assert_int_eq(ruhu_refs_get(&head, ruhu_replica_db(r), "refs/heads/device"), RUHU_ENOTFOUND);
	ruhu_replica_free(r);
}
END_TEST

/* Two saves of the same logical edit, made in different orders on two
 * replicas, give byte-identical changesets (and so the same blob). */
START_TEST(test_save_same_edit_any_order_same_changeset)
{
	ruhu_replica *a = device("a", "tab-01"), *b = device("b", "tab-02");
	ruhu_buf ca = RUHU_BUF_INIT, cb = RUHU_BUF_INIT;
	const char *ids[3] = { "0190e0e0-0000-7000-8000-000000000003",
			       "0190e0e0-0000-7000-8000-000000000001",
			       "0190e0e0-0000-7000-8000-000000000002" };
	ruhu_edit *e;

	rt_ok(ruhu_edit_begin(&e, a));
	for (int i = 0; i < 3; i++) {
		ruhu_assign v[] = { { "id", ids[i] }, { "address", "a" } };

		rt_ok(ruhu_edit_insert(e, "household", v, 2, NULL));
	}
	{
		ruhu_assign v[] = { { "name", "x" } };

		rt_ok(ruhu_edit_insert(e, "person", v, 1, NULL));
		rt_ok(ruhu_edit_sql(e, "DELETE FROM person", NULL, NULL));
	}
	rt_ok(ruhu_edit_commit(e, "x", NULL));
	ruhu_edit_free(e);

	rt_ok(ruhu_edit_begin(&e, b));
	for (int i = 2; i >= 0; i--) {
		ruhu_assign v[] = { { "id", ids[i] }, { "address", i == 1 ? "b" : "a" } };

		rt_ok(ruhu_edit_insert(e, "household", v, 2, NULL));
	}
	rt_ok(ruhu_edit_sql(e, "UPDATE household SET address = 'a'", NULL, NULL));
	rt_ok(ruhu_edit_commit(e, "x", NULL));
	ruhu_edit_free(e);

	head_tree_blob(&ca, a, "changeset");
	head_tree_blob(&cb, b, "changeset");
	ck_assert_uint_eq(ca.size, cb.size);
	ck_assert(memcmp(ca.ptr, cb.ptr, ca.size) == 0);
	ruhu_buf_dispose(&ca);
	ruhu_buf_dispose(&cb);
	ruhu_replica_free(a);
	ruhu_replica_free(b);
}
END_TEST

START_TEST(test_save_immutable_and_closed_records_refused)
{
	ruhu_replica *r = device("a", "tab-01");
	ruhu_edit *e;
	char hh[RUHU_ID_SIZE], v[RUHU_ID_SIZE], sv[RUHU_ID_SIZE];

	rt_ok(ruhu_edit_begin(&e, r));
	{
		ruhu_assign h[] = { { "address", "x" } };

		rt_ok(ruhu_edit_insert(e, "household", h, 1, hh));
	}
	{
		ruhu_assign vv[] = { { "household_id", hh }, { "worker_id", "w-01" }, { "device_id", "tab-01" },
				     { "purpose", "intake" }, { "started_at", "2026-11-27T09:00:00+08:00" } };

		rt_ok(ruhu_edit_insert(e, "visit", vv, 5, v));
	}
	{
		ruhu_assign s[] = { { "visit_id", v }, { "score", "5" } };

		rt_ok(ruhu_edit_insert(e, "survey", s, 2, sv));
	}
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);

	/* closing the visit, with its summary, is one allowed change */
	rt_ok(ruhu_edit_begin(&e, r));
	{
		ruhu_assign c[] = { { "ended_at", "2026-11-27T10:00:00+08:00" }, { "summary", "done" } };

		rt_ok(ruhu_edit_update(e, "visit", v, c, 2));
	}
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);

	/* after that it is frozen, and a survey never changes */
	rt_ok(ruhu_edit_begin(&e, r));
	{
		ruhu_assign c[] = { { "summary", "more" } };

		rt_ok(ruhu_edit_update(e, "visit", v, c, 1));
	}
	ck_assert_int_eq(ruhu_edit_commit(e, NULL, NULL), RUHU_EINVALID);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "can no longer be changed"));
	ruhu_edit_free(e);
	rt_ok(ruhu_edit_begin(&e, r));
	rt_ok(ruhu_edit_sql(e, "UPDATE survey SET score = 1", NULL, NULL));
	ck_assert_int_eq(ruhu_edit_commit(e, NULL, NULL), RUHU_EINVALID);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "a survey cannot be changed once saved"));
	ruhu_edit_free(e);
	ruhu_replica_free(r);
}
END_TEST

START_TEST(test_save_attachment_stored_once_in_tree)
{
	ruhu_replica *r = device("a", "tab-01");
	ruhu_edit *e;
	char hh[RUHU_ID_SIZE], a1[RUHU_ID_SIZE], a2[RUHU_ID_SIZE], path[128];
	static const unsigned char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR photo bytes";
	ruhu_buf blob = RUHU_BUF_INIT;
	sqlite3_stmt *st;
	ruhu_assign h[] = { { "address", "x" } };

	rt_ok(ruhu_edit_begin(&e, r));
	rt_ok(ruhu_edit_insert(e, "household", h, 1, hh));
	rt_ok(ruhu_edit_attach(e, "household", hh, png, sizeof(png), "门牌", a1));
	rt_ok(ruhu_edit_attach(e, "household", hh, png, sizeof(png), "门牌", a2));
	rt_ok(ruhu_edit_commit(e, NULL, NULL));
	ruhu_edit_free(e);
	snprintf(path, sizeof(path), "attachments/%s", a2);
	head_tree_blob(&blob, r, path);
	ck_assert_uint_eq(blob.size, sizeof(png));
	ck_assert(memcmp(blob.ptr, png, sizeof(png)) == 0);
	ck_assert_int_eq(sqlite3_prepare_v2(ruhu_replica_db(r), "SELECT count(DISTINCT blob_id), "
					    "min(mime) FROM attachment", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 1);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), "image/png");
	sqlite3_finalize(st);

	/* over the limit: refused, nothing saved */
	rt_ok(ruhu_meta_set_int(ruhu_replica_db(r), "attachment_limit", 10));
	rt_ok(ruhu_edit_begin(&e, r));
	ck_assert_int_eq(ruhu_edit_attach(e, "household", hh, png, sizeof(png), NULL, NULL), RUHU_EINVALID);
	ck_assert_ptr_nonnull(strstr(ruhu_error_last(), "attachment limit"));
	ruhu_edit_free(e);
	ruhu_buf_dispose(&blob);
	ruhu_replica_free(r);
}
END_TEST

Suite *save_suite(void)
{
	Suite *s = suite_create("save");
	TCase *tc = tcase_create("save");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_save_commit_has_changes_trailers_and_digest);
	tcase_add_test(tc, test_save_nothing_changed_makes_no_commit);
	tcase_add_test(tc, test_save_refused_value_leaves_nothing);
	tcase_add_test(tc, test_save_same_edit_any_order_same_changeset);
	tcase_add_test(tc, test_save_immutable_and_closed_records_refused);
	tcase_add_test(tc, test_save_attachment_stored_once_in_tree);
	suite_add_tcase(s, tc);
	return s;
}
