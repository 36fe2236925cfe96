/*
 * ctl_print.h - how triagectl's commands print: times and durations for a
 * person, text from Redis made safe for a terminal, JSON strings, and the
 * "-o json|text" option.
 */
#ifndef TRIAGED_CTL_PRINT_H
#define TRIAGED_CTL_PRINT_H

#include <stddef.h>
#include <stdio.h>

/* Format ms since the epoch as local "YYYY-MM-DD HH:MM:SS ZONE" into buf. */
const char *ctl_time(long long ms, char *buf, size_t len);
/* "1h 5m" style duration of |ms|. */
const char *ctl_duration(long long ms, char *buf, size_t len);
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

#endif
