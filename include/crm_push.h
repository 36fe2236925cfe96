/*
 * crm_push.h - POST /api/customers/ID: a CRM's webhook upserts one
 * customer's record (the hash customers.key names) with a JSON object of
 * fields.  main.c registers crm_push_handle() with http_route().
 */
#ifndef TRIAGED_CRM_PUSH_H
#define TRIAGED_CRM_PUSH_H

struct crm_push;
struct evhttp_request;
struct live_config;
struct rconn;

#define CRM_PUSH_PATH	"/api/customers/"

/* Writes on writer; reads customers.key and http.token_env from live. */
struct crm_push	*crm_push_new(struct rconn *writer, struct live_config *);
void		 crm_push_free(struct crm_push *);	/* accepts NULL */
/* The rules in force after a reload. */
void		 crm_push_set_config(struct crm_push *, struct live_config *);
/* An http_handler; arg is the struct crm_push. */
void		 crm_push_handle(struct evhttp_request *, void *arg);

#endif
