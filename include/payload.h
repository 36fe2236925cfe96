/*
 * payload.h - an alert as receivers are sent it (pure).
 *
 * An alert is the fields of one P+alerts entry (§1.5 of the contract), kept
 * by name.  What a receiver is posted is made here, with no I/O and no
 * clock read (the caller passes the times in):
 *
 *   alertmanager    POST URL/api/v2/alerts, a JSON array of one alert:
 *                   labels alertname="TicketEscalation", ticket, team, tier,
 *                   urgency, policy, metric, step, kind, notify, [oncall];
 *                   annotations subject, oncall_name, due, summary;
 *                   startsAt = fired_at, endsAt as the caller says
 *   webhook json    POST URL, one object: the alert's fields, "key",
 *                   "status" (firing | resolved), [resolved_at]
 *   webhook slack   POST URL, {"text": "..."} a person reads
 *
 * Every post carries the header `Idempotency-Key: TICKET:METRIC:STEP`
 * (with ":resolved" appended on a resolution notice, so that a receiver
 * deduplicating on it does not drop the notice).
 */
#ifndef TRIAGED_PAYLOAD_H
#define TRIAGED_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

struct field;
struct receiver;

enum alert_field {
	ALERT_TICKET, ALERT_TEAM, ALERT_TIER, ALERT_URGENCY, ALERT_POLICY,
	ALERT_METRIC, ALERT_STEP, ALERT_KIND, ALERT_NOTIFY, ALERT_DUE,
	ALERT_FIRED_AT, ALERT_RAISED, ALERT_REASSIGNED, ALERT_ONCALL,
	ALERT_ONCALL_NAME, ALERT_SUBJECT, ALERT_NFIELDS
};

/* The field's name in the stream entry: "ticket", "oncall_name", ... */
const char	*alert_field_name(enum alert_field);

struct alert {
	char	*f[ALERT_NFIELDS];	/* malloc'd, NULL when absent */
};

/* The longest key: a ticket ID is at most 128 bytes. */
#define ALERT_KEY_MAX	192

/* The fields of a stream entry; unknown ones are ignored.  -1 if invalid. */
int		 alert_from_fields(struct alert *, const struct field *,
		    size_t nfields, const char **why);
/* The alert as stored JSON (alert_to_json), back again.  -1 if invalid. */
int		 alert_from_json(struct alert *, const char *text,
		    const char **why);
/* The fields as one JSON object, malloc'd. */
char		*alert_to_json(const struct alert *);
void		 alert_clear(struct alert *);		/* frees the fields */
/* A field's value, "" when absent. */
const char	*alert_get(const struct alert *, enum alert_field);
int64_t		 alert_fired_at(const struct alert *);
/* TICKET:METRIC:STEP into buf; -1 if it does not fit. */
int		 alert_key(const struct alert *, char *buf, size_t len);
/* Who the page is for, for logs: the on-call key, else the notify target. */
const char	*alert_who(const struct alert *);

/*
 * Whether the clock an alert on metric watches has stopped, from the
 * ticket's status and first_response_at: first_response stops at
 * responded (first_response_at set) or resolved, resolution at resolved; a
 * pending pause does not stop either.  A ticket that no longer exists
 * (status NULL) was resolved and has expired.
 */
int		 alert_clock_stopped(const char *metric, const char *status,
		    int has_first_response);

/* What an HTTP answer means for a post (status 0: no answer at all). */
enum payload_answer {
	PAYLOAD_ACCEPTED,	/* 2xx */
	PAYLOAD_REFUSED,	/* a 4xx but 408 and 429: asking again won't help */
	PAYLOAD_RETRY,		/* no answer, 5xx, 408, 429, anything else */
};
enum payload_answer payload_answer(long status);
/*
 * When to try again after attempts failed ones, at now, for an alert fired
 * at fired_at with give_up_after_ms: 1 s doubling to 60 s, the last attempt
 * on the give-up time itself.  -1: give up now.
 */
int64_t		 payload_retry_at(int attempts, int64_t now, int64_t fired_at,
		    int64_t give_up_after_ms);
/*
 * An alert read for the first time longer than give_up_after_ms after it
 * fired (the history of P+alerts, when delivery is first turned on) is not
 * posted: nobody should be paged for it now.
 */
int		 payload_expired(int64_t now, int64_t fired_at,
		    int64_t give_up_after_ms);

enum payload_status { PAYLOAD_FIRING, PAYLOAD_RESOLVED };

/* One HTTP request for one receiver; the strings are malloc'd. */
struct payload {
	char	*url;
	char	*body;
	char	*key_header;	/* "Idempotency-Key: ..." */
};

/*
 * The request posting alert to r.  ends_ms: Alertmanager's endsAt (a
 * firing alert's hold, or the moment it was resolved), and a json
 * webhook's resolved_at.  -1 if the alert cannot be encoded.
 */
int		 payload_build(const struct receiver *r, const struct alert *,
		    enum payload_status, int64_t ends_ms, struct payload *);
void		 payload_clear(struct payload *);
/* ms since the epoch as RFC 3339 in UTC with ms, "2026-01-05T01:00:00.000Z". */
int		 payload_rfc3339(int64_t ms, char *buf, size_t len);

#endif
