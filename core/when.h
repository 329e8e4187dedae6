/*
 * when.h — dates and times as records hold them: ISO 8601 in the centre's
 * zone, e.g. "2026-11-27T09:14:13+08:00" and "2026-11-27".
 */
#ifndef RUHU_CORE_WHEN_H
#define RUHU_CORE_WHEN_H

#include <stdint.h>

#define RUHU_DATETIME_SIZE 26   /* "YYYY-MM-DDTHH:MM:SS+HH:MM" and NUL */
#define RUHU_DAY_SIZE 11        /* "YYYY-MM-DD" and NUL */

/* Milliseconds since 1970 (UTC) as a date-time in a zone `tz` minutes east
 * of UTC, and as that zone's date. */
void ruhu_when_datetime(char out[RUHU_DATETIME_SIZE], int64_t ms, int tz);
void ruhu_when_date(char out[RUHU_DAY_SIZE], int64_t ms, int tz);

#endif
