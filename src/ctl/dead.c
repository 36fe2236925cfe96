/*
 * dead.c - `triagectl dead` and `triagectl dead redrive`: the dead letters,
 * and sending them again once what was wrong is fixed.
 *
 *   dead [--since DURATION] [--reason TEXT] [-o json]
 *   dead redrive (ID ... | --all) [--since DURATION] [--reason TEXT]
 *
 * A dead letter holds the original fields, then what triaged added
 * (deadletter.h).  Re-driving appends the original fields to the stream
 * they came from and deletes the dead letter, in one script, so a dead
 * letter is re-driven at most once however often the command runs.  A
 * request without an `id` gets its original entry ID as `id`: its ticket
 * ID is then what it would have been, and the daemon's exactly-once check
 * holds (a re-driven request whose ticket exists changes nothing).  A dead
 * letter whose fields were cut (fields_dropped, values_cut) is not
 * re-driven: it no longer is what was sent.
 */
#define _GNU_SOURCE		/* memmem */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "ctl.h"
#include "now.h"
#include "ctl_print.h"
#include "ctl_redis.h"
#include "deadletter.h"
#include "keys.h"
#include "duration.h"
#include "field.h"

#define DEAD_PAGE	500

/* XDEL first: only the call that removed the dead letter appends it. */
static const char redrive_script[] =
"if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return false end\n"
"return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))\n";

struct dead_opts {
	int64_t		 since_ms;	/* -1: no bound */
	const char	*reason;	/* substring of error, or NULL */
	int		 json;
};

static void
usage(void)
{
	fprintf(stderr, "usage: triagectl -c FILE dead [--since DURATION] "
	    "[--reason TEXT] [-o json]\n"
	    "       triagectl -c FILE dead redrive (ID ... | --all) "
	    "[--since DURATION] [--reason TEXT]\n");
}

/* An entry [id, [f, v, ...]] as fields; NULL if malformed.  Caller frees. */
static struct field *
entry_fields(const redisReply *e, size_t *n)
{
	const redisReply	*kv;
	struct field		*f;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[1]->type != REDIS_REPLY_ARRAY)
		return NULL;
	kv = e->element[1];
	*n = kv->elements / 2;
	if ((f = calloc(*n + 1, sizeof *f)) == NULL)
		return NULL;
	for (size_t i = 0; i < *n; i++) {
		f[i].name = kv->element[2 * i]->str;
		f[i].name_len = kv->element[2 * i]->len;
		f[i].value = kv->element[2 * i + 1]->str;
		f[i].value_len = kv->element[2 * i + 1]->len;
	}
	return f;
}

static int
has_field(const struct field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].name_len == strlen(name) &&
		    memcmp(f[i].name, name, f[i].name_len) == 0)
			return 1;
	return 0;
}

/* The stream a dead letter came from, as a key suffix. */
static const char *
origin_stream(const struct config *cfg, const struct field *f,
    const struct deadletter_origin *o, char *buf, size_t len)
{
	if (o->stream != NULL) {
		snprintf(buf, len, "%.*s", (int)o->stream_len, o->stream);
		return buf;
	}
	/* Written before source_stream existed: an event has ticket+event. */
	return has_field(f, o->nfields, "ticket") &&
	    has_field(f, o->nfields, "event") &&
	    !has_field(f, o->nfields, "customer_id") ? cfg->intake.events :
	    cfg->intake.stream;
}

static int
matches(const struct dead_opts *opt, const struct deadletter_origin *o)
{
	if (opt->reason == NULL)
		return 1;
	return memmem(o->error, o->error_len, opt->reason,
	    strlen(opt->reason)) != NULL;
}

static void
print_text(const char *id, const struct field *f, size_t n,
    const struct deadletter_origin *o, const char *stream)
{
	char	when[64];
	long long failed = 0;

	for (size_t i = o->nfields; i < n; i++)
		if (f[i].name_len == 9 && memcmp(f[i].name, "failed_at", 9) == 0)
			failed = strtoll(f[i].value, NULL, 10);
	printf("%s  %s  from %s ", id, ctl_time(failed, when, sizeof when),
	    stream);
	ctl_print_text(stdout, o->source_id, o->source_id_len);
	printf("%s\n  why: ", o->incomplete ? "  (cut: not re-drivable)" : "");
	ctl_print_text(stdout, o->error, o->error_len);
	printf("\n  held:");
	for (size_t i = 0; i < o->nfields; i++) {
		putchar(' ');
		ctl_print_text(stdout, f[i].name, f[i].name_len);
		putchar('=');
		ctl_print_text(stdout, f[i].value, f[i].value_len > 80 ? 80 :
		    f[i].value_len);
		if (f[i].value_len > 80)
			printf("...");
	}
	printf("\n");
}

