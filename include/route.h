/*
 * route.h - turning a batch of entries into tickets, queue entries,
 * dead letters and acknowledgements, written atomically by one script call
 * per batch.
 */
#ifndef TRIAGED_ROUTE_H
#define TRIAGED_ROUTE_H

#include "redis.h"

struct batch;
struct config;
struct live_config;
struct router;

/* What the router tells the daemon. */
struct router_cb {
	/* A batch is settled: written and acknowledged, or left pending. */
	void	(*done)(struct batch *, void *arg);
	/* The routing script is loaded (again): batches can be taken. */
	void	(*loaded)(void *arg);
	void	*arg;
};

enum route_outcome {
	OUTCOME_NONE,
	OUTCOME_ROUTE,		/* classified, to be written */
	OUTCOME_DEAD,		/* rejected, to the dead-letter stream */
	OUTCOME_ACK,		/* nothing to write (trimmed entry) */
};

/*
 * Write through writer, with the keys and names of boot (fixed until a
 * restart); each batch pins the rules in force when it is submitted.
 */
struct router	*router_new(struct rconn *writer, const struct config *boot,
		    struct live_config *live, const struct router_cb *);
void		 router_free(struct router *);		/* accepts NULL */
/* The rules after a reload: batches submitted from now on use them. */
void		 router_set_config(struct router *, struct live_config *);
void		 router_writer_state(struct rconn *, enum rconn_state, void *);
/* Take a batch; cb.done is called when it is settled. */
void		 router_submit(struct router *, struct batch *);
/*
 * 1 once the routing script is loaded.  Until then, router_not_ready()
 * says why ("" if it is just loading), and router_retry() loads it again
 * after a refusal: the daemon calls it every second.
 */
int		 router_ready(const struct router *);
const char	*router_not_ready(const struct router *);
void		 router_retry(struct router *);
size_t		 router_inflight(const struct router *);

#endif
