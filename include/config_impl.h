/*
 * config_impl.h - the inside of a load of the rules file, shared by the
 * files that make it up.  Nothing but src/config*.c may include this
 * header.
 *
 *   config.c            config_load(): reads the file, walks the root,
 *                       reads the operational sections (redis, intake, ...)
 *   config_rules.c      tiers, urgency, teams, routes, sla, notify
 *   config_calendars.c  calendars
 *   config_oncall.c     oncall (people, schedules), receivers, and the
 *                       notify targets that name them
 *   config_cond.c       conditions (`when`)
 *   config_analyse.c    rules that can never match (CONFIG_WARN)
 *   config_yaml.c       the event pre-scan and its limits, libyaml's
 *                       errors, the node tree and its typed readers
 *   config_diag.c       every error and warning, shown in file order
 *
 * Calls go down that list: config.c calls the others, config_rules.c the
 * calendars and conditions, and every file reads YAML with config_yaml.c
 * and reports with config_diag.c, which call none of them back.
 *
 * A load goes on after an error, so that one run shows every mistake: each
 * reader reports what is wrong with config_diag_error() and returns -1 or
 * NULL, and its caller carries on with the next key.
 */
#ifndef TRIAGED_CONFIG_IMPL_H
#define TRIAGED_CONFIG_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "cond.h"
#include "config.h"
#include "rules_impl.h"

#define nitems(a)		(sizeof (a) / sizeof (a)[0])

/*
 * Reload parses in the event loop, so the whole load is bounded (see
 * config.c).  The file, before and while libyaml reads it:
 */
#define CONFIG_MAX_FILE		(4 * 1024 * 1024)
#define CONFIG_MAX_NESTING	64
#define CONFIG_MAX_NODES	1000000
#define CONFIG_MAX_TEXT		(16 * 1024 * 1024)
#define CONFIG_MAX_ANCHORS	100

/*
 * The loader checks names and rules against the earlier ones one by one,
 * so the lists it walks that way are bounded too: far beyond any call
 * center, short of what would take seconds.
 */
#define CONFIG_MAX_NAMES	1000	/* teams, notify, levels, channels */
#define CONFIG_MAX_RULES	5000	/* tier levels, score rules, ... */
#define CONFIG_MAX_STEPS	100	/* escalation steps of one clock */
#define CONFIG_MAX_CALENDARS	100	/* each reads a time zone file */
#define CONFIG_MAX_REGEX	200000	/* us of regcomp() in all (cond.h) */
/* Condition nodes that --check's analysis of one list may evaluate. */
#define CONFIG_MAX_ANALYSIS	50000000

/* The most of a long value an error message repeats. */
#define CONFIG_SHOW		200
#define CONFIG_MAX_DEPTH	32
#define CONFIG_MAX_CONDS	100000

/* The stages of classification, in order: what a condition may read. */
enum config_stage {
	CONFIG_STAGE_TIER, CONFIG_STAGE_URGENCY, CONFIG_STAGE_ROUTE,
	CONFIG_STAGE_SLA
};

/* A load in progress: the document, the diagnostics, what is built. */
struct load {
	const char		*path;
	int			 flags;
	yaml_document_t		 doc;
	struct config_diag	*diags;		/* config_diag.c's */
	size_t			 ndiags;
	int			 nerrors;
	size_t			 budget;	/* condition nodes left */
	size_t			 regex;		/* regcomp() budget left */
	struct config		*cf;
	struct rules		*r;

	/* Names of tiers, urgencies and teams, sorted (config_cond.c). */
	char			**sorted[COND_NFACTS];

	/* Every calendar written, even one that failed to build. */
	char			**calnames;
	size_t			  ncalnames;
};

/* One key of a mapping the loader knows (config_yaml_map()). */
struct config_key {
	const char	*name;
	yaml_node_t	*value;
	yaml_node_t	*key;
};

/* The sections of the rules file that config_rules.c reads; NULL: absent. */
struct config_sections {
	yaml_node_t	*tiers, *urgency, *teams, *routes, *default_team;
	yaml_node_t	*calendars, *sla, *notify;
};

