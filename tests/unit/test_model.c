/* Unit tests of src/model: validators, CVSS v3.1 scores, JSON codecs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "crypto/crypto.h"
#include "model/model.h"

/* The example recipient of age's README (github.com/FiloSottile/age). */
#define AGE_R "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
/* minisign's own release key, as its README publishes it. */
#define MINISIGN_PK "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3"

#define T_2025_07_08_1700 1751994000 /* 2025-07-08T17:00:00Z */
#define T_2025_07_01_0930 1751362200 /* 2025-07-01T09:30:00Z */

static int setup_crypto(void **state)
{
	(void)state;
	return fw_crypto_init() == FW_OK ? 0 : -1;
}

/* JSON_ALLOW_NUL lets the tests reach the codec's own check for "\u0000". */
static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (!j)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

static void assert_detail_has(const char *needle)
{
	if (!strstr(fw_err_detail(), needle))
		fail_msg("detail \"%s\" lacks \"%s\"", fw_err_detail(), needle);
}

/* ------------------------------------------------------------------ CVSS */

/* FIRST, "CVSS v3.1 Examples" (first.org/cvss/v3.1/examples): every vector and
 * base score is the document's. CVE-2012-0384 is listed twice: the v3.1
 * document scores it PR:H (7.2), the v3.0 one PR:L (8.8); both pairs hold. */
