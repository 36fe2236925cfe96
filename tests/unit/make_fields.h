/*
 * make_fields.h - fields for a unit test, written as "name", "value", ...
 * NULL: make(f, "customer_id", "C1", "channel", "web", NULL).  Returns how
 * many pairs it filled in; the strings are borrowed.
 */
#ifndef TRIAGED_MAKE_FIELDS_H
#define TRIAGED_MAKE_FIELDS_H

#include <stdarg.h>
#include <string.h>

#include "field.h"

static size_t
make(struct field *f, ...)
{
	va_list		 ap;
	size_t		 n = 0;
	const char	*name;

	va_start(ap, f);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);

		f[n].name = name;
		f[n].name_len = strlen(name);
		f[n].value = value;
		f[n].value_len = strlen(value);
		n++;
	}
	va_end(ap);
	return n;
}

#endif
