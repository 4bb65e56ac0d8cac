/*
 * ondcctl.h - the operator's command line: shared helpers of its files.
 */
#ifndef ONDC_ONDCCTL_H
#define ONDC_ONDCCTL_H

#include "cfg.h"

#include <stddef.h>

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

int ctl_keygen(ctl_t *ctl, int argc, char **argv);
int ctl_sign(ctl_t *ctl, int argc, char **argv);
int ctl_verify(ctl_t *ctl, int argc, char **argv);
int ctl_send(ctl_t *ctl, int argc, char **argv);
int ctl_listen(ctl_t *ctl, int argc, char **argv);
int ctl_catalog(ctl_t *ctl, int argc, char **argv);
int ctl_journal(ctl_t *ctl, int argc, char **argv);
int ctl_outbox(ctl_t *ctl, int argc, char **argv);
int ctl_replay(ctl_t *ctl, int argc, char **argv);
int ctl_load(ctl_t *ctl, int argc, char **argv);

#endif
