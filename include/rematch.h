/*
 * rematch.h - a regular expression whose every match costs bounded work
 * (pure; see rematch.c for how and why).  Patterns are checked against the
 * limits in cond.h before they are compiled.
 */
#ifndef TRIAGED_REMATCH_H
#define TRIAGED_REMATCH_H

#include <stddef.h>

struct rematch;

/* Compile re; NULL and the reason in err if it is refused or invalid. */
struct rematch	*rematch_new(const char *re, char *err, size_t errlen);
void		 rematch_free(struct rematch *);	/* accepts NULL */
/* 1 if it matches within the first COND_REGEX_MAX_BYTES of s, else 0. */
int		 rematch_test(struct rematch *, const char *s, size_t len);
/* Its estimated compile cost, counted against the file's budget. */
size_t		 rematch_cost(const struct rematch *);

#endif
