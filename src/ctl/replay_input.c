/*
 * replay_input.c - the text given to `triagectl replay --from`, into
 * records of field/value pairs for a sink (replay.c batches them).
 *
 *   first line --> pairs:  [ENTRY-ID] name=value name="quoted value" ...
 *                  raw:    ENTRY-ID \n name \n value \n ... ENTRY-ID ...
 *                  nested: 1) 1) "ENTRY-ID" \n    2) 1) "name" ...
 *   each line  --> begin(id), string(name), string(value), ...
 *
 * raw and nested are what redis-cli prints for XRANGE, piped and on a
 * terminal; pairs is what tools/gen_requests.py --format lines writes and
 * what a person types.  Nothing here allocates per record: a line's strings
 * point into the line, or into one buffer for unquoted ones.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "replay_input.h"

enum replay_form { FORM_UNKNOWN, FORM_PAIRS, FORM_RAW, FORM_NESTED };

struct replay_input {
	struct replay_input_sink sink;
	enum replay_form	 form;		/* from the first line */
	long			 outer;		/* nested: column of an entry's ')' */
	unsigned long		 nlines;
	int			 in_record;	/* begin() was called */
	int			 malformed;	/* malformed() was, for this record */
	size_t			 nstrings;	/* given for this record */
	char			*tmp;		/* an unquoted string */
	size_t			 tcap;
};

struct replay_input *
replay_input_new(const struct replay_input_sink *sink)
{
	struct replay_input	*in;

	if ((in = calloc(1, sizeof *in)) == NULL)
		fatal("calloc");
	in->sink = *sink;
	in->outer = -1;
	return in;
}

void
replay_input_free(struct replay_input *in)
{
	if (in == NULL)
		return;
	free(in->tmp);
	free(in);
}

unsigned long
replay_input_lineno(const struct replay_input *in)
{
	return in->nlines;
}

/* The current record is complete: a name left without a value spoils it. */
static void
record_end(struct replay_input *in)
{
	if (in->in_record && !in->malformed && in->nstrings % 2 != 0)
		in->sink.malformed(in->sink.arg);
	in->in_record = 0;
}

static int
record_begin(struct replay_input *in, const char *id, size_t len)
{
	record_end(in);
	if (in->sink.begin(in->sink.arg, id, len) == -1)
		return -1;
	in->in_record = 1;
	in->malformed = 0;
	in->nstrings = 0;
	return 0;
}

static void
record_string(struct replay_input *in, const char *s, size_t len)
{
	in->sink.string(in->sink.arg, s, len);
	in->nstrings++;
}

static void
record_malformed(struct replay_input *in)
{
	in->sink.malformed(in->sink.arg);
	in->malformed = 1;
	in->nstrings = 0;
}

/* "1700000000000-0": the shape of a stream entry ID. */
static int
is_entry_id(const char *s, size_t len)
{
	size_t	i, dash = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '-' && dash == 0 && i > 0)
			dash = i;
		else if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	return dash > 0 && dash + 1 < len;
}

/*
 * A quoted string at *p ("..." with \" \\ \n \r \t \xHH, as redis-cli
 * prints it) into out; *p is left after the closing quote.  -1 if
 * unterminated.
 */
static int
unquote(const char **p, char *out, size_t *outlen)
{
	const char	*s = *p + 1;
	size_t		 o = 0;
	unsigned int	 hx;

	for (; *s != '\0' && *s != '"'; s++) {
		if (*s != '\\') {
			out[o++] = *s;
			continue;
		}
		switch (*++s) {
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'a': out[o++] = '\a'; break;
		case 'b': out[o++] = '\b'; break;
		case 'x':
			if (isxdigit((unsigned char)s[1]) &&
			    isxdigit((unsigned char)s[2]) &&
			    sscanf(s + 1, "%2x", &hx) == 1) {
				out[o++] = (char)hx;
				s += 2;
			} else
				out[o++] = 'x';
			break;
		case '\0':
			return -1;
		default:
			out[o++] = *s;
		}
	}
	if (*s != '"')
		return -1;
	*p = s + 1;
	*outlen = o;
	return 0;
}

