/*
 * vfs_io.c — how the encrypting VFS reads and writes each kind of file: the
 * page codec, and the I/O patterns of SQLite 3.40 it relies on.
 *
 * Design notes
 *  1. Page format (frozen; docs/encryption.md has the table).  A page of P
 *     bytes keeps its last 40 bytes for a 24-byte random nonce and a 16-byte
 *     Poly1305 tag; bytes [0, P-40) are XChaCha20-Poly1305 ciphertext and the
 *     associated data is the page number, big-endian.  Main database page 1
 *     differs: bytes 0..7 are the magic, 8..15 the key check value, 16..23
 *     SQLite's own header bytes in clear (page size, versions, reserve,
 *     payload fractions), the ciphertext covers [24, P-40), and the associated
 *     data is the page number followed by bytes 0..23 as stored.  Reading page
 *     1 gives SQLite its "SQLite format 3" back.
 *  2. Fail closed: a page write whose last 40 bytes are not zero, a page 1
 *     whose header reserves fewer than 40 bytes, or a write of a shape that
 *     is not a page where only pages may go is refused (SQLITE_IOERR_WRITE):
 *     nothing is ever written in clear.
 *  3. After every decryption the 40 reserved bytes are zeroed: SQLite wrote
 *     zeros there, and its WAL and journal checksums cover them.
 *  4. A page that fails authentication reads as SQLITE_IOERR_DATA, its file
 *     and page remembered for the message (vfs.c), never as wrong data.
 *  5. Main page 1, partial reads (100 bytes at open, 16 bytes at offset 24 at
 *     each read transaction in rollback mode): the whole page is read and
 *     decrypted.  A page 1 that does not authenticate on a partial read is a
 *     torn write (power loss during a commit or a checkpoint): the answer is
 *     a synthetic header ("SQLite format 3", the clear bytes 16..23, zeros)
 *     so that the hot journal or the WAL can repair it; the full read after
 *     recovery reports the damage if it is still there.  A page 1 of zeros (a
 *     new database's first transaction writes page 1 last) reads as zeros,
 *     which SQLite takes for an empty header.  A foreign key check value or a
 *     plain SQLite header is SQLITE_NOTADB at once, before any recovery can
 *     run with the wrong key.  A first sector that is neither (garbage left
 *     by a write torn by power loss) reads as SQLite's magic with no page
 *     size, so that the hot journal or the WAL can repair it; replica.c lets
 *     such a file through only when a journal or WAL is there.
 *  6. Other main pages are placed by offset and size alone (offset / P + 1):
 *     page 1 need not exist yet when a new database's first pages are
 *     written, so the page size is never taken from it.
 *  7. WAL: a 32-byte header, then frames of a 24-byte header and a page; all
 *     headers stay in clear.  SQLite writes a frame as two calls (header,
 *     page), may rewrite only the page of a frame of the current transaction,
 *     reads pages alone, and reads header and page in ONE call during
 *     recovery and checksum rewriting.  The page number for the associated
 *     data comes from the header written just before, else from the header on
 *     disk.  A frame that fails authentication in a header+page read gets page
 *     number 0, so that SQLite takes it for a torn frame and stops at the last
 *     good commit (its own answer to a torn write); a page-only read of it is
 *     SQLITE_IOERR_DATA.
 *  8. Rollback journal: a record is three calls (4-byte page number, page,
 *     4-byte checksum), so a page-sized access at X is a page only directly
 *     after a 4-byte access at X-4 whose value is a page number (not 0, not
 *     the lock page).  Journal headers are sector-sized and often exactly
 *     page-sized: size alone would encrypt them.  Headers and super-journal
 *     names stay in clear; a page-sized write that is neither a record's page
 *     nor shaped like a header is refused.
 *  9. Delete-on-close files are XChaCha20 streams under a process-wide key
 *     that never leaves RAM, a random nonce per file, addressed by offset;
 *     bytes past the end of the file read as zeros, as SQLite expects.
 * 10. Nonces come from a per-file pool refilled by randombytes_buf, so a page
 *     write makes no system call of its own.  A replica must not be used on
 *     both sides of fork() (SQLite forbids it as well).
 */
