/*
 * log.c - leveled logging to stderr.
 *
 * No timestamps: journald adds its own, and a foreground run in a terminal
 * reads better without them.  Each line is written with one fprintf so lines
 * from the same process never interleave.
 *
 * When stderr is the journal (systemd names it in JOURNAL_STREAM as
 * "DEVICE:INODE", sd-daemon(3)), each line starts with its syslog priority,
 * "<4>" for a warning, which journald takes off and keeps as the entry's
 * priority: `journalctl -u triaged -p warning` then shows the warnings.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static enum log_level	 log_current = LOG_LEVEL_INFO;
static const char	*log_prog = "triaged";
static int		 log_journal;	/* prefix lines with <PRIORITY> */

/* Whether stderr is the stream JOURNAL_STREAM names. */
static int
stderr_is_journal(void)
{
	const char		*js = getenv("JOURNAL_STREAM");
	unsigned long long	 dev, ino;
	struct stat		 st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(enum log_level level, const char *progname)
{
	log_current = level;
	if (progname != NULL)
		log_prog = progname;
	log_journal = stderr_is_journal();
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

/* prio: the syslog priority, 2 (crit) to 7 (debug). */
static void
log_emit(int prio, const char *tag, const char *fmt, va_list ap,
    const char *suffix)
{
	char	msg[2048], pfx[8] = "";

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_journal)
		snprintf(pfx, sizeof pfx, "<%d>", prio);
	if (suffix != NULL)
		fprintf(stderr, "%s%s: %s%s: %s\n", pfx, log_prog, tag, msg,
		    suffix);
	else
		fprintf(stderr, "%s%s: %s%s\n", pfx, log_prog, tag, msg);
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit(4, "warning: ", fmt, ap, strerror(saved));
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(4, "warning: ", fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (log_current < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_emit(6, "", fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_current < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_emit(7, "debug: ", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	log_emit(2, "fatal: ", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(2, "fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
