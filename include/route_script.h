/*
 * route_script.h - the routing script's text (route_script.c); route.c
 * loads it (script.c) and builds its calls.
 */
#ifndef TRIAGED_ROUTE_SCRIPT_H
#define TRIAGED_ROUTE_SCRIPT_H

extern const char route_script[];

#endif
