/*
 * vfs.h — the encrypting SQLite VFS under every replica (internal to core/).
 *
 * The VFS is a shim over a named base VFS (the default one unless told
 * otherwise, so that a fault-injecting VFS can sit underneath).  It encrypts
 * and authenticates every page of the main database, its WAL and its rollback
 * journal, and stream-encrypts delete-on-close files.  docs/encryption.md has
 * the formats and the list of traps; vfs.c and vfs_io.c carry the design notes.
 *
 * Keys are never named in a URI: a 32-byte data key is put in a numbered
 * slot (ruhu_vfs_slot_add) and the database is opened with the URI parameter
 * ruhu_slot=NAME, which names the slot, not the key.  A file holds its own
 * reference to the key, so removing a slot while files are open is safe.
 */
#ifndef RUHU_CORE_VFS_H
#define RUHU_CORE_VFS_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define RUHU_VFS_RESERVE 40    /* reserved bytes per page: nonce + tag */
#define RUHU_VFS_NONCE 24
#define RUHU_VFS_TAG 16
#define RUHU_VFS_KEY_SIZE 32
#define RUHU_VFS_KCV_SIZE 8    /* key check value in page 1 bytes 8..15 */
#define RUHU_VFS_SLOT_PARAM "ruhu_slot"
#define RUHU_VFS_SLOT_MAX 24
/* bytes 0..7 of page 1 on disk: the magic of an encrypted replica database */
#define RUHU_VFS_MAGIC "ruhu-db\001"
#define RUHU_VFS_MAGIC_SIZE 8

/*
 * Register (once) the encrypting VFS over the base VFS `base_name` (NULL: the
 * default VFS) and give its name in *out_name ("ruhu", or "ruhu-BASE").  The
 * VFS stays registered until the process ends.  Thread-safe.
 */
int ruhu_vfs_register(const char **out_name, const char *base_name);

/*
 * Put a copy of the 32-byte data key `key` in a new slot; its name goes into
 * `out_slot`.  The copy lives in libsodium secure memory, read-only, and is
 * zeroed and freed when the slot is removed and the last file that uses it is
 * closed.  Returns 0, or RUHU_ENOMEM.
 */
int ruhu_vfs_slot_add(char out_slot[RUHU_VFS_SLOT_MAX], const unsigned char *key);
/* Drop the slot (a slot name that is not there is ignored). */
void ruhu_vfs_slot_remove(const char *slot);

/* The key check value of a data key, as stored in bytes 8..15 of page 1. */
void ruhu_vfs_kcv(unsigned char out[RUHU_VFS_KCV_SIZE], const unsigned char *key);

/*
 * The last page that failed authentication on this thread (where, for the
 * error message).  ruhu_vfs_take_failure copies it into *out, forgets it and
 * returns 1, or returns 0 when there was none since the last call.
 */
struct ruhu_vfs_failure {
	char file[512];  /* the file as SQLite named it */
	uint32_t pgno;   /* the database page number, 0 when unknown */
	uint32_t frame;  /* WAL frame (1-based), 0 when not a WAL */
};
int ruhu_vfs_take_failure(struct ruhu_vfs_failure *out);
void ruhu_vfs_clear_failure(void);

/*
 * Authenticate every page of the main database file of `db` (schema "main")
 * as it is on disk, without going through SQLite's cache.  *out_pages gets
 * the number of pages, *out_bad the number that failed, *out_first_bad the
 * first failing page number (0 when none).  Returns 0, or a negative ruhu
 * error when the file cannot be read.  Hold a read transaction around it so
 * that no writer changes the file meanwhile.
 */
int ruhu_vfs_verify_pages(sqlite3 *db, int64_t *out_pages, int64_t *out_bad,
			  uint32_t *out_first_bad);

/* How many WAL frames had their page rewritten without their header since
 * the process started (note 7 of vfs_io.c; the tests make sure the case is
 * exercised). */
extern uint64_t vfs_wal_rewrites;

/* ---- shared by vfs.c and vfs_io.c only ---- */

/* A data key and its sub-keys, in secure memory (vfs.c, note 3). */
struct vfs_key {
	int refs;                        /* slot + open files; under the registry lock */
	char slot[RUHU_VFS_SLOT_MAX];
	unsigned char *mem;              /* sodium_malloc: the fields below */
	const unsigned char *db;         /* sub-key for main database pages */
	const unsigned char *wal;        /* sub-key for WAL frames */
	const unsigned char *journal;    /* sub-key for rollback-journal pages */
	unsigned char kcv[RUHU_VFS_KCV_SIZE];
	struct vfs_key *next;
};

enum vfs_kind {
	VFS_MAIN = 1,   /* main database: page codec, page 1 special */
	VFS_WAL,        /* write-ahead log: frames */
	VFS_JOURNAL,    /* rollback journal: records classified by sequence */
	VFS_STREAM,     /* delete-on-close file: stream cipher, RAM-only key */
	VFS_PLAIN       /* super-journal: file names only */
};

/* An open file: our part, then the base VFS's file right after it. */
struct vfs_file {
	sqlite3_file base;               /* pMethods: ours */
	sqlite3_file *real;              /* the base VFS's file (just after) */
	enum vfs_kind kind;
	struct vfs_key *key;             /* MAIN, WAL, JOURNAL */
	const char *name;                /* as SQLite gave it, for messages */
	unsigned char *scratch;          /* one frame of ciphertext */
	size_t scratch_size;
	unsigned char pool[768];         /* random bytes for nonces */
	size_t pool_used;
	/* WAL: the last frame header written (note 7 of vfs_io.c) */
	sqlite3_int64 wal_hdr_off;
	uint32_t wal_hdr_pgno;
	/* journal: the last 4-byte write and read (note 8 of vfs_io.c) */
	sqlite3_int64 jw_off, jr_off;
	uint32_t jw_val, jr_val;
	/* stream files: per-file nonce (the key is process-wide) */
	unsigned char stream_nonce[24];
};

int vfs_io_read(struct vfs_file *f, void *buf, int amt, sqlite3_int64 off);
int vfs_io_write(struct vfs_file *f, const void *buf, int amt, sqlite3_int64 off);
/* Authenticate page `pgno` of a main database file as it is on disk:
 * 0 ok, 1 failed, or an SQLite error code of the read. */
int vfs_io_verify_page(struct vfs_file *f, uint32_t pgno, int psize);
/* The process-wide key of delete-on-close files (vfs.c). */
const unsigned char *vfs_stream_key(void);
/* Remember a page that failed authentication (vfs.c). */
void vfs_note_failure(const struct vfs_file *f, uint32_t pgno, uint32_t frame);

#endif
