/*
 * xmalloc.c - allocation that cannot fail (see xmalloc.h).
 */
#include <stdlib.h>
#include <stdint.h>
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

void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		fatalx("xreallocarray: %zu * %zu bytes", n, size);
	if ((p = realloc(ptr, n * size == 0 ? 1 : n * size)) == NULL)
		fatal("realloc");
	return p;
}
