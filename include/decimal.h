/*
 * decimal.h - integers as decimal text, without printf.
 *
 * The routing path writes a dozen numbers per request (deadlines, scores,
 * schedule members); snprintf() was a quarter of the daemon's CPU.
 */
#ifndef TRIAGED_DECIMAL_H
#define TRIAGED_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* Longest result, with the sign and the NUL. */
#define DECIMAL_MAX	21

/* Write v into buf (DECIMAL_MAX bytes), NUL-terminated; return its length. */
size_t	decimal_format(int64_t v, char *buf);
/* How many digits u has. */
size_t	decimal_digits(uint64_t u);

#endif
