/*
 * argv.c - a Redis command built one argument at a time (argv.h).
 *
 *   buf  "EVALSHA" "3f2a..." "4" "triage:events" ...   one buffer, no NULs
 *   v    {0,7} {7,40} {47,1} {48,13} ...                 offset, length
 *
 * Offsets rather than pointers, since buf moves when it grows.
 * argv_format() writes the Redis protocol from them in one allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "decimal.h"
#include "log.h"

struct arg {
	size_t	off, len;
};

struct argv {
	char		*buf;
	size_t		 len, cap;
	struct arg	*v;
	size_t		 n, vcap;
};

struct argv *
argv_new(void)
{
	struct argv	*a;

	if ((a = calloc(1, sizeof *a)) == NULL)
		fatal("argv");
	return a;
}

static void
release(struct argv *a)
{
	free(a->buf);
	free(a->v);
	*a = (struct argv){ 0 };
}

void
argv_free(struct argv *a)
{
	if (a == NULL)
		return;
	release(a);
	free(a);
}

void
argv_reset(struct argv *a)
{
	if (a->vcap > ARGV_KEEP_ARGS || a->cap > ARGV_KEEP_BYTES)
		release(a);
	a->n = a->len = 0;
}

/*
 * Room for need more bytes in buf.  buf exists after the first call even
 * when need is 0, so that an empty argument is copied from a real address.
 */
static void
room(struct argv *a, size_t need)
{
	size_t	cap = a->cap ? a->cap : 4096;

	if (a->len + need <= a->cap && a->buf != NULL)
		return;
	while (cap < a->len + need)
		cap *= 2;
	if ((a->buf = realloc(a->buf, cap)) == NULL)
		fatal("argv");
	a->cap = cap;
}

/* A slot for the next argument: len bytes at the end of buf. */
static void
slot(struct argv *a, size_t len)
{
	if (a->n == a->vcap) {
		a->vcap = a->vcap ? a->vcap * 2 : 256;
		if ((a->v = realloc(a->v, a->vcap * sizeof *a->v)) == NULL)
			fatal("argv");
	}
	a->v[a->n++] = (struct arg){ a->len, len };
	a->len += len;
}

void
argv_push(struct argv *a, const char *s, size_t len)
{
	room(a, len);
	memcpy(a->buf + a->len, s, len);
	slot(a, len);
}

void
argv_push_fmt(struct argv *a, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	/* Straight into buf when it fits, which is nearly always. */
	room(a, 64);
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->len, a->cap - a->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatal("argv: formatting an argument");
	if ((size_t)n >= a->cap - a->len) {
		room(a, (size_t)n + 1);
		va_start(ap, fmt);
		(void)vsnprintf(a->buf + a->len, a->cap - a->len, fmt, ap);
		va_end(ap);
	}
	slot(a, (size_t)n);
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

/* "$LEN\r\n" or "*N\r\n" at p; returns the end. */
static char *
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

/*
 * The Redis protocol by hand: hiredis 0.14's redisFormatCommandArgv()
 * calls sprintf() for every argument, which was a tenth of the daemon's
 * CPU on a batch of a few thousand arguments.  Same bytes (test_argv
 * compares), same owner: the caller frees it with free().
 */
char *
argv_format(struct argv *a, size_t *len)
{
	char	*cmd, *p;
	size_t	 total, i;

	total = 1 + decimal_digits(a->n) + 2;
	for (i = 0; i < a->n; i++)
		total += 1 + (a->v[i].len < 10 ? 1 : a->v[i].len < 100 ? 2 :
		    decimal_digits(a->v[i].len)) + 2 + a->v[i].len + 2;
	/* The digits and the NUL of the last header fit in the slack. */
	if ((cmd = malloc(total + DECIMAL_MAX)) == NULL)
		fatal("argv: formatting the command");
	p = header(cmd, '*', a->n);
	for (i = 0; i < a->n; i++) {
		p = header(p, '$', a->v[i].len);
		memcpy(p, a->buf + a->v[i].off, a->v[i].len);
		p += a->v[i].len;
		*p++ = '\r';
		*p++ = '\n';
	}
	*p = '\0';
	*len = total;
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
