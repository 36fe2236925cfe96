/*
 * calendar.c - business-time arithmetic in one calendar (pure).
 *
 * A calendar answers two questions for the SLA engine: when will N ms of
 * working time have passed after an instant (calendar_deadline), and how much
 * working time lies between two instants (calendar_elapsed).  Both walk local
 * days forward, turning each day's working windows into UTC intervals through
 * the zone's offsets, so the cost is a few binary searches per day and never
 * a loop per minute.
 *
 * The zone is read once, in calendar_new, from the TZif file under TZDIR (or
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

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"

#define SECS_PER_DAY		86400
#define MS_PER_DAY		86400000LL
#define MINUTES_PER_DAY		1440

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z. */
#define CAL_MIN_MS		(-62135596800000LL)
#define CAL_MAX_MS		253402300799999LL

#define CAL_SEARCH_DAYS		3653
#define CAL_SEARCH_MS		(CAL_SEARCH_DAYS * MS_PER_DAY)
#define CAL_MAX_WINDOWS		32

#define ZONE_DIR		"/usr/share/zoneinfo"
#define ZONE_MAX_NAME		255
#define ZONE_MAX_FILE		(1024 * 1024)
#define ZONE_MAX_OFFSET		(26 * 3600)
#define ZONE_RULE_FIRST_YEAR	1900
#define ZONE_RULE_END_YEAR	2200

/* One end of daylight-saving time in a POSIX TZ string. */
struct zone_rule {
	enum { RULE_JULIAN1, RULE_JULIAN0, RULE_MONTH } kind;
	int		 month;		/* Mm.w.d */
	int		 week;
	int		 wday;
	int		 day;		/* Jn 1-365, n 0-365 */
	int32_t		 time;		/* local s after 00:00 */
};

/* What a POSIX TZ string says; offsets are east of UTC, unlike POSIX. */
struct zone_posix {
	int32_t		 std_off;
	int32_t		 dst_off;
	int		 has_dst;
	struct zone_rule start;
	struct zone_rule end;
};

/*
 * Offsets over time: offsets[i] is in force from times[i] (UTC seconds) up to
 * times[i + 1]; first_offset before times[0].
 */
