/*
 * board.c - the wallboard's state, computed from Redis at most once a
 * second, and the HTTP handlers that serve it (see board.h).
 *
 * However many screens watch, they read one cached state:
 *
 *   timer, 1 s ──> watched in the last minute (or nothing cached yet)
 *              ──> EVALSHA state: one call on the writer connection
 *                    per team: ZCARD, ZRANGE 0 0 WITHSCORES, the head
 *                    ticket's HMGET, the tier x urgency split of the
 *                    queue's first BOARD_SPLIT_MAX tickets
 *                    XREVRANGE alerts + - COUNT BOARD_ALERTS
 *                    XRANGE alerts (cursor + COUNT BOARD_BREACH_BATCH
 *              ──> struct board_view ──> JSON and HTML, rendered once
 *   GET /, GET /api/state ──> the rendered copy, never a Redis call
 *
 * A screen that comes back after an idle minute gets the last copy at
 * once and starts a refresh, so the next poll is current; the refresh
 * never runs more than once a second.
 *
 * "Breached today": tickets with a breach alert since local midnight in
 * the zone of the first SLA policy's calendar that is not in UTC (UTC if
 * none is).  The script hands back the
 * alerts after a cursor, a bounded slice per refresh, and board_day.c
 * counts each ticket once per team; at midnight the count starts over
 * and the cursor goes back to the new day's first stream ID.
 *
 * Routed and dead-lettered per minute are this process's counters
 * (metrics.c), sampled at each refresh.
 */
#define _GNU_SOURCE		/* asprintf */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <hiredis/hiredis.h>

#include "board.h"
#include "board_assets.h"
#include "board_day.h"
#include "board_view.h"
#include "calendar.h"
#include "config.h"
#include "keys.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "now.h"
#include "redis.h"
#include "rules.h"
#include "script.h"
#include "zone.h"

#define BOARD_TICK_MS		1000	/* the most a refresh runs */
#define BOARD_IDLE_MS		60000	/* unwatched this long: stop polling */
#define BOARD_SPLIT_MAX		500	/* tickets per queue in the split */
#define BOARD_ALERTS		20	/* latest alerts shown */
#define BOARD_BREACH_BATCH	1000	/* alerts counted per refresh */
#define BOARD_SAMPLES		64	/* routed/dead samples for rates */
#define BOARD_RATE_MIN_MS	10000	/* a rate needs this much history */
#define BOARD_FIRED_STEPS	16	/* steps looked at for "warned" */

/*
 * KEYS: alerts stream.  ARGV: prefix, split max, alerts, breach cursor,
 * breach batch, steps, then the teams.  Returns
 *   { per team { depth, head, split, split_of }, latest, breaches }
 * head: {} or { id, score, tier, urgency, subject, warned ('1'/'0') };
 * split: tier, urgency, count, ...; latest: XREVRANGE's entries;
 * breaches: id, team ('' unless a breach), ticket, ... of the alerts
 * after the cursor.  Ticket and queue keys are made here from the prefix
 * and the infixes of keys.h, as the fire script does (sla.c).
 */
