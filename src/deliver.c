/*
 * deliver.c - alerts from P+alerts to their receivers, at least once.
 *
 * deliver_read.c reads the alerts through the group `deliver` on their
 * own connection (group creation, this consumer's pending alerts, claims
 * of idle ones, blocking reads) and hands each entry here, add_entry(),
 * as long as room() says there is space.  deliver_record.c writes each
 * outcome and ack (one script call each); deliver_ack.c acks the alerts
 * with nobody to post to, many at a time.
 *
 * Each alert read becomes a job: one target per receiver its notify target
 * lists (config_notify_target()->deliver, from the rules in force).  On the
 * writer:
 *
 *   HGETALL P+delivery:ID     which receivers already have it (a restart,
 *                             a peer's crash): those are not posted again
 *   post (curlev.c)           2xx: done; 4xx but 408/429: dead; else retry
 *                             with backoff, 1 s doubling to 60 s, until
 *                             give_up_after from fired_at: dead
 *   EVALSHA record            HSET P+delivery:ID RECEIVER done|dead|expired
 *                             ("retry N" while it waits), the
 *                             dead letter, and for receivers told of
 *                             resolution the alert into P+firing (firing.c)
 *   EVALSHA record (ack)      once every receiver is done or dead: XACK
 *                             and drop P+delivery:ID, in one step; in the
 *                             last receiver's record when the others are
 *                             recorded already
 *
 * An alert with nobody to post to (its notify target is a name only) is
 * acked with the others read in the same turn of the loop: one XACK of
 * their IDs, and a PEXPIRE each for a progress hash left by rules that did
 * deliver it before a reload.  A catch-up fires many of those; a script
 * call each cost Redis ten times the XACK's share.
 *
 * A receiver that was accepted is recorded before the entry is acked, so a
 * kill -9 anywhere re-posts at most the one post whose answer was not yet
 * recorded; receivers deduplicate on the key TICKET:METRIC:STEP.  While a
 * job waits (a receiver down for hours), its entry stays pending in the
 * group; the lease timer XCLAIMs the jobs held every claim_idle / 3 so
 * that no peer takes them over while this daemon is alive.
 *
 * Bounded: at most DELIVER_MAX_JOBS alerts are held (the rest wait in the
 * stream, counted in triaged_alerts_undelivered), DELIVER_MAX_POSTS posts
 * run at once and DELIVER_MAX_PER_RECEIVER per receiver, so one slow
 * receiver cannot take every slot.  Nothing here waits on a receiver:
 * routing and firing run on their own connections, untouched.
 */
#define _GNU_SOURCE		/* asprintf */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "argv.h"
#include "config.h"
#include "curlev.h"
#include "deliver.h"
#include "deliver_ack.h"
#include "deliver_read.h"
#include "deliver_record.h"
#include "field.h"
#include "keys.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "now.h"
#include "oncall.h"
#include "payload.h"

#define DELIVER_MAX_JOBS	1024
#define DELIVER_MAX_POSTS	32
#define DELIVER_MAX_PER_RECEIVER 8
#define DELIVER_RETRY_MS	1000	/* Redis down */
#define DELIVER_LOADING_MS	50	/* the record script loading */
/* Alertmanager forgets a firing alert not posted again before endsAt. */
#define DELIVER_AM_HOLD_MS	(4 * 60 * 1000)
#define DELIVER_REPOST_MS	(60 * 1000)

enum tstate {
	T_LOADING,	/* progress being read */
	T_QUEUED,	/* waiting for a post slot */
	T_POSTING,
	T_WAITING,	/* backoff before the next attempt */
	T_RECORDING,	/* outcome being written */
	T_FINISHED,	/* done or dead, recorded */
};

enum outcome { OUT_NONE, OUT_DONE, OUT_DEAD, OUT_EXPIRED };

struct job;

struct target {
	struct job	*job;
	char		*receiver;
	enum tstate	 state;
	enum outcome	 outcome;
	int		 attempts;
	int		 last;		/* the attempt on the give-up time */
	int		 with_ack;	/* its record acks the entry */
	char		*reason;	/* a dead target's, for P+dead */
	char		*member;	/* P+firing member to add, or NULL */
	char		*stored;	/* its stored alert */
	int64_t		 score;
	struct event	*timer;		/* backoff, or writing again */
	struct target	*qnext;		/* the post queue */
};