struct zone {
	int64_t		*times;
	int32_t		*offsets;
	size_t		 n;
	int32_t		 first_offset;
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
floor_div(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if ((a % b) != 0 && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int days[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && is_leap(y))
		return 29;
	return days[m - 1];
}

/*
 * Days from 1970-01-01 to a proleptic Gregorian date.  Counting years from
 * March puts the leap day last, so each 400-year era is 146097 days and the
 * day of the year follows from the month by a linear formula.
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The year of a day counted from 1970-01-01 (the inverse, year only). */
static int64_t
year_from_days(int64_t z)
{
	int64_t	era, doe, yoe, doy, mp, y;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return mp >= 10 ? y + 1 : y;
}

/* 0 is Sunday; 1970-01-01 was a Thursday. */
static int
weekday_of(int64_t day)
{
	return (int)floor_mod(day + 4, 7);
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

/* --- The zone: offsets, and wall clock to UTC. ------------------------- */

/* The UTC offset in force at t (UTC seconds). */
static int32_t
zone_offset(const struct zone *z, int64_t t)
{
	size_t	lo = 0, hi = z->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->times[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? z->first_offset : z->offsets[lo - 1];
}

/*
 * The first instant (UTC seconds) at which the wall clock shows local or
 * later.  Segment k runs from times[k - 1] to times[k] at one offset, and
 * within it the wall clock rises with real time; the answer is in the first
 * segment whose wall clock reaches local before the segment ends:
 *
 *   wall  ^          /            a jump forward skips wall times: they
 *         |         /  /          map to the instant of the jump; a jump
 *         |   /    /  /           back repeats them: the first segment
 *         |  /  __/  /            to reach them wins
 *         +---------------> real
 *
 * No offset exceeds ZONE_MAX_OFFSET, so segments ending two days before
 * local cannot reach it and the scan starts there.
 */
static int64_t
zone_utc(const struct zone *z, int64_t local)
{
	int64_t	from = local - 2 * SECS_PER_DAY, u;
	size_t	lo = 0, hi = z->n, mid, k;
	int32_t	off;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->times[mid] <= from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = lo; ; k++) {
		off = k == 0 ? z->first_offset : z->offsets[k - 1];
		u = local - off;
		if (k == z->n || u < z->times[k]) {
			if (k > 0 && u < z->times[k - 1])
				u = z->times[k - 1];
			return u;
		}
	}
}

/*
 * Append a change of offset, dropping ones that change nothing; t is never
 * before the last change.  Two changes at one instant (a rule whose ends
 * meet) leave the later one, so times stay strictly ascending.
 */
static void
zone_push(struct zone *z, int64_t t, int32_t off)
{
	int32_t	last;

	if (z->n != 0 && t <= z->times[z->n - 1])
		z->n--;
	last = z->n == 0 ? z->first_offset : z->offsets[z->n - 1];
	if (off == last)
		return;
	z->times[z->n] = t;
	z->offsets[z->n] = off;
	z->n++;
}

static void
zone_clear(struct zone *z)
{
	free(z->times);
	free(z->offsets);
	memset(z, 0, sizeof *z);
}

/* --- POSIX TZ strings (the TZif footer). --------------------------------- */

/* "EST" or "<+08>": a designation, skipped. */
static const char *
posix_name(const char *p)
{
	const char	*q = p;

	if (*q == '<') {
		for (q++; *q != '\0' && *q != '>'; q++) {
			if (!((*q >= 'A' && *q <= 'Z') ||
			    (*q >= 'a' && *q <= 'z') ||
			    (*q >= '0' && *q <= '9') || *q == '+' || *q == '-'))
				return NULL;
		}
		if (*q != '>' || q - p < 4)
			return NULL;
		return q + 1;
	}
	while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z'))
		q++;
	return q - p < 3 ? NULL : q;
}

/* [+-]hh[:mm[:ss]] into seconds, hours at most max_hours. */
static const char *
posix_time(const char *p, int max_hours, int32_t *out)
{
	int	sign = 1, part[3] = { 0, 0, 0 }, i, digits;

	if (*p == '+' || *p == '-') {
		if (*p == '-')
			sign = -1;
		p++;
	}
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*p != ':')
				break;
			p++;
		}
		for (digits = 0; *p >= '0' && *p <= '9'; p++, digits++) {
			if (digits == 3)
				return NULL;
			part[i] = part[i] * 10 + (*p - '0');
		}
		if (digits == 0)
			return NULL;
	}
	if (part[0] > max_hours || part[1] > 59 || part[2] > 59)
		return NULL;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return p;
}

static const char *
posix_number(const char *p, int lo, int hi, int *out)
{
	int	v = 0, digits;

	for (digits = 0; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits == 3)
			return NULL;
		v = v * 10 + (*p - '0');
	}
	if (digits == 0 || v < lo || v > hi)
		return NULL;
	*out = v;
	return p;
}

/* Jn, n or Mm.w.d, then an optional /time (02:00 if absent). */
static const char *
posix_rule(const char *p, struct zone_rule *r)
{
	memset(r, 0, sizeof *r);
	if (*p == 'M') {
		r->kind = RULE_MONTH;
		if ((p = posix_number(p + 1, 1, 12, &r->month)) == NULL ||
		    *p != '.' ||
		    (p = posix_number(p + 1, 1, 5, &r->week)) == NULL ||
		    *p != '.' ||
		    (p = posix_number(p + 1, 0, 6, &r->wday)) == NULL)
			return NULL;
	} else if (*p == 'J') {
		r->kind = RULE_JULIAN1;
		if ((p = posix_number(p + 1, 1, 365, &r->day)) == NULL)
			return NULL;
	} else {
		r->kind = RULE_JULIAN0;
		if ((p = posix_number(p, 0, 365, &r->day)) == NULL)
			return NULL;
	}
	r->time = 2 * 3600;
	if (*p == '/')
		p = posix_time(p + 1, 167, &r->time);
	return p;
}

