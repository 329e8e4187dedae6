/*
 * test_mime.c — media types from first bytes (core/mime.h), on minimal real
 * headers of each type.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "support/support.h"
#include "core/mime.h"

#define B(s) (const unsigned char *)(s), sizeof(s) - 1

struct sample {
	const char *type;
	const unsigned char *bytes;
	size_t len;
};

static const struct sample headers[] = {
	{ "image/jpeg", B("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00") },
	{ "image/jpeg", B("\xff\xd8\xff\xe1\x1c\x45" "Exif\x00\x00MM\x00\x2a") },
	{ "image/png", B("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
			 "\x08\x06\x00\x00\x00\x1f\x15\xc4\x89") },
	{ "image/gif", B("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00") },
	{ "image/gif", B("GIF87a\x01\x00\x01\x00\x00\x00\x00") },
	{ "image/webp", B("RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00\x30\x01\x00\x9d") },
	{ "image/heic", B("\x00\x00\x00\x18" "ftypheic\x00\x00\x00\x00mif1heic") },
	{ "image/heic", B("\x00\x00\x00\x1c" "ftypmif1\x00\x00\x00\x00mif1MiHEheix") },
	{ "image/heif", B("\x00\x00\x00\x18" "ftypmif1\x00\x00\x00\x00mif1miaf") },
	{ "image/heic-sequence", B("\x00\x00\x00\x18" "ftyphevc\x00\x00\x00\x00msf1hevc") },
	{ "image/avif", B("\x00\x00\x00\x1c" "ftypavif\x00\x00\x00\x00" "avifmif1miaf") },
	{ "image/tiff", B("II*\x00\x08\x00\x00\x00\x0e\x00") },
	{ "image/tiff", B("MM\x00*\x00\x00\x00\x08\x00\x0e") },
	{ "image/bmp", B("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00"
			 "\x01\x00\x00\x00\x01\x00\x00\x00\x01\x00\x18\x00") },
	{ "application/pdf", B("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n") },
	{ "application/zip", B("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
			       "\x00\x00\x00\x00\x00\x00") },
	{ "audio/ogg", B("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04"
			 "\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead") },
	{ "audio/mpeg", B("ID3\x04\x00\x00\x00\x00\x00\x23TSSE") },
	{ "audio/mp4", B("\x00\x00\x00\x20" "ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00") },
	{ "audio/wav", B("RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
			 "\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00") },
	{ "audio/amr", B("#!AMR\n\x3c\x48\xf5\x1f") },
	{ "video/mp4", B("\x00\x00\x00\x18" "ftypisom\x00\x00\x02\x00isomiso2") },
	{ "video/mp4", B("\x00\x00\x00\x1c" "ftypmp42\x00\x00\x00\x00mp42isomavc1") },
	{ "video/quicktime", B("\x00\x00\x00\x14" "ftypqt  \x00\x00\x02\x00qt  ") },
	{ "video/3gpp", B("\x00\x00\x00\x18" "ftyp3gp4\x00\x00\x02\x00isom3gp4") },
	{ "text/plain; charset=utf-8", B("张三 13800000000\n备注：已走访，\t申请养老保险。\r\n") },
	{ "text/plain; charset=utf-8", B("\xef\xbb\xbf" "name,phone\n") },
	{ "text/plain; charset=utf-8", B("cut in the middle: \xe5\xbc") },
	{ RUHU_MIME_OCTET_STREAM, B("") },
	{ RUHU_MIME_OCTET_STREAM, B("text with a NUL\x00 inside") },
	{ RUHU_MIME_OCTET_STREAM, B("caf\xe9 au lait") },
	{ RUHU_MIME_OCTET_STREAM, B("\xc0\x80 overlong") },
	{ RUHU_MIME_OCTET_STREAM, B("\xed\xa0\x80 surrogate") },
	{ RUHU_MIME_OCTET_STREAM, B("\x00\x00\x00\x18" "ftypxxxx\x00\x00\x00\x00xxxxxxxx") },
	{ RUHU_MIME_OCTET_STREAM, B("BM but not a bitmap header at all, just text\x01") },
};

START_TEST(test_mime_known_headers)
{
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		const char *got = ruhu_mime_sniff(headers[i].bytes, headers[i].len);

		ck_assert_msg(!strcmp(got, headers[i].type), "sample %zu: %s, expected %s", i, got,
			      headers[i].type);
	}
	ck_assert_str_eq(ruhu_mime_sniff(NULL, 10), RUHU_MIME_OCTET_STREAM);
}
END_TEST

/* Append a zip local file header (stored) and its data. */
static void zip_entry(ruhu_buf *b, const char *name, const char *data, uint16_t flags)
{
	unsigned char h[30] = { 'P', 'K', 3, 4, 20, 0 };
	size_t n = strlen(name), d = strlen(data);

	h[6] = (unsigned char)flags;
	h[18] = h[22] = (unsigned char)d;
	h[19] = h[23] = (unsigned char)(d >> 8);
	h[26] = (unsigned char)n;
	rt_ok(ruhu_buf_put(b, h, sizeof(h)));
	rt_ok(ruhu_buf_puts(b, name));
	rt_ok(ruhu_buf_puts(b, data));
}

