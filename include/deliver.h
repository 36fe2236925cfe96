/*
 * deliver.h - alerts from P+alerts to the receivers their notify target
 * lists (Alertmanager, webhooks), at least once.
 *
 * The alerts stream is read through a consumer group of its own
 * (`deliver`), so a crash between firing and delivering loses nothing and
 * several daemons share the work; the progress of each alert, receiver by
 * receiver, is kept in Redis (P+delivery:ID) before the entry is acked.
 */
#ifndef TRIAGED_DELIVER_H
#define TRIAGED_DELIVER_H

#include "redis.h"

struct config;
struct curlev;
struct deliver;
struct event_base;
struct live_config;

/* The consumer group on P+alerts. */
#define DELIVER_GROUP	"deliver"

/*
 * Read alerts on reader (its own connection: reads block), write progress
 * on writer, post through cv.  Prefix from boot; receivers from live.
 */
struct deliver	*deliver_new(struct event_base *, struct rconn *reader,
		    struct rconn *writer, struct curlev *cv,
		    const struct config *boot, const char *consumer,
		    struct live_config *live);
void		 deliver_free(struct deliver *);	/* accepts NULL */
/* The receivers after a reload: the next post of each alert uses them. */
void		 deliver_set_config(struct deliver *, struct live_config *);
/* rconn state callback of the reader connection. */
void		 deliver_reader_state(struct rconn *, enum rconn_state, void *);
/* Read no more and retry no more (SIGTERM); posts in flight finish. */
void		 deliver_stop(struct deliver *);
/* 1 once no post and no write is in flight. */
int		 deliver_idle(const struct deliver *);

#endif
