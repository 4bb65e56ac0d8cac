/*
 * migrate.h - the store's format upgrades.
 *
 * A store written by an older build is brought up to date when a process
 * opens it: each upgrade is a step in migrate.c's table, run in one write
 * transaction, idempotent (a store that has it already costs a look-up).
 * store.c knows nothing of the journal's or the outbox's rows; the steps
 * live with the module whose rows they change (journal_upgrade) or here.
 */
#ifndef ONDC_MIGRATE_H
#define ONDC_MIGRATE_H

#include "store.h"

/* migrate_run - run every upgrade step in one transaction; 0 or -1 (logged). */
int migrate_run(store_t *store);

/* migrate_open - store_open, then migrate_run: how every process opens the
 * store. Caller owns the result; NULL on failure (logged). */
store_t *migrate_open(const cfg_t *cfg);

#endif
