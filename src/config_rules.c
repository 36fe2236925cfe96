/*
 * config_rules.c - the classification rules of the rules file, compiled
 * into a struct rules (rules_impl.h): tiers, urgency (levels, score rules,
 * thresholds, overrides), teams, routes and default_team, sla policies
 * with their escalation steps, and notify targets.
 *
 * Names are read before the rules that refer to them, so a route may name
 * a team written further down.  A reference to a name that is not defined
 * is an error that lists the names that are; a rule keeps the line and
 * column it was written at, for explain and the warnings.  The conditions
 * of the rules are config_cond.c's, the calendars config_calendars.c's.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "config_impl.h"
#include "xmalloc.h"

static char *
rule_name(struct load *ld, yaml_node_t *n, const char *list, size_t i)
{
	char		 buf[64];
	const char	*s;

	if (n != NULL && (s = config_yaml_scalar(ld, n,
	    "a rule name")) != NULL) {
		if (*s != '\0')
			return xstrdup(s);
		config_diag_error(ld, n, "empty rule name");
	}
	snprintf(buf, sizeof buf, "%s[%zu]", list, i);
	return xstrdup(buf);
}

/*
 * The names of one list seen so far, so that a duplicate is found in one
 * probe: a list may hold thousands of rules.
 */
struct names_seen {
	const char	**name;
	int		 *line;
	size_t		  mask;		/* size - 1, a power of two */
};

static void
names_seen_init(struct names_seen *ns, size_t n)
{
	size_t	size;

	for (size = 16; size < n * 2; size *= 2)
		;
	ns->name = xcalloc(size, sizeof *ns->name);
	ns->line = xcalloc(size, sizeof *ns->line);
	ns->mask = size - 1;
}

static void
names_seen_free(struct names_seen *ns)
{
	free(ns->name);
	free(ns->line);
}

/*
 * An error if an earlier rule of the list has the same name, when this
 * one's name is written (n); a made-up name ("routes[3]") is only
 * remembered.
 */
