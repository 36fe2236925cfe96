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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "rematch.h"
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
	uint64_t	 *grams;	/* COND_CONTAINS: each needle's bigrams */

	struct rematch	 *rx;		/* COND_REGEX */
	char		 *re_src;	/* as written */
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

/*
 * A 64-bit summary of the byte pairs in a text, ASCII letters lowered:
 * every pair sets one bit.  A needle whose bits are not all set in the
 * text's cannot be in it, which rejects most `contains` needles without a
 * scan; a long text sets every bit and is simply scanned.  With 1,000
 * routes on a subject this is most of what classification costs.
 */
static inline unsigned char	cond_lower(unsigned char);

static uint64_t
cond_bigrams(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint64_t		 g = 0;
	uint32_t		 pair;
	size_t			 i;

	for (i = 0; i + 1 < len; i++) {
		pair = (uint32_t)cond_lower(p[i]) << 8 | cond_lower(p[i + 1]);
		g |= (uint64_t)1 << ((pair * 0x9E3779B1u) >> 26);
	}
	return g;
}

struct cond *
cond_new_contains(int slot, char *const *needles, size_t n)
{
	struct cond	*c;
	size_t		 i;

	c = cond_new(COND_CONTAINS, slot);
	cond_set_strings(c, needles, n, 1);
	c->grams = xcalloc(n, sizeof *c->grams);
	for (i = 0; i < n; i++)
		c->grams[i] = cond_bigrams(c->strs[i], c->lens[i]);
	return c;
}

struct cond *
cond_new_regex(int slot, const char *re, char *err, size_t errlen)
{
	struct rematch	*rx;
	struct cond	*c;

	if ((rx = rematch_new(re, err, errlen)) == NULL)
		return NULL;
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
	return c->kind == COND_REGEX ? rematch_cost(c->rx) : 0;
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
	free(c->grams);
	if (c->kind == COND_REGEX) {
		rematch_free(c->rx);
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
		if (v->gramstate == 0) {
			v->grams = cond_bigrams(v->ptr, v->len);
			v->gramstate = 1;
		}
		for (i = 0; i < c->nstrs; i++) {
			if ((c->grams[i] & ~v->grams) != 0)
				continue;
			if (cond_contains_one(v->ptr, v->len, c->strs[i],
			    c->lens[i]))
				return 1;
		}
		return 0;
	case COND_REGEX:
		return rematch_test(c->rx, v->ptr, v->len);
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

void
cond_keys(const struct cond *c, cond_key_fn fn, void *arg)
{
	size_t	i;

	if (c == NULL)
		return;
	if (c->kind == COND_EQ && !c->negate)
		fn(c->slot, c->strs, c->lens, c->nstrs, arg);
	else if (c->kind == COND_ALL) {
		/* `field: {in: [...]}` nests an `all` in the rule's own. */
		for (i = 0; i < c->nkids; i++)
			cond_keys(c->kids[i], fn, arg);
	}
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
