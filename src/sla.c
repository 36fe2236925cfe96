/*
 * sla.c - the one timer that fires escalation steps.
 *
 * The schedule lives in Redis only: P+sla is a sorted set with one member
 * per running clock, its next escalation step (deadline.h gives its
 * format), scored by the instant it fires; the fire script puts the step
 * after it in its place, in the same atomic step.  One member a clock
 * rather than one a step: half the schedule's memory and writes for a
 * policy of a warning and a breach on both clocks.  Nothing is kept in process memory, so a crash or a
 * restart loses nothing, and a step whose time passed while no triaged ran
 * is simply found due at the next tick.
 *
 *   timer ──> ZRANGEBYSCORE sla -inf now LIMIT 0 256   (what is due)
 *             ZRANGEBYSCORE sla (now +inf LIMIT 0 1    (when to wake next)
 *         ──> EVALSHA fire: per member  ZREM ─1─> clock still running?
 *                                                 ─> XADD alert, record
 *                                                    the step, raise,
 *                                                    reassign; ZADD the
 *                                                    clock's next step
 *
 * A full range (a backlog: a restart after an outage) is followed by the
 * next one at once, read before the call of the range before it is sent
 * (LIMIT skipping its members): while Redis runs one call, the daemon
 * builds the next, two fire calls taking turns.
 *
 * What a due step does (warning or breach, who is told, raise, reassign,
 * or drop it because the rules no longer have it) is decided in clock.c;
 * whether the ticket's clock still runs is checked by the script, in the
 * same atomic step as the write.
 *
 * Exactly once: the fire script removes the member first and acts only if
 * its ZREM removed it, so of several triaged processes polling the same set
 * exactly one fires each step; the removal and the alert are one atomic
 * script, so a crash cannot separate them.  The ticket's `fired:METRIC:STEP`
 * field is a second guard, so a step never fires twice even if a schedule
 * is rebuilt (resumed, reopened).
 *
 * Cheap with a million open clocks: the timer is armed at the earliest
 * score (at most SLA_POLL_MS ahead, since another process may schedule an
 * earlier step), and each tick costs two O(log N) range reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "argv.h"
#include "clock.h"
#include "config.h"
#include "keys.h"
#include "live.h"
#include "deadline.h"
#include "decimal.h"
#include "log.h"
#include "metrics.h"
#include "now.h"
#include "oncall.h"
#include "redis.h"
#include "rules.h"
#include "script.h"
#include "sla.h"

#define SLA_POLL_MS		200	/* longest sleep between ticks */
#define SLA_RETRY_MS		250	/* writer down or script loading */
#define SLA_BATCH		256	/* due members fired per call */
#define SLA_GAUGE_MS		5000	/* open clocks gauge refresh */

/*
 * KEYS: sla set, alerts stream.  ARGV: key prefix, now, '1' on a Redis
 * Cluster ('' otherwise), then per member:
 *   member ticket metric step gen kind notify raise lowers reassign
 *   oncall oncall_name next_at next
 * next is the clock's next step (clock_step()), '' after the last: put in
 * the schedule whenever the clock still runs, even if this step had fired
 * already (a rebuilt schedule), so the chain of steps goes on.
 * kind '' means the step is not in the rules any more: just drop it.
 * oncall is who the notify target pages at now ('' for nobody); the alert
 * carries it, and the ticket's subject cut to ALERT_SUBJECT_MAX bytes at a
 * UTF-8 boundary so that a page reads whole on a phone.
 * lowers is a comma list of the urgency levels below `raise`.
 * Returns one character per member: F fired, s clock stopped (or step
 * already fired), x ticket gone, - another process took it.
 * The script makes ticket and queue keys itself, from the prefix and the
 * infixes of keys.h written into its text.
 */
#define FIRE_RECORD		"14"	/* arguments per member */
#define ALERT_SUBJECT_MAX	"200"