static void
rule_unique(struct load *ld, struct names_seen *ns, yaml_node_t *n,
    const char *what, const char *name, int line)
{
	uint32_t	 h = 2166136261u;
	const char	*p;
	size_t		 i;

	for (p = name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (i = h & ns->mask; ns->name[i] != NULL; i = (i + 1) & ns->mask) {
		if (strcmp(ns->name[i], name) != 0)
			continue;
		if (n != NULL)
			config_diag_error(ld, n, "duplicate %s name '%s' "
			    "(first at line %d)", what, name, ns->line[i]);
		return;
	}
	ns->name[i] = name;
	ns->line[i] = line;
}

static void
read_tiers(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	struct rules_tier	*t;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct config_key	 k[] = {
		{ .name = "trust_request" }, { .name = "levels" }
	};
	struct config_key	 lk[] = {
		{ .name = "name" }, { .name = "when" }
	};
	const char		*s;
	size_t			 i, j, nitem;

	if (config_yaml_map(ld, n, "tiers", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		config_yaml_bool(ld, k[0].value, "tiers.trust_request",
		    &r->trust_request);
	if (k[1].value == NULL) {
		config_diag_missing(ld, k[0].key != NULL ? k[0].key : n, n,
		    "tiers has no levels (expected a list of {name, when})");
		return;
	}
	if (config_yaml_seq(ld, k[1].value, "tiers.levels", &items,
	    &nitem) == -1 ||
	    config_yaml_limit(ld, k[1].value, "tiers.levels", nitem,
	    CONFIG_MAX_RULES) == -1)
		return;
	if (nitem == 0) {
		config_diag_error(ld, k[1].value, "tiers.levels is empty "
		    "(expected at least one level)");
		return;
	}
	r->tiers = xcalloc(nitem, sizeof *r->tiers);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if (config_yaml_map(ld, item, "tier level", lk,
		    nitems(lk)) == -1)
			continue;
		if (lk[0].value == NULL) {
			config_diag_missing(ld, item, item, "tier level has no "
			    "name (expected name: and an optional when:)");
			continue;
		}
		if ((s = config_yaml_name(ld, lk[0].value, "tier")) == NULL)
			continue;
		for (j = 0; j < r->ntiers; j++) {
			if (strcmp(r->tiers[j].name, s) == 0)
				break;
		}
		if (j < r->ntiers) {
			config_diag_error(ld, lk[0].value, "duplicate tier "
			    "'%s' (first at line %d)", s, r->tiers[j].line);
			continue;
		}
		t = &r->tiers[r->ntiers++];
		t->name = xstrdup(s);
		t->line = config_yaml_line(item);
		t->col = config_yaml_col(item);
		t->when = config_cond_when(ld, lk[1].value, CONFIG_STAGE_TIER);
	}
}

/* urgency.levels alone, before the tiers and rules that refer to them. */
static void
read_urgency_levels(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	yaml_node_pair_t	*p;
	yaml_node_t		*k;

	if (n != NULL && n->type == YAML_MAPPING_NODE) {
		for (p = n->data.mapping.pairs.start;
		    p < n->data.mapping.pairs.top; p++) {
			k = config_yaml_node(ld, p->key);
			if (k->type == YAML_SCALAR_NODE && strcmp((const char *)
			    k->data.scalar.value, "levels") == 0) {
				config_yaml_names(ld, config_yaml_node(ld,
				    p->value), "urgency.levels",
				    "urgency level", &r->urgencies,
				    &r->nurgencies);
				break;
			}
		}
	}
	r->thresholds = xcalloc(r->nurgencies, sizeof *r->thresholds);
	r->has_threshold = xcalloc(r->nurgencies,
	    sizeof *r->has_threshold);
}

static void
read_thresholds(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v, **keys;
	char			 what[128];
	size_t			 i, prev;
	long			 t;
	int			 level;

	if (n->type != YAML_MAPPING_NODE) {
		config_diag_error(ld, n, "expected a mapping of urgency levels "
		    "to lowest scores for urgency.thresholds, found %s",
		    config_yaml_kind(n));
		return;
	}
	if (config_yaml_limit(ld, n, "urgency.thresholds",
	    n->data.mapping.pairs.top - n->data.mapping.pairs.start,
	    r->nurgencies) == -1)
		return;
	keys = xcalloc(r->nurgencies, sizeof *keys);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = config_yaml_node(ld, p->key);
		v = config_yaml_node(ld, p->value);
		level = config_yaml_ref(ld, k, "urgency level", r->urgencies,
		    r->nurgencies);
		if (level == -1)
			continue;
		if (r->has_threshold[level]) {
			config_diag_error(ld, k, "duplicate threshold for '%s'",
			    r->urgencies[level]);
			continue;
		}
		snprintf(what, sizeof what, "urgency.thresholds.%s",
		    r->urgencies[level]);
		if (config_yaml_long(ld, v, what, -1000000000L, 1000000000L,
		    &t) == -1)
			continue;
		r->thresholds[level] = t;
		r->has_threshold[level] = 1;
		keys[level] = k;
	}
	/* Levels are highest first: thresholds must fall strictly with them. */
	prev = r->nurgencies;
	for (i = 0; i < r->nurgencies; i++) {
		if (!r->has_threshold[i])
			continue;
		if (prev != r->nurgencies &&
		    r->thresholds[i] >= r->thresholds[prev])
			config_diag_error(ld, keys[i], "threshold of '%s' "
			    "(%ld) is not below that of the higher level '%s' "
			    "(%ld): urgency.levels are listed highest first",
			    r->urgencies[i], r->thresholds[i],
			    r->urgencies[prev], r->thresholds[prev]);
		prev = i;
	}
	free(keys);
}

static void
read_scores(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	struct rules_score	*s;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct config_key	 k[] = {
		{ .name = "name" }, { .name = "when" }, { .name = "points" }
	};
	struct names_seen	 seen;
	size_t			 i, nitem;

	if (config_yaml_seq(ld, n, "urgency.score", &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, "urgency.score", nitem,
	    CONFIG_MAX_RULES) == -1)
		return;
	r->scores = xcalloc(nitem, sizeof *r->scores);
	names_seen_init(&seen, nitem);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if (config_yaml_map(ld, item, "score rule", k, nitems(k)) == -1)
			continue;
		s = &r->scores[r->nscores++];
		s->name = rule_name(ld, k[0].value, "score", i);
		s->line = config_yaml_line(item);
		s->col = config_yaml_col(item);
		rule_unique(ld, &seen, k[0].value, "score rule", s->name,
		    s->line);
		s->when = config_cond_when(ld, k[1].value,
		    CONFIG_STAGE_URGENCY);
		if (k[2].value == NULL)
			config_diag_missing(ld, item, item, "score rule '%s' "
			    "has no points (expected points: N)", s->name);
		else
			config_yaml_long(ld, k[2].value, "points", -1000000,
			    1000000, &s->points);
	}
	names_seen_free(&seen);
}

