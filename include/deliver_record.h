/*
 * deliver_record.h - what delivering an alert writes to Redis, one script
 * call at a time, so that each step is all or nothing:
 *
 *   HSET P+delivery:ID RECEIVER STATE    a receiver's outcome: done, dead,
 *                                        expired; "retry N" while it waits
 *                                        (a plain HSET, not the script)
 *   ZADD P+firing, HSET P+firing:alerts  a receiver to be told of the
 *                                        resolution (firing.c)
 *   XADD P+dead                          a receiver's dead letter, or a bad
 *                                        alert's
 *   XACK P+alerts deliver ID,            the entry done with, its progress
 *   PEXPIRE P+delivery:ID 1              forgotten (DEL is not in the ACL
 *                                        rule: it would reach the CRM's keys)
 *
 * The ack goes with the last receiver's outcome when the others are
 * recorded already, or alone.
 */
#ifndef TRIAGED_DELIVER_RECORD_H
#define TRIAGED_DELIVER_RECORD_H

#include <stdint.h>

#include "redis.h"

struct alert;
struct deliver_record;
struct keys;

struct deliver_record_call {
	const char		*id;		/* the alert's entry */
	const struct alert	*alert;		/* its fields, for a dead letter */
	const char		*receiver;	/* NULL: the ack alone */
	const char		*state;		/* "done", "dead", "expired" */
	int			 ack;		/* ack the entry in the same call */
	const char		*member;	/* into P+firing, or NULL */
	int64_t			 score;
	const char		*stored;	/* the member's alert */
	const char		*dead;		/* non-NULL: why, into P+dead */
};

enum deliver_record_sent {
	RECORD_SENT,		/* the callback will be called */
	RECORD_LOADING,		/* the script is loading: again in a moment */
	RECORD_DOWN,		/* the writer is not ready: again later */
};

/* Calls on writer, to the keys of prefix; prefix and fixed are borrowed. */
struct deliver_record *deliver_record_new(struct rconn *writer,
		    const char *prefix, const struct keys *fixed);
void		 deliver_record_free(struct deliver_record *); /* NULL ok */
/* Load the script now if the writer is ready, before it is needed. */
void		 deliver_record_load(struct deliver_record *);
enum deliver_record_sent deliver_record_send(struct deliver_record *,
		    const struct deliver_record_call *, rconn_reply_cb *,
		    void *arg);
/*
 * A receiver's failed attempts so far, so that a restart does not start
 * its backoff over; best effort (nothing if the writer is down).
 */
void		 deliver_record_attempts(struct deliver_record *,
		    const char *id, const char *receiver, int attempts);
/* 1 if r is NOSCRIPT: the script is loading again; send the call again. */
int		 deliver_record_missing(struct deliver_record *,
		    const struct redisReply *r);

#endif
