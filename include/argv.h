/*
 * argv.h - a Redis command built one argument at a time, in the protocol.
 *
 * The script calls (route.c, events.c, sla.c, deliver.c, firing.c) gather
 * their arguments from stream entries, the rules, the clock's decisions
 * and numbers.  Each argument is written into the builder's one buffer as
 * Redis reads it ("$LEN\r\n" BYTES "\r\n"), byte for byte what hiredis
 * would write, so the command is ready the moment the last one is pushed:
 *
 *   argv_push*() ...  ──>  argv_command()  the command in the buffer, lent
 *                     ──>  argv_take()     the buffer handed over, kept
 *                                          until its answer (route.c)
 *   argv_reset()      keeps the memory for the next call, unless the call
 *                     was outsized (ARGV_KEEP_BYTES): that much is given
 *                     back
 *
 * After warm-up, building a call allocates nothing.  Running out of
 * memory is fatal.
 */
#ifndef TRIAGED_ARGV_H
#define TRIAGED_ARGV_H

#include <stddef.h>
#include <string.h>

/* What a reset keeps; a call that grew past it gives its memory back. */
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
 * Redis protocol, *len bytes.  Lent: valid until the next push, reset or
 * free; rconn_formatted() copies it.
 */
const char	*argv_command(struct argv *, size_t *len);
/*
 * The same command, given to the caller: free(*mem) when done, the
 * command is *len bytes from the pointer returned (inside *mem).  The
 * builder is empty after it, and its next buffer starts at this one's
 * size.
 */
const char	*argv_take(struct argv *, char **mem, size_t *len);
/*
 * Those bytes for argc/argv into buf: their length, or, when over cap,
 * the cap they need (and nothing written).
 */
size_t		 argv_format_args(int argc, const char **argv,
		    const size_t *argvlen, char *buf, size_t cap);

#endif
