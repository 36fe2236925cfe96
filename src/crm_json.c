/*
 * crm_json.c - a flat JSON object of strings and numbers as fields, with
 * jansson.  Anything nested, a boolean or a null is refused rather than
 * flattened or guessed at: a CRM field is one value, and a rule compares
 * it as text or as a number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crm_json.h"

struct crm_json {
	json_t		*root;
	struct field	*fields;
	size_t		 n;
	char		*numbers;	/* numbers' text, 32 bytes each */
};

static const char *
kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:	return "an object";
	case JSON_ARRAY:	return "an array";
	case JSON_TRUE:
	case JSON_FALSE:	return "a boolean";
	case JSON_NULL:		return "null";
	default:		return "a value";
	}
}

void
crm_json_free(struct crm_json *cj)
{
	if (cj == NULL)
		return;
	json_decref(cj->root);
	free(cj->fields);
	free(cj->numbers);
	free(cj);
}

struct crm_json *
crm_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct crm_json	*cj;
	json_error_t	 je;
	const char	*name;
	json_t		*v;
	size_t		 i = 0, n;

	if ((cj = calloc(1, sizeof *cj)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Any top-level value, so that "[1]" is told what it is. */
	if ((cj->root = json_loadb(text, len, JSON_DECODE_ANY |
	    JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "not JSON: %s at column %d", je.text,
		    je.column);
		goto fail;
	}
	if (!json_is_object(cj->root)) {
		snprintf(err, errlen, "expected a JSON object of fields, found "
		    "%s", kind(cj->root));
		goto fail;
	}
	if ((n = json_object_size(cj->root)) == 0) {
		snprintf(err, errlen, "the object has no field");
		goto fail;
	}
	if ((cj->fields = calloc(n, sizeof *cj->fields)) == NULL ||
	    (cj->numbers = calloc(n, 32)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	json_object_foreach(cj->root, name, v) {
		struct field	*f = &cj->fields[i];
		char		*num = cj->numbers + 32 * i;

		f->name = name;
		f->name_len = strlen(name);
		if (f->name_len == 0) {
			snprintf(err, errlen, "a field has an empty name");
			goto fail;
		}
		if (json_is_string(v)) {
			f->value = json_string_value(v);
			f->value_len = json_string_length(v);
		} else if (json_is_integer(v)) {
			f->value = num;
			f->value_len = (size_t)snprintf(num, 32, "%" JSON_INTEGER_FORMAT,
			    json_integer_value(v));
		} else if (json_is_real(v)) {
			f->value = num;
			f->value_len = (size_t)snprintf(num, 32, "%.15g",
			    json_real_value(v));
		} else {
			snprintf(err, errlen, "field '%.64s' is %s (expected a "
			    "string or a number)", name, kind(v));
			goto fail;
		}
		i++;
	}
	cj->n = i;
	return cj;
fail:
	crm_json_free(cj);
	return NULL;
}

const struct field *
crm_json_fields(const struct crm_json *cj, size_t *n)
{
	*n = cj->n;
	return cj->fields;
}
