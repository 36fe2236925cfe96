/*
 * crm_parse.c - a CRM export into customer records (see crm_parse.h).
 *
 *   bytes --iconv (--encoding)--> UTF-8 --BOM skipped--+--> libcsv, a line
 *                                                      |    at a time
 *                                                      '--> JSON lines
 *   --> header names, --map, --key --> record() or reject(), per row
 *
 * libcsv does the quoting (commas, quotes and newlines inside quotes, CR
 * LF); it is fed one physical line at a time so that each row can be
 * told by the line it starts on, as the person who fixes the export sees
 * it in a spreadsheet or an editor.  A byte the encoding does not have
 * becomes 0xFF, which no UTF-8 holds, so the row it is in is rejected
 * with its line rather than the whole file refused.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

#include "crm_json.h"
#include "crm_parse.h"
#include "request.h"
#include "xmalloc.h"

/* A column: its name as written to the hash, or NULL to leave it out. */
struct column {
	char	*header;	/* as written */
	char	*name;		/* normalized, then mapped */
};

struct parse {
	const struct crm_options *opt;
	const struct crm_sink	*sink;
	/* The row being read. */
	char			**cells;
	size_t			*lens;
	size_t			 ncells, cap;
	size_t			 line;		/* being fed */
	size_t			 row_line;	/* where the row started */
	int			 too_many;	/* cells past CRM_MAX_COLUMNS */
	/* The header. */
	struct column		*cols;
	size_t			 ncols;
	size_t			 key_col;
	int			 have_header;
	char			*err;
	size_t			 errlen;
	int			 failed;
	int			 jsonl;		/* each line names its own */
	struct field		*fields;	/* one row's, reused */
	const char		*converted;	/* "after conversion from E" */
};

static void	columns_clear(struct parse *);

/* Out of memory is fatal here, as in xmalloc.c. */
static void *
grow(void *p, size_t n, size_t size)
{
	if ((p = realloc(p, n * size)) == NULL)
		abort();
	return p;
}

static char *
copy(const char *s, size_t len)
{
	char	*c = grow(NULL, len + 1, 1);

	memcpy(c, s, len);
	c[len] = '\0';
	return c;
}

size_t
crm_parse_name(const char *s, size_t len, char *out, size_t size)
{
	size_t	o = 0;
	int	blank = 0;

	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	for (size_t i = 0; i < len && o + 1 < size; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			blank = 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;	/* a name is text; NUL would cut it */
		if (blank && o + 2 < size)
			out[o++] = '_';
		blank = 0;
		out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') :
		    (char)c;
	}
	if (size > 0)
		out[o] = '\0';
	return o;
}

