/*
 * test_metrics.c - what /metrics shows of a stream's lag: the value Redis
 * gave, and no series at all while Redis cannot tell (never a stale one).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>

#include "metrics.h"

/* The whole exposition, NUL-terminated; the caller frees it. */
static char *
render(void)
{
	struct evbuffer	*buf = evbuffer_new();
	size_t		 len;
	char		*text;

	assert_non_null(buf);
	metrics_render(buf);
	len = evbuffer_get_length(buf);
	text = malloc(len + 1);
	assert_non_null(text);
	assert_int_equal(evbuffer_remove(buf, text, len), (int)len);
	text[len] = '\0';
	evbuffer_free(buf);
	return text;
}

static void
expect(const char *needle, int present)
{
	char	*text = render();

	if ((strstr(text, needle) != NULL) != present)
		fail_msg("%s %s in:\n%s", needle, present ? "missing" :
		    "present", text);
	free(text);
}

static void
test_stream_lag(void **state)
{
	(void)state;
	metrics_set_stream("requests", 7, 2);
	metrics_set_stream("events", 0, 0);
	expect("\ntriaged_stream_lag{stream=\"requests\"} 7\n", 1);
	expect("\ntriaged_stream_pending{stream=\"requests\"} 2\n", 1);

	/* Unknown: the lag goes, the pending count and the other stream stay. */
	metrics_set_stream("requests", -1, 3);
	expect("triaged_stream_lag{stream=\"requests\"}", 0);
	expect("\ntriaged_stream_pending{stream=\"requests\"} 3\n", 1);
	expect("\ntriaged_stream_lag{stream=\"events\"} 0\n", 1);

	/* Known again: back. */
	metrics_set_stream("requests", 4, 0);
	expect("\ntriaged_stream_lag{stream=\"requests\"} 4\n", 1);
	metrics_free();
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_stream_lag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