#include <string.h>

#include <sodium.h>

#include "core/vfs.h"

static const unsigned char sqlite_magic[16] = "SQLite format 3";

/* how many WAL pages were rewritten without their header (tests read it) */
uint64_t vfs_wal_rewrites;

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int is_page_size(sqlite3_int64 n)
{
	return n >= 512 && n <= 65536 && (n & (n - 1)) == 0;
}

static int all_zero(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;

	while (n--)
		acc |= *p++;
	return acc == 0;
}

/* The page size in clear bytes 16..17 of page 1 (1 means 65536), or 0. */
static int header_page_size(const unsigned char *head)
{
	int p = head[16] << 8 | head[17];

	if (p == 1)
		p = 65536;
	return is_page_size(p) ? p : 0;
}

static int base_read(struct vfs_file *f, void *buf, int amt, sqlite3_int64 off)
{
	return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int base_write(struct vfs_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	return f->real->pMethods->xWrite(f->real, buf, amt, off);
}

static int scratch(struct vfs_file *f, size_t size)
{
	unsigned char *p;

	if (f->scratch_size >= size)
		return SQLITE_OK;
	if ((p = sqlite3_realloc64(f->scratch, size)) == NULL)
		return SQLITE_NOMEM;
	f->scratch = p;
	f->scratch_size = size;
	return SQLITE_OK;
}

static void next_nonce(struct vfs_file *f, unsigned char *out)
{
	if (f->pool_used + RUHU_VFS_NONCE > sizeof(f->pool)) {
		randombytes_buf(f->pool, sizeof(f->pool));
		f->pool_used = 0;
	}
	memcpy(out, f->pool + f->pool_used, RUHU_VFS_NONCE);
	sodium_memzero(f->pool + f->pool_used, RUHU_VFS_NONCE);
	f->pool_used += RUHU_VFS_NONCE;
}

/* Note 1: encrypt a P-byte page from `in` into `out`. */
static void seal(struct vfs_file *f, const unsigned char *key, unsigned char *out,
		 const unsigned char *in, int psize, uint32_t pgno, int page1)
{
	unsigned char ad[4 + 24];
	size_t adlen = 4, start = 0;
	unsigned char *nonce = out + psize - RUHU_VFS_RESERVE;
	unsigned char *tag = nonce + RUHU_VFS_NONCE;

	put_be32(ad, pgno);
	if (page1) {
		memcpy(out, RUHU_VFS_MAGIC, RUHU_VFS_MAGIC_SIZE);
		memcpy(out + 8, f->key->kcv, RUHU_VFS_KCV_SIZE);
		memcpy(out + 16, in + 16, 8);
		memcpy(ad + 4, out, 24);
		adlen += 24;
		start = 24;
	}
	next_nonce(f, nonce);
	crypto_aead_xchacha20poly1305_ietf_encrypt_detached(out + start, tag, NULL,
		in + start, (size_t)psize - RUHU_VFS_RESERVE - start, ad, adlen, NULL, nonce, key);
}

/* Note 1 and 3: authenticate and decrypt `in` into `out` (may be the same
 * buffer); 0, or -1 when the page does not authenticate. */
static int unseal(const unsigned char *key, unsigned char *out, const unsigned char *in,
		  int psize, uint32_t pgno, int page1)
{
	unsigned char ad[4 + 24], nonce[RUHU_VFS_NONCE], tag[RUHU_VFS_TAG];
	size_t adlen = 4, start = 0;

	put_be32(ad, pgno);
	if (page1) {
		memcpy(ad + 4, in, 24);
		adlen += 24;
		start = 24;
	}
	memcpy(nonce, in + psize - RUHU_VFS_RESERVE, RUHU_VFS_NONCE);
	memcpy(tag, in + psize - RUHU_VFS_TAG, RUHU_VFS_TAG);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(out + start, NULL,
			in + start, (size_t)psize - RUHU_VFS_RESERVE - start, tag, ad, adlen,
			nonce, key) != 0)
		return -1;
	memset(out + psize - RUHU_VFS_RESERVE, 0, RUHU_VFS_RESERVE);
	if (page1) {
		if (out != in)
			memcpy(out + 16, in + 16, 8);
		memcpy(out, sqlite_magic, sizeof(sqlite_magic));
	}
	return 0;
}

