/*
 * test_cluster.c - hash slots against CLUSTER KEYSLOT of redis-server 7.0,
 * hash tags by Redis's rule, and the redirect errors a cluster sends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cluster.h"

/* Each pair as a real cluster node answered CLUSTER KEYSLOT for it. */
static const struct {
	const char	*key;
	int		 slot;
} known[] = {
	{ "triage:{eu1}:", 8517 },
	{ "triage:{s1}:", 15224 },
	{ "triage:{s2}:", 2843 },
	{ "foo", 12182 },
	{ "bar", 5061 },
	{ "{user1000}.following", 3443 },
	{ "foo{}{bar}", 8363 },		/* an empty first tag: the whole key */
	{ "foo{{bar}}zap", 4015 },	/* the tag is "{bar" */
	{ "foo{bar}{zap}", 5061 },	/* the first tag only: "bar" */
	{ "123456789", 12739 },
	{ "triage:", 10368 },
	{ "", 0 },
};

static void
test_keyslot_known(void **state)
{
	for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
		int	got = cluster_keyslot(known[i].key,
			    strlen(known[i].key));

		if (got != known[i].slot)
			fail_msg("slot of '%s': %d, expected %d", known[i].key,
			    got, known[i].slot);
	}
}

/* Every key of a tagged prefix is in the prefix's slot. */
static void
test_keyslot_prefix(void **state)
{
	const char	*keys[] = { "triage:{eu1}:requests",
	    "triage:{eu1}:ticket:T-1", "triage:{eu1}:queue:billing",
	    "triage:{eu1}:sla" };

	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		assert_int_equal(cluster_keyslot(keys[i], strlen(keys[i])),
		    8517);
}

static void
test_hashtag(void **state)
{
	size_t		 len = 0;
	const char	*t;

	t = cluster_hashtag("triage:{eu1}:", 13, &len);
	assert_non_null(t);
	assert_int_equal(len, 3);
	assert_memory_equal(t, "eu1", 3);
	assert_null(cluster_hashtag("triage:", 7, &len));
	assert_null(cluster_hashtag("triage:{}:", 10, &len));
	assert_null(cluster_hashtag("triage:{eu1", 11, &len));
	assert_null(cluster_hashtag("triage:}eu1{", 12, &len));
	/* Only keylen bytes count. */
	assert_null(cluster_hashtag("triage:{eu1}:", 11, &len));
}

static void
test_redirect_moved(void **state)
{
	const char	*e = "MOVED 3999 127.0.0.1:6381";
	char		 host[CLUSTER_HOST_MAX];
	int		 slot = -1, port = 0;

	assert_int_equal(cluster_redirect(e, strlen(e), &slot, host,
	    sizeof host, &port), CLUSTER_MOVED);
	assert_int_equal(slot, 3999);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 6381);

	e = "ASK 15224 ::1:7002";
	assert_int_equal(cluster_redirect(e, strlen(e), &slot, host,
	    sizeof host, &port), CLUSTER_ASK);
	assert_int_equal(slot, 15224);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 7002);

	/* A node that does not know its own address leaves the host out. */
	e = "MOVED 12 :7003";
	assert_int_equal(cluster_redirect(e, strlen(e), &slot, host,
	    sizeof host, &port), CLUSTER_MOVED);
	assert_string_equal(host, "");
	assert_int_equal(port, 7003);
}

static void
test_redirect_other(void **state)
{
	static const struct {
		const char		*err;
		enum cluster_redirect	 want;
	} cases[] = {
		{ "TRYAGAIN Multiple keys request during rehashing of slot",
		    CLUSTER_TRYAGAIN },
		{ "CLUSTERDOWN The cluster is down", CLUSTER_DOWN },
		{ "ERR Script attempted to access a non local key in a "
		    "cluster node script: 0b5db2, on @user_script:1.",
		    CLUSTER_TRYAGAIN },
		{ "ERR Script attempted to access keys that do not hash to "
		    "the same slot", CLUSTER_NONE },
		{ "CLUSTERDOWN Hash slot not served", CLUSTER_DOWN },
		{ "NOSCRIPT No matching script", CLUSTER_NONE },
		{ "ERR unknown command", CLUSTER_NONE },
		{ "MOVEDX 1 a:1", CLUSTER_NONE },
		{ "ASKING", CLUSTER_NONE },
		/* Malformed redirects: not run, read the map again. */
		{ "MOVED", CLUSTER_DOWN },
		{ "MOVED 99999 127.0.0.1:1", CLUSTER_DOWN },
		{ "MOVED 1 127.0.0.1", CLUSTER_DOWN },
		{ "MOVED 1 127.0.0.1:0", CLUSTER_DOWN },
		{ "MOVED 1 127.0.0.1:70000", CLUSTER_DOWN },
		{ "ASK x1 127.0.0.1:7000", CLUSTER_DOWN },
	};
	char	host[CLUSTER_HOST_MAX];
	int	slot, port;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		enum cluster_redirect	got = cluster_redirect(cases[i].err,
					    strlen(cases[i].err), &slot, host,
					    sizeof host, &port);

		if (got != cases[i].want)
			fail_msg("'%s': %s, expected %s", cases[i].err,
			    cluster_redirect_name(got),
			    cluster_redirect_name(cases[i].want));
	}
}

static void
test_parse_node(void **state)
{
	char	host[CLUSTER_HOST_MAX], tiny[4];
	int	port;

	assert_int_equal(cluster_parse_node("10.0.0.1:7000", 13, host,
	    sizeof host, &port), 0);
	assert_string_equal(host, "10.0.0.1");
	assert_int_equal(port, 7000);
	assert_int_equal(cluster_parse_node("[::1]:7001", 10, host,
	    sizeof host, &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 7001);
	assert_int_equal(cluster_parse_node("redis-a:6379", 12, host,
	    sizeof host, &port), 0);
	assert_string_equal(host, "redis-a");
	assert_int_equal(cluster_parse_node("10.0.0.1", 8, host, sizeof host,
	    &port), -1);
	assert_int_equal(cluster_parse_node("10.0.0.1:", 9, host, sizeof host,
	    &port), -1);
	assert_int_equal(cluster_parse_node("10.0.0.1:7a", 11, host,
	    sizeof host, &port), -1);
	assert_int_equal(cluster_parse_node("10.0.0.1:7000", 13, tiny,
	    sizeof tiny, &port), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyslot_known),
		cmocka_unit_test(test_keyslot_prefix),
		cmocka_unit_test(test_hashtag),
		cmocka_unit_test(test_redirect_moved),
		cmocka_unit_test(test_redirect_other),
		cmocka_unit_test(test_parse_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
