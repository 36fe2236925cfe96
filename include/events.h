/*
 * events.h - lifecycle events (contract §1.4): what agents report about a
 * ticket, applied to its status, clocks, queue and escalation schedule.
 */
#ifndef TRIAGED_EVENTS_H
#define TRIAGED_EVENTS_H

#include <stddef.h>

struct daemon;
struct batch;
struct events;

struct events	*events_new(struct daemon *);
void		 events_free(struct events *);		/* accepts NULL */
/* Take a batch of P+events entries; intake_batch_done() when settled. */
void		 events_submit(struct events *, struct batch *);
size_t		 events_inflight(const struct events *);

#endif
