/*
 * deadline.h - SLA clock arithmetic on top of a calendar (pure).
 *
 * A clock is a business-time budget (the policy's `within`) that runs from
 * an instant, can be paused and run again.  What the daemon keeps of it is
 * how much business time it had spent when it last started running
 * (`spent`) and since when it runs (`from`); every deadline and every
 * escalation instant follows from those two and the calendar.
 *
 * The durable schedule in P+sla holds one member per running clock, its
 * next escalation step:
 *
 *   TICKET|METRIC|STEP|GEN|POLICY      score = the instant it fires (ms)
 *
 * Ticket IDs never hold '|' (contract §1.1); the policy name comes last so
 * that it may.  GEN is the clock's generation, bumped whenever the
 * schedule is rebuilt (resumed, reopened), so a member of an older
 * schedule is recognised and dropped.
 */
#ifndef TRIAGED_DEADLINE_H
#define TRIAGED_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

#include "rules.h"

struct calendar;

/*
 * The largest instant or duration a clock holds: about the year 33658 in
 * ms.  Sums and products of such numbers (and a permille up to 10^6) stay
 * far inside int64_t, so nothing read from a ticket can overflow a clock.
 */
#define DEADLINE_MS_MAX		1000000000000000LL

/*
 * A clock number as a ticket holds it: decimal digits only, at most
 * DEADLINE_MS_MAX.  0 and *out set, or -1 (and *out untouched).
 */
int		 deadline_parse_ms(const char *, int64_t *out);
/* Business time into the target at which a step fires: at% of within. */
int64_t		 deadline_step_ms(int64_t within_ms, int at_permille);
/*
 * The instant point_ms of business time is reached on a clock that had
 * spent spent_ms when it started running at from_ms.  A point already
 * reached (point_ms <= spent_ms) is due at from_ms.
 */
int64_t		 deadline_at(const struct calendar *, int64_t from_ms,
		    int64_t spent_ms, int64_t point_ms);
/* Business time spent by a clock that ran from from_ms to to_ms. */
int64_t		 deadline_spent(const struct calendar *, int64_t from_ms,
		    int64_t to_ms, int64_t spent_ms);

const char	*deadline_metric_name(enum sla_metric);
/* "first_response" / "resolution" -> metric; -1 if neither. */
int		 deadline_metric_find(const char *, size_t len);

struct deadline_member {
	const char	*ticket;
	size_t		 ticket_len;
	int		 metric;	/* enum sla_metric */
	int		 step;
	long		 gen;
	const char	*policy;	/* to the end of the member */
	size_t		 policy_len;
};

/* Format a member into buf; returns its length, or -1 if it did not fit. */
int		 deadline_member_format(char *buf, size_t len,
		    const char *ticket, size_t ticket_len, enum sla_metric,
		    int step, long gen, const char *policy);
/* Split a member; the pointers point into s.  -1 if malformed. */
int		 deadline_member_parse(const char *s, size_t len,
		    struct deadline_member *);

#endif
