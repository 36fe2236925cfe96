/*
 * depth.c - how many tickets wait in each team's queue, for /metrics.
 *
 * A timer sends one ZCARD per team of the rules in force, pipelined on the
 * writer connection, and publishes the answers together once the last one
 * is in: a scrape never sees half a round.  The poll pins the rules it read
 * the team names from, so a reload in between cannot pull them away.
 *
 * Queues of teams the rules no longer name (a team renamed or removed)
 * hold tickets no agent sees: after start and after every reload one
 * SCAN pass finds such queues, and each round counts them too
 * (triaged_queue_orphaned_tickets), with a warning when one holds any.
 * The pass after start waits DEPTH_SCAN_ROUNDS rounds: a walk over every
 * key costs Redis about 0.6 ms per thousand, and a restart's overdue
 * escalations and pending requests come first.
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
#include "depth.h"
#include "keys.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "rules.h"

#define DEPTH_SCAN_ROUNDS	3	/* rounds before the first pass */

struct depth {
	struct rconn		*writer;
	const struct config	*boot;		/* prefix, streams, group */
	struct live_config	*live;		/* the teams in force */
	struct event		*timer;
	struct live_config	*pinned;	/* the rules of the round */
	size_t			 nteams;
	int64_t			*counts;	/* -1: no answer */
	size_t			 cap;
	size_t			 next;		/* team of the next reply */
	size_t			 waiting;	/* replies still to come */
	/* Queues of teams not in the rules, found by SCAN. */
	char			 scanned[16];	/* rules version of the pass */
	int			 scanning;
	int			 rounds;	/* up to DEPTH_SCAN_ROUNDS */
	char			**orphans;	/* team names */
	int			*warned;
	size_t			 norphans;
};

static void	scan_next(struct depth *, const char *cursor);

static void
orphans_clear(struct depth *dp)
{
	for (size_t i = 0; i < dp->norphans; i++)
		free(dp->orphans[i]);
	free(dp->orphans);
	free(dp->warned);
	dp->orphans = NULL;
	dp->warned = NULL;
	dp->norphans = 0;
	metrics_orphaned_reset();
}

static void
orphan_add(struct depth *dp, const char *team, size_t len)
{
	char	**o;
	int	 *w;

	for (size_t i = 0; i < dp->norphans; i++)
		if (strlen(dp->orphans[i]) == len &&
		    memcmp(dp->orphans[i], team, len) == 0)
			return;		/* SCAN may return a key twice */
	if ((o = realloc(dp->orphans, (dp->norphans + 1) * sizeof *o)) == NULL)
		fatal("orphaned queues");
	dp->orphans = o;
	if ((w = realloc(dp->warned, (dp->norphans + 1) * sizeof *w)) == NULL)
		fatal("orphaned queues");
	dp->warned = w;
	if ((o[dp->norphans] = strndup(team, len)) == NULL)
		fatal("orphaned queues");
	/* bit 1: warned of; bit 2: this round's ZCARD answered */
	dp->warned[dp->norphans++] = 0;
}

static void
scan_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct depth		*dp = arg;
	const struct config	*boot = dp->boot;
	const struct rules	*rules = dp->live->cfg->rules;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR) {
			log_warnx("looking for queues of unknown teams: %.*s",
			    (int)r->len, r->str);
			metrics_inc(METRIC_REDIS_ERRORS);
		}
		dp->scanning = 0;	/* the next round tries again */
		dp->scanned[0] = '\0';
		return;
	}
	for (size_t i = 0; i < r->element[1]->elements; i++) {
		const redisReply	*k = r->element[1]->element[i];
		const char		*team;
		size_t			 len;

		if (k->type == REDIS_REPLY_STRING &&
		    (team = keys_queue_team(boot->redis.prefix, k->str, k->len,
		    &len)) != NULL && rules_team_find(rules, team, len) == -1)
			orphan_add(dp, team, len);
	}
	if (strcmp(r->element[0]->str, "0") == 0)
		dp->scanning = 0;
	else
		scan_next(dp, r->element[0]->str);
}

static void
scan_next(struct depth *dp, const char *cursor)
{
	char	pattern[KEYS_MAX];

	if (keys_queue_pattern(pattern, sizeof pattern,
	    dp->boot->redis.prefix) == -1 ||
	    rconn_command(dp->writer, scan_reply, dp, "SCAN %s MATCH "
	    "%s COUNT 1000 TYPE zset", cursor, pattern) == -1) {
		dp->scanning = 0;
		dp->scanned[0] = '\0';
	}
}

