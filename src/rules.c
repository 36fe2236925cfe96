/*
 * rules.c - classification of one request: tier -> urgency -> route -> SLA
 * policy (pure).
 *
 * The request's fields and the customer's CRM fields are first laid into a
 * slot array (one slot per field name any condition reads, see cond.h);
 * each stage then evaluates its rules against the slots and writes the fact
 * it decided into its own slot for the stages after it.  A field no
 * condition reads costs one hash lookup and is otherwise ignored.
 *
 * rules_classify() and rules_explain() share rules_run(): explain is the
 * same walk with a trace, so what it prints is what the daemon does.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "decimal.h"
#include "duration.h"
#include "rules_impl.h"
#include "rules_index.h"
#include "xmalloc.h"

static const char	*rules_metric_names[SLA_NMETRICS] = {
	"first_response", "resolution"
};

struct rules *
rules_new(void)
{
	struct rules	*r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	r->default_team = -1;
	return r;
}

static void
rules_free_names(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void
rules_free(struct rules *r)
{
	size_t	i;
	int	m;

	if (r == NULL)
		return;
	for (i = 0; i < r->ntiers; i++) {
		free(r->tiers[i].name);
		cond_free(r->tiers[i].when);
	}
	free(r->tiers);
	rules_index_free(r->score_index);
	rules_index_free(r->route_index);
	rules_free_names(r->urgencies, r->nurgencies);
	free(r->thresholds);
	free(r->has_threshold);
	for (i = 0; i < r->nscores; i++) {
		free(r->scores[i].name);
		cond_free(r->scores[i].when);
	}
	free(r->scores);
	for (i = 0; i < r->noverrides; i++) {
		free(r->overrides[i].name);
		cond_free(r->overrides[i].when);
	}
	free(r->overrides);
	rules_free_names(r->teams, r->nteams);
	for (i = 0; i < r->nroutes; i++) {
		free(r->routes[i].name);
		cond_free(r->routes[i].when);
	}
	free(r->routes);
	for (i = 0; i < r->ncalendars; i++)
		calendar_free(r->calendars[i]);
	free(r->calendars);
	for (i = 0; i < r->npolicies; i++) {
		free(r->policies[i].name);
		cond_free(r->policies[i].when);
		for (m = 0; m < SLA_NMETRICS; m++)
			free(r->policies[i].steps[m]);
	}
	free(r->policies);
	rules_free_names(r->notify, r->nnotify);
	cond_names_free(r->names);
	free(r);
}

void
rules_index_lists(struct rules *r)
{
	const struct cond	**when;
	size_t			  i;

	when = xcalloc(r->nscores > r->nroutes ? r->nscores : r->nroutes,
	    sizeof *when);
	for (i = 0; i < r->nscores; i++)
		when[i] = r->scores[i].when;
	r->score_index = rules_index_new(when, r->nscores);
	for (i = 0; i < r->nroutes; i++)
		when[i] = r->routes[i].when;
	r->route_index = rules_index_new(when, r->nroutes);
	free(when);
}

static void
rules_set_fact(struct cond_value *v, const char *s)
{
	cond_value_set(v, s, strlen(s));
	v->numstate = -1;		/* a name, never a number */
}

static void
rules_trace_rule(FILE *f, const char *what, const char *name, int line,
    const struct cond *when, const struct cond_names *cn)
{
	fprintf(f, "%s '%s' (line %d): ", what, name, line);
	cond_print(when, cn, f);
	fputc('\n', f);
}

static void
rules_trace_policy(const struct rules *r, int p, FILE *f)
{
	const struct rules_policy	*pol = &r->policies[p];
	const struct sla_target		*t;
	const struct sla_step		*s;
	const struct calendar		*cal = r->calendars[pol->calendar];
	char				 dur[64];
	size_t				 i;
	int				 m;

	fprintf(f, "  calendar %s (%s)\n", calendar_name(cal),
	    calendar_timezone(cal));
	for (m = 0; m < SLA_NMETRICS; m++) {
		t = &pol->target[m];
		if (t->within_ms == 0) {
			fprintf(f, "  %s: no target\n", rules_metric_names[m]);
			continue;
		}
		duration_format(t->within_ms, dur, sizeof dur);
		fprintf(f, "  %s: within %s\n", rules_metric_names[m], dur);
		for (i = 0; i < t->nsteps; i++) {
			s = &t->steps[i];
			if (s->at_permille % 10 == 0)
				fprintf(f, "    at %d%%: notify %s",
				    s->at_permille / 10, s->notify);
			else
				fprintf(f, "    at %d.%d%%: notify %s",
				    s->at_permille / 10, s->at_permille % 10,
				    s->notify);
			if (s->raise != -1)
				fprintf(f, ", raise to %s",
				    r->urgencies[s->raise]);
			if (s->reassign != -1)
				fprintf(f, ", reassign to %s",
				    r->teams[s->reassign]);
			fputc('\n', f);
		}
	}
}

