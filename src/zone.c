/*
 * zone.c - a time zone's UTC offsets over time, read from its TZif file
 * (pure: no tzset(), no localtime(), no TZ variable; see zone.h).
 *
 * The file's transitions are taken as they are; its POSIX TZ footer is
 * expanded into explicit transitions up to ZONE_RULE_END_YEAR, so the hot
 * path is a binary search in one table.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "civil.h"
#include "zone.h"

#define SECS_PER_DAY		86400
#define ZONE_DIR		"/usr/share/zoneinfo"
#define ZONE_MAX_NAME		255
#define ZONE_MAX_FILE		(1024 * 1024)
#define ZONE_MAX_OFFSET		(26 * 3600)
#define ZONE_RULE_FIRST_YEAR	1900


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

static void	zone_error(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
zone_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- The zone: offsets, and wall clock to UTC. ------------------------- */

/* The UTC offset in force at t (UTC seconds). */
int32_t
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
int64_t
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

void
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
		if (civil_is_leap(y) && n >= 59)
			n++;
		return civil_days_from_date(y, 1, 1) + n;
	case RULE_JULIAN0:
		return civil_days_from_date(y, 1, 1) + r->day;
	case RULE_MONTH:
		break;
	}
	first = civil_days_from_date(y, r->month, 1);
	day = first + civil_floor_mod(r->wday - civil_weekday(first), 7) +
	    (int64_t)(r->week - 1) * 7;
	while (day >= first + civil_days_in_month(y, r->month))
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
		y0 = civil_year_from_days(civil_floor_div(last, SECS_PER_DAY));
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

int
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
		zone_error(err, errlen, "invalid time zone name '%s': "
		    "expected an IANA name such as Europe/Berlin or UTC", name);
		return -1;
	}
	if ((dir = getenv("TZDIR")) == NULL || *dir == '\0')
		dir = ZONE_DIR;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >=
	    sizeof path) {
		zone_error(err, errlen, "unknown time zone '%s': "
		    "the path under %s is too long", name, dir);
		return -1;
	}

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			/* UTC needs no file; a minimal system may lack it. */
			if (strcmp(name, "UTC") == 0 ||
			    strcmp(name, "Etc/UTC") == 0)
				return 0;
			zone_error(err, errlen, "unknown time zone '%s': "
			    "no such zone in %s", name, dir);
		} else
			zone_error(err, errlen, "cannot read time zone "
			    "'%s' from %s: %s", name, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		zone_error(err, errlen, "unknown time zone '%s': %s is not "
		    "a zone file", name, path);
		close(fd);
		return -1;
	}
	if (st.st_size > ZONE_MAX_FILE) {
		zone_error(err, errlen, "unknown time zone '%s': %s is "
		    "too large for a TZif file", name, path);
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		zone_error(err, errlen, "cannot load time zone '%s': "
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
		zone_error(err, errlen, "cannot read time zone '%s' from "
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
		zone_error(err, errlen, "unknown time zone '%s': %s %s",
		    name, path, why);
	return rc;
}

/* --- Building a calendar. ------------------------------------------------ */
