/*
 * ondcctl.h - the operator's command line: shared helpers of its files.
 */
#ifndef ONDC_ONDCCTL_H
#define ONDC_ONDCCTL_H

#include "cfg.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *config_path;
    cfg_t cfg;
    int have_cfg;
} ctl_t;

/* ctl_need_config - load the --config file or exit with a message. */
cfg_t *ctl_need_config(ctl_t *ctl);

/* ctl_read_file - whole file into a malloc'd NUL-terminated buffer; NULL on error. */
char *ctl_read_file(const char *path, size_t *len);

/* ctl_opt - value of "--NAME VALUE" in argv (NULL if absent). */
const char *ctl_opt(int argc, char **argv, const char *name);

/* ctl_flag - whether "--NAME" is in argv. */
int ctl_flag(int argc, char **argv, const char *name);

/* ctl_positional - the N-th argument that is not an option (or an option's value). */
const char *ctl_positional(int argc, char **argv, int n);

/* ctl_args - check a command's arguments (ARGV, after the command's name)
 * before it acts: OPTS lists "name=" for an option that takes a value and
 * "name" for a flag (NULL-terminated); between MIN_POS and MAX_POS
 * arguments that are not options. 0, or 64 after a message on stderr
 * naming the unknown option (and the known ones), the missing value or
 * the wrong count. */
int ctl_args(const char *cmd, int argc, char **argv, const char *const *opts, int min_pos,
             int max_pos);

/* ctl_id - TEXT as a row id (digits, from 1) into ID; -1 after a message
 * naming WHAT when it is not one. */
int ctl_id(const char *what, const char *text, uint64_t *id);

int ctl_keygen(ctl_t *ctl, int argc, char **argv);
int ctl_console_user(ctl_t *ctl, int argc, char **argv); /* ondcctl_keys.c */
int ctl_sign(ctl_t *ctl, int argc, char **argv);
int ctl_verify(ctl_t *ctl, int argc, char **argv);
int ctl_send(ctl_t *ctl, int argc, char **argv);
int ctl_listen(ctl_t *ctl, int argc, char **argv);
int ctl_catalog(ctl_t *ctl, int argc, char **argv);
int ctl_journal(ctl_t *ctl, int argc, char **argv);
int ctl_outbox(ctl_t *ctl, int argc, char **argv);
int ctl_replay(ctl_t *ctl, int argc, char **argv);
int ctl_store(ctl_t *ctl, int argc, char **argv); /* ondcctl_usage.c */
int ctl_load(ctl_t *ctl, int argc, char **argv);
int ctl_buy(ctl_t *ctl, int argc, char **argv);

#endif
