/*
 * http.c - the operator's HTTP endpoints: /metrics (Prometheus text),
 * /healthz and /readyz (200, or 503 with the reason) and /livez (the loop
 * turns).  libevent's evhttp is all this needs; the endpoints are cheap
 * and answer from memory.
 *
 * The port may be reachable by anyone, so no client can hold on to the
 * daemon's memory or file descriptors:
 *
 *   headers    8 KiB, body 64 KiB          evhttp refuses more
 *   deadline   10 s for a complete request from the accept or from the
 *              previous response; a stalled write gets 10 s too
 *   cap        256 connections: accepting stops until one closes
 *   no fds     accept() failing (EMFILE) stops accepting for a second
 *
 * evhttp's own timeout restarts with every byte read, so a client sending
 * a header byte a second would never meet it: the deadline is ours.
 * libevent 2.1 tells a server of a new connection only by asking it for
 * the connection's bufferevent (evhttp_set_bevcb()), before the
 * connection exists; it hands that bufferevent the connection as its
 * callback argument, which is where we pick it up, once evhttp is done
 * setting it up, to ask for its close callback:
 *
 *   accept -> http_conn_new(): make the bufferevent, count, track
 *          -> http_adopt() (same loop turn): evcon, close callback
 *   a response is queued (the output grows) -> the deadline restarts
 *   http_sweep() once a second: shutdown() what is past its deadline,
 *          so evhttp reads EOF and frees it; resume accepting
 *   evhttp frees it -> http_conn_closed(): untrack, resume accepting
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "now.h"

#define HTTP_TIMEOUT_SEC	10
#define HTTP_MAX_HEADERS	(8 * 1024)
#define HTTP_MAX_BODY		(64 * 1024)	/* the CRM webhook's limit */
#define HTTP_MAX_CONNS		256
#define HTTP_BACKLOG		128
/* Descriptors the rest of the daemon may need besides the HTTP ones. */
#define HTTP_FD_SPARE		64
#define HTTP_WARN_EVERY_MS	60000
#define HTTP_MAX_ROUTES		16
#define HTTP_METHODS_ALL	(EVHTTP_REQ_GET | EVHTTP_REQ_POST |	\
	EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |		\
	EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |	\
	EVHTTP_REQ_PATCH)

struct http_conn {
	struct http			*h;
	struct bufferevent		*bev;
	struct evhttp_connection	*evcon;	/* NULL until adopted */
	int64_t				 since_ms; /* accepted, or answered */
	struct http_conn		*prev, *next;
};

/* An endpoint added with http_route(). */
struct http_route {
	char			*path;
	size_t			 len;
	int			 prefix;	/* path ends in '/' */
	int			 methods;
	http_handler		 handler;
	void			*arg;
};

struct http {
	struct evhttp		*evh;
	struct evconnlistener	*lev;
	struct event		*adopt;
	struct event		*sweep;
	struct http_probe	 probe;		/* what the endpoints report */
	struct http_conn	*conns;	/* newest first: unadopted at the head */
	int			 nconns;
	int64_t			 full_warned_ms;
	struct http_route	 routes[HTTP_MAX_ROUTES];
	int			 nroutes;
};

/*
 * The built-in endpoints are GET and HEAD only; a method they do not take
 * gets 405 from here rather than from evhttp's server-wide mask, which
 * lets every method through (see http_new()).
 */
static int
http_get_only(struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) &
	    (EVHTTP_REQ_GET | EVHTTP_REQ_HEAD))
		return 1;
	evhttp_send_error(req, 405, "Method Not Allowed");
	return 0;
}

