/*
 * intake.c - reading the requests and events streams through the consumer
 * group.
 *
 * On every (re)connect the reader walks three phases before it reads new
 * entries, so that nothing delivered earlier is forgotten.  GROUP, RECOVER
 * and CLAIM run for the requests stream, then for the events stream:
 *
 *   GROUP    XGROUP CREATE ... 0 MKSTREAM (BUSYGROUP is fine).  From 0, not
 *            $: requests written before the first start are routed too.
 *   RECOVER  this consumer's own pending entries (a crash left them),
 *            page by page: XPENDING for their delivery counts, then XCLAIM;
 *            after a reconnect, once the batches still in the router are
 *            back (their entries are pending too).
 *   CLAIM    entries of any consumer idle longer than intake.claim_idle
 *            (a dead peer's, or our own whose write failed): XPENDING IDLE,
 *            then XCLAIM with the same min-idle so two claimers cannot both
 *            win.  Runs again every claim_idle / 2.
 *   READ     XREADGROUP ... BLOCK 1000 STREAMS requests events > >, in
 *            batches, once both streams' consumers have room.
 *
 * An error reply starts the phases over, after 1 s, doubling to 30 s:
 * intake_error() says why meanwhile (/healthz).
 *
 * XPENDING before XCLAIM (rather than XAUTOCLAIM) because XAUTOCLAIM does
 * not say how often an entry was delivered, and intake.max_deliveries needs
 * exactly that.  Entries trimmed from the stream while pending are dropped
 * from the pending list by XCLAIM itself; vanished() tells them apart from
 * entries settled meanwhile, and warns of the trimmed ones.
 *
 * At most INTAKE_MAX_BATCHES batches are in the router at once: the reader
 * waits for one to come back before reading more, which bounds memory.
 * Events go to events.c one batch at a time, so that the events for one
 * ticket take effect in stream order.
 */
#define _GNU_SOURCE		/* asprintf */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "batch.h"
#include "config.h"
#include "intake.h"
#include "keys.h"
#include "live.h"
#include "log.h"
#include "metrics.h"

#define INTAKE_MAX_BATCHES	4
#define INTAKE_BLOCK_MS		1000
/* After an error reply, start over in 1 s, doubling to 30 s. */
#define INTAKE_RETRY_MIN_MS	1000
#define INTAKE_RETRY_MAX_MS	30000
/*
 * A batch's byte budget.  Entries are usually a kilobyte, but one may carry
 * 1,000 fields of 64 KiB: after a read over budget the next reads ask for
 * fewer entries (down to one), and a batch that grew past the budget gives
 * its memory back when it is done.
 */
#define INTAKE_BATCH_BYTES	(4 * 1024 * 1024)

enum phase { PHASE_WAIT, PHASE_GROUP, PHASE_RECOVER, PHASE_CLAIM, PHASE_READ };

struct page_item {
	char	id[48];
	int	deliveries;
};

struct intake {
	struct rconn		*reader;
	struct intake_sink	 sink;		/* where batches go */
	struct live_config	*live;		/* the settings in force */
	char			*group, *consumer;
	int			 stopping;	/* read no more */
	int64_t			 claim_every_ms;
	enum phase		 phase;
	int			 in_flight;	/* a reader command outstanding */
	int			 claim_due;
	char			 cursor[64];	/* XPENDING start */
	struct page_item	*page;
	size_t			 npage, page_cap;
	struct batch		 batches[INTAKE_MAX_BATCHES];
	int			 busy[INTAKE_MAX_BATCHES];
	struct batch		 ev_batch;	/* the one events batch */
	int			 ev_busy;
	struct event		*claim_timer;
	struct event		*retry_timer;	/* after an error reply */
	int			 retrying;	/* waiting for it */
	int64_t			 retry_ms;	/* its next wait */
	char			 error[256];	/* the last error reply, or "" */
	struct keys		 fixed;		/* the stream keys */
	const char		*keys[2];	/* by BATCH_REQUESTS/EVENTS */
	int			 cur;		/* stream of GROUP/RECOVER/CLAIM */
	int			 phase_done;	/* last page of cur's phase */
	struct batch		*claiming;	/* batch of the XCLAIM in flight */
	int			 read_count;	/* next XREADGROUP COUNT; 0: batch */
};