int
crm_parse_key_valid(const char *s, size_t len)
{
	if (len == 0 || len > CRM_KEY_MAX || !request_utf8_valid(s, len))
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Which column a --key or --map names: as written, normalized or mapped. */
static int
column_find(const struct parse *p, const char *want, int mapped)
{
	char	norm[256];

	crm_parse_name(want, strlen(want), norm, sizeof norm);
	for (size_t i = 0; i < p->ncols; i++) {
		if (strcmp(p->cols[i].header, want) == 0)
			return (int)i;
	}
	for (size_t i = 0; i < p->ncols; i++) {
		if (mapped && p->cols[i].name != NULL &&
		    strcmp(p->cols[i].name, want) == 0)
			return (int)i;
	}
	for (size_t i = 0; i < p->ncols; i++) {
		char	n[256];

		crm_parse_name(p->cols[i].header, strlen(p->cols[i].header), n,
		    sizeof n);
		if (strcmp(n, norm) == 0)
			return (int)i;
	}
	return -1;
}

static int
fail(struct parse *p, const char *fmt, const char *arg)
{
	snprintf(p->err, p->errlen, fmt, arg);
	p->failed = 1;
	return -1;
}

/* The header names; with --map, --key: which column is which. */
static int
columns_set(struct parse *p, char **names, size_t *lens, size_t n)
{
	const char	*key = p->opt->key != NULL ? p->opt->key : "customer_id";
	char		 buf[256];
	int		 k;

	p->ncols = n;
	p->cols = xcalloc(n, sizeof *p->cols);
	for (size_t i = 0; i < n; i++) {
		p->cols[i].header = copy(names[i], lens[i]);
		if (crm_parse_name(names[i], lens[i], buf, sizeof buf) > 0)
			p->cols[i].name = xstrdup(buf);
	}
	for (size_t m = 0; m < p->opt->nmap; m++) {
		const struct crm_map	*mp = &p->opt->map[m];

		if ((k = column_find(p, mp->from, 0)) == -1) {
			if (p->jsonl)
				continue;	/* not in this line */
			return fail(p, "--map: no column '%s' in the header",
			    mp->from);
		}
		free(p->cols[k].name);
		p->cols[k].name = strcmp(mp->to, "-") == 0 ? NULL :
		    xstrdup(mp->to);
	}
	if ((k = column_find(p, key, 1)) == -1)
		return fail(p, p->opt->key != NULL ? "--key: no column '%s' in "
		    "the header" : "no column '%s' for the customer ID: name "
		    "the ID column with --key COLUMN", key);
	p->key_col = (size_t)k;
	p->fields = xcalloc(n, sizeof *p->fields);
	p->have_header = 1;
	return 0;
}

/* A cell's text for a message: at most 64 bytes of it. */
#define CUT(len)	((int)((len) > 64 ? 64 : (len)))

/* One data row: checked, then its non-empty cells as fields. */
static void
row_emit(struct parse *p, char **cells, size_t *lens, size_t n)
{
	const char	*key, *kh = p->cols[p->key_col].header;
	size_t		 keylen, nf = 0, i;
	char		 why[256];

	for (i = 0; i < n && lens[i] == 0; i++)
		;
	if (i == n)
		return;		/* a blank row, as spreadsheets end with */
	if (n > p->ncols) {
		snprintf(why, sizeof why, "%zu columns, the header has %zu "
		    "(an unquoted comma or tab?)", n, p->ncols);
		goto bad;
	}
	for (i = 0; i < n; i++) {
		if (!request_utf8_valid(cells[i], lens[i])) {
			snprintf(why, sizeof why, "column '%.64s' is not valid "
			    "UTF-8%s", p->cols[i].header, p->converted);
			goto bad;
		}
	}
	keylen = p->key_col < n ? lens[p->key_col] : 0;
	key = p->key_col < n ? cells[p->key_col] : "";
	if (keylen == 0) {
		snprintf(why, sizeof why, "no customer ID: column '%.64s' is "
		    "empty", kh);
		goto bad;
	}
	if (!crm_parse_key_valid(key, keylen)) {
		snprintf(why, sizeof why, "customer ID '%.*s' in column "
		    "'%.64s' is longer than %d bytes or has control "
		    "characters", CUT(keylen), key, kh, CRM_KEY_MAX);
		goto bad;
	}
	for (i = 0; i < n; i++) {
		if (lens[i] == 0 || p->cols[i].name == NULL)
			continue;
		p->fields[nf].name = p->cols[i].name;
		p->fields[nf].name_len = strlen(p->cols[i].name);
		p->fields[nf].value = cells[i];
		p->fields[nf].value_len = lens[i];
		nf++;
	}
	p->sink->record(p->sink->arg, p->row_line, key, keylen, p->fields, nf);
	return;
bad:
	p->sink->reject(p->sink->arg, p->row_line, why);
}

/* libcsv: the end of a field. */
static void
csv_cell(void *s, size_t len, void *arg)
{
	struct parse	*p = arg;

	if (p->ncells == CRM_MAX_COLUMNS + 1) {
		p->too_many = 1;
		return;
	}
	if (p->ncells == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->cells = grow(p->cells, p->cap, sizeof *p->cells);
		p->lens = grow(p->lens, p->cap, sizeof *p->lens);
	}
	p->cells[p->ncells] = copy(s != NULL ? s : "", len);
	p->lens[p->ncells++] = len;
}

static void
cells_clear(struct parse *p)
{
	for (size_t i = 0; i < p->ncells; i++)
		free(p->cells[i]);
	p->ncells = 0;
	p->too_many = 0;
}

/* libcsv: the end of a row. */
static void
csv_row(int c, void *arg)
{
	struct parse	*p = arg;

	(void)c;
	if (p->failed)
		;
	else if (!p->have_header) {
		if (p->too_many)
			fail(p, "the header has more than %s columns", "1000");
		else
			columns_set(p, p->cells, p->lens, p->ncells);
	} else if (p->too_many) {
		p->sink->reject(p->sink->arg, p->row_line, "more than 1000 "
		    "columns");
	} else
		row_emit(p, p->cells, p->lens, p->ncells);
	cells_clear(p);
}

/* A tab if the header line has more tabs than commas outside quotes. */
static int
guess_delimiter(const char *s, size_t len)
{
	size_t	tabs = 0, commas = 0;
	int	quoted = 0;

	for (size_t i = 0; i < len && s[i] != '\n'; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '\t')
			tabs++;
		else if (!quoted && s[i] == ',')
			commas++;
	}
	return tabs > commas ? '\t' : ',';
}