static void
read_overrides(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	struct rules_override	*o;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct config_key	 k[] = {
		{ .name = "name" }, { .name = "when" }, { .name = "level" }
	};
	struct names_seen	 seen;
	size_t			 i, nitem;

	if (config_yaml_seq(ld, n, "urgency.overrides", &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, "urgency.overrides", nitem,
	    CONFIG_MAX_RULES) == -1)
		return;
	r->overrides = xcalloc(nitem, sizeof *r->overrides);
	names_seen_init(&seen, nitem);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if (config_yaml_map(ld, item, "override", k, nitems(k)) == -1)
			continue;
		o = &r->overrides[r->noverrides++];
		o->name = rule_name(ld, k[0].value, "overrides", i);
		o->line = config_yaml_line(item);
		o->col = config_yaml_col(item);
		rule_unique(ld, &seen, k[0].value, "override", o->name,
		    o->line);
		o->when = config_cond_when(ld, k[1].value,
		    CONFIG_STAGE_URGENCY);
		o->level = 0;
		if (k[2].value == NULL)
			config_diag_missing(ld, item, item, "override '%s' has "
			    "no level (expected level: an urgency level)",
			    o->name);
		else if ((o->level = config_yaml_ref(ld, k[2].value,
		    "urgency level", r->urgencies, r->nurgencies)) == -1)
			o->level = 0;
	}
	names_seen_free(&seen);
}

static void
read_urgency(struct load *ld, yaml_node_t *n)
{
	struct config_key	k[] = {
		{ .name = "levels" }, { .name = "score" },
		{ .name = "thresholds" }, { .name = "overrides" }
	};

	if (config_yaml_map(ld, n, "urgency", k, nitems(k)) == -1)
		return;
	if (k[0].value == NULL) {
		config_diag_missing(ld, n, n, "urgency has no levels "
		    "(expected e.g. levels: [critical, high, medium, low])");
		return;
	}
	if (ld->r->nurgencies == 0)
		return;		/* errors already said why */
	if (k[1].value != NULL)
		read_scores(ld, k[1].value);
	if (k[2].value != NULL)
		read_thresholds(ld, k[2].value);
	if (k[3].value != NULL)
		read_overrides(ld, k[3].value);
}

static void
read_routes(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	struct rules_route	*rt;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct config_key	 k[] = {
		{ .name = "name" }, { .name = "when" }, { .name = "team" }
	};
	struct names_seen	 seen;
	size_t			 i, nitem;

	if (config_yaml_seq(ld, n, "routes", &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, "routes", nitem, CONFIG_MAX_RULES) == -1)
		return;
	r->routes = xcalloc(nitem, sizeof *r->routes);
	names_seen_init(&seen, nitem);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if (config_yaml_map(ld, item, "route", k, nitems(k)) == -1)
			continue;
		rt = &r->routes[r->nroutes++];
		rt->name = rule_name(ld, k[0].value, "routes", i);
		rt->line = config_yaml_line(item);
		rt->col = config_yaml_col(item);
		rule_unique(ld, &seen, k[0].value, "route", rt->name,
		    rt->line);
		rt->when = config_cond_when(ld, k[1].value, CONFIG_STAGE_ROUTE);
		rt->team = 0;
		if (k[2].value == NULL)
			config_diag_missing(ld, item, item, "route '%s' has no "
			    "team (expected team: a name from teams)",
			    rt->name);
		else if ((rt->team = config_yaml_ref(ld, k[2].value, "team",
		    r->teams, r->nteams)) == -1)
			rt->team = 0;
	}
	names_seen_free(&seen);
}

