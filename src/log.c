/*
 * log.c - leveled logging to stderr.
 *
 * No timestamps: journald adds its own, and a foreground run in a terminal
 * reads better without them.  Each line is written with one fprintf so lines
 * from the same process never interleave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static enum log_level	 log_current = LOG_LEVEL_INFO;
static const char	*log_prog = "triaged";

void
log_init(enum log_level level, const char *progname)
{
	log_current = level;
	if (progname != NULL)
		log_prog = progname;
}

void
log_set_level(enum log_level level)
{
	log_current = level;
}

int
log_level_parse(const char *name, enum log_level *level)
{
	if (strcmp(name, "warn") == 0)
		*level = LOG_LEVEL_WARN;
	else if (strcmp(name, "info") == 0)
		*level = LOG_LEVEL_INFO;
	else if (strcmp(name, "debug") == 0)
		*level = LOG_LEVEL_DEBUG;
	else
		return -1;
	return 0;
}

static void
log_emit(const char *tag, const char *fmt, va_list ap, const char *suffix)
{
	char	msg[2048];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, "%s: %s%s: %s\n", log_prog, tag, msg, suffix);
	else
		fprintf(stderr, "%s: %s%s\n", log_prog, tag, msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit("warning: ", fmt, ap, strerror(saved));
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit("warning: ", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (log_current < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_emit("", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_current < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_emit("debug: ", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit("fatal: ", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit("fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
