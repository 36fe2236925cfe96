/*
 * request.h - one gateway request, validated (pure).
 *
 * request_validate() checks a stream entry's fields against the contract
 * (§1.1) and either fills a struct request that points into those fields, or
 * writes the reason for rejection as a sentence for the dead-letter stream.
 */
#ifndef TRIAGED_REQUEST_H
#define TRIAGED_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "field.h"

struct config_intake;

#define REQUEST_ID_MAX		128
#define REQUEST_MAX_FIELDS	1000
#define REQUEST_ERROR_MAX	256

/* Why a request was rejected; the metric label of each is request_reason_name(). */
enum request_reason {
	REQUEST_OK,
	REQUEST_MISSING_FIELD,
	REQUEST_BAD_CHANNEL,
	REQUEST_BAD_ID,
	REQUEST_FIELD_TOO_LONG,
	REQUEST_DUPLICATE_FIELD,
	REQUEST_BAD_UTF8,
	REQUEST_BAD_RECEIVED_AT,
	REQUEST_TOO_MANY_DELIVERIES,
	REQUEST_MALFORMED,		/* not field/value pairs at all */
	REQUEST_RESERVED_FIELD,		/* a name the ticket's state uses */
	REQUEST_NREASONS
};

struct request {
	const struct field	*fields;
	size_t			 nfields;
	const char		*id;		/* the ticket ID */
	size_t			 id_len;
	const char		*customer_id;
	size_t			 customer_id_len;
	int64_t			 created_at;	/* SLA clock start, ms */
};

/*
 * Validate fields of the stream entry entry_id (whose ms part is the
 * fallback clock start).  now_ms bounds a plausible received_at.  Returns
 * REQUEST_OK, or a reason with a sentence in err.
 */
enum request_reason	 request_validate(const struct config_intake *,
			    const char *entry_id, const struct field *,
			    size_t nfields, int64_t now_ms, struct request *,
			    char *err, size_t errlen);
const char		*request_reason_name(enum request_reason);

/*
 * Expand a customers.key template ("crm:customer:{customer_id}") with the
 * request's fields into out; a {name} the request lacks expands to nothing.
 * -1 if the result does not fit outlen.
 */
int			 request_customer_key(const char *tmpl,
			    const struct field *, size_t nfields, char *out,
			    size_t outlen);

/* The ms part of a stream entry ID ("1700000000000-3"); -1 if malformed. */
int64_t			 request_entry_ms(const char *entry_id);
/*
 * 1 if a request may not carry this field name: the ticket's own state
 * (classification, status, clocks, what fired) lives in the same hash as
 * the request's fields, so no request may write it.
 */
int			 request_field_reserved(const char *, size_t);
/* 1 if the bytes are a valid ticket ID: 1 to 128 of [A-Za-z0-9._:-]. */
int			 request_id_valid(const char *, size_t);
/* 1 if the bytes are valid UTF-8 (no overlongs, no surrogates). */
int			 request_utf8_valid(const char *s, size_t len);

#endif
