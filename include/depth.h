/*
 * depth.h - the gauges read from Redis every few seconds, pipelined on the
 * writer connection: each team queue's depth, the streams' lag and
 * pending counts, and queues of teams the rules no longer name.
 */
#ifndef TRIAGED_DEPTH_H
#define TRIAGED_DEPTH_H

struct config;
struct depth;
struct event_base;
struct live_config;
struct rconn;

/*
 * Poll through writer every interval_ms, with the prefix, streams and
 * group of boot and the teams of live; NULL only when out of memory.
 */
struct depth	*depth_new(struct event_base *, struct rconn *writer,
		    const struct config *boot, struct live_config *live,
		    int interval_ms);
void		 depth_free(struct depth *);		/* accepts NULL */
/* The teams after a reload: the next round counts them. */
void		 depth_set_config(struct depth *, struct live_config *);

#endif
