/*
 * ctl_redis.c - triagectl's blocking connection to Redis, shared by every
 * command that reads or writes it (submit, event, queues, ticket, dead,
 * replay).  The daemon's own connection is asynchronous (redis.c); a
 * command line waits for each reply, so a plain redisContext with a
 * timeout is all it needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "ctl_redis.h"
#include "handshake.h"

struct redisContext *
ctl_redis_connect(const struct config *cfg)
{
	const struct config_redis	*rc = &cfg->redis;
	struct timeval			 tv = { 5, 0 };
	redisContext			*c;
	redisReply			*r;
	struct handshake_cmd		 cmds[2];
	size_t				 n;

	if (rc->socket != NULL)
		c = redisConnectUnixWithTimeout(rc->socket, tv);
	else
		c = redisConnectWithTimeout(rc->host, rc->port, tv);
	if (c == NULL || c->err) {
		fprintf(stderr, "triagectl: cannot connect to Redis at %s%s%d: "
		    "%s\n", rc->socket ? rc->socket : rc->host,
		    rc->socket ? "" : ":", rc->socket ? 0 : rc->port,
		    c ? c->errstr : "out of memory");
		if (c != NULL)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	n = handshake_commands(rc, cmds);
	for (size_t i = 0; i < n; i++) {
		r = redisCommandArgv(c, cmds[i].argc, cmds[i].argv,
		    cmds[i].argvlen);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "triagectl: %s failed: %s\n",
			    cmds[i].name, r ? r->str : c->errstr);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}
