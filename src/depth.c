/*
 * depth.c - how many tickets wait in each team's queue, for /metrics.
 *
 * A timer sends one ZCARD per team of the rules in force, pipelined on the
 * writer connection, and publishes the answers together once the last one
 * is in: a scrape never sees half a round.  The poll pins the rules it read
 * the team names from, so a reload in between cannot pull them away.
 *
 * It doubles as the writer's keep-alive: an idle writer has nothing
 * outstanding, so without these commands a paused Redis would be noticed
 * by the reader only.
 */
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
