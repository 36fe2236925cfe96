/*
 * duration.h - durations as the rules file and triagectl write them (pure).
 *
 * "90s", "15m", "1h30m", "2d", "250ms": whole numbers, each with a unit,
 * in any order and summed.  The rules file, its summary, `triagectl
 * explain` and `replay` all read and print them with these two functions.
 */
#ifndef TRIAGED_DURATION_H
#define TRIAGED_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* "90s", "15m", "1h30m", "2d" -> milliseconds; -1 if malformed. */
int64_t		 duration_parse(const char *text);

/* The other way, as rules write it: 5400000 -> "1h30m"; returns buf. */
const char	*duration_format(int64_t ms, char *buf, size_t size);

#endif
