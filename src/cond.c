/*
 * cond.c - compiled conditions and their matchers (pure).
 *
 * The trees are built by the config loader and evaluated by rules.c once
 * per rule per request.  Evaluation only reads the tree and the slot array;
 * the one thing it writes is a slot's parsed number, cached so that several
 * numeric comparisons on one field parse it once.
 *
 *   request fields --(cond_names_request)--> slots[] <-- facts (tier, ...)
 *   CRM fields ----(cond_names_customer)--/     |
 *                                               v
 *                                     cond_eval(tree, slots)
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "log.h"
#include "xmalloc.h"

enum cond_kind {
	COND_ALL,
	COND_ANY,
	COND_NOT,
	COND_EQ,		/* eq, in; ne, not_in when negate */
	COND_CMP,
	COND_CONTAINS,
	COND_REGEX,
	COND_EXISTS
};

struct cond {
	enum cond_kind	  kind;
	int		  slot;
	int		  negate;	/* COND_EQ */
	int		  exists;	/* COND_EXISTS */
	enum cond_cmp	  cmp;		/* COND_CMP */
	double		  num;		/* COND_CMP */

	struct cond	**kids;	/* COND_ALL, COND_ANY, COND_NOT */
	size_t		  nkids;

	char		**strs;	/* eq values, contains needles */
	size_t		 *lens;
	size_t		  nstrs;

	struct cond_regex *rx;		/* COND_REGEX */
	char		 *re_src;	/* as written */
};

/*
 * A compiled regex, apart from the tree: matching changes it (the state
 * cache of glibc's DFA, and the recompiling that bounds it) even though the
 * tree is const while a request is classified.
 */
struct cond_regex {
	regex_t		 *re;		/* compiled from anchored */
	char		 *anchored;
	size_t		  cost;		/* see cond_regex_cost() */
	size_t		  scanned;	/* bytes matched since compiled */
};

/* Names hash to slots through a small open-addressing table. */
struct cond_name {
	char		*name;		/* as written */
	const char	*key;		/* name, or after "customer." */
	size_t		 keylen;
	int		 customer;
	int		 slot;
};

struct cond_names {
	struct cond_name	*names;		/* by slot */
	size_t			 nnames;
	int			*table;	/* slot + 1, 0 = empty */
	size_t			 tablesize;	/* a power of two */
};

static const char *cond_facts[COND_NFACTS] = {
	"tier", "urgency", "score", "team"
};

