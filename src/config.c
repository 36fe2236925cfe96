/*
 * config.c - the rules file: YAML -> a fresh, validated struct config.
 *
 * The file is read whole, hashed for its version, and loaded with libyaml's
 * document API, which keeps every node's line and column.  The loader then
 * walks the sections in dependency order rather than file order (names
 * first: teams, notify targets, urgency levels, calendars, tiers; then the
 * rules that refer to them), so a route may name a team written further
 * down.  Every problem is appended to the diagnostics as
 * "FILE:LINE:COL: error: MESSAGE" and the walk goes on, so one run shows
 * every mistake; the config is handed out only if there were none.
 *
 * Aliases are allowed, but since the document API shares aliased nodes a
 * hostile file could make a condition a cycle or a tree of exponential size:
 * conditions therefore have a depth limit and the file a node budget.
 *
 * Reload parses in the event loop, so the whole load is bounded: the file's
 * size before it is parsed, its nesting and its size with aliases expanded
 * while its events are read once (load_scan()), before libyaml builds a
 * tree, and each regex before it is compiled (cond.c).  The worst files
 * within those limits load or are refused in well under a second.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "calendar.h"
#include "config.h"
#include "duration.h"
#include "log.h"
#include "xmalloc.h"
#include "rules_impl.h"

#define nitems(a)		(sizeof (a) / sizeof (a)[0])

#define LOAD_MAX_FILE		(4 * 1024 * 1024)
#define LOAD_MAX_NESTING	64
#define LOAD_MAX_NODES		1000000
#define LOAD_MAX_TEXT		(16 * 1024 * 1024)
#define LOAD_MAX_ANCHORS	100

/*
 * The loader checks names and rules against the earlier ones one by one,
 * so the lists it walks that way are bounded too: far beyond any call
 * center, short of what would take seconds.
 */
#define LOAD_MAX_NAMES		1000	/* teams, notify, levels, channels */
#define LOAD_MAX_RULES		5000	/* tier levels, score rules, ... */
#define LOAD_MAX_STEPS		100	/* escalation steps of one clock */
#define LOAD_MAX_CALENDARS	100	/* each reads a time zone file */
#define LOAD_MAX_REGEX		200000	/* us of regcomp() in all (cond.h) */
/* Condition nodes that --check's analysis of one list may evaluate. */
#define LOAD_MAX_ANALYSIS	50000000

/* The most of a long value an error message repeats. */
#define LOAD_SHOW		200
#define LOAD_MAX_DEPTH		32
#define LOAD_MAX_CONDS		100000

enum load_stage { STAGE_TIER, STAGE_URGENCY, STAGE_ROUTE, STAGE_SLA };

#define FACT(slot)		(1u << (slot))

/* Which facts each stage may read, and how to say so. */
static const struct {
	const char	*rules;
	const char	*may;
	unsigned	 facts;
} load_stages[] = {
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

static const char *load_matchers[] = {
	"eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "contains",
	"regex", "exists"
};

static const char *load_days[] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

/* One error or warning, kept to be shown in the order of the file. */
struct load_diag {
	size_t		 line, col;	/* line 0: the whole file */
	size_t		 seq;
	char		*text;		/* the line, with '\n' */
};

struct load {
	const char	*path;
	int		 flags;
	yaml_document_t	 doc;
	struct load_diag *diags;
	size_t		 ndiags;
	int		 nerrors;
	size_t		 budget;	/* condition nodes left */
	size_t		 regex;		/* regcomp() budget left */
	struct config	*cf;
	struct rules	*r;

	/* Names of tiers, urgencies and teams, sorted (load_fact_values()). */
	char		**sorted[COND_NFACTS];

	/* Every calendar written, even one that failed to build. */
	char		**calnames;
	size_t		  ncalnames;
};

/* One key of a mapping the loader knows. */
struct load_key {
	const char	*name;
	yaml_node_t	*value;
	yaml_node_t	*key;
};

/* A malloc'd, formatted string. */
static char *
load_vformat(const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*s;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		fatal("vsnprintf");
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static char * __attribute__((format(printf, 1, 2)))
load_format(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = load_vformat(fmt, ap);
	va_end(ap);
	return s;
}

static void
load_vmsg(struct load *ld, size_t line, size_t col, const char *kind,
    const char *fmt, va_list ap)
{
	struct load_diag	*d;
	char			*msg;

	msg = load_vformat(fmt, ap);
	d = reallocarray(ld->diags, ld->ndiags + 1, sizeof *d);
	if (d == NULL)
		fatal("reallocarray");
	ld->diags = d;
	d = &ld->diags[ld->ndiags];
	d->line = line;
	d->col = col;
	d->seq = ld->ndiags++;
	if (line == 0)
		d->text = load_format("%s: %s: %s\n", ld->path, kind, msg);
	else
		d->text = load_format("%s:%zu:%zu: %s: %s\n", ld->path, line,
		    col, kind, msg);
	free(msg);
}

static void __attribute__((format(printf, 4, 5)))
load_error_at(struct load *ld, size_t line, size_t col, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	load_vmsg(ld, line, col, "error", fmt, ap);
	va_end(ap);
	ld->nerrors++;
}

static int
load_diag_cmp(const void *a, const void *b)
{
	const struct load_diag	*da = a, *db = b;

	if (da->line != db->line)
		return da->line < db->line ? -1 : 1;
	if (da->col != db->col)
		return da->col < db->col ? -1 : 1;
	return da->seq < db->seq ? -1 : da->seq > db->seq;
}

/*
 * The diagnostics as one text, in the order of the file: the loader finds
 * them in the order it walks the sections, which is not what a person
 * reading the file expects.
 */
static char *
load_diag_text(struct load *ld)
{
	char	*text;
	size_t	 i, len = 0, off = 0;

	if (ld->ndiags == 0)
		return NULL;
	qsort(ld->diags, ld->ndiags, sizeof *ld->diags, load_diag_cmp);
	for (i = 0; i < ld->ndiags; i++)
		len += strlen(ld->diags[i].text);
	if ((text = malloc(len + 1)) == NULL)
		fatal("malloc");
	for (i = 0; i < ld->ndiags; i++) {
		len = strlen(ld->diags[i].text);
		memcpy(text + off, ld->diags[i].text, len);
		off += len;
		free(ld->diags[i].text);
	}
	text[off] = '\0';
	free(ld->diags);
	return text;
}

static void __attribute__((format(printf, 3, 4)))
load_error(struct load *ld, const yaml_node_t *n, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	load_vmsg(ld, n->start_mark.line + 1, n->start_mark.column + 1,
	    "error", fmt, ap);
	va_end(ap);
	ld->nerrors++;
}

static void __attribute__((format(printf, 4, 5)))
load_warn(struct load *ld, int line, int col, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	load_vmsg(ld, line, col, "warning", fmt, ap);
	va_end(ap);
}

static int
load_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

static int
load_col(const yaml_node_t *n)
{
	return (int)n->start_mark.column + 1;
}

static yaml_node_t *
load_node(struct load *ld, int index)
{
	return yaml_document_get_node(&ld->doc, index);
}

static int
load_is_null(const yaml_node_t *n)
{
	const char	*s = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return (strcmp(s, "") == 0 || strcmp(s, "~") == 0 ||
	    strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0);
}

static const char *
load_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return load_is_null(n) ? "nothing" : "a scalar";
	}
}

/* "a, b, c" of names, cut short if it would be long. */
static const char *
load_list(char *const *names, size_t n, char *buf, size_t size)
{
	size_t	i, len = 0;

	buf[0] = '\0';
	if (n == 0) {
		snprintf(buf, size, "none defined");
		return buf;
	}
	for (i = 0; i < n && len < size; i++) {
		if (len + strlen(names[i]) + 8 >= size) {
			snprintf(buf + len, size - len, ", ...");
			break;
		}
		len += snprintf(buf + len, size - len, "%s%s",
		    i == 0 ? "" : ", ", names[i]);
	}
	return buf;
}

static int
load_find(char *const *names, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

static void
load_push(char ***names, size_t *n, const char *name)
{
	char	**p;

	if ((p = reallocarray(*names, *n + 1, sizeof *p)) == NULL)
		fatal("reallocarray");
	p[(*n)++] = xstrdup(name);
	*names = p;
}

/*
 * The text of a scalar; NULL, with an error, if n is something else.  what
 * names the thing expected ("a string for redis.host").
 */
static const char *
load_scalar(struct load *ld, yaml_node_t *n, const char *what)
{
	const char	*s;

	if (n->type != YAML_SCALAR_NODE || load_is_null(n)) {
		load_error(ld, n, "expected %s, found %s", what, load_kind(n));
		return NULL;
	}
	s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length) {
		load_error(ld, n, "expected %s, found text with a NUL byte",
		    what);
		return NULL;
	}
	return s;
}

/* Replace *dst with the string at n. */
static void
load_string(struct load *ld, yaml_node_t *n, const char *key, char **dst)
{
	char		 what[128];
	const char	*s;

	snprintf(what, sizeof what, "a string for %s", key);
	if ((s = load_scalar(ld, n, what)) == NULL)
		return;
	free(*dst);
	*dst = xstrdup(s);
}

static int
load_long(struct load *ld, yaml_node_t *n, const char *key, long min,
    long max, long *out)
{
	char		 what[128], *end;
	const char	*s;
	long		 v;

	snprintf(what, sizeof what, "an integer from %ld to %ld for %s",
	    min, max, key);
	if ((s = load_scalar(ld, n, what)) == NULL)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || isspace((unsigned char)*s) || *end != '\0' ||
	    errno != 0 || v < min || v > max) {
		load_error(ld, n, "expected %s, found '%s'", what, s);
		return -1;
	}
	*out = v;
	return 0;
}

static void
load_int(struct load *ld, yaml_node_t *n, const char *key, long min,
    long max, int *dst)
{
	long	v;

	if (load_long(ld, n, key, min, max, &v) == 0)
		*dst = (int)v;
}

