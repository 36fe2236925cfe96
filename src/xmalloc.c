/*
 * xmalloc.c - allocation that cannot fail (see xmalloc.h).
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size)) == NULL)
		fatal("calloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}
