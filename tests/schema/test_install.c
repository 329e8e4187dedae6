/*
 * test_install.c — the schema inside a SQLite database: install, upgrade and
 * verify; rows refused by the CHECKs with the validators' messages; every
 * record table captured by a session; frozen rows; the stored catalogue.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "schema/schema_db.h"
#include "support/support.h"

#define U(n) "'01890a5d-ac96-774b-bcce-b302099000" #n "'"

/* One valid row in every record table, parents first. */
static const char good_rows[] =
	"INSERT INTO worker (id, name, role, phone, active) VALUES"
	" ('staff-001', '李娜', 'caseworker', '13912345678', 1);"
	"INSERT INTO holiday (id, date, kind, name) VALUES (" U(10) ", '2024-10-01', 'holiday', '国庆节');"
	"INSERT INTO household (id, address, village, head_person_id, phone) VALUES"
	" (" U(11) ", '高资街道高资村 8 号', '高资村', " U(12) ", '0511-85012345');"
	"INSERT INTO person (id, household_id, name, id_number, gender, birth_date, phone,"
	" employment_status, difficulty_category) VALUES (" U(12) ", " U(11) ", '王芳',"
	" '11010519491231002X', 'female', '1949-12-31', '13912345678', 'retired', 'aged,low_income');"
	"INSERT INTO visit (id, household_id, worker_id, device_id, purpose, started_at, summary, location)"
	" VALUES (" U(13) ", " U(11) ", 'staff-001', 'tab-07', 'intake', '2024-05-06T09:00:00+08:00',"
	" '入户受理', '高资村');"
	"INSERT INTO application (id, person_id, visit_id, item, status, received_at, promised_by,"
	" first_responder, materials_received) VALUES (" U(14) ", " U(12) ", " U(13) ","
	" 'ss.retiree_certification', 'received', '2024-05-06T09:10:00+08:00', '2024-05-07',"
	" 'staff-001', 'id_card');"
	"INSERT INTO dispute (id, person_id, visit_id, employer_name, employer_code, kind, status,"
	" received_at, amount_claimed, description) VALUES (" U(15) ", " U(12) ", " U(13) ","
	" '某建筑公司', '91350100M000100Y43', 'wages', 'received', '2024-05-06T09:20:00+08:00',"
	" 350000, '拖欠三个月工资');"
	"INSERT INTO complaint (id, person_id, channel, subject, received_at, status) VALUES"
	" (" U(16) ", " U(12) ", 'visit', '窗口等候时间长', '2024-05-06T09:30:00+08:00', 'received');"
	"INSERT INTO survey (id, visit_id, score, comment) VALUES (" U(17) ", " U(13) ", 5, '满意');"
	"INSERT INTO attachment (id, record_type, record_id, blob_id, mime, bytes, caption, taken_at)"
	" VALUES (" U(18) ", 'person', " U(12) ", 'da39a3ee5e6b4b0d3255bfef95601890afd80709',"
	" 'image/jpeg', 123456, '身份证照片', '2024-05-06T09:05:00+08:00');";

static sqlite3 *open_db(char *dir, size_t dirlen)
{
	char path[512];
	sqlite3 *db = NULL;

	rt_tmpdir(dir, dirlen);
	rt_path(path, sizeof(path), dir, "replica.db");
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	return db;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &err);

	ck_assert_msg(rc == SQLITE_OK, "%s: %s", sql, err ? err : "");
	sqlite3_free(err);
}

static long long count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static sqlite3 *installed(char *dir, size_t dirlen, ruhu_schema **s)
{
	sqlite3 *db = open_db(dir, dirlen);

	rt_ok(ruhu_schema_load_default(s));
	exec_ok(db, "BEGIN");
	rt_ok(ruhu_schema_install(db, *s));
	exec_ok(db, "COMMIT");
	return db;
}

