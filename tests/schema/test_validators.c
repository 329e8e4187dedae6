/*
 * test_validators.c — every validator on good and bad values (C and SQL),
 * with check characters computed here from the published algorithms, and
 * token sets.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "schema/schema_db.h"
#include "support/support.h"

/* GB 11643 / ISO 7064 MOD 11-2, written independently of schema/validate.c:
 * the check character makes sum(a_i * 2^(18-i)) + check ≡ 1 (mod 11). */
static char id_check(const char *first17)
{
	int sum = 0;

	for (int i = 0; i < 17; i++) {
		int w = 1;

		for (int k = 0; k < 17 - i; k++)
			w = (w * 2) % 11;
		sum += (first17[i] - '0') * w;
	}
	for (int c = 0; c <= 10; c++)
		if ((sum + c) % 11 == 1)
			return c == 10 ? 'X' : (char)('0' + c);
	return '?';
}

/* GB 32100-2015: the 31 characters, weights 3^i mod 31, check 31 - sum. */
static const char credit_set[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static char credit_check(const char *first17)
{
	int sum = 0, w = 1;

	for (int i = 0; i < 17; i++) {
		sum += (int)(strchr(credit_set, first17[i]) - credit_set) * w;
		w = (w * 3) % 31;
	}
	return credit_set[(31 - sum % 31) % 31];
}

static char other_char(char c, const char *set)
{
	const char *p = strchr(set, c);

	return p[1] ? p[1] : set[0];
}

START_TEST(test_validators_id_number_known_examples)
{
	/* the two examples printed in GB 11643-1999 */
	rt_ok(ruhu_validate_id_number("11010519491231002X", "person.id_number"));
	rt_ok(ruhu_validate_id_number("440524188001010014", "person.id_number"));
	ck_assert_int_eq(id_check("11010519491231002"), 'X');
	ck_assert_int_eq(id_check("44052418800101001"), '4');
	rt_ok(ruhu_validate_id_number(NULL, "person.id_number"));
}
END_TEST

START_TEST(test_validators_id_number_computed_right_and_wrong)
{
	const char *bodies[] = {
		"32011519850412301", "32118119991231888", "11010120000229123",
		"65010219700101000", "81000019680808808", "35020319880101567",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char good[19], bad[19], want[128];
		char c = id_check(bodies[i]);

		snprintf(good, sizeof(good), "%s%c", bodies[i], c);
		rt_ok(ruhu_validate_id_number(good, "person.id_number"));
		snprintf(bad, sizeof(bad), "%s%c", bodies[i], other_char(c, "0123456789X"));
		ck_assert_int_eq(ruhu_validate_id_number(bad, "person.id_number"), RUHU_EINVALID);
		snprintf(want, sizeof(want), "invalid resident identity number for person.id_number: "
			 "check character should be %c", c);
		ck_assert_str_eq(ruhu_error_last(), want);
	}
}
END_TEST

START_TEST(test_validators_id_number_refusals)
{
	static const struct {
		const char *body; /* 17 digits; check computed, unless full */
		const char *reason;
	} cases[] = {
		{ "1101051949123100", "expected 18 characters" },
		{ "1101A519491231002", "the first 17 characters must be digits" },
		{ "99010519491231002", NULL }, /* 9x: foreigners' cards, accepted */
		{ "00010519491231002", "the region code does not begin with a province-level code" },
		{ "11010519490231002", "the birth date is not a real date" },
		{ "11010519491331002", "the birth date is not a real date" },
		{ "11010517991231002", "the birth year is out of range" },
		{ "11010519000229002", "the birth date is not a real date" }, /* 1900 not leap */
	};
	char v[24], want[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].body);

		snprintf(v, sizeof(v), "%s", cases[i].body);
		if (n == 17) {
			/* a right check character, so that only the named fault remains */
			v[17] = strchr(cases[i].body, 'A') ? '0' : id_check(cases[i].body);
			v[18] = '\0';
		}
		if (cases[i].reason == NULL) {
			rt_ok(ruhu_validate_id_number(v, "f"));
			continue;
		}
		ck_assert_int_eq(ruhu_validate_id_number(v, "person.id_number"), RUHU_EINVALID);
		snprintf(want, sizeof(want), "invalid resident identity number for person.id_number: %s",
			 cases[i].reason);
		ck_assert_str_eq(ruhu_error_last(), want);
	}
	/* lowercase x is not the canonical check character */
	ck_assert_int_eq(ruhu_validate_id_number("11010519491231002x", "f"), RUHU_EINVALID);
	ck_assert(strstr(ruhu_error_last(), "uppercase X") != NULL);
	/* the message never holds the value */
	ck_assert(strstr(ruhu_error_last(), "110105") == NULL);
}
END_TEST

