/*
 * hlc.c — the hybrid logical clock (see hlc.h for the rules).
 *
 * Design notes
 *  1. The steps are pure functions of (last, remote, wall); the persisted
 *     functions read `_meta`, take one step and write `_meta` back, all in
 *     the caller's transaction.
 *  2. Text form (frozen):
 *
 *       OFFSET  SIZE  DESCRIPTION
 *       0       4     year, 1970..9999
 *       4       1     '-'
 *       5       2     month, 01..12
 *       7       1     '-'
 *       8       2     day, 01..days in that month
 *       10      1     'T'
 *       11      2     hour, 00..23
 *       13      1     ':'
 *       14      2     minute, 00..59
 *       16      1     ':'
 *       17      2     second, 00..59 (no leap second)
 *       19      1     '.'
 *       20      3     millisecond, 000..999
 *       23      1     'Z'
 *       24      1     '+'
 *       25      4     counter, lowercase hex 0000..ffff
 *
 *     Dates are proleptic Gregorian, converted with the days-from-civil
 *     arithmetic (no timegm, no locale, no time zone).
 */
#include <string.h>
#include <time.h>

#include "core/hlc.h"

int64_t ruhu_wallclock_system(void *payload)
{
	struct timespec ts;

	(void)payload;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t clamp_wall(int64_t wall)
{
	if (wall < 0)
		return 0;
	if ((uint64_t)wall > RUHU_HLC_MAX_MS)
		return RUHU_HLC_MAX_MS;
	return (uint64_t)wall;
}

/* Build (ms, counter), moving to the next millisecond past 0xffff. */
static int make(uint64_t *out, uint64_t ms, uint64_t counter)
{
	if (counter > RUHU_HLC_MAX_COUNTER) {
		ms++;
		counter = 0;
	}
	if (ms > RUHU_HLC_MAX_MS)
		return ruhu_error_set(RUHU_ERROR, "hybrid logical clock is past its last millisecond");
	*out = ruhu_hlc_make(ms, (unsigned int)counter);
	return 0;
}

int ruhu_hlc_tick(uint64_t *out, unsigned int *flags, uint64_t last, int64_t wall_ms)
{
	uint64_t w = clamp_wall(wall_ms), lm = ruhu_hlc_ms(last);

	if (flags)
		*flags = lm > w + RUHU_HLC_MAX_AHEAD_MS ? RUHU_HLC_AHEAD : 0;
	if (w > lm)
		return make(out, w, 0);
	return make(out, lm, (uint64_t)ruhu_hlc_counter(last) + 1);
}

int ruhu_hlc_merge(uint64_t *out, unsigned int *flags, uint64_t last, uint64_t remote,
		   int64_t wall_ms)
{
	uint64_t w = clamp_wall(wall_ms);
	uint64_t lm = ruhu_hlc_ms(last), lc = ruhu_hlc_counter(last);
	uint64_t rm = ruhu_hlc_ms(remote), rc = ruhu_hlc_counter(remote);
	uint64_t m, c;
	unsigned int f = 0;

	if (rm > w + RUHU_HLC_MAX_AHEAD_MS) {
		rm = w + RUHU_HLC_MAX_AHEAD_MS;
		rc = 0;
		f |= RUHU_HLC_CAPPED;
	}
	if (lm > w + RUHU_HLC_MAX_AHEAD_MS)
		f |= RUHU_HLC_AHEAD;
	if (flags)
		*flags = f;
	m = lm > rm ? lm : rm;
	if (w > m)
		return make(out, w, 0);
	if (m == lm && m == rm)
		c = (lc > rc ? lc : rc) + 1;
	else if (m == lm)
		c = lc + 1;
	else
		c = rc + 1;
	return make(out, m, c);
}

/* ---- _meta ------------------------------------------------------------ */

static int meta_error(sqlite3 *db, const char *what)
{
	if (sqlite3_errcode(db) == SQLITE_NOMEM)
		return ruhu_error_oom();
	return ruhu_error_set(RUHU_ERROR, "cannot %s the clock in _meta: %s", what,
			      sqlite3_errmsg(db));
}

int ruhu_hlc_load(uint64_t *out, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int error = 0, rc;

	*out = 0;
	if (sqlite3_prepare_v2(db, "SELECT value FROM _meta WHERE key = 'hlc'", -1, &st,
			       NULL) != SQLITE_OK) {
		error = meta_error(db, "read");
		goto done;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) {
			error = ruhu_error_set(RUHU_ECORRUPT, "the clock stored in _meta is not "
					       "an integer");
			goto done;
		}
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	} else if (rc != SQLITE_DONE) {
		error = meta_error(db, "read");
	}
done:
	sqlite3_finalize(st);
	return error;
}

static int store(sqlite3 *db, uint64_t hlc)
{
	sqlite3_stmt *st = NULL;
	int error = 0;

	if (sqlite3_prepare_v2(db, "INSERT INTO _meta(key, value) VALUES('hlc', ?1) "
			       "ON CONFLICT(key) DO UPDATE SET value = excluded.value", -1, &st,
			       NULL) != SQLITE_OK) {
		error = meta_error(db, "write");
		goto done;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)hlc);
	if (sqlite3_step(st) != SQLITE_DONE)
		error = meta_error(db, "write");
