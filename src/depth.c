/*
 * depth.c - how many tickets wait in each team's queue, for /metrics.
 *
 * A timer sends one ZCARD per team of the rules in force, pipelined on the
 * writer connection, and publishes the answers together once the last one
 * is in: a scrape never sees half a round.  The poll pins the rules it read
 * the team names from, so a reload in between cannot pull them away.
 *
 * The same round asks XINFO GROUPS of both streams for the consumer
 * group's lag (entries not yet delivered) and pending count (delivered,
 * not acknowledged): how far behind routing is, without a scan.
 *
 * It doubles as the writer's keep-alive: an idle writer has nothing
 * outstanding, so without these commands a paused Redis would be noticed
 * by the reader only.
 */
#define _GNU_SOURCE		/* asprintf */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "daemon.h"
#include "depth.h"
#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "rules.h"

struct depth {
	struct daemon		*d;
	struct event		*timer;
	struct live_config	*pinned;	/* the rules of the round */
	size_t			 nteams;
	int64_t			*counts;	/* -1: no answer */
	size_t			 cap;
	size_t			 next;		/* team of the next reply */
	size_t			 waiting;	/* replies still to come */
};

static void
round_end(struct depth *dp)
{
	const struct rules	*rules = dp->pinned->cfg->rules;
	size_t			 known = 0;

	for (size_t i = 0; i < dp->nteams; i++)
		known += dp->counts[i] >= 0;
	/* A lost connection leaves the last complete round in place. */
	if (known == dp->nteams) {
		metrics_queue_depth_reset();
		for (size_t i = 0; i < dp->nteams; i++)
			metrics_set_queue_depth(rules_team_name(rules, (int)i),
			    dp->counts[i]);
	}
	daemon_config_release(dp->pinned);
	dp->pinned = NULL;
}

static void
zcard_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct depth	*dp = arg;
	size_t		 team = dp->next++;

	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		dp->counts[team] = r->integer;
	else if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		log_warnx("queue depth of team %s: %.*s",
		    rules_team_name(dp->pinned->cfg->rules, (int)team),
		    (int)r->len, r->str);
		metrics_inc(METRIC_REDIS_ERRORS);
	}
	if (--dp->waiting == 0)
		round_end(dp);
}

/* Our group's entry in an XINFO GROUPS reply: lag and pending. */
static void
xinfo_reply(struct rconn *rc, redisReply *r, void *arg)
{
	char	*stream = arg;	/* "STREAM GROUP", ours to free */
	char	*group = strchr(stream, ' ');

	*group++ = '\0';
	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		log_warnx("stream %s: XINFO GROUPS failed: %.*s", stream,
		    (int)r->len, r->str);
		metrics_inc(METRIC_REDIS_ERRORS);
	}
	for (size_t i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY &&
	    i < r->elements; i++) {
		const redisReply	*g = r->element[i];
		int64_t			 lag = -1, pending = -1;
		int			 ours = 0;

		for (size_t k = 0; g->type == REDIS_REPLY_ARRAY &&
		    k + 1 < g->elements; k += 2) {
			const redisReply	*n = g->element[k];
			const redisReply	*v = g->element[k + 1];

			if (n->type != REDIS_REPLY_STRING)
				continue;
			if (strcmp(n->str, "name") == 0 &&
			    v->type == REDIS_REPLY_STRING)
				ours = strcmp(v->str, group) == 0;
			else if (strcmp(n->str, "pending") == 0 &&
			    v->type == REDIS_REPLY_INTEGER)
				pending = v->integer;
			/* nil when Redis cannot tell (after an XDEL). */
			else if (strcmp(n->str, "lag") == 0 &&
			    v->type == REDIS_REPLY_INTEGER)
				lag = v->integer;
		}
		if (ours && pending >= 0)
			metrics_set_stream(stream, lag, pending);
	}
	free(stream);
}

static void
stream_info(struct depth *dp, const char *name)
{
	const struct config	*boot = dp->d->boot->cfg;
	char			*arg;

	if (asprintf(&arg, "%s %s", name, boot->intake.group) == -1)
		fatal("stream info");
	if (rconn_command(dp->d->writer, xinfo_reply, arg,
	    "XINFO GROUPS %s%s", boot->redis.prefix, name) == -1)
		free(arg);
}

static void
depth_poll(evutil_socket_t fd, short ev, void *arg)
{
	struct depth		*dp = arg;
	struct daemon		*d = dp->d;
	const char		*prefix = d->boot->cfg->redis.prefix;
	const struct rules	*rules;
	char			 key[512];

	if (dp->pinned != NULL || rconn_state(d->writer) != RCONN_READY)
		return;
	dp->pinned = daemon_config_acquire(d);
	rules = dp->pinned->cfg->rules;
	dp->nteams = rules_team_count(rules);
	if (dp->nteams > dp->cap) {
		free(dp->counts);
		dp->cap = dp->nteams;
		if ((dp->counts = calloc(dp->cap, sizeof *dp->counts)) == NULL)
			fatal("queue depths");
	}
	dp->next = 0;
	dp->waiting = 0;
	for (size_t i = 0; i < dp->nteams; i++) {
		dp->counts[i] = -1;
		snprintf(key, sizeof key, "%squeue:%s", prefix,
		    rules_team_name(rules, (int)i));
		/* Counted first: a lost connection answers at once. */
		dp->waiting++;
		if (rconn_command(d->writer, zcard_reply, dp, "ZCARD %s",
		    key) == -1) {
			dp->waiting--;
			break;
		}
	}
	if (dp->waiting == 0) {
		daemon_config_release(dp->pinned);
		dp->pinned = NULL;
	}
	stream_info(dp, d->boot->cfg->intake.stream);
	stream_info(dp, d->boot->cfg->intake.events);
}

struct depth *
depth_new(struct daemon *d, int interval_ms)
{
	struct depth	*dp;
	struct timeval	 tv = { interval_ms / 1000, (interval_ms % 1000) * 1000 };

	if ((dp = calloc(1, sizeof *dp)) == NULL)
		return NULL;
	dp->d = d;
	if ((dp->timer = event_new(d->base, -1, EV_PERSIST, depth_poll,
	    dp)) == NULL) {
		free(dp);
		return NULL;
	}
	event_add(dp->timer, &tv);
	return dp;
}

void
depth_free(struct depth *dp)
{
	if (dp == NULL)
		return;
	event_free(dp->timer);
	/*
	 * Freed after the writer, whose outstanding ZCARDs were answered
	 * with NULL by then; this covers a round that never started a reply.
	 */
	if (dp->pinned != NULL)
		daemon_config_release(dp->pinned);
	free(dp->counts);
	free(dp);
}
