/*
 * keyfile.c — the key file of a replica (DIR/replica.key): its format, its
 * parser, and atomic replacement.
 *
 * Design notes
 *  1. The data key of a replica is 32 random bytes.  The key file holds it
 *     sealed with XChaCha20-Poly1305 under a wrapping key derived from the
 *     passphrase by Argon2id; the cost and salt are stored in the file and
 *     the whole header is the associated data, so a changed cost, salt or
 *     key check value fails like a wrong passphrase.
 *  2. The key check value (KCV) is the one page 1 of the database carries
 *     (vfs.c), in clear: a key file of another replica is recognised before
 *     any passphrase is tried, and an interrupted rekey can be finished
 *     without one.
 *  3. A passphrase change rewraps the same data key (new salt, new nonce); a
 *     rekey wraps a new data key under the same wrapping key.  Either way the
 *     file is replaced atomically: write PATH.tmp, fsync, rename, fsync the
 *     folder.  A crash leaves the old or the new file, never a mix.
 *  4. The parser is a fuzz target: it checks the length first and every
 *     field after, and bounds the cost so that a hostile file cannot make
 *     Argon2id take unbounded time or memory.
 *
 * Format (frozen; version 1).  Integers are big-endian.
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      8    magic "ruhu-key"
 *   8      1    format version, 1
 *   9      1    KDF: 1 = Argon2id v1.3 (crypto_pwhash_ALG_ARGON2ID13)
 *   10     2    flags, 0
 *   12     4    reserved, 0
 *   16     8    Argon2id opslimit (passes), 1..64
 *   24     8    Argon2id memlimit in bytes, 8 KiB..4 GiB
 *   32     16   salt, random
 *   48     8    key check value of the data key (= replica.db page 1 bytes 8..15)
 *   56     24   nonce of the seal, random
 *   80     32   data key, XChaCha20-Poly1305 ciphertext; associated data: bytes 0..79
 *   112    16   Poly1305 tag
 *   128         end of file (the file is exactly 128 bytes)
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/keyfile.h"
#include "core/vfs.h"
#include "ruhu/common.h"

static const unsigned char magic[8] = { 'r', 'u', 'h', 'u', '-', 'k', 'e', 'y' };

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

int ruhu_keyfile_parse(struct ruhu_keyfile *out, const unsigned char *buf, size_t len)
{
	memset(out, 0, sizeof(*out));
	if (len != RUHU_KEYFILE_SIZE)
		return ruhu_error_set(RUHU_ECORRUPT, "size is %zu bytes, not %d", len, RUHU_KEYFILE_SIZE);
	if (memcmp(buf, magic, sizeof(magic)) != 0)
		return ruhu_error_set(RUHU_ECORRUPT, "it is not a ruhu key file");
	if (buf[8] != 1)
		return ruhu_error_set(RUHU_ECORRUPT, "format version %u is not supported", buf[8]);
	if (buf[9] != 1)
		return ruhu_error_set(RUHU_ECORRUPT, "key derivation %u is not supported", buf[9]);
	for (int i = 10; i < 16; i++)
		if (buf[i] != 0)
			return ruhu_error_set(RUHU_ECORRUPT, "unknown flags are set");
	out->opslimit = get_be64(buf + 16);
	out->memlimit = get_be64(buf + 24);
	if (out->opslimit < RUHU_KDF_OPSLIMIT_MIN || out->opslimit > RUHU_KDF_OPSLIMIT_MAX)
		return ruhu_error_set(RUHU_ECORRUPT, "argon2id opslimit %llu is out of bounds",
				      (unsigned long long)out->opslimit);
	if (out->memlimit < RUHU_KDF_MEMLIMIT_MIN || out->memlimit > RUHU_KDF_MEMLIMIT_MAX)
		return ruhu_error_set(RUHU_ECORRUPT, "argon2id memlimit %llu is out of bounds",
				      (unsigned long long)out->memlimit);
	memcpy(out->salt, buf + 32, sizeof(out->salt));
	memcpy(out->kcv, buf + 48, sizeof(out->kcv));
	memcpy(out->nonce, buf + 56, sizeof(out->nonce));
	memcpy(out->sealed, buf + 80, sizeof(out->sealed));
	return 0;
}

void ruhu_keyfile_serialize(unsigned char out[RUHU_KEYFILE_SIZE], const struct ruhu_keyfile *kf)
{
	memset(out, 0, RUHU_KEYFILE_SIZE);
	memcpy(out, magic, sizeof(magic));
	out[8] = 1;
	out[9] = 1;
	put_be64(out + 16, kf->opslimit);
	put_be64(out + 24, kf->memlimit);
	memcpy(out + 32, kf->salt, sizeof(kf->salt));
	memcpy(out + 48, kf->kcv, sizeof(kf->kcv));
	memcpy(out + 56, kf->nonce, sizeof(kf->nonce));
	memcpy(out + 80, kf->sealed, sizeof(kf->sealed));
}

int ruhu_keyfile_read(struct ruhu_keyfile *out, const char *path)
{
	unsigned char buf[RUHU_KEYFILE_SIZE + 1];
	ssize_t n;
	size_t len = 0;
	int fd, error = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return ruhu_error_set(RUHU_ENOTFOUND, "key file %s is missing", path);
		return ruhu_error_errno(errno, "cannot open key file", path);
	}
	while (len < sizeof(buf)) {
		if ((n = read(fd, buf + len, sizeof(buf) - len)) < 0) {
			if (errno == EINTR)
				continue;
			error = ruhu_error_errno(errno, "cannot read key file", path);
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if ((error = ruhu_keyfile_parse(out, buf, len)) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", ruhu_error_last());
		error = ruhu_error_set(RUHU_ECORRUPT, "key file %s is damaged: %s", path, why);
	}
done:
	close(fd);
	return error;
}

int ruhu_keyfile_init(struct ruhu_keyfile *kf, uint64_t opslimit, uint64_t memlimit)
{
	memset(kf, 0, sizeof(*kf));
	kf->opslimit = opslimit ? opslimit : RUHU_KDF_OPSLIMIT_DEFAULT;
	kf->memlimit = memlimit ? memlimit : RUHU_KDF_MEMLIMIT_DEFAULT;
	if (kf->opslimit < RUHU_KDF_OPSLIMIT_MIN || kf->opslimit > RUHU_KDF_OPSLIMIT_MAX)
		return ruhu_error_set(RUHU_EINVALID, "argon2id opslimit must be %llu..%llu",
				      RUHU_KDF_OPSLIMIT_MIN, RUHU_KDF_OPSLIMIT_MAX);
	if (kf->memlimit < RUHU_KDF_MEMLIMIT_MIN || kf->memlimit > RUHU_KDF_MEMLIMIT_MAX)
		return ruhu_error_set(RUHU_EINVALID, "argon2id memlimit must be %llu..%llu bytes",
				      RUHU_KDF_MEMLIMIT_MIN, RUHU_KDF_MEMLIMIT_MAX);
	randombytes_buf(kf->salt, sizeof(kf->salt));
	return 0;
}

int ruhu_keyfile_derive(unsigned char *kek, const struct ruhu_keyfile *kf,
			const char *passphrase, size_t len)
{
	if (crypto_pwhash(kek, RUHU_KEYFILE_KEY_SIZE, passphrase, len, kf->salt,
			  kf->opslimit, (size_t)kf->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return ruhu_error_set(RUHU_ENOMEM, "out of memory deriving the passphrase key "
				      "(argon2id needs %llu MiB)", (unsigned long long)(kf->memlimit >> 20));
	return 0;
}

int ruhu_keyfile_unwrap(unsigned char *key, const struct ruhu_keyfile *kf, const unsigned char *kek)
{
	unsigned char ad[RUHU_KEYFILE_SIZE], k[32];
	int rc;

	ruhu_keyfile_serialize(ad, kf);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(key, NULL, NULL, kf->sealed,
		sizeof(kf->sealed), ad, RUHU_KEYFILE_AD_SIZE, kf->nonce, kek);
	if (rc != 0)
		return -1;
	/* the key check value is authenticated; a mismatch is a forged file */
	ruhu_vfs_kcv(k, key);
	rc = sodium_memcmp(k, kf->kcv, RUHU_KEYFILE_KCV_SIZE) == 0 ? 0 : -1;
	sodium_memzero(k, sizeof(k));
	if (rc)
		sodium_memzero(key, RUHU_KEYFILE_KEY_SIZE);
	return rc;
}