static void	read_reply(struct rconn *, redisReply *, void *);

static struct batch *
batch_take(struct intake *in, int stream)
{
	if (stream == BATCH_EVENTS) {
		if (in->ev_busy)
			return NULL;
		in->ev_busy = 1;
		batch_reset(&in->ev_batch);
		in->ev_batch.owner = in;
		in->ev_batch.stream = BATCH_EVENTS;
		return &in->ev_batch;
	}
	for (int i = 0; i < INTAKE_MAX_BATCHES; i++) {
		if (!in->busy[i]) {
			in->busy[i] = 1;
			batch_reset(&in->batches[i]);
			in->batches[i].owner = in;
			in->batches[i].stream = BATCH_REQUESTS;
			return &in->batches[i];
		}
	}
	return NULL;
}

static void
batch_put(struct intake *in, struct batch *b)
{
	if (b->arena_cap > INTAKE_BATCH_BYTES) {
		batch_release(b);
#ifdef __GLIBC__
		/* Freed heap above the mmap threshold stays mapped otherwise. */
		malloc_trim(0);
#endif
	}
	if (b == &in->ev_batch)
		in->ev_busy = 0;
	for (int i = 0; i < INTAKE_MAX_BATCHES; i++)
		if (&in->batches[i] == b)
			in->busy[i] = 0;
}

static int
batches_free(const struct intake *in)
{
	int	n = 0;

	for (int i = 0; i < INTAKE_MAX_BATCHES; i++)
		n += !in->busy[i];
	return n;
}

void
intake_batch_done(struct intake *in, struct batch *b)
{
	batch_put(in, b);
	intake_kick(in);
	in->sink.progress(in->sink.arg);
}

int
intake_idle(const struct intake *in)
{
	return !in->in_flight && batches_free(in) == INTAKE_MAX_BATCHES &&
	    !in->ev_busy;
}

int
intake_reading(const struct intake *in)
{
	return in->phase == PHASE_READ;
}

/* A reply the reader cannot use: log it and start over after a reconnect. */
static int
reply_failed(struct intake *in, redisReply *r, const char *what)
{
	if (r == NULL) {
		in->phase = PHASE_WAIT;
		return 1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		struct timeval	tv;

		snprintf(in->error, sizeof in->error, "%s on %s failed: %.*s",
		    what, in->keys[in->cur], (int)r->len, r->str);
		log_warnx("%s (again in %llds)", in->error,
		    (long long)in->retry_ms / 1000);
		metrics_inc(METRIC_REDIS_ERRORS);
		/*
		 * NOGROUP: somebody deleted the stream or group; recreate it.
		 * Not at once: an error that stays (an ACL without XPENDING,
		 * say) would have the reader ask again and again.
		 */
		in->phase = PHASE_GROUP;
		in->retrying = 1;
		tv.tv_sec = in->retry_ms / 1000;
		tv.tv_usec = (in->retry_ms % 1000) * 1000;
		evtimer_add(in->retry_timer, &tv);
		if ((in->retry_ms *= 2) > INTAKE_RETRY_MAX_MS)
			in->retry_ms = INTAKE_RETRY_MAX_MS;
		return 1;
	}
	return 0;
}

static void
retry_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct intake	*in = arg;

	in->retrying = 0;
	intake_kick(in);
}

const char *
intake_error(const struct intake *in)
{
	return in->error;
}

