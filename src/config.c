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
 * The operational settings (redis, intake, customers, tickets, http) are
 * one table below, a row per setting: its name, type, bounds, default, its
 * field in struct config and whether a reload applies it.  Defaults,
 * reading, freeing and the reload report all walk that table.  The
 * classification rules are config_rules.c's.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "calendar.h"
#include "cluster.h"
#include "config_impl.h"
#include "duration.h"
#include "log.h"
#include "oncall.h"
#include "xmalloc.h"

/*
 * The operational settings.
 */

enum setting_type {
	SETTING_STRING,		/* char *; NULL unless set or defaulted */
	SETTING_INT,		/* int, from min to max */
	SETTING_BYTES,		/* size_t, from min to max */
	SETTING_DURATION,	/* int64_t milliseconds, positive */
	SETTING_NAMES,		/* char **, and its size_t count at count */
	SETTING_LISTEN,		/* char *: config_parse_listen(); NULL = off */
	SETTING_WINDOWS,	/* char ** durations as written, count at count */
	SETTING_BOOL,		/* int, 0 or 1, written true or false */
};

/* What a reload does with a changed setting. */
enum setting_apply {
	SETTING_RELOAD,		/* used from the next batch, read or claim */
	SETTING_RESTART,	/* read once at start: kept until a restart */
};

struct setting {
	const char		*name;		/* "section.key" */
	enum setting_type	 type;
	long			 min, max;	/* SETTING_INT, SETTING_BYTES */
	const char		*def;		/* as written; NULL: none */
	size_t			 offset;	/* of its field in the config */
	size_t			 count;		/* NAMES: of the name count */
	const char		*item;		/* NAMES: what one name is */
	enum setting_apply	 apply;
	const char		*note;		/* how a reload applies it */
};

#define FIELD(member)		offsetof(struct config, member)

/*
 * In the order the sections list their keys in "expected one of: ...".
 * What a reload applies is what the I/O files read from the rules in force
 * (daemon.h's live) rather than from those they started with (boot).
 */
