/*
 * crm_parse.h - a CRM export, as a call center's CRM writes it, into
 * customer records (pure: no I/O; the caller reads the file).
 *
 * CSV as Excel writes it (a header row; quoted fields holding commas,
 * quotes and newlines; commas or tabs; CRLF; UTF-8 with or without a BOM,
 * or another encoding converted with iconv), parsed by libcsv; or JSON
 * lines, one flat object per line (crm_json.h).  Column names are the
 * header's, lower-cased, blanks as '_' ("Account Name" -> account_name),
 * unless --map renames them; one column is the customer ID (--key).
 *
 * Each good row is handed to the sink's record() with its physical line;
 * each bad one to reject() with its line and why, and parsing goes on.
 */
#ifndef TRIAGED_CRM_PARSE_H
#define TRIAGED_CRM_PARSE_H

#include <stddef.h>

#include "field.h"

#define CRM_MAX_COLUMNS		1000	/* as many as a request's fields */
#define CRM_KEY_MAX		256	/* bytes of a customer ID */

enum crm_format { CRM_AUTO, CRM_CSV, CRM_JSONL };

struct crm_map {
	const char	*from;		/* a header as written, or its name */
	const char	*to;		/* the field name; "-" leaves it out */
};

struct crm_options {
	const char		*key;		/* NULL: the column customer_id */
	const struct crm_map	*map;
	size_t			 nmap;
	const char		*encoding;	/* NULL: UTF-8 (a BOM is skipped) */
	int			 delimiter;	/* 0: a tab or comma, guessed */
	enum crm_format		 format;
};

/*
 * record(): the customer ID and the row's non-empty fields, the ID's
 * column among them; valid until it returns.  reject(): the reason, a
 * sentence.  line is the row's first physical line, from 1.
 */
struct crm_sink {
	void	(*record)(void *arg, size_t line, const char *key,
		    size_t key_len, const struct field *, size_t n);
	void	(*reject)(void *arg, size_t line, const char *reason);
	void	 *arg;
};

/*
 * Parse a whole export.  Returns 0 when it was read (rows may have been
 * rejected), or -1 with the reason in err when it cannot be read at all:
 * an unknown encoding, no header, no key column.
 */
int	 crm_parse(const char *buf, size_t len, const struct crm_options *,
	    const struct crm_sink *, char *err, size_t errlen);

/*
 * A column's name as the import writes it: trimmed, control characters
 * dropped, ASCII lower-cased,
 * each run of blanks one '_'.  Writes at most size bytes with the NUL;
 * returns the length.
 */
size_t	 crm_parse_name(const char *, size_t, char *out, size_t size);

/* 1 if the bytes can be a customer ID: valid UTF-8, no control characters. */
int	 crm_parse_key_valid(const char *, size_t);

#endif