/* Parse a whole TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". */
static int
posix_parse(const char *s, struct zone_posix *tz)
{
	const char	*p;
	int32_t		 off;

	memset(tz, 0, sizeof *tz);
	if ((p = posix_name(s)) == NULL ||
	    (p = posix_time(p, 24, &off)) == NULL)
		return -1;
	tz->std_off = -off;
	if (*p == '\0')
		return 0;

	if ((p = posix_name(p)) == NULL)
		return -1;
	tz->has_dst = 1;
	tz->dst_off = tz->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = posix_time(p, 24, &off)) == NULL)
			return -1;
		tz->dst_off = -off;
	}
	if (*p == '\0') {
		/* No rule: POSIX leaves it to the system; zic uses US rules. */
		tz->start = (struct zone_rule){ RULE_MONTH, 3, 2, 0, 0, 7200 };
		tz->end = (struct zone_rule){ RULE_MONTH, 11, 1, 0, 0, 7200 };
		return 0;
	}
	if (*p != ',' || (p = posix_rule(p + 1, &tz->start)) == NULL ||
	    *p != ',' || (p = posix_rule(p + 1, &tz->end)) == NULL ||
	    *p != '\0')
		return -1;
	return 0;
}

/* The local day (since 1970-01-01) a rule names in year y. */
static int64_t
posix_rule_day(const struct zone_rule *r, int64_t y)
{
	int64_t	first, day;
	int	n;

	switch (r->kind) {
	case RULE_JULIAN1:
		/* Jn never counts February 29. */
		n = r->day - 1;
		if (is_leap(y) && n >= 59)
			n++;
		return days_from_civil(y, 1, 1) + n;
	case RULE_JULIAN0:
		return days_from_civil(y, 1, 1) + r->day;
	case RULE_MONTH:
		break;
	}
	first = days_from_civil(y, r->month, 1);
	day = first + floor_mod(r->wday - weekday_of(first), 7) +
	    (int64_t)(r->week - 1) * 7;
	while (day >= first + days_in_month(y, r->month))
		day -= 7;
	return day;
}

/*
 * Expand the footer's rule into explicit transitions after the file's last
 * one, year by year up to ZONE_RULE_END_YEAR.  z has room for them.
 */
static void
zone_expand(struct zone *z, const struct zone_posix *tz)
{
	int64_t	y, y0, last, s, e;

	if (!tz->has_dst) {
		/* The last transition already set the offset that stays. */
		if (z->n == 0)
			z->first_offset = tz->std_off;
		return;
	}
	last = z->n == 0 ? INT64_MIN : z->times[z->n - 1];
	y0 = ZONE_RULE_FIRST_YEAR;
	if (z->n != 0 && last > 0)
		y0 = year_from_days(floor_div(last, SECS_PER_DAY));
	if (y0 < ZONE_RULE_FIRST_YEAR)
		y0 = ZONE_RULE_FIRST_YEAR;
	if (z->n == 0)
		z->first_offset = tz->std_off;
	for (y = y0; y <= ZONE_RULE_END_YEAR; y++) {
		/* Each end is written in the local time in force before it. */
		s = posix_rule_day(&tz->start, y) * SECS_PER_DAY +
		    tz->start.time - tz->std_off;
		e = posix_rule_day(&tz->end, y) * SECS_PER_DAY +
		    tz->end.time - tz->dst_off;
		if (s < e) {
			if (s > last)
				zone_push(z, s, tz->dst_off);
			if (e > last)
				zone_push(z, e, tz->std_off);
		} else {
			/* Southern hemisphere: summer spans the new year. */
			if (e > last)
				zone_push(z, e, tz->std_off);
			if (s > last)
				zone_push(z, s, tz->dst_off);
		}
		if (z->n != 0)
			last = z->times[z->n - 1];
	}
}