static uint64_t
cond_hash(int customer, const char *s, size_t len)
{
	uint64_t	h = 14695981039346656037ULL;
	size_t		i;

	h ^= (unsigned char)customer;
	h *= 1099511628211ULL;
	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int
cond_names_find(const struct cond_names *cn, int customer, const char *key,
    size_t len)
{
	size_t			 mask = cn->tablesize - 1, i;
	const struct cond_name	*n;
	int			 slot;

	i = cond_hash(customer, key, len) & mask;
	while ((slot = cn->table[i]) != 0) {
		n = &cn->names[slot - 1];
		if (n->customer == customer && n->keylen == len &&
		    memcmp(n->key, key, len) == 0)
			return slot - 1;
		i = (i + 1) & mask;
	}
	return -1;
}

static void
cond_names_insert(struct cond_names *cn, int slot)
{
	const struct cond_name	*n = &cn->names[slot];
	size_t			 mask = cn->tablesize - 1, i;

	i = cond_hash(n->customer, n->key, n->keylen) & mask;
	while (cn->table[i] != 0)
		i = (i + 1) & mask;
	cn->table[i] = slot + 1;
}

struct cond_names *
cond_names_new(void)
{
	struct cond_names	*cn;
	int			 i;

	cn = xcalloc(1, sizeof *cn);
	cn->names = xcalloc(COND_MAX_SLOTS, sizeof *cn->names);
	/* At most half full, so probes stay short. */
	cn->tablesize = 2 * COND_MAX_SLOTS;
	cn->table = xcalloc(cn->tablesize, sizeof *cn->table);
	for (i = 0; i < COND_NFACTS; i++)
		cond_names_intern(cn, cond_facts[i]);
	return cn;
}

void
cond_names_free(struct cond_names *cn)
{
	size_t	i;

	if (cn == NULL)
		return;
	for (i = 0; i < cn->nnames; i++)
		free(cn->names[i].name);
	free(cn->names);
	free(cn->table);
	free(cn);
}

int
cond_names_intern(struct cond_names *cn, const char *name)
{
	struct cond_name	*n;
	size_t			 plen = strlen(COND_CUSTOMER_PREFIX);
	int			 customer = 0, slot;
	const char		*key = name;

	if (strncmp(name, COND_CUSTOMER_PREFIX, plen) == 0) {
		customer = 1;
		key = name + plen;
	}
	if ((slot = cond_names_find(cn, customer, key, strlen(key))) != -1)
		return slot;
	if (cn->nnames == COND_MAX_SLOTS)
		return -1;
	slot = cn->nnames++;
	n = &cn->names[slot];
	n->name = xstrdup(name);
	n->customer = customer;
	n->key = n->name + (customer ? plen : 0);
	n->keylen = strlen(n->key);
	n->slot = slot;
	cond_names_insert(cn, slot);
	return slot;
}

int
cond_names_request(const struct cond_names *cn, const char *name, size_t len)
{
	int	slot;

	slot = cond_names_find(cn, 0, name, len);
	if (slot < COND_NFACTS)
		return -1;	/* facts shadow request fields */
	return slot;
}

int
cond_names_customer(const struct cond_names *cn, const char *name, size_t len)
{
	return cond_names_find(cn, 1, name, len);
}

size_t
cond_names_count(const struct cond_names *cn)
{
	return cn->nnames;
}

const char *
cond_names_name(const struct cond_names *cn, int slot)
{
	if (slot < 0 || (size_t)slot >= cn->nnames)
		return "?";
	return cn->names[slot].name;
}

static struct cond *
cond_new(enum cond_kind kind, int slot)
{
	struct cond	*c;

	c = xcalloc(1, sizeof *c);
	c->kind = kind;
	c->slot = slot;
	return c;
}

struct cond *
cond_new_all(void)
{
	return cond_new(COND_ALL, -1);
}

struct cond *
cond_new_any(void)
{
	return cond_new(COND_ANY, -1);
}

struct cond *
cond_new_not(struct cond *kid)
{
	struct cond	*c;

	c = cond_new(COND_NOT, -1);
	cond_add(c, kid);
	return c;
}

void
cond_add(struct cond *group, struct cond *kid)
{
	struct cond	**kids;

	kids = reallocarray(group->kids, group->nkids + 1, sizeof *kids);
	if (kids == NULL)
		fatal("reallocarray");
	group->kids = kids;
	group->kids[group->nkids++] = kid;
}

size_t
cond_count(const struct cond *group)
{
	return group->nkids;
}

static void
cond_set_strings(struct cond *c, char *const *values, size_t n, int lower)
{
	size_t	i, j;

	c->strs = xcalloc(n, sizeof *c->strs);
	c->lens = xcalloc(n, sizeof *c->lens);
	c->nstrs = n;
	for (i = 0; i < n; i++) {
		c->strs[i] = xstrdup(values[i]);
		c->lens[i] = strlen(values[i]);
		for (j = 0; lower && j < c->lens[i]; j++) {
			if (c->strs[i][j] >= 'A' && c->strs[i][j] <= 'Z')
				c->strs[i][j] += 'a' - 'A';
		}
	}
}

struct cond *
cond_new_eq(int slot, int negate, char *const *values, size_t n)
{
	struct cond	*c;

	c = cond_new(COND_EQ, slot);
	c->negate = negate;
	cond_set_strings(c, values, n, 0);
	return c;
}

struct cond *
cond_new_cmp(int slot, enum cond_cmp cmp, double num)
{
	struct cond	*c;

	c = cond_new(COND_CMP, slot);
	c->cmp = cmp;
	c->num = num;
	return c;
}

struct cond *
cond_new_contains(int slot, char *const *needles, size_t n)
{
	struct cond	*c;

	c = cond_new(COND_CONTAINS, slot);
	cond_set_strings(c, needles, n, 1);
	return c;
}

/*
 * Regular expressions.
 *
 * glibc's regexec() tries every start position in turn and runs its DFA
 * from each as far as the pattern lets it: `x.*y` on 64 KB of x's is 64 K
 * runs of up to 64 K bytes, seconds in the event loop.  A condition only
 * asks whether there is a match (REG_NOSUB), which does not depend on where
 * it starts, so a pattern P is compiled as
 *
 *	^(.|[^.])*(P)
 *
 * one run from the first byte, linear in the field.  The prefix stands for
 * the bytes before a match; it is (.|[^.]) because `.` does not match NUL.
 * A `)` that P leaves unmatched, which glibc takes as a literal, is escaped
 * so that it cannot close the wrapping group, and P's ^ is written \` (see
 * cond_regex_check()).
 *
 * What is left is the DFA itself: glibc makes a state for every new set of
 * pattern positions it meets, at microseconds each, and keeps them all in
 * the compiled regex.  Some patterns (a.{16}c on random text) meet a new
 * set at nearly every byte.  So a field is matched on its first
 * COND_REGEX_MAX_BYTES only, and a regex is compiled afresh after it has
 * scanned COND_REGEX_REFRESH bytes, which bounds the states it keeps and
 * the time each new one takes to find among them.  The limits checked
 * before regcomp() (cond.h) bound the pattern's size, which the cost of a
 * state and the time regcomp() takes grow with.
 */
#define COND_REGEX_PREFIX	"^(.|[^.])*("
#define COND_REGEX_REFRESH	(4 * COND_REGEX_MAX_BYTES)

/* A group of a pattern being measured. */
struct cond_regroup {
	size_t		size;		/* positions, counts expanded */
	size_t		copies;		/* most copies of one position */
	size_t		optional;	/* skippable parts, see below */
	int		empty;		/* a branch so far matches "" */
	int		branch;		/* the current branch matches "" */
};

/* The last atom of a pattern, which a repetition repeats. */
struct cond_reatom {
	size_t		size, copies, optional;
	int		empty;		/* it can match "" */
	int		compound;	/* a group or a repetition */
	int		before;		/* its branch matched "" before it */
};

/* Digits at *p, at most a little over 100000; -1 if none.  Advances *p. */
static long
cond_regex_number(const char **p)
{
	long	n = -1;

	while (isdigit((unsigned char)**p)) {
		if (n < 0)
			n = 0;
		if (n <= 100000)
			n = n * 10 + (**p - '0');
		(*p)++;
	}
	return n;
}

/*
 * How many copies of its operand the repetition at p makes (+ is one and a
 * starred copy, {m,n} n, {m,} m and a starred copy), with *end after it,
 * in *skip how many of them may be skipped and in *zero whether all may;
 * 0 if p is no repetition ("{" not followed by a count is left to
 * regcomp()); -1 with the reason in err if a count is over the limit.
 */
static long
cond_regex_copies(const char *re, const char *p, const char **end,
    long *skip, int *zero, char *err, size_t errlen)
{
	const char	*q = p + 1;
	long		 m, n;

	*end = q;
	*skip = 1;
	*zero = *p != '+';
	if (*p == '*' || *p == '?')
		return 1;
	if (*p == '+')
		return 2;
	m = cond_regex_number(&q);
	n = m;
	if (*q == ',') {
		q++;
		n = cond_regex_number(&q);
	}
	if (*q != '}' || (m < 0 && n < 0))
		return 0;
	*end = q + 1;
	if (m > COND_REGEX_MAX_COUNT || n > COND_REGEX_MAX_COUNT) {
		snprintf(err, errlen, "count '%.*s' at character %zu is over "
		    "%d", (int)(*end - p), p, (size_t)(p - re) + 1,
		    COND_REGEX_MAX_COUNT);
		return -1;
	}
	if (m < 0)
		m = 0;
	*zero = m == 0;
	if (n < 0)
		return m + 1;
	*skip = n > m ? n - m : 0;
	return n > 1 ? n : 1;
}

/*
 * Measure re as glibc's regcomp() would expand it, before calling it: the
 * operand of a repetition is copied (cond_regex_copies()), so counts nested
 * inside each other multiply.
 *
 * Skippable parts are counted apart.  regcomp() takes time about the cube
 * of their number when an anchor or a word boundary reaches them through
 * other parts that match "": ^(a|b?){0,250} takes 2 s, \b\B(a|b?){0,31}
 * 30 ms.  So a repetition that may skip copies of an operand matching ""
 * counts each such copy, any other skippable repetition counts once (a?,
 * a{0,250}, (abc){0,200} cost little), and repeating a group repeats what
 * it counted.
 *
 * Writes the anchored source to out, which has room for 2 * strlen(re) +
 * sizeof COND_REGEX_PREFIX + 1 bytes, and what compiling it will cost to
 * *cost (cond_regex_cost()).  Returns -1 and the reason in err if a limit
 * of cond.h is passed; syntax errors are left to regcomp(), which says
 * them better.
 */
static int
cond_regex_check(const char *re, char *out, size_t *cost, char *err,
    size_t errlen)
{
	struct cond_regroup	 g[COND_REGEX_MAX_DEPTH + 1], *cur = g;
	struct cond_reatom	 a;
	const char		*p = re, *q, *end;
	size_t			 opt;
	long			 k, skip;
	int			 atom = 0, zero;
	char			 type;

	memset(&a, 0, sizeof a);
	memset(cur, 0, sizeof *cur);
	cur->copies = 1;
	cur->branch = 1;
	out += sprintf(out, "%s", COND_REGEX_PREFIX);
	while (*p != '\0') {
		q = p;
		switch (*p) {
		case '(':
			if (cur == g + COND_REGEX_MAX_DEPTH) {
				snprintf(err, errlen, "groups nested more than "
				    "%d deep at character %zu",
				    COND_REGEX_MAX_DEPTH, (size_t)(p - re) + 1);
				return -1;
			}
			cur++;
			memset(cur, 0, sizeof *cur);
			cur->copies = 1;
			cur->branch = 1;
			*out++ = *p++;
			atom = 0;
			continue;
		case ')':
			if (cur == g) {
				/* A literal for glibc: keep it one. */
				*out++ = '\\';
				p++;
				break;
			}
			a.size = cur->size;
			a.copies = cur->copies;
			a.optional = cur->optional;
			a.empty = cur->empty || cur->branch;
			a.compound = 1;
			cur--;
			a.before = cur->branch;
			cur->size += a.size;
			cur->optional += a.optional;
			if (a.copies > cur->copies)
				cur->copies = a.copies;
			cur->branch = a.before && a.empty;
			*out++ = *p++;
			atom = 1;
			goto measured;
		case '|':
			cur->empty |= cur->branch;
			cur->branch = 1;
			*out++ = *p++;
			atom = 0;
			continue;
		case '^':
			/*
			 * After the prefix, glibc lets ^ match after a newline
			 * too; \` is the start of the field, which is what ^
			 * means without REG_NEWLINE.
			 */
			*out++ = '\\';
			*out++ = '`';
			p++;
			atom = 0;
			continue;
		case '$':
			*out++ = *p++;
			atom = 0;
			continue;
		case '*':
		case '?':
		case '+':
		case '{':
			if ((k = cond_regex_copies(re, p, &end, &skip, &zero,
			    err, errlen)) == -1)
				return -1;
			if (k == 0) {
				p++;		/* a literal '{' */
				break;
			}
			memcpy(out, p, end - p);
			out += end - p;
			if (!atom) {
				p = end;	/* regcomp() says why */
				continue;
			}
			if (a.copies * k > COND_REGEX_MAX_COPIES) {
				snprintf(err, errlen, "repetitions nested "
				    "inside each other make %zu copies at "
				    "character %zu (at most %d)",
				    a.copies * k, (size_t)(p - re) + 1,
				    COND_REGEX_MAX_COPIES);
				return -1;
			}
			p = end;
			cur->size += a.size * (k - 1);
			a.size *= k;
			a.copies *= k;
			if (a.copies > cur->copies)
				cur->copies = a.copies;
			opt = a.optional * k;
			if (skip > 0)
				opt += a.compound && a.empty ? (size_t)skip : 1;
			cur->optional += opt - a.optional;
			a.optional = opt;
			a.empty = a.empty || zero;
			a.compound = 1;
			cur->branch = a.before && a.empty;
			goto measured;
		case '\\':
			if (p[1] >= '1' && p[1] <= '9') {
				snprintf(err, errlen, "back-reference '\\%c' at "
				    "character %zu (not part of POSIX extended "
				    "regular expressions, and it can take "
				    "exponential time)", p[1],
				    (size_t)(p - re) + 1);
				return -1;
			}
			if (p[1] != '\0' && strchr("bB<>`'", p[1]) != NULL) {
				/* GNU anchors: they match "". */
				*out++ = *p++;
				*out++ = *p++;
				atom = 0;
				continue;
			}
			p += p[1] != '\0' ? 2 : 1;
			break;
		case '[':
			/* A bracket expression is one position. */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (p[0] == '[' && (p[1] == '.' ||
				    p[1] == ':' || p[1] == '=')) {
					type = p[1];
					for (p += 2; *p != '\0' &&
					    !(p[0] == type && p[1] == ']'); p++)
						;
					if (*p != '\0')
						p += 2;
				} else
					p++;
			}
			if (*p == ']')
				p++;
			break;
		default:
			p++;
			break;
		}
		/* One position, from q to p. */
		memcpy(out, q, p - q);
		out += p - q;
		atom = 1;
		memset(&a, 0, sizeof a);
		a.size = 1;
		a.copies = 1;
		a.before = cur->branch;
		cur->size++;
		cur->branch = 0;
measured:
		if (cur->size > COND_REGEX_MAX_SIZE ||
		    cur->optional > COND_REGEX_MAX_OPTIONAL)
			break;
	}
	if (cur->size > COND_REGEX_MAX_SIZE || g[0].size > COND_REGEX_MAX_SIZE) {
		snprintf(err, errlen, "it expands to more than %d positions, "
		    "repetitions counted", COND_REGEX_MAX_SIZE);
		return -1;
	}
	if (cur->optional > COND_REGEX_MAX_OPTIONAL ||
	    g[0].optional > COND_REGEX_MAX_OPTIONAL) {
		snprintf(err, errlen, "it has more than %d optional parts "
		    "(?, *, {0,n} and the like), repetitions counted",
		    COND_REGEX_MAX_OPTIONAL);
		return -1;
	}
	*out++ = ')';
	*out = '\0';
	/*
	 * regcomp() of a tiny pattern takes some 25 us.  The rest is fitted
	 * over the worst shapes, from above: x{0,250}y{0,250}... (2000
	 * positions, skippable in a row) 18 ms, \b\B(a|b?){0,32} (64
	 * skippable parts) 18 ms.  It is compiled twice (cond_new_regex()).
	 */
	*cost = 2 * (25 + g[0].size + g[0].size * g[0].size / 200 +
	    8 * g[0].optional * g[0].optional);
	return 0;
}

