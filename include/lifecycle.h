/*
 * lifecycle.h - one lifecycle event from an agent desktop, validated (pure).
 *
 * lifecycle_parse() checks an entry of the events stream (contract §1.4)
 * and either fills a struct lifecycle_event that points into the caller's
 * fields, or writes the reason for rejection as a sentence for the
 * dead-letter stream.  The daemon (events.c) and triagectl use it, so both
 * refuse the same events.
 */
#ifndef TRIAGED_LIFECYCLE_H
#define TRIAGED_LIFECYCLE_H

#include <stddef.h>

#include "field.h"

struct rules;

enum lifecycle_kind {
	LIFECYCLE_RESPONDED,
	LIFECYCLE_PENDING,
	LIFECYCLE_RESUMED,
	LIFECYCLE_RESOLVED,
	LIFECYCLE_REOPENED,
	LIFECYCLE_REASSIGNED,
	LIFECYCLE_NKINDS
};

/* The longest team name an event may carry. */
#define LIFECYCLE_TEAM_MAX	255

struct lifecycle_event {
	const char		*ticket;	/* a valid ticket ID */
	size_t			 ticket_len;
	enum lifecycle_kind	 kind;
	const char		*team;		/* reassigned only, else NULL */
	size_t			 team_len;
};

/*
 * 0 and *out filled; or -1, a sentence in err and the metric label of the
 * reason in *reason.  With rules NULL the team of a `reassigned` event is
 * not checked against the rules' teams.
 */
int		 lifecycle_parse(const struct field *, size_t nfields,
		    const struct rules *, struct lifecycle_event *out,
		    const char **reason, char *err, size_t errlen);
const char	*lifecycle_kind_name(enum lifecycle_kind);

#endif
