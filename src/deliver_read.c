/*
 * deliver_read.c - delivery's consumer group on P+alerts (see
 * deliver_read.h).
 *
 * On its own connection (its reads block), like intake.c:
 *
 *   GROUP    XGROUP CREATE P+alerts deliver 0 MKSTREAM (BUSYGROUP is fine)
 *   RECOVER  XREADGROUP ... STREAMS P+alerts 0: this consumer's own pending
 *            alerts, left by a crash
 *   CLAIM    XAUTOCLAIM ... claim_idle: alerts a dead peer held; again
 *            every claim_idle / 2
 *   READ     XREADGROUP ... BLOCK 1000 STREAMS P+alerts >
 *
 *        reply ──> sink.entry(e) for each entry ──> deliver.c: a job
 *   next read <── deliver_read_kick() when a job is let go, if sink.room()
 *
 * Never more is read than the sink has room for, so the alerts beyond it
 * wait in the stream; the gauge counts them (triaged_alerts_undelivered:
 * the group's pending and lag, from XINFO GROUPS on the writer).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "deliver_read.h"
#include "log.h"
#include "metrics.h"

#define READ_COUNT	64
#define READ_BLOCK_MS	1000
#define READ_RETRY_MS	1000	/* Redis refused a command */
#define READ_GAUGE_MS	2000

enum phase { PHASE_WAIT, PHASE_GROUP, PHASE_RECOVER, PHASE_CLAIM, PHASE_READ };

struct deliver_read {
	struct rconn		*reader, *writer;
	char			*alerts, *group, *consumer;
	struct deliver_read_sink sink;
	enum phase		 phase;
	int			 in_flight;	/* a reader command */
	int			 stopping;
	int			 claim_due;
	char			 cursor[64];
	int64_t			 claim_idle_ms, claim_every_ms;
	struct event		*claim_timer, *gauge_timer, *kick_timer;
};

static void
arm(struct event *ev, int64_t ms)
{
	struct timeval	tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Hand each entry to the sink; the last ID into last; how many it took. */
static size_t
add_entries(struct deliver_read *rd, const redisReply *arr, char *last,
    size_t lastlen)
{
	size_t	taken = 0;

	for (size_t i = 0; arr->type == REDIS_REPLY_ARRAY &&
	    i < arr->elements; i++) {
		const redisReply	*e = arr->element[i];

		taken += rd->sink.entry(e, rd->sink.arg) == 1;
		if (last != NULL && e->type == REDIS_REPLY_ARRAY &&
		    e->elements >= 1 && e->element[0]->type ==
		    REDIS_REPLY_STRING)
			snprintf(last, lastlen, "%s", e->element[0]->str);
	}
	return taken;
}

static int
reply_failed(struct deliver_read *rd, redisReply *r, const char *cmd)
{
	if (r == NULL) {
		rd->phase = PHASE_WAIT;
		return 1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("deliver: %s on %s failed: %.*s", cmd, rd->alerts,
		    (int)r->len, r->str);
		metrics_inc(METRIC_REDIS_ERRORS);
		rd->phase = PHASE_GROUP;
		arm(rd->kick_timer, READ_RETRY_MS);
		return 1;
	}
	return 0;
}

static void
group_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct deliver_read	*rd = arg;

	rd->in_flight = 0;
	if (r == NULL) {
		rd->phase = PHASE_WAIT;
		return;
	}
	if (r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "BUSYGROUP", 9) != 0) {
		log_warnx("deliver: cannot create group %s on %s: %.*s",
		    rd->group, rd->alerts, (int)r->len, r->str);
		metrics_inc(METRIC_REDIS_ERRORS);
		arm(rd->kick_timer, READ_RETRY_MS);
		return;
	}
	rd->phase = PHASE_RECOVER;
	snprintf(rd->cursor, sizeof rd->cursor, "0");
	deliver_read_kick(rd);
}

