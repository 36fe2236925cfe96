/*
 * fuzz_replay_input.c - the text of `triagectl replay --from` (all three
 * forms), fed line by line as read_file() feeds it from getline().
 *
 * The sink checks the order of its calls (a string or malformed() only
 * inside a record, malformed() at most once, nothing after it) and that a
 * record that is not malformed holds whole pairs when it is complete.  It
 * reads every byte it is given, so a string outside the line is caught by
 * ASan.  Every 50th record it stops the reading, as replay.c does when a
 * batch cannot be classified.  Inputs are capped at 64 KiB.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replay_input.h"

#define FUZZ_MAX_INPUT	(64 * 1024)
#define FUZZ_STOP_EVERY	50

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct tally {
	int		 in_record, malformed;
	size_t		 nstrings;
	unsigned long	 nrecords;
	unsigned int	 sum;
};

static void
touch(struct tally *t, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		t->sum += (unsigned char)s[i];
}

/* The record so far is complete. */
static void
record_done(const struct tally *t)
{
	if (t->in_record && !t->malformed && t->nstrings % 2 != 0)
		abort();
}

static int
sink_begin(void *arg, const char *id, size_t len)
{
	struct tally	*t = arg;

	record_done(t);
	touch(t, id, len);
	if (++t->nrecords % FUZZ_STOP_EVERY == 0)
		return -1;
	t->in_record = 1;
	t->malformed = 0;
	t->nstrings = 0;
	return 0;
}

static void
sink_string(void *arg, const char *s, size_t len)
{
	struct tally	*t = arg;

	if (!t->in_record || t->malformed)
		abort();
	touch(t, s, len);
	t->nstrings++;
}

static void
sink_malformed(void *arg)
{
	struct tally	*t = arg;

	if (!t->in_record || t->malformed)
		abort();
	t->malformed = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally		 t = { 0 };
	struct replay_input_sink sink = { sink_begin, sink_string,
				    sink_malformed, &t };
	struct replay_input	*in;
	const char		*p = (const char *)data, *end = p + size, *nl;
	char			*line, err[128];
	unsigned long		 nlines = 0, before;
	size_t			 len;
	int			 rv = 0;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	in = replay_input_new(&sink);
	while (p < end) {
		/* As getline() gives it: with its newline, NUL-terminated. */
		nl = memchr(p, '\n', end - p);
		len = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if ((line = malloc(len + 1)) == NULL)
			abort();
		memcpy(line, p, len);
		line[len] = '\0';
		p += len;
		nlines++;
		before = t.nrecords;
		rv = replay_input_line(in, line, len, err, sizeof err);
		free(line);
		if (replay_input_lineno(in) != nlines)
			abort();
		if (rv == -1) {
			/* The text is at fault, or the sink stopped it. */
			if ((err[0] == '\0') != (t.nrecords > before &&
			    t.nrecords % FUZZ_STOP_EVERY == 0))
				abort();
			break;
		}
		if (t.nrecords > before && t.nrecords % FUZZ_STOP_EVERY == 0)
			abort();	/* a stop that was not passed on */
	}
	if (rv == 0) {
		replay_input_end(in);
		record_done(&t);
	}
	replay_input_free(in);
	return 0;
}