static int
load_bool(struct load *ld, yaml_node_t *n, const char *key, int *out)
{
	char		 what[128];
	const char	*s;

	snprintf(what, sizeof what, "true or false for %s", key);
	if ((s = load_scalar(ld, n, what)) == NULL)
		return -1;
	if (strcasecmp(s, "true") == 0)
		*out = 1;
	else if (strcasecmp(s, "false") == 0)
		*out = 0;
	else {
		load_error(ld, n, "expected %s, found '%s'", what, s);
		return -1;
	}
	return 0;
}

/* A positive duration. */
static int
load_duration(struct load *ld, yaml_node_t *n, const char *key,
    int64_t *out)
{
	char		 what[128];
	const char	*s;
	int64_t		 ms;

	snprintf(what, sizeof what, "a duration for %s", key);
	if ((s = load_scalar(ld, n, what)) == NULL)
		return -1;
	if ((ms = duration_parse(s)) <= 0) {
		load_error(ld, n, "bad duration '%s' for %s (expected a "
		    "positive number with a unit, e.g. 90s, 15m, 4h, 2d, "
		    "1h30m)", s, key);
		return -1;
	}
	*out = ms;
	return 0;
}

/*
 * Check that n is a mapping whose keys are all among keys[], and set each
 * key's value.  Returns -1 if n is not a mapping.
 */
static int
load_map(struct load *ld, yaml_node_t *n, const char *what,
    struct load_key *keys, size_t nkeys)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;
	const char		*name;
	char			 expected[512];
	char			*names[32];
	size_t			 i;

	for (i = 0; i < nkeys; i++) {
		keys[i].value = NULL;
		keys[i].key = NULL;
	}
	if (n->type != YAML_MAPPING_NODE) {
		load_error(ld, n, "expected a mapping for %s, found %s", what,
		    load_kind(n));
		return -1;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = load_node(ld, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			load_error(ld, k, "expected a key name in %s, found %s",
			    what, load_kind(k));
			continue;
		}
		name = (const char *)k->data.scalar.value;
		for (i = 0; i < nkeys; i++) {
			if (strcmp(keys[i].name, name) == 0)
				break;
		}
		if (i == nkeys) {
			for (i = 0; i < nkeys && i < nitems(names); i++)
				names[i] = (char *)keys[i].name;
			load_error(ld, k, "unknown key '%s' in %s (expected "
			    "one of: %s)", name, what,
			    load_list(names, i, expected, sizeof expected));
			continue;
		}
		if (keys[i].key != NULL) {
			load_error(ld, k, "duplicate key '%s' in %s (first "
			    "at line %d)", name, what, load_line(keys[i].key));
			continue;
		}
		keys[i].key = k;
		keys[i].value = load_node(ld, p->value);
	}
	return 0;
}

/* The items of a list; -1, with an error, if n is not one. */
static int
load_seq(struct load *ld, yaml_node_t *n, const char *what,
    yaml_node_item_t **items, size_t *nitem)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		load_error(ld, n, "expected a list for %s, found %s", what,
		    load_kind(n));
		return -1;
	}
	*items = n->data.sequence.items.start;
	*nitem = n->data.sequence.items.top - n->data.sequence.items.start;
	return 0;
}

/* An error, and -1, if a list or mapping has more than max entries. */
static int
load_limit(struct load *ld, yaml_node_t *n, const char *what, size_t count,
    size_t max)
{
	if (count <= max)
		return 0;
	load_error(ld, n, "%s has %zu entries (at most %zu)", what, count,
	    max);
	return -1;
}

/* A list of distinct, non-empty names (teams, notify, levels, channels). */
static void
load_names(struct load *ld, yaml_node_t *n, const char *what,
    const char *one, char ***out, size_t *nout)
{
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	const char		*s;
	char			 expect[128];
	size_t			 i, nitem;

	if (load_seq(ld, n, what, &items, &nitem) == -1 ||
	    load_limit(ld, n, what, nitem, LOAD_MAX_NAMES) == -1)
		return;
	if (nitem == 0) {
		load_error(ld, n, "%s is empty (expected at least one %s)",
		    what, one);
		return;
	}
	snprintf(expect, sizeof expect, "a %s name", one);
	for (i = 0; i < nitem; i++) {
		item = load_node(ld, items[i]);
		if ((s = load_scalar(ld, item, expect)) == NULL)
			continue;
		if (*s == '\0') {
			load_error(ld, item, "empty %s name", one);
			continue;
		}
		if (load_find(*out, *nout, s) != -1) {
			load_error(ld, item, "duplicate %s '%s' in %s", one, s,
			    what);
			continue;
		}
		load_push(out, nout, s);
	}
}

/* A reference to a name in a list; -1, with an error, if undefined. */
static int
load_ref(struct load *ld, yaml_node_t *n, const char *one,
    char *const *names, size_t nnames)
{
	char		 what[128], expected[512];
	const char	*s;
	int		 i;

	snprintf(what, sizeof what, "a %s name", one);
	if ((s = load_scalar(ld, n, what)) == NULL)
		return -1;
	if ((i = load_find(names, nnames, s)) == -1) {
		load_error(ld, n, "undefined %s '%s' (expected one of: %s)",
		    one, s, load_list(names, nnames, expected,
		    sizeof expected));
	}
	return i;
}

static char *
load_rule_name(struct load *ld, yaml_node_t *n, const char *list, size_t i)
{
	char		 buf[64];
	const char	*s;

	if (n != NULL && (s = load_scalar(ld, n, "a rule name")) != NULL) {
		if (*s != '\0')
			return xstrdup(s);
		load_error(ld, n, "empty rule name");
	}
	snprintf(buf, sizeof buf, "%s[%zu]", list, i);
	return xstrdup(buf);
}

/* An error if an earlier rule of the list has the same name. */
static void
load_unique(struct load *ld, yaml_node_t *n, const char *what,
    const char *name, const char *prev, int prevline)
{
	if (n != NULL && strcmp(name, prev) == 0)
		load_error(ld, n, "duplicate %s name '%s' (first at line %d)",
		    what, name, prevline);
}

/*
 * Conditions.
 */

/* The slot of a field name in a condition; -1, with an error, if unusable. */
static int
load_slot(struct load *ld, yaml_node_t *k, const char *name,
    enum load_stage stage)
{
	size_t	plen = strlen(COND_CUSTOMER_PREFIX);
	int	fact, slot;

	for (fact = 0; fact < COND_NFACTS; fact++) {
		if (strcmp(name, cond_names_name(ld->r->names, fact)) == 0)
			break;
	}
	if (fact < COND_NFACTS && !(load_stages[stage].facts & FACT(fact))) {
		load_error(ld, k, "'%s' is not decided yet when %s are "
		    "matched (%s may use %s)", name, load_stages[stage].rules,
		    load_stages[stage].rules, load_stages[stage].may);
		return -1;
	}
	if (*name == '\0' || (strncmp(name, COND_CUSTOMER_PREFIX, plen) == 0 &&
	    name[plen] == '\0')) {
		load_error(ld, k, "empty field name '%s' in condition", name);
		return -1;
	}
	if ((slot = cond_names_intern(ld->r->names, name)) == -1) {
		load_error(ld, k, "too many distinct field names in conditions "
		    "(at most %d)", COND_MAX_SLOTS);
		return -1;
	}
	return slot;
}

/*
 * The strings of a matcher: one scalar (if allowed) or a non-empty list of
 * them.  The pointers borrow from the document; free only the array.
 */
