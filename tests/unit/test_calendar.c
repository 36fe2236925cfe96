/*
 * test_calendar.c - business-time arithmetic against instants worked out by
 * hand.
 *
 * Every expected instant below was derived independently of calendar.c:
 * reasoned out in local time, then converted with the system's date(1) and
 * zdump(8) (e.g. TZ=Asia/Shanghai date -d '2026-03-02 10:00' +%s); each is
 * written next to its UTC reading.  The random tests compare against an
 * oracle that walks 15-minute slots with the C library's localtime_r().
 */

#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "calendar.h"

#define MIN		60000LL
#define HOUR		3600000LL

#define SUN		(1u << 0)
#define MON		(1u << 1)
#define TUE		(1u << 2)
#define WED		(1u << 3)
#define THU		(1u << 4)
#define FRI		(1u << 5)
#define SAT		(1u << 6)
#define MON_FRI		(MON | TUE | WED | THU | FRI)

static char	err[256];

static void
add_window(struct calendar *cal, unsigned days, int start, int end)
{
	assert_int_equal(calendar_add_window(cal, days, start, end, err,
	    sizeof err), 0);
}

static void
add_holiday(struct calendar *cal, int y, int m, int d)
{
	assert_int_equal(calendar_add_holiday(cal, y, m, d, err, sizeof err),
	    0);
}

static struct calendar *
new_calendar(const char *zone)
{
	struct calendar	*cal;

	cal = calendar_new("test", zone, err, sizeof err);
	if (cal == NULL)
		fail_msg("calendar_new(%s): %s", zone, err);
	return cal;
}

/* The sample cn_office: mon-fri 09:00-18:00, sat 10:00-14:00, Shanghai. */
static struct calendar *
cn_office(void)
{
	struct calendar	*cal = new_calendar("Asia/Shanghai");

	add_window(cal, MON_FRI, 9 * 60, 18 * 60);
	add_window(cal, SAT, 10 * 60, 14 * 60);
	return cal;
}

static void
test_office_hours_same_day(void **state)
{
	struct calendar	*cal = cn_office();

	/* Mon 2026-03-02 10:00 CST (02:00Z) + 1h = 11:00 CST (03:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772416800000, HOUR),
	    1772420400000);
	assert_int_equal(calendar_elapsed(cal, 1772416800000, 1772420400000),
	    HOUR);
	/* 08:00 CST (00:00Z) to 20:00 CST (12:00Z): the 9 office hours. */
	assert_int_equal(calendar_elapsed(cal, 1772409600000, 1772452800000),
	    9 * HOUR);
	assert_int_equal(calendar_elapsed(cal, 1772452800000, 1772409600000),
	    0);
	assert_string_equal(calendar_name(cal), "test");
	assert_string_equal(calendar_timezone(cal), "Asia/Shanghai");
	calendar_free(cal);
}

static void
test_request_at_night(void **state)
{
	struct calendar	*cal = cn_office();

	/* Mon 22:00 CST (14:00Z): counts from Tue 09:00, due 10:00 (02:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772460000000, HOUR),
	    1772503200000);
	/* Tue 06:00 CST (Mon 22:00Z): the same. */
	assert_int_equal(calendar_deadline(cal, 1772488800000, HOUR),
	    1772503200000);
	/* Nothing works between Mon 22:00 and Tue 06:00. */
	assert_int_equal(calendar_elapsed(cal, 1772460000000, 1772488800000),
	    0);
	calendar_free(cal);
}

static void
test_request_on_weekend(void **state)
{
	struct calendar	*cal = cn_office();

	/* Sat 2026-03-07 15:00 CST (07:00Z), after the Saturday window:
	 * Mon 2026-03-09 09:00 + 2h = 11:00 CST (03:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772866800000, 2 * HOUR),
	    1773025200000);
	/* Sat 12:00 CST (04:00Z) + 3h: 2h on Saturday, 1h on Monday,
	 * due Mon 10:00 CST (02:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772856000000, 3 * HOUR),
	    1773021600000);
	/* Sun 2026-03-08 12:00 CST (04:00Z) + 1h = Mon 10:00 CST. */
	assert_int_equal(calendar_deadline(cal, 1772942400000, HOUR),
	    1773021600000);
	calendar_free(cal);
}

static void
test_24h_target_spans_days(void **state)
{
	struct calendar	*cal = cn_office();

	/* Mon 10:00 CST: 8h Mon + 9h Tue + 7h Wed, due Wed 2026-03-04
	 * 16:00 CST (08:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772416800000, 24 * HOUR),
	    1772611200000);
	assert_int_equal(calendar_elapsed(cal, 1772416800000, 1772611200000),
	    24 * HOUR);
	/* Fri 2026-03-06 09:00 CST (01:00Z): 9h Fri + 4h Sat + 9h Mon + 2h
	 * Tue, due Tue 2026-03-10 11:00 CST (03:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772758800000, 24 * HOUR),
	    1773111600000);
	calendar_free(cal);
}

static void
test_holidays(void **state)
{
	struct calendar	*cal = cn_office();

	add_holiday(cal, 2026, 10, 1);
	add_holiday(cal, 2026, 10, 2);
	add_holiday(cal, 2026, 10, 3);
	add_holiday(cal, 2026, 10, 2);		/* twice is once */

	/* Wed 2026-09-30 17:00 CST (09:00Z) + 2h: 1h on Wednesday; Thu-Sat
	 * are holidays, Sunday is off; due Mon 2026-10-05 10:00 CST
	 * (02:00Z). */
	assert_int_equal(calendar_deadline(cal, 1790758800000, 2 * HOUR),
	    1791165600000);
	/* Wed 18:00 CST to Mon 09:00 CST: no working time. */
	assert_int_equal(calendar_elapsed(cal, 1790762400000, 1791162000000),
	    0);
	/* Wed 09:00 to Mon 18:00: two whole office days. */
	assert_int_equal(calendar_elapsed(cal, 1790730000000, 1791194400000),
	    18 * HOUR);
	calendar_free(cal);

	/* Without the holidays the Thursday counts: due Thu 10:00 CST. */
	cal = cn_office();
	assert_int_equal(calendar_deadline(cal, 1790758800000, 2 * HOUR),
	    1790758800000 + 17 * HOUR);
	calendar_free(cal);
}

