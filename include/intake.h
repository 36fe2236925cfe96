/*
 * intake.h - the consumer-group reader: group creation, recovery of this
 * consumer's pending entries, taking over other consumers' stale entries,
 * and batched reads of new ones.  Each batch read goes to the sink it was
 * handed, and comes back with intake_batch_done() once settled.
 */
#ifndef TRIAGED_INTAKE_H
#define TRIAGED_INTAKE_H

#include "redis.h"

struct batch;
struct config;
struct event_base;
struct intake;
struct live_config;

struct intake_sink {
	/* A batch read from a stream (b->stream says which): route or apply. */
	void	(*submit)(struct batch *, void *arg);
	/* Whether batches can be taken (the routing script is loaded). */
	int	(*ready)(void *arg);
	/* Something settled or started: the daemon may be ready, or done. */
	void	(*progress)(void *arg);
	void	*arg;
};

/*
 * Read through reader as consumer, with the stream, group and prefix of
 * boot (fixed until a restart) and the settings of live (batch size,
 * claim_idle, ...; replaced by intake_set_config()).  sink is copied.
 */
struct intake	*intake_new(struct event_base *, struct rconn *reader,
		    const struct config *boot, const char *consumer,
		    struct live_config *live, const struct intake_sink *);
void		 intake_free(struct intake *);		/* accepts NULL */
/* The settings after a reload: the next read and claim cycle use them. */
void		 intake_set_config(struct intake *, struct live_config *);
/* rconn state callback of the reader connection. */
void		 intake_reader_state(struct rconn *, enum rconn_state, void *);
/* A batch is settled: its entries are acked, dead-lettered or left pending. */
void		 intake_batch_done(struct intake *, struct batch *);
/* Read no more (SIGTERM); the batches in flight still settle. */
void		 intake_stop(struct intake *);
/* 1 once nothing is read or in flight. */
int		 intake_idle(const struct intake *);
/* 1 once the group exists and the first read was sent. */
int		 intake_reading(const struct intake *);
/*
 * Why the reader starts over, from the last error reply ("XPENDING on
 * triage:requests failed: NOPERM ..."), until a read succeeds; else "".
 */
const char	*intake_error(const struct intake *);
/* Send the next reader command if there is room (the script loaded, say). */
void		 intake_kick(struct intake *);

#endif
