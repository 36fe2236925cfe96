/*
 * events.c - applying lifecycle events to tickets, one at a time, in
 * stream order.
 *
 * An event changes the ticket and its schedule in P+sla according to
 * business time, and business time needs the calendar, which lives here in
 * C, not in Redis.  So each event is a read, a decision and a conditional
 * write:
 *
 *   HGETALL ticket ──> clock_event() (clock.c) ──> EVALSHA apply:
 *       entry still pending?   no  -> 'd' (another consumer did it)
 *       ticket rev unchanged?  no  -> 'R' (read again, decide again)
 *       HSET/HDEL fields, ZREM/ZADD steps in P+sla, move between queues,
 *       PEXPIRE/PERSIST, rev + 1, XACK                      -> 'A'
 *
 * What an event does to the clocks is decided in clock.c, from the
 * ticket's fields, the rules and now; this file reads the ticket, carries
 * the writes out and counts the clocks they stop.  The write is one
 * script, so a crash leaves the event either applied and acknowledged or
 * untouched and pending; `rev` (bumped by every write, including the
 * escalation script's) is the optimistic check that keeps a concurrent
 * change from being overwritten with stale arithmetic.
 *
 * Events that cannot be applied (unknown ticket, unknown event, missing
 * field, unknown team) go to P+dead with the reason, and are acknowledged.
 * An event with nothing to change (responded twice, resumed while running)
 * is acknowledged and logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "argv.h"
#include "batch.h"
#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "deadline.h"
#include "deadletter_argv.h"
#include "events.h"
#include "keys.h"
#include "live.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "now.h"
#include "redis.h"
#include "request.h"
#include "rules.h"
#include "script.h"

#define EVENTS_MAX_ATTEMPTS	10
#define EVENTS_RETRY_MS		200

/*
 * KEYS: events stream, dead stream, ticket, sla set.
 * ARGV: group, entry id, mode, rev, then for mode D the dead letter's
 * field/value pairs, for mode A the operations:
 *   H f v   HSET        X f     HDEL
 *   S+ score member     S- member        (the schedule)
 *   Q+ queue score id   Q- queue id      QM from to id (moved if queued)
 *   E ms    PEXPIRE     P       PERSIST
 * Mode N only acknowledges.
 */
static const char apply_script[] =
"local stream, dead, tkey, sla = KEYS[1], KEYS[2], KEYS[3], KEYS[4]\n"
"local group, src, mode, rev = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
"if #redis.call('XPENDING', stream, group, src, src, 1) == 0 then\n"
"  return 'd'\n"
"end\n"
"if mode == 'D' then\n"
"  redis.call('XADD', dead, '*', unpack(ARGV, 5))\n"
"elseif mode == 'A' then\n"
"  if redis.call('EXISTS', tkey) == 0 or\n"
"     (redis.call('HGET', tkey, 'rev') or '0') ~= rev then\n"
"    return 'R'\n"
"  end\n"
/*
 * Redis Cluster: touch every queue key before the first write, so that one
 * already migrated out of a migrating slot fails the call here with nothing
 * written.  The walk steps over the operations as the loop below reads them.
 */