struct job {
	struct deliver	*d;
	char		 id[48];
	struct alert	 alert;
	char		*only;		/* `receiver` field: a redriven alert */
	char		*bad;		/* why the alert cannot be delivered */
	struct target	*t;
	size_t		 nt, nfinished;
	int		 acking;
	struct event	*timer;		/* reading progress or acking again */
	struct job	*next, *prev;
};

struct deliver {
	struct event_base	*base;
	struct deliver_read	*rd;		/* the group on P+alerts */
	struct rconn		*writer;
	struct curlev		*cv;
	struct live_config	*live;
	const struct config	*boot;
	char			*consumer;
	struct keys		 fixed;
	struct deliver_record	*records;	/* the record script */
	int			 stopping;
	struct job		*jobs;		/* every job held */
	size_t			 njobs;
	struct target		*qhead, **qtail;	/* the post queue */
	struct target		*posting[DELIVER_MAX_POSTS];
	size_t			 nposting;
	int			 writes;	/* writer commands in flight */
	struct event		*lease_timer;
	struct deliver_ack	*acks;		/* name-only alerts */
};

static void	pump(struct deliver *);
static void	load(struct job *);
static void	record(struct target *);
static void	ack(struct job *);

static const char *
kind_name(const struct receiver *r)
{
	if (r->kind == RECEIVER_ALERTMANAGER)
		return "alertmanager";
	return r->format == WEBHOOK_SLACK ? "webhook slack" : "webhook json";
}

static void
arm(struct event *ev, int64_t ms)
{
	struct timeval	tv;

	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* "ticket VIP-1 first_response breach (step 1)": the alert in a log line. */
static const char *
what(const struct job *j, char *buf, size_t len)
{
	snprintf(buf, len, "ticket %s %s %s (step %s)",
	    alert_get(&j->alert, ALERT_TICKET),
	    alert_get(&j->alert, ALERT_METRIC),
	    alert_get(&j->alert, ALERT_KIND),
	    alert_get(&j->alert, ALERT_STEP));
	return buf;
}

static void
job_free(struct job *j)
{
	struct deliver	*d = j->d;

	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		d->jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	d->njobs--;
	for (size_t i = 0; i < j->nt; i++) {
		struct target	*t = &j->t[i];

		event_free(t->timer);
		free(t->receiver);
		free(t->reason);
		free(t->member);
		free(t->stored);
	}
	free(j->t);
	event_free(j->timer);
	alert_clear(&j->alert);
	free(j->only);
	free(j->bad);
	free(j);
}

static void
target_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct target	*t = arg;
	struct deliver	*d = t->job->d;

	if (t->state == T_RECORDING) {
		record(t);
		return;
	}
	if (t->state != T_WAITING || d->stopping)
		return;
	t->state = T_QUEUED;
	t->qnext = NULL;
	*d->qtail = t;
	d->qtail = &t->qnext;
	pump(d);
}

static void
job_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct job	*j = arg;

	if (j->acking)
		ack(j);
	else
		load(j);
}

/* Every target finished: ack the entry (or write it again later). */
static void
maybe_ack(struct job *j)
{
	if (j->nfinished == j->nt && !j->acking)
		ack(j);
}

static void
record_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct target	*t = arg;
	struct job	*j = t->job;
	struct deliver	*d = j->d;

	d->writes--;
	if (r != NULL && deliver_record_missing(d->records, r)) {
		arm(t->timer, 250);
		return;
	}
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		if (r != NULL) {
			log_warnx("deliver: recording %s of entry %s failed: "
			    "%.*s", t->receiver, j->id, (int)r->len, r->str);
			metrics_inc(METRIC_REDIS_ERRORS);
		}
		arm(t->timer, DELIVER_RETRY_MS);
		return;
	}
	t->state = T_FINISHED;
	j->nfinished++;
	if (t->with_ack) {
		job_free(j);
		deliver_read_kick(d->rd);
		return;
	}
	maybe_ack(j);
}

/*
 * Send a call to the record script; one it could not send, again later.
 * Counted in d->writes so that a stop can wait for the answer.
 */
