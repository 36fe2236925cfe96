/*
 * deliver_read.h - delivery's consumer group on P+alerts: created, this
 * consumer's own pending alerts recovered, idle ones claimed, new ones
 * read; and the group's backlog for /metrics.
 *
 * It knows nothing of receivers or posts: each entry it reads goes to the
 * struct deliver_read_sink it was handed (deliver.c's jobs), which also
 * says how many more it may hold.
 */
#ifndef TRIAGED_DELIVER_READ_H
#define TRIAGED_DELIVER_READ_H

#include <stddef.h>
#include <stdint.h>

#include "redis.h"

struct deliver_read;
struct event_base;
struct redisReply;

struct deliver_read_sink {
	/*
	 * One stream entry, [id, [field, value, ...] | nil], borrowed for
	 * the call.  1 if it was taken as a new alert, 0 if it was already
	 * held or is not an entry.
	 */
	int	 (*entry)(const struct redisReply *, void *arg);
	/* How many more entries may be read now; 0 until kicked again. */
	size_t	 (*room)(void *arg);
	void	*arg;
};

/*
 * Read the stream alerts through group as consumer on reader (its own
 * connection: reads block); the gauge's XINFO goes on writer.  The strings
 * are copied; sink is copied.
 */
struct deliver_read	*deliver_read_new(struct event_base *,
			    struct rconn *reader, struct rconn *writer,
			    const char *alerts, const char *group,
			    const char *consumer,
			    const struct deliver_read_sink *sink);
void			 deliver_read_free(struct deliver_read *);	/* NULL ok */
/*
 * Claim alerts idle longer than claim_idle_ms, every claim_idle_ms / 2
 * (at least 1 s).  1 if that pace changed (the first call too), else 0.
 */
int			 deliver_read_configure(struct deliver_read *,
			    int64_t claim_idle_ms);
/* The reader connection changed state: start over from the group. */
void			 deliver_read_state(struct deliver_read *,
			    enum rconn_state);
/* Send the next read if there is room (an alert was let go). */
void			 deliver_read_kick(struct deliver_read *);
/* Read no more; what a read in flight brings stays pending. */
void			 deliver_read_stop(struct deliver_read *);
/* 1 while a command on the reader is in flight. */
int			 deliver_read_busy(const struct deliver_read *);

#endif