static const char fire_script[] =
"local sla, alerts, prefix, now = KEYS[1], KEYS[2], ARGV[1], ARGV[2]\n"
"local out, i = {}, 4\n"
"local function cut(s, max)\n"
"  if #s <= max then return s end\n"
"  local n = max\n"
"  while n > 0 do\n"
"    local b = string.byte(s, n + 1)\n"
"    if b < 128 or b >= 192 then break end\n"
"    n = n - 1\n"
"  end\n"
"  return string.sub(s, 1, n)\n"
"end\n"
/*
 * Redis Cluster: read every key the call may write before the first write.
 * A key already migrated out of a migrating slot fails the call here, with
 * nothing written, instead of after the ZREM that takes the step.  A
 * single Redis has no such thing, and is spared the reads.
 */
"if ARGV[3] == '1' then\n"
"for j = 4, #ARGV, " FIRE_RECORD " do\n"
"  local team = redis.call('HGET', prefix .. '" KEYS_TICKET "' .. ARGV[j + 1],"
" 'team')\n"
"  if ARGV[j + 9] ~= '' then\n"
"    redis.call('EXISTS', prefix .. '" KEYS_QUEUE "' .. (team or ''))\n"
"    redis.call('EXISTS', prefix .. '" KEYS_QUEUE "' .. ARGV[j + 9])\n"
"  end\n"
"end\n"
"end\n"
/*
 * The clocks' next steps are put in the schedule with one ZADD at the end
 * rather than one a member: the per-call overhead was a third of the
 * script's cost.  (ZREM stays one a member: its answer is the claim, and
 * the ACL rule the README gives operators has no ZMSCORE.)
 */
"local nexts = {}\n"
"while i <= #ARGV do\n"
"  local member, id, metric, step, gen, kind, notify, raise, lowers,\n"
"    reassign, oncall, oncall_name, next_at, next =\n"
"    unpack(ARGV, i, i + " FIRE_RECORD " - 1)\n"
"  i = i + " FIRE_RECORD "\n"
"  local r = '-'\n"
"  if redis.call('ZREM', sla, member) == 1 then\n"
"    local tkey = prefix .. '" KEYS_TICKET "' .. id\n"
"    local fired = 'fired:' .. metric .. ':' .. step\n"
"    local t = redis.call('HMGET', tkey, 'status', 'team', 'tier',\n"
"      'urgency', 'policy', metric .. '_due', metric .. '_gen',\n"
"      'first_response_at', 'paused_at', fired, 'subject', 'rev')\n"
"    local runs = t[1] and t[1] ~= 'resolved' and (t[7] or '0') == gen\n"
"    if metric == 'first_response' then runs = runs and not t[8]\n"
"    else runs = runs and not t[9] end\n"
"    local running = runs and not t[10] and kind ~= ''\n"
"    if runs and next ~= '' then\n"
"      nexts[#nexts + 1] = next_at\n"
"      nexts[#nexts + 1] = next\n"
"    end\n"
"    r = t[1] and 's' or 'x'\n"
"    if running then\n"
"      local a = {'ticket', id, 'team', t[2] or '', 'tier', t[3] or '',\n"
"        'urgency', t[4] or '', 'policy', t[5] or '', 'metric', metric,\n"
"        'step', step, 'kind', kind, 'notify', notify, 'due', t[6] or '',\n"
"        'fired_at', now}\n"
"      if oncall ~= '' then\n"
"        a[#a + 1] = 'oncall'\n"
"        a[#a + 1] = oncall\n"
"        a[#a + 1] = 'oncall_name'\n"
"        a[#a + 1] = oncall_name\n"
"      end\n"
"      if t[11] then\n"
"        a[#a + 1] = 'subject'\n"
"        a[#a + 1] = cut(t[11], " ALERT_SUBJECT_MAX ")\n"
"      end\n"
"      redis.call('HSET', tkey, fired, now, 'rev', (tonumber(t[12]) or 0) + 1)\n"
"      if raise ~= '' and t[4] and\n"
"         string.find(',' .. lowers .. ',', ',' .. t[4] .. ',', 1, true) then\n"
"        redis.call('HSET', tkey, 'urgency', raise, 'raised', raise)\n"
"        a[#a + 1] = 'raised'\n"
"        a[#a + 1] = raise\n"
"      end\n"
"      if reassign ~= '' and t[2] ~= reassign then\n"
"        local old = prefix .. '" KEYS_QUEUE "' .. (t[2] or '')\n"
"        local score = redis.call('ZSCORE', old, id)\n"
"        if score then\n"
"          redis.call('ZREM', old, id)\n"
"          redis.call('ZADD', prefix .. '" KEYS_QUEUE "' .. reassign,"
" score, id)\n"
"        end\n"
"        redis.call('HSET', tkey, 'team', reassign, 'reassigned', reassign)\n"
"        a[#a + 1] = 'reassigned'\n"
"        a[#a + 1] = reassign\n"
"      end\n"
"      redis.call('XADD', alerts, '*', unpack(a))\n"
"      r = 'F'\n"
"    end\n"
"  end\n"
"  out[#out + 1] = r\n"
"end\n"
"if #nexts > 0 then redis.call('ZADD', sla, unpack(nexts)) end\n"
"return table.concat(out)\n";

