/*
 * ruhu/common.h — the error type, the byte buffer and the version, shared by
 * every module of libruhu.
 *
 * Design notes
 *  1. A function that can fail returns int: 0 on success, or a negative
 *     ruhu_error_code.  The message is set once, where the failure is found,
 *     into a thread-local last error (ruhu_error_set); callers pass the code up
 *     unchanged and never overwrite the message.
 *  2. Codes are append-only: a value, once released, keeps its meaning.
 *  3. Messages are one line, lowercase, with no full stop, and name the thing
 *     ("wrong passphrase for replica /data/tab-07"), never a number alone.
 *     They never hold a passphrase, a key or personal data.
 *  4. A ruhu_buf owns its bytes.  ruhu_buf_dispose() frees them and leaves an
 *     empty buffer; every function that grows a buffer keeps ptr[size] == 0 so
 *     that text can be used as a C string.  On allocation failure the buffer is
 *     left as it was and RUHU_ENOMEM is returned.
 */
#ifndef RUHU_COMMON_H
#define RUHU_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RUHU_VERSION "0.1.0"

/** Error codes (design note 2: append-only). */
typedef enum {
	RUHU_OK = 0,
	RUHU_ERROR = -1,     /**< anything without a more specific code */
	RUHU_ENOTFOUND = -2, /**< a record, commit, ref, item, file is missing */
	RUHU_EEXISTS = -3,   /**< something to be created is already there */
	RUHU_ECONFLICT = -4, /**< concurrent change, divergence, refused merge */
	RUHU_ECORRUPT = -5,  /**< damaged or altered data (page, object, bundle) */
	RUHU_EAUTH = -6,     /**< wrong passphrase, bad or unknown signature */
	RUHU_ESCHEMA = -7,   /**< schema or catalogue refused, version mismatch */
	RUHU_EBUSY = -8,     /**< the replica is locked by another process */
	RUHU_EREVOKED = -9,  /**< the device has been revoked */
	RUHU_EINVALID = -10, /**< bad input: a value, an argument, a file */
	RUHU_ENOSPACE = -11, /**< no space left on device */
	RUHU_ENOMEM = -12,   /**< out of memory */
	RUHU_EWAITING = -13, /**< a bundle waits for commits not yet received */
	RUHU_EREADONLY = -14 /**< read-only file system or replica */
} ruhu_error_code;

/**
 * Set the calling thread's last error and return `code` (so that a caller can
 * write `return ruhu_error_set(RUHU_EINVALID, "...")`).  The message is
 * formatted with printf rules and cut at 1023 bytes.
 */
int ruhu_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ruhu_error_vset(int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/** Set the last error to "out of memory" and return RUHU_ENOMEM. */
int ruhu_error_oom(void);

/**
 * The calling thread's last error message, or "" when none was set.  The
 * pointer is valid until the next ruhu call on this thread.
 */
const char *ruhu_error_last(void);

/** The code given with the last message, or 0. */
int ruhu_error_last_code(void);

/** Forget the last error. */
void ruhu_error_clear(void);

/** A short lowercase name for a code ("not found", "corrupt"). */
const char *ruhu_error_name(int code);

/** A growable byte buffer (design note 4). */
typedef struct {
	char *ptr;    /**< the bytes, NUL-terminated; NULL when empty */
	size_t size;  /**< bytes in use, not counting the terminator */
	size_t asize; /**< bytes allocated */
} ruhu_buf;

#define RUHU_BUF_INIT { NULL, 0, 0 }

/** Make room for at least `extra` more bytes (plus the terminator). */
int ruhu_buf_grow(ruhu_buf *buf, size_t extra);
int ruhu_buf_put(ruhu_buf *buf, const void *data, size_t len);
int ruhu_buf_puts(ruhu_buf *buf, const char *str);
int ruhu_buf_putc(ruhu_buf *buf, char c);
int ruhu_buf_printf(ruhu_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ruhu_buf_vprintf(ruhu_buf *buf, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/** Append `len` bytes as lowercase hexadecimal. */
int ruhu_buf_puthex(ruhu_buf *buf, const void *data, size_t len);
/** Set size to 0 and keep the allocation. */
void ruhu_buf_clear(ruhu_buf *buf);
/** Keep the first `len` bytes (len <= size). */
void ruhu_buf_truncate(ruhu_buf *buf, size_t len);
/** Hand the bytes to the caller (who frees them with free()); buf is empty. */
char *ruhu_buf_detach(ruhu_buf *buf);
/** Free the bytes; the buffer is empty and can be reused. */
void ruhu_buf_dispose(ruhu_buf *buf);
/** Zero the bytes, then dispose: for buffers that held secrets. */
void ruhu_buf_dispose_secure(ruhu_buf *buf);

/** Overwrite `len` bytes at `p` with zeros in a way the compiler keeps. */
void ruhu_memzero(void *p, size_t len);

/** Initialise the library (libsodium, libgit2).  Safe to call more than once;
 *  call it once before starting threads. */
int ruhu_init(void);

#ifdef __cplusplus
}
#endif
#endif