START_TEST(test_install_creates_tables_and_records_version)
{
	char dir[256];
	ruhu_schema *s = NULL;
	sqlite3 *db = installed(dir, sizeof(dir), &s);
	ruhu_buf v = RUHU_BUF_INIT;

	for (size_t i = 0; i < ruhu_schema_type_count(s); i++) {
		char sql[256];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
			 ruhu_type_name(ruhu_schema_type(s, i)));
		ck_assert_int_eq(count(db, sql), 1);
	}
	rt_ok(ruhu_schema_installed_version(&v, db));
	ck_assert_str_eq(v.ptr, ruhu_schema_version(s));
	ck_assert_int_eq(count(db, "SELECT count(*) FROM _migrations WHERE number = 1 AND"
			      " name = '0001-township.sql' AND length(sha256) = 64"), 1);
	rt_ok(ruhu_schema_verify(db, s));
	/* installing again changes nothing */
	rt_ok(ruhu_schema_install(db, s));
	ck_assert_int_eq(count(db, "SELECT count(*) FROM _migrations"), 1);
	/* a second connection needs the validators to write */
	exec_ok(db, good_rows);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM person"), 1);
	ruhu_buf_dispose(&v);
	sqlite3_close(db);
	ruhu_schema_free(s);
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_install_verify_refuses_other_versions)
{
	char dir[256];
	ruhu_schema *s = NULL;
	sqlite3 *db = open_db(dir, sizeof(dir));

	rt_ok(ruhu_schema_load_default(&s));
	ck_assert_int_eq(ruhu_schema_verify(db, s), RUHU_ESCHEMA);
	ck_assert_str_eq(ruhu_error_last(), "the database has no schema installed");
	rt_ok(ruhu_schema_install(db, s));
	exec_ok(db, "UPDATE _meta SET value = '00112233445566778899' WHERE key = 'schema_version'");
	ck_assert_int_eq(ruhu_schema_verify(db, s), RUHU_ESCHEMA);
	ck_assert(strstr(ruhu_error_last(), "the database's schema version 0011223344556677 differs") != NULL);
	/* a recorded migration that is not the schema's own */
	exec_ok(db, "UPDATE _migrations SET sha256 = 'x'");
	ck_assert_int_eq(ruhu_schema_install(db, s), RUHU_ESCHEMA);
	ck_assert_str_eq(ruhu_error_last(), "migration 0001-township.sql in the database differs from this schema's");
	sqlite3_close(db);
	ruhu_schema_free(s);
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_install_upgrades_with_a_new_migration)
{
	char dir[256], mig[512];
	const char *paths[1];
	const char *add = "-- a later migration\nALTER TABLE person ADD COLUMN wechat TEXT\n"
			  "  CHECK (ruhu_text(wechat, 'person.wechat', 64));\n";
	ruhu_schema *s = NULL, *next = NULL;
	sqlite3 *db = installed(dir, sizeof(dir), &s);

	exec_ok(db, good_rows);
	rt_path(mig, sizeof(mig), dir, "0002-wechat.sql");
	rt_write_file(mig, add, strlen(add));
	paths[0] = mig;
	rt_ok(ruhu_schema_load_files(&next, paths, 1));
	exec_ok(db, "BEGIN");
	rt_ok(ruhu_schema_install(db, next));
	exec_ok(db, "COMMIT");
	ck_assert_int_eq(count(db, "SELECT count(*) FROM _migrations"), 2);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM person WHERE wechat IS NULL"), 1);
	rt_ok(ruhu_schema_verify(db, next));
	ck_assert_int_eq(ruhu_schema_verify(db, s), RUHU_ESCHEMA);
	/* the older schema refuses a database that is ahead of it */
	ck_assert_int_eq(ruhu_schema_install(db, s), RUHU_ESCHEMA);
	ck_assert(strstr(ruhu_error_last(), "newer than this schema's last (0001)") != NULL);
	sqlite3_close(db);
	ruhu_schema_free(s);
	ruhu_schema_free(next);
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_install_failure_leaves_nothing)
{
	char dir[256];
	ruhu_schema *s = NULL;
	sqlite3 *db = open_db(dir, sizeof(dir));

	rt_ok(ruhu_schema_load_default(&s));
	exec_ok(db, "CREATE TABLE person (x)");
	exec_ok(db, "BEGIN");
	ck_assert_int_eq(ruhu_schema_install(db, s), RUHU_ESCHEMA);
	ck_assert(strstr(ruhu_error_last(), "0001-township.sql:") != NULL);
	ck_assert(strstr(ruhu_error_last(), "table person already exists") != NULL);
	/* the caller's transaction is still open, and holds nothing of ours */
	ck_assert_int_eq(sqlite3_get_autocommit(db), 0);
	exec_ok(db, "COMMIT");
	ck_assert_int_eq(count(db, "SELECT count(*) FROM sqlite_schema WHERE name IN"
			      " ('_migrations', 'worker', 'household', '_meta')"), 0);
	sqlite3_close(db);
	ruhu_schema_free(s);
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_install_checks_refuse_bad_rows_with_the_validator_message)
{
	static const char *const cases[][2] = {
		{ "UPDATE person SET id_number = '110105194912310021'",
		  "invalid resident identity number for person.id_number: check character should be X" },
		{ "UPDATE person SET birth_date = '1990-02-30'",
		  "invalid date for person.birth_date: not a real calendar date" },
		{ "UPDATE person SET name = '  '", "invalid text for person.name: must not be blank" },
		{ "UPDATE person SET gender = 'm'", "invalid value for person.gender: expected one of female, male" },
		{ "UPDATE person SET difficulty_category = 'rich'",
		  "invalid token set for person.difficulty_category: a token is not one of aged, disabled, "
		  "land_lost, long_term_unemployed, low_income, zero_employment_family, other" },
		{ "UPDATE person SET phone = '1391234567'",
		  "invalid phone number for person.phone: expected a mobile number (11 digits) or a fixed line "
		  "such as 0511-85012345" },
		{ "INSERT INTO person (id, name) VALUES ('ABC', 'x')",
		  "invalid record id for person.id: expected a lowercase UUID (8-4-4-4-12 hex digits)" },
		{ "UPDATE household SET phone = '12345'",
		  "invalid phone number for household.phone: expected a mobile number (11 digits) or a fixed "
		  "line such as 0511-85012345" },
		{ "UPDATE worker SET phone = '0511-85012345'",
		  "invalid mobile number for worker.phone: expected 11 digits beginning with 13 to 19" },
		{ "INSERT INTO worker (id, name) VALUES ('staff 2', 'x')",
		  "invalid code for worker.id: expected 1 to 64 letters, digits, '_', '.' or '-'" },
		{ "UPDATE worker SET active = 2", "invalid value for worker.active: expected a whole number from 0 to 1" },
		{ "UPDATE holiday SET kind = 'vacation'", "invalid value for holiday.kind: expected one of holiday, workday" },
		{ "UPDATE holiday SET date = '2024-9-1'", "invalid date for holiday.date: expected YYYY-MM-DD" },
		{ "UPDATE visit SET ended_at = '2024-05-06T08:00:00+08:00'",
		  "invalid date-time for visit.ended_at: earlier than visit.started_at" },
		{ "UPDATE visit SET started_at = '2024-05-06 09:00'",
		  "invalid date-time for visit.started_at: expected YYYY-MM-DDTHH:MM:SS with an optional fraction and zone" },
		{ "UPDATE visit SET purpose = 'chat'",
		  "invalid value for visit.purpose: expected one of publicity, intake, follow_up, certification" },
		{ "UPDATE application SET promised_by = '2024-05-05'",
		  "invalid date for application.promised_by: earlier than application.received_at" },
		{ "UPDATE application SET status = 'done'",
		  "invalid value for application.status: expected one of received, materials_pending, accepted, "
		  "processing, completed, rejected, referred" },
		{ "UPDATE application SET materials_received = 'photo,id_card'",
		  "invalid token set for application.materials_received: tokens must be sorted and distinct" },
		{ "UPDATE application SET materials_received = ''",
		  "invalid token set for application.materials_received: the empty set is NULL, not an empty string" },
		{ "UPDATE dispute SET employer_code = '91350100M000100Y44'",
		  "invalid unified social credit code for dispute.employer_code: check character should be 3" },
		{ "UPDATE dispute SET amount_claimed = -1",
		  "invalid value for dispute.amount_claimed: expected a whole number from 0 to 100000000000" },
		{ "UPDATE complaint SET feedback_at = '2024-05-01T00:00:00+08:00'",
		  "invalid date-time for complaint.feedback_at: earlier than complaint.received_at" },
		{ "UPDATE survey SET score = 6", "invalid value for survey.score: expected a whole number from 1 to 5" },
		{ "INSERT INTO survey (id, score) VALUES (" U(99) ", 3)",
		  "CHECK constraint failed: survey_rates_a_visit_or_application" },
		{ "UPDATE attachment SET mime = ' '", "invalid text for attachment.mime: must not be blank" },
		{ "UPDATE attachment SET blob_id = 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709'",
		  "invalid object id for attachment.blob_id: expected 40 lowercase hex digits" },
		/* STRICT converts a number for a TEXT column to text first */
		{ "UPDATE person SET id_number = 110105",
		  "invalid resident identity number for person.id_number: expected 18 characters" },
		{ "UPDATE survey SET score = 'five'", "cannot store TEXT value in INTEGER column survey.score" },
	};
	char dir[256];
	ruhu_schema *s = NULL;
	sqlite3 *db = installed(dir, sizeof(dir), &s);

	exec_ok(db, good_rows);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = NULL;
		int rc = sqlite3_exec(db, cases[i][0], NULL, NULL, &err);

		ck_assert_msg(rc != SQLITE_OK, "accepted: %s", cases[i][0]);
		ck_assert_msg(err && !strcmp(err, cases[i][1]), "%s: got '%s'", cases[i][0], err ? err : "");
		sqlite3_free(err);
	}
	sqlite3_close(db);
	ruhu_schema_free(s);
	rt_rmrf(dir);
}
END_TEST