static void
send_record(struct deliver *d, const struct deliver_record_call *c,
    rconn_reply_cb *cb, void *arg, struct event *again)
{
	switch (deliver_record_send(d->records, c, cb, arg)) {
	case RECORD_SENT:
		d->writes++;
		break;
	case RECORD_LOADING:
		arm(again, DELIVER_LOADING_MS);
		break;
	case RECORD_DOWN:
		arm(again, DELIVER_RETRY_MS);
		break;
	}
}

/* Write a finished target's outcome; on failure, again later. */
static void
record(struct target *t)
{
	struct job			*j = t->job;
	struct deliver_record_call	 c = { 0 };

	t->state = T_RECORDING;
	/* The last to be recorded acks the entry in the same call. */
	t->with_ack = 1;
	for (size_t k = 0; k < j->nt; k++)
		if (&j->t[k] != t && j->t[k].state != T_FINISHED)
			t->with_ack = 0;
	if (t->with_ack)
		j->acking = 1;
	c.id = j->id;
	c.alert = &j->alert;
	c.receiver = t->receiver;
	c.state = t->outcome == OUT_DONE ? "done" :
	    t->outcome == OUT_EXPIRED ? "expired" : "dead";
	c.ack = t->with_ack;
	c.member = t->member;
	c.score = t->score;
	c.stored = t->stored;
	if (t->outcome == OUT_DEAD)
		c.dead = t->reason;
	send_record(j->d, &c, record_reply, t, t->timer);
}

static void
ack_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct job	*j = arg;
	struct deliver	*d = j->d;

	d->writes--;
	if (r != NULL && deliver_record_missing(d->records, r)) {
		arm(j->timer, 250);
		return;
	}
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		if (r != NULL) {
			log_warnx("deliver: acknowledging alert %s failed: %.*s",
			    j->id, (int)r->len, r->str);
			metrics_inc(METRIC_REDIS_ERRORS);
		}
		arm(j->timer, DELIVER_RETRY_MS);
		return;
	}
	job_free(j);
	deliver_read_kick(d->rd);
}

/* XACK and forget the progress; a bad alert goes to P+dead with it. */
static void
ack(struct job *j)
{
	struct deliver_record_call	 c = { 0 };

	j->acking = 1;
	c.id = j->id;
	c.alert = &j->alert;
	c.ack = 1;
	c.dead = j->bad;
	c.receiver = j->only;	/* a re-driven alert keeps its receiver */
	send_record(j->d, &c, ack_reply, j, j->timer);
}

/*
 * deliver_ack.c's answer for a batch of name-only alerts: acked, or each
 * acked on its own later, the way the others are.
 */
static void
acked(void **items, size_t n, int ok, void *arg)
{
	struct deliver	*d = arg;

	for (size_t i = 0; i < n; i++) {
		struct job	*j = items[i];

		if (ok)
			job_free(j);
		else
			arm(j->timer, DELIVER_RETRY_MS);
	}
	if (ok)
		deliver_read_kick(d->rd);
}

static void
finish(struct target *t, enum outcome o, const char *reason)
{
	t->outcome = o;
	/* Only a post the receiver took is kept firing (and resolved). */
	if (o != OUT_DONE) {
		free(t->member);
		free(t->stored);
		t->member = t->stored = NULL;
	}
	if (reason != NULL && (t->reason = strdup(reason)) == NULL)
		fatal("deliver reason");
	record(t);
}

static void
unpost(struct deliver *d, struct target *t)
{
	for (size_t i = 0; i < d->nposting; i++)
		if (d->posting[i] == t) {
			d->posting[i] = d->posting[--d->nposting];
			break;
		}
}

/* The receiver left the rules in a reload: the alert is dead to it. */
static void
gone(struct target *t)
{
	char	reason[256];

	snprintf(reason, sizeof reason, "receiver %s is no longer in the "
	    "rules", t->receiver);
	log_warnx("deliver: alert %s: %s; dead-lettered", t->job->id, reason);
	finish(t, OUT_DEAD, reason);
}

