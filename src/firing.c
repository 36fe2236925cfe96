/*
 * firing.c - keeping alerts firing at Alertmanager, and telling receivers
 * when the clock an alert watches stops.
 *
 *   P+firing         sorted set, member RECEIVER|TICKET|METRIC|STEP, scored
 *                    by when to post it again (Alertmanager; +4.6e18 for a
 *                    json webhook, which is posted once)
 *   P+resolving      the same members once their clock stopped, scored by
 *                    the next attempt to post the resolution
 *   P+firing:alerts  member -> the alert (JSON), and since|member -> when
 *                    its clock was seen stopped
 *
 * Every FIRING_TICK_MS, on the writer:
 *
 *   ZRANGE P+firing (a page, turn by turn)  ─> one HMGET status,
 *       first_response_at per ticket, pipelined ─> per member:
 *         clock stopped     'm': move it to P+resolving
 *         due (score<=now)  'r': score += 1 min, and post it again
 *                           (as many as FIRING_MAX_POSTS allows; the rest
 *                           stay due, and the next tick comes in 100 ms)
 *         receiver gone     'd': drop it
 *   ZRANGEBYSCORE P+resolving -inf now ─> 'c': score += 10 s, post it
 *       resolved; accepted (or refused, or given up): 'x' forget it
 *
 * One script does every operation; each acts only if the member's score is
 * still the one read, so of several daemons exactly one claims a member.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "argv.h"
#include "config.h"
#include "curlev.h"
#include "firing.h"
#include "keys.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "now.h"
#include "oncall.h"
#include "payload.h"
#include "redis.h"
#include "script.h"

#define FIRING_TICK_MS		1000
#define FIRING_HURRY_MS		100	/* the next tick, when posts were due */
#define FIRING_PAGE		256
#define FIRING_MAX_POSTS	16
#define FIRING_REPOST_MS	(60 * 1000)
#define FIRING_HOLD_MS		(4 * 60 * 1000)
#define FIRING_RESOLVE_RETRY_MS	(10 * 1000)

/*
 * KEYS: firing, resolving, firing:alerts.  ARGV: now, repost time, retry
 * time, then (op, member, score) triples.  One result per triple.
 */
static const char ops_script[] =
"local firing, resolving, fa = KEYS[1], KEYS[2], KEYS[3]\n"
"local now, later, retry = ARGV[1], ARGV[2], ARGV[3]\n"
"local out = {}\n"
"for i = 4, #ARGV, 3 do\n"
"  local op, m, score = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])\n"
"  local r = ''\n"
"  if op == 'x' then\n"
"    redis.call('ZREM', resolving, m)\n"
"    redis.call('HDEL', fa, m, 'since|' .. m)\n"
"    r = '1'\n"
"  elseif op == 'c' then\n"
"    if tonumber(redis.call('ZSCORE', resolving, m)) == score then\n"
"      redis.call('ZADD', resolving, retry, m)\n"
"      r = (redis.call('HGET', fa, 'since|' .. m) or now) .. ' ' ..\n"
"        (redis.call('HGET', fa, m) or '')\n"
"    end\n"
"  elseif tonumber(redis.call('ZSCORE', firing, m)) == score then\n"
"    if op == 'd' then\n"
"      redis.call('ZREM', firing, m)\n"
"      redis.call('HDEL', fa, m)\n"
"      r = '1'\n"
"    elseif op == 'm' then\n"
"      redis.call('ZREM', firing, m)\n"
"      redis.call('ZADD', resolving, now, m)\n"
"      redis.call('HSET', fa, 'since|' .. m, now)\n"
"      r = '1'\n"
"    elseif op == 'r' then\n"
"      redis.call('ZADD', firing, later, m)\n"
"      r = redis.call('HGET', fa, m) or ''\n"
"    end\n"
"  end\n"
"  out[#out + 1] = r\n"
"end\n"
"return out\n";

struct member {
	char	*name;		/* RECEIVER|TICKET|METRIC|STEP */
	char	*score;		/* as Redis wrote it */
	char	 op;		/* decided: 'm', 'r', 'd', or 0 */
};

