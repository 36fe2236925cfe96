/*
 * crm_json.h - one customer record as JSON: a flat object of strings and
 * numbers (pure).  A line of a JSON-lines export and the body of a CRM's
 * webhook push are both this.
 */
#ifndef TRIAGED_CRM_JSON_H
#define TRIAGED_CRM_JSON_H

#include <stddef.h>

#include "field.h"

#define CRM_JSON_ERROR_MAX	160

struct crm_json;

/*
 * Parse text; NULL and a sentence in err (what is wrong, and where) if it
 * is not one object whose values are all strings or numbers, or holds no
 * field.  Free with crm_json_free().
 */
struct crm_json		*crm_json_parse(const char *text, size_t len,
			    char *err, size_t errlen);
/* Its fields, numbers as written back ("42", "0.5"); owned by it. */
const struct field	*crm_json_fields(const struct crm_json *, size_t *n);
void			 crm_json_free(struct crm_json *);	/* accepts NULL */

#endif
