/*
 * mime.c — the media type of an attachment from its first bytes (see
 * mime.h; why not libmagic is its note 1).
 *
 * Design notes
 *  1. The magic numbers (offset: bytes):
 *
 *       TYPE                 OFFSET  BYTES
 *       image/jpeg           0       FF D8 FF
 *       image/png            0       89 'PNG' 0D 0A 1A 0A
 *       image/gif            0       'GIF87a' or 'GIF89a'
 *       image/webp           0, 8    'RIFF', 'WEBP'
 *       audio/wav            0, 8    'RIFF', 'WAVE'
 *       image/tiff           0       'II' 2A 00 or 'MM' 00 2A
 *       image/bmp            0, 14   'BM', DIB header size 12/40/52/56/64/108/124
 *                                    (little-endian u32) and reserved bytes 6..9 zero
 *       application/pdf      0       '%PDF-'
 *       zip and OOXML/ODF    0       'PK' 03 04 (walk the local file headers)
 *                                    or 'PK' 05 06 (an empty archive)
 *       audio/ogg            0       'OggS'
 *       audio/amr            0       '#!AMR' 0A
 *       audio/mpeg           0       'ID3' and a version 2..4, or two MPEG
 *                                    audio layer III frame headers in a row
 *       ISO media            4       'ftyp' (box size >= 16), then the major
 *                                    brand at 8 and compatible brands at 16
 *       text/plain           0       valid UTF-8 without NUL or C0 controls
 *                                    other than TAB, LF, FF, CR (optional BOM)
 *
 *  2. ISO media brands: heic heix heim heis → image/heic; hevc hevx hevm
 *     hevs → image/heic-sequence; avif avis → image/avif; mif1 msf1 heif →
 *     image/heif (image/heic when a compatible brand is heic or heix);
 *     M4A M4B M4P → audio/mp4; qt → video/quicktime; 3g* → video/3gpp;
 *     isom iso2-iso9 mp41 mp42 avc1 dash M4V mmp4 f4v → video/mp4; any other
 *     brand → application/octet-stream.
 *  3. Inside a zip, the first 32 local headers within the given bytes are
 *     read (until one defers its sizes to a data descriptor): a name under
 *     word/, xl/ or ppt/ makes it OOXML; a first entry `mimetype`, stored,
 *     holding an OpenDocument type makes it that type.  Else application/zip.
 *  4. A multi-byte UTF-8 sequence cut by the end of the given bytes is
 *     accepted, since they are often only the first RUHU_MIME_SNIFF_LEN.
 */
#include <stdint.h>
#include <string.h>

#include "core/mime.h"

