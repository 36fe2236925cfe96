/*
 * board_day.h - the tickets of each team that breached today (pure).
 *
 * The wallboard reads P+alerts forward from the start of the day, a
 * bounded slice per refresh, and hands every breach alert here; a ticket
 * counts once per team however many of its steps breach.  Memory grows
 * with the day's breached tickets and is freed at the next midnight.
 */
#ifndef TRIAGED_BOARD_DAY_H
#define TRIAGED_BOARD_DAY_H

#include <stdint.h>

struct board_day;

struct board_day	*board_day_new(void);	/* NULL: out of memory */
void			 board_day_free(struct board_day *);	/* accepts NULL */
/* Forget every ticket: a new day began at start (ms). */
void			 board_day_reset(struct board_day *, int64_t start);
int64_t			 board_day_start(const struct board_day *);
/* 1 if the ticket is new for the team, 0 if counted, -1 out of memory. */
int			 board_day_add(struct board_day *, const char *team,
			    const char *ticket);
int64_t			 board_day_count(const struct board_day *,
			    const char *team);

#endif