/* Failed attempt: retry after the backoff, or give up. */
static void
failed(struct target *t, const struct receiver *r, const char *why)
{
	struct job	*j = t->job;
	struct deliver	*d = j->d;
	int64_t		 now = now_ms(), fired = alert_fired_at(&j->alert);
	int64_t		 at, wait;
	char		 w[320], reason[512];

	/*
	 * The attempt armed for the give-up time is the last whatever the
	 * clock says now: libevent arms timers from the time its loop woke
	 * up, so the timer can run a few ms before the give-up time.
	 */
	if (t->last || (at = payload_retry_at(t->attempts, now, fired,
	    r->give_up_after_ms)) == -1) {
		snprintf(reason, sizeof reason, "gave up delivering to %s "
		    "after %d attempts over %llds: %s", t->receiver,
		    t->attempts, (long long)(now - fired) / 1000, why);
		log_warnx("deliver: %s -> %s via %s: %s", what(j, w, sizeof w),
		    alert_who(&j->alert), t->receiver, reason);
		metrics_delivery(t->receiver, "gave_up");
		finish(t, OUT_DEAD, reason);
		return;
	}
	wait = at - now;
	t->last = at == fired + r->give_up_after_ms;
	log_warnx("deliver: %s -> %s via %s failed (%s); attempt %d, next in "
	    "%.1fs", what(j, w, sizeof w), alert_who(&j->alert), t->receiver,
	    why, t->attempts, wait / 1000.0);
	metrics_delivery(t->receiver, "retried");
	t->state = T_WAITING;
	if (!d->stopping)
		arm(t->timer, wait);
	deliver_record_attempts(d->records, j->id, t->receiver, t->attempts);
}

/* An answer from the receiver (or none). */
static void
post_done(long status, const char *error, const char *excerpt,
    int64_t elapsed_ms, void *arg)
{
	struct target		*t = arg;
	struct job		*j = t->job;
	struct deliver		*d = j->d;
	const struct receiver	*r;
	char			 w[320], why[400];

	unpost(d, t);
	t->attempts++;
	r = config_receiver(d->live->cfg, t->receiver);
	switch (payload_answer(status)) {
	case PAYLOAD_ACCEPTED: {
		int64_t	latency = now_ms() - alert_fired_at(&j->alert);

		log_info("deliver: %s -> %s via %s (%s, %lld ms)",
		    what(j, w, sizeof w), alert_who(&j->alert), t->receiver,
		    r != NULL ? kind_name(r) : "gone", (long long)elapsed_ms);
		metrics_delivery(t->receiver, "delivered");
		metrics_delivery_latency(latency);
		finish(t, OUT_DONE, NULL);
		break;
	}
	case PAYLOAD_REFUSED:
		snprintf(why, sizeof why, "%s answered %ld: %.*s", t->receiver,
		    status, CURLEV_EXCERPT, excerpt);
		log_warnx("deliver: %s -> %s via %s refused: %ld %s; "
		    "dead-lettered", what(j, w, sizeof w), alert_who(&j->alert),
		    t->receiver, status, excerpt);
		metrics_delivery(t->receiver, "rejected");
		finish(t, OUT_DEAD, why);
		break;
	case PAYLOAD_RETRY:
		if (status != 0)
			snprintf(why, sizeof why, "HTTP %ld", status);
		else
			snprintf(why, sizeof why, "%s", error ? error :
			    "no answer");
		if (r == NULL)
			gone(t);
		else
			failed(t, r, why);
		break;
	}
	pump(d);
}

