/*
 * rules_impl.h - the inside of struct rules, shared by the files that build
 * it (config*.c, through config_impl.h) and the file that runs it
 * (rules.c).  Nothing else may include this header.
 *
 * Every rule keeps the line and column it was written at, so explain and
 * the load-time warnings can point back into the file.
 */
#ifndef TRIAGED_RULES_IMPL_H
#define TRIAGED_RULES_IMPL_H

#include "cond.h"
#include "rules.h"

struct rules_tier {
	char		*name;
	struct cond	*when;		/* NULL: always */
	int		 line, col;
};

struct rules_score {
	char		*name;
	struct cond	*when;
	long		 points;
	int		 line, col;
};

struct rules_override {
	char		*name;
	struct cond	*when;
	int		 level;		/* urgency index */
	int		 line, col;
};

struct rules_route {
	char		*name;
	struct cond	*when;
	int		 team;
	int		 line, col;
};

struct rules_policy {
	char			*name;
	struct cond		*when;
	int			 calendar;	/* index into calendars */
	struct sla_target	 target[SLA_NMETRICS];
	/* Owned here; target[].steps points to them. */
	struct sla_step		*steps[SLA_NMETRICS];
	int			 line, col;
};

struct rules {
	struct cond_names	*names;
	int			 trust_request;

	struct rules_tier	*tiers;
	size_t			 ntiers;

	char			**urgencies;	/* highest first */
	size_t			 nurgencies;
	long			*thresholds;	/* per level */
	unsigned char		*has_threshold;
	struct rules_score	*scores;
	size_t			 nscores;
	struct rules_override	*overrides;
	size_t			 noverrides;

	char			**teams;
	size_t			 nteams;
	struct rules_route	*routes;
	size_t			 nroutes;
	int			 default_team;

	struct calendar		**calendars;	/* [0] is "always" */
	size_t			 ncalendars;
	struct rules_policy	*policies;
	size_t			 npolicies;

	char			**notify;
	size_t			 nnotify;

	/* Built by rules_index_lists() once the file has loaded. */
	struct rules_index	*score_index;
	struct rules_index	*route_index;
};

struct rules	*rules_new(void);
/* Index the long lists (score rules, routes) of a complete rule set. */
void		 rules_index_lists(struct rules *);
void		 rules_free(struct rules *);	/* accepts NULL */

#endif