static const char state_script[] =
"local alerts, prefix = KEYS[1], ARGV[1]\n"
"local cap, nalerts, nsteps = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[6])\n"
"local fired = {'tier', 'urgency', 'subject'}\n"
"for s = 0, nsteps - 1 do\n"
"  fired[#fired + 1] = 'fired:first_response:' .. s\n"
"end\n"
"local teams = {}\n"
"for i = 7, #ARGV do\n"
"  local q = prefix .. '" KEYS_QUEUE "' .. ARGV[i]\n"
"  local depth = redis.call('ZCARD', q)\n"
"  local head = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')\n"
"  local nxt = {}\n"
"  if head[1] then\n"
"    local t = redis.call('HMGET', prefix .. '" KEYS_TICKET "' .. head[1],\n"
"      unpack(fired))\n"
"    local warned = '0'\n"
"    for s = 4, #fired do if t[s] then warned = '1' end end\n"
"    nxt = {head[1], head[2], t[1] or '', t[2] or '', t[3] or '', warned}\n"
"  end\n"
"  local members = redis.call('ZRANGE', q, 0, cap - 1)\n"
"  local counts, order, split = {}, {}, {}\n"
"  for _, id in ipairs(members) do\n"
"    local t = redis.call('HMGET', prefix .. '" KEYS_TICKET "' .. id,\n"
"      'tier', 'urgency')\n"
"    local k = (t[1] or '') .. '\\n' .. (t[2] or '')\n"
"    if not counts[k] then counts[k] = 0; order[#order + 1] = k end\n"
"    counts[k] = counts[k] + 1\n"
"  end\n"
"  for _, k in ipairs(order) do\n"
"    local nl = string.find(k, '\\n', 1, true)\n"
"    split[#split + 1] = string.sub(k, 1, nl - 1)\n"
"    split[#split + 1] = string.sub(k, nl + 1)\n"
"    split[#split + 1] = counts[k]\n"
"  end\n"
"  teams[#teams + 1] = {depth, nxt, split, #members}\n"
"end\n"
"local latest = redis.call('XREVRANGE', alerts, '+', '-', 'COUNT', nalerts)\n"
"local breaches = {}\n"
"for _, e in ipairs(redis.call('XRANGE', alerts, ARGV[4], '+', 'COUNT',\n"
"    ARGV[5])) do\n"
"  local f, team, ticket, kind = e[2], '', '', ''\n"
"  for j = 1, #f - 1, 2 do\n"
"    if f[j] == 'team' then team = f[j + 1]\n"
"    elseif f[j] == 'ticket' then ticket = f[j + 1]\n"
"    elseif f[j] == 'kind' then kind = f[j + 1] end\n"
"  end\n"
"  breaches[#breaches + 1] = e[1]\n"
"  breaches[#breaches + 1] = kind == 'breach' and team or ''\n"
"  breaches[#breaches + 1] = ticket\n"
"end\n"
"return {teams, latest, breaches}\n";

struct board_sample {
	int64_t		at;
	uint64_t	routed;
	uint64_t	dead;
};

struct board {
	struct rconn		*writer;
	const struct config	*boot;		/* the key prefix */
	struct live_config	*live;		/* the teams in force */
	struct board_probe	 probe;
	struct script		 script;
	struct event		*timer;
	struct live_config	*pinned;	/* the rules of the refresh */
	int64_t			 started;	/* monotonic ms of the refresh */
	int64_t			 last_start;
	int64_t			 watched;	/* last request, monotonic ms */
	/* The cache: what every request is answered from. */
	struct board_view	 view;
	int			 have_view;
	char			*json;
	char			*html;
	/* Breached today. */
	struct board_day	*day;
	char			 cursor[48];	/* XRANGE start of the next slice */
	struct zone		 zone;
	char			 zone_name[64];
	struct board_sample	 samples[BOARD_SAMPLES];
	size_t			 nsamples;
	size_t			 sample_next;
};

static void	board_refresh(struct board *);

/*
 * The zone of "today": that of the first SLA policy whose calendar is not
 * in UTC (the office the floor works in), else UTC.
 */
static void
board_zone(struct board *b, const struct config *cfg)
{
	const struct calendar	*cal;
	const char		*name = "UTC", *tz;
	char			 err[256];

	for (size_t p = 0; p < rules_policy_count(cfg->rules); p++)
		if ((cal = rules_policy_calendar(cfg->rules, (int)p)) != NULL &&
		    (tz = calendar_timezone(cal)) != NULL && *tz != '\0' &&
		    strcmp(tz, "UTC") != 0) {
			name = tz;
			break;
		}
	if (strcmp(name, b->zone_name) == 0)
		return;
	zone_clear(&b->zone);
	if (zone_load(&b->zone, name, err, sizeof err) == -1) {
		log_warnx("wallboard: time zone %s: %s; \"today\" starts at "
		    "midnight UTC", name, err);
		memset(&b->zone, 0, sizeof b->zone);
	}
	snprintf(b->zone_name, sizeof b->zone_name, "%s", name);
}

