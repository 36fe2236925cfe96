/*
 * test_lifecycle.c - lifecycle event validation (contract §1.4): each
 * rejection reason with its metric label and sentence, and what a valid
 * event yields.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "make_fields.h"

#include "config.h"
#include "lifecycle.h"
#include "request.h"

static struct config	*cf;

static int
parse(struct field *f, size_t n, struct lifecycle_event *le,
    const char **reason, char *err)
{
	*reason = NULL;
	err[0] = '\0';
	return lifecycle_parse(f, n, cf->rules, le, reason, err, 256);
}

static void
test_valid(void **state)
{
	struct field		 f[4];
	struct lifecycle_event	 le;
	const char		*reason;
	char			 err[256];
	size_t			 n;

	n = make(f, "ticket", "T-1", "event", "responded", "agent", "a7",
	    NULL);
	assert_int_equal(parse(f, n, &le, &reason, err), 0);
	assert_int_equal(le.kind, LIFECYCLE_RESPONDED);
	assert_int_equal(le.ticket_len, 3);
	assert_memory_equal(le.ticket, "T-1", 3);
	assert_null(le.team);

	n = make(f, "event", "reassigned", "team", "billing", "ticket",
	    "T-2", NULL);
	assert_int_equal(parse(f, n, &le, &reason, err), 0);
	assert_int_equal(le.kind, LIFECYCLE_REASSIGNED);
	assert_int_equal(le.team_len, 7);
	assert_memory_equal(le.team, "billing", 7);
	assert_string_equal(lifecycle_kind_name(le.kind), "reassigned");
}

static void
refused(const char *label, const char *words, struct field *f, size_t n)
{
	struct lifecycle_event	 le;
	const char		*reason;
	char			 err[256];

	assert_int_equal(parse(f, n, &le, &reason, err), -1);
	assert_non_null(reason);
	assert_string_equal(reason, label);
	if (strstr(err, words) == NULL)
		fail_msg("'%s' does not say '%s'", err, words);
}

static void
test_refused(void **state)
{
	struct field	 f[4];
	char		 longid[REQUEST_ID_MAX + 2];

	refused("missing_field", "'ticket' is missing", f,
	    make(f, "event", "responded", NULL));
	refused("missing_field", "'ticket' is empty", f,
	    make(f, "ticket", "", "event", "responded", NULL));
	refused("bad_id", "not a ticket ID", f,
	    make(f, "ticket", "T 1", "event", "responded", NULL));
	memset(longid, 'a', sizeof longid - 1);
	longid[sizeof longid - 1] = '\0';
	refused("bad_id", "not a ticket ID", f,
	    make(f, "ticket", longid, "event", "responded", NULL));
	refused("missing_field", "'event' is missing", f,
	    make(f, "ticket", "T-1", NULL));
	refused("unknown_event", "unknown event 'closed'", f,
	    make(f, "ticket", "T-1", "event", "closed", NULL));
	refused("missing_field", "needs the field 'team'", f,
	    make(f, "ticket", "T-1", "event", "reassigned", NULL));
	refused("unknown_team", "unknown team 'suport'", f,
	    make(f, "ticket", "T-1", "event", "reassigned", "team", "suport",
	    NULL));
}

static void
test_too_many_fields(void **state)
{
	static struct field	 f[REQUEST_MAX_FIELDS + 1];

	make(f, "ticket", "T-1", "event", "responded", NULL);
	for (size_t i = 2; i < REQUEST_MAX_FIELDS + 1; i++)
		f[i] = (struct field){ "x", 1, "y", 1 };
	refused("malformed", "at most 1000", f, REQUEST_MAX_FIELDS + 1);
}

int
main(void)
{
	char			*diag = NULL;
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_too_many_fields),
	};

	if ((cf = config_load(TEST_CONF_DIR "/triage.yaml", 0, &diag)) ==
	    NULL) {
		fprintf(stderr, "%s", diag);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