/* XREADGROUP: [[key, [entry, ...]]] or nil. */
static void
read_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct deliver_read	*rd = arg;
	size_t			 got = 0;

	rd->in_flight = 0;
	if (reply_failed(rd, r, "XREADGROUP"))
		return;
	/* Stopping: what was read stays pending, for the next start. */
	if (rd->stopping)
		return;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2) {
		redisReply	*entries = r->element[0]->element[1];

		got = entries->elements;
		(void)add_entries(rd, entries, rd->phase == PHASE_RECOVER ?
		    rd->cursor : NULL, sizeof rd->cursor);
	}
	if (rd->phase == PHASE_RECOVER && got == 0) {
		rd->phase = PHASE_CLAIM;
		snprintf(rd->cursor, sizeof rd->cursor, "0-0");
	}
	deliver_read_kick(rd);
}

/* XAUTOCLAIM: [next cursor, [entry, ...], [deleted id, ...]]. */
static void
claim_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct deliver_read	*rd = arg;

	rd->in_flight = 0;
	if (reply_failed(rd, r, "XAUTOCLAIM") || rd->stopping)
		return;
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING) {
		size_t	taken = add_entries(rd, r->element[1], NULL, 0);

		if (taken > 0) {
			log_info("deliver: took over %zu alerts an idle "
			    "consumer held", taken);
			metrics_add(METRIC_CLAIMED, taken);
		}
		snprintf(rd->cursor, sizeof rd->cursor, "%s",
		    r->element[0]->str);
		if (strcmp(rd->cursor, "0-0") != 0) {
			deliver_read_kick(rd);
			return;
		}
	}
	rd->phase = PHASE_READ;
	deliver_read_kick(rd);
}

/* Send the next reader command if there is room for what it reads. */
void
deliver_read_kick(struct deliver_read *rd)
{
	size_t	 room;
	char	 count[16];
	int	 rv = -1;

	if (rd->stopping || rd->in_flight ||
	    rconn_state(rd->reader) != RCONN_READY)
		return;
	if ((room = rd->sink.room(rd->sink.arg)) > READ_COUNT)
		room = READ_COUNT;
	snprintf(count, sizeof count, "%zu", room);
	if (room == 0 && rd->phase != PHASE_GROUP && rd->phase != PHASE_WAIT)
		return;		/* an alert let go kicks again */
	switch (rd->phase) {
	case PHASE_WAIT:
	case PHASE_GROUP:
		rd->phase = PHASE_GROUP;
		rv = rconn_command(rd->reader, group_reply, rd,
		    "XGROUP CREATE %s %s 0 MKSTREAM", rd->alerts, rd->group);
		break;
	case PHASE_RECOVER:
		rv = rconn_command(rd->reader, read_reply, rd,
		    "XREADGROUP GROUP %s %s COUNT %s STREAMS %s %s",
		    rd->group, rd->consumer, count, rd->alerts, rd->cursor);
		break;
	case PHASE_CLAIM:
		rv = rconn_command(rd->reader, claim_reply, rd,
		    "XAUTOCLAIM %s %s %s %lld %s COUNT %s", rd->alerts,
		    rd->group, rd->consumer, (long long)rd->claim_idle_ms,
		    rd->cursor, count);
		break;
	case PHASE_READ:
		if (rd->claim_due) {
			rd->claim_due = 0;
			rd->phase = PHASE_CLAIM;
			snprintf(rd->cursor, sizeof rd->cursor, "0-0");
			deliver_read_kick(rd);
			return;
		}
		rv = rconn_command(rd->reader, read_reply, rd,
		    "XREADGROUP GROUP %s %s COUNT %s BLOCK %d STREAMS %s >",
		    rd->group, rd->consumer, count, READ_BLOCK_MS, rd->alerts);
		break;
	}
	if (rv == 0)
		rd->in_flight = 1;
}

static void
kick_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	deliver_read_kick(arg);
}

void
deliver_read_state(struct deliver_read *rd, enum rconn_state s)
{
	rd->in_flight = 0;
	rd->phase = s == RCONN_READY ? PHASE_GROUP : PHASE_WAIT;
	if (s == RCONN_READY)
		deliver_read_kick(rd);
}