struct post {
	struct firing	*f;
	char		*member;
	char		*receiver;
	struct alert	 alert;
	int		 resolved;	/* a resolution, not a re-post */
	int64_t		 since;		/* resolution: clock seen stopped */
};

struct firing {
	struct rconn		*writer;
	struct curlev		*cv;
	const struct config	*boot;
	struct live_config	*live;
	struct keys		 fixed;
	struct script		 ops;
	struct event		*timer;
	int			 busy;		/* a tick in flight */
	int			 stopping;
	int			 replies;	/* HMGETs still to come */
	size_t			 offset;	/* the page of P+firing */
	size_t			 page;		/* this tick's page */
	int			 reposts;	/* 'r' decided this tick */
	int			 left;		/* due, left for want of room */
	struct member		*m;
	size_t			 nm;
	int			 posts;		/* posts in flight */
	int			 writes;	/* 'x' in flight */
	int64_t			 now;
};

static void	resolving_scan(struct firing *);

static void
members_clear(struct firing *f)
{
	for (size_t i = 0; i < f->nm; i++) {
		free(f->m[i].name);
		free(f->m[i].score);
	}
	free(f->m);
	f->m = NULL;
	f->nm = 0;
}

static void
tick_done(struct firing *f)
{
	int		ms = f->left ? FIRING_HURRY_MS : FIRING_TICK_MS;
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	f->left = 0;
	members_clear(f);
	f->busy = 0;
	evtimer_add(f->timer, &tv);
}

/* RECEIVER|TICKET|METRIC|STEP: the parts, in buf; -1 if malformed. */
static int
member_split(const char *m, char *buf, size_t len, char **part)
{
	char	*p;
	int	 n = 0;

	if (snprintf(buf, len, "%s", m) >= (int)len)
		return -1;
	part[n++] = buf;
	for (p = buf; *p != '\0' && n < 4; p++)
		if (*p == '|') {
			*p = '\0';
			part[n++] = p + 1;
		}
	return n == 4 ? 0 : -1;
}

static void
post_free(struct post *p)
{
	alert_clear(&p->alert);
	free(p->member);
	free(p->receiver);
	free(p);
}

static void
forget_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct firing	*f = arg;

	f->writes--;
}

/* 'x': the member's resolution is settled. */
static void
forget(struct firing *f, const char *member)
{
	struct argv	*a;
	const char	*cmd;
	size_t		 len;

	if (rconn_state(f->writer) != RCONN_READY || !f->ops.ready)
		return;		/* claimed again in 10 s */
	a = argv_new();
	argv_push_str(a, "EVALSHA");
	argv_push_str(a, f->ops.sha);
	argv_push_str(a, "3");
	argv_push_str(a, f->fixed.firing);
	argv_push_str(a, f->fixed.resolving);
	argv_push_str(a, f->fixed.firing_alerts);
	argv_push_num(a, now_ms());
	argv_push_str(a, "0");
	argv_push_str(a, "0");
	argv_push_str(a, "x");
	argv_push_str(a, member);
	argv_push_str(a, "0");
	cmd = argv_command(a, &len);
	if (rconn_formatted(f->writer, forget_reply, f, cmd, len) == 0)
		f->writes++;
	argv_free(a);
}

/* What went wrong with a post, for the log. */
static const char *
failure(long status, const char *error, const char *excerpt)
{
	if (status != 0)
		return excerpt;
	return error != NULL ? error : "no answer";
}

