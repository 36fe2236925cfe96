/*
 * depth.h - the queue-depth gauges: every few seconds, one pipelined ZCARD
 * per team queue on the writer connection.
 */
#ifndef TRIAGED_DEPTH_H
#define TRIAGED_DEPTH_H

struct daemon;
struct depth;

/* interval_ms between polls; NULL only when out of memory. */
struct depth	*depth_new(struct daemon *, int interval_ms);
void		 depth_free(struct depth *);		/* accepts NULL */

#endif
