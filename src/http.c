/*
 * http.c - the operator's HTTP endpoints: /metrics (Prometheus text) and
 * /healthz (200, or 503 with the reason).  libevent's evhttp is all this
 * needs; the endpoints are cheap and answer from memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "config.h"
#include "daemon.h"
#include "http.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "route.h"

/* The loop is "turning" if the heartbeat ran this recently. */
#define HEALTH_LOOP_STALE_MS	5000

struct http {
	struct evhttp	*evh;
	struct daemon	*d;
};

const char *
http_health(struct daemon *d)
{
	static char	why[320];

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
	if (!router_ready(d->router))
		return "routing script not loaded yet";
	if (daemon_now_ms() - d->last_loop_ms > HEALTH_LOOP_STALE_MS)
		return "event loop stalled";
	if (d->stopping)
		return "stopping";
	return "";
}

/* Gauges read from the daemon's state at scrape time. */
static void
render_daemon(struct daemon *d, struct evbuffer *buf)
{
	const struct rconn	*conns[] = { d->reader, d->writer };
	const char		*names[] = { "reader", "writer" };

	evbuffer_add_printf(buf, "# HELP triaged_redis_connected 1 when the "
	    "Redis connection is ready.\n"
	    "# TYPE triaged_redis_connected gauge\n");
	for (size_t i = 0; i < 2; i++)
		evbuffer_add_printf(buf, "triaged_redis_connected"
		    "{connection=\"%s\"} %d\n", names[i],
		    rconn_state(conns[i]) == RCONN_READY);
	evbuffer_add_printf(buf, "# HELP triaged_healthy 1 when /healthz "
	    "answers 200.\n# TYPE triaged_healthy gauge\ntriaged_healthy %d\n",
	    *http_health(d) == '\0');
	evbuffer_add_printf(buf, "# HELP triaged_batches_in_flight Batches "
	    "read and not yet settled.\n"
	    "# TYPE triaged_batches_in_flight gauge\n"
	    "triaged_batches_in_flight %zu\n", router_inflight(d->router));
	evbuffer_add_printf(buf, "# HELP triaged_rules_info The rules in "
	    "force (value 1; the version is the label).\n"
	    "# TYPE triaged_rules_info gauge\n"
	    "triaged_rules_info{version=\"%s\"} 1\n", d->live->cfg->version);
}

static void
handle_metrics(struct evhttp_request *req, void *arg)
{
	struct http	*h = arg;
	struct evbuffer	*buf = evbuffer_new();

	if (buf == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	metrics_render(buf);
	render_daemon(h->d, buf);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

static void
handle_healthz(struct evhttp_request *req, void *arg)
{
	struct http	*h = arg;
	struct evbuffer	*buf = evbuffer_new();
	const char	*why = http_health(h->d);

	if (buf == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	if (*why == '\0') {
		evbuffer_add_printf(buf, "ok\n");
		evhttp_send_reply(req, 200, "OK", buf);
	} else {
		evbuffer_add_printf(buf, "unhealthy: %s\n", why);
		evhttp_send_reply(req, 503, "Service Unavailable", buf);
	}
	evbuffer_free(buf);
}

struct http *
http_new(struct daemon *d, const char *listen)
{
	struct http	*h;
	char		 host[256];
	const char	*colon = strrchr(listen, ':');
	int		 port;

	if (colon == NULL || (size_t)(colon - listen) >= sizeof host ||
	    (port = atoi(colon + 1)) <= 0 || port > 65535) {
		log_warnx("http.listen '%s': expected HOST:PORT", listen);
		return NULL;
	}
	memcpy(host, listen, colon - listen);
	host[colon - listen] = '\0';
	/* [::1]:9464 */
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if ((h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	h->d = d;
	if ((h->evh = evhttp_new(d->base)) == NULL ||
	    evhttp_bind_socket(h->evh, host, (unsigned short)port) != 0) {
		log_warn("http: cannot listen on %s", listen);
		http_free(h);
		return NULL;
	}
	evhttp_set_allowed_methods(h->evh, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_cb(h->evh, "/metrics", handle_metrics, h);
	evhttp_set_cb(h->evh, "/healthz", handle_healthz, h);
	log_info("http: listening on %s", listen);
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->evh != NULL)
		evhttp_free(h->evh);
	free(h);
}
