/*
 * submit.c - `triagectl submit` and `triagectl event`: append a request or
 * a lifecycle event to its stream, as a gateway or an agent desktop would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "ctl.h"
#include "keys.h"
#include "now.h"
#include "ctl_redis.h"
#include "field.h"
#include "lifecycle.h"
#include "request.h"

/* The pairs as fields, for the daemon's own checks. */
static struct field *
as_fields(int npairs, const char **names, const size_t *nlens,
    const char **values, const size_t *vlens)
{
	struct field	*f;

	if ((f = calloc(npairs + 1, sizeof *f)) == NULL)
		return NULL;
	for (int i = 0; i < npairs; i++)
		f[i] = (struct field){ names[i], nlens[i], values[i], vlens[i] };
	return f;
}

/* XADD key * name value ...; prints the new entry ID. */
static int
xadd(const struct config *cfg, const char *stream, int npairs,
    const char **names, const size_t *nlens, const char **values,
    const size_t *vlens)
{
	redisContext	*c;
	redisReply	*r;
	const char	**argv;
	size_t		*argvlen;
	char		 key[KEYS_MAX];
	int		 argc = 0, rv = 1;

	if (keys_stream(key, sizeof key, cfg->redis.prefix, stream) == -1) {
		fprintf(stderr, "triagectl: the key of stream %s is longer "
		    "than %d bytes\n", stream, KEYS_MAX - 1);
		return 1;
	}
	argv = calloc(3 + 2 * npairs, sizeof *argv);
	argvlen = calloc(3 + 2 * npairs, sizeof *argvlen);
	if (argv == NULL || argvlen == NULL) {
		fprintf(stderr, "triagectl: out of memory\n");
		goto out;
	}
	argv[argc] = "XADD";
	argvlen[argc++] = 4;
	argv[argc] = key;
	argvlen[argc++] = strlen(key);
	argv[argc] = "*";
	argvlen[argc++] = 1;
	for (int i = 0; i < npairs; i++) {
		argv[argc] = names[i];
		argvlen[argc++] = nlens[i];
		argv[argc] = values[i];
		argvlen[argc++] = vlens[i];
	}
	if ((c = ctl_redis_connect(cfg)) == NULL)
		goto out;
	r = ctl_redis_argv(&c, cfg, argc, argv, argvlen);
	if (r == NULL || r->type != REDIS_REPLY_STRING)
		fprintf(stderr, "triagectl: XADD %s failed: %s\n", key,
		    r ? (r->str ? r->str : "unexpected reply") : c->errstr);
	else {
		printf("%s\n", r->str);
		rv = 0;
	}
	freeReplyObject(r);
	redisFree(c);
out:
	free(argv);
	free(argvlen);
	return rv;
}

/* Split field=value arguments; 2 with a message if one has no '='. */
static int
split_pairs(int argc, char **argv, const char **names, size_t *nlens,
    const char **values, size_t *vlens)
{
	for (int i = 0; i < argc; i++) {
		const char	*eq = strchr(argv[i], '=');

		if (eq == NULL || eq == argv[i]) {
			fprintf(stderr, "triagectl: '%s': expected "
			    "field=value\n", argv[i]);
			return 2;
		}
		names[i] = argv[i];
		nlens[i] = eq - argv[i];
		values[i] = eq + 1;
		vlens[i] = strlen(eq + 1);
	}
	return 0;
}