START_TEST(test_validators_credit_code)
{
	const char *bodies[] = {
		"91350100M000100Y4", "91320100134886145", "12100000400000624",
		"52110000MJ0000000", "93320982MA1MXXK3T",
	};
	char good[19], bad[19], want[120];

	/* the example of GB 32100-2015, and codes of registered organisations
	 * published in the national credit information system */
	static const char *const published[] = {
		"91350100M000100Y43", "91110000802100433B", "91440300708461136T",
		"91110108551385082Q", "51610700305332460K", "112302070019030687",
	};

	for (size_t i = 0; i < sizeof(published) / sizeof(published[0]); i++) {
		rt_ok(ruhu_validate_credit_code(published[i], "dispute.employer_code"));
		ck_assert_int_eq(credit_check(published[i]), published[i][17]);
	}
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char c = credit_check(bodies[i]);

		snprintf(good, sizeof(good), "%s%c", bodies[i], c);
		rt_ok(ruhu_validate_credit_code(good, "dispute.employer_code"));
		snprintf(bad, sizeof(bad), "%s%c", bodies[i], other_char(c, credit_set));
		ck_assert_int_eq(ruhu_validate_credit_code(bad, "dispute.employer_code"), RUHU_EINVALID);
		snprintf(want, sizeof(want), "invalid unified social credit code for dispute.employer_code: "
			 "check character should be %c", c);
		ck_assert_str_eq(ruhu_error_last(), want);
	}
	ck_assert_int_eq(ruhu_validate_credit_code("91350100M000100Y4", "f"), RUHU_EINVALID);
	ck_assert(strstr(ruhu_error_last(), "expected 18 characters") != NULL);
	ck_assert_int_eq(ruhu_validate_credit_code("91350100M00O100Y43", "f"), RUHU_EINVALID);
	ck_assert(strstr(ruhu_error_last(), "character 12 is not") != NULL);
	ck_assert_int_eq(ruhu_validate_credit_code("9135A100M000100Y43", "f"), RUHU_EINVALID);
	ck_assert(strstr(ruhu_error_last(), "region code") != NULL);
}
END_TEST

START_TEST(test_validators_phones)
{
	const char *mobiles[] = { "13912345678", "19800000000", "15051234567" };
	const char *not_mobile[] = { "12912345678", "1391234567", "139123456789", "1391234567a", "" };
	const char *fixed[] = { "0511-85012345", "010-6512345", "025-52345678" };
	const char *not_phone[] = { "511-85012345", "0511-05012345", "0511-850123", "051185012345",
				    "0511-8501234567", "0-85012345" };

	for (size_t i = 0; i < 3; i++) {
		rt_ok(ruhu_validate_mobile(mobiles[i], "worker.phone"));
		rt_ok(ruhu_validate_phone(mobiles[i], "person.phone"));
		rt_ok(ruhu_validate_phone(fixed[i], "person.phone"));
		ck_assert_int_eq(ruhu_validate_mobile(fixed[i], "worker.phone"), RUHU_EINVALID);
	}
	for (size_t i = 0; i < sizeof(not_mobile) / sizeof(not_mobile[0]); i++) {
		ck_assert_int_eq(ruhu_validate_mobile(not_mobile[i], "worker.phone"), RUHU_EINVALID);
		ck_assert_str_eq(ruhu_error_last(), "invalid mobile number for worker.phone: "
				 "expected 11 digits beginning with 13 to 19");
	}
	for (size_t i = 0; i < sizeof(not_phone) / sizeof(not_phone[0]); i++) {
		ck_assert_int_eq(ruhu_validate_phone(not_phone[i], "household.phone"), RUHU_EINVALID);
		ck_assert(strstr(ruhu_error_last(), "invalid phone number for household.phone") != NULL);
	}
}
END_TEST

