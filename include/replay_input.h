/*
 * replay_input.h - the text of `triagectl replay --from FILE`, read one
 * line at a time into records of field/value pairs (pure: no Redis, no
 * files; the caller reads the lines).
 *
 * Three forms are recognised from the first line that is neither empty nor
 * a comment: field=value lines, redis-cli's XRANGE output piped (one string
 * per line) and redis-cli's XRANGE output on a terminal (numbered, quoted).
 * Records are handed to a sink as they are read: begin, then the names and
 * values in turn.  A record is complete when the next one begins or at
 * replay_input_end(); one that turned out not to be field/value pairs gets
 * malformed() before that.
 */
#ifndef TRIAGED_REPLAY_INPUT_H
#define TRIAGED_REPLAY_INPUT_H

#include <stddef.h>

struct replay_input;

struct replay_input_sink {
	/*
	 * A record begins: its stream entry ID, or "line-N" for a
	 * field=value line without one.  -1 stops the reading.
	 */
	int	 (*begin)(void *arg, const char *id, size_t len);
	/* The current record's next name or value, in turn. */
	void	 (*string)(void *arg, const char *s, size_t len);
	/*
	 * The current record is not field/value pairs: forget the strings
	 * given for it and count it as malformed.  Called at most once per
	 * record, never after begin() of the next one.
	 */
	void	 (*malformed)(void *arg);
	void	*arg;
};

/* The sink is copied; its arg must outlive the reader. */
struct replay_input	*replay_input_new(const struct replay_input_sink *);
void			 replay_input_free(struct replay_input *); /* NULL ok */

/*
 * One line as getline() gives it: NUL-terminated at len, with or without
 * its "\n" or "\r\n" (removed in place).  0; or -1 and the reading cannot
 * go on: err says why when the text is at fault, and is empty when the
 * sink's begin() stopped it.
 */
int		 replay_input_line(struct replay_input *, char *line,
		    size_t len, char *err, size_t errlen);
/* The end of the text: completes the last record. */
void		 replay_input_end(struct replay_input *);
/* Lines read so far: the number of the last one. */
unsigned long	 replay_input_lineno(const struct replay_input *);

#endif
