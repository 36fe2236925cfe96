/*
 * civil.h - proleptic Gregorian calendar arithmetic on days counted from
 * 1970-01-01 (pure), shared by the zone reader and the calendars.
 */
#ifndef TRIAGED_CIVIL_H
#define TRIAGED_CIVIL_H

#include <stdint.h>

/* Division and remainder rounding towards minus infinity. */
int64_t	civil_floor_div(int64_t a, int64_t b);
int64_t	civil_floor_mod(int64_t a, int64_t b);
int	civil_is_leap(int64_t year);
int	civil_days_in_month(int64_t year, int month);	/* month 1-12 */
/* Days from 1970-01-01 to year-month-day, and the year of such a day. */
int64_t	civil_days_from_date(int64_t year, int month, int day);
int64_t	civil_year_from_days(int64_t days);
/* 0 is Sunday. */
int	civil_weekday(int64_t days);

#endif