/* --- TZif files (RFC 8536). ---------------------------------------------- */

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_header {
	uint32_t	 isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

/* Read a header at p; returns the size of the data block that follows. */
static int
tzif_header(const unsigned char *p, size_t left, size_t timesize,
    struct tzif_header *h, size_t *datalen)
{
	uint64_t	len;

	if (left < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	len = (uint64_t)h->timecnt * (timesize + 1) +
	    (uint64_t)h->typecnt * 6 + h->charcnt +
	    (uint64_t)h->leapcnt * (timesize + 4) + h->isstdcnt + h->isutcnt;
	if (len > left - 44)
		return -1;
	*datalen = (size_t)len;
	return 0;
}

/*
 * Fill z from a TZif image.  The 64-bit block of version 2+ files is used;
 * a version 1 file has only the 32-bit one, and no footer.  On failure,
 * *why says what is wrong.
 */
static int
tzif_parse(struct zone *z, const unsigned char *buf, size_t len,
    const char **why)
{
	struct tzif_header	 h;
	struct zone_posix	 tz;
	const unsigned char	*p, *times, *idx, *types, *end, *nl;
	size_t			 datalen, timesize = 4, i, room;
	char			 footer[128];
	int64_t			 t, prev = INT64_MIN;
	uint32_t		 k;
	int32_t			 off;
	int			 has_footer = 0;

	memset(z, 0, sizeof *z);
	*why = "is not a TZif file";
	if (len < 4 || memcmp(buf, "TZif", 4) != 0)
		return -1;
	*why = "is a damaged TZif file";
	if (tzif_header(buf, len, 4, &h, &datalen) != 0)
		return -1;
	p = buf;
	if (buf[4] >= '2') {
		p = buf + 44 + datalen;
		timesize = 8;
		if (tzif_header(p, len - (size_t)(p - buf), 8, &h,
		    &datalen) != 0)
			return -1;
		has_footer = 1;
	}
	if (h.typecnt == 0 || h.typecnt > 256 ||
	    (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) ||
	    (h.isutcnt != 0 && h.isutcnt != h.typecnt))
		return -1;
	if (h.leapcnt != 0) {
		*why = "counts leap seconds, which civil time does not; "
		    "use the zone without the right/ prefix";
		return -1;
	}
	times = p + 44;
	idx = times + (size_t)h.timecnt * timesize;
	types = idx + h.timecnt;
	end = p + 44 + datalen;

	for (i = 0; i < h.typecnt; i++) {
		off = (int32_t)be32(types + i * 6);
		if (off < -ZONE_MAX_OFFSET || off > ZONE_MAX_OFFSET ||
		    types[i * 6 + 4] > 1)
			return -1;
	}

	if (has_footer) {
		if (end >= buf + len || *end != '\n')
			return -1;
		nl = memchr(end + 1, '\n', len - (size_t)(end + 1 - buf));
		if (nl == NULL || (size_t)(nl - end - 1) >= sizeof footer)
			return -1;
		memcpy(footer, end + 1, (size_t)(nl - end - 1));
		footer[nl - end - 1] = '\0';
		if (footer[0] == '\0')
			has_footer = 0;
		else if (posix_parse(footer, &tz) != 0 ||
		    tz.std_off < -ZONE_MAX_OFFSET ||
		    tz.std_off > ZONE_MAX_OFFSET ||
		    tz.dst_off < -ZONE_MAX_OFFSET ||
		    tz.dst_off > ZONE_MAX_OFFSET) {
			*why = "ends with a TZ rule that cannot be read";
			return -1;
		}
	}

	room = (size_t)h.timecnt + 1 +
	    2 * (ZONE_RULE_END_YEAR - ZONE_RULE_FIRST_YEAR + 1);
	z->times = calloc(room, sizeof *z->times);
	z->offsets = calloc(room, sizeof *z->offsets);
	if (z->times == NULL || z->offsets == NULL) {
		*why = "cannot be loaded: out of memory";
		zone_clear(z);
		return -1;
	}
	/* RFC 8536: before the first transition, type 0 applies. */
	z->first_offset = (int32_t)be32(types);
	for (i = 0; i < h.timecnt; i++) {
		t = timesize == 8 ? be64(times + i * 8) :
		    (int32_t)be32(times + i * 4);
		k = idx[i];
		if (t <= prev || k >= h.typecnt) {
			zone_clear(z);
			return -1;
		}
		prev = t;
		zone_push(z, t, (int32_t)be32(types + k * 6));
	}
	if (has_footer)
		zone_expand(z, &tz);
	return 0;
}

/* IANA names only: nothing that could leave the zone directory. */
static int
zone_name_ok(const char *name)
{
	const char	*p;
	size_t		 len = strlen(name);

	if (len == 0 || len > ZONE_MAX_NAME || name[0] == '/' ||
	    strstr(name, "..") != NULL)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '/' || *p == '_' ||
		    *p == '-' || *p == '+' || *p == '.'))
			return 0;
	}
	return 1;
}

