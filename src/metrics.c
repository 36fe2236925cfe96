/*
 * metrics.c - counters, labeled series, the latency histogram, and their
 * Prometheus text exposition.
 *
 * The daemon is single-threaded, so none of this needs atomics.  Labeled
 * series are few (teams x tiers x urgencies, rejection reasons), so a small
 * chained hash keyed by "metric{labels}" is plenty.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "deadline.h"
#include "log.h"
#include "metrics.h"
#include "request.h"
#include "rules.h"

static const struct {
	const char	*name;
	const char	*help;
} counter_info[METRIC_COUNT] = {
#define X(id, n, h) [METRIC_##id] = { n, h },
	METRICS_COUNTERS(X)
#undef X
};

static uint64_t	counters[METRIC_COUNT];

struct series {
	struct series	*next;
	const char	*metric;	/* static string */
	char		*labels;	/* `team="a",tier="b"` */
	int64_t		 value;
};

#define SERIES_BUCKETS	256
static struct series	*series_table[SERIES_BUCKETS];

/* Latency buckets in ms; the last is +Inf. */
static const int64_t	latency_bounds[] = {
	1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
	60000
};
#define NLATENCY (sizeof latency_bounds / sizeof latency_bounds[0])
static uint64_t		latency_counts[NLATENCY + 1];
static uint64_t		latency_n;
static int64_t		latency_sum;

/*
 * Delivery latency buckets in ms: a page is usually accepted within a
 * second, but one retried through a receiver's outage takes minutes.
 */
static const int64_t	delivery_bounds[] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000,
	300000, 900000, 3600000
};
#define NDELIVERY (sizeof delivery_bounds / sizeof delivery_bounds[0])
static uint64_t		delivery_counts[NDELIVERY + 1];
static uint64_t		delivery_n;
static int64_t		delivery_sum;

/* The labeled series, by name; SERIES_* index this table. */
enum {
	SERIES_ROUTED, SERIES_REJECTED, SERIES_EVENTS_REJECTED, SERIES_ALERTS,
	SERIES_SLA_MET, SERIES_SLA_BREACHED, SERIES_QUEUE_DEPTH,
	SERIES_STREAM_LAG, SERIES_STREAM_PENDING, SERIES_BUILD_INFO,
	SERIES_ORPHANED, SERIES_OPEN_CLOCKS, SERIES_RELOAD_OK,
	SERIES_RELOAD_TIME, SERIES_REDIS_CONNECTED, SERIES_HEALTHY,
	SERIES_IN_FLIGHT, SERIES_RULES_INFO, SERIES_DELIVERIES,
	SERIES_UNDELIVERED, SERIES_FIRING, SERIES_COUNT
};

static const char *series_help[SERIES_COUNT][2] = {
	[SERIES_ROUTED] = { "triaged_requests_routed_total",
	    "Requests routed into a team queue." },
	[SERIES_REJECTED] = { "triaged_requests_rejected_total",
	    "Requests moved to the dead-letter stream, by reason." },
	[SERIES_EVENTS_REJECTED] = { "triaged_events_rejected_total",
	    "Lifecycle events moved to the dead-letter stream, by reason." },
	[SERIES_ALERTS] = { "triaged_alerts_fired_total",
	    "Escalation alerts fired, by kind." },
	[SERIES_SLA_MET] = { "triaged_sla_met_total",
	    "Clocks stopped within their target (first response at responded, "
	    "resolution at resolved), by metric, team and policy." },
	[SERIES_SLA_BREACHED] = { "triaged_sla_breached_total",
	    "Clocks stopped past their target, by metric, team and policy." },
	[SERIES_QUEUE_DEPTH] = { "triaged_queue_depth",
	    "Tickets waiting in each team's queue." },
	[SERIES_STREAM_LAG] = { "triaged_stream_lag",
	    "Entries in the stream not yet delivered to the consumer group." },
	[SERIES_STREAM_PENDING] = { "triaged_stream_pending",
	    "Entries delivered to the consumer group and not yet acknowledged." },
	[SERIES_BUILD_INFO] = { "triaged_build_info",
	    "The running build: 1, with its version as a label." },
	[SERIES_ORPHANED] = { "triaged_queue_orphaned_tickets",
	    "Tickets in queues of teams the rules in force do not name." },
	[SERIES_OPEN_CLOCKS] = { "triaged_open_clocks",
	    "Running SLA clocks in the schedule (one member each: its next "
	    "escalation step)." },
	[SERIES_RELOAD_OK] = { "triaged_config_last_reload_successful",
	    "Whether the last reload of the rules took effect (1) or was "
	    "refused (0)." },
	[SERIES_RELOAD_TIME] = {
	    "triaged_config_last_reload_success_timestamp_seconds",
	    "When the rules in force were loaded." },
	[SERIES_REDIS_CONNECTED] = { "triaged_redis_connected",
	    "1 when the Redis connection is ready." },
	[SERIES_HEALTHY] = { "triaged_healthy", "1 when /healthz answers 200." },
	[SERIES_IN_FLIGHT] = { "triaged_batches_in_flight",
	    "Batches read and not yet settled." },
	[SERIES_RULES_INFO] = { "triaged_rules_info",
	    "The rules in force (value 1; the version is the label)." },
	[SERIES_DELIVERIES] = { "triaged_deliveries_total",
	    "Alert deliveries to receivers, by receiver and outcome "
	    "(delivered, retried, gave_up, rejected, resolved, expired)." },
	[SERIES_UNDELIVERED] = { "triaged_alerts_undelivered",
	    "Alerts not yet delivered to every receiver: read and pending in "
	    "the deliver group, or not read yet." },
	[SERIES_FIRING] = { "triaged_alerts_firing",
	    "Alerts delivered and firing at receivers that are told of "
	    "resolution, until their clock stops." },
};