"  local j = 5\n"
"  while j <= #ARGV do\n"
"    local op = ARGV[j]\n"
"    if op == 'Q+' or op == 'QM' then\n"
"      redis.call('EXISTS', ARGV[j + 1])\n"
"      if op == 'QM' then redis.call('EXISTS', ARGV[j + 2]) end\n"
"      j = j + 4\n"
"    elseif op == 'Q-' then\n"
"      redis.call('EXISTS', ARGV[j + 1]); j = j + 3\n"
"    elseif op == 'H' or op == 'S+' then j = j + 3\n"
"    elseif op == 'P' then j = j + 1\n"
"    else j = j + 2 end\n"
"  end\n"
"  local i = 5\n"
"  while i <= #ARGV do\n"
"    local op = ARGV[i]\n"
"    if op == 'H' then\n"
"      redis.call('HSET', tkey, ARGV[i + 1], ARGV[i + 2]); i = i + 3\n"
"    elseif op == 'X' then\n"
"      redis.call('HDEL', tkey, ARGV[i + 1]); i = i + 2\n"
"    elseif op == 'S+' then\n"
"      redis.call('ZADD', sla, ARGV[i + 1], ARGV[i + 2]); i = i + 3\n"
"    elseif op == 'S-' then\n"
"      redis.call('ZREM', sla, ARGV[i + 1]); i = i + 2\n"
"    elseif op == 'Q+' then\n"
"      redis.call('ZADD', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4\n"
"    elseif op == 'Q-' then\n"
"      redis.call('ZREM', ARGV[i + 1], ARGV[i + 2]); i = i + 3\n"
"    elseif op == 'QM' then\n"
"      local score = redis.call('ZSCORE', ARGV[i + 1], ARGV[i + 3])\n"
"      if score then\n"
"        redis.call('ZREM', ARGV[i + 1], ARGV[i + 3])\n"
"        redis.call('ZADD', ARGV[i + 2], score, ARGV[i + 3])\n"
"      end\n"
"      i = i + 4\n"
"    elseif op == 'E' then\n"
"      redis.call('PEXPIRE', tkey, ARGV[i + 1]); i = i + 2\n"
"    elseif op == 'P' then\n"
"      redis.call('PERSIST', tkey); i = i + 1\n"
"    else\n"
"      return redis.error_reply('apply: unknown operation ' .. op)\n"
"    end\n"
"  end\n"
/* Not HINCRBY: it fails on a rev that is not an integer, after the writes. */
"  redis.call('HSET', tkey, 'rev', (tonumber(rev) or 0) + 1)\n"
"end\n"
"redis.call('XACK', stream, group, src)\n"
"return mode\n";

struct events {
	struct rconn		*writer;
	const struct config	*boot;		/* keys and names: fixed */
	struct live_config	*live;		/* the rules a new batch pins */
	struct events_cb	 cb;
	struct script	 apply;
	struct batch	*b;		/* the batch being applied */
	size_t		 next;		/* its entry in progress */
	int		 attempts;
	int		 waiting;	/* for the writer or the script */
	struct event	*retry;
	struct calendar	*always;	/* for tickets without a policy */
	struct keys	 fixed;		/* events, dead, sla */
	/* The entry in progress, copied out of the batch. */
	char		 ticket[REQUEST_ID_MAX + 1];
	char		 team[LIFECYCLE_TEAM_MAX + 1];
	enum lifecycle_kind kind;
	/* What the clock decided for it, and the labels of what it stops. */
	struct clock_writes writes;
	char		 stop_team[LIFECYCLE_TEAM_MAX + 1];
	char		 stop_policy[128];
	char		 tkey[KEYS_MAX];	/* the ticket's; "" if none */
	/* The ticket as read: fields pointing into its reply. */
	struct field	*fields;
	size_t		 fields_cap;
	struct argv	*call;		/* the apply call being built, or sent */
};

static void	step(struct events *);
static void	later(struct events *);

static void
call_reset(struct events *ev)
{
	argv_reset(ev->call);
}

/* EVALSHA sha 4 events dead ticket sla group src mode rev */
static void
call_start(struct events *ev, const char *mode, const char *rev)
{
	const struct config	*boot = ev->boot;
	struct entry		*e = &ev->b->entries[ev->next];
	struct argv		*a = ev->call;

	call_reset(ev);
	argv_push_str(a, "EVALSHA");
	argv_push_str(a, ev->apply.sha);
	argv_push_str(a, "4");
	argv_push_str(a, ev->fixed.events);
	argv_push_str(a, ev->fixed.dead);
	argv_push_str(a, ev->tkey[0] != '\0' ? ev->tkey : ev->fixed.dead);
	argv_push_str(a, ev->fixed.sla);
	argv_push_str(a, boot->intake.group);
	argv_push_str(a, batch_id(ev->b, e));
	argv_push_str(a, mode);
	argv_push_str(a, rev);
}

static void	apply_reply(struct rconn *, redisReply *, void *);

static void
call_send(struct events *ev)
{
	const char	*cmd;
	size_t		 len;

	cmd = argv_command(ev->call, &len);
	if (rconn_formatted(ev->writer, apply_reply, ev, cmd, len) == -1)
		later(ev);
}

