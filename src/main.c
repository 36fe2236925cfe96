/*
 * main.c - options, the event base, signal events, wiring and shutdown.
 *
 * Everything here runs in the libevent loop: signals arrive as events
 * (never handled in signal context), so a reload swaps the rules between
 * two batches and a stop lets the batches in flight finish.
 */
#include <getopt.h>
#include <signal.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <event2/http.h>

#include "batch.h"
#include "board.h"
#include "check_queues.h"
#include "config.h"
#include "crm_push.h"
#include "curlev.h"
#include "deliver.h"
#include "depth.h"
#include "events.h"
#include "firing.h"
#include "http.h"
#include "intake.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "now.h"
#include "redis.h"
#include "route.h"
#include "sla.h"
#include "rules.h"

/*
 * A command unanswered this long means Redis is paused or wedged: drop the
 * connection and reconnect.  The reader's blocking XREADGROUP gets its
 * BLOCK time on top.  The writer is never idle for long: the queue-depth
 * poll sends it a ZCARD every DEPTH_INTERVAL_MS, so a paused Redis is
 * noticed within REDIS_TIMEOUT_MS + DEPTH_INTERVAL_MS + 1 s (the check).
 */
#define REDIS_TIMEOUT_MS	3000
#define READER_SLACK_MS		1000
#define DEPTH_INTERVAL_MS	2000
#define STOP_GRACE_SEC		20
#define STOP_POLL_MS		100
/* HTTP posts to receivers at once, every receiver together. */
#define DELIVER_MAX_TRANSFERS	64

/*
 * The daemon's parts.  Only this file sees them all: each module is handed
 * what it needs when it is made (its connection, the settings, callbacks)
 * and the new rules on reload, and calls nothing above itself.
 */
struct daemon {
	struct event_base	*base;
	struct live_config	*live;		/* the rules in force */
	/*
	 * The config the daemon started with.  Redis address, key prefix,
	 * stream and group names and the HTTP address are read from here
	 * only: a reload cannot half-apply them.
	 */
	struct live_config	*boot;
	struct rconn		*reader;
	struct rconn		*writer;
	struct intake		*intake;
	struct router		*router;
	struct events		*events;	/* lifecycle events */
	struct sla		*sla;		/* the escalation timer */
	struct depth		*depth;		/* gauges read from Redis */
	struct crm_push		*crm_push;	/* POST /api/customers/ID */
	struct board		*board;		/* the wallboard's state */
	/*
	 * Alert delivery: its own connection for the alerts stream (its
	 * reads block), posts through curl on this loop.
	 */
	struct rconn		*alerts_reader;
	struct curlev		*http_client;
	struct deliver		*deliver;
	struct firing		*firing;
	char			*consumer;	/* our name in the group */
	int			 stopping;	/* SIGTERM: 1 finishing, 2 done */
	int			 ready_notified;
	int64_t			 last_loop_ms;	/* for /healthz */
};

static struct daemon	 daemon_state;
static struct event	*stop_deadline;
static struct event	*stop_poll;
static struct http	*http;

static void
usage(FILE *f)
{
	fprintf(f, "usage: triaged -c FILE [--check] [--consumer NAME] "
	    "[--log-level warn|info|debug]\n       triaged --version\n");
}

static void
notify(const char *state)
{
#ifdef HAVE_SYSTEMD
	sd_notify(0, state);
#else
	(void)state;
#endif
}

/* RELOADING=1 with the time, as Type=notify-reload wants it too. */
static void
notify_reloading(void)
{
	struct timespec	ts;
	char		msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	notify(msg);
}

/* Readiness and the end of a graceful stop, when work settles or starts. */
static void
progress(void *arg)
{
	struct daemon	*d = arg;

	if (!d->ready_notified && intake_reading(d->intake) &&
	    router_ready(d->router)) {
		d->ready_notified = 1;
		log_info("ready: consumer %s in group %s, rules %s",
		    d->consumer, d->boot->cfg->intake.group,
		    d->live->cfg->version);
		notify("READY=1");
	}
	if (d->stopping == 1 && intake_idle(d->intake) &&
	    router_inflight(d->router) == 0 && deliver_idle(d->deliver) &&
	    firing_idle(d->firing)) {
		log_info("stopped: every batch in flight is settled");
		d->stopping = 2;	/* once */
		event_base_loopexit(d->base, NULL);
	}
}