static void
post_done(long status, const char *error, const char *excerpt,
    int64_t elapsed_ms, void *arg)
{
	struct post		*p = arg;
	struct firing		*f = p->f;
	const struct receiver	*r = config_receiver(f->live->cfg,
				    p->receiver);
	int64_t			 give_up = r != NULL ?
				    r->give_up_after_ms : 0;
	const struct alert	*a = &p->alert;

	f->posts--;
	if (payload_answer(status) == PAYLOAD_ACCEPTED) {
		if (p->resolved) {
			log_info("deliver: ticket %s %s %s (step %s) resolved "
			    "-> told %s (%lld ms)", alert_get(a, ALERT_TICKET),
			    alert_get(a, ALERT_METRIC), alert_get(a,
			    ALERT_KIND), alert_get(a, ALERT_STEP), p->receiver,
			    (long long)elapsed_ms);
			metrics_delivery(p->receiver, "resolved");
			forget(f, p->member);
		} else
			log_debug("deliver: %s still firing at %s",
			    p->member, p->receiver);
	} else if (p->resolved && (payload_answer(status) == PAYLOAD_REFUSED ||
	    now_ms() - p->since >= give_up)) {
		log_warnx("deliver: telling %s that ticket %s %s step %s is "
		    "resolved failed (%ld %s); given up", p->receiver,
		    alert_get(a, ALERT_TICKET), alert_get(a, ALERT_METRIC),
		    alert_get(a, ALERT_STEP), status,
		    failure(status, error, excerpt));
		metrics_delivery(p->receiver, status ? "rejected" : "gave_up");
		forget(f, p->member);
	} else
		log_warnx("deliver: %s %s at %s failed (%ld %s); again in %ds",
		    p->resolved ? "resolving" : "re-posting", p->member,
		    p->receiver, status, failure(status, error, excerpt),
		    (p->resolved ? FIRING_RESOLVE_RETRY_MS :
		    FIRING_REPOST_MS) / 1000);
	post_free(p);
}

/* Post a claimed member: text is the stored alert (JSON). */
static void
post(struct firing *f, const char *member, const char *text, int resolved,
    int64_t since)
{
	const struct receiver	*r;
	struct payload		 pl;
	struct curlev_request	 rq;
	struct post		*p;
	char			 buf[KEYS_MAX], *part[4];
	const char		*why = "it cannot be encoded";

	if (member_split(member, buf, sizeof buf, part) == -1 ||
	    (r = config_receiver(f->live->cfg, part[0])) == NULL) {
		if (resolved)
			forget(f, member);
		return;
	}
	if ((p = calloc(1, sizeof *p)) == NULL)
		fatal("firing post");
	p->f = f;
	p->resolved = resolved;
	p->since = since;
	if ((p->member = strdup(member)) == NULL ||
	    (p->receiver = strdup(part[0])) == NULL)
		fatal("firing post");
	if (alert_from_json(&p->alert, text, &why) == -1 ||
	    payload_build(r, &p->alert, resolved ? PAYLOAD_RESOLVED :
	    PAYLOAD_FIRING, resolved ? f->now : f->now + FIRING_HOLD_MS,
	    &pl) == -1) {
		log_warnx("deliver: firing alert %s cannot be posted: %s; "
		    "dropped", member, why);
		if (resolved)
			forget(f, member);
		post_free(p);
		return;
	}
	rq = (struct curlev_request){ pl.url, pl.body, pl.key_header,
	    r->timeout_ms, r->ca_file };
	if (curlev_post(f->cv, &rq, post_done, p) == -1)
		post_free(p);	/* claimed again at its next score */
	else
		f->posts++;
	payload_clear(&pl);
}

/* The ops call's answers: post what was claimed. */
static void
ops_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct firing	*f = arg;

	if (r != NULL && script_missing(&f->ops, rc, r)) {
		tick_done(f);
		return;
	}
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR) {
			log_warnx("deliver: updating the firing alerts "
			    "failed: %.*s", (int)r->len, r->str);
			metrics_inc(METRIC_REDIS_ERRORS);
		}
		tick_done(f);
		return;
	}
	for (size_t i = 0, k = 0; i < f->nm; i++) {
		struct member	*m = &f->m[i];
		redisReply	*e;

		if (m->op == 0)
			continue;
		if (k >= r->elements)
			break;
		e = r->element[k++];
		if (e->type != REDIS_REPLY_STRING || e->len == 0)
			continue;
		if (m->op == 'm')
			log_debug("deliver: %s: the clock stopped", m->name);
		else if (m->op == 'r' && f->posts < FIRING_MAX_POSTS)
			post(f, m->name, e->str, 0, 0);
		else if (m->op == 'c' && f->posts < FIRING_MAX_POSTS) {
			char	*sp = strchr(e->str, ' ');

			if (sp != NULL)
				post(f, m->name, sp + 1, 1,
				    strtoll(e->str, NULL, 10));
		}
	}
	if (f->m != NULL && f->m[0].op != 'c') {
		if (f->left)
			f->offset = f->page;
		/* The firing page is done: now the resolutions due. */
		members_clear(f);
		resolving_scan(f);
		return;
	}
	tick_done(f);
}

