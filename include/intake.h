/*
 * intake.h - the consumer-group reader: group creation, recovery of this
 * consumer's pending entries, taking over other consumers' stale entries,
 * and batched reads of new ones.  Each batch read goes to the router.
 */
#ifndef TRIAGED_INTAKE_H
#define TRIAGED_INTAKE_H

#include "redis.h"

struct daemon;
struct batch;
struct intake;

struct intake	*intake_new(struct daemon *);
void		 intake_free(struct intake *);		/* accepts NULL */
/* rconn state callback of the reader connection. */
void		 intake_reader_state(struct rconn *, enum rconn_state, void *);
/* The router is done with a batch: its entries are acked or dead-lettered. */
void		 intake_batch_done(struct intake *, struct batch *);
/* Stop reading; returns 1 once nothing is in flight. */
int		 intake_idle(const struct intake *);
/* 1 once the group exists and the first read was sent. */
int		 intake_reading(const struct intake *);
void		 intake_kick(struct intake *);

#endif