/*
 * The four stages.  trusted is the tier the request named itself when
 * tiers.trust_request is on, else -1.  f is NULL except for explain, t NULL
 * except for rules_classify_trace().
 */
static void
rules_run(const struct rules *r, struct cond_value *slots, int trusted,
    struct verdict *v, FILE *f, struct rules_trace *t)
{
	const struct cond_names	*cn = r->names;
	struct rules_cursor	 cur;
	char			 score[DECIMAL_MAX];
	size_t			 i, len;
	long			 k;
	int			 level, tier_rule;

	/* Tier: first matching level; the lowest if none does. */
	v->tier = -1;
	tier_rule = -1;
	if (trusted != -1) {
		v->tier = trusted;
		if (f != NULL)
			fprintf(f, "tier: %s\n  given by the request "
			    "(tiers.trust_request)\n", r->tiers[trusted].name);
	} else {
		for (i = 0; i < r->ntiers; i++) {
			if (cond_eval(r->tiers[i].when, slots)) {
				v->tier = tier_rule = (int)i;
				break;
			}
		}
		if (f != NULL && v->tier != -1) {
			fprintf(f, "tier: %s\n  ", r->tiers[v->tier].name);
			rules_trace_rule(f, "level", r->tiers[v->tier].name,
			    r->tiers[v->tier].line, r->tiers[v->tier].when, cn);
		}
		if (v->tier == -1) {
			v->tier = (int)r->ntiers - 1;
			if (f != NULL)
				fprintf(f, "tier: %s\n  no level matched; "
				    "the lowest applies\n",
				    r->tiers[v->tier].name);
		}
	}
	v->tier_name = r->tiers[v->tier].name;
	rules_set_fact(&slots[COND_SLOT_TIER], v->tier_name);
	if (t != NULL) {
		t->tier_given = trusted != -1;
		t->decided[RULES_TIER] = tier_rule;
	}

	/* Urgency: the score, its threshold, then the first override. */
	if (f != NULL)
		fputs("score:\n", f);
	v->score = 0;
	rules_index_start(r->score_index, r->nscores, slots, &cur);
	while ((k = rules_index_next(&cur)) != -1) {
		i = (size_t)k;
		if (!cond_eval(r->scores[i].when, slots))
			continue;
		v->score += r->scores[i].points;
		if (t != NULL && t->hits[RULES_SCORE] != NULL)
			t->hits[RULES_SCORE][i]++;
		if (f != NULL) {
			fprintf(f, "  %+ld  ", r->scores[i].points);
			rules_trace_rule(f, "score rule", r->scores[i].name,
			    r->scores[i].line, r->scores[i].when, cn);
		}
	}
	level = (int)r->nurgencies - 1;
	for (i = 0; i < r->nurgencies; i++) {
		if (r->has_threshold[i] && v->score >= r->thresholds[i]) {
			level = (int)i;
			break;
		}
	}
	if (f != NULL) {
		fprintf(f, "  = %ld", v->score);
		if (r->has_threshold[level])
			fprintf(f, " -> %s (threshold %ld)\n",
			    r->urgencies[level], r->thresholds[level]);
		else
			fprintf(f, " -> %s (below every threshold)\n",
			    r->urgencies[level]);
	}
	for (i = 0; i < r->noverrides; i++) {
		if (cond_eval(r->overrides[i].when, slots)) {
			level = r->overrides[i].level;
			if (f != NULL) {
				fputs("  ", f);
				rules_trace_rule(f, "override",
				    r->overrides[i].name, r->overrides[i].line,
				    r->overrides[i].when, cn);
			}
			break;
		}
	}
	if (t != NULL)
		t->decided[RULES_OVERRIDE] = i < r->noverrides ? (int)i : -1;
	v->urgency = level;
	v->urgency_name = r->urgencies[level];
	rules_set_fact(&slots[COND_SLOT_URGENCY], v->urgency_name);
	len = decimal_format(v->score, score);
	cond_value_set(&slots[COND_SLOT_SCORE], score, len);
	slots[COND_SLOT_SCORE].num = (double)v->score;
	slots[COND_SLOT_SCORE].numstate = 1;
	if (f != NULL)
		fprintf(f, "urgency: %s\n", v->urgency_name);