static void
group_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct intake	*in = arg;

	in->in_flight = 0;
	if (r == NULL) {
		in->phase = PHASE_WAIT;
		return;
	}
	if (r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "BUSYGROUP", 9) != 0) {
		log_warnx("cannot create group on %s: %.*s", in->keys[in->cur],
		    (int)r->len, r->str);
		metrics_inc(METRIC_REDIS_ERRORS);
		rconn_drop(rc, "cannot create the consumer group");
		return;
	}
	if (in->cur == BATCH_REQUESTS) {
		in->cur = BATCH_EVENTS;
		intake_kick(in);
		return;
	}
	in->cur = BATCH_REQUESTS;
	in->phase = PHASE_RECOVER;
	snprintf(in->cursor, sizeof in->cursor, "-");
	intake_kick(in);
}

/* Fit the next read's COUNT to the byte budget, by this batch's sizes. */
static void
fit_read_count(struct intake *in, const struct batch *b)
{
	int	configured = in->live->cfg->intake.batch;
	int	n = in->read_count > 0 ? in->read_count : configured;
	size_t	per;

	if (b->arena_len > INTAKE_BATCH_BYTES) {
		per = b->arena_len / b->nentries + 1;
		n = (int)(INTAKE_BATCH_BYTES / per);
		if (n < 1)
			n = 1;
		if (in->read_count == 0)
			log_info("intake: a batch of %zu entries took %zu bytes; "
			    "reading %d at a time until they are smaller",
			    b->nentries, b->arena_len, n);
	} else if (b->arena_len < INTAKE_BATCH_BYTES / 2)
		n *= 2;
	in->read_count = n >= configured ? 0 : n;
}

static void
submit(struct intake *in, struct batch *b)
{
	fit_read_count(in, b);
	in->sink.submit(b, in->sink.arg);
}

/*
 * After the last page of RECOVER or CLAIM on the requests stream, the same
 * phase runs on the events stream; after that, the next phase.
 */
static void
next_stream(struct intake *in)
{
	if (!in->phase_done)
		return;
	in->phase_done = 0;
	snprintf(in->cursor, sizeof in->cursor, "-");
	if (in->cur == BATCH_REQUESTS) {
		in->cur = BATCH_EVENTS;
		return;
	}
	in->cur = BATCH_REQUESTS;
	in->phase = in->phase == PHASE_RECOVER ? PHASE_CLAIM : PHASE_READ;
	if (in->phase == PHASE_READ)
		in->sink.progress(in->sink.arg);	/* may be ready now */
}

/* An XRANGE of one entry that XCLAIM did not return: gone, or settled? */
static void
vanished_reply(struct rconn *rc, redisReply *r, void *arg)
{
	char	*what = arg;	/* "ID KEY", ours to free */

	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 0) {
		/* Requests lost to trimming: an operator must hear of it. */
		log_warnx("entry %s was trimmed from the stream before it was "
		    "handled", what);
		metrics_inc(METRIC_TRIMMED);
	} else if (r != NULL && r->type == REDIS_REPLY_ARRAY)
		log_debug("entry %s was settled by a write still in flight",
		    what);
	else if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		/* A NOPERM here would hide trimming: say so. */
		log_warnx("checking whether entry %s was trimmed failed: %.*s",
		    what, (int)r->len, r->str);
		metrics_inc(METRIC_REDIS_ERRORS);
	}
	free(what);
}

/*
 * A pending entry XCLAIM did not return was either trimmed from the stream
 * (XCLAIM dropped it from the pending list) or acknowledged meanwhile by a
 * batch written after a reconnect.  Only the first is news; one XRANGE tells.
 */
static void
vanished(struct intake *in, const char *id)
{
	char	*what;

	if (asprintf(&what, "%s %s", id, in->keys[in->cur]) == -1)
		fatal("asprintf");
	if (rconn_command(in->reader, vanished_reply, what,
	    "XRANGE %s %s %s", in->keys[in->cur], id, id) == -1)
		free(what);
}

