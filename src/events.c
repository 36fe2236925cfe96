/*
 * events.c - applying lifecycle events to tickets, one at a time, in
 * stream order.
 *
 * An event changes the ticket and its schedule in P+sla according to
 * business time, and business time needs the calendar, which lives here in
 * C, not in Redis.  So each event is a read, a computation and a
 * conditional write:
 *
 *   HGETALL ticket ──> compute (deadline.c) ──> EVALSHA apply:
 *       entry still pending?   no  -> 'd' (another consumer did it)
 *       ticket rev unchanged?  no  -> 'R' (read again, compute again)
 *       HSET/HDEL fields, ZREM/ZADD steps in P+sla, move between queues,
 *       PEXPIRE/PERSIST, rev + 1, XACK                      -> 'A'
 *
 * The write is one script, so a crash leaves the event either applied and
 * acknowledged or untouched and pending; `rev` (bumped by every write,
 * including the escalation script's) is the optimistic check that keeps a
 * concurrent change from being overwritten with stale arithmetic.
 *
 * Clock state kept on the ticket, besides the contract's fields:
 *   resolution_spent   business ms the resolution clock had spent when it
 *                      last stopped running (pending, resolved)
 *   resolution_from    when it last started running (created_at at first)
 *   resolution_gen     generation of its schedule in P+sla
 *   paused_at, status_before   while pending
 *   rev                optimistic-concurrency counter
 *
 * Events that cannot be applied (unknown ticket, unknown event, missing
 * field, unknown team) go to P+dead with the reason, and are acknowledged.
 * An event with nothing to change (responded twice, resumed while running)
 * is acknowledged and logged.
 */
#define _GNU_SOURCE		/* asprintf */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "batch.h"
#include "calendar.h"
#include "config.h"
#include "daemon.h"
#include "deadline.h"
#include "deadletter.h"
#include "events.h"
#include "intake.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "request.h"
#include "rules.h"
#include "script.h"
#include "sla.h"

#define EVENTS_MAX_ATTEMPTS	10
#define EVENTS_RETRY_MS		200
#define ONE_YEAR_MS		(365LL * 24 * 3600 * 1000)

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
	struct daemon	*d;
	struct script	 apply;
	struct batch	*b;		/* the batch being applied */
	size_t		 next;		/* its entry in progress */
	int		 attempts;
	int		 waiting;	/* for the writer or the script */
	struct event	*retry;
	struct calendar	*always;	/* for tickets without a policy */
	char		*events_key, *dead_key, *sla_key;
	/* The entry in progress, copied out of the batch. */
	char		 ticket[REQUEST_ID_MAX + 1];
	char		 team[LIFECYCLE_TEAM_MAX + 1];
	enum lifecycle_kind kind;
	/* Clocks the event in progress stops: counted once it is applied. */
	struct {
		int		 metric;	/* -1: none */
		int		 met;
	}		 stops[SLA_NMETRICS];
	char		 stop_team[LIFECYCLE_TEAM_MAX + 1];
	char		 stop_policy[128];
	char		*tkey;
	/* The call being built: owned strings. */
	char		**argv;
	size_t		*argvlen;
	size_t		 argc, argv_cap;
	char		*cmd;
};

static void	step(struct events *);
static void	later(struct events *);

static void
push(struct events *ev, const char *s, size_t len)
{
	if (ev->argc == ev->argv_cap) {
		ev->argv_cap = ev->argv_cap ? ev->argv_cap * 2 : 64;
		ev->argv = realloc(ev->argv, ev->argv_cap * sizeof *ev->argv);
		ev->argvlen = realloc(ev->argvlen, ev->argv_cap *
		    sizeof *ev->argvlen);
		if (ev->argv == NULL || ev->argvlen == NULL)
			fatal("events argv");
	}
	if ((ev->argv[ev->argc] = malloc(len + 1)) == NULL)
		fatal("events argv");
	memcpy(ev->argv[ev->argc], s, len);
	ev->argv[ev->argc][len] = '\0';
	ev->argvlen[ev->argc++] = len;
}