static const struct {
	const char *what;
	const char *vector;
	double score;
	enum fw_cvss_severity sev;
} cvss_examples[] = {
	{"CVE-2013-1937 phpMyAdmin reflected XSS", "AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1,
	 FW_CVSS_MEDIUM},
	{"CVE-2013-0375 MySQL stored SQL injection", "AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4,
	 FW_CVSS_MEDIUM},
	{"CVE-2014-3566 SSLv3 POODLE", "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, FW_CVSS_LOW},
	{"CVE-2012-1516 VMware guest to host escape", "AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9,
	 FW_CVSS_CRITICAL},
	{"CVE-2009-0783 Apache Tomcat XML parser", "AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2,
	 FW_CVSS_MEDIUM},
	{"CVE-2012-0384 Cisco IOS command execution (v3.1)", "AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H",
	 7.2, FW_CVSS_HIGH},
	{"CVE-2012-0384 Cisco IOS command execution (v3.0)", "AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
	 8.8, FW_CVSS_HIGH},
	{"CVE-2015-1098 Apple iWork denial of service", "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8,
	 FW_CVSS_HIGH},
	{"CVE-2014-0160 OpenSSL Heartbleed", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5,
	 FW_CVSS_HIGH},
	{"CVE-2014-6271 GNU Bash Shellshock", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8,
	 FW_CVSS_CRITICAL},
	{"CVE-2008-1447 DNS Kaminsky bug", "AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8,
	 FW_CVSS_MEDIUM},
	{"CVE-2014-2005 Sophos login screen bypass", "AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8,
	 FW_CVSS_MEDIUM},
	{"CVE-2010-0467 Joomla directory traversal", "AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8,
	 FW_CVSS_MEDIUM},
	{"CVE-2012-1342 Cisco access control bypass", "AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N", 5.8,
	 FW_CVSS_MEDIUM},
	{"CVE-2013-6014 Juniper proxy ARP DoS", "AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H", 9.3,
	 FW_CVSS_CRITICAL},
	{"CVE-2014-9253 DokuWiki reflected XSS (v3.0)", "AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4,
	 FW_CVSS_MEDIUM},
	{"CVE-2019-7551 Cantemo Portal stored XSS", "AV:N/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H", 9.0,
	 FW_CVSS_CRITICAL},
	{"CVE-2009-0658 Adobe Acrobat buffer overflow", "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8,
	 FW_CVSS_HIGH},
	{"CVE-2011-1265 Microsoft Windows Bluetooth RCE", "AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	 8.8, FW_CVSS_HIGH},
	{"CVE-2014-2019 Apple iOS security control bypass", "AV:P/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:N",
	 4.6, FW_CVSS_MEDIUM},
	{"CVE-2015-0970 SearchBlox CSRF", "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8, FW_CVSS_HIGH},
	{"CVE-2014-0224 OpenSSL CCS injection", "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", 7.4,
	 FW_CVSS_HIGH},
	{"CVE-2012-5376 Chrome sandbox bypass", "AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 9.6,
	 FW_CVSS_CRITICAL},
	{"CVE-2016-1645 Chrome PDFium JPEG 2000 RCE", "AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8,
	 FW_CVSS_HIGH},
	{"CVE-2016-0128 Badlock (SAMR/LSAD)", "AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N", 6.8,
	 FW_CVSS_MEDIUM},
	{"CVE-2016-2118 Badlock (Samba)", "AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.5, FW_CVSS_HIGH},
	{"CVE-2017-5942 WordPress Mail Plugin XSS", "AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1,
	 FW_CVSS_MEDIUM},
	{"CVE-2018-18913 Opera DLL search order hijacking", "AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
	 7.8, FW_CVSS_HIGH},
	{"CVE-2016-5558 Oracle Outside In Technology", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:L", 8.6,
	 FW_CVSS_HIGH},
	{"CVE-2016-5729 Lenovo ThinkPwn", "AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 8.2, FW_CVSS_HIGH},
	{"CVE-2015-2890 Flash lock on resume", "AV:L/AC:L/PR:H/UI:N/S:U/C:N/I:H/A:H", 6.0,
	 FW_CVSS_MEDIUM},
	{"CVE-2018-3652 Intel DCI issue", "AV:P/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 7.6, FW_CVSS_HIGH},
	{"CVE-2019-0884 IE scripting engine", "AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.5,
	 FW_CVSS_HIGH},
	{"CVE-2019-0884 Edge scripting engine", "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N", 4.2,
	 FW_CVSS_MEDIUM},
	/* Not in the examples: the extremes of the scale. */
	{"all impacts none, scope unchanged", "AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0,
	 FW_CVSS_NONE},
	{"all impacts none, scope changed", "AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N", 0.0,
	 FW_CVSS_NONE},
	{"everything worst, capped at 10", "AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0,
	 FW_CVSS_CRITICAL},
};

static void test_cvss_examples(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cvss_examples / sizeof cvss_examples[0]; i++) {
		char v[FW_MODEL_CVSS_BYTES];
		double score = -1;
		snprintf(v, sizeof v, "CVSS:3.1/%s", cvss_examples[i].vector);
		if (fw_cvss31_base_score(v, &score) != FW_OK)
			fail_msg("%s: refused: %s", cvss_examples[i].what, fw_err_detail());
		/* Roundup yields k/10 exactly, so the doubles compare equal. */
		if (score != cvss_examples[i].score)
			fail_msg("%s: got %.17g, want %.1f", cvss_examples[i].what, score,
				 cvss_examples[i].score);
		assert_int_equal(fw_cvss_severity(score), cvss_examples[i].sev);
		/* 3.0 vectors are scored with the same (3.1) equations. */
		v[7] = '0';
		score = -1;
		assert_int_equal(fw_cvss31_base_score(v, &score), FW_OK);
		assert_true(score == cvss_examples[i].score);
	}
}

static void test_cvss_roundup(void **state)
{
	(void)state;
	/* Appendix A's case: float noise just above a tenth. A plain ceiling
	 * rounds it up a whole tenth; Roundup must not. */
	volatile double noisy = 4.000000000000001;
	assert_true(ceil(noisy * 10) / 10 == 4.1);
	assert_true(fw_cvss_roundup(noisy) == 4.0);
	assert_true(fw_cvss_roundup(0.1 + 0.2) == 0.3);
	/* Section 7.1's examples. */
	assert_true(fw_cvss_roundup(4.02) == 4.1);
	assert_true(fw_cvss_roundup(4.00) == 4.0);
	/* The unit of Roundup is 1e-5: differences below half of it vanish,
	 * anything from there up rounds up. */
	assert_true(fw_cvss_roundup(4.000004) == 4.0);
	assert_true(fw_cvss_roundup(4.00001) == 4.1);
	assert_true(fw_cvss_roundup(9.99) == 10.0);
	assert_true(fw_cvss_roundup(0.0) == 0.0);
}

static void test_cvss_accepts(void **state)
{
	(void)state;
	static const char *const ok[] = {
		/* any order */
		"CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N",
		/* temporal and environmental metrics, each once, are ignored */
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U",
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:X/RC:X/CR:H/IR:M/AR:L/MAV:P/"
		"MAC:H/"
		"MPR:H/MUI:R/MS:C/MC:N/MI:N/MA:N",
		"CVSS:3.0/E:H/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		double score = -1;
		if (fw_cvss31_base_score(ok[i], &score) != FW_OK)
			fail_msg("refused %s: %s", ok[i], fw_err_detail());
		assert_true(score == 9.8);
	}
}

static void test_cvss_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *vector;
		const char *detail;
	} bad[] = {
		{"", "must start with"},
		{"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "must start with"},
		{"CVSS:2.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "must start with"},
		{"CVSS:4.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "must start with"},
		{"cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "must start with"},
		{"CVSS:3.1", "must start with"},
		{"CVSS:3.1/", "no metrics"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "lacks base metric(s) A"},
		{"CVSS:3.1/AV:N/UI:N/S:U/C:H/I:H/A:H", "lacks base metric(s) AC, PR"},
		{"CVSS:3.1/E:H", "AV, AC, PR, UI, S, C, I, A"},
		{"CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV appears more than once"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:H/E:H",
		 "E appears more than once"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AT:N",
		 "unknown CVSS v3 metric \"AT\""},
		{"CVSS:3.1/av:n/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown CVSS v3 metric \"av\""},
		{"CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
		 "invalid value \"X\" for CVSS metric AV (one of N, A, L, P)"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Z", "for CVSS metric E"},
		{"CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid value \"NN\""},
		{"CVSS:3.1/AV:/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "invalid value \"\""},
		{"CVSS:3.1/AV/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "is not METRIC:VALUE"},
		{"CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "empty component"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "ends with '/'"},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ", "invalid value \"H \""},
		{"CVSS:3.1//AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "empty component"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		double score = -1;
		fw_err_clear();
		if (fw_cvss31_base_score(bad[i].vector, &score) != FW_ERR_INVALID)
			fail_msg("accepted \"%s\"", bad[i].vector);
		assert_detail_has(bad[i].detail);
		assert_true(score == -1); /* out-parameter untouched */
	}
	double score = -1;
	assert_int_equal(fw_cvss31_base_score(NULL, &score), FW_ERR_INVALID);
}

static void test_cvss_severity(void **state)
{
	(void)state;
	static const struct {
		double score;
		enum fw_cvss_severity sev;
		const char *name;
	} bands[] = {
		{0.0, FW_CVSS_NONE, "none"},
		{0.1, FW_CVSS_LOW, "low"},
		{3.9, FW_CVSS_LOW, "low"},
		{4.0, FW_CVSS_MEDIUM, "medium"},
		{6.9, FW_CVSS_MEDIUM, "medium"},
		{7.0, FW_CVSS_HIGH, "high"},
		{8.9, FW_CVSS_HIGH, "high"},
		{9.0, FW_CVSS_CRITICAL, "critical"},
		{10.0, FW_CVSS_CRITICAL, "critical"},
	};
	for (size_t i = 0; i < sizeof bands / sizeof bands[0]; i++) {
		assert_int_equal(fw_cvss_severity(bands[i].score), bands[i].sev);
		assert_string_equal(fw_cvss_severity_name(fw_cvss_severity(bands[i].score)),
				    bands[i].name);
	}
}

/* ------------------------------------------------------------ validators */

static void test_slug(void **state)
{
	(void)state;
	char max[FW_MODEL_ID_BYTES];
	memset(max, 'a', sizeof max - 1);
	max[sizeof max - 1] = '\0'; /* 63 characters: the longest id */
	assert_true(fw_model_is_slug("a", FW_MODEL_ID_BYTES));
	assert_true(fw_model_is_slug("0", FW_MODEL_ID_BYTES));
	assert_true(fw_model_is_slug("acme-corp", FW_MODEL_ID_BYTES));
	assert_true(fw_model_is_slug("2025-07-rce-1", FW_MODEL_ID_BYTES));
	assert_true(fw_model_is_slug(max, FW_MODEL_ID_BYTES));
	assert_false(fw_model_is_slug(max, FW_MODEL_ID_BYTES - 1));
	assert_false(fw_model_is_slug("ab", 2)); /* no room for the NUL */
	assert_true(fw_model_is_slug("ab", 3));

	static const char *const bad[] = {"",    "-a",  "a-",  "A",           "acme-Corp", "a_b",
					  "a b", "a.b", "a/b", "caf\xc3\xa9", " a",        "a\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (fw_model_is_slug(bad[i], FW_MODEL_ID_BYTES))
			fail_msg("slug accepted: \"%s\"", bad[i]);
	assert_false(fw_model_is_slug(NULL, FW_MODEL_ID_BYTES));
}

static void test_jurisdiction(void **state)
{
	(void)state;
	static const char *const ok[] = {"CN", "US", "DE", "GB", "FR", "JP",
					 "AD", "ZW", "AX", "SS", "BQ", "CW"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!fw_model_is_jurisdiction(ok[i]))
			fail_msg("refused %s", ok[i]);
	/* UK and EU are reserved, XK user-assigned, AN/YU/CS withdrawn. */
	static const char *const bad[] = {"UK", "XX", "EU", "XK", "AN", "YU",  "CS",  "AA",
					  "ZZ", "cn", "Us", "",   "U",  "USA", "D E", "1A"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (fw_model_is_jurisdiction(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_false(fw_model_is_jurisdiction(NULL));

	/* Exactly the 249 assigned codes pass, out of all 676 pairs. */
	int n = 0;
	for (char a = 'A'; a <= 'Z'; a++)
		for (char b = 'A'; b <= 'Z'; b++) {
			char s[3] = {a, b, '\0'};
			n += fw_model_is_jurisdiction(s);
		}
	assert_int_equal(n, 249);
}

static void test_cve(void **state)
{
	(void)state;
	static const char *const ok[] = {"CVE-1999-0001",    "CVE-2014-0160",
					 "CVE-2021-44228",   "CVE-2100-1234",
					 "CVE-2024-1000000", "CVE-2024-1234567890123456789"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!fw_model_is_cve(ok[i]))
			fail_msg("refused %s", ok[i]);
	static const char *const bad[] = {
		"",
		"CVE-",
		"cve-2014-0160",
		"CVE-1998-1234",
		"CVE-2101-1234",
		"CVE-2014-016",
		"CVE-2014-01600",
		"CVE-2014-00001",
		"CVE-14-0160",
		"CVE-2014_0160",
		"CVE-2014-0160 ",
		" CVE-2014-0160",
		"CVE-2014-0160a",
		"CVE-20140-0160",
		"CVE-2024-12345678901234567890",
		"CVE-2014--160",
		"CAN-2014-0160",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (fw_model_is_cve(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_false(fw_model_is_cve(NULL));
}

static void test_age_recipient(void **state)
{
	(void)state;
	assert_true(fw_model_is_age_recipient(AGE_R));
	char r[FW_CRYPTO_AGE_RECIPIENT_BYTES], id[FW_CRYPTO_AGE_IDENTITY_BYTES];
	assert_int_equal(fw_age_keygen(r, id), FW_OK);
	assert_true(fw_model_is_age_recipient(r));
	assert_false(fw_model_is_age_recipient(id)); /* a secret key is not a recipient */
	fw_crypto_wipe(id, sizeof id);

	char bad_sum[] = AGE_R;
	bad_sum[sizeof bad_sum - 2] = bad_sum[sizeof bad_sum - 2] == 'p' ? 'q' : 'p';
	char cut[] = AGE_R;
	cut[sizeof cut - 6] = '\0';
	static const char *const bad[] = {"",        "age1",    "age",     MINISIGN_PK,
					  (AGE_R " "), (" " AGE_R), (AGE_R "\n")};
	assert_false(fw_model_is_age_recipient(bad_sum));
	assert_false(fw_model_is_age_recipient(cut));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (fw_model_is_age_recipient(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_false(fw_model_is_age_recipient(NULL));
}

static void test_minisign_pubkey(void **state)
{
	(void)state;
	assert_true(fw_model_is_minisign_pubkey(MINISIGN_PK));

	struct fw_sign_key k;
	struct fw_verify_key vk;
	struct fw_buf b;
	assert_int_equal(fw_minisign_keygen(&k), FW_OK);
	fw_minisign_verify_key(&k, &vk);
	fw_buf_init(&b, 4096);
	assert_int_equal(fw_minisign_public_line(&vk, &b), FW_OK);
	char *nl = strchr((char *)b.data, '\n');
	if (nl)
		*nl = '\0';
	assert_true(fw_model_is_minisign_pubkey(fw_buf_str(&b)));
	fw_buf_reset(&b);
	/* A whole .pub file is two lines; the model keeps only the key line. */
	assert_int_equal(fw_minisign_public_format(&vk, &b), FW_OK);
	assert_false(fw_model_is_minisign_pubkey(fw_buf_str(&b)));
	fw_buf_cleanup(&b);
	fw_crypto_wipe(&k, sizeof k);

	char wrong_alg[] = MINISIGN_PK;
	wrong_alg[0] = 'S'; /* the first bytes must decode to "Ed" */
	static const char *const bad[] = {"",
					  "RWQ",
					  (MINISIGN_PK "="),
					  (MINISIGN_PK "\n"),
					  (" " MINISIGN_PK),
					  "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GF",
					  AGE_R};
	assert_false(fw_model_is_minisign_pubkey(wrong_alg));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (fw_model_is_minisign_pubkey(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
	assert_false(fw_model_is_minisign_pubkey(NULL));
}

/* ---------------------------------------------------------------- members */

static struct fw_member sample_member(void)
{
	struct fw_member m;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "acme-cert");
	snprintf(m.name, sizeof m.name, "ACME CERT — Zürich");
	snprintf(m.tier, sizeof m.tier, "gold");
	snprintf(m.jurisdiction, sizeof m.jurisdiction, "CH");
	m.status = FW_MEMBER_PROBATION;
	m.tags.n = 2;
	snprintf(m.tags.v[0], sizeof m.tags.v[0], "isp");
	snprintf(m.tags.v[1], sizeof m.tags.v[1], "critical-infra");
	snprintf(m.contact, sizeof m.contact, "psirt@acme.example");
	snprintf(m.age_recipient, sizeof m.age_recipient, "%s", AGE_R);
	snprintf(m.minisign_pubkey, sizeof m.minisign_pubkey, "%s", MINISIGN_PK);
	m.created_at = T_2025_07_01_0930;
	m.updated_at = T_2025_07_08_1700;
	return m;
}

static void assert_members_equal(const struct fw_member *a, const struct fw_member *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->tier, b->tier);
	assert_string_equal(a->jurisdiction, b->jurisdiction);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->tags.n, b->tags.n);
	for (size_t i = 0; i < a->tags.n; i++)
		assert_string_equal(a->tags.v[i], b->tags.v[i]);
	assert_string_equal(a->contact, b->contact);
	assert_string_equal(a->age_recipient, b->age_recipient);
	assert_string_equal(a->minisign_pubkey, b->minisign_pubkey);
	assert_int_equal(a->created_at, b->created_at);
	assert_int_equal(a->updated_at, b->updated_at);
}

static void test_member_to_json(void **state)
{
	(void)state;
	struct fw_member m = sample_member();
	json_t *j = fw_member_to_json(&m);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 11);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "acme-cert");
	assert_string_equal(json_string_value(json_object_get(j, "name")), "ACME CERT — Zürich");
	assert_string_equal(json_string_value(json_object_get(j, "tier")), "gold");
	assert_string_equal(json_string_value(json_object_get(j, "jurisdiction")), "CH");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "probation");
	json_t *tags = json_object_get(j, "tags");
	assert_int_equal(json_array_size(tags), 2);
	assert_string_equal(json_string_value(json_array_get(tags, 1)), "critical-infra");
	assert_string_equal(json_string_value(json_object_get(j, "contact")), "psirt@acme.example");
	assert_string_equal(json_string_value(json_object_get(j, "age_recipient")), AGE_R);
	assert_string_equal(json_string_value(json_object_get(j, "minisign_pubkey")), MINISIGN_PK);
	assert_string_equal(json_string_value(json_object_get(j, "created_at")),
			    "2025-07-01T09:30:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "updated_at")),
			    "2025-07-08T17:00:00Z");
	json_decref(j);

	m.minisign_pubkey[0] = '\0';
	m.updated_at = 0;
	m.tags.n = 0;
	j = fw_member_to_json(&m);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "minisign_pubkey")));
	assert_true(json_is_null(json_object_get(j, "updated_at")));
	assert_true(json_is_array(json_object_get(j, "tags")));
	assert_int_equal(json_array_size(json_object_get(j, "tags")), 0);
	json_decref(j);
}

static void member_round_trip(const struct fw_member *orig)
{
	json_t *j = fw_member_to_json(orig);
	assert_non_null(j);
	/* Timestamps are the server's to set. */
	json_object_del(j, "created_at");
	json_object_del(j, "updated_at");

	struct fw_member got;
	memset(&got, 0xa5, sizeof got);
	if (fw_member_from_json(j, &got, false) != FW_OK)
		fail_msg("create refused its own JSON: %s", fw_err_detail());
	assert_int_equal(got.created_at, 0);
	assert_int_equal(got.updated_at, 0);
	got.created_at = orig->created_at;
	got.updated_at = orig->updated_at;
	assert_members_equal(&got, orig);

	/* As an update of the record itself, nothing changes. */
	struct fw_member same = *orig;
	if (fw_member_from_json(j, &same, true) != FW_OK)
		fail_msg("update refused its own JSON: %s", fw_err_detail());
	assert_members_equal(&same, orig);
	json_decref(j);
}

static void test_member_round_trip(void **state)
{
	(void)state;
	struct fw_member m = sample_member();
	member_round_trip(&m);
	m.minisign_pubkey[0] = '\0'; /* null on the wire */
	m.tags.n = 0;
	m.contact[0] = '\0';
	m.status = FW_MEMBER_EXPELLED;
	member_round_trip(&m);
}

static void test_member_create_defaults(void **state)
{
	(void)state;
	json_t *j =
		parse("{\"id\":\"m1\",\"name\":\"M One\",\"tier\":\"t1\",\"jurisdiction\":\"DE\","
		      "\"age_recipient\":\"" AGE_R "\"}");
	struct fw_member m;
	memset(&m, 0xa5, sizeof m);
	assert_int_equal(fw_member_from_json(j, &m, false), FW_OK);
	assert_string_equal(m.id, "m1");
	assert_string_equal(m.name, "M One");
	assert_string_equal(m.tier, "t1");
	assert_string_equal(m.jurisdiction, "DE");
	assert_string_equal(m.age_recipient, AGE_R);
	assert_int_equal(m.status, FW_MEMBER_ACTIVE);
	assert_int_equal(m.tags.n, 0);
	assert_string_equal(m.contact, "");
	assert_string_equal(m.minisign_pubkey, "");
	assert_int_equal(m.created_at, 0);
	json_decref(j);

	/* Each required field, left out, is named. */
	static const char *const required[] = {"id", "name", "tier", "jurisdiction",
					       "age_recipient"};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		j = parse(
			"{\"id\":\"m1\",\"name\":\"M One\",\"tier\":\"t1\",\"jurisdiction\":\"DE\","
			"\"age_recipient\":\"" AGE_R "\"}");
		json_object_del(j, required[i]);
		struct fw_member before, out;
		memset(&before, 0x5a, sizeof before);
		out = before;
		assert_int_equal(fw_member_from_json(j, &out, false), FW_ERR_INVALID);
		char want[64];
		snprintf(want, sizeof want, "missing required field \"%s\"", required[i]);
		assert_detail_has(want);
		assert_memory_equal(&out, &before, sizeof out);
		json_decref(j);
	}
}

/* Runs one body against a copy of base; it must be refused with a detail
 * containing `detail`, and the record must be left byte for byte as it was. */
static void expect_member_refused(const char *body, bool update, const char *detail)
{
	struct fw_member base = sample_member(), out;
	json_t *j = parse(body);
	memcpy(&out, &base, sizeof out);
	fw_err_clear();
	if (fw_member_from_json(j, &out, update) != FW_ERR_INVALID)
		fail_msg("accepted (update=%d): %s", update, body);
	assert_detail_has(detail);
	assert_memory_equal(&out, &base, sizeof out);
	json_decref(j);
}

#define MEMBER_OK                                                                                  \
	"\"id\":\"acme-cert\",\"name\":\"M\",\"tier\":\"t\",\"jurisdiction\":\"DE\",\"age_"        \
	"recipient\":\"" AGE_R "\""

static void test_member_refusals(void **state)
{
	(void)state;
	char long_name[FW_MODEL_NAME_BYTES + 64];
	char body[2048];
	static const struct {
		const char *body;
		const char *detail;
	} cases[] = {
		{"[]", "must be a JSON object"},
		{"\"acme\"", "must be a JSON object"},
		{"null", "must be a JSON object"},
		{"{" MEMBER_OK ",\"nickname\":\"x\"}", "unknown field \"nickname\""},
		{"{" MEMBER_OK ",\"created_at\":\"2025-07-08T17:00:00Z\"}",
		 "field \"created_at\" is read-only"},
		{"{" MEMBER_OK ",\"updated_at\":null}", "field \"updated_at\" is read-only"},
		{"{\"id\":7,\"name\":\"M\",\"tier\":\"t\",\"jurisdiction\":\"DE\"}",
		 "field \"id\" must be a string"},
		{"{\"id\":\"Bad_Id\"}", "field \"id\" must be lower-case"},
		{"{\"name\":null}", "field \"name\" must be a string"},
		{"{\"name\":\"\"}", "field \"name\" must not be empty"},
		{"{\"name\":\"two\\nlines\"}",
		 "field \"name\" must not contain control characters"},
		{"{\"name\":\"nul\\u0000byte\"}", "field \"name\" must not contain NUL"},
		{"{\"tier\":1}", "field \"tier\" must be a string"},
		{"{\"tier\":\"Gold\"}", "field \"tier\" must be lower-case"},
		{"{\"jurisdiction\":\"UK\"}",
		 "field \"jurisdiction\" must be an assigned ISO 3166-1"},
		{"{\"jurisdiction\":\"de\"}", "field \"jurisdiction\""},
		{"{\"jurisdiction\":\"DEU\"}", "field \"jurisdiction\" must be an assigned"},
		{"{\"jurisdiction\":\"GERMANY\"}", "field \"jurisdiction\" must be an assigned"},
		{"{\"jurisdiction\":\"FEDERAL REPUBLIC\"}", "field \"jurisdiction\" is too long"},
		{"{\"status\":\"gone\"}", "field \"status\": unknown member status \"gone\""},
		{"{\"status\":1}", "field \"status\" must be a string"},
		{"{\"tags\":\"isp\"}", "field \"tags\" must be an array of strings"},
		{"{\"tags\":[\"isp\",3]}", "field \"tags\" must be an array of strings"},
		{"{\"tags\":[\"isp\",\"Bad Tag\"]}", "field \"tags\" entry 1 must be lower-case"},
		{"{\"tags\":[\"isp\",\"isp\"]}", "field \"tags\" lists \"isp\" twice"},
		{"{\"tags\":[\"a1\",\"a2\",\"a3\",\"a4\",\"a5\",\"a6\",\"a7\",\"a8\",\"a9\","
		 "\"a10\",\"a11\","
		 "\"a12\",\"a13\",\"a14\",\"a15\",\"a16\",\"a17\"]}",
		 "field \"tags\" has 17 entries (at most 16)"},
		{"{\"tags\":[\"abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstu\"]}",
		 "field \"tags\" entry 0 is too long"},
		{"{\"contact\":null}", "field \"contact\" must be a string"},
		{"{\"contact\":\"a\\rb\"}", "field \"contact\" must not contain control"},
		{"{\"age_recipient\":\"age1nope\"}",
		 "field \"age_recipient\" must be an age X25519 recipient"},
		{"{\"age_recipient\":\"" MINISIGN_PK "\"}", "field \"age_recipient\""},
		{"{\"age_recipient\":null}", "field \"age_recipient\" must be a string"},
		{"{\"minisign_pubkey\":\"RWQnope\"}",
		 "field \"minisign_pubkey\" must be a minisign public key"},
		{"{\"minisign_pubkey\":\"" AGE_R "\"}", "field \"minisign_pubkey\""},
		{"{\"minisign_pubkey\":42}", "field \"minisign_pubkey\" must be a string"},
		{"{\"id\":\"someone-else\"}", "field \"id\" cannot change"},
		/* a good field first, then a bad one: nothing of the first sticks */
		{"{\"name\":\"Renamed\",\"tags\":[\"ok\"],\"tier\":\"NOT A SLUG\"}",
		 "field \"tier\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_member_refused(cases[i].body, true, cases[i].detail);
	/* On create the same checks hold (and the id may be anything valid). */
	expect_member_refused(
		"{\"id\":\"m1\",\"name\":\"M\",\"tier\":\"t\",\"jurisdiction\":\"EU\","
		"\"age_recipient\":\"" AGE_R "\"}",
		false, "field \"jurisdiction\"");
	expect_member_refused(
		"{\"id\":\"m1\",\"name\":\"M\",\"tier\":\"t\",\"jurisdiction\":\"DE\","
		"\"age_recipient\":\"age1x\"}",
		false, "field \"age_recipient\"");

	memset(long_name, 'n', FW_MODEL_NAME_BYTES);
	long_name[FW_MODEL_NAME_BYTES] = '\0'; /* one byte more than fits */
	snprintf(body, sizeof body, "{\"name\":\"%s\"}", long_name);
	expect_member_refused(body, true, "field \"name\" is too long (at most 255 bytes)");
	long_name[FW_MODEL_NAME_BYTES - 1] = '\0'; /* exactly fits */
	snprintf(body, sizeof body, "{\"name\":\"%s\"}", long_name);
	struct fw_member m = sample_member();
	json_t *j = parse(body);
	assert_int_equal(fw_member_from_json(j, &m, true), FW_OK);
	assert_int_equal(strlen(m.name), FW_MODEL_NAME_BYTES - 1);
	json_decref(j);
}

static void test_member_update(void **state)
{
	(void)state;
	struct fw_member m = sample_member(), want = sample_member();
	json_t *j = parse(
		"{\"id\":\"acme-cert\",\"name\":\"ACME\",\"status\":\"suspended\",\"tags\":[],"
		"\"minisign_pubkey\":null}");
	assert_int_equal(fw_member_from_json(j, &m, true), FW_OK);
	snprintf(want.name, sizeof want.name, "ACME");
	want.status = FW_MEMBER_SUSPENDED;
	want.tags.n = 0;
	want.minisign_pubkey[0] = '\0';
	assert_members_equal(&m, &want);
	json_decref(j);

	/* An empty update changes nothing, and "" clears the minisign key too. */
	j = parse("{}");
	assert_int_equal(fw_member_from_json(j, &m, true), FW_OK);
	assert_members_equal(&m, &want);
	json_decref(j);
	m = sample_member();
	j = parse("{\"minisign_pubkey\":\"\"}");
	assert_int_equal(fw_member_from_json(j, &m, true), FW_OK);
	assert_string_equal(m.minisign_pubkey, "");
	json_decref(j);
}

/* -------------------------------------------------------------- advisories */

static struct fw_advisory sample_advisory(void)
{
	struct fw_advisory a;
	memset(&a, 0, sizeof a);
	snprintf(a.id, sizeof a.id, "2025-001");
	snprintf(a.title, sizeof a.title, "Remote code execution in the \"Widget\" admin UI");
	a.ncves = 2;
	snprintf(a.cves[0], sizeof a.cves[0], "CVE-2025-12345");
	snprintf(a.cves[1], sizeof a.cves[1], "CVE-2025-0042");
	a.nproducts = 1;
	snprintf(a.products[0], sizeof a.products[0], "Widget Server 4.x");
	snprintf(a.cvss_vector, sizeof a.cvss_vector,
		 "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
	a.cvss_score = 9.8;
	a.tags.n = 1;
	snprintf(a.tags.v[0], sizeof a.tags.v[0], "rce");
	a.public_at = T_2025_07_08_1700;
	a.status = FW_ADVISORY_SCHEDULED;
	a.tlp = FW_TLP_AMBER_STRICT;
	a.created_at = T_2025_07_01_0930;
	a.updated_at = T_2025_07_01_0930 + 60;
	return a;
}

static void assert_advisories_equal(const struct fw_advisory *a, const struct fw_advisory *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->title, b->title);
	assert_int_equal(a->ncves, b->ncves);
	for (size_t i = 0; i < a->ncves; i++)
		assert_string_equal(a->cves[i], b->cves[i]);
	assert_int_equal(a->nproducts, b->nproducts);
	for (size_t i = 0; i < a->nproducts; i++)
		assert_string_equal(a->products[i], b->products[i]);
	assert_string_equal(a->cvss_vector, b->cvss_vector);
	assert_true(a->cvss_score == b->cvss_score);
	assert_int_equal(a->tags.n, b->tags.n);
	for (size_t i = 0; i < a->tags.n; i++)
		assert_string_equal(a->tags.v[i], b->tags.v[i]);
	assert_int_equal(a->public_at, b->public_at);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->tlp, b->tlp);
	assert_int_equal(a->created_at, b->created_at);
	assert_int_equal(a->updated_at, b->updated_at);
}

static void test_advisory_to_json(void **state)
{
	(void)state;
	struct fw_advisory a = sample_advisory();
	json_t *j = fw_advisory_to_json(&a);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 13);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "2025-001");
	assert_int_equal(json_array_size(json_object_get(j, "cves")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "cves"), 1)),
			    "CVE-2025-0042");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "products"), 0)),
			    "Widget Server 4.x");
	assert_string_equal(json_string_value(json_object_get(j, "cvss_vector")), a.cvss_vector);
	assert_true(json_is_real(json_object_get(j, "cvss_score")));
	assert_true(json_real_value(json_object_get(j, "cvss_score")) == 9.8);
	assert_string_equal(json_string_value(json_object_get(j, "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(j, "public_at")),
			    "2025-07-08T17:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "scheduled");
	assert_string_equal(json_string_value(json_object_get(j, "tlp")), "TLP:AMBER+STRICT");
	assert_string_equal(json_string_value(json_object_get(j, "created_at")),
			    "2025-07-01T09:30:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "updated_at")),
			    "2025-07-01T09:31:00Z");
	json_decref(j);

	/* No vector: no score, no severity (not "none", which would claim one). */
	a.cvss_vector[0] = '\0';
	a.cvss_score = 0;
	a.public_at = 0;
	a.status = FW_ADVISORY_DRAFT;
	a.tlp = FW_TLP_AMBER;
	j = fw_advisory_to_json(&a);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "cvss_vector")));
	assert_true(json_is_null(json_object_get(j, "cvss_score")));
	assert_true(json_is_null(json_object_get(j, "severity")));
	assert_true(json_is_null(json_object_get(j, "public_at")));
	assert_string_equal(json_string_value(json_object_get(j, "status")), "draft");
	assert_string_equal(json_string_value(json_object_get(j, "tlp")), "TLP:AMBER");
	json_decref(j);

	/* A vector that scores 0.0 still has a severity: "none". */
	snprintf(a.cvss_vector, sizeof a.cvss_vector,
		 "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N");
	j = fw_advisory_to_json(&a);
	assert_string_equal(json_string_value(json_object_get(j, "severity")), "none");
	assert_true(json_real_value(json_object_get(j, "cvss_score")) == 0.0);
	json_decref(j);
}

static void advisory_round_trip(const struct fw_advisory *orig)
{
	json_t *j = fw_advisory_to_json(orig);
	assert_non_null(j);
	static const char *const read_only[] = {"status", "cvss_score", "severity", "created_at",
						"updated_at"};
	for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++)
		assert_int_equal(json_object_del(j, read_only[i]), 0);

	struct fw_advisory got;
	memset(&got, 0xa5, sizeof got);
	if (fw_advisory_from_json(j, &got, false) != FW_OK)
		fail_msg("create refused its own JSON: %s", fw_err_detail());
	assert_int_equal(got.status, FW_ADVISORY_DRAFT);
	assert_int_equal(got.created_at, 0);
	assert_int_equal(got.updated_at, 0);
	got.status = orig->status;
	got.created_at = orig->created_at;
	got.updated_at = orig->updated_at;
	assert_advisories_equal(&got, orig); /* including the recomputed score */

	struct fw_advisory same = *orig;
	if (fw_advisory_from_json(j, &same, true) != FW_OK)
		fail_msg("update refused its own JSON: %s", fw_err_detail());
	assert_advisories_equal(&same, orig);
	json_decref(j);
}

static void test_advisory_round_trip(void **state)
{
	(void)state;
	struct fw_advisory a = sample_advisory();
	advisory_round_trip(&a);
	a.cvss_vector[0] = '\0';
	a.cvss_score = 0;
	a.public_at = 0;
	a.ncves = a.nproducts = a.tags.n = 0;
	a.tlp = FW_TLP_CLEAR;
	advisory_round_trip(&a);
	snprintf(a.cvss_vector, sizeof a.cvss_vector,
		 "CVSS:3.0/S:C/AV:N/AC:L/PR:L/UI:R/C:H/I:H/A:H/E:P");
	a.cvss_score = 9.0;
	a.tlp = FW_TLP_RED;
	advisory_round_trip(&a);
}

static void test_advisory_create(void **state)
{
	(void)state;
	json_t *j = parse("{\"id\":\"adv-1\",\"title\":\"T\"}");
	struct fw_advisory a;
	memset(&a, 0xa5, sizeof a);
	assert_int_equal(fw_advisory_from_json(j, &a, false), FW_OK);
	assert_string_equal(a.id, "adv-1");
	assert_string_equal(a.title, "T");
	assert_int_equal(a.status, FW_ADVISORY_DRAFT);
	assert_int_equal(a.tlp, FW_TLP_AMBER);
	assert_int_equal(a.ncves, 0);
	assert_int_equal(a.nproducts, 0);
	assert_int_equal(a.tags.n, 0);
	assert_string_equal(a.cvss_vector, "");
	assert_true(a.cvss_score == 0.0);
	assert_int_equal(a.public_at, 0);
	json_decref(j);

	/* The score is computed from the vector; TLP takes the short form too. */
	j = parse("{\"id\":\"adv-2\",\"title\":\"POODLE\",\"cvss_vector\":"
		  "\"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N\",\"tlp\":\"green\","
		  "\"public_at\":\"2025-07-08T19:00:00+02:00\"}");
	assert_int_equal(fw_advisory_from_json(j, &a, false), FW_OK);
	assert_true(a.cvss_score == 3.1);
	assert_int_equal(a.tlp, FW_TLP_GREEN);
	assert_int_equal(a.public_at, T_2025_07_08_1700);
	json_decref(j);

	static const char *const required[] = {"id", "title"};
	for (size_t i = 0; i < 2; i++) {
		j = parse("{\"id\":\"adv-1\",\"title\":\"T\",\"tags\":[\"x\"]}");
		json_object_del(j, required[i]);
		struct fw_advisory before, out;
		memset(&before, 0x5a, sizeof before);
		out = before;
		assert_int_equal(fw_advisory_from_json(j, &out, false), FW_ERR_INVALID);
		char want[64];
		snprintf(want, sizeof want, "missing required field \"%s\"", required[i]);
		assert_detail_has(want);
		assert_memory_equal(&out, &before, sizeof out);
		json_decref(j);
	}
}

static void expect_advisory_refused(const char *body, bool update, const char *detail)
{
	struct fw_advisory base = sample_advisory(), out;
	json_t *j = parse(body);
	memcpy(&out, &base, sizeof out);
	fw_err_clear();
	if (fw_advisory_from_json(j, &out, update) != FW_ERR_INVALID)
		fail_msg("accepted (update=%d): %s", update, body);
	assert_detail_has(detail);
	assert_memory_equal(&out, &base, sizeof out);
	json_decref(j);
}

static void test_advisory_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *body;
		const char *detail;
	} cases[] = {
		{"[1]", "must be a JSON object"},
		{"{\"summary\":\"x\"}", "unknown field \"summary\""},
		{"{\"status\":\"public\"}", "field \"status\" is read-only"},
		{"{\"created_at\":\"2025-07-08T17:00:00Z\"}", "field \"created_at\" is read-only"},
		{"{\"updated_at\":\"2025-07-08T17:00:00Z\"}", "field \"updated_at\" is read-only"},
		{"{\"cvss_score\":10.0}", "field \"cvss_score\" is read-only"},
		{"{\"severity\":\"low\"}", "field \"severity\" is read-only"},
		{"{\"id\":\"2025-002\"}", "field \"id\" cannot change"},
		{"{\"title\":\"\"}", "field \"title\" must not be empty"},
		{"{\"title\":[\"T\"]}", "field \"title\" must be a string"},
		{"{\"title\":\"a\\u001bb\"}",
		 "field \"title\" must not contain control characters"},
		{"{\"cves\":\"CVE-2025-12345\"}", "field \"cves\" must be an array of strings"},
		{"{\"cves\":[\"CVE-2025-123\"]}", "field \"cves\" entry 0 is not a CVE id"},
		{"{\"cves\":[\"CVE-2025-12345\",\"cve-2025-1234\"]}",
		 "field \"cves\" entry 1 is not a CVE id"},
		{"{\"cves\":[\"CVE-2025-12345\",\"CVE-2025-12345\"]}",
		 "lists \"CVE-2025-12345\" twice"},
		{"{\"cves\":[\"CVE-2024-1234567890123456789\"]}",
		 "field \"cves\" entry 0 is too long"},
		{"{\"cves\":[\"CVE-2025-10001\",\"CVE-2025-10002\",\"CVE-2025-10003\",\"CVE-2025-"
		 "10004\","
		 "\"CVE-2025-10005\",\"CVE-2025-10006\",\"CVE-2025-10007\",\"CVE-2025-10008\","
		 "\"CVE-2025-10009\","
		 "\"CVE-2025-10010\",\"CVE-2025-10011\",\"CVE-2025-10012\",\"CVE-2025-10013\","
		 "\"CVE-2025-10014\","
		 "\"CVE-2025-10015\",\"CVE-2025-10016\",\"CVE-2025-10017\"]}",
		 "field \"cves\" has 17 entries (at most 16)"},
		{"{\"products\":[\"\"]}", "field \"products\" entry 0 must not be empty"},
		{"{\"products\":[\"a\",null]}", "field \"products\" must be an array of strings"},
		{"{\"products\":[\"p1\",\"p2\",\"p3\",\"p4\",\"p5\",\"p6\",\"p7\",\"p8\",\"p9\","
		 "\"p10\",\"p11\","
		 "\"p12\",\"p13\",\"p14\",\"p15\",\"p16\",\"p17\"]}",
		 "field \"products\" has 17 entries (at most 16)"},
		{"{\"products\":[\"tab\\there\"]}",
		 "field \"products\" entry 0 must not contain control"},
		{"{\"cvss_vector\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L\"}",
		 "field \"cvss_vector\": CVSS metric AV appears more than once"},
		{"{\"cvss_vector\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H\"}",
		 "field \"cvss_vector\": CVSS vector lacks base metric(s) A"},
		{"{\"cvss_vector\":\"AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}",
		 "field \"cvss_vector\": CVSS vector must start"},
		{"{\"cvss_vector\":9.8}", "field \"cvss_vector\" must be a string"},
		{"{\"tags\":[\"RCE\"]}", "field \"tags\" entry 0 must be lower-case"},
		{"{\"tags\":{}}", "field \"tags\" must be an array of strings"},
		{"{\"public_at\":\"tomorrow\"}", "field \"public_at\" must be an RFC 3339 time"},
		{"{\"public_at\":\"2025-07-08\"}", "field \"public_at\" must be an RFC 3339 time"},
		{"{\"public_at\":1751994000}", "field \"public_at\" must be an RFC 3339 time"},
		{"{\"public_at\":\"1970-01-01T00:00:00Z\"}",
		 "field \"public_at\" must be an RFC 3339 time after 1970"},
		{"{\"tlp\":\"PURPLE\"}", "field \"tlp\": unknown TLP label \"PURPLE\""},
		{"{\"tlp\":2}", "field \"tlp\" must be a string"},
		{"{\"title\":\"Fine\",\"cves\":[\"CVE-2025-99999\"],\"tlp\":\"WHITE\"}",
		 "field \"tlp\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_advisory_refused(cases[i].body, true, cases[i].detail);
	expect_advisory_refused("{\"id\":\"adv\",\"title\":\"T\",\"status\":\"draft\"}", false,
				"field \"status\" is read-only");

	char title[FW_MODEL_TITLE_BYTES + 1], body[FW_MODEL_TITLE_BYTES + 64];
	memset(title, 't', FW_MODEL_TITLE_BYTES);
	title[FW_MODEL_TITLE_BYTES] = '\0';
	snprintf(body, sizeof body, "{\"title\":\"%s\"}", title);
	expect_advisory_refused(body, true, "field \"title\" is too long (at most 511 bytes)");
	char product[FW_MODEL_PRODUCT_BYTES + 1], pbody[FW_MODEL_PRODUCT_BYTES + 64];
	memset(product, 'p', FW_MODEL_PRODUCT_BYTES);
	product[FW_MODEL_PRODUCT_BYTES] = '\0';
	snprintf(pbody, sizeof pbody, "{\"products\":[\"%s\"]}", product);
	expect_advisory_refused(pbody, true,
				"field \"products\" entry 0 is too long (at most 127 bytes)");
}

static void test_advisory_update(void **state)
{
	(void)state;
	struct fw_advisory a = sample_advisory(), want = sample_advisory();

	/* "" and null both clear the vector, and the score with it. */
	json_t *j = parse("{\"cvss_vector\":\"\"}");
	assert_int_equal(fw_advisory_from_json(j, &a, true), FW_OK);
	want.cvss_vector[0] = '\0';
	want.cvss_score = 0.0;
	assert_advisories_equal(&a, &want);
	json_decref(j);
	a = sample_advisory();
	j = parse("{\"cvss_vector\":null,\"public_at\":null}");
	assert_int_equal(fw_advisory_from_json(j, &a, true), FW_OK);
	want.public_at = 0;
	assert_advisories_equal(&a, &want);
	json_decref(j);

	/* A new vector replaces the score; other fields stay. */
	a = sample_advisory();
	want = sample_advisory();
	j = parse("{\"cvss_vector\":\"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/"
		  "A:H\",\"tlp\":\"TLP:RED\","
		  "\"cves\":[]}");
	assert_int_equal(fw_advisory_from_json(j, &a, true), FW_OK);
	snprintf(want.cvss_vector, sizeof want.cvss_vector,
		 "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H");
	want.cvss_score = 9.9;
	want.tlp = FW_TLP_RED;
	want.ncves = 0;
	assert_advisories_equal(&a, &want);
	json_decref(j);
}

/* ------------------------------------------------------------- the others */

static void test_time_to_json(void **state)
{
	(void)state;
	json_t *j = fw_time_to_json(0);
	assert_true(json_is_null(j));
	json_decref(j);
	j = fw_time_to_json(T_2025_07_08_1700);
	assert_string_equal(json_string_value(j), "2025-07-08T17:00:00Z");
	json_decref(j);
}

static void test_artifact_to_json(void **state)
{
	(void)state;
	struct fw_artifact a;
	memset(&a, 0, sizeof a);
	snprintf(a.advisory_id, sizeof a.advisory_id, "2025-001");
	a.kind = FW_KIND_POC;
	a.version = 3;
	snprintf(a.media_type, sizeof a.media_type, "text/markdown");
	a.size = 5000000000ULL; /* more than 32 bits */
	for (int i = 0; i < 32; i++)
		a.sha256[i] = (uint8_t)(i * 8 + 7);
	a.created_at = T_2025_07_08_1700;
	json_t *j = fw_artifact_to_json(&a);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 7);
	assert_string_equal(json_string_value(json_object_get(j, "advisory")), "2025-001");
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "poc");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 3);
	assert_string_equal(json_string_value(json_object_get(j, "media_type")), "text/markdown");
	assert_int_equal(json_integer_value(json_object_get(j, "size")), 5000000000LL);
	assert_string_equal(json_string_value(json_object_get(j, "sha256")),
			    "070f171f272f373f474f575f676f777f878f979fa7afb7bfc7cfd7dfe7eff7ff");
	assert_string_equal(json_string_value(json_object_get(j, "created_at")),
			    "2025-07-08T17:00:00Z");
	json_decref(j);
}

