/*
 * calendar.c - business-time arithmetic in one calendar (pure).
 *
 * A calendar answers two questions for the SLA engine: when will N ms of
 * working time have passed after an instant (calendar_deadline), and how much
 * working time lies between two instants (calendar_elapsed).  Both walk local
 * days forward, turning each day's working windows into UTC intervals through
 * the zone's offsets, so the cost is a few binary searches per day and never
 * a loop per minute; a day already worked out is remembered (the memo
 * below), so routing's many clocks pay for each day once.
 *
 * The zone is read once, in calendar_new, by zone.c from the TZif file under TZDIR (or
 * /usr/share/zoneinfo): its transitions, then the POSIX TZ footer expanded
 * into explicit transitions up to ZONE_RULE_END_YEAR, so the hot path is a
 * binary search in one table.  Nothing here reads the clock, calls tzset()
 * or localtime(), or touches the TZ variable.
 *
 * Decisions a caller may need to know:
 *
 *  - Working time is real elapsed time.  A window is the interval between
 *    the instants its two wall-clock ends map to; 09:00-18:00 is 9 hours,
 *    except on a day the clocks jump inside it, when it is 8 or 10.
 *  - A wall-clock time maps to the first instant at which the clock shows it
 *    or later.  So a time skipped by a spring-forward jump maps to the
 *    instant of the jump (02:30 becomes 03:00 new time), and a time repeated
 *    by a fall-back jump maps to its first occurrence.  The mapping never
 *    goes backwards, which keeps intervals well formed; the price is that a
 *    window lying wholly inside the repeated hour is counted once.
 *  - Overlapping or touching windows on a day are merged: a config may say
 *    mon-fri 09:00-18:00 and fri 17:00-20:00.  Windows do not cross
 *    midnight; 22:00-24:00 and 00:00-06:00 on the next day are contiguous.
 *  - A holiday is a whole local day without any window.
 *  - calendar_deadline with business_ms <= 0 returns start_ms unchanged, even
 *    outside working time: nothing is owed, so nothing is due later.
 *  - A deadline that lands exactly where a window closes is that closing
 *    instant, not the next opening.
 *  - A deadline more than ten years (CAL_SEARCH_DAYS) after the start, or on
 *    a calendar with no working window at all, is INT64_MAX: "never".
 *  - Instants are clamped to the years 0001..9999 (a deadline counted from
 *    after 9999 is INT64_MAX); beyond ZONE_RULE_END_YEAR the offset in force
 *    at its end is kept.
 *  - A calendar that works all week round with no holidays takes a shortcut:
 *    working time is real time, whatever the zone.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "civil.h"
#include "zone.h"

#define SECS_PER_DAY		86400
#define MS_PER_DAY		86400000LL
#define MINUTES_PER_DAY		1440

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z. */
#define CAL_MIN_MS		(-62135596800000LL)
#define CAL_MAX_MS		253402300799999LL

#define CAL_SEARCH_DAYS		3653
#define CAL_SEARCH_MS		(CAL_SEARCH_DAYS * MS_PER_DAY)
#define CAL_MAX_WINDOWS		32

/*
 * The days already turned into UTC intervals, each in the slot of its day
 * number modulo CAL_MEMO_DAYS.  Routing asks for the same days again and
 * again (every clock of every request starts today, and its steps end
 * within days), and a day costs two zone lookups per window.  A walk
 * longer than the memo would evict its own first days before the next
 * walk asks for them again, so it holds a month.  The answers are the same
 * without it.  A calendar is used by one thread (the daemon's loop, or
 * triagectl), so a const calendar may fill its memo.
 */
#define CAL_MEMO_DAYS		32
#define CAL_MEMO_EMPTY		INT64_MIN

struct memo_day {
	int64_t		 day;
	int		 n;
	int64_t		 iv[CAL_MAX_WINDOWS][2];
};

struct window {
	/* Local minutes after 00:00, [start, end). */
	int		 start;
	int		 end;
};