static const struct setting settings[] = {
	{ "redis.host", SETTING_STRING, 0, 0, "127.0.0.1",
	    FIELD(redis.host), 0, NULL, SETTING_RESTART, NULL },
	{ "redis.port", SETTING_INT, 1, 65535, "6379",
	    FIELD(redis.port), 0, NULL, SETTING_RESTART, NULL },
	{ "redis.socket", SETTING_STRING, 0, 0, NULL,
	    FIELD(redis.socket), 0, NULL, SETTING_RESTART, NULL },
	{ "redis.db", SETTING_INT, 0, 1000000, "0",
	    FIELD(redis.db), 0, NULL, SETTING_RESTART, NULL },
	{ "redis.username", SETTING_STRING, 0, 0, NULL,
	    FIELD(redis.username), 0, NULL, SETTING_RESTART, NULL },
	{ "redis.password_env", SETTING_STRING, 0, 0, NULL,
	    FIELD(redis.password_env), 0, NULL, SETTING_RESTART, NULL },
	{ "redis.prefix", SETTING_STRING, 0, 0, "triage:",
	    FIELD(redis.prefix), 0, NULL, SETTING_RESTART, NULL },
	{ "redis.cluster", SETTING_BOOL, 0, 0, "false",
	    FIELD(redis.cluster), 0, NULL, SETTING_RESTART, NULL },
	{ "redis.nodes", SETTING_NAMES, 0, 0, NULL,
	    FIELD(redis.nodes), FIELD(redis.nnodes), "node", SETTING_RESTART,
	    NULL },

	{ "intake.group", SETTING_STRING, 0, 0, "routers",
	    FIELD(intake.group), 0, NULL, SETTING_RESTART, NULL },
	{ "intake.batch", SETTING_INT, 1, 10000, "256",
	    FIELD(intake.batch), 0, NULL, SETTING_RELOAD, NULL },
	/* intake_set_config() also sets the claim timer to half of it. */
	{ "intake.claim_idle", SETTING_DURATION, 0, 0, "30s",
	    FIELD(intake.claim_idle_ms), 0, NULL, SETTING_RELOAD,
	    "applied from the next claim cycle, which runs every half of it" },
	{ "intake.max_deliveries", SETTING_INT, 1, 1000000, "5",
	    FIELD(intake.max_deliveries), 0, NULL, SETTING_RELOAD, NULL },
	{ "intake.max_field_bytes", SETTING_BYTES, 1, 512L * 1024 * 1024,
	    "65536", FIELD(intake.max_field_bytes), 0, NULL, SETTING_RELOAD,
	    NULL },
	{ "intake.channels", SETTING_NAMES, 0, 0,
	    "phone, email, chat, web, social", FIELD(intake.channels),
	    FIELD(intake.nchannels), "channel", SETTING_RELOAD, NULL },
	{ "intake.stream", SETTING_STRING, 0, 0, "requests",
	    FIELD(intake.stream), 0, NULL, SETTING_RESTART, NULL },
	{ "intake.events", SETTING_STRING, 0, 0, "events",
	    FIELD(intake.events), 0, NULL, SETTING_RESTART, NULL },
	{ "intake.consumer", SETTING_STRING, 0, 0, NULL,
	    FIELD(intake.consumer), 0, NULL, SETTING_RESTART, NULL },

	{ "customers.key", SETTING_STRING, 0, 0, NULL,
	    FIELD(customers_key), 0, NULL, SETTING_RELOAD, NULL },
	{ "customers.contacts", SETTING_WINDOWS, 0, 0, NULL,
	    FIELD(contacts), FIELD(ncontacts), "window", SETTING_RELOAD,
	    "counted from the next batch" },

	{ "tickets.retention", SETTING_DURATION, 0, 0, "30d",
	    FIELD(retention_ms), 0, NULL, SETTING_RELOAD,
	    "applied to tickets resolved from now on" },

	{ "http.listen", SETTING_LISTEN, 0, 0, "127.0.0.1:9464",
	    FIELD(http_listen), 0, NULL, SETTING_RESTART, NULL },
	/* The variable is read when a push arrives, by the rules in force. */
	{ "http.token_env", SETTING_STRING, 0, 0, NULL,
	    FIELD(http_token_env), 0, NULL, SETTING_RELOAD,
	    "the push endpoint reads the variable it names from now on" },
};

/* The most keys of one section. */
#define SECTION_MAX		16

/* The field of setting st in cf. */
static void *
setting_field(struct config *cf, const struct setting *st)
{
	return (char *)cf + st->offset;
}

static const void *
setting_cfield(const struct config *cf, const struct setting *st)
{
	return (const char *)cf + st->offset;
}

static size_t *
setting_count(struct config *cf, const struct setting *st)
{
	return (size_t *)(void *)((char *)cf + st->count);
}

