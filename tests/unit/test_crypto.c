/* Tests of src/crypto: known-answer vectors, tamper cases, and interop with
 * the real age, age-keygen and minisign programs (which must be on PATH). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "crypto/crypto.h"
#include "crypto/internal.h"

#define MAX_OUT (FW_CRYPTO_AGE_MAX_BYTES + 1024u * 1024u)
#define CHUNK 65536u
#define ENC_CHUNK (CHUNK + 16u)

static char tmpdir[] = "/tmp/fw_test_crypto_XXXXXX";

/* --- helpers -------------------------------------------------------------- */

static void path_of(char *out, size_t n, const char *name)
{
	int w = snprintf(out, n, "%s/%s", tmpdir, name);
	assert_true(w > 0 && (size_t)w < n);
}

static void write_file(const char *name, const void *data, size_t n)
{
	char p[512];
	path_of(p, sizeof p, name);
	FILE *f = fopen(p, "wb");
	if (!f)
		fail_msg("%s: %s", p, strerror(errno));
	if (n)
		assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *read_file(const char *name, size_t *n)
{
	char p[512];
	path_of(p, sizeof p, name);
	FILE *f = fopen(p, "rb");
	assert_non_null(f);
	size_t cap = 4096, len = 0;
	uint8_t *b = malloc(cap + 1);
	assert_non_null(b);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			b = realloc(b, cap + 1);
			assert_non_null(b);
		}
		size_t got = fread(b + len, 1, cap - len, f);
		if (got == 0)
			break;
		len += got;
	}
	fclose(f);
	b[len] = 0;
	*n = len;
	return b;
}

/* Runs argv (files named relative to tmpdir are passed as full paths by the
 * caller) with stdin from /dev/null, stdout into tmpdir/out_name (or
 * /dev/null) and stderr into tmpdir/stderr.log. Returns the exit status. */