void
metrics_inc(enum metric m)
{
	counters[m]++;
}

void
metrics_add(enum metric m, uint64_t n)
{
	counters[m] += n;
}

uint64_t
metrics_get(enum metric m)
{
	return counters[m];
}

static uint32_t
hash_str(const char *a, const char *b)
{
	uint32_t	h = 2166136261u;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 16777619u;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 16777619u;
	return h;
}

static struct series *
series_get(const char *metric, const char *labels)
{
	uint32_t	 h = hash_str(metric, labels) % SERIES_BUCKETS;
	struct series	*s;

	for (s = series_table[h]; s != NULL; s = s->next)
		if (s->metric == metric && strcmp(s->labels, labels) == 0)
			return s;
	if ((s = calloc(1, sizeof *s)) == NULL ||
	    (s->labels = strdup(labels)) == NULL)
		fatal("metrics series");
	s->metric = metric;
	s->next = series_table[h];
	series_table[h] = s;
	return s;
}

/* The sum of a labeled series over its labels. */
static uint64_t
series_sum(const char *metric)
{
	uint64_t	sum = 0;

	for (int b = 0; b < SERIES_BUCKETS; b++)
		for (struct series *s = series_table[b]; s != NULL; s = s->next)
			if (s->metric == metric)
				sum += (uint64_t)s->value;
	return sum;
}

uint64_t
metrics_routed_total(void)
{
	return series_sum(series_help[SERIES_ROUTED][0]);
}

uint64_t
metrics_rejected_total(void)
{
	return series_sum(series_help[SERIES_REJECTED][0]);
}

/*
 * Every routed request counts in one series: formatting its labels each
 * time was a tenth of the daemon's CPU.  The series for a triple of names
 * is remembered, found by the names' addresses (which the rules in force
 * keep) and checked by their text (a reload may reuse an address).
 */
#define ROUTED_CACHE	64
#define ROUTED_NAME	48
struct routed_entry {
	const char	*team, *tier, *urgency;
	char		 text[3][ROUTED_NAME];
	struct series	*s;
};
static struct routed_entry	routed_cache[ROUTED_CACHE];

static int
routed_name_fits(const char *a, const char *b, const char *c)
{
	return strlen(a) < ROUTED_NAME && strlen(b) < ROUTED_NAME &&
	    strlen(c) < ROUTED_NAME;
}

void
metrics_routed(const char *team, const char *tier, const char *urgency)
{
	struct routed_entry	*e;
	uintptr_t		 h;
	char			 labels[256];

	h = ((uintptr_t)team * 31 + (uintptr_t)tier) * 31 +
	    (uintptr_t)urgency;
	e = &routed_cache[(h >> 4) % ROUTED_CACHE];
	if (e->s != NULL && e->team == team && e->tier == tier &&
	    e->urgency == urgency && strcmp(e->text[0], team) == 0 &&
	    strcmp(e->text[1], tier) == 0 && strcmp(e->text[2], urgency) == 0) {
		e->s->value++;
		return;
	}
	snprintf(labels, sizeof labels, "team=\"%s\",tier=\"%s\",urgency=\"%s\"",
	    team, tier, urgency);
	e->s = series_get(series_help[SERIES_ROUTED][0], labels);
	e->s->value++;
	if (!routed_name_fits(team, tier, urgency)) {
		e->s = NULL;
		return;
	}
	e->team = team;
	e->tier = tier;
	e->urgency = urgency;
	memcpy(e->text[0], team, strlen(team) + 1);
	memcpy(e->text[1], tier, strlen(tier) + 1);
	memcpy(e->text[2], urgency, strlen(urgency) + 1);
}

