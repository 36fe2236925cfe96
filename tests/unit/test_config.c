/*
 * test_config.c - loading the rules file: the sample, the defaults, the
 * version hash, durations, and the errors and warnings of CONTRACT §2.4
 * with their exact line and column.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "calendar.h"
#include "config.h"
#include "duration.h"
#include "rules.h"

/*
 * Eleven valid lines; the snippets of the error tests follow from line 12.
 */
#define BASE \
	"teams: [a, b]\n" \
	"default_team: a\n" \
	"notify: [lead]\n" \
	"tiers:\n" \
	"  levels:\n" \
	"    - name: vip\n" \
	"      when: {customer.level: vip}\n" \
	"    - name: std\n" \
	"urgency:\n" \
	"  levels: [high, low]\n" \
	"  thresholds: {high: 50}\n"

static char	tmp_path[64];

static void
write_tmp(const char *yaml)
{
	int	fd;

	strcpy(tmp_path, "/tmp/test_config_XXXXXX");
	assert_true((fd = mkstemp(tmp_path)) != -1);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
}

/* Load yaml and return its diagnostics; *cfp gets the config. */
static char *
load_text(const char *yaml, int flags, struct config **cfp)
{
	char	*diag = NULL;

	write_tmp(yaml);
	*cfp = config_load(tmp_path, flags, &diag);
	unlink(tmp_path);
	return diag;
}

/* yaml must fail with exactly one error: "LINE:COL: error: MESSAGE". */
static void
expect_error(const char *yaml, const char *error)
{
	struct config	*cf;
	char		*diag, want[1024];

	diag = load_text(yaml, CONFIG_WARN, &cf);
	assert_null(cf);
	assert_non_null(diag);
	snprintf(want, sizeof want, "%s:%s\n", tmp_path, error);
	assert_string_equal(diag, want);
	free(diag);
}

/*
 * The lines of diag must be those of want, in order.  A wanted line ending
 * in '*' need only start with the text before it (for messages that come
 * from the C library).
 */
static void
expect_lines(const char *diag, const char *prefix, const char **want,
    size_t n)
{
	const char	*line = diag, *nl;
	char		 buf[1024];
	size_t		 i, len, wlen;

	for (i = 0; i < n; i++) {
		assert_non_null(line);
		nl = strchr(line, '\n');
		assert_non_null(nl);
		snprintf(buf, sizeof buf, "%s:%s", prefix, want[i]);
		len = nl - line;
		wlen = strlen(buf);
		if (buf[wlen - 1] == '*') {
			assert_true(len >= wlen - 1);
			assert_memory_equal(line, buf, wlen - 1);
		} else {
			if (len != wlen || memcmp(line, buf, len) != 0)
				print_error("got:  %.*s\nwant: %s\n", (int)len,
				    line, buf);
			assert_int_equal(len, wlen);
			assert_memory_equal(line, buf, len);
		}
		line = nl + 1;
	}
	assert_string_equal(line, "");		/* nothing more */
}

static void
test_sample_loads_clean(void **state)
{
	char		*diag = (char *)1;
	struct config	*cf;

	cf = config_load(TEST_CONF_DIR "/triage.yaml", CONFIG_WARN, &diag);
	assert_non_null(cf);
	assert_null(diag);		/* no errors, no warnings */
	assert_string_equal(cf->path, TEST_CONF_DIR "/triage.yaml");
	assert_string_equal(cf->redis.host, "127.0.0.1");
	assert_int_equal(cf->redis.port, 6379);
	assert_int_equal(cf->redis.db, 0);
	assert_null(cf->redis.socket);
	assert_string_equal(cf->redis.username, "triaged");
	assert_string_equal(cf->redis.password_env, "TRIAGED_REDIS_PASSWORD");
	assert_string_equal(cf->redis.prefix, "triage:");
	assert_string_equal(cf->intake.group, "routers");
	assert_string_equal(cf->intake.stream, "requests");
	assert_string_equal(cf->intake.events, "events");
	assert_null(cf->intake.consumer);
	assert_int_equal(cf->intake.batch, 256);
	assert_int_equal(cf->intake.claim_idle_ms, 30000);
	assert_int_equal(cf->intake.max_deliveries, 5);
	assert_int_equal(cf->intake.max_field_bytes, 65536);
	assert_int_equal(cf->intake.nchannels, 5);
	assert_string_equal(cf->intake.channels[0], "phone");
	assert_string_equal(cf->intake.channels[4], "social");
	assert_string_equal(cf->customers_key, "crm:customer:{customer_id}");
	assert_int_equal(cf->retention_ms, 30LL * 86400 * 1000);
	assert_string_equal(cf->http_listen, "127.0.0.1:9464");
	assert_int_equal(rules_tier_count(cf->rules), 3);
	assert_int_equal(rules_team_count(cf->rules), 5);
	assert_int_equal(rules_policy_count(cf->rules), 4);
	assert_int_equal(cf->ncontacts, 2);
	assert_string_equal(cf->contacts[0], "24h");
	assert_string_equal(cf->http_token_env, "TRIAGED_CRM_TOKEN");
	config_free(cf);
}

static void
test_defaults(void **state)
{
	char		*diag = NULL;
	struct config	*cf;

	cf = config_load(TEST_DATA_DIR "/minimal.yaml", CONFIG_WARN, &diag);
	assert_non_null(cf);
	assert_null(diag);
	assert_string_equal(cf->redis.host, "127.0.0.1");
	assert_int_equal(cf->redis.port, 6379);
	assert_null(cf->redis.username);
	assert_null(cf->redis.password_env);
	assert_string_equal(cf->redis.prefix, "triage:");
	assert_string_equal(cf->intake.group, "routers");
	assert_string_equal(cf->intake.stream, "requests");
	assert_string_equal(cf->intake.events, "events");
	assert_int_equal(cf->intake.batch, 256);
	assert_int_equal(cf->intake.claim_idle_ms, 30000);
	assert_int_equal(cf->intake.max_deliveries, 5);
	assert_int_equal(cf->intake.max_field_bytes, 65536);
	assert_int_equal(cf->intake.nchannels, 5);
	assert_string_equal(cf->intake.channels[2], "chat");
	assert_null(cf->customers_key);
	assert_int_equal(cf->retention_ms, 30LL * 86400 * 1000);
	assert_string_equal(cf->http_listen, "127.0.0.1:9464");
	assert_int_equal(rules_policy_count(cf->rules), 0);
	config_free(cf);
}

static void
test_settings(void **state)
{
	struct config	*cf;
	char		*diag;

	diag = load_text(BASE
	    "redis: {socket: /run/redis.sock, db: 3, prefix: \"t:{eu1}:\"}\n"
	    "intake:\n"
	    "  stream: req\n"
	    "  events: ev\n"
	    "  consumer: router-1\n"
	    "  batch: 10\n"
	    "  claim_idle: 1m30s\n"
	    "  max_field_bytes: 1024\n"
	    "  channels: [phone, wechat]\n"
	    "tickets: {retention: 7d}\n"
	    "http: {listen: \"\"}\n", 0, &cf);
	assert_null(diag);
	assert_non_null(cf);
	assert_string_equal(cf->redis.socket, "/run/redis.sock");
	assert_int_equal(cf->redis.db, 3);
	assert_string_equal(cf->redis.prefix, "t:{eu1}:");
	assert_string_equal(cf->intake.stream, "req");
	assert_string_equal(cf->intake.events, "ev");
	assert_string_equal(cf->intake.consumer, "router-1");
	assert_int_equal(cf->intake.batch, 10);
	assert_int_equal(cf->intake.claim_idle_ms, 90000);
	assert_int_equal(cf->intake.max_field_bytes, 1024);
	assert_int_equal(cf->intake.nchannels, 2);
	assert_string_equal(cf->intake.channels[1], "wechat");
	assert_int_equal(cf->retention_ms, 7LL * 86400 * 1000);
	assert_string_equal(cf->http_listen, "");
	config_free(cf);
}

