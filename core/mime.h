/*
 * core/mime.h — the media type of an attachment, from its first bytes.
 *
 * Caseworkers attach photos of documents and households, scanned forms,
 * signatures, voice notes and the odd office file; the replica records the
 * type beside the attachment's blob id so that a hub operator's viewer and
 * an export know what they hold.
 *
 * Design notes
 *  1. A small table of magic numbers, not libmagic: libmagic would add one
 *     more dependency and a compiled database file to every tablet, for the
 *     dozen types caseworkers attach, and its answers change with the
 *     database's version; this table is fixed and tested.
 *  2. Pass the first RUHU_MIME_SNIFF_LEN bytes (or the whole attachment when
 *     it is shorter).  The answer depends only on the bytes given.
 *  3. Recognised: image/jpeg, image/png, image/gif, image/webp, image/heic,
 *     image/heic-sequence, image/heif, image/avif, image/tiff, image/bmp,
 *     application/pdf, application/zip and within it the OOXML word,
 *     spreadsheet and presentation types and the OpenDocument ones,
 *     audio/ogg, audio/mpeg, audio/mp4, audio/wav, audio/amr, video/mp4,
 *     video/quicktime, video/3gpp, "text/plain; charset=utf-8"; anything
 *     else (and an empty input) is application/octet-stream.
 *  4. The returned string is static; the function cannot fail.
 */
#ifndef RUHU_CORE_MIME_H
#define RUHU_CORE_MIME_H

#include <stddef.h>

/** How many leading bytes ruhu_mime_sniff() looks at. */
#define RUHU_MIME_SNIFF_LEN 4096

#define RUHU_MIME_OCTET_STREAM "application/octet-stream"

/** The media type of `data` (its first `len` bytes); never NULL. */
const char *ruhu_mime_sniff(const void *data, size_t len);

#endif
