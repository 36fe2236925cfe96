/*
 * config_cond.c - the conditions of the rules file (`when`), compiled into
 * cond.c's trees.
 *
 * A `when` is a mapping whose keys all hold: field names with a matcher
 * (a value, a list of values, or {gte: 10, ...}), and any/all/not over
 * nested conditions.  What a condition may read depends on its stage: tier
 * levels cannot look at the urgency, which is decided after them.  Values
 * compared with a decided fact (tier, urgency, team) must be names the fact
 * can take, so a misspelt one is an error rather than a rule that never
 * matches.
 *
 * Since libyaml shares aliased nodes, a hostile file could make a condition
 * a cycle or a tree of exponential size: conditions have a depth limit and
 * the file a budget of nodes; regular expressions have a budget of compile
 * time (cond.h).
 */
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "xmalloc.h"

#define FACT(slot)		(1u << (slot))

/* Which facts each stage may read, and how to say so. */
static const struct {
	const char	*rules;
	const char	*may;
	unsigned	 facts;
} when_stages[] = {
	{ "tier levels", "request fields and customer.* only", 0 },
	{ "score rules and overrides", "request fields, customer.* and tier",
	    FACT(COND_SLOT_TIER) },
	{ "routes", "request fields, customer.*, tier, urgency and score",
	    FACT(COND_SLOT_TIER) | FACT(COND_SLOT_URGENCY) |
	    FACT(COND_SLOT_SCORE) },
	{ "sla policies", "request fields, customer.*, tier, urgency, score "
	    "and team", FACT(COND_SLOT_TIER) | FACT(COND_SLOT_URGENCY) |
	    FACT(COND_SLOT_SCORE) | FACT(COND_SLOT_TEAM) },
};

static const char *when_matchers[] = {
	"eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "contains",
	"regex", "exists"
};

/* The slot of a field name in a condition; -1, with an error, if unusable. */
static int
when_slot(struct load *ld, yaml_node_t *k, const char *name,
    enum config_stage stage)
{
	size_t	plen = strlen(COND_CUSTOMER_PREFIX);
	int	fact, slot;

	for (fact = 0; fact < COND_NFACTS; fact++) {
		if (strcmp(name, cond_names_name(ld->r->names, fact)) == 0)
			break;
	}
	if (fact < COND_NFACTS && !(when_stages[stage].facts & FACT(fact))) {
		config_diag_error(ld, k, "'%s' is not decided yet when %s are "
		    "matched (%s may use %s)", name, when_stages[stage].rules,
		    when_stages[stage].rules, when_stages[stage].may);
		return -1;
	}
	if (*name == '\0' || (strncmp(name, COND_CUSTOMER_PREFIX, plen) == 0 &&
	    name[plen] == '\0')) {
		config_diag_error(ld, k, "empty field name '%s' in condition",
		    name);
		return -1;
	}
	if ((slot = cond_names_intern(ld->r->names, name)) == -1) {
		config_diag_error(ld, k, "too many distinct field names in "
		    "conditions (at most %d)", COND_MAX_SLOTS);
		return -1;
	}
	return slot;
}

/*
 * The strings of a matcher: one scalar (if allowed) or a non-empty list of
 * them.  The pointers borrow from the document; free only the array.
 */
static char **
when_values(struct load *ld, yaml_node_t *n, const char *what, int scalar,
    int nonempty, size_t *nout)
{
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	const char		*s;
	char			**v, expect[128];
	size_t			 i, nitem, nv = 0;
	int			 bad = 0;

	snprintf(expect, sizeof expect, "a string in %s", what);
	if (scalar && n->type == YAML_SCALAR_NODE) {
		if ((s = config_yaml_scalar(ld, n, expect)) == NULL)
			return NULL;
		if (nonempty && *s == '\0') {
			config_diag_error(ld, n, "empty string in %s", what);
			return NULL;
		}
		v = xcalloc(1, sizeof *v);
		v[0] = (char *)s;
		*nout = 1;
		return v;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		config_diag_error(ld, n, "expected %s for %s, found %s",
		    scalar ? "a string or a list" : "a list", what,
		    config_yaml_kind(n));
		return NULL;
	}
	config_yaml_seq(ld, n, what, &items, &nitem);
	if (nitem == 0) {
		config_diag_error(ld, n, "empty list in %s (expected at least "
		    "one value)", what);
		return NULL;
	}
	v = xcalloc(nitem, sizeof *v);
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if ((s = config_yaml_scalar(ld, item, expect)) == NULL) {
			bad = 1;
			continue;
		}
		if (nonempty && *s == '\0') {
			config_diag_error(ld, item, "empty string in %s", what);
			bad = 1;
			continue;
		}
		v[nv++] = (char *)s;
	}
	if (bad) {
		free(v);
		return NULL;
	}
	*nout = nv;
	return v;
}