static void test_delivery_to_json(void **state)
{
	(void)state;
	struct fw_delivery d;
	memset(&d, 0, sizeof d);
	d.id = 42;
	snprintf(d.member_id, sizeof d.member_id, "acme-cert");
	snprintf(d.advisory_id, sizeof d.advisory_id, "2025-001");
	d.kind = FW_KIND_MITIGATION;
	d.version = 2;
	d.created_at = T_2025_07_01_0930;
	d.size = 1234;
	memset(d.sha256_sealed, 0xab, sizeof d.sha256_sealed);
	memset(d.sha256_plain, 0x01, sizeof d.sha256_plain);
	json_t *j = fw_delivery_to_json(&d);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 10);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 42);
	assert_string_equal(json_string_value(json_object_get(j, "member")), "acme-cert");
	assert_string_equal(json_string_value(json_object_get(j, "advisory")), "2025-001");
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "mitigation");
	assert_int_equal(json_integer_value(json_object_get(j, "version")), 2);
	assert_string_equal(json_string_value(json_object_get(j, "created_at")),
			    "2025-07-01T09:30:00Z");
	assert_true(json_is_null(json_object_get(j, "first_read_at")));
	assert_int_equal(json_integer_value(json_object_get(j, "size")), 1234);
	const char *sealed = json_string_value(json_object_get(j, "sha256_sealed"));
	assert_int_equal(strlen(sealed), 64);
	assert_int_equal(strspn(sealed, "ab"), 64);
	assert_string_equal(json_string_value(json_object_get(j, "sha256_plain")),
			    "0101010101010101010101010101010101010101010101010101010101010101");
	json_decref(j);
	d.first_read_at = T_2025_07_08_1700;
	j = fw_delivery_to_json(&d);
	assert_string_equal(json_string_value(json_object_get(j, "first_read_at")),
			    "2025-07-08T17:00:00Z");
	json_decref(j);
}