/* Send the entry to the dead-letter stream with why. */
static void
dead_letter(struct events *ev, const char *label, const char *why)
{
	struct batch	*b = ev->b;
	struct entry	*e = &b->entries[ev->next];

	log_info("event %s to the dead-letter stream: %s", batch_id(b, e),
	    why);
	metrics_event_rejected(label);
	call_start(ev, "D", "");
	deadletter_argv(ev->call, b, e, b->config->cfg->intake.max_field_bytes,
	    why, ev->boot->intake.events, now_ms(), 0);
	call_send(ev);
}

/* The ticket as read, field by name. */
static const char *
hget(const redisReply *h, const char *name)
{
	for (size_t i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(h->element[i]->str, name) == 0)
			return h->element[i + 1]->str;
	return NULL;
}

/*
 * The ticket's clocks from its HGETALL reply; the fields point into the
 * reply.  A clock number that is not one (corrupt, or out of range) is
 * taken as absent, with a warning: nothing read from Redis may overflow
 * the clock arithmetic.
 */
static void
ticket_read(struct events *ev, const redisReply *h, struct clock_ticket *t)
{
	size_t	n = 0;

	if (h->elements / 2 > ev->fields_cap) {
		ev->fields_cap = h->elements / 2;
		free(ev->fields);
		if ((ev->fields = calloc(ev->fields_cap,
		    sizeof *ev->fields)) == NULL)
			fatal("events fields");
	}
	for (size_t i = 0; i + 1 < h->elements; i += 2) {
		const redisReply	*k = h->element[i], *v = h->element[i + 1];

		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING)
			continue;
		ev->fields[n++] = (struct field){ k->str, k->len, v->str,
		    v->len };
	}
	clock_ticket_parse(t, ev->fields, n);
	for (size_t i = 0; i < t->ncorrupt; i++)
		log_warnx("ticket field '%.*s' is not a clock value ('%.*s'); "
		    "ignored", (int)t->corrupt[i].name_len, t->corrupt[i].name,
		    (int)(t->corrupt[i].value_len < 32 ?
		    t->corrupt[i].value_len : 32), t->corrupt[i].value);
}

/* A queue's key, for a team the clock names. */
static void
push_queue(struct events *ev, const char *team, size_t len)
{
	char	key[KEYS_MAX];
	int	n;

	if ((n = keys_queue(key, sizeof key, ev->boot->redis.prefix, team,
	    len)) == -1)
		fatalx("events: queue key too long");
	argv_push(ev->call, key, (size_t)n);
}

/* The clock's writes, as the apply script's operations. */
static void
push_writes(struct events *ev, const struct clock_writes *w)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct clock_write	*cw = &w->w[i];
		int				 teams = 0;

		/* The queue operations name teams where the script takes keys. */
		if (cw->op == CLOCK_QUEUE_ADD || cw->op == CLOCK_QUEUE_DEL)
			teams = 1;
		else if (cw->op == CLOCK_QUEUE_MOVE)
			teams = 2;
		argv_push_str(ev->call, clock_op_name(cw->op));
		for (int a = 0; a < cw->nargs; a++) {
			if (a < teams)
				push_queue(ev, cw->arg[a], cw->len[a]);
			else
				argv_push(ev->call, cw->arg[a], cw->len[a]);
		}
	}
}