static void
setting_free_names(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Each setting of cf at its default. */
static void
setting_defaults(struct config *cf)
{
	const struct setting	*st;
	const char		*p;
	char			 name[64], **names;
	size_t			 len, n;

	for (st = settings; st < settings + nitems(settings); st++) {
		if (st->def == NULL)
			continue;
		switch (st->type) {
		case SETTING_STRING:
		case SETTING_LISTEN:
			*(char **)setting_field(cf, st) = xstrdup(st->def);
			break;
		case SETTING_INT:
			*(int *)setting_field(cf, st) = atoi(st->def);
			break;
		case SETTING_BOOL:
			*(int *)setting_field(cf, st) =
			    strcmp(st->def, "true") == 0;
			break;
		case SETTING_BYTES:
			*(size_t *)setting_field(cf, st) =
			    (size_t)strtoul(st->def, NULL, 10);
			break;
		case SETTING_DURATION:
			*(int64_t *)setting_field(cf, st) =
			    duration_parse(st->def);
			break;
		case SETTING_NAMES:
			/* "a, b, c" */
			names = NULL;
			n = 0;
			for (p = st->def; *p != '\0'; p += len) {
				p += strspn(p, ", ");
				len = strcspn(p, ",");
				snprintf(name, sizeof name, "%.*s", (int)len,
				    p);
				config_yaml_push(&names, &n, name);
			}
			*(char ***)setting_field(cf, st) = names;
			*setting_count(cf, st) = n;
			break;
		case SETTING_WINDOWS:
			break;		/* none by default */
		}
	}
}

static void
setting_free(struct config *cf)
{
	const struct setting	*st;

	for (st = settings; st < settings + nitems(settings); st++) {
		switch (st->type) {
		case SETTING_STRING:
		case SETTING_LISTEN:
			free(*(char **)setting_field(cf, st));
			break;
		case SETTING_NAMES:
		case SETTING_WINDOWS:
			setting_free_names(*(char ***)setting_field(cf, st),
			    *setting_count(cf, st));
			break;
		default:
			break;
		}
	}
}

/* A list of names replaces the default only if it has some. */
static void
setting_read_names(struct load *ld, const struct setting *st, yaml_node_t *v)
{
	char	**names = NULL;
	size_t	  n = 0;

	config_yaml_names(ld, v, st->name, st->item, &names, &n);
	if (n == 0) {
		free(names);
		return;
	}
	setting_free_names(*(char ***)setting_field(ld->cf, st),
	    *setting_count(ld->cf, st));
	*(char ***)setting_field(ld->cf, st) = names;
	*setting_count(ld->cf, st) = n;
}

static void
setting_read_listen(struct load *ld, const struct setting *st,
    yaml_node_t *v)
{
	char		**dst = setting_field(ld->cf, st);
	char		 what[128], host[CONFIG_LISTEN_HOST_MAX];
	const char	*s, *why;
	int		 port;

	/* Empty or null switches the endpoint off. */
	if (config_yaml_is_null(v)) {
		free(*dst);
		*dst = NULL;
		return;
	}
	snprintf(what, sizeof what, "an address for %s", st->name);
	if ((s = config_yaml_scalar(ld, v, what)) == NULL)
		return;
	if (*s != '\0' &&
	    (why = config_parse_listen(s, host, sizeof host, &port)) != NULL) {
		config_diag_error(ld, v, "bad address '%s' for %s: %s "
		    "(expected HOST:PORT, [IPV6]:PORT or :PORT for every "
		    "address, e.g. 127.0.0.1:9464, or \"\" to switch it off)",
		    s, st->name, why);
		return;
	}
	free(*dst);
	*dst = xstrdup(s);
}

/*
 * customers.contacts: a list of windows, each a positive duration, kept as
 * written (it names the fact customer.contacts_24h) and in milliseconds.
 * The one setting of its type, so its milliseconds have a field of their
 * own rather than a column in the table.
 */
static void
setting_read_windows(struct load *ld, const struct setting *st,
    yaml_node_t *v)
{
	char			***names = setting_field(ld->cf, st);
	size_t			  *n = setting_count(ld->cf, st), i, nitem;
	yaml_node_item_t	  *items;
	yaml_node_t		  *item;
	const char		  *s;
	int64_t			   ms;

	if (config_yaml_seq(ld, v, st->name, &items, &nitem) == -1)
		return;
	if (nitem > CONFIG_MAX_WINDOWS) {
		config_diag_error(ld, v, "%s has %zu windows (at most %d)",
		    st->name, nitem, CONFIG_MAX_WINDOWS);
		return;
	}
	free(ld->cf->contacts_ms);
	ld->cf->contacts_ms = xcalloc(nitem, sizeof *ld->cf->contacts_ms);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if ((s = config_yaml_scalar(ld, item, "a window")) == NULL)
			continue;
		if ((ms = duration_parse(s)) <= 0) {
			config_diag_error(ld, item, "bad window '%s' in %s "
			    "(expected a positive duration, e.g. 24h, 7d, "
			    "90m)", s, st->name);
			continue;
		}
		if (config_yaml_find(*names, *n, s) != -1) {
			config_diag_error(ld, item, "duplicate window '%s' in "
			    "%s", s, st->name);
			continue;
		}
		ld->cf->contacts_ms[*n] = ms;
		config_yaml_push(names, n, s);
	}
}

