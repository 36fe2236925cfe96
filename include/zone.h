/*
 * zone.h - a time zone's UTC offsets over time (pure), read once from its
 * TZif file under TZDIR (or /usr/share/zoneinfo).
 */
#ifndef TRIAGED_ZONE_H
#define TRIAGED_ZONE_H

#include <stddef.h>
#include <stdint.h>

/* Transitions are expanded from the file's POSIX rule up to this year. */
#define ZONE_RULE_END_YEAR	2200

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

/* Fill z from the zone named name; -1 and the reason in err if it cannot. */
int		 zone_load(struct zone *z, const char *name, char *err,
		    size_t errlen);
void		 zone_clear(struct zone *z);
/* The UTC offset in force at t (UTC seconds). */
int32_t		 zone_offset(const struct zone *z, int64_t t);
/* The first instant (UTC seconds) at which the wall clock shows local or later. */
int64_t		 zone_utc(const struct zone *z, int64_t local);

#endif