START_TEST(test_validators_dates_and_datetimes)
{
	const char *dates[] = { "2024-02-29", "2000-02-29", "1800-01-01", "2199-12-31", "2024-12-31" };
	const char *bad_dates[][2] = {
		{ "2023-02-29", "not a real calendar date" }, { "1900-02-29", "not a real calendar date" },
		{ "2024-04-31", "not a real calendar date" }, { "2024-13-01", "not a real calendar date" },
		{ "2024-00-10", "not a real calendar date" }, { "1799-12-31", "the year is out of range 1800-2199" },
		{ "2024-1-01", "expected YYYY-MM-DD" }, { "2024/01/01", "expected YYYY-MM-DD" },
		{ "20240101", "expected YYYY-MM-DD" }, { "2024-01-01T00:00:00", "expected YYYY-MM-DD" },
	};
	const char *times[] = {
		"2024-05-06T09:30:00", "2024-05-06T09:30:00+08:00", "2024-05-06T23:59:59Z",
		"2024-05-06T09:30:00.5+08:00", "2024-05-06T09:30:00.123456789-05:30",
	};
	const char *bad_times[] = {
		"2024-05-06 09:30:00", "2024-05-06T24:00:00", "2024-05-06T09:60:00", "2024-05-06T09:30",
		"2024-05-06T09:30:00+8:00", "2024-05-06T09:30:00.", "2024-02-30T09:30:00",
		"2024-05-06T09:30:00+08:00 ", "2024-05-06T09:30:00.1234567890",
	};
	char want[160];

	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++)
		rt_ok(ruhu_validate_date(dates[i], "person.birth_date"));
	for (size_t i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++) {
		ck_assert_int_eq(ruhu_validate_date(bad_dates[i][0], "person.birth_date"), RUHU_EINVALID);
		snprintf(want, sizeof(want), "invalid date for person.birth_date: %s", bad_dates[i][1]);
		ck_assert_str_eq(ruhu_error_last(), want);
	}
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		rt_ok(ruhu_validate_datetime(times[i], "visit.started_at"));
	for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
		ck_assert_msg(ruhu_validate_datetime(bad_times[i], "visit.started_at") == RUHU_EINVALID,
			      "accepted %s", bad_times[i]);
		ck_assert(!strncmp(ruhu_error_last(), "invalid date-time for visit.started_at: ", 40));
	}
}
END_TEST

START_TEST(test_validators_enum_range_uuid_code_text)
{
	rt_ok(ruhu_validate_enum("male", "person.gender", "female,male"));
	ck_assert_int_eq(ruhu_validate_enum("mal", "person.gender", "female,male"), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "invalid value for person.gender: expected one of female, male");
	ck_assert_int_eq(ruhu_validate_enum("", "person.gender", "female,male"), RUHU_EINVALID);
	rt_ok(ruhu_validate_range(5, "survey.score", 1, 5));
	ck_assert_int_eq(ruhu_validate_range(6, "survey.score", 1, 5), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "invalid value for survey.score: expected a whole number from 1 to 5");
	ck_assert_int_eq(ruhu_validate_range(0, "survey.score", 1, 5), RUHU_EINVALID);
	rt_ok(ruhu_validate_uuid("01890a5d-ac96-774b-bcce-b302099a8057", "person.id"));
	ck_assert_int_eq(ruhu_validate_uuid("01890A5D-AC96-774B-BCCE-B302099A8057", "person.id"), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "invalid record id for person.id: expected a lowercase UUID "
			 "(8-4-4-4-12 hex digits)");
	ck_assert_int_eq(ruhu_validate_uuid("01890a5dac96774bbcceb302099a8057", "person.id"), RUHU_EINVALID);
	rt_ok(ruhu_validate_code("staff-007", "worker.id"));
	rt_ok(ruhu_validate_code("emp.unemployment_registration", "application.item"));
	ck_assert_int_eq(ruhu_validate_code("staff 007", "worker.id"), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_validate_code("", "worker.id"), RUHU_EINVALID);
	rt_ok(ruhu_validate_text("王小明", "person.name", 3));
	ck_assert_int_eq(ruhu_validate_text("王小明", "person.name", 2), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "invalid text for person.name: longer than 2 characters");
	ck_assert_int_eq(ruhu_validate_text(" \t\xE3\x80\x80", "person.name", 64), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "invalid text for person.name: must not be blank");
	ck_assert_int_eq(ruhu_validate_text("a\x01", "person.name", 64), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_validate_text("\xC0\xAF", "person.name", 64), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "invalid text for person.name: not valid UTF-8");
}
END_TEST

