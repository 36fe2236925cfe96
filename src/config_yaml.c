/*
 * config_yaml.c - the YAML of the rules file: the event pre-scan with its
 * limits, libyaml's errors, and typed readers over the node tree.
 *
 * libyaml's document API keeps every node's line and column, so each
 * reader below can point an error at the value it refuses.  A reader takes
 * the node and what it expects ("a string for redis.host"), and on a wrong
 * type or value reports "expected WHAT, found ..." and returns -1 or NULL;
 * the caller goes on with the next key.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config_impl.h"
#include "duration.h"
#include "log.h"
#include "xmalloc.h"

/*
 * The events of the file, read once before libyaml builds a tree of it.
 *
 * libyaml is not made for hostile input: its scanner rechecks every open
 * level at each token, so 200,000 nested `[` take minutes, its loader
 * recurses once per level, and it stores an alias once however often it is
 * used, so that a 64 KB file can stand for a tree of gigabytes which the
 * walk of the sections would visit, and copy from, node by node.  Reading
 * the events costs time linear in the file as long as the nesting stays
 * shallow, so the file is refused here, at the event that passes a limit
 * and before any tree is built, when it nests deeper than
 * CONFIG_MAX_NESTING; when its nodes, each use of an alias counted as a copy
 * of what it names, pass CONFIG_MAX_NODES or their text CONFIG_MAX_TEXT bytes;
 * when it has more than CONFIG_MAX_ANCHORS anchors (libyaml looks each alias
 * up among them one by one); or when an alias is used inside the node it
 * names.  A syntax error ends the scan quietly: the load that follows
 * reports it, having got no further than the scan.
 */
struct scan_anchor {
	char		*name;
	size_t		 nodes, text;	/* at its start; its size once ended */
	int		 open;
};

struct scan {
	struct scan_anchor	 anchors[CONFIG_MAX_ANCHORS];
	size_t			 nanchors;
	size_t			 nodes, text;	/* aliases expanded */
	int			 open[CONFIG_MAX_NESTING + 1];	/* anchor, -1 */
	int			 depth;
};

static void
scan_forget(struct scan *sc)
{
	while (sc->nanchors > 0)
		free(sc->anchors[--sc->nanchors].name);
}

/* Record the anchor of a node that starts; -1 after an error. */
static int
scan_anchor(struct load *ld, struct scan *sc, yaml_event_t *ev,
    const unsigned char *name, int open)
{
	struct scan_anchor	*a;

	if (sc->nanchors == CONFIG_MAX_ANCHORS) {
		config_diag_error_at(ld, ev->start_mark.line + 1,
		    ev->start_mark.column + 1, "more than %d anchors (&%s) in "
		    "the file", CONFIG_MAX_ANCHORS, (const char *)name);
		return -1;
	}
	a = &sc->anchors[sc->nanchors++];
	a->name = xstrdup((const char *)name);
	a->open = open;
	if (open) {
		/* Counted from here to its end (the node itself is in). */
		a->nodes = sc->nodes - 1;
		a->text = sc->text;
	} else {
		a->nodes = 1;
		a->text = ev->data.scalar.length;
	}
	return 0;
}