struct calendar {
	char		*name;
	char		*timezone;
	struct zone	 zone;

	/* Sorted, disjoint, indexed by tm_wday. */
	struct window	 windows[7][CAL_MAX_WINDOWS];
	int		 nwindows[7];
	int		 total_windows;

	/* Local days since 1970-01-01, ascending. */
	int64_t		*holidays;
	size_t		 nholidays;
	size_t		 holidays_size;

	int		 continuous;	/* 24x7, no holidays */
	struct memo_day	*memo;		/* [CAL_MEMO_DAYS] */
};

static const char *const calendar_day_names[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};

static void	calendar_error(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
calendar_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int64_t
clamp_ms(int64_t t)
{
	if (t < CAL_MIN_MS)
		return CAL_MIN_MS;
	if (t > CAL_MAX_MS)
		return CAL_MAX_MS;
	return t;
}

static void
calendar_update(struct calendar *cal)
{
	int	d;

	cal->continuous = cal->nholidays == 0;
	for (d = 0; d < 7; d++) {
		if (cal->nwindows[d] != 1 || cal->windows[d][0].start != 0 ||
		    cal->windows[d][0].end != MINUTES_PER_DAY)
			cal->continuous = 0;
	}
	for (d = 0; d < CAL_MEMO_DAYS; d++)
		cal->memo[d].day = CAL_MEMO_EMPTY;
}

/* A calendar with its name, zone name and an empty memo; no zone yet. */
static struct calendar *
calendar_alloc(const char *name, const char *timezone)
{
	struct calendar	*cal;

	if ((cal = calloc(1, sizeof *cal)) == NULL ||
	    (cal->name = strdup(name)) == NULL ||
	    (cal->timezone = strdup(timezone)) == NULL ||
	    (cal->memo = calloc(CAL_MEMO_DAYS, sizeof *cal->memo)) == NULL) {
		calendar_free(cal);
		return NULL;
	}
	calendar_update(cal);
	return cal;
}

struct calendar *
calendar_new(const char *name, const char *timezone, char *err, size_t errlen)
{
	struct calendar	*cal;

	if (name == NULL || timezone == NULL) {
		calendar_error(err, errlen, "a calendar needs a name and a "
		    "time zone");
		return NULL;
	}
	if ((cal = calendar_alloc(name, timezone)) == NULL) {
		calendar_error(err, errlen, "cannot create calendar '%s': "
		    "out of memory", name);
		return NULL;
	}
	if (zone_load(&cal->zone, timezone, err, errlen) != 0) {
		calendar_free(cal);
		return NULL;
	}
	return cal;
}

int
calendar_add_window(struct calendar *cal, unsigned weekdays, int start_minute,
    int end_minute, char *err, size_t errlen)
{
	struct window	 merged[7][CAL_MAX_WINDOWS], w;
	int		 count[7], d, i, n;

	if (weekdays == 0 || (weekdays & ~CALENDAR_ALL_DAYS) != 0) {
		calendar_error(err, errlen, "working window on no valid day "
		    "(weekday mask 0x%x)", weekdays);
		return -1;
	}
	if (start_minute < 0 || end_minute > MINUTES_PER_DAY ||
	    start_minute >= end_minute) {
		if (start_minute >= 0 && end_minute >= 0 &&
		    start_minute <= MINUTES_PER_DAY &&
		    end_minute <= MINUTES_PER_DAY)
			calendar_error(err, errlen, "working window "
			    "%02d:%02d-%02d:%02d is empty or ends before it "
			    "starts; a window cannot cross midnight, so "
			    "split it at 24:00", start_minute / 60,
			    start_minute % 60, end_minute / 60,
			    end_minute % 60);
		else
			calendar_error(err, errlen, "working window from "
			    "minute %d to minute %d is outside the day "
			    "(00:00 to 24:00)", start_minute, end_minute);
		return -1;
	}

	/* Merge into copies, so a failure leaves the calendar as it was. */
	for (d = 0; d < 7; d++) {
		count[d] = cal->nwindows[d];
		memcpy(merged[d], cal->windows[d], sizeof merged[d]);
		if ((weekdays & (1u << d)) == 0)
			continue;
		w.start = start_minute;
		w.end = end_minute;
		n = 0;
		for (i = 0; i < count[d]; i++) {
			if (cal->windows[d][i].end < w.start)
				merged[d][n++] = cal->windows[d][i];
			else if (cal->windows[d][i].start <= w.end) {
				if (cal->windows[d][i].start < w.start)
					w.start = cal->windows[d][i].start;
				if (cal->windows[d][i].end > w.end)
					w.end = cal->windows[d][i].end;
			} else
				break;
		}
		if (n + 1 + (count[d] - i) > CAL_MAX_WINDOWS) {
			calendar_error(err, errlen, "too many working windows "
			    "on %s (at most %d)", calendar_day_names[d],
			    CAL_MAX_WINDOWS);
			return -1;
		}
		merged[d][n++] = w;
		for (; i < count[d]; i++)
			merged[d][n++] = cal->windows[d][i];
		count[d] = n;
	}

	cal->total_windows = 0;
	for (d = 0; d < 7; d++) {
		memcpy(cal->windows[d], merged[d], sizeof merged[d]);
		cal->nwindows[d] = count[d];
		cal->total_windows += count[d];
	}
	calendar_update(cal);
	return 0;
}

int
calendar_add_holiday(struct calendar *cal, int year, int month, int day,
    char *err, size_t errlen)
{
	int64_t	 d, *p;
	size_t	 lo = 0, hi = cal->nholidays, mid, size;

	if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > civil_days_in_month(year, month)) {
		calendar_error(err, errlen, "holiday %04d-%02d-%02d is not a "
		    "date (expected YYYY-MM-DD)", year, month, day);
		return -1;
	}
	d = civil_days_from_date(year, month, day);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cal->holidays[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < cal->nholidays && cal->holidays[lo] == d)
		return 0;
	if (cal->nholidays == cal->holidays_size) {
		size = cal->holidays_size == 0 ? 16 : cal->holidays_size * 2;
		if ((p = reallocarray(cal->holidays, size, sizeof *p)) ==
		    NULL) {
			calendar_error(err, errlen, "cannot add holiday "
			    "%04d-%02d-%02d: out of memory", year, month, day);
			return -1;
		}
		cal->holidays = p;
		cal->holidays_size = size;
	}
	memmove(cal->holidays + lo + 1, cal->holidays + lo,
	    (cal->nholidays - lo) * sizeof *cal->holidays);
	cal->holidays[lo] = d;
	cal->nholidays++;
	calendar_update(cal);
	return 0;
}

