/*
 * calendar.h - business-time arithmetic in one calendar (pure).
 *
 * A calendar is a time zone, weekly working windows and holidays.  Deadlines
 * are computed by walking working time forward from a start instant; no
 * function here reads the clock or changes the process time zone: the zone's
 * transitions are loaded once, from the system's TZif files, when the
 * calendar is built.
 *
 * All instants are milliseconds since the Unix epoch (UTC).
 */
#ifndef TRIAGED_CALENDAR_H
#define TRIAGED_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

struct calendar;

/* Days in a weekday mask: bit 0 is Sunday ... bit 6 is Saturday (as tm_wday). */
#define CALENDAR_SUNDAY		(1u << 0)
#define CALENDAR_ALL_DAYS	0x7fu

/*
 * Building, done by the config loader.  Each returns NULL / -1 and writes a
 * sentence a person can act on into err on failure.  The zone name is an
 * IANA name ("Asia/Shanghai", "UTC"); TZDIR overrides /usr/share/zoneinfo.
 */
struct calendar	*calendar_new(const char *name, const char *timezone,
		    char *err, size_t errlen);
/* Working window [start_minute, end_minute) on each day in weekdays; 0-1440. */
int		 calendar_add_window(struct calendar *, unsigned weekdays,
		    int start_minute, int end_minute, char *err, size_t errlen);
/* A whole local day off. */
int		 calendar_add_holiday(struct calendar *, int year, int month,
		    int day, char *err, size_t errlen);
/* The built-in 24x7 calendar named "always"; caller frees it like any other. */
struct calendar	*calendar_always(void);
void		 calendar_free(struct calendar *);		/* accepts NULL */
const char	*calendar_name(const struct calendar *);
const char	*calendar_timezone(const struct calendar *);

/*
 * The instant at which business_ms of working time has elapsed after start_ms.
 * Time before the first window is skipped, so a request arriving at night
 * starts counting when the office opens.
 */
int64_t		 calendar_deadline(const struct calendar *, int64_t start_ms,
		    int64_t business_ms);
/* Working time, in ms, between two instants (0 if to_ms <= from_ms). */
int64_t		 calendar_elapsed(const struct calendar *, int64_t from_ms,
		    int64_t to_ms);

#endif