static int run(const char *out_name, const char *const argv[])
{
	char outp[512], errp[512];
	if (out_name)
		path_of(outp, sizeof outp, out_name);
	path_of(errp, sizeof errp, "stderr.log");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(out_name ? outp : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void run_ok(const char *out_name, const char *const argv[])
{
	int st = run(out_name, argv);
	if (st != 0) {
		size_t n;
		uint8_t *e = read_file("stderr.log", &n);
		print_error("%s exited %d: %s\n", argv[0], st, (char *)e);
		free(e);
		fail();
	}
}

static char *tmp_path(const char *name)
{
	static char bufs[8][512];
	static int next;
	char *p = bufs[next++ % 8];
	path_of(p, 512, name);
	return p;
}

/* age-keygen into tmpdir/name; returns the recipient (age-keygen -y). */
static void age_keygen_file(const char *name, char recipient[FW_CRYPTO_AGE_RECIPIENT_BYTES])
{
	const char *gen[] = {"age-keygen", "-o", tmp_path(name), NULL};
	run_ok(NULL, gen);
	const char *y[] = {"age-keygen", "-y", tmp_path(name), NULL};
	run_ok("recipient.txt", y);
	size_t n;
	uint8_t *r = read_file("recipient.txt", &n);
	assert_true(n > 4 && n < FW_CRYPTO_AGE_RECIPIENT_BYTES && r[n - 1] == '\n');
	memcpy(recipient, r, n - 1);
	recipient[n - 1] = '\0';
	free(r);
}

static void identity_from_file(const char *name, uint8_t sk[32])
{
	size_t n;
	uint8_t *t = read_file(name, &n);
	assert_int_equal(fw_age_identity_parse((const char *)t, n, sk), FW_OK);
	free(t);
}

static uint8_t *random_bytes(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	fw_crypto_random(p, n);
	return p;
}

static size_t find(const uint8_t *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return i;
	fail_msg("\"%s\" not found", needle);
	return 0;
}

/* Offset of the payload: just past the "--- MAC\n" line. */
static size_t payload_offset(const uint8_t *f, size_t n)
{
	size_t mac = find(f, n, "\n--- ");
	const uint8_t *eol = memchr(f + mac + 1, '\n', n - mac - 1);
	assert_non_null(eol);
	return (size_t)(eol - f) + 1;
}

/* A different valid base64 character, so that only the value changes. */
static char other_b64(char c)
{
	return c == 'A' ? 'B' : 'A';
}

static int group_setup(void **state)
{
	(void)state;
	if (fw_crypto_init() != FW_OK || !mkdtemp(tmpdir))
		return -1;
	const char *tools[][3] = {{"age", "--version", NULL},
				  {"age-keygen", "--version", NULL},
				  {"minisign", "-v", NULL}};
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
		if (run(NULL, tools[i]) != 0) {
			fprintf(stderr, "interop tests need %s on PATH\n", tools[i][0]);
			return -1;
		}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	DIR *d = opendir(tmpdir);
	if (d) {
		struct dirent *e;
		char p[512];
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(tmpdir);
	return 0;
}

/* --- primitives ----------------------------------------------------------- */

static void hex_of(const uint8_t *b, size_t n, char *out) { fw_crypto_hex(b, n, out); }

static void test_sha256_abc(void **state)
{
	(void)state;
	uint8_t h[FW_CRYPTO_HASH_BYTES];
	char hex[2 * FW_CRYPTO_HASH_BYTES + 1];
	fw_crypto_sha256("abc", 3, h);
	hex_of(h, sizeof h, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	fw_crypto_sha256("", 0, h);
	hex_of(h, sizeof h, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_hex_equal_wipe(void **state)
{
	(void)state;
	const uint8_t in[] = {0x00, 0x09, 0x0a, 0x7f, 0x80, 0xab, 0xf0, 0xff};
	char out[2 * sizeof in + 1];
	memset(out, 'x', sizeof out);
	fw_crypto_hex(in, sizeof in, out);
	assert_string_equal(out, "00090a7f80abf0ff");
	fw_crypto_hex(in, 0, out);
	assert_string_equal(out, "");

	assert_true(fw_crypto_equal("abcd", "abcd", 4));
	assert_false(fw_crypto_equal("abcd", "abce", 4));
	assert_false(fw_crypto_equal("xbcd", "abcd", 4));
	assert_true(fw_crypto_equal("a", "b", 0));

	uint8_t s[16];
	memset(s, 0xaa, sizeof s);
	fw_crypto_wipe(s, sizeof s);
	for (size_t i = 0; i < sizeof s; i++)
		assert_int_equal(s[i], 0);
}

static void test_hkdf_rfc5869(void **state)
{
	(void)state;
	uint8_t ikm[22], salt[13], out[32];
	char info[11], hex[65];
	memset(ikm, 0x0b, sizeof ikm);
	for (size_t i = 0; i < sizeof salt; i++)
		salt[i] = (uint8_t)i;
	for (size_t i = 0; i < 10; i++)
		info[i] = (char)(0xf0 + i);
	info[10] = '\0';
	/* Test case 1, first 32 bytes of OKM (T(1) does not depend on L). */
	fw_crypto_hkdf_sha256(out, ikm, sizeof ikm, salt, sizeof salt, info);
	hex_of(out, 32, hex);
	assert_string_equal(hex, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");
	/* Test case 3: empty salt and info, the way age derives its MAC key. */
	fw_crypto_hkdf_sha256(out, ikm, sizeof ikm, NULL, 0, "");
	hex_of(out, 32, hex);
	assert_string_equal(hex, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d");
}

static void test_base64_strict(void **state)
{
	(void)state;
	char enc[64];
	uint8_t out[8];
	const uint8_t plus_slash[] = {0xfb, 0xff};

	assert_int_equal(fw_crypto_b64_encode((const uint8_t *)"abc", 3, FW_B64_UNPADDED, enc,
					      sizeof enc), FW_OK);
	assert_string_equal(enc, "YWJj");
	assert_int_equal(fw_crypto_b64_encode((const uint8_t *)"ab", 2, FW_B64_UNPADDED, enc,
					      sizeof enc), FW_OK);
	assert_string_equal(enc, "YWI");
	assert_int_equal(fw_crypto_b64_encode((const uint8_t *)"a", 1, FW_B64_PADDED, enc,
					      sizeof enc), FW_OK);
	assert_string_equal(enc, "YQ==");
	assert_int_equal(fw_crypto_b64_encode(plus_slash, 2, FW_B64_PADDED, enc, sizeof enc),
			 FW_OK);
	assert_string_equal(enc, "+/8=");
	assert_int_equal(fw_crypto_b64_encode(plus_slash, 2, FW_B64_PADDED, enc, 4),
			 FW_ERR_TOO_LARGE);

	assert_int_equal(fw_crypto_b64_decode_exact("+/8", 3, out, 2, FW_B64_UNPADDED), FW_OK);
	assert_memory_equal(out, plus_slash, 2);
	assert_int_equal(fw_crypto_b64_decode_exact("YQ", 2, out, 1, FW_B64_UNPADDED), FW_OK);
	assert_int_equal(out[0], 'a');
	assert_int_equal(fw_crypto_b64_decode_exact("YQ==", 4, out, 1, FW_B64_PADDED), FW_OK);
	assert_int_equal(out[0], 'a');
	/* non-zero unused bits: a second spelling of "a" */
	assert_int_equal(fw_crypto_b64_decode_exact("YR", 2, out, 1, FW_B64_UNPADDED),
			 FW_ERR_INVALID);
	assert_int_equal(fw_crypto_b64_decode_exact("YWJ", 3, out, 2, FW_B64_UNPADDED),
			 FW_ERR_INVALID);
	/* padding where none belongs, missing where it must be */
	assert_int_equal(fw_crypto_b64_decode_exact("YQ==", 4, out, 1, FW_B64_UNPADDED),
			 FW_ERR_INVALID);
	assert_int_equal(fw_crypto_b64_decode_exact("YQ=", 3, out, 1, FW_B64_PADDED),
			 FW_ERR_INVALID);
	assert_int_equal(fw_crypto_b64_decode_exact("YQ", 2, out, 1, FW_B64_PADDED),
			 FW_ERR_INVALID);
	assert_int_equal(fw_crypto_b64_decode_exact("Y=Q=", 4, out, 1, FW_B64_PADDED),
			 FW_ERR_INVALID);
	/* URL-safe alphabet and stray characters */
	assert_int_equal(fw_crypto_b64_decode_exact("-_8", 3, out, 2, FW_B64_UNPADDED),
			 FW_ERR_INVALID);
	assert_int_equal(fw_crypto_b64_decode_exact("YW\nj", 4, out, 3, FW_B64_UNPADDED),
			 FW_ERR_INVALID);

	/* every byte value survives a round trip */
	uint8_t all[256], back[256];
	char big[400];
	for (size_t i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	assert_int_equal(fw_crypto_b64_encode(all, 256, FW_B64_PADDED, big, sizeof big), FW_OK);
	assert_int_equal(fw_crypto_b64_decode_exact(big, strlen(big), back, 256, FW_B64_PADDED),
			 FW_OK);
	assert_memory_equal(all, back, 256);
}

/* --- tokens --------------------------------------------------------------- */

static void test_tokens(void **state)
{
	(void)state;
	char t1[FW_CRYPTO_TOKEN_BYTES], t2[FW_CRYPTO_TOKEN_BYTES];
	uint8_t k1[FW_CRYPTO_KEY_BYTES], k2[FW_CRYPTO_KEY_BYTES];
	uint8_t h1[FW_CRYPTO_HASH_BYTES], h2[FW_CRYPTO_HASH_BYTES];
	char hex[65];

	fw_crypto_token_new(t1);
	fw_crypto_token_new(t2);
	assert_int_equal(strlen(t1), FW_CRYPTO_TOKEN_BYTES - 1);
	assert_memory_equal(t1, "fwt_", 4);
	for (size_t i = 4; i < strlen(t1); i++)
		assert_non_null(strchr("0123456789abcdef", t1[i]));
	assert_string_not_equal(t1, t2);

	for (size_t i = 0; i < sizeof k1; i++)
		k1[i] = (uint8_t)i;
	/* keyed BLAKE2b-256, as Python's hashlib.blake2b(key=k1, digest_size=32) */
	fw_crypto_token_hash(k1, "fwt_abc", h1);
	hex_of(h1, sizeof h1, hex);
	assert_string_equal(hex, "32fa0ce86d32352a3fd63cb61ea435aeebd6ecd85a4566599a92c3276fdb7f74");

	fw_crypto_token_hash(k1, t1, h1);
	fw_crypto_token_hash(k1, t1, h2);
	assert_memory_equal(h1, h2, sizeof h1);
	fw_crypto_token_hash(k1, t2, h2);
	assert_memory_not_equal(h1, h2, sizeof h1);
	memcpy(k2, k1, sizeof k2);
	k2[31] ^= 1;
	fw_crypto_token_hash(k2, t1, h2);
	assert_memory_not_equal(h1, h2, sizeof h1);
}

/* --- at rest -------------------------------------------------------------- */

static void test_at_rest_round_trip(void **state)
{
	(void)state;
	uint8_t key[FW_CRYPTO_KEY_BYTES];
	const size_t sizes[] = {0, 1, 1000, 70000};
	fw_crypto_random(key, sizeof key);
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = sizes[s];
		uint8_t *pt = random_bytes(n);
		struct fw_buf ct, a, b;
		fw_buf_init(&ct, MAX_OUT);
		fw_buf_init(&a, MAX_OUT);
		fw_buf_init(&b, MAX_OUT);
		assert_int_equal(fw_crypto_seal_at_rest(key, "artifact:ADV-1/poc/3", pt, n, &ct),
				 FW_OK);
		assert_int_equal(ct.len, n + 24 + 16);
		if (n)
			assert_memory_not_equal(ct.data + 24, pt, n);
		/* a fresh nonce each time */
		assert_int_equal(fw_crypto_seal_at_rest(key, "artifact:ADV-1/poc/3", pt, n, &b),
				 FW_OK);
		assert_memory_not_equal(ct.data, b.data, 24);
		assert_int_equal(fw_crypto_open_at_rest(key, "artifact:ADV-1/poc/3", ct.data,
							ct.len, &a), FW_OK);
		assert_int_equal(a.len, n);
		if (n)
			assert_memory_equal(a.data, pt, n);
		fw_buf_cleanup(&ct);
		fw_buf_cleanup(&a);
		fw_buf_cleanup(&b);
		free(pt);
	}
}

static void test_at_rest_rejects(void **state)
{
	(void)state;
	uint8_t key[FW_CRYPTO_KEY_BYTES], key2[FW_CRYPTO_KEY_BYTES];
	const char *pt = "exploit details";
	struct fw_buf ct, out;
	fw_crypto_random(key, sizeof key);
	memcpy(key2, key, sizeof key2);
	key2[0] ^= 0x80;
	fw_buf_init(&ct, 4096);
	fw_buf_init(&out, 4096);
	assert_int_equal(fw_crypto_seal_at_rest(key, "artifact:A/poc/1", (const uint8_t *)pt,
						strlen(pt), &ct), FW_OK);
	assert_int_equal(fw_buf_puts(&out, "kept"), FW_OK);

	/* a row moved to another place, or opened with another key */
	assert_int_equal(fw_crypto_open_at_rest(key, "artifact:A/poc/2", ct.data, ct.len, &out),
			 FW_ERR_CRYPTO);
	assert_int_equal(fw_crypto_open_at_rest(key, "", ct.data, ct.len, &out), FW_ERR_CRYPTO);
	assert_int_equal(fw_crypto_open_at_rest(key2, "artifact:A/poc/1", ct.data, ct.len, &out),
			 FW_ERR_CRYPTO);
	/* every byte (nonce, ciphertext, tag) is authenticated */
	for (size_t i = 0; i < ct.len; i++) {
		ct.data[i] ^= 0x01;
		assert_int_equal(fw_crypto_open_at_rest(key, "artifact:A/poc/1", ct.data, ct.len,
							&out), FW_ERR_CRYPTO);
		ct.data[i] ^= 0x01;
	}
	assert_int_equal(fw_crypto_open_at_rest(key, "artifact:A/poc/1", ct.data, ct.len - 1,
						&out), FW_ERR_CRYPTO);
	assert_int_equal(fw_crypto_open_at_rest(key, "artifact:A/poc/1", ct.data, 39, &out),
			 FW_ERR_INVALID);
	/* failures leave the output as it was */
	assert_int_equal(out.len, 4);
	assert_string_equal(fw_buf_str(&out), "kept");
	assert_int_equal(fw_crypto_open_at_rest(key, "artifact:A/poc/1", ct.data, ct.len, &out),
			 FW_OK);
	assert_string_equal(fw_buf_str(&out), "keptexploit details");
	fw_buf_cleanup(&ct);
	fw_buf_cleanup(&out);
}

/* --- bech32 and age keys -------------------------------------------------- */

static void test_bech32_bip173_vectors(void **state)
{
	(void)state;
	static const char *valid[] = {
		"A12UEL5L",
		"a12uel5l",
		"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
		"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
		"?1ezyfcl",
	};
	static const char *invalid[] = {
		"\x20" "1nwldj5",  /* HRP character out of range */
		"\x7f" "1axkwrx",
		"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
		"pzry9x0s0muk",	   /* no separator */
		"1pzry9x0s0muk",   /* empty HRP */
		"x1b4n0q5v",	   /* invalid data character */
		"li1dgmt3",	   /* checksum too short */
		"de1lg7wt\xff",	   /* invalid character in checksum */
		"A1G7SGD8",	   /* checksum computed over the upper-case HRP */
		"10a06t8",
		"1qzzfhee",
		"a12UEL5L",	   /* mixed case */
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx", /* checksum off by one */
	};
	char hrp[100], enc[100];
	uint8_t data[100];
	size_t n;

	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		const char *s = valid[i];
		assert_int_equal(fw_crypto_bech32_decode(s, strlen(s), hrp, sizeof hrp, data,
							 sizeof data, &n), FW_OK);
		/* re-encoding gives the same string back */
		bool upper = s[0] == 'A';
		assert_int_equal(fw_crypto_bech32_encode(hrp, data, n, upper, enc, sizeof enc),
				 FW_OK);
		assert_string_equal(enc, s);
	}
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		const char *s = invalid[i];
		assert_int_equal(fw_crypto_bech32_decode(s, strlen(s), hrp, sizeof hrp, data,
							 sizeof data, &n), FW_ERR_INVALID);
	}
	/* data for abcdef1qpzry…: the 5-bit values 0..31 in order */
	assert_int_equal(fw_crypto_bech32_decode(valid[3], strlen(valid[3]), hrp, sizeof hrp, data,
						 sizeof data, &n), FW_OK);
	assert_string_equal(hrp, "abcdef");
	assert_int_equal(n, 20);
	assert_int_equal(data[0], 0x00);
	assert_int_equal(data[1], 0x44);
	assert_int_equal(data[19], 0xdf);
}

static void test_age_keygen_matches_age_keygen(void **state)
{
	(void)state;
	char rec[FW_CRYPTO_AGE_RECIPIENT_BYTES], id[FW_CRYPTO_AGE_IDENTITY_BYTES];
	char line[FW_CRYPTO_AGE_IDENTITY_BYTES + 1];
	uint8_t pk[32], sk[32];

	assert_int_equal(fw_age_keygen(rec, id), FW_OK);
	assert_int_equal(strlen(rec), 62);
	assert_int_equal(strlen(id), 74);
	assert_memory_equal(rec, "age1", 4);
	assert_memory_equal(id, "AGE-SECRET-KEY-1", 16);
	assert_int_equal(fw_age_recipient_parse(rec, pk), FW_OK);
	assert_int_equal(fw_age_identity_parse(id, strlen(id), sk), FW_OK);

	/* age-keygen derives the same recipient from our identity */
	int w = snprintf(line, sizeof line, "%s\n", id);
	assert_true(w > 0 && (size_t)w < sizeof line);
	write_file("ours.key", line, strlen(line));
	const char *y[] = {"age-keygen", "-y", tmp_path("ours.key"), NULL};
	run_ok("ours.pub", y);
	size_t n;
	uint8_t *got = read_file("ours.pub", &n);
	assert_int_equal(n, strlen(rec) + 1);
	assert_memory_equal(got, rec, strlen(rec));
	free(got);
}

static void test_age_recipient_parse_rejects(void **state)
{
	(void)state;
	char rec[FW_CRYPTO_AGE_RECIPIENT_BYTES], id[FW_CRYPTO_AGE_IDENTITY_BYTES];
	char bad[FW_CRYPTO_AGE_IDENTITY_BYTES];
	uint8_t pk[32], before[32], key31[31] = {0};
	assert_int_equal(fw_age_keygen(rec, id), FW_OK);
	memset(pk, 0x5a, sizeof pk);
	memcpy(before, pk, sizeof pk);
	size_t len = strlen(rec);

	/* bad checksum: last character replaced by another bech32 character */
	memcpy(bad, rec, len + 1);
	bad[len - 1] = bad[len - 1] == 'q' ? 'p' : 'q';
	assert_int_equal(fw_age_recipient_parse(bad, pk), FW_ERR_INVALID);
	/* a flipped data character */
	memcpy(bad, rec, len + 1);
	bad[10] = bad[10] == 'q' ? 'p' : 'q';
	assert_int_equal(fw_age_recipient_parse(bad, pk), FW_ERR_INVALID);
	/* mixed case, and all upper case (age writes and wants lower case) */
	memcpy(bad, rec, len + 1);
	for (size_t i = 0; i < len; i++)
		if (bad[i] >= 'a' && bad[i] <= 'z') {
			bad[i] = (char)(bad[i] - 32);
			break;
		}
	assert_int_equal(fw_age_recipient_parse(bad, pk), FW_ERR_INVALID);
	for (size_t i = 0; i < len; i++)
		if (bad[i] >= 'a' && bad[i] <= 'z')
			bad[i] = (char)(bad[i] - 32);
	assert_int_equal(fw_age_recipient_parse(bad, pk), FW_ERR_INVALID);
	/* real age agrees about the upper-case form */
	const char *age_upper[] = {"age", "-r", bad, "-o", tmp_path("x.age"), "/dev/null", NULL};
	assert_int_not_equal(run(NULL, age_upper), 0);
	/* wrong HRP: a valid bech32 identity is not a recipient, in either case */
	assert_int_equal(fw_age_recipient_parse(id, pk), FW_ERR_INVALID);
	memcpy(bad, id, strlen(id) + 1);
	for (size_t i = 0; bad[i]; i++)
		if (bad[i] >= 'A' && bad[i] <= 'Z')
			bad[i] = (char)(bad[i] + 32);
	assert_int_equal(fw_age_recipient_parse(bad, pk), FW_ERR_INVALID);
	/* right HRP, wrong length */
	assert_int_equal(fw_crypto_bech32_encode("age", key31, sizeof key31, false, bad, sizeof bad),
			 FW_OK);
	assert_int_equal(fw_age_recipient_parse(bad, pk), FW_ERR_INVALID);
	/* surrounding whitespace, empty, NULL */
	int w = snprintf(bad, sizeof bad, " %s", rec);
	assert_true(w > 0);
	assert_int_equal(fw_age_recipient_parse(bad, pk), FW_ERR_INVALID);
	assert_int_equal(fw_age_recipient_parse("", pk), FW_ERR_INVALID);
	assert_int_equal(fw_age_recipient_parse(NULL, pk), FW_ERR_INVALID);
	/* out-parameter untouched by failures */
	assert_memory_equal(pk, before, sizeof pk);
	assert_int_equal(fw_age_recipient_parse(rec, pk), FW_OK);
	assert_memory_not_equal(pk, before, sizeof pk);
}

static void test_age_identity_parse_forms(void **state)
{
	(void)state;
	char rec[FW_CRYPTO_AGE_RECIPIENT_BYTES], id[FW_CRYPTO_AGE_IDENTITY_BYTES];
	char text[512], lower[FW_CRYPTO_AGE_IDENTITY_BYTES];
	uint8_t sk[32], sk2[32], pk[32];
	struct fw_buf sealed, out;
	int w;

	/* the file age-keygen writes */
	age_keygen_file("forms.key", rec);
	identity_from_file("forms.key", sk);
	/* the key is the one for that recipient: seal to it and open */
	assert_int_equal(fw_age_recipient_parse(rec, pk), FW_OK);
	fw_buf_init(&sealed, MAX_OUT);
	fw_buf_init(&out, MAX_OUT);
	assert_int_equal(fw_age_seal(pk, (const uint8_t *)"hi", 2, &sealed), FW_OK);
	assert_int_equal(fw_age_open(sk, sealed.data, sealed.len, &out), FW_OK);
	assert_string_equal(fw_buf_str(&out), "hi");

	assert_int_equal(fw_age_keygen(rec, id), FW_OK);
	assert_int_equal(fw_age_identity_parse(id, strlen(id), sk), FW_OK);
	/* comments, blank lines, CRLF, no final newline */
	w = snprintf(text, sizeof text, "# created: now\r\n\r\n# public key: %s\r\n%s", rec, id);
	assert_true(w > 0 && (size_t)w < sizeof text);
	assert_int_equal(fw_age_identity_parse(text, strlen(text), sk2), FW_OK);
	assert_memory_equal(sk, sk2, 32);
	/* first key wins */
	char rec2[FW_CRYPTO_AGE_RECIPIENT_BYTES], id2[FW_CRYPTO_AGE_IDENTITY_BYTES];
	assert_int_equal(fw_age_keygen(rec2, id2), FW_OK);
	w = snprintf(text, sizeof text, "\n%s\n%s\n", id, id2);
	assert_true(w > 0 && (size_t)w < sizeof text);
	assert_int_equal(fw_age_identity_parse(text, strlen(text), sk2), FW_OK);
	assert_memory_equal(sk, sk2, 32);

	memset(sk2, 0x77, sizeof sk2);
	/* a non-comment line that is not a key */
	w = snprintf(text, sizeof text, "# hi\nhello\n%s\n", id);
	assert_true(w > 0 && (size_t)w < sizeof text);
	assert_int_equal(fw_age_identity_parse(text, strlen(text), sk2), FW_ERR_INVALID);
	/* a recipient is not an identity */
	assert_int_equal(fw_age_identity_parse(rec, strlen(rec), sk2), FW_ERR_INVALID);
	/* only comments */
	assert_int_equal(fw_age_identity_parse("# nothing\n\n", 11, sk2), FW_ERR_INVALID);
	assert_int_equal(fw_age_identity_parse("", 0, sk2), FW_ERR_INVALID);
	/* leading space is not stripped */
	w = snprintf(text, sizeof text, " %s\n", id);
	assert_true(w > 0 && (size_t)w < sizeof text);
	assert_int_equal(fw_age_identity_parse(text, strlen(text), sk2), FW_ERR_INVALID);
	/* lower case: valid bech32, wrong HRP case; age refuses it too */
	memcpy(lower, id, strlen(id) + 1);
	for (size_t i = 0; lower[i]; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] + 32);
	assert_int_equal(fw_age_identity_parse(lower, strlen(lower), sk2), FW_ERR_INVALID);
	/* bad checksum */
	memcpy(lower, id, strlen(id) + 1);
	lower[strlen(lower) - 1] = lower[strlen(lower) - 1] == 'Q' ? 'P' : 'Q';
	assert_int_equal(fw_age_identity_parse(lower, strlen(lower), sk2), FW_ERR_INVALID);
	/* NUL bytes inside the text */
	assert_int_equal(fw_age_identity_parse("AGE\0SECRET", 10, sk2), FW_ERR_INVALID);
	for (size_t i = 0; i < sizeof sk2; i++)
		assert_int_equal(sk2[i], 0x77);
	fw_buf_cleanup(&sealed);
	fw_buf_cleanup_secret(&out);
}

/* --- age files ------------------------------------------------------------ */

static void test_age_seal_opens_with_age(void **state)
{
	(void)state;
	const size_t sizes[] = {0, 1, 65535, 65536, 65537, 200000};
	char rec[FW_CRYPTO_AGE_RECIPIENT_BYTES];
	uint8_t pk[32], sk[32];

	age_keygen_file("seal.key", rec);
	assert_int_equal(fw_age_recipient_parse(rec, pk), FW_OK);
	identity_from_file("seal.key", sk);
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = sizes[s], got_n;
		uint8_t *pt = random_bytes(n);
		struct fw_buf sealed, back;
		fw_buf_init(&sealed, MAX_OUT);
		fw_buf_init(&back, MAX_OUT);
		assert_int_equal(fw_age_seal(pk, pt, n, &sealed), FW_OK);
		/* exactly one X25519 stanza, binary */
		assert_int_equal(find(sealed.data, sealed.len, "age-encryption.org/v1\n-> X25519 "),
				 0);
		size_t pay = payload_offset(sealed.data, sealed.len);
		size_t chunks = n == 0 ? 1 : (n + CHUNK - 1) / CHUNK;
		assert_int_equal(sealed.len, pay + 16 + n + 16 * chunks);

		write_file("sealed.age", sealed.data, sealed.len);
		/* to stdout: age creates no -o file for an empty plaintext */
		const char *dec[] = {"age", "-d", "-i", tmp_path("seal.key"),
				     tmp_path("sealed.age"), NULL};
		run_ok("sealed.out", dec);
		uint8_t *got = read_file("sealed.out", &got_n);
		assert_int_equal(got_n, n);
		if (n)
			assert_memory_equal(got, pt, n);

		assert_int_equal(fw_age_open(sk, sealed.data, sealed.len, &back), FW_OK);
		assert_int_equal(back.len, n);
		if (n)
			assert_memory_equal(back.data, pt, n);
		free(got);
		free(pt);
		fw_buf_cleanup(&sealed);
		fw_buf_cleanup_secret(&back);
	}
}

/* Encrypts pt with the real age to the given recipients; returns the file. */
static uint8_t *age_encrypt(const uint8_t *pt, size_t n, const char *r1, const char *r2,
			    size_t *out_n)
{
	write_file("plain.in", pt, n);
	const char *one[] = {"age", "-r", r1, "-o", tmp_path("by_age.age"), tmp_path("plain.in"),
			     NULL};
	const char *two[] = {"age", "-r", r1, "-r", r2, "-o", tmp_path("by_age.age"),
			     tmp_path("plain.in"), NULL};
	run_ok(NULL, r2 ? two : one);
	return read_file("by_age.age", out_n);
}

static void test_age_open_file_from_age(void **state)
{
	(void)state;
	const size_t sizes[] = {0, 1, 65535, 65536, 65537, 200000};
	char rec[FW_CRYPTO_AGE_RECIPIENT_BYTES], other[FW_CRYPTO_AGE_RECIPIENT_BYTES];
	char other_id[FW_CRYPTO_AGE_IDENTITY_BYTES];
	uint8_t sk[32];

	age_keygen_file("open.key", rec);
	identity_from_file("open.key", sk);
	assert_int_equal(fw_age_keygen(other, other_id), FW_OK);
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t n = sizes[s], fn;
		uint8_t *pt = random_bytes(n);
		/* alone, and second of two recipients */
		for (int two = 0; two < 2; two++) {
			uint8_t *f = age_encrypt(pt, n, two ? other : rec, two ? rec : NULL, &fn);
			struct fw_buf out;
			fw_buf_init(&out, MAX_OUT);
			assert_int_equal(fw_age_open(sk, f, fn, &out), FW_OK);
			assert_int_equal(out.len, n);
			if (n)
				assert_memory_equal(out.data, pt, n);
			fw_buf_cleanup_secret(&out);
			free(f);
		}
		free(pt);
	}
}

/* Opens a modified copy of f and expects `want`, with out left as it was. */
static void expect_open(const uint8_t sk[32], const uint8_t *f, size_t n, enum fw_err want,
			const char *what)
{
	struct fw_buf out;
	fw_buf_init(&out, MAX_OUT);
	assert_int_equal(fw_buf_puts(&out, "prefix"), FW_OK);
	enum fw_err r = fw_age_open(sk, f, n, &out);
	if (r != want)
		fail_msg("%s: got %d (%s), want %d", what, r, fw_err_detail(), want);
	if (r != FW_OK) {
		assert_int_equal(out.len, 6);
		assert_string_equal(fw_buf_str(&out), "prefix");
	}
	fw_buf_cleanup_secret(&out);
}

static void expect_modified(const uint8_t sk[32], const uint8_t *f, size_t n, size_t at,
			    uint8_t xor_mask, enum fw_err want, const char *what)
{
	uint8_t *c = malloc(n);
	assert_non_null(c);
	memcpy(c, f, n);
	c[at] ^= xor_mask;
	expect_open(sk, c, n, want, what);
	free(c);
}

static void expect_replaced(const uint8_t sk[32], const uint8_t *f, size_t n, size_t at,
			    char with, enum fw_err want, const char *what)
{
	expect_modified(sk, f, n, at, (uint8_t)(f[at] ^ (uint8_t)with), want, what);
}

/* Replaces f[at, at+cut) with ins. */
static void expect_spliced(const uint8_t sk[32], const uint8_t *f, size_t n, size_t at,
			   size_t cut, const char *ins, enum fw_err want, const char *what)
{
	size_t k = strlen(ins), m = n - cut + k;
	uint8_t *c = malloc(m);
	assert_non_null(c);
	memcpy(c, f, at);
	memcpy(c + at, ins, k);
	memcpy(c + at + k, f + at + cut, n - at - cut);
	expect_open(sk, c, m, want, what);
	free(c);
}

static void tamper_header(const uint8_t sk[32], const uint8_t *f, size_t n)
{
	size_t stanza = find(f, n, "-> X25519 ");
	size_t share = stanza + strlen("-> X25519 ");
	size_t body = share + 44;
	size_t mac = find(f, n, "\n--- ") + 5;

	expect_open(sk, f, n, FW_OK, "untouched");
	expect_modified(sk, f, n, 0, 0x01, FW_ERR_INVALID, "version line");
	expect_modified(sk, f, n, stanza + 3, 0x01, FW_ERR_CRYPTO, "stanza type (Y25519)");
	expect_replaced(sk, f, n, share + 5, other_b64((char)f[share + 5]), FW_ERR_CRYPTO,
			"ephemeral share");
	expect_replaced(sk, f, n, body + 5, other_b64((char)f[body + 5]), FW_ERR_CRYPTO,
			"wrapped file key");
	expect_replaced(sk, f, n, mac, other_b64((char)f[mac]), FW_ERR_CRYPTO, "MAC");
	/* the MAC's last character carries 2 unused bits; setting one gives a
	 * non-canonical encoding */
	expect_modified(sk, f, n, mac + 42, 0x01, FW_ERR_INVALID, "non-canonical MAC");
	expect_spliced(sk, f, n, mac + 43, 0, "=", FW_ERR_INVALID, "padded MAC");
	expect_spliced(sk, f, n, share + 43, 0, "=", FW_ERR_INVALID, "padded share");
	expect_spliced(sk, f, n, 21, 1, "\r\n", FW_ERR_INVALID, "CRLF header");
	expect_spliced(sk, f, n, stanza + 2, 1, "  ", FW_ERR_INVALID, "double space");
	/* the MAC covers every stanza, including ones we skip */
	expect_spliced(sk, f, n, stanza, 0, "-> grease x\n\n", FW_ERR_CRYPTO,
		       "stanza inserted before ours");
	expect_spliced(sk, f, n, stanza, 0, "-> X25519 AAAA\n\n", FW_ERR_INVALID,
		       "malformed X25519 stanza");
	/* a header change the MAC covers: an extra unknown stanza after ours */
	size_t mac_line = mac - 4;
	expect_spliced(sk, f, n, mac_line, 0, "-> grease\n\n", FW_ERR_CRYPTO,
		       "stanza added after MAC was made");
	expect_spliced(sk, f, n, mac_line, n - mac_line, "", FW_ERR_INVALID, "no MAC line");
}

static void tamper_payload(const uint8_t sk[32], const uint8_t *f, size_t n)
{
	size_t pay = payload_offset(f, n);
	size_t chunks_at = pay + 16;

	expect_modified(sk, f, n, pay, 0x01, FW_ERR_CRYPTO, "payload nonce");
	expect_modified(sk, f, n, chunks_at, 0x80, FW_ERR_CRYPTO, "first chunk");
	expect_modified(sk, f, n, chunks_at + ENC_CHUNK - 1, 0x01, FW_ERR_CRYPTO, "first tag");
	expect_modified(sk, f, n, n - 100, 0x01, FW_ERR_CRYPTO, "last chunk");
	expect_modified(sk, f, n, n - 1, 0x01, FW_ERR_CRYPTO, "last tag");
	/* truncation: the whole last chunk (the one before it is then not a
	 * valid final chunk), one byte, into the nonce, into the header */
	size_t full = (n - chunks_at) / ENC_CHUNK;
	expect_open(sk, f, chunks_at + full * ENC_CHUNK, FW_ERR_CRYPTO, "last chunk dropped");
	expect_open(sk, f, n - 1, FW_ERR_CRYPTO, "one byte short");
	expect_open(sk, f, chunks_at + 10, FW_ERR_INVALID, "chunk shorter than a tag");
	expect_open(sk, f, chunks_at, FW_ERR_INVALID, "no chunks");
	expect_open(sk, f, pay + 5, FW_ERR_INVALID, "nonce cut");
	expect_open(sk, f, pay - 10, FW_ERR_INVALID, "header cut");
	expect_open(sk, f, 0, FW_ERR_INVALID, "empty");
	/* trailing data */
	uint8_t *c = malloc(n + 17);
	assert_non_null(c);
	memcpy(c, f, n);
	memset(c + n, 0, 17);
	expect_open(sk, c, n + 1, FW_ERR_CRYPTO, "one trailing byte");
	expect_open(sk, c, n + 17, FW_ERR_CRYPTO, "trailing chunk-like data");
	free(c);
}

static void test_age_open_rejects_tampering(void **state)
{
	(void)state;
	char rec[FW_CRYPTO_AGE_RECIPIENT_BYTES];
	uint8_t pk[32], sk[32];
	size_t n;

	age_keygen_file("tamper.key", rec);
	identity_from_file("tamper.key", sk);
	assert_int_equal(fw_age_recipient_parse(rec, pk), FW_OK);
	uint8_t *pt = random_bytes(200000);

	/* a file written by age, and one written by us */
	uint8_t *f = age_encrypt(pt, 200000, rec, NULL, &n);
	tamper_header(sk, f, n);
	tamper_payload(sk, f, n);
	free(f);

	struct fw_buf sealed;
	fw_buf_init(&sealed, MAX_OUT);
	assert_int_equal(fw_age_seal(pk, pt, 200000, &sealed), FW_OK);
	tamper_header(sk, sealed.data, sealed.len);
	tamper_payload(sk, sealed.data, sealed.len);
	fw_buf_cleanup(&sealed);
	free(pt);
}

static void test_age_open_chunk_boundaries(void **state)
{
	(void)state;
	char rec[FW_CRYPTO_AGE_RECIPIENT_BYTES];
	uint8_t sk[32];
	size_t n;

	age_keygen_file("bound.key", rec);
	identity_from_file("bound.key", sk);
	uint8_t *pt = random_bytes(CHUNK);
	/* one full chunk is the final chunk; an empty chunk may not follow it */
	uint8_t *f = age_encrypt(pt, CHUNK, rec, NULL, &n);
	assert_int_equal(n, payload_offset(f, n) + 16 + ENC_CHUNK);
	uint8_t *c = malloc(n + 16);
	assert_non_null(c);
	memcpy(c, f, n);
	memset(c + n, 0, 16);
	expect_open(sk, c, n + 16, FW_ERR_INVALID, "empty chunk after a full final chunk");
	free(c);
	free(f);
	/* an empty file is a single empty final chunk; dropping it is truncation */
	f = age_encrypt(pt, 0, rec, NULL, &n);
	assert_int_equal(n, payload_offset(f, n) + 16 + 16);
	expect_open(sk, f, n, FW_OK, "empty file");
	expect_open(sk, f, n - 16, FW_ERR_INVALID, "empty file without its chunk");
	free(f);
	free(pt);
}

static void test_age_open_wrong_identity(void **state)
{
	(void)state;
	char rec[FW_CRYPTO_AGE_RECIPIENT_BYTES], rec2[FW_CRYPTO_AGE_RECIPIENT_BYTES];
	uint8_t sk2[32], pk[32];
	size_t n;

	age_keygen_file("right.key", rec);
	age_keygen_file("wrong.key", rec2);
	identity_from_file("wrong.key", sk2);
	assert_int_equal(fw_age_recipient_parse(rec, pk), FW_OK);
	uint8_t *f = age_encrypt((const uint8_t *)"secret", 6, rec, NULL, &n);
	expect_open(sk2, f, n, FW_ERR_CRYPTO, "age file, wrong identity");
	free(f);

	struct fw_buf sealed;
	fw_buf_init(&sealed, MAX_OUT);
	assert_int_equal(fw_age_seal(pk, (const uint8_t *)"secret", 6, &sealed), FW_OK);
	expect_open(sk2, sealed.data, sealed.len, FW_ERR_CRYPTO, "our file, wrong identity");
	/* and age agrees */
	write_file("wrong.age", sealed.data, sealed.len);
	const char *dec[] = {"age", "-d", "-i", tmp_path("wrong.key"), tmp_path("wrong.age"), NULL};
	assert_int_not_equal(run("wrong.out", dec), 0);
	fw_buf_cleanup(&sealed);

	/* a low-order "recipient" is refused rather than sealed to */
	uint8_t zero[32] = {0};
	fw_buf_init(&sealed, MAX_OUT);
	assert_int_equal(fw_age_seal(zero, (const uint8_t *)"x", 1, &sealed), FW_ERR_INVALID);
	assert_int_equal(sealed.len, 0);
	fw_buf_cleanup(&sealed);
}

static void test_age_size_limits(void **state)
{
	(void)state;
	uint8_t pk[32], sk[32];
	char rec[FW_CRYPTO_AGE_RECIPIENT_BYTES], id[FW_CRYPTO_AGE_IDENTITY_BYTES];
	struct fw_buf small, out;
	assert_int_equal(fw_age_keygen(rec, id), FW_OK);
	assert_int_equal(fw_age_recipient_parse(rec, pk), FW_OK);
	assert_int_equal(fw_age_identity_parse(id, strlen(id), sk), FW_OK);
	uint8_t *pt = random_bytes(1000);

	/* the caller's buffer limit holds, and a failure leaves nothing */
	fw_buf_init(&small, 500);
	assert_int_equal(fw_age_seal(pk, pt, 1000, &small), FW_ERR_TOO_LARGE);
	assert_int_equal(small.len, 0);
	fw_buf_cleanup(&small);
	fw_buf_init(&small, MAX_OUT);
	assert_int_equal(fw_age_seal(pk, pt, 1000, &small), FW_OK);
	fw_buf_init(&out, 999);
	assert_int_equal(fw_age_open(sk, small.data, small.len, &out), FW_ERR_TOO_LARGE);
	assert_int_equal(out.len, 0);
	fw_buf_cleanup(&out);
	fw_buf_cleanup(&small);
	/* a plaintext over the limit is refused before any work */
	assert_int_equal(fw_age_seal(pk, pt, (size_t)FW_CRYPTO_AGE_MAX_BYTES + 1, &small),
			 FW_ERR_TOO_LARGE);
	free(pt);
}

/* --- minisign ------------------------------------------------------------- */

static void write_our_keys(const struct fw_sign_key *k, const char *pub, const char *sec)
{
	struct fw_verify_key vk;
	struct fw_buf b;
	fw_minisign_verify_key(k, &vk);
	fw_buf_init(&b, 4096);
	assert_int_equal(fw_minisign_public_format(&vk, &b), FW_OK);
	write_file(pub, b.data, b.len);
	fw_buf_reset(&b);
	assert_int_equal(fw_minisign_secret_format(k, &b), FW_OK);
	write_file(sec, b.data, b.len);
	fw_buf_cleanup_secret(&b);
}

static void test_minisign_our_signature_verifies_with_minisign(void **state)
{
	(void)state;
	struct fw_sign_key k;
	struct fw_verify_key vk;
	struct fw_buf sig, line;
	const char *tc = "advisory:FW-2025-0001\tartifact:poc\tmember:acme\tlog:42";

	assert_int_equal(fw_minisign_keygen(&k), FW_OK);
	fw_minisign_verify_key(&k, &vk);
	write_our_keys(&k, "ours.pub", "ours.sec");
	uint8_t *msg = random_bytes(100000);
	write_file("msg.bin", msg, 100000);
	fw_buf_init(&sig, 16384);
	assert_int_equal(fw_minisign_sign(&k, msg, 100000, NULL, tc, &sig), FW_OK);
	write_file("msg.bin.minisig", sig.data, sig.len);

	const char *v[] = {"minisign", "-V", "-H", "-m", tmp_path("msg.bin"), "-p",
			   tmp_path("ours.pub"), "-x", tmp_path("msg.bin.minisig"), NULL};
	run_ok("verify.out", v);
	size_t n;
	uint8_t *o = read_file("verify.out", &n);
	char want[256];
	snprintf(want, sizeof want, "Trusted comment: %s\n", tc);
	assert_non_null(strstr((char *)o, want));
	free(o);

	/* the bare base64 line works as `minisign -P` */
	fw_buf_init(&line, 256);
	assert_int_equal(fw_minisign_public_line(&vk, &line), FW_OK);
	const char *vp[] = {"minisign", "-V", "-Q", "-m", tmp_path("msg.bin"), "-P",
			    fw_buf_str(&line), "-x", tmp_path("msg.bin.minisig"), NULL};
	run_ok("verify.out", vp);
	o = read_file("verify.out", &n);
	snprintf(want, sizeof want, "%s\n", tc);
	assert_string_equal((char *)o, want);
	free(o);

	/* and minisign rejects it for a changed message */
	msg[5] ^= 1;
	write_file("msg.bin", msg, 100000);
	assert_int_not_equal(run(NULL, v), 0);
	/* we verify our own signature, and return the trusted comment */
	char got[256];
	assert_int_equal(fw_minisign_verify(&vk, msg, 100000, (char *)sig.data, sig.len, got,
					    sizeof got), FW_ERR_CRYPTO);
	msg[5] ^= 1;
	assert_int_equal(fw_minisign_verify(&vk, msg, 100000, (char *)sig.data, sig.len, got,
					    sizeof got), FW_OK);
	assert_string_equal(got, tc);
	fw_buf_cleanup(&sig);
	fw_buf_cleanup(&line);
	free(msg);
	fw_crypto_wipe(&k, sizeof k);
}

static void test_minisign_verifies_minisign_signatures(void **state)
{
	(void)state;
	struct fw_sign_key k;
	struct fw_verify_key vk, vk2;
	size_t pn, sn, gn;
	char tc[256];

	const char *gen[] = {"minisign", "-G", "-W", "-p", tmp_path("theirs.pub"), "-s",
			     tmp_path("theirs.key"), NULL};
	run_ok(NULL, gen);
	uint8_t *pub = read_file("theirs.pub", &pn);
	uint8_t *sec = read_file("theirs.key", &sn);
	assert_int_equal(fw_minisign_public_parse((char *)pub, pn, &vk), FW_OK);
	assert_int_equal(fw_minisign_secret_parse((char *)sec, sn, &k), FW_OK);
	fw_minisign_verify_key(&k, &vk2);
	assert_memory_equal(&vk, &vk2, sizeof vk);

	/* our .pub file is byte-identical to minisign's (key id comment too) */
	struct fw_buf b;
	fw_buf_init(&b, 4096);
	assert_int_equal(fw_minisign_public_format(&vk, &b), FW_OK);
	assert_int_equal(b.len, pn);
	assert_memory_equal(b.data, pub, pn);
	/* the bare line parses too */
	const char *nl = memchr(pub, '\n', pn);
	assert_non_null(nl);
	assert_int_equal(fw_minisign_public_parse(nl + 1, pn - (size_t)(nl + 1 - (char *)pub), &vk2),
			 FW_OK);
	assert_memory_equal(&vk, &vk2, sizeof vk);

	const char *msg = "release notes for FW-2025-0001\n";
	write_file("m.txt", msg, strlen(msg));
	/* prehashed (default) and legacy signatures */
	for (int legacy = 0; legacy < 2; legacy++) {
		const char *sign[] = {"minisign", "-S", "-s", tmp_path("theirs.key"), "-m",
				      tmp_path("m.txt"), "-x", tmp_path("m.sig"), "-t",
				      "from minisign", legacy ? "-l" : NULL, NULL};
		run_ok(NULL, sign);
		uint8_t *sig = read_file("m.sig", &gn);
		assert_int_equal(fw_minisign_verify(&vk, (const uint8_t *)msg, strlen(msg),
						    (char *)sig, gn, tc, sizeof tc), FW_OK);
		assert_string_equal(tc, "from minisign");
		/* the same signature is not valid for another message */
		assert_int_equal(fw_minisign_verify(&vk, (const uint8_t *)msg, strlen(msg) - 1,
						    (char *)sig, gn, tc, sizeof tc), FW_ERR_CRYPTO);
		free(sig);
	}

	/* a signature we make with their (parsed) key verifies with minisign */
	fw_buf_reset(&b);
	assert_int_equal(fw_minisign_sign(&k, (const uint8_t *)msg, strlen(msg), "ours",
					  "signed by forewarn", &b), FW_OK);
	write_file("m.sig", b.data, b.len);
	const char *v[] = {"minisign", "-V", "-Q", "-p", tmp_path("theirs.pub"), "-m",
			   tmp_path("m.txt"), "-x", tmp_path("m.sig"), NULL};
	run_ok("v.out", v);
	uint8_t *o = read_file("v.out", &gn);
	assert_string_equal((char *)o, "signed by forewarn\n");
	free(o);
	fw_buf_cleanup(&b);
	free(pub);
	free(sec);
	fw_crypto_wipe(&k, sizeof k);
}

static void test_minisign_our_secret_key_signs_with_minisign(void **state)
{
	(void)state;
	struct fw_sign_key k, k2;
	struct fw_verify_key vk;
	size_t n;
	char tc[64];

	assert_int_equal(fw_minisign_keygen(&k), FW_OK);
	fw_minisign_verify_key(&k, &vk);
	write_our_keys(&k, "o.pub", "o.key");
	uint8_t *sec = read_file("o.key", &n);
	assert_int_equal(fw_minisign_secret_parse((char *)sec, n, &k2), FW_OK);
	assert_memory_equal(&k, &k2, sizeof k);
	free(sec);

	write_file("doc.txt", "doc", 3);
	const char *sign[] = {"minisign", "-S", "-s", tmp_path("o.key"), "-m", tmp_path("doc.txt"),
			      "-x", tmp_path("doc.sig"), "-t", "made by minisign", NULL};
	run_ok(NULL, sign);
	uint8_t *sig = read_file("doc.sig", &n);
	assert_int_equal(fw_minisign_verify(&vk, (const uint8_t *)"doc", 3, (char *)sig, n, tc,
					    sizeof tc), FW_OK);
	assert_string_equal(tc, "made by minisign");
	free(sig);
	/* minisign -R rebuilds the same public key file from our secret key */
	const char *rec[] = {"minisign", "-R", "-s", tmp_path("o.key"), "-p", tmp_path("r.pub"),
			     NULL};
	run_ok(NULL, rec);
	size_t a, b;
	uint8_t *p1 = read_file("o.pub", &a), *p2 = read_file("r.pub", &b);
	assert_int_equal(a, b);
	assert_memory_equal(p1, p2, a);
	free(p1);
	free(p2);
	fw_crypto_wipe(&k, sizeof k);
	fw_crypto_wipe(&k2, sizeof k2);
}

/* The bounds of line `line_no` of text. */
static void line_at(const char *text, size_t line_no, const char **start, const char **end)
{
	const char *p = text;
	for (size_t i = 0; i < line_no; i++) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	*start = p;
	*end = strchr(p, '\n');
	assert_non_null(*end);
}

static void decode_line(const char *text, size_t line_no, uint8_t *blob, size_t blob_bytes)
{
	const char *p, *e;
	line_at(text, line_no, &p, &e);
	assert_int_equal(fw_crypto_b64_decode_exact(p, (size_t)(e - p), blob, blob_bytes,
						    FW_B64_PADDED), FW_OK);
}

/* A copy of text with line `line_no` replaced by the base64 of blob. */
static char *encode_line(const char *text, size_t line_no, const uint8_t *blob,
			 size_t blob_bytes)
{
	const char *p, *e;
	char b64[256];
	line_at(text, line_no, &p, &e);
	assert_int_equal(fw_crypto_b64_encode(blob, blob_bytes, FW_B64_PADDED, b64, sizeof b64),
			 FW_OK);
	size_t head = (size_t)(p - text), tail = strlen(e), mid = strlen(b64);
	char *out = malloc(head + mid + tail + 1);
	assert_non_null(out);
	memcpy(out, text, head);
	memcpy(out + head, b64, mid);
	memcpy(out + head + mid, e, tail + 1);
	return out;
}

/* A copy of text with byte `at` of the blob on line `line_no` changed. */
static char *resign_line(const char *text, size_t line_no, size_t blob_bytes, size_t at,
			 uint8_t xor_mask)
{
	uint8_t blob[256];
	assert_true(blob_bytes <= sizeof blob && at < blob_bytes);
	decode_line(text, line_no, blob, blob_bytes);
	blob[at] ^= xor_mask;
	return encode_line(text, line_no, blob, blob_bytes);
}

static void expect_verify(const struct fw_verify_key *vk, const char *msg, const char *sig,
			  enum fw_err want, const char *what)
{
	char tc[64] = "unchanged";
	enum fw_err r = fw_minisign_verify(vk, (const uint8_t *)msg, strlen(msg), sig, strlen(sig),
					   tc, sizeof tc);
	if (r != want)
		fail_msg("%s: got %d (%s), want %d", what, r, fw_err_detail(), want);
	if (r != FW_OK)
		assert_string_equal(tc, "unchanged");
}

static void test_minisign_rejects(void **state)
{
	(void)state;
	struct fw_sign_key k, k2;
	struct fw_verify_key vk, vk2;
	struct fw_buf b;
	const char *msg = "payload";
	char *s;

	assert_int_equal(fw_minisign_keygen(&k), FW_OK);
	assert_int_equal(fw_minisign_keygen(&k2), FW_OK);
	fw_minisign_verify_key(&k, &vk);
	fw_buf_init(&b, 16384);
	assert_int_equal(fw_minisign_sign(&k, (const uint8_t *)msg, strlen(msg), "u", "tc 1", &b),
			 FW_OK);
	const char *sig = fw_buf_str(&b);
	expect_verify(&vk, msg, sig, FW_OK, "untouched");

	/* a flipped bit in the signature, the global signature, the key id */
	s = resign_line(sig, 1, 74, 40, 0x01);
	expect_verify(&vk, msg, s, FW_ERR_CRYPTO, "signature byte");
	free(s);
	s = resign_line(sig, 3, 64, 10, 0x01);
	expect_verify(&vk, msg, s, FW_ERR_CRYPTO, "global signature byte");
	free(s);
	s = resign_line(sig, 1, 74, 3, 0x01);
	expect_verify(&vk, msg, s, FW_ERR_CRYPTO, "key id in signature");
	free(s);
	s = resign_line(sig, 1, 74, 1, 'D' ^ 'X');
	expect_verify(&vk, msg, s, FW_ERR_INVALID, "unknown algorithm");
	free(s);
	/* "ED" relabelled as legacy "Ed" no longer verifies */
	s = resign_line(sig, 1, 74, 1, 'D' ^ 'd');
	expect_verify(&vk, msg, s, FW_ERR_CRYPTO, "prehash flag");
	free(s);
	/* a changed trusted comment */
	s = strdup(sig);
	assert_non_null(s);
	*strstr(s, "tc 1") = 'T';
	expect_verify(&vk, msg, s, FW_ERR_CRYPTO, "trusted comment");
	free(s);
	/* the untrusted comment is not covered */
	s = strdup(sig);
	assert_non_null(s);
	strstr(s, ": u\n")[2] = 'v';
	expect_verify(&vk, msg, s, FW_OK, "untrusted comment");
	free(s);
	/* a key with another id, or the same id and another public key */
	vk2 = vk;
	vk2.key_id[0] ^= 1;
	assert_int_equal(fw_minisign_verify(&vk2, (const uint8_t *)msg, strlen(msg), sig,
					    strlen(sig), NULL, 0), FW_ERR_CRYPTO);
	fw_minisign_verify_key(&k2, &vk2);
	memcpy(vk2.key_id, vk.key_id, sizeof vk2.key_id);
	assert_int_equal(fw_minisign_verify(&vk2, (const uint8_t *)msg, strlen(msg), sig,
					    strlen(sig), NULL, 0), FW_ERR_CRYPTO);
	/* another message */
	expect_verify(&vk, "payloaD", sig, FW_ERR_CRYPTO, "message");
	/* malformed files */
	expect_verify(&vk, msg, "", FW_ERR_INVALID, "empty");
	s = strdup(sig);
	assert_non_null(s);
	s[strlen(s) / 2] = '\0';
	expect_verify(&vk, msg, s, FW_ERR_INVALID, "truncated");
	free(s);
	s = strdup(sig);
	assert_non_null(s);
	memcpy(strstr(s, "trusted comment: tc"), "trusted_comment: tc", 19);
	expect_verify(&vk, msg, s, FW_ERR_INVALID, "bad trusted prefix");
	free(s);
	expect_verify(&vk, msg, sig + 1, FW_ERR_INVALID, "bad untrusted prefix");
	char *more = malloc(strlen(sig) + 8);
	assert_non_null(more);
	memcpy(more, sig, strlen(sig));
	memcpy(more + strlen(sig), "garbage", 8);
	expect_verify(&vk, msg, more, FW_ERR_INVALID, "trailing garbage");
	free(more);
	/* trusted comment too long for the caller's buffer */
	char tiny[4];
	assert_int_equal(fw_minisign_verify(&vk, (const uint8_t *)msg, strlen(msg), sig,
					    strlen(sig), tiny, sizeof tiny), FW_ERR_TOO_LARGE);
	/* comments must stay one line */
	fw_buf_reset(&b);
	assert_int_equal(fw_minisign_sign(&k, (const uint8_t *)msg, 1, "u", "a\nb", &b),
			 FW_ERR_INVALID);
	assert_int_equal(fw_minisign_sign(&k, (const uint8_t *)msg, 1, "u\r", "t", &b),
			 FW_ERR_INVALID);
	assert_int_equal(b.len, 0);
	fw_buf_cleanup(&b);
	fw_crypto_wipe(&k, sizeof k);
	fw_crypto_wipe(&k2, sizeof k2);
}

/* Public key files written by minisign 0.11 itself; the second has a key id
 * whose top nibble is zero, which minisign does not pad. */
static void test_minisign_public_files_from_minisign(void **state)
{
	(void)state;
	static const char *files[] = {
		"untrusted comment: minisign public key ACABD8935A1C078D\n"
		"RWSNBxxak9irrFKcGXUq2BGhslHm450aFcdu0X0BnDbRiWzbxMsTbnBR\n",
		"untrusted comment: minisign public key 60094A99364D0B8\n"
		"RWS40GSTqZQABkvE/2hiG4D0E28VxVSMRGGV1mSCuYL16uZMKWKPG40p\n",
	};
	static const uint8_t id0[8] = {0x8d, 0x07, 0x1c, 0x5a, 0x93, 0xd8, 0xab, 0xac};
	struct fw_verify_key vk;
	struct fw_buf b;

	fw_buf_init(&b, 4096);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(fw_minisign_public_parse(files[i], strlen(files[i]), &vk), FW_OK);
		if (i == 0)
			assert_memory_equal(vk.key_id, id0, 8);
		fw_buf_reset(&b);
		assert_int_equal(fw_minisign_public_format(&vk, &b), FW_OK);
		assert_string_equal(fw_buf_str(&b), files[i]);
		fw_buf_reset(&b);
		assert_int_equal(fw_minisign_public_line(&vk, &b), FW_OK);
		assert_memory_equal(fw_buf_str(&b), strchr(files[i], '\n') + 1, 56);
		assert_int_equal(b.len, 56);
	}
	fw_buf_cleanup(&b);
}

/* Our secret key file carries the BLAKE2b-256 checksum minisign defines,
 * computed here by coreutils' b2sum. */
static void test_minisign_secret_checksum(void **state)
{
	(void)state;
	struct fw_sign_key k;
	struct fw_buf b;
	uint8_t blob[158], in[2 + 8 + 64];
	char hex[65];
	size_t n;

	assert_int_equal(fw_minisign_keygen(&k), FW_OK);
	fw_buf_init(&b, 4096);
	assert_int_equal(fw_minisign_secret_format(&k, &b), FW_OK);
	assert_memory_equal(b.data, "untrusted comment: ", 19);
	decode_line(fw_buf_str(&b), 1, blob, sizeof blob);
	assert_memory_equal(blob, "Ed\0\0B2", 6);
	assert_memory_equal(blob + 0x36, k.key_id, 8);
	assert_memory_equal(blob + 0x3e, k.sk, 64);
	memcpy(in, "Ed", 2);
	memcpy(in + 2, k.key_id, 8);
	memcpy(in + 10, k.sk, 64);
	write_file("chk.in", in, sizeof in);
	const char *b2[] = {"b2sum", "-l", "256", tmp_path("chk.in"), NULL};
	run_ok("chk.out", b2);
	uint8_t *o = read_file("chk.out", &n);
	fw_crypto_hex(blob + 0x7e, 32, hex);
	assert_true(n > 64);
	assert_memory_equal(o, hex, 64);
	free(o);
	fw_crypto_wipe(in, sizeof in);
	fw_crypto_wipe(blob, sizeof blob);
	fw_crypto_wipe(&k, sizeof k);
	fw_buf_cleanup_secret(&b);
}

static void test_minisign_key_parse_rejects(void **state)
{
	(void)state;
	struct fw_sign_key k, got;
	struct fw_verify_key vk, vgot;
	struct fw_buf b;
	char *s;

	assert_int_equal(fw_minisign_keygen(&k), FW_OK);
	fw_minisign_verify_key(&k, &vk);
	fw_buf_init(&b, 4096);
	assert_int_equal(fw_minisign_secret_format(&k, &b), FW_OK);
	const char *sec = fw_buf_str(&b);
	memset(&got, 0x33, sizeof got);

	/* byte 0x46 sits in the secret seed; 0x90 in the checksum */
	s = resign_line(sec, 1, 158, 0x46, 0x01);
	assert_int_equal(fw_minisign_secret_parse(s, strlen(s), &got), FW_ERR_INVALID);
	free(s);
	s = resign_line(sec, 1, 158, 0x90, 0x01);
	assert_int_equal(fw_minisign_secret_parse(s, strlen(s), &got), FW_ERR_INVALID);
	free(s);
	/* password-protected keys are reported as such */
	uint8_t blob[158];
	decode_line(sec, 1, blob, sizeof blob);
	memcpy(blob + 2, "Sc", 2);
	s = encode_line(sec, 1, blob, sizeof blob);
	assert_int_equal(fw_minisign_secret_parse(s, strlen(s), &got), FW_ERR_UNSUPPORTED);
	free(s);
	/* minisign -G -W leaves the checksum zero; then the seed is checked
	 * against the public half */
	decode_line(sec, 1, blob, sizeof blob);
	memset(blob + 0x7e, 0, 32);
	s = encode_line(sec, 1, blob, sizeof blob);
	assert_int_equal(fw_minisign_secret_parse(s, strlen(s), &got), FW_OK);
	assert_memory_equal(&got, &k, sizeof k);
	free(s);
	memset(&got, 0x33, sizeof got);
	blob[0x46] ^= 0x01;
	s = encode_line(sec, 1, blob, sizeof blob);
	assert_int_equal(fw_minisign_secret_parse(s, strlen(s), &got), FW_ERR_INVALID);
	free(s);
	blob[0x46] ^= 0x01;
	blob[0x70] ^= 0x01; /* in the public half */
	s = encode_line(sec, 1, blob, sizeof blob);
	assert_int_equal(fw_minisign_secret_parse(s, strlen(s), &got), FW_ERR_INVALID);
	free(s);
	fw_crypto_wipe(blob, sizeof blob);
	s = resign_line(sec, 1, 158, 5, '2' ^ '3');
	assert_int_equal(fw_minisign_secret_parse(s, strlen(s), &got), FW_ERR_INVALID);
	free(s);
	assert_int_equal(fw_minisign_secret_parse(sec, 30, &got), FW_ERR_INVALID);
	assert_int_equal(fw_minisign_secret_parse(sec + 1, strlen(sec) - 1, &got), FW_ERR_INVALID);
	struct fw_sign_key fill;
	memset(&fill, 0x33, sizeof fill);
	assert_memory_equal(&got, &fill, sizeof got);
	assert_int_equal(fw_minisign_secret_parse(sec, strlen(sec), &got), FW_OK);
	assert_memory_equal(&got, &k, sizeof k);

	fw_buf_reset(&b);
	assert_int_equal(fw_minisign_public_format(&vk, &b), FW_OK);
	const char *pub = fw_buf_str(&b);
	s = resign_line(pub, 1, 42, 1, 'd' ^ 'D');
	assert_int_equal(fw_minisign_public_parse(s, strlen(s), &vgot), FW_ERR_INVALID);
	free(s);
	assert_int_equal(fw_minisign_public_parse(pub, 40, &vgot), FW_ERR_INVALID);
	assert_int_equal(fw_minisign_public_parse("", 0, &vgot), FW_ERR_INVALID);
	assert_int_equal(fw_minisign_public_parse("RWQ=\n", 5, &vgot), FW_ERR_INVALID);
	assert_int_equal(fw_minisign_public_parse(pub, strlen(pub), &vgot), FW_OK);
	assert_memory_equal(&vgot, &vk, sizeof vk);
	fw_buf_cleanup_secret(&b);
	fw_crypto_wipe(&k, sizeof k);
	fw_crypto_wipe(&got, sizeof got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_abc),
		cmocka_unit_test(test_hex_equal_wipe),
		cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_base64_strict),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_at_rest_round_trip),
		cmocka_unit_test(test_at_rest_rejects),
		cmocka_unit_test(test_bech32_bip173_vectors),
		cmocka_unit_test(test_age_keygen_matches_age_keygen),
		cmocka_unit_test(test_age_recipient_parse_rejects),
		cmocka_unit_test(test_age_identity_parse_forms),
		cmocka_unit_test(test_age_seal_opens_with_age),
		cmocka_unit_test(test_age_open_file_from_age),
		cmocka_unit_test(test_age_open_rejects_tampering),
		cmocka_unit_test(test_age_open_chunk_boundaries),
		cmocka_unit_test(test_age_open_wrong_identity),
		cmocka_unit_test(test_age_size_limits),
		cmocka_unit_test(test_minisign_our_signature_verifies_with_minisign),
		cmocka_unit_test(test_minisign_verifies_minisign_signatures),
		cmocka_unit_test(test_minisign_our_secret_key_signs_with_minisign),
		cmocka_unit_test(test_minisign_rejects),
		cmocka_unit_test(test_minisign_public_files_from_minisign),
		cmocka_unit_test(test_minisign_secret_checksum),
		cmocka_unit_test(test_minisign_key_parse_rejects),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
