/*
 * field.h - a name/value pair borrowed from somewhere else.
 *
 * Requests arrive as flat field/value pairs inside a hiredis reply; the hot
 * path points into that reply instead of copying.  Neither string is
 * NUL-terminated: always use the lengths.
 */
#ifndef TRIAGED_FIELD_H
#define TRIAGED_FIELD_H

#include <stddef.h>

struct field {
	const char	*name;
	size_t		 name_len;
	const char	*value;
	size_t		 value_len;
};

#endif
