/*
 * validate.c — the validators of field values: resident identity numbers,
 * unified social credit codes, phone numbers, dates, date-times, enums,
 * ranges, record ids, codes, token sets, text.
 *
 * Design notes
 *  1. Each check_* function looks at n bytes (no terminator needed) and, on
 *     refusal, writes "invalid <what> for <field>: <reason>" into `why` and
 *     returns -1 (schema_int.h, note 3).  The value itself is never written
 *     into the message (ruhu/schema.h, note 6).
 *  2. The public ruhu_validate_* functions wrap them and set the last error
 *     (RUHU_EINVALID); sqlfunc.c wraps them as SQL functions.
 *  3. Algorithms: resident identity number per GB 11643-1999 (check
 *     character ISO 7064 MOD 11-2, weights 2^(17-i) mod 11, 'X' for 10);
 *     unified social credit code per GB 32100-2015 (31 characters
 *     0-9 A-Z without I O S V Z, weights 3^i mod 31, check 31 - sum mod 31).
 */
#include <stdio.h>
#include <string.h>

#include "schema/schema_int.h"

static const char *fname(const char *field)
{
	return field && *field ? field : "value";
}

static int refuse(char *why, size_t whylen, const char *what, const char *field,
		  const char *reason)
{
	snprintf(why, whylen, "invalid %s for %s: %s", what, fname(field), reason);
	return -1;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* --- resident identity number (note 3) --- */

static int province_code(int code)
{
	static const int codes[] = {
		11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
		41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65,
		71, 81, 82, 83
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i] == code)
			return 1;
	/* permanent residence identity cards of foreigners begin with 9 */
	return code >= 90 && code <= 99;
}

int check_id_number(const char *s, size_t n, const char *field, char *why, size_t whylen)
{
	static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char checks[] = "10X98765432";
	const char *what = "resident identity number";
	char reason[64];
	int sum = 0, y, m, d;

	if (n != 18)
		return refuse(why, whylen, what, field, "expected 18 characters");
	for (size_t i = 0; i < 17; i++)
		if (!is_digit(s[i]))
			return refuse(why, whylen, what, field, "the first 17 characters must be digits");
	if (!is_digit(s[17]) && s[17] != 'X')
		return refuse(why, whylen, what, field,
			      "the check character must be a digit or an uppercase X");
	if (!province_code((s[0] - '0') * 10 + (s[1] - '0')))
		return refuse(why, whylen, what, field,
			      "the region code does not begin with a province-level code");
	{
		char date[10] = { s[6], s[7], s[8], s[9], '-', s[10], s[11], '-', s[12], s[13] };

		if (date_parse(date, 10, &y, &m, &d) < 0)
			return refuse(why, whylen, what, field, "the birth date is not a real date");
		if (y < DATE_MIN_YEAR || y > DATE_MAX_YEAR)
			return refuse(why, whylen, what, field, "the birth year is out of range");
	}
	for (size_t i = 0; i < 17; i++)
		sum += (s[i] - '0') * weights[i];
	if (checks[sum % 11] != s[17]) {
		snprintf(reason, sizeof(reason), "check character should be %c", checks[sum % 11]);
		return refuse(why, whylen, what, field, reason);
	}
	return 0;
}

/* --- unified social credit code (note 3) --- */

static const char credit_chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int credit_value(int c)
{
	const char *p = c ? strchr(credit_chars, c) : NULL;

	return p ? (int)(p - credit_chars) : -1;
}