/* Redis Cluster: a list of nodes implies it; --check's refusals. */
static void
test_cluster_settings(void **state)
{
	struct config	*cf;
	char		*diag;

	diag = load_text(BASE "redis:\n"
	    "  prefix: \"triage:{eu1}:\"\n"
	    "  nodes: [10.0.0.1:7000, \"[::1]:7001\", redis-c:7002]\n", 0,
	    &cf);
	assert_null(diag);
	assert_non_null(cf);
	assert_int_equal(cf->redis.cluster, 1);
	assert_int_equal(cf->redis.nnodes, 3);
	assert_string_equal(cf->redis.nodes[2], "redis-c:7002");
	config_free(cf);

	diag = load_text(BASE "redis: {cluster: true, prefix: \"a{b}:\"}\n",
	    0, &cf);
	assert_null(diag);
	assert_int_equal(cf->redis.cluster, 1);
	assert_int_equal(cf->redis.nnodes, 0);
	config_free(cf);

	diag = load_text(BASE, 0, &cf);
	assert_null(diag);
	assert_int_equal(cf->redis.cluster, 0);
	config_free(cf);
}

static void
test_error_cluster(void **state)
{
	expect_error(BASE "redis: {cluster: true}\n",
	    "12:18: error: redis.prefix 'triage:' has no hash tag, which "
	    "Redis Cluster needs to keep a deployment's keys in one slot (e.g. "
	    "\"triage:{eu1}:\")");
	expect_error(BASE "redis: {cluster: true, prefix: \"t:{}:\"}\n",
	    "12:32: error: redis.prefix 't:{}:' has no hash tag, which "
	    "Redis Cluster needs to keep a deployment's keys in one slot (e.g. "
	    "\"triage:{eu1}:\")");
	expect_error(BASE "redis: {cluster: yes, prefix: \"t:{a}:\"}\n",
	    "12:18: error: expected true or false for redis.cluster, found "
	    "'yes'");
	expect_error(BASE "redis: {prefix: \"t:{a}:\", nodes: [a:1, b]}\n",
	    "12:40: error: bad node 'b' in redis.nodes (expected HOST:PORT, "
	    "e.g. 10.0.0.1:6379)");
	expect_error(BASE "redis: {cluster: true, prefix: \"t:{a}:\", db: 2}\n",
	    "12:46: error: redis.db must be 0 with Redis Cluster, which has "
	    "only database 0");
	expect_error(BASE "redis: {cluster: true, prefix: \"t:{a}:\"}\n"
	    "customers: {key: \"crm:{customer_id}\"}\n",
	    "13:12: error: customers.key cannot be used with Redis Cluster: "
	    "the CRM's hashes are not in the prefix's slot, and the daemon "
	    "talks only to the node that serves it");
}

static void
test_version(void **state)
{
	struct config	*a, *b, *c;
	char		*diag;
	size_t		 i;

	diag = load_text(BASE, 0, &a);
	assert_null(diag);
	diag = load_text(BASE, 0, &b);
	assert_null(diag);
	diag = load_text(BASE "# one more byte\n", 0, &c);
	assert_null(diag);
	assert_int_equal(strlen(a->version), 12);
	for (i = 0; i < 12; i++)
		assert_non_null(strchr("0123456789abcdef", a->version[i]));
	assert_string_equal(a->version, b->version);
	assert_string_not_equal(a->version, c->version);
	config_free(a);
	config_free(b);
	config_free(c);
}

static void
test_summary(void **state)
{
	char		*diag = NULL, *out = NULL, want[64];
	size_t		 len = 0;
	struct config	*cf;
	FILE		*f;

	setenv("TRIAGED_REDIS_PASSWORD", "hunter2", 1);
	cf = config_load(TEST_CONF_DIR "/triage.yaml", 0, &diag);
	assert_non_null(cf);
	assert_non_null(f = open_memstream(&out, &len));
	config_summary(cf, f);
	fclose(f);
	assert_non_null(strstr(out, "triage.yaml: configuration OK\n"));
	snprintf(want, sizeof want, "version: %s\n", cf->version);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "3 tiers"));
	assert_non_null(strstr(out, "5 score rules"));
	assert_non_null(strstr(out, "1 override"));
	assert_non_null(strstr(out, "5 teams, 3 routes"));
	assert_non_null(strstr(out, "4 policies, 2 calendars"));
	assert_non_null(strstr(out, "redis: 127.0.0.1:6379"));
	assert_non_null(strstr(out, "password from $TRIAGED_REDIS_PASSWORD"));
	assert_null(strstr(out, "hunter2"));
	assert_non_null(strstr(out, "http: 127.0.0.1:9464\n"));
	assert_non_null(strstr(out, "customers: crm:customer:{customer_id}, "
	    "contacts in 24h, 7d\n"));
	assert_non_null(strstr(out, "push: POST /api/customers/ID, token from "
	    "$TRIAGED_CRM_TOKEN\n"));
	free(out);
	config_free(cf);
}

/* The summary's lines that count rules, each on its own. */
static void
test_counts(void **state)
{
	static const char	*want[CONFIG_NCOUNTS][2] = {
		{ "rules", "3 tiers, 4 urgency levels, 5 score rules, "
		    "1 override" },
		{ "routing", "5 teams, 3 routes, default team general" },
		{ "sla", "4 policies, 2 calendars, 3 notify targets" },
		{ "oncall", "3 people, 1 schedule, 2 receivers" },
	};
	char		*diag = NULL, *out = NULL, *text, line[256];
	size_t		 len = 0;
	struct config	*cf;
	FILE		*f;
	int		 i;

	cf = config_load(TEST_CONF_DIR "/triage.yaml", 0, &diag);
	assert_non_null(cf);
	assert_non_null(f = open_memstream(&out, &len));
	config_summary(cf, f);
	fclose(f);
	for (i = 0; i < CONFIG_NCOUNTS; i++) {
		assert_string_equal(config_counts_head(i), want[i][0]);
		text = config_counts(cf, i);
		assert_string_equal(text, want[i][1]);
		snprintf(line, sizeof line, "\n%s: %s\n", want[i][0], text);
		assert_non_null(strstr(out, line));
		free(text);
	}
	free(out);
	config_free(cf);
}