static void
log_diagnostics(const char *diag)
{
	const char	*p = diag, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		log_warnx("%.*s", nl ? (int)(nl - p) : (int)strlen(p), p);
		p = nl ? nl + 1 : NULL;
	}
}

/*
 * The lines of the summary that count rules ("rules:", "routing:", "sla:")
 * and differ between the two sets: what a reload changed, in counts.
 */
static void
log_count_changes(const struct config *old, const struct config *new)
{
	for (int i = 0; i < CONFIG_NCOUNTS; i++) {
		char	*a = config_counts(old, i), *b = config_counts(new, i);

		if (strcmp(a, b) != 0)
			log_info("reload: %s: %s -> %s", config_counts_head(i),
			    a, b);
		free(a);
		free(b);
	}
}

/* The last reload, for STATUS= and /metrics. */
static time_t	loaded_at, refused_at;
static int	last_refused;

/*
 * STATUS= for `systemctl status`: the rules in force and when they were
 * loaded, a refused reload, and the Redis connections.  Sent when it
 * changes.
 */
static void
status_update(struct daemon *d)
{
	static char	last[512];
	char		msg[512], when[32], refused[64] = "";
	struct tm	tm;

	localtime_r(&loaded_at, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	if (last_refused) {
		localtime_r(&refused_at, &tm);
		strftime(refused, sizeof refused,
		    "; last reload REFUSED at %H:%M:%S, see the log", &tm);
	}
	snprintf(msg, sizeof msg, "STATUS=rules %s loaded %s%s; redis reader "
	    "%s, writer %s", d->live->cfg->version, when, refused,
	    rconn_state_name(rconn_state(d->reader)),
	    rconn_state_name(rconn_state(d->writer)));
	if (strcmp(msg, last) == 0)
		return;
	snprintf(last, sizeof last, "%s", msg);
	notify(msg);
}

/* The rules in force, handed to every module that uses them. */
static void
push_config(struct daemon *d)
{
	intake_set_config(d->intake, d->live);
	router_set_config(d->router, d->live);
	events_set_config(d->events, d->live);
	sla_set_config(d->sla, d->live);
	depth_set_config(d->depth, d->live);
	crm_push_set_config(d->crm_push, d->live);
	if (d->board != NULL)
		board_set_config(d->board, d->live);
	deliver_set_config(d->deliver, d->live);
	firing_set_config(d->firing, d->live);
}

static void
reload(struct daemon *d)
{
	struct config	*old = d->live->cfg, *cfg;
	char		*diag = NULL;

	cfg = config_load(old->path, 0, &diag);
	if (cfg == NULL) {
		log_diagnostics(diag);
		log_warnx("reload of %s failed; rules %s stay in force",
		    old->path, old->version);
		metrics_inc(METRIC_RELOADS_FAILED);
		refused_at = time(NULL);
		last_refused = 1;
		metrics_set_reload(0, 0);
		free(diag);
		return;
	}
	free(diag);
	config_reload_report(d->boot->cfg, old, cfg);
	log_info("reload: rules %s -> %s%s (tiers %zu -> %zu, teams %zu -> "
	    "%zu, policies %zu -> %zu)", old->version, cfg->version,
	    strcmp(old->version, cfg->version) == 0 ? " (file unchanged)" : "",
	    rules_tier_count(old->rules), rules_tier_count(cfg->rules),
	    rules_team_count(old->rules), rules_team_count(cfg->rules),
	    rules_policy_count(old->rules), rules_policy_count(cfg->rules));
	log_count_changes(old, cfg);
	for (size_t i = 0; i < rules_team_count(old->rules); i++) {
		const char	*team = rules_team_name(old->rules, (int)i);

		if (rules_team_find(cfg->rules, team, strlen(team)) == -1)
			log_warnx("reload: team %s is gone from the rules; "
			    "tickets still in %squeue:%s are seen by no agent "
			    "(see triaged_queue_orphaned_tickets)", team,
			    d->boot->cfg->redis.prefix, team);
	}
	/* Batches in flight keep the set they pinned; new ones get this. */
	live_release(d->live);
	d->live = live_new(cfg);
	push_config(d);
	metrics_inc(METRIC_RELOADS_OK);
	loaded_at = time(NULL);
	last_refused = 0;
	metrics_set_reload(1, (int64_t)loaded_at);
	metrics_declare(cfg->rules);
}

static void
signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	struct daemon	*d = arg;
	struct timeval	 grace = { STOP_GRACE_SEC, 0 };
	struct timeval	 poll = { 0, STOP_POLL_MS * 1000 };

	switch (sig) {
	case SIGHUP:
		notify_reloading();
		reload(d);
		notify("READY=1");
		status_update(d);
		break;
	case SIGTERM:
	case SIGINT:
		if (d->stopping)
			break;
		log_info("%s: finishing the batches in flight",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		notify("STOPPING=1");
		d->stopping = 1;
		intake_stop(d->intake);
		deliver_stop(d->deliver);
		firing_stop(d->firing);
		event_add(stop_deadline, &grace);
		event_add(stop_poll, &poll);
		progress(d);
		break;
	}
}

static void
stop_deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon	*d = arg;

	/* What is unsettled stays pending in Redis and is recovered later. */
	log_warnx("stop: %zu batches still unsettled after %d s; exiting, "
	    "their entries stay pending", router_inflight(d->router),
	    STOP_GRACE_SEC);
	event_base_loopexit(d->base, NULL);
}