static char **
load_values(struct load *ld, yaml_node_t *n, const char *what, int scalar,
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
		if ((s = load_scalar(ld, n, expect)) == NULL)
			return NULL;
		if (nonempty && *s == '\0') {
			load_error(ld, n, "empty string in %s", what);
			return NULL;
		}
		v = xcalloc(1, sizeof *v);
		v[0] = (char *)s;
		*nout = 1;
		return v;
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		load_error(ld, n, "expected %s for %s, found %s",
		    scalar ? "a string or a list" : "a list", what,
		    load_kind(n));
		return NULL;
	}
	load_seq(ld, n, what, &items, &nitem);
	if (nitem == 0) {
		load_error(ld, n, "empty list in %s (expected at least one "
		    "value)", what);
		return NULL;
	}
	v = xcalloc(nitem, sizeof *v);
	for (i = 0; i < nitem; i++) {
		item = load_node(ld, items[i]);
		if ((s = load_scalar(ld, item, expect)) == NULL) {
			bad = 1;
			continue;
		}
		if (nonempty && *s == '\0') {
			load_error(ld, item, "empty string in %s", what);
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
load_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Values compared with a fact must be names the fact can take.  They are
 * looked up in a sorted copy of the names, made at the first use: the
 * stages that may compare a fact come after the list of its names.
 */
static int
load_fact_values(struct load *ld, yaml_node_t *n, int slot, char **v,
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
		load_error(ld, n, "%zu values, more than there are %ss (%zu)",
		    nv, one, nnames);
		return -1;
	}
	if (ld->sorted[slot] == NULL) {
		ld->sorted[slot] = xcalloc(nnames + 1, sizeof (char *));
		for (i = 0; i < nnames; i++)
			ld->sorted[slot][i] = names != NULL ? names[i] :
			    r->tiers[i].name;
		qsort(ld->sorted[slot], nnames, sizeof (char *), load_strcmp);
	}
	for (i = 0; i < nv; i++) {
		if (bsearch(&v[i], ld->sorted[slot], nnames, sizeof (char *),
		    load_strcmp) != NULL)
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
			at = load_node(ld, n->data.sequence.items.start[i]);
		load_error(ld, at, "undefined %s '%s' (expected one of: %s)",
		    one, v[i], load_list(names, nnames, expected,
		    sizeof expected));
		bad = 1;
	}
	free(tiers);
	return bad ? -1 : 0;
}

/* One matcher of a field's mapping: {gte: 10}, {regex: ...}, ... */
static struct cond *
load_matcher(struct load *ld, yaml_node_t *k, yaml_node_t *v, int slot,
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
		if ((s = load_scalar(ld, v, what)) == NULL)
			return NULL;
		vals = (char **)&s;
		if (load_fact_values(ld, v, slot, vals, 1) == -1)
			return NULL;
		return cond_new_eq(slot, op[0] == 'n', vals, 1);
	}
	if (strcmp(op, "in") == 0 || strcmp(op, "not_in") == 0) {
		if ((vals = load_values(ld, v, what, 1, 0, &nv)) == NULL)
			return NULL;
		if (load_fact_values(ld, v, slot, vals, nv) == 0)
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
			load_error(ld, k, "'%s' is a name, not a number: '%s' "
			    "does not apply (use eq, in, ne or not_in)",
			    field, op);
			return NULL;
		}
		snprintf(what, sizeof what, "a decimal number for '%s' of "
		    "'%s'", op, field);
		if ((s = load_scalar(ld, v, what)) == NULL)
			return NULL;
		if (cond_parse_number(s, strlen(s), &num) == -1) {
			load_error(ld, v, "expected %s, found '%s'", what, s);
			return NULL;
		}
		return cond_new_cmp(slot, cmps[i].cmp, num);
	}
	if (strcmp(op, "contains") == 0) {
		if ((vals = load_values(ld, v, what, 1, 1, &nv)) == NULL)
			return NULL;
		c = cond_new_contains(slot, vals, nv);
		free(vals);
		return c;
	}
	if (strcmp(op, "regex") == 0) {
		snprintf(what, sizeof what, "a regular expression for '%s'",
		    field);
		if ((s = load_scalar(ld, v, what)) == NULL)
			return NULL;
		/* Each takes time to compile: the file has a budget. */
		if (ld->regex == 0)
			return NULL;
		if ((c = cond_new_regex(slot, s, err, sizeof err)) == NULL) {
			load_error(ld, v, "bad regular expression '%.*s%s' for "
			    "'%s': %s", LOAD_SHOW, s,
			    strlen(s) > LOAD_SHOW ? "..." : "", field, err);
			return NULL;
		}
		if (cond_regex_cost(c) >= ld->regex) {
			load_error(ld, v, "too many or too large regular "
			    "expressions in the file (they would take more "
			    "than %d ms to compile, by an estimate)",
			    LOAD_MAX_REGEX / 1000);
			ld->regex = 0;
			cond_free(c);
			return NULL;
		}
		ld->regex -= cond_regex_cost(c);
		return c;
	}
	if (strcmp(op, "exists") == 0) {
		snprintf(what, sizeof what, "'exists' of '%s'", field);
		if (load_bool(ld, v, what, &b) == -1)
			return NULL;
		return cond_new_exists(slot, b);
	}
	load_error(ld, k, "unknown matcher '%s' for '%s' (expected one of: "
	    "%s)", op, field, load_list((char **)load_matchers,
	    nitems(load_matchers), expected, sizeof expected));
	return NULL;
}

/* field: value | [values] | {matcher: ..., ...} */
static struct cond *
load_field(struct load *ld, yaml_node_t *k, const char *field,
    yaml_node_t *v, enum load_stage stage)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*mk, *mv;
	struct cond		*all, *c;
	char			 what[256], **vals;
	const char		*s;
	size_t			 nv;
	int			 slot;

	if ((slot = load_slot(ld, k, field, stage)) == -1)
		return NULL;
	snprintf(what, sizeof what, "the values of '%s'", field);
	switch (v->type) {
	case YAML_SCALAR_NODE:
		snprintf(what, sizeof what, "a matcher for '%s' (a value, a "
		    "list of values, or a mapping such as {gte: 10})", field);
		if ((s = load_scalar(ld, v, what)) == NULL)
			return NULL;
		vals = (char **)&s;
		if (load_fact_values(ld, v, slot, vals, 1) == -1)
			return NULL;
		return cond_new_eq(slot, 0, vals, 1);
	case YAML_SEQUENCE_NODE:
		if ((vals = load_values(ld, v, what, 0, 0, &nv)) == NULL)
			return NULL;
		c = NULL;
		if (load_fact_values(ld, v, slot, vals, nv) == 0)
			c = cond_new_eq(slot, 0, vals, nv);
		free(vals);
		return c;
	case YAML_MAPPING_NODE:
		break;
	default:
		return NULL;
	}
	if (v->data.mapping.pairs.start == v->data.mapping.pairs.top) {
		load_error(ld, v, "no matcher for '%s' (expected a value, a "
		    "list, or a mapping such as {gte: 10})", field);
		return NULL;
	}
	all = cond_new_all();
	for (p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top;
	    p++) {
		mk = load_node(ld, p->key);
		mv = load_node(ld, p->value);
		if (mk->type != YAML_SCALAR_NODE) {
			load_error(ld, mk, "expected a matcher name for '%s', "
			    "found %s", field, load_kind(mk));
			continue;
		}
		if ((c = load_matcher(ld, mk, mv, slot, field)) != NULL)
			cond_add(all, c);
	}
	return all;
}

/*
 * A `when`: a mapping whose keys all hold.  Returns NULL only after an
 * error; the load fails then, so the caller need not care.
 */
static struct cond *
load_when(struct load *ld, yaml_node_t *n, enum load_stage stage,
    int depth)
{
	yaml_node_pair_t	*p, *q;
	yaml_node_item_t	*items;
	yaml_node_t		*k, *v, *item;
	struct cond		*all, *group, *c;
	const char		*name;
	size_t			 i, nitem;

	if (depth > LOAD_MAX_DEPTH) {
		load_error(ld, n, "condition nested too deeply (at most %d "
		    "levels)", LOAD_MAX_DEPTH);
		return NULL;
	}
	if (ld->budget == 0)
		return NULL;
	if (--ld->budget == 0) {
		load_error(ld, n, "conditions too large (at most %d nodes "
		    "in a file)", LOAD_MAX_CONDS);
		return NULL;
	}
	if (n->type != YAML_MAPPING_NODE) {
		load_error(ld, n, "expected a condition (a mapping of field: "
		    "matcher, or any/all/not), found %s", load_kind(n));
		return NULL;
	}
	/* Keys are checked against the earlier ones for duplicates. */
	if (load_limit(ld, n, "condition", n->data.mapping.pairs.top -
	    n->data.mapping.pairs.start, COND_MAX_SLOTS) == -1)
		return NULL;
	all = cond_new_all();
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = load_node(ld, p->key);
		v = load_node(ld, p->value);
		if (k->type != YAML_SCALAR_NODE) {
			load_error(ld, k, "expected a field name in condition, "
			    "found %s", load_kind(k));
			continue;
		}
		name = (const char *)k->data.scalar.value;
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			if (load_node(ld, q->key)->type == YAML_SCALAR_NODE &&
			    strcmp((const char *)load_node(ld,
			    q->key)->data.scalar.value, name) == 0)
				break;
		}
		if (q < p) {
			load_error(ld, k, "duplicate key '%s' in condition "
			    "(first at line %d; to require several matchers "
			    "on one field, use all:)", name,
			    load_line(load_node(ld, q->key)));
			continue;
		}
		if (strcmp(name, "any") == 0 || strcmp(name, "all") == 0) {
			if (load_seq(ld, v, name, &items, &nitem) == -1)
				continue;
			if (nitem == 0) {
				load_error(ld, v, "empty '%s' (expected a list "
				    "of at least one condition)", name);
				continue;
			}
			group = name[1] == 'n' ? cond_new_any() :
			    cond_new_all();
			for (i = 0; i < nitem; i++) {
				item = load_node(ld, items[i]);
				c = load_when(ld, item, stage, depth + 1);
				if (c != NULL)
					cond_add(group, c);
			}
			cond_add(all, group);
		} else if (strcmp(name, "not") == 0) {
			if ((c = load_when(ld, v, stage, depth + 1)) != NULL)
				cond_add(all, cond_new_not(c));
		} else if ((c = load_field(ld, k, name, v, stage)) != NULL)
			cond_add(all, c);
	}
	return all;
}

/* An optional `when`; NULL means always. */
static struct cond *
load_rule_when(struct load *ld, yaml_node_t *n, enum load_stage stage)
{
	if (n == NULL)
		return NULL;
	return load_when(ld, n, stage, 0);
}

/*
 * Sections.
 */