/* The value at v for setting st, replacing the default. */
static void
setting_read(struct load *ld, const struct setting *st, yaml_node_t *v)
{
	void	*dst = setting_field(ld->cf, st);
	long	 n;

	switch (st->type) {
	case SETTING_STRING:
		config_yaml_string(ld, v, st->name, dst);
		break;
	case SETTING_INT:
		config_yaml_int(ld, v, st->name, st->min, st->max, dst);
		break;
	case SETTING_BOOL:
		config_yaml_bool(ld, v, st->name, dst);
		break;
	case SETTING_BYTES:
		if (config_yaml_long(ld, v, st->name, st->min, st->max,
		    &n) == 0)
			*(size_t *)dst = (size_t)n;
		break;
	case SETTING_DURATION:
		config_yaml_duration(ld, v, st->name, dst);
		break;
	case SETTING_NAMES:
		setting_read_names(ld, st, v);
		break;
	case SETTING_LISTEN:
		setting_read_listen(ld, st, v);
		break;
	case SETTING_WINDOWS:
		setting_read_windows(ld, st, v);
		break;
	}
}

/* Whether some setting is in section ("redis", "intake", ...). */
static int
setting_is_section(const char *section)
{
	const struct setting	*st;
	size_t			 len = strlen(section);

	for (st = settings; st < settings + nitems(settings); st++) {
		if (strncmp(st->name, section, len) == 0 &&
		    st->name[len] == '.')
			return 1;
	}
	return 0;
}

/* The value of key name among the k[nk] of a section, or NULL. */
static yaml_node_t *
setting_value(struct config_key *k, size_t nk, const char *name)
{
	for (size_t i = 0; i < nk; i++) {
		if (strcmp(k[i].name, name) == 0)
			return k[i].value;
	}
	return NULL;
}

/*
 * Redis Cluster: a list of nodes implies it.  Every key of the deployment
 * must hash to one slot, the prefix's, so the prefix needs a hash tag; a
 * cluster has only db 0 and announces TCP addresses, not sockets.
 */
static void
setting_redis_cluster(struct load *ld, struct config_key *k, size_t nk)
{
	struct config_redis	*rc = &ld->cf->redis;
	yaml_node_t		*nodes = setting_value(k, nk, "nodes");
	yaml_node_t		*at, *item;
	yaml_node_item_t	*items;
	const char		*s;
	char			 host[CLUSTER_HOST_MAX];
	size_t			 taglen, i, nitem;
	int			 port;

	if (nodes != NULL && rc->nnodes > 0) {
		rc->cluster = 1;
		items = nodes->data.sequence.items.start;
		nitem = (size_t)(nodes->data.sequence.items.top - items);
		for (i = 0; i < nitem; i++) {
			item = config_yaml_node(ld, items[i]);
			if (item->type != YAML_SCALAR_NODE)
				continue;
			s = (const char *)item->data.scalar.value;
			if (cluster_parse_node(s, strlen(s), host, sizeof host,
			    &port) == -1 || *host == '\0')
				config_diag_error(ld, item, "bad node '%s' in "
				    "redis.nodes (expected HOST:PORT, e.g. "
				    "10.0.0.1:6379)", s);
		}
	}
	if (!rc->cluster)
		return;
	if ((at = setting_value(k, nk, "cluster")) == NULL)
		at = nodes;
	if (cluster_hashtag(rc->prefix, strlen(rc->prefix), &taglen) == NULL) {
		yaml_node_t	*p = setting_value(k, nk, "prefix");

		config_diag_error(ld, p != NULL ? p : at, "redis.prefix '%s' "
		    "has no hash tag, which Redis Cluster needs to keep a "
		    "deployment's keys in one slot (e.g. \"triage:{eu1}:\")",
		    rc->prefix);
	}
	if (rc->socket != NULL)
		config_diag_error(ld, setting_value(k, nk, "socket"),
		    "redis.socket cannot be used with Redis Cluster, whose "
		    "nodes are reached over TCP (set redis.host and redis.port "
		    "or redis.nodes)");
	if (rc->db != 0)
		config_diag_error(ld, setting_value(k, nk, "db"), "redis.db "
		    "must be 0 with Redis Cluster, which has only database 0");
}

