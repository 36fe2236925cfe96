/*
 * sla.h - firing escalation steps from the durable schedule in P+sla.
 *
 * Routing (route.c) and lifecycle events (events.c) write the schedule;
 * this file only reads what is due and fires it, through one libevent
 * timer per process however many clocks are open.  What each step does is
 * clock_step()'s decision (clock.h).
 */
#ifndef TRIAGED_SLA_H
#define TRIAGED_SLA_H

struct daemon;
struct sla;

struct sla	*sla_new(struct daemon *);	/* starts its timer */
void		 sla_free(struct sla *);	/* accepts NULL */

#endif