/* What config_reload_report() logs to stderr, as one malloc'd text. */
static char *
reload_report(const struct config *boot, const struct config *live,
    const struct config *next)
{
	char	 path[] = "/tmp/test_config_log_XXXXXX", *text;
	FILE	*f;
	long	 len;
	int	 fd, saved;

	assert_true((fd = mkstemp(path)) != -1);
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) != -1);
	assert_true(dup2(fd, STDERR_FILENO) != -1);
	config_reload_report(boot, live, next);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) != -1);
	close(saved);
	close(fd);
	assert_non_null(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, len + 1);
	assert_int_equal(fread(text, 1, len, f), (size_t)len);
	fclose(f);
	unlink(path);
	return text;
}

/*
 * A reload says what it does with each operational setting that changed:
 * those read once at start are kept until a restart (compared with what
 * the daemon started with), those it applies are named with their values
 * (compared with the rules in force).
 */
static void
test_reload_report(void **state)
{
	struct config	*boot, *live, *next;
	char		*diag, *out;

	diag = load_text(BASE "redis: {prefix: \"a:\"}\n"
	    "intake: {batch: 100}\n", 0, &boot);
	assert_null(diag);
	diag = load_text(BASE "redis: {prefix: \"b:\"}\n"
	    "intake: {batch: 100, max_deliveries: 3}\n", 0, &live);
	assert_null(diag);
	diag = load_text(BASE "redis: {prefix: \"b:\"}\n"
	    "intake:\n"
	    "  batch: 64\n"
	    "  max_deliveries: 3\n"
	    "  claim_idle: 2m\n"
	    "  channels: [web, phone]\n"
	    "customers: {key: \"crm:{customer_id}\"}\n"
	    "tickets: {retention: 7d}\n"
	    "http: {listen: \"\"}\n", 0, &next);
	assert_null(diag);

	out = reload_report(boot, live, next);
	assert_string_equal(out,
	    "triaged: warning: reload: redis.prefix changed; it takes effect "
	    "only after a restart\n"
	    "triaged: reload: intake.batch changed (100 -> 64); applied\n"
	    "triaged: reload: intake.claim_idle changed (30s -> 2m); applied "
	    "from the next claim cycle, which runs every half of it\n"
	    "triaged: reload: intake.channels changed (phone, email, chat, "
	    "web, social -> web, phone); applied\n"
	    "triaged: reload: customers.key changed (none -> "
	    "crm:{customer_id}); applied\n"
	    "triaged: reload: tickets.retention changed (30d -> 7d); applied "
	    "to tickets resolved from now on\n"
	    "triaged: warning: reload: http.listen changed; it takes effect "
	    "only after a restart\n");
	free(out);

	/* The same file again: nothing to say. */
	out = reload_report(boot, boot, boot);
	assert_string_equal(out, "");
	free(out);
	config_free(boot);
	config_free(live);
	config_free(next);
}

static void
test_durations(void **state)
{
	assert_int_equal(duration_parse("90s"), 90000);
	assert_int_equal(duration_parse("15m"), 900000);
	assert_int_equal(duration_parse("4h"), 4 * 3600000);
	assert_int_equal(duration_parse("2d"), 2 * 86400000LL);
	assert_int_equal(duration_parse("1h30m"), 5400000);
	assert_int_equal(duration_parse("250ms"), 250);
	assert_int_equal(duration_parse("1m500ms"), 60500);
	assert_int_equal(duration_parse("0s"), 0);
	assert_int_equal(duration_parse(""), -1);
	assert_int_equal(duration_parse("90"), -1);
	assert_int_equal(duration_parse("h"), -1);
	assert_int_equal(duration_parse("1.5h"), -1);
	assert_int_equal(duration_parse("-1h"), -1);
	assert_int_equal(duration_parse("4 h"), -1);
	assert_int_equal(duration_parse("4H"), -1);
	assert_int_equal(duration_parse("3w"), -1);
	assert_int_equal(duration_parse("99999999999999999999s"), -1);
	assert_int_equal(duration_parse("9999999999999999d"), -1);
	assert_int_equal(duration_parse(NULL), -1);
}

static void
test_duration_format(void **state)
{
	char		 buf[32];
	const char	*texts[] = { "0s", "1m30s", "15m", "1h30m", "2d", "250ms",
			    "1d2h3m4s5ms" };

	assert_string_equal(duration_format(5400000, buf, sizeof buf),
	    "1h30m");
	assert_string_equal(duration_format(0, buf, sizeof buf), "0s");
	/* What it writes, the loader reads back to the same value. */
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		int64_t	ms = duration_parse(texts[i]);

		assert_true(ms >= 0);
		assert_string_equal(duration_format(ms, buf, sizeof buf),
		    texts[i]);
	}
	/* Truncation never overruns the buffer. */
	assert_int_equal(strlen(duration_format(93784005, buf, 6)), 5);
}

static void
test_missing_file(void **state)
{
	char		*diag = NULL;
	struct config	*cf;

	cf = config_load(TEST_DATA_DIR "/no-such-file.yaml", 0, &diag);
	assert_null(cf);
	assert_string_equal(diag, TEST_DATA_DIR "/no-such-file.yaml: error: "
	    "cannot open: No such file or directory\n");
	free(diag);
}

static void
test_empty_file(void **state)
{
	expect_error("", "1:1: error: the file is empty (expected a mapping "
	    "of sections: tiers, urgency, teams, routes, ...)");
	expect_error("# only a comment\n", "1:1: error: the file is empty "
	    "(expected a mapping of sections: tiers, urgency, teams, routes, "
	    "...)");
}

static void
test_error_unknown_key(void **state)
{
	expect_error(BASE
	    "routes:\n"
	    "  - name: r\n"
	    "    team: a\n"
	    "    tem: b\n",
	    "15:5: error: unknown key 'tem' in route (expected one of: name, "
	    "when, team)");
	expect_error(BASE "redsi: {host: x}\n",
	    "12:1: error: unknown key 'redsi' in the rules file (expected one "
	    "of: redis, intake, customers, tiers, urgency, teams, routes, "
	    "default_team, calendars, sla, notify, tickets, http, oncall, "
	    "receivers)");
}

static void
test_error_undefined_team(void **state)
{
	expect_error(BASE
	    "routes:\n"
	    "  - {name: r, when: {category: x}, team: c}\n",
	    "13:42: error: undefined team 'c' (expected one of: a, b)");
	expect_error(BASE
	    "sla:\n"
	    "  - {name: p, when: {team: [a, z]}}\n",
	    "13:32: error: undefined team 'z' (expected one of: a, b)");
}

static void
test_error_bad_duration(void **state)
{
	expect_error(BASE "tickets: {retention: 30x}\n",
	    "12:22: error: bad duration '30x' for tickets.retention (expected "
	    "a positive number with a unit, e.g. 90s, 15m, 4h, 2d, 1h30m)");
	expect_error(BASE
	    "sla:\n"
	    "  - name: p\n"
	    "    resolution: 0s\n",
	    "14:17: error: bad duration '0s' for resolution (expected a "
	    "positive number with a unit, e.g. 90s, 15m, 4h, 2d, 1h30m)");
}