int check_credit_code(const char *s, size_t n, const char *field, char *why, size_t whylen)
{
	static const int weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
	const char *what = "unified social credit code";
	char reason[96];
	int sum = 0, want;

	if (n != 18)
		return refuse(why, whylen, what, field, "expected 18 characters");
	for (size_t i = 0; i < 18; i++) {
		if (credit_value((unsigned char)s[i]) < 0) {
			snprintf(reason, sizeof(reason), "character %zu is not a digit or a capital "
				 "letter other than I, O, S, V, Z", i + 1);
			return refuse(why, whylen, what, field, reason);
		}
	}
	for (size_t i = 2; i < 8; i++)
		if (!is_digit(s[i]))
			return refuse(why, whylen, what, field,
				      "characters 3 to 8 must be the digits of a region code");
	for (size_t i = 0; i < 17; i++)
		sum += credit_value((unsigned char)s[i]) * weights[i];
	want = (31 - sum % 31) % 31;
	if (credit_chars[want] != s[17]) {
		snprintf(reason, sizeof(reason), "check character should be %c", credit_chars[want]);
		return refuse(why, whylen, what, field, reason);
	}
	return 0;
}

/* --- phones --- */

static int is_mobile(const char *s, size_t n)
{
	if (n != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9')
		return 0;
	for (size_t i = 2; i < 11; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

int check_mobile(const char *s, size_t n, const char *field, char *why, size_t whylen)
{
	if (!is_mobile(s, n))
		return refuse(why, whylen, "mobile number", field,
			      "expected 11 digits beginning with 13 to 19");
	return 0;
}

static size_t run_of_digits(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_digit(s[i]))
		i++;
	return i;
}

int check_phone(const char *s, size_t n, const char *field, char *why, size_t whylen)
{
	size_t area, local;

	if (is_mobile(s, n))
		return 0;
	/* fixed line: 0 + 2 or 3 digits, '-', 7 or 8 digits not starting 0 or 1 */
	area = run_of_digits(s, n);
	if (n > 0 && s[0] == '0' && (area == 3 || area == 4) && area < n && s[area] == '-') {
		local = run_of_digits(s + area + 1, n - area - 1);
		if ((local == 7 || local == 8) && area + 1 + local == n && s[area + 1] > '1')
			return 0;
	}
	return refuse(why, whylen, "phone number", field,
		      "expected a mobile number (11 digits) or a fixed line such as 0511-85012345");
}

/* --- dates and date-times --- */

int check_date(const char *s, size_t n, const char *field, char *why, size_t whylen)
{
	int y, m, d;

	if (n != 10 || s[4] != '-' || s[7] != '-' || run_of_digits(s, 4) != 4)
		return refuse(why, whylen, "date", field, "expected YYYY-MM-DD");
	if (date_parse(s, n, &y, &m, &d) < 0)
		return refuse(why, whylen, "date", field, "not a real calendar date");
	if (y < DATE_MIN_YEAR || y > DATE_MAX_YEAR)
		return refuse(why, whylen, "date", field, "the year is out of range 1800-2199");
	return 0;
}

static int two(const char *s, int max)
{
	int v;

	if (!is_digit(s[0]) || !is_digit(s[1]))
		return -1;
	v = (s[0] - '0') * 10 + (s[1] - '0');
	return v > max ? -1 : v;
}

int check_datetime(const char *s, size_t n, const char *field, char *why, size_t whylen)
{
	const char *what = "date-time";
	size_t i = 19;

	if (n < 19 || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return refuse(why, whylen, what, field,
			      "expected YYYY-MM-DDTHH:MM:SS with an optional fraction and zone");
	if (check_date(s, 10, field, why, whylen) < 0)
		return refuse(why, whylen, what, field, "the date part is not a real date in 1800-2199");
	if (two(s + 11, 23) < 0 || two(s + 14, 59) < 0 || two(s + 17, 59) < 0)
		return refuse(why, whylen, what, field, "the time is not a real time of day");
	if (i < n && s[i] == '.') {
		size_t k = run_of_digits(s + i + 1, n - i - 1);

		if (k < 1 || k > 9)
			return refuse(why, whylen, what, field, "the fraction needs 1 to 9 digits");
		i += 1 + k;
	}
	if (i < n && s[i] == 'Z') {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (n - i < 6 || s[i + 3] != ':' || two(s + i + 1, 14) < 0 || two(s + i + 4, 59) < 0)
			return refuse(why, whylen, what, field, "the zone must be Z or +HH:MM");
		i += 6;
	}
	if (i != n)
		return refuse(why, whylen, what, field,
			      "expected YYYY-MM-DDTHH:MM:SS with an optional fraction and zone");
	return 0;
}

/* --- enums, ids, codes, hex --- */

/* Is s[0..n) one of the comma-separated items of list? */
static int in_list(const char *s, size_t n, const char *list)
{
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && !memcmp(p, s, n))
			return 1;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static void list_text(char *out, size_t outlen, const char *list)
{
	size_t o = 0;

	for (const char *p = list ? list : ""; *p && o + 2 < outlen; p++) {
		if (*p == ',') {
			if (o + 3 >= outlen)
				break;
			out[o++] = ',';
			out[o++] = ' ';
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

int check_enum(const char *s, size_t n, const char *field, const char *allowed,
	       char *why, size_t whylen)
{
	char list[160], reason[192];

	if (in_list(s, n, allowed))
		return 0;
	list_text(list, sizeof(list), allowed);
	snprintf(reason, sizeof(reason), "expected one of %s", list);
	return refuse(why, whylen, "value", field, reason);
}

static int is_lower_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

int check_uuid(const char *s, size_t n, const char *field, char *why, size_t whylen)
{
	int ok = n == 36;

	for (size_t i = 0; ok && i < 36; i++)
		ok = (i == 8 || i == 13 || i == 18 || i == 23) ? s[i] == '-' : is_lower_hex((unsigned char)s[i]);
	if (!ok)
		return refuse(why, whylen, "record id", field,
			      "expected a lowercase UUID (8-4-4-4-12 hex digits)");
	return 0;
}

int check_code(const char *s, size_t n, const char *field, char *why, size_t whylen)
{
	int ok = n >= 1 && n <= 64;

	for (size_t i = 0; ok && i < n; i++)
		ok = is_word_char((unsigned char)s[i]);
	if (!ok)
		return refuse(why, whylen, "code", field,
			      "expected 1 to 64 letters, digits, '_', '.' or '-'");
	return 0;
}

int check_hex(const char *s, size_t n, const char *field, long long digits,
	      char *why, size_t whylen)
{
	char reason[64];
	int ok = digits > 0 && (long long)n == digits;

	for (size_t i = 0; ok && i < n; i++)
		ok = is_lower_hex((unsigned char)s[i]);
	if (!ok) {
		snprintf(reason, sizeof(reason), "expected %lld lowercase hex digits", digits);
		return refuse(why, whylen, "object id", field, reason);
	}
	return 0;
}

/* --- token sets (ruhu/schema.h: sorted, distinct, comma-separated) --- */

int check_tokens(const char *s, size_t n, const char *field, const char *allowed,
		 char *why, size_t whylen)
{
	const char *what = "token set";
	const char *prev = NULL;
	size_t prevn = 0, i = 0;

	if (n == 0)
		return refuse(why, whylen, what, field, "the empty set is NULL, not an empty string");
	while (i <= n) {
		size_t start = i;

		while (i < n && s[i] != ',')
			i++;
		if (i == start)
			return refuse(why, whylen, what, field, "empty token (two commas, or a comma at an end)");
		for (size_t k = start; k < i; k++)
			if (!is_word_char((unsigned char)s[k]))
				return refuse(why, whylen, what, field,
					      "tokens are letters, digits, '_', '.' or '-' separated by commas");
		if (prev) {
			size_t len = i - start, min = len < prevn ? len : prevn;
			int c = memcmp(prev, s + start, min);

			if (c > 0 || (c == 0 && prevn >= len))
				return refuse(why, whylen, what, field, "tokens must be sorted and distinct");
		}
		if (allowed && *allowed && !in_list(s + start, i - start, allowed)) {
			char list[160], reason[200];

			list_text(list, sizeof(list), allowed);
			snprintf(reason, sizeof(reason), "a token is not one of %s", list);
			return refuse(why, whylen, what, field, reason);
		}
		prev = s + start;
		prevn = i - start;
		i++;
	}
	return 0;
}

/* --- text --- */

int check_text(const char *s, size_t n, const char *field, long long max_chars,
	       char *why, size_t whylen)
{
	const unsigned char *u = (const unsigned char *)s;
	long long chars = 0;
	int blank = 1;
	char reason[64];

	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(u + i, n - i);

		if (k == 0)
			return refuse(why, whylen, "text", field, "not valid UTF-8");
		if (k == 1 && (u[i] < 0x20 || u[i] == 0x7F) && u[i] != '\t' && u[i] != '\n')
			return refuse(why, whylen, "text", field, "holds a control character");
		if (!(k == 1 && (u[i] == ' ' || u[i] == '\t' || u[i] == '\n')) &&
		    !(k == 3 && u[i] == 0xE3 && u[i + 1] == 0x80 && u[i + 2] == 0x80))
			blank = 0; /* U+3000 is the ideographic space */
		chars++;
		i += k;
	}
	if (blank)
		return refuse(why, whylen, "text", field, "must not be blank");
	if (chars > max_chars) {
		snprintf(reason, sizeof(reason), "longer than %lld characters", max_chars);
		return refuse(why, whylen, "text", field, reason);
	}
	return 0;
}

/* --- public wrappers (note 2) --- */

#define WRAP(call) do { \
	char why_[WHY_SIZE]; \
	if (value == NULL) \
		return 0; \
	if ((call) < 0) \
		return ruhu_error_set(RUHU_EINVALID, "%s", why_); \
	return 0; \
} while (0)

int ruhu_validate_id_number(const char *value, const char *field)
{
	WRAP(check_id_number(value, strlen(value), field, why_, sizeof(why_)));
}

int ruhu_validate_credit_code(const char *value, const char *field)
{
	WRAP(check_credit_code(value, strlen(value), field, why_, sizeof(why_)));
}

int ruhu_validate_mobile(const char *value, const char *field)
{
	WRAP(check_mobile(value, strlen(value), field, why_, sizeof(why_)));
}

int ruhu_validate_phone(const char *value, const char *field)
{
	WRAP(check_phone(value, strlen(value), field, why_, sizeof(why_)));
}

int ruhu_validate_date(const char *value, const char *field)
{
	WRAP(check_date(value, strlen(value), field, why_, sizeof(why_)));
}

int ruhu_validate_datetime(const char *value, const char *field)
{
	WRAP(check_datetime(value, strlen(value), field, why_, sizeof(why_)));
}

int ruhu_validate_enum(const char *value, const char *field, const char *allowed)
{
	WRAP(check_enum(value, strlen(value), field, allowed, why_, sizeof(why_)));
}

int ruhu_validate_uuid(const char *value, const char *field)
{
	WRAP(check_uuid(value, strlen(value), field, why_, sizeof(why_)));
}

int ruhu_validate_code(const char *value, const char *field)
{
	WRAP(check_code(value, strlen(value), field, why_, sizeof(why_)));
}

int ruhu_validate_tokens(const char *value, const char *field, const char *allowed)
{
	WRAP(check_tokens(value, strlen(value), field, allowed, why_, sizeof(why_)));
}

int ruhu_validate_text(const char *value, const char *field, long long max_chars)
{
	WRAP(check_text(value, strlen(value), field, max_chars, why_, sizeof(why_)));
}

int ruhu_validate_range(long long value, const char *field, long long lo, long long hi)
{
	if (value < lo || value > hi)
		return ruhu_error_set(RUHU_EINVALID,
				      "invalid value for %s: expected a whole number from %lld to %lld",
				      fname(field), lo, hi);
	return 0;
}