/*
 * One request written as field=value pairs separated by blanks, values
 * optionally in double quotes; an entry ID may come first.
 */
static int
parse_pairs(struct replay_input *in, const char *line)
{
	const char	*p = line, *tok, *eq;
	char		 id[32];
	size_t		 len;

	while (*p == ' ' || *p == '\t')
		p++;
	for (tok = p; *p != '\0' && *p != ' ' && *p != '\t'; p++)
		;
	if (is_entry_id(tok, p - tok) && (size_t)(p - tok) < sizeof id) {
		if (record_begin(in, tok, p - tok) == -1)
			return -1;
	} else {
		snprintf(id, sizeof id, "line-%lu", in->nlines);
		if (record_begin(in, id, strlen(id)) == -1)
			return -1;
		p = tok;
	}
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (eq = p; *eq != '\0' && *eq != '=' && *eq != ' ' &&
		    *eq != '\t'; eq++)
			;
		if (*eq != '=' || eq == p)
			goto bad;
		record_string(in, p, eq - p);
		p = eq + 1;
		if (*p == '"') {
			if (unquote(&p, in->tmp, &len) == -1 ||
			    (*p != '\0' && *p != ' ' && *p != '\t'))
				goto bad;
			record_string(in, in->tmp, len);
		} else {
			for (tok = p; *p != '\0' && *p != ' ' && *p != '\t';
			    p++)
				;
			record_string(in, tok, p - tok);
		}
	}
	return 0;
bad:
	/* The record stays, malformed, so that it is counted. */
	record_malformed(in);
	return 0;
}

/* raw and nested: one string of an entry; start says it is the entry's ID. */
static int
xrange_token(struct replay_input *in, const char *s, size_t len, int start)
{
	if (start || !in->in_record)
		return record_begin(in, s, len);
	record_string(in, s, len);
	return 0;
}

int
replay_input_line(struct replay_input *in, char *line, size_t n, char *err,
    size_t errlen)
{
	const char	*s;
	size_t		 len;
	int		 start;

	if (errlen > 0)
		err[0] = '\0';
	in->nlines++;
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (in->form == FORM_UNKNOWN) {
		if (n == 0 || line[0] == '#')
			return 0;
		if (strspn(line, " ") < n &&
		    strncmp(line + strspn(line, " "), "1) ", 3) == 0)
			in->form = FORM_NESTED;
		else if (is_entry_id(line, n))
			in->form = FORM_RAW;
		else
			in->form = FORM_PAIRS;
	}
	/* An unquoted string is never longer than its line. */
	if (n + 1 > in->tcap) {
		in->tcap = n + 1;
		if ((in->tmp = realloc(in->tmp, in->tcap)) == NULL)
			fatal("realloc");
	}
	switch (in->form) {
	case FORM_PAIRS:
		if (n == 0 || line[0] == '#')
			return 0;
		return parse_pairs(in, line);
	case FORM_RAW:
		/* An ID where a field name is due starts an entry. */
		start = in->nstrings % 2 == 0 && is_entry_id(line, n);
		return xrange_token(in, line, n, start);
	case FORM_NESTED:
		if (n == 0 || strstr(line, "(empty") != NULL)
			return 0;
		/*
		 * The numbers are right-aligned: an entry's line has its
		 * first ')' where the first line has it.
		 */
		s = strchr(line, ')');
		if (in->outer == -1 && s != NULL)
			in->outer = s - line;
		start = s != NULL && s - line == in->outer;
		if ((s = strchr(line, '"')) == NULL) {
			snprintf(err, errlen, "expected a quoted string");
			return -1;
		}
		if (unquote(&s, in->tmp, &len) == -1) {
			snprintf(err, errlen, "unterminated string");
			return -1;
		}
		return xrange_token(in, in->tmp, len, start);
	case FORM_UNKNOWN:
		break;
	}
	return 0;
}

void
replay_input_end(struct replay_input *in)
{
	record_end(in);
}