void
metrics_rejected(const char *reason)
{
	char	labels[128];

	snprintf(labels, sizeof labels, "reason=\"%s\"", reason);
	series_get(series_help[SERIES_REJECTED][0], labels)->value++;
}

void
metrics_event_rejected(const char *reason)
{
	char	labels[128];

	snprintf(labels, sizeof labels, "reason=\"%s\"", reason);
	series_get(series_help[SERIES_EVENTS_REJECTED][0], labels)->value++;
}

static void
sla_labels(char *buf, size_t len, const char *metric, const char *team,
    const char *policy)
{
	snprintf(buf, len, "metric=\"%s\",team=\"%s\",policy=\"%s\"", metric,
	    team, policy);
}

void
metrics_sla_stopped(const char *metric, const char *team, const char *policy,
    int met)
{
	char	labels[256];

	sla_labels(labels, sizeof labels, metric, team, policy);
	series_get(series_help[met ? SERIES_SLA_MET : SERIES_SLA_BREACHED][0],
	    labels)->value++;
}

/* Drop the series of metric with labels, or all of them (labels NULL). */
static void
series_remove(const char *metric, const char *labels)
{
	uint32_t	b = 0, end = SERIES_BUCKETS;

	/* The routed cache points at routed series, and only at those. */
	if (metric == series_help[SERIES_ROUTED][0])
		memset(routed_cache, 0, sizeof routed_cache);
	if (labels != NULL) {
		b = hash_str(metric, labels) % SERIES_BUCKETS;
		end = b + 1;
	}
	for (; b < end; b++) {
		struct series	**sp = &series_table[b], *s;

		while ((s = *sp) != NULL) {
			if (s->metric == metric && (labels == NULL ||
			    strcmp(s->labels, labels) == 0)) {
				*sp = s->next;
				free(s->labels);
				free(s);
			} else
				sp = &s->next;
		}
	}
}

void
metrics_set_stream(const char *stream, int64_t lag, int64_t pending)
{
	char	labels[128];

	snprintf(labels, sizeof labels, "stream=\"%s\"", stream);
	/* Unknown (entries deleted unread): no value, rather than a stale one. */
	if (lag >= 0)
		series_get(series_help[SERIES_STREAM_LAG][0], labels)->value =
		    lag;
	else
		series_remove(series_help[SERIES_STREAM_LAG][0], labels);
	series_get(series_help[SERIES_STREAM_PENDING][0], labels)->value =
	    pending;
}

/*
 * Every series the rules can produce, at zero: a counter that exists from
 * the start gives rate() and alerts a baseline, instead of appearing at its
 * first increment.  Called at start and after a reload.
 */
void
metrics_declare(const struct rules *rules)
{
	static const char	*event_reasons[] = {
		"malformed", "too_many_deliveries", "missing_field", "bad_id",
		"unknown_event", "unknown_team", "unknown_ticket",
	};
	char			 labels[256];

	snprintf(labels, sizeof labels, "version=\"%s\"", TRIAGED_VERSION);
	series_get(series_help[SERIES_BUILD_INFO][0], labels)->value = 1;
	for (int r = 1; r < REQUEST_NREASONS; r++) {
		snprintf(labels, sizeof labels, "reason=\"%s\"",
		    request_reason_name(r));
		series_get(series_help[SERIES_REJECTED][0], labels);
	}
	for (size_t i = 0; i < sizeof event_reasons / sizeof *event_reasons;
	    i++) {
		snprintf(labels, sizeof labels, "reason=\"%s\"",
		    event_reasons[i]);
		series_get(series_help[SERIES_EVENTS_REJECTED][0], labels);
	}
	series_get(series_help[SERIES_ALERTS][0], "kind=\"warning\"");
	series_get(series_help[SERIES_ALERTS][0], "kind=\"breach\"");
	for (size_t t = 0; t < rules_team_count(rules); t++) {
		const char	*team = rules_team_name(rules, (int)t);

		for (size_t k = 0; k < rules_tier_count(rules); k++)
			for (size_t u = 0; u < rules_urgency_count(rules); u++) {
				snprintf(labels, sizeof labels, "team=\"%s\","
				    "tier=\"%s\",urgency=\"%s\"", team,
				    rules_tier_name(rules, (int)k),
				    rules_urgency_name(rules, (int)u));
				series_get(series_help[SERIES_ROUTED][0],
				    labels);
			}
		for (size_t p = 0; p < rules_policy_count(rules); p++)
			for (int m = 0; m < SLA_NMETRICS; m++) {
				const struct sla_target	*tg =
				    rules_policy_target(rules, (int)p, m);

				if (tg == NULL || tg->within_ms <= 0)
					continue;
				sla_labels(labels, sizeof labels,
				    deadline_metric_name(m), team,
				    rules_policy_name(rules, (int)p));
				series_get(series_help[SERIES_SLA_MET][0],
				    labels);
				series_get(series_help[SERIES_SLA_BREACHED][0],
				    labels);
			}
	}
}

