/*
 * http.h - GET /metrics and GET /healthz on http.listen (libevent's evhttp).
 */
#ifndef TRIAGED_HTTP_H
#define TRIAGED_HTTP_H

struct daemon;
struct http;

/*
 * Serve on listen, "HOST:PORT" or ":PORT" as config_parse_listen() takes
 * it; NULL and a logged reason if it cannot be bound.
 */
struct http	*http_new(struct daemon *, const char *listen);
void		 http_free(struct http *);		/* accepts NULL */
/* "" when healthy, else why not: what /healthz reports. */
const char	*http_health(struct daemon *);

#endif