/*
 * While stopping: is everything settled?  Polled, because a blocking read
 * that comes back empty settles nothing and so reports no progress.
 */
static void
stop_poll_cb(evutil_socket_t fd, short ev, void *arg)
{
	progress(arg);
}

/*
 * Once a second: feeds the systemd watchdog (only a turning loop gets
 * here).  Readiness is signalled by intake when it starts reading; the
 * check here is a safety net that costs nothing.
 */
static void
heartbeat_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon	*d = arg;

	d->last_loop_ms = now_ms();
	router_retry(d->router);	/* a refused SCRIPT LOAD, say */
	notify("WATCHDOG=1");
	status_update(d);
	progress(d);
}

/* The loop is "turning" if the heartbeat ran this recently. */
#define HEALTH_LOOP_STALE_MS	5000

/* "" when ready to route, else why not: /healthz, /readyz, triaged_healthy. */
static const char *
health(void *arg)
{
	struct daemon	*d = arg;
	static char	 why[320];

	if (rconn_state(d->reader) != RCONN_READY) {
		snprintf(why, sizeof why, "redis reader %s: %s",
		    rconn_state_name(rconn_state(d->reader)),
		    rconn_reason(d->reader));
		return why;
	}
	if (rconn_state(d->writer) != RCONN_READY) {
		snprintf(why, sizeof why, "redis writer %s: %s",
		    rconn_state_name(rconn_state(d->writer)),
		    rconn_reason(d->writer));
		return why;
	}
	if (intake_error(d->intake)[0] != '\0') {
		snprintf(why, sizeof why, "redis reader: %s",
		    intake_error(d->intake));
		return why;
	}
	if (!router_ready(d->router)) {
		if (router_not_ready(d->router)[0] == '\0')
			return "routing script not loaded yet";
		snprintf(why, sizeof why, "routing script not loaded: %s",
		    router_not_ready(d->router));
		return why;
	}
	if (now_ms() - d->last_loop_ms > HEALTH_LOOP_STALE_MS)
		return "event loop stalled";
	if (d->stopping)
		return "stopping";
	return "";
}

/* "" while the loop turns, whatever Redis does: /livez. */
static const char *
liveness(void *arg)
{
	struct daemon	*d = arg;

	return now_ms() - d->last_loop_ms > HEALTH_LOOP_STALE_MS ?
	    "event loop stalled" : "";
}

/* The daemon's own gauges, read from its state at scrape time. */
static void
refresh_gauges(void *arg)
{
	struct daemon	*d = arg;

	metrics_set_daemon(*health(d) == '\0',
	    rconn_state(d->reader) == RCONN_READY,
	    rconn_state(d->writer) == RCONN_READY,
	    rconn_state(d->alerts_reader) == RCONN_READY,
	    router_inflight(d->router), d->live->cfg->version);
}

/* intake's sink: a batch goes to the router or to the events module. */
static void
submit_batch(struct batch *b, void *arg)
{
	struct daemon	*d = arg;

	if (b->stream == BATCH_EVENTS)
		events_submit(d->events, b);
	else
		router_submit(d->router, b);
}

static int
can_read(void *arg)
{
	struct daemon	*d = arg;

	return router_ready(d->router);
}

/* The router or the events module settled a batch: back to intake. */
static void
batch_done(struct batch *b, void *arg)
{
	struct daemon	*d = arg;

	intake_batch_done(d->intake, b);
}

/*
 * The writer's state: the router loads its script on it, and the
 * schedule is looked at as soon as it is up rather than at the next retry
 * (a restart after an outage has steps overdue).
 */
