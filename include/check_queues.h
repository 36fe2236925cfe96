/*
 * check_queues.h - what `triaged --check` can tell from Redis: queues of
 * teams the file does not name (check_queues.c).
 */
#ifndef TRIAGED_CHECK_QUEUES_H
#define TRIAGED_CHECK_QUEUES_H

#include <stdio.h>

struct config;

/*
 * Warn on out, as "PATH: warning: ...", of each queue of a team cfg does
 * not name that holds tickets.  Returns how many it warned of, or -1 if
 * it did not look (Redis did not answer within a second, or is a Redis
 * Cluster): never an error of the file.
 */
int	check_queues(const struct config *cfg, const char *path, FILE *out);

#endif
