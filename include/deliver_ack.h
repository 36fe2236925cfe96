/*
 * deliver_ack.h - alerts with nobody to post to, acked many at a time.
 *
 * An alert whose notify target is a name only is done as soon as it is
 * read: it is in the stream, and nothing is posted.  A catch-up fires
 * thousands of those, and a record script call each costs Redis ten
 * times an ID's share of one XACK.  So deliver.c hands them here; those
 * added in one turn of the loop go out after it as one XACK of up to
 * DELIVER_ACK_BATCH IDs, with a PEXPIRE each for a progress hash left by
 * rules that did deliver the alert before a reload.
 *
 * The caller learns of each batch through its callback: acked, or not
 * (Redis down or an error), in which case it acks those alerts its own
 * way.  Nothing here retries.
 */
#ifndef TRIAGED_DELIVER_ACK_H
#define TRIAGED_DELIVER_ACK_H

#include <stddef.h>

struct deliver_ack;
struct event_base;
struct rconn;

#define DELIVER_ACK_BATCH	256	/* IDs in one XACK */

/* items: what deliver_ack_add() was given with each ID, in a batch. */
typedef void	 deliver_ack_cb(void **items, size_t n, int acked, void *arg);

/* XACK on writer, entries of stream in group; progress hashes by prefix. */
struct deliver_ack *deliver_ack_new(struct event_base *, struct rconn *writer,
		    const char *stream, const char *group, const char *prefix,
		    deliver_ack_cb *, void *arg);
void		 deliver_ack_free(struct deliver_ack *);	/* accepts NULL */
/* Ack entry id after this turn; id must stay valid until the callback. */
void		 deliver_ack_add(struct deliver_ack *, const char *id,
		    void *item);
/* 1 when nothing is queued and no XACK is in flight. */
int		 deliver_ack_idle(const struct deliver_ack *);

#endif