/* Every labelled value and lattice state passes the column's CHECK: the
 * rules file and the SQL agree. */
START_TEST(test_install_labelled_values_pass_the_checks)
{
	char dir[256];
	ruhu_schema *s = NULL;
	sqlite3 *db = installed(dir, sizeof(dir), &s);
	size_t checked = 0;

	exec_ok(db, good_rows);
	for (size_t i = 0; i < ruhu_schema_type_count(s); i++) {
		const ruhu_type *t = ruhu_schema_type(s, i);

		for (size_t k = 0; k < ruhu_type_field_count(t); k++) {
			const ruhu_field *f = ruhu_type_field(t, k);
			const ruhu_order *o = ruhu_field_order(f);

			for (size_t v = 0; v < ruhu_field_value_count(f); v++) {
				char sql[512];

				snprintf(sql, sizeof(sql), "UPDATE %s SET %s = '%s'", ruhu_type_name(t),
					 ruhu_field_name(f), ruhu_field_value(f, v));
				exec_ok(db, sql);
				ck_assert_int_eq(sqlite3_changes(db), 1);
				checked++;
			}
			for (size_t v = 0; o && v < ruhu_order_state_count(o) + ruhu_order_final_count(o); v++) {
				const char *state = v < ruhu_order_state_count(o) ? ruhu_order_state(o, v) :
						    ruhu_order_final(o, v - ruhu_order_state_count(o));

				ck_assert_msg(ruhu_field_value_label_of(f, state, RUHU_LANG_ZH) != NULL,
					      "state %s of %s.%s has no label", state, ruhu_type_name(t),
					      ruhu_field_name(f));
			}
		}
	}
	ck_assert_uint_gt(checked, 40);
	sqlite3_close(db);
	ruhu_schema_free(s);
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_install_session_captures_every_record_table)
{
	char dir[256];
	ruhu_schema *s = NULL;
	sqlite3 *db = installed(dir, sizeof(dir), &s);
	sqlite3_session *session = NULL;
	sqlite3_changeset_iter *it = NULL;
	void *cs = NULL;
	int n = 0, rc;
	int seen[32] = { 0 };

	ck_assert_int_eq(sqlite3session_create(db, "main", &session), SQLITE_OK);
	rt_ok(ruhu_schema_attach_session(session, s));
	exec_ok(db, "BEGIN");
	exec_ok(db, good_rows);
	exec_ok(db, "INSERT INTO _meta(key, value) VALUES ('local', 1)");
	ck_assert_int_eq(sqlite3session_changeset(session, &n, &cs), SQLITE_OK);
	exec_ok(db, "COMMIT");
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sqlite3changeset_start(&it, n, cs), SQLITE_OK);
	while ((rc = sqlite3changeset_next(it)) == SQLITE_ROW) {
		const char *table;
		unsigned char *pk;
		int ncol, op, indirect, npk;
		const ruhu_type *t;

		ck_assert_int_eq(sqlite3changeset_op(it, &table, &ncol, &op, &indirect), SQLITE_OK);
		ck_assert_int_eq(op, SQLITE_INSERT);
		t = ruhu_schema_type_byname(s, table);
		ck_assert_msg(t != NULL, "captured a table that is not a record type: %s", table);
		ck_assert_int_eq(ncol, (int)ruhu_type_field_count(t));
		ck_assert_int_eq(sqlite3changeset_pk(it, &pk, &npk), SQLITE_OK);
		for (int c = 0; c < npk; c++)
			ck_assert_int_eq(pk[c] != 0, c == (int)ruhu_field_index(ruhu_type_pk(t)));
		seen[ruhu_type_index(t)]++;
	}
	ck_assert_int_eq(rc, SQLITE_DONE);
	for (size_t i = 0; i < ruhu_schema_type_count(s); i++)
		ck_assert_msg(seen[i] == 1, "table %s captured %d times",
			      ruhu_type_name(ruhu_schema_type(s, i)), seen[i]);
	sqlite3changeset_finalize(it);
	sqlite3_free(cs);
	sqlite3session_delete(session);
	sqlite3_close(db);
	ruhu_schema_free(s);
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_install_rows_frozen_by_immutable_rules)
{
	char dir[256];
	ruhu_schema *s = NULL;
	sqlite3 *db = installed(dir, sizeof(dir), &s);
	int frozen = -1;

	exec_ok(db, good_rows);
	rt_ok(ruhu_type_row_frozen(&frozen, db, ruhu_schema_type_byname(s, "visit"),
				   "01890a5d-ac96-774b-bcce-b30209900013"));
	ck_assert_int_eq(frozen, 0);
	exec_ok(db, "UPDATE visit SET ended_at = '2024-05-06T10:00:00+08:00'");
	rt_ok(ruhu_type_row_frozen(&frozen, db, ruhu_schema_type_byname(s, "visit"),
				   "01890a5d-ac96-774b-bcce-b30209900013"));
	ck_assert_int_eq(frozen, 1);
	rt_ok(ruhu_type_row_frozen(&frozen, db, ruhu_schema_type_byname(s, "visit"), "no-such-row"));
	ck_assert_int_eq(frozen, 0);
	rt_ok(ruhu_type_row_frozen(&frozen, db, ruhu_schema_type_byname(s, "survey"),
				   "01890a5d-ac96-774b-bcce-b30209900017"));
	ck_assert_int_eq(frozen, 1);
	rt_ok(ruhu_type_row_frozen(&frozen, db, ruhu_schema_type_byname(s, "person"),
				   "01890a5d-ac96-774b-bcce-b30209900012"));
	ck_assert_int_eq(frozen, 0);
	sqlite3_close(db);
	ruhu_schema_free(s);
	rt_rmrf(dir);
}
END_TEST