void
metrics_alert(const char *kind)
{
	char	labels[64];

	snprintf(labels, sizeof labels, "kind=\"%s\"", kind);
	series_get(series_help[SERIES_ALERTS][0], labels)->value++;
}

void
metrics_delivery(const char *receiver, const char *outcome)
{
	char	labels[192];

	snprintf(labels, sizeof labels, "receiver=\"%s\",outcome=\"%s\"",
	    receiver, outcome);
	series_get(series_help[SERIES_DELIVERIES][0], labels)->value++;
}

void
metrics_declare_receiver(const char *receiver)
{
	static const char	*outcomes[] = { "delivered", "retried",
	    "gave_up", "rejected", "resolved", "expired" };
	char			 labels[192];

	for (size_t i = 0; i < sizeof outcomes / sizeof *outcomes; i++) {
		snprintf(labels, sizeof labels, "receiver=\"%s\","
		    "outcome=\"%s\"", receiver, outcomes[i]);
		series_get(series_help[SERIES_DELIVERIES][0], labels);
	}
}

void
metrics_set_undelivered(int64_t n)
{
	series_get(series_help[SERIES_UNDELIVERED][0], "")->value = n;
}

void
metrics_set_firing(int64_t n)
{
	series_get(series_help[SERIES_FIRING][0], "")->value = n;
}

void
metrics_delivery_latency(int64_t ms)
{
	size_t	i;

	if (ms < 0)
		ms = 0;
	for (i = 0; i < NDELIVERY && ms > delivery_bounds[i]; i++)
		;
	delivery_counts[i]++;
	delivery_n++;
	delivery_sum += ms;
}

void
metrics_set_queue_depth(const char *team, int64_t depth)
{
	char	labels[128];

	snprintf(labels, sizeof labels, "team=\"%s\"", team);
	series_get(series_help[SERIES_QUEUE_DEPTH][0], labels)->value = depth;
}

void
metrics_queue_depth_reset(void)
{
	series_remove(series_help[SERIES_QUEUE_DEPTH][0], NULL);
}

void
metrics_set_orphaned(const char *team, int64_t n)
{
	char	labels[256];

	size_t	o;

	/* The name comes from a key in Redis: escape it as a label value. */
	o = (size_t)snprintf(labels, sizeof labels, "team=\"");
	for (; *team != '\0' && o + 4 < sizeof labels; team++) {
		if (*team == '"' || *team == '\\')
			labels[o++] = '\\';
		labels[o++] = *team == '\n' ? ' ' : *team;
	}
	labels[o++] = '"';
	labels[o] = '\0';
	series_get(series_help[SERIES_ORPHANED][0], labels)->value = n;
}

void
metrics_orphaned_reset(void)
{
	series_remove(series_help[SERIES_ORPHANED][0], NULL);
}

void
metrics_set_reload(int ok, int64_t success_unix_s)
{
	series_get(series_help[SERIES_RELOAD_OK][0], "")->value = ok;
	if (ok)
		series_get(series_help[SERIES_RELOAD_TIME][0], "")->value =
		    success_unix_s;
}

void
metrics_set_open_clocks(int64_t n)
{
	series_get(series_help[SERIES_OPEN_CLOCKS][0], "")->value = n;
}