static void
cond_regex_free(struct cond_regex *rx)
{
	if (rx == NULL)
		return;
	if (rx->re != NULL) {
		regfree(rx->re);
		free(rx->re);
	}
	free(rx->anchored);
	free(rx);
}

/* regcomp() into a new regex_t; NULL and the reason in err if it fails. */
static regex_t *
cond_regex_compile(const char *src, char *err, size_t errlen)
{
	regex_t	*re;
	int	 rc;

	re = xcalloc(1, sizeof *re);
	if ((rc = regcomp(re, src, REG_EXTENDED | REG_NOSUB)) != 0) {
		if (err != NULL)
			regerror(rc, re, err, errlen);
		free(re);
		return NULL;
	}
	return re;
}

struct cond *
cond_new_regex(int slot, const char *re, char *err, size_t errlen)
{
	struct cond_regex	*rx;
	struct cond		*c;
	regex_t			*plain;

	rx = xcalloc(1, sizeof *rx);
	rx->anchored = xcalloc(1, 2 * strlen(re) + sizeof COND_REGEX_PREFIX +
	    1);
	if (cond_regex_check(re, rx->anchored, &rx->cost, err, errlen) == -1) {
		cond_regex_free(rx);
		return NULL;
	}
	/*
	 * The pattern as written must compile: wrapped, a few bad ones would
	 * pass (`${`), and its errors are about what the reader wrote.
	 */
	if ((plain = cond_regex_compile(re, err, errlen)) == NULL) {
		cond_regex_free(rx);
		return NULL;
	}
	regfree(plain);
	free(plain);
	if ((rx->re = cond_regex_compile(rx->anchored, err, errlen)) == NULL) {
		cond_regex_free(rx);
		return NULL;
	}
	c = cond_new(COND_REGEX, slot);
	c->rx = rx;
	c->re_src = xstrdup(re);
	return c;
}