done:
	sqlite3_finalize(st);
	return error;
}

static int64_t wall(const ruhu_wallclock *clock)
{
	if (clock && clock->now_ms)
		return clock->now_ms(clock->payload);
	return ruhu_wallclock_system(NULL);
}

int ruhu_hlc_now(uint64_t *out, unsigned int *flags, sqlite3 *db, const ruhu_wallclock *clock)
{
	uint64_t last, next;
	int error;

	if ((error = ruhu_hlc_load(&last, db)) < 0 ||
	    (error = ruhu_hlc_tick(&next, flags, last, wall(clock))) < 0 ||
	    (error = store(db, next)) < 0)
		return error;
	*out = next;
	return 0;
}

int ruhu_hlc_observe(uint64_t *out, unsigned int *flags, sqlite3 *db,
		     const ruhu_wallclock *clock, uint64_t remote)
{
	uint64_t last, next;
	int error;

	if ((error = ruhu_hlc_load(&last, db)) < 0 ||
	    (error = ruhu_hlc_merge(&next, flags, last, remote, wall(clock))) < 0 ||
	    (error = store(db, next)) < 0)
		return error;
	if (out)
		*out = next;
	return 0;
}

/* ---- text form (design note 2) ----------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned int *m, unsigned int *d)
{
	int64_t era;
	unsigned int doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned int)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Write the `n` last digits of `v` in `base` at `p`, zero-padded. */
static void put_number(char *p, uint64_t v, int n, unsigned int base)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = "0123456789abcdef"[v % base];
		v /= base;
	}
}

/* The last millisecond of 9999-12-31. */
#define LAST_TEXT_MS UINT64_C(253402300799999)

int ruhu_hlc_format(char out[RUHU_HLC_TEXT_LEN + 1], uint64_t hlc)
{
	uint64_t ms = ruhu_hlc_ms(hlc), secs = ms / 1000;
	unsigned int m, d, sod = (unsigned int)(secs % 86400);
	int64_t y;

	if (ms > LAST_TEXT_MS)
		return ruhu_error_set(RUHU_EINVALID, "clock value is past the year 9999");
	civil_from_days((int64_t)(secs / 86400), &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00.000Z+0000", RUHU_HLC_TEXT_LEN + 1);
	put_number(out, (uint64_t)y, 4, 10);
	put_number(out + 5, m, 2, 10);
	put_number(out + 8, d, 2, 10);
	put_number(out + 11, sod / 3600, 2, 10);
	put_number(out + 14, sod / 60 % 60, 2, 10);
	put_number(out + 17, sod % 60, 2, 10);
	put_number(out + 20, ms % 1000, 3, 10);
	put_number(out + 25, ruhu_hlc_counter(hlc), 4, 16);
	return 0;
}

/* Read `n` decimal digits at `p`; -1 if any is not a digit. */
static int64_t digits(const char *p, int n)
{
	int64_t v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static unsigned int days_in_month(int64_t y, unsigned int m)
{
	static const unsigned char days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

int ruhu_hlc_parse(uint64_t *out, const char *text, size_t len)
{
	int64_t y, mo, d, h, mi, s, ms;
	unsigned int counter = 0;

	if (text == NULL || len != RUHU_HLC_TEXT_LEN)
		return ruhu_error_set(RUHU_EINVALID, "clock text is not %d characters long",
				      RUHU_HLC_TEXT_LEN);
	if (text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
	    text[16] != ':' || text[19] != '.' || text[23] != 'Z' || text[24] != '+')
		return ruhu_error_set(RUHU_EINVALID, "clock text '%.*s' is not of the form "
				      "YYYY-MM-DDTHH:MM:SS.mmmZ+cccc", (int)len, text);
	y = digits(text, 4);
	mo = digits(text + 5, 2);
	d = digits(text + 8, 2);
	h = digits(text + 11, 2);
	mi = digits(text + 14, 2);
	s = digits(text + 17, 2);
	ms = digits(text + 20, 3);
	for (int i = 25; i < 29; i++) {
		char c = text[i];

		if (c >= '0' && c <= '9')
			counter = counter * 16 + (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			counter = counter * 16 + (unsigned int)(c - 'a' + 10);
		else
			return ruhu_error_set(RUHU_EINVALID, "clock text '%.*s' has a bad counter",
					      (int)len, text);
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    s < 0 || s > 59 || ms < 0 || d > days_in_month(y, (unsigned int)mo))
		return ruhu_error_set(RUHU_EINVALID, "clock text '%.*s' is not a valid time",
				      (int)len, text);
	*out = ruhu_hlc_make((uint64_t)(days_from_civil(y, (unsigned int)mo, (unsigned int)d) *
					86400 + h * 3600 + mi * 60 + s) * 1000 + (uint64_t)ms,
			     counter);
	return 0;
}