/* Post one target, or decide it without a post. */
static void
post(struct deliver *d, struct target *t)
{
	struct job		*j = t->job;
	const struct receiver	*r = config_receiver(d->live->cfg,
				    t->receiver);
	struct payload		 p;
	struct curlev_request	 rq;
	int64_t			 now = now_ms();

	if (r == NULL) {
		gone(t);
		return;
	}
	if (t->attempts == 0 && payload_expired(now, alert_fired_at(&j->alert),
	    r->give_up_after_ms)) {
		char	w[320];

		log_info("deliver: %s fired %llds ago, longer than %s's "
		    "give_up_after: not posted", what(j, w, sizeof w),
		    (long long)(now - alert_fired_at(&j->alert)) / 1000,
		    t->receiver);
		metrics_delivery(t->receiver, "expired");
		t->outcome = OUT_EXPIRED;
		record(t);
		return;
	}
	if (payload_build(r, &j->alert, PAYLOAD_FIRING,
	    now + DELIVER_AM_HOLD_MS, &p) == -1) {
		finish(t, OUT_DEAD, "the alert cannot be encoded as JSON "
		    "(text that is not UTF-8?)");
		return;
	}
	/* Told of resolution later: Alertmanager, json webhooks. */
	free(t->member);
	free(t->stored);
	t->member = t->stored = NULL;
	if (r->kind == RECEIVER_ALERTMANAGER || r->format == WEBHOOK_JSON) {
		if (asprintf(&t->member, "%s|%s|%s|%s", t->receiver,
		    alert_get(&j->alert, ALERT_TICKET),
		    alert_get(&j->alert, ALERT_METRIC),
		    alert_get(&j->alert, ALERT_STEP)) == -1 ||
		    (t->stored = alert_to_json(&j->alert)) == NULL)
			fatal("deliver member");
		/* Webhooks are not posted again while firing. */
		t->score = r->kind == RECEIVER_ALERTMANAGER ?
		    now + DELIVER_REPOST_MS : INT64_MAX / 2;
	}
	rq = (struct curlev_request){ p.url, p.body, p.key_header,
	    r->timeout_ms, r->ca_file };
	if (curlev_post(d->cv, &rq, post_done, t) == -1) {
		t->state = T_WAITING;
		arm(t->timer, DELIVER_RETRY_MS);
	} else {
		t->state = T_POSTING;
		d->posting[d->nposting++] = t;
	}
	payload_clear(&p);
}

static int
receiver_busy(const struct deliver *d, const char *name)
{
	int	n = 0;

	for (size_t i = 0; i < d->nposting; i++)
		n += strcmp(d->posting[i]->receiver, name) == 0;
	return n >= DELIVER_MAX_PER_RECEIVER;
}

/* Start queued posts while there are slots. */
static void
pump(struct deliver *d)
{
	struct target	**tp = &d->qhead, *t;

	while ((t = *tp) != NULL && d->nposting < DELIVER_MAX_POSTS) {
		if (receiver_busy(d, t->receiver)) {
			tp = &t->qnext;
			continue;
		}
		*tp = t->qnext;
		if (*tp == NULL)
			d->qtail = tp;
		t->qnext = NULL;
		if (d->stopping)
			t->state = T_WAITING;	/* left pending */
		else
			post(d, t);
	}
}

static void
load_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct job	*j = arg;
	struct deliver	*d = j->d;

	d->writes--;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR) {
			log_warnx("deliver: reading the progress of alert %s "
			    "failed: %.*s", j->id, (int)r->len, r->str);
			metrics_inc(METRIC_REDIS_ERRORS);
		}
		arm(j->timer, DELIVER_RETRY_MS);
		return;
	}
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const char	*recv = r->element[i]->str;
		const char	*st = r->element[i + 1]->str;

		for (size_t k = 0; k < j->nt; k++) {
			struct target	*t = &j->t[k];

			if (strcmp(t->receiver, recv) != 0 ||
			    t->state != T_LOADING)
				continue;
			if (strcmp(st, "done") == 0 || strcmp(st, "dead") == 0 ||
			    strcmp(st, "expired") == 0) {
				log_debug("deliver: alert %s already %s at %s",
				    j->id, st, recv);
				t->state = T_FINISHED;
				j->nfinished++;
			} else if (strncmp(st, "retry ", 6) == 0)
				t->attempts = atoi(st + 6);
		}
	}
	for (size_t k = 0; k < j->nt; k++) {
		struct target	*t = &j->t[k];

		if (t->state != T_LOADING)
			continue;
		t->state = T_QUEUED;
		*d->qtail = t;
		d->qtail = &t->qnext;
	}
	maybe_ack(j);
	pump(d);
}

/* Which receivers already have this alert. */
static void
load(struct job *j)
{
	struct deliver	*d = j->d;
	char		 h[KEYS_MAX];

	(void)keys_delivery(h, sizeof h, d->boot->redis.prefix, j->id);
	if (rconn_state(d->writer) != RCONN_READY ||
	    rconn_command(d->writer, load_reply, j, "HGETALL %s", h) == -1) {
		arm(j->timer, DELIVER_RETRY_MS);
		return;
	}
	d->writes++;
}

static struct job *
job_find(const struct deliver *d, const char *id)
{
	for (struct job *j = d->jobs; j != NULL; j = j->next)
		if (strcmp(j->id, id) == 0)
			return j;
	return NULL;
}

