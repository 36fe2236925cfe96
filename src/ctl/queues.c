/*
 * queues.c - `triagectl queues` and `triagectl ticket`: what agents and
 * on-call staff see in Redis, read with a pipelined round trip or two
 * (through ctl_redis.c, which follows the slot on Redis Cluster).
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
#include "ctl_print.h"
#include "ctl_redis.h"
#include "rules.h"

/* "due in 1h 5m" or "overdue by 3m 2s". */
static void
print_due(const char *label, long long due, long long now)
{
	char	when[64], left[64];

	ctl_time(due, when, sizeof when);
	ctl_duration(due - now, left, sizeof left);
	printf("  %-22s %s (%s %s)\n", label, when, due >= now ?
	    "due in" : "overdue by", left);
}

int
ctl_queues(const struct config *cfg, int argc, char **argv)
{
	const struct rules	*rules = cfg->rules;
	size_t			 nteams = rules_team_count(rules);
	struct ctl_redis_batch	*b;
	redisContext		*c;
	long long		 now = now_ms();
	int			 rv = 0;

	int			 json;

	if ((json = ctl_output_json(&argc, argv)) == -1)
		return 2;
	if (argc != 0) {
		fprintf(stderr, "usage: triagectl -c FILE queues [-o json]\n");
		return 2;
	}
	if ((c = ctl_redis_connect(cfg)) == NULL)
		return 1;
	b = ctl_redis_batch_new();
	for (size_t i = 0; i < nteams; i++) {
		const char	*team = rules_team_name(rules, (int)i);
		char		 key[KEYS_MAX];
		const char	*card[2] = { "ZCARD", key };
		const char	*top[5] = { "ZRANGE", key, "0", "0",
				    "WITHSCORES" };
		size_t		 cardlen[2] = { 5, 0 };
		size_t		 toplen[5] = { 6, 0, 1, 1, 10 };
		int		 len;

		if ((len = keys_queue(key, sizeof key, cfg->redis.prefix, team,
		    strlen(team))) == -1) {
			fprintf(stderr, "triagectl: the queue key of team %s "
			    "is longer than %d bytes\n", team, KEYS_MAX - 1);
			ctl_redis_batch_free(b);
			redisFree(c);
			return 1;
		}
		cardlen[1] = toplen[1] = (size_t)len;
		ctl_redis_batch_add(b, 2, card, cardlen);
		ctl_redis_batch_add(b, 5, top, toplen);
	}
	if (ctl_redis_batch_run(b, &c, cfg) == -1) {
		fprintf(stderr, "triagectl: reading the queues failed: %s\n",
		    c->errstr);
		ctl_redis_batch_free(b);
		redisFree(c);
		return 1;
	}
	if (json)
		printf("[");
	else
		printf("%-16s %7s  %-24s %s\n", "TEAM", "DEPTH",
		    "MOST PRESSING", "DUE");
	for (size_t i = 0; i < nteams; i++) {
		const redisReply	*card = ctl_redis_batch_reply(b, 2 * i);
		const redisReply	*top = ctl_redis_batch_reply(b,
					    2 * i + 1);
		char			 when[64], left[64];

		/* A refusal (NOPERM, WRONGTYPE) is never an empty queue. */
		if (card->type == REDIS_REPLY_ERROR ||
		    top->type == REDIS_REPLY_ERROR) {
			const redisReply *e = card->type == REDIS_REPLY_ERROR ?
					    card : top;

			fprintf(stderr, "triagectl: reading the queue of team "
			    "%s failed: %.*s\n", rules_team_name(rules, (int)i),
			    (int)e->len, e->str);
			rv = 1;
			continue;
		}
		if (json) {
			const char	*team = rules_team_name(rules, (int)i);

			printf("%s{\"team\":", i > 0 ? ",\n " : "");
			ctl_json_string(stdout, team, strlen(team));
			printf(",\"depth\":%lld,\"next\":",
			    card->type == REDIS_REPLY_INTEGER ? card->integer :
			    0);
			if (top->type == REDIS_REPLY_ARRAY &&
			    top->elements == 2) {
				printf("{\"ticket\":");
				ctl_json_string(stdout, top->element[0]->str,
				    top->element[0]->len);
				printf(",\"due\":%lld}", strtoll(
				    top->element[1]->str, NULL, 10));
			} else
				printf("null");
			printf("}");
			continue;
		}
		printf("%-16s %7lld  ", rules_team_name(rules, (int)i),
		    card->type == REDIS_REPLY_INTEGER ? card->integer : 0);
		if (top->type == REDIS_REPLY_ARRAY && top->elements == 2) {
			long long due = strtoll(top->element[1]->str, NULL, 10);

			printf("%-24s %s (%s %s)\n", top->element[0]->str,
			    ctl_time(due, when, sizeof when), due >= now ?
			    "in" : "overdue by", ctl_duration(due - now, left,
			    sizeof left));
		} else
			printf("%-24s -\n", "-");
	}
	if (json)
		printf("]\n");
	ctl_redis_batch_free(b);
	redisFree(c);
	return rv;
}