static void
load_redis(struct load *ld, yaml_node_t *n)
{
	struct config_redis	*rc = &ld->cf->redis;
	struct load_key		 k[] = {
		{ .name = "host" }, { .name = "port" }, { .name = "socket" },
		{ .name = "db" },
		{ .name = "username" }, { .name = "password_env" },
		{ .name = "prefix" }
	};

	if (load_map(ld, n, "redis", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		load_string(ld, k[0].value, "redis.host", &rc->host);
	if (k[1].value != NULL)
		load_int(ld, k[1].value, "redis.port", 1, 65535, &rc->port);
	if (k[2].value != NULL)
		load_string(ld, k[2].value, "redis.socket", &rc->socket);
	if (k[3].value != NULL)
		load_int(ld, k[3].value, "redis.db", 0, 1000000, &rc->db);
	if (k[4].value != NULL)
		load_string(ld, k[4].value, "redis.username", &rc->username);
	if (k[5].value != NULL)
		load_string(ld, k[5].value, "redis.password_env",
		    &rc->password_env);
	if (k[6].value != NULL)
		load_string(ld, k[6].value, "redis.prefix", &rc->prefix);
}

static void
load_intake(struct load *ld, yaml_node_t *n)
{
	struct config_intake	*ic = &ld->cf->intake;
	struct load_key		 k[] = {
		{ .name = "group" }, { .name = "batch" },
		{ .name = "claim_idle" },
		{ .name = "max_deliveries" }, { .name = "max_field_bytes" },
		{ .name = "channels" },
		{ .name = "stream" }, { .name = "events" },
		{ .name = "consumer" }
	};
	char			**channels = NULL;
	size_t			  nchannels = 0, i;
	long			  v;

	if (load_map(ld, n, "intake", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		load_string(ld, k[0].value, "intake.group", &ic->group);
	if (k[1].value != NULL)
		load_int(ld, k[1].value, "intake.batch", 1, 10000, &ic->batch);
	if (k[2].value != NULL)
		load_duration(ld, k[2].value, "intake.claim_idle",
		    &ic->claim_idle_ms);
	if (k[3].value != NULL)
		load_int(ld, k[3].value, "intake.max_deliveries", 1, 1000000,
		    &ic->max_deliveries);
	if (k[4].value != NULL && load_long(ld, k[4].value,
	    "intake.max_field_bytes", 1, 512L * 1024 * 1024, &v) == 0)
		ic->max_field_bytes = (size_t)v;
	if (k[5].value != NULL) {
		load_names(ld, k[5].value, "intake.channels", "channel",
		    &channels, &nchannels);
		if (nchannels > 0) {
			for (i = 0; i < ic->nchannels; i++)
				free(ic->channels[i]);
			free(ic->channels);
			ic->channels = channels;
			ic->nchannels = nchannels;
		} else
			free(channels);
	}
	if (k[6].value != NULL)
		load_string(ld, k[6].value, "intake.stream", &ic->stream);
	if (k[7].value != NULL)
		load_string(ld, k[7].value, "intake.events", &ic->events);
	if (k[8].value != NULL)
		load_string(ld, k[8].value, "intake.consumer", &ic->consumer);
}

static void
load_customers(struct load *ld, yaml_node_t *n)
{
	struct load_key	k[] = { { .name = "key" } };

	if (load_map(ld, n, "customers", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		load_string(ld, k[0].value, "customers.key",
		    &ld->cf->customers_key);
}

static void
load_tickets(struct load *ld, yaml_node_t *n)
{
	struct load_key	k[] = { { .name = "retention" } };

	if (load_map(ld, n, "tickets", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		load_duration(ld, k[0].value, "tickets.retention",
		    &ld->cf->retention_ms);
}

/* What --check and the daemon accept for http.listen (see config.h). */
const char *
config_parse_listen(const char *text, char *host, size_t size, int *port)
{
	const char	*colon = strrchr(text, ':'), *p;
	size_t		 len;
	int		 n = 0, bracketed = 0;
	unsigned char	 addr[16];

	if (colon == NULL)
		return "no port";
	for (p = colon + 1; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) || p - colon > 5)
			return "the port is not a number from 1 to 65535";
		n = n * 10 + (*p - '0');
	}
	if (n < 1 || n > 65535)
		return "the port is not a number from 1 to 65535";
	len = colon - text;
	if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
		text++;
		len -= 2;
		bracketed = 1;
	}
	if (len >= size)
		return "the host is too long";
	memcpy(host, text, len);
	host[len] = '\0';
	/* The daemon would fail to bind these; say so at --check. */
	if (bracketed || strchr(host, ':') != NULL) {
		if (inet_pton(AF_INET6, host, addr) != 1)
			return "not an IPv6 address";
	} else if (host[strspn(host, "0123456789.")] == '\0') {
		if (len > 0 && inet_pton(AF_INET, host, addr) != 1)
			return "not an IPv4 address";
	} else if (host[strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")] != '\0')
		return "not a host name or address";
	*port = n;
	return NULL;
}

static void
load_http(struct load *ld, yaml_node_t *n)
{
	struct load_key	 k[] = { { .name = "listen" } };
	const char	*s, *why;
	char		 host[CONFIG_LISTEN_HOST_MAX];
	int		 port;

	if (load_map(ld, n, "http", k, nitems(k)) == -1 || k[0].value == NULL)
		return;
	/* Empty or null switches the endpoint off. */
	if (load_is_null(k[0].value)) {
		free(ld->cf->http_listen);
		ld->cf->http_listen = NULL;
		return;
	}
	if ((s = load_scalar(ld, k[0].value, "an address for http.listen")) ==
	    NULL)
		return;
	if (*s != '\0' &&
	    (why = config_parse_listen(s, host, sizeof host, &port)) != NULL) {
		load_error(ld, k[0].value, "bad address '%s' for http.listen: "
		    "%s (expected HOST:PORT, [IPV6]:PORT or :PORT for every "
		    "address, e.g. 127.0.0.1:9464, or \"\" to switch it off)",
		    s, why);
		return;
	}
	free(ld->cf->http_listen);
	ld->cf->http_listen = xstrdup(s);
}

/* "mon", "sat", "mon-fri" -> a weekday mask (bit 0 Sunday). */
static unsigned
load_days_mask(const char *s)
{
	char		 a[4], b[4];
	int		 from = -1, to = -1, i;
	unsigned	 mask = 0;

	if (strlen(s) == 3) {
		memcpy(a, s, 4);
		memcpy(b, s, 4);
	} else if (strlen(s) == 7 && s[3] == '-') {
		memcpy(a, s, 3);
		a[3] = '\0';
		memcpy(b, s + 4, 4);
	} else
		return 0;
	for (i = 0; i < 7; i++) {
		if (strcmp(a, load_days[i]) == 0)
			from = i;
		if (strcmp(b, load_days[i]) == 0)
			to = i;
	}
	if (from == -1 || to == -1 || to < from)
		return 0;
	for (i = from; i <= to; i++)
		mask |= 1u << ((i + 1) % 7);	/* mon is tm_wday 1 */
	return mask;
}

/* "HH:MM" -> minutes; -1 if malformed. */
static int
load_minute(const char *s, size_t len)
{
	int	h, m;

	if (len == 4 && s[1] == ':' && isdigit((unsigned char)s[0]))
		h = s[0] - '0';
	else if (len == 5 && s[2] == ':' && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]))
		h = (s[0] - '0') * 10 + (s[1] - '0');
	else
		return -1;
	s += len - 2;
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	m = (s[0] - '0') * 10 + (s[1] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* "09:00-12:00,13:00-18:00" for the days of mask. */
static void
load_windows(struct load *ld, yaml_node_t *n, const char *calname,
    struct calendar *cal, unsigned mask)
{
	const char	*s, *p, *comma, *dash;
	char		 err[256];
	size_t		 len;
	int		 start, end;

	if ((s = load_scalar(ld, n, "working hours like \"09:00-18:00\"")) ==
	    NULL)
		return;
	for (p = s; ; p = comma + 1) {
		while (*p == ' ')
			p++;
		comma = strchr(p, ',');
		len = comma == NULL ? strlen(p) : (size_t)(comma - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		dash = memchr(p, '-', len);
		start = end = -1;
		if (dash != NULL) {
			start = load_minute(p, dash - p);
			end = load_minute(dash + 1, len - (dash + 1 - p));
		}
		if (start == -1 || end == -1) {
			load_error(ld, n, "bad working hours '%.*s' in "
			    "calendar '%s' (expected HH:MM-HH:MM, e.g. "
			    "09:00-18:00, several separated by commas)",
			    (int)len, p, calname);
			return;
		}
		if (end <= start) {
			load_error(ld, n, "working hours '%.*s' in calendar "
			    "'%s' end before they start (a window cannot pass "
			    "midnight: write it as two, up to 24:00 and from "
			    "00:00)", (int)len, p, calname);
			return;
		}
		if (cal != NULL && calendar_add_window(cal, mask, start, end,
		    err, sizeof err) == -1) {
			load_error(ld, n, "calendar '%s': %s", calname, err);
			return;
		}
		if (comma == NULL)
			break;
	}
}

static void
load_hours(struct load *ld, yaml_node_t *n, const char *calname,
    struct calendar *cal)
{
	yaml_node_pair_t	*p;
	yaml_node_item_t	*items;
	yaml_node_t		*k, *v;
	const char		*day;
	size_t			 i, nitem;
	unsigned		 mask;

	if (n->type != YAML_MAPPING_NODE) {
		load_error(ld, n, "expected a mapping of days to hours for "
		    "calendar '%s', found %s", calname, load_kind(n));
		return;
	}
	/* A calendar without working time would never reach a deadline. */
	if (n->data.mapping.pairs.start == n->data.mapping.pairs.top) {
		load_error(ld, n, "calendar '%s' has no working hours "
		    "(expected e.g. {mon-fri: \"09:00-18:00\"})", calname);
		return;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = load_node(ld, p->key);
		v = load_node(ld, p->value);
		if ((day = load_scalar(ld, k, "a day such as mon, sat or "
		    "mon-fri")) == NULL)
			continue;
		if ((mask = load_days_mask(day)) == 0) {
			load_error(ld, k, "bad day '%s' in calendar '%s' "
			    "(expected mon, tue, wed, thu, fri, sat, sun, or "
			    "a range such as mon-fri)", day, calname);
			continue;
		}
		if (v->type == YAML_SEQUENCE_NODE) {
			load_seq(ld, v, "working hours", &items, &nitem);
			for (i = 0; i < nitem; i++)
				load_windows(ld, load_node(ld, items[i]),
				    calname, cal, mask);
		} else
			load_windows(ld, v, calname, cal, mask);
	}
}

static void
load_holidays(struct load *ld, yaml_node_t *n, const char *calname,
    struct calendar *cal)
{
	static const int	 mdays[] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	const char		*s;
	char			 err[256];
	size_t			 i, nitem;
	int			 y, m, d, leap, len;

	if (load_seq(ld, n, "holidays", &items, &nitem) == -1)
		return;
	for (i = 0; i < nitem; i++) {
		item = load_node(ld, items[i]);
		if ((s = load_scalar(ld, item, "a date like 2026-10-01")) ==
		    NULL)
			continue;
		len = -1;
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &len) != 3 ||
		    len != 10 || strlen(s) != 10 || m < 1 || m > 12 ||
		    d < 1 || d > mdays[m - 1] || y < 1970) {
			load_error(ld, item, "bad holiday '%s' in calendar "
			    "'%s' (expected a date YYYY-MM-DD)", s, calname);
			continue;
		}
		leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		if (m == 2 && d == 29 && !leap) {
			load_error(ld, item, "bad holiday '%s' in calendar "
			    "'%s': %d is not a leap year", s, calname, y);
			continue;
		}
		if (cal != NULL && calendar_add_holiday(cal, y, m, d, err,
		    sizeof err) == -1)
			load_error(ld, item, "calendar '%s': %s", calname, err);
	}
}

static void
load_calendars(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v;
	struct calendar		*cal, **cals;
	struct load_key		 ck[] = {
		{ .name = "timezone" }, { .name = "hours" },
		{ .name = "holidays" }
	};
	const char		*name, *tz;
	char			 what[128], err[256];

	if (n->type != YAML_MAPPING_NODE) {
		load_error(ld, n, "expected a mapping of calendar names to "
		    "calendars for calendars, found %s", load_kind(n));
		return;
	}
	if (load_limit(ld, n, "calendars", n->data.mapping.pairs.top -
	    n->data.mapping.pairs.start, LOAD_MAX_CALENDARS) == -1)
		return;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = load_node(ld, p->key);
		v = load_node(ld, p->value);
		if ((name = load_scalar(ld, k, "a calendar name")) == NULL)
			continue;
		if (strcmp(name, "always") == 0) {
			load_error(ld, k, "calendar 'always' is built in "
			    "(24x7) and cannot be redefined");
			continue;
		}
		if (load_find(ld->calnames, ld->ncalnames, name) != -1) {
			load_error(ld, k, "duplicate calendar '%s'", name);
			continue;
		}
		load_push(&ld->calnames, &ld->ncalnames, name);
		snprintf(what, sizeof what, "calendar '%s'", name);
		if (load_map(ld, v, what, ck, nitems(ck)) == -1)
			continue;
		cal = NULL;
		if (ck[0].value == NULL)
			load_error(ld, k, "calendar '%s' has no timezone "
			    "(expected an IANA name such as Asia/Shanghai)",
			    name);
		else if ((tz = load_scalar(ld, ck[0].value,
		    "a time zone name")) != NULL &&
		    (cal = calendar_new(name, tz, err, sizeof err)) == NULL)
			load_error(ld, ck[0].value, "calendar '%s': %s "
			    "(expected an IANA name such as Asia/Shanghai)",
			    name, err);
		if (ck[1].value == NULL)
			load_error(ld, k, "calendar '%s' has no hours "
			    "(expected e.g. hours: {mon-fri: \"09:00-18:00\"})",
			    name);
		else
			load_hours(ld, ck[1].value, name, cal);
		if (ck[2].value != NULL)
			load_holidays(ld, ck[2].value, name, cal);
		if (cal == NULL)
			continue;
		cals = reallocarray(r->calendars, r->ncalendars + 1,
		    sizeof *cals);
		if (cals == NULL)
			fatal("reallocarray");
		r->calendars = cals;
		r->calendars[r->ncalendars++] = cal;
	}
}

static void
load_tiers(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	struct rules_tier	*t;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct load_key		 k[] = {
		{ .name = "trust_request" }, { .name = "levels" }
	};
	struct load_key		 lk[] = {
		{ .name = "name" }, { .name = "when" }
	};
	const char		*s;
	size_t			 i, j, nitem;

	if (load_map(ld, n, "tiers", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		load_bool(ld, k[0].value, "tiers.trust_request",
		    &r->trust_request);
	if (k[1].value == NULL) {
		load_error(ld, k[0].key != NULL ? k[0].key : n, "tiers has no "
		    "levels (expected a list of {name, when})");
		return;
	}
	if (load_seq(ld, k[1].value, "tiers.levels", &items, &nitem) == -1 ||
	    load_limit(ld, k[1].value, "tiers.levels", nitem,
	    LOAD_MAX_RULES) == -1)
		return;
	if (nitem == 0) {
		load_error(ld, k[1].value, "tiers.levels is empty (expected at "
		    "least one level)");
		return;
	}
	r->tiers = xcalloc(nitem, sizeof *r->tiers);
	for (i = 0; i < nitem; i++) {
		item = load_node(ld, items[i]);
		if (load_map(ld, item, "tier level", lk, nitems(lk)) == -1)
			continue;
		if (lk[0].value == NULL) {
			load_error(ld, item, "tier level has no name (expected "
			    "name: and an optional when:)");
			continue;
		}
		if ((s = load_scalar(ld, lk[0].value, "a tier name")) == NULL)
			continue;
		if (*s == '\0') {
			load_error(ld, lk[0].value, "empty tier name");
			continue;
		}
		for (j = 0; j < r->ntiers; j++) {
			if (strcmp(r->tiers[j].name, s) == 0)
				break;
		}
		if (j < r->ntiers) {
			load_error(ld, lk[0].value, "duplicate tier '%s' "
			    "(first at line %d)", s, r->tiers[j].line);
			continue;
		}
		t = &r->tiers[r->ntiers++];
		t->name = xstrdup(s);
		t->line = load_line(item);
		t->col = load_col(item);
		t->when = load_rule_when(ld, lk[1].value, STAGE_TIER);
	}
}

/* urgency.levels alone, before the tiers and rules that refer to them. */
static void
load_urgency_levels(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	yaml_node_pair_t	*p;
	yaml_node_t		*k;

	if (n != NULL && n->type == YAML_MAPPING_NODE) {
		for (p = n->data.mapping.pairs.start;
		    p < n->data.mapping.pairs.top; p++) {
			k = load_node(ld, p->key);
			if (k->type == YAML_SCALAR_NODE && strcmp((const char *)
			    k->data.scalar.value, "levels") == 0) {
				load_names(ld, load_node(ld, p->value),
				    "urgency.levels", "urgency level",
				    &r->urgencies, &r->nurgencies);
				break;
			}
		}
	}
	r->thresholds = xcalloc(r->nurgencies, sizeof *r->thresholds);
	r->has_threshold = xcalloc(r->nurgencies,
	    sizeof *r->has_threshold);
}

static void
load_thresholds(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *v, **keys;
	char			 what[128];
	size_t			 i, prev;
	long			 t;
	int			 level;

	if (n->type != YAML_MAPPING_NODE) {
		load_error(ld, n, "expected a mapping of urgency levels to "
		    "lowest scores for urgency.thresholds, found %s",
		    load_kind(n));
		return;
	}
	if (load_limit(ld, n, "urgency.thresholds", n->data.mapping.pairs.top -
	    n->data.mapping.pairs.start, r->nurgencies) == -1)
		return;
	keys = xcalloc(r->nurgencies, sizeof *keys);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = load_node(ld, p->key);
		v = load_node(ld, p->value);
		level = load_ref(ld, k, "urgency level", r->urgencies,
		    r->nurgencies);
		if (level == -1)
			continue;
		if (r->has_threshold[level]) {
			load_error(ld, k, "duplicate threshold for '%s'",
			    r->urgencies[level]);
			continue;
		}
		snprintf(what, sizeof what, "urgency.thresholds.%s",
		    r->urgencies[level]);
		if (load_long(ld, v, what, -1000000000L, 1000000000L, &t) == -1)
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
			load_error(ld, keys[i], "threshold of '%s' (%ld) is "
			    "not below that of the higher level '%s' (%ld): "
			    "urgency.levels are listed highest first",
			    r->urgencies[i], r->thresholds[i],
			    r->urgencies[prev], r->thresholds[prev]);
		prev = i;
	}
	free(keys);
}

static void
load_scores(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	struct rules_score	*s;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct load_key		 k[] = {
		{ .name = "name" }, { .name = "when" }, { .name = "points" }
	};
	size_t			 i, j, nitem;

	if (load_seq(ld, n, "urgency.score", &items, &nitem) == -1 ||
	    load_limit(ld, n, "urgency.score", nitem, LOAD_MAX_RULES) == -1)
		return;
	r->scores = xcalloc(nitem, sizeof *r->scores);
	for (i = 0; i < nitem; i++) {
		item = load_node(ld, items[i]);
		if (load_map(ld, item, "score rule", k, nitems(k)) == -1)
			continue;
		s = &r->scores[r->nscores++];
		s->name = load_rule_name(ld, k[0].value, "score", i);
		s->line = load_line(item);
		s->col = load_col(item);
		for (j = 0; j + 1 < r->nscores; j++)
			load_unique(ld, k[0].value, "score rule", s->name,
			    r->scores[j].name, r->scores[j].line);
		s->when = load_rule_when(ld, k[1].value, STAGE_URGENCY);
		if (k[2].value == NULL)
			load_error(ld, item, "score rule '%s' has no points "
			    "(expected points: N)", s->name);
		else
			load_long(ld, k[2].value, "points", -1000000,
			    1000000, &s->points);
	}
}

static void
load_overrides(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	struct rules_override	*o;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct load_key		 k[] = {
		{ .name = "name" }, { .name = "when" }, { .name = "level" }
	};
	size_t			 i, j, nitem;

	if (load_seq(ld, n, "urgency.overrides", &items, &nitem) == -1 ||
	    load_limit(ld, n, "urgency.overrides", nitem, LOAD_MAX_RULES) == -1)
		return;
	r->overrides = xcalloc(nitem, sizeof *r->overrides);
	for (i = 0; i < nitem; i++) {
		item = load_node(ld, items[i]);
		if (load_map(ld, item, "override", k, nitems(k)) == -1)
			continue;
		o = &r->overrides[r->noverrides++];
		o->name = load_rule_name(ld, k[0].value, "overrides", i);
		o->line = load_line(item);
		o->col = load_col(item);
		for (j = 0; j + 1 < r->noverrides; j++)
			load_unique(ld, k[0].value, "override", o->name,
			    r->overrides[j].name, r->overrides[j].line);
		o->when = load_rule_when(ld, k[1].value, STAGE_URGENCY);
		o->level = 0;
		if (k[2].value == NULL)
			load_error(ld, item, "override '%s' has no level "
			    "(expected level: an urgency level)", o->name);
		else if ((o->level = load_ref(ld, k[2].value, "urgency level",
		    r->urgencies, r->nurgencies)) == -1)
			o->level = 0;
	}
}

static void
load_urgency(struct load *ld, yaml_node_t *n)
{
	struct load_key	k[] = {
		{ .name = "levels" }, { .name = "score" },
		{ .name = "thresholds" }, { .name = "overrides" }
	};

	if (load_map(ld, n, "urgency", k, nitems(k)) == -1)
		return;
	if (k[0].value == NULL) {
		load_error(ld, n, "urgency has no levels (expected e.g. "
		    "levels: [critical, high, medium, low])");
		return;
	}
	if (ld->r->nurgencies == 0)
		return;		/* errors already said why */
	if (k[1].value != NULL)
		load_scores(ld, k[1].value);
	if (k[2].value != NULL)
		load_thresholds(ld, k[2].value);
	if (k[3].value != NULL)
		load_overrides(ld, k[3].value);
}

static void
load_routes(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	struct rules_route	*rt;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct load_key		 k[] = {
		{ .name = "name" }, { .name = "when" }, { .name = "team" }
	};
	size_t			 i, j, nitem;

	if (load_seq(ld, n, "routes", &items, &nitem) == -1 ||
	    load_limit(ld, n, "routes", nitem, LOAD_MAX_RULES) == -1)
		return;
	r->routes = xcalloc(nitem, sizeof *r->routes);
	for (i = 0; i < nitem; i++) {
		item = load_node(ld, items[i]);
		if (load_map(ld, item, "route", k, nitems(k)) == -1)
			continue;
		rt = &r->routes[r->nroutes++];
		rt->name = load_rule_name(ld, k[0].value, "routes", i);
		rt->line = load_line(item);
		rt->col = load_col(item);
		for (j = 0; j + 1 < r->nroutes; j++)
			load_unique(ld, k[0].value, "route", rt->name,
			    r->routes[j].name, r->routes[j].line);
		rt->when = load_rule_when(ld, k[1].value, STAGE_ROUTE);
		rt->team = 0;
		if (k[2].value == NULL)
			load_error(ld, item, "route '%s' has no team (expected "
			    "team: a name from teams)", rt->name);
		else if ((rt->team = load_ref(ld, k[2].value, "team", r->teams,
		    r->nteams)) == -1)
			rt->team = 0;
	}
}

/* "75%", "150%", "12.5%" -> permille; -1 if malformed. */
static int
load_percent(const char *s)
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
load_steps(struct load *ld, yaml_node_t *n, const char *policy,
    const char *metric, struct rules_policy *pol, int m)
{
	struct rules		*r = ld->r;
	struct sla_step		*steps, tmp;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct load_key		 k[] = {
		{ .name = "at" }, { .name = "notify" }, { .name = "raise" },
		{ .name = "reassign" }
	};
	const char		*s;
	char			 what[128];
	size_t			 i, j, nitem, nsteps = 0;
	int			 notify;

	snprintf(what, sizeof what, "%s.escalate", metric);
	if (load_seq(ld, n, what, &items, &nitem) == -1 ||
	    load_limit(ld, n, what, nitem, LOAD_MAX_STEPS) == -1)
		return;
	steps = xcalloc(nitem, sizeof *steps);
	for (i = 0; i < nitem; i++) {
		item = load_node(ld, items[i]);
		if (load_map(ld, item, "escalation step", k, nitems(k)) == -1)
			continue;
		tmp.at_permille = 0;
		tmp.notify = NULL;
		tmp.raise = tmp.reassign = -1;
		if (k[0].value == NULL)
			load_error(ld, item, "escalation step in policy '%s' "
			    "has no 'at' (expected e.g. at: 75%%)", policy);
		else if ((s = load_scalar(ld, k[0].value, "a percentage for "
		    "'at'")) != NULL &&
		    (tmp.at_permille = load_percent(s)) == -1)
			load_error(ld, k[0].value, "bad percentage '%s' for "
			    "'at' (expected a positive percentage such as "
			    "75%% or 150%%)", s);
		if (k[1].value == NULL)
			load_error(ld, item, "escalation step in policy '%s' "
			    "has no 'notify' (expected one of the notify "
			    "targets)", policy);
		else {
			notify = load_ref(ld, k[1].value, "notify target",
			    r->notify, r->nnotify);
			if (notify != -1)
				tmp.notify = r->notify[notify];
		}
		if (k[2].value != NULL)
			tmp.raise = load_ref(ld, k[2].value, "urgency level",
			    r->urgencies, r->nurgencies);
		if (k[3].value != NULL)
			tmp.reassign = load_ref(ld, k[3].value, "team",
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
load_target(struct load *ld, yaml_node_t *n, const char *policy,
    struct rules_policy *pol, int m)
{
	static const char	*metrics[] = {
		"first_response", "resolution"
	};
	static const char	*withins[] = {
		"first_response.within", "resolution.within"
	};
	struct load_key		 k[] = {
		{ .name = "within" }, { .name = "escalate" }
	};
	char			 what[128];

	if (n->type == YAML_SCALAR_NODE) {
		load_duration(ld, n, metrics[m], &pol->target[m].within_ms);
		return;
	}
	snprintf(what, sizeof what, "%s of policy '%s'", metrics[m], policy);
	if (n->type != YAML_MAPPING_NODE) {
		load_error(ld, n, "expected a duration or {within, escalate} "
		    "for %s, found %s", what, load_kind(n));
		return;
	}
	load_map(ld, n, what, k, nitems(k));
	if (k[0].value == NULL)
		load_error(ld, n, "%s has no 'within' (expected a duration "
		    "such as 4h)", what);
	else
		load_duration(ld, k[0].value, withins[m],
		    &pol->target[m].within_ms);
	if (k[1].value != NULL)
		load_steps(ld, k[1].value, policy, metrics[m], pol, m);
}

static void
load_sla(struct load *ld, yaml_node_t *n)
{
	struct rules		*r = ld->r;
	struct rules_policy	*pol;
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	struct load_key		 k[] = {
		{ .name = "name" }, { .name = "when" }, { .name = "calendar" },
		{ .name = "first_response" },
		{ .name = "resolution" }
	};
	const char		*s;
	char			*names[64], expected[512];
	size_t			 i, j, nitem, nnames;

	if (load_seq(ld, n, "sla", &items, &nitem) == -1 ||
	    load_limit(ld, n, "sla", nitem, LOAD_MAX_RULES) == -1)
		return;
	r->policies = xcalloc(nitem, sizeof *r->policies);
	for (i = 0; i < nitem; i++) {
		item = load_node(ld, items[i]);
		if (load_map(ld, item, "sla policy", k, nitems(k)) == -1)
			continue;
		pol = &r->policies[r->npolicies++];
		pol->name = load_rule_name(ld, k[0].value, "sla", i);
		pol->line = load_line(item);
		pol->col = load_col(item);
		for (j = 0; j + 1 < r->npolicies; j++)
			load_unique(ld, k[0].value, "sla policy", pol->name,
			    r->policies[j].name, r->policies[j].line);
		pol->when = load_rule_when(ld, k[1].value, STAGE_SLA);
		pol->calendar = 0;	/* always */
		if (k[2].value != NULL && (s = load_scalar(ld, k[2].value,
		    "a calendar name")) != NULL) {
			for (j = 0; j < r->ncalendars; j++) {
				if (strcmp(calendar_name(r->calendars[j]),
				    s) == 0)
					break;
			}
			if (j < r->ncalendars)
				pol->calendar = (int)j;
			else if (load_find(ld->calnames, ld->ncalnames, s) ==
			    -1) {
				/* A calendar that failed has its own error. */
				names[0] = "always";
				for (nnames = 1; nnames - 1 < ld->ncalnames &&
				    nnames < nitems(names); nnames++)
					names[nnames] =
					    ld->calnames[nnames - 1];
				load_error(ld, k[2].value, "undefined calendar "
				    "'%s' (expected one of: %s)", s,
				    load_list(names, nnames, expected,
				    sizeof expected));
			}
		}
		if (k[3].value != NULL)
			load_target(ld, k[3].value, pol->name, pol,
			    SLA_FIRST_RESPONSE);
		if (k[4].value != NULL)
			load_target(ld, k[4].value, pol->name, pol,
			    SLA_RESOLUTION);
	}
}

/*
 * The load-time analysis behind CONFIG_WARN.
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
struct load_rule {
	const char		*name;
	const struct cond	*when;
	int			 line, col;
};

static void
load_analyse(struct load *ld, const char *what, struct load_rule *rules,
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
	for (i = 0; i < n && work <= LOAD_MAX_ANALYSIS; i++) {
		upto += cond_size(rules[i].when);
		work += (ordered ? upto : cond_size(rules[i].when)) * nt * nu;
	}
	if (work > LOAD_MAX_ANALYSIS) {
		load_warn(ld, 0, 0, "%zu %ss are too many to look for rules "
		    "that can never match; not looked for", n, what);
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
					slots[COND_SLOT_TIER].ptr =
					    r->tiers[t].name;
					slots[COND_SLOT_TIER].len =
					    strlen(r->tiers[t].name);
				}
				if (urgencies) {
					slots[COND_SLOT_URGENCY].ptr =
					    r->urgencies[u];
					slots[COND_SLOT_URGENCY].len =
					    strlen(r->urgencies[u]);
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
			load_warn(ld, rules[i].line, rules[i].col,
			    "%s '%s' can never match: its condition cannot "
			    "hold%s", what, rules[i].name, facts);
		else if (!mixed && blocker != -1)
			load_warn(ld, rules[i].line, rules[i].col,
			    "%s '%s' can never match: %s '%s' (line %d) always "
			    "matches first", what, rules[i].name, what,
			    rules[blocker].name, rules[blocker].line);
		else
			load_warn(ld, rules[i].line, rules[i].col,
			    "%s '%s' can never match: %s, an earlier %s "
			    "matches first or its own condition cannot hold",
			    what, rules[i].name, urgencies ?
			    "whatever the tier and urgency" :
			    "whatever the tier", what);
	}
}

static void
load_warnings(struct load *ld)
{
	struct rules		*r = ld->r;
	struct load_rule	*v;
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
		load_analyse(ld, "tier level", v, r->ntiers, 1, 0, 0);
	}
	for (i = 0; i < r->nscores; i++) {
		v[i].name = r->scores[i].name;
		v[i].when = r->scores[i].when;
		v[i].line = r->scores[i].line;
		v[i].col = r->scores[i].col;
	}
	load_analyse(ld, "score rule", v, r->nscores, 0, 1, 0);
	for (i = 0; i < r->noverrides; i++) {
		v[i].name = r->overrides[i].name;
		v[i].when = r->overrides[i].when;
		v[i].line = r->overrides[i].line;
		v[i].col = r->overrides[i].col;
	}
	load_analyse(ld, "override", v, r->noverrides, 1, 1, 0);
	for (i = 0; i < r->nroutes; i++) {
		v[i].name = r->routes[i].name;
		v[i].when = r->routes[i].when;
		v[i].line = r->routes[i].line;
		v[i].col = r->routes[i].col;
	}
	load_analyse(ld, "route", v, r->nroutes, 1, 1, 1);
	for (i = 0; i < r->npolicies; i++) {
		v[i].name = r->policies[i].name;
		v[i].when = r->policies[i].when;
		v[i].line = r->policies[i].line;
		v[i].col = r->policies[i].col;
	}
	load_analyse(ld, "sla policy", v, r->npolicies, 1, 1, 1);
	free(v);
}

static void
load_root(struct load *ld, yaml_node_t *root)
{
	struct rules	*r = ld->r;
	struct load_key	 k[] = {
		{ .name = "redis" }, { .name = "intake" },
		{ .name = "customers" }, { .name = "tiers" },
		{ .name = "urgency" }, { .name = "teams" },
		{ .name = "routes" }, { .name = "default_team" },
		{ .name = "calendars" }, { .name = "sla" },
		{ .name = "notify" }, { .name = "tickets" },
		{ .name = "http" }
	};
	int		 team;

	if (load_map(ld, root, "the rules file", k, nitems(k)) == -1)
		return;
	if (k[0].value != NULL)
		load_redis(ld, k[0].value);
	if (k[1].value != NULL)
		load_intake(ld, k[1].value);
	if (k[2].value != NULL)
		load_customers(ld, k[2].value);
	if (k[11].value != NULL)
		load_tickets(ld, k[11].value);
	if (k[12].value != NULL)
		load_http(ld, k[12].value);

	/* Names first, then the rules that refer to them. */
	if (k[5].value != NULL)
		load_names(ld, k[5].value, "teams", "team", &r->teams,
		    &r->nteams);
	else
		load_error(ld, root, "no teams (expected teams: a list of team "
		    "names)");
	if (k[10].value != NULL)
		load_names(ld, k[10].value, "notify", "notify target",
		    &r->notify, &r->nnotify);
	load_urgency_levels(ld, k[4].value);
	if (k[4].value == NULL)
		load_error(ld, root, "no urgency (expected urgency: with "
		    "levels, score, thresholds)");
	if (k[8].value != NULL)
		load_calendars(ld, k[8].value);
	if (k[3].value != NULL)
		load_tiers(ld, k[3].value);
	else
		load_error(ld, root, "no tiers (expected tiers: with a list "
		    "of levels)");
	if (k[4].value != NULL)
		load_urgency(ld, k[4].value);
	if (k[6].value != NULL)
		load_routes(ld, k[6].value);
	if (k[7].value != NULL) {
		if ((team = load_ref(ld, k[7].value, "team", r->teams,
		    r->nteams)) != -1)
			r->default_team = team;
	} else
		load_error(ld, root, "no default_team (expected the team that "
		    "takes requests no route matches)");
	if (k[9].value != NULL)
		load_sla(ld, k[9].value);

	if (ld->nerrors == 0 && (ld->flags & CONFIG_WARN))
		load_warnings(ld);
}

static struct config *
config_new(const char *path)
{
	static const char	*channels[] = {
		"phone", "email", "chat", "web", "social"
	};
	struct config		*cf;
	size_t			 i;

	cf = xcalloc(1, sizeof *cf);
	cf->path = xstrdup(path);
	cf->redis.host = xstrdup("127.0.0.1");
	cf->redis.port = 6379;
	cf->redis.prefix = xstrdup("triage:");
	cf->intake.group = xstrdup("routers");
	cf->intake.stream = xstrdup("requests");
	cf->intake.events = xstrdup("events");
	cf->intake.batch = 256;
	cf->intake.claim_idle_ms = 30 * 1000;
	cf->intake.max_deliveries = 5;
	cf->intake.max_field_bytes = 65536;
	cf->intake.channels = xcalloc(nitems(channels), sizeof (char *));
	for (i = 0; i < nitems(channels); i++)
		cf->intake.channels[i] = xstrdup(channels[i]);
	cf->intake.nchannels = nitems(channels);
	cf->retention_ms = 30LL * 86400 * 1000;
	cf->http_listen = xstrdup("127.0.0.1:9464");
	return cf;
}

void
config_free(struct config *cf)
{
	size_t	i;

	if (cf == NULL)
		return;
	free(cf->path);
	free(cf->redis.host);
	free(cf->redis.socket);
	free(cf->redis.username);
	free(cf->redis.password_env);
	free(cf->redis.prefix);
	free(cf->intake.group);
	free(cf->intake.stream);
	free(cf->intake.events);
	free(cf->intake.consumer);
	for (i = 0; i < cf->intake.nchannels; i++)
		free(cf->intake.channels[i]);
	free(cf->intake.channels);
	free(cf->customers_key);
	free(cf->http_listen);
	rules_free(cf->rules);
	free(cf);
}

/* The whole file, NUL-terminated; NULL with errno set on failure. */
static char *
load_read(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf, *p;
	size_t	 size = 0, n;
	int	 saved;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	buf = NULL;
	*len = 0;
	/* One byte more than a file may have, to tell it is too long. */
	for (;;) {
		if (*len + 1 >= size) {
			size = size == 0 ? 8192 : size * 2;
			if (size > LOAD_MAX_FILE + 2)
				size = LOAD_MAX_FILE + 2;
			if ((p = realloc(buf, size)) == NULL)
				fatal("realloc");
			buf = p;
		}
		n = fread(buf + *len, 1, size - *len - 1, f);
		*len += n;
		if (n == 0 || *len > LOAD_MAX_FILE)
			break;
	}
	if (ferror(f)) {
		saved = errno;
		free(buf);
		fclose(f);
		errno = saved != 0 ? saved : EIO;
		return NULL;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* Line and column (1-based) of a byte offset, for reader errors. */
static void
load_offset(const char *buf, size_t len, size_t off, size_t *line,
    size_t *col)
{
	size_t	i;

	*line = *col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

static void
load_yaml_error(struct load *ld, yaml_parser_t *p, const char *buf,
    size_t len)
{
	size_t	line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		fatalx("%s: out of memory parsing YAML", ld->path);
	case YAML_READER_ERROR:
		load_offset(buf, len, p->problem_offset, &line, &col);
		load_error_at(ld, line, col, "%s (the file must be UTF-8 "
		    "text)", p->problem);
		break;
	default:
		line = p->problem_mark.line + 1;
		col = p->problem_mark.column + 1;
		if (p->context != NULL)
			load_error_at(ld, line, col, "YAML syntax: %s (%s that "
			    "starts at line %zu)", p->problem, p->context,
			    p->context_mark.line + 1);
		else
			load_error_at(ld, line, col, "YAML syntax: %s",
			    p->problem);
		break;
	}
}

static void
load_version(const char *buf, size_t len, char *version)
{
	uint64_t	h = 14695981039346656037ULL;
	char		hex[17];
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)buf[i];
		h *= 1099511628211ULL;
	}
	snprintf(hex, sizeof hex, "%016" PRIx64, h);
	memcpy(version, hex, 12);
	version[12] = '\0';
}

/*
 * The events of the file, read once before libyaml builds a tree of it.
 *
 * libyaml is not made for hostile input: its scanner rechecks every open
 * level at each token, so 200,000 nested `[` take minutes, its loader
 * recurses once per level, and it stores an alias once however often it is
 * used, so that a 64 KB file can stand for a tree of gigabytes which the
 * walk of the sections would visit, and copy from, node by node.  Reading
 * the events costs time linear in the file as long as the nesting stays
 * shallow, so the file is refused here, at the event that passes a limit
 * and before any tree is built, when it nests deeper than
 * LOAD_MAX_NESTING; when its nodes, each use of an alias counted as a copy
 * of what it names, pass LOAD_MAX_NODES or their text LOAD_MAX_TEXT bytes;
 * when it has more than LOAD_MAX_ANCHORS anchors (libyaml looks each alias
 * up among them one by one); or when an alias is used inside the node it
 * names.  A syntax error ends the scan quietly: the load that follows
 * reports it, having got no further than the scan.
 */
struct load_anchor {
	char		*name;
	size_t		 nodes, text;	/* at its start; its size once ended */
	int		 open;
};

struct load_scan {
	struct load_anchor	 anchors[LOAD_MAX_ANCHORS];
	size_t			 nanchors;
	size_t			 nodes, text;	/* aliases expanded */
	int			 open[LOAD_MAX_NESTING + 1]; /* anchor or -1 */
	int			 depth;
};

static void
load_scan_forget(struct load_scan *sc)
{
	while (sc->nanchors > 0)
		free(sc->anchors[--sc->nanchors].name);
}

/* Record the anchor of a node that starts; -1 after an error. */
static int
load_scan_anchor(struct load *ld, struct load_scan *sc, yaml_event_t *ev,
    const unsigned char *name, int open)
{
	struct load_anchor	*a;

	if (sc->nanchors == LOAD_MAX_ANCHORS) {
		load_error_at(ld, ev->start_mark.line + 1,
		    ev->start_mark.column + 1, "more than %d anchors (&%s) in "
		    "the file", LOAD_MAX_ANCHORS, (const char *)name);
		return -1;
	}
	a = &sc->anchors[sc->nanchors++];
	a->name = xstrdup((const char *)name);
	a->open = open;
	if (open) {
		/* Counted from here to its end (the node itself is in). */
		a->nodes = sc->nodes - 1;
		a->text = sc->text;
	} else {
		a->nodes = 1;
		a->text = ev->data.scalar.length;
	}
	return 0;
}

/* One event; 1 to go on, 0 to stop quietly, -1 after an error. */
static int
load_scan_event(struct load *ld, struct load_scan *sc, yaml_event_t *ev)
{
	struct load_anchor	*a;
	const unsigned char	*anchor = NULL;
	const char		*name;
	size_t			 i, line = ev->start_mark.line + 1;
	size_t			 col = ev->start_mark.column + 1;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		load_scan_forget(sc);		/* anchors are per document */
		return 1;
	case YAML_SCALAR_EVENT:
		sc->nodes++;
		sc->text += ev->data.scalar.length;
		if (ev->data.scalar.anchor != NULL &&
		    load_scan_anchor(ld, sc, ev, ev->data.scalar.anchor,
		    0) == -1)
			return -1;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (sc->depth == LOAD_MAX_NESTING) {
			load_error_at(ld, line, col, "lists and mappings "
			    "nested more than %d deep (the file is refused "
			    "before it is parsed further)", LOAD_MAX_NESTING);
			return -1;
		}
		sc->nodes++;
		anchor = ev->type == YAML_SEQUENCE_START_EVENT ?
		    ev->data.sequence_start.anchor :
		    ev->data.mapping_start.anchor;
		sc->open[++sc->depth] = -1;
		if (anchor != NULL) {
			if (load_scan_anchor(ld, sc, ev, anchor, 1) == -1)
				return -1;
			sc->open[sc->depth] = (int)sc->nanchors - 1;
		}
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (sc->depth == 0)
			return 0;
		if (sc->open[sc->depth] != -1) {
			a = &sc->anchors[sc->open[sc->depth]];
			a->nodes = sc->nodes - a->nodes;
			a->text = sc->text - a->text;
			a->open = 0;
		}
		sc->depth--;
		return 1;
	case YAML_ALIAS_EVENT:
		name = (const char *)ev->data.alias.anchor;
		/* The latest anchor of that name is the one used. */
		for (i = sc->nanchors; i > 0; i--) {
			if (strcmp(sc->anchors[i - 1].name, name) == 0)
				break;
		}
		if (i == 0)
			return 0;		/* libyaml says so */
		a = &sc->anchors[i - 1];
		if (a->open) {
			load_error_at(ld, line, col, "alias '*%s' is used "
			    "inside the node it names", name);
			return -1;
		}
		sc->nodes += a->nodes;
		sc->text += a->text;
		break;
	default:
		return 1;
	}
	if (sc->nodes > LOAD_MAX_NODES) {
		load_error_at(ld, line, col, "more than %d nodes in the file, "
		    "counting each use of an alias as a copy of what it names",
		    LOAD_MAX_NODES);
		return -1;
	}
	if (sc->text > LOAD_MAX_TEXT) {
		load_error_at(ld, line, col, "more than %d bytes of text in "
		    "the file, counting each use of an alias as a copy of "
		    "what it names", LOAD_MAX_TEXT);
		return -1;
	}
	return 1;
}

/* 0 if the file is within the limits (or has a syntax error), else -1. */
static int
load_scan(struct load *ld, const char *buf, size_t len)
{
	struct load_scan	*sc;
	yaml_parser_t		 parser;
	yaml_event_t		 ev;
	int			 rc = 1;

	sc = xcalloc(1, sizeof *sc);
	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (rc == 1) {
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR)
				fatalx("%s: out of memory parsing YAML",
				    ld->path);
			break;
		}
		rc = load_scan_event(ld, sc, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	load_scan_forget(sc);
	free(sc);
	return rc == -1 ? -1 : 0;
}

struct config *
config_load(const char *path, int flags, char **diag)
{
	struct load	 ld;
	yaml_parser_t	 parser;
	yaml_document_t	 extra;
	yaml_node_t	*root;
	struct config	*cf = NULL;
	char		*buf;
	size_t		 len, i, line, col;

	memset(&ld, 0, sizeof ld);
	ld.path = path;
	ld.flags = flags;
	ld.budget = LOAD_MAX_CONDS;
	ld.regex = LOAD_MAX_REGEX;

	if ((buf = load_read(path, &len)) == NULL) {
		load_error_at(&ld, 0, 0, "cannot open: %s", strerror(errno));
		goto done;
	}
	cf = config_new(path);
	load_version(buf, len, cf->version);
	if ((cf->rules = ld.r = rules_new()) == NULL)
		fatal("calloc");
	ld.r->names = cond_names_new();
	ld.r->calendars = xcalloc(1, sizeof *ld.r->calendars);
	if ((ld.r->calendars[0] = calendar_always()) == NULL)
		fatalx("cannot build the calendar 'always'");
	ld.r->ncalendars = 1;
	ld.cf = cf;

	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (len > LOAD_MAX_FILE) {
		load_offset(buf, len, LOAD_MAX_FILE, &line, &col);
		load_error_at(&ld, line, col, "the file is longer than %d bytes "
		    "(4 MiB), the most a rules file may have; it was not "
		    "parsed", LOAD_MAX_FILE);
	} else if (load_scan(&ld, buf, len) == -1)
		;	/* refused before a tree was built */
	else if (!yaml_parser_load(&parser, &ld.doc))
		load_yaml_error(&ld, &parser, buf, len);
	else {
		root = yaml_document_get_root_node(&ld.doc);
		if (root == NULL) {
			load_error_at(&ld, 1, 1, "the file is empty (expected "
			    "a mapping of sections: tiers, urgency, teams, "
			    "routes, ...)");
		} else {
			load_root(&ld, root);
			/* A second document would be silently ignored. */
			if (!yaml_parser_load(&parser, &extra))
				load_yaml_error(&ld, &parser, buf, len);
			else {
				if (yaml_document_get_root_node(&extra) !=
				    NULL) {
					load_error_at(&ld,
					    extra.start_mark.line + 1,
					    extra.start_mark.column + 1,
					    "a second YAML document (expected "
					    "one document per file)");
				}
				yaml_document_delete(&extra);
			}
		}
		yaml_document_delete(&ld.doc);
	}
	yaml_parser_delete(&parser);
	free(buf);

done:
	for (i = 0; i < COND_NFACTS; i++)
		free(ld.sorted[i]);
	for (i = 0; i < ld.ncalnames; i++)
		free(ld.calnames[i]);
	free(ld.calnames);
	*diag = load_diag_text(&ld);
	if (ld.nerrors > 0) {
		config_free(cf);
		return NULL;
	}
	return cf;
}

static void
config_count(FILE *f, size_t n, const char *one, const char *many,
    const char *sep)
{
	fprintf(f, "%zu %s%s", n, n == 1 ? one : many, sep);
}

void
config_summary(const struct config *cf, FILE *f)
{
	const struct rules		*r = cf->rules;
	const struct config_redis	*rc = &cf->redis;

	fprintf(f, "%s: configuration OK\n", cf->path);
	fprintf(f, "version: %s\n", cf->version);
	fputs("rules: ", f);
	config_count(f, r->ntiers, "tier", "tiers", ", ");
	config_count(f, r->nurgencies, "urgency level", "urgency levels",
	    ", ");
	config_count(f, r->nscores, "score rule", "score rules", ", ");
	config_count(f, r->noverrides, "override", "overrides", "\n");
	fputs("routing: ", f);
	config_count(f, r->nteams, "team", "teams", ", ");
	config_count(f, r->nroutes, "route", "routes", ", ");
	fprintf(f, "default team %s\n", r->teams[r->default_team]);
	fputs("sla: ", f);
	config_count(f, r->npolicies, "policy", "policies", ", ");
	config_count(f, r->ncalendars, "calendar", "calendars", ", ");
	config_count(f, r->nnotify, "notify target", "notify targets", "\n");
	if (rc->socket != NULL)
		fprintf(f, "redis: unix:%s", rc->socket);
	else
		fprintf(f, "redis: %s:%d", rc->host, rc->port);
	fprintf(f, " db %d prefix \"%s\"", rc->db, rc->prefix);
	if (rc->username != NULL)
		fprintf(f, " user %s", rc->username);
	if (rc->password_env != NULL)
		fprintf(f, " password from $%s", rc->password_env);
	fputc('\n', f);
	fprintf(f, "intake: stream %s%s, events %s%s, group %s\n",
	    rc->prefix, cf->intake.stream, rc->prefix, cf->intake.events,
	    cf->intake.group);
	if (cf->http_listen == NULL || *cf->http_listen == '\0')
		fputs("http: off\n", f);
	else
		fprintf(f, "http: %s\n", cf->http_listen);
}