/* customers.contacts: windows as written and in ms; each a duration. */
static void
test_contacts(void **state)
{
	struct config	*cf;
	char		*diag;

	diag = load_text(BASE "customers: {contacts: [24h, 7d, 90m]}\n", 0,
	    &cf);
	assert_null(diag);
	assert_non_null(cf);
	assert_int_equal(cf->ncontacts, 3);
	assert_string_equal(cf->contacts[0], "24h");
	assert_string_equal(cf->contacts[2], "90m");
	assert_int_equal(cf->contacts_ms[0], 24 * 3600 * 1000LL);
	assert_int_equal(cf->contacts_ms[1], 7 * 24 * 3600 * 1000LL);
	assert_int_equal(cf->contacts_ms[2], 90 * 60 * 1000LL);
	config_free(cf);

	diag = load_text(BASE, 0, &cf);
	assert_non_null(cf);
	assert_int_equal(cf->ncontacts, 0);
	free(diag);
	config_free(cf);

	expect_error(BASE "customers: {contacts: [24h, often]}\n",
	    "12:29: error: bad window 'often' in customers.contacts "
	    "(expected a positive duration, e.g. 24h, 7d, 90m)");
	expect_error(BASE "customers: {contacts: [24h, 0s]}\n",
	    "12:29: error: bad window '0s' in customers.contacts "
	    "(expected a positive duration, e.g. 24h, 7d, 90m)");
	expect_error(BASE "customers: {contacts: [1d, 1d]}\n",
	    "12:28: error: duplicate window '1d' in customers.contacts");
	expect_error(BASE "customers: {contacts: 24h}\n",
	    "12:23: error: expected a list for customers.contacts, found a "
	    "scalar");
}

static void
test_error_bad_regex(void **state)
{
	struct config	*cf;
	char		*diag, want[256];

	diag = load_text(BASE
	    "routes:\n"
	    "  - {name: r, when: {subject: {regex: \"a(b\"}}, team: a}\n",
	    0, &cf);
	assert_null(cf);
	assert_non_null(diag);
	snprintf(want, sizeof want, "%s:13:39: error: bad regular expression "
	    "'a(b' for 'subject': ", tmp_path);
	assert_memory_equal(diag, want, strlen(want));
	assert_true(strlen(diag) > strlen(want) + 1);	/* regerror text */
	assert_int_equal(diag[strlen(diag) - 1], '\n');
	assert_null(strchr(diag, '\n') + 1 == diag + strlen(diag) ? NULL :
	    "more than one line");
	free(diag);
}

static void
test_error_unknown_timezone(void **state)
{
	struct config	*cf;
	char		*diag, want[256];

	diag = load_text(BASE
	    "calendars:\n"
	    "  office:\n"
	    "    timezone: Mars/Olympus\n"
	    "    hours: {mon-fri: \"09:00-18:00\"}\n", 0, &cf);
	assert_null(cf);
	assert_non_null(diag);
	snprintf(want, sizeof want, "%s:14:15: error: calendar 'office': ",
	    tmp_path);
	assert_memory_equal(diag, want, strlen(want));
	assert_non_null(strstr(diag, "Mars/Olympus"));
	assert_non_null(strstr(diag, "(expected an IANA name such as "
	    "Asia/Shanghai)\n"));
	free(diag);
}

static void
test_error_fact_not_decided(void **state)
{
	expect_error(BASE
	    "routes:\n"
	    "  - {name: r, when: {team: a}, team: b}\n",
	    "13:22: error: 'team' is not decided yet when routes are matched "
	    "(routes may use request fields, customer.*, tier, urgency and "
	    "score)");
	expect_error(BASE
	    "  score:\n"
	    "    - {when: {urgency: high}, points: 5}\n",
	    "13:15: error: 'urgency' is not decided yet when score rules and "
	    "overrides are matched (score rules and overrides may use request "
	    "fields, customer.* and tier)");
	expect_error(
	    "teams: [a]\n"
	    "default_team: a\n"
	    "urgency: {levels: [high]}\n"
	    "tiers:\n"
	    "  levels:\n"
	    "    - name: vip\n"
	    "      when:\n"
	    "        any:\n"
	    "          - {customer.level: vip}\n"
	    "          - not: {tier: vip}\n",
	    "10:19: error: 'tier' is not decided yet when tier levels are "
	    "matched (tier levels may use request fields and customer.* "
	    "only)");
}

static void
test_error_references(void **state)
{
	expect_error(BASE
	    "sla:\n"
	    "  - {name: p, calendar: office}\n",
	    "13:25: error: undefined calendar 'office' (expected one of: "
	    "always)");
	expect_error(BASE
	    "sla:\n"
	    "  - name: p\n"
	    "    first_response: {within: 1h, escalate: [{at: 100%, "
	    "notify: boss}]}\n",
	    "14:64: error: undefined notify target 'boss' (expected one of: "
	    "lead)");
	expect_error(BASE
	    "sla:\n"
	    "  - name: p\n"
	    "    first_response: {within: 1h, escalate: [{at: 100%, "
	    "notify: lead, raise: urgent}]}\n",
	    "14:77: error: undefined urgency level 'urgent' (expected one of: "
	    "high, low)");
	expect_error(BASE
	    "  overrides: [{when: {tier: gold}, level: high}]\n",
	    "12:29: error: undefined tier 'gold' (expected one of: vip, std)");
	expect_error(BASE
	    "  overrides: [{when: {tier: vip}, level: medium}]\n",
	    "12:42: error: undefined urgency level 'medium' (expected one of: "
	    "high, low)");
}

static void
test_error_values(void **state)
{
	expect_error(BASE
	    "sla:\n"
	    "  - name: p\n"
	    "    first_response: {within: 1h, escalate: [{at: 75, "
	    "notify: lead}]}\n",
	    "14:50: error: bad percentage '75' for 'at' (expected a positive "
	    "percentage such as 75% or 150%)");
	expect_error(BASE "redis: {port: 0}\n",
	    "12:15: error: expected an integer from 1 to 65535 for "
	    "redis.port, found '0'");
	expect_error(BASE "routes: [{when: {order_value: {gte: lots}}, "
	    "team: a}]\n",
	    "12:37: error: expected a decimal number for 'gte' of "
	    "'order_value', found 'lots'");
	expect_error(BASE "routes: [{when: {category: {equals: x}}, "
	    "team: a}]\n",
	    "12:29: error: unknown matcher 'equals' for 'category' (expected "
	    "one of: eq, ne, in, not_in, gt, gte, lt, lte, contains, regex, "
	    "exists)");
	expect_error(BASE "routes: [{when: {category: {in: []}}, team: a}]\n",
	    "12:33: error: empty list in 'in' of 'category' (expected at "
	    "least one value)");
	expect_error(BASE "routes: [{when: {subject: {contains: \"\"}}, "
	    "team: a}]\n",
	    "12:38: error: empty string in 'contains' of 'subject'");
	expect_error(BASE "routes: [{when: {urgency: {gt: 1}}, team: a}]\n",
	    "12:28: error: 'urgency' is a name, not a number: 'gt' does not "
	    "apply (use eq, in, ne or not_in)");
	expect_error(BASE "routes: [{when: [a], team: a}]\n",
	    "12:17: error: expected a condition (a mapping of field: "
	    "matcher, or any/all/not), found a list");
	expect_error(BASE "tickets: {retention: 1d, retention: 2d}\n",
	    "12:26: error: duplicate key 'retention' in tickets (first at "
	    "line 12)");
}