/* A new day (or the first): count breaches again from its first alert. */
static void
board_day_check(struct board *b, int64_t now)
{
	int64_t	start = board_view_day_start(&b->zone, now);

	if (start == board_day_start(b->day) && b->cursor[0] != '\0')
		return;
	board_day_reset(b->day, start);
	snprintf(b->cursor, sizeof b->cursor, "%lld-0", (long long)start);
}

static char *
dupn(const char *s, size_t len)
{
	char	*p;

	if ((p = strndup(s != NULL ? s : "", s != NULL ? len : 0)) == NULL)
		fatal("wallboard");
	return p;
}

static char *
reply_str(const redisReply *r)
{
	if (r != NULL && (r->type == REDIS_REPLY_STRING ||
	    r->type == REDIS_REPLY_STATUS))
		return dupn(r->str, r->len);
	return dupn("", 0);
}

static int64_t
reply_int(const redisReply *r)
{
	if (r == NULL)
		return 0;
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return strtoll(r->str, NULL, 10);
	return 0;
}

/* The script's answer about one team, or -1 if it is not what we sent. */
static int
parse_team(struct board_team *t, const redisReply *r)
{
	const redisReply	*nx, *sp;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 ||
	    r->element[1]->type != REDIS_REPLY_ARRAY ||
	    r->element[2]->type != REDIS_REPLY_ARRAY)
		return -1;
	t->depth = reply_int(r->element[0]);
	nx = r->element[1];
	if (nx->elements == 6) {
		t->has_next = 1;
		t->next.ticket = reply_str(nx->element[0]);
		/* A score is a double in Redis: "1764000000000" or "1.7e+12". */
		t->next.due = nx->element[1]->type == REDIS_REPLY_STRING ?
		    (int64_t)strtod(nx->element[1]->str, NULL) : 0;
		t->next.tier = reply_str(nx->element[2]);
		t->next.urgency = reply_str(nx->element[3]);
		t->next.subject = reply_str(nx->element[4]);
		t->next.warned = nx->element[5]->type == REDIS_REPLY_STRING &&
		    strcmp(nx->element[5]->str, "1") == 0;
	}
	sp = r->element[2];
	if ((t->split = calloc(sp->elements / 3 + 1, sizeof *t->split)) ==
	    NULL)
		fatal("wallboard");
	for (size_t k = 0; k + 2 < sp->elements; k += 3) {
		struct board_split	*s = &t->split[t->nsplit++];

		s->tier = reply_str(sp->element[k]);
		s->urgency = reply_str(sp->element[k + 1]);
		s->count = reply_int(sp->element[k + 2]);
	}
	t->split_of = reply_int(r->element[3]);
	return 0;
}

static void
parse_alerts(struct board_view *v, const redisReply *r)
{
	if ((v->alerts = calloc(r->elements + 1, sizeof *v->alerts)) == NULL)
		fatal("wallboard");
	for (size_t i = 0; i < r->elements; i++) {
		const redisReply	*e = r->element[i], *f;
		struct board_alert	*a;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		f = e->element[1];
		a = &v->alerts[v->nalerts++];
		a->id = reply_str(e->element[0]);
		if ((a->names = calloc(f->elements / 2 + 1,
		    sizeof *a->names)) == NULL ||
		    (a->values = calloc(f->elements / 2 + 1,
		    sizeof *a->values)) == NULL)
			fatal("wallboard");
		for (size_t k = 0; k + 1 < f->elements; k += 2) {
			a->names[a->nfields] = reply_str(f->element[k]);
			a->values[a->nfields++] = reply_str(f->element[k + 1]);
		}
	}
}