struct calendar *
calendar_always(void)
{
	struct calendar	*cal;

	if ((cal = calendar_alloc("always", "UTC")) == NULL)
		return NULL;
	/* An empty zone is UTC: no transitions, offset 0. */
	if (calendar_add_window(cal, CALENDAR_ALL_DAYS, 0, MINUTES_PER_DAY,
	    NULL, 0) != 0) {
		calendar_free(cal);
		return NULL;
	}
	return cal;
}

void
calendar_free(struct calendar *cal)
{
	if (cal == NULL)
		return;
	zone_clear(&cal->zone);
	free(cal->holidays);
	free(cal->memo);
	free(cal->name);
	free(cal->timezone);
	free(cal);
}

const char *
calendar_name(const struct calendar *cal)
{
	return cal->name;
}

const char *
calendar_timezone(const struct calendar *cal)
{
	return cal->timezone;
}

/* --- Walking working time. ----------------------------------------------- */

static int
calendar_is_holiday(const struct calendar *cal, int64_t day)
{
	size_t	lo = 0, hi = cal->nholidays, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cal->holidays[mid] < day)
			lo = mid + 1;
		else if (cal->holidays[mid] > day)
			hi = mid;
		else
			return 1;
	}
	return 0;
}

/* The local day (since 1970-01-01) the instant t (ms) falls on. */
static int64_t
calendar_local_day(const struct calendar *cal, int64_t t)
{
	int64_t	s = civil_floor_div(t, 1000);

	return civil_floor_div(s + zone_offset(&cal->zone, s), SECS_PER_DAY);
}