static void test_plan_entry_to_json(void **state)
{
	(void)state;
	struct fw_plan_entry p;
	memset(&p, 0, sizeof p);
	snprintf(p.member_id, sizeof p.member_id, "acme-cert");
	snprintf(p.advisory_id, sizeof p.advisory_id, "2025-001");
	p.kind = FW_KIND_SUMMARY;
	p.release_at = T_2025_07_08_1700;
	snprintf(p.reason, sizeof p.reason, "tier gold: T-14d");
	json_t *j = fw_plan_entry_to_json(&p);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 6);
	assert_string_equal(json_string_value(json_object_get(j, "member")), "acme-cert");
	assert_string_equal(json_string_value(json_object_get(j, "advisory")), "2025-001");
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "summary");
	assert_string_equal(json_string_value(json_object_get(j, "decision")), "release");
	assert_string_equal(json_string_value(json_object_get(j, "release_at")),
			    "2025-07-08T17:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "tier gold: T-14d");
	json_decref(j);

	p.withheld = true;
	snprintf(p.reason, sizeof p.reason, "jurisdiction CN: poc withheld");
	j = fw_plan_entry_to_json(&p);
	assert_int_equal(json_object_size(j), 5);
	assert_string_equal(json_string_value(json_object_get(j, "decision")), "withheld");
	assert_null(json_object_get(j, "release_at"));
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
			    "jurisdiction CN: poc withheld");
	json_decref(j);
}