/* The next target of j: receiver name, to be loaded (j->t has room). */
static void
target_add(struct job *j, const char *name)
{
	struct target	*t = &j->t[j->nt];

	t->job = j;
	t->state = T_LOADING;
	if ((t->receiver = strdup(name)) == NULL ||
	    (t->timer = evtimer_new(j->d->base, target_timer_cb, t)) == NULL)
		fatal("deliver target");
	j->nt++;
}

/*
 * The reader's sink: one stream entry [id, [field, value, ...] | nil]
 * becomes a job.  1 if it did, 0 if it is held already or not an entry.
 */
static int
add_entry(const redisReply *e, void *arg)
{
	struct deliver			*d = arg;
	const struct notify_target	*nt;
	const redisReply		*kv;
	struct field			*f = NULL;
	struct job			*j;
	const char			*why = NULL;
	size_t				 n = 0;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[0]->len >= sizeof j->id)
		return 0;
	if (job_find(d, e->element[0]->str) != NULL)
		return 0;
	if ((j = calloc(1, sizeof *j)) == NULL)
		fatal("deliver job");
	j->d = d;
	memcpy(j->id, e->element[0]->str, e->element[0]->len + 1);
	if ((j->timer = evtimer_new(d->base, job_timer_cb, j)) == NULL)
		fatal("deliver job");
	j->next = d->jobs;
	if (d->jobs != NULL)
		d->jobs->prev = j;
	d->jobs = j;
	d->njobs++;

	kv = e->element[1];
	if (kv->type != REDIS_REPLY_ARRAY) {
		/* Trimmed or deleted while pending: nothing to deliver. */
		log_warnx("deliver: alert %s is gone from the stream; "
		    "acknowledged", j->id);
		ack(j);
		return 1;
	}
	if ((f = calloc(kv->elements / 2 + 1, sizeof *f)) == NULL)
		fatal("deliver fields");
	for (size_t i = 0; i + 1 < kv->elements; i += 2) {
		f[n] = (struct field){ kv->element[i]->str,
		    kv->element[i]->len, kv->element[i + 1]->str,
		    kv->element[i + 1]->len };
		if (f[n].name_len == 8 &&
		    memcmp(f[n].name, "receiver", 8) == 0) {
			free(j->only);
			if ((j->only = strndup(f[n].value,
			    f[n].value_len)) == NULL)
				fatal("deliver: alert %s: receiver", j->id);
		}
		n++;
	}
	if (alert_from_fields(&j->alert, f, n, &why) == -1) {
		free(f);
		log_warnx("deliver: alert %s cannot be delivered: %s; "
		    "dead-lettered", j->id, why);
		if ((j->bad = strdup(why)) == NULL)
			fatal("deliver: alert %s: reason", j->id);
		ack(j);
		return 1;
	}
	free(f);
	nt = config_notify_target(d->live->cfg,
	    alert_get(&j->alert, ALERT_NOTIFY));
	if ((j->t = calloc(nt != NULL && nt->ndeliver ? nt->ndeliver : 1,
	    sizeof *j->t)) == NULL)
		fatal("deliver targets");
	for (size_t i = 0; nt != NULL && i < nt->ndeliver; i++)
		if (j->only == NULL || strcmp(j->only,
		    nt->deliver[i]->name) == 0)
			target_add(j, nt->deliver[i]->name);
	if (j->nt == 0 && j->only != NULL) {
		/*
		 * A dead letter sent again for one receiver that its target
		 * no longer lists (or the target is gone): to that receiver
		 * still, as the operator asked, if the rules define it.
		 */
		if (config_receiver(d->live->cfg, j->only) == NULL) {
			if (asprintf(&j->bad, "receiver %s is not defined in "
			    "the rules in force", j->only) == -1)
				fatal("deliver: alert %s: reason", j->id);
			log_warnx("deliver: alert %s cannot be delivered: %s; "
			    "dead-lettered", j->id, j->bad);
			ack(j);
			return 1;
		}
		target_add(j, j->only);
	}
	if (j->nt == 0) {
		/* A name only: the alert is in the stream, nothing to post. */
		j->acking = 1;
		deliver_ack_add(d->acks, j->id, j);
		return 1;
	}
	load(j);
	return 1;
}

/* The reader's sink: how many more alerts may be held. */
static size_t
room(void *arg)
{
	const struct deliver	*d = arg;

	return DELIVER_MAX_JOBS - d->njobs;
}

