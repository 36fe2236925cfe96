/*
 * crm_push.c - POST /api/customers/ID with a flat JSON object: the fields
 * are written to the customer's CRM hash (HSET: an upsert; fields the
 * body does not name are kept), on the daemon's writer connection.
 *
 *   request --token?--> 404 (off) / 401 --ID?--> 400 --body?--> 400
 *           --writer ready?--> 503 --> HSET queued --> 200 {"customer", "fields"}
 *
 * The token is the value of the environment variable http.token_env
 * names, read at each request from the rules in force, and compared in
 * constant time.  No variable named, or none set: the endpoint is off
 * (404), rather than open.  evhttp caps the body at 64 KiB (413).
 *
 * The answer is sent once the HSET is queued on a ready connection, not
 * when Redis replies: evhttp may free a request whose client went away,
 * and nothing here may outlive it.  A write that fails after that is
 * logged (and counted as a Redis error); the CRM's next push for the
 * customer writes the record whole again.
 *
 * Logs say which customer and how many fields, never their values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "crm_json.h"
#include "crm_push.h"
#include "field.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "request.h"

struct crm_push {
	struct rconn		*writer;
	struct live_config	*live;
};

/* What a reply callback needs: the customer, for the log. */
struct pushed {
	char	id[REQUEST_ID_MAX + 1];
	size_t	nfields;
};

struct crm_push *
crm_push_new(struct rconn *writer, struct live_config *live)
{
	struct crm_push	*p;

	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	p->writer = writer;
	p->live = live_acquire(live);
	return p;
}

void
crm_push_free(struct crm_push *p)
{
	if (p == NULL)
		return;
	live_release(p->live);
	free(p);
}

void
crm_push_set_config(struct crm_push *p, struct live_config *live)
{
	live_release(p->live);
	p->live = live_acquire(live);
}

/* A short JSON answer: {"error": "..."} or what was written. */
static void
reply(struct evhttp_request *req, int code, const char *reason,
    const char *json)
{
	struct evbuffer	*b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evbuffer_add_printf(b, "%s\n", json);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static void
reply_error(struct evhttp_request *req, int code, const char *reason,
    const char *why)
{
	char	json[512], esc[400];
	size_t	o = 0;

	if (code == 401 || code == 400)
		metrics_inc(METRIC_CRM_REFUSED);

	/* Our own sentences, but a JSON string all the same. */
	for (const char *s = why; *s != '\0' && o + 7 < sizeof esc; s++) {
		unsigned char	c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[o++] = '\\';
			esc[o++] = (char)c;
		} else if (c < 0x20)
			o += (size_t)snprintf(esc + o, sizeof esc - o,
			    "\\u%04x", c);
		else
			esc[o++] = (char)c;
	}
	esc[o] = '\0';
	snprintf(json, sizeof json, "{\"error\": \"%s\"}", esc);
	reply(req, code, reason, json);
}

/* Constant time in the token's content: every byte is looked at. */
static int
token_equal(const char *given, size_t glen, const char *token)
{
	size_t		 tlen = strlen(token);
	unsigned char	 diff = glen != tlen;

	for (size_t i = 0; i < tlen; i++)
		diff |= (unsigned char)token[i] ^
		    (unsigned char)(i < glen ? given[i] : 0);
	return diff == 0;
}

static int
authorized(struct evhttp_request *req, const char *token)
{
	const char	*h;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7;
	while (*h == ' ')
		h++;
	return token_equal(h, strlen(h), token);
}

static void
written(struct rconn *rc, redisReply *r, void *arg)
{
	struct pushed	*pu = arg;

	(void)rc;
	if (r == NULL)
		log_warnx("crm: customer %s: the connection to Redis was lost "
		    "before the update was confirmed", pu->id);
	else if (r->type == REDIS_REPLY_ERROR) {
		log_warnx("crm: customer %s not updated: %.*s", pu->id,
		    (int)r->len, r->str);
		metrics_inc(METRIC_REDIS_ERRORS);
	} else {
		log_info("crm: customer %s updated (%zu fields)", pu->id,
		    pu->nfields);
		metrics_inc(METRIC_CRM_PUSHED);
	}
	free(pu);
}