static void
test_year_end(void **state)
{
	struct calendar	*cal = cn_office();

	add_holiday(cal, 2027, 1, 1);
	/* Thu 2026-12-31 17:00 CST (09:00Z) + 2h: 1h on Thursday, New
	 * Year's Day off, Sat 2027-01-02 10:00 + 1h = 11:00 CST (03:00Z). */
	assert_int_equal(calendar_deadline(cal, 1798707600000, 2 * HOUR),
	    1798858800000);
	assert_int_equal(calendar_elapsed(cal, 1798707600000, 1798858800000),
	    2 * HOUR);
	calendar_free(cal);

	/* Without the holiday: Fri 2027-01-01 10:00 CST (02:00Z). */
	cal = cn_office();
	assert_int_equal(calendar_deadline(cal, 1798707600000, 2 * HOUR),
	    1798768800000);
	calendar_free(cal);
}

static void
test_several_windows(void **state)
{
	struct calendar	*cal = new_calendar("Asia/Shanghai");

	add_window(cal, MON_FRI, 9 * 60, 12 * 60);
	add_window(cal, MON_FRI, 13 * 60, 18 * 60);
	/* Mon 2026-03-02 11:00 CST (03:00Z) + 2h: 1h to lunch, 1h after,
	 * due 14:00 CST (06:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772420400000, 2 * HOUR),
	    1772431200000);
	/* + 1h lands on the lunch break: due when the window closes, 12:00
	 * CST (04:00Z), not when the next one opens. */
	assert_int_equal(calendar_deadline(cal, 1772420400000, HOUR),
	    1772424000000);
	/* Starting in the lunch break counts from 13:00 CST (05:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772424000000, 30 * MIN),
	    1772424000000 + 90 * MIN);
	/* 08:00 to 20:00 CST: 3h + 5h. */
	assert_int_equal(calendar_elapsed(cal, 1772409600000, 1772452800000),
	    8 * HOUR);

	/* An overlapping window on Monday merges: 09:00-12:30, 13:00-18:00.
	 * 11:00 + 2h = 1.5h to 12:30, then 13:00 + 0.5h = 13:30 CST
	 * (05:30Z). */
	add_window(cal, MON, 11 * 60, 12 * 60 + 30);
	assert_int_equal(calendar_deadline(cal, 1772420400000, 2 * HOUR),
	    1772429400000);
	assert_int_equal(calendar_elapsed(cal, 1772409600000, 1772452800000),
	    8 * HOUR + 30 * MIN);

	/* A touching window closes the gap: 09:00-18:00 straight. */
	add_window(cal, MON, 12 * 60 + 30, 13 * 60);
	assert_int_equal(calendar_elapsed(cal, 1772409600000, 1772452800000),
	    9 * HOUR);
	/* Tuesday kept its lunch break: Tue 08:00 to 20:00 CST. */
	assert_int_equal(calendar_elapsed(cal, 1772409600000 + 24 * HOUR,
	    1772452800000 + 24 * HOUR), 8 * HOUR);
	calendar_free(cal);
}

static void
test_new_york_office_dst(void **state)
{
	struct calendar	*cal = new_calendar("America/New_York");

	add_window(cal, MON_FRI, 9 * 60, 17 * 60);
	/* Fri 2026-03-06 16:00 EST (21:00Z) + 2h: 1h Friday, then after the
	 * spring-forward weekend Mon 2026-03-09 10:00 EDT (14:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772830800000, 2 * HOUR),
	    1773064800000);
	/* Fri 2026-10-30 16:00 EDT (20:00Z) + 2h: after the fall-back
	 * weekend Mon 2026-11-02 10:00 EST (15:00Z). */
	assert_int_equal(calendar_deadline(cal, 1793390400000, 2 * HOUR),
	    1793631600000);
	assert_int_equal(calendar_elapsed(cal, 1793390400000, 1793631600000),
	    2 * HOUR);
	calendar_free(cal);
}

static void
test_new_york_windows_across_jumps(void **state)
{
	struct calendar	*cal;

	/* All of Sunday: 2026-03-08 is 23 real hours (05:00Z to 04:00Z),
	 * 2026-11-01 is 25 (04:00Z to 05:00Z). */
	cal = new_calendar("America/New_York");
	add_window(cal, SUN, 0, 24 * 60);
	assert_int_equal(calendar_elapsed(cal, 1772946000000 - 6 * HOUR,
	    1773028800000 + 6 * HOUR), 23 * HOUR);
	assert_int_equal(calendar_elapsed(cal, 1793505600000 - 6 * HOUR,
	    1793595600000 + 6 * HOUR), 25 * HOUR);
	/* 24 working hours from Sun 2026-03-08 00:00 EST: 23 that Sunday,
	 * then the next Sunday 2026-03-15 00:00 EDT (04:00Z) + 1h. */
	assert_int_equal(calendar_deadline(cal, 1772946000000, 24 * HOUR),
	    1773028800000 + 6 * 24 * HOUR + HOUR);
	calendar_free(cal);

	/* Sun 01:00-04:00 spans the jump: 01:00 EST (06:00Z) to 04:00 EDT
	 * (08:00Z) is 2 real hours; in the fall 01:00 EDT (05:00Z) to
	 * 04:00 EST (09:00Z) is 4. */
	cal = new_calendar("America/New_York");
	add_window(cal, SUN, 60, 4 * 60);
	assert_int_equal(calendar_elapsed(cal, 1772946000000,
	    1773028800000), 2 * HOUR);
	/* From Sat 12:00 EST: the 2 hours end exactly at 04:00 EDT. */
	assert_int_equal(calendar_deadline(cal, 1772902800000, 2 * HOUR),
	    1772956800000);
	assert_int_equal(calendar_deadline(cal, 1772902800000, HOUR),
	    1772953200000);
	assert_int_equal(calendar_elapsed(cal, 1793505600000,
	    1793595600000), 4 * HOUR);
	/* Sat 2026-10-31 12:00 EDT (16:00Z) + 3h: 01:00 EDT (05:00Z) + 3h =
	 * 08:00Z, which the clock calls 03:00 EST. */
	assert_int_equal(calendar_deadline(cal, 1793462400000, 3 * HOUR),
	    1793520000000);
	calendar_free(cal);

	/* A window opening at 02:30, a time 2026-03-08 skips: it opens at
	 * the jump, 03:00 EDT (07:00Z), and closes at 05:00 EDT (09:00Z). */
	cal = new_calendar("America/New_York");
	add_window(cal, SUN, 150, 5 * 60);
	assert_int_equal(calendar_elapsed(cal, 1772946000000,
	    1773028800000), 2 * HOUR);
	assert_int_equal(calendar_deadline(cal, 1772902800000, HOUR),
	    1772953200000 + HOUR);
	calendar_free(cal);

	/* A window opening at 01:30, a time 2026-11-01 repeats: it opens at
	 * the first 01:30 (EDT, 05:30Z) and closes at 02:00 EST (07:00Z). */
	cal = new_calendar("America/New_York");
	add_window(cal, SUN, 90, 120);
	assert_int_equal(calendar_elapsed(cal, 1793505600000,
	    1793595600000), 90 * MIN);
	assert_int_equal(calendar_deadline(cal, 1793462400000, MIN),
	    1793511000000 + MIN);
	calendar_free(cal);
}