static void
claim_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct intake	*in = arg;
	struct batch	*b = in->claiming;
	size_t		 got = 0;

	in->in_flight = 0;
	in->claiming = NULL;
	if (reply_failed(in, r, "XCLAIM")) {
		batch_put(in, b);
		intake_kick(in);
		return;
	}
	/*
	 * XCLAIM answers in the order asked, leaving out entries no longer in
	 * the stream: walk both lists to give each entry its delivery count.
	 */
	for (size_t i = 0; i < r->elements; i++) {
		redisReply	*item = r->element[i];
		redisReply	 one = { .type = REDIS_REPLY_ARRAY, .elements = 1,
				     .element = &item };
		const char	*id;

		if (item->type != REDIS_REPLY_ARRAY || item->elements != 2)
			continue;
		id = item->element[0]->str;
		while (got < in->npage && strcmp(in->page[got].id, id) != 0)
			vanished(in, in->page[got++].id);
		batch_add_entries(b, &one, got < in->npage ?
		    in->page[got].deliveries + 1 : 1);
		got++;
	}
	while (got < in->npage)
		vanished(in, in->page[got++].id);
	if (b->nentries > 0) {
		metrics_add(METRIC_CLAIMED, b->nentries);
		submit(in, b);
	} else
		batch_put(in, b);
	next_stream(in);
	intake_kick(in);
}

static void
pending_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct intake		*in = arg;
	struct config		*cfg = in->live->cfg;
	const char		*group = in->group;
	const char		**argv;
	size_t			*argvlen;
	size_t			 argc = 0;
	char			 idle[32];
	struct batch		*b;
	enum phase		 from = in->phase;

	in->in_flight = 0;
	if (reply_failed(in, r, "XPENDING")) {
		intake_kick(in);
		return;
	}
	in->npage = 0;
	if (r->elements > in->page_cap) {
		free(in->page);
		in->page_cap = r->elements;
		if ((in->page = calloc(in->page_cap, sizeof *in->page)) == NULL)
			fatal("pending page");
	}
	for (size_t i = 0; i < r->elements; i++) {
		redisReply	*it = r->element[i];

		/* [id, consumer, idle ms, deliveries] */
		if (it->type != REDIS_REPLY_ARRAY || it->elements != 4 ||
		    it->element[0]->type != REDIS_REPLY_STRING ||
		    it->element[0]->len >= sizeof in->page[0].id)
			continue;
		memcpy(in->page[in->npage].id, it->element[0]->str,
		    it->element[0]->len + 1);
		in->page[in->npage].deliveries = (int)it->element[3]->integer;
		in->npage++;
	}
	/* The last page of this phase on this stream? */
	in->phase_done = in->npage == 0 ||
	    r->elements < (size_t)cfg->intake.batch;
	if (in->npage == 0) {
		next_stream(in);
		intake_kick(in);
		return;
	}
	if (!in->phase_done)
		snprintf(in->cursor, sizeof in->cursor, "(%s",
		    in->page[in->npage - 1].id);

	if ((b = batch_take(in, in->cur)) == NULL)
		fatal("intake: no free batch for a claim");
	/* XCLAIM key group consumer min-idle id ... */
	argv = calloc(in->npage + 5, sizeof *argv);
	argvlen = calloc(in->npage + 5, sizeof *argvlen);
	if (argv == NULL || argvlen == NULL)
		fatal("claim argv");
	/* Our own entries are ours to take; others' only if still idle. */
	snprintf(idle, sizeof idle, "%lld", from == PHASE_RECOVER ? 0LL :
	    (long long)cfg->intake.claim_idle_ms);
	argv[argc++] = "XCLAIM";
	argv[argc++] = in->keys[in->cur];
	argv[argc++] = group;
	argv[argc++] = in->consumer;
	argv[argc++] = idle;
	for (size_t i = 0; i < in->npage; i++)
		argv[argc++] = in->page[i].id;
	for (size_t i = 0; i < argc; i++)
		argvlen[i] = strlen(argv[i]);
	in->claiming = b;
	if (rconn_command_argv(rc, claim_reply, in, (int)argc, argv,
	    argvlen) == 0)
		in->in_flight = 1;
	else {
		in->claiming = NULL;
		batch_put(in, b);
		in->phase_done = 0;
	}
	free(argv);
	free(argvlen);
}