START_TEST(test_mime_zip_and_office)
{
	static const struct {
		const char *second;
		const char *type;
	} office[] = {
		{ "word/document.xml",
		  "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
		{ "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" },
		{ "ppt/presentation.xml",
		  "application/vnd.openxmlformats-officedocument.presentationml.presentation" },
		{ "notes.txt", "application/zip" },
	};
	ruhu_buf b = RUHU_BUF_INIT;

	for (size_t i = 0; i < sizeof(office) / sizeof(office[0]); i++) {
		ruhu_buf_clear(&b);
		zip_entry(&b, "[Content_Types].xml", "<?xml version=\"1.0\"?><Types/>", 0);
		zip_entry(&b, "_rels/.rels", "<Relationships/>", 0);
		zip_entry(&b, office[i].second, "<x/>", 0);
		ck_assert_str_eq(ruhu_mime_sniff(b.ptr, b.size), office[i].type);
	}
	/* an entry with a data descriptor stops the walk: plain zip */
	ruhu_buf_clear(&b);
	zip_entry(&b, "a.bin", "", 0x08);
	zip_entry(&b, "word/document.xml", "<x/>", 0);
	ck_assert_str_eq(ruhu_mime_sniff(b.ptr, b.size), "application/zip");
	/* OpenDocument: a stored `mimetype` first */
	ruhu_buf_clear(&b);
	zip_entry(&b, "mimetype", "application/vnd.oasis.opendocument.text", 0);
	zip_entry(&b, "content.xml", "<x/>", 0);
	ck_assert_str_eq(ruhu_mime_sniff(b.ptr, b.size), "application/vnd.oasis.opendocument.text");
	/* every prefix of an archive is read without going past it */
	for (size_t cut = 0; cut <= b.size; cut++) {
		unsigned char *prefix = malloc(cut + 1);

		memcpy(prefix, b.ptr, cut);
		ck_assert_ptr_nonnull(ruhu_mime_sniff(prefix, cut));
		free(prefix);
	}
	ruhu_buf_dispose(&b);
}
END_TEST

START_TEST(test_mime_mp3_frames)
{
	/* MPEG-1 layer III, 128 kbit/s, 44.1 kHz: frames of 417 bytes */
	unsigned char buf[1000];

	memset(buf, 0x55, sizeof(buf));
	memcpy(buf, "\xff\xfb\x90\x64", 4);
	memcpy(buf + 417, "\xff\xfb\x90\x64", 4);
	ck_assert_str_eq(ruhu_mime_sniff(buf, sizeof(buf)), "audio/mpeg");
	/* one frame header alone is not enough */
	memset(buf + 417, 0x55, 4);
	ck_assert_str_eq(ruhu_mime_sniff(buf, sizeof(buf)), RUHU_MIME_OCTET_STREAM);
	/* nor is a second header that does not fit in the bytes given */
	memcpy(buf + 417, "\xff\xfb\x90\x64", 4);
	ck_assert_str_eq(ruhu_mime_sniff(buf, 419), RUHU_MIME_OCTET_STREAM);
}
END_TEST

START_TEST(test_mime_random_bytes_are_octet_stream)
{
	unsigned char buf[RUHU_MIME_SNIFF_LEN];
	uint64_t x = 0x853c49e6748fea9bull;

	for (int round = 0; round < 2000; round++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (unsigned char)(x >> 24);
		}
		ck_assert_str_eq(ruhu_mime_sniff(buf, sizeof(buf)), RUHU_MIME_OCTET_STREAM);
	}
	/* and every prefix of every sample is read without going past it */
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		for (size_t cut = 0; cut <= headers[i].len; cut++) {
			unsigned char *prefix = malloc(cut + 1);

			memcpy(prefix, headers[i].bytes, cut);
			ck_assert_ptr_nonnull(ruhu_mime_sniff(prefix, cut));
			free(prefix);
		}
}
END_TEST

Suite *mime_suite(void)
{
	Suite *s = suite_create("mime");
	TCase *tc = tcase_create("mime");

	tcase_add_test(tc, test_mime_known_headers);
	tcase_add_test(tc, test_mime_zip_and_office);
	tcase_add_test(tc, test_mime_mp3_frames);
	tcase_add_test(tc, test_mime_random_bytes_are_octet_stream);
	suite_add_tcase(s, tc);
	return s;
}
