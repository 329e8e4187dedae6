/*
 * date.c — calendar dates: strict parsing of YYYY-MM-DD and day arithmetic
 * in the proleptic Gregorian calendar.
 *
 * Design notes
 *  1. A day is a count of days since 1970-01-01 (negative before); the
 *     conversions are Howard Hinnant's days_from_civil / civil_from_days,
 *     exact for every year this module accepts.
 *  2. date_parse accepts exactly ten characters: four digits, '-', two
 *     digits, '-', two digits, and only a date that exists (29 February in
 *     leap years only).  Year ranges are the validators' business.
 */
#include <stdio.h>

#include "schema/schema_int.h"

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

int date_parse(const char *s, size_t n, int *y, int *m, int *d)
{
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	if (digits(s, 4, y) < 0 || digits(s + 5, 2, m) < 0 || digits(s + 8, 2, d) < 0)
		return -1;
	if (*m < 1 || *m > 12 || *d < 1 || *d > month_days(*y, *m))
		return -1;
	return 0;
}

long days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (long)y - era * 400;
	doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_from_days(long z, int *y, int *m, int *d)
{
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int weekday_of(long days)
{
	/* 1970-01-01 was a Thursday (3 when Monday is 0) */
	long w = (days + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

void date_format(char out[RUHU_DATE_SIZE], long days)
{
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	snprintf(out, RUHU_DATE_SIZE, "%04d-%02d-%02d", y, m, d);
}