static void
push_str(struct events *ev, const char *s)
{
	push(ev, s, strlen(s));
}

static void
push_fmt(struct events *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
push_fmt(struct events *ev, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		fatalx("events: argument too long");
	push(ev, buf, n);
}

static void
call_reset(struct events *ev)
{
	for (size_t i = 0; i < ev->argc; i++)
		free(ev->argv[i]);
	ev->argc = 0;
	free(ev->cmd);
	ev->cmd = NULL;
}

/* EVALSHA sha 4 events dead ticket sla group src mode rev */
static void
call_start(struct events *ev, const char *mode, const char *rev)
{
	const struct config	*boot = ev->d->boot->cfg;
	struct entry		*e = &ev->b->entries[ev->next];

	call_reset(ev);
	push_str(ev, "EVALSHA");
	push_str(ev, ev->apply.sha);
	push_str(ev, "4");
	push_str(ev, ev->events_key);
	push_str(ev, ev->dead_key);
	push_str(ev, ev->tkey != NULL ? ev->tkey : ev->dead_key);
	push_str(ev, ev->sla_key);
	push_str(ev, boot->intake.group);
	push_str(ev, batch_id(ev->b, e));
	push_str(ev, mode);
	push_str(ev, rev);
}

static void	apply_reply(struct rconn *, redisReply *, void *);

static void
call_send(struct events *ev)
{
	int	len;

	len = redisFormatCommandArgv(&ev->cmd, (int)ev->argc,
	    (const char **)ev->argv, ev->argvlen);
	if (len < 0)
		fatal("events: formatting the apply call");
	if (rconn_formatted(ev->d->writer, apply_reply, ev, ev->cmd,
	    len) == -1)
		later(ev);
}

/* Send the entry to the dead-letter stream with why. */
static void
dead_letter(struct events *ev, const char *label, const char *why)
{
	struct batch	*b = ev->b;
	struct entry			*e = &b->entries[ev->next];
	struct deadletter_budget	 dl;

	log_info("event %s to the dead-letter stream: %s", batch_id(b, e),
	    why);
	metrics_event_rejected(label);
	call_start(ev, "D", "");
	deadletter_begin(&dl, b->config->cfg->intake.max_field_bytes);
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field_ref	*f = &b->refs[e->first_field + i];
		long			 keep;

		if ((keep = deadletter_keep(&dl, f->name_len,
		    f->value_len)) == -1)
			continue;
		push(ev, b->arena + f->name_off, f->name_len);
		push(ev, b->arena + f->value_off, (size_t)keep);
	}
	push_str(ev, "error");
	push_str(ev, why);
	push_str(ev, "source_id");
	push_str(ev, batch_id(b, e));
	push_str(ev, "failed_at");
	push_fmt(ev, "%lld", (long long)daemon_now_ms());
	if (dl.dropped > 0) {
		push_str(ev, "fields_dropped");
		push_fmt(ev, "%zu", dl.dropped);
	}
	if (dl.cut > 0) {
		push_str(ev, "values_cut");
		push_fmt(ev, "%zu", dl.cut);
	}
	push_str(ev, "source_stream");
	push_str(ev, ev->d->boot->cfg->intake.events);
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
 * A clock number of the ticket; def if absent.  One that is not a clock
 * number (corrupt, or out of range) is taken as absent, with a warning:
 * nothing read from Redis may overflow the arithmetic below.
 */
static int64_t
hnum(const redisReply *h, const char *name, int64_t def)
{
	const char	*v = hget(h, name);
	int64_t		 n;

	if (v == NULL)
		return def;
	if (deadline_parse_ms(v, &n) == -1) {
		log_warnx("ticket field '%s' is not a clock value ('%.32s'); "
		    "ignored", name, v);
		return def;
	}
	return n;
}

static void
op_set(struct events *ev, const char *f, const char *v)
{
	push_str(ev, "H");
	push_str(ev, f);
	push_str(ev, v);
}

static void
op_set_num(struct events *ev, const char *f, int64_t v)
{
	push_str(ev, "H");
	push_str(ev, f);
	push_fmt(ev, "%lld", (long long)v);
}

static void
op_del(struct events *ev, const char *f)
{
	push_str(ev, "X");
	push_str(ev, f);
}

/* The ticket's clocks, as the rules in force and its fields say. */
struct clocks {
	const char		*policy;
	const struct calendar	*cal;
	const struct sla_target	*target[SLA_NMETRICS];
	int64_t			 within[SLA_NMETRICS];
	long			 gen[SLA_NMETRICS];
};

static void
clocks_read(struct events *ev, const redisReply *t, struct clocks *c)
{
	const struct rules	*rules = ev->b->config->cfg->rules;
	const char		*policy = hget(t, "policy");
	int			 p = -1;

	memset(c, 0, sizeof *c);
	c->policy = policy != NULL ? policy : "none";
	if (policy != NULL)
		p = sla_policy_find(rules, policy, strlen(policy));
	c->cal = p != -1 ? rules_policy_calendar(rules, p) : ev->always;
	for (int m = 0; m < SLA_NMETRICS; m++) {
		char	name[64];

		if (p != -1)
			c->target[m] = rules_policy_target(rules, p, m);
		snprintf(name, sizeof name, "%s_target",
		    deadline_metric_name(m));
		c->within[m] = hnum(t, name, c->target[m] != NULL ?
		    c->target[m]->within_ms : 0);
		snprintf(name, sizeof name, "%s_gen", deadline_metric_name(m));
		c->gen[m] = (long)hnum(t, name, 0);
	}
}

/* Remove every step of metric m of the current generation. */
static void
unschedule(struct events *ev, const struct clocks *c, enum sla_metric m)
{
	char	member[512];

	if (c->target[m] == NULL)
		return;
	for (size_t i = 0; i < c->target[m]->nsteps; i++) {
		if (deadline_member_format(member, sizeof member, ev->ticket,
		    strlen(ev->ticket), m, (int)i, c->gen[m], c->policy) == -1)
			continue;
		push_str(ev, "S-");
		push_str(ev, member);
	}
}

/*
 * Run the resolution clock again from now, having spent `spent`: a new
 * generation, the new deadline, and the steps that have not fired yet.
 */
static void
resolution_run(struct events *ev, const redisReply *t, struct clocks *c,
    int64_t spent, int64_t now)
{
	const struct sla_target	*tg = c->target[SLA_RESOLUTION];
	int64_t			 within = c->within[SLA_RESOLUTION];
	long			 gen = c->gen[SLA_RESOLUTION] + 1;
	char			 member[512], fired[64];

	op_set_num(ev, "resolution_from", now);
	op_set_num(ev, "resolution_gen", gen);
	if (within > 0 && spent < within)
		op_set_num(ev, "resolution_due", deadline_at(c->cal, now,
		    spent, within));
	if (tg == NULL)
		return;
	for (size_t i = 0; i < tg->nsteps; i++) {
		snprintf(fired, sizeof fired, "fired:resolution:%zu", i);
		if (hget(t, fired) != NULL)
			continue;
		if (deadline_member_format(member, sizeof member, ev->ticket,
		    strlen(ev->ticket), SLA_RESOLUTION, (int)i, gen,
		    c->policy) == -1)
			continue;
		push_str(ev, "S+");
		push_fmt(ev, "%lld", (long long)deadline_at(c->cal, now, spent,
		    deadline_step_ms(within, tg->steps[i].at_permille)));
		push_str(ev, member);
	}
}

/* The event stops clock m, met or not: counted when it is applied. */
static void
stopped(struct events *ev, enum sla_metric m, int met)
{
	ev->stops[m].metric = m;
	ev->stops[m].met = met;
}

/*
 * Build the apply call for the current event from the ticket t as read.
 * Returns 0 if the event changes nothing (the call is then mode N).
 */
static int
compute(struct events *ev, const redisReply *t, int64_t now)
{
	const struct config	*cfg = ev->b->config->cfg;
	const char		*prefix = ev->d->boot->cfg->redis.prefix;
	const char		*status = hget(t, "status");
	const char		*team = hget(t, "team");
	const char		*paused = hget(t, "paused_at");
	int64_t			 created = hnum(t, "created_at", now);
	int64_t			 spent, from, fr_due;
	int			 resolved;
	struct clocks		 c;
	char			 q1[512], q2[512];

	if (status == NULL)
		status = "open";
	resolved = strcmp(status, "resolved") == 0;
	clocks_read(ev, t, &c);
	for (int m = 0; m < SLA_NMETRICS; m++)
		ev->stops[m].metric = -1;
	snprintf(ev->stop_team, sizeof ev->stop_team, "%s", team ? team : "");
	snprintf(ev->stop_policy, sizeof ev->stop_policy, "%s", c.policy);
	from = hnum(t, "resolution_from", created);
	spent = hnum(t, "resolution_spent", 0);
	fr_due = hnum(t, "first_response_due", -1);
	snprintf(q1, sizeof q1, "%squeue:%s", prefix, team ? team : "");

	switch (ev->kind) {
	case LIFECYCLE_RESPONDED:
		if (resolved || hget(t, "first_response_at") != NULL)
			return 0;
		op_set_num(ev, "first_response_at", now);
		if (fr_due != -1) {
			op_set(ev, "first_response_met", now <= fr_due ? "yes" :
			    "no");
			stopped(ev, SLA_FIRST_RESPONSE, now <= fr_due);
		}
		if (strcmp(status, "open") == 0)
			op_set(ev, "status", "responded");
		else if (strcmp(status, "pending") == 0)
			op_set(ev, "status_before", "responded");
		unschedule(ev, &c, SLA_FIRST_RESPONSE);
		return 1;
	case LIFECYCLE_PENDING:
		if (resolved || paused != NULL)
			return 0;
		op_set_num(ev, "paused_at", now);
		op_set_num(ev, "resolution_spent",
		    deadline_spent(c.cal, from, now, spent));
		op_set(ev, "status_before", status);
		op_set(ev, "status", "pending");
		unschedule(ev, &c, SLA_RESOLUTION);
		return 1;
	case LIFECYCLE_RESUMED:
		if (resolved || paused == NULL)
			return 0;
		op_del(ev, "paused_at");
		op_del(ev, "status_before");
		op_set(ev, "status", hget(t, "status_before") != NULL ?
		    hget(t, "status_before") : "open");
		resolution_run(ev, t, &c, spent, now);
		return 1;
	case LIFECYCLE_RESOLVED:
		if (resolved)
			return 0;
		if (paused == NULL)
			spent = deadline_spent(c.cal, from, now, spent);
		op_set(ev, "status", "resolved");
		op_set_num(ev, "resolved_at", now);
		op_set_num(ev, "resolution_spent", spent);
		if (c.within[SLA_RESOLUTION] > 0)
		{
			op_set(ev, "resolution_met",
			    spent <= c.within[SLA_RESOLUTION] ? "yes" : "no");
			stopped(ev, SLA_RESOLUTION,
			    spent <= c.within[SLA_RESOLUTION]);
		}
		op_del(ev, "paused_at");
		op_del(ev, "status_before");
		unschedule(ev, &c, SLA_FIRST_RESPONSE);
		unschedule(ev, &c, SLA_RESOLUTION);
		push_str(ev, "Q-");
		push_str(ev, q1);
		push_str(ev, ev->ticket);
		push_str(ev, "E");
		push_fmt(ev, "%lld", (long long)cfg->retention_ms);
		return 1;
	case LIFECYCLE_REOPENED:
		if (!resolved)
			return 0;
		op_set(ev, "status", "open");
		op_del(ev, "resolved_at");
		op_del(ev, "resolution_met");
		push_str(ev, "P");
		push_str(ev, "Q+");
		push_str(ev, q1);
		push_fmt(ev, "%lld", (long long)(fr_due != -1 ? fr_due :
		    created + ONE_YEAR_MS));
		push_str(ev, ev->ticket);
		resolution_run(ev, t, &c, spent, now);
		return 1;
	case LIFECYCLE_REASSIGNED:
		if (team != NULL && strcmp(team, ev->team) == 0)
			return 0;
		op_set(ev, "team", ev->team);
		snprintf(q2, sizeof q2, "%squeue:%s", prefix, ev->team);
		push_str(ev, "QM");
		push_str(ev, q1);
		push_str(ev, q2);
		push_str(ev, ev->ticket);
		return 1;
	case LIFECYCLE_NKINDS:
		break;
	}
	return 0;
}

static void
ticket_reply(struct rconn *rc, redisReply *reply, void *arg)
{
	struct events	*ev = arg;
	char		 rev[32], why[256];

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
	call_start(ev, "A", rev);
	if (!compute(ev, reply, daemon_now_ms())) {
		call_start(ev, "N", rev);
		log_info("event %s: %s for ticket %s (status %s) changes "
		    "nothing", batch_id(ev->b, &ev->b->entries[ev->next]),
		    lifecycle_kind_name(ev->kind), ev->ticket, hget(reply, "status") ?
		    hget(reply, "status") : "?");
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
			if (ev->stops[m].metric != -1)
				metrics_sla_stopped(deadline_metric_name(m),
				    ev->stop_team, ev->stop_policy,
				    ev->stops[m].met);
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
		daemon_config_release(b->config);
		b->config = NULL;
		intake_batch_done(ev->d->intake, b);
		return;
	}
	if (rconn_state(ev->d->writer) != RCONN_READY ||
	    !script_ensure(&ev->apply, ev->d->writer)) {
		later(ev);
		return;
	}
	e = &b->entries[ev->next];
	free(ev->tkey);
	ev->tkey = NULL;
	if (e->malformed == 2) {	/* trimmed while pending: ack it */
		call_start(ev, "N", "");
		call_send(ev);
		return;
	}
	if (!validate(ev))
		return;
	if (asprintf(&ev->tkey, "%sticket:%s", ev->d->boot->cfg->redis.prefix,
	    ev->ticket) == -1)
		fatal("events");
	if (rconn_command(ev->d->writer, ticket_reply, ev, "HGETALL %s",
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
	b->config = daemon_config_acquire(ev->d);
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
events_new(struct daemon *d)
{
	const struct config	*cfg = d->boot->cfg;
	struct events		*ev;

	if ((ev = calloc(1, sizeof *ev)) == NULL)
		return NULL;
	ev->d = d;
	script_init(&ev->apply, "lifecycle", apply_script, script_loaded, ev);
	if (asprintf(&ev->events_key, "%s%s", cfg->redis.prefix,
	    cfg->intake.events) == -1 ||
	    asprintf(&ev->dead_key, "%sdead", cfg->redis.prefix) == -1 ||
	    asprintf(&ev->sla_key, "%ssla", cfg->redis.prefix) == -1 ||
	    (ev->retry = evtimer_new(d->base, retry_cb, ev)) == NULL ||
	    (ev->always = calendar_always()) == NULL)
		fatal("events");
	return ev;
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
	free(ev->argv);
	free(ev->argvlen);
	free(ev->tkey);
	free(ev->events_key);
	free(ev->dead_key);
	free(ev->sla_key);
	free(ev);
}
