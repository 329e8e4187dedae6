/*
 * schema_db.h — the schema functions that work on a SQLite connection: for
 * core (install into a new replica, register validators on every connection,
 * attach tables to capture sessions) and sync (rows frozen by
 * immutable_after, catalogue and calendar in the replica).  Internal to
 * libruhu: it exposes sqlite3 types, which the public headers never do.
 *
 * Design notes
 *  1. Nothing here begins or ends a transaction.  Functions that write use a
 *     savepoint, so they are atomic both inside the caller's transaction and
 *     in autocommit mode; on failure everything they wrote is rolled back.
 *  2. Tables owned here (non-replicated, so their names start with '_'):
 *       _migrations(number INTEGER PRIMARY KEY, name TEXT, sha256 TEXT,
 *                   schema_version TEXT) STRICT   -- one row per migration
 *       _catalogue(slot TEXT PRIMARY KEY, name TEXT, source TEXT,
 *                  version TEXT) STRICT           -- slot 'current'
 *     and the key `schema_version` in core's _meta(key, value).
 *  3. The validators are deterministic and innocuous SQL functions; every
 *     connection that writes record tables must register them first, or
 *     SQLite reports "no such function: ruhu_...".
 */
#ifndef RUHU_SCHEMA_DB_H
#define RUHU_SCHEMA_DB_H

#include <sqlite3.h>

#include "ruhu/schema.h"

/** Register ruhu's validator functions (ruhu_id_number, ruhu_date, ...) on
 *  a connection (docs/schema.md lists them).  Safe to call again. */
int ruhu_schema_register(sqlite3 *db);

/**
 * Install the schema: register the validators, create _meta (if missing),
 * _migrations and _catalogue, apply every migration not yet recorded, in
 * order, record each, and set _meta.schema_version.  On an installed replica
 * this is the upgrade.  Refuses (RUHU_ESCHEMA) a database whose recorded
 * migrations differ from the schema's or go beyond them.
 */
int ruhu_schema_install(sqlite3 *db, const ruhu_schema *schema);

/** 0 when the database's recorded schema version is the schema's;
 *  RUHU_ESCHEMA naming both versions when not; RUHU_ESCHEMA when none. */
int ruhu_schema_verify(sqlite3 *db, const ruhu_schema *schema);

/** The recorded schema version (cleared first); RUHU_ENOTFOUND when none. */
int ruhu_schema_installed_version(ruhu_buf *out, sqlite3 *db);

/** Attach every record table to a session, in schema order. */
int ruhu_schema_attach_session(sqlite3_session *session, const ruhu_schema *schema);

/**
 * *out = 1 when the row `id` of `type` must not be updated any more: always
 * for an immutable type, when the row exists and its condition holds for
 * immutable_after, never for a mutable type.
 */
int ruhu_type_row_frozen(int *out, sqlite3 *db, const ruhu_type *type, const char *id);

/** Store a catalogue's source text as the replica's current catalogue. */
int ruhu_catalogue_store(sqlite3 *db, const ruhu_catalogue *cat);
/** Load the replica's current catalogue; RUHU_ENOTFOUND when none stored. */
int ruhu_catalogue_load_db(ruhu_catalogue **out, sqlite3 *db);

/** A calendar made from the rows of the `holiday` table. */
int ruhu_calendar_load(ruhu_calendar **out, sqlite3 *db);
/** ruhu_calendar_promised_date over the `holiday` table. */
int ruhu_calendar_promised_date_db(char out[RUHU_DATE_SIZE], sqlite3 *db,
				   const char *received, unsigned int working_days);

#endif
