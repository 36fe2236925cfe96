/*
 * clock.h - the ticket clock (pure): what a ticket's SLA clocks do when it
 * is routed, when a lifecycle event arrives and when an escalation step is
 * due, as plain data for the I/O files to carry out.
 *
 *   route.c   clock_start()  ─┐
 *   events.c  clock_event()  ─┼─> struct clock_writes ──> one script call
 *   sla.c     clock_step()   ──> what the fire script is to do per member
 *
 * Nothing here reads the clock, touches Redis or the event loop, or logs
 * (running out of memory is fatal, as in xmalloc.c): `now` is passed in,
 * and what to write comes back as a list in the vocabulary of the
 * lifecycle apply script (events.c).  Key names stay out too: a queue is
 * named by its team, the caller makes the key.
 */
#ifndef TRIAGED_CLOCK_H
#define TRIAGED_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "field.h"
#include "lifecycle.h"
#include "rules.h"

struct calendar;

/* A created_at plus this is the queue score of a ticket with no deadline. */
#define CLOCK_NO_DUE_MS		(365LL * 24 * 3600 * 1000)
/* The longest P+sla member (deadline.h) the clock writes. */
#define CLOCK_MEMBER_MAX	511

/* What decides a clock besides the ticket and now. */
struct clock_rules {
	const struct rules	*rules;
	const struct calendar	*always;	/* for a policy gone from rules */
	int64_t			 retention_ms;	/* tickets.retention */
};

/*
 * One write, with its arguments as the apply script takes them, except
 * that a queue is named by its team (the caller makes its key):
 *
 *   H field value     X field           set / delete a ticket field
 *   S+ score member   S- member         schedule / unschedule a step
 *   Q+ team score id  Q- team id        add to / remove from a queue
 *   QM from to id                       move between queues, if queued
 *   E ms              P                 expire / persist the ticket
 */
enum clock_op {
	CLOCK_SET, CLOCK_DEL, CLOCK_SCHEDULE, CLOCK_UNSCHEDULE,
	CLOCK_QUEUE_ADD, CLOCK_QUEUE_DEL, CLOCK_QUEUE_MOVE,
	CLOCK_EXPIRE, CLOCK_PERSIST
};

#define CLOCK_ARGS_MAX	3

struct clock_write {
	enum clock_op	 op;
	int		 nargs;
	/* NUL-terminated, in the list's own storage. */
	const char	*arg[CLOCK_ARGS_MAX];
	size_t		 len[CLOCK_ARGS_MAX];
	size_t		 off[CLOCK_ARGS_MAX];	/* internal */
};

/*
 * A list of writes.  All zeroes is an empty list; the list owns its
 * storage, which the clock functions reuse from call to call: the
 * arguments stay valid until the next call on the list or
 * clock_writes_free().
 */
struct clock_writes {
	struct clock_write	*w;
	size_t			 n, cap;
	char			*text;
	size_t			 textlen, textcap;
	/* Clocks the writes stop, for the metrics: met is 1 or 0. */
	struct {
		int		 stopped;
		int		 met;
	}			 stop[SLA_NMETRICS];
};

void		 clock_writes_clear(struct clock_writes *);
void		 clock_writes_free(struct clock_writes *);	/* storage */
/* "H", "S+", ...: the operation as the apply script names it. */
const char	*clock_op_name(enum clock_op);

/*
 * A newly routed ticket's clocks, all from created_at with nothing spent:
 * H METRIC_due and METRIC_target for each metric with a target, Q+ with
 * the queue score (the first-response deadline, or created_at plus
 * CLOCK_NO_DUE_MS), and S+ for each clock's first escalation step,
 * generation 0: a clock has one step scheduled at a time, and firing it
 * schedules the next (clock_step()).
 * -1 if a step's member would be longer than CLOCK_MEMBER_MAX.
 */
