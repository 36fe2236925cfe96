/*
 * triagectl.c - the operator's command line: the global options, the rules
 * file, and dispatch to a subcommand (one file per command).  What the
 * commands share lives below them, in ctl_redis.c and ctl_print.c, so
 * calls only go down from here:
 *
 *   triagectl.c --> explain.c submit.c queues.c dead.c replay.c
 *                   oncall_cmd.c crm_import.c
 *                     |  --> ctl_redis.c ctl_print.c
 *                     '----> the pure cores (config, request, rules, ...)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"

static const struct {
	const char	*name;
	int		(*fn)(const struct config *, int, char **);
	const char	*usage;
	const char	*what;
} commands[] = {
	{ "explain", ctl_explain, "explain field=value ... [-o json]",
	    "How a request would be classified, routed and timed, and which "
	    "rule decided\neach step; no Redis needed.  customer.NAME=value "
	    "stands for a CRM field,\ncustomer.contacts_24h=N for a contact "
	    "count (customers.contacts; a window not\ngiven counts 0, as for a "
	    "customer's first request).\nA request the daemon would dead-letter "
	    "is refused (exit 1) with the reason." },
	{ "submit", ctl_submit, "submit field=value ...",
	    "Append a request to the requests stream, as a gateway would.  "
	    "It is checked\nas the daemon checks it first: what the daemon "
	    "would dead-letter is refused\n(exit 1, nothing written)." },
	{ "event", ctl_event, "event TICKET EVENT [team=TEAM]",
	    "Append a lifecycle event (responded, pending, resumed, resolved, "
	    "reopened,\nreassigned team=TEAM) to the events stream.  An "
	    "unknown event or team, or a\nticket that does not exist, is "
	    "refused (exit 1, nothing written)." },
	{ "queues", ctl_queues, "queues [-o json]",
	    "Each team's queue depth and most pressing ticket." },
	{ "ticket", ctl_ticket, "ticket ID [-o json]",
	    "One ticket: its fields, its clocks and what fired.  Control "
	    "characters in\nwhat a request carried are shown escaped." },
	{ "oncall", ctl_oncall, "oncall [--at TIME] [--next N] [-o json]",
	    "Who is on call in each schedule now, or at TIME, and the next N "
	    "handoffs\n(default 3).  TIME is \"YYYY-MM-DD HH:MM\" in each "
	    "schedule's own time zone,\nor an instant: ms since the epoch, or "
	    "ISO 8601 with a zone\n(2026-12-24T10:00:00Z, "
	    "2026-12-24T18:00+08:00).  No Redis needed." },
	{ "dead", ctl_dead, "dead [--since DURATION] [--reason TEXT] "
	    "[-o json]\n      dead redrive (ID ... | --all) [--since DURATION] "
	    "[--reason TEXT]",
	    "The dead letters: when, why, and what they held (newest last).  "
	    "`redrive`\nappends them again to the stream they came from, as "
	    "they were sent, and\nremoves them from the dead-letter stream; "
	    "each is re-driven at most once, and\na request without an `id` "
	    "gets its original entry ID as `id`, so a request\nwhose ticket "
	    "exists changes nothing.  Exit 1 if any was not re-driven." },
	{ "replay", ctl_replay, "replay --rules CANDIDATE [--last N | --since "
	    "DURATION | --from FILE]\n      [--format text|json] "
	    "[--examples K] [--no-crm]",
	    "What a rules change would do to recent traffic: exit 0 no change, "
	    "3 changes,\n1 invalid candidate or nothing to compare." },
	{ "crm", ctl_crm, "crm import EXPORT [--key COLUMN] [--map "
	    "COLUMN=field ...]\n      [--encoding E] [--delimiter C] "
	    "[--format csv|jsonl]",
	    "Load a CRM export into the customer hashes (customers.key): CSV "
	    "as Excel writes\nit (a header row, quoted fields, commas or tabs, "
	    "UTF-8 with or without BOM,\nor --encoding gbk, gb18030, ...), or "
	    "JSON lines (- reads standard input).\n--key names the customer ID "
	    "column (default customer_id); --map renames a\ncolumn (=- leaves "
	    "it out); other columns keep their header, lower-cased,\nblanks as "
	    "_.  Empty cells are not written; re-importing updates.  Every "
	    "rejected\nrow is reported as EXPORT:LINE: why; exit 1 if any was." },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: triagectl [-c FILE | --config FILE] COMMAND "
	    "[ARGS]\n       triagectl COMMAND --help\n"
	    "       triagectl --version\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "FILE is the rules file (`-` reads standard input); "
	    "without -c, the file named\nby the environment variable "
	    "TRIAGED_CONFIG.\n");
}

/* `COMMAND --help` anywhere in its arguments. */
static int
wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*path = getenv("TRIAGED_CONFIG");
	struct config	*cfg;
	char		*diag = NULL;
	int		 i = 1, rv;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("triagectl %s\n", TRIAGED_VERSION);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "-c") == 0 ||
	    strcmp(argv[1], "--config") == 0)) {
		if (argc < 3) {
			fprintf(stderr, "triagectl: %s needs a file name\n",
			    argv[1]);
			return 2;
		}
		path = argv[2];
		i = 3;
	} else if (argc >= 2 && strncmp(argv[1], "--config=", 9) == 0) {
		path = argv[1] + 9;
		i = 2;
	}
	if (i >= argc) {
		fprintf(stderr, "triagectl: no command given\n");
		usage(stderr);
		return 2;
	}
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
		if (strcmp(argv[i], commands[k].name) != 0)
			continue;
		if (wants_help(argc - i - 1, argv + i + 1)) {
			printf("usage: triagectl [-c FILE] %s\n\n%s\n",
			    commands[k].usage, commands[k].what);
			return 0;
		}
		if (path == NULL || *path == '\0') {
			fprintf(stderr, "triagectl: no rules file: give -c FILE "
			    "or set TRIAGED_CONFIG\n");
			return 2;
		}
		/* The loader reads a path; standard input has one too. */
		cfg = config_load(strcmp(path, "-") == 0 ? "/dev/stdin" : path,
		    0, &diag);
		if (diag != NULL)
			fputs(diag, stderr);
		free(diag);
		if (cfg == NULL)
			return 1;
		rv = commands[k].fn(cfg, argc - i - 1, argv + i + 1);
		config_free(cfg);
		return rv;
	}
	fprintf(stderr, "triagectl: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