static int
when_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Values compared with a fact must be names the fact can take.  They are
 * looked up in a sorted copy of the names, made at the first use: the
 * stages that may compare a fact come after the list of its names.
 */
static int
when_fact_values(struct load *ld, yaml_node_t *n, int slot, char **v,
    size_t nv)
{
	struct rules	*r = ld->r;
	yaml_node_t	*at;
	char		**names, **tiers = NULL, expected[512];
	const char	*one;
	size_t		 i, j, nnames;
	int		 bad = 0;

	switch (slot) {
	case COND_SLOT_TIER:
		names = NULL;
		nnames = r->ntiers;
		one = "tier";
		break;
	case COND_SLOT_URGENCY:
		names = r->urgencies;
		nnames = r->nurgencies;
		one = "urgency level";
		break;
	case COND_SLOT_TEAM:
		names = r->teams;
		nnames = r->nteams;
		one = "team";
		break;
	default:
		return 0;
	}
	if (nv > nnames && nnames > 0) {
		config_diag_error(ld, n, "%zu values, more than there are %ss "
		    "(%zu)", nv, one, nnames);
		return -1;
	}
	if (ld->sorted[slot] == NULL) {
		ld->sorted[slot] = xcalloc(nnames + 1, sizeof (char *));
		for (i = 0; i < nnames; i++)
			ld->sorted[slot][i] = names != NULL ? names[i] :
			    r->tiers[i].name;
		qsort(ld->sorted[slot], nnames, sizeof (char *), when_strcmp);
	}
	for (i = 0; i < nv; i++) {
		if (bsearch(&v[i], ld->sorted[slot], nnames, sizeof (char *),
		    when_strcmp) != NULL)
			continue;
		if (names == NULL) {
			/* The tiers in the order written, for the message. */
			tiers = xcalloc(nnames + 1, sizeof *tiers);
			for (j = 0; j < nnames; j++)
				tiers[j] = r->tiers[j].name;
			names = tiers;
		}
		/* Point at the value itself, in a list too. */
		at = n;
		if (n->type == YAML_SEQUENCE_NODE)
			at = config_yaml_node(ld,
			    n->data.sequence.items.start[i]);
		config_diag_error(ld, at, "undefined %s '%s' (expected one of: "
		    "%s)", one, v[i], config_diag_list(names, nnames, expected,
		    sizeof expected));
		bad = 1;
	}
	free(tiers);
	return bad ? -1 : 0;
}

