/*
 * commands.h — the command functions of `ruhu`, one block per cmd_<group>.c.
 * Each returns CLI_OK, CLI_FAIL or CLI_USAGE (cli.h, note 1).
 */
#ifndef RUHU_CLI_COMMANDS_H
#define RUHU_CLI_COMMANDS_H

#include "cli/cli.h"

/* main.c */
int cmd_help(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_version(struct cli_ctx *ctx, int argc, const char **argv);

/* cmd_replica.c */
int cmd_replica_init(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_replica_check(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_replica_passwd(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_replica_rekey(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_sql(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_schema.c */
int cmd_schema_show(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_schema_check(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_schema_validate(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_catalogue_list(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_catalogue_show(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_catalogue_export(struct cli_ctx *ctx, int argc, const char **argv);

#endif
