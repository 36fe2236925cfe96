/*
 * argv.h - a Redis command built one argument at a time, then formatted.
 *
 * The script calls (route.c, events.c, sla.c) gather their arguments from
 * stream entries, the rules, the clock's decisions and numbers.  Each
 * argument is copied into the builder's one buffer and kept as an offset,
 * so the buffer may move as it grows; argv_format() makes the whole
 * command in the Redis protocol, byte for byte what hiredis would write.
 *
 *   argv_push*() ...  ──>  argv_format()  ──> rconn_formatted()
 *   argv_reset()      keeps the memory for the next call, unless the call
 *                     was outsized (ARGV_KEEP_*): that much is given back
 *
 * After warm-up, building a call allocates nothing but the formatted
 * command.  Running out of memory is fatal.
 */
#ifndef TRIAGED_ARGV_H
#define TRIAGED_ARGV_H

#include <stddef.h>
#include <string.h>

/* What a reset keeps; a call that grew past either gives its memory back. */
#define ARGV_KEEP_ARGS		(64 * 1024)
#define ARGV_KEEP_BYTES		(4 * 1024 * 1024)

struct argv;

struct argv	*argv_new(void);
void		 argv_free(struct argv *);		/* accepts NULL */
/* Empty it for the next call. */
void		 argv_reset(struct argv *);

void		 argv_push(struct argv *, const char *s, size_t len);
void		 argv_push_fmt(struct argv *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 argv_push_num(struct argv *, long long);
size_t		 argv_count(const struct argv *);

/* Inline, so that the length of a literal is known when compiling. */
static inline void
argv_push_str(struct argv *a, const char *s)
{
	argv_push(a, s, strlen(s));
}

/*
 * The command made of the arguments pushed since the last reset, in the
 * Redis protocol; *len is its length.  The caller frees it with free().
 */
char		*argv_format(struct argv *, size_t *len);
/*
 * Those bytes for argc/argv into buf: their length, or, when over cap,
 * the cap they need (and nothing written).
 */
size_t		 argv_format_args(int argc, const char **argv,
		    const size_t *argvlen, char *buf, size_t cap);

#endif