/* One matcher of a field's mapping: {gte: 10}, {regex: ...}, ... */
static struct cond *
when_matcher(struct load *ld, yaml_node_t *k, yaml_node_t *v, int slot,
    const char *field)
{
	struct cond	*c = NULL;
	const char	*op = (const char *)k->data.scalar.value, *s;
	char		 what[256], err[256], expected[256], **vals;
	size_t		 nv, i;
	double		 num;
	int		 b;
	static const struct {
		const char	*name;
		enum cond_cmp	 cmp;
	} cmps[] = {
		{ "gt", COND_GT }, { "gte", COND_GTE }, { "lt", COND_LT },
		{ "lte", COND_LTE }
	};

	snprintf(what, sizeof what, "'%s' of '%s'", op, field);
	if (strcmp(op, "eq") == 0 || strcmp(op, "ne") == 0) {
		snprintf(what, sizeof what, "a value for '%s' of '%s'", op,
		    field);
		if ((s = config_yaml_scalar(ld, v, what)) == NULL)
			return NULL;
		vals = (char **)&s;
		if (when_fact_values(ld, v, slot, vals, 1) == -1)
			return NULL;
		return cond_new_eq(slot, op[0] == 'n', vals, 1);
	}
	if (strcmp(op, "in") == 0 || strcmp(op, "not_in") == 0) {
		if ((vals = when_values(ld, v, what, 1, 0, &nv)) == NULL)
			return NULL;
		if (when_fact_values(ld, v, slot, vals, nv) == 0)
			c = cond_new_eq(slot, op[0] == 'n', vals, nv);
		free(vals);
		return c;
	}
	for (i = 0; i < nitems(cmps); i++) {
		if (strcmp(op, cmps[i].name) == 0)
			break;
	}
	if (i < nitems(cmps)) {
		if (slot == COND_SLOT_TIER || slot == COND_SLOT_URGENCY ||
		    slot == COND_SLOT_TEAM) {
			config_diag_error(ld, k, "'%s' is a name, not a "
			    "number: '%s' does not apply (use eq, in, ne or "
			    "not_in)", field, op);
			return NULL;
		}
		snprintf(what, sizeof what, "a decimal number for '%s' of "
		    "'%s'", op, field);
		if ((s = config_yaml_scalar(ld, v, what)) == NULL)
			return NULL;
		if (cond_parse_number(s, strlen(s), &num) == -1) {
			config_diag_error(ld, v, "expected %s, found '%s'",
			    what, s);
			return NULL;
		}
		return cond_new_cmp(slot, cmps[i].cmp, num);
	}
	if (strcmp(op, "contains") == 0) {
		if ((vals = when_values(ld, v, what, 1, 1, &nv)) == NULL)
			return NULL;
		c = cond_new_contains(slot, vals, nv);
		free(vals);
		return c;
	}
	if (strcmp(op, "regex") == 0) {
		snprintf(what, sizeof what, "a regular expression for '%s'",
		    field);
		if ((s = config_yaml_scalar(ld, v, what)) == NULL)
			return NULL;
		/* Each takes time to compile: the file has a budget. */
		if (ld->regex == 0)
			return NULL;
		if ((c = cond_new_regex(slot, s, err, sizeof err)) == NULL) {
			config_diag_error(ld, v, "bad regular expression "
			    "'%.*s%s' for '%s': %s", CONFIG_SHOW, s,
			    strlen(s) > CONFIG_SHOW ? "..." : "", field, err);
			return NULL;
		}
		if (cond_regex_cost(c) >= ld->regex) {
			config_diag_error(ld, v, "too many or too large "
			    "regular expressions in the file (they would take "
			    "more than %d ms to compile, by an estimate)",
			    CONFIG_MAX_REGEX / 1000);
			ld->regex = 0;
			cond_free(c);
			return NULL;
		}
		ld->regex -= cond_regex_cost(c);
		return c;
	}
	if (strcmp(op, "exists") == 0) {
		snprintf(what, sizeof what, "'exists' of '%s'", field);
		if (config_yaml_bool(ld, v, what, &b) == -1)
			return NULL;
		return cond_new_exists(slot, b);
	}
	config_diag_error(ld, k, "unknown matcher '%s' for '%s' (expected one "
	    "of: %s)", op, field, config_diag_list((char **)when_matchers,
	    nitems(when_matchers), expected, sizeof expected));
	return NULL;
}

/* field: value | [values] | {matcher: ..., ...} */
static struct cond *
when_field(struct load *ld, yaml_node_t *k, const char *field,
    yaml_node_t *v, enum config_stage stage)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*mk, *mv;
	struct cond		*all, *c;
	char			 what[256], **vals;
	const char		*s;
	size_t			 nv;
	int			 slot;

	if ((slot = when_slot(ld, k, field, stage)) == -1)
		return NULL;
	snprintf(what, sizeof what, "the values of '%s'", field);
	switch (v->type) {
	case YAML_SCALAR_NODE:
		snprintf(what, sizeof what, "a matcher for '%s' (a value, a "
		    "list of values, or a mapping such as {gte: 10})", field);
		if ((s = config_yaml_scalar(ld, v, what)) == NULL)
			return NULL;
		vals = (char **)&s;
		if (when_fact_values(ld, v, slot, vals, 1) == -1)
			return NULL;
		return cond_new_eq(slot, 0, vals, 1);
	case YAML_SEQUENCE_NODE:
		if ((vals = when_values(ld, v, what, 0, 0, &nv)) == NULL)
			return NULL;
		c = NULL;
		if (when_fact_values(ld, v, slot, vals, nv) == 0)
			c = cond_new_eq(slot, 0, vals, nv);
		free(vals);
		return c;
	case YAML_MAPPING_NODE:
		break;
	default:
		return NULL;
	}
	if (v->data.mapping.pairs.start == v->data.mapping.pairs.top) {
		config_diag_error(ld, v, "no matcher for '%s' (expected a "
		    "value, a list, or a mapping such as {gte: 10})", field);
		return NULL;
	}
	all = cond_new_all();
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	    p++) {
		mk = config_yaml_node(ld, p->key);
		mv = config_yaml_node(ld, p->value);
		if (mk->type != YAML_SCALAR_NODE) {
			config_diag_error(ld, mk, "expected a matcher name for "
			    "'%s', found %s", field, config_yaml_kind(mk));
			continue;
		}
		if ((c = when_matcher(ld, mk, mv, slot, field)) != NULL)
			cond_add(all, c);
	}
	return all;
}

