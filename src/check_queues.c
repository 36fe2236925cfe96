/*
 * check_queues.c - what `triaged --check` can tell from Redis: queues of
 * teams the file does not name.
 *
 * A team renamed or removed in the file leaves its queue behind, holding
 * tickets no agent sees.  The file alone cannot tell; the Redis it names
 * can.  So --check, when that Redis answers within a second, SCANs for
 * P+queue:* keys whose team the file lacks and warns of each that holds
 * tickets.  A Redis that does not answer, or one of a Redis Cluster
 * (whose keys are spread over nodes), is not looked at: --check must not
 * fail or hang because Redis is away, since systemd runs it before every
 * start.  The reload warns again, and triaged_queue_orphaned_tickets
 * counts what is left.
 */
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "check_queues.h"
#include "config.h"
#include "handshake.h"
#include "keys.h"
#include "rules.h"

#define CHECK_SCAN_ROUNDS	1000	/* SCAN calls, COUNT 1000 each */

static redisContext *
open_quietly(const struct config_redis *rc)
{
	struct timeval		 tv = { 1, 0 };
	struct handshake_cmd	 cmds[2];
	redisContext		*c;
	redisReply		*r;
	size_t			 n;

	if (rc->socket != NULL)
		c = redisConnectUnixWithTimeout(rc->socket, tv);
	else
		c = redisConnectWithTimeout(rc->host, rc->port, tv);
	if (c == NULL || c->err) {
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
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}

/* Warn of one queue key if its team is not in the file and it holds any. */
static int
check_key(redisContext *c, const struct config *cfg, const char *path,
    const char *key, size_t keylen, FILE *out)
{
	const char	*team;
	size_t		 len;
	const char	*argv[2] = { "ZCARD", key };
	size_t		 argvlen[2] = { 5, keylen };
	redisReply	*r;
	int		 warned = 0;

	if ((team = keys_queue_team(cfg->redis.prefix, key, keylen,
	    &len)) == NULL || rules_team_find(cfg->rules, team, len) != -1)
		return 0;
	r = redisCommandArgv(c, 2, argv, argvlen);
	if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer > 0) {
		fprintf(out, "%s: warning: %.*s holds %lld tickets, and this "
		    "file has no team '%.*s': no agent would see them (a team "
		    "renamed or removed?); keep the team until its queue is "
		    "empty, or move them\n", path, (int)keylen, key,
		    r->integer, (int)len, team);
		warned = 1;
	}
	freeReplyObject(r);
	return warned;
}

int
check_queues(const struct config *cfg, const char *path, FILE *out)
{
	char		 pattern[KEYS_MAX], cursor[32] = "0";
	const char	*argv[6] = { "SCAN", cursor, "MATCH", pattern, "COUNT",
			    "1000" };
	size_t		 argvlen[6] = { 4, 0, 5, 0, 5, 4 };
	redisContext	*c;
	redisReply	*r;
	int		 len, warned = 0;

	if (cfg->redis.cluster || (len = keys_queue_pattern(pattern,
	    sizeof pattern, cfg->redis.prefix)) == -1)
		return -1;
	argvlen[3] = (size_t)len;
	if ((c = open_quietly(&cfg->redis)) == NULL)
		return -1;
	for (int round = 0; round < CHECK_SCAN_ROUNDS; round++) {
		argvlen[1] = strlen(cursor);
		r = redisCommandArgv(c, 6, argv, argvlen);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY ||
		    r->elements != 2 ||
		    r->element[0]->type != REDIS_REPLY_STRING ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			break;
		}
		for (size_t i = 0; i < r->element[1]->elements; i++) {
			const redisReply	*k = r->element[1]->element[i];

			if (k->type == REDIS_REPLY_STRING)
				warned += check_key(c, cfg, path, k->str,
				    k->len, out);
		}
		snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
		freeReplyObject(r);
		if (strcmp(cursor, "0") == 0)
			break;
	}
	redisFree(c);
	return warned;
}
