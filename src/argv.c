/*
 * argv.c - a Redis command built one argument at a time (argv.h).
 *
 *   buf  [ reserved for "*N\r\n" ] "$7\r\nEVALSHA\r\n" "$40\r\n3f2a...\r\n" ...
 *        0                  ARGV_HEAD                                      len
 *
 * Each push writes its argument in the protocol at the end of buf; only
 * the count is unknown until the end, so room for its header is kept in
 * front, and argv_command() writes it there, flush with the first
 * argument.  The command is then buf from that header on: no second pass
 * over the arguments and no copy (hiredis 0.14's redisFormatCommandArgv()
 * calls sprintf() per argument, a tenth of the daemon's CPU on a batch).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "decimal.h"
#include "log.h"

/* '*', the longest count, "\r\n". */
#define ARGV_HEAD	(1 + DECIMAL_MAX + 2)
/* A header and the "\r\n" after the bytes. */
#define ARGV_FRAME	(1 + DECIMAL_MAX + 2 + 2)
#define ARGV_FIRST	4096

struct argv {
	char	*buf;		/* NULL until the first push */
	size_t	 len, cap;
	size_t	 n;		/* arguments pushed */
	size_t	 next_cap;	/* the size of a buffer given away */
};

struct argv *
argv_new(void)
{
	struct argv	*a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		fatal("argv");
	return a;
}

void
argv_free(struct argv *a)
{
	if (a == NULL)
		return;
	free(a->buf);
	free(a);
}

void
argv_reset(struct argv *a)
{
	if (a->cap > ARGV_KEEP_BYTES) {
		free(a->buf);
		a->buf = NULL;
		a->cap = 0;
	}
	a->n = 0;
	a->len = ARGV_HEAD;
}

/* The buffer made, or made larger, for need more bytes. */
static void
grow(struct argv *a, size_t need)
{
	size_t	cap;

	if (a->buf == NULL) {
		cap = a->next_cap ? a->next_cap : ARGV_FIRST;
		a->len = ARGV_HEAD;
	} else
		cap = a->cap;
	while (cap < a->len + need)
		cap *= 2;
	if ((a->buf = realloc(a->buf, cap)) == NULL)
		fatal("argv");
	a->cap = cap;
}

/* Room for need more bytes after the reserved head. */
static inline void
room(struct argv *a, size_t need)
{
	if (a->buf == NULL || a->len + need > a->cap)
		grow(a, need);
}

/* "$LEN\r\n" or "*N\r\n" at p; returns the end. */
static inline char *
header(char *p, char type, size_t n)
{
	*p++ = type;
	/* Most arguments are under 100 bytes: no call for those. */
	if (n < 10)
		*p++ = (char)('0' + n);
	else if (n < 100) {
		*p++ = (char)('0' + n / 10);
		*p++ = (char)('0' + n % 10);
	} else
		p += decimal_format((int64_t)n, p);
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

void
argv_push(struct argv *a, const char *s, size_t len)
{
	char	*p;

	room(a, ARGV_FRAME + len);
	p = header(a->buf + a->len, '$', len);
	if (len > 0)
		memcpy(p, s, len);
	p += len;
	*p++ = '\r';
	*p++ = '\n';
	a->len = (size_t)(p - a->buf);
	a->n++;
}

void
argv_push_fmt(struct argv *a, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[256], *s = small;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("argv: formatting an argument");
	if ((size_t)n >= sizeof small) {
		if ((s = malloc((size_t)n + 1)) == NULL)
			fatal("argv");
		va_start(ap, fmt);
		(void)vsnprintf(s, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	argv_push(a, s, (size_t)n);
	if (s != small)
		free(s);
}

void
argv_push_num(struct argv *a, long long n)
{
	char	buf[DECIMAL_MAX];

	argv_push(a, buf, decimal_format(n, buf));
}

size_t
argv_count(const struct argv *a)
{
	return a->n;
}

/* The count's header written flush with the first argument: its start. */
static char *
finish(struct argv *a, size_t *len)
{
	char	 head[ARGV_HEAD], *start;
	size_t	 hlen;

	room(a, 0);
	hlen = (size_t)(header(head, '*', a->n) - head);
	start = a->buf + ARGV_HEAD - hlen;
	memcpy(start, head, hlen);
	*len = a->len - (ARGV_HEAD - hlen);
	return start;
}

const char *
argv_command(struct argv *a, size_t *len)
{
	return finish(a, len);
}

const char *
argv_take(struct argv *a, char **mem, size_t *len)
{
	const char	*cmd = finish(a, len);

	*mem = a->buf;
	a->next_cap = a->cap <= ARGV_KEEP_BYTES ? a->cap : 0;
	a->buf = NULL;
	a->cap = 0;
	a->n = 0;
	a->len = ARGV_HEAD;
	return cmd;
}

/*
 * A small command given as argc/argv, formatted into buf the same way;
 * returns its length, or the size it needs when that is over cap (nothing
 * written then).  For the lookups sent a few per request: hiredis's own
 * formatting, with sdscatfmt() per argument, was a tenth of the daemon's
 * CPU.
 */
size_t
argv_format_args(int argc, const char **argv, const size_t *argvlen,
    char *buf, size_t cap)
{
	size_t	 total, i, n = (size_t)argc;
	char	*p;

	total = 1 + decimal_digits(n) + 2;
	for (i = 0; i < n; i++)
		total += 1 + decimal_digits(argvlen[i]) + 2 + argvlen[i] + 2;
	if (total + DECIMAL_MAX > cap)
		return total + DECIMAL_MAX;
	p = header(buf, '*', n);
	for (i = 0; i < n; i++) {
		p = header(p, '$', argvlen[i]);
		memcpy(p, argv[i], argvlen[i]);
		p += argvlen[i];
		*p++ = '\r';
		*p++ = '\n';
	}
	return total;
}