/* "75%", "150%", "12.5%" -> permille; -1 if malformed. */
static int
read_percent(const char *s)
{
	long	n = 0;
	int	digits = 0;

	while (isdigit((unsigned char)*s) && n < 1000000) {
		n = n * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0)
		return -1;
	n *= 10;
	if (*s == '.' && isdigit((unsigned char)s[1])) {
		n += s[1] - '0';
		s += 2;
	}
	if (strcmp(s, "%") != 0 || n <= 0 || n > 100000)
		return -1;
	return (int)n;
}

static void
read_steps(struct load *ld, yaml_node_t *n, const char *policy,
    const char *metric, struct rules_policy *pol, int m)
{
	struct rules		*r = ld->r;
	struct sla_step		*steps, tmp;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct config_key	 k[] = {
		{ .name = "at" }, { .name = "notify" }, { .name = "raise" },
		{ .name = "reassign" }
	};
	const char		*s;
	char			 what[128];
	size_t			 i, j, nitem, nsteps = 0;
	int			 notify;

	snprintf(what, sizeof what, "%s.escalate", metric);
	if (config_yaml_seq(ld, n, what, &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, what, nitem, CONFIG_MAX_STEPS) == -1)
		return;
	steps = xcalloc(nitem, sizeof *steps);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if (config_yaml_map(ld, item, "escalation step", k,
		    nitems(k)) == -1)
			continue;
		tmp.at_permille = 0;
		tmp.notify = NULL;
		tmp.raise = tmp.reassign = -1;
		if (k[0].value == NULL)
			config_diag_missing(ld, item, item, "escalation step "
			    "in policy '%s' has no 'at' (expected e.g. at: "
			    "75%%)", policy);
		else if ((s = config_yaml_scalar(ld, k[0].value,
		    "a percentage for 'at'")) != NULL &&
		    (tmp.at_permille = read_percent(s)) == -1)
			config_diag_error(ld, k[0].value, "bad percentage '%s' "
			    "for 'at' (expected a positive percentage such as "
			    "75%% or 150%%)", s);
		if (k[1].value == NULL)
			config_diag_missing(ld, item, item, "escalation step "
			    "in policy '%s' has no 'notify' (expected one of "
			    "the notify targets)", policy);
		else {
			notify = config_yaml_ref(ld, k[1].value,
			    "notify target", r->notify, r->nnotify);
			if (notify != -1)
				tmp.notify = r->notify[notify];
		}
		if (k[2].value != NULL)
			tmp.raise = config_yaml_ref(ld, k[2].value,
			    "urgency level", r->urgencies, r->nurgencies);
		if (k[3].value != NULL)
			tmp.reassign = config_yaml_ref(ld, k[3].value, "team",
			    r->teams, r->nteams);
		/* Keep the list ordered by at; equal ones in file order. */
		for (j = nsteps; j > 0 &&
		    steps[j - 1].at_permille > tmp.at_permille; j--)
			steps[j] = steps[j - 1];
		steps[j] = tmp;
		nsteps++;
	}
	pol->steps[m] = steps;
	pol->target[m].steps = steps;
	pol->target[m].nsteps = nsteps;
}

/* first_response / resolution: "24h" or {within, escalate}. */
static void
read_target(struct load *ld, yaml_node_t *n, const char *policy,
    struct rules_policy *pol, int m)
{
	static const char	*metrics[] = {
		"first_response", "resolution"
	};
	static const char	*withins[] = {
		"first_response.within", "resolution.within"
	};
	struct config_key	 k[] = {
		{ .name = "within" }, { .name = "escalate" }
	};
	char			 what[128];

	if (n->type == YAML_SCALAR_NODE) {
		config_yaml_duration(ld, n, metrics[m],
		    &pol->target[m].within_ms);
		return;
	}
	snprintf(what, sizeof what, "%s of policy '%s'", metrics[m], policy);
	if (n->type != YAML_MAPPING_NODE) {
		config_diag_error(ld, n, "expected a duration or {within, "
		    "escalate} for %s, found %s", what, config_yaml_kind(n));
		return;
	}
	config_yaml_map(ld, n, what, k, nitems(k));
	if (k[0].value == NULL)
		config_diag_missing(ld, n, n, "%s has no 'within' (expected a "
		    "duration such as 4h)", what);
	else
		config_yaml_duration(ld, k[0].value, withins[m],
		    &pol->target[m].within_ms);
	if (k[1].value != NULL)
		read_steps(ld, k[1].value, policy, metrics[m], pol, m);
}