	/* Route: first match, else the default team. */
	v->team = r->default_team;
	v->route_name = "default";
	i = r->nroutes;
	rules_index_start(r->route_index, r->nroutes, slots, &cur);
	while ((k = rules_index_next(&cur)) != -1) {
		if (cond_eval(r->routes[k].when, slots)) {
			i = (size_t)k;
			v->team = r->routes[i].team;
			v->route_name = r->routes[i].name;
			break;
		}
	}
	v->team_name = r->teams[v->team];
	rules_set_fact(&slots[COND_SLOT_TEAM], v->team_name);
	if (t != NULL)
		t->decided[RULES_ROUTE] = i < r->nroutes ? (int)i : -1;
	if (f != NULL) {
		fprintf(f, "team: %s\n  ", v->team_name);
		if (i < r->nroutes)
			rules_trace_rule(f, "route", r->routes[i].name,
			    r->routes[i].line, r->routes[i].when, cn);
		else
			fputs("no route matched: default_team\n", f);
	}

	/* SLA policy: first match, else none. */
	v->policy = -1;
	v->policy_name = NULL;
	for (i = 0; i < r->npolicies; i++) {
		if (cond_eval(r->policies[i].when, slots)) {
			v->policy = (int)i;
			v->policy_name = r->policies[i].name;
			break;
		}
	}
	if (t != NULL)
		t->decided[RULES_POLICY] = v->policy;
	if (f != NULL) {
		if (v->policy == -1)
			fputs("sla: none\n  no policy matched: no clocks\n", f);
		else {
			fprintf(f, "sla: %s\n  ", v->policy_name);
			rules_trace_rule(f, "policy", v->policy_name,
			    r->policies[v->policy].line,
			    r->policies[v->policy].when, cn);
			rules_trace_policy(r, v->policy, f);
		}
	}
}

/* Lay the fields into slots; returns the trusted tier or -1. */
static int
rules_fill(const struct rules *r, struct cond_value *slots,
    const struct field *req, size_t nreq, const struct field *cust,
    size_t ncust)
{
	const struct cond_names	*cn = r->names;
	size_t			 i, j, len;
	int			 slot, trusted = -1;

	memset(slots, 0, cond_names_count(cn) * sizeof *slots);
	for (i = 0; i < nreq; i++) {
		if (r->trust_request && trusted == -1 && req[i].name_len == 4 &&
		    memcmp(req[i].name, "tier", 4) == 0) {
			for (j = 0; j < r->ntiers; j++) {
				len = strlen(r->tiers[j].name);
				if (len == req[i].value_len && memcmp(
				    r->tiers[j].name, req[i].value, len) == 0) {
					trusted = (int)j;
					break;
				}
			}
			continue;
		}
		slot = cond_names_request(cn, req[i].name, req[i].name_len);
		/* Unread, or a duplicate: the first one wins. */
		if (slot == -1 || slots[slot].ptr != NULL)
			continue;
		slots[slot].ptr = req[i].value;
		slots[slot].len = req[i].value_len;
	}
	for (i = 0; i < ncust; i++) {
		slot = cond_names_customer(cn, cust[i].name, cust[i].name_len);
		if (slot == -1 || slots[slot].ptr != NULL)
			continue;
		slots[slot].ptr = cust[i].value;
		slots[slot].len = cust[i].value_len;
	}
	return trusted;
}

void
rules_classify(const struct rules *r, const struct field *req, size_t nreq,
    const struct field *cust, size_t ncust, struct verdict *v)
{
	struct cond_value	slots[COND_MAX_SLOTS];
	int			trusted;

	trusted = rules_fill(r, slots, req, nreq, cust, ncust);
	rules_run(r, slots, trusted, v, NULL, NULL);
}

void
rules_explain(const struct rules *r, const struct field *req, size_t nreq,
    const struct field *cust, size_t ncust, FILE *f)
{
	struct cond_value	slots[COND_MAX_SLOTS];
	struct verdict		v;
	int			trusted;

	trusted = rules_fill(r, slots, req, nreq, cust, ncust);
	rules_run(r, slots, trusted, &v, f, NULL);
}