static int
zone_load(struct zone *z, const char *name, char *err, size_t errlen)
{
	const char	*dir, *why;
	char		 path[4096];
	unsigned char	*buf;
	struct stat	 st;
	ssize_t		 n;
	size_t		 len;
	int		 fd, rc;

	memset(z, 0, sizeof *z);
	if (!zone_name_ok(name)) {
		calendar_error(err, errlen, "invalid time zone name '%s': "
		    "expected an IANA name such as Europe/Berlin or UTC", name);
		return -1;
	}
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = ZONE_DIR;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >=
	    sizeof path) {
		calendar_error(err, errlen, "unknown time zone '%s': "
		    "the path under %s is too long", name, dir);
		return -1;
	}

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			/* UTC needs no file; a minimal system may lack it. */
			if (strcmp(name, "UTC") == 0 ||
			    strcmp(name, "Etc/UTC") == 0)
				return 0;
			calendar_error(err, errlen, "unknown time zone '%s': "
			    "no such zone in %s", name, dir);
		} else
			calendar_error(err, errlen, "cannot read time zone "
			    "'%s' from %s: %s", name, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		calendar_error(err, errlen, "unknown time zone '%s': %s is not "
		    "a zone file", name, path);
		close(fd);
		return -1;
	}
	if (st.st_size > ZONE_MAX_FILE) {
		calendar_error(err, errlen, "unknown time zone '%s': %s is "
		    "too large for a TZif file", name, path);
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		calendar_error(err, errlen, "cannot load time zone '%s': "
		    "out of memory", name);
		close(fd);
		return -1;
	}
	for (len = 0; len < (size_t)st.st_size; len += (size_t)n) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
	if (len < (size_t)st.st_size) {
		calendar_error(err, errlen, "cannot read time zone '%s' from "
		    "%s: %s", name, path, n == 0 ? "short read" :
		    strerror(errno));
		free(buf);
		close(fd);
		return -1;
	}
	close(fd);

	rc = tzif_parse(z, buf, len, &why);
	free(buf);
	if (rc != 0)
		calendar_error(err, errlen, "unknown time zone '%s': %s %s",
		    name, path, why);
	return rc;
}

/* --- Building a calendar. ------------------------------------------------ */

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
	if ((cal = calloc(1, sizeof *cal)) == NULL ||
	    (cal->name = strdup(name)) == NULL ||
	    (cal->timezone = strdup(timezone)) == NULL) {
		calendar_error(err, errlen, "cannot create calendar '%s': "
		    "out of memory", name);
		calendar_free(cal);
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
	    day > days_in_month(year, month)) {
		calendar_error(err, errlen, "holiday %04d-%02d-%02d is not a "
		    "date (expected YYYY-MM-DD)", year, month, day);
		return -1;
	}
	d = days_from_civil(year, month, day);
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

	if ((cal = calloc(1, sizeof *cal)) == NULL ||
	    (cal->name = strdup("always")) == NULL ||
	    (cal->timezone = strdup("UTC")) == NULL) {
		calendar_free(cal);
		return NULL;
	}
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
	int64_t	s = floor_div(t, 1000);

	return floor_div(s + zone_offset(&cal->zone, s), SECS_PER_DAY);
}

/*
 * The working intervals of one local day as UTC ms, ascending; returns how
 * many.  Days follow each other without overlap, since the wall clock to
 * UTC mapping never goes backwards.
 */
static int
calendar_day(const struct calendar *cal, int64_t day,
    int64_t iv[CAL_MAX_WINDOWS][2])
{
	const struct window	*w;
	int64_t			 base = day * SECS_PER_DAY;
	int			 wd = weekday_of(day), i, n;

	n = cal->nwindows[wd];
	if (n == 0 || (cal->nholidays != 0 && calendar_is_holiday(cal, day)))
		return 0;
	for (i = 0; i < n; i++) {
		w = &cal->windows[wd][i];
		iv[i][0] = zone_utc(&cal->zone, base + w->start * 60) * 1000;
		iv[i][1] = zone_utc(&cal->zone, base + w->end * 60) * 1000;
	}
	return n;
}

int64_t
calendar_deadline(const struct calendar *cal, int64_t start_ms,
    int64_t business_ms)
{
	int64_t	iv[CAL_MAX_WINDOWS][2], t, limit, left, day, last, a, b;
	int	i, n;

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
		n = calendar_day(cal, day, iv);
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
	int64_t	iv[CAL_MAX_WINDOWS][2], from, to, day, last, a, b;
	int64_t	sum = 0;
	int	i, n;

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
		n = calendar_day(cal, day, iv);
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