static void
ticket_reply(struct rconn *rc, redisReply *reply, void *arg)
{
	struct events		*ev = arg;
	const struct config	*cfg = ev->b->config->cfg;
	struct clock_rules	 cr;
	struct clock_ticket	 t;
	struct lifecycle_event	 le;
	char			 rev[32], why[256];

	if (reply == NULL) {
		later(ev);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY) {
		log_warnx("event %s: reading ticket %s failed: %.*s",
		    batch_id(ev->b, &ev->b->entries[ev->next]), ev->ticket,
		    reply->type == REDIS_REPLY_ERROR ? (int)reply->len : 0,
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "");
		metrics_inc(METRIC_REDIS_ERRORS);
		later(ev);
		return;
	}
	if (reply->elements == 0) {
		snprintf(why, sizeof why, "no ticket '%s': it was never routed "
		    "or has expired", ev->ticket);
		dead_letter(ev, "unknown_ticket", why);
		return;
	}
	snprintf(rev, sizeof rev, "%s", hget(reply, "rev") != NULL ?
	    hget(reply, "rev") : "0");
	ticket_read(ev, reply, &t);
	cr.rules = cfg->rules;
	cr.always = ev->always;
	cr.retention_ms = cfg->retention_ms;
	le.ticket = ev->ticket;
	le.ticket_len = strlen(ev->ticket);
	le.kind = ev->kind;
	le.team = ev->team;
	le.team_len = strlen(ev->team);
	/* The labels of the clocks it stops, counted once it is applied. */
	snprintf(ev->stop_team, sizeof ev->stop_team, "%.*s",
	    t.team != NULL ? (int)t.team_len : 0, t.team != NULL ? t.team : "");
	snprintf(ev->stop_policy, sizeof ev->stop_policy, "%.*s",
	    t.policy != NULL ? (int)t.policy_len : 4,
	    t.policy != NULL ? t.policy : "none");
	if (clock_event(&cr, &t, &le, now_ms(), &ev->writes)) {
		call_start(ev, "A", rev);
		push_writes(ev, &ev->writes);
	} else {
		call_start(ev, "N", rev);
		log_info("event %s: %s for ticket %s (status %.*s) changes "
		    "nothing", batch_id(ev->b, &ev->b->entries[ev->next]),
		    lifecycle_kind_name(ev->kind), ev->ticket,
		    t.status != NULL ? (int)t.status_len : 1,
		    t.status != NULL ? t.status : "?");
	}
	call_send(ev);
}

static void
apply_reply(struct rconn *rc, redisReply *reply, void *arg)
{
	struct events	*ev = arg;
	struct entry	*e = &ev->b->entries[ev->next];

	if (reply == NULL) {
		later(ev);
		return;
	}
	if (script_missing(&ev->apply, rc, reply)) {
		later(ev);
		return;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("event %s: applying it failed: %.*s; left pending",
		    batch_id(ev->b, e), (int)reply->len, reply->str);
		metrics_inc(METRIC_REDIS_ERRORS);
		ev->next++;
		ev->attempts = 0;
		step(ev);
		return;
	}
	if (reply->type == REDIS_REPLY_STRING && reply->len == 1 &&
	    reply->str[0] == 'R') {
		/* The ticket changed under us: read it again. */
		if (++ev->attempts < EVENTS_MAX_ATTEMPTS) {
			step(ev);
			return;
		}
		log_warnx("event %s: ticket %s kept changing; left pending",
		    batch_id(ev->b, e), ev->ticket);
	} else if (reply->type == REDIS_REPLY_STRING && reply->len == 1 &&
	    reply->str[0] == 'A') {
		log_info("event %s: ticket %s %s", batch_id(ev->b, e),
		    ev->ticket, lifecycle_kind_name(ev->kind));
		for (int m = 0; m < SLA_NMETRICS; m++)
			if (ev->writes.stop[m].stopped)
				metrics_sla_stopped(deadline_metric_name(m),
				    ev->stop_team, ev->stop_policy,
				    ev->writes.stop[m].met);
	}
	ev->next++;
	ev->attempts = 0;
	step(ev);
}

/* Validate the entry in progress; 0 and the entry is dead-lettered. */
static int
validate(struct events *ev)
{
	struct batch		*b = ev->b;
	struct entry		*e = &b->entries[ev->next];
	const struct config	*cfg = b->config->cfg;
	const struct field	*req, *cust;
	size_t			 nreq, ncust;
	struct lifecycle_event	 le;
	const char		*reason;
	char			 why[512];

	if (e->malformed == 1) {
		dead_letter(ev, "malformed", "the entry is not a list of "
		    "field/value pairs");
		return 0;
	}
	if (e->deliveries > cfg->intake.max_deliveries) {
		snprintf(why, sizeof why, "delivered %d times without being "
		    "applied (intake.max_deliveries is %d)", e->deliveries - 1,
		    cfg->intake.max_deliveries);
		dead_letter(ev, "too_many_deliveries", why);
		return 0;
	}
	if (batch_fields(b, e, &req, &nreq, &cust, &ncust) == -1)
		fatal("batch fields");
	if (lifecycle_parse(req, nreq, cfg->rules, &le, &reason, why,
	    sizeof why) == -1) {
		dead_letter(ev, reason, why);
		return 0;
	}
	ev->kind = le.kind;
	memcpy(ev->ticket, le.ticket, le.ticket_len);
	ev->ticket[le.ticket_len] = '\0';
	ev->team[0] = '\0';
	if (le.team != NULL) {
		memcpy(ev->team, le.team, le.team_len);
		ev->team[le.team_len] = '\0';
	}
	return 1;
}

