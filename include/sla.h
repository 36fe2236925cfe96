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

struct config;
struct event_base;
struct live_config;
struct rconn;
struct sla;

/*
 * Fire through writer, with the key prefix of boot (fixed until a
 * restart) and the rules of live; starts its timer.
 */
struct sla	*sla_new(struct event_base *, struct rconn *writer,
		    const struct config *boot, struct live_config *live);
void		 sla_free(struct sla *);	/* accepts NULL */
/* The rules after a reload: the next tick uses them. */
void		 sla_set_config(struct sla *, struct live_config *);
/* The writer is up: look at the schedule now, not at the next retry. */
void		 sla_kick(struct sla *);

#endif