static void
test_berlin_24x7_dst(void **state)
{
	struct calendar	*cal;
	int		 walk;

	/* Twice: once 24x7 outright, once with a far holiday that makes the
	 * calendar walk its days. */
	for (walk = 0; walk < 2; walk++) {
		cal = new_calendar("Europe/Berlin");
		add_window(cal, CALENDAR_ALL_DAYS, 0, 24 * 60);
		if (walk)
			add_holiday(cal, 2030, 1, 1);
		/* Sat 2026-03-28 12:00 CET (11:00Z) + 48h = Mon 2026-03-30
		 * 13:00 CEST (11:00Z): 48 real hours. */
		assert_int_equal(calendar_deadline(cal, 1774695600000,
		    48 * HOUR), 1774868400000);
		/* Sat 2026-10-24 12:00 CEST (10:00Z) + 48h = Mon 2026-10-26
		 * 11:00 CET (10:00Z). */
		assert_int_equal(calendar_deadline(cal, 1792836000000,
		    48 * HOUR), 1793008800000);
		/* Sun 2026-03-29 is 23 hours long, 2026-10-25 is 25. */
		assert_int_equal(calendar_elapsed(cal, 1774738800000,
		    1774821600000), 23 * HOUR);
		assert_int_equal(calendar_elapsed(cal, 1792879200000,
		    1792969200000), 25 * HOUR);
		calendar_free(cal);
	}
}

static void
test_berlin_office_dst(void **state)
{
	struct calendar	*cal;

	cal = new_calendar("Europe/Berlin");
	add_window(cal, MON_FRI, 9 * 60, 17 * 60);
	/* Fri 2026-03-27 16:00 CET (15:00Z) + 2h = Mon 2026-03-30 10:00
	 * CEST (08:00Z). */
	assert_int_equal(calendar_deadline(cal, 1774623600000, 2 * HOUR),
	    1774857600000);
	/* Fri 2026-10-23 16:00 CEST (14:00Z) + 2h = Mon 2026-10-26 10:00
	 * CET (09:00Z). */
	assert_int_equal(calendar_deadline(cal, 1792764000000, 2 * HOUR),
	    1793005200000);
	/* Monday to Monday across the change is still 5 x 8 hours. */
	assert_int_equal(calendar_elapsed(cal, 1774857600000 - 7 * 24 * HOUR,
	    1774857600000 - HOUR), 40 * HOUR);
	calendar_free(cal);

	/* A Sunday night shift 00:00-06:00 spanning the jumps: 2026-03-29
	 * from 00:00 CET (Sat 23:00Z) to 06:00 CEST (04:00Z) is 5 hours;
	 * 2026-10-25 from 00:00 CEST (Sat 22:00Z) to 06:00 CET (05:00Z) is
	 * 7. */
	cal = new_calendar("Europe/Berlin");
	add_window(cal, SUN, 0, 6 * 60);
	assert_int_equal(calendar_elapsed(cal, 1774695600000,
	    1774857600000), 5 * HOUR);
	assert_int_equal(calendar_elapsed(cal, 1792836000000,
	    1793005200000), 7 * HOUR);
	/* 4 working hours from the shift's start: 03:00Z (05:00 CEST) in
	 * the spring, 02:00Z (03:00 CET) in the fall. */
	assert_int_equal(calendar_deadline(cal, 1774738800000, 4 * HOUR),
	    1774753200000);
	assert_int_equal(calendar_deadline(cal, 1792879200000, 4 * HOUR),
	    1792893600000);
	calendar_free(cal);
}

/* The real length of one window, from a calendar with only that window. */
static int64_t
window_length(const char *zone, unsigned day, int start, int end,
    int64_t from, int64_t to)
{
	struct calendar	*cal = new_calendar(zone);
	int64_t		 len;

	add_window(cal, day, start, end);
	len = calendar_elapsed(cal, from, to);
	calendar_free(cal);
	return len;
}

static int64_t
sunday_length(const char *zone, int64_t from, int64_t to)
{
	return window_length(zone, SUN, 0, 24 * 60, from, to);
}