static int
parse_csv(struct parse *p, const char *s, size_t len)
{
	struct csv_parser	 cp;
	const char		*end = s + len, *nl;

	if (csv_init(&cp, CSV_APPEND_NULL) != 0)
		return fail(p, "%s", "out of memory");
	csv_set_delim(&cp, (unsigned char)(p->opt->delimiter != 0 ?
	    p->opt->delimiter : guess_delimiter(s, len)));
	p->line = 1;
	while (s < end && !p->failed) {
		size_t	n;

		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl != NULL ? (size_t)(nl - s) + 1 : (size_t)(end - s);
		/* Between rows (libcsv's own state): a row starts here. */
		if (cp.pstate == 0 && p->ncells == 0)
			p->row_line = p->line;
		if (csv_parse(&cp, s, n, csv_cell, csv_row, p) != n) {
			csv_free(&cp);
			return fail(p, "CSV: %s", csv_strerror(csv_error(&cp)));
		}
		s += n;
		p->line++;
	}
	/* A last row without a newline; an unclosed quote ends the file. */
	if (!p->failed)
		csv_fini(&cp, csv_cell, csv_row, p);
	csv_free(&cp);
	if (!p->failed && !p->have_header)
		return fail(p, "%s", "the file has no header row");
	return p->failed ? -1 : 0;
}

/* One JSON line: names as a CSV header's, then the same checks. */
static void
json_line(struct parse *p, const char *s, size_t n)
{
	struct crm_json		*cj;
	const struct field	*f;
	char			 err[CRM_JSON_ERROR_MAX], name[256];
	size_t			 nf;
	char			*cells[CRM_MAX_COLUMNS], *names[CRM_MAX_COLUMNS];
	size_t			 lens[CRM_MAX_COLUMNS], nlens[CRM_MAX_COLUMNS];

	if ((cj = crm_json_parse(s, n, err, sizeof err)) == NULL) {
		p->sink->reject(p->sink->arg, p->row_line, err);
		return;
	}
	f = crm_json_fields(cj, &nf);
	if (nf > CRM_MAX_COLUMNS) {
		p->sink->reject(p->sink->arg, p->row_line, "more than 1000 "
		    "fields");
		crm_json_free(cj);
		return;
	}
	/* Each line has its own names: its own header. */
	for (size_t i = 0; i < nf; i++) {
		names[i] = (char *)f[i].name;
		nlens[i] = f[i].name_len;
		cells[i] = (char *)f[i].value;
		lens[i] = f[i].value_len;
	}
	columns_clear(p);
	if (columns_set(p, names, nlens, nf) == -1) {
		/* No key in this line: the line is bad, not the file. */
		p->failed = 0;
		snprintf(name, sizeof name, "%s", p->err);
		p->sink->reject(p->sink->arg, p->row_line, name);
	} else
		row_emit(p, cells, lens, nf);
	crm_json_free(cj);
}

