/*
 * rules_index.h - the rules of a long list that can match a request,
 * found by the value of a field rather than by trying every rule.
 *
 * Operators write routes and score rules mostly as "this category", "this
 * region", "these accounts": equality on one field.  The index maps each
 * such value to the rules that need it, so a request tries only those and
 * the rules with no equality to key on, in list order: first-match-wins
 * and the score's sum are exactly as if every rule were tried.
 */
#ifndef TRIAGED_RULES_INDEX_H
#define TRIAGED_RULES_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct cond;
struct cond_value;
struct rules_index;

/* Fields one list is keyed on at most. */
#define RULES_INDEX_KEYS	8

/*
 * Index the n conditions of one list (NULL is a rule that always holds).
 * Returns NULL for a list too short to gain from it: the cursor then
 * walks every rule.  The index points into the conditions' values, so it
 * must be freed before them.
 */
struct rules_index	*rules_index_new(const struct cond *const *when,
			    size_t n);
void			 rules_index_free(struct rules_index *);

/* A walk over the candidates for one request; lives on the stack. */
struct rules_cursor {
	const uint32_t	*at[RULES_INDEX_KEYS + 1];
	const uint32_t	*end[RULES_INDEX_KEYS + 1];
	int		 nlists;
	int		 indexed;
	size_t		 next, n;	/* unindexed: every rule in turn */
};

void	rules_index_start(const struct rules_index *, size_t n,
	    const struct cond_value *slots, struct rules_cursor *);
/* The next rule that may match, in list order; -1 when none is left. */
long	rules_index_next(struct rules_cursor *);

#endif