size_t
cond_size(const struct cond *c)
{
	size_t	n, i;

	if (c == NULL)
		return 1;
	n = 1 + c->nstrs;
	for (i = 0; i < c->nkids; i++)
		n += cond_size(c->kids[i]);
	return n;
}

size_t
cond_regex_cost(const struct cond *c)
{
	return c->kind == COND_REGEX ? c->rx->cost : 0;
}

/* Whether rx matches within the first COND_REGEX_MAX_BYTES of s. */
static int
cond_regex_match(struct cond_regex *rx, const char *s, size_t len)
{
	regmatch_t	 m;
	regex_t		*fresh;
	int		 eflags = REG_STARTEND;

	if (len > COND_REGEX_MAX_BYTES) {
		len = COND_REGEX_MAX_BYTES;
		eflags |= REG_NOTEOL;	/* the field goes on */
	}
	if (rx->scanned >= COND_REGEX_REFRESH) {
		/* Out of memory: go on with the states kept. */
		if ((fresh = cond_regex_compile(rx->anchored, NULL, 0)) !=
		    NULL) {
			regfree(rx->re);
			free(rx->re);
			rx->re = fresh;
		}
		rx->scanned = 0;
	}
	rx->scanned += len + 1;
	/* REG_STARTEND: the value is not NUL-terminated. */
	m.rm_so = 0;
	m.rm_eo = (regoff_t)len;
	return regexec(rx->re, s, 1, &m, eflags) == 0;
}