/* One operational section: a mapping of its settings' keys. */
static void
setting_section(struct load *ld, const char *section, yaml_node_t *n)
{
	const struct setting	*rows[SECTION_MAX];
	struct config_key	 k[SECTION_MAX];
	size_t			 i, nk = 0, len = strlen(section);

	for (i = 0; i < nitems(settings) && nk < SECTION_MAX; i++) {
		if (strncmp(settings[i].name, section, len) == 0 &&
		    settings[i].name[len] == '.') {
			rows[nk] = &settings[i];
			k[nk++].name = settings[i].name + len + 1;
		}
	}
	if (config_yaml_map(ld, n, section, k, nk) == -1)
		return;
	for (i = 0; i < nk; i++) {
		if (k[i].value != NULL)
			setting_read(ld, rows[i], k[i].value);
	}
	if (strcmp(section, "redis") == 0)
		setting_redis_cluster(ld, k, nk);
}

/* Whether setting st is the same in a and b. */
static int
setting_same(const struct config *a, const struct config *b,
    const struct setting *st)
{
	const void	*fa = setting_cfield(a, st);
	const void	*fb = setting_cfield(b, st);
	const char	*sa, *sb;
	char *const	*na, *const *nb;
	size_t		 i, n;

	switch (st->type) {
	case SETTING_STRING:
	case SETTING_LISTEN:
		sa = *(char *const *)fa;
		sb = *(char *const *)fb;
		return (sa == NULL && sb == NULL) ||
		    (sa != NULL && sb != NULL && strcmp(sa, sb) == 0);
	case SETTING_INT:
	case SETTING_BOOL:
		return *(const int *)fa == *(const int *)fb;
	case SETTING_BYTES:
		return *(const size_t *)fa == *(const size_t *)fb;
	case SETTING_DURATION:
		return *(const int64_t *)fa == *(const int64_t *)fb;
	case SETTING_NAMES:
	case SETTING_WINDOWS:
		n = *(const size_t *)(const void *)((const char *)a +
		    st->count);
		if (n != *(const size_t *)(const void *)((const char *)b +
		    st->count))
			return 0;
		na = *(char **const *)fa;
		nb = *(char **const *)fb;
		for (i = 0; i < n; i++) {
			if (strcmp(na[i], nb[i]) != 0)
				return 0;
		}
		return 1;
	}
	return 1;
}

/* The value of setting st in cf, as the reload report shows it. */
static const char *
setting_text(const struct config *cf, const struct setting *st, char *buf,
    size_t size)
{
	const void	*f = setting_cfield(cf, st);
	const char	*s;

	switch (st->type) {
	case SETTING_STRING:
		s = *(char *const *)f;
		snprintf(buf, size, "%s", s != NULL ? s : "none");
		break;
	case SETTING_LISTEN:
		s = *(char *const *)f;
		snprintf(buf, size, "%s", s != NULL && *s != '\0' ? s : "off");
		break;
	case SETTING_INT:
		snprintf(buf, size, "%d", *(const int *)f);
		break;
	case SETTING_BOOL:
		snprintf(buf, size, "%s", *(const int *)f ? "true" : "false");
		break;
	case SETTING_BYTES:
		snprintf(buf, size, "%zu", *(const size_t *)f);
		break;
	case SETTING_DURATION:
		duration_format(*(const int64_t *)f, buf, size);
		break;
	case SETTING_NAMES:
	case SETTING_WINDOWS:
		if (*(const size_t *)(const void *)((const char *)cf +
		    st->count) == 0) {
			snprintf(buf, size, "none");
			break;
		}
		config_diag_list(*(char **const *)f,
		    *(const size_t *)(const void *)((const char *)cf +
		    st->count), buf, size);
		break;
	}
	return buf;
}

