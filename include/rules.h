/*
 * rules.h - classification of one request (pure).
 *
 * The compiled rules decide, in the order of the contract (§2.2):
 *
 *   tier -> urgency (score, thresholds, overrides) -> route -> SLA policy
 *
 * Each stage sees the facts decided before it.  Nothing here touches Redis,
 * the event loop or the clock; the rules are immutable once compiled, so one
 * set can be shared by every request of a batch while a reload builds the
 * next one.
 */
#ifndef TRIAGED_RULES_H
#define TRIAGED_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "field.h"

struct rules;
struct calendar;

/* What rules_classify() decided.  Names point into the rules. */
struct verdict {
	int		 tier;		/* index into the tier levels */
	int		 urgency;	/* index into urgency.levels, 0 = highest */
	long		 score;		/* sum of matching score rules' points */
	int		 team;		/* index into teams */
	int		 policy;	/* index into sla, -1 = no policy matched */
	const char	*tier_name;
	const char	*urgency_name;
	const char	*team_name;
	const char	*route_name;	/* "default" when no route matched */
	const char	*policy_name;	/* NULL when policy == -1 */
};

/*
 * Classify one request.  req holds the request's fields, cust the customer's
 * CRM fields (names without the "customer." prefix; may be empty).  Never
 * fails and never allocates.
 */
void		 rules_classify(const struct rules *, const struct field *req,
		    size_t nreq, const struct field *cust, size_t ncust,
		    struct verdict *);

/*
 * Print how the request would be classified and which rule decided each
 * step, with the score breakdown: the text of `triagectl explain`.
 */
void		 rules_explain(const struct rules *, const struct field *req,
		    size_t nreq, const struct field *cust, size_t ncust, FILE *);

/* Teams, in the order of the `teams` list. */
size_t		 rules_team_count(const struct rules *);
const char	*rules_team_name(const struct rules *, int team);
int		 rules_team_find(const struct rules *, const char *name,
		    size_t len);		/* -1 if none */

/* Urgency levels, highest first. */
size_t		 rules_urgency_count(const struct rules *);
const char	*rules_urgency_name(const struct rules *, int urgency);
int		 rules_urgency_find(const struct rules *, const char *name,
		    size_t len);		/* -1 if none */

size_t		 rules_tier_count(const struct rules *);
const char	*rules_tier_name(const struct rules *, int tier);

/* SLA policies (the `sla` list). */
enum sla_metric { SLA_FIRST_RESPONSE, SLA_RESOLUTION, SLA_NMETRICS };

struct sla_step {
	int		 at_permille;	/* `at: 75%` -> 750 */
	const char	*notify;	/* a name from the `notify` list */
	int		 raise;		/* urgency index, -1 = none */
	int		 reassign;	/* team index, -1 = none */
};

struct sla_target {
	int64_t			 within_ms;	/* 0 = the policy sets no target */
	const struct sla_step	*steps;		/* ordered by at_permille */
	size_t			 nsteps;
};

size_t			 rules_policy_count(const struct rules *);
const char		*rules_policy_name(const struct rules *, int policy);
const struct calendar	*rules_policy_calendar(const struct rules *, int policy);
const struct sla_target	*rules_policy_target(const struct rules *, int policy,
			    enum sla_metric);

/*
 * Which rule decided what, for tools that compare two rule sets (`triagectl
 * replay`).  The kinds are the rule lists of the file, in stage order.
 */
enum rules_kind {
	RULES_TIER, RULES_SCORE, RULES_OVERRIDE, RULES_ROUTE, RULES_POLICY,
	RULES_NKINDS
};

struct rules_trace {
	/*
	 * Index of the rule that decided each first-match stage, -1 when none
	 * did (tier: the lowest level applied, or the request named its tier;
	 * override: the score's level stands; route: default_team; policy:
	 * no clocks).  decided[RULES_SCORE] is unused.
	 */
	int		 decided[RULES_NKINDS];
	int		 tier_given;	/* 1: tiers.trust_request took the request's tier */
	/*
	 * Optional counters, one per rule of each kind (NULL: not kept).  The
	 * deciding rule's counter goes up by one; for score rules, that of
	 * every rule whose points were added.
	 */
	unsigned long	*hits[RULES_NKINDS];
};

/*
 * rules_classify(), also filling t.  The same walk, so the verdict is the
 * daemon's; rules_classify() itself does not pay for the trace.
 */
void		 rules_classify_trace(const struct rules *,
		    const struct field *req, size_t nreq,
		    const struct field *cust, size_t ncust, struct verdict *,
		    struct rules_trace *t);

/* The rules of one kind: how many, and each one's name and line. */
size_t		 rules_kind_count(const struct rules *, enum rules_kind);
const char	*rules_kind_name(enum rules_kind);	/* "route", ... */
const char	*rules_rule_name(const struct rules *, enum rules_kind, int);
int		 rules_rule_line(const struct rules *, enum rules_kind, int);

#endif
