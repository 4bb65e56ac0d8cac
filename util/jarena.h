/*
 * jarena.h - jansson's memory, one message at a time.
 *
 * Parsing a request, building its on_* and serialising it makes a few
 * hundred small allocations, all freed together when the message is done.
 * Between jarena_begin and jarena_end the calling thread's jansson
 * allocations come from one block by bumping a pointer; jansson's frees of
 * them do nothing, and jarena_end takes the whole block back at once. A
 * message that needs more than the block (a 10,000-item on_search) goes on
 * with malloc for the rest; outside a scope, and in other threads, jansson
 * uses malloc and free as before.
 *
 * The rule: no jansson value made inside a scope may outlive it. A value
 * kept longer (a parse cache) is made between jarena_pause and
 * jarena_resume. Built with AddressSanitizer, the block is poisoned when a
 * scope ends, so a value that broke the rule is reported where it is used.
 */
#ifndef ONDC_JARENA_H
#define ONDC_JARENA_H

#include <stddef.h>

/* jarena_install - make jansson allocate through the arena (once, before
 * any jansson call). */
void jarena_install(void);

/* jarena_begin - start a scope in this thread (scopes do not nest). */
void jarena_begin(void);

/* jarena_end - end this thread's scope: everything jansson allocated in it
 * is gone. */
void jarena_end(void);

/* jarena_pause / jarena_resume - inside a scope, allocate from malloc
 * meanwhile (for values kept past the scope). Return/take the state. */
int jarena_pause(void);
void jarena_resume(int state);

/* jarena_used - bytes handed out in this thread's current scope. */
size_t jarena_used(void);

#include <jansson.h>

/* jarena_dumps - json_dumps into memory from malloc, whatever the scope:
 * the caller frees it with free() (json_dumps' own string comes from the
 * arena inside a scope). NULL on failure. */
char *jarena_dumps(const json_t *v, size_t flags);

/* jarena_dumpb - V's compact JSON text (jdump.h) in a buffer this thread
 * keeps from call to call: valid until the thread's next jarena_dumpb, not
 * NUL-terminated. *LEN gets its length; NULL on failure. */
const char *jarena_dumpb(const json_t *v, size_t *len);

#endif