/* What the fire call said about each member, for logs and metrics. */
struct fired {
	char	 kind[8];
	char	*member;
	char	*notify;	/* the step's target, "" if gone */
	char	*oncall;	/* who it pages, "" if nobody */
	char	*oncall_name;
	int64_t	 at;		/* when it was due to fire */
};

/*
 * One fire call: the members of one due range, sent, then waited for.
 * Two of them take turns, so that the next one is built while Redis runs
 * the one before.
 */
struct fire_call {
	struct sla	*s;
	struct argv	*argv;
	struct fired	*fired;
	size_t		 nfired, fired_cap;
	int64_t		 now;		/* its range's now: fired_at */
	int		 sent;		/* its reply is to come */
};

struct sla {
	struct rconn		*writer;
	const struct config	*boot;		/* the key prefix: fixed */
	struct live_config	*live;		/* the rules in force */
	struct script	 fire;
	struct event	*timer;
	int		 reading;	/* range replies to come */
	int		 replies;	/* of them, still to come */
	int		 got;		/* of them, seen */
	int		 failed;	/* a read or a fire failed: retry */
	int		 full;		/* the due range hit SLA_BATCH */
	int64_t		 now;		/* the range's now */
	int64_t		 next_ms;	/* earliest future score, -1 none */
	int64_t		 gauge_ms;	/* last open clocks refresh */
	struct keys	 fixed;		/* sla, alerts */
	struct fire_call calls[2];
	int		 cur;		/* the call the due range fills */
};

static void	arm(struct sla *, int64_t ms);

/* A range read or a fire call is out: its reply arms the timer. */
static int
in_flight(const struct sla *s)
{
	return s->reading || s->calls[0].sent || s->calls[1].sent;
}

static void
call_reset(struct fire_call *c)
{
	argv_reset(c->argv);
	for (size_t i = 0; i < c->nfired; i++) {
		free(c->fired[i].member);
		free(c->fired[i].notify);
		free(c->fired[i].oncall);
		free(c->fired[i].oncall_name);
	}
	c->nfired = 0;
}

/* EVALSHA sha 2 sla alerts prefix now cluster; the members follow. */
static void
call_start(struct sla *s, struct fire_call *c)
{
	char	now[DECIMAL_MAX];

	call_reset(c);
	c->now = s->now;
	argv_push_str(c->argv, "EVALSHA");
	argv_push_str(c->argv, s->fire.sha);
	argv_push_str(c->argv, "2");
	argv_push_str(c->argv, s->fixed.sla);
	argv_push_str(c->argv, s->fixed.alerts);
	argv_push_str(c->argv, s->boot->redis.prefix);
	argv_push(c->argv, now, decimal_format(c->now, now));
	argv_push_str(c->argv, s->boot->redis.cluster ? "1" : "");
}