/*
 * The working intervals of one local day as UTC ms, ascending, and how
 * many (*n); valid until the next call.  Days follow each other without
 * overlap, since the wall clock to UTC mapping never goes backwards.
 */
static const int64_t (*
calendar_day(const struct calendar *cal, int64_t day, int *n))[2]
{
	struct memo_day		*m = &cal->memo[(uint64_t)day % CAL_MEMO_DAYS];
	const struct window	*w;
	int64_t			 base = day * SECS_PER_DAY;
	int			 wd, i;

	if (m->day == day) {
		*n = m->n;
		return (const int64_t (*)[2])m->iv;
	}
	wd = civil_weekday(day);
	m->n = cal->nwindows[wd];
	if (cal->nholidays != 0 && calendar_is_holiday(cal, day))
		m->n = 0;
	for (i = 0; i < m->n; i++) {
		w = &cal->windows[wd][i];
		m->iv[i][0] = zone_utc(&cal->zone, base + w->start * 60) * 1000;
		m->iv[i][1] = zone_utc(&cal->zone, base + w->end * 60) * 1000;
	}
	m->day = day;
	*n = m->n;
	return (const int64_t (*)[2])m->iv;
}

int64_t
calendar_deadline(const struct calendar *cal, int64_t start_ms,
    int64_t business_ms)
{
	const int64_t	(*iv)[2];
	int64_t		 t, limit, left, day, last, a, b;
	int		 i, n;

	if (business_ms <= 0)
		return start_ms;
	if (start_ms > CAL_MAX_MS)
		return INT64_MAX;
	/* Working time never runs faster than real time. */
	if (business_ms > CAL_SEARCH_MS || cal->total_windows == 0)
		return INT64_MAX;
	t = clamp_ms(start_ms);
	if (cal->continuous)
		return t + business_ms;

	limit = t + CAL_SEARCH_MS;
	left = business_ms;
	/*
	 * Earlier days' windows close by the first instant the clock shows
	 * this day's 00:00, which is no later than t: start with this day.
	 */
	day = calendar_local_day(cal, t);
	last = day + CAL_SEARCH_DAYS + 3;
	for (; day <= last; day++) {
		iv = calendar_day(cal, day, &n);
		for (i = 0; i < n; i++) {
			a = iv[i][0];
			b = iv[i][1];
			if (b <= t)
				continue;
			if (a < t)
				a = t;
			if (a >= limit)
				return INT64_MAX;
			if (b - a >= left)
				return a + left > limit ? INT64_MAX : a + left;
			left -= b - a;
		}
	}
	return INT64_MAX;
}

int64_t
calendar_elapsed(const struct calendar *cal, int64_t from_ms, int64_t to_ms)
{
	const int64_t	(*iv)[2];
	int64_t		 from, to, day, last, a, b;
	int64_t		 sum = 0;
	int		 i, n;

	from = clamp_ms(from_ms);
	to = clamp_ms(to_ms);
	if (to <= from || cal->total_windows == 0)
		return 0;
	if (cal->continuous)
		return to - from;

	/*
	 * A jump back across midnight shows the day before again after the
	 * next day's windows have opened: look a day further than to's own.
	 * Windows opening after to end the walk early.
	 */
	day = calendar_local_day(cal, from);
	last = calendar_local_day(cal, to) + 2;
	for (; day <= last; day++) {
		iv = calendar_day(cal, day, &n);
		for (i = 0; i < n; i++) {
			a = iv[i][0];
			b = iv[i][1];
			if (a >= to)
				return sum;
			if (a < from)
				a = from;
			if (b > to)
				b = to;
			if (b > a)
				sum += b - a;
		}
	}
	return sum;
}
