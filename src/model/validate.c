/* Validators for the identifiers forewarn accepts from people: slugs,
 * jurisdictions, CVE ids and the two kinds of member public keys. They return
 * bool; callers name the field in their own error detail. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "model/model.h"

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool fw_model_is_slug(const char *s, size_t max_bytes)
{
	if (!s || !is_lower_alnum(s[0]))
		return false;
	size_t n = 1;
	for (; s[n]; n++)
		if (!is_lower_alnum(s[n]) && s[n] != '-')
			return false;
	/* A trailing '-' is almost always a typo or a truncation artefact. */
	return n < max_bytes && s[n - 1] != '-';
}

/* The officially assigned ISO 3166-1 alpha-2 codes (249), sorted for bsearch.
 * Reserved and user-assigned codes (UK, EU, XK, AA, ZZ…) are deliberately
 * absent: jurisdiction drives release rules, and a code that names no country
 * could match no rule the program intends. */
static const char jurisdictions[][3] = {
	"AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
	"AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ",
	"BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK",
	"CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
	"DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR",
	"GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
	"GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
	"IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
	"KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV",
	"LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ",
	"MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI",
	"NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
	"PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
	"SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
	"SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
	"TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
	"VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

static int cmp_code(const void *a, const void *b) { return strcmp(a, b); }

bool fw_model_is_jurisdiction(const char *s)
{
	if (!s || strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return false;
	return bsearch(s, jurisdictions, sizeof jurisdictions / sizeof jurisdictions[0],
		       sizeof jurisdictions[0], cmp_code) != NULL;
}

/* CVE ID syntax (since 2014): CVE-YYYY-NNNN…, where a sequence of more than
 * four digits has no leading zero, so that every id has one spelling. */
bool fw_model_is_cve(const char *s)
{
	if (!s || strncmp(s, "CVE-", 4) != 0)
		return false;
	const char *y = s + 4;
	int year = 0;
	for (int i = 0; i < 4; i++) {
		if (!is_digit(y[i]))
			return false;
		year = year * 10 + (y[i] - '0');
	}
	if (year < 1999 || year > 2100 || y[4] != '-')
		return false;
	const char *seq = y + 5;
	size_t n = 0;
	while (is_digit(seq[n]))
		n++;
	if (seq[n] != '\0' || n < 4 || n > 19)
		return false;
	return n == 4 || seq[0] != '0';
}

bool fw_model_is_age_recipient(const char *s)
{
	uint8_t pk[32];
	if (!s || strlen(s) >= FW_MODEL_AGE_RECIPIENT_BYTES)
		return false;
	return fw_age_recipient_parse(s, pk) == FW_OK;
}

bool fw_model_is_minisign_pubkey(const char *s)
{
	struct fw_verify_key k;
	if (!s || !*s || strlen(s) >= FW_MODEL_MINISIGN_PK_BYTES)
		return false;
	/* fw_minisign_public_parse also takes a whole .pub file; the model keeps
	 * only the one base64 line, so anything with spaces or line breaks is out. */
	if (strpbrk(s, " \t\r\n") != NULL)
		return false;
	return fw_minisign_public_parse(s, strlen(s), &k) == FW_OK;
}