/* Append one due member's record to the fire call, as clock.c decides. */
static void
add_member(struct sla *s, struct fire_call *c, const struct rules *rules,
    const char *m, size_t len, int64_t at)
{
	const struct config		*cf = s->live->cfg;
	const struct oncall_person	*who = NULL;
	struct argv			*a = c->argv;
	struct clock_step		 cs;
	struct fired			*f;
	const char			*kind = "", *notify = "";

	if (clock_step(rules, m, len, at, &cs) == -1) {
		log_warnx("sla: dropping malformed schedule entry '%.*s'",
		    (int)len, m);
		/* A record whose ticket cannot exist: the script drops it. */
		argv_push(a, m, len);
		argv_push_str(a, "");
		argv_push_str(a, "first_response");
		argv_push_str(a, "0");
		argv_push_str(a, "0");
		for (int i = 0; i < 7; i++)
			argv_push_str(a, "");
		argv_push_str(a, "0");
		argv_push_str(a, "");
		goto out;
	}
	if (cs.kind == NULL)
		log_warnx("sla: ticket %.*s: policy %.*s has no %s step %d in "
		    "rules %s any more; dropped", (int)cs.ticket_len,
		    cs.ticket, (int)cs.policy_len, cs.policy,
		    deadline_metric_name(cs.metric), cs.step,
		    s->live->cfg->version);
	/* kind '' tells the script to drop the member. */
	kind = cs.kind != NULL ? cs.kind : "";
	notify = cs.notify;
	argv_push(a, m, len);
	argv_push(a, cs.ticket, cs.ticket_len);
	argv_push_str(a, deadline_metric_name(cs.metric));
	argv_push_num(a, cs.step);
	argv_push_num(a, cs.gen);
	argv_push_str(a, kind);
	argv_push_str(a, notify);
	argv_push_str(a, cs.raise);
	argv_push_str(a, cs.lowers);
	argv_push_str(a, cs.reassign);
	/* Who is on call when the step fires: the tick's now is fired_at. */
	if (cs.kind != NULL)
		who = oncall_resolve(cf->oncall,
		    config_notify_target(cf, notify), c->now);
	argv_push_str(a, who != NULL ? who->key : "");
	argv_push_str(a, who != NULL ? who->name : "");
	argv_push_num(a, cs.next_at);
	argv_push(a, cs.next, cs.next_len);
	/* Wake for it, should it come before what the tick saw. */
	if (cs.next_len > 0 && (s->next_ms == -1 || cs.next_at < s->next_ms))
		s->next_ms = cs.next_at;
out:
	if (c->nfired == c->fired_cap) {
		c->fired_cap = c->fired_cap ? c->fired_cap * 2 : 64;
		if ((c->fired = realloc(c->fired, c->fired_cap *
		    sizeof *c->fired)) == NULL)
			fatal("sla fired");
	}
	f = &c->fired[c->nfired++];
	snprintf(f->kind, sizeof f->kind, "%s", kind);
	if ((f->member = strndup(m, len)) == NULL ||
	    (f->notify = strdup(notify)) == NULL ||
	    (f->oncall = strdup(who != NULL ? who->key : "")) == NULL ||
	    (f->oncall_name = strdup(who != NULL ? who->name : "")) == NULL)
		fatal("sla member");
	f->at = at;
}

/* "4m 10s late", "on time" (under a second): how late, for a person. */
static const char *
lateness(int64_t ms, char *buf, size_t len)
{
	int64_t	s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, len, "on time");
	else if (s < 60)
		snprintf(buf, len, "%llds late", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm %llds late", (long long)(s / 60),
		    (long long)(s % 60));
	else
		snprintf(buf, len, "%lldh %lldm late", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	return buf;
}

/*
 * One line a person on call reads: which ticket, which clock, which step,
 * who was told, and how late.  The schedule member stays at debug level.
 */