static const char *
hash_get(const redisReply *h, const char *name)
{
	for (size_t i = 0; i + 1 < h->elements; i += 2)
		if (strcmp(h->element[i]->str, name) == 0)
			return h->element[i + 1]->str;
	return NULL;
}

/* Whether a ticket's clock has stopped: 0 first response, 1 resolution. */
static int
clock_stopped(const redisReply *h, int metric)
{
	const char	*status = hash_get(h, "status");

	if (status != NULL && strcmp(status, "resolved") == 0)
		return 1;
	if (metric == 0)
		return hash_get(h, "first_response_at") != NULL;
	return hash_get(h, "paused_at") != NULL;
}

/* The escalation steps that fired: fields fired:METRIC:STEP. */
static void
print_fired(const redisReply *h)
{
	int	n = 0;

	for (size_t i = 0; i + 1 < h->elements; i += 2) {
		const char	*name = h->element[i]->str;
		const char	*colon;
		char		 when[64];

		if (strncmp(name, "fired:", 6) != 0 ||
		    (colon = strchr(name + 6, ':')) == NULL)
			continue;
		if (n++ == 0)
			printf("escalations fired\n");
		printf("  %.*s step %-8s %s\n", (int)(colon - name - 6),
		    name + 6, colon + 1, ctl_time(strtoll(h->element[i +
		    1]->str, NULL, 10), when, sizeof when));
	}
	if (hash_get(h, "raised") != NULL)
		printf("  %-22s %s\n", "urgency raised to",
		    hash_get(h, "raised"));
	if (hash_get(h, "reassigned") != NULL)
		printf("  %-22s %s\n", "reassigned to",
		    hash_get(h, "reassigned"));
}