/* Work on the entry in progress, or settle the batch. */
static void
step(struct events *ev)
{
	struct batch	*b = ev->b;
	struct entry	*e;

	if (b == NULL || ev->waiting)
		return;
	if (ev->next >= b->nentries) {
		ev->b = NULL;
		call_reset(ev);
		live_release(b->config);
		b->config = NULL;
		ev->cb.done(b, ev->cb.arg);
		return;
	}
	if (rconn_state(ev->writer) != RCONN_READY ||
	    !script_ensure(&ev->apply, ev->writer)) {
		later(ev);
		return;
	}
	e = &b->entries[ev->next];
	ev->tkey[0] = '\0';
	if (e->malformed == 2) {	/* trimmed while pending: ack it */
		call_start(ev, "N", "");
		call_send(ev);
		return;
	}
	if (!validate(ev))
		return;
	if (keys_ticket(ev->tkey, sizeof ev->tkey, ev->boot->redis.prefix,
	    ev->ticket, strlen(ev->ticket)) == -1)
		fatalx("events: ticket key too long");
	if (rconn_command(ev->writer, ticket_reply, ev, "HGETALL %s",
	    ev->tkey) == -1)
		later(ev);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct events	*ev = arg;

	ev->waiting = 0;
	step(ev);
}

/* Try the entry in progress again a little later. */
static void
later(struct events *ev)
{
	struct timeval	tv = { 0, EVENTS_RETRY_MS * 1000 };

	if (++ev->attempts > EVENTS_MAX_ATTEMPTS * 50) {
		/* Redis has been away for minutes: leave the rest pending. */
		log_warnx("events: giving up on a batch of %zu; its entries "
		    "stay pending", ev->b->nentries);
		ev->next = ev->b->nentries;
	}
	ev->waiting = 1;
	evtimer_add(ev->retry, &tv);
}

static void
script_loaded(void *arg)
{
	struct events	*ev = arg;

	if (ev->waiting) {
		evtimer_del(ev->retry);
		ev->waiting = 0;
	}
	step(ev);
}

void
events_submit(struct events *ev, struct batch *b)
{
	b->config = live_acquire(ev->live);
	ev->b = b;
	ev->next = 0;
	ev->attempts = 0;
	step(ev);
}

size_t
events_inflight(const struct events *ev)
{
	return ev->b != NULL;
}

struct events *
events_new(struct event_base *base, struct rconn *writer,
    const struct config *boot, struct live_config *live,
    const struct events_cb *cb)
{
	struct events		*ev;

	if ((ev = calloc(1, sizeof *ev)) == NULL)
		return NULL;
	ev->writer = writer;
	ev->boot = boot;
	ev->live = live_acquire(live);
	ev->cb = *cb;
	ev->call = argv_new();
	script_init(&ev->apply, "lifecycle", apply_script, script_loaded, ev);
	keys_init(&ev->fixed, boot->redis.prefix, boot->intake.stream,
	    boot->intake.events);
	if ((ev->retry = evtimer_new(base, retry_cb, ev)) == NULL ||
	    (ev->always = calendar_always()) == NULL)
		fatal("events");
	return ev;
}

void
events_set_config(struct events *ev, struct live_config *live)
{
	live_release(ev->live);
	ev->live = live_acquire(live);
}

void
events_free(struct events *ev)
{
	if (ev == NULL)
		return;
	call_reset(ev);
	if (ev->retry != NULL)
		event_free(ev->retry);
	calendar_free(ev->always);
	clock_writes_free(&ev->writes);
	free(ev->fields);
	argv_free(ev->call);
	keys_clear(&ev->fixed);
	live_release(ev->live);
	free(ev);
}