struct cond *
cond_new_exists(int slot, int exists)
{
	struct cond	*c;

	c = cond_new(COND_EXISTS, slot);
	c->exists = exists;
	return c;
}

void
cond_free(struct cond *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nkids; i++)
		cond_free(c->kids[i]);
	free(c->kids);
	for (i = 0; i < c->nstrs; i++)
		free(c->strs[i]);
	free(c->strs);
	free(c->lens);
	if (c->kind == COND_REGEX) {
		cond_regex_free(c->rx);
		free(c->re_src);
	}
	free(c);
}

/* Digits at s[*i], advancing *i; how many. */
static size_t
cond_digits(const char *s, size_t len, size_t *i)
{
	size_t	start = *i;

	while (*i < len && isdigit((unsigned char)s[*i]))
		(*i)++;
	return *i - start;
}

int
cond_parse_number(const char *s, size_t len, double *out)
{
	char	 buf[64], *end;
	double	 d;
	size_t	 i = 0, n;

	/*
	 * strtod() alone would also take leading blanks, "nan", "inf" and
	 * hex ("0x186A0", "0x1p17"): a field is a number only if it is
	 * written in decimal, [+-]digits[.digits][e[+-]digits], with digits
	 * on at least one side of the point.
	 */
	if (len == 0 || len >= sizeof buf)
		return -1;
	if (s[i] == '+' || s[i] == '-')
		i++;
	n = cond_digits(s, len, &i);
	if (i < len && s[i] == '.') {
		i++;
		n += cond_digits(s, len, &i);
	}
	if (n == 0)
		return -1;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (cond_digits(s, len, &i) == 0)
			return -1;
	}
	if (i != len)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	if (end != buf + len || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

static int
cond_number(struct cond_value *v)
{
	if (v->numstate == 0) {
		if (cond_parse_number(v->ptr, v->len, &v->num) == 0)
			v->numstate = 1;
		else
			v->numstate = -1;
	}
	return v->numstate == 1;
}

static inline unsigned char
cond_lower(unsigned char ch)
{
	/* ASCII only: UTF-8 lead and continuation bytes are all >= 0x80. */
	if (ch >= 'A' && ch <= 'Z')
		return ch + ('a' - 'A');
	return ch;
}

static int
cond_contains_one(const char *hay, size_t hlen, const char *needle,
    size_t nlen)
{
	const unsigned char	*h = (const unsigned char *)hay;
	const unsigned char	*n = (const unsigned char *)needle;
	size_t			 i, j;

	if (nlen > hlen)
		return 0;
	for (i = 0; i + nlen <= hlen; i++) {
		if (cond_lower(h[i]) != n[0])
			continue;
		for (j = 1; j < nlen; j++) {
			if (cond_lower(h[i + j]) != n[j])
				break;
		}
		if (j == nlen)
			return 1;
	}
	return 0;
}

/* A leaf on a present field. */
static int
cond_leaf(const struct cond *c, struct cond_value *v)
{
	size_t		i;

	switch (c->kind) {
	case COND_EQ:
		for (i = 0; i < c->nstrs; i++) {
			if (c->lens[i] == v->len &&
			    memcmp(c->strs[i], v->ptr, v->len) == 0)
				return !c->negate;
		}
		return c->negate;
	case COND_CMP:
		if (!cond_number(v))
			return 0;
		switch (c->cmp) {
		case COND_GT:
			return v->num > c->num;
		case COND_GTE:
			return v->num >= c->num;
		case COND_LT:
			return v->num < c->num;
		case COND_LTE:
			return v->num <= c->num;
		}
		return 0;
	case COND_CONTAINS:
		for (i = 0; i < c->nstrs; i++) {
			if (cond_contains_one(v->ptr, v->len, c->strs[i],
			    c->lens[i]))
				return 1;
		}
		return 0;
	case COND_REGEX:
		return cond_regex_match(c->rx, v->ptr, v->len);
	case COND_EXISTS:
		return (v->len != 0) == c->exists;
	default:
		return 0;
	}
}

/* A leaf on a missing field: false, except ne, not_in and exists: false. */
static int
cond_missing(const struct cond *c)
{
	if (c->kind == COND_EQ)
		return c->negate;
	if (c->kind == COND_EXISTS)
		return !c->exists;
	return 0;
}

int
cond_eval(const struct cond *c, struct cond_value *slots)
{
	struct cond_value	*v;
	size_t			 i;

	if (c == NULL)
		return 1;
	switch (c->kind) {
	case COND_ALL:
		for (i = 0; i < c->nkids; i++) {
			if (!cond_eval(c->kids[i], slots))
				return 0;
		}
		return 1;
	case COND_ANY:
		for (i = 0; i < c->nkids; i++) {
			if (cond_eval(c->kids[i], slots))
				return 1;
		}
		return 0;
	case COND_NOT:
		return !cond_eval(c->kids[0], slots);
	default:
		v = &slots[c->slot];
		if (v->ptr == NULL)
			return cond_missing(c);
		return cond_leaf(c, v);
	}
}

int
cond_eval3(const struct cond *c, struct cond_value *slots,
    const unsigned char *known)
{
	size_t	i;
	int	r, unknown = 0;

	if (c == NULL)
		return COND_TRUE;
	switch (c->kind) {
	case COND_ALL:
	case COND_ANY:
		for (i = 0; i < c->nkids; i++) {
			r = cond_eval3(c->kids[i], slots, known);
			if (r == COND_UNKNOWN)
				unknown = 1;
			else if (c->kind == COND_ALL && r == COND_FALSE)
				return COND_FALSE;
			else if (c->kind == COND_ANY && r == COND_TRUE)
				return COND_TRUE;
		}
		if (unknown)
			return COND_UNKNOWN;
		return c->kind == COND_ALL ? COND_TRUE : COND_FALSE;
	case COND_NOT:
		r = cond_eval3(c->kids[0], slots, known);
		if (r == COND_UNKNOWN)
			return r;
		return r == COND_TRUE ? COND_FALSE : COND_TRUE;
	default:
		if (!known[c->slot])
			return COND_UNKNOWN;
		return cond_eval(c, slots) ? COND_TRUE : COND_FALSE;
	}
}

static void
cond_print_string(const char *s, FILE *f)
{
	const unsigned char	*p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void
cond_print_list(const struct cond *c, FILE *f)
{
	size_t	i;

	if (c->nstrs == 1) {
		cond_print_string(c->strs[0], f);
		return;
	}
	fputc('[', f);
	for (i = 0; i < c->nstrs; i++) {
		if (i > 0)
			fputs(", ", f);
		cond_print_string(c->strs[i], f);
	}
	fputc(']', f);
}

static void
cond_print1(const struct cond *c, const struct cond_names *cn, FILE *f,
    int nested)
{
	static const char	*cmps[] = { ">", ">=", "<", "<=" };
	const char		*name;
	size_t			 i;

	switch (c->kind) {
	case COND_ALL:
		if (c->nkids == 0) {
			fputs("always", f);
			break;
		}
		if (nested && c->nkids > 1)
			fputc('(', f);
		for (i = 0; i < c->nkids; i++) {
			if (i > 0)
				fputs(" and ", f);
			cond_print1(c->kids[i], cn, f, 1);
		}
		if (nested && c->nkids > 1)
			fputc(')', f);
		break;
	case COND_ANY:
		fputs("any(", f);
		for (i = 0; i < c->nkids; i++) {
			if (i > 0)
				fputs(", ", f);
			cond_print1(c->kids[i], cn, f, 0);
		}
		fputc(')', f);
		break;
	case COND_NOT:
		fputs("not(", f);
		cond_print1(c->kids[0], cn, f, 0);
		fputc(')', f);
		break;
	default:
		name = cond_names_name(cn, c->slot);
		fputs(name, f);
		switch (c->kind) {
		case COND_EQ:
			if (c->nstrs == 1)
				fputs(c->negate ? " != " : " = ", f);
			else
				fputs(c->negate ? " not in " : " in ", f);
			cond_print_list(c, f);
			break;
		case COND_CMP:
			fprintf(f, " %s %.15g", cmps[c->cmp], c->num);
			break;
		case COND_CONTAINS:
			fputs(c->nstrs == 1 ? " contains " :
			    " contains one of ", f);
			cond_print_list(c, f);
			break;
		case COND_REGEX:
			fputs(" matches /", f);
			fputs(c->re_src, f);
			fputc('/', f);
			break;
		case COND_EXISTS:
			fputs(c->exists ? " exists" : " is absent", f);
			break;
		default:
			break;
		}
		break;
	}
}

void
cond_print(const struct cond *c, const struct cond_names *cn, FILE *f)
{
	if (c == NULL) {
		fputs("always", f);
		return;
	}
	cond_print1(c, cn, f, 0);
}
