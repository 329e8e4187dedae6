/*
 * audit_export.h — a replica's whole history as a plain git repository for
 * an auditor (`ruhu audit export`): the glue between the replica's refs and
 * signers and core/export.h, kept here so that every audit command can use it.
 * Internal to libruhu; it exposes only ruhu's own types.
 */
#ifndef RUHU_CORE_AUDIT_EXPORT_H
#define RUHU_CORE_AUDIT_EXPORT_H

#include <stddef.h>

#include "ruhu/core.h"

/** What an export wrote. */
typedef struct {
	size_t refs;     /**< branches written (one per ref of `_refs`) */
	size_t signers;  /**< lines of allowed_signers */
	char head[256];  /**< the branch HEAD points at, "" when none */
} ruhu_audit_export_info;

/*
 * Export every object of the replica into a bare git repository at `outdir`
 * (core/export.h: it must be missing or empty), with:
 *  - one branch per ref of `_refs`: "refs/heads/NAME" becomes branch NAME,
 *    any other "refs/NAME" branch NAME ("refs/devices/tab-07" ->
 *    "devices/tab-07"); HEAD is the replica's own branch (or main);
 *  - `allowed_signers` with every key of `_signers`, revoked ones included
 *    (a commit made before a revocation stays verifiable), each under the
 *    principal "<id>@<centre>" of this replica's centre;
 *  - `README` for auditors: how to check the export with stock git and
 *    `ssh-keygen -Y verify`, what the trailers mean, the personal-data
 *    warning.
 * The export holds personal data in clear: the caller says so to the user.
 * `out` may be NULL.  On failure `outdir` may hold a partial repository.
 */
int ruhu_audit_export(ruhu_audit_export_info *out, ruhu_replica *r, const char *outdir);

#endif