static void
read_sla(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	struct rules_policy	*pol;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct config_key	 k[] = {
		{ .name = "name" }, { .name = "when" }, { .name = "calendar" },
		{ .name = "first_response" },
		{ .name = "resolution" }
	};
	const char		*s;
	char			*names[64], expected[512];
	struct names_seen	 seen;
	size_t			 i, j, nitem, nnames;

	if (config_yaml_seq(ld, n, "sla", &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, "sla", nitem, CONFIG_MAX_RULES) == -1)
		return;
	r->policies = xcalloc(nitem, sizeof *r->policies);
	names_seen_init(&seen, nitem);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if (config_yaml_map(ld, item, "sla policy", k, nitems(k)) == -1)
			continue;
		pol = &r->policies[r->npolicies++];
		pol->name = rule_name(ld, k[0].value, "sla", i);
		pol->line = config_yaml_line(item);
		pol->col = config_yaml_col(item);
		rule_unique(ld, &seen, k[0].value, "sla policy", pol->name,
		    pol->line);
		pol->when = config_cond_when(ld, k[1].value, CONFIG_STAGE_SLA);
		pol->calendar = 0;	/* always */
		if (k[2].value != NULL && (s = config_yaml_scalar(ld,
		    k[2].value, "a calendar name")) != NULL) {
			for (j = 0; j < r->ncalendars; j++) {
				if (strcmp(calendar_name(r->calendars[j]),
				    s) == 0)
					break;
			}
			if (j < r->ncalendars)
				pol->calendar = (int)j;
			else if (config_yaml_find(ld->calnames, ld->ncalnames,
			    s) == -1) {
				/* A calendar that failed has its own error. */
				names[0] = "always";
				for (nnames = 1; nnames - 1 < ld->ncalnames &&
				    nnames < nitems(names); nnames++)
					names[nnames] =
					    ld->calnames[nnames - 1];
				config_diag_error(ld, k[2].value,
				    "undefined calendar '%s' (expected one of: "
				    "%s)", s, config_diag_list(names, nnames,
				    expected, sizeof expected));
			}
		}
		if (k[3].value != NULL)
			read_target(ld, k[3].value, pol->name, pol,
			    SLA_FIRST_RESPONSE);
		if (k[4].value != NULL)
			read_target(ld, k[4].value, pol->name, pol,
			    SLA_RESOLUTION);
	}
	names_seen_free(&seen);
}


/*
 * The sections that name things first (teams, notify targets, urgency
 * levels, calendars, tiers), then the rules that refer to them, whatever
 * their order in the file.
 */
void
config_rules_load(struct load *ld, yaml_node_t *root,
    const struct config_sections *s)
{
	struct rules	*r = ld->r;
	int		 team;

	if (s->teams != NULL)
		config_yaml_names(ld, s->teams, "teams", "team", &r->teams,
		    &r->nteams);
	else
		config_diag_missing(ld, root, root, "no teams (expected "
		    "teams: a list of team names)");
	if (s->notify != NULL)
		config_oncall_notify(ld, s->notify, &r->notify,
		    &r->nnotify);
	read_urgency_levels(ld, s->urgency);
	if (s->urgency == NULL)
		config_diag_missing(ld, root, root, "no urgency (expected "
		    "urgency: with levels, score, thresholds)");
	if (s->calendars != NULL)
		config_calendars_load(ld, s->calendars);
	if (s->tiers != NULL)
		read_tiers(ld, s->tiers);
	else
		config_diag_missing(ld, root, root, "no tiers (expected "
		    "tiers: with a list of levels)");
	if (s->urgency != NULL)
		read_urgency(ld, s->urgency);
	if (s->routes != NULL)
		read_routes(ld, s->routes);
	if (s->default_team != NULL) {
		if ((team = config_yaml_ref(ld, s->default_team, "team",
		    r->teams, r->nteams)) != -1)
			r->default_team = team;
	} else
		config_diag_missing(ld, root, root, "no default_team "
		    "(expected the team that takes requests no route "
		    "matches)");
	if (s->sla != NULL)
		read_sla(ld, s->sla);
}
