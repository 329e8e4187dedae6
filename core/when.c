/*
 * when.c — ISO 8601 dates and times in the centre's zone (see when.h).
 * gmtime_r on a shifted time: no dependence on the process's TZ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/when.h"

static void split(struct tm *tm, int64_t ms, int tz)
{
	time_t t = (time_t)(ms / 1000) + (time_t)tz * 60;

	gmtime_r(&t, tm);
}

void ruhu_when_datetime(char out[RUHU_DATETIME_SIZE], int64_t ms, int tz)
{
	struct tm tm;
	int a = abs(tz);

	char tmp[64];

	split(&tm, ms, tz);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
		 (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, tz < 0 ? '-' : '+', (a / 60) % 100, a % 60);
	snprintf(out, RUHU_DATETIME_SIZE, "%.25s", tmp);
}

void ruhu_when_date(char out[RUHU_DAY_SIZE], int64_t ms, int tz)
{
	struct tm tm;
	char tmp[64];

	split(&tm, ms, tz);
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1,
		 tm.tm_mday);
	snprintf(out, RUHU_DAY_SIZE, "%.10s", tmp);
}