void
rules_classify_trace(const struct rules *r, const struct field *req,
    size_t nreq, const struct field *cust, size_t ncust, struct verdict *v,
    struct rules_trace *t)
{
	struct cond_value	slots[COND_MAX_SLOTS];
	int			trusted, k, d;

	trusted = rules_fill(r, slots, req, nreq, cust, ncust);
	rules_run(r, slots, trusted, v, NULL, t);
	for (k = 0; k < RULES_NKINDS; k++) {
		d = t->decided[k];
		if (k != RULES_SCORE && d != -1 && t->hits[k] != NULL)
			t->hits[k][d]++;
	}
}

size_t
rules_kind_count(const struct rules *r, enum rules_kind k)
{
	switch (k) {
	case RULES_TIER:
		return r->ntiers;
	case RULES_SCORE:
		return r->nscores;
	case RULES_OVERRIDE:
		return r->noverrides;
	case RULES_ROUTE:
		return r->nroutes;
	case RULES_POLICY:
		return r->npolicies;
	default:
		return 0;
	}
}

const char *
rules_kind_name(enum rules_kind k)
{
	static const char	*names[RULES_NKINDS] = {
		"tier level", "score rule", "override", "route", "sla policy"
	};

	return (int)k >= 0 && k < RULES_NKINDS ? names[k] : "rule";
}

/* Name and line of rule i of kind k, or NULL / 0 if there is none. */
static const char *
rules_rule(const struct rules *r, enum rules_kind k, int i, int *line)
{
	*line = 0;
	if (i < 0 || (size_t)i >= rules_kind_count(r, k))
		return NULL;
	switch (k) {
	case RULES_TIER:
		*line = r->tiers[i].line;
		return r->tiers[i].name;
	case RULES_SCORE:
		*line = r->scores[i].line;
		return r->scores[i].name;
	case RULES_OVERRIDE:
		*line = r->overrides[i].line;
		return r->overrides[i].name;
	case RULES_ROUTE:
		*line = r->routes[i].line;
		return r->routes[i].name;
	case RULES_POLICY:
		*line = r->policies[i].line;
		return r->policies[i].name;
	default:
		return NULL;
	}
}

const char *
rules_rule_name(const struct rules *r, enum rules_kind k, int i)
{
	int	line;

	return rules_rule(r, k, i, &line);
}

int
rules_rule_line(const struct rules *r, enum rules_kind k, int i)
{
	int	line;

	rules_rule(r, k, i, &line);
	return line;
}

size_t
rules_team_count(const struct rules *r)
{
	return r->nteams;
}

const char *
rules_team_name(const struct rules *r, int team)
{
	if (team < 0 || (size_t)team >= r->nteams)
		return NULL;
	return r->teams[team];
}

static int
rules_find(char *const *names, size_t n, const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return (int)i;
	}
	return -1;
}

int
rules_team_find(const struct rules *r, const char *name, size_t len)
{
	return rules_find(r->teams, r->nteams, name, len);
}

size_t
rules_urgency_count(const struct rules *r)
{
	return r->nurgencies;
}

const char *
rules_urgency_name(const struct rules *r, int urgency)
{
	if (urgency < 0 || (size_t)urgency >= r->nurgencies)
		return NULL;
	return r->urgencies[urgency];
}

int
rules_urgency_find(const struct rules *r, const char *name, size_t len)
{
	return rules_find(r->urgencies, r->nurgencies, name, len);
}

size_t
rules_tier_count(const struct rules *r)
{
	return r->ntiers;
}

const char *
rules_tier_name(const struct rules *r, int tier)
{
	if (tier < 0 || (size_t)tier >= r->ntiers)
		return NULL;
	return r->tiers[tier].name;
}

size_t
rules_policy_count(const struct rules *r)
{
	return r->npolicies;
}

const char *
rules_policy_name(const struct rules *r, int policy)
{
	if (policy < 0 || (size_t)policy >= r->npolicies)
		return NULL;
	return r->policies[policy].name;
}

const struct calendar *
rules_policy_calendar(const struct rules *r, int policy)
{
	if (policy < 0 || (size_t)policy >= r->npolicies)
		return NULL;
	return r->calendars[r->policies[policy].calendar];
}

const struct sla_target *
rules_policy_target(const struct rules *r, int policy, enum sla_metric m)
{
	if (policy < 0 || (size_t)policy >= r->npolicies ||
	    (int)m < 0 || m >= SLA_NMETRICS)
		return NULL;
	return &r->policies[policy].target[m];
}