/* One EVALSHA for every decided member. */
static void
send_ops(struct firing *f)
{
	struct argv	*a;
	const char	*cmd;
	size_t		 len, n = 0;
	int		 rv;

	a = argv_new();
	argv_push_str(a, "EVALSHA");
	argv_push_str(a, f->ops.sha);
	argv_push_str(a, "3");
	argv_push_str(a, f->fixed.firing);
	argv_push_str(a, f->fixed.resolving);
	argv_push_str(a, f->fixed.firing_alerts);
	argv_push_num(a, f->now);
	argv_push_num(a, f->now + FIRING_REPOST_MS);
	argv_push_num(a, f->now + FIRING_RESOLVE_RETRY_MS);
	for (size_t i = 0; i < f->nm; i++) {
		char	op[2] = { f->m[i].op, '\0' };

		if (f->m[i].op == 0)
			continue;
		argv_push_str(a, op);
		argv_push_str(a, f->m[i].name);
		argv_push_str(a, f->m[i].score);
		n++;
	}
	if (n == 0) {
		argv_free(a);
		ops_reply(f->writer, &(redisReply){ .type =
		    REDIS_REPLY_ARRAY }, f);
		return;
	}
	cmd = argv_command(a, &len);
	rv = rconn_formatted(f->writer, ops_reply, f, cmd, len);
	argv_free(a);
	if (rv == -1)
		tick_done(f);
}

/* Each ticket's status: decide what each member needs. */
static void
ticket_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct firing	*f = arg;
	size_t		 i = f->nm - (size_t)f->replies;
	struct member	*m = &f->m[i];
	char		 buf[KEYS_MAX], *part[4];
	int64_t		 score;

	f->replies--;
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    member_split(m->name, buf, sizeof buf, part) == 0) {
		const char	*status = r->element[0]->str;
		int		 responded = r->element[1]->type ==
				    REDIS_REPLY_STRING;
		const struct receiver *rv = config_receiver(f->live->cfg,
				    part[0]);

		/* Redis writes large scores as 4.6116860184273879e+18. */
		score = (int64_t)strtod(m->score, NULL);
		if (rv == NULL)
			m->op = 'd';
		else if (alert_clock_stopped(part[2], status, responded))
			m->op = 'm';
		else if (rv->kind == RECEIVER_ALERTMANAGER && score <= f->now) {
			/*
			 * Claim only what can be posted now: a member claimed
			 * and not posted would wait a minute more, past the
			 * hold Alertmanager was given.  The rest stay due,
			 * and the next tick comes soon and reads this page
			 * again.
			 */
			if (f->posts + f->reposts < FIRING_MAX_POSTS) {
				m->op = 'r';
				f->reposts++;
			} else
				f->left = 1;
		}
	} else if (r != NULL && member_split(m->name, buf, sizeof buf,
	    part) == -1)
		m->op = 'd';
	if (f->replies > 0)
		return;
	if (r == NULL) {
		tick_done(f);
		return;
	}
	send_ops(f);
}

