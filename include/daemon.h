/*
 * daemon.h - what the daemon's I/O files share: the event base, the two
 * Redis connections, the rules in force and the keys derived from them.
 *
 * Two connections, because a blocking XREADGROUP must never hold up a write:
 *
 *   reader:  XGROUP / XPENDING / XCLAIM / XREADGROUP BLOCK
 *   writer:  SCRIPT LOAD / HGETALL (customers) / EVALSHA (route a batch,
 *            apply an event, fire escalation steps) / ZRANGEBYSCORE (sla)
 */
#ifndef TRIAGED_DAEMON_H
#define TRIAGED_DAEMON_H

#include <stdint.h>

struct event_base;
struct config;
struct rconn;
struct intake;
struct router;
struct events;
struct sla;
struct metrics;

/*
 * A config shared by every batch that was classified with it.  A reload
 * swaps in a new one; the old is freed when its last batch finishes, so a
 * batch is classified entirely by one rule set.
 */
struct live_config {
	struct config	*cfg;
	int		 refs;
};

struct daemon {
	struct event_base	*base;
	struct live_config	*live;		/* the rules in force */
	/*
	 * The config the daemon started with.  Redis address, key prefix,
	 * stream and group names and the HTTP address are read from here
	 * only: a reload cannot half-apply them.
	 */
	struct live_config	*boot;
	struct rconn		*reader;
	struct rconn		*writer;
	struct intake		*intake;
	struct router		*router;
	struct events		*events;	/* lifecycle events */
	struct sla		*sla;		/* the escalation timer */
	char			*consumer;	/* our name in the group */
	int			 stopping;	/* SIGTERM: 1 finishing, 2 done */
	int			 ready_notified;
	int64_t			 last_loop_ms;	/* for /healthz */
};

struct live_config	*daemon_config_acquire(struct daemon *);
void			 daemon_config_release(struct live_config *);
/* Realtime clock in ms: timestamps written to Redis. */
int64_t			 daemon_now_ms(void);
/* Called by intake and router when work finishes, to notice readiness and
 * the end of a graceful stop. */
void			 daemon_progress(struct daemon *);

#endif
