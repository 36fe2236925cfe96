/*
 * lifecycle.c - validation of lifecycle events (contract §1.4).
 *
 * Every rejection is a sentence an operator can act on: it is what the
 * dead-letter entry's `error` field carries, and what triagectl prints
 * when it refuses to send an event.
 */
#include <stdio.h>
#include <string.h>

#include "lifecycle.h"
#include "request.h"
#include "rules.h"

static const char *kind_names[LIFECYCLE_NKINDS] = {
	[LIFECYCLE_RESPONDED] = "responded",
	[LIFECYCLE_PENDING] = "pending",
	[LIFECYCLE_RESUMED] = "resumed",
	[LIFECYCLE_RESOLVED] = "resolved",
	[LIFECYCLE_REOPENED] = "reopened",
	[LIFECYCLE_REASSIGNED] = "reassigned",
};

const char *
lifecycle_kind_name(enum lifecycle_kind k)
{
	if (k < 0 || k >= LIFECYCLE_NKINDS)
		return "unknown";
	return kind_names[k];
}

static const struct field *
find(const struct field *fields, size_t n, const char *name)
{
	size_t	len = strlen(name);

	for (size_t i = 0; i < n; i++)
		if (fields[i].name_len == len &&
		    memcmp(fields[i].name, name, len) == 0)
			return &fields[i];
	return NULL;
}

/* At most 64 bytes of a value, for a message. */
static int
cut(size_t len)
{
	return (int)(len > 64 ? 64 : len);
}

int
lifecycle_parse(const struct field *fields, size_t nfields,
    const struct rules *rules, struct lifecycle_event *out,
    const char **reason, char *err, size_t errlen)
{
	const struct field	*tk, *ev, *team;
	int			 k;

	memset(out, 0, sizeof *out);
	if (nfields > REQUEST_MAX_FIELDS) {
		*reason = "malformed";
		snprintf(err, errlen, "the event has %zu fields; at most %d "
		    "are accepted", nfields, REQUEST_MAX_FIELDS);
		return -1;
	}
	if ((tk = find(fields, nfields, "ticket")) == NULL ||
	    tk->value_len == 0) {
		*reason = "missing_field";
		snprintf(err, errlen, "the required field 'ticket' is %s",
		    tk == NULL ? "missing" : "empty");
		return -1;
	}
	if (!request_id_valid(tk->value, tk->value_len)) {
		*reason = "bad_id";
		snprintf(err, errlen, "'ticket' is not a ticket ID: at most "
		    "%d bytes of A-Z a-z 0-9 . _ : -", REQUEST_ID_MAX);
		return -1;
	}
	if ((ev = find(fields, nfields, "event")) == NULL ||
	    ev->value_len == 0) {
		*reason = "missing_field";
		snprintf(err, errlen, "the required field 'event' is %s",
		    ev == NULL ? "missing" : "empty");
		return -1;
	}
	for (k = 0; k < LIFECYCLE_NKINDS; k++)
		if (strlen(kind_names[k]) == ev->value_len &&
		    memcmp(kind_names[k], ev->value, ev->value_len) == 0)
			break;
	if (k == LIFECYCLE_NKINDS) {
		*reason = "unknown_event";
		snprintf(err, errlen, "unknown event '%.*s'; expected one of "
		    "responded, pending, resumed, resolved, reopened, "
		    "reassigned", cut(ev->value_len), ev->value);
		return -1;
	}
	out->ticket = tk->value;
	out->ticket_len = tk->value_len;
	out->kind = k;
	if (k != LIFECYCLE_REASSIGNED)
		return 0;
	if ((team = find(fields, nfields, "team")) == NULL ||
	    team->value_len == 0) {
		*reason = "missing_field";
		snprintf(err, errlen, "a 'reassigned' event needs the field "
		    "'team'");
		return -1;
	}
	if (team->value_len > LIFECYCLE_TEAM_MAX || (rules != NULL &&
	    rules_team_find(rules, team->value, team->value_len) == -1)) {
		*reason = "unknown_team";
		snprintf(err, errlen, "unknown team '%.*s'; the teams are "
		    "those of the rules' teams list", cut(team->value_len),
		    team->value);
		return -1;
	}
	out->team = team->value;
	out->team_len = team->value_len;
	return 0;
}