static void
test_error_thresholds(void **state)
{
	expect_error(
	    "teams: [a]\n"
	    "default_team: a\n"
	    "tiers: {levels: [{name: std}]}\n"
	    "urgency:\n"
	    "  levels: [critical, high, low]\n"
	    "  thresholds: {critical: 50, high: 50}\n",
	    "6:30: error: threshold of 'high' (50) is not below that of the "
	    "higher level 'critical' (50): urgency.levels are listed highest "
	    "first");
}

static void
test_error_missing_sections(void **state)
{
	struct config	*cf;
	char		*diag;
	const char	*want[] = {
		"1:1: error: no teams (expected teams: a list of team names)",
		"1:1: error: no urgency (expected urgency: with levels, score, "
		    "thresholds)",
		"1:1: error: no tiers (expected tiers: with a list of levels)",
		"1:1: error: no default_team (expected the team that takes "
		    "requests no route matches)",
	};

	diag = load_text("http: {listen: \"127.0.0.1:9464\"}\n", 0, &cf);
	assert_null(cf);
	expect_lines(diag, tmp_path, want, 4);
	free(diag);
}

static void
test_error_yaml_syntax(void **state)
{
	struct config	*cf;
	char		*diag = NULL;

	cf = config_load(TEST_DATA_DIR "/bad_syntax.yaml", 0, &diag);
	assert_null(cf);
	assert_string_equal(diag, TEST_DATA_DIR "/bad_syntax.yaml:5:9: error: "
	    "YAML syntax: did not find expected ',' or '}' (while parsing a "
	    "flow mapping that starts at line 4)\n");
	free(diag);
	expect_error("teams: [a]\n\tdefault_team: a\n",
	    "2:1: error: a tab character; YAML indents with spaces only");
	expect_error(BASE "---\nteams: [b]\n",
	    "12:1: error: a second YAML document (expected one document per "
	    "file)");
}

/* A tab says so, wherever libyaml trips on it. */
static void
test_error_tab(void **state)
{
	struct config	*cf;
	char		*diag;

	expect_error(BASE "tickets:\n\tretention: 7d\n",
	    "13:1: error: a tab character; YAML indents with spaces only");
	expect_error(BASE "tickets:\n  \tretention: 7d\n",
	    "13:3: error: a tab character; YAML indents with spaces only");
	expect_error(BASE "routes:\n  - name: \"caf\xc3\xa9\"\n"
	    "    when: {category: billing}\n\t team: a\n",
	    "15:1: error: a tab character; YAML indents with spaces only");
	/* Between the tokens of a line, a tab is only space. */
	diag = load_text(BASE "tickets: {retention:\t7d}\n", 0, &cf);
	assert_null(diag);
	assert_non_null(cf);
	config_free(cf);
}

/*
 * That a mapping lacks a key comes after the errors inside it: a misspelt
 * key before the "has no" it causes, whatever their lines.
 */
static void
test_error_order(void **state)
{
	struct config	*cf;
	char		*diag;
	const char	*route[] = {
		"15:5: error: unknown key 'tem' in route (expected one of: "
		    "name, when, team)",
		"13:5: error: route 'billing' has no team (expected team: a "
		    "name from teams)",
	};
	const char	*calendar[] = {
		"14:5: error: unknown key 'timzone' in calendar 'office' "
		    "(expected one of: timezone, hours, holidays)",
		"13:3: error: calendar 'office' has no timezone (expected an "
		    "IANA name such as Asia/Shanghai)",
		"17:10: error: bad percentage '50' for 'at' (expected a "
		    "positive percentage such as 75% or 150%)",
		"17:14: error: unknown key 'notfy' in escalation step "
		    "(expected one of: at, notify, raise, reassign)",
		"17:5: error: escalation step in policy 'sla[0]' has no "
		    "'notify' (expected one of the notify targets)",
	};

	diag = load_text(BASE
	    "routes:\n"
	    "  - name: billing\n"
	    "    when: {category: billing}\n"
	    "    tem: b\n", 0, &cf);
	assert_null(cf);
	expect_lines(diag, tmp_path, route, 2);
	free(diag);

	diag = load_text(BASE
	    "calendars:\n"
	    "  office:\n"
	    "    timzone: UTC\n"
	    "    hours: {mon-fri: \"09:00-18:00\"}\n"
	    "sla: [{first_response: {within: 1h, escalate: [\n"
	    "    {at: 50, notfy: lead}]}}]\n", 0, &cf);
	assert_null(cf);
	expect_lines(diag, tmp_path, calendar, 5);
	free(diag);
}

static void
test_error_many_together(void **state)
{
	struct config	*cf;
	char		*diag = NULL;
	const char	*want[] = {
		"3:9: error: expected an integer from 1 to 65535 for "
		    "redis.port, found 'seventy'",
		"7:35: error: 'score' is not decided yet when tier levels are "
		    "matched (tier levels may use request fields and "
		    "customer.* only)",
		"12:32: error: bad regular expression '(unclosed' for "
		    "'subject': *",
		"13:21: error: undefined tier 'platinum' (expected one of: "
		    "vip, standard)",
		"19:5: error: unknown key 'tem' in route (expected one of: "
		    "name, when, team)",
		"17:5: error: route 'billing' has no team (expected team: a "
		    "name from teams)",
		"20:36: error: unknown matcher 'containz' for 'category' "
		    "(expected one of: eq, ne, in, not_in, gt, gte, lt, lte, "
		    "contains, regex, exists)",
		"20:60: error: undefined team 'tech_support' (expected one of: "
		    "support, billing)",
		"25:37: error: bad day 'sun-sat' in calendar 'office' "
		    "(expected mon, tue, wed, thu, fri, sat, sun, or a range "
		    "such as mon-fri)",
		"28:15: error: undefined calendar 'ofice' (expected one of: "
		    "always, office)",
		"29:30: error: bad duration '24hours' for "
		    "first_response.within (expected a positive number with a "
		    "unit, e.g. 90s, 15m, 4h, 2d, 1h30m)",
		"29:55: error: bad percentage '50' for 'at' (expected a "
		    "positive percentage such as 75% or 150%)",
		"29:67: error: undefined notify target 'lead' (expected one "
		    "of: team_lead)",
	};

	cf = config_load(TEST_DATA_DIR "/bad_many.yaml", CONFIG_WARN, &diag);
	assert_null(cf);
	assert_non_null(diag);
	expect_lines(diag, TEST_DATA_DIR "/bad_many.yaml", want,
	    sizeof want / sizeof want[0]);
	free(diag);
}

static void
test_warnings(void **state)
{
	struct config	*cf;
	char		*diag = NULL;
	const char	*want[] = {
		"7:7: warning: tier level 'bronze' can never match: tier level "
		    "'standard' (line 6) always matches first",
		"14:7: warning: override 'phone' can never match: override "
		    "'all-high' (line 13) always matches first",
		"18:5: warning: route 'billing' can never match: route "
		    "'any-urgency' (line 17) always matches first",
		"23:5: warning: sla policy 'vip' can never match: sla policy "
		    "'vip-or-standard' (line 21) always matches first",
		"25:5: warning: sla policy 'leftover' can never match: "
		    "whatever the tier and urgency, an earlier sla policy "
		    "matches first or its own condition cannot hold",
	};

	/* Warnings never fail the load. */
	cf = config_load(TEST_DATA_DIR "/warn_unreachable.yaml", CONFIG_WARN,
	    &diag);
	assert_non_null(cf);
	assert_non_null(diag);
	expect_lines(diag, TEST_DATA_DIR "/warn_unreachable.yaml", want,
	    sizeof want / sizeof want[0]);
	free(diag);
	config_free(cf);

	/* Only asked for. */
	diag = NULL;
	cf = config_load(TEST_DATA_DIR "/warn_unreachable.yaml", 0, &diag);
	assert_non_null(cf);
	assert_null(diag);
	config_free(cf);
}