int		 clock_start(const struct rules *, const struct verdict *,
		    const char *id, size_t id_len, int64_t created_at,
		    struct clock_writes *);

/* The clock numbers a ticket holds: the eight fields below. */
#define CLOCK_TICKET_NUMS	8

/*
 * A ticket's clock state, as its fields hold it.  Strings point into the
 * fields given to clock_ticket_parse() (not NUL-terminated; NULL: the field
 * is absent), and stay valid while they do.  Numbers are -1 when absent.
 */
struct clock_ticket {
	const char	*status, *team, *policy, *status_before;
	size_t		 status_len, team_len, policy_len, status_before_len;
	int		 responded;	/* first_response_at is set */
	int		 paused;	/* paused_at is set */
	int64_t		 created_at;
	int64_t		 first_response_due;
	int64_t		 resolution_from;	/* the clock last started */
	int64_t		 resolution_spent;	/* business ms by then */
	int64_t		 target[SLA_NMETRICS];	/* METRIC_target */
	int64_t		 gen[SLA_NMETRICS];	/* METRIC_gen */
	const struct field *fields;		/* for fired:METRIC:STEP */
	size_t		 nfields;
	/*
	 * Clock numbers that are not one (corrupt, or beyond
	 * DEADLINE_MS_MAX), taken as absent; for the caller to warn of.
	 */
	struct field	 corrupt[CLOCK_TICKET_NUMS];
	size_t		 ncorrupt;
};

void		 clock_ticket_parse(struct clock_ticket *,
		    const struct field *, size_t nfields);
/* Whether step `step` of metric m has fired on the ticket. */
int		 clock_ticket_fired(const struct clock_ticket *,
		    enum sla_metric m, size_t step);

/*
 * What lifecycle event ev (its ticket ID and, if reassigned, its team)
 * does to ticket t at now, appended to w after clearing it.  Returns 1, or
 * 0 if the event changes nothing (responded twice, resumed while running,
 * reopened while open, ...), w then empty.
 */
int		 clock_event(const struct clock_rules *,
		    const struct clock_ticket *t,
		    const struct lifecycle_event *ev, int64_t now,
		    struct clock_writes *w);

/* The longest comma list of urgency levels clock_step() keeps. */
#define CLOCK_LOWERS_MAX	512

/*
 * What firing a due P+sla member is to do.  The fire script checks that
 * the clock still runs, and raises only a ticket whose urgency is one of
 * `lowers`: both are read atomically with the write.
 */
struct clock_step {
	/* The member, split; its pointers point into it. */
	const char	*ticket;
	size_t		 ticket_len;
	enum sla_metric	 metric;
	int		 step;
	long		 gen;
	const char	*policy;
	size_t		 policy_len;
	/* NULL: the policy or the step is gone from the rules: drop it. */
	const char	*kind;		/* "warning" below 100 %, "breach" */
	const char	*notify;	/* "" if none */
	const char	*raise;		/* urgency level, "" if none */
	char		 lowers[CLOCK_LOWERS_MAX];	/* below raise, "a,b" */
	const char	*reassign;	/* team, "" if none */
	/*
	 * The clock's next step, for the fire script to schedule if the
	 * clock still runs: its member ("" if this step is the last) and
	 * when it fires.
	 */
	char		 next[CLOCK_MEMBER_MAX + 1];
	size_t		 next_len;
	int64_t		 next_at;
};

/*
 * Decide for one member, due at `at` (its score).  The next step is
 * reached from there: the clock had spent exactly this step's share of its
 * target at `at` (a pause or a rebuild makes a new generation, and drops
 * this member), so it fires once the clock spends the difference.
 * -1 if it is not a member (deadline.h).
 */
int		 clock_step(const struct rules *, const char *member,
		    size_t len, int64_t at, struct clock_step *);

/* Index of the policy called name in rules, or -1. */
int		 clock_policy_find(const struct rules *, const char *name,
		    size_t len);

#endif
