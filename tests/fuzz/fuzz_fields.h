/*
 * fuzz_fields.h - a fuzz input as name/value pairs: NUL-separated
 * "name\0value\0name\0value\0...", at most max pairs; a trailing partial
 * pair is ignored.  Shared by the targets that take stream entries.
 */
#ifndef TRIAGED_FUZZ_FIELDS_H
#define TRIAGED_FUZZ_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "field.h"

static size_t
fuzz_fields(const uint8_t *data, size_t size, struct field *f, size_t max)
{
	const char	*p = (const char *)data, *end = p + size;
	size_t		 n = 0;

	while (p < end && n < max) {
		const char *z = memchr(p, '\0', end - p);
		const char *v, *vz;

		if (z == NULL)
			break;
		v = z + 1;
		vz = v < end ? memchr(v, '\0', end - v) : NULL;
		if (vz == NULL)
			break;
		f[n].name = p;
		f[n].name_len = z - p;
		f[n].value = v;
		f[n].value_len = vz - v;
		n++;
		p = vz + 1;
	}
	return n;
}

#endif
