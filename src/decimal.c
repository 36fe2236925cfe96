/*
 * decimal.c - integers as decimal text (see decimal.h).
 */
#include <string.h>

#include "decimal.h"

/* "00" "01" ... "99": two digits per division. */
static const char	pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

size_t
decimal_digits(uint64_t u)
{
	size_t	n = 1;

	while (u >= 10000) {
		u /= 10000;
		n += 4;
	}
	return n + (u >= 10) + (u >= 100) + (u >= 1000);
}

size_t
decimal_format(int64_t v, char *buf)
{
	uint64_t	 u;
	size_t		 len, i;
	char		*p = buf;

	/* The negation is done unsigned, so INT64_MIN is fine. */
	u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	if (v < 0)
		*p++ = '-';
	len = decimal_digits(u);
	p[len] = '\0';
	for (i = len; u >= 100; u /= 100) {
		i -= 2;
		memcpy(p + i, &pairs[(u % 100) * 2], 2);
	}
	if (u >= 10)
		memcpy(p, &pairs[u * 2], 2);
	else
		p[0] = (char)('0' + u);
	return (size_t)(p - buf) + len;
}