static void
print_json(int first, const char *id, const struct field *f, size_t n,
    const struct deadletter_origin *o, const char *stream)
{
	printf("%s{\"id\":", first ? "" : ",\n ");
	ctl_json_string(stdout, id, strlen(id));
	printf(",\"stream\":");
	ctl_json_string(stdout, stream, strlen(stream));
	printf(",\"redrivable\":%s,\"fields\":{", o->incomplete ? "false" :
	    "true");
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			putchar(',');
		ctl_json_string(stdout, f[i].name, f[i].name_len);
		putchar(':');
		ctl_json_string(stdout, f[i].value, f[i].value_len);
	}
	printf("}}");
}

/* Send one dead letter again; 0 done, 1 refused or failed (said). */
static int
redrive_one(redisContext **cp, const struct config *cfg, const char *id,
    const struct field *f, const struct deadletter_origin *o,
    const char *stream)
{
	const char	**argv;
	size_t		*argvlen, argc = 0;
	char		 dead[KEYS_MAX], target[KEYS_MAX];
	redisReply	*r;
	int		 add_id, rv = 1;

	if (o->incomplete) {
		fprintf(stderr, "triagectl: %s: not re-driven: fields were cut "
		    "from it (fields_dropped, values_cut), so it is not what "
		    "was sent\n", id);
		return 1;
	}
	if (keys_dead(dead, sizeof dead, cfg->redis.prefix) == -1 ||
	    keys_stream(target, sizeof target, cfg->redis.prefix,
	    stream) == -1) {
		fprintf(stderr, "triagectl: %s: not re-driven: the key of "
		    "stream %s is longer than %d bytes\n", id, stream,
		    KEYS_MAX - 1);
		return 1;
	}
	add_id = strcmp(stream, cfg->intake.stream) == 0 &&
	    !has_field(f, o->nfields, "id");
	argv = calloc(6 + 2 * o->nfields + 2, sizeof *argv);
	argvlen = calloc(6 + 2 * o->nfields + 2, sizeof *argvlen);
	if (argv == NULL || argvlen == NULL) {
		free(argv);
		free(argvlen);
		return 1;
	}
	argv[argc] = "EVAL"; argvlen[argc++] = 4;
	argv[argc] = redrive_script; argvlen[argc++] = strlen(redrive_script);
	argv[argc] = "2"; argvlen[argc++] = 1;
	argv[argc] = dead; argvlen[argc++] = strlen(dead);
	argv[argc] = target; argvlen[argc++] = strlen(target);
	argv[argc] = id; argvlen[argc++] = strlen(id);
	for (size_t i = 0; i < o->nfields; i++) {
		argv[argc] = f[i].name; argvlen[argc++] = f[i].name_len;
		argv[argc] = f[i].value; argvlen[argc++] = f[i].value_len;
	}
	if (add_id) {
		argv[argc] = "id"; argvlen[argc++] = 2;
		argv[argc] = o->source_id; argvlen[argc++] = o->source_id_len;
	}
	/* On Redis Cluster, sent again where the slot is if redirected. */
	r = ctl_redis_argv(cp, cfg, (int)argc, argv, argvlen);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		fprintf(stderr, "triagectl: %s: re-driving failed: %s\n", id,
		    r != NULL ? r->str : (*cp)->errstr);
	else if (r->type != REDIS_REPLY_STRING)
		fprintf(stderr, "triagectl: %s: already re-driven or deleted\n",
		    id);
	else {
		printf("%s -> %s %s\n", id, target, r->str);
		rv = 0;
	}
	freeReplyObject(r);
	free(argv);
	free(argvlen);
	return rv;
}