/* Note 2: may this plaintext page be written at all? */
static int writable_page(const unsigned char *page, int psize, int page1)
{
	if (!all_zero(page + psize - RUHU_VFS_RESERVE, RUHU_VFS_RESERVE))
		return 0;
	if (page1 && (memcmp(page, sqlite_magic, sizeof(sqlite_magic)) != 0 ||
		      header_page_size(page) != psize || page[20] < RUHU_VFS_RESERVE))
		return 0;
	return 1;
}

/* Note 5: is the clear start of page 1 ours and of this key? */
static int page1_head_ok(const struct vfs_file *f, const unsigned char *head)
{
	return memcmp(head, RUHU_VFS_MAGIC, RUHU_VFS_MAGIC_SIZE) == 0 &&
	       sodium_memcmp(head + 8, f->key->kcv, RUHU_VFS_KCV_SIZE) == 0 &&
	       header_page_size(head) != 0 && head[20] >= RUHU_VFS_RESERVE;
}

/* ---- main database ---- */

static int main_read_page1_part(struct vfs_file *f, unsigned char *buf, int amt,
				sqlite3_int64 off)
{
	unsigned char head[24];
	int rc, psize;

	rc = base_read(f, head, sizeof(head), 0);
	if (rc == SQLITE_IOERR_SHORT_READ || (rc == SQLITE_OK && all_zero(head, sizeof(head)))) {
		memset(buf, 0, (size_t)amt);
		return rc;
	}
	if (rc != SQLITE_OK)
		return rc;
	if (!page1_head_ok(f, head)) {
		if (memcmp(head, RUHU_VFS_MAGIC, RUHU_VFS_MAGIC_SIZE) == 0 ||
		    memcmp(head, sqlite_magic, sizeof(sqlite_magic)) == 0)
			return SQLITE_NOTADB;
		/* neither ours nor SQLite's: a first sector torn by power loss;
		 * a header with no page size (SQLite takes its default until the
		 * journal or the WAL says otherwise) lets recovery run */
		memset(buf, 0, (size_t)amt);
		if (off < (sqlite3_int64)sizeof(sqlite_magic))
			memcpy(buf, sqlite_magic + off,
			       (size_t)(sizeof(sqlite_magic) - (size_t)off) < (size_t)amt ?
			       sizeof(sqlite_magic) - (size_t)off : (size_t)amt);
		return SQLITE_OK;
	}
	psize = header_page_size(head);
	if (off + amt > psize)
		return SQLITE_IOERR_READ;
	if ((rc = scratch(f, (size_t)psize)) != SQLITE_OK)
		return rc;
	rc = base_read(f, f->scratch, psize, 0);
	if (rc == SQLITE_OK && unseal(f->key->db, f->scratch, f->scratch, psize, 1, 1) == 0) {
		memcpy(buf, f->scratch + off, (size_t)amt);
	} else if (rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ) {
		/* torn page 1: a synthetic header, recovery will repair it */
		memset(f->scratch, 0, (size_t)psize);
		memcpy(f->scratch, sqlite_magic, sizeof(sqlite_magic));
		memcpy(f->scratch + 16, head + 16, 8);
		memcpy(buf, f->scratch + off, (size_t)amt);
		rc = SQLITE_OK;
	}
	sodium_memzero(f->scratch, (size_t)psize);
	return rc;
}