static void
test_rules_beyond_last_transition(void **state)
{
	/* 2100 is past every transition in the files: the TZ footer rules
	 * (zdump -v -c 2100,2101 shows the same changes). */
	/* New York: Sun 2100-03-14 and Sun 2100-11-07, in Sat-Tue ranges. */
	assert_int_equal(sunday_length("America/New_York", 4108579200000,
	    4108838400000), 23 * HOUR);
	assert_int_equal(sunday_length("America/New_York", 4129142400000,
	    4129401600000), 25 * HOUR);
	/* Berlin: Sun 2100-03-28 and Sun 2100-10-31. */
	assert_int_equal(sunday_length("Europe/Berlin", 4109788800000,
	    4110048000000), 23 * HOUR);
	assert_int_equal(sunday_length("Europe/Berlin", 4128537600000,
	    4128796800000), 25 * HOUR);
	/* Sydney, where summer spans the new year: Sun 2100-04-04 gains
	 * an hour, Sun 2100-10-03 loses one. */
	assert_int_equal(sunday_length("Australia/Sydney", 4110307200000,
	    4110652800000), 25 * HOUR);
	assert_int_equal(sunday_length("Australia/Sydney", 4126032000000,
	    4126377600000), 23 * HOUR);
	/* The instants of the jumps, through windows ending near them:
	 * New York springs forward at 07:00Z, so 00:00-03:00 EST/EDT is
	 * 05:00Z-07:00Z; it falls back at 06:00Z, so 00:00 EDT to 02:00 EST
	 * is 04:00Z-07:00Z.  Berlin jumps at 01:00Z: 00:00 CET to 04:00 CEST
	 * is 23:00Z-02:00Z, 00:00 CEST to 03:00 CET is 22:00Z-02:00Z. */
	assert_int_equal(window_length("America/New_York", SUN, 0, 180,
	    4108579200000, 4108838400000), 2 * HOUR);
	assert_int_equal(window_length("America/New_York", SUN, 0, 120,
	    4129142400000, 4129401600000), 3 * HOUR);
	assert_int_equal(window_length("Europe/Berlin", SUN, 0, 240,
	    4109788800000, 4110048000000), 3 * HOUR);
	assert_int_equal(window_length("Europe/Berlin", SUN, 0, 180,
	    4128537600000, 4128796800000), 4 * HOUR);
	/* Shanghai has no DST: a plain 24 hours. */
	assert_int_equal(sunday_length("Asia/Shanghai", 4108579200000,
	    4108838400000), 24 * HOUR);
}

static void
put32(FILE *f, uint32_t v)
{
	unsigned char	b[4] = { v >> 24, v >> 16, v >> 8, v };

	assert_int_equal(fwrite(b, 1, 4, f), 4);
}

/*
 * A version 2 TZif file (RFC 8536) with no transitions and one type, so all
 * of its rules come from the footer.
 */
static void
write_tzif(const char *path, int32_t utoff, const char *footer)
{
	FILE	*f;
	int	 block, i;

	assert_non_null(f = fopen(path, "w"));
	for (block = 0; block < 2; block++) {
		fputs("TZif2", f);
		for (i = 0; i < 15; i++)
			fputc(0, f);
		put32(f, 0);		/* isutcnt */
		put32(f, 0);		/* isstdcnt */
		put32(f, 0);		/* leapcnt */
		put32(f, 0);		/* timecnt */
		put32(f, 1);		/* typecnt */
		put32(f, 4);		/* charcnt */
		put32(f, (uint32_t)utoff);
		fputc(0, f);		/* isdst */
		fputc(0, f);		/* desigidx */
		fwrite("ZZZ", 1, 4, f);
	}
	fprintf(f, "\n%s\n", footer);
	assert_int_equal(fclose(f), 0);
}

/* Due one minute into a daily 12:00-12:01 window: local noon + 1 min. */
static int64_t
noon(struct calendar *cal, int64_t from)
{
	return calendar_deadline(cal, from, MIN);
}

static struct calendar *
noon_calendar(const char *zone)
{
	struct calendar	*cal = new_calendar(zone);

	add_window(cal, CALENDAR_ALL_DAYS, 12 * 60, 12 * 60 + 1);
	return cal;
}

static char	tzdir[64];

/* Files the footer test writes into its own TZDIR. */
static const char *const tzdir_files[] = {
	"Test/US", "Test/CET", "Test/Nuuk", "Test/J", "Test/N",
	"Test/Tehran", "Test/Bad", "Test/Text", "Test/Midnight"
};

