/*
 * calendar.c — the working-day calendar and the promised completion date
 * (承诺办结时限, standard clause 6.2.2).
 *
 * Design notes
 *  1. Monday to Friday are working days, Saturday and Sunday are not, except
 *     for the listed dates: a `holiday` is a day off, a `workday` is an
 *     adjusted working day (调休上班, usually a weekend).  A date listed as
 *     both is a holiday.
 *  2. Promised date: counting starts on the first working day after the
 *     received date, which itself never counts (a working day or not); the
 *     N-th working day counted is the promised date.  0 days: the received
 *     date.  Received Friday with 1 day: the next Monday, if it works.
 *  3. The listed days are kept sorted, looked up by binary search; counting
 *     is bounded (at most RUHU_CAL_MAX_DAYS working days), so it always ends.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/schema_int.h"

#define RUHU_CAL_MAX_DAYS 3650u
#define CAL_MAX_LISTED 100000u

struct day {
	long day;
	ruhu_day_kind kind;
};

struct ruhu_calendar {
	struct day *days;
	size_t n;
};

static int cmp_day(const void *a, const void *b)
{
	const struct day *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

static int parse_day(long *out, const char *date, const char *what)
{
	char why[WHY_SIZE];
	int y, m, d;
	size_t n = date ? strlen(date) : 0;

	if (date == NULL)
		return ruhu_error_set(RUHU_EINVALID, "invalid date for %s: none given", what);
	if (n > 10 ? check_datetime(date, n, what, why, sizeof(why)) < 0 :
		     check_date(date, n, what, why, sizeof(why)) < 0)
		return ruhu_error_set(RUHU_EINVALID, "%s", why);
	date_parse(date, 10, &y, &m, &d);
	*out = days_from_civil(y, m, d);
	return 0;
}

int ruhu_calendar_new(ruhu_calendar **out, const ruhu_holiday *days, size_t count)
{
	ruhu_calendar *cal;
	size_t k = 0;
	int error = 0;

	if (out == NULL || (days == NULL && count))
		return ruhu_error_set(RUHU_EINVALID, "no calendar days given");
	*out = NULL;
	if (count > CAL_MAX_LISTED)
		return ruhu_error_set(RUHU_EINVALID, "more than %u calendar days", CAL_MAX_LISTED);
	if ((cal = calloc(1, sizeof(*cal))) == NULL ||
	    (count && (cal->days = calloc(count, sizeof(*cal->days))) == NULL)) {
		free(cal);
		return ruhu_error_oom();
	}
	for (size_t i = 0; i < count; i++) {
		if (days[i].kind != RUHU_DAY_HOLIDAY && days[i].kind != RUHU_DAY_WORKDAY) {
			error = ruhu_error_set(RUHU_EINVALID, "invalid value for holiday.kind: expected "
					       "one of holiday, workday");
			goto done;
		}
		if ((error = parse_day(&cal->days[i].day, days[i].date, "holiday.date")) < 0)
			goto done;
		cal->days[i].kind = days[i].kind;
	}
	if (count)
		qsort(cal->days, count, sizeof(*cal->days), cmp_day);
	/* one entry per date; holiday (1) sorts first and wins (note 1) */
	for (size_t i = 0; i < count; i++)
		if (k == 0 || cal->days[k - 1].day != cal->days[i].day)
			cal->days[k++] = cal->days[i];
	cal->n = k;
done:
	if (error < 0) {
		ruhu_calendar_free(cal);
		cal = NULL;
	}
	*out = cal;
	return error;
}

void ruhu_calendar_free(ruhu_calendar *cal)
{
	if (cal == NULL)
		return;
	free(cal->days);
	free(cal);
}

static int working(const ruhu_calendar *cal, long day)
{
	size_t lo = 0, hi = cal ? cal->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->days[mid].day == day)
			return cal->days[mid].kind == RUHU_DAY_WORKDAY;
		if (cal->days[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return weekday_of(day) < 5;
}

int ruhu_calendar_is_working_day(const ruhu_calendar *cal, const char *date)
{
	long day;
	int error;

	if ((error = parse_day(&day, date, "date")) < 0)
		return error;
	return working(cal, day);
}

int ruhu_calendar_promised_date(char out[RUHU_DATE_SIZE], const ruhu_calendar *cal,
				const char *received, unsigned int working_days)
{
	long day, guard;
	unsigned int counted = 0;
	int error;

	if (out == NULL)
		return ruhu_error_set(RUHU_EINVALID, "no place for the promised date");
	out[0] = '\0';
	if ((error = parse_day(&day, received, "the received date")) < 0)
		return error;
	if (working_days > RUHU_CAL_MAX_DAYS)
		return ruhu_error_set(RUHU_EINVALID, "a time limit of %u working days is over %u",
				      working_days, RUHU_CAL_MAX_DAYS);
	/* five working days a week, minus at most every listed day (note 3) */
	guard = 2 * ((long)working_days + (long)(cal ? cal->n : 0)) + 14;
	while (counted < working_days) {
		if (guard-- <= 0)
			return ruhu_error_set(RUHU_ERROR, "the calendar has no working days left");
		day++;
		counted += (unsigned int)working(cal, day);
	}
	date_format(out, day);
	return 0;
}
