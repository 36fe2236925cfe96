/*
 * reply_arena.h - hiredis replies built in a few large blocks.
 *
 * hiredis 0.14 makes every element of a reply with its own calloc() and
 * its string with its own malloc(), and frees them one by one: for a batch
 * of 256 requests read by XREADGROUP that is some 9,000 allocations, and
 * making and freeing them was a quarter of the daemon's CPU.  These
 * functions build the same redisReply tree -- callers see no difference --
 * out of blocks that grow from 1 KiB to 64 KiB, so a reply costs a handful
 * of allocations and is freed in one walk over its blocks.
 *
 * Install them on an async context's reader before its first reply:
 *
 *	ac->c.reader->fn = &reply_arena_functions;
 *
 * hiredis then frees each reply through them when the callback returns.
 * A reply so made must never be given to freeReplyObject().
 */
#ifndef TRIAGED_REPLY_ARENA_H
#define TRIAGED_REPLY_ARENA_H

#include <hiredis/hiredis.h>

extern redisReplyObjectFunctions	reply_arena_functions;

#endif
