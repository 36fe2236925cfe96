/*
 * rematch.c - POSIX extended regular expressions with bounded work per
 * match, for the `regex` matcher of conditions (cond.c).
 */
#include <ctype.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "rematch.h"
#include "xmalloc.h"

/*
 * A compiled regex, apart from the tree: matching changes it (the state
 * cache of glibc's DFA, and the recompiling that bounds it) even though the
 * tree is const while a request is classified.
 */
struct rematch {
	regex_t		 *re;		/* compiled from anchored */
	char		 *anchored;
	size_t		  cost;		/* see rematch_cost() */
	size_t		  scanned;	/* bytes matched since compiled */
};

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
 * rematch_check()).
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
rematch_number(const char **p)
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
rematch_copies(const char *re, const char *p, const char **end,
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
	m = rematch_number(&q);
	n = m;
	if (*q == ',') {
		q++;
		n = rematch_number(&q);
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
 * operand of a repetition is copied (rematch_copies()), so counts nested
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
rematch_check(const char *re, char *out, size_t *cost, char *err,
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
			if ((k = rematch_copies(re, p, &end, &skip, &zero,
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

void
rematch_free(struct rematch *rx)
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
rematch_compile(const char *src, char *err, size_t errlen)
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

struct rematch *
rematch_new(const char *re, char *err, size_t errlen)
{
	struct rematch	*rx;
	regex_t		*plain;

	rx = xcalloc(1, sizeof *rx);
	rx->anchored = xcalloc(1, 2 * strlen(re) + sizeof COND_REGEX_PREFIX +
	    1);
	if (rematch_check(re, rx->anchored, &rx->cost, err, errlen) == -1) {
		rematch_free(rx);
		return NULL;
	}
	/*
	 * The pattern as written must compile: wrapped, a few bad ones would
	 * pass (`${`), and its errors are about what the reader wrote.
	 */
	if ((plain = rematch_compile(re, err, errlen)) == NULL) {
		rematch_free(rx);
		return NULL;
	}
	regfree(plain);
	free(plain);
	if ((rx->re = rematch_compile(rx->anchored, err, errlen)) == NULL) {
		rematch_free(rx);
		return NULL;
	}
	return rx;
}

size_t
rematch_cost(const struct rematch *rx)
{
	return rx->cost;
}

/* Whether rx matches within the first COND_REGEX_MAX_BYTES of s. */
int
rematch_test(struct rematch *rx, const char *s, size_t len)
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
		if ((fresh = rematch_compile(rx->anchored, NULL, 0)) !=
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
