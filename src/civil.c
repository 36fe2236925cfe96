/*
 * civil.c - proleptic Gregorian calendar arithmetic on days counted from
 * 1970-01-01 (pure; see civil.h).
 */
#include "civil.h"

int64_t
civil_floor_div(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if ((a % b) != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

int64_t
civil_floor_mod(int64_t a, int64_t b)
{
	return a - civil_floor_div(a, b) * b;
}

int
civil_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
civil_days_in_month(int64_t y, int m)
{
	static const int days[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && civil_is_leap(y))
		return 29;
	return days[m - 1];
}

/*
 * Days from 1970-01-01 to a proleptic Gregorian date.  Counting years from
 * March puts the leap day last, so each 400-year era is 146097 days and the
 * day of the year follows from the month by a linear formula.
 */
int64_t
civil_days_from_date(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = civil_floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The year of a day counted from 1970-01-01 (the inverse, year only). */
int64_t
civil_year_from_days(int64_t z)
{
	int64_t	era, doe, yoe, doy, mp, y;

	z += 719468;
	era = civil_floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return mp >= 10 ? y + 1 : y;
}

/* 0 is Sunday; 1970-01-01 was a Thursday. */
int
civil_weekday(int64_t day)
{
	return (int)civil_floor_mod(day + 4, 7);
}
