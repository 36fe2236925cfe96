/*
 * fuzz_event.c - lifecycle event validation on arbitrary field/value pairs.
 * Input: pairs separated by NUL bytes (name\0value\0...), at most 64 KiB.
 *
 * Each event is checked twice, against the sample rules' teams
 * (conf/triage.yaml, loaded once) and with no rules, and what must hold
 * either way is asserted: an accepted event names a valid ticket ID and a
 * known kind, a `reassigned` one a team the rules know; a refused one says
 * why, with a metric label.  The rules only ever narrow what is accepted.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "field.h"
#include "fuzz_fields.h"
#include "lifecycle.h"
#include "request.h"
#include "rules.h"

#define FUZZ_MAX_INPUT	(64 * 1024)
#define FUZZ_MAX_FIELDS	(REQUEST_MAX_FIELDS + 2)	/* one past the cap */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct config	*sample;

/* p lies in one of the fields' values, len bytes with it. */
static int
in_values(const struct field *f, size_t n, const char *p, size_t len)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p >= f[i].value && p + len <= f[i].value + f[i].value_len)
			return 1;
	return 0;
}

/* A metric label: [a-z_]+. */
static int
is_label(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((*s < 'a' || *s > 'z') && *s != '_')
			return 0;
	return 1;
}

/* Check one call's result; 0 if accepted. */
static int
check(const struct field *f, size_t n, const struct rules *rules,
    struct lifecycle_event *ev)
{
	const char	*reason = NULL;
	char		 err[256];
	int		 rv;

	err[0] = '\0';
	rv = lifecycle_parse(f, n, rules, ev, &reason, err, sizeof err);
	if (rv == -1) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL ||
		    !is_label(reason))
			abort();
		return -1;
	}
	if (rv != 0)
		abort();
	if (ev->ticket == NULL || ev->ticket_len == 0 ||
	    ev->ticket_len > REQUEST_ID_MAX ||
	    !request_id_valid(ev->ticket, ev->ticket_len) ||
	    !in_values(f, n, ev->ticket, ev->ticket_len))
		abort();
	if ((unsigned)ev->kind >= LIFECYCLE_NKINDS)
		abort();
	if (ev->kind == LIFECYCLE_REASSIGNED) {
		if (ev->team == NULL || ev->team_len == 0 ||
		    ev->team_len > LIFECYCLE_TEAM_MAX ||
		    !in_values(f, n, ev->team, ev->team_len))
			abort();
		if (rules != NULL &&
		    rules_team_find(rules, ev->team, ev->team_len) == -1)
			abort();
	} else if (ev->team != NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct field	 f[FUZZ_MAX_FIELDS];
	struct lifecycle_event	 with, without;
	char			*diag = NULL;
	size_t			 n;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (sample == NULL &&
	    (sample = config_load(TEST_CONF_DIR "/triage.yaml", 0, &diag)) ==
	    NULL)
		abort();	/* the sample rules must load */
	n = fuzz_fields(data, size, f, FUZZ_MAX_FIELDS);
	if (check(f, n, sample->rules, &with) == 0) {
		/* Whatever the rules accept is accepted without them. */
		if (check(f, n, NULL, &without) != 0 ||
		    with.ticket != without.ticket ||
		    with.ticket_len != without.ticket_len ||
		    with.kind != without.kind || with.team != without.team ||
		    with.team_len != without.team_len)
			abort();
	} else if (check(f, n, NULL, &without) == 0 &&
	    without.kind != LIFECYCLE_REASSIGNED)
		abort();	/* the rules only judge the team */
	return 0;
}