static void
test_warnings_sound(void **state)
{
	struct config	*cf;
	char		*diag;

	/*
	 * Conditions on request fields can go either way: no warning, even
	 * when every rule looks alike.
	 */
	diag = load_text(BASE
	    "routes:\n"
	    "  - {name: r1, when: {category: x}, team: a}\n"
	    "  - {name: r2, when: {category: x}, team: b}\n"
	    "  - {name: r3, when: {urgency: high, category: y}, team: b}\n"
	    "  - {name: r4, when: {urgency: high}, team: b}\n"
	    "  - {name: r5, when: {urgency: low}, team: b}\n"
	    "sla:\n"
	    "  - {name: p1, when: {tier: vip, urgency: high}}\n"
	    "  - {name: p2, when: {tier: vip}}\n"
	    "  - {name: p3, when: {not: {tier: vip}}}\n", CONFIG_WARN, &cf);
	assert_non_null(cf);
	assert_null(diag);
	config_free(cf);

	/* A condition that cannot hold for any tier. */
	diag = load_text(BASE
	    "  score:\n"
	    "    - {name: odd, when: {tier: vip, not: {tier: vip}}, "
	    "points: 1}\n", CONFIG_WARN, &cf);
	assert_non_null(cf);
	assert_non_null(diag);
	assert_non_null(strstr(diag, ":13:7: warning: score rule 'odd' can "
	    "never match: its condition cannot hold for any tier\n"));
	free(diag);
	config_free(cf);
}

static void
test_calendars(void **state)
{
	struct config		*cf;
	const struct calendar	*cal;
	char			*diag;

	/* Windows as a comma list and as a YAML list, on day ranges. */
	diag = load_text(BASE
	    "calendars:\n"
	    "  office:\n"
	    "    timezone: UTC\n"
	    "    hours:\n"
	    "      mon-fri: \"09:00-12:00, 13:00-18:00\"\n"
	    "      sat: [\"10:00-12:00\"]\n"
	    "sla:\n"
	    "  - {name: p, calendar: office, first_response: 4h}\n",
	    0, &cf);
	assert_null(diag);
	assert_non_null(cf);
	cal = rules_policy_calendar(cf->rules, 0);
	assert_string_equal(calendar_name(cal), "office");
	assert_string_equal(calendar_timezone(cal), "UTC");
	/* Mon 2026-01-05 08:00Z + 4 office hours = 14:00 (lunch skipped). */
	assert_int_equal(calendar_deadline(cal, 1767600000000LL,
	    4 * 3600000LL), 1767621600000LL);
	/* Fri 17:00 + 2h: one hour on Friday, one on Saturday morning. */
	assert_int_equal(calendar_deadline(cal, 1767600000000LL +
	    4 * 86400000LL + 9 * 3600000LL, 2 * 3600000LL), 1768042800000LL);
	config_free(cf);

	diag = load_text(BASE
	    "calendars:\n"
	    "  office:\n"
	    "    timezone: UTC\n"
	    "    hours: {mon-fri: \"09:00-12:00,13:00-18:00\"}\n"
	    "    holidays: [2026-01-05]\n"
	    "sla:\n"
	    "  - {name: p, calendar: office, first_response: 4h}\n",
	    0, &cf);
	assert_null(diag);
	assert_non_null(cf);
	cal = rules_policy_calendar(cf->rules, 0);
	/* The Monday is a holiday: Tuesday 14:00. */
	assert_int_equal(calendar_deadline(cal, 1767600000000LL,
	    4 * 3600000LL), 1767708000000LL);
	config_free(cf);
}

static void
test_error_calendars(void **state)
{
	struct config	*cf;
	char		*diag;
	const char	*want[] = {
		"13:3: error: calendar 'always' is built in (24x7) and cannot "
		    "be redefined",
		"14:3: error: calendar 'nozone' has no timezone (expected an "
		    "IANA name such as Asia/Shanghai)",
		"18:12: error: calendar 'empty' has no working hours (expected "
		    "e.g. {mon-fri: \"09:00-18:00\"})",
		"21:18: error: working hours '18:00-09:00' in calendar 'night' "
		    "end before they start (a window cannot pass midnight: "
		    "write it as two, up to 24:00 and from 00:00)",
		"22:16: error: bad holiday '2026-13-01' in calendar 'night' "
		    "(expected a date YYYY-MM-DD)",
		"22:28: error: bad holiday '2027-02-29' in calendar 'night': "
		    "2027 is not a leap year",
		"23:3: error: empty calendar name",
	};

	diag = load_text(BASE
	    "calendars:\n"
	    "  always: {timezone: UTC, hours: {mon: \"09:00-10:00\"}}\n"
	    "  nozone:\n"
	    "    hours: {mon: \"09:00-10:00\"}\n"
	    "  empty:\n"
	    "    timezone: UTC\n"
	    "    hours: {}\n"
	    "  night:\n"
	    "    timezone: UTC\n"
	    "    hours: {mon: \"18:00-09:00\"}\n"
	    "    holidays: [2026-13-01, 2027-02-29]\n"
	    "  \"\": {timezone: UTC, hours: {mon: \"09:00-10:00\"}}\n", 0, &cf);
	assert_null(cf);
	assert_non_null(diag);
	expect_lines(diag, tmp_path, want, sizeof want / sizeof want[0]);
	free(diag);
}

/* http.listen: what --check and the daemon accept, and why not. */
static void
test_listen(void **state)
{
	static const struct {
		const char	*text, *host;
		int		 port;
	} good[] = {
		{ "127.0.0.1:9464", "127.0.0.1", 9464 },
		{ ":9464", "", 9464 },
		{ "[::1]:80", "::1", 80 },
		{ "[::]:1", "::", 1 },
		{ "::1:65535", "::1", 65535 },
		{ "metrics-1.example.com:9464", "metrics-1.example.com", 9464 },
	};
	static const struct {
		const char	*text, *why;
	} bad[] = {
		{ "127.0.0.1:99999", "the port is not a number from 1 to 65535" },
		{ "127.0.0.1:0", "the port is not a number from 1 to 65535" },
		{ "127.0.0.1:", "the port is not a number from 1 to 65535" },
		{ "127.0.0.1:+80", "the port is not a number from 1 to 65535" },
		{ "127.0.0.1: 80", "the port is not a number from 1 to 65535" },
		{ "127.0.0.1:9464x", "the port is not a number from 1 to 65535" },
		{ "127.0.0.1:0009464", "the port is not a number from 1 to 65535" },
		{ "127.0.0.1", "no port" },
		{ "", "no port" },
		{ "[::1]", "the port is not a number from 1 to 65535" },
		{ "[::1:80", "not an IPv6 address" },
		{ "[]:80", "not an IPv6 address" },
		{ "[127.0.0.1]:80", "not an IPv6 address" },
		{ "999.0.0.1:80", "not an IPv4 address" },
		{ "my host:80", "not a host name or address" },
	};
	char	host[CONFIG_LISTEN_HOST_MAX], longhost[300];
	int	port;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		port = 0;
		assert_null(config_parse_listen(good[i].text, host,
		    sizeof host, &port));
		assert_string_equal(host, good[i].host);
		assert_int_equal(port, good[i].port);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char	*why = config_parse_listen(bad[i].text, host,
		    sizeof host, &port);

		assert_non_null(why);
		assert_string_equal(why, bad[i].why);
	}
	memset(longhost, 'a', 290);
	strcpy(longhost + 290, ":9464");
	assert_string_equal(config_parse_listen(longhost, host, sizeof host,
	    &port), "the host is too long");

	/* The loader says the same, where the value is. */
	expect_error(BASE "http: {listen: \"127.0.0.1:99999\"}\n",
	    "12:16: error: bad address '127.0.0.1:99999' for http.listen: "
	    "the port is not a number from 1 to 65535 (expected HOST:PORT, "
	    "[IPV6]:PORT or :PORT for every address, e.g. 127.0.0.1:9464, "
	    "or \"\" to switch it off)");
}

