/*
 * route.h - turning a batch of entries into tickets, queue entries,
 * dead letters and acknowledgements, written atomically by one script call
 * per batch.
 */
#ifndef TRIAGED_ROUTE_H
#define TRIAGED_ROUTE_H

#include "redis.h"

struct daemon;
struct batch;
struct router;

enum route_outcome {
	OUTCOME_NONE,
	OUTCOME_ROUTE,		/* classified, to be written */
	OUTCOME_DEAD,		/* rejected, to the dead-letter stream */
	OUTCOME_ACK,		/* nothing to write (trimmed entry) */
};

struct router	*router_new(struct daemon *);
void		 router_free(struct router *);		/* accepts NULL */
void		 router_writer_state(struct rconn *, enum rconn_state, void *);
/* Take a batch; intake_batch_done() is called when it is settled. */
void		 router_submit(struct router *, struct batch *);
/* 1 once the routing script is loaded. */
int		 router_ready(const struct router *);
size_t		 router_inflight(const struct router *);

#endif
