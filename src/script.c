/*
 * script.c - loading a Lua script and noticing when the server lost it
 * (see script.h).
 */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "script.h"

void
script_init(struct script *s, const char *name, const char *src,
    script_ready_cb *cb, void *arg)
{
	memset(s, 0, sizeof *s);
	s->name = name;
	s->src = src;
	s->cb = cb;
	s->arg = arg;
}

static void
load_reply(struct rconn *rc, redisReply *reply, void *arg)
{
	struct script	*s = arg;

	s->loading = 0;
	if (reply == NULL)
		return;		/* loaded again once the connection is back */
	if (reply->type != REDIS_REPLY_STRING || reply->len != 40) {
		const char	*why = "an unexpected reply";
		int		 len = (int)strlen(why);
		char		 err[sizeof s->error];

		if (reply->type == REDIS_REPLY_ERROR) {
			why = reply->str;
			len = (int)reply->len;
		}
		snprintf(err, sizeof err, "SCRIPT LOAD failed: %.*s", len, why);
		/* Tried again at every script_ensure(): warn once a cause. */
		if (strcmp(err, s->error) != 0)
			log_warnx("SCRIPT LOAD of the %s script failed: %.*s "
			    "(trying again)", s->name, len, why);
		else
			log_debug("SCRIPT LOAD of the %s script failed again: "
			    "%.*s", s->name, len, why);
		memcpy(s->error, err, sizeof s->error);
		metrics_inc(METRIC_REDIS_ERRORS);
		return;
	}
	if (s->error[0] != '\0')
		log_info("SCRIPT LOAD of the %s script worked", s->name);
	s->error[0] = '\0';
	memcpy(s->sha, reply->str, 40);
	s->sha[40] = '\0';
	s->ready = 1;
	if (s->cb != NULL)
		s->cb(s->arg);
}

int
script_ensure(struct script *s, struct rconn *rc)
{
	if (s->ready)
		return 1;
	if (!s->loading && rconn_state(rc) == RCONN_READY &&
	    rconn_command(rc, load_reply, s, "SCRIPT LOAD %s", s->src) == 0)
		s->loading = 1;
	return 0;
}

int
script_missing(struct script *s, struct rconn *rc, const redisReply *reply)
{
	if (reply == NULL || reply->type != REDIS_REPLY_ERROR ||
	    strncmp(reply->str, "NOSCRIPT", 8) != 0)
		return 0;
	log_info("the %s script is missing on the server; loading it again",
	    s->name);
	s->ready = 0;
	script_ensure(s, rc);
	return 1;
}
