/*
 * request.c - validation of gateway requests against the contract (§1.1).
 *
 * Every rejection produces a sentence an operator can act on, naming the
 * field and what was expected: it is what the dead-letter entry's `error`
 * field carries.  Nothing here allocates; struct request points into the
 * caller's fields.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "request.h"

/* 2000-01-01T00:00:00Z: older received_at values are typos, not history. */
#define RECEIVED_AT_MIN		946684800000LL
/* Gateways' clocks may run ahead a little; a day ahead is a unit mistake. */
#define RECEIVED_AT_SLACK	(24LL * 3600 * 1000)

static const char *reason_names[REQUEST_NREASONS] = {
	[REQUEST_OK] = "ok",
	[REQUEST_MISSING_FIELD] = "missing_field",
	[REQUEST_BAD_CHANNEL] = "bad_channel",
	[REQUEST_BAD_ID] = "bad_id",
	[REQUEST_FIELD_TOO_LONG] = "field_too_long",
	[REQUEST_DUPLICATE_FIELD] = "duplicate_field",
	[REQUEST_BAD_UTF8] = "bad_utf8",
	[REQUEST_BAD_RECEIVED_AT] = "bad_received_at",
	[REQUEST_TOO_MANY_DELIVERIES] = "too_many_deliveries",
	[REQUEST_MALFORMED] = "malformed",
	[REQUEST_RESERVED_FIELD] = "reserved_field",
};

const char *
request_reason_name(enum request_reason r)
{
	if (r < 0 || r >= REQUEST_NREASONS)
		return "unknown";
	return reason_names[r];
}

int64_t
request_entry_ms(const char *entry_id)
{
	int64_t	 ms = 0;
	int	 digits = 0;

	for (; *entry_id >= '0' && *entry_id <= '9'; entry_id++) {
		if (++digits > 18)
			return -1;
		ms = ms * 10 + (*entry_id - '0');
	}
	if (digits == 0 || (*entry_id != '-' && *entry_id != '\0'))
		return -1;
	return ms;
}

int
request_utf8_valid(const char *str, size_t len)
{
	const unsigned char	*s = (const unsigned char *)str;
	const unsigned char	*end = s + len;

	while (s < end) {
		unsigned char	 c = *s;
		size_t		 n;
		uint32_t	 cp;
		uint64_t	 w;

		/* Most text is ASCII: eight bytes at a time while it is. */
		if (end - s >= 8) {
			memcpy(&w, s, sizeof w);
			if ((w & 0x8080808080808080ull) == 0) {
				s += 8;
				continue;
			}
		}
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if ((size_t)(end - s) <= n)
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		s += n + 1;
	}
	return 1;
}

static int
field_is(const struct field *f, const char *name)
{
	size_t	len = strlen(name);

	return f->name_len == len && memcmp(f->name, name, len) == 0;
}

int
request_id_valid(const char *id, size_t len)
{
	if (len == 0 || len > REQUEST_ID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char	c = id[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == ':' || c == '-'))
			return 0;
	}
	return 1;
}

/* received_at: decimal digits only, in [2000, now + a day]. */
static int
received_at_parse(const char *s, size_t len, int64_t now_ms, int64_t *out)
{
	int64_t	v = 0;

	if (len == 0 || len > 15)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < RECEIVED_AT_MIN || v > now_ms + RECEIVED_AT_SLACK)
		return -1;
	*out = v;
	return 0;
}

/*
 * The names the ticket's state uses (contract §1.2, docs/sla.md), besides
 * `tier`, which a gateway may send (tiers.trust_request).  Written here
 * once; README "Reserved field names" lists them for gateway authors.
 */
#define NAME(s)	{ s, sizeof(s) - 1 }
static const struct reserved {
	const char	*s;
	size_t		 len;
} reserved_names[] = {
	NAME("ticket_id"), NAME("source_id"), NAME("urgency"), NAME("score"),
	NAME("team"), NAME("route"), NAME("policy"), NAME("status"),
	NAME("status_before"), NAME("created_at"), NAME("routed_at"),
	NAME("rules_version"), NAME("paused_at"), NAME("resolved_at"),
	NAME("raised"), NAME("reassigned"), NAME("rev"),
}, reserved_prefixes[] = {
	NAME("first_response_"), NAME("resolution_"), NAME("fired:"),
};
#undef NAME

/* Every field of every request comes here: lengths first, no strlen(). */
int
request_field_reserved(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof reserved_names / sizeof *reserved_names;
	    i++)
		if (reserved_names[i].len == len &&
		    memcmp(reserved_names[i].s, name, len) == 0)
			return 1;
	for (size_t i = 0; i < sizeof reserved_prefixes /
	    sizeof *reserved_prefixes; i++) {
		const struct reserved	*p = &reserved_prefixes[i];

		if (len >= p->len && memcmp(p->s, name, p->len) == 0)
			return 1;
	}
	return 0;
}

static int
channel_configured(const struct config_intake *in, const char *s, size_t len)
{
	for (size_t i = 0; i < in->nchannels; i++)
		if (strlen(in->channels[i]) == len &&
		    memcmp(in->channels[i], s, len) == 0)
			return 1;
	return 0;
}

enum request_reason
request_validate(const struct config_intake *in, const char *entry_id,
    const struct field *fields, size_t nfields, int64_t now_ms,
    struct request *req, char *err, size_t errlen)
{
	const struct field	*channel = NULL, *received = NULL;
	int64_t			 t;