static void
read_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct intake	*in = arg;
	struct batch	*b;

	in->in_flight = 0;
	if (reply_failed(in, r, "XREADGROUP")) {
		intake_kick(in);
		return;
	}
	in->error[0] = '\0';
	in->retry_ms = INTAKE_RETRY_MIN_MS;
	/* nil: BLOCK ran out with nothing new. */
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements;
	    i++) {
		redisReply	*s = r->element[i];
		int		 stream;

		if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
		    s->element[0]->type != REDIS_REPLY_STRING)
			continue;
		stream = strcmp(s->element[0]->str,
		    in->keys[BATCH_EVENTS]) == 0 ? BATCH_EVENTS :
		    BATCH_REQUESTS;
		if ((b = batch_take(in, stream)) == NULL)
			fatal("intake: no free batch for a read");
		batch_add_entries(b, s->element[1], 1);
		if (b->nentries > 0)
			submit(in, b);
		else
			batch_put(in, b);
	}
	intake_kick(in);
}

/* Send the next reader command if there is room for its batch. */
void
intake_kick(struct intake *in)
{
	struct config	*cfg = in->live->cfg;
	const char	*group = in->group;
	char		 count[16], idle[32];
	int		 rv = -1, req, ev;

	if (in->stopping) {
		/* No more reads; the daemon exits once nothing is in flight. */
		in->sink.progress(in->sink.arg);
		return;
	}
	if (in->in_flight || in->retrying ||
	    rconn_state(in->reader) != RCONN_READY ||
	    !in->sink.ready(in->sink.arg))
		return;
	req = batches_free(in) > 0;
	ev = !in->ev_busy;
	/* Each phase needs room for the stream in hand. */
	if (in->phase != PHASE_READ &&
	    !(in->cur == BATCH_EVENTS ? ev : req))
		return;
	snprintf(count, sizeof count, "%d", cfg->intake.batch);
	switch (in->phase) {
	case PHASE_WAIT:
	case PHASE_GROUP:
		in->phase = PHASE_GROUP;
		rv = rconn_command(in->reader, group_reply, in,
		    "XGROUP CREATE %s %s 0 MKSTREAM", in->keys[in->cur], group);
		break;
	case PHASE_RECOVER:
		/*
		 * This consumer's pending list holds the entries of its
		 * batches still in the router: claimed again now, an entry
		 * would be routed by one copy and, one delivery further
		 * (max_deliveries) or under other rules (a reload), dead-
		 * lettered by the other.  So the stream in hand's batches
		 * come back first; batch_done() kicks again.
		 */
		if (in->cur == BATCH_EVENTS ? in->ev_busy :
		    batches_free(in) < INTAKE_MAX_BATCHES)
			return;
		rv = rconn_command(in->reader, pending_reply, in,
		    "XPENDING %s %s %s + %s %s", in->keys[in->cur],
		    group, in->cursor, count, in->consumer);
		break;
	case PHASE_CLAIM:
		snprintf(idle, sizeof idle, "%lld",
		    (long long)cfg->intake.claim_idle_ms);
		rv = rconn_command(in->reader, pending_reply, in,
		    "XPENDING %s %s IDLE %s %s + %s", in->keys[in->cur],
		    group, idle, in->cursor, count);
		break;
	case PHASE_READ:
		if (in->claim_due) {
			in->claim_due = 0;
			in->phase = PHASE_CLAIM;
			in->cur = BATCH_REQUESTS;
			in->phase_done = 0;
			snprintf(in->cursor, sizeof in->cursor, "-");
			intake_kick(in);
			return;
		}
		/*
		 * Both streams need room: a read of one alone would block
		 * for a second while the other has entries waiting.
		 */
		if (in->read_count > 0 && in->read_count < cfg->intake.batch)
			snprintf(count, sizeof count, "%d", in->read_count);
		if (req && ev)
			rv = rconn_command(in->reader, read_reply, in,
			    "XREADGROUP GROUP %s %s COUNT %s BLOCK %d STREAMS "
			    "%s %s > >", group, in->consumer, count,
			    INTAKE_BLOCK_MS, in->keys[BATCH_REQUESTS],
			    in->keys[BATCH_EVENTS]);
		break;
	}
	if (rv == 0)
		in->in_flight = 1;
}

