/*
 * config_diag.c - the errors and warnings of a load of the rules file.
 *
 * Each is kept as its finished line, "FILE:LINE:COL: error: MESSAGE", with
 * its position, and the whole list is handed out sorted by position at
 * the end: the loader finds problems in the order it walks the sections
 * (names first, then the rules that refer to them), which is not the order
 * a person reading the file expects.  Line 0 stands for the whole file.
 *
 * One kind of error is sorted apart from where it is shown: that a mapping
 * lacks a key ("route 'billing' has no team").  It is shown at the mapping
 * but sorted at the mapping's end, after the errors inside it, so that a
 * misspelt key ("unknown key 'tem' in route") comes before the error it
 * causes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "log.h"

/* One error or warning, kept to be shown in the order of the file. */
struct config_diag {
	size_t		 line, col;	/* where it sorts; line 0: the file */
	size_t		 seq;
	char		*text;		/* the line, with '\n' */
};

/* A malloc'd, formatted string. */
static char *
diag_vformat(const char *fmt, va_list ap)
{
	va_list	 ap2;
	char	*s;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		fatal("vsnprintf");
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static char * __attribute__((format(printf, 1, 2)))
diag_format(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = diag_vformat(fmt, ap);
	va_end(ap);
	return s;
}

/* A diagnostic shown at line and col, sorted at sline and scol. */
static void
diag_add(struct load *ld, size_t line, size_t col, size_t sline,
    size_t scol, const char *kind, const char *fmt, va_list ap)
{
	struct config_diag	*d;
	char			*msg;

	msg = diag_vformat(fmt, ap);
	d = reallocarray(ld->diags, ld->ndiags + 1, sizeof *d);
	if (d == NULL)
		fatal("reallocarray");
	ld->diags = d;
	d = &ld->diags[ld->ndiags];
	d->line = sline;
	d->col = scol;
	d->seq = ld->ndiags++;
	if (line == 0)
		d->text = diag_format("%s: %s: %s\n", ld->path, kind, msg);
	else
		d->text = diag_format("%s:%zu:%zu: %s: %s\n", ld->path, line,
		    col, kind, msg);
	free(msg);
}

void
config_diag_error_at(struct load *ld, size_t line, size_t col,
    const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diag_add(ld, line, col, line, col, "error", fmt, ap);
	va_end(ap);
	ld->nerrors++;
}

void
config_diag_error(struct load *ld, const yaml_node_t *n, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diag_add(ld, n->start_mark.line + 1, n->start_mark.column + 1,
	    n->start_mark.line + 1, n->start_mark.column + 1, "error", fmt,
	    ap);
	va_end(ap);
	ld->nerrors++;
}

void
config_diag_missing(struct load *ld, const yaml_node_t *at,
    const yaml_node_t *map, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diag_add(ld, at->start_mark.line + 1, at->start_mark.column + 1,
	    map->end_mark.line + 1, map->end_mark.column + 1, "error", fmt,
	    ap);
	va_end(ap);
	ld->nerrors++;
}

void
config_diag_warn(struct load *ld, int line, int col, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	diag_add(ld, line, col, line, col, "warning", fmt, ap);
	va_end(ap);
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct config_diag	*da = a, *db = b;

	if (da->line != db->line)
		return da->line < db->line ? -1 : 1;
	if (da->col != db->col)
		return da->col < db->col ? -1 : 1;
	return da->seq < db->seq ? -1 : da->seq > db->seq;
}

char *
config_diag_text(struct load *ld)
{
	char	*text;
	size_t	 i, len = 0, off = 0;

	if (ld->ndiags == 0)
		return NULL;
	qsort(ld->diags, ld->ndiags, sizeof *ld->diags, diag_cmp);
	for (i = 0; i < ld->ndiags; i++)
		len += strlen(ld->diags[i].text);
	if ((text = malloc(len + 1)) == NULL)
		fatal("malloc");
	for (i = 0; i < ld->ndiags; i++) {
		len = strlen(ld->diags[i].text);
		memcpy(text + off, ld->diags[i].text, len);
		off += len;
		free(ld->diags[i].text);
	}
	text[off] = '\0';
	free(ld->diags);
	ld->diags = NULL;
	ld->ndiags = 0;
	return text;
}

const char *
config_diag_list(char *const *names, size_t n, char *buf, size_t size)
{
	size_t	i, len = 0;

	buf[0] = '\0';
	if (n == 0) {
		snprintf(buf, size, "none defined");
		return buf;
	}
	for (i = 0; i < n && len < size; i++) {
		if (len + strlen(names[i]) + 8 >= size) {
			snprintf(buf + len, size - len, ", ...");
			break;
		}
		len += snprintf(buf + len, size - len, "%s%s",
		    i == 0 ? "" : ", ", names[i]);
	}
	return buf;
}
