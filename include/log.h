/*
 * log.h - one logging idiom for the whole daemon.
 *
 * Lines go to stderr, which journald collects under systemd.  log_warn()
 * appends strerror(errno); log_warnx() does not.  fatal()/fatalx() log and
 * exit(1): only for set-up failures the daemon cannot go on from.
 */
#ifndef TRIAGED_LOG_H
#define TRIAGED_LOG_H

enum log_level { LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void	log_init(enum log_level level, const char *progname);
void	log_set_level(enum log_level level);
int	log_level_parse(const char *name, enum log_level *level);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