static int main_read(struct vfs_file *f, unsigned char *buf, int amt, sqlite3_int64 off)
{
	uint32_t pgno;
	int rc;

	if (!is_page_size(amt) || off % amt != 0) {
		if (off >= 0 && off + amt <= 65536)
			return main_read_page1_part(f, buf, amt, off);
		return SQLITE_IOERR_READ;
	}
	pgno = (uint32_t)(off / amt) + 1;
	rc = base_read(f, buf, amt, off);
	if (rc == SQLITE_IOERR_SHORT_READ) {
		/* past the end of the file, or a page cut short: not a page */
		memset(buf, 0, (size_t)amt);
		return rc;
	}
	if (rc != SQLITE_OK)
		return rc;
	if (pgno == 1) {
		if (all_zero(buf, (size_t)amt))
			return SQLITE_OK;
		if (!page1_head_ok(f, buf) || header_page_size(buf) != amt)
			return SQLITE_NOTADB;
	}
	if (unseal(f->key->db, buf, buf, amt, pgno, pgno == 1) != 0) {
		vfs_note_failure(f, pgno, 0);
		memset(buf, 0, (size_t)amt);
		return SQLITE_IOERR_DATA;
	}
	return SQLITE_OK;
}

static int main_write(struct vfs_file *f, const unsigned char *buf, int amt, sqlite3_int64 off)
{
	uint32_t pgno;
	int rc;

	if (!is_page_size(amt) || off % amt != 0)
		return SQLITE_IOERR_WRITE;
	pgno = (uint32_t)(off / amt) + 1;
	if (!writable_page(buf, amt, pgno == 1))
		return SQLITE_IOERR_WRITE;
	if ((rc = scratch(f, (size_t)amt)) != SQLITE_OK)
		return rc;
	seal(f, f->key->db, f->scratch, buf, amt, pgno, pgno == 1);
	return base_write(f, f->scratch, amt, off);
}

int vfs_io_verify_page(struct vfs_file *f, uint32_t pgno, int psize)
{
	sqlite3_int64 off = (sqlite3_int64)(pgno - 1) * psize;
	int rc, bad;

	if ((rc = scratch(f, (size_t)psize)) != SQLITE_OK)
		return rc;
	if ((rc = base_read(f, f->scratch, psize, off)) != SQLITE_OK)
		return rc == SQLITE_IOERR_SHORT_READ ? 1 : rc;
	bad = (pgno == 1 && (!page1_head_ok(f, f->scratch) || header_page_size(f->scratch) != psize)) ||
	      unseal(f->key->db, f->scratch, f->scratch, psize, pgno, pgno == 1) != 0;
	sodium_memzero(f->scratch, (size_t)psize);
	return bad;
}

/* ---- WAL ---- */

#define WAL_HDR 32
#define FRAME_HDR 24

static int wal_read(struct vfs_file *f, unsigned char *buf, int amt, sqlite3_int64 off)
{
	int rc, psize;
	uint32_t pgno;

	if (amt < 512)
		return base_read(f, buf, amt, off); /* WAL header, checksums */
	if (is_page_size(amt - FRAME_HDR)) {
		/* note 7: recovery reads header and page in one call */
		psize = amt - FRAME_HDR;
		rc = base_read(f, buf, amt, off);
		if (rc != SQLITE_OK) {
			if (rc == SQLITE_IOERR_SHORT_READ)
				memset(buf, 0, (size_t)amt);
			return rc;
		}
		pgno = get_be32(buf);
		if (pgno != 0 && unseal(f->key->wal, buf + FRAME_HDR, buf + FRAME_HDR,
					psize, pgno, 0) != 0) {
			put_be32(buf, 0); /* a torn frame to SQLite */
			memset(buf + FRAME_HDR, 0, (size_t)psize);
		}
		return SQLITE_OK;
	}
	if (!is_page_size(amt) || off < WAL_HDR + FRAME_HDR)
		return SQLITE_IOERR_READ;
	/* a page alone: read its header with it, for the page number */
	if ((rc = scratch(f, (size_t)amt + FRAME_HDR)) != SQLITE_OK)
		return rc;
	rc = base_read(f, f->scratch, amt + FRAME_HDR, off - FRAME_HDR);
	if (rc == SQLITE_IOERR_SHORT_READ) {
		memset(buf, 0, (size_t)amt);
		return rc;
	}
	if (rc != SQLITE_OK)
		return rc;
	pgno = get_be32(f->scratch);
	if (unseal(f->key->wal, buf, f->scratch + FRAME_HDR, amt, pgno, 0) != 0) {
		vfs_note_failure(f, pgno, (uint32_t)((off - FRAME_HDR - WAL_HDR) / (amt + FRAME_HDR)) + 1);
		memset(buf, 0, (size_t)amt);
		return SQLITE_IOERR_DATA;
	}
	return SQLITE_OK;
}

