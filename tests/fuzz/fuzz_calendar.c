/*
 * fuzz_calendar.c - libFuzzer target for calendar.c.
 *
 * Two modes, chosen by the first byte.  Usually the input builds a calendar
 * on one of a few real zones (random windows and holidays) and asks for
 * deadlines and elapsed times at random instants, checking what must hold
 * whatever the calendar: elapsed undoes deadline, working time never
 * exceeds real time.  With a first byte of 0xff the rest is written out as
 * a TZif file and loaded, which exercises the TZif and POSIX TZ parsers and
 * then walks the zone they produced.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calendar.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAX_INPUT	4096		/* a real TZif file fits */
#define HOUR		3600000LL
/* Spans beyond this are not walked for elapsed: each day costs a step. */
#define MAX_SPAN	(2 * 366 * 24 * HOUR)
#define MAX_CHECKS	32

static const char *const zones[] = {
	"UTC", "Asia/Shanghai", "America/New_York", "Europe/Berlin",
	"Australia/Sydney", "Pacific/Chatham", "Europe/Dublin"
};

struct input {
	const uint8_t	*p;
	size_t		 left;
};

static uint64_t
take(struct input *in, size_t n)
{
	uint64_t	v = 0;

	while (n-- > 0) {
		v <<= 8;
		if (in->left > 0) {
			v |= *in->p++;
			in->left--;
		}
	}
	return v;
}

/* Mostly 2000-2040, sometimes anything at all. */
static int64_t
take_instant(struct input *in)
{
	uint64_t	v = take(in, 8);

	if ((v & 0xf) == 0)
		return (int64_t)v;
	return 946684800000LL + (int64_t)(v % 1262304000000ULL);
}

/* Mostly up to a few hundred hours, sometimes anything at all. */
static int64_t
take_duration(struct input *in)
{
	uint64_t	v = take(in, 8);

	if ((v & 0xf) == 0)
		return (int64_t)v;
	return (int64_t)(v % (2000 * HOUR)) - HOUR;
}

static void
check(const struct calendar *cal, int64_t s, int64_t d, int64_t to)
{
	int64_t	dl, e;

	dl = calendar_deadline(cal, s, d);
	if (d <= 0) {
		if (dl != s)
			abort();
	} else if (dl != INT64_MAX) {
		if (dl <= s && s > -62135596800000LL)
			abort();
		if (s > -62135596800000LL && dl - s < MAX_SPAN) {
			if (calendar_elapsed(cal, s, dl) != d ||
			    calendar_elapsed(cal, s, dl - 1) != d - 1)
				abort();
		}
	}

	if (to > s && (uint64_t)to - (uint64_t)s < (uint64_t)MAX_SPAN) {
		e = calendar_elapsed(cal, s, to);
		if (e < 0 || e > to - s)
			abort();
	} else if (to <= s && calendar_elapsed(cal, s, to) != 0)
		abort();
}

static char	tzif_dir[64];

static void
remove_tzif_dir(void)
{
	char	path[128];

	snprintf(path, sizeof path, "%s/Zone", tzif_dir);
	unlink(path);
	rmdir(tzif_dir);
}

static void
fuzz_tzif(const uint8_t *data, size_t size)
{
	struct calendar	*cal;
	char		 path[128], err[256];
	FILE		*f;
	int64_t		 s;

	if (tzif_dir[0] == '\0') {
		snprintf(tzif_dir, sizeof tzif_dir,
		    "/tmp/fuzz_calendar.XXXXXX");
		if (mkdtemp(tzif_dir) == NULL)
			abort();
		atexit(remove_tzif_dir);
	}
	snprintf(path, sizeof path, "%s/Zone", tzif_dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);

	setenv("TZDIR", tzif_dir, 1);
	cal = calendar_new("fuzz", "Zone", err, sizeof err);
	unsetenv("TZDIR");
	if (cal == NULL) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (calendar_add_window(cal, CALENDAR_ALL_DAYS & ~CALENDAR_SUNDAY,
	    9 * 60, 17 * 60, err, sizeof err) != 0 ||
	    calendar_add_window(cal, CALENDAR_SUNDAY, 0, 24 * 60, err,
	    sizeof err) != 0)
		abort();
	for (s = -2208988800000LL; s < 7258118400000LL; s += 86400000LL * 997)
		check(cal, s, 100 * HOUR, s + 40 * 24 * HOUR);
	calendar_free(cal);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input	 in = { data, size };
	struct calendar	*cal;
	char		 err[256];
	int		 i, n;
	int64_t		 s, d, to;

	if (size == 0 || size > MAX_INPUT)
		return 0;
	if (data[0] == 0xff) {
		fuzz_tzif(data + 1, size - 1);
		return 0;
	}

	cal = calendar_new("fuzz", zones[take(&in, 1) %
	    (sizeof zones / sizeof zones[0])], err, sizeof err);
	if (cal == NULL)
		abort();
	n = (int)(take(&in, 1) % 8);
	for (i = 0; i < n; i++) {
		/* Out-of-range values on purpose: they must be refused. */
		(void)calendar_add_window(cal, (unsigned)take(&in, 1),
		    (int)(take(&in, 2) % 1500) - 30,
		    (int)(take(&in, 2) % 1500) - 30, err, sizeof err);
	}
	n = (int)(take(&in, 1) % 6);
	for (i = 0; i < n; i++) {
		(void)calendar_add_holiday(cal, 2018 + (int)(take(&in, 1) % 20),
		    (int)(take(&in, 1) % 14), (int)(take(&in, 1) % 33), err,
		    sizeof err);
	}
	for (i = 0; i < MAX_CHECKS && in.left > 0; i++) {
		s = take_instant(&in);
		d = take_duration(&in);
		to = take_instant(&in);
		check(cal, s, d, to);
	}
	calendar_free(cal);
	return 0;
}
