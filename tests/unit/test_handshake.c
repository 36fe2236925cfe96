/*
 * test_handshake.c - the commands that open a Redis session: AUTH with or
 * without the ACL user when the password variable is set, SELECT when the
 * database is not 0, nothing otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "handshake.h"

static void
test_nothing_to_send(void **state)
{
	struct config_redis	rc = { .password_env = "TEST_HS_UNSET" };
	struct handshake_cmd	c[2];

	unsetenv("TEST_HS_UNSET");
	assert_int_equal(handshake_commands(&rc, c), 0);
	setenv("TEST_HS_UNSET", "", 1);		/* empty: no AUTH either */
	assert_int_equal(handshake_commands(&rc, c), 0);
}

static void
test_auth_and_select(void **state)
{
	struct config_redis	rc = { .password_env = "TEST_HS_PW",
				    .username = "triaged", .db = 3 };
	struct handshake_cmd	c[2];

	setenv("TEST_HS_PW", "s3cr3t", 1);
	assert_int_equal(handshake_commands(&rc, c), 2);
	assert_string_equal(c[0].name, "AUTH");
	assert_int_equal(c[0].argc, 3);
	assert_string_equal(c[0].argv[1], "triaged");
	assert_string_equal(c[0].argv[2], "s3cr3t");
	assert_int_equal(c[0].argvlen[2], 6);
	assert_string_equal(c[1].name, "SELECT");
	assert_int_equal(c[1].argc, 2);
	assert_string_equal(c[1].argv[1], "3");

	rc.username = NULL;
	rc.db = 0;
	assert_int_equal(handshake_commands(&rc, c), 1);
	assert_int_equal(c[0].argc, 2);
	assert_string_equal(c[0].argv[1], "s3cr3t");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_nothing_to_send),
		cmocka_unit_test(test_auth_and_select),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
