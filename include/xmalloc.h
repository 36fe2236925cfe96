/*
 * xmalloc.h - allocation that cannot fail: out of memory is fatal.
 *
 * For the rules loader and compiler, where an allocation failure half-way
 * through a file has no sensible recovery (the tmux and OpenBSD idiom).
 * The hot path does not allocate and does not use these.
 */
#ifndef TRIAGED_XMALLOC_H
#define TRIAGED_XMALLOC_H

#include <stddef.h>

void	*xcalloc(size_t n, size_t size);	/* n == 0 gives one element */
char	*xstrdup(const char *);
void	*xreallocarray(void *, size_t n, size_t size);

#endif