/* Count the slice of alerts after the cursor; move the cursor on. */
static void
parse_breaches(struct board *b, const redisReply *r)
{
	for (size_t k = 0; k + 2 < r->elements; k += 3) {
		const redisReply	*id = r->element[k];
		const redisReply	*team = r->element[k + 1];
		const redisReply	*ticket = r->element[k + 2];

		if (id->type != REDIS_REPLY_STRING)
			continue;
		snprintf(b->cursor, sizeof b->cursor, "(%.*s", (int)id->len,
		    id->str);
		if (team->type == REDIS_REPLY_STRING && team->len > 0 &&
		    ticket->type == REDIS_REPLY_STRING &&
		    board_day_add(b->day, team->str, ticket->str) == -1)
			fatal("wallboard");
	}
}

/* Per minute over the last minute of samples, or -1 while too young. */
static int64_t
board_rate(const struct board *b, int64_t now, int dead)
{
	const struct board_sample	*old = NULL, *cur;
	size_t				 last;

	if (b->nsamples < 2)
		return -1;
	last = (b->sample_next + BOARD_SAMPLES - 1) % BOARD_SAMPLES;
	cur = &b->samples[last];
	for (size_t i = 0; i < b->nsamples; i++) {
		const struct board_sample	*s = &b->samples[(last +
		    BOARD_SAMPLES - i) % BOARD_SAMPLES];

		if (now - s->at > 60000)
			break;
		old = s;
	}
	if (old == NULL || cur->at - old->at < BOARD_RATE_MIN_MS)
		return -1;
	return (int64_t)((dead ? cur->dead - old->dead :
	    cur->routed - old->routed) * 60000 / (uint64_t)(cur->at - old->at));
}

/* The daemon's side of the view (Redis health, totals), and render. */
static void
board_render(struct board *b, int64_t now)
{
	struct board_view	*v = &b->view;
	const char		*why = b->probe.health(b->probe.arg);
	struct board_sample	*s = &b->samples[b->sample_next];

	s->at = now;
	s->routed = metrics_routed_total();
	s->dead = metrics_rejected_total();
	b->sample_next = (b->sample_next + 1) % BOARD_SAMPLES;
	if (b->nsamples < BOARD_SAMPLES)
		b->nsamples++;
	free(v->redis);
	v->redis = dupn(*why == '\0' ? "ok" : why, strlen(*why == '\0' ? "ok" :
	    why));
	free(v->rules_version);
	v->rules_version = dupn(b->live->cfg->version,
	    strlen(b->live->cfg->version));
	free(v->day_zone);
	v->day_zone = dupn(b->zone_name, strlen(b->zone_name));
	v->utc_offset = zone_offset(&b->zone, now / 1000);
	v->day_start = board_day_start(b->day);
	v->routed_total = s->routed;
	v->dead_total = s->dead;
	v->routed_per_min = board_rate(b, now, 0);
	v->dead_per_min = board_rate(b, now, 1);
	v->reloads_ok = metrics_get(METRIC_RELOADS_OK);
	v->reloads_failed = metrics_get(METRIC_RELOADS_FAILED);
	free(b->json);
	free(b->html);
	if ((b->json = board_view_json(v)) == NULL ||
	    (b->html = board_view_html(v)) == NULL)
		fatal("wallboard");
	b->have_view = 1;
}

static void
state_reply(struct rconn *rc, redisReply *r, void *arg)
{
	struct board		*b = arg;
	struct board_view	 v = { 0 };
	const struct rules	*rules = b->pinned->cfg->rules;
	size_t			 n;

	if (script_missing(&b->script, rc, r) || r == NULL)
		goto out;
	if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("wallboard: reading the state failed: %.*s",
		    (int)r->len, r->str);
		metrics_inc(METRIC_REDIS_ERRORS);
		goto out;
	}
	n = rules_team_count(rules);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY ||
	    r->element[0]->elements != n ||
	    r->element[1]->type != REDIS_REPLY_ARRAY ||
	    r->element[2]->type != REDIS_REPLY_ARRAY) {
		log_warnx("wallboard: the state script answered in an "
		    "unexpected shape; the board keeps its last state");
		goto out;
	}
	if ((v.teams = calloc(n + 1, sizeof *v.teams)) == NULL)
		fatal("wallboard");
	for (size_t i = 0; i < n; i++) {
		struct board_team	*t = &v.teams[v.nteams++];
		const char		*name = rules_team_name(rules, (int)i);

		t->name = dupn(name, strlen(name));
		if (parse_team(t, r->element[0]->element[i]) == -1)
			log_warnx("wallboard: team %s: unexpected answer", name);
	}
	parse_alerts(&v, r->element[1]);
	parse_breaches(b, r->element[2]);
	for (size_t i = 0; i < v.nteams; i++)
		v.teams[i].breached_today = board_day_count(b->day,
		    v.teams[i].name);
	v.now = now_ms();
	board_view_clear(&b->view);
	b->view = v;
	board_render(b, v.now);
	metrics_inc(METRIC_BOARD_REFRESHES);
	metrics_add(METRIC_BOARD_REFRESH_MS,
	    (uint64_t)(now_mono_ms() - b->started));