void
metrics_set_daemon(int healthy, int reader_up, int writer_up, int alerts_up,
    size_t in_flight, const char *rules_version)
{
	char	labels[64];

	series_get(series_help[SERIES_HEALTHY][0], "")->value = healthy;
	series_get(series_help[SERIES_REDIS_CONNECTED][0],
	    "connection=\"reader\"")->value = reader_up;
	series_get(series_help[SERIES_REDIS_CONNECTED][0],
	    "connection=\"writer\"")->value = writer_up;
	series_get(series_help[SERIES_REDIS_CONNECTED][0],
	    "connection=\"alerts\"")->value = alerts_up;
	series_get(series_help[SERIES_IN_FLIGHT][0], "")->value =
	    (int64_t)in_flight;
	/* One series: the version in force, not every version ever loaded. */
	series_remove(series_help[SERIES_RULES_INFO][0], NULL);
	snprintf(labels, sizeof labels, "version=\"%s\"", rules_version);
	series_get(series_help[SERIES_RULES_INFO][0], labels)->value = 1;
}

void
metrics_latency(int64_t ms)
{
	size_t	i;

	if (ms < 0)
		ms = 0;
	for (i = 0; i < NLATENCY && ms > latency_bounds[i]; i++)
		;
	latency_counts[i]++;
	latency_n++;
	latency_sum += ms;
}

void
metrics_render(struct evbuffer *buf)
{
	uint64_t	cum = 0;

	for (int m = 0; m < METRIC_COUNT; m++)
		evbuffer_add_printf(buf, "# HELP %s %s\n# TYPE %s counter\n"
		    "%s %llu\n", counter_info[m].name, counter_info[m].help,
		    counter_info[m].name, counter_info[m].name,
		    (unsigned long long)counters[m]);

	for (size_t k = 0; k < sizeof series_help / sizeof series_help[0];
	    k++) {
		const char	*metric = series_help[k][0];
		int		 gauge = strstr(metric, "_total") == NULL;

		evbuffer_add_printf(buf, "# HELP %s %s\n# TYPE %s %s\n", metric,
		    series_help[k][1], metric, gauge ? "gauge" : "counter");
		for (int b = 0; b < SERIES_BUCKETS; b++)
			for (struct series *s = series_table[b]; s != NULL;
			    s = s->next)
				if (s->metric == metric && *s->labels)
					evbuffer_add_printf(buf, "%s{%s} %lld\n",
					    metric, s->labels,
					    (long long)s->value);
				else if (s->metric == metric)
					evbuffer_add_printf(buf, "%s %lld\n",
					    metric, (long long)s->value);
	}

	evbuffer_add_printf(buf, "# HELP triaged_routing_latency_seconds "
	    "From the request's stream entry ID time to its ticket written.\n"
	    "# TYPE triaged_routing_latency_seconds histogram\n");
	for (size_t i = 0; i < NLATENCY; i++) {
		cum += latency_counts[i];
		evbuffer_add_printf(buf, "triaged_routing_latency_seconds_bucket"
		    "{le=\"%g\"} %llu\n", latency_bounds[i] / 1000.0,
		    (unsigned long long)cum);
	}
	cum += latency_counts[NLATENCY];
	evbuffer_add_printf(buf, "triaged_routing_latency_seconds_bucket"
	    "{le=\"+Inf\"} %llu\ntriaged_routing_latency_seconds_sum %.3f\n"
	    "triaged_routing_latency_seconds_count %llu\n",
	    (unsigned long long)cum, latency_sum / 1000.0,
	    (unsigned long long)latency_n);

	cum = 0;
	evbuffer_add_printf(buf, "# HELP triaged_delivery_latency_seconds "
	    "From an alert's fired_at to a receiver accepting it (2xx).\n"
	    "# TYPE triaged_delivery_latency_seconds histogram\n");
	for (size_t i = 0; i < NDELIVERY; i++) {
		cum += delivery_counts[i];
		evbuffer_add_printf(buf, "triaged_delivery_latency_seconds_bucket"
		    "{le=\"%g\"} %llu\n", delivery_bounds[i] / 1000.0,
		    (unsigned long long)cum);
	}
	cum += delivery_counts[NDELIVERY];
	evbuffer_add_printf(buf, "triaged_delivery_latency_seconds_bucket"
	    "{le=\"+Inf\"} %llu\ntriaged_delivery_latency_seconds_sum %.3f\n"
	    "triaged_delivery_latency_seconds_count %llu\n",
	    (unsigned long long)cum, delivery_sum / 1000.0,
	    (unsigned long long)delivery_n);
}

void
metrics_free(void)
{
	memset(routed_cache, 0, sizeof routed_cache);
	for (int b = 0; b < SERIES_BUCKETS; b++) {
		struct series	*s = series_table[b], *next;

		for (; s != NULL; s = next) {
			next = s->next;
			free(s->labels);
			free(s);
		}
		series_table[b] = NULL;
	}
}