static void
writer_state(struct rconn *rc, enum rconn_state s, void *arg)
{
	struct daemon	*d = arg;

	router_writer_state(rc, s, d->router);
	if (s == RCONN_READY)
		sla_kick(d->sla);
}

/* The routing script is loaded: reading can start. */
static void
script_loaded(void *arg)
{
	struct daemon	*d = arg;

	intake_kick(d->intake);
	progress(d);
}

/*
 * The wallboard on http.listen: the page, its JSON, its script and style,
 * read-only.  Made only where there is HTTP to serve it.
 */
static void
wire_board(struct daemon *d, const struct config *cfg)
{
	static const char	*assets[] = { "/board.js", "/board.css" };
	int			 get = EVHTTP_REQ_GET | EVHTTP_REQ_HEAD;

	if ((d->board = board_new(d->base, d->writer, cfg, d->live,
	    &(struct board_probe){ health, d })) == NULL)
		fatalx("out of memory at start-up");
	if (http_route(http, "/", get, board_serve_page, d->board) == -1 ||
	    http_route(http, "/api/state", get, board_serve_state,
	    d->board) == -1)
		fatalx("cannot add the wallboard's endpoints");
	for (size_t i = 0; i < sizeof assets / sizeof *assets; i++)
		if (http_route(http, assets[i], get, board_serve_asset,
		    d->board) == -1)
			fatalx("cannot add the wallboard's endpoints");
}

static char *
default_consumer(void)
{
	char	host[256];

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "triaged");
	host[sizeof host - 1] = '\0';
	return strdup(host);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "consumer", required_argument, NULL, 'C' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon		*d = &daemon_state;
	const char		*path = NULL, *consumer = NULL;
	enum log_level		 level = LOG_LEVEL_INFO;
	int			 check = 0, ch;
	struct config		*cfg;
	char			*diag = NULL;
	struct event		*sighup, *sigterm, *sigint, *heartbeat;
	struct timeval		 second = { 1, 0 };