static void
claim_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct deliver_read	*rd = arg;

	rd->claim_due = 1;
}

/* XINFO GROUPS: pending + lag of our group. */
static void
gauge_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct deliver_read	*rd = arg;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i < r->elements; i++) {
		redisReply	*g = r->element[i];
		int		 ours = 0;
		int64_t		 pending = 0, lag = 0;

		if (g->type != REDIS_REPLY_ARRAY)
			continue;
		for (size_t k = 0; k + 1 < g->elements; k += 2) {
			const char	*name = g->element[k]->str;
			redisReply	*v = g->element[k + 1];

			if (name == NULL)
				continue;
			if (strcmp(name, "name") == 0 && v->str != NULL)
				ours = strcmp(v->str, rd->group) == 0;
			else if (strcmp(name, "pending") == 0 &&
			    v->type == REDIS_REPLY_INTEGER)
				pending = v->integer;
			else if (strcmp(name, "lag") == 0 &&
			    v->type == REDIS_REPLY_INTEGER)
				lag = v->integer;
		}
		if (ours)
			metrics_set_undelivered(pending + lag);
	}
}

static void
gauge_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct deliver_read	*rd = arg;

	if (rconn_state(rd->writer) == RCONN_READY)
		(void)rconn_command(rd->writer, gauge_reply, rd,
		    "XINFO GROUPS %s", rd->alerts);
}

int
deliver_read_configure(struct deliver_read *rd, int64_t claim_idle_ms)
{
	int64_t		every = claim_idle_ms / 2;
	struct timeval	tv;

	rd->claim_idle_ms = claim_idle_ms;
	if (every < 1000)
		every = 1000;
	if (every == rd->claim_every_ms)
		return 0;
	rd->claim_every_ms = every;
	tv.tv_sec = every / 1000;
	tv.tv_usec = (every % 1000) * 1000;
	event_add(rd->claim_timer, &tv);
	return 1;
}

struct deliver_read *
deliver_read_new(struct event_base *base, struct rconn *reader,
    struct rconn *writer, const char *alerts, const char *group,
    const char *consumer, const struct deliver_read_sink *sink)
{
	struct deliver_read	*rd;
	struct timeval		 tv = { READ_GAUGE_MS / 1000, 0 };

	if ((rd = calloc(1, sizeof *rd)) == NULL)
		return NULL;
	rd->reader = reader;
	rd->writer = writer;
	rd->sink = *sink;
	rd->phase = PHASE_WAIT;
	if ((rd->alerts = strdup(alerts)) == NULL ||
	    (rd->group = strdup(group)) == NULL ||
	    (rd->consumer = strdup(consumer)) == NULL ||
	    (rd->claim_timer = event_new(base, -1, EV_PERSIST,
	    claim_timer_cb, rd)) == NULL ||
	    (rd->gauge_timer = event_new(base, -1, EV_PERSIST,
	    gauge_timer_cb, rd)) == NULL ||
	    (rd->kick_timer = evtimer_new(base, kick_timer_cb, rd)) == NULL) {
		deliver_read_free(rd);
		return NULL;
	}
	event_add(rd->gauge_timer, &tv);
	metrics_set_undelivered(0);	/* a series from the start */
	return rd;
}

void
deliver_read_stop(struct deliver_read *rd)
{
	rd->stopping = 1;
}

int
deliver_read_busy(const struct deliver_read *rd)
{
	return rd->in_flight;
}

void
deliver_read_free(struct deliver_read *rd)
{
	if (rd == NULL)
		return;
	if (rd->claim_timer != NULL)
		event_free(rd->claim_timer);
	if (rd->gauge_timer != NULL)
		event_free(rd->gauge_timer);
	if (rd->kick_timer != NULL)
		event_free(rd->kick_timer);
	free(rd->alerts);
	free(rd->group);
	free(rd->consumer);
	free(rd);
}
