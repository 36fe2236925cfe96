/*
 * metrics.h - the daemon's counters, written once.
 *
 * METRICS_COUNTERS is the one list of plain counters: it generates the
 * enum, the storage and the /metrics text.  Counters with labels that come
 * from the rules (team, tier, urgency) live in a small table keyed by name,
 * so a reload that renames a team starts new series instead of mixing them.
 */
#ifndef TRIAGED_METRICS_H
#define TRIAGED_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct rules;

/* name, help */
#define METRICS_COUNTERS(X)						\
	X(DUPLICATES, "triaged_requests_duplicate_total",		\
	    "Requests whose ticket already existed (acknowledged, not routed again).") \
	X(CLAIMED, "triaged_entries_claimed_total",			\
	    "Pending entries taken over after a crash or from an idle consumer.") \
	X(TRIMMED, "triaged_entries_trimmed_total",			\
	    "Pending entries trimmed from the stream before they were routed.") \
	X(REDIS_ERRORS, "triaged_redis_errors_total",			\
	    "Error replies from Redis.")				\
	X(REDIS_REDIRECTS, "triaged_redis_redirects_total",		\
	    "Commands Redis Cluster redirected (MOVED, ASK, TRYAGAIN, CLUSTERDOWN): not run, sent again once the slot's node answers.") \
	X(RELOADS_OK, "triaged_reloads_ok_total",			\
	    "Rules reloads that took effect.")				\
	X(RELOADS_FAILED, "triaged_reloads_failed_total",		\
	    "Rules reloads refused because the file was invalid.")	\
	X(BATCHES, "triaged_batches_total",				\
	    "Batches written to Redis.")					\
	X(BOARD_REFRESHES, "triaged_board_refreshes_total",		\
	    "Wallboard states read from Redis (one call each, at most one a second).") \
	X(BOARD_REFRESH_MS, "triaged_board_refresh_milliseconds_total",	\
	    "Time from sending a wallboard refresh to its state rendered, summed.") \
	X(BOARD_REQUESTS, "triaged_board_requests_total",		\
	    "GET /api/state answered (from the cached state).")	\
	X(CRM_PUSHED, "triaged_crm_pushes_total",			\
	    "Customer records written by POST /api/customers/ID.")	\
	X(CRM_REFUSED, "triaged_crm_pushes_refused_total",		\
	    "Customer pushes refused (no or wrong token, bad body or ID).")

enum metric {
#define X(id, name, help) METRIC_##id,
	METRICS_COUNTERS(X)
#undef X
	METRIC_COUNT
};

void	metrics_inc(enum metric);
void	metrics_add(enum metric, uint64_t);
uint64_t metrics_get(enum metric);

/* Requests routed, and rejected, over every label: for the wallboard. */
uint64_t metrics_routed_total(void);
uint64_t metrics_rejected_total(void);

/* Labeled series. */
void	metrics_routed(const char *team, const char *tier, const char *urgency);
void	metrics_rejected(const char *reason);		/* requests */
void	metrics_event_rejected(const char *reason);	/* lifecycle events */
/* A clock stopped (responded, resolved): within its target or not. */
void	metrics_sla_stopped(const char *metric, const char *team,
	    const char *policy, int met);
/*
 * A stream's consumer-group lag and pending count.  Lag -1 is unknown:
 * its series goes until Redis can tell again.
 */
void	metrics_set_stream(const char *stream, int64_t lag, int64_t pending);
/* Every series the rules can produce, at zero (start and reload). */
void	metrics_declare(const struct rules *);
void	metrics_alert(const char *kind);
/* A delivery to a receiver: delivered, retried, gave_up, rejected, resolved. */
void	metrics_delivery(const char *receiver, const char *outcome);
/* A receiver's series at zero (start and reload). */
void	metrics_declare_receiver(const char *receiver);
/* From an alert's fired_at to a receiver's 2xx. */
void	metrics_delivery_latency(int64_t ms);
/* Alerts not yet delivered everywhere; alerts firing at receivers. */
void	metrics_set_undelivered(int64_t n);
void	metrics_set_firing(int64_t n);
/* Routing latency, from stream entry ID time to ticket written. */
void	metrics_latency(int64_t ms);
/* Gauges refreshed from Redis. */
void	metrics_set_queue_depth(const char *team, int64_t depth);
/* Forget every queue's gauge (a reload may have removed a team). */
void	metrics_queue_depth_reset(void);
void	metrics_set_open_clocks(int64_t n);
/* Tickets in the queue of a team the rules do not name; and forget all. */
void	metrics_set_orphaned(const char *team, int64_t n);
void	metrics_orphaned_reset(void);
/*
 * The last reload: whether it took effect, and when the rules in force were
 * last loaded successfully (start or reload), in Unix seconds.
 */
void	metrics_set_reload(int ok, int64_t success_unix_s);
/*
 * The daemon's own state, set just before a scrape renders it: healthy, and
 * each Redis connection up or not (requests reader, writer, alerts reader).
 */
void	metrics_set_daemon(int healthy, int reader_up, int writer_up,
	    int alerts_up, size_t in_flight, const char *rules_version);

/* Append the Prometheus text exposition to buf. */
void	metrics_render(struct evbuffer *buf);
void	metrics_free(void);

#endif