static int wal_write(struct vfs_file *f, const unsigned char *buf, int amt, sqlite3_int64 off)
{
	unsigned char hdr[4];
	uint32_t pgno;
	int rc;

	if ((amt == WAL_HDR && off == 0) || amt == FRAME_HDR) {
		if (amt == FRAME_HDR) {
			f->wal_hdr_off = off;
			f->wal_hdr_pgno = get_be32(buf);
		}
		return base_write(f, buf, amt, off);
	}
	if (is_page_size(amt - FRAME_HDR)) {
		/* header and page in one call (SQLite 3.40 does not, but may) */
		pgno = get_be32(buf);
		if (pgno == 0 || !writable_page(buf + FRAME_HDR, amt - FRAME_HDR, 0))
			return SQLITE_IOERR_WRITE;
		if ((rc = scratch(f, (size_t)amt)) != SQLITE_OK)
			return rc;
		memcpy(f->scratch, buf, FRAME_HDR);
		seal(f, f->key->wal, f->scratch + FRAME_HDR, buf + FRAME_HDR, amt - FRAME_HDR, pgno, 0);
		f->wal_hdr_off = off;
		f->wal_hdr_pgno = pgno;
		return base_write(f, f->scratch, amt, off);
	}
	if (!is_page_size(amt) || off < WAL_HDR + FRAME_HDR || !writable_page(buf, amt, 0))
		return SQLITE_IOERR_WRITE;
	if (f->wal_hdr_off == off - FRAME_HDR) {
		pgno = f->wal_hdr_pgno;
	} else {
		/* note 7: a page rewritten alone; its header is on disk */
		__atomic_fetch_add(&vfs_wal_rewrites, 1, __ATOMIC_RELAXED);
		if ((rc = base_read(f, hdr, sizeof(hdr), off - FRAME_HDR)) != SQLITE_OK)
			return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_WRITE : rc;
		pgno = get_be32(hdr);
	}
	if (pgno == 0)
		return SQLITE_IOERR_WRITE;
	if ((rc = scratch(f, (size_t)amt)) != SQLITE_OK)
		return rc;
	seal(f, f->key->wal, f->scratch, buf, amt, pgno, 0);
	return base_write(f, f->scratch, amt, off);
}

/* ---- rollback journal ---- */

static int journal_page_no(uint32_t v, int psize)
{
	return v != 0 && v != (uint32_t)(0x40000000 / psize) + 1;
}

static int journal_read(struct vfs_file *f, unsigned char *buf, int amt, sqlite3_int64 off)
{
	int rc, page = is_page_size(amt) && off >= 4 && f->jr_off == off - 4 &&
		       journal_page_no(f->jr_val, amt);
	uint32_t pgno = f->jr_val;

	f->jr_off = -1;
	rc = base_read(f, buf, amt, off);
	if (amt == 4 && rc == SQLITE_OK) {
		f->jr_off = off;
		f->jr_val = get_be32(buf);
	}
	if (!page || rc != SQLITE_OK) {
		if (page)
			memset(buf, 0, (size_t)amt);
		return rc;
	}
	if (unseal(f->key->journal, buf, buf, amt, pgno, 0) != 0) {
		vfs_note_failure(f, pgno, 0);
		memset(buf, 0, (size_t)amt);
		return SQLITE_IOERR_DATA;
	}
	return SQLITE_OK;
}

/* A journal header: [0,8) magic or zeros, 20 bytes of fields, then zeros. */
static int journal_header_shaped(const unsigned char *buf, int amt)
{
	return amt > 28 && all_zero(buf + 28, (size_t)amt - 28);
}