/*
 * A `when`: a mapping whose keys all hold.  Returns NULL only after an
 * error; the load fails then, so the caller need not care.
 */
static struct cond *
when_tree(struct load *ld, yaml_node_t *n, enum config_stage stage,
    int depth)
{
	yaml_node_pair_t	*p, *q;
	yaml_node_item_t	*items;
	yaml_node_t		*k, *v, *item, *qk = NULL;
	struct cond		*all, *group, *c;
	const char		*name;
	size_t			 i, nitem;

	if (depth > CONFIG_MAX_DEPTH) {
		config_diag_error(ld, n, "condition nested too deeply (at most "
		    "%d levels)", CONFIG_MAX_DEPTH);
		return NULL;
	}
	if (ld->budget == 0)
		return NULL;		/* refused already */
	if (--ld->budget == 0) {
		config_diag_error(ld, n, "conditions too large (at most %d "
		    "nodes in a file)", CONFIG_MAX_CONDS);
		return NULL;
	}
	if (n->type != YAML_MAPPING_NODE) {
		config_diag_error(ld, n, "expected a condition (a mapping of "
		    "field: matcher, or any/all/not), found %s",
		    config_yaml_kind(n));
		return NULL;
	}
	/* Keys are checked against the earlier ones for duplicates. */
	if (config_yaml_limit(ld, n, "condition", n->data.mapping.pairs.top -
	    n->data.mapping.pairs.start, COND_MAX_SLOTS) == -1)
		return NULL;
	all = cond_new_all();
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = config_yaml_node(ld, p->key);
		v = config_yaml_node(ld, p->value);
		if (k->type != YAML_SCALAR_NODE) {
			config_diag_error(ld, k, "expected a field name in "
			    "condition, found %s", config_yaml_kind(k));
			continue;
		}
		name = (const char *)k->data.scalar.value;
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			qk = config_yaml_node(ld, q->key);
			if (qk->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)qk->data.scalar.value,
			    name) == 0)
				break;
		}
		if (q < p) {
			config_diag_error(ld, k, "duplicate key '%s' in "
			    "condition (first at line %d; to require several "
			    "matchers on one field, use all:)", name,
			    config_yaml_line(qk));
			continue;
		}
		if (strcmp(name, "any") == 0 || strcmp(name, "all") == 0) {
			if (config_yaml_seq(ld, v, name, &items, &nitem) == -1)
				continue;
			if (nitem == 0) {
				config_diag_error(ld, v, "empty '%s' (expected "
				    "a list of at least one condition)", name);
				continue;
			}
			group = name[1] == 'n' ? cond_new_any() :
			    cond_new_all();
			for (i = 0; i < nitem; i++) {
				item = config_yaml_node(ld, items[i]);
				c = when_tree(ld, item, stage, depth + 1);
				if (c != NULL)
					cond_add(group, c);
			}
			cond_add(all, group);
		} else if (strcmp(name, "not") == 0) {
			if ((c = when_tree(ld, v, stage, depth + 1)) != NULL)
				cond_add(all, cond_new_not(c));
		} else if ((c = when_field(ld, k, name, v, stage)) != NULL)
			cond_add(all, c);
	}
	return all;
}

/* An optional `when`; NULL means always. */
struct cond *
config_cond_when(struct load *ld, yaml_node_t *n, enum config_stage stage)
{
	if (n == NULL)
		return NULL;
	return when_tree(ld, n, stage, 0);
}