/*
 * config_diag.c: errors and warnings, "FILE:LINE:COL: error: MESSAGE",
 * collected and shown together in the order of the file.
 */
void		 config_diag_error(struct load *, const yaml_node_t *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
void		 config_diag_error_at(struct load *, size_t line, size_t col,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
/* That map lacks a key: shown at at, sorted after what is inside map. */
void		 config_diag_missing(struct load *, const yaml_node_t *at,
		    const yaml_node_t *map, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
void		 config_diag_warn(struct load *, int line, int col,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
/* Every diagnostic as one malloc'd text, NULL if none; empties the list. */
char		*config_diag_text(struct load *);
/* "a, b, c" of names for a message, cut short if it would be long. */
const char	*config_diag_list(char *const *names, size_t n, char *buf,
		    size_t size);

/* config_yaml.c: reading the file's YAML. */
int		 config_yaml_scan(struct load *, const char *buf, size_t len);
void		 config_yaml_error(struct load *, yaml_parser_t *,
		    const char *buf, size_t len);
void		 config_yaml_offset(const char *buf, size_t len, size_t off,
		    size_t *line, size_t *col);
yaml_node_t	*config_yaml_node(struct load *, int index);
int		 config_yaml_line(const yaml_node_t *);
int		 config_yaml_col(const yaml_node_t *);
int		 config_yaml_is_null(const yaml_node_t *);
const char	*config_yaml_kind(const yaml_node_t *);
const char	*config_yaml_scalar(struct load *, yaml_node_t *,
		    const char *what);
const char	*config_yaml_name(struct load *, yaml_node_t *,
		    const char *one);
void		 config_yaml_string(struct load *, yaml_node_t *,
		    const char *key, char **dst);
int		 config_yaml_long(struct load *, yaml_node_t *, const char *key,
		    long min, long max, long *out);
void		 config_yaml_int(struct load *, yaml_node_t *, const char *key,
		    long min, long max, int *dst);
int		 config_yaml_bool(struct load *, yaml_node_t *, const char *key,
		    int *out);
int		 config_yaml_duration(struct load *, yaml_node_t *,
		    const char *key, int64_t *out);
int		 config_yaml_map(struct load *, yaml_node_t *, const char *what,
		    struct config_key *, size_t nkeys);
int		 config_yaml_seq(struct load *, yaml_node_t *, const char *what,
		    yaml_node_item_t **items, size_t *nitem);
int		 config_yaml_limit(struct load *, yaml_node_t *,
		    const char *what, size_t count, size_t max);
void		 config_yaml_names(struct load *, yaml_node_t *,
		    const char *what, const char *one, char ***out,
		    size_t *nout);
int		 config_yaml_ref(struct load *, yaml_node_t *, const char *one,
		    char *const *names, size_t nnames);
/* Lists of names: the index of name or -1; add a copy of name. */
int		 config_yaml_find(char *const *names, size_t n,
		    const char *name);
void		 config_yaml_push(char ***names, size_t *n, const char *name);

/* config_cond.c: an optional `when` of a rule of a stage; NULL: always. */
struct cond	*config_cond_when(struct load *, yaml_node_t *,
		    enum config_stage);

/* config_rules.c and config_calendars.c: the classification rules. */
void		 config_rules_load(struct load *, yaml_node_t *root,
		    const struct config_sections *);
void		 config_calendars_load(struct load *, yaml_node_t *);

/*
 * config_oncall.c: people, schedules and receivers into the config's
 * struct oncall (either node NULL: absent); then the notify targets, whose
 * names are also appended to names (the rules' notify list).
 */
void		 config_oncall_load(struct load *, yaml_node_t *oncall,
		    yaml_node_t *receivers);
void		 config_oncall_notify(struct load *, yaml_node_t *,
		    char ***names, size_t *nnames);

/* config_analyse.c: warn of rules that can never match. */
void		 config_analyse(struct load *);

#endif
