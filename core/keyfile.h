/*
 * keyfile.h — the key file beside a replica's database: a random 32-byte
 * data key wrapped under an Argon2id key from the passphrase (internal to
 * core/; the format is the table at the top of keyfile.c).
 */
#ifndef RUHU_CORE_KEYFILE_H
#define RUHU_CORE_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define RUHU_KEYFILE_SIZE 128
#define RUHU_KEYFILE_AD_SIZE 80  /* bytes 0..79: the authenticated header */
#define RUHU_KEYFILE_KEY_SIZE 32
#define RUHU_KEYFILE_SALT_SIZE 16
#define RUHU_KEYFILE_KCV_SIZE 8

/* A parsed key file.  Holds no secret: the data key in it is sealed. */
struct ruhu_keyfile {
	uint64_t opslimit;
	uint64_t memlimit;   /* bytes */
	unsigned char salt[RUHU_KEYFILE_SALT_SIZE];
	unsigned char kcv[RUHU_KEYFILE_KCV_SIZE];
	unsigned char nonce[24];
	unsigned char sealed[RUHU_KEYFILE_KEY_SIZE + 16];
};

/* The Argon2id cost of a new key file when none is asked for: MODERATE
 * (3 passes, 256 MiB), about 0.5 s on the reference machine. */
#define RUHU_KDF_OPSLIMIT_DEFAULT 3ULL
#define RUHU_KDF_MEMLIMIT_DEFAULT (256ULL << 20)
/* The cheapest cost accepted (tests only: RUHU_TEST_KDF=fast in the CLI). */
#define RUHU_KDF_OPSLIMIT_MIN 1ULL
#define RUHU_KDF_MEMLIMIT_MIN 8192ULL
/* The dearest cost a key file may ask for (a bound against hostile files). */
#define RUHU_KDF_OPSLIMIT_MAX 64ULL
#define RUHU_KDF_MEMLIMIT_MAX (4ULL << 30)

/*
 * Parse `len` bytes at `buf`.  Every field is checked (size, magic, version,
 * algorithm, flags, cost bounds); a file that fails gets RUHU_ECORRUPT with a
 * message naming the field, prefixed by nothing (the caller names the file).
 * Never reads past buf + len.  A fuzz target.
 */
int ruhu_keyfile_parse(struct ruhu_keyfile *out, const unsigned char *buf, size_t len);

/* The RUHU_KEYFILE_SIZE bytes of a key file. */
void ruhu_keyfile_serialize(unsigned char out[RUHU_KEYFILE_SIZE], const struct ruhu_keyfile *kf);

/* Read and parse the key file at `path`: RUHU_ENOTFOUND when it is missing,
 * RUHU_ECORRUPT (naming the file) when it does not parse. */
int ruhu_keyfile_read(struct ruhu_keyfile *out, const char *path);

/*
 * Derive the 32-byte wrapping key from the passphrase with the file's salt
 * and cost into `kek` (caller's secure memory).  RUHU_ENOMEM when Argon2id
 * cannot get its memory.
 */
int ruhu_keyfile_derive(unsigned char *kek, const struct ruhu_keyfile *kf,
			const char *passphrase, size_t len);

/* Unseal the data key into `key` (32 bytes of secure memory): 0, or -1 when
 * the wrapping key is wrong (no message is set: the caller names the replica). */
int ruhu_keyfile_unwrap(unsigned char *key, const struct ruhu_keyfile *kf, const unsigned char *kek);

/* Seal `key` under `kek` with a fresh nonce; kf's cost and salt are kept and
 * its key check value is set from `key`. */
void ruhu_keyfile_wrap(struct ruhu_keyfile *kf, const unsigned char *key, const unsigned char *kek);

/* Fill in cost (0 = default; out of bounds = RUHU_EINVALID) and a random salt. */
int ruhu_keyfile_init(struct ruhu_keyfile *kf, uint64_t opslimit, uint64_t memlimit);

/*
 * Write the key file to `path` atomically: PATH.tmp is written and synced,
 * renamed over PATH, and the folder synced.  Errors name the path.
 */
int ruhu_keyfile_write(const char *path, const struct ruhu_keyfile *kf);

/* Write `len` bytes to a new file at `path` (mode 0600) the same way. */
int ruhu_write_atomic(const char *path, const void *data, size_t len);
/* fsync the folder that holds `path`. */
int ruhu_sync_parent(const char *path);
/* Map errno of a failed file operation to a ruhu error naming `path`. */
int ruhu_error_errno(int err, const char *what, const char *path);

#endif