START_TEST(test_install_catalogue_stored_in_the_replica)
{
	static const char centre[] =
		"format catalogue 1\ncentre 高资街道人力资源和社会保障服务中心\n"
		"category employment : 就业服务 | employment services\n"
		"item emp.unemployment_registration : 失业登记 | unemployment registration\n"
		"  category employment\n  basis 《就业服务与就业管理规定》\n  limit 2\n"
		"  material id_card : 居民身份证 | resident identity card\n"
		"  step 受理 | intake\n";
	char dir[256];
	ruhu_schema *s = NULL;
	sqlite3 *db = installed(dir, sizeof(dir), &s);
	ruhu_catalogue *def = NULL, *mine = NULL, *back = NULL;
	size_t len;

	ck_assert_int_eq(ruhu_catalogue_load_db(&back, db), RUHU_ENOTFOUND);
	rt_ok(ruhu_catalogue_load_default(&def));
	rt_ok(ruhu_catalogue_store(db, def));
	rt_ok(ruhu_catalogue_load_db(&back, db));
	ck_assert_str_eq(ruhu_catalogue_version(back), ruhu_catalogue_version(def));
	ck_assert_uint_eq(ruhu_catalogue_item_count(back), 29);
	ruhu_catalogue_free(back);
	rt_ok(ruhu_catalogue_load_buffer(&mine, "gaozi.txt", centre, sizeof(centre) - 1));
	rt_ok(ruhu_catalogue_store(db, mine));
	rt_ok(ruhu_catalogue_load_db(&back, db));
	ck_assert_str_eq(ruhu_catalogue_source(back, &len), centre);
	ck_assert_uint_eq(len, sizeof(centre) - 1);
	ck_assert_str_eq(ruhu_catalogue_name(back), "gaozi.txt");
	ck_assert_str_eq(ruhu_catalogue_centre(back), "高资街道人力资源和社会保障服务中心");
	ck_assert_uint_eq(ruhu_item_limit(ruhu_catalogue_item(back, 0)), 2);
	ck_assert_int_eq(count(db, "SELECT count(*) FROM _catalogue"), 1);
	ruhu_catalogue_free(back);
	ruhu_catalogue_free(mine);
	ruhu_catalogue_free(def);
	sqlite3_close(db);
	ruhu_schema_free(s);
	rt_rmrf(dir);
}
END_TEST

Suite *install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *tc = tcase_create("install");

	tcase_add_test(tc, test_install_creates_tables_and_records_version);
	tcase_add_test(tc, test_install_verify_refuses_other_versions);
	tcase_add_test(tc, test_install_upgrades_with_a_new_migration);
	tcase_add_test(tc, test_install_failure_leaves_nothing);
	tcase_add_test(tc, test_install_checks_refuse_bad_rows_with_the_validator_message);
	tcase_add_test(tc, test_install_labelled_values_pass_the_checks);
	tcase_add_test(tc, test_install_session_captures_every_record_table);
	tcase_add_test(tc, test_install_rows_frozen_by_immutable_rules);
	tcase_add_test(tc, test_install_catalogue_stored_in_the_replica);
	suite_add_tcase(s, tc);
	return s;
}
