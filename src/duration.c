/*
 * duration.c - durations as the rules file and triagectl write them (pure).
 *
 * A duration is one or more whole numbers, each followed by its unit (ms,
 * s, m, h, d), summed: "1h30m", "90m" and "5400s" are the same.  Parsing
 * refuses anything else, and a total that would not fit in 64 bits of
 * milliseconds; formatting writes the largest units first.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>

#include "duration.h"

int64_t
duration_parse(const char *s)
{
	int64_t	total = 0, n, unit;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -1;
		n = 0;
		while (isdigit((unsigned char)*s)) {
			if (n > (INT64_MAX - 9) / 10)
				return -1;
			n = n * 10 + (*s++ - '0');
		}
		if (s[0] == 'm' && s[1] == 's') {
			unit = 1;
			s += 2;
		} else {
			switch (*s) {
			case 's':
				unit = 1000;
				break;
			case 'm':
				unit = 60 * 1000;
				break;
			case 'h':
				unit = 3600 * 1000;
				break;
			case 'd':
				unit = 86400 * 1000;
				break;
			default:
				return -1;
			}
			s++;
		}
		if (n > (INT64_MAX - total) / unit)
			return -1;
		total += n * unit;
	}
	return total;
}

const char *
duration_format(int64_t ms, char *buf, size_t size)
{
	static const struct {
		int64_t		 ms;
		const char	*unit;
	} units[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" },
		{ 1000, "s" }, { 1, "ms" }
	};
	size_t	i, len = 0;

	if (ms == 0) {
		snprintf(buf, size, "0s");
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; i < sizeof units / sizeof units[0] && len < size; i++) {
		if (ms >= units[i].ms) {
			len += snprintf(buf + len, size - len, "%" PRId64 "%s",
			    ms / units[i].ms, units[i].unit);
			ms %= units[i].ms;
		}
	}
	return buf;
}