/* A page of P+firing: read each ticket's status, pipelined. */
static void
range_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct firing	*f = arg;
	char		 key[KEYS_MAX], buf[KEYS_MAX], *part[4];

	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		tick_done(f);
		return;
	}
	f->page = f->offset;
	f->offset = r->elements / 2 < FIRING_PAGE ? 0 :
	    f->offset + FIRING_PAGE;
	if (r->elements == 0) {
		resolving_scan(f);
		return;
	}
	if ((f->m = calloc(r->elements / 2, sizeof *f->m)) == NULL)
		fatal("firing page");
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		struct member	*m = &f->m[f->nm++];

		if ((m->name = strdup(r->element[i]->str)) == NULL ||
		    (m->score = strdup(r->element[i + 1]->str)) == NULL)
			fatal("firing page");
	}
	f->replies = 0;
	for (size_t i = 0; i < f->nm; i++) {
		const char	*ticket = "";

		if (member_split(f->m[i].name, buf, sizeof buf, part) == 0)
			ticket = part[1];
		(void)keys_ticket(key, sizeof key, f->boot->redis.prefix,
		    ticket, strlen(ticket));
		if (rconn_command(f->writer, ticket_reply, f, "HMGET %s "
		    "status first_response_at", key) == -1)
			break;
		f->replies++;
	}
	if (f->replies < (int)f->nm) {
		/* The writer went away: the replies that come are NULL. */
		for (size_t i = (size_t)f->replies; i < f->nm; i++) {
			free(f->m[i].name);
			free(f->m[i].score);
		}
		f->nm = (size_t)f->replies;
		if (f->replies == 0)
			tick_done(f);
	}
}

static void
card_reply(struct rconn *rc, redisReply *r, void *arg)
{
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		metrics_set_firing(r->integer);
}

/* Resolutions due: claim and post them. */
static void
resolving_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct firing	*f = arg;

	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
		tick_done(f);
		return;
	}
	if ((f->m = calloc(r->elements / 2, sizeof *f->m)) == NULL)
		fatal("firing resolving");
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		struct member	*m = &f->m[f->nm++];

		m->op = 'c';
		if ((m->name = strdup(r->element[i]->str)) == NULL ||
		    (m->score = strdup(r->element[i + 1]->str)) == NULL)
			fatal("firing resolving");
	}
	send_ops(f);
}

static void
resolving_scan(struct firing *f)
{
	int	room = FIRING_MAX_POSTS - f->posts;

	if (room <= 0 || rconn_command(f->writer, resolving_reply, f,
	    "ZRANGEBYSCORE %s -inf %lld WITHSCORES LIMIT 0 %d",
	    f->fixed.resolving, (long long)f->now, room) == -1)
		tick_done(f);
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	struct firing	*f = arg;

	if (f->busy || f->stopping)
		return;
	if (rconn_state(f->writer) != RCONN_READY ||
	    !script_ensure(&f->ops, f->writer)) {
		tick_done(f);
		return;
	}
	f->busy = 1;
	f->now = now_ms();
	f->reposts = 0;		/* f->left: cleared by tick_done() */
	(void)rconn_command(f->writer, card_reply, f, "ZCARD %s",
	    f->fixed.firing);
	/* hiredis's format knows no %zu. */
	if (rconn_command(f->writer, range_reply, f, "ZRANGE %s %lld %lld "
	    "WITHSCORES", f->fixed.firing, (long long)f->offset,
	    (long long)(f->offset + FIRING_PAGE - 1)) == -1)
		tick_done(f);
}

struct firing *
firing_new(struct event_base *base, struct rconn *writer, struct curlev *cv,
    const struct config *boot, struct live_config *live)
{
	struct firing	*f;

	if ((f = calloc(1, sizeof *f)) == NULL)
		return NULL;
	f->writer = writer;
	f->cv = cv;
	f->boot = boot;
	f->live = live_acquire(live);
	keys_init(&f->fixed, boot->redis.prefix, boot->intake.stream,
	    boot->intake.events);
	script_init(&f->ops, "firing alerts", ops_script, NULL, NULL);
	if ((f->timer = evtimer_new(base, tick, f)) == NULL) {
		firing_free(f);
		return NULL;
	}
	metrics_set_firing(0);		/* a series from the start */
	tick_done(f);
	return f;
}

void
firing_set_config(struct firing *f, struct live_config *live)
{
	live_release(f->live);
	f->live = live_acquire(live);
}

void
firing_stop(struct firing *f)
{
	f->stopping = 1;
}

int
firing_idle(const struct firing *f)
{
	return f->posts == 0 && f->writes == 0 && !f->busy;
}

void
firing_free(struct firing *f)
{
	if (f == NULL)
		return;
	members_clear(f);
	if (f->timer != NULL)
		event_free(f->timer);
	keys_clear(&f->fixed);
	live_release(f->live);
	free(f);
}
