/*
 * core/sshsig.h — OpenSSH signatures (PROTOCOL.sshsig) with Ed25519 keys:
 * the format git uses for `gpg.format = ssh`, so that stock `git
 * verify-commit` and `ssh-keygen -Y verify` accept what ruhu signs.
 *
 * Design notes
 *  1. ruhu signs with hash "sha512" and key type "ssh-ed25519" only; it
 *     verifies "sha512" and "sha256" (both allowed by the protocol) and
 *     refuses every other key type.
 *  2. The armoured text is "-----BEGIN SSH SIGNATURE-----", base64 lines of
 *     70 characters, "-----END SSH SIGNATURE-----", with no newline at the
 *     end (libgit2 would otherwise add an empty header line to the commit).
 *     The parser accepts CR/LF line ends and whitespace around the armour.
 *  3. Armoured input is untrusted: at most RUHU_SSHSIG_MAX_ARMOUR bytes,
 *     every length field checked against the bytes left, no trailing bytes.
 *     Malformed input is RUHU_ECORRUPT; a well-formed signature that does
 *     not verify (wrong data, wrong namespace, wrong key) is RUHU_EAUTH.
 *
 *   Signature blob (frozen by OpenSSH; "string" = uint32 length + bytes):
 *   OFFSET  SIZE  DESCRIPTION
 *   0       6     "SSHSIG"
 *   6       4     version, 1
 *   10      4+51  string(public key blob) = string("ssh-ed25519") string(32-byte key)
 *   65      4+n   string(namespace), "git" for commits
 *   ...     4+0   string(reserved), empty
 *   ...     4+6   string(hash algorithm), "sha512"
 *   ...     4+83  string(signature blob) = string("ssh-ed25519") string(64-byte signature)
 *
 *   The Ed25519 signature covers: "SSHSIG" string(namespace) string(reserved)
 *   string(hash algorithm) string(H(message)).
 */
#ifndef RUHU_CORE_SSHSIG_H
#define RUHU_CORE_SSHSIG_H

#include <stddef.h>

#include "core/crypto.h"

#define RUHU_SSHSIG_GIT "git"
#define RUHU_SSHSIG_MAX_ARMOUR 16384

/**
 * Sign `data` for namespace `ns` (e.g. RUHU_SSHSIG_GIT) and append the
 * armoured signature (design note 2) to `out`.
 */
int ruhu_sshsig_sign(ruhu_buf *out, const ruhu_signkey *key, const char *ns, const void *data,
	size_t len);

/**
 * Check an armoured signature over `data` for namespace `ns`.  Returns 0 when
 * it verifies; RUHU_EAUTH when it is well formed but does not verify;
 * RUHU_ECORRUPT when it cannot be read.  `out_key` (may be NULL) gets the
 * signer's public key whenever the signature could be read (also on
 * RUHU_EAUTH), and is zeroed otherwise.  Knowing whether that key is
 * allowed is the caller's business.
 */
int ruhu_sshsig_verify(unsigned char out_key[32], const char *armoured, size_t armlen,
	const char *ns, const void *data, size_t len);

/** Append "ssh-ed25519 AAAA..." (and " comment" when not NULL) to `out`. */
int ruhu_sshsig_pubkey_line(ruhu_buf *out, const unsigned char pk[32], const char *comment);

/** Read the key of an "ssh-ed25519 AAAA... [comment]" line. */
int ruhu_sshsig_pubkey_parse(unsigned char out[32], const char *line, size_t len);

/**
 * Append an allowed-signers line (no newline) to `out`:
 *
 *   <principal> ssh-ed25519 AAAA...                                 (0)
 *   <principal> valid-before="YYYYMMDDHHMMSSZ" ssh-ed25519 AAAA...  (a time)
 *
 * `valid_before_ms` (UTC milliseconds since 1970; 0: no limit) is the time
 * from which the key no longer counts, a revocation's: OpenSSH then refuses
 * a signature it checks at or after that time (git checks a commit at its
 * committer time), as ruhu does.  OpenSSH's valid-before is inclusive and in
 * whole seconds, so the line carries the last whole second before
 * `valid_before_ms`, in UTC (the `Z`: OpenSSH reads a time without it in the
 * verifier's zone).  The principal must be printable, without spaces,
 * quotes, commas or the pattern characters * ? !; `valid_before_ms` must be
 * 0 or a time of the years 1970 to 9999 (RUHU_EINVALID).  On failure `out`
 * is as it was.
 */
int ruhu_sshsig_allowed_signer_line(ruhu_buf *out, const char *principal,
	const unsigned char pk[32], int64_t valid_before_ms);

#endif
