/*
 * deliver_ack.c - XACK alerts with nobody to post to, many at a time.
 *
 * deliver_ack_add() queues an ID and, for the first of a turn, makes the
 * send event active: libevent runs it after the callbacks of this turn,
 * so every alert read in one reply goes out in the same commands.  The
 * XACK's reply decides the whole batch; the PEXPIREs' replies are not
 * waited for (a progress hash left over expires with its TTL anyway).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "argv.h"
#include "deliver_ack.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "redis.h"

struct pending {
	const char	*id;
	void		*item;
};

/* One XACK in flight. */
struct batch {
	struct deliver_ack	*da;
	size_t			 n;
	void			*items[DELIVER_ACK_BATCH];
};

struct deliver_ack {
	struct rconn	*writer;
	char		*stream, *group, *prefix;
	deliver_ack_cb	*cb;
	void		*arg;
	struct pending	*q;		/* added this turn */
	size_t		 nq, capq;
	size_t		 inflight;	/* XACKs sent, not answered */
	struct event	*send_ev;
	struct argv	*a;
};

static void
batch_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct batch		*b = arg;
	struct deliver_ack	*da = b->da;
	int			 acked = 1;

	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		if (r != NULL) {
			log_warnx("deliver: acknowledging %zu alerts failed: "
			    "%.*s", b->n, (int)r->len, r->str);
			metrics_inc(METRIC_REDIS_ERRORS);
		}
		acked = 0;
	}
	da->inflight--;
	da->cb(b->items, b->n, acked, da->arg);
	free(b);
}

/* One batch's XACK and PEXPIREs; 0 when it could not be sent. */
static int
send_batch(struct deliver_ack *da, struct batch *b, const struct pending *p)
{
	const char	*cmd;
	char		 h[KEYS_MAX];
	size_t		 len;
	int		 rv;

	if (rconn_state(da->writer) != RCONN_READY)
		return 0;
	argv_reset(da->a);
	argv_push_str(da->a, "XACK");
	argv_push_str(da->a, da->stream);
	argv_push_str(da->a, da->group);
	for (size_t i = 0; i < b->n; i++)
		argv_push_str(da->a, p[i].id);
	cmd = argv_command(da->a, &len);
	rv = rconn_formatted(da->writer, batch_reply, b, cmd, len);
	if (rv == -1)
		return 0;
	da->inflight++;
	for (size_t i = 0; i < b->n; i++) {
		(void)keys_delivery(h, sizeof h, da->prefix, p[i].id);
		(void)rconn_command(da->writer, NULL, NULL, "PEXPIRE %s 1", h);
	}
	return 1;
}

static void
send_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct deliver_ack	*da = arg;
	struct pending		*q = da->q;
	struct batch		*b;
	size_t			 nq = da->nq, n;

	/* The queue is this turn's; a callback may start the next one. */
	da->q = NULL;
	da->nq = da->capq = 0;
	for (size_t off = 0; off < nq; off += n) {
		if ((b = calloc(1, sizeof *b)) == NULL)
			fatal("deliver acks");
		b->da = da;
		while (b->n < DELIVER_ACK_BATCH && off + b->n < nq) {
			b->items[b->n] = q[off + b->n].item;
			b->n++;
		}
		n = b->n;
		if (!send_batch(da, b, &q[off])) {
			da->cb(b->items, b->n, 0, da->arg);
			free(b);
		}
	}
	free(q);
}

void
deliver_ack_add(struct deliver_ack *da, const char *id, void *item)
{
	if (da->nq == da->capq) {
		size_t	 cap = da->capq ? da->capq * 2 : DELIVER_ACK_BATCH;
		void	*q;

		if ((q = reallocarray(da->q, cap, sizeof *da->q)) == NULL)
			fatal("deliver acks");
		da->q = q;
		da->capq = cap;
	}
	da->q[da->nq++] = (struct pending){ id, item };
	if (da->nq == 1)
		event_active(da->send_ev, EV_TIMEOUT, 0);
}

int
deliver_ack_idle(const struct deliver_ack *da)
{
	return da->nq == 0 && da->inflight == 0;
}

struct deliver_ack *
deliver_ack_new(struct event_base *base, struct rconn *writer,
    const char *stream, const char *group, const char *prefix,
    deliver_ack_cb *cb, void *arg)
{
	struct deliver_ack	*da;

	if ((da = calloc(1, sizeof *da)) == NULL)
		return NULL;
	da->writer = writer;
	da->cb = cb;
	da->arg = arg;
	da->a = argv_new();
	if ((da->stream = strdup(stream)) == NULL ||
	    (da->group = strdup(group)) == NULL ||
	    (da->prefix = strdup(prefix)) == NULL ||
	    (da->send_ev = event_new(base, -1, 0, send_cb, da)) == NULL) {
		deliver_ack_free(da);
		return NULL;
	}
	return da;
}

/* After the writer is freed: every batch in flight has had its answer. */
void
deliver_ack_free(struct deliver_ack *da)
{
	if (da == NULL)
		return;
	if (da->send_ev != NULL)
		event_free(da->send_ev);
	argv_free(da->a);
	free(da->q);
	free(da->stream);
	free(da->group);
	free(da->prefix);
	free(da);
}