void
crm_push_handle(struct evhttp_request *req, void *arg)
{
	struct crm_push		*p = arg;
	const struct config	*cf = p->live->cfg;
	const char		*token = NULL, *path, *id;
	struct evbuffer		*in;
	struct crm_json		*cj;
	const struct field	*f;
	struct field		*all;
	struct pushed		*pu;
	const char		**argv;
	size_t			*argvlen, len, n, idlen;
	char			 err[CRM_JSON_ERROR_MAX], key[1024], json[256];
	int			 argc = 0;

	if (cf->http_token_env != NULL)
		token = getenv(cf->http_token_env);
	if (token == NULL || *token == '\0') {
		reply_error(req, 404, "Not Found", "the customer push is off: "
		    "http.token_env names no environment variable that is set");
		return;
	}
	if (!authorized(req, token)) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "WWW-Authenticate", "Bearer");
		reply_error(req, 401, "Unauthorized", "a valid "
		    "'Authorization: Bearer TOKEN' header is required");
		return;
	}
	if (cf->customers_key == NULL) {
		reply_error(req, 404, "Not Found", "customers.key is not set: "
		    "there are no customer records");
		return;
	}
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	id = path != NULL ? path + strlen(CRM_PUSH_PATH) : "";
	idlen = strlen(id);
	if (!request_id_valid(id, idlen)) {
		reply_error(req, 400, "Bad Request", "the customer ID in the "
		    "path must be 1 to 128 bytes of A-Z a-z 0-9 . _ : -");
		return;
	}
	in = evhttp_request_get_input_buffer(req);
	len = evbuffer_get_length(in);
	if ((cj = crm_json_parse((const char *)evbuffer_pullup(in, -1), len,
	    err, sizeof err)) == NULL) {
		reply_error(req, 400, "Bad Request", err);
		return;
	}
	f = crm_json_fields(cj, &n);
	if (rconn_state(p->writer) != RCONN_READY) {
		crm_json_free(cj);
		reply_error(req, 503, "Service Unavailable", "not connected to "
		    "Redis; try again");
		return;
	}
	/* customers.key's {customer_id} is the ID; {other} a field's. */
	all = calloc(n + 1, sizeof *all);
	argv = calloc(2 + 2 * n, sizeof *argv);
	argvlen = calloc(2 + 2 * n, sizeof *argvlen);
	pu = calloc(1, sizeof *pu);
	if (all == NULL || argv == NULL || argvlen == NULL || pu == NULL)
		fatal("crm push");
	all[0] = (struct field){ "customer_id", 11, id, idlen };
	memcpy(all + 1, f, n * sizeof *f);
	if (request_customer_key(cf->customers_key, all, n + 1, key,
	    sizeof key) == -1) {
		reply_error(req, 400, "Bad Request", "the customer's key "
		    "(customers.key) would be longer than 1023 bytes");
		goto out;
	}
	argv[argc] = "HSET";
	argvlen[argc++] = 4;
	argv[argc] = key;
	argvlen[argc++] = strlen(key);
	for (size_t i = 0; i < n; i++) {
		argv[argc] = f[i].name;
		argvlen[argc++] = f[i].name_len;
		argv[argc] = f[i].value;
		argvlen[argc++] = f[i].value_len;
	}
	memcpy(pu->id, id, idlen);
	pu->nfields = n;
	if (rconn_command_argv(p->writer, written, pu, argc, argv,
	    argvlen) == -1) {
		reply_error(req, 503, "Service Unavailable", "not connected to "
		    "Redis; try again");
		/* written() was not called, or was with NULL: see redis.h */
		goto out;
	}
	pu = NULL;
	snprintf(json, sizeof json, "{\"customer\": \"%s\", \"fields\": %zu}",
	    id, n);
	reply(req, 200, "OK", json);
out:
	free(pu);
	free(all);
	free(argv);
	free(argvlen);
	crm_json_free(cj);
}