int
ctl_ticket(const struct config *cfg, int argc, char **argv)
{
	static const char *clock_fields[][2] = {
		{ "created_at", "created" },
		{ "routed_at", "routed" },
		{ "first_response_due", "first response due" },
		{ "first_response_at", "first response at" },
		{ "resolution_due", "resolution due" },
		{ "resolved_at", "resolved at" },
	};
	redisContext	*c;
	redisReply	*r;
	long long	 now = now_ms();
	const char	*v;
	char		 key[KEYS_MAX];
	const char	*hgetall[2] = { "HGETALL", NULL };
	size_t		 hgetall_len[2] = { 7, 0 };

	int		 json;

	if ((json = ctl_output_json(&argc, argv)) == -1)
		return 2;
	if (argc != 1) {
		fprintf(stderr, "usage: triagectl -c FILE ticket ID [-o json]\n");
		return 2;
	}
	if (keys_ticket(key, sizeof key, cfg->redis.prefix, argv[0],
	    strlen(argv[0])) == -1) {
		fprintf(stderr, "triagectl: no ticket '%s' (its key would be "
		    "longer than %d bytes)\n", argv[0], KEYS_MAX - 1);
		return 1;
	}
	if ((c = ctl_redis_connect(cfg)) == NULL)
		return 1;
	hgetall[1] = key;
	hgetall_len[1] = strlen(key);
	r = ctl_redis_argv(&c, cfg, 2, hgetall, hgetall_len);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		fprintf(stderr, "triagectl: HGETALL failed: %s\n",
		    r ? (r->str ? r->str : "unexpected reply") : c->errstr);
		freeReplyObject(r);
		redisFree(c);
		return 1;
	}
	if (r->elements == 0) {
		fprintf(stderr, "triagectl: no ticket '%s' (key %s)\n",
		    argv[0], key);
		freeReplyObject(r);
		redisFree(c);
		return 1;
	}
	if (json) {
		/* The ticket's fields as they are; clocks are in them. */
		printf("{\"ticket\":");
		ctl_json_string(stdout, argv[0], strlen(argv[0]));
		printf(",\"fields\":{");
		for (size_t i = 0; i + 1 < r->elements; i += 2) {
			printf("%s", i > 0 ? "," : "");
			ctl_json_string(stdout, r->element[i]->str,
			    r->element[i]->len);
			printf(":");
			ctl_json_string(stdout, r->element[i + 1]->str,
			    r->element[i + 1]->len);
		}
		printf("}}\n");
		freeReplyObject(r);
		redisFree(c);
		return 0;
	}
	printf("ticket %s\n", argv[0]);
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		printf("  ");
		ctl_print_text(stdout, r->element[i]->str,
		    r->element[i]->len);
		printf("%*s ", r->element[i]->len < 22 ?
		    (int)(22 - r->element[i]->len) : 0, "");
		ctl_print_text(stdout, r->element[i + 1]->str,
		    r->element[i + 1]->len);
		printf("\n");
	}
	printf("clocks\n");
	for (size_t i = 0; i < sizeof clock_fields / sizeof clock_fields[0];
	    i++) {
		char	when[64];

		if ((v = hash_get(r, clock_fields[i][0])) == NULL || *v == '\0')
			continue;
		if (strstr(clock_fields[i][0], "_due") == NULL)
			printf("  %-22s %s\n", clock_fields[i][1],
			    ctl_time(strtoll(v, NULL, 10), when, sizeof when));
		else if (i == 2 ? !clock_stopped(r, 0) : !clock_stopped(r, 1))
			print_due(clock_fields[i][1], strtoll(v, NULL, 10), now);
		else
			printf("  %-22s %s (clock stopped)\n",
			    clock_fields[i][1], ctl_time(strtoll(v, NULL, 10),
			    when, sizeof when));
	}
	if ((v = hash_get(r, "paused_at")) != NULL && *v != '\0') {
		const char	*target = hash_get(r, "resolution_target");
		const char	*spent = hash_get(r, "resolution_spent");
		char		 left[64];

		printf("  %-22s since %s", "resolution clock paused",
		    ctl_time(strtoll(v, NULL, 10), (char[64]){0}, 64));
		if (target != NULL && spent != NULL)
			printf(" (%s %s of business time)",
			    strtoll(target, NULL, 10) >= strtoll(spent, NULL,
			    10) ? "left" : "overdue by", ctl_duration(
			    strtoll(target, NULL, 10) - strtoll(spent, NULL, 10),
			    left, sizeof left));
		printf("\n");
	}
	for (int m = 0; m < 2; m++) {
		const char	*name = m == 0 ? "first_response" : "resolution";
		char		 f[64];

		snprintf(f, sizeof f, "%s_met", name);
		if ((v = hash_get(r, f)) != NULL)
			printf("  %-22s %s\n", name, strcmp(v, "yes") == 0 ?
			    "met" : "breached");
	}
	print_fired(r);
	freeReplyObject(r);
	redisFree(c);
	return 0;
}