void
config_reload_report(const struct config *boot, const struct config *live,
    const struct config *next)
{
	const struct setting	*st;
	char			 was[256], now[256];

	for (st = settings; st < settings + nitems(settings); st++) {
		if (st->apply == SETTING_RESTART) {
			if (!setting_same(boot, next, st))
				log_warnx("reload: %s changed; it takes effect "
				    "only after a restart", st->name);
			continue;
		}
		if (setting_same(live, next, st))
			continue;
		setting_text(live, st, was, sizeof was);
		setting_text(next, st, now, sizeof now);
		log_info("reload: %s changed (%s -> %s); %s", st->name, was,
		    now, st->note != NULL ? st->note : "applied");
	}
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

/*
 * Loading.
 */

static struct config *
config_new(const char *path)
{
	struct config	*cf;

	cf = xcalloc(1, sizeof *cf);
	cf->path = xstrdup(path);
	setting_defaults(cf);
	if ((cf->oncall = oncall_new()) == NULL)
		fatal("calloc");
	return cf;
}

void
config_free(struct config *cf)
{
	if (cf == NULL)
		return;
	free(cf->path);
	setting_free(cf);
	free(cf->contacts_ms);
	rules_free(cf->rules);
	oncall_free(cf->oncall);
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
 * The root mapping: the operational sections from the table above, then
 * the rules, then (for --check) the rules that can never match.
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
		{ .name = "http" }, { .name = "oncall" },
		{ .name = "receivers" }
	};
	struct config_sections	 s;
	size_t			 i;

	if (config_yaml_map(ld, root, "the rules file", k, nitems(k)) == -1)
		return;
	for (i = 0; i < nitems(k); i++) {
		if (k[i].value != NULL && setting_is_section(k[i].name))
			setting_section(ld, k[i].name, k[i].value);
	}
	s.tiers = k[3].value;
	s.urgency = k[4].value;
	s.teams = k[5].value;
	s.routes = k[6].value;
	s.default_team = k[7].value;
	s.calendars = k[8].value;
	s.sla = k[9].value;
	s.notify = k[10].value;
	/* Notify targets name people, schedules and receivers. */
	config_oncall_load(ld, k[13].value, k[14].value);
	config_rules_load(ld, root, &s);
	/* The CRM's keys are not the shard's: they hash to other slots. */
	if (ld->cf->redis.cluster && ld->cf->customers_key != NULL)
		config_diag_error(ld, k[2].value, "customers.key cannot be "
		    "used with Redis Cluster: the CRM's hashes are not in the "
		    "prefix's slot, and the daemon talks only to the node "
		    "that serves it");

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
	ld.budget = CONFIG_MAX_CONDS + 1;	/* reaching 0 is one too many */
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
	rules_index_lists(cf->rules);
	return cf;
}


/*
 * The summary.
 */

static const char *const config_heads[CONFIG_NCOUNTS] = {
	"rules", "routing", "sla", "oncall"
};

const char *
config_counts_head(enum config_counts which)
{
	return config_heads[which];
}

static void
config_count(FILE *f, size_t n, const char *one, const char *many,
    const char *sep)
{
	fprintf(f, "%zu %s%s", n, n == 1 ? one : many, sep);
}

