/*
 * triagectl.c - the operator's command line: option parsing, dispatch to a
 * subcommand, and what the subcommands share (the Redis connection, time
 * formatting).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "ctl.h"

static const struct {
	const char	*name;
	int		(*fn)(const struct config *, int, char **);
	const char	*usage;
} commands[] = {
	{ "explain", ctl_explain, "explain field=value ..." },
	{ "submit", ctl_submit, "submit field=value ..." },
	{ "event", ctl_event, "event TICKET EVENT [team=TEAM]" },
	{ "queues", ctl_queues, "queues" },
	{ "ticket", ctl_ticket, "ticket ID" },
	{ "replay", ctl_replay, "replay --rules CANDIDATE [--last N | --since "
	    "DURATION | --from FILE]\n      [--format text|json] "
	    "[--examples K] [--no-crm]" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  triagectl -c FILE %s\n", commands[i].usage);
}

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

const char *
ctl_time(long long ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, len, "%lld", ms);
	return buf;
}

void
ctl_print_text(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else if (c == 0xc2 && i + 1 < len &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			/* U+0080-U+009F: C1 controls, CSI among them. */
			fprintf(f, "\\u%04x", (unsigned char)s[++i]);
		else if (c == '\\')
			fputs("\\\\", f);
		else
			fputc(c, f);
	}
}

const char *
ctl_duration(long long ms, char *buf, size_t len)
{
	long long	s = (ms < 0 ? -ms : ms) / 1000;

	if (s >= 86400)
		snprintf(buf, len, "%lldd %lldh %lldm", s / 86400,
		    s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%lldm %llds", s / 60, s % 60);
	else
		snprintf(buf, len, "%llds", s);
	return buf;
}

int
main(int argc, char **argv)
{
	const char	*path = NULL;
	struct config	*cfg;
	char		*diag = NULL;
	int		 i = 1, rv;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("triagectl %s\n", TRIAGED_VERSION);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		path = argv[2];
		i = 3;
	}
	if (path == NULL || i >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
		if (strcmp(argv[i], commands[k].name) != 0)
			continue;
		cfg = config_load(path, 0, &diag);
		if (diag != NULL)
			fputs(diag, stderr);
		free(diag);
		if (cfg == NULL)
			return 1;
		rv = commands[k].fn(cfg, argc - i - 1, argv + i + 1);
		config_free(cfg);
		return rv;
	}
	fprintf(stderr, "triagectl: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
