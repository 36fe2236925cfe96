/*
 * ctl_print.c - what triagectl's commands share to print their results:
 * times and durations for a person, text that came from Redis escaped so
 * it cannot drive the terminal, JSON strings, and the "-o json" option.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl_print.h"

const char *
ctl_time(long long ms, char *buf, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, len, "%lld", ms);
	return buf;
}

const char *
ctl_duration(long long ms, char *buf, size_t len)
{
	long long	s = (ms < 0 ? -ms : ms) / 1000;

	if (s >= 86400)
		snprintf(buf, len, "%lldd %lldh %lldm", s / 86400,
		    s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh %lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%lldm %llds", s / 60, s % 60);
	else
		snprintf(buf, len, "%llds", s);
	return buf;
}

void
ctl_print_text(FILE *f, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else if (c == 0xc2 && i + 1 < len &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			/* U+0080-U+009F: C1 controls, CSI among them. */
			fprintf(f, "\\u%04x", (unsigned char)s[++i]);
		else if (c == '\\')
			fputs("\\\\", f);
		else
			fputc(c, f);
	}
}

void
ctl_json_string(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int
ctl_output_json(int *argc, char **argv)
{
	int	json = 0;

	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "-o") != 0)
			continue;
		if (i + 1 >= *argc || (strcmp(argv[i + 1], "json") != 0 &&
		    strcmp(argv[i + 1], "text") != 0)) {
			fprintf(stderr, "triagectl: -o takes json or text\n");
			return -1;
		}
		json = strcmp(argv[i + 1], "json") == 0;
		memmove(argv + i, argv + i + 2, (*argc - i - 2) * sizeof *argv);
		*argc -= 2;
		i--;
	}
	return json;
}