/* One event; 1 to go on, 0 to stop quietly, -1 after an error. */
static int
scan_event(struct load *ld, struct scan *sc, yaml_event_t *ev)
{
	struct scan_anchor	*a;
	const unsigned char	*anchor = NULL;
	const char		*name;
	size_t			 i, line = ev->start_mark.line + 1;
	size_t			 col = ev->start_mark.column + 1;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		scan_forget(sc);		/* anchors are per document */
		return 1;
	case YAML_SCALAR_EVENT:
		sc->nodes++;
		sc->text += ev->data.scalar.length;
		if (ev->data.scalar.anchor != NULL &&
		    scan_anchor(ld, sc, ev, ev->data.scalar.anchor,
		    0) == -1)
			return -1;
		break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (sc->depth == CONFIG_MAX_NESTING) {
			config_diag_error_at(ld, line, col, "lists and "
			    "mappings nested more than %d deep (the file is "
			    "refused before it is parsed further)",
			    CONFIG_MAX_NESTING);
			return -1;
		}
		sc->nodes++;
		anchor = ev->type == YAML_SEQUENCE_START_EVENT ?
		    ev->data.sequence_start.anchor :
		    ev->data.mapping_start.anchor;
		sc->open[++sc->depth] = -1;
		if (anchor != NULL) {
			if (scan_anchor(ld, sc, ev, anchor, 1) == -1)
				return -1;
			sc->open[sc->depth] = (int)sc->nanchors - 1;
		}
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (sc->depth == 0)
			return 0;
		if (sc->open[sc->depth] != -1) {
			a = &sc->anchors[sc->open[sc->depth]];
			a->nodes = sc->nodes - a->nodes;
			a->text = sc->text - a->text;
			a->open = 0;
		}
		sc->depth--;
		return 1;
	case YAML_ALIAS_EVENT:
		name = (const char *)ev->data.alias.anchor;
		/* The latest anchor of that name is the one used. */
		for (i = sc->nanchors; i > 0; i--) {
			if (strcmp(sc->anchors[i - 1].name, name) == 0)
				break;
		}
		if (i == 0)
			return 0;		/* libyaml says so */
		a = &sc->anchors[i - 1];
		if (a->open) {
			config_diag_error_at(ld, line, col, "alias '*%s' is "
			    "used inside the node it names", name);
			return -1;
		}
		sc->nodes += a->nodes;
		sc->text += a->text;
		break;
	default:
		return 1;
	}
	if (sc->nodes > CONFIG_MAX_NODES) {
		config_diag_error_at(ld, line, col, "more than %d nodes in the "
		    "file, counting each use of an alias as a copy of what it "
		    "names", CONFIG_MAX_NODES);
		return -1;
	}
	if (sc->text > CONFIG_MAX_TEXT) {
		config_diag_error_at(ld, line, col, "more than %d bytes of "
		    "text in the file, counting each use of an alias as a copy "
		    "of what it names", CONFIG_MAX_TEXT);
		return -1;
	}
	return 1;
}

/* 0 if the file is within the limits (or has a syntax error), else -1. */
int
config_yaml_scan(struct load *ld, const char *buf, size_t len)
{
	struct scan		*sc;
	yaml_parser_t		 parser;
	yaml_event_t		 ev;
	int			 rc = 1;

	sc = xcalloc(1, sizeof *sc);
	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (rc == 1) {
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR)
				fatalx("%s: out of memory parsing YAML",
				    ld->path);
			break;
		}
		rc = scan_event(ld, sc, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	scan_forget(sc);
	free(sc);
	return rc == -1 ? -1 : 0;
}

/* Line and column (1-based) of a byte offset, for reader errors. */
void
config_yaml_offset(const char *buf, size_t len, size_t off, size_t *line,
    size_t *col)
{
	size_t	i;

	*line = *col = 1;
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

/*
 * The byte at a 1-based line and column (counted in characters, as libyaml
 * does), or -1 if there is none.  Lines end at '\n' only: for a file that
 * ends them otherwise this finds no tab, and libyaml's words stand.
 */
static int
byte_at(const char *buf, size_t len, size_t line, size_t col)
{
	size_t	i = 0;

	for (; line > 1 && i < len; i++) {
		if (buf[i] == '\n')
			line--;
	}
	for (; i < len && buf[i] != '\n'; i++) {
		if (((unsigned char)buf[i] & 0xc0) == 0x80)
			continue;
		if (--col == 0)
			return (unsigned char)buf[i];
	}
	return -1;
}

void
config_yaml_error(struct load *ld, yaml_parser_t *p, const char *buf,
    size_t len)
{
	size_t	line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		fatalx("%s: out of memory parsing YAML", ld->path);
	case YAML_READER_ERROR:
		config_yaml_offset(buf, len, p->problem_offset, &line, &col);
		config_diag_error_at(ld, line, col, "%s (the file must be "
		    "UTF-8 text)", p->problem);
		break;
	default:
		line = p->problem_mark.line + 1;
		col = p->problem_mark.column + 1;
		/*
		 * A tab where libyaml looks for indentation or a token: its
		 * own words ("found character that cannot start any token")
		 * do not say which character.
		 */
		if (p->error == YAML_SCANNER_ERROR &&
		    byte_at(buf, len, line, col) == '\t')
			config_diag_error_at(ld, line, col, "a tab character; "
			    "YAML indents with spaces only");
		else if (p->context != NULL)
			config_diag_error_at(ld, line, col, "YAML syntax: %s "
			    "(%s that starts at line %zu)", p->problem,
			    p->context, p->context_mark.line + 1);
		else
			config_diag_error_at(ld, line, col, "YAML syntax: %s",
			    p->problem);
		break;
	}
}

/*
 * The node tree.
 */

int
config_yaml_line(const yaml_node_t *n)
{
	return (int)n->start_mark.line + 1;
}