static void
log_fired(const struct fired *f, int64_t now)
{
	struct deadline_member	dm;
	char			late[64];

	if (deadline_member_parse(f->member, strlen(f->member), &dm) == -1)
		return;
	if (*f->oncall != '\0')
		log_info("sla: %s for ticket %.*s: %s step %d (policy %.*s), "
		    "paged %s (%s) via %s, %s", f->kind, (int)dm.ticket_len,
		    dm.ticket, deadline_metric_name(dm.metric), dm.step,
		    (int)dm.policy_len, dm.policy, f->oncall, f->oncall_name,
		    f->notify, lateness(now - f->at, late, sizeof late));
	else
		log_info("sla: %s for ticket %.*s: %s step %d (policy %.*s), "
		    "notified %s, %s", f->kind, (int)dm.ticket_len, dm.ticket,
		    deadline_metric_name(dm.metric), dm.step,
		    (int)dm.policy_len, dm.policy,
		    *f->notify != '\0' ? f->notify : "nobody",
		    lateness(now - f->at, late, sizeof late));
	log_debug("sla: fired schedule entry %s, due %lld, %lld ms late",
	    f->member, (long long)f->at, (long long)(now - f->at));
}

static void	range_reply(struct rconn *, redisReply *, void *);

/*
 * Nothing in flight any more: sleep until the next step is due (at once
 * if the last range was full, after SLA_RETRY_MS if something failed).
 */
static void
settle(struct sla *s)
{
	if (in_flight(s))
		return;
	arm(s, s->failed ? SLA_RETRY_MS : s->full ? 0 : -1);
}

static void
fire_reply(struct rconn *rc, redisReply *reply, void *arg)
{
	struct fire_call	*c = arg;
	struct sla		*s = c->s;

	c->sent = 0;
	if (reply == NULL) {
		/* Unknown outcome: the next tick sees what is still due. */
		s->failed = 1;
	} else if (script_missing(&s->fire, rc, reply))
		s->failed = 1;
	else if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("sla: firing %zu steps failed: %.*s", c->nfired,
		    (int)reply->len, reply->str);
		metrics_inc(METRIC_REDIS_ERRORS);
		s->failed = 1;
	} else {
		for (size_t i = 0; i < c->nfired &&
		    reply->type == REDIS_REPLY_STRING && i < reply->len; i++) {
			struct fired	*f = &c->fired[i];

			if (reply->str[i] != 'F')
				continue;
			metrics_alert(f->kind);
			log_fired(f, c->now);
		}
	}
	call_reset(c);
	settle(s);
}

static void
send_fire(struct sla *s, struct fire_call *c)
{
	const char	*cmd;
	size_t		 len;

	cmd = argv_command(c->argv, &len);
	if (rconn_formatted(s->writer, fire_reply, c, cmd, len) == 0)
		c->sent = 1;
	else {
		s->failed = 1;
		call_reset(c);
	}
}

/*
 * The next SLA_BATCH due members past the skip members of the call about
 * to be sent: this read runs before that call, and sees them still there.
 * Should a member be read twice all the same (one scheduled meanwhile at
 * an earlier score), its second ZREM finds it gone and fires nothing.
 */
static int
read_due(struct sla *s, size_t skip)
{
	char	now[DECIMAL_MAX], off[DECIMAL_MAX], batch[DECIMAL_MAX];

	now[decimal_format(s->now, now)] = '\0';
	off[decimal_format((long long)skip, off)] = '\0';
	batch[decimal_format(SLA_BATCH, batch)] = '\0';
	return rconn_command(s->writer, range_reply, s, "ZRANGEBYSCORE %s "
	    "-inf %s WITHSCORES LIMIT %s %s", s->fixed.sla, now, off, batch);
}