void ruhu_keyfile_wrap(struct ruhu_keyfile *kf, const unsigned char *key, const unsigned char *kek)
{
	unsigned char ad[RUHU_KEYFILE_SIZE];

	ruhu_vfs_kcv(kf->kcv, key);
	randombytes_buf(kf->nonce, sizeof(kf->nonce));
	ruhu_keyfile_serialize(ad, kf);
	crypto_aead_xchacha20poly1305_ietf_encrypt(kf->sealed, NULL, key, RUHU_KEYFILE_KEY_SIZE,
		ad, RUHU_KEYFILE_AD_SIZE, NULL, kf->nonce, kek);
}

int ruhu_error_errno(int err, const char *what, const char *path)
{
	if (err == ENOSPC || err == EDQUOT)
		return ruhu_error_set(RUHU_ENOSPACE, "no space left on device (%s %s)", what, path);
	if (err == EROFS)
		return ruhu_error_set(RUHU_EREADONLY, "%s %s: read-only file system", what, path);
	if (err == ENOENT)
		return ruhu_error_set(RUHU_ENOTFOUND, "%s %s: %s", what, path, strerror(err));
	return ruhu_error_set(RUHU_ERROR, "%s %s: %s", what, path, strerror(err));
}

int ruhu_sync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd, error = 0;

	if (copy == NULL)
		return ruhu_error_oom();
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		error = ruhu_error_errno(errno, "cannot open the folder of", path);
		goto done;
	}
	if (fsync(fd) < 0)
		error = ruhu_error_errno(errno, "cannot sync the folder of", path);
	close(fd);
done:
	free(copy);
	return error;
}

int ruhu_write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[4096];
	const unsigned char *p = data;
	int fd = -1, error = 0, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return ruhu_error_set(RUHU_EINVALID, "path %s is too long", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return ruhu_error_errno(errno, "cannot create", tmp);
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			error = ruhu_error_errno(errno, "cannot write", tmp);
			goto done;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0) {
		error = ruhu_error_errno(errno, "cannot sync", tmp);
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		error = ruhu_error_errno(errno, "cannot close", tmp);
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error = ruhu_error_errno(errno, "cannot replace", path);
		goto done;
	}
	error = ruhu_sync_parent(path);
done:
	if (fd >= 0)
		close(fd);
	if (error < 0)
		unlink(tmp);
	return error;
}

int ruhu_keyfile_write(const char *path, const struct ruhu_keyfile *kf)
{
	unsigned char buf[RUHU_KEYFILE_SIZE];

	ruhu_keyfile_serialize(buf, kf);
	return ruhu_write_atomic(path, buf, sizeof(buf));
}