int
config_yaml_col(const yaml_node_t *n)
{
	return (int)n->start_mark.column + 1;
}

yaml_node_t *
config_yaml_node(struct load *ld, int index)
{
	return yaml_document_get_node(&ld->doc, index);
}

int
config_yaml_is_null(const yaml_node_t *n)
{
	const char	*s = (const char *)n->data.scalar.value;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return (strcmp(s, "") == 0 || strcmp(s, "~") == 0 ||
	    strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0);
}

const char *
config_yaml_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return config_yaml_is_null(n) ? "nothing" : "a scalar";
	}
}

int
config_yaml_find(char *const *names, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

void
config_yaml_push(char ***names, size_t *n, const char *name)
{
	char	**p;

	if ((p = reallocarray(*names, *n + 1, sizeof *p)) == NULL)
		fatal("reallocarray");
	p[(*n)++] = xstrdup(name);
	*names = p;
}

/*
 * The text of a scalar; NULL, with an error, if n is something else.  what
 * names the thing expected ("a string for redis.host").
 */
const char *
config_yaml_scalar(struct load *ld, yaml_node_t *n, const char *what)
{
	const char	*s;

	if (n->type != YAML_SCALAR_NODE || config_yaml_is_null(n)) {
		config_diag_error(ld, n, "expected %s, found %s", what,
		    config_yaml_kind(n));
		return NULL;
	}
	s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length) {
		config_diag_error(ld, n, "expected %s, found text with a NUL "
		    "byte", what);
		return NULL;
	}
	return s;
}

/*
 * A scalar that names one thing (a calendar, a schedule, a receiver, an
 * item of a list of names): NULL, with an error, unless it is a non-empty
 * string.
 */
const char *
config_yaml_name(struct load *ld, yaml_node_t *n, const char *one)
{
	char		 what[128];
	const char	*s;

	snprintf(what, sizeof what, "a %s name", one);
	if ((s = config_yaml_scalar(ld, n, what)) == NULL)
		return NULL;
	if (*s == '\0') {
		config_diag_error(ld, n, "empty %s name", one);
		return NULL;
	}
	return s;
}

/* Replace *dst with the string at n. */
void
config_yaml_string(struct load *ld, yaml_node_t *n, const char *key, char **dst)
{
	char		 what[128];
	const char	*s;

	snprintf(what, sizeof what, "a string for %s", key);
	if ((s = config_yaml_scalar(ld, n, what)) == NULL)
		return;
	free(*dst);
	*dst = xstrdup(s);
}

int
config_yaml_long(struct load *ld, yaml_node_t *n, const char *key, long min,
    long max, long *out)
{
	char		 what[128], *end;
	const char	*s;
	long		 v;

	snprintf(what, sizeof what, "an integer from %ld to %ld for %s",
	    min, max, key);
	if ((s = config_yaml_scalar(ld, n, what)) == NULL)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || isspace((unsigned char)*s) || *end != '\0' ||
	    errno != 0 || v < min || v > max) {
		config_diag_error(ld, n, "expected %s, found '%s'", what, s);
		return -1;
	}
	*out = v;
	return 0;
}

void
config_yaml_int(struct load *ld, yaml_node_t *n, const char *key, long min,
    long max, int *dst)
{
	long	v;

	if (config_yaml_long(ld, n, key, min, max, &v) == 0)
		*dst = (int)v;
}

int
config_yaml_bool(struct load *ld, yaml_node_t *n, const char *key, int *out)
{
	char		 what[128];
	const char	*s;

	snprintf(what, sizeof what, "true or false for %s", key);
	if ((s = config_yaml_scalar(ld, n, what)) == NULL)
		return -1;
	if (strcasecmp(s, "true") == 0)
		*out = 1;
	else if (strcasecmp(s, "false") == 0)
		*out = 0;
	else {
		config_diag_error(ld, n, "expected %s, found '%s'", what, s);
		return -1;
	}
	return 0;
}

/* A positive duration. */
int
config_yaml_duration(struct load *ld, yaml_node_t *n, const char *key,
    int64_t *out)
{
	char		 what[128];
	const char	*s;
	int64_t		 ms;

	snprintf(what, sizeof what, "a duration for %s", key);
	if ((s = config_yaml_scalar(ld, n, what)) == NULL)
		return -1;
	if ((ms = duration_parse(s)) <= 0) {
		config_diag_error(ld, n, "bad duration '%s' for %s (expected a "
		    "positive number with a unit, e.g. 90s, 15m, 4h, 2d, "
		    "1h30m)", s, key);
		return -1;
	}
	*out = ms;
	return 0;
}