START_TEST(test_validators_token_sets)
{
	ruhu_buf b = RUHU_BUF_INIT;

	rt_ok(ruhu_validate_tokens("a,b,c", "f", NULL));
	rt_ok(ruhu_validate_tokens("id_card,photo", "f", "id_card,photo,x"));
	ck_assert_int_eq(ruhu_validate_tokens("b,a", "f", NULL), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "invalid token set for f: tokens must be sorted and distinct");
	ck_assert_int_eq(ruhu_validate_tokens("a,a", "f", NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_validate_tokens("ab,a", "f", NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_validate_tokens("a,,b", "f", NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_validate_tokens("a,b,", "f", NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_validate_tokens("a b", "f", NULL), RUHU_EINVALID);
	ck_assert_int_eq(ruhu_validate_tokens("", "f", NULL), RUHU_EINVALID);
	ck_assert_str_eq(ruhu_error_last(), "invalid token set for f: the empty set is NULL, not an empty string");
	ck_assert_int_eq(ruhu_validate_tokens("photo,zzz", "f", "id_card,photo"), RUHU_EINVALID);
	ck_assert(strstr(ruhu_error_last(), "a token is not one of id_card, photo") != NULL);

	rt_ok(ruhu_tokens_union(&b, "a,c,e", "b,c,d"));
	ck_assert_str_eq(b.ptr, "a,b,c,d,e");
	rt_ok(ruhu_tokens_union(&b, NULL, "x"));
	ck_assert_str_eq(b.ptr, "x");
	rt_ok(ruhu_tokens_union(&b, "ab", "a"));
	ck_assert_str_eq(b.ptr, "a,ab");
	rt_ok(ruhu_tokens_union(&b, NULL, NULL));
	ck_assert_uint_eq(b.size, 0);
	ck_assert_int_eq(ruhu_tokens_union(&b, "b,a", NULL), RUHU_EINVALID);
	rt_ok(ruhu_tokens_add(&b, "id_card,photo", "household_register"));
	ck_assert_str_eq(b.ptr, "household_register,id_card,photo");
	ck_assert_int_eq(ruhu_tokens_add(&b, "a", "x,y"), RUHU_EINVALID);
	ck_assert(ruhu_tokens_has("a,b,c", "b"));
	ck_assert(!ruhu_tokens_has("a,bb,c", "b"));
	ck_assert(!ruhu_tokens_has(NULL, "b"));
	ruhu_buf_dispose(&b);
}
END_TEST

/* The SQL functions fail the statement with exactly the validator's text. */
static const char *sql_error(sqlite3 *db, const char *expr)
{
	static char msg[512];
	char sql[512];
	char *err = NULL;

	snprintf(sql, sizeof(sql), "SELECT %s", expr);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
		return NULL;
	snprintf(msg, sizeof(msg), "%s", err ? err : "");
	sqlite3_free(err);
	return msg;
}

START_TEST(test_validators_sql_functions)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	rt_ok(ruhu_schema_register(db));
	ck_assert_ptr_null(sql_error(db, "ruhu_id_number('11010519491231002X', 'p.n')"));
	ck_assert_ptr_null(sql_error(db, "ruhu_id_number(NULL, 'p.n')"));
	ck_assert_str_eq(sql_error(db, "ruhu_id_number('110105194912310021', 'person.id_number')"),
			 "invalid resident identity number for person.id_number: check character should be X");
	ck_assert_str_eq(sql_error(db, "ruhu_id_number(42, 'person.id_number')"),
			 "invalid value for person.id_number: expected text");
	ck_assert_str_eq(sql_error(db, "ruhu_credit_code('91350100M000100Y44', 'd.c')"),
			 "invalid unified social credit code for d.c: check character should be 3");
	ck_assert_ptr_nonnull(sql_error(db, "ruhu_mobile('1234', 'w.p')"));
	ck_assert_ptr_nonnull(sql_error(db, "ruhu_phone('1234', 'w.p')"));
	ck_assert_str_eq(sql_error(db, "ruhu_date('2023-02-29', 'x.d')"),
			 "invalid date for x.d: not a real calendar date");
	ck_assert_ptr_nonnull(sql_error(db, "ruhu_datetime('2023-02-28', 'x.t')"));
	ck_assert_str_eq(sql_error(db, "ruhu_enum('x', 's.k', 'a,b')"), "invalid value for s.k: expected one of a, b");
	ck_assert_str_eq(sql_error(db, "ruhu_range(9, 'survey.score', 1, 5)"),
			 "invalid value for survey.score: expected a whole number from 1 to 5");
	ck_assert_str_eq(sql_error(db, "ruhu_range('3', 'survey.score', 1, 5)"),
			 "invalid value for survey.score: expected a whole number from 1 to 5");
	ck_assert_ptr_null(sql_error(db, "ruhu_range(3, 'survey.score', 1, 5)"));
	ck_assert_ptr_nonnull(sql_error(db, "ruhu_uuid('x', 'p.id')"));
	ck_assert_ptr_nonnull(sql_error(db, "ruhu_code('a b', 'w.id')"));
	ck_assert_ptr_nonnull(sql_error(db, "ruhu_tokens('b,a', 'a.m')"));
	ck_assert_ptr_nonnull(sql_error(db, "ruhu_tokens('c', 'a.m', 'a,b')"));
	ck_assert_ptr_nonnull(sql_error(db, "ruhu_text('', 'p.n', 5)"));
	ck_assert_ptr_nonnull(sql_error(db, "ruhu_hex('ABC', 'a.b', 3)"));
	ck_assert_ptr_null(sql_error(db, "ruhu_hex('abc', 'a.b', 3)"));
	ck_assert_str_eq(sql_error(db, "ruhu_not_before('2024-05-06T09:00:00+08:00', "
				   "'2024-05-06T10:00:00+08:00', 'visit.ended_at', 'visit.started_at')"),
			 "invalid date-time for visit.ended_at: earlier than visit.started_at");
	/* 09:00 in Beijing is 01:00 UTC: not before 00:30 UTC */
	ck_assert_ptr_null(sql_error(db, "ruhu_not_before('2024-05-06T09:00:00+08:00', "
				     "'2024-05-06T00:30:00Z', 'a', 'b')"));
	ck_assert_ptr_null(sql_error(db, "ruhu_not_before('2024-05-06', '2024-05-06T23:00:00', 'a', 'b')"));
	ck_assert_ptr_nonnull(sql_error(db, "ruhu_not_before('2024-05-05', '2024-05-06T00:00:00', 'a', 'b')"));
	ck_assert_ptr_null(sql_error(db, "ruhu_not_before(NULL, '2024-05-06', 'a', 'b')"));
	sqlite3_close(db);
}
END_TEST

Suite *validators_suite(void)
{
	Suite *s = suite_create("validators");
	TCase *tc = tcase_create("validators");

	tcase_add_test(tc, test_validators_id_number_known_examples);
	tcase_add_test(tc, test_validators_id_number_computed_right_and_wrong);
	tcase_add_test(tc, test_validators_id_number_refusals);
	tcase_add_test(tc, test_validators_credit_code);
	tcase_add_test(tc, test_validators_phones);
	tcase_add_test(tc, test_validators_dates_and_datetimes);
	tcase_add_test(tc, test_validators_enum_range_uuid_code_text);
	tcase_add_test(tc, test_validators_token_sets);
	tcase_add_test(tc, test_validators_sql_functions);
	suite_add_tcase(s, tc);
	return s;
}
