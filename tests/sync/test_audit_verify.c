/*
 * test_audit_verify.c — `audit verify` (sync/audit_verify*.c,
 * sync/audit_replay.c) on the story of test_audit_story.h: it passes on the
 * hub and on both tablets, and each kind of tampering is found and reported
 * by its own message: a row changed behind ruhu's back, a commit object
 * deleted, a commit re-signed with another key, a commit of a revoked
 * tablet taken in after its revocation.
 */
#include <git2.h>

#include "core/commit.h"
#include "core/identity.h"
#include "core/odb.h"
#include "core/refs.h"
#include "core/sshsig.h"
#include "test_audit_story.h"

static struct story s;

static void setup(void)
{
	story_build(&s, 1);
}

static void teardown(void)
{
	story_free(&s);
}

static void exec_sql(ruhu_replica *r, const char *sql)
{
	char *err = NULL;

	ck_assert_msg(sqlite3_exec(ruhu_replica_db(r), sql, NULL, NULL, &err) == SQLITE_OK, "%s: %s", sql,
		      err ? err : "");
	sqlite3_free(err);
}

static size_t count_rows(ruhu_replica *r)
{
	static const char *tables[] = { "worker", "holiday", "household", "person", "visit", "application",
					 "dispute", "complaint", "survey", "attachment" };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		sqlite3_stmt *st;
		char sql[64];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		ck_assert_int_eq(sqlite3_prepare_v2(ruhu_replica_db(r), sql, -1, &st, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		n += (size_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return n;
}

/* Verify and expect exactly one problem of `kind`; returns it (owned by rep). */
static const ruhu_audit_problem *one_problem(ruhu_audit_verify_report *rep, ruhu_replica *r, const char *kind)
{
	int rc = ruhu_audit_verify(rep, r, NULL);

	ck_assert_int_eq(rc, RUHU_ECORRUPT);
	ck_assert_uint_ge(rep->nproblems, 1);
	for (size_t i = 0; i < rep->nproblems; i++)
		ck_assert_msg(!strcmp(rep->problems[i].kind, kind), "unexpected problem %s: %s",
			      rep->problems[i].kind, rep->problems[i].message);
	/* the call's message is the first problem's */
	ck_assert_str_eq(ruhu_error_last(), rep->problems[0].message);
	return &rep->problems[0];
}

START_TEST(test_audit_verify_passes_and_counts)
{
	ruhu_audit_verify_report rep;
	ruhu_audit_verify_opts o = RUHU_AUDIT_VERIFY_OPTS_INIT;
	ruhu_status st;

	rt_ok(ruhu_audit_verify(&rep, s.hub, NULL));
	ck_assert_uint_eq(rep.nproblems, 0);
	ck_assert_int_eq(rep.tablet, 0);
	ck_assert_uint_ge(rep.refs, 3);            /* main and one ref per tablet */
	ck_assert_uint_gt(rep.commits, 20);
	ck_assert_uint_eq(rep.signatures, rep.commits);
	ck_assert_uint_gt(rep.objects, rep.commits * 3);
	ck_assert_uint_gt(rep.replayed, 10);
	ck_assert_uint_eq(rep.digests, rep.replayed);
	ck_assert_uint_eq(rep.rows, count_rows(s.hub));
	ck_assert_uint_ge(rep.rows, 9); /* workers, household, person, 2 applications, complaint,
					 * dispute, attachment */
	rt_ok(ruhu_status_get(&st, s.hub));
	ck_assert_str_eq(rep.digest, st.digest);
	ck_assert_str_eq(rep.main, st.head);
	ruhu_audit_verify_report_dispose(&rep);

	/* the same without the helper thread */
	o.threads = 1;
	rt_ok(ruhu_audit_verify(&rep, s.hub, &o));
	ck_assert_uint_eq(rep.signatures, rep.commits);
	ruhu_audit_verify_report_dispose(&rep);

	/* a tablet: its known main, then its pending saves */
	story_set(s.b, "person", s.person, "notes", "搬家了");
	rt_ok(ruhu_audit_verify(&rep, s.b, NULL));
	ck_assert_int_eq(rep.tablet, 1);
	ck_assert_uint_eq(rep.pending, 1);
	ck_assert_uint_eq(rep.signatures, rep.commits);
	ck_assert_uint_eq(rep.rows, count_rows(s.b));
	ruhu_audit_verify_report_dispose(&rep);
	rt_ok(ruhu_audit_verify(&rep, s.a, NULL));
	ck_assert_uint_eq(rep.pending, 0);
	ruhu_audit_verify_report_dispose(&rep);
}
END_TEST

struct field_commit {
	char commit[RUHU_OID_SIZE];
};

static int phone_commit(const ruhu_audit_blame_line *l, void *p)
{
	struct field_commit *f = p;

	if (!strcmp(l->field, "phone"))
		snprintf(f->commit, sizeof(f->commit), "%s", l->commit->commit.id);
	return 0;
}

START_TEST(test_audit_verify_finds_a_row_changed_behind_ruhus_back)
{
	ruhu_audit_verify_report rep;
	const ruhu_audit_problem *p;
	struct field_commit fc;
	char sql[256];

	snprintf(sql, sizeof(sql), "UPDATE person SET phone = '13000000000' WHERE id = '%s'", s.person);
	exec_sql(s.hub, sql);
	p = one_problem(&rep, s.hub, "row-changed");
	ck_assert_uint_eq(rep.nproblems, 1);
	ck_assert_str_eq(p->type, "person");
	ck_assert_str_eq(p->id, s.person);
	ck_assert_str_eq(p->field, "phone");
	ck_assert_str_eq(p->expected, "\"13922222222\"");
	ck_assert_str_eq(p->found, "\"13000000000\"");
	memset(&fc, 0, sizeof(fc));
	rt_ok(ruhu_audit_blame(s.hub, "person", s.person, phone_commit, &fc));
	ck_assert_str_eq(p->commit, fc.commit);
	ck_assert_ptr_nonnull(strstr(p->message, "field phone: the history says \"13922222222\", the replica "
					      "holds \"13000000000\""));
	/* every replayed digest still matched: the digest trail is intact,
	 * only the row is not */
	ck_assert_uint_eq(rep.digests, rep.replayed);
	ruhu_audit_verify_report_dispose(&rep);

	/* a row added and one deleted behind ruhu's back */
	snprintf(sql, sizeof(sql), "UPDATE person SET phone = '13922222222' WHERE id = '%s'", s.person);
	exec_sql(s.hub, sql);
	exec_sql(s.hub, "INSERT INTO household(id, address) VALUES('01900000-0000-7000-8000-0000000000ff', 'x')");
	p = one_problem(&rep, s.hub, "row-extra");
	ck_assert_str_eq(p->id, "01900000-0000-7000-8000-0000000000ff");
	ruhu_audit_verify_report_dispose(&rep);
	exec_sql(s.hub, "DELETE FROM household");
	p = one_problem(&rep, s.hub, "row-missing");
	ck_assert_str_eq(p->id, s.household);
	ck_assert_ptr_nonnull(strstr(p->message, "is in the history but not in the replica"));
	ruhu_audit_verify_report_dispose(&rep);
}
END_TEST

START_TEST(test_audit_verify_names_the_first_divergence_of_the_replay)
{
	ruhu_audit_verify_report rep;
	const ruhu_audit_problem *p;
	ruhu_status st;
	char sql[256];

	/* a row changed behind ruhu's back, then saved over at the hub: the
	 * save's changeset starts from the altered value, which the history
	 * never wrote */
	snprintf(sql, sizeof(sql), "UPDATE person SET phone = '13000000000' WHERE id = '%s'", s.person);
	exec_sql(s.hub, sql);
	story_set(s.hub, "person", s.person, "phone", "13911112222");
	rt_ok(ruhu_status_get(&st, s.hub));
	p = one_problem(&rep, s.hub, "replay-conflict");
	ck_assert_uint_eq(rep.nproblems, 1);
	ck_assert_str_eq(p->commit, st.head);
	ck_assert_str_eq(p->type, "person");
	ck_assert_str_eq(p->id, s.person);
	ck_assert_str_eq(p->field, "phone");
	ck_assert_str_eq(p->expected, "\"13000000000\"");
	ck_assert_str_eq(p->found, "\"13922222222\"");
	ck_assert_ptr_nonnull(strstr(p->message, "holds other values than the history expects"));
	/* every commit before it replayed and matched; no rows compared */
	ck_assert_uint_eq(rep.digests, rep.replayed);
	ck_assert_uint_gt(rep.replayed, 10);
	ck_assert_uint_eq(rep.rows, 0);
	ruhu_audit_verify_report_dispose(&rep);
}
END_TEST

/* The commit `back` first parents behind main's head. */
static void main_commit(git_oid *out, ruhu_replica *r, int back)
{
	git_repository *repo;
	git_commit *c = NULL;

	rt_ok(ruhu_replica_repo(&repo, r));
	rt_ok(ruhu_refs_get(out, ruhu_replica_db(r), "refs/heads/main"));
	for (int i = 0; i < back; i++) {
		ck_assert_int_eq(git_commit_lookup(&c, repo, out), 0);
		*out = *git_commit_parent_id(c, 0);
		git_commit_free(c);
	}
}

START_TEST(test_audit_verify_finds_a_deleted_commit_object)
{
	ruhu_audit_verify_report rep;
	const ruhu_audit_problem *p;
	git_oid gone;
	sqlite3_stmt *st;
	char hex[GIT_OID_HEXSZ + 1];

	main_commit(&gone, s.hub, 5);
	ck_assert_int_eq(sqlite3_prepare_v2(ruhu_replica_db(s.hub), "DELETE FROM _objects WHERE oid = ?1", -1, &st,
					    NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, gone.id, GIT_OID_RAWSZ, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	ck_assert_int_eq(sqlite3_changes(ruhu_replica_db(s.hub)), 1);
	sqlite3_finalize(st);
	ruhu_replica_repo_reset(s.hub); /* libgit2 had it cached */
	p = one_problem(&rep, s.hub, "missing-object");
	git_oid_tostr(hex, sizeof(hex), &gone);
	ck_assert_str_eq(p->commit, hex);
	ck_assert_ptr_nonnull(strstr(p->message, "a parent of commit"));
	ck_assert_ptr_nonnull(strstr(p->message, "is missing from the object store"));
	/* main is broken there: nothing replayed, no rows compared */
	ck_assert_uint_eq(rep.replayed, 0);
	ck_assert_uint_eq(rep.rows, 0);
	ruhu_audit_verify_report_dispose(&rep);
}
END_TEST

START_TEST(test_audit_verify_finds_a_commit_signed_with_another_key)
{
	ruhu_audit_verify_report rep;
	const ruhu_audit_problem *p;
	git_repository *repo;
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	ruhu_signkey *other = NULL;
	ruhu_buf armour = RUHU_BUF_INIT;
	git_oid head, forged;
	char hex[GIT_OID_HEXSZ + 1];

	/* a copy of main's head, signed by tab-01's key, with main moved to it */
	main_commit(&head, s.hub, 0);
	rt_ok(ruhu_replica_repo(&repo, s.hub));
	ck_assert_int_eq(git_commit_extract_signature(&sig, &data, repo, &head, "gpgsig"), 0);
	rt_ok(ruhu_identity_signkey(&other, s.a));
	rt_ok(ruhu_sshsig_sign(&armour, other, RUHU_SSHSIG_GIT, data.ptr, data.size));
	ck_assert_int_eq(git_commit_create_with_signature(&forged, repo, data.ptr, armour.ptr, "gpgsig"), 0);
	ck_assert(!git_oid_equal(&forged, &head));
	rt_ok(ruhu_refs_set(ruhu_replica_db(s.hub), "refs/heads/main", &forged, &head));

	p = one_problem(&rep, s.hub, "unknown-key");
	ck_assert_uint_eq(rep.nproblems, 1);
	git_oid_tostr(hex, sizeof(hex), &forged);
	ck_assert_str_eq(p->commit, hex);
	ck_assert_ptr_nonnull(strstr(p->message, "signed with the key of tab-01, not with a key of hub-320102"));
	/* the content is the same: the replay and the rows still agree */
	ck_assert_uint_eq(rep.digests, rep.replayed);
	ck_assert_uint_gt(rep.rows, 0);
	ruhu_audit_verify_report_dispose(&rep);
	ruhu_buf_dispose(&armour);
	ruhu_signkey_free(other);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
}
END_TEST

START_TEST(test_audit_verify_finds_a_save_taken_in_after_revocation)
{
	ruhu_audit_verify_report rep;
	const ruhu_audit_problem *p;
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_ingest_report ir;
	sqlite3_stmt *st;
	int64_t revoked_ms;
	char sql[256];

	rt_ok(ruhu_audit_verify(&rep, s.hub, NULL));
	ruhu_audit_verify_report_dispose(&rep);
	/* tab-01 is revoked; an hour later it saves, not knowing */
	rt_ok(ruhu_hub_revoke(s.hub, "tab-01", "lost on the bus"));
	s.ca.now = s.ch.now + 3600000;
	story_set(s.a, "person", s.person, "address", "梅园新村 14 号");
	rt_ok(ruhu_push(&b, NULL, s.a));
	ck_assert_int_eq(ruhu_hub_ingest(&ir, s.hub, b.ptr, b.size, NULL), RUHU_EREVOKED);
	ruhu_ingest_report_dispose(&ir);

	/* taken in by hand: the revocation lifted from the bookkeeping for the
	 * ingest, then put back */
	ck_assert_int_eq(sqlite3_prepare_v2(ruhu_replica_db(s.hub), "SELECT revoked_ms FROM _signers WHERE id = "
					    "'tab-01'", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	revoked_ms = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	ck_assert_int_gt(revoked_ms, 0);
	exec_sql(s.hub, "UPDATE _signers SET revoked_ms = NULL WHERE id = 'tab-01'; "
			"UPDATE _devices SET revoked_ms = NULL WHERE id = 'tab-01'");
	s.ch.now += 7200000;
	rt_ok(ruhu_hub_ingest(&ir, s.hub, b.ptr, b.size, NULL));
	ck_assert_uint_eq(ir.commits, 1);
	ruhu_ingest_report_dispose(&ir);
	snprintf(sql, sizeof(sql), "UPDATE _signers SET revoked_ms = %lld WHERE id = 'tab-01'; "
		 "UPDATE _devices SET revoked_ms = %lld WHERE id = 'tab-01'", (long long)revoked_ms,
		 (long long)revoked_ms);
	exec_sql(s.hub, sql);

	p = one_problem(&rep, s.hub, "revoked-key");
	ck_assert_uint_eq(rep.nproblems, 1);
	ck_assert_ptr_nonnull(strstr(p->message, "by tab-01 (R)"));
	ck_assert_ptr_nonnull(strstr(p->message, "made at"));
	ck_assert_ptr_nonnull(strstr(p->message, "which was revoked at"));
	ck_assert_ptr_nonnull(strstr(p->message, "(lost on the bus)"));
	ruhu_audit_verify_report_dispose(&rep);
	ruhu_buf_dispose(&b);
}
END_TEST

START_TEST(test_audit_verify_finds_a_backdated_save_by_its_merge_time)
{
	ruhu_audit_verify_report rep;
	const ruhu_audit_problem *p;
	ruhu_buf b = RUHU_BUF_INIT;
	ruhu_ingest_report ir;
	char sql[256];

	/* tab-01 saves (its clock says so), the hub revokes it, and the save is
	 * then taken in by hand: the save's own time is before the revocation,
	 * the hub's merge after it */
	story_set(s.a, "person", s.person, "address", "梅园新村 16 号");
	rt_ok(ruhu_push(&b, NULL, s.a));
	s.ch.now = s.ca.now + 600000;
	rt_ok(ruhu_hub_revoke(s.hub, "tab-01", "lost on the bus"));
	exec_sql(s.hub, "UPDATE _devices SET revoked_ms = NULL WHERE id = 'tab-01'; "
			"CREATE TEMP TABLE keep AS SELECT revoked_ms FROM _signers WHERE id = 'tab-01'; "
			"UPDATE _signers SET revoked_ms = NULL WHERE id = 'tab-01'");
	s.ch.now += 600000;
	rt_ok(ruhu_hub_ingest(&ir, s.hub, b.ptr, b.size, NULL));
	ruhu_ingest_report_dispose(&ir);
	snprintf(sql, sizeof(sql), "UPDATE _signers SET revoked_ms = (SELECT revoked_ms FROM keep) WHERE id = "
		 "'tab-01'");
	exec_sql(s.hub, sql);
	p = one_problem(&rep, s.hub, "revoked-key");
	ck_assert_ptr_nonnull(strstr(p->message, "taken in by the hub at"));
	ck_assert_ptr_nonnull(strstr(p->message, "after tab-01's key was revoked at"));
	ruhu_audit_verify_report_dispose(&rep);
	ruhu_buf_dispose(&b);
}
END_TEST

START_TEST(test_audit_verify_finds_an_altered_object)
{
	ruhu_audit_verify_report rep;
	const ruhu_audit_problem *p;
	git_oid c;
	sqlite3_stmt *st;

	/* one byte of an old commit changed in the table: it no longer hashes
	 * to its id */
	main_commit(&c, s.hub, 3);
	ck_assert_int_eq(sqlite3_prepare_v2(ruhu_replica_db(s.hub), "UPDATE _objects SET data = "
					    "CAST(replace(CAST(data AS TEXT), 'Ruhu-Seq', 'Ruhu-Seq') || ' ' AS BLOB) "
					    "WHERE oid = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_blob(st, 1, c.id, GIT_OID_RAWSZ, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	ruhu_replica_repo_reset(s.hub);
	p = one_problem(&rep, s.hub, "corrupt-object");
	ck_assert_ptr_nonnull(strstr(p->message, "does not hash to its id"));
	ruhu_audit_verify_report_dispose(&rep);
}
END_TEST

Suite *audit_verify_suite(void)
{
	Suite *su = suite_create("audit_verify");
	TCase *tc = tcase_create("audit_verify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_audit_verify_passes_and_counts);
	tcase_add_test(tc, test_audit_verify_finds_a_row_changed_behind_ruhus_back);
	tcase_add_test(tc, test_audit_verify_names_the_first_divergence_of_the_replay);
	tcase_add_test(tc, test_audit_verify_finds_a_deleted_commit_object);
	tcase_add_test(tc, test_audit_verify_finds_a_commit_signed_with_another_key);
	tcase_add_test(tc, test_audit_verify_finds_a_save_taken_in_after_revocation);
	tcase_add_test(tc, test_audit_verify_finds_a_backdated_save_by_its_merge_time);
	tcase_add_test(tc, test_audit_verify_finds_an_altered_object);
	suite_add_tcase(su, tc);
	return su;
}