static void
test_alias_cycle(void **state)
{
	struct config	*cf;
	char		*diag;

	/* A self-referring alias must end in an error, not a crash. */
	diag = load_text(BASE "routes: [{when: &w {not: *w}, team: a}]\n", 0,
	    &cf);
	assert_null(cf);
	assert_non_null(diag);
	assert_non_null(strstr(diag, "error: "));
	free(diag);
}

/* head, then n copies of unit, then tail; malloc'd. */
static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t	 hl = strlen(head), ul = strlen(unit), i;
	char	*s;

	s = malloc(hl + ul * n + strlen(tail) + 1);
	assert_non_null(s);
	memcpy(s, head, hl);
	for (i = 0; i < n; i++)
		memcpy(s + hl + i * ul, unit, ul);
	strcpy(s + hl + ul * n, tail);
	return s;
}

/*
 * 200,000 nested lists took libyaml minutes; they are refused at the first
 * level past 64 (the root mapping is the first), before any tree is built.
 */
static void
test_hostile_nesting(void **state)
{
	struct config	*cf;
	char		*yaml, *diag;

	yaml = repeat(BASE "routes: ", "[", 200000, "\n");
	expect_error(yaml, "12:72: error: lists and mappings nested more "
	    "than 64 deep (the file is refused before it is parsed further)");
	free(yaml);
	yaml = repeat(BASE "x: ", "{a: ", 200000, "\n");
	expect_error(yaml, "12:256: error: lists and mappings nested more "
	    "than 64 deep (the file is refused before it is parsed further)");
	free(yaml);

	/* 64 levels are allowed: what is wrong then is something else. */
	yaml = repeat(BASE "routes: ", "[", 63, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n");
	diag = load_text(yaml, 0, &cf);
	assert_null(cf);
	assert_non_null(diag);
	assert_null(strstr(diag, "nested more than"));
	assert_non_null(strstr(diag, ":12:10: error: expected a mapping for "
	    "route, found a list\n"));
	free(diag);
	free(yaml);
}

/*
 * Aliases count once for each use: the "billion laughs" of a few hundred
 * bytes is refused at the alias that passes a million nodes, the eighth
 * *a4 (each stands for 111,111 nodes), and a big text used many times at
 * the use that passes 16 MiB.  A cycle is refused where it closes.
 */
static void
test_hostile_aliases(void **state)
{
	char	*big, *yaml;

	expect_error(BASE
	    "lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	    "lol1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n"
	    "lol2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\n"
	    "lol3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]\n"
	    "lol4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]\n"
	    "lol5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]\n"
	    "lol6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]\n",
	    "17:47: error: more than 1000000 nodes in the file, counting each "
	    "use of an alias as a copy of what it names");

	/* 100,000 bytes of text, used 200 times: 20 MB. */
	big = repeat(BASE "s: &s \"", "x", 100000, "\"\n");
	yaml = repeat(big, "", 0, "t: [");
	free(big);
	big = repeat(yaml, "*s, ", 200, "*s]\n");
	expect_error(big, "13:669: error: more than 16777216 bytes of text in "
	    "the file, counting each use of an alias as a copy of what it "
	    "names");
	free(big);
	free(yaml);

	expect_error(BASE "routes: [{when: &w {not: *w}, team: a}]\n",
	    "12:26: error: alias '*w' is used inside the node it names");
	expect_error(BASE "routes: [{when: &w {any: [{x: 1}, *w]}, team: a}]"
	    "\n", "12:35: error: alias '*w' is used inside the node it names");
}

/*
 * A file may hold 100,000 condition nodes, aliases counted at each use.
 * BASE has one (a tier's); 99 routes of 1,000 (an any of 999) and one of
 * 999 make 100,000, which load; one more node is refused where it is.
 */
static void
test_condition_budget(void **state)
{
	struct config	*cf;
	char		*first, *most, *yaml, *diag, *counts;

	(void)state;
	first = repeat(BASE "routes:\n  - {team: a, when: &w {any: [",
	    "{category: x}, ", 998, "{category: x}]}}\n");
	most = repeat(first, "  - {team: a, when: *w}\n", 98,
	    "  - {team: a, when: {any: [");
	yaml = repeat(most, "{category: x}, ", 997, "{category: x}]}}\n");
	diag = load_text(yaml, 0, &cf);
	if (cf == NULL)
		fail_msg("%s", diag);
	counts = config_counts(cf, CONFIG_COUNTS_ROUTING);
	assert_non_null(strstr(counts, "100 routes"));
	free(counts);
	config_free(cf);
	free(diag);
	free(first);

	first = repeat(yaml, "", 0, "  - {team: a, when: {category: y}}\n");
	diag = load_text(first, 0, &cf);
	assert_null(cf);
	assert_non_null(diag);
	assert_non_null(strstr(diag, ":113:21: error: conditions too large "
	    "(at most 100000 nodes in a file)\n"));
	free(diag);
	free(first);
	free(yaml);
	free(most);
}

/* Over 4 MiB the file is not parsed at all; at 4 MiB it is. */
static void
test_hostile_size(void **state)
{
	struct config	*cf;
	char		*yaml, *diag = (char *)1;
	size_t		 pad = 4 * 1024 * 1024 - strlen(BASE "#\n");

	yaml = repeat(BASE "#", "x", pad, "\n");
	assert_int_equal(strlen(yaml), 4 * 1024 * 1024);
	diag = load_text(yaml, 0, &cf);
	assert_non_null(cf);
	assert_null(diag);
	config_free(cf);
	free(yaml);

	yaml = repeat(BASE "#", "x", pad + 1, "\n");
	expect_error(yaml, "12:4194121: error: the file is longer than "
	    "4194304 bytes (4 MiB), the most a rules file may have; it was "
	    "not parsed");
	free(yaml);
}

/* What would take regcomp() seconds, gigabytes or the stack. */
static void
test_hostile_regex(void **state)
{
	char	*deep, *yaml, want[512];

	expect_error(BASE "routes:\n"
	    "  - {when: {subject: {regex: \"((a{1,100}){1,100}){1,100}\"}}, "
	    "team: a}\n",
	    "13:30: error: bad regular expression '((a{1,100}){1,100}){1,100}' "
	    "for 'subject': repetitions nested inside each other make 10000 "
	    "copies at character 12 (at most 1000)");
	expect_error(BASE "routes:\n"
	    "  - {when: {subject: {regex: \"x{1,1000}\"}}, team: a}\n",
	    "13:30: error: bad regular expression 'x{1,1000}' for 'subject': "
	    "count '{1,1000}' at character 2 is over 255");
	expect_error(BASE "routes:\n"
	    "  - {when: {subject: {regex: \"(a*)*\\\\1\"}}, team: a}\n",
	    "13:30: error: bad regular expression '(a*)*\\1' for 'subject': "
	    "back-reference '\\1' at character 6 (not part of POSIX extended "
	    "regular expressions, and it can take exponential time)");
	expect_error(BASE "routes:\n"
	    "  - {when: {subject: {regex: \"^(a|b?){0,250}\"}}, team: a}\n",
	    "13:30: error: bad regular expression '^(a|b?){0,250}' for "
	    "'subject': it has more than 64 optional parts (?, *, {0,n} and "
	    "the like), repetitions counted");

	/* 100,000 nested groups overflow glibc's stack; the echo is cut. */
	deep = repeat("", "(", 100000, "a");
	yaml = repeat(BASE "routes:\n  - {when: {subject: {regex: \"", "", 0,
	    deep);
	free(deep);
	deep = repeat(yaml, ")", 100000, "\"}}, team: a}\n");
	snprintf(want, sizeof want, "13:30: error: bad regular expression "
	    "'%.200s...' for 'subject': groups nested more than 64 deep at "
	    "character 65", deep + strlen(BASE "routes:\n  - {when: {subject: "
	    "{regex: \""));
	expect_error(deep, want);
	free(deep);
	free(yaml);

	/* Each is within bounds; together they would take long to compile. */
	yaml = repeat(BASE "routes:\n", "  - {when: {s: {regex: \"x{0,250}"
	    "y{0,250}z{0,250}w{0,250}v{0,250}u{0,250}t{0,250}s{0,249}\"}}, "
	    "team: a}\n", 12, "");
	expect_error(yaml, "17:24: error: too many or too large regular "
	    "expressions in the file (they would take more than 200 ms to "
	    "compile, by an estimate)");
	free(yaml);
}

/* Numbers in the file are decimal: hex, inf and nan are refused. */
static void
test_hostile_numbers(void **state)
{
	struct config	*cf;
	char		*diag;
	const char	*want[] = {
		"13:32: error: expected a decimal number for 'gte' of "
		    "'order_value', found '0x10'",
		"14:31: error: expected a decimal number for 'gt' of "
		    "'order_value', found '0x1p17'",
		"15:31: error: expected a decimal number for 'lt' of "
		    "'order_value', found 'inf'",
		"16:32: error: expected a decimal number for 'lte' of "
		    "'order_value', found '.inf'",
		"17:32: error: expected a decimal number for 'gte' of "
		    "'order_value', found 'nan'",
		"18:31: error: expected a decimal number for 'gt' of "
		    "'order_value', found '1e999'",
		"19:32: error: expected a decimal number for 'gte' of "
		    "'order_value', found '-0x186A0'",
		"20:31: error: expected a decimal number for 'lt' of "
		    "'order_value', found '1_000'",
	};

	diag = load_text(BASE "routes:\n"
	    "  - {when: {order_value: {gte: 0x10}}, team: a}\n"
	    "  - {when: {order_value: {gt: 0x1p17}}, team: a}\n"
	    "  - {when: {order_value: {lt: inf}}, team: a}\n"
	    "  - {when: {order_value: {lte: .inf}}, team: a}\n"
	    "  - {when: {order_value: {gte: nan}}, team: a}\n"
	    "  - {when: {order_value: {gt: 1e999}}, team: a}\n"
	    "  - {when: {order_value: {gte: -0x186A0}}, team: a}\n"
	    "  - {when: {order_value: {lt: 1_000}}, team: a}\n"
	    "  - {when: {order_value: {gte: -2.5e3, lt: +100000.}}, team: a}\n",
	    0, &cf);
	assert_null(cf);
	assert_non_null(diag);
	expect_lines(diag, tmp_path, want, sizeof want / sizeof want[0]);
	free(diag);
}

/* Lists the loader checks item by item against the earlier ones. */
static void
test_hostile_lists(void **state)
{
	struct config	*cf;
	char		*yaml, *diag;

	yaml = repeat(BASE "routes:\n", "  - {team: a}\n", 5001, "");
	expect_error(yaml, "13:3: error: routes has 5001 entries (at most "
	    "5000)");
	free(yaml);
	yaml = repeat(BASE "routes:\n  - team: a\n    when: {f0: x", ", f0: x",
	    512, "}\n");
	expect_error(yaml, "14:11: error: condition has 513 entries (at most "
	    "512)");
	free(yaml);
	expect_error(BASE "sla: [{when: {team: [a, b, a]}}]\n",
	    "12:21: error: 3 values, more than there are teams (2)");

	/* 5,000 routes load; --check says it did not analyse them. */
	yaml = repeat(BASE "routes:\n", "  - {when: {x: y}, team: a}\n", 5000,
	    "");
	diag = load_text(yaml, CONFIG_WARN, &cf);
	assert_non_null(cf);
	assert_non_null(diag);
	assert_non_null(strstr(diag, ": warning: 5000 routes are too many to "
	    "look for rules that can never match; not looked for\n"));
	config_free(cf);
	free(diag);
	free(yaml);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_loads_clean),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_reload_report),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_error_unknown_key),
		cmocka_unit_test(test_cluster_settings),
		cmocka_unit_test(test_error_cluster),
		cmocka_unit_test(test_error_undefined_team),
		cmocka_unit_test(test_error_bad_duration),
		cmocka_unit_test(test_error_bad_regex),
		cmocka_unit_test(test_contacts),
		cmocka_unit_test(test_error_unknown_timezone),
		cmocka_unit_test(test_error_fact_not_decided),
		cmocka_unit_test(test_error_references),
		cmocka_unit_test(test_error_values),
		cmocka_unit_test(test_error_thresholds),
		cmocka_unit_test(test_error_missing_sections),
		cmocka_unit_test(test_error_yaml_syntax),
		cmocka_unit_test(test_error_tab),
		cmocka_unit_test(test_error_order),
		cmocka_unit_test(test_error_many_together),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_warnings_sound),
		cmocka_unit_test(test_calendars),
		cmocka_unit_test(test_error_calendars),
		cmocka_unit_test(test_hostile_nesting),
		cmocka_unit_test(test_hostile_aliases),
		cmocka_unit_test(test_condition_budget),
		cmocka_unit_test(test_hostile_size),
		cmocka_unit_test(test_hostile_regex),
		cmocka_unit_test(test_hostile_numbers),
		cmocka_unit_test(test_hostile_lists),
		cmocka_unit_test(test_alias_cycle),
		cmocka_unit_test(test_listen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
