/*
 * reply_arena.c - hiredis replies built in a few large blocks (see
 * reply_arena.h).
 *
 * A reply's root redisReply sits in a struct root that also heads the
 * list of its blocks.  The reader creates the root first, with no parent
 * task; every later element finds the root by walking its task's parents
 * (nine deep at most, hiredis's own limit) and is cut from the root's
 * newest block.  A string too big for a block gets a block of its own.
 * Freeing the root frees every block.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "reply_arena.h"

#define BLOCK_FIRST	1024
#define BLOCK_MAX	(64 * 1024)

struct block {
	struct block	*next;
	size_t		 used, cap;
	max_align_t	 data[];
};

struct root {
	struct block	*blocks;	/* newest first */
	size_t		 next_cap;	/* the size of the next block */
	redisReply	 reply;
};

#define ROOT(r)	((struct root *)((char *)(r) - offsetof(struct root, reply)))

/* The root of the reply r, made for task, belongs to. */
static struct root *
root_of(const redisReadTask *task, redisReply *r)
{
	if (task->parent == NULL)
		return ROOT(r);
	while (task->parent != NULL)
		task = task->parent;
	return ROOT(task->obj);
}

/* n bytes of the root's blocks, aligned for any object. */
static void *
take(struct root *rt, size_t n)
{
	struct block	*b = rt->blocks;
	size_t		 cap;
	void		*p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (b == NULL || b->cap - b->used < n) {
		cap = n > rt->next_cap ? n : rt->next_cap;
		if ((b = malloc(sizeof *b + cap)) == NULL)
			fatal("redis reply");
		b->used = 0;
		b->cap = cap;
		if (n > rt->next_cap && rt->blocks != NULL) {
			/* Outsized: behind the newest, which keeps its room. */
			b->next = rt->blocks->next;
			rt->blocks->next = b;
		} else {
			b->next = rt->blocks;
			rt->blocks = b;
			if (rt->next_cap < BLOCK_MAX)
				rt->next_cap *= 2;
		}
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

/*
 * A zeroed reply of type, linked into its parent array, if any, with
 * extra bytes after it (a string's, cut with the reply in one go).
 */
static redisReply *
make(const redisReadTask *task, int type, size_t extra)
{
	struct root	*rt;
	redisReply	*r;
	char		*p = NULL;

	if (task->parent == NULL) {
		if ((rt = malloc(sizeof *rt)) == NULL)
			fatal("redis reply");
		rt->blocks = NULL;
		rt->next_cap = BLOCK_FIRST;
		r = &rt->reply;
		if (extra > 0)
			p = take(rt, extra);
	} else {
		r = take(root_of(task, NULL), sizeof *r + extra);
		if (extra > 0)
			p = (char *)(r + 1);
		((redisReply *)task->parent->obj)->element[task->idx] = r;
	}
	memset(r, 0, sizeof *r);
	r->type = type;
	r->str = p;
	return r;
}

static void *
create_string(const redisReadTask *task, char *str, size_t len)
{
	redisReply	*r = make(task, task->type, len + 1);

	memcpy(r->str, str, len);
	r->str[len] = '\0';
	r->len = len;
	return r;
}

static void *
create_array(const redisReadTask *task, int elements)
{
	redisReply	*r = make(task, REDIS_REPLY_ARRAY, 0);

	if (elements <= 0)
		return r;
	r->element = take(root_of(task, r), (size_t)elements *
	    sizeof *r->element);
	memset(r->element, 0, (size_t)elements * sizeof *r->element);
	r->elements = (size_t)elements;
	return r;
}

static void *
create_integer(const redisReadTask *task, long long value)
{
	redisReply	*r = make(task, REDIS_REPLY_INTEGER, 0);

	r->integer = value;
	return r;
}

static void *
create_nil(const redisReadTask *task)
{
	return make(task, REDIS_REPLY_NIL, 0);
}

static void
free_reply(void *reply)
{
	struct root	*rt;
	struct block	*b, *next;

	if (reply == NULL)
		return;
	rt = ROOT(reply);
	for (b = rt->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(rt);
}

redisReplyObjectFunctions reply_arena_functions = {
	create_string,
	create_array,
	create_integer,
	create_nil,
	free_reply,
};
