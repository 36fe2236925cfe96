/*
 * config.h - the rules file, loaded into a fresh, validated structure.
 *
 * config_load() never half-succeeds: it returns a complete config, or NULL
 * and every error it found, each as "FILE:LINE:COL: error: MESSAGE".  The
 * daemon swaps a new config in only after a successful load, so a bad file
 * never disturbs the rules in force.
 *
 * The operational settings (Redis, intake, HTTP, tickets) are plain data the
 * I/O files read directly, each one a row of the table in config.c that
 * gives its type, bounds, default and whether a reload applies it; the
 * classification rules are the opaque struct rules (rules.h), owned by the
 * config.
 */
#ifndef TRIAGED_CONFIG_H
#define TRIAGED_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct oncall;
struct rules;

struct config_redis {
	char		*host;		/* default "127.0.0.1" */
	int		 port;		/* default 6379 */
	char		*socket;	/* NULL unless set; wins over host/port */
	int		 db;		/* default 0 */
	char		*username;	/* NULL unless set */
	char		*password_env;	/* name of the variable, NULL unless set */
	char		*prefix;	/* default "triage:" */
	int		 cluster;	/* Redis Cluster: follow the prefix's slot */
	char		**nodes;	/* cluster seeds "host:port"; none: host/port */
	size_t		 nnodes;
};

struct config_intake {
	char		*group;		/* default "routers" */
	char		*stream;	/* key suffix after prefix, default "requests" */
	char		*events;	/* key suffix after prefix, default "events" */
	char		*consumer;	/* NULL: the daemon uses the host name */
	int		 batch;		/* default 256, 1-10000 */
	int64_t		 claim_idle_ms;	/* default 30s */
	int		 max_deliveries;	/* default 5 */
	size_t		 max_field_bytes;	/* default 65536 */
	char		**channels;	/* default phone email chat web social */
	size_t		 nchannels;
};

struct config {
	char			*path;
	char			 version[13];	/* short hash of the file's bytes */
	struct config_redis	 redis;
	struct config_intake	 intake;
	char			*customers_key;	/* "crm:customer:{customer_id}" or NULL */
	/*
	 * customers.contacts: windows as written ("24h", "7d"), each the
	 * fact customer.contacts_24h; contacts_ms the same in milliseconds.
	 */
	char			**contacts;
	size_t			 ncontacts;
	int64_t			*contacts_ms;
	int64_t			 retention_ms;	/* tickets.retention, default 30d */
	char			*http_listen;	/* "127.0.0.1:9464"; NULL or "" = off */
	char			*http_token_env;	/* push token's variable, or NULL */
	struct rules		*rules;
	struct oncall		*oncall;	/* notify targets, people,
						   schedules, receivers (oncall.h) */
};

/* The most contact windows (customers.contacts). */
#define CONFIG_MAX_WINDOWS	8
/* The fact a window names: "contacts_" + "24h". */
#define CONFIG_CONTACTS_FACT	"contacts_"

/* Flags for config_load(). */
#define CONFIG_WARN	0x1	/* also report rules that can never match */

/*
 * Load and validate path.  On success returns the config (free with
 * config_free()); on failure returns NULL.  Either way *diag receives a
 * malloc'd text of error and warning lines, each ending in '\n', or NULL if
 * there were none; the caller frees it.
 */
struct config	*config_load(const char *path, int flags, char **diag);
void		 config_free(struct config *);		/* accepts NULL */

/* Print the summary `triaged --check` shows for a valid file. */
void		 config_summary(const struct config *, FILE *);

/*
 * The lines of the summary that count the rules, by their heads: "rules"
 * (tiers, urgency levels, score rules, overrides), "routing" (teams,
 * routes, the default team), "sla" (policies, calendars, notify
 * targets) and "oncall" (people, schedules, receivers).  config_counts() returns the text after the head, malloc'd
 * (the caller frees it): "3 tiers, 4 urgency levels, 5 score rules, 1
 * override".
 */
enum config_counts {
	CONFIG_COUNTS_RULES, CONFIG_COUNTS_ROUTING, CONFIG_COUNTS_SLA,
	CONFIG_COUNTS_ONCALL, CONFIG_NCOUNTS
};
const char	*config_counts_head(enum config_counts);
char		*config_counts(const struct config *, enum config_counts);

/*
 * What a reload to next does with the operational settings, logged: each
 * one that needs a restart and differs from boot (what the daemon started
 * with, and still uses) as a warning, "reload: redis.prefix changed; it
 * takes effect only after a restart"; each one a reload applies and that
 * differs from live (the rules in force) as "reload: intake.batch changed
 * (256 -> 64); applied".
 */
void		 config_reload_report(const struct config *boot,
		    const struct config *live, const struct config *next);

/*
 * http.listen: "HOST:PORT", "[IPV6]:PORT", or ":PORT" for every address.
 * Fills host (without brackets; "" for every address) and *port and
 * returns NULL, or returns what is wrong.  --check and the daemon both
 * decide with this.
 */
#define CONFIG_LISTEN_HOST_MAX	256
const char	*config_parse_listen(const char *text, char *host, size_t size,
		    int *port);

#endif