#ifdef __GLIBC__
	/*
	 * Every batch formats a script call of some hundred kilobytes, and
	 * hiredis copies it into an output buffer it frees once written.
	 * Left to itself glibc maps such buffers fresh or trims the heap
	 * under them, and each call pays a page fault per 4 KiB it touches
	 * (a fifth of the daemon's CPU).  Kept in the heap they are reused;
	 * an outsized batch's memory is still given back (intake.c).
	 */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif

	while ((ch = getopt_long(argc, argv, "c:nhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'C':
			consumer = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg, &level) == -1) {
				fprintf(stderr, "triaged: --log-level: expected "
				    "warn, info or debug, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'V':
			printf("triaged %s\n", TRIAGED_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init(level, "triaged");

	cfg = config_load(path, check ? CONFIG_WARN : 0, &diag);
	if (diag != NULL)
		fputs(diag, stderr);
	free(diag);
	if (cfg == NULL) {
		fprintf(stderr, "triaged: %s: configuration refused\n", path);
		return 1;
	}
	if (check) {
		config_summary(cfg, stdout);
		check_queues(cfg, path, stderr);
		config_free(cfg);
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	if ((d->base = event_base_new()) == NULL)
		fatalx("cannot create the event base");
	d->live = live_new(cfg);
	d->boot = live_acquire(d->live);
	loaded_at = time(NULL);
	metrics_set_reload(1, (int64_t)loaded_at);
	metrics_declare(cfg->rules);
	if (consumer != NULL)
		d->consumer = strdup(consumer);
	else if (cfg->intake.consumer != NULL)
		d->consumer = strdup(cfg->intake.consumer);
	else
		d->consumer = default_consumer();
	if (d->consumer == NULL)
		fatalx("out of memory at start-up");
	d->last_loop_ms = now_ms();

	/*
	 * The connections first, then the modules on them; each connection
	 * reports its state to the module that drives it.
	 */
	d->reader = rconn_new(d->base, &cfg->redis, "reader", REDIS_TIMEOUT_MS,
	    READER_SLACK_MS, NULL, NULL);
	d->writer = rconn_new(d->base, &cfg->redis, "writer", REDIS_TIMEOUT_MS,
	    0, NULL, NULL);
	if (d->reader == NULL || d->writer == NULL)
		fatalx("out of memory at start-up");
	d->router = router_new(d->writer, cfg, d->live, &(struct router_cb){
	    batch_done, script_loaded, d });
	d->events = events_new(d->base, d->writer, cfg, d->live,
	    &(struct events_cb){ batch_done, d });
	d->sla = sla_new(d->base, d->writer, cfg, d->live);
	d->intake = intake_new(d->base, d->reader, cfg, d->consumer, d->live,
	    &(struct intake_sink){ submit_batch, can_read, progress, d });
	d->depth = depth_new(d->base, d->writer, cfg, d->live,
	    DEPTH_INTERVAL_MS);
	d->crm_push = crm_push_new(d->writer, d->live);
	d->alerts_reader = rconn_new(d->base, &cfg->redis, "alerts reader",
	    REDIS_TIMEOUT_MS, READER_SLACK_MS, NULL, NULL);
	if ((d->http_client = curlev_new(d->base,
	    DELIVER_MAX_TRANSFERS)) == NULL)
		fatalx("cannot set up libcurl");
	if (d->alerts_reader != NULL)
		d->deliver = deliver_new(d->base, d->alerts_reader, d->writer,
		    d->http_client, cfg, d->consumer, d->live);
	d->firing = firing_new(d->base, d->writer, d->http_client, cfg,
	    d->live);
	if (d->router == NULL || d->intake == NULL || d->events == NULL ||
	    d->sla == NULL || d->depth == NULL || d->crm_push == NULL ||
	    d->deliver == NULL || d->firing == NULL)
		fatalx("out of memory at start-up");
	rconn_set_state_cb(d->reader, intake_reader_state, d->intake);
	rconn_set_state_cb(d->alerts_reader, deliver_reader_state,
	    d->deliver);
	rconn_set_state_cb(d->writer, writer_state, d);

	if (cfg->http_listen != NULL && *cfg->http_listen != '\0' &&
	    (http = http_new(d->base, cfg->http_listen, &(struct http_probe){
	    health, liveness, refresh_gauges, d })) == NULL)
		fatalx("cannot serve http.listen %s", cfg->http_listen);
	if (http != NULL && http_route(http, CRM_PUSH_PATH, EVHTTP_REQ_POST,
	    crm_push_handle, d->crm_push) == -1)
		fatalx("cannot serve %s", CRM_PUSH_PATH);
	if (http != NULL)
		wire_board(d, cfg);

	sighup = evsignal_new(d->base, SIGHUP, signal_cb, d);
	sigterm = evsignal_new(d->base, SIGTERM, signal_cb, d);
	sigint = evsignal_new(d->base, SIGINT, signal_cb, d);
	heartbeat = event_new(d->base, -1, EV_PERSIST, heartbeat_cb, d);
	stop_deadline = evtimer_new(d->base, stop_deadline_cb, d);
	stop_poll = event_new(d->base, -1, EV_PERSIST, stop_poll_cb, d);
	evsignal_add(sighup, NULL);
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	event_add(heartbeat, &second);

	if (cfg->redis.cluster)
		log_info("starting: rules %s from %s, redis cluster from %s, "
		    "prefix %s, consumer %s", cfg->version, path,
		    cfg->redis.nnodes > 0 ? cfg->redis.nodes[0] :
		    cfg->redis.host, cfg->redis.prefix, d->consumer);
	else
		log_info("starting: rules %s from %s, redis %s%s%d, prefix %s, "
		    "consumer %s", cfg->version, path, cfg->redis.socket ?
		    cfg->redis.socket : cfg->redis.host, cfg->redis.socket ?
		    "" : ":", cfg->redis.socket ? 0 : cfg->redis.port,
		    cfg->redis.prefix, d->consumer);
	rconn_start(d->writer);
	rconn_start(d->reader);
	rconn_start(d->alerts_reader);
	event_base_dispatch(d->base);

	http_free(http);
	/* Posts still running end here, without their callbacks. */
	curlev_free(d->http_client);
	rconn_free(d->reader);
	rconn_free(d->alerts_reader);
	rconn_free(d->writer);
	deliver_free(d->deliver);	/* after the connections: replies in */
	firing_free(d->firing);
	depth_free(d->depth);	/* after the writer: its replies are in */
	crm_push_free(d->crm_push);
	board_free(d->board);	/* after the writer, as depth */
	intake_free(d->intake);
	router_free(d->router);
	events_free(d->events);
	sla_free(d->sla);
	event_free(sighup);
	event_free(sigterm);
	event_free(sigint);
	event_free(heartbeat);
	event_free(stop_deadline);
	event_free(stop_poll);
	live_release(d->boot);
	live_release(d->live);
	metrics_free();
	free(d->consumer);
	event_base_free(d->base);
	return 0;
}
