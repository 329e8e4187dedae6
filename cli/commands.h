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
/* cmd_init.c */
int cmd_device_init(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_hub_init(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_edit.c */
int cmd_add(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_set(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_delete(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_get(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_list(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_visit.c */
int cmd_worker_use(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_visit_start(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_visit_close(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_apply(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_receive(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_attach(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_log.c */
int cmd_log(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_show(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_status(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_sync.c */
int cmd_device_request(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_join(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_push(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_pull(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_sync(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_hub.c */
int cmd_hub_enrol(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_hub_revoke(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_hub_ingest(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_hub_reply(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_hub_preview(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_hub_sync(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_hub_devices(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_hub_review.c */
int cmd_hub_review(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_hub_resolve(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_bundle.c */
int cmd_bundle_verify(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_bundle_list(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_bundle_open(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_audit.c */
int cmd_audit_log(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_audit_show(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_audit_export(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_audit_record.c */
int cmd_audit_history(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_audit_blame(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_audit_verify(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_archive.c */
int cmd_archive_export(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_archive_verify(struct cli_ctx *ctx, int argc, const char **argv);
/* cmd_report.c */
int cmd_report_deadlines(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_report_staffing(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_report_satisfaction(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_report_complaints(struct cli_ctx *ctx, int argc, const char **argv);
int cmd_report_overview(struct cli_ctx *ctx, int argc, const char **argv);

#endif