static void
handle_metrics(struct evhttp_request *req, void *arg)
{
	struct http	*h = arg;
	struct evbuffer	*buf;

	if (!http_get_only(req))
		return;
	if ((buf = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	h->probe.refresh(h->probe.arg);
	metrics_render(buf);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", buf);
	evbuffer_free(buf);
}

/* 200 "ok", or 503 with why. */
static void
send_probe(struct evhttp_request *req, const char *why)
{
	struct evbuffer	*buf = evbuffer_new();

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

/* /healthz and /readyz: ready to route (Redis, the script, not stopping). */
static void
handle_healthz(struct evhttp_request *req, void *arg)
{
	struct http	*h = arg;

	if (http_get_only(req))
		send_probe(req, h->probe.health(h->probe.arg));
}

/*
 * /livez: the process is alive and its loop turns, whatever Redis does.
 * A liveness probe must not restart the daemon because Redis is away:
 * it reconnects by itself, and a restart would not bring Redis back.
 */
static void
handle_livez(struct evhttp_request *req, void *arg)
{
	struct http	*h = arg;

	if (http_get_only(req))
		send_probe(req, h->probe.liveness(h->probe.arg));
}

/*
 * Every path evhttp has no callback of its own for comes here: the routes
 * of http_route(), or 404.  The method mask is checked per route, since
 * evhttp's own mask is one for the whole server.
 */
static void
http_dispatch(struct evhttp_request *req, void *arg)
{
	struct http		*h = arg;
	struct http_route	*r;
	const char		*path;
	int			 i;

	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL)
		path = "";
	for (i = 0; i < h->nroutes; i++) {
		r = &h->routes[i];
		if (r->prefix ? strncmp(path, r->path, r->len) != 0 :
		    strcmp(path, r->path) != 0)
			continue;
		if ((evhttp_request_get_command(req) & r->methods) == 0) {
			evhttp_send_error(req, 405, "Method Not Allowed");
			return;
		}
		r->handler(req, r->arg);
		return;
	}
	evhttp_send_error(req, HTTP_NOTFOUND, NULL);
}

int
http_route(struct http *h, const char *path, int methods,
    http_handler handler, void *arg)
{
	struct http_route	*r;
	int			 i;

	if (h->nroutes == HTTP_MAX_ROUTES)
		return -1;
	for (i = 0; i < h->nroutes; i++)
		if (strcmp(h->routes[i].path, path) == 0)
			return -1;
	r = &h->routes[h->nroutes];
	if ((r->path = strdup(path)) == NULL)
		return -1;
	r->len = strlen(path);
	/* "/" alone is the root page, not a prefix of every path. */
	r->prefix = r->len > 1 && path[r->len - 1] == '/';
	r->methods = methods;
	r->handler = handler;
	r->arg = arg;
	h->nroutes++;
	return 0;
}

/* A response was queued on c: its next request gets a fresh deadline. */
static void
http_conn_output(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct http_conn	*c = arg;

	if (info->n_added > 0)
		c->since_ms = now_mono_ms();
}

static void
http_conn_forget(struct http_conn *c)
{
	struct http	*h = c->h;

	evbuffer_remove_cb(bufferevent_get_output(c->bev), http_conn_output, c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (h->nconns-- == HTTP_MAX_CONNS && h->lev != NULL)
		evconnlistener_enable(h->lev);
	free(c);
}

/* evhttp is freeing the connection (its bufferevent goes next). */
static void
http_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	http_conn_forget(arg);
}

/*
 * evhttp's bevcb: a connection was accepted.  NULL (no memory) lets evhttp
 * make a bufferevent itself: served, but neither counted nor given our
 * deadline.
 */
static struct bufferevent *
http_conn_new(struct event_base *base, void *arg)
{
	struct http		*h = arg;
	struct http_conn	*c;
	int64_t			 now = now_mono_ms();

	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	if ((c->bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    evbuffer_add_cb(bufferevent_get_output(c->bev), http_conn_output,
	    c) == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		free(c);
		return NULL;
	}
	c->h = h;
	c->since_ms = now;
	if ((c->next = h->conns) != NULL)
		c->next->prev = c;
	h->conns = c;
	/*
	 * Runs in this turn of the loop, after the accept callback: before
	 * any event of the new socket, and before a bufferevent evhttp gave
	 * up on at once is finalized.
	 */
	event_active(h->adopt, EV_TIMEOUT, 1);
	if (++h->nconns == HTTP_MAX_CONNS) {
		/* New clients wait in the listen queue meanwhile. */
		evconnlistener_disable(h->lev);
		if (now - h->full_warned_ms >= HTTP_WARN_EVERY_MS) {
			h->full_warned_ms = now;
			log_warnx("http: %d connections open, the most "
			    "allowed; not accepting more until one closes",
			    HTTP_MAX_CONNS);
		}
	}
	return c->bev;
}

/* The connections just accepted: find each one's evcon, ask to be told. */
static void
http_adopt(evutil_socket_t fd, short ev, void *arg)
{
	struct http		*h = arg;
	struct http_conn	*c, *next;
	void			*evcon;

	for (c = h->conns; c != NULL && c->evcon == NULL; c = next) {
		next = c->next;
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &evcon);
		if (evcon == NULL) {
			/* bufferevent_free() cleared it: evhttp gave up. */
			http_conn_forget(c);
			continue;
		}
		c->evcon = evcon;
		evhttp_connection_set_closecb(c->evcon, http_conn_closed, c);
	}
}

/*
 * accept() failed for want of file descriptors (or memory): the listening
 * socket stays readable, so stop watching it or the loop would spin.
 * http_sweep() resumes.  arg is evhttp's, not ours.
 */
static void
http_accept_error(struct evconnlistener *lev, void *arg)
{
	static int64_t	 warned_ms = -HTTP_WARN_EVERY_MS;
	int64_t		 now = now_mono_ms();

	if (now - warned_ms >= HTTP_WARN_EVERY_MS) {
		warned_ms = now;
		log_warn("http: cannot accept a connection; pausing for a "
		    "second (said once a minute)");
	}
	evconnlistener_disable(lev);
}

/* Once a second: end connections past their deadline; resume accepting. */
static void
http_sweep(evutil_socket_t fd, short ev, void *arg)
{
	struct http		*h = arg;
	struct http_conn	*c;
	int64_t			 now = now_mono_ms();

	for (c = h->conns; c != NULL; c = c->next)
		if (now - c->since_ms > HTTP_TIMEOUT_SEC * 1000)
			shutdown(bufferevent_getfd(c->bev), SHUT_RDWR);
	if (h->nconns < HTTP_MAX_CONNS)
		evconnlistener_enable(h->lev);
}

/*
 * ":PORT": [::] with IPv4 mapped in, whatever net.ipv6.bindv6only says;
 * 0.0.0.0 where the host has no IPv6.
 */
static struct evhttp_bound_socket *
http_bind_any(struct evhttp *evh, int port)
{
	struct sockaddr_in6	 sin6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT };
	struct sockaddr_in	 sin = { .sin_family = AF_INET,
	    .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct sockaddr		*sa = (struct sockaddr *)&sin6;
	socklen_t		 len = sizeof sin6;
	int			 fd, on = 1, off = 0, e;

	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		sa = (struct sockaddr *)&sin;
		len = sizeof sin;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	}
	if (fd == -1)
		return NULL;
	if ((sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &off, sizeof off) == -1) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == -1 ||
	    bind(fd, sa, len) == -1 || listen(fd, HTTP_BACKLOG) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	/* On failure (no memory) fd may be closed already: leave it. */
	return evhttp_accept_socket_with_handle(evh, fd);
}

struct http *
http_new(struct event_base *base, const char *listen,
    const struct http_probe *probe)
{
	struct http			*h;
	struct evhttp_bound_socket	*bound;
	struct rlimit			 rl;
	struct timeval			 second = { 1, 0 };
	char				 host[CONFIG_LISTEN_HOST_MAX];
	const char			*why;
	int				 port;

	if ((why = config_parse_listen(listen, host, sizeof host, &port)) !=
	    NULL) {
		log_warnx("http.listen '%s': %s", listen, why);
		return NULL;
	}
	if ((h = calloc(1, sizeof *h)) == NULL)
		return NULL;
	h->probe = *probe;
	h->full_warned_ms = -HTTP_WARN_EVERY_MS;
	if ((h->evh = evhttp_new(base)) == NULL ||
	    (h->adopt = event_new(base, -1, 0, http_adopt, h)) == NULL ||
	    (h->sweep = event_new(base, -1, EV_PERSIST, http_sweep,
	    h)) == NULL) {
		http_free(h);
		return NULL;
	}
	bound = *host == '\0' ? http_bind_any(h->evh, port) :
	    evhttp_bind_socket_with_handle(h->evh, host, (unsigned short)port);
	if (bound == NULL) {
		log_warn("http: cannot listen on %s", listen);
		http_free(h);
		return NULL;
	}
	h->lev = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(h->lev, http_accept_error);
	evhttp_set_bevcb(h->evh, http_conn_new, h);
	evhttp_set_timeout(h->evh, HTTP_TIMEOUT_SEC);
	evhttp_set_max_headers_size(h->evh, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(h->evh, HTTP_MAX_BODY);
	/*
	 * evhttp lets every method through to us, so that a known path
	 * answers a method it does not take with 405, as HTTP asks, rather
	 * than evhttp's 501: each endpoint checks its own.
	 */
	evhttp_set_allowed_methods(h->evh, HTTP_METHODS_ALL);
	evhttp_set_cb(h->evh, "/metrics", handle_metrics, h);
	evhttp_set_cb(h->evh, "/healthz", handle_healthz, h);
	evhttp_set_cb(h->evh, "/readyz", handle_healthz, h);
	evhttp_set_cb(h->evh, "/livez", handle_livez, h);
	evhttp_set_gencb(h->evh, http_dispatch, h);
	event_add(h->sweep, &second);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < HTTP_MAX_CONNS + HTTP_FD_SPARE)
		log_warnx("http: the limit of %llu open files is below %d "
		    "connections + %d: a flood of clients can leave Redis "
		    "without a descriptor (raise LimitNOFILE=)",
		    (unsigned long long)rl.rlim_cur, HTTP_MAX_CONNS,
		    HTTP_FD_SPARE);
	log_info("http: listening on %s", listen);
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	/*
	 * evhttp_free() closes the listener, then every connection: the
	 * adopted ones leave the list through their close callback.
	 */
	h->lev = NULL;
	if (h->evh != NULL)
		evhttp_free(h->evh);
	while (h->conns != NULL)
		http_conn_forget(h->conns);
	while (h->nroutes > 0)
		free(h->routes[--h->nroutes].path);
	if (h->adopt != NULL)
		event_free(h->adopt);
	if (h->sweep != NULL)
		event_free(h->sweep);
	free(h);
}
