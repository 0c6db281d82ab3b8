/*
 * The command line: one table of subcommands, one file per command, common
 * options (--db, --json, --help), exit codes 0 ok, 1 usage, 2 data error.
 * Results go to stdout, progress and diagnostics to stderr.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H
#include <jansson.h>

#include "util/err.h"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_DATA = 2 };

struct cli_common {
    const char *db; /* --db, default ./relatio.db or $RELATIO_DB */
    int json;       /* --json */
};

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage;
};

extern const struct command commands[];

int cli_main(int argc, char **argv);

/* One option of a command: "--name VALUE" sets *value (repeatable options
 * append to list/nlist instead), "--name" alone sets *flag. */
struct optdef {
    const char *name;
    const char **value;
    int *flag;
    const char **list;
    int *nlist;
    int max;
};
/* Parses argv[1..] (argv[0] is the command). Positional arguments go to
 * pos (at most npos). Returns 0, or EXIT_USAGE after printing the problem. */
int cli_parse(const char *cmd, int argc, char **argv, const struct optdef *defs, const char **pos,
              int npos, int *npos_out);

/* Prints "relatio NAME: usage" for a command to stream f. */
void cli_usage(const char *name, int to_stderr);
/* Reports an error on stderr ("error: field: message") and returns the exit
 * code for its kind. */
int cli_fail(const struct err *e);
/* Prints a JSON value on stdout (pretty) and frees it. */
void cli_print_json(json_t *v);
/* A progress bar on stderr when it is a terminal, else a line per 10 %. */
void cli_progress(const char *stage, double frac, void *arg);
/* Default database: $RELATIO_DB or ./relatio.db */
const char *cli_default_db(void);

int cmd_help(int argc, char **argv);
int cmd_geo(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_customer(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_campaign(int argc, char **argv);
int cmd_loyalty(int argc, char **argv);
int cmd_survey(int argc, char **argv);
int cmd_segment(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_forecast(int argc, char **argv);
int cmd_sales(int argc, char **argv);
int cmd_sla(int argc, char **argv);
int cmd_mail(int argc, char **argv);
int cmd_duplicates(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_unmerge(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_quality(int argc, char **argv);
int cmd_checksum(int argc, char **argv);
int cmd_privacy(int argc, char **argv);
int cmd_textmine(int argc, char **argv);

#endif