static void
claim_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct intake	*in = arg;

	in->claim_due = 1;
}

void
intake_reader_state(struct rconn *rc, enum rconn_state s, void *arg)
{
	struct intake	*in = arg;

	if (s == RCONN_READY) {
		in->phase = PHASE_GROUP;
		in->cur = BATCH_REQUESTS;
		in->phase_done = 0;
		intake_kick(in);
	} else {
		in->phase = PHASE_WAIT;
	}
}

/* The claim cycle runs every claim_idle / 2, at least once a second. */
static void
arm_claim_timer(struct intake *in)
{
	int64_t		every = in->live->cfg->intake.claim_idle_ms / 2;
	struct timeval	tv;

	if (every < 1000)
		every = 1000;
	if (every == in->claim_every_ms)
		return;
	in->claim_every_ms = every;
	tv.tv_sec = every / 1000;
	tv.tv_usec = (every % 1000) * 1000;
	event_add(in->claim_timer, &tv);
}

struct intake *
intake_new(struct event_base *base, struct rconn *reader,
    const struct config *boot, const char *consumer,
    struct live_config *live, const struct intake_sink *sink)
{
	struct intake	*in;

	if ((in = calloc(1, sizeof *in)) == NULL)
		return NULL;
	in->reader = reader;
	in->sink = *sink;
	in->live = live_acquire(live);
	in->phase = PHASE_WAIT;
	in->retry_ms = INTAKE_RETRY_MIN_MS;
	keys_init(&in->fixed, boot->redis.prefix, boot->intake.stream,
	    boot->intake.events);
	in->keys[BATCH_REQUESTS] = in->fixed.requests;
	in->keys[BATCH_EVENTS] = in->fixed.events;
	if ((in->group = strdup(boot->intake.group)) == NULL ||
	    (in->consumer = strdup(consumer)) == NULL ||
	    (in->claim_timer = event_new(base, -1, EV_PERSIST, claim_timer_cb,
	    in)) == NULL ||
	    (in->retry_timer = evtimer_new(base, retry_timer_cb, in)) ==
	    NULL) {
		intake_free(in);
		return NULL;
	}
	arm_claim_timer(in);
	return in;
}

void
intake_set_config(struct intake *in, struct live_config *live)
{
	live_release(in->live);
	in->live = live_acquire(live);
	/* A reload that changes claim_idle changes the cycle too. */
	arm_claim_timer(in);
}

void
intake_stop(struct intake *in)
{
	in->stopping = 1;
	intake_kick(in);
}

void
intake_free(struct intake *in)
{
	if (in == NULL)
		return;
	if (in->claim_timer != NULL)
		event_free(in->claim_timer);
	if (in->retry_timer != NULL)
		event_free(in->retry_timer);
	for (int i = 0; i < INTAKE_MAX_BATCHES; i++)
		batch_release(&in->batches[i]);
	batch_release(&in->ev_batch);
	free(in->page);
	keys_clear(&in->fixed);
	free(in->group);
	free(in->consumer);
	live_release(in->live);
	free(in);
}