int
ctl_submit(const struct config *cfg, int argc, char **argv)
{
	const char	**names, **values;
	size_t		*nlens, *vlens;
	int		 rv;

	if (argc == 0) {
		fprintf(stderr, "usage: triagectl -c FILE submit "
		    "field=value ...\n");
		return 2;
	}
	names = calloc(argc, sizeof *names);
	values = calloc(argc, sizeof *values);
	nlens = calloc(argc, sizeof *nlens);
	vlens = calloc(argc, sizeof *vlens);
	if (names == NULL || values == NULL || nlens == NULL || vlens == NULL)
		rv = 1;
	else if ((rv = split_pairs(argc, argv, names, nlens, values,
	    vlens)) == 0) {
		struct field	*f = as_fields(argc, names, nlens, values,
				    vlens);
		struct request	 rq;
		char		 err[REQUEST_ERROR_MAX], id[32];

		/* The entry ID the daemon would see is not known yet: now. */
		snprintf(id, sizeof id, "%lld-0", (long long)now_ms());
		if (f == NULL)
			rv = 1;
		else if (request_validate(&cfg->intake, id, f, argc, now_ms(),
		    &rq, err, sizeof err) != REQUEST_OK) {
			fprintf(stderr, "triagectl: refused, the daemon would "
			    "dead-letter it: %s\n", err);
			rv = 1;
		} else
			rv = xadd(cfg, cfg->intake.stream, argc, names, nlens,
			    values, vlens);
		free(f);
	}
	free(names);
	free(values);
	free(nlens);
	free(vlens);
	return rv;
}

/* 1 if the ticket key exists, 0 if not, -1 (said) if Redis could not tell. */
static int
ticket_exists(const struct config *cfg, const char *key)
{
	redisContext	*c;
	redisReply	*r;
	const char	*argv[2] = { "EXISTS", key };
	size_t		 argvlen[2] = { 6, strlen(key) };
	int		 rv = -1;

	if ((c = ctl_redis_connect(cfg)) == NULL)
		return -1;
	/* On Redis Cluster, followed to wherever the slot moved. */
	r = ctl_redis_argv(&c, cfg, 2, argv, argvlen);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER)
		rv = r->integer > 0;
	else
		fprintf(stderr, "triagectl: EXISTS %s failed: %s\n", key,
		    r != NULL && r->str != NULL ? r->str : c->errstr);
	freeReplyObject(r);
	redisFree(c);
	return rv;
}

int
ctl_event(const struct config *cfg, int argc, char **argv)
{
	const char	*names[3] = { "ticket", "event", "team" };
	size_t		 nlens[3] = { 6, 5, 4 };
	const char	*values[3];
	size_t		 vlens[3];
	int		 n = 2, rv;
	struct field	*f;
	struct lifecycle_event le;
	const char	*reason;
	char		 err[256], key[KEYS_MAX];

	if (argc < 2 || argc > 3 || (argc == 3 &&
	    strncmp(argv[2], "team=", 5) != 0)) {
		fprintf(stderr, "usage: triagectl -c FILE event TICKET EVENT "
		    "[team=TEAM]\n");
		return 2;
	}
	values[0] = argv[0];
	values[1] = argv[1];
	if (argc == 3) {
		values[2] = argv[2] + 5;
		n = 3;
	}
	for (int i = 0; i < n; i++)
		vlens[i] = strlen(values[i]);
	if ((f = as_fields(n, names, nlens, values, vlens)) == NULL)
		return 1;
	rv = lifecycle_parse(f, n, cfg->rules, &le, &reason, err, sizeof err);
	free(f);
	if (rv == -1) {
		fprintf(stderr, "triagectl: refused, the daemon would "
		    "dead-letter it: %s\n", err);
		return 1;
	}
	if (keys_ticket(key, sizeof key, cfg->redis.prefix, values[0],
	    vlens[0]) == -1) {
		fprintf(stderr, "triagectl: the key of ticket %s is longer "
		    "than %d bytes\n", values[0], KEYS_MAX - 1);
		return 1;
	}
	if ((rv = ticket_exists(cfg, key)) != 1) {
		if (rv == 0)
			fprintf(stderr, "triagectl: refused: no ticket '%s' "
			    "(key %s)\n", values[0], key);
		return 1;
	}
	return xadd(cfg, cfg->intake.events, n, names, nlens, values, vlens);
}