/* The selected dead letters, listed or re-driven. */
static int
walk(const struct config *cfg, const struct dead_opts *opt, int redrive,
    char **ids, int nids, int all)
{
	redisContext	*c;
	redisReply	*r;
	char		 key[KEYS_MAX], start[64], stream[256], page[16];
	int		 rv = 0, shown = 0, done = 0;

	if (keys_dead(key, sizeof key, cfg->redis.prefix) == -1) {
		fprintf(stderr, "triagectl: the dead-letter key is longer "
		    "than %d bytes\n", KEYS_MAX - 1);
		return 1;
	}
	if ((c = ctl_redis_connect(cfg)) == NULL)
		return 1;
	if (opt->since_ms >= 0)
		snprintf(start, sizeof start, "%lld",
		    now_ms() - (long long)opt->since_ms);
	else
		snprintf(start, sizeof start, "-");
	snprintf(page, sizeof page, "%d", DEAD_PAGE);
	if (opt->json && !redrive)
		printf("[");
	for (int k = 0; all || k < nids; k++) {
		const char	*xrange[6] = { "XRANGE", key, start, "+",
				    "COUNT", page };
		size_t		 xrange_len[6] = { 6, strlen(key),
				    strlen(start), 1, 5, strlen(page) };

		if (!all) {
			xrange[2] = xrange[3] = ids[k];
			xrange_len[2] = xrange_len[3] = strlen(ids[k]);
		}
		/* On Redis Cluster, sent again where the slot is if redirected. */
		r = ctl_redis_argv(&c, cfg, all ? 6 : 4, xrange, xrange_len);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "triagectl: XRANGE %s failed: %s\n",
			    key, r != NULL && r->str != NULL ? r->str :
			    c->errstr);
			freeReplyObject(r);
			rv = 1;
			break;
		}
		if (!all && r->elements == 0) {
			fprintf(stderr, "triagectl: no dead letter %s\n",
			    ids[k]);
			rv = 1;
		}
		for (size_t i = 0; i < r->elements; i++) {
			const redisReply		*e = r->element[i];
			struct deadletter_origin	 o;
			struct field			*f;
			size_t				 n;
			const char			*id;

			if ((f = entry_fields(e, &n)) == NULL)
				continue;
			id = e->element[0]->str;
			if (all)	/* the next page starts after it */
				snprintf(start, sizeof start, "(%s", id);
			if (deadletter_original(f, n, &o) == -1) {
				if (!all) {
					fprintf(stderr, "triagectl: %s is not "
					    "a dead letter triaged wrote\n",
					    id);
					rv = 1;
				}
				free(f);
				continue;
			}
			if (!matches(opt, &o)) {
				free(f);
				continue;
			}
			origin_stream(cfg, f, &o, stream, sizeof stream);
			if (redrive) {
				if (redrive_one(&c, cfg, id, f, &o, stream) != 0)
					rv = 1;
				else
					done++;
			} else if (opt->json)
				print_json(shown == 0, id, f, n, &o, stream);
			else
				print_text(id, f, n, &o, stream);
			shown++;
			free(f);
		}
		if (all && r->elements < DEAD_PAGE) {
			freeReplyObject(r);
			break;
		}
		freeReplyObject(r);
	}
	if (opt->json && !redrive)
		printf("]\n");
	else if (redrive)
		printf("%d re-driven\n", done);
	else if (shown == 0)
		printf("no dead letters\n");
	redisFree(c);
	return rv;
}

int
ctl_dead(const struct config *cfg, int argc, char **argv)
{
	struct dead_opts	 opt = { -1, NULL, 0 };
	int			 redrive = 0, all = 0, nids = 0, i = 0;
	char			**ids;

	if (argc > 0 && strcmp(argv[0], "redrive") == 0) {
		redrive = 1;
		i = 1;
	}
	if ((opt.json = ctl_output_json(&argc, argv)) == -1)
		return 2;
	if ((ids = calloc(argc + 1, sizeof *ids)) == NULL)
		return 1;
	for (; i < argc; i++) {
		const char	*a = argv[i];

		if (strcmp(a, "--since") == 0 && i + 1 < argc) {
			if ((opt.since_ms = duration_parse(argv[++i])) < 0) {
				fprintf(stderr, "triagectl: --since '%s': "
				    "expected a duration like 90s, 15m, 2h, "
				    "7d\n", argv[i]);
				free(ids);
				return 2;
			}
		} else if (strcmp(a, "--reason") == 0 && i + 1 < argc)
			opt.reason = argv[++i];
		else if (strcmp(a, "--all") == 0 && redrive)
			all = 1;
		else if (redrive && a[0] != '-')
			ids[nids++] = argv[i];
		else {
			fprintf(stderr, "triagectl: dead: unexpected '%s'\n", a);
			usage();
			free(ids);
			return 2;
		}
	}
	if (redrive && (all == (nids > 0))) {
		fprintf(stderr, "triagectl: dead redrive: give dead-letter IDs "
		    "or --all (not both)\n");
		usage();
		free(ids);
		return 2;
	}
	i = walk(cfg, &opt, redrive, ids, nids, redrive ? all : 1);
	free(ids);
	return i;
}