out:
	live_release(b->pinned);
	b->pinned = NULL;
}

static void
board_refresh(struct board *b)
{
	const struct config	*cfg;
	const char		*prefix = b->boot->redis.prefix;
	const char		**argv;
	size_t			*argvlen, nteams;
	char			 alerts[KEYS_MAX], cap[16], nal[16], batch[16];
	char			 steps[16];
	int64_t			 mono = now_mono_ms(), now = now_ms();
	int			 argc = 0;

	/* The timer may run a hair early: a little slack, never twice. */
	if (b->pinned != NULL || mono - b->last_start < BOARD_TICK_MS - 20)
		return;
	if (rconn_state(b->writer) != RCONN_READY) {
		/* Show Redis as it is, with the last state known. */
		if (b->have_view) {
			b->view.now = now;
			board_render(b, now);
		}
		return;
	}
	if (!script_ensure(&b->script, b->writer) ||
	    keys_alerts(alerts, sizeof alerts, prefix) == -1)
		return;
	b->pinned = live_acquire(b->live);
	cfg = b->pinned->cfg;
	board_zone(b, cfg);
	board_day_check(b, now);
	nteams = rules_team_count(cfg->rules);
	if ((argv = calloc(nteams + 10, sizeof *argv)) == NULL ||
	    (argvlen = calloc(nteams + 10, sizeof *argvlen)) == NULL)
		fatal("wallboard");
	snprintf(cap, sizeof cap, "%d", BOARD_SPLIT_MAX);
	snprintf(nal, sizeof nal, "%d", BOARD_ALERTS);
	snprintf(batch, sizeof batch, "%d", BOARD_BREACH_BATCH);
	snprintf(steps, sizeof steps, "%d", BOARD_FIRED_STEPS);
	argv[argc++] = "EVALSHA";
	argv[argc++] = b->script.sha;
	argv[argc++] = "1";
	argv[argc++] = alerts;
	argv[argc++] = prefix;
	argv[argc++] = cap;
	argv[argc++] = nal;
	argv[argc++] = b->cursor;
	argv[argc++] = batch;
	argv[argc++] = steps;
	for (size_t i = 0; i < nteams; i++)
		argv[argc++] = rules_team_name(cfg->rules, (int)i);
	for (int i = 0; i < argc; i++)
		argvlen[i] = strlen(argv[i]);
	b->last_start = b->started = mono;
	if (rconn_command_argv(b->writer, state_reply, b, argc, argv,
	    argvlen) == -1) {
		live_release(b->pinned);
		b->pinned = NULL;
	}
	free(argv);
	free(argvlen);
}

static void
board_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct board	*b = arg;

	if (!b->have_view || now_mono_ms() - b->watched < BOARD_IDLE_MS)
		board_refresh(b);
}

/* The script is loaded: the first state need not wait for the tick. */
static void
board_script_ready(void *arg)
{
	board_refresh(arg);
}

/* Every answer: read-only, no framing, no sniffing, nothing from elsewhere. */
static void
board_headers(struct evhttp_request *req, const char *type)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'none'; "
	    "script-src 'self'; style-src 'self'; connect-src 'self'; "
	    "img-src 'self'; base-uri 'none'; frame-ancestors 'none'; "
	    "form-action 'none'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-store");
}

