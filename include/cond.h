/*
 * cond.h - compiled conditions and their matchers (pure).
 *
 * A condition is a small tree (all / any / not over field matchers) built
 * once when the rules are loaded.  Field names are interned into slot
 * numbers at load time; classifying a request fills an array of slot values
 * and evaluates the trees against it, so nothing here allocates, hashes a
 * name or compiles a regex per request.
 *
 * Slots 0-3 are the facts decided by the stages (tier, urgency, score,
 * team).  A fact shadows a request field of the same name: the request's own
 * "team" field, say, is never seen by a condition.  Names "customer.X" refer
 * to the CRM field X only, never to a request field spelt "customer.X", so a
 * gateway cannot forge the customer's data.
 */
#ifndef TRIAGED_COND_H
#define TRIAGED_COND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define COND_SLOT_TIER		0
#define COND_SLOT_URGENCY	1
#define COND_SLOT_SCORE		2
#define COND_SLOT_TEAM		3
#define COND_NFACTS		4

/* Distinct field names one rules file may use in its conditions. */
#define COND_MAX_SLOTS		512

#define COND_CUSTOMER_PREFIX	"customer."

/* The value of one slot while a request is classified. */
struct cond_value {
	const char	*ptr;		/* NULL: the field is missing */
	size_t		 len;
	double		 num;		/* when numstate == 1 */
	int		 numstate;	/* 0 unparsed, 1 number, -1 not */
	int		 gramstate;	/* 0 grams not yet computed, 1 done */
	uint64_t	 grams;		/* bigrams present, see cond.c */
};

/*
 * Give a slot a new value, forgetting what was worked out from the old
 * one (its number, its bigrams).  A slot whose ptr is changed by hand
 * keeps stale caches.
 */
static inline void
cond_value_set(struct cond_value *v, const char *ptr, size_t len)
{
	v->ptr = ptr;
	v->len = len;
	v->numstate = 0;
	v->gramstate = 0;
}

/* Interned field names. */
struct cond_names;

struct cond_names	*cond_names_new(void);
void			 cond_names_free(struct cond_names *); /* NULL ok */
/* Slot of name ("severity", "customer.level", "tier"); -1 if full. */
int			 cond_names_intern(struct cond_names *,
			    const char *name);
/* Slot fed by a request field, -1 if no condition reads it. */
int			 cond_names_request(const struct cond_names *,
			    const char *name, size_t len);
/* Slot fed by a CRM field (name without "customer."), or -1. */
int			 cond_names_customer(const struct cond_names *,
			    const char *name, size_t len);
size_t			 cond_names_count(const struct cond_names *);
const char		*cond_names_name(const struct cond_names *, int slot);

/*
 * The work a regex condition may do, decided once here and documented in
 * the README (Configuration, Limits).  A regex sees only the first
 * COND_REGEX_MAX_BYTES of a field: a match that starts or ends past them is
 * not found, and `$` does not match at the cut.  Before regcomp() is called,
 * a pattern is refused if a count {m,n} exceeds COND_REGEX_MAX_COUNT, if
 * counts nested inside each other multiply to more than
 * COND_REGEX_MAX_COPIES, if the whole pattern, counts expanded, is longer
 * than COND_REGEX_MAX_SIZE or has more than COND_REGEX_MAX_OPTIONAL
 * skippable parts (see cond.c), if groups nest deeper than
 * COND_REGEX_MAX_DEPTH
 * (glibc's parser recurses per group and overflows the stack at some
 * ten thousand), or if it has a back-reference (\1: not POSIX extended, and
 * exponential in glibc).
 */
#define COND_REGEX_MAX_BYTES	1024
#define COND_REGEX_MAX_COUNT	255
#define COND_REGEX_MAX_COPIES	1000
#define COND_REGEX_MAX_SIZE	2000
#define COND_REGEX_MAX_OPTIONAL	64
#define COND_REGEX_MAX_DEPTH	64

/* The numeric comparisons. */
enum cond_cmp { COND_GT, COND_GTE, COND_LT, COND_LTE };

struct cond;

/*
 * Constructors.  They copy what they are given; a group takes ownership of
 * the children added to it.  Out of memory is fatal.  A NULL condition
 * always holds.
 */
struct cond	*cond_new_all(void);
struct cond	*cond_new_any(void);
struct cond	*cond_new_not(struct cond *);
void		 cond_add(struct cond *group, struct cond *);
size_t		 cond_count(const struct cond *group);
/* Nodes and strings of the tree: what one evaluation may look at. */
size_t		 cond_size(const struct cond *);
/* eq / in (negate 0) or ne / not_in (negate 1) over n exact values. */
struct cond	*cond_new_eq(int slot, int negate, char *const *values,
		    size_t n);
struct cond	*cond_new_cmp(int slot, enum cond_cmp, double);
/* Any of n non-empty needles, ASCII letters without case. */
struct cond	*cond_new_contains(int slot, char *const *needles, size_t n);
/*
 * POSIX extended regex; NULL and the reason in err if it is bad or too
 * costly (see the limits below).
 */
struct cond	*cond_new_regex(int slot, const char *re, char *err,
		    size_t errlen);
/*
 * What compiling a regex condition cost, in about microseconds of
 * regcomp() as measured on its worst shapes (0 for other conditions): the
 * loader has a budget for the whole file.
 */
size_t		 cond_regex_cost(const struct cond *);
struct cond	*cond_new_exists(int slot, int exists);
void		 cond_free(struct cond *);		/* accepts NULL */

/*
 * The equality leaves (`field: value`, `in: [...]`) that must hold for c
 * to hold: c itself, or the leaves under its `all`s (not under `any` or
 * `not`).  fn is called for
 * each with its slot and values; a request whose value in that slot is
 * none of them cannot match c.  What rules_index.c builds on.
 */
typedef void	 (*cond_key_fn)(int slot, char *const *values,
		    const size_t *lens, size_t n, void *arg);
void		 cond_keys(const struct cond *, cond_key_fn, void *arg);

/* Whether the condition holds for the slot values. */
int		 cond_eval(const struct cond *, struct cond_value *slots);

/*
 * Three-valued evaluation for the load-time analysis: slots whose known[]
 * flag is 0 may hold anything.  Returns COND_FALSE, COND_TRUE or
 * COND_UNKNOWN.
 */
#define COND_FALSE	0
#define COND_TRUE	1
#define COND_UNKNOWN	2
int		 cond_eval3(const struct cond *, struct cond_value *slots,
		    const unsigned char *known);

/* Print the condition in one line, for explain and warnings. */
void		 cond_print(const struct cond *, const struct cond_names *,
		    FILE *);

/*
 * Parse a whole string as a finite decimal number: an optional sign, digits
 * with an optional fraction, an optional decimal exponent ("-2.5e3").  No
 * blanks, hex, inf or nan.  0 ok, -1 not a number.
 */
int		 cond_parse_number(const char *, size_t, double *);

#endif