static void test_token_to_json(void **state)
{
	(void)state;
	struct fw_token t;
	memset(&t, 0, sizeof t);
	snprintf(t.id, sizeof t.id, "tok_0123456789abcdef");
	t.role = FW_ROLE_MEMBER;
	snprintf(t.member_id, sizeof t.member_id, "acme-cert");
	snprintf(t.label, sizeof t.label, "ci bot");
	t.created_at = T_2025_07_01_0930;
	t.last_used_at = T_2025_07_08_1700;
	json_t *j = fw_token_to_json(&t);
	assert_non_null(j);
	/* Exactly these fields: nothing that could carry the secret. */
	static const char *const keys[] = {"id",         "role",        "member",
					   "label",      "created_at",  "expires_at",
					   "revoked_at", "last_used_at"};
	assert_int_equal(json_object_size(j), 8);
	for (size_t i = 0; i < 8; i++)
		assert_non_null(json_object_get(j, keys[i]));
	assert_string_equal(json_string_value(json_object_get(j, "id")), "tok_0123456789abcdef");
	assert_string_equal(json_string_value(json_object_get(j, "role")), "member");
	assert_string_equal(json_string_value(json_object_get(j, "member")), "acme-cert");
	assert_string_equal(json_string_value(json_object_get(j, "label")), "ci bot");
	assert_string_equal(json_string_value(json_object_get(j, "created_at")),
			    "2025-07-01T09:30:00Z");
	assert_true(json_is_null(json_object_get(j, "expires_at")));
	assert_true(json_is_null(json_object_get(j, "revoked_at")));
	assert_string_equal(json_string_value(json_object_get(j, "last_used_at")),
			    "2025-07-08T17:00:00Z");
	json_decref(j);

	/* Only member tokens name a member, even if the field holds something. */
	t.role = FW_ROLE_AUDITOR;
	t.expires_at = T_2025_07_08_1700;
	t.revoked_at = T_2025_07_08_1700 + 1;
	j = fw_token_to_json(&t);
	assert_string_equal(json_string_value(json_object_get(j, "role")), "auditor");
	assert_true(json_is_null(json_object_get(j, "member")));
	assert_string_equal(json_string_value(json_object_get(j, "expires_at")),
			    "2025-07-08T17:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "revoked_at")),
			    "2025-07-08T17:00:01Z");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cvss_examples),
		cmocka_unit_test(test_cvss_roundup),
		cmocka_unit_test(test_cvss_accepts),
		cmocka_unit_test(test_cvss_rejects),
		cmocka_unit_test(test_cvss_severity),
		cmocka_unit_test(test_slug),
		cmocka_unit_test(test_jurisdiction),
		cmocka_unit_test(test_cve),
		cmocka_unit_test(test_age_recipient),
		cmocka_unit_test(test_minisign_pubkey),
		cmocka_unit_test(test_member_to_json),
		cmocka_unit_test(test_member_round_trip),
		cmocka_unit_test(test_member_create_defaults),
		cmocka_unit_test(test_member_refusals),
		cmocka_unit_test(test_member_update),
		cmocka_unit_test(test_advisory_to_json),
		cmocka_unit_test(test_advisory_round_trip),
		cmocka_unit_test(test_advisory_create),
		cmocka_unit_test(test_advisory_refusals),
		cmocka_unit_test(test_advisory_update),
		cmocka_unit_test(test_time_to_json),
		cmocka_unit_test(test_artifact_to_json),
		cmocka_unit_test(test_delivery_to_json),
		cmocka_unit_test(test_plan_entry_to_json),
		cmocka_unit_test(test_token_to_json),
	};
	return cmocka_run_group_tests(tests, setup_crypto, NULL);
}