static void
range_reply(struct rconn *rc, redisReply *reply, void *arg)
{
	struct sla		*s = arg;
	const struct rules	*rules = s->live->cfg->rules;
	struct fire_call	*c = &s->calls[s->cur];
	int			 which = s->got++;

	s->replies--;
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		if (reply != NULL) {
			log_warnx("sla: reading the schedule failed: %.*s",
			    (int)reply->len, reply->str);
			metrics_inc(METRIC_REDIS_ERRORS);
		}
		s->failed = 1;
	} else if (which == 0 && reply->type == REDIS_REPLY_ARRAY &&
	    !c->sent) {
		/* Due members, with their scores. */
		s->full = reply->elements / 2 >= SLA_BATCH;
		call_start(s, c);
		for (size_t i = 0; i + 1 < reply->elements; i += 2)
			add_member(s, c, rules, reply->element[i]->str,
			    reply->element[i]->len,
			    strtoll(reply->element[i + 1]->str, NULL, 10));
	} else if (which == 0)
		s->failed = 1;
	else if (which == 1 && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 2) {
		int64_t	next = strtoll(reply->element[1]->str, NULL, 10);

		if (s->next_ms == -1 || next < s->next_ms)
			s->next_ms = next;
	}
	else if (which == 2 && reply->type == REDIS_REPLY_INTEGER)
		metrics_set_open_clocks(reply->integer);
	if (s->replies > 0)
		return;
	s->reading = 0;
	if (s->failed || c->nfired == 0) {
		s->full = 0;
		call_reset(c);
		settle(s);
		return;
	}
	/*
	 * More due: read them before this call is sent, so that Redis has
	 * the next call to run while this one's reply comes back.
	 */
	if (s->full) {
		s->now = now_ms();
		s->got = 0;
		if (read_due(s, c->nfired) == 0) {
			s->reading = 1;
			s->replies = 1;
		} else
			s->failed = 1;
	}
	s->cur = !s->cur;
	send_fire(s, c);
	settle(s);
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	struct sla	*s = arg;
	char		 now[DECIMAL_MAX];
	int		 n = 0;

	if (in_flight(s))
		return;
	if (rconn_state(s->writer) != RCONN_READY ||
	    !script_ensure(&s->fire, s->writer)) {
		arm(s, SLA_RETRY_MS);
		return;
	}
	s->now = now_ms();
	s->next_ms = -1;
	s->full = 0;
	s->got = 0;
	s->failed = 0;
	now[decimal_format(s->now, now)] = '\0';
	if (read_due(s, 0) == 0)
		n++;
	if (rconn_command(s->writer, range_reply, s, "ZRANGEBYSCORE %s (%s "
	    "+inf WITHSCORES LIMIT 0 1", s->fixed.sla, now) == 0)
		n++;
	if (s->now - s->gauge_ms >= SLA_GAUGE_MS &&
	    rconn_command(s->writer, range_reply, s, "ZCARD %s",
	    s->fixed.sla) == 0) {
		s->gauge_ms = s->now;
		n++;
	}
	s->replies = n;
	s->reading = n > 0;
	if (n == 0)
		arm(s, SLA_RETRY_MS);
}

/* Wake up in ms (0: at once; -1: at the next poll). */
static void
arm(struct sla *s, int64_t ms)
{
	struct timeval	tv;

	if (ms < 0)
		ms = s->next_ms >= 0 && s->next_ms - now_ms() <
		    SLA_POLL_MS ? s->next_ms - now_ms() : SLA_POLL_MS;
	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->timer, &tv);
}

static void
script_loaded(void *arg)
{
	struct sla	*s = arg;

	if (!in_flight(s))
		arm(s, 0);
}

struct sla *
sla_new(struct event_base *base, struct rconn *writer,
    const struct config *boot, struct live_config *live)
{
	struct sla		*s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->writer = writer;
	s->boot = boot;
	s->live = live_acquire(live);
	for (int i = 0; i < 2; i++) {
		s->calls[i].s = s;
		s->calls[i].argv = argv_new();
	}
	script_init(&s->fire, "escalation", fire_script, script_loaded, s);
	keys_init(&s->fixed, boot->redis.prefix, boot->intake.stream,
	    boot->intake.events);
	if ((s->timer = evtimer_new(base, tick, s)) == NULL)
		fatal("sla");
	arm(s, SLA_RETRY_MS);
	return s;
}

void
sla_set_config(struct sla *s, struct live_config *live)
{
	live_release(s->live);
	s->live = live_acquire(live);
}

void
sla_kick(struct sla *s)
{
	if (!in_flight(s))
		arm(s, 0);
}

void
sla_free(struct sla *s)
{
	if (s == NULL)
		return;
	if (s->timer != NULL)
		event_free(s->timer);
	for (int i = 0; i < 2; i++) {
		call_reset(&s->calls[i]);
		argv_free(s->calls[i].argv);
		free(s->calls[i].fired);
	}
	keys_clear(&s->fixed);
	live_release(s->live);
	free(s);
}