/*
 * Check that n is a mapping whose keys are all among keys[], and set each
 * key's value.  Returns -1 if n is not a mapping.
 */
int
config_yaml_map(struct load *ld, yaml_node_t *n, const char *what,
    struct config_key *keys, size_t nkeys)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k;
	const char		*name;
	char			 expected[512];
	char			*names[32];
	size_t			 i;

	for (i = 0; i < nkeys; i++) {
		keys[i].value = NULL;
		keys[i].key = NULL;
	}
	if (n->type != YAML_MAPPING_NODE) {
		config_diag_error(ld, n, "expected a mapping for %s, found %s",
		    what, config_yaml_kind(n));
		return -1;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	    p++) {
		k = config_yaml_node(ld, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			config_diag_error(ld, k, "expected a key name in %s, "
			    "found %s", what, config_yaml_kind(k));
			continue;
		}
		name = (const char *)k->data.scalar.value;
		for (i = 0; i < nkeys; i++) {
			if (strcmp(keys[i].name, name) == 0)
				break;
		}
		if (i == nkeys) {
			for (i = 0; i < nkeys && i < nitems(names); i++)
				names[i] = (char *)keys[i].name;
			config_diag_error(ld, k, "unknown key '%s' in %s "
			    "(expected one of: %s)", name, what,
			    config_diag_list(names, i, expected,
			    sizeof expected));
			continue;
		}
		if (keys[i].key != NULL) {
			config_diag_error(ld, k, "duplicate key '%s' in %s "
			    "(first at line %d)", name, what,
			    config_yaml_line(keys[i].key));
			continue;
		}
		keys[i].key = k;
		keys[i].value = config_yaml_node(ld, p->value);
	}
	return 0;
}

/* The items of a list; -1, with an error, if n is not one. */
int
config_yaml_seq(struct load *ld, yaml_node_t *n, const char *what,
    yaml_node_item_t **items, size_t *nitem)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		config_diag_error(ld, n, "expected a list for %s, found %s",
		    what, config_yaml_kind(n));
		return -1;
	}
	*items = n->data.sequence.items.start;
	*nitem = n->data.sequence.items.top - n->data.sequence.items.start;
	return 0;
}

/* An error, and -1, if a list or mapping has more than max entries. */
int
config_yaml_limit(struct load *ld, yaml_node_t *n, const char *what,
    size_t count, size_t max)
{
	if (count <= max)
		return 0;
	config_diag_error(ld, n, "%s has %zu entries (at most %zu)", what,
	    count, max);
	return -1;
}

/* A list of distinct, non-empty names (teams, notify, levels, channels). */
void
config_yaml_names(struct load *ld, yaml_node_t *n, const char *what,
    const char *one, char ***out, size_t *nout)
{
	yaml_node_item_t	*items;
	yaml_node_t		*item;
	const char		*s;
	size_t			 i, nitem;

	if (config_yaml_seq(ld, n, what, &items, &nitem) == -1 ||
	    config_yaml_limit(ld, n, what, nitem, CONFIG_MAX_NAMES) == -1)
		return;
	if (nitem == 0) {
		config_diag_error(ld, n, "%s is empty (expected at least one "
		    "%s)", what, one);
		return;
	}
	for (i = 0; i < nitem; i++) {
		item = config_yaml_node(ld, items[i]);
		if ((s = config_yaml_name(ld, item, one)) == NULL)
			continue;
		if (config_yaml_find(*out, *nout, s) != -1) {
			config_diag_error(ld, item, "duplicate %s '%s' in %s",
			    one, s, what);
			continue;
		}
		config_yaml_push(out, nout, s);
	}
}

/* A reference to a name in a list; -1, with an error, if undefined. */
int
config_yaml_ref(struct load *ld, yaml_node_t *n, const char *one,
    char *const *names, size_t nnames)
{
	char		 what[128], expected[512];
	const char	*s;
	int		 i;

	snprintf(what, sizeof what, "a %s name", one);
	if ((s = config_yaml_scalar(ld, n, what)) == NULL)
		return -1;
	if ((i = config_yaml_find(names, nnames, s)) == -1) {
		config_diag_error(ld, n, "undefined %s '%s' (expected one of: "
		    "%s)", one, s, config_diag_list(names, nnames, expected,
		    sizeof expected));
	}
	return i;
}