static int journal_write(struct vfs_file *f, const unsigned char *buf, int amt, sqlite3_int64 off)
{
	int rc, after4 = off >= 4 && f->jw_off == off - 4;
	uint32_t pgno = f->jw_val;

	f->jw_off = -1;
	if (amt == 4) {
		f->jw_off = off;
		f->jw_val = get_be32(buf);
		return base_write(f, buf, amt, off);
	}
	if (!is_page_size(amt))
		return base_write(f, buf, amt, off);
	if (!after4 || !journal_page_no(pgno, amt)) {
		/* a header, or a super-journal name after the lock-page marker */
		if (after4 || journal_header_shaped(buf, amt))
			return base_write(f, buf, amt, off);
		return SQLITE_IOERR_WRITE;
	}
	if (!writable_page(buf, amt, 0))
		return SQLITE_IOERR_WRITE;
	if ((rc = scratch(f, (size_t)amt)) != SQLITE_OK)
		return rc;
	seal(f, f->key->journal, f->scratch, buf, amt, pgno, 0);
	return base_write(f, f->scratch, amt, off);
}

/* ---- delete-on-close files (note 9) ---- */

static void stream_xor(struct vfs_file *f, unsigned char *buf, size_t len, sqlite3_int64 off)
{
	const unsigned char *key = vfs_stream_key();
	uint64_t block = (uint64_t)off / 64;
	size_t skip = (size_t)((uint64_t)off % 64);

	if (skip && len) {
		unsigned char ks[64] = { 0 };
		size_t n = 64 - skip < len ? 64 - skip : len;

		crypto_stream_xchacha20_xor_ic(ks, ks, sizeof(ks), f->stream_nonce, block, key);
		for (size_t i = 0; i < n; i++)
			buf[i] ^= ks[skip + i];
		sodium_memzero(ks, sizeof(ks));
		buf += n;
		len -= n;
		block++;
	}
	if (len)
		crypto_stream_xchacha20_xor_ic(buf, buf, len, f->stream_nonce, block, key);
}

static int stream_read(struct vfs_file *f, unsigned char *buf, int amt, sqlite3_int64 off)
{
	sqlite3_int64 size = 0;
	size_t valid = (size_t)amt;
	int rc = base_read(f, buf, amt, off);

	if (rc == SQLITE_IOERR_SHORT_READ) {
		if (f->real->pMethods->xFileSize(f->real, &size) != SQLITE_OK)
			return SQLITE_IOERR_READ;
		valid = size > off ? (size_t)(size - off) : 0;
		if (valid > (size_t)amt)
			valid = (size_t)amt;
	} else if (rc != SQLITE_OK) {
		return rc;
	}
	stream_xor(f, buf, valid, off);
	return rc;
}

static int stream_write(struct vfs_file *f, const unsigned char *buf, int amt, sqlite3_int64 off)
{
	int rc;

	if ((rc = scratch(f, (size_t)amt)) != SQLITE_OK)
		return rc;
	memcpy(f->scratch, buf, (size_t)amt);
	stream_xor(f, f->scratch, (size_t)amt, off);
	return base_write(f, f->scratch, amt, off);
}

/* ---- dispatch ---- */

int vfs_io_read(struct vfs_file *f, void *buf, int amt, sqlite3_int64 off)
{
	switch (f->kind) {
	case VFS_MAIN: return main_read(f, buf, amt, off);
	case VFS_WAL: return wal_read(f, buf, amt, off);
	case VFS_JOURNAL: return journal_read(f, buf, amt, off);
	case VFS_STREAM: return stream_read(f, buf, amt, off);
	case VFS_PLAIN: return base_read(f, buf, amt, off);
	}
	return SQLITE_IOERR_READ;
}

int vfs_io_write(struct vfs_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	switch (f->kind) {
	case VFS_MAIN: return main_write(f, buf, amt, off);
	case VFS_WAL: return wal_write(f, buf, amt, off);
	case VFS_JOURNAL: return journal_write(f, buf, amt, off);
	case VFS_STREAM: return stream_write(f, buf, amt, off);
	case VFS_PLAIN: return base_write(f, buf, amt, off);
	}
	return SQLITE_IOERR_WRITE;
}
