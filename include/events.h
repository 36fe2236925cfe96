/*
 * events.h - lifecycle events: what agents report about a ticket, applied
 * to its status, clocks, queue and escalation schedule.
 */
#ifndef TRIAGED_EVENTS_H
#define TRIAGED_EVENTS_H

#include <stddef.h>

struct batch;
struct config;
struct event_base;
struct events;
struct live_config;
struct rconn;

/* What the events module tells the daemon. */
struct events_cb {
	/* A batch is settled: each event applied, dead-lettered or pending. */
	void	(*done)(struct batch *, void *arg);
	void	*arg;
};

/*
 * Apply through writer, with the keys and names of boot (fixed until a
 * restart); each batch pins the rules in force when it is submitted.
 */
struct events	*events_new(struct event_base *, struct rconn *writer,
		    const struct config *boot, struct live_config *live,
		    const struct events_cb *);
void		 events_free(struct events *);		/* accepts NULL */
/* The rules after a reload: batches submitted from now on use them. */
void		 events_set_config(struct events *, struct live_config *);
/* Take a batch of P+events entries; cb.done when it is settled. */
void		 events_submit(struct events *, struct batch *);
size_t		 events_inflight(const struct events *);

#endif
