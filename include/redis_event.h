/*
 * redis_event.h - hiredis' event hooks on libevent, with fewer system calls
 * than the adapter hiredis ships.
 *
 * The stock adapter re-arms a one-shot read event after every read and waits
 * for EPOLLOUT before every write: four epoll_ctl calls per round trip.  Here
 * the read event stays armed for the connection's life, and a command queued
 * on a connected socket is written at the end of the loop's current turn
 * (with everything else queued in that turn), not after another epoll_wait.
 * Only a write the kernel takes part of waits for the socket to drain.
 */
#ifndef TRIAGED_REDIS_EVENT_H
#define TRIAGED_REDIS_EVENT_H

struct event_base;
struct redisAsyncContext;

/* 0, or -1 (out of memory, or something already attached). */
int	redis_event_attach(struct redisAsyncContext *, struct event_base *);

#endif
