/*
 * now.h - the clocks, read in one place.
 *
 * The pure cores never read a clock: their callers pass `now` in.  The I/O
 * modules read it here, at the edge.
 */
#ifndef TRIAGED_NOW_H
#define TRIAGED_NOW_H

#include <stdint.h>

/* Wall-clock ms since the Unix epoch: what is written to Redis. */
int64_t	now_ms(void);
/* Monotonic ms: for timeouts and intervals, immune to clock steps. */
int64_t	now_mono_ms(void);

#endif