	memset(req, 0, sizeof *req);
	req->fields = fields;
	req->nfields = nfields;
	/* Beyond this a ticket's fields no longer fit one script call. */
	if (nfields > REQUEST_MAX_FIELDS) {
		snprintf(err, errlen, "the request has %zu fields; at most %d "
		    "are accepted", nfields, REQUEST_MAX_FIELDS);
		return REQUEST_MALFORMED;
	}

	for (size_t i = 0; i < nfields; i++) {
		const struct field	*f = &fields[i];

		if (f->name_len == 0) {
			snprintf(err, errlen, "field %zu has an empty name",
			    i + 1);
			return REQUEST_MALFORMED;
		}
		if (f->name_len > in->max_field_bytes ||
		    f->value_len > in->max_field_bytes) {
			snprintf(err, errlen, "field '%.*s' is %zu bytes long; "
			    "the limit (intake.max_field_bytes) is %zu",
			    (int)(f->name_len > 64 ? 64 : f->name_len), f->name,
			    f->value_len > f->name_len ? f->value_len :
			    f->name_len, in->max_field_bytes);
			return REQUEST_FIELD_TOO_LONG;
		}
		if (!request_utf8_valid(f->name, f->name_len)) {
			snprintf(err, errlen, "field %zu: its name is not "
			    "valid UTF-8", i + 1);
			return REQUEST_BAD_UTF8;
		}
		if (!request_utf8_valid(f->value, f->value_len)) {
			snprintf(err, errlen, "field '%.*s' is not valid UTF-8",
			    (int)(f->name_len > 64 ? 64 : f->name_len), f->name);
			return REQUEST_BAD_UTF8;
		}
		/* Requests carry a dozen fields: a quadratic check is cheapest. */
		for (size_t j = 0; j < i; j++) {
			if (fields[j].name_len == f->name_len &&
			    memcmp(fields[j].name, f->name, f->name_len) == 0) {
				snprintf(err, errlen, "field '%.*s' appears more "
				    "than once", (int)(f->name_len > 64 ? 64 :
				    f->name_len), f->name);
				return REQUEST_DUPLICATE_FIELD;
			}
		}
		if (request_field_reserved(f->name, f->name_len)) {
			snprintf(err, errlen, "field '%.*s' is reserved for the "
			    "ticket's own state; a request may not carry it "
			    "(rename it at the gateway)", (int)(f->name_len > 64 ?
			    64 : f->name_len), f->name);
			return REQUEST_RESERVED_FIELD;
		}
		if (field_is(f, "customer_id")) {
			req->customer_id = f->value;
			req->customer_id_len = f->value_len;
		} else if (field_is(f, "channel"))
			channel = f;
		else if (field_is(f, "id")) {
			req->id = f->value;
			req->id_len = f->value_len;
		} else if (field_is(f, "received_at"))
			received = f;
	}

	if (req->customer_id == NULL || req->customer_id_len == 0) {
		snprintf(err, errlen, "required field 'customer_id' is %s",
		    req->customer_id == NULL ? "missing" : "empty");
		return REQUEST_MISSING_FIELD;
	}
	if (channel == NULL || channel->value_len == 0) {
		snprintf(err, errlen, "required field 'channel' is %s",
		    channel == NULL ? "missing" : "empty");
		return REQUEST_MISSING_FIELD;
	}
	if (!channel_configured(in, channel->value, channel->value_len)) {
		snprintf(err, errlen, "channel '%.*s' is not configured "
		    "(intake.channels)", (int)(channel->value_len > 64 ? 64 :
		    channel->value_len), channel->value);
		return REQUEST_BAD_CHANNEL;
	}
	if (req->id != NULL && !request_id_valid(req->id, req->id_len)) {
		snprintf(err, errlen, "field 'id' must be 1 to %d bytes of "
		    "A-Z a-z 0-9 . _ : -", REQUEST_ID_MAX);
		return REQUEST_BAD_ID;
	}
	if (req->id == NULL) {
		req->id = entry_id;
		req->id_len = strlen(entry_id);
	}

	if (received != NULL) {
		if (received_at_parse(received->value, received->value_len,
		    now_ms, &t) == -1) {
			snprintf(err, errlen, "field 'received_at' must be "
			    "milliseconds since the Unix epoch, between the "
			    "year 2000 and a day from now; got '%.*s'",
			    (int)(received->value_len > 32 ? 32 :
			    received->value_len), received->value);
			return REQUEST_BAD_RECEIVED_AT;
		}
		req->created_at = t;
	} else
		req->created_at = request_entry_ms(entry_id);
	return REQUEST_OK;
}

int
request_customer_key(const char *tmpl, const struct field *fields,
    size_t nfields, char *out, size_t outlen)
{
	size_t	o = 0;

	for (const char *p = tmpl; *p != '\0'; p++) {
		const struct field	*f = NULL;
		const char		*close;
		size_t			 nlen;

		if (*p != '{' || (close = strchr(p, '}')) == NULL) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = *p;
			continue;
		}
		nlen = close - p - 1;
		for (size_t i = 0; i < nfields && f == NULL; i++)
			if (fields[i].name_len == nlen &&
			    memcmp(fields[i].name, p + 1, nlen) == 0)
				f = &fields[i];
		if (f != NULL) {
			if (o + f->value_len >= outlen)
				return -1;
			memcpy(out + o, f->value, f->value_len);
			o += f->value_len;
		}
		p = close;
	}
	out[o] = '\0';
	return 0;
}
