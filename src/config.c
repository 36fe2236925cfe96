/*
 * config.c - the rules file: YAML -> a fresh, validated struct config.
 *
 * The file is read whole, hashed for its version, and loaded with libyaml's
 * document API, which keeps every node's line and column.  The loader then
 * walks the sections in dependency order rather than file order (names
 * first: teams, notify targets, urgency levels, calendars, tiers; then the
 * rules that refer to them), so a route may name a team written further
 * down.  Every problem is appended to the diagnostics as
 * "FILE:LINE:COL: error: MESSAGE" and the walk goes on, so one run shows
 * every mistake; the config is handed out only if there were none.
 *
 * Reload parses in the event loop, so the whole load is bounded: the file's
 * size before it is parsed, its nesting and its size with aliases expanded
 * while its events are read once (config_yaml_scan()), before libyaml
 * builds a tree, and each regex before it is compiled (cond.c).  The worst
 * files within those limits load or are refused in well under a second.
 *
 * The operational sections (redis, intake, customers, tickets, http) are
 * read here; the classification rules are config_rules.c's.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "calendar.h"
#include "config_impl.h"
#include "duration.h"
#include "log.h"
#include "xmalloc.h"

/*
 * The operational sections.
 */

static void
read_redis(struct load *ld, yaml_node_t *n)
{
	struct config_redis	*rc = &ld->cf->redis;
	struct config_key	 k[] = {
		{ .name = "host" }, { .name = "port" }, { .name = "socket" },
		{ .name = "db" },
		{ .name = "username" }, { .name = "password_env" },
		{ .name = "prefix" }
	};

	if (config_yaml_map(ld, n, "redis", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		config_yaml_string(ld, k[0].value, "redis.host", &rc->host);
	if (k[1].value != NULL)
		config_yaml_int(ld, k[1].value, "redis.port", 1, 65535,
		    &rc->port);
	if (k[2].value != NULL)
		config_yaml_string(ld, k[2].value, "redis.socket", &rc->socket);
	if (k[3].value != NULL)
		config_yaml_int(ld, k[3].value, "redis.db", 0, 1000000,
		    &rc->db);
	if (k[4].value != NULL)
		config_yaml_string(ld, k[4].value, "redis.username",
		    &rc->username);
	if (k[5].value != NULL)
		config_yaml_string(ld, k[5].value, "redis.password_env",
		    &rc->password_env);
	if (k[6].value != NULL)
		config_yaml_string(ld, k[6].value, "redis.prefix", &rc->prefix);
}

static void
read_intake(struct load *ld, yaml_node_t *n)
{
	struct config_intake	*ic = &ld->cf->intake;
	struct config_key	 k[] = {
		{ .name = "group" }, { .name = "batch" },
		{ .name = "claim_idle" },
		{ .name = "max_deliveries" }, { .name = "max_field_bytes" },
		{ .name = "channels" },
		{ .name = "stream" }, { .name = "events" },
		{ .name = "consumer" }
	};
	char			**channels = NULL;
	size_t			  nchannels = 0, i;
	long			  v;

	if (config_yaml_map(ld, n, "intake", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		config_yaml_string(ld, k[0].value, "intake.group", &ic->group);
	if (k[1].value != NULL)
		config_yaml_int(ld, k[1].value, "intake.batch", 1, 10000,
		    &ic->batch);
	if (k[2].value != NULL)
		config_yaml_duration(ld, k[2].value, "intake.claim_idle",
		    &ic->claim_idle_ms);
	if (k[3].value != NULL)
		config_yaml_int(ld, k[3].value, "intake.max_deliveries", 1,
		    1000000, &ic->max_deliveries);
	if (k[4].value != NULL && config_yaml_long(ld, k[4].value,
	    "intake.max_field_bytes", 1, 512L * 1024 * 1024, &v) == 0)
		ic->max_field_bytes = (size_t)v;
	if (k[5].value != NULL) {
		config_yaml_names(ld, k[5].value, "intake.channels", "channel",
		    &channels, &nchannels);
		if (nchannels > 0) {
			for (i = 0; i < ic->nchannels; i++)
				free(ic->channels[i]);
			free(ic->channels);
			ic->channels = channels;
			ic->nchannels = nchannels;
		} else
			free(channels);
	}
	if (k[6].value != NULL)
		config_yaml_string(ld, k[6].value, "intake.stream",
		    &ic->stream);
	if (k[7].value != NULL)
		config_yaml_string(ld, k[7].value, "intake.events",
		    &ic->events);
	if (k[8].value != NULL)
		config_yaml_string(ld, k[8].value, "intake.consumer",
		    &ic->consumer);
}

static void
read_customers(struct load *ld, yaml_node_t *n)
{
	struct config_key	k[] = { { .name = "key" } };

	if (config_yaml_map(ld, n, "customers", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		config_yaml_string(ld, k[0].value, "customers.key",
		    &ld->cf->customers_key);
}

static void
read_tickets(struct load *ld, yaml_node_t *n)
{
	struct config_key	k[] = { { .name = "retention" } };

	if (config_yaml_map(ld, n, "tickets", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		config_yaml_duration(ld, k[0].value, "tickets.retention",
		    &ld->cf->retention_ms);
}

/* What --check and the daemon accept for http.listen (see config.h). */
const char *
config_parse_listen(const char *text, char *host, size_t size, int *port)
{
	const char	*colon = strrchr(text, ':'), *p;
	size_t		 len;
	int		 n = 0, bracketed = 0;
	unsigned char	 addr[16];

	if (colon == NULL)
		return "no port";
	for (p = colon + 1; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) || p - colon > 5)
			return "the port is not a number from 1 to 65535";
		n = n * 10 + (*p - '0');
	}
	if (n < 1 || n > 65535)
		return "the port is not a number from 1 to 65535";
	len = colon - text;
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++;
		len -= 2;
		bracketed = 1;
	}
	if (len >= size)
		return "the host is too long";
	memcpy(host, text, len);
	host[len] = '\0';
	/* The daemon would fail to bind these; say so at --check. */
	if (bracketed || strchr(host, ':') != NULL) {
		if (inet_pton(AF_INET6, host, addr) != 1)
			return "not an IPv6 address";
	} else if (host[strspn(host, "0123456789.")] == '\0') {
		if (len > 0 && inet_pton(AF_INET, host, addr) != 1)
			return "not an IPv4 address";
	} else if (host[strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")] != '\0')
		return "not a host name or address";
	*port = n;
	return NULL;
}

static void
read_http(struct load *ld, yaml_node_t *n)
{
	struct config_key	 k[] = { { .name = "listen" } };
	const char	*s, *why;
	char		 host[CONFIG_LISTEN_HOST_MAX];
	int		 port;

	if (config_yaml_map(ld, n, "http", k, nitems(k)) == -1 ||
	    k[0].value == NULL)
		return;
	/* Empty or null switches the endpoint off. */
	if (config_yaml_is_null(k[0].value)) {
		free(ld->cf->http_listen);
		ld->cf->http_listen = NULL;
		return;
	}
	if ((s = config_yaml_scalar(ld, k[0].value,
	    "an address for http.listen")) == NULL)
		return;
	if (*s != '\0' &&
	    (why = config_parse_listen(s, host, sizeof host, &port)) != NULL) {
		config_diag_error(ld, k[0].value, "bad address '%s' for "
		    "http.listen: %s (expected HOST:PORT, [IPV6]:PORT or :PORT "
		    "for every address, e.g. 127.0.0.1:9464, or \"\" to switch "
		    "it off)", s, why);
		return;
	}
	free(ld->cf->http_listen);
	ld->cf->http_listen = xstrdup(s);
}


/*
 * Loading.
 */

static struct config *
config_new(const char *path)
{
	static const char	*channels[] = {
		"phone", "email", "chat", "web", "social"
	};
	struct config		*cf;
	size_t			 i;

	cf = xcalloc(1, sizeof *cf);
	cf->path = xstrdup(path);
	cf->redis.host = xstrdup("127.0.0.1");
	cf->redis.port = 6379;
	cf->redis.prefix = xstrdup("triage:");
	cf->intake.group = xstrdup("routers");
	cf->intake.stream = xstrdup("requests");
	cf->intake.events = xstrdup("events");
	cf->intake.batch = 256;
	cf->intake.claim_idle_ms = 30 * 1000;
	cf->intake.max_deliveries = 5;
	cf->intake.max_field_bytes = 65536;
	cf->intake.channels = xcalloc(nitems(channels), sizeof (char *));
	for (i = 0; i < nitems(channels); i++)
		cf->intake.channels[i] = xstrdup(channels[i]);
	cf->intake.nchannels = nitems(channels);
	cf->retention_ms = 30LL * 86400 * 1000;
	cf->http_listen = xstrdup("127.0.0.1:9464");
	return cf;
}

void
config_free(struct config *cf)
{
	size_t	i;

	if (cf == NULL)
		return;
	free(cf->path);
	free(cf->redis.host);
	free(cf->redis.socket);
	free(cf->redis.username);
	free(cf->redis.password_env);
	free(cf->redis.prefix);
	free(cf->intake.group);
	free(cf->intake.stream);
	free(cf->intake.events);
	free(cf->intake.consumer);
	for (i = 0; i < cf->intake.nchannels; i++)
		free(cf->intake.channels[i]);
	free(cf->intake.channels);
	free(cf->customers_key);
	free(cf->http_listen);
	rules_free(cf->rules);
	free(cf);
}


/* The whole file, NUL-terminated; NULL with errno set on failure. */
static char *
config_read(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf, *p;
	size_t	 size = 0, n;
	int	 saved;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	buf = NULL;
	*len = 0;
	/* One byte more than a file may have, to tell it is too long. */
	for (;;) {
		if (*len + 1 >= size) {
			size = size == 0 ? 8192 : size * 2;
			if (size > CONFIG_MAX_FILE + 2)
				size = CONFIG_MAX_FILE + 2;
			if ((p = realloc(buf, size)) == NULL)
				fatal("realloc");
			buf = p;
		}
		n = fread(buf + *len, 1, size - *len - 1, f);
		*len += n;
		if (n == 0 || *len > CONFIG_MAX_FILE)
			break;
	}
	if (ferror(f)) {
		saved = errno;
		free(buf);
		fclose(f);
		errno = saved != 0 ? saved : EIO;
		return NULL;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

static void
config_version(const char *buf, size_t len, char *version)
{
	uint64_t	h = 14695981039346656037ULL;
	char		hex[17];
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)buf[i];
		h *= 1099511628211ULL;
	}
	snprintf(hex, sizeof hex, "%016" PRIx64, h);
	memcpy(version, hex, 12);
	version[12] = '\0';
}

/*
 * The root mapping: the operational sections, then the rules, then (for
 * --check) the rules that can never match.
 */
static void
config_root(struct load *ld, yaml_node_t *root)
{
	struct config_key	 k[] = {
		{ .name = "redis" }, { .name = "intake" },
		{ .name = "customers" }, { .name = "tiers" },
		{ .name = "urgency" }, { .name = "teams" },
		{ .name = "routes" }, { .name = "default_team" },
		{ .name = "calendars" }, { .name = "sla" },
		{ .name = "notify" }, { .name = "tickets" },
		{ .name = "http" }
	};
	struct config_sections	 s;

	if (config_yaml_map(ld, root, "the rules file", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		read_redis(ld, k[0].value);
	if (k[1].value != NULL)
		read_intake(ld, k[1].value);
	if (k[2].value != NULL)
		read_customers(ld, k[2].value);
	if (k[11].value != NULL)
		read_tickets(ld, k[11].value);
	if (k[12].value != NULL)
		read_http(ld, k[12].value);
	s.tiers = k[3].value;
	s.urgency = k[4].value;
	s.teams = k[5].value;
	s.routes = k[6].value;
	s.default_team = k[7].value;
	s.calendars = k[8].value;
	s.sla = k[9].value;
	s.notify = k[10].value;
	config_rules_load(ld, root, &s);

	if (ld->nerrors == 0 && (ld->flags & CONFIG_WARN))
		config_analyse(ld);
}

struct config *
config_load(const char *path, int flags, char **diag)
{
	struct load	 ld;
	yaml_parser_t	 parser;
	yaml_document_t	 extra;
	yaml_node_t	*root;
	struct config	*cf = NULL;
	char		*buf;
	size_t		 len, i, line, col;

	memset(&ld, 0, sizeof ld);
	ld.path = path;
	ld.flags = flags;
	ld.budget = CONFIG_MAX_CONDS;
	ld.regex = CONFIG_MAX_REGEX;

	if ((buf = config_read(path, &len)) == NULL) {
		config_diag_error_at(&ld, 0, 0, "cannot open: %s",
		    strerror(errno));
		goto done;
	}
	cf = config_new(path);
	config_version(buf, len, cf->version);
	if ((cf->rules = ld.r = rules_new()) == NULL)
		fatal("calloc");
	ld.r->names = cond_names_new();
	ld.r->calendars = xcalloc(1, sizeof *ld.r->calendars);
	if ((ld.r->calendars[0] = calendar_always()) == NULL)
		fatalx("cannot build the calendar 'always'");
	ld.r->ncalendars = 1;
	ld.cf = cf;

	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (len > CONFIG_MAX_FILE) {
		config_yaml_offset(buf, len, CONFIG_MAX_FILE, &line, &col);
		config_diag_error_at(&ld, line, col, "the file is longer than "
		    "%d bytes (4 MiB), the most a rules file may have; it was "
		    "not parsed", CONFIG_MAX_FILE);
	} else if (config_yaml_scan(&ld, buf, len) == -1)
		;	/* refused before a tree was built */
	else if (!yaml_parser_load(&parser, &ld.doc))
		config_yaml_error(&ld, &parser, buf, len);
	else {
		root = yaml_document_get_root_node(&ld.doc);
		if (root == NULL) {
			config_diag_error_at(&ld, 1, 1, "the file is empty "
			    "(expected a mapping of sections: tiers, urgency, "
			    "teams, routes, ...)");
		} else {
			config_root(&ld, root);
			/* A second document would be silently ignored. */
			if (!yaml_parser_load(&parser, &extra))
				config_yaml_error(&ld, &parser, buf, len);
			else {
				if (yaml_document_get_root_node(&extra) !=
				    NULL) {
					config_diag_error_at(&ld,
					    extra.start_mark.line + 1,
					    extra.start_mark.column + 1,
					    "a second YAML document (expected "
					    "one document per file)");
				}
				yaml_document_delete(&extra);
			}
		}
		yaml_document_delete(&ld.doc);
	}
	yaml_parser_delete(&parser);
	free(buf);

done:
	for (i = 0; i < COND_NFACTS; i++)
		free(ld.sorted[i]);
	for (i = 0; i < ld.ncalnames; i++)
		free(ld.calnames[i]);
	free(ld.calnames);
	*diag = config_diag_text(&ld);
	if (ld.nerrors > 0) {
		config_free(cf);
		return NULL;
	}
	return cf;
}


static void
config_count(FILE *f, size_t n, const char *one, const char *many,
    const char *sep)
{
	fprintf(f, "%zu %s%s", n, n == 1 ? one : many, sep);
}

void
config_summary(const struct config *cf, FILE *f)
{
	const struct rules		*r = cf->rules;
	const struct config_redis	*rc = &cf->redis;

	fprintf(f, "%s: configuration OK\n", cf->path);
	fprintf(f, "version: %s\n", cf->version);
	fputs("rules: ", f);
	config_count(f, r->ntiers, "tier", "tiers", ", ");
	config_count(f, r->nurgencies, "urgency level", "urgency levels",
	    ", ");
	config_count(f, r->nscores, "score rule", "score rules", ", ");
	config_count(f, r->noverrides, "override", "overrides", "\n");
	fputs("routing: ", f);
	config_count(f, r->nteams, "team", "teams", ", ");
	config_count(f, r->nroutes, "route", "routes", ", ");
	fprintf(f, "default team %s\n", r->teams[r->default_team]);
	fputs("sla: ", f);
	config_count(f, r->npolicies, "policy", "policies", ", ");
	config_count(f, r->ncalendars, "calendar", "calendars", ", ");
	config_count(f, r->nnotify, "notify target", "notify targets", "\n");
	if (rc->socket != NULL)
		fprintf(f, "redis: unix:%s", rc->socket);
	else
		fprintf(f, "redis: %s:%d", rc->host, rc->port);
	fprintf(f, " db %d prefix \"%s\"", rc->db, rc->prefix);
	if (rc->username != NULL)
		fprintf(f, " user %s", rc->username);
	if (rc->password_env != NULL)
		fprintf(f, " password from $%s", rc->password_env);
	fputc('\n', f);
	fprintf(f, "intake: stream %s%s, events %s%s, group %s\n",
	    rc->prefix, cf->intake.stream, rc->prefix, cf->intake.events,
	    cf->intake.group);
	if (cf->http_listen == NULL || *cf->http_listen == '\0')
		fputs("http: off\n", f);
	else
		fprintf(f, "http: %s\n", cf->http_listen);
}