static void
orphan_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct depth	*dp = arg;
	size_t		 i;
	char		 key[KEYS_MAX];

	/* Replies come in order: the first orphan not yet answered. */
	for (i = 0; i < dp->norphans && dp->warned[i] & 2; i++)
		;
	if (i == dp->norphans)
		return;
	dp->warned[i] |= 2;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return;
	metrics_set_orphaned(dp->orphans[i], r->integer);
	/* The key fits: orphans_poll() made it to send the ZCARD. */
	if (r->integer > 0 && !(dp->warned[i] & 1) &&
	    keys_queue(key, sizeof key, dp->boot->redis.prefix,
	    dp->orphans[i], strlen(dp->orphans[i])) != -1) {
		dp->warned[i] |= 1;
		log_warnx("queue %s holds %lld tickets of team %s, which "
		    "the rules in force do not name: no agent sees them; "
		    "move them to a team's queue or bring the team back",
		    key, r->integer, dp->orphans[i]);
	}
}

/* Count the orphaned queues; look for them again after a reload. */
static void
orphans_poll(struct depth *dp)
{
	const struct config	*live = dp->live->cfg;
	char			 key[KEYS_MAX];

	if (dp->scanning)
		return;
	if (dp->rounds < DEPTH_SCAN_ROUNDS) {
		dp->rounds++;
		return;
	}
	if (strcmp(dp->scanned, live->version) != 0) {
		orphans_clear(dp);
		snprintf(dp->scanned, sizeof dp->scanned, "%s", live->version);
		dp->scanning = 1;
		scan_next(dp, "0");
		return;
	}
	for (size_t i = 0; i < dp->norphans; i++) {
		if (keys_queue(key, sizeof key, dp->boot->redis.prefix,
		    dp->orphans[i], strlen(dp->orphans[i])) == -1) {
			dp->warned[i] |= 2;	/* never asked: as answered */
			continue;
		}
		dp->warned[i] &= ~2;
		if (rconn_command(dp->writer, orphan_reply, dp, "ZCARD %s",
		    key) == -1)
			break;
	}
}

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
	live_release(dp->pinned);
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
	const struct config	*boot = dp->boot;
	char			*arg, key[KEYS_MAX];

	if (keys_stream(key, sizeof key, boot->redis.prefix, name) == -1)
		return;
	if (asprintf(&arg, "%s %s", name, boot->intake.group) == -1)
		fatal("stream info");
	if (rconn_command(dp->writer, xinfo_reply, arg,
	    "XINFO GROUPS %s", key) == -1)
		free(arg);
}

static void
depth_poll(evutil_socket_t fd, short ev, void *arg)
{
	struct depth		*dp = arg;
	const char		*prefix = dp->boot->redis.prefix;
	const struct rules	*rules;
	char			 key[KEYS_MAX];

	if (dp->pinned != NULL || rconn_state(dp->writer) != RCONN_READY)
		return;
	dp->pinned = live_acquire(dp->live);
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
		const char	*team = rules_team_name(rules, (int)i);

		dp->counts[i] = -1;
		if (keys_queue(key, sizeof key, prefix, team,
		    strlen(team)) == -1) {
			/* The round stays incomplete, as if the writer had gone. */
			log_warnx("queue depth of team %s: its key is longer "
			    "than %d bytes", team, KEYS_MAX - 1);
			break;
		}
		/* Counted first: a lost connection answers at once. */
		dp->waiting++;
		if (rconn_command(dp->writer, zcard_reply, dp, "ZCARD %s",
		    key) == -1) {
			dp->waiting--;
			break;
		}
	}
	if (dp->waiting == 0) {
		live_release(dp->pinned);
		dp->pinned = NULL;
	}
	stream_info(dp, dp->boot->intake.stream);
	stream_info(dp, dp->boot->intake.events);
	orphans_poll(dp);
}

struct depth *
depth_new(struct event_base *base, struct rconn *writer,
    const struct config *boot, struct live_config *live, int interval_ms)
{
	struct depth	*dp;
	struct timeval	 tv = { interval_ms / 1000, (interval_ms % 1000) * 1000 };

	if ((dp = calloc(1, sizeof *dp)) == NULL)
		return NULL;
	dp->writer = writer;
	dp->boot = boot;
	dp->live = live_acquire(live);
	if ((dp->timer = event_new(base, -1, EV_PERSIST, depth_poll,
	    dp)) == NULL) {
		live_release(dp->live);
		free(dp);
		return NULL;
	}
	event_add(dp->timer, &tv);
	return dp;
}

void
depth_set_config(struct depth *dp, struct live_config *live)
{
	live_release(dp->live);
	dp->live = live_acquire(live);
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
		live_release(dp->pinned);
	free(dp->counts);
	for (size_t i = 0; i < dp->norphans; i++)
		free(dp->orphans[i]);
	free(dp->orphans);
	free(dp->warned);
	live_release(dp->live);
	free(dp);
}
