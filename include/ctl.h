/*
 * ctl.h - triagectl subcommands.  Each takes the loaded config and the
 * arguments after its name, prints its result to stdout, and returns the
 * process exit status (0 ok, 1 failure, 2 bad usage).
 */
#ifndef TRIAGED_CTL_H
#define TRIAGED_CTL_H

#include <stddef.h>
#include <stdio.h>

struct config;
struct redisContext;

int	ctl_explain(const struct config *, int argc, char **argv);
int	ctl_submit(const struct config *, int argc, char **argv);
int	ctl_event(const struct config *, int argc, char **argv);
int	ctl_queues(const struct config *, int argc, char **argv);
int	ctl_ticket(const struct config *, int argc, char **argv);
int	ctl_dead(const struct config *, int argc, char **argv);
/* Exit status 0: no change, 3: changes, 1: bad candidate or failure. */
int	ctl_replay(const struct config *, int argc, char **argv);

/* A blocking connection to the config's Redis, or NULL with a message. */
struct redisContext *ctl_redis_connect(const struct config *);
/* Format ms since the epoch as local "YYYY-MM-DD HH:MM:SS" into buf. */
const char *ctl_time(long long ms, char *buf, size_t len);
/*
 * Print len bytes of text from Redis to f with every control character
 * (and DEL) shown as \xNN, the C1 controls U+0080-U+009F as \uNNNN and a
 * backslash as \\: what a request carried
 * must never reach the operator's terminal as an escape sequence.
 */
void ctl_print_text(FILE *f, const char *s, size_t len);
/* s as a JSON string, quotes included. */
void ctl_json_string(FILE *f, const char *s, size_t len);
/*
 * Take "-o json" (or "-o text") out of a command's arguments: 1 for JSON,
 * 0 for text, -1 (said) for another format.
 */
int ctl_output_json(int *argc, char **argv);
/* "1h 5m" style duration of |ms|. */
const char *ctl_duration(long long ms, char *buf, size_t len);

#endif