static int has(const unsigned char *p, size_t len, size_t off, const char *magic, size_t n)
{
	return len >= off + n && memcmp(p + off, magic, n) == 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* ---- ISO base media (design note 2) ------------------------------------ */

static const char *brand_type(const unsigned char *b)
{
	static const struct {
		char brand[5];
		const char *type;
	} brands[] = {
		{ "heic", "image/heic" }, { "heix", "image/heic" }, { "heim", "image/heic" },
		{ "heis", "image/heic" }, { "hevc", "image/heic-sequence" },
		{ "hevx", "image/heic-sequence" }, { "hevm", "image/heic-sequence" },
		{ "hevs", "image/heic-sequence" }, { "avif", "image/avif" },
		{ "avis", "image/avif" }, { "mif1", "image/heif" }, { "msf1", "image/heif" },
		{ "heif", "image/heif" }, { "M4A ", "audio/mp4" }, { "M4B ", "audio/mp4" },
		{ "M4P ", "audio/mp4" }, { "qt  ", "video/quicktime" }, { "isom", "video/mp4" },
		{ "iso2", "video/mp4" }, { "iso3", "video/mp4" }, { "iso4", "video/mp4" },
		{ "iso5", "video/mp4" }, { "iso6", "video/mp4" }, { "iso7", "video/mp4" },
		{ "iso8", "video/mp4" }, { "iso9", "video/mp4" }, { "mp41", "video/mp4" },
		{ "mp42", "video/mp4" }, { "avc1", "video/mp4" }, { "dash", "video/mp4" },
		{ "M4V ", "video/mp4" }, { "mmp4", "video/mp4" }, { "f4v ", "video/mp4" },
	};

	if (b[0] == '3' && b[1] == 'g')
		return "video/3gpp";
	for (size_t i = 0; i < sizeof(brands) / sizeof(brands[0]); i++)
		if (memcmp(b, brands[i].brand, 4) == 0)
			return brands[i].type;
	return NULL;
}

static const char *iso_media(const unsigned char *p, size_t len)
{
	uint32_t size = be32(p);
	const char *type = brand_type(p + 8);

	if (size < 16 || type == NULL)
		return RUHU_MIME_OCTET_STREAM;
	if (!strcmp(type, "image/heif")) {
		for (size_t off = 16; off + 4 <= size && off + 4 <= len; off += 4)
			if (!memcmp(p + off, "heic", 4) || !memcmp(p + off, "heix", 4))
				return "image/heic";
	}
	return type;
}

/* ---- zip (design note 3) ----------------------------------------------- */

static const char *zip_type(const unsigned char *p, size_t len)
{
	static const char *const odf[] = {
		"application/vnd.oasis.opendocument.text",
		"application/vnd.oasis.opendocument.spreadsheet",
		"application/vnd.oasis.opendocument.presentation",
		"application/vnd.oasis.opendocument.graphics",
	};
	size_t off = 0;

	for (int entry = 0; entry < 32 && len - off >= 30 && !memcmp(p + off, "PK\3\4", 4);
	     entry++) {
		uint16_t flags = le16(p + off + 6), method = le16(p + off + 8);
		uint32_t csize = le32(p + off + 18);
		size_t nlen = le16(p + off + 26), xlen = le16(p + off + 28);
		const unsigned char *name = p + off + 30;

		if (nlen > len - off - 30)
			break;
		if (has(name, nlen, 0, "word/", 5))
			return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
		if (has(name, nlen, 0, "xl/", 3))
			return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
		if (has(name, nlen, 0, "ppt/", 4))
			return "application/vnd.openxmlformats-officedocument.presentationml."
			       "presentation";
		if (entry == 0 && nlen == 8 && !memcmp(name, "mimetype", 8) && method == 0 &&
		    nlen + xlen <= len - off - 30) {
			const unsigned char *data = name + nlen + xlen;
			size_t avail = len - off - 30 - nlen - xlen;

			for (size_t i = 0; i < sizeof(odf) / sizeof(odf[0]); i++)
				if (csize == strlen(odf[i]) && avail >= csize &&
				    !memcmp(data, odf[i], csize))
					return odf[i];
		}
		if (flags & 0x08)
			break;
		/* the next header; stop when it lies past the bytes given */
		if ((size_t)csize > len || 30 + nlen + xlen + (size_t)csize > len - off)
			break;
		off += 30 + nlen + xlen + csize;
	}
	return "application/zip";
}

/* ---- MPEG audio layer III ---------------------------------------------- */

/* Frame length of the layer III header at p, or 0 if it is not one. */
static size_t mp3_frame(const unsigned char *p)
{
	static const unsigned short rate1[] = { 0, 32, 40, 48, 56, 64, 80, 96, 112, 128,
						160, 192, 224, 256, 320 };
	static const unsigned short rate2[] = { 0, 8, 16, 24, 32, 40, 48, 56, 64, 80,
						96, 112, 128, 144, 160 };
	static const unsigned int freq[] = { 44100, 48000, 32000 };
	unsigned int version = (p[1] >> 3) & 3, layer = (p[1] >> 1) & 3;
	unsigned int bi = p[2] >> 4, si = (p[2] >> 2) & 3, pad = (p[2] >> 1) & 1;
	unsigned int kbps, hz;

	if (p[0] != 0xff || (p[1] & 0xe0) != 0xe0 || version == 1 || layer != 1 ||
	    bi == 0 || bi == 15 || si == 3)
		return 0;
	kbps = version == 3 ? rate1[bi] : rate2[bi];
	hz = freq[si] >> (version == 3 ? 0 : version == 2 ? 1 : 2);
	return (size_t)((version == 3 ? 144 : 72) * kbps * 1000 / hz + pad);
}

static int is_mp3(const unsigned char *p, size_t len)
{
	size_t n;

	if (has(p, len, 0, "ID3", 3))
		return len >= 5 && p[3] >= 2 && p[3] <= 4 && p[4] != 0xff;
	if (len < 4)
		return 0;
	n = mp3_frame(p);
	if (n == 0 || n + 4 > len)
		return 0;
	/* the next frame must follow, with the same version, layer and rate */
	return mp3_frame(p + n) != 0 && p[n + 1] == p[1] && (p[n + 2] & 0x0c) == (p[2] & 0x0c);
}

/* ---- text (design note 4) ---------------------------------------------- */

static int is_utf8_text(const unsigned char *p, size_t len)
{
	size_t i = has(p, len, 0, "\xef\xbb\xbf", 3) ? 3 : 0;

	if (len == 0)
		return 0;
	while (i < len) {
		unsigned char c = p[i];
		size_t need;
		unsigned char lo = 0x80, hi = 0xbf;

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r')
				return 0;
			if (c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		else
			return 0;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		for (size_t k = 1; k <= need; k++) {
			if (i + k >= len)
				return 1; /* cut by the end of the bytes given */
			if (p[i + k] < (k == 1 ? lo : 0x80) || p[i + k] > (k == 1 ? hi : 0xbf))
				return 0;
		}
		i += need + 1;
	}
	return 1;
}

const char *ruhu_mime_sniff(const void *data, size_t len)
{
	const unsigned char *p = data;

	if (p == NULL || len == 0)
		return RUHU_MIME_OCTET_STREAM;
	if (has(p, len, 0, "\xff\xd8\xff", 3))
		return "image/jpeg";
	if (has(p, len, 0, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (has(p, len, 0, "GIF87a", 6) || has(p, len, 0, "GIF89a", 6))
		return "image/gif";
	if (has(p, len, 0, "RIFF", 4) && has(p, len, 8, "WEBP", 4))
		return "image/webp";
	if (has(p, len, 0, "RIFF", 4) && has(p, len, 8, "WAVE", 4))
		return "audio/wav";
	if (has(p, len, 0, "II\x2a\x00", 4) || has(p, len, 0, "MM\x00\x2a", 4))
		return "image/tiff";
	if (has(p, len, 0, "BM", 2) && len >= 18 && le32(p + 6) == 0) {
		uint32_t dib = le32(p + 14);

		if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 ||
		    dib == 124)
			return "image/bmp";
	}
	if (has(p, len, 0, "%PDF-", 5))
		return "application/pdf";
	if (has(p, len, 0, "PK\3\4", 4))
		return zip_type(p, len);
	if (has(p, len, 0, "PK\5\6", 4))
		return "application/zip";
	if (has(p, len, 0, "OggS", 4))
		return "audio/ogg";
	if (has(p, len, 0, "#!AMR\n", 6))
		return "audio/amr";
	if (has(p, len, 4, "ftyp", 4) && len >= 12)
		return iso_media(p, len);
	if (is_mp3(p, len))
		return "audio/mpeg";
	if (is_utf8_text(p, len))
		return "text/plain; charset=utf-8";
	return RUHU_MIME_OCTET_STREAM;
}
