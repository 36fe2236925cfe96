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

struct redisContext *
ctl_redis_connect(const struct config *cfg)
{
	const struct config_redis	*rc = &cfg->redis;
	struct timeval			 tv = { 5, 0 };
	redisContext			*c;
	redisReply			*r;
	const char			*pw = NULL;

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
	if (rc->password_env != NULL)
		pw = getenv(rc->password_env);
	if (pw != NULL && *pw != '\0') {
		r = rc->username != NULL ?
		    redisCommand(c, "AUTH %s %s", rc->username, pw) :
		    redisCommand(c, "AUTH %s", pw);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "triagectl: AUTH failed: %s\n",
			    r ? r->str : c->errstr);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	if (rc->db != 0) {
		r = redisCommand(c, "SELECT %d", rc->db);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "triagectl: SELECT %d failed: %s\n",
			    rc->db, r ? r->str : c->errstr);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}