/* A request came: the board is watched; refresh if the copy is old. */
static void
board_watched(struct board *b)
{
	b->watched = now_mono_ms();
	if (b->watched - b->last_start >= 2 * BOARD_TICK_MS)
		board_refresh(b);
}

static void
board_reply(struct evhttp_request *req, const char *type, const void *data,
    size_t len)
{
	struct evbuffer	*buf;

	if ((buf = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	board_headers(req, type);
	/*
	 * A copy, not a reference: evhttp moves the chain into the
	 * connection's output and writes it when the socket lets it, and a
	 * refresh in between frees the text (a use after free that ASan
	 * caught with fifty screens polling at once).
	 */
	evbuffer_add(buf, data, len);
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

void
board_serve_page(struct evhttp_request *req, void *arg)
{
	struct board	*b = arg;
	const char	*page = (const char *)board_html, *mark;
	struct evbuffer	*buf;

	board_watched(b);
	if ((buf = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	/* The template's marker takes the tables (web/board.html). */
	mark = strstr(page, "@MAIN@");
	evbuffer_add(buf, page, (size_t)(mark - page));
	if (b->html != NULL)
		evbuffer_add(buf, b->html, strlen(b->html));
	else
		evbuffer_add_printf(buf, "<p class=\"red\">Waiting for Redis "
		    "等待 Redis</p>\n");
	evbuffer_add(buf, mark + 6, strlen(mark + 6));
	board_headers(req, "text/html; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

void
board_serve_state(struct evhttp_request *req, void *arg)
{
	struct board	*b = arg;

	metrics_inc(METRIC_BOARD_REQUESTS);
	board_watched(b);
	if (b->json == NULL) {
		board_headers(req, "application/json");
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "1");
		evhttp_send_error(req, 503, "no state read from Redis yet");
		return;
	}
	board_reply(req, "application/json", b->json, strlen(b->json));
}

void
board_serve_asset(struct evhttp_request *req, void *arg)
{
	const char	*path;

	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path != NULL && strcmp(path, "/board.js") == 0)
		board_reply(req, "text/javascript; charset=utf-8", board_js,
		    sizeof board_js - 1);
	else if (path != NULL && strcmp(path, "/board.css") == 0)
		board_reply(req, "text/css; charset=utf-8", board_css,
		    sizeof board_css - 1);
	else
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
}

struct board *
board_new(struct event_base *base, struct rconn *writer,
    const struct config *boot, struct live_config *live,
    const struct board_probe *probe)
{
	struct board	*b;
	struct timeval	 tv = { BOARD_TICK_MS / 1000,
	    (BOARD_TICK_MS % 1000) * 1000 };

	if ((b = calloc(1, sizeof *b)) == NULL)
		return NULL;
	b->writer = writer;
	b->boot = boot;
	b->live = live_acquire(live);
	b->probe = *probe;
	b->last_start = now_mono_ms() - BOARD_TICK_MS;
	b->watched = b->last_start - BOARD_IDLE_MS;
	script_init(&b->script, "wallboard", state_script, board_script_ready,
	    b);
	if ((b->day = board_day_new()) == NULL ||
	    (b->timer = event_new(base, -1, EV_PERSIST, board_tick,
	    b)) == NULL) {
		board_free(b);
		return NULL;
	}
	event_add(b->timer, &tv);
	return b;
}

void
board_set_config(struct board *b, struct live_config *live)
{
	live_release(b->live);
	b->live = live_acquire(live);
}

void
board_free(struct board *b)
{
	if (b == NULL)
		return;
	if (b->timer != NULL)
		event_free(b->timer);
	/* After the writer: an outstanding refresh was answered with NULL. */
	if (b->pinned != NULL)
		live_release(b->pinned);
	board_view_clear(&b->view);
	free(b->json);
	free(b->html);
	board_day_free(b->day);
	zone_clear(&b->zone);
	live_release(b->live);
	free(b);
}