void
deliver_reader_state(struct rconn *rc, enum rconn_state s, void *arg)
{
	struct deliver	*d = arg;

	/* Loaded before the first delivery needs it, not after. */
	if (s == RCONN_READY)
		deliver_record_load(d->records);
	deliver_read_state(d->rd, s);
}

/*
 * Keep the alerts held from looking idle to peers: XCLAIM them to
 * ourselves again (JUSTID: their delivery counts stay).
 */
static void
lease_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct deliver	*d = arg;
	struct argv	*a;
	const char	*cmd;
	size_t		 len;

	if (d->njobs == 0 || rconn_state(d->writer) != RCONN_READY)
		return;
	a = argv_new();
	argv_push_str(a, "XCLAIM");
	argv_push_str(a, d->fixed.alerts);
	argv_push_str(a, DELIVER_GROUP);
	argv_push_str(a, d->consumer);
	argv_push_str(a, "0");
	for (struct job *j = d->jobs; j != NULL; j = j->next)
		argv_push_str(a, j->id);
	argv_push_str(a, "JUSTID");
	cmd = argv_command(a, &len);
	(void)rconn_formatted(d->writer, NULL, NULL, cmd, len);
	argv_free(a);
}

/* Every receiver's series at zero, and the timers at claim_idle's pace. */
static void
configure(struct deliver *d)
{
	const struct config	*cfg = d->live->cfg;
	int64_t			 every;
	struct timeval		 tv;

	for (size_t i = 0; i < config_nreceivers(cfg); i++)
		metrics_declare_receiver(config_receiver_at(cfg, i)->name);
	if (!deliver_read_configure(d->rd, cfg->intake.claim_idle_ms))
		return;
	every = cfg->intake.claim_idle_ms / 3;
	tv.tv_sec = every / 1000;
	tv.tv_usec = (every % 1000) * 1000;
	event_add(d->lease_timer, &tv);
}

struct deliver *
deliver_new(struct event_base *base, struct rconn *reader,
    struct rconn *writer, struct curlev *cv, const struct config *boot,
    const char *consumer, struct live_config *live)
{
	struct deliver			*d;
	struct deliver_read_sink	 sink = { add_entry, room, NULL };

	if ((d = calloc(1, sizeof *d)) == NULL)
		return NULL;
	d->base = base;
	d->writer = writer;
	d->cv = cv;
	d->boot = boot;
	d->live = live_acquire(live);
	d->qtail = &d->qhead;
	keys_init(&d->fixed, boot->redis.prefix, boot->intake.stream,
	    boot->intake.events);
	sink.arg = d;
	if ((d->consumer = strdup(consumer)) == NULL ||
	    (d->records = deliver_record_new(writer, boot->redis.prefix,
	    &d->fixed)) == NULL ||
	    (d->rd = deliver_read_new(base, reader, writer, d->fixed.alerts,
	    DELIVER_GROUP, consumer, &sink)) == NULL ||
	    (d->lease_timer = event_new(base, -1, EV_PERSIST, lease_timer_cb,
	    d)) == NULL ||
	    (d->acks = deliver_ack_new(base, writer, d->fixed.alerts,
	    DELIVER_GROUP, boot->redis.prefix, acked, d)) == NULL) {
		deliver_free(d);
		return NULL;
	}
	configure(d);
	return d;
}

void
deliver_set_config(struct deliver *d, struct live_config *live)
{
	live_release(d->live);
	d->live = live_acquire(live);
	configure(d);
}

void
deliver_stop(struct deliver *d)
{
	d->stopping = 1;
	deliver_read_stop(d->rd);
}

int
deliver_idle(const struct deliver *d)
{
	return d->nposting == 0 && d->writes == 0 &&
	    deliver_ack_idle(d->acks) &&
	    !deliver_read_busy(d->rd);
}

void
deliver_free(struct deliver *d)
{
	if (d == NULL)
		return;
	while (d->jobs != NULL)
		job_free(d->jobs);
	deliver_read_free(d->rd);
	if (d->lease_timer != NULL)
		event_free(d->lease_timer);
	deliver_ack_free(d->acks);
	deliver_record_free(d->records);
	keys_clear(&d->fixed);
	free(d->consumer);
	live_release(d->live);
	free(d);
}