static int
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

static int
parse_jsonl(struct parse *p, const char *s, size_t len)
{
	const char	*end = s + len, *nl;

	for (p->line = 1; s < end; p->line++) {
		size_t	n;

		nl = memchr(s, '\n', (size_t)(end - s));
		n = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
		p->row_line = p->line;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (!blank(s, n))
			json_line(p, s, n);
		s = nl != NULL ? nl + 1 : end;
	}
	return 0;
}

/*
 * The whole buffer in UTF-8, malloc'd; NULL and err if the encoding is
 * unknown.  Bytes it cannot convert become 0xFF (see top).
 */
static char *
convert(const char *enc, const char *in, size_t len, size_t *outlen,
    char *err, size_t errlen)
{
	iconv_t	 cd;
	char	*out, *ip = (char *)(uintptr_t)in, *op;
	size_t	 cap = len * 2 + 16, il = len, ol;

	if ((cd = iconv_open("UTF-8", enc)) == (iconv_t)-1) {
		snprintf(err, errlen, "unknown encoding '%s' (e.g. gbk, "
		    "gb18030, big5, utf-16)", enc);
		return NULL;
	}
	out = grow(NULL, cap, 1);
	op = out;
	ol = cap;
	while (il > 0) {
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
			break;
		if (errno == E2BIG) {
			size_t	used = (size_t)(op - out);

			cap *= 2;
			out = grow(out, cap, 1);
			op = out + used;
			ol = cap - used;
		} else {
			/* EILSEQ, or EINVAL: a sequence cut at the end. */
			if (ol < 1) {
				size_t	used = (size_t)(op - out);

				cap *= 2;
				out = grow(out, cap, 1);
				op = out + used;
				ol = cap - used;
			}
			*op++ = (char)0xFF;
			ol--;
			ip++;
			il--;
		}
	}
	iconv_close(cd);
	*outlen = (size_t)(op - out);
	return out;
}

static void
columns_clear(struct parse *p)
{
	for (size_t i = 0; i < p->ncols; i++) {
		free(p->cols[i].header);
		free(p->cols[i].name);
	}
	free(p->cols);
	free(p->fields);
	p->cols = NULL;
	p->fields = NULL;
	p->ncols = 0;
	p->have_header = 0;
}

int
crm_parse(const char *buf, size_t len, const struct crm_options *opt,
    const struct crm_sink *sink, char *err, size_t errlen)
{
	struct parse	 p;
	char		*conv = NULL, converted[96] = "";
	const char	*s = buf;
	enum crm_format	 fmt = opt->format;
	int		 rv;

	memset(&p, 0, sizeof p);
	p.opt = opt;
	p.sink = sink;
	p.err = err;
	p.errlen = errlen;
	if (opt->encoding != NULL && strcasecmp(opt->encoding, "utf-8") != 0 &&
	    strcasecmp(opt->encoding, "utf8") != 0) {
		if ((conv = convert(opt->encoding, buf, len, &len, err,
		    errlen)) == NULL)
			return -1;
		s = conv;
		snprintf(converted, sizeof converted, " after conversion from "
		    "%s", opt->encoding);
	}
	p.converted = converted;
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
		s += 3;
		len -= 3;
	}
	if (fmt == CRM_AUTO) {
		size_t	i = 0;

		while (i < len && (s[i] == ' ' || s[i] == '\t' ||
		    s[i] == '\r' || s[i] == '\n'))
			i++;
		fmt = i < len && s[i] == '{' ? CRM_JSONL : CRM_CSV;
	}
	p.jsonl = fmt == CRM_JSONL;
	rv = fmt == CRM_JSONL ? parse_jsonl(&p, s, len) :
	    parse_csv(&p, s, len);
	cells_clear(&p);
	free(p.cells);
	free(p.lens);
	columns_clear(&p);
	free(conv);
	return rv;
}
