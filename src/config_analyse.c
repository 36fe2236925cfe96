/*
 * config_analyse.c - the load-time analysis behind CONFIG_WARN: rules
 * that can never be chosen, reported as warnings by --check.
 *
 * It is sound, never complete: it warns only when a rule certainly can
 * never be chosen.  For each combination of the facts a stage can see
 * (every tier, and for routes and policies every urgency level too; score,
 * team and all request and customer fields are left unknown) it evaluates
 * the conditions three-valued.  A rule is reported when, in every
 * combination, its own condition is certainly false or an earlier rule of
 * the same list is certainly true.  Every tier and every urgency is assumed
 * reachable, which can only hide a warning, never invent one.  That
 * catches a rule after a catch-all (no `when`, `when: {}`), a route after
 * `{urgency: [critical, high, medium, low]}`, and a policy on
 * `{tier: vip}` after one on `{tier: [vip, key]}`; it cannot see through
 * conditions on request fields, which it treats as able to go either way.
 */
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "xmalloc.h"

/* One rule of a list, as the analysis sees it. */
struct analyse_rule {
	const char		*name;
	const struct cond	*when;
	int			 line, col;
};

static void
analyse_list(struct load *ld, const char *what, struct analyse_rule *rules,
    size_t n, int ordered, int tiers, int urgencies)
{
	struct rules		*r = ld->r;
	struct cond_value	 slots[COND_MAX_SLOTS];
	unsigned char		 known[COND_MAX_SLOTS];
	size_t			 nt, nu, t, u, i, j, upto = 0, work = 0;
	int			 reachable, selffalse, blocker, mixed;
	const char		*facts;

	memset(slots, 0, sizeof slots);
	memset(known, 0, sizeof known);
	nt = tiers ? r->ntiers : 1;
	nu = urgencies ? r->nurgencies : 1;
	/* Each rule with the earlier ones, for every tier and urgency. */
	for (i = 0; i < n && work <= CONFIG_MAX_ANALYSIS; i++) {
		upto += cond_size(rules[i].when);
		work += (ordered ? upto : cond_size(rules[i].when)) * nt * nu;
	}
	if (work > CONFIG_MAX_ANALYSIS) {
		config_diag_warn(ld, 0, 0, "%zu %ss are too many to look for "
		    "rules that can never match; not looked for", n, what);
		return;
	}
	known[COND_SLOT_TIER] = tiers;
	known[COND_SLOT_URGENCY] = urgencies;
	facts = urgencies ? " for any tier and urgency" :
	    tiers ? " for any tier" : "";
	for (i = 0; i < n; i++) {
		reachable = 0;
		selffalse = 1;
		blocker = -1;
		mixed = 0;
		for (t = 0; t < nt && !reachable; t++) {
			for (u = 0; u < nu && !reachable; u++) {
				if (tiers) {
					cond_value_set(&slots[COND_SLOT_TIER],
					    r->tiers[t].name,
					    strlen(r->tiers[t].name));
				}
				if (urgencies) {
					cond_value_set(&slots[COND_SLOT_URGENCY],
					    r->urgencies[u],
					    strlen(r->urgencies[u]));
				}
				if (cond_eval3(rules[i].when, slots, known) ==
				    COND_FALSE)
					continue;
				selffalse = 0;
				for (j = 0; ordered && j < i; j++) {
					if (cond_eval3(rules[j].when, slots,
					    known) == COND_TRUE)
						break;
				}
				if (!ordered || j == i)
					reachable = 1;
				else if (blocker == -1)
					blocker = (int)j;
				else if (blocker != (int)j)
					mixed = 1;
			}
		}
		if (reachable)
			continue;
		if (selffalse)
			config_diag_warn(ld, rules[i].line, rules[i].col,
			    "%s '%s' can never match: its condition cannot "
			    "hold%s", what, rules[i].name, facts);
		else if (!mixed && blocker != -1)
			config_diag_warn(ld, rules[i].line, rules[i].col,
			    "%s '%s' can never match: %s '%s' (line %d) always "
			    "matches first", what, rules[i].name, what,
			    rules[blocker].name, rules[blocker].line);
		else
			config_diag_warn(ld, rules[i].line, rules[i].col,
			    "%s '%s' can never match: %s, an earlier %s "
			    "matches first or its own condition cannot hold",
			    what, rules[i].name, urgencies ?
			    "whatever the tier and urgency" :
			    "whatever the tier", what);
	}
}

void
config_analyse(struct load *ld)
{
	struct rules		*r = ld->r;
	struct analyse_rule	*v;
	size_t			 i, n;

	n = r->ntiers;
	if (r->nscores > n)
		n = r->nscores;
	if (r->noverrides > n)
		n = r->noverrides;
	if (r->nroutes > n)
		n = r->nroutes;
	if (r->npolicies > n)
		n = r->npolicies;
	v = xcalloc(n, sizeof *v);

	/* A tier the request may name itself is never out of reach. */
	if (!r->trust_request) {
		for (i = 0; i < r->ntiers; i++) {
			v[i].name = r->tiers[i].name;
			v[i].when = r->tiers[i].when;
			v[i].line = r->tiers[i].line;
			v[i].col = r->tiers[i].col;
		}
		analyse_list(ld, "tier level", v, r->ntiers, 1, 0, 0);
	}
	for (i = 0; i < r->nscores; i++) {
		v[i].name = r->scores[i].name;
		v[i].when = r->scores[i].when;
		v[i].line = r->scores[i].line;
		v[i].col = r->scores[i].col;
	}
	analyse_list(ld, "score rule", v, r->nscores, 0, 1, 0);
	for (i = 0; i < r->noverrides; i++) {
		v[i].name = r->overrides[i].name;
		v[i].when = r->overrides[i].when;
		v[i].line = r->overrides[i].line;
		v[i].col = r->overrides[i].col;
	}
	analyse_list(ld, "override", v, r->noverrides, 1, 1, 0);
	for (i = 0; i < r->nroutes; i++) {
		v[i].name = r->routes[i].name;
		v[i].when = r->routes[i].when;
		v[i].line = r->routes[i].line;
		v[i].col = r->routes[i].col;
	}
	analyse_list(ld, "route", v, r->nroutes, 1, 1, 1);
	for (i = 0; i < r->npolicies; i++) {
		v[i].name = r->policies[i].name;
		v[i].when = r->policies[i].when;
		v[i].line = r->policies[i].line;
		v[i].col = r->policies[i].col;
	}
	analyse_list(ld, "sla policy", v, r->npolicies, 1, 1, 1);
	free(v);
}