static int
make_tzdir(void **state)
{
	char	path[256];

	snprintf(tzdir, sizeof tzdir, "/tmp/test_calendar.XXXXXX");
	if (mkdtemp(tzdir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/Test", tzdir);
	if (mkdir(path, 0700) != 0)
		return -1;
	setenv("TZDIR", tzdir, 1);
	return 0;
}

/* A teardown, so a failed test leaves neither files nor TZDIR behind. */
static int
remove_tzdir(void **state)
{
	char	path[256];
	size_t	i;

	for (i = 0; i < sizeof tzdir_files / sizeof tzdir_files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", tzdir, tzdir_files[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/Test", tzdir);
	rmdir(path);
	rmdir(tzdir);
	unsetenv("TZDIR");
	return 0;
}

static void
test_footer_only_zones(void **state)
{
	struct calendar	*cal;
	char		 path[256];
	FILE		*f;

	snprintf(path, sizeof path, "%s/Test/US", tzdir);
	write_tzif(path, -5 * 3600, "EST5EDT,M3.2.0,M11.1.0");
	snprintf(path, sizeof path, "%s/Test/CET", tzdir);
	write_tzif(path, 3600, "CET-1CEST,M3.5.0,M10.5.0/3");
	snprintf(path, sizeof path, "%s/Test/Nuuk", tzdir);
	write_tzif(path, -3 * 3600, "<-03>3<-02>,M3.1.0/-2,M10.5.0/26");
	snprintf(path, sizeof path, "%s/Test/J", tzdir);
	write_tzif(path, 0, "AAA0BBB,J60/0,J300/0");
	snprintf(path, sizeof path, "%s/Test/N", tzdir);
	write_tzif(path, 0, "AAA0BBB,59/0,299/0");
	snprintf(path, sizeof path, "%s/Test/Tehran", tzdir);
	write_tzif(path, 12600, "<+0330>-3:30");
	snprintf(path, sizeof path, "%s/Test/Midnight", tzdir);
	write_tzif(path, -3 * 3600, "AAA3BBB,M3.2.0,M11.1.0/0:30");
	snprintf(path, sizeof path, "%s/Test/Bad", tzdir);
	write_tzif(path, 0, "EST5EDT,M13.1.0,M11.1.0");
	snprintf(path, sizeof path, "%s/Test/Text", tzdir);
	assert_non_null(f = fopen(path, "w"));
	fputs("Europe/Berlin\n", f);
	fclose(f);

	/* US rules, 2026: noon is 17:00Z on Sat 03-07, 16:00Z on Mon 03-09,
	 * 16:00Z on Sat 10-31, 17:00Z on Mon 11-02. */
	cal = noon_calendar("Test/US");
	assert_int_equal(noon(cal, 1772841600000), 1772902860000);
	assert_int_equal(noon(cal, 1773014400000), 1773072060000);
	assert_int_equal(noon(cal, 1793404800000), 1793462460000);
	assert_int_equal(noon(cal, 1793577600000), 1793638860000);
	calendar_free(cal);

	/* EU rules: 11:00Z Sat 03-28, 10:00Z Mon 03-30, 10:00Z Sat 10-24,
	 * 11:00Z Mon 10-26. */
	cal = noon_calendar("Test/CET");
	assert_int_equal(noon(cal, 1774656000000), 1774695660000);
	assert_int_equal(noon(cal, 1774828800000), 1774864860000);
	assert_int_equal(noon(cal, 1792800000000), 1792836060000);
	assert_int_equal(noon(cal, 1792972800000), 1793012460000);
	calendar_free(cal);

	/* Negative and over-24h rule times (zdump: summer from 2026-03-01
	 * 01:00Z to 2026-10-26 04:00Z): noon is 15:00Z Sat 02-28, 14:00Z
	 * Sun 03-01, 14:00Z Sun 10-25, 15:00Z Mon 10-26. */
	cal = noon_calendar("Test/Nuuk");
	assert_int_equal(noon(cal, 1772236800000), 1772290860000);
	assert_int_equal(noon(cal, 1772323200000), 1772373660000);
	assert_int_equal(noon(cal, 1792886400000), 1792936860000);
	assert_int_equal(noon(cal, 1792972800000), 1793026860000);
	calendar_free(cal);
	/* Sat 2026-02-28 21:00-24:00 loses its 22:00-23:00 (-03 to -02):
	 * 00:00Z to 02:00Z.  Mon 2026-10-26 00:00-02:30: the clock reaches
	 * 02:00 (-02) at 04:00Z and goes back to 01:00, so 02:30 is first
	 * shown at 05:30Z (-03): 02:00Z to 05:30Z. */
	assert_int_equal(window_length("Test/Nuuk", SAT, 21 * 60, 24 * 60,
	    1772236800000 - 24 * HOUR, 1772323200000 + 24 * HOUR), 2 * HOUR);
	assert_int_equal(window_length("Test/Nuuk", MON, 0, 150,
	    1792886400000, 1792972800000 + 36 * HOUR), 3 * HOUR + 30 * MIN);

	/* Jn skips February 29, n counts it (2028 is a leap year): J60 is
	 * March 1 and J300 October 27; 59 is February 29 and 299 October
	 * 26.  Noon is 12:00Z in winter, 11:00Z in summer. */
	cal = noon_calendar("Test/J");
	assert_int_equal(noon(cal, 1835395200000), 1835438460000);
	assert_int_equal(noon(cal, 1835481600000), 1835521260000);
	assert_int_equal(noon(cal, 1856131200000), 1856170860000);
	assert_int_equal(noon(cal, 1856217600000), 1856260860000);
	calendar_free(cal);
	cal = noon_calendar("Test/N");
	assert_int_equal(noon(cal, 1835308800000), 1835352060000);
	assert_int_equal(noon(cal, 1835395200000), 1835434860000);
	assert_int_equal(noon(cal, 1856044800000), 1856084460000);
	assert_int_equal(noon(cal, 1856131200000), 1856174460000);
	calendar_free(cal);

	/* Falling back across midnight: at Sun 2026-11-01 00:30 BBB (02:30Z)
	 * the clock goes back to Sat 23:30 AAA.  Sunday's 00:00-01:00 opens
	 * at the first Sunday 00:00 (02:00Z) and closes at 01:00 AAA
	 * (04:00Z); an instant of the repeated Saturday evening, 02:45Z
	 * (23:45 AAA), is inside it. */
	cal = new_calendar("Test/Midnight");
	add_window(cal, SUN, 0, 60);
	assert_int_equal(calendar_elapsed(cal, 1793448000000,
	    1793505600000 + 24 * HOUR), 2 * HOUR);
	assert_int_equal(calendar_elapsed(cal, 1793448000000, 1793501100000),
	    45 * MIN);
	assert_int_equal(calendar_deadline(cal, 1793448000000, 45 * MIN),
	    1793501100000);
	assert_int_equal(calendar_deadline(cal, 1793501100000, 30 * MIN),
	    1793501100000 + 30 * MIN);
	assert_int_equal(calendar_elapsed(cal, 1793501100000, 1793505600000),
	    75 * MIN);
	calendar_free(cal);

	/* A fixed half-hour offset: noon on 2026-06-01 is 08:30Z. */
	cal = noon_calendar("Test/Tehran");
	assert_int_equal(noon(cal, 1780272000000), 1780302660000);
	calendar_free(cal);

	/* Unreadable rules and files that are not TZif are refused. */
	assert_null(calendar_new("x", "Test/Bad", err, sizeof err));
	snprintf(path, sizeof path, "unknown time zone 'Test/Bad': "
	    "%s/Test/Bad ends with a TZ rule that cannot be read", tzdir);
	assert_string_equal(err, path);
	assert_null(calendar_new("x", "Test/Text", err, sizeof err));
	snprintf(path, sizeof path, "unknown time zone 'Test/Text': "
	    "%s/Test/Text is not a TZif file", tzdir);
	assert_string_equal(err, path);
	assert_null(calendar_new("x", "Mars/Base", err, sizeof err));
	snprintf(path, sizeof path, "unknown time zone 'Mars/Base': "
	    "no such zone in %s", tzdir);
	assert_string_equal(err, path);
	/* TZDIR replaces the system directory: its zones are not there. */
	assert_null(calendar_new("x", "Europe/Berlin", err, sizeof err));
}

static void
test_percentages(void **state)
{
	struct calendar	*cal = cn_office();
	int64_t		 target = 24 * HOUR;

	/* From Mon 2026-03-02 10:00 CST: 50% = 12h, 8h Mon + 4h Tue, Tue
	 * 13:00 CST (05:00Z); 75% = 18h, Wed 10:00 CST (02:00Z); 150% =
	 * 36h, 8 + 9 + 9 + 9 + 1, Fri 10:00 CST (02:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772416800000,
	    target * 500 / 1000), 1772514000000);
	assert_int_equal(calendar_deadline(cal, 1772416800000,
	    target * 750 / 1000), 1772589600000);
	assert_int_equal(calendar_deadline(cal, 1772416800000,
	    target * 1500 / 1000), 1772762400000);
	calendar_free(cal);
}

static void
test_zero_target(void **state)
{
	struct calendar	*cal = cn_office();

	/* Nothing owed, nothing later: the start, even at night. */
	assert_int_equal(calendar_deadline(cal, 1772460000000, 0),
	    1772460000000);
	assert_int_equal(calendar_deadline(cal, 1772460000000, -5 * HOUR),
	    1772460000000);
	/* One millisecond from Mon 22:00 CST: Tue 09:00 CST (01:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772460000000, 1),
	    1772503200000 - HOUR + 1);
	calendar_free(cal);
}

static void
test_no_working_time(void **state)
{
	struct calendar	*cal = new_calendar("Asia/Shanghai");

	assert_int_equal(calendar_deadline(cal, 1772416800000, HOUR),
	    INT64_MAX);
	assert_int_equal(calendar_elapsed(cal, 1772416800000,
	    1772416800000 + 1000 * HOUR), 0);
	calendar_free(cal);
}

static void
test_long_targets(void **state)
{
	struct calendar	*cal = new_calendar("Asia/Shanghai");

	/* One hour a week: Mon 09:00-10:00. */
	add_window(cal, MON, 9 * 60, 10 * 60);
	/* From Mon 2026-03-02 00:00 CST, 100h is the 100th Monday counting
	 * that one: 2026-03-02 + 693 days = Mon 2028-01-24, 10:00 CST
	 * (02:00Z). */
	assert_int_equal(calendar_deadline(cal, 1772380800000, 100 * HOUR),
	    1832292000000);
	assert_int_equal(calendar_elapsed(cal, 1772380800000, 1832292000000),
	    100 * HOUR);
	/* 500h: + 3493 days = Mon 2035-09-24 10:00 CST, under ten years. */
	assert_int_equal(calendar_deadline(cal, 1772380800000, 500 * HOUR),
	    2074212000000);
	/* 600h would take eleven and a half years: never. */
	assert_int_equal(calendar_deadline(cal, 1772380800000, 600 * HOUR),
	    INT64_MAX);
	assert_int_equal(calendar_deadline(cal, 1772380800000, INT64_MAX),
	    INT64_MAX);
	calendar_free(cal);
}

static void
test_unknown_zone(void **state)
{
	static const char	*bad_names[] = {
		"../../etc/passwd", "/usr/share/zoneinfo/UTC", "",
		"Europe/../UTC", "Europe/Berlin;rm", "Asia/Shang hai"
	};
	struct calendar		*cal;
	char			 want[256];
	size_t			 i;

	unsetenv("TZDIR");
	cal = calendar_new("mars", "Mars/Base", err, sizeof err);
	assert_null(cal);
	assert_string_equal(err, "unknown time zone 'Mars/Base': no such "
	    "zone in /usr/share/zoneinfo");
	for (i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		assert_null(calendar_new("x", bad_names[i], err, sizeof err));
		snprintf(want, sizeof want, "invalid time zone name '%s': "
		    "expected an IANA name such as Europe/Berlin or UTC",
		    bad_names[i]);
		assert_string_equal(err, want);
	}
	assert_null(calendar_new("x", "America", err, sizeof err));
	assert_string_equal(err, "unknown time zone 'America': "
	    "/usr/share/zoneinfo/America is not a zone file");
	assert_null(calendar_new("x", "right/UTC", err, sizeof err));
	assert_non_null(strstr(err, "leap seconds"));
	/* A tiny buffer is filled, not overrun. */
	assert_null(calendar_new("x", "Mars/Base", err, 8));
	assert_string_equal(err, "unknown");
	assert_null(calendar_new("x", "Mars/Base", NULL, 0));

	/* UTC works, named either way. */
	cal = new_calendar("UTC");
	add_window(cal, MON_FRI, 9 * 60, 17 * 60);
	/* Mon 2026-03-02 08:00Z + 1h = 10:00Z. */
	assert_int_equal(calendar_deadline(cal, 1772438400000, HOUR),
	    1772445600000);
	calendar_free(cal);
	cal = new_calendar("Etc/UTC");
	calendar_free(cal);
	calendar_free(NULL);
}

static void
test_bad_windows_and_holidays(void **state)
{
	struct calendar	*cal = new_calendar("Asia/Shanghai");
	int		 i;

	assert_int_equal(calendar_add_window(cal, 0, 540, 600, err,
	    sizeof err), -1);
	assert_string_equal(err, "working window on no valid day (weekday "
	    "mask 0x0)");
	assert_int_equal(calendar_add_window(cal, 0x80, 540, 600, err,
	    sizeof err), -1);
	assert_int_equal(calendar_add_window(cal, MON, 18 * 60, 9 * 60, err,
	    sizeof err), -1);
	assert_string_equal(err, "working window 18:00-09:00 is empty or "
	    "ends before it starts; a window cannot cross midnight, so split "
	    "it at 24:00");
	assert_int_equal(calendar_add_window(cal, MON, 600, 600, err,
	    sizeof err), -1);
	assert_int_equal(calendar_add_window(cal, MON, 540, 1441, err,
	    sizeof err), -1);
	assert_string_equal(err, "working window from minute 540 to minute "
	    "1441 is outside the day (00:00 to 24:00)");
	assert_int_equal(calendar_add_window(cal, MON, -1, 60, err,
	    sizeof err), -1);

	assert_int_equal(calendar_add_holiday(cal, 2026, 2, 29, err,
	    sizeof err), -1);
	assert_string_equal(err, "holiday 2026-02-29 is not a date "
	    "(expected YYYY-MM-DD)");
	assert_int_equal(calendar_add_holiday(cal, 2026, 13, 1, err,
	    sizeof err), -1);
	assert_int_equal(calendar_add_holiday(cal, 0, 1, 1, err,
	    sizeof err), -1);
	add_holiday(cal, 2028, 2, 29);

	/* 32 disjoint windows fill Monday; a 33rd is refused, and a
	 * refused add changes no day, not even Tuesday. */
	for (i = 0; i < 32; i++)
		add_window(cal, MON, i * 40, i * 40 + 20);
	assert_int_equal(calendar_add_window(cal, MON | TUE, 1400, 1410, err,
	    sizeof err), -1);
	assert_string_equal(err, "too many working windows on Monday "
	    "(at most 32)");
	/* Mon 2026-03-02 00:00 CST to Wed 00:00 CST: 32 x 20 minutes. */
	assert_int_equal(calendar_elapsed(cal, 1772380800000,
	    1772380800000 + 48 * HOUR), 32 * 20 * MIN);
	/* A window that merges into existing ones still fits. */
	add_window(cal, MON, 0, 60);
	assert_int_equal(calendar_elapsed(cal, 1772380800000,
	    1772380800000 + 48 * HOUR), (30 * 20 + 60) * MIN);
	calendar_free(cal);
}

static void
test_always(void **state)
{
	struct calendar	*cal = calendar_always();
	int64_t		 s;

	assert_non_null(cal);
	assert_string_equal(calendar_name(cal), "always");
	assert_string_equal(calendar_timezone(cal), "UTC");
	/* Mon 2026-03-02 22:00 CST (14:00Z): nights count too. */
	assert_int_equal(calendar_deadline(cal, 1772460000000, HOUR),
	    1772460000000 + HOUR);
	assert_int_equal(calendar_deadline(cal, 1772460000000, 15 * MIN),
	    1772460000000 + 15 * MIN);
	assert_int_equal(calendar_elapsed(cal, 1772460000000,
	    1772460000000 + 7 * 24 * HOUR), 7 * 24 * HOUR);
	for (s = 1767225600000; s < 1830297600000; s += 7777777777)
		assert_int_equal(calendar_deadline(cal, s, 8 * HOUR),
		    s + 8 * HOUR);
	/* Extremes stay defined: before year 1 counts from 0001-01-01,
	 * after 9999 is never. */
	assert_int_equal(calendar_deadline(cal, INT64_MIN, HOUR),
	    -62135596800000 + HOUR);
	assert_int_equal(calendar_deadline(cal, INT64_MAX, HOUR), INT64_MAX);
	assert_int_equal(calendar_elapsed(cal, INT64_MAX - 1, INT64_MAX), 0);
	calendar_free(cal);
}

/* --- Random points against a libc oracle. --------------------------------- */

struct spec {
	const char	*zone;
	struct {
		unsigned	 days;
		int		 start, end;
	}		 win[4];
	int		 nwin;
	struct {
		int		 y, m, d;
	}		 hol[4];
	int		 nhol;
};

/*
 * Windows and holidays on 15-minute boundaries, in whole-hour zones, none
 * with an end inside a skipped or repeated hour: there, working time is
 * simply the slots whose local reading falls in a window.
 */
static const struct spec specs[] = {
	{ "Asia/Shanghai",
	    { { MON_FRI, 9 * 60, 12 * 60 }, { MON_FRI, 13 * 60, 18 * 60 },
	      { SAT, 10 * 60, 14 * 60 } }, 3,
	    { { 2026, 10, 1 }, { 2026, 10, 2 }, { 2026, 10, 3 },
	      { 2027, 1, 1 } }, 4 },
	{ "America/New_York",
	    { { MON_FRI, 8 * 60, 17 * 60 + 30 }, { SUN, 0, 24 * 60 } }, 2,
	    { { 2026, 11, 26 } }, 1 },
	{ "Europe/Berlin",
	    { { CALENDAR_ALL_DAYS, 0, 24 * 60 } }, 1,
	    { { 2026, 12, 25 } }, 1 },
	{ "Australia/Sydney",
	    { { MON_FRI, 9 * 60 + 15, 17 * 60 }, { SUN, 60, 4 * 60 } }, 2,
	    { { 2027, 1, 26 } }, 1 },
};

#define SLOT		900	/* seconds */

static struct calendar *
spec_calendar(const struct spec *sp)
{
	struct calendar	*cal = new_calendar(sp->zone);
	int		 i;

	for (i = 0; i < sp->nwin; i++)
		add_window(cal, sp->win[i].days, sp->win[i].start,
		    sp->win[i].end);
	for (i = 0; i < sp->nhol; i++)
		add_holiday(cal, sp->hol[i].y, sp->hol[i].m, sp->hol[i].d);
	return cal;
}

/* Is the 15-minute slot starting at t working time?  TZ is sp->zone. */
static int
oracle_working(const struct spec *sp, time_t t)
{
	struct tm	tm;
	int		i, minute;

	assert_non_null(localtime_r(&t, &tm));
	for (i = 0; i < sp->nhol; i++) {
		if (tm.tm_year + 1900 == sp->hol[i].y &&
		    tm.tm_mon + 1 == sp->hol[i].m &&
		    tm.tm_mday == sp->hol[i].d)
			return 0;
	}
	minute = tm.tm_hour * 60 + tm.tm_min;
	for (i = 0; i < sp->nwin; i++) {
		if ((sp->win[i].days & (1u << tm.tm_wday)) &&
		    minute >= sp->win[i].start && minute < sp->win[i].end)
			return 1;
	}
	return 0;
}

static int64_t
oracle_deadline(const struct spec *sp, time_t s, int64_t slots)
{
	time_t	t;

	for (t = s; ; t += SLOT) {
		if (oracle_working(sp, t) && --slots == 0)
			return ((int64_t)t + SLOT) * 1000;
	}
}

static int64_t
oracle_elapsed(const struct spec *sp, time_t from, time_t to)
{
	int64_t	sum = 0;
	time_t	t;

	for (t = from; t < to; t += SLOT)
		sum += oracle_working(sp, t) ? SLOT * 1000 : 0;
	return sum;
}

static uint64_t	rng = 0x9e3779b97f4a7c15ull;

static uint64_t
next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
test_random_against_libc(void **state)
{
	const struct spec	*sp;
	struct calendar		*cal;
	time_t			 s, to;
	int64_t			 slots, want;
	size_t			 i;
	int			 k;

	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		sp = &specs[i];
		setenv("TZ", sp->zone, 1);
		tzset();
		cal = spec_calendar(sp);
		for (k = 0; k < 150; k++) {
			/* 2026-01-01 to 2027-12-31, on a slot boundary. */
			s = 1767225600 + (time_t)(next_random() % 70000) * SLOT;
			slots = 1 + (int64_t)(next_random() % 480);
			want = oracle_deadline(sp, s, slots);
			if (calendar_deadline(cal, (int64_t)s * 1000,
			    slots * SLOT * 1000) != want)
				fail_msg("%s: deadline(%lld, %lld slots) = "
				    "%lld, want %lld", sp->zone, (long long)s,
				    (long long)slots, (long long)
				    calendar_deadline(cal, (int64_t)s * 1000,
				    slots * SLOT * 1000), (long long)want);
			to = s + (time_t)(next_random() % (30 * 96)) * SLOT;
			assert_int_equal(calendar_elapsed(cal,
			    (int64_t)s * 1000, (int64_t)to * 1000),
			    oracle_elapsed(sp, s, to));
		}
		calendar_free(cal);
	}
	unsetenv("TZ");
	tzset();
}

/* At millisecond grain: elapsed undoes deadline, and both add up. */
static void
test_random_consistency(void **state)
{
	struct calendar	*cals[sizeof specs / sizeof specs[0] + 2];
	size_t		 i, ncal = 0;
	int64_t		 s, d, d2, dl;
	int		 k;

	for (i = 0; i < sizeof specs / sizeof specs[0]; i++)
		cals[ncal++] = spec_calendar(&specs[i]);
	cals[ncal++] = cn_office();
	cals[ncal++] = calendar_always();

	for (i = 0; i < ncal; i++) {
		for (k = 0; k < 2000; k++) {
			/* 2020 to 2030, any millisecond. */
			s = 1577836800000 +
			    (int64_t)(next_random() % 315569260000ull);
			d = 1 + (int64_t)(next_random() % (300 * HOUR));
			d2 = 1 + (int64_t)(next_random() % (50 * HOUR));
			dl = calendar_deadline(cals[i], s, d);
			assert_true(dl > s && dl != INT64_MAX);
			assert_int_equal(calendar_elapsed(cals[i], s, dl), d);
			/* The last millisecond before a deadline works. */
			assert_int_equal(calendar_elapsed(cals[i], s, dl - 1),
			    d - 1);
			assert_int_equal(calendar_deadline(cals[i], dl, d2),
			    calendar_deadline(cals[i], s, d + d2));
			assert_int_equal(calendar_elapsed(cals[i], s, dl) +
			    calendar_elapsed(cals[i], dl, dl + d2),
			    calendar_elapsed(cals[i], s, dl + d2));
		}
		calendar_free(cals[i]);
	}
}

/*
 * calendar.c keeps the days it has worked out.  A calendar asked many
 * questions in any order answers each as a new one does, and a change
 * (a holiday added after the day was worked out) is seen at once.
 */
static void
test_days_remembered(void **state)
{
	struct calendar	*warm, *cold, *cal;
	size_t		 i;
	int64_t		 s, d, mon;
	int		 k;

	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		warm = spec_calendar(&specs[i]);
		for (k = 0; k < 300; k++) {
			/* Clustered, as routing asks: 2026, a few days apart. */
			s = 1767225600000 +
			    (int64_t)(next_random() % (40 * 24 * HOUR));
			d = 1 + (int64_t)(next_random() % (100 * HOUR));
			cold = spec_calendar(&specs[i]);
			assert_int_equal(calendar_deadline(warm, s, d),
			    calendar_deadline(cold, s, d));
			calendar_free(cold);
			cold = spec_calendar(&specs[i]);
			assert_int_equal(calendar_elapsed(warm, s, s + d),
			    calendar_elapsed(cold, s, s + d));
			calendar_free(cold);
		}
		calendar_free(warm);
	}

	/* Mon 2026-03-02 10:00 Shanghai (02:00Z): 1 h, done at 11:00. */
	cal = cn_office();
	mon = 1772416800000;
	assert_int_equal(calendar_deadline(cal, mon, HOUR), mon + HOUR);
	/* That Monday off: Tuesday 10:00 (+24 h). */
	add_holiday(cal, 2026, 3, 2);
	assert_int_equal(calendar_deadline(cal, mon, HOUR), mon + 24 * HOUR);
	/* A window added on Tuesday 00:00-01:00 comes first. */
	add_window(cal, TUE, 0, 60);
	assert_int_equal(calendar_deadline(cal, mon, HOUR), mon + 15 * HOUR);
	calendar_free(cal);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_office_hours_same_day),
		cmocka_unit_test(test_request_at_night),
		cmocka_unit_test(test_request_on_weekend),
		cmocka_unit_test(test_24h_target_spans_days),
		cmocka_unit_test(test_holidays),
		cmocka_unit_test(test_year_end),
		cmocka_unit_test(test_several_windows),
		cmocka_unit_test(test_new_york_office_dst),
		cmocka_unit_test(test_new_york_windows_across_jumps),
		cmocka_unit_test(test_berlin_24x7_dst),
		cmocka_unit_test(test_berlin_office_dst),
		cmocka_unit_test(test_rules_beyond_last_transition),
		cmocka_unit_test_setup_teardown(test_footer_only_zones,
		    make_tzdir, remove_tzdir),
		cmocka_unit_test(test_percentages),
		cmocka_unit_test(test_zero_target),
		cmocka_unit_test(test_no_working_time),
		cmocka_unit_test(test_long_targets),
		cmocka_unit_test(test_unknown_zone),
		cmocka_unit_test(test_bad_windows_and_holidays),
		cmocka_unit_test(test_always),
		cmocka_unit_test(test_random_against_libc),
		cmocka_unit_test(test_random_consistency),
		cmocka_unit_test(test_days_remembered),
	};

	unsetenv("TZDIR");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