static void
config_counts_print(const struct config *cf, enum config_counts which,
    FILE *f)
{
	const struct rules	*r = cf->rules;

	switch (which) {
	case CONFIG_COUNTS_RULES:
		config_count(f, r->ntiers, "tier", "tiers", ", ");
		config_count(f, r->nurgencies, "urgency level",
		    "urgency levels", ", ");
		config_count(f, r->nscores, "score rule", "score rules", ", ");
		config_count(f, r->noverrides, "override", "overrides", "");
		break;
	case CONFIG_COUNTS_ROUTING:
		config_count(f, r->nteams, "team", "teams", ", ");
		config_count(f, r->nroutes, "route", "routes", ", ");
		fprintf(f, "default team %s", r->teams[r->default_team]);
		break;
	case CONFIG_COUNTS_SLA:
		config_count(f, r->npolicies, "policy", "policies", ", ");
		config_count(f, r->ncalendars, "calendar", "calendars", ", ");
		config_count(f, r->nnotify, "notify target", "notify targets",
		    "");
		break;
	case CONFIG_COUNTS_ONCALL:
		config_count(f, cf->oncall->npeople, "person", "people", ", ");
		config_count(f, cf->oncall->nschedules, "schedule",
		    "schedules", ", ");
		config_count(f, cf->oncall->nreceivers, "receiver",
		    "receivers", "");
		break;
	default:
		break;
	}
}

char *
config_counts(const struct config *cf, enum config_counts which)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*f;

	if ((f = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	config_counts_print(cf, which, f);
	if (fclose(f) != 0)
		fatal("open_memstream");
	return text;
}

void
config_summary(const struct config *cf, FILE *f)
{
	const struct config_redis	*rc = &cf->redis;
	int				 which;

	fprintf(f, "%s: configuration OK\n", cf->path);
	fprintf(f, "version: %s\n", cf->version);
	for (which = 0; which < CONFIG_NCOUNTS; which++) {
		fprintf(f, "%s: ", config_heads[which]);
		config_counts_print(cf, which, f);
		fputc('\n', f);
	}
	if (rc->cluster && rc->nnodes > 0) {
		fputs("redis: cluster, seeds", f);
		for (size_t i = 0; i < rc->nnodes; i++)
			fprintf(f, "%s %s", i > 0 ? "," : "", rc->nodes[i]);
	} else if (rc->cluster)
		fprintf(f, "redis: cluster, seed %s:%d", rc->host, rc->port);
	else if (rc->socket != NULL)
		fprintf(f, "redis: unix:%s", rc->socket);
	else
		fprintf(f, "redis: %s:%d", rc->host, rc->port);
	fprintf(f, " db %d prefix \"%s\"", rc->db, rc->prefix);
	if (rc->cluster)
		fprintf(f, " (slot %d)", cluster_keyslot(rc->prefix,
		    strlen(rc->prefix)));
	if (rc->username != NULL)
		fprintf(f, " user %s", rc->username);
	if (rc->password_env != NULL)
		fprintf(f, " password from $%s", rc->password_env);
	fputc('\n', f);
	fprintf(f, "intake: stream %s%s, events %s%s, group %s\n",
	    rc->prefix, cf->intake.stream, rc->prefix, cf->intake.events,
	    cf->intake.group);
	if (cf->customers_key != NULL || cf->ncontacts > 0) {
		fprintf(f, "customers: %s", cf->customers_key != NULL ?
		    cf->customers_key : "no CRM record");
		for (size_t i = 0; i < cf->ncontacts; i++)
			fprintf(f, "%s%s", i == 0 ? ", contacts in " : ", ",
			    cf->contacts[i]);
		fputc('\n', f);
	}
	if (cf->http_listen == NULL || *cf->http_listen == '\0')
		fputs("http: off\n", f);
	else
		fprintf(f, "http: %s\n", cf->http_listen);
	/* The variable's name only: the token is a secret. */
	if (cf->http_token_env != NULL && cf->http_listen != NULL &&
	    *cf->http_listen != '\0')
		fprintf(f, "push: POST /api/customers/ID, token from $%s\n",
		    cf->http_token_env);
}
