/*
 * ctl.h - triagectl subcommands.  Each takes the loaded config and the
 * arguments after its name, prints its result to stdout, and returns the
 * process exit status (0 ok, 1 failure, 2 bad usage).  triagectl.c calls
 * them; what they share is below them, in ctl_redis.h and ctl_print.h.
 */
#ifndef TRIAGED_CTL_H
#define TRIAGED_CTL_H

struct config;

int	ctl_explain(const struct config *, int argc, char **argv);
int	ctl_submit(const struct config *, int argc, char **argv);
int	ctl_event(const struct config *, int argc, char **argv);
int	ctl_queues(const struct config *, int argc, char **argv);
int	ctl_ticket(const struct config *, int argc, char **argv);
int	ctl_oncall(const struct config *, int argc, char **argv);
int	ctl_dead(const struct config *, int argc, char **argv);
/* crm import: exit 1 if a row was rejected or the import failed. */
int	ctl_crm(const struct config *, int argc, char **argv);
/* Exit status 0: no change, 3: changes, 1: bad candidate or failure. */
int	ctl_replay(const struct config *, int argc, char **argv);

#endif
