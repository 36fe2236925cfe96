/*
 * http.h - GET /metrics, /healthz, /readyz and /livez on http.listen
 * (libevent's evhttp).
 */
#ifndef TRIAGED_HTTP_H
#define TRIAGED_HTTP_H

struct event_base;
struct evhttp_request;
struct http;

/*
 * What the endpoints report, asked of the daemon at request time: http.c
 * knows nothing of Redis, routing or the loop, it only serves.
 */
struct http_probe {
	/* "" when ready to route, else why not: /healthz and /readyz. */
	const char	*(*health)(void *arg);
	/* "" while the event loop turns, else why not: /livez. */
	const char	*(*liveness)(void *arg);
	/* Bring the daemon's own gauges up to date, just before /metrics. */
	void		 (*refresh)(void *arg);
	void		*arg;
};

/*
 * Serve on listen, "HOST:PORT" or ":PORT" as config_parse_listen() takes
 * it; NULL and a logged reason if it cannot be bound.  probe is copied.
 */
struct http	*http_new(struct event_base *, const char *listen,
		    const struct http_probe *);
void		 http_free(struct http *);		/* accepts NULL */

/*
 * A further endpoint, served by another module that main.c wires in (the
 * wallboard, the CRM push): http.c stays ignorant of what it serves.
 * path is exact ("/api/state"), or a prefix when it ends in '/'
 * ("/api/customers/" takes "/api/customers/C1"); "/" alone is exact,
 * the root page.  methods is a mask of
 * libevent's EVHTTP_REQ_* bits; any other method gets 405.  handler
 * answers the request itself (evhttp_send_reply()), now or later.
 * Returns 0, or -1 if the table is full or the path taken.
 */
typedef void	 (*http_handler)(struct evhttp_request *, void *arg);
int		 http_route(struct http *, const char *path, int methods,
		    http_handler, void *arg);

#endif
