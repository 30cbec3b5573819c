/* Unit tests of the policy language: decisions, errors, limits, warnings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/time.h"
#include "policy/policy.h"

#define DAY 86400LL

static const char example[] = "# forewarn example policy\n"
			      "tier validate { grant all at T-14d }\n"
			      "tier ans {\n"
			      "  grant summary, detection, poc at T-5d\n"
			      "}\n"
			      "tier entry { grant summary at T-1d }\n"
			      "public { grant summary, description, mitigation at T }\n";

/* ---- helpers ---------------------------------------------------------- */

static struct fw_policy *parse_ok(const char *text, struct fw_policy_diags *d)
{
	struct fw_policy *p = NULL;
	enum fw_err r = fw_policy_parse(text, strlen(text), &p, d);
	if (r != FW_OK) {
		for (size_t i = 0; i < d->n; i++)
			print_error("diag %d:%d %s\n", d->d[i].line, d->d[i].col, d->d[i].message);
	}
	assert_int_equal(r, FW_OK);
	assert_non_null(p);
	return p;
}

static size_t count_errors(const struct fw_policy_diags *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += !d->d[i].warning;
	return n;
}

static struct fw_member member(const char *tier, enum fw_member_status status)
{
	struct fw_member m;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "m-%s", tier);
	snprintf(m.tier, sizeof m.tier, "%s", tier);
	m.status = status;
	return m;
}

static struct fw_policy_decision decide(const struct fw_policy *p, const char *tier,
					enum fw_member_status status, enum fw_kind k)
{
	struct fw_member m = member(tier, status);
	struct fw_advisory a;
	struct fw_policy_decision d;
	memset(&a, 0, sizeof a);
	memset(&d, 0x5a, sizeof d); /* every field must be written */
	fw_policy_decide(p, &m, &a, k, &d);
	return d;
}

/* ---- decisions -------------------------------------------------------- */

static void test_example_decides_per_tier_and_kind(void **state)
{
	(void)state;
	static const struct {
		const char *tier;
		enum fw_kind kind;
		bool withheld;
		int64_t offset;
		int line;
		const char *reason;
	} cases[] = {
		{"validate", FW_KIND_SUMMARY, false, -14 * DAY, 2, "tier validate grants summary at T-14d (line 2)"},
		{"validate", FW_KIND_DESCRIPTION, false, -14 * DAY, 2,
		 "tier validate grants description at T-14d (line 2)"},
		{"validate", FW_KIND_DETECTION, false, -14 * DAY, 2, "tier validate grants detection at T-14d (line 2)"},
		{"validate", FW_KIND_INDICATORS, false, -14 * DAY, 2,
		 "tier validate grants indicators at T-14d (line 2)"},
		{"validate", FW_KIND_MITIGATION, false, -14 * DAY, 2,
		 "tier validate grants mitigation at T-14d (line 2)"},
		{"validate", FW_KIND_POC, false, -14 * DAY, 2, "tier validate grants poc at T-14d (line 2)"},
		{"ans", FW_KIND_SUMMARY, false, -5 * DAY, 4, "tier ans grants summary at T-5d (line 4)"},
		{"ans", FW_KIND_DETECTION, false, -5 * DAY, 4, "tier ans grants detection at T-5d (line 4)"},
		{"ans", FW_KIND_POC, false, -5 * DAY, 4, "tier ans grants poc at T-5d (line 4)"},
		{"ans", FW_KIND_DESCRIPTION, false, 0, 7, "public grants description at T (line 7)"},
		{"ans", FW_KIND_MITIGATION, false, 0, 7, "public grants mitigation at T (line 7)"},
		{"ans", FW_KIND_INDICATORS, true, 0, 0, "no rule grants indicators to tier ans (default deny)"},
		{"entry", FW_KIND_SUMMARY, false, -1 * DAY, 6, "tier entry grants summary at T-1d (line 6)"},
		{"entry", FW_KIND_DESCRIPTION, false, 0, 7, "public grants description at T (line 7)"},
		{"entry", FW_KIND_MITIGATION, false, 0, 7, "public grants mitigation at T (line 7)"},
		{"entry", FW_KIND_DETECTION, true, 0, 0, "no rule grants detection to tier entry (default deny)"},
		{"entry", FW_KIND_INDICATORS, true, 0, 0, "no rule grants indicators to tier entry (default deny)"},
		{"entry", FW_KIND_POC, true, 0, 0, "no rule grants poc to tier entry (default deny)"},
	};
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok(example, &d);
	assert_int_equal(d.n, 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fw_policy_decision dec = decide(p, cases[i].tier, FW_MEMBER_ACTIVE, cases[i].kind);
		print_message("case %zu: %s %s -> %s\n", i, cases[i].tier, fw_kind_name(cases[i].kind), dec.reason);
		assert_int_equal(dec.withheld, cases[i].withheld);
		assert_int_equal(dec.offset, cases[i].offset);
		assert_int_equal(dec.line, cases[i].line);
		assert_string_equal(dec.reason, cases[i].reason);
	}
	/* Probation is not a sanction: the member still gets its grants. */
	struct fw_policy_decision dec = decide(p, "ans", FW_MEMBER_PROBATION, FW_KIND_POC);
	assert_false(dec.withheld);
	assert_int_equal(dec.offset, -5 * DAY);
	fw_policy_free(p);
}

static void test_public_block(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok("tier slow { grant summary at T+1d\n grant poc at T-2d }\n"
				       "public {\n grant summary at T-1d\n grant poc at T-2d\n}\n",
				       &d);
	/* A tier with no block gets what the public block grants. */
	struct fw_policy_decision dec = decide(p, "nobody", FW_MEMBER_ACTIVE, FW_KIND_SUMMARY);
	assert_false(dec.withheld);
	assert_int_equal(dec.offset, -DAY);
	assert_string_equal(dec.reason, "public grants summary at T-1d (line 4)");
	/* The earliest of tier and public wins, even against the member's tier. */
	dec = decide(p, "slow", FW_MEMBER_ACTIVE, FW_KIND_SUMMARY);
	assert_int_equal(dec.offset, -DAY);
	assert_int_equal(dec.line, 4);
	/* On a tie, the tier's own rule is named. */
	dec = decide(p, "slow", FW_MEMBER_ACTIVE, FW_KIND_POC);
	assert_int_equal(dec.offset, -2 * DAY);
	assert_string_equal(dec.reason, "tier slow grants poc at T-2d (line 2)");
	dec = decide(p, "nobody", FW_MEMBER_ACTIVE, FW_KIND_MITIGATION);
	assert_true(dec.withheld);
	assert_string_equal(dec.reason, "no rule grants mitigation to tier nobody (default deny)");
	fw_policy_free(p);
}

static void test_suspended_and_expelled_get_nothing(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok(example, &d);
	for (int k = 0; k < FW_KIND_COUNT; k++) {
		struct fw_policy_decision dec = decide(p, "validate", FW_MEMBER_SUSPENDED, (enum fw_kind)k);
		assert_true(dec.withheld);
		assert_int_equal(dec.line, 0);
		assert_string_equal(dec.reason, "member is suspended: nothing is released");
		dec = decide(p, "validate", FW_MEMBER_EXPELLED, (enum fw_kind)k);
		assert_true(dec.withheld);
		assert_int_equal(dec.line, 0);
		assert_string_equal(dec.reason, "member is expelled: nothing is released");
	}
	/* Even what the public block grants to everyone. */
	struct fw_policy_decision dec = decide(p, "entry", FW_MEMBER_SUSPENDED, FW_KIND_DESCRIPTION);
	assert_true(dec.withheld);
	fw_policy_free(p);
}

static void test_unknown_tier_and_has_tier(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok("tier ans { grant poc at T-5d }\n", &d);
	assert_true(fw_policy_has_tier(p, "ans"));
	assert_false(fw_policy_has_tier(p, "an"));
	assert_false(fw_policy_has_tier(p, "ansx"));
	assert_false(fw_policy_has_tier(p, ""));
	assert_false(fw_policy_has_tier(NULL, "ans"));
	assert_false(fw_policy_has_tier(p, NULL));
	struct fw_policy_decision dec = decide(p, "gold", FW_MEMBER_ACTIVE, FW_KIND_POC);
	assert_true(dec.withheld);
	assert_int_equal(dec.line, 0);
	assert_string_equal(dec.reason, "no rule grants poc to tier gold (default deny)");
	dec = decide(p, "", FW_MEMBER_ACTIVE, FW_KIND_POC);
	assert_true(dec.withheld);
	assert_string_equal(dec.reason, "no rule grants poc to tier (none) (default deny)");
	/* Bad arguments deny rather than crash. */
	dec = decide(NULL, "ans", FW_MEMBER_ACTIVE, FW_KIND_POC);
	assert_true(dec.withheld);
	dec = decide(p, "ans", FW_MEMBER_ACTIVE, FW_KIND_COUNT);
	assert_true(dec.withheld);
	fw_policy_free(p);
}

static void test_times(void **state)
{
	(void)state;
	static const struct {
		const char *time;
		int64_t offset;
		const char *shown;
	} cases[] = {
		{"T", 0, "T"},
		{"T-14d", -14 * DAY, "T-14d"},
		{"T+1d", DAY, "T+1d"}, /* after T is allowed: e.g. a description a day late */
		{"T-1d12h", -DAY - 12 * 3600, "T-1d12h"},
		{"T-90m", -90 * 60, "T-1h30m"},
		{"T-2w", -14 * DAY, "T-14d"},
		{"T-365d", -365 * DAY, "T-365d"},
		{"T+365d", 365 * DAY, "T+365d"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[128], want[128];
		snprintf(text, sizeof text, "tier a { grant poc at %s }", cases[i].time);
		struct fw_policy_diags d;
		struct fw_policy *p = parse_ok(text, &d);
		struct fw_policy_decision dec = decide(p, "a", FW_MEMBER_ACTIVE, FW_KIND_POC);
		assert_false(dec.withheld);
		assert_int_equal(dec.offset, cases[i].offset);
		snprintf(want, sizeof want, "tier a grants poc at %s (line 1)", cases[i].shown);
		assert_string_equal(dec.reason, want);
		fw_policy_free(p);
	}
}

static void test_syntax_variants(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	/* Semicolons are optional, comments go anywhere, CRLF line ends work,
	 * slugs may hold digits and hyphens. */
	struct fw_policy *p = parse_ok("tier tier-2 {  # the second tier\r\n"
				       "\tgrant summary,detection at T-3d;\r\n"
				       "  grant poc at T-1d\n"
				       "}# trailing\n"
				       "public{grant description at T;}",
				       &d);
	assert_int_equal(d.n, 0);
	struct fw_policy_decision dec = decide(p, "tier-2", FW_MEMBER_ACTIVE, FW_KIND_DETECTION);
	assert_int_equal(dec.offset, -3 * DAY);
	assert_int_equal(dec.line, 2);
	dec = decide(p, "tier-2", FW_MEMBER_ACTIVE, FW_KIND_POC);
	assert_int_equal(dec.offset, -DAY);
	assert_int_equal(dec.line, 3);
	fw_policy_free(p);

	/* The text need not be NUL-terminated: only n bytes are read. */
	const char buf[] = "tier a { grant poc at T }garbage that must not be read";
	struct fw_policy *q = NULL;
	assert_int_equal(fw_policy_parse(buf, strlen("tier a { grant poc at T }"), &q, &d), FW_OK);
	assert_true(fw_policy_has_tier(q, "a"));
	fw_policy_free(q);
	fw_policy_free(NULL);

	/* diags may be NULL. */
	q = NULL;
	assert_int_equal(fw_policy_parse("tier a {", 8, &q, NULL), FW_ERR_INVALID);
	assert_null(q);
}

/* ---- errors ----------------------------------------------------------- */

struct bad_case {
	const char *text;
	int line, col;
	const char *message;
};

static const struct bad_case bad_cases[] = {
	{"tier ans {\n  grant summary, pocc at T-5d\n}\n", 2, 18,
	 "unknown artifact kind \"pocc\" (one of: summary, description, detection, indicators, mitigation, poc)"},
	{"tier ans grant poc at T-5d }", 1, 10, "expected '{' after the tier name, found 'grant'"},
	{"tier ans { grant poc at T }\n\ntier ans { grant poc at T-1d }", 3, 6,
	 "duplicate tier \"ans\" (first defined at line 1)"},
	{"public { grant poc at T }\npublic { grant summary at T }", 2, 1,
	 "duplicate public block (first defined at line 1)"},
	{"public grant poc at T", 1, 8, "expected '{' after 'public', found 'grant'"},
	{"tier a { grant poc at T-400d }", 1, 23,
	 "release time T-400d is out of range: a grant must be within 365d of T"},
	{"tier a { grant poc at T+366d }", 1, 23,
	 "release time T+366d is out of range: a grant must be within 365d of T"},
	{"tier a { grant poc at T-5x }", 1, 23,
	 "bad time \"T-5x\": want a duration of digits and units w, d, h, m, s, as in T-14d or T-1d12h"},
	{"tier a { grant poc at T-5 }", 1, 23,
	 "bad time \"T-5\": want a duration of digits and units w, d, h, m, s, as in T-14d or T-1d12h"},
	{"tier a { grant poc at T- 5d }", 1, 23, "expected a duration right after \"T-\", as in T-14d (no spaces)"},
	{"tier a { grant poc at 5d }", 1, 23, "expected a release time (T, T-14d, T+1d) after 'at', found duration 5d"},
	{"tier a { grant poc at }", 1, 23, "expected a release time (T, T-14d, T+1d) after 'at', found '}'"},
	{"tier a { grant poc T-5d }", 1, 20, "expected ',' or 'at' after the artifact kind, found time T-5d"},
	{"tier a { grant summary detection at T }", 1, 24,
	 "expected ',' or 'at' after the artifact kind, found \"detection\""},
	{"tier a { grant at T }", 1, 16, "expected an artifact kind or 'all' after 'grant', found 'at'"},
	{"tier a { grant poc, at T }", 1, 21, "expected an artifact kind after ',', found 'at'"},
	{"tier a { grant all, poc at T }", 1, 19, "'all' stands alone: it already grants every kind"},
	{"tier a { grant poc, all at T }", 1, 21,
	 "'all' cannot be listed with other kinds: it already grants every kind"},
	{"tier a { grant Poc at T }", 1, 16,
	 "unknown artifact kind \"Poc\" (one of: summary, description, detection, indicators, mitigation, poc)"},
	{"tier Gold { grant poc at T }", 1, 6,
	 "bad tier name \"Gold\": use lower-case letters, digits and '-', starting with a letter or digit, at "
	 "most 63 bytes"},
	{"tier -a { grant poc at T }", 1, 6, "unexpected character '-'"},
	{"tier all { grant poc at T }", 1, 6, "'all' is a reserved word and cannot name a tier"},
	{"tier restrict { grant poc at T }", 1, 6, "expected a tier name after 'tier', found 'restrict'"},
	{"tier { grant poc at T }", 1, 6, "expected a tier name after 'tier', found '{'"},
	{"tier \"ans\" { grant poc at T }", 1, 6, "expected a tier name after 'tier', found a string"},
	{"tier a { grant poc at T\ntier b { grant poc at T }", 2, 1,
	 "expected '}' to close tier \"a\" (opened at line 1), found 'tier'"},
	{"tier a {\n grant poc at T\n", 3, 1, "expected '}' to close tier \"a\" (opened at line 1), found end of input"},
	{"tier a { grant poc at T };", 1, 26, "expected 'tier', 'public', 'set', 'restrict' or 'max_embargo', found ';'"},
	{"tier a { grant poc at T;; }", 1, 25, "expected 'grant' or '}' in tier \"a\", found ';'"},
	{"tier a { withhold poc }", 1, 10, "expected 'grant' or '}' in tier \"a\", found 'withhold'"},
	{"grant poc at T", 1, 1, "'grant' must be inside a tier or public block"},
	{"Tier a { grant poc at T }", 1, 1, "expected 'tier', 'public', 'set', 'restrict' or 'max_embargo', found \"Tier\""},
	{"tier a { GRANT poc at T }", 1, 10, "expected 'grant' or '}' in tier \"a\", found \"GRANT\""},
	{"\n  restrict eu when tier == ans { withhold poc }", 2, 20, "'tier' is not an attribute here: write member.tier"},
	{"max_embargo 30", 1, 13, "expected a duration (as in 30d) after 'max_embargo', found number 30"},
	{"tier a { grant poc at T @ }", 1, 25, "unexpected character '@'"},
	{"tier a { grant poc at T } \xc3\xa9", 1, 27, "unexpected character U+00E9"},
	{"tier a { grant poc at T } !", 1, 27, "unexpected character '!'"},
	{"tier a {\n\tgrant poc at T \"abc\\q\" }", 2, 21, "unknown escape in string (use \\\", \\\\, \\n or \\t)"},
	{"tier a { \"abc }", 1, 10, "unterminated string (a string ends on the line it starts)"},
	{"tier a { 1.2.3 }", 1, 10, "bad number \"1.2.3\""},
	{"tier a { 14q }", 1, 10, "bad duration \"14q\": want digits and units w, d, h, m, s, as in 14d or 1d12h"},
	{"# x\ntier a {\n grant poc at T \xff }", 3, 17, "invalid UTF-8 (byte 0xff); the rest was not read"},
	{"tier a { grant poc at T } \xc0\xaf", 1, 27, "invalid UTF-8 (byte 0xc0); the rest was not read"},
	{"# \xed\xa0\x80 a surrogate\n", 1, 3, "invalid UTF-8 (byte 0xed); the rest was not read"},
	{"tier a { grant poc at T } \xe2\x82", 1, 27, "invalid UTF-8 (byte 0xe2); the rest was not read"},
	/* sets, restrictions, conditions, max_embargo; type errors */
	{"tier a { grant all at T }\nrestrict r when member.tier < 3 { withhold poc }", 2, 29,
	 "'<' does not apply to member.tier: it is a name, not ordered (use ==, != or in)"},
	{"tier a { grant all at T }\nrestrict r when kind >= poc { withhold poc }", 2, 22,
	 "'>=' does not apply to kind: it is a name, not ordered (use ==, != or in)"},
	{"tier a { grant all at T }\nrestrict r when member.tier == 3 { withhold poc }", 2, 32,
	 "expected a name or a string to compare with member.tier, found number 3"},
	{"tier a { grant all at T }\nrestrict r when advisory.cvss >= high { withhold poc }", 2, 34,
	 "expected a number (a CVSS score, 0 to 10) to compare with advisory.cvss, found \"high\""},
	{"tier a { grant all at T }\nrestrict r when advisory.cvss > 11 { withhold poc }", 2, 33,
	 "number 11 is out of range: CVSS scores go from 0 to 10"},
	{"tier a { grant all at T }\nrestrict r when advisory.severity == 7 { withhold poc }", 2, 38,
	 "expected a severity (none, low, medium, high, critical) to compare with advisory.severity, found number 7"},
	{"tier a { grant all at T }\nrestrict r when advisory.severity >= severe { withhold poc }", 2, 38,
	 "unknown severity \"severe\" (one of: none, low, medium, high, critical)"},
	{"tier a { grant all at T }\nrestrict r when member.status == banned { withhold poc }", 2, 34,
	 "unknown member status \"banned\" (one of: active, probation, suspended, expelled)"},
	{"tier a { grant all at T }\nrestrict r when kind in [poc, pocc] { withhold poc }", 2, 31,
	 "unknown artifact kind \"pocc\" (one of: summary, description, detection, indicators, mitigation, poc)"},
	{"tier a { grant all at T }\nrestrict r when member.tags == vip { withhold poc }", 2, 29,
	 "member.tags is a list: '==' does not apply (write \"x\" in member.tags, or member.tags in [..])"},
	{"tier a { grant all at T }\nrestrict r when advisory.cvss in [9] { withhold poc }", 2, 31,
	 "advisory.cvss is a number: compare it with ==, !=, <, <=, > or >=, not 'in'"},
	{"tier a { grant all at T }\nrestrict r when \"CN\" in member.jurisdiction { withhold poc }", 2, 25,
	 "member.jurisdiction is not a list: write member.jurisdiction == \"CN\""},
	{"tier a { grant all at T }\nrestrict r when member.jurisdiction in eu { withhold poc }", 2, 40,
	 "undefined set \"eu\" (a list is written in brackets, as in [eu])"},
	{"tier a { grant all at T }\nrestrict r when jurisdiction == CN { withhold poc }", 2, 17,
	 "\"jurisdiction\" is not an attribute: write member.jurisdiction"},
	{"tier a { grant all at T }\nrestrict r when member.name == x { withhold poc }", 2, 24,
	 "unknown attribute \"member.name\" (member has: id, tier, jurisdiction, status, tags)"},
	{"tier a { grant all at T }\nrestrict r when advisory.score > 7 { withhold poc }", 2, 26,
	 "unknown attribute \"advisory.score\" (advisory has: id, severity, cvss, products, cves, tags)"},
	{"tier a { grant all at T }\nrestrict r when member tier == a { withhold poc }", 2, 24,
	 "expected '.' after 'member' (as in member.jurisdiction), found 'tier'"},
	{"tier a { grant all at T }\nrestrict r when (member.tier == a { withhold poc }", 2, 35,
	 "expected ')' (opened at line 2), 'and' or 'or', found '{'"},
	{"tier a { grant all at T }\nrestrict r when member.tier == a b { withhold poc }", 2, 34,
	 "expected '{', 'and' or 'or' after the condition, found \"b\""},
	{"tier a { grant all at T }\nrestrict r when member.tier == { withhold poc }", 2, 32,
	 "expected a value to compare member.tier with, found '{'"},
	{"tier a { grant all at T }\nrestrict r when member.tier { withhold poc }", 2, 29,
	 "expected an operator (==, !=, <, <=, >, >=, in) after member.tier, found '{'"},
	{"tier a { grant all at T }\nrestrict r when { withhold poc }", 2, 17,
	 "expected a condition (an attribute such as member.jurisdiction, a value followed by 'in', 'not' or '('), found '{'"},
	{"tier a { grant all at T }\nrestrict r when member.tier in 3 { withhold poc }", 2, 32,
	 "expected a list [..] or the name of a set after 'in', found number 3"},
	{"tier a { grant all at T }\nrestrict r when \"x\" == kind { withhold poc }", 2, 21,
	 "expected 'in' after the value (a comparison starts with the attribute, as in member.tier == ans), found '=='"},
	{"tier a { grant all at T }\nrestrict r when \"x\" in member.tier { withhold poc }", 2, 24,
	 "member.tier is not a list: write member.tier == \"x\""},
	{"tier a { grant all at T }\nrestrict r when kind == poc and { withhold poc }", 2, 33,
	 "expected a condition (an attribute such as member.jurisdiction, a value followed by 'in', 'not' or '('), found '{'"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { grant poc at T }", 2, 31,
	 "expected 'withhold', 'delay', 'cap' or '}' in restriction \"r\", found 'grant'"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { delay poc at T }", 2, 41,
	 "expected ',' or 'until' after the artifact kind, found 'at'"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { delay poc until 5d }", 2, 47,
	 "expected a time (T, T+1d, T-2d) after 'until', found duration 5d"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { delay poc until T+400d }", 2, 47,
	 "time T+400d is out of range: a delay must be within 365d of T"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { withhold all, poc }", 2, 43,
	 "'all' stands alone: it already withholds every kind"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { delay poc, all until T }", 2, 42,
	 "'all' cannot be listed with other kinds: it already delays every kind"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { withhold }", 2, 40,
	 "expected an artifact kind or 'all' after 'withhold', found '}'"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { cap entry }", 2, 35,
	 "expected 'tier' after 'cap', found \"entry\""},
	{"tier a { grant all at T }\nrestrict r when kind == poc { cap tier gold }", 2, 40,
	 "cap tier \"gold\": there is no tier \"gold\" in this policy"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { cap tier Gold }", 2, 40,
	 "bad tier name \"Gold\": use lower-case letters, digits and '-', starting with a letter or digit, at most 63 bytes"},
	{"tier a { grant all at T }\nrestrict when kind == poc { withhold poc }", 2, 10,
	 "expected a restriction name after 'restrict', found 'when'"},
	{"tier a { grant all at T }\nrestrict r kind == poc { withhold poc }", 2, 12,
	 "expected 'when' after the restriction name, found \"kind\""},
	{"tier a { grant all at T }\nrestrict all when kind == poc { withhold poc }", 2, 10,
	 "'all' is a reserved word and cannot name a restriction"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { withhold poc }\nrestrict r when kind == poc { withhold poc }", 3, 10,
	 "duplicate restriction \"r\" (first defined at line 2)"},
	{"tier a { grant all at T }\nrestrict r when kind == poc { withhold poc", 2, 43,
	 "expected '}' to close restriction \"r\" (opened at line 2), found end of input"},
	{"tier a { grant all at T }\nwithhold poc", 2, 1,
	 "'withhold' must be inside a restriction"},
	{"tier a { grant all at T }\nset tier = [a]", 2, 5,
	 "'tier' is a reserved word and cannot name a set"},
	{"tier a { grant all at T }\nset kind = [a]", 2, 5,
	 "\"kind\" names an attribute and cannot name a set"},
	{"tier a { grant all at T }\nset a [x]", 2, 7,
	 "expected '=' after the set name, found '['"},
	{"tier a { grant all at T }\nset a = x", 2, 9,
	 "expected '[' to start a list, found \"x\""},
	{"tier a { grant all at T }\nset a = [1]", 2, 10,
	 "expected a name, a string or ']' in the list, found number 1"},
	{"tier a { grant all at T }\nset a = [x,, y]", 2, 12,
	 "expected a name or a string after ',', found ','"},
	{"tier a { grant all at T }\nset a = [x]\nset a = [y]", 3, 5,
	 "duplicate set \"a\" (first defined at line 2)"},
	{"tier a { grant all at T }\nmax_embargo 400d", 2, 13,
	 "max_embargo 400d is out of range: at most 365d"},
	{"tier a { grant all at T }\nmax_embargo 30d\nmax_embargo 20d", 3, 1,
	 "duplicate max_embargo (first at line 2)"},
	{"tier a { grant all at T }\nmax_embargo T-30d", 2, 13,
	 "expected a duration (as in 30d) after 'max_embargo', found time T-30d"},
};

static void test_error_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		struct fw_policy *p = (struct fw_policy *)&p; /* a sentinel: must stay as is */
		struct fw_policy *const sentinel = p;
		struct fw_policy_diags d;
		print_message("bad case %zu (want %d:%d)\n", i, c->line, c->col);
		enum fw_err r = fw_policy_parse(c->text, strlen(c->text), &p, &d);
		assert_int_equal(r, FW_ERR_INVALID);
		assert_ptr_equal(p, sentinel);
		assert_true(d.n >= 1);
		assert_false(d.d[0].warning);
		assert_string_equal(d.d[0].message, c->message);
		assert_int_equal(d.d[0].line, c->line);
		assert_int_equal(d.d[0].col, c->col);
		/* The error reaches callers that only look at the detail, too. */
		assert_non_null(strstr(fw_err_detail(), c->message));
	}
}

static void test_nul_byte(void **state)
{
	(void)state;
	const char text[] = "tier a {\n grant poc\0 at T }";
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	assert_int_equal(fw_policy_parse(text, sizeof text - 1, &p, &d), FW_ERR_INVALID);
	assert_null(p);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].line, 2);
	assert_int_equal(d.d[0].col, 11);
	assert_string_equal(d.d[0].message, "NUL byte: a policy is text; the rest was not read");
}

static void test_multiple_errors(void **state)
{
	(void)state;
	static const char text[] = "tier ans {\n"                      /* 1 */
				   "  grant summary, pocc at T-5d\n"     /* 2: unknown kind */
				   "  grant poc at T-5q\n"               /* 3: bad time */
				   "  grant detection at T-1d\n"         /* 4: fine */
				   "}\n"                                 /* 5 */
				   "tier ans { grant poc at T }\n"       /* 6: duplicate */
				   "tier entry grant summary at T-1d\n"  /* 7: no '{' */
				   "public { grant description at T }\n" /* 8: fine */
				   "bogus\n";                            /* 9 */
	static const struct {
		int line, col;
		const char *prefix;
	} want[] = {
		{2, 18, "unknown artifact kind \"pocc\""},
		{3, 16, "bad time \"T-5q\""},
		{6, 6, "duplicate tier \"ans\" (first defined at line 1)"},
		{7, 12, "expected '{' after the tier name, found 'grant'"},
		{9, 1, "expected 'tier', 'public', 'set', 'restrict' or 'max_embargo', found \"bogus\""},
	};
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	assert_int_equal(fw_policy_parse(text, strlen(text), &p, &d), FW_ERR_INVALID);
	assert_null(p);
	assert_int_equal(d.n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < d.n; i++) {
		assert_false(d.d[i].warning);
		assert_int_equal(d.d[i].line, want[i].line);
		assert_int_equal(d.d[i].col, want[i].col);
		assert_memory_equal(d.d[i].message, want[i].prefix, strlen(want[i].prefix));
	}
	assert_non_null(strstr(fw_err_detail(), "policy has 5 errors; first: line 2:18: unknown artifact kind"));
}

/* A block whose header is wrong is still read for the errors inside it. */
static void test_errors_inside_a_bad_block(void **state)
{
	(void)state;
	static const char text[] = "tier Bad_Name {\n grant pocc at T\n}\ntier { grant poc at T+ }\n";
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	assert_int_equal(fw_policy_parse(text, strlen(text), &p, &d), FW_ERR_INVALID);
	assert_int_equal(count_errors(&d), 4);
	assert_int_equal(d.d[0].line, 1);
	assert_int_equal(d.d[0].col, 6);
	assert_int_equal(d.d[1].line, 2);
	assert_int_equal(d.d[1].col, 8);
	assert_int_equal(d.d[2].line, 4);
	assert_int_equal(d.d[2].col, 6);
	assert_int_equal(d.d[3].line, 4);
	assert_int_equal(d.d[3].col, 21);
	assert_string_equal(d.d[3].message, "expected a duration right after \"T+\", as in T+14d (no spaces)");
}

/* Errors in sets, restrictions and max_embargo are reported one each:
 * their conditions, lists and blocks are skipped without a cascade, and the
 * statements after them are still checked. */
static void test_recovery_in_new_statements(void **state)
{
	(void)state;
	static const char text[] = "set eu = [\"de\" \"fr\"]\n"
				   "restrict eu-poc when tier == ans and (member.jurisdiction in eu) {\n"
				   "  withhold poc; delay detection until T-1d; cap tier entry\n"
				   "}\n"
				   "max_embargo 30\n"
				   "tier ans { grant pocc at T }\n";
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	assert_int_equal(fw_policy_parse(text, strlen(text), &p, &d), FW_ERR_INVALID);
	for (size_t i = 0; i < d.n; i++)
		print_message("diag %d:%d %s\n", d.d[i].line, d.d[i].col, d.d[i].message);
	assert_int_equal(d.n, 4);
	static const struct {
		int line, col;
		const char *message;
	} want[] = {
		{1, 16, "expected ',' or ']' in the list, found a string"},
		{2, 22, "'tier' is not an attribute here: write member.tier"},
		{5, 13, "expected a duration (as in 30d) after 'max_embargo', found number 30"},
		{6, 18, "unknown artifact kind \"pocc\" (one of: summary, description, detection, indicators, "
			"mitigation, poc)"},
	};
	for (size_t i = 0; i < 4; i++) {
		assert_false(d.d[i].warning);
		assert_int_equal(d.d[i].line, want[i].line);
		assert_int_equal(d.d[i].col, want[i].col);
		assert_string_equal(d.d[i].message, want[i].message);
	}
}

/* ---- limits ------------------------------------------------------------ */

static char *build(size_t max, const char *head, const char *rep, size_t times, const char *tail)
{
	struct fw_buf b;
	fw_buf_init(&b, max);
	assert_int_equal(fw_buf_puts(&b, head), FW_OK);
	for (size_t i = 0; i < times; i++)
		assert_int_equal(fw_buf_puts(&b, rep), FW_OK);
	assert_int_equal(fw_buf_puts(&b, tail), FW_OK);
	char *s = fw_buf_steal(&b);
	assert_non_null(s);
	return s;
}

static void test_byte_limit(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = NULL;
	/* Exactly the limit is accepted: a policy padded with a long comment. */
	char *text = malloc(FW_POLICY_MAX_BYTES + 1);
	assert_non_null(text);
	const char *rule = "tier a { grant poc at T }\n#";
	size_t rl = strlen(rule);
	memcpy(text, rule, rl);
	memset(text + rl, 'x', FW_POLICY_MAX_BYTES + 1 - rl);
	assert_int_equal(fw_policy_parse(text, FW_POLICY_MAX_BYTES, &p, &d), FW_OK);
	fw_policy_free(p);
	p = NULL;
	assert_int_equal(fw_policy_parse(text, FW_POLICY_MAX_BYTES + 1, &p, &d), FW_ERR_TOO_LARGE);
	assert_null(p);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].line, 1);
	assert_int_equal(d.d[0].col, 1);
	assert_string_equal(d.d[0].message, "policy is 262145 bytes; the limit is 262144 bytes");
	free(text);
}

static void test_tier_limit(void **state)
{
	(void)state;
	struct fw_buf b;
	struct fw_policy_diags d;
	struct fw_policy *p = NULL;
	fw_buf_init(&b, 1 << 20);
	for (int i = 0; i < FW_POLICY_MAX_TIERS; i++)
		assert_int_equal(fw_buf_printf(&b, "tier t%d { grant poc at T }\n", i), FW_OK);
	assert_int_equal(fw_policy_parse(fw_buf_str(&b), b.len, &p, &d), FW_OK);
	assert_true(fw_policy_has_tier(p, "t63"));
	fw_policy_free(p);
	p = NULL;
	assert_int_equal(fw_buf_puts(&b, "tier one-more { grant poc at T }\n"), FW_OK);
	assert_int_equal(fw_policy_parse(fw_buf_str(&b), b.len, &p, &d), FW_ERR_INVALID);
	assert_null(p);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].line, FW_POLICY_MAX_TIERS + 1);
	assert_int_equal(d.d[0].col, 1);
	assert_string_equal(d.d[0].message, "too many tiers (at most 64)");
	fw_buf_cleanup(&b);
}

static void test_grant_limit(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = NULL;
	/* The earliest of many grants is the last one: all 256 were kept. */
	struct fw_buf b;
	fw_buf_init(&b, 1 << 20);
	assert_int_equal(fw_buf_puts(&b, "tier a {\n"), FW_OK);
	for (int i = 0; i < FW_POLICY_MAX_GRANTS; i++)
		assert_int_equal(fw_buf_printf(&b, "grant poc at T-%dh\n", i), FW_OK);
	assert_int_equal(fw_buf_puts(&b, "}\n"), FW_OK);
	assert_int_equal(fw_policy_parse(fw_buf_str(&b), b.len, &p, &d), FW_OK);
	struct fw_policy_decision dec = decide(p, "a", FW_MEMBER_ACTIVE, FW_KIND_POC);
	assert_int_equal(dec.offset, -(FW_POLICY_MAX_GRANTS - 1) * 3600LL);
	assert_int_equal(dec.line, FW_POLICY_MAX_GRANTS + 1);
	fw_policy_free(p);
	p = NULL;
	fw_buf_cleanup(&b);

	char *text = build(1 << 20, "tier a {\n", "grant poc at T\n", FW_POLICY_MAX_GRANTS + 1, "}\n");
	assert_int_equal(fw_policy_parse(text, strlen(text), &p, &d), FW_ERR_INVALID);
	assert_null(p);
	assert_int_equal(count_errors(&d), 1);
	size_t i = 0;
	while (d.d[i].warning)
		i++;
	assert_int_equal(d.d[i].line, FW_POLICY_MAX_GRANTS + 2);
	assert_int_equal(d.d[i].col, 1);
	assert_string_equal(d.d[i].message, "too many grants in tier \"a\" (at most 256)");
	free(text);
}

static void test_diag_limit(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = NULL;
	char *text = build(1 << 20, "", "@\n", 100, "");
	assert_int_equal(fw_policy_parse(text, strlen(text), &p, &d), FW_ERR_INVALID);
	assert_int_equal(d.n, FW_POLICY_MAX_DIAGS);
	assert_int_equal(d.d[0].line, 1);
	assert_int_equal(d.d[FW_POLICY_MAX_DIAGS - 2].line, FW_POLICY_MAX_DIAGS - 1);
	const struct fw_policy_diag *last = &d.d[FW_POLICY_MAX_DIAGS - 1];
	assert_false(last->warning);
	assert_int_equal(last->line, FW_POLICY_MAX_DIAGS);
	assert_string_equal(last->message, "69 more diagnostics (69 errors) not shown");
	assert_non_null(strstr(fw_err_detail(), "policy has 100 errors"));
	free(text);
}

/* ---- warnings ---------------------------------------------------------- */

static void test_warnings(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p;

	p = parse_ok("tier a { }\ntier b { grant poc at T }\npublic {\n}\n", &d);
	assert_int_equal(d.n, 2);
	assert_true(d.d[0].warning);
	assert_int_equal(d.d[0].line, 1);
	assert_int_equal(d.d[0].col, 1);
	assert_string_equal(d.d[0].message,
			    "tier \"a\" grants nothing: its members get only what the public block grants");
	assert_true(d.d[1].warning);
	assert_int_equal(d.d[1].line, 3);
	assert_string_equal(d.d[1].message, "the public block grants nothing");
	assert_true(fw_policy_has_tier(p, "a")); /* an empty block still defines its tier */
	fw_policy_free(p);

	/* A kind granted twice: the earliest wins, and the warning says so. */
	p = parse_ok("tier a {\n grant poc at T-1d\n grant detection, poc at T-3d\n grant all at T\n}\n", &d);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.d[0].line, 3);
	assert_int_equal(d.d[0].col, 19);
	assert_string_equal(d.d[0].message,
			    "poc is granted again in tier \"a\" (also at line 2); the earliest grant wins: T-3d (line 3)");
	assert_int_equal(d.d[1].line, 4);
	assert_string_equal(d.d[1].message, "detection is granted again in tier \"a\" (also at line 3); the "
					    "earliest grant wins: T-3d (line 3)");
	assert_string_equal(d.d[2].message,
			    "poc is granted again in tier \"a\" (also at line 3); the earliest grant wins: T-3d (line 3)");
	struct fw_policy_decision dec = decide(p, "a", FW_MEMBER_ACTIVE, FW_KIND_POC);
	assert_int_equal(dec.offset, -3 * DAY);
	assert_int_equal(dec.line, 3);
	dec = decide(p, "a", FW_MEMBER_ACTIVE, FW_KIND_SUMMARY);
	assert_int_equal(dec.offset, 0);
	assert_int_equal(dec.line, 4);
	fw_policy_free(p);

	/* A block already in error gets no "grants nothing" warning on top. */
	struct fw_policy *q = NULL;
	assert_int_equal(fw_policy_parse("public { }\npublic { }", 21, &q, &d), FW_ERR_INVALID);
	assert_int_equal(d.n, 2);
	assert_true(d.d[0].warning);
	assert_false(d.d[1].warning);
	assert_string_equal(d.d[1].message, "duplicate public block (first defined at line 1)");

	p = parse_ok("public { grant poc, summary, poc at T }", &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.d[0].col, 30);
	assert_string_equal(d.d[0].message, "poc is listed twice in this grant");
	fw_policy_free(p);

	/* An empty policy parses, withholds everything, and says so. */
	static const char *const empties[] = {"", "# nothing yet\n", "  \n\t\n"};
	for (size_t i = 0; i < 3; i++) {
		p = parse_ok(empties[i], &d);
		assert_int_equal(d.n, 1);
		assert_true(d.d[0].warning);
		assert_string_equal(d.d[0].message,
				    "the policy grants nothing: every artifact is withheld from every member");
		dec = decide(p, "a", FW_MEMBER_ACTIVE, FW_KIND_SUMMARY);
		assert_true(dec.withheld);
		fw_policy_free(p);
	}
}

static void test_diag_format(void **state)
{
	(void)state;
	struct fw_policy_diag e = {.line = 3, .col = 17, .warning = false, .message = "unknown thing"};
	struct fw_policy_diag w = {.line = 1, .col = 1, .warning = true, .message = "empty"};
	char out[64];
	fw_policy_diag_format(&e, out, sizeof out);
	assert_string_equal(out, "line 3:17: unknown thing");
	fw_policy_diag_format(&w, out, sizeof out);
	assert_string_equal(out, "line 1:1: warning: empty");
	fw_policy_diag_format(&e, out, 8);
	assert_string_equal(out, "line 3:");
}

/* ---- restrictions, conditions, sets ------------------------------------ */

static struct fw_member person(const char *id, const char *tier, const char *jur, enum fw_member_status status)
{
	struct fw_member m;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "%s", id);
	snprintf(m.tier, sizeof m.tier, "%s", tier);
	snprintf(m.jurisdiction, sizeof m.jurisdiction, "%s", jur);
	m.status = status;
	return m;
}

static void tag(struct fw_tags *t, const char *v)
{
	assert_true(t->n < FW_MODEL_MAX_TAGS);
	snprintf(t->v[t->n++], sizeof t->v[0], "%s", v);
}

static struct fw_policy_decision decide_for(const struct fw_policy *p, const struct fw_member *m,
					    const struct fw_advisory *a, enum fw_kind k)
{
	struct fw_policy_decision d;
	memset(&d, 0x5a, sizeof d);
	fw_policy_decide(p, m, a, k, &d);
	return d;
}

/* The story of issue 3: members in jurisdictions that must report to their
 * government get no proof of concept, and everything else only at T. */
static const char toolshell[] = "# the ToolShell story\n"                                      /* 1 */
				"max_embargo 30d\n"                                            /* 2 */
				"set mandatory_reporting = [CN, RU]\n"                         /* 3 */
				"tier validate { grant all at T-14d }\n"                       /* 4 */
				"tier ans { grant summary, detection, poc at T-5d }\n"         /* 5 */
				"tier entry { grant summary at T-1d }\n"                       /* 6 */
				"restrict mandatory-reporting when member.jurisdiction in mandatory_reporting {\n"
				"  withhold poc\n"                                             /* 8 */
				"  delay all until T\n"                                        /* 9 */
				"}\n";

static void test_toolshell_restriction(void **state)
{
	(void)state;
	static const struct {
		const char *tier, *jur;
		enum fw_kind kind;
		bool withheld;
		int64_t offset;
		int line;
		const char *reason;
	} cases[] = {
		{"ans", "CN", FW_KIND_POC, true, 0, 8, "restriction mandatory-reporting withholds poc (line 8)"},
		{"ans", "CN", FW_KIND_SUMMARY, false, 0, 9,
		 "restriction mandatory-reporting delays summary until T (line 9); tier ans grants summary at T-5d "
		 "(line 5)"},
		{"ans", "RU", FW_KIND_DETECTION, false, 0, 9,
		 "restriction mandatory-reporting delays detection until T (line 9); tier ans grants detection at "
		 "T-5d (line 5)"},
		{"ans", "CN", FW_KIND_DESCRIPTION, true, 0, 0, "no rule grants description to tier ans (default deny)"},
		{"validate", "CN", FW_KIND_DESCRIPTION, false, 0, 9,
		 "restriction mandatory-reporting delays description until T (line 9); tier validate grants "
		 "description at T-14d (line 4)"},
		{"validate", "RU", FW_KIND_POC, true, 0, 8, "restriction mandatory-reporting withholds poc (line 8)"},
		/* A withhold decides even where nothing was granted. */
		{"entry", "CN", FW_KIND_POC, true, 0, 8, "restriction mandatory-reporting withholds poc (line 8)"},
		{"entry", "CN", FW_KIND_SUMMARY, false, 0, 9,
		 "restriction mandatory-reporting delays summary until T (line 9); tier entry grants summary at T-1d "
		 "(line 6)"},
		/* Nobody else changes. */
		{"ans", "DE", FW_KIND_POC, false, -5 * DAY, 5, "tier ans grants poc at T-5d (line 5)"},
		{"ans", "", FW_KIND_POC, false, -5 * DAY, 5, "tier ans grants poc at T-5d (line 5)"},
		{"validate", "US", FW_KIND_DESCRIPTION, false, -14 * DAY, 4,
		 "tier validate grants description at T-14d (line 4)"},
	};
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok(toolshell, &d);
	assert_int_equal(d.n, 0);
	struct fw_advisory a;
	memset(&a, 0, sizeof a);
	snprintf(a.id, sizeof a.id, "toolshell");
	a.cvss_score = 9.8;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fw_member m = person("m", cases[i].tier, cases[i].jur, FW_MEMBER_ACTIVE);
		struct fw_policy_decision dec = decide_for(p, &m, &a, cases[i].kind);
		print_message("case %zu: %s\n", i, dec.reason);
		assert_int_equal(dec.withheld, cases[i].withheld);
		assert_int_equal(dec.offset, cases[i].offset);
		assert_int_equal(dec.line, cases[i].line);
		assert_string_equal(dec.reason, cases[i].reason);
		assert_int_equal(fw_policy_check_embargo(p, &m, cases[i].kind, &dec), FW_OK);
	}
	fw_policy_free(p);
}

static const char precedence[] = "tier a { grant all at T-10d }\n"                                         /* 1 */
				 "public { grant description at T-12d }\n"                                 /* 2 */
				 "restrict d1 when kind == poc { delay poc until T-2d }\n"                 /* 3 */
				 "restrict d2 when member.tier == a { delay poc until T-1d; delay detection until T-20d }\n"
				 "restrict d3 when member.tier == a { delay poc until T-3d }\n"            /* 5 */
				 "restrict w when member.jurisdiction == CN { withhold detection }\n"      /* 6 */
				 "restrict pub when kind == description { delay description until T+1d }\n"; /* 7 */

static void test_precedence(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok(precedence, &d);
	struct fw_member de = person("m", "a", "DE", FW_MEMBER_ACTIVE);
	struct fw_member cn = person("m", "a", "CN", FW_MEMBER_ACTIVE);
	struct fw_member other = person("m", "b", "DE", FW_MEMBER_ACTIVE);

	/* The latest delay wins, whatever the order of the restrictions. */
	struct fw_policy_decision dec = decide_for(p, &de, NULL, FW_KIND_POC);
	assert_false(dec.withheld);
	assert_int_equal(dec.offset, -DAY);
	assert_int_equal(dec.line, 4);
	assert_string_equal(dec.reason,
			    "restriction d2 delays poc until T-1d (line 4); tier a grants poc at T-10d (line 1)");

	/* A delay never makes a release earlier: T-20d leaves the grant's T-10d. */
	dec = decide_for(p, &de, NULL, FW_KIND_DETECTION);
	assert_false(dec.withheld);
	assert_int_equal(dec.offset, -10 * DAY);
	assert_int_equal(dec.line, 1);
	assert_string_equal(dec.reason, "tier a grants detection at T-10d (line 1)");

	/* A withhold beats the delays and the grant. */
	dec = decide_for(p, &cn, NULL, FW_KIND_DETECTION);
	assert_true(dec.withheld);
	assert_int_equal(dec.offset, 0);
	assert_int_equal(dec.line, 6);
	assert_string_equal(dec.reason, "restriction w withholds detection (line 6)");

	/* A restriction beats the public block's grant too. */
	dec = decide_for(p, &de, NULL, FW_KIND_DESCRIPTION);
	assert_false(dec.withheld);
	assert_int_equal(dec.offset, DAY);
	assert_int_equal(dec.line, 7);
	assert_string_equal(dec.reason, "restriction pub delays description until T+1d (line 7); public grants "
					"description at T-12d (line 2)");

	/* A delay never grants: no grant stays default deny. */
	dec = decide_for(p, &other, NULL, FW_KIND_POC);
	assert_true(dec.withheld);
	assert_int_equal(dec.line, 0);
	assert_string_equal(dec.reason, "no rule grants poc to tier b (default deny)");
	assert_int_equal(dec.nrules, 2);
	assert_int_equal(dec.rules[0].kind, FW_POLICY_RULE_DEFAULT);
	assert_true(dec.rules[0].decisive);
	assert_int_equal(dec.rules[1].kind, FW_POLICY_RULE_DELAY);
	assert_false(dec.rules[1].decisive);
	fw_policy_free(p);
}

static const char caps[] = "tier validate { grant all at T-14d }\n"                                 /* 1 */
			   "tier ans { grant summary, poc at T-5d }\n"                               /* 2 */
			   "tier entry { grant summary at T-1d }\n"                                  /* 3 */
			   "public { grant description at T }\n"                                     /* 4 */
			   "restrict probation when member.status == probation { cap tier entry }\n" /* 5 */
			   "restrict ans-cap when member.tags in [capped] { cap tier ans }\n"        /* 6 */
			   "restrict late when \"late\" in member.tags { delay summary until T }\n"; /* 7 */

static void test_cap(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok(caps, &d);
	assert_int_equal(d.n, 0);
	struct fw_member vp = person("v", "validate", "DE", FW_MEMBER_PROBATION);
	struct fw_member va = person("v", "validate", "DE", FW_MEMBER_ACTIVE);
	struct fw_member ep = person("e", "entry", "DE", FW_MEMBER_PROBATION);

	/* Capped to entry: each kind no earlier than entry gets it... */
	struct fw_policy_decision dec = decide_for(p, &vp, NULL, FW_KIND_SUMMARY);
	assert_int_equal(dec.offset, -DAY);
	assert_int_equal(dec.line, 5);
	assert_string_equal(dec.reason, "restriction probation caps to tier entry, which gets summary at T-1d (line "
					"5); tier validate grants summary at T-14d (line 1)");
	dec = decide_for(p, &vp, NULL, FW_KIND_DESCRIPTION); /* entry has it from the public block */
	assert_false(dec.withheld);
	assert_int_equal(dec.offset, 0);
	assert_int_equal(dec.line, 5);
	/* ...and nothing entry does not get. */
	dec = decide_for(p, &vp, NULL, FW_KIND_POC);
	assert_true(dec.withheld);
	assert_int_equal(dec.line, 5);
	assert_string_equal(dec.reason, "restriction probation caps to tier entry, which gets no poc (line 5)");
	/* Probation is an attribute, not a sanction: without the rule, no change. */
	dec = decide_for(p, &va, NULL, FW_KIND_POC);
	assert_int_equal(dec.offset, -14 * DAY);

	/* A cap never gives more than the member's own tier. */
	dec = decide_for(p, &ep, NULL, FW_KIND_SUMMARY);
	assert_int_equal(dec.offset, -DAY);
	assert_int_equal(dec.line, 3);
	assert_string_equal(dec.reason, "tier entry grants summary at T-1d (line 3)");
	dec = decide_for(p, &ep, NULL, FW_KIND_POC);
	assert_true(dec.withheld);
	assert_int_equal(dec.line, 0);

	/* Two caps: the later of them, per kind. */
	struct fw_member both = vp;
	tag(&both.tags, "capped");
	dec = decide_for(p, &both, NULL, FW_KIND_SUMMARY);
	assert_int_equal(dec.offset, -DAY);
	assert_int_equal(dec.line, 5);
	dec = decide_for(p, &both, NULL, FW_KIND_POC);
	assert_true(dec.withheld);
	assert_int_equal(dec.line, 5);
	/* Capped to ans alone: poc moves from T-14d to T-5d. */
	struct fw_member ans_capped = va;
	tag(&ans_capped.tags, "capped");
	dec = decide_for(p, &ans_capped, NULL, FW_KIND_POC);
	assert_int_equal(dec.offset, -5 * DAY);
	assert_int_equal(dec.line, 6);

	/* A delay after a cap: the later again. */
	tag(&both.tags, "late");
	dec = decide_for(p, &both, NULL, FW_KIND_SUMMARY);
	assert_int_equal(dec.offset, 0);
	assert_int_equal(dec.line, 7);
	fw_policy_free(p);
}

/* Suspended and expelled members get nothing, whatever restrictions say;
 * restrictions cannot bring anything back. */
static void test_status_beats_everything(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok(toolshell, &d);
	struct fw_member m = person("m", "validate", "DE", FW_MEMBER_SUSPENDED);
	struct fw_policy_decision dec = decide_for(p, &m, NULL, FW_KIND_SUMMARY);
	assert_true(dec.withheld);
	assert_int_equal(dec.line, 0);
	assert_string_equal(dec.reason, "member is suspended: nothing is released");
	assert_int_equal(dec.nrules, 1);
	assert_int_equal(dec.rules[0].kind, FW_POLICY_RULE_STATUS);
	assert_string_equal(dec.rules[0].name, "suspended");
	m.status = FW_MEMBER_EXPELLED;
	dec = decide_for(p, &m, NULL, FW_KIND_SUMMARY);
	assert_string_equal(dec.reason, "member is expelled: nothing is released");
	fw_policy_free(p);
}

static void test_conditions(void **state)
{
	(void)state;
	static const struct {
		const char *cond;
		bool holds;
	} cases[] = {
		{"member.id == m-1", true},
		{"member.id == m-2", false},
		{"member.id != m-2", true},
		{"member.tier == a", true},
		{"member.tier != a", false},
		{"member.jurisdiction == CN", true},
		{"member.jurisdiction == \"CN\"", true},
		{"member.jurisdiction != CN", false},
		{"member.jurisdiction in [CN, RU]", true},
		{"member.jurisdiction in eu", false}, /* eu is defined after its use */
		{"member.status == probation", true},
		{"member.status == active", false},
		{"member.status in [active]", false},
		{"\"vip\" in member.tags", true},
		{"x in member.tags", false},
		{"member.tags in [cert, y]", true},
		{"member.tags in [y]", false},
		{"member.tags in []", false},
		{"advisory.id == adv-1", true},
		{"advisory.severity == critical", true},
		{"advisory.severity >= high", true},
		{"advisory.severity < critical", false},
		{"advisory.severity <= medium", false},
		{"advisory.severity != critical", false},
		{"advisory.severity in [high, critical]", true},
		{"advisory.cvss >= 9.8", true},
		{"advisory.cvss == 9.8", true},
		{"advisory.cvss > 9.8", false},
		{"advisory.cvss < 9.8", false},
		{"advisory.cvss > 7.25", true},
		{"advisory.cvss <= 10", true},
		{"\"SharePoint Server 2019\" in advisory.products", true},
		{"advisory.products in [\"Exchange Server\"]", false},
		{"\"CVE-2025-53770\" in advisory.cves", true},
		{"advisory.cves in [\"CVE-2025-49704\"]", false},
		{"\"sensitive\" in advisory.tags", true},
		{"kind == poc", true},
		{"kind == summary", false},
		{"kind in [poc, detection]", true},
		{"kind != poc", false},
		/* and binds tighter than or; not tighter than both */
		{"member.jurisdiction == CN or member.tier == b and kind == summary", true},
		{"member.jurisdiction == DE and kind == poc or kind == summary", false},
		{"not member.jurisdiction == CN or kind == poc", true},
		{"not (member.jurisdiction == CN or kind == poc)", false},
		{"not not kind == poc", true},
		{"((member.tier == a))", true},
		{"member.tier == a and (kind == summary or advisory.cvss > 9)", true},
	};
	struct fw_member m = person("m-1", "a", "CN", FW_MEMBER_PROBATION);
	tag(&m.tags, "vip");
	tag(&m.tags, "cert");
	struct fw_advisory a;
	memset(&a, 0, sizeof a);
	snprintf(a.id, sizeof a.id, "adv-1");
	a.cvss_score = 9.8;
	a.nproducts = 2;
	snprintf(a.products[0], sizeof a.products[0], "SharePoint Server 2019");
	snprintf(a.products[1], sizeof a.products[1], "SharePoint Server Subscription Edition");
	a.ncves = 1;
	snprintf(a.cves[0], sizeof a.cves[0], "CVE-2025-53770");
	tag(&a.tags, "sensitive");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[512];
		snprintf(text, sizeof text, "tier a { grant all at T-5d }\nrestrict r when %s { withhold poc }\n"
					    "set eu = [DE, FR]\n",
			 cases[i].cond);
		struct fw_policy_diags d;
		print_message("condition %zu: %s\n", i, cases[i].cond);
		struct fw_policy *p = parse_ok(text, &d);
		struct fw_policy_decision dec = decide_for(p, &m, &a, FW_KIND_POC);
		assert_int_equal(dec.withheld, cases[i].holds);
		fw_policy_free(p);
	}
}

/* Per-advisory overrides are ordinary conditions on the advisory. */
static void test_advisory_override(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok("tier ans { grant summary, poc at T-5d }\n"
				       "restrict sensitive when \"sensitive\" in advisory.tags {\n"
				       "  withhold poc; delay all until T\n"
				       "}\n"
				       "restrict low when advisory.severity <= medium { withhold poc }\n",
				       &d);
	assert_int_equal(d.n, 0);
	struct fw_member m = person("m", "ans", "DE", FW_MEMBER_ACTIVE);
	struct fw_advisory plain, sensitive;
	memset(&plain, 0, sizeof plain);
	plain.cvss_score = 9.8;
	sensitive = plain;
	tag(&sensitive.tags, "sensitive");
	struct fw_policy_decision dec = decide_for(p, &m, &plain, FW_KIND_POC);
	assert_int_equal(dec.offset, -5 * DAY);
	dec = decide_for(p, &m, &sensitive, FW_KIND_POC);
	assert_true(dec.withheld);
	assert_int_equal(dec.line, 3);
	dec = decide_for(p, &m, &sensitive, FW_KIND_SUMMARY);
	assert_int_equal(dec.offset, 0);
	assert_int_equal(dec.line, 3);
	/* No advisory (NULL) reads as one with no attributes: severity none. */
	dec = decide_for(p, &m, NULL, FW_KIND_POC);
	assert_true(dec.withheld);
	assert_int_equal(dec.line, 5);
	fw_policy_free(p);
}

/* ---- warnings of restrictions and sets -------------------------------- */

struct warn_case {
	const char *text;
	int line, col;
	const char *message; /* NULL: no warning at all */
};

static void test_restriction_warnings(void **state)
{
	(void)state;
	static const struct warn_case cases[] = {
		{"tier a { grant all at T }\nset eu = [DE]\n", 2, 5, "set \"eu\" is never used"},
		{"tier a { grant all at T }\nset eu = []\nrestrict r when member.jurisdiction in eu or kind == poc {\n"
		 "  withhold poc\n}",
		 2, 5,
		 "set \"eu\" is empty: 'in eu' is never true"},
		{"tier a { grant all at T }\n"
		 "restrict r when member.jurisdiction == \"CN\" and member.jurisdiction == \"DE\" { withhold poc }",
		 2, 17, "restriction \"r\" never applies: its condition can never be true"},
		{"tier a { grant all at T }\n"
		 "restrict r when advisory.severity == critical and advisory.cvss < 5 { withhold poc }",
		 2, 17, "restriction \"r\" never applies: its condition can never be true"},
		{"tier a { grant all at T }\n"
		 "restrict r when member.status == active and member.status == probation { withhold poc }",
		 2, 17, "restriction \"r\" never applies: its condition can never be true"},
		{"tier a { grant all at T }\n"
		 "restrict r when advisory.tags in [x] and not (advisory.tags in [x, y]) { withhold poc }",
		 2, 17, "restriction \"r\" never applies: its condition can never be true"},
		{"tier a { grant all at T }\n"
		 "restrict r when \"x\" in advisory.tags and not (advisory.tags in [x]) { withhold poc }",
		 2, 17, "restriction \"r\" never applies: its condition can never be true"},
		{"tier a { grant all at T }\n"
		 "restrict r when kind == poc {\n  withhold description\n}",
		 3, 3, "this withhold never applies: the condition of restriction \"r\" rules out every kind it names"},
		{"tier a { grant summary, poc at T }\n"
		 "restrict r when kind != summary { withhold poc, indicators }",
		 2, 49, "no tier or public block grants indicators: withholding it changes nothing"},
		{"tier a { grant all at T }\nrestrict r when member.tier == gold { withhold poc }", 2, 32,
		 "no tier \"gold\" is defined in this policy"},
		{"tier a { grant all at T }\nrestrict r when member.jurisdiction in [CN, cn] { withhold poc }", 2, 45,
		 "\"cn\" never matches member.jurisdiction: its values are ISO 3166-1 codes of two upper-case letters, "
		 "as in CN"},
		{"tier a { grant all at T }\nrestrict r when \"Sensitive\" in advisory.tags { withhold poc }", 2, 17,
		 "\"Sensitive\" never matches advisory.tags: its values are lower-case slugs (letters, digits and '-', "
		 "at most 47 bytes)"},
		{"tier a { grant all at T }\nrestrict r when \"cve-2025-1\" in advisory.cves { withhold poc }", 2, 17,
		 "\"cve-2025-1\" never matches advisory.cves: its values are CVE ids, as in CVE-2025-53770"},
		{"tier a { grant all at T }\nrestrict r when member.status == suspended or kind == poc {\n"
		 "  withhold poc\n}",
		 2, 34,
		 "member.status is never suspended where restrictions apply: suspended and expelled members get "
		 "nothing anyway"},
		{"tier a { grant all at T-45d }\n", 1, 10,
		 "grant at T-45d is more than max_embargo 30d (the default) before T: a plan that releases by it is "
		 "refused"},
		{"max_embargo 7d\ntier a { grant all at T-8d }\n", 2, 10,
		 "grant at T-8d is more than max_embargo 7d before T: a plan that releases by it is refused"},
		{"tier a { grant all at T }\nrestrict r when kind == poc { }", 2, 10,
		 "restriction \"r\" has no effect: it neither withholds, delays nor caps anything"},
		/* Conditions that can hold give no warning. */
		{"tier a { grant all at T }\n"
		 "restrict r when member.jurisdiction == CN or member.jurisdiction == DE { withhold poc }",
		 0, 0, NULL},
		{"tier a { grant all at T }\n"
		 "restrict r when not (member.jurisdiction in [CN]) and member.jurisdiction in [CN, DE] "
		 "{ withhold poc }",
		 0, 0, NULL},
		{"tier a { grant all at T }\n"
		 "restrict r when \"a\" in advisory.tags and not (\"b\" in advisory.tags) { withhold poc }",
		 0, 0, NULL},
		{"tier a { grant all at T }\n"
		 "restrict r when advisory.severity == high and advisory.cvss < 7.5 { withhold poc }",
		 0, 0, NULL},
		{"tier a { grant all at T }\n"
		 "restrict r when member.id != x and member.id != y and member.tier == a { withhold poc }",
		 0, 0, NULL},
		{"tier a { grant all at T }\n"
		 "restrict r when kind in [poc, detection] { withhold poc; delay all until T }",
		 0, 0, NULL},
		{"tier a { grant all at T-30d }\n", 0, 0, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fw_policy_diags d;
		print_message("warning case %zu\n", i);
		struct fw_policy *p = parse_ok(cases[i].text, &d);
		for (size_t j = 0; j < d.n; j++)
			print_message("  %d:%d %s\n", d.d[j].line, d.d[j].col, d.d[j].message);
		if (!cases[i].message) {
			assert_int_equal(d.n, 0);
		} else {
			assert_int_equal(d.n, 1);
			assert_true(d.d[0].warning);
			assert_int_equal(d.d[0].line, cases[i].line);
			assert_int_equal(d.d[0].col, cases[i].col);
			assert_string_equal(d.d[0].message, cases[i].message);
		}
		fw_policy_free(p);
	}
}

/* Diagnostics of all passes come out in the order of the text. */
static void test_diags_in_order(void **state)
{
	(void)state;
	static const char text[] = "restrict r when member.jurisdiction in eu { withhold poc }\n" /* undefined set */
				   "tier a { grant pocc at T }\n"                                 /* unknown kind */
				   "restrict s when kind == poc { cap tier gold }\n";             /* undefined tier */
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	assert_int_equal(fw_policy_parse(text, strlen(text), &p, &d), FW_ERR_INVALID);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.d[0].line, 1);
	assert_int_equal(d.d[0].col, 40);
	assert_int_equal(d.d[1].line, 2);
	assert_int_equal(d.d[2].line, 3);
	assert_int_equal(d.d[2].col, 40);
	assert_non_null(strstr(fw_err_detail(), "policy has 3 errors; first: line 1:40: undefined set \"eu\""));
}

/* ---- limits of the new statements -------------------------------------- */

static void test_restriction_limits(void **state)
{
	(void)state;
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	struct fw_buf b;

	/* Nesting. */
	fw_buf_init(&b, 1 << 20);
	assert_int_equal(fw_buf_puts(&b, "restrict r when "), FW_OK);
	for (int i = 0; i < FW_POLICY_MAX_COND_DEPTH + 1; i++)
		assert_int_equal(fw_buf_puts(&b, "("), FW_OK);
	assert_int_equal(fw_buf_puts(&b, "kind == poc"), FW_OK);
	for (int i = 0; i < FW_POLICY_MAX_COND_DEPTH + 1; i++)
		assert_int_equal(fw_buf_puts(&b, ")"), FW_OK);
	assert_int_equal(fw_buf_puts(&b, " { withhold poc }"), FW_OK);
	assert_int_equal(fw_policy_parse(fw_buf_str(&b), b.len, &p, &d), FW_ERR_INVALID);
	assert_int_equal(d.d[0].col, 17 + FW_POLICY_MAX_COND_DEPTH);
	assert_string_equal(d.d[0].message,
			    "condition nested too deeply (at most 32 levels of parentheses and 'not')");
	fw_buf_cleanup(&b);

	/* Length. */
	fw_buf_init(&b, 1 << 20);
	assert_int_equal(fw_buf_puts(&b, "tier a { grant all at T }\nrestrict r when kind == poc"), FW_OK);
	for (int i = 0; i < FW_POLICY_MAX_COND_NODES; i++)
		assert_int_equal(fw_buf_puts(&b, " or kind == poc"), FW_OK);
	assert_int_equal(fw_buf_puts(&b, " { withhold poc }"), FW_OK);
	assert_int_equal(fw_policy_parse(fw_buf_str(&b), b.len, &p, &d), FW_ERR_INVALID);
	assert_int_equal(count_errors(&d), 1);
	assert_string_equal(d.d[0].message, "condition too long (at most 256 comparisons and operators)");
	fw_buf_cleanup(&b);

	/* A long condition that fits is fine, and decides. */
	fw_buf_init(&b, 1 << 20);
	assert_int_equal(fw_buf_puts(&b, "tier a { grant all at T }\nrestrict r when kind == summary"), FW_OK);
	for (int i = 0; i < 100; i++)
		assert_int_equal(fw_buf_printf(&b, " or member.id == m%d", i), FW_OK);
	assert_int_equal(fw_buf_puts(&b, " { withhold all }"), FW_OK);
	assert_int_equal(fw_policy_parse(fw_buf_str(&b), b.len, &p, &d), FW_OK);
	struct fw_member m = person("m99", "a", "", FW_MEMBER_ACTIVE);
	struct fw_policy_decision dec = decide_for(p, &m, NULL, FW_KIND_POC);
	assert_true(dec.withheld);
	m = person("m100", "a", "", FW_MEMBER_ACTIVE);
	dec = decide_for(p, &m, NULL, FW_KIND_POC);
	assert_false(dec.withheld);
	fw_policy_free(p);
	p = NULL;
	fw_buf_cleanup(&b);

	/* Restrictions, effects and sets. */
	fw_buf_init(&b, 1 << 20);
	assert_int_equal(fw_buf_puts(&b, "tier a { grant all at T }\n"), FW_OK);
	for (int i = 0; i <= FW_POLICY_MAX_RESTRICTIONS; i++)
		assert_int_equal(fw_buf_printf(&b, "restrict r%d when kind == poc { withhold poc }\n", i), FW_OK);
	assert_int_equal(fw_policy_parse(fw_buf_str(&b), b.len, &p, &d), FW_ERR_INVALID);
	assert_int_equal(count_errors(&d), 1);
	assert_string_equal(d.d[d.n - 1].message, "too many restrictions (at most 128)");
	assert_int_equal(d.d[d.n - 1].line, FW_POLICY_MAX_RESTRICTIONS + 2);
	fw_buf_cleanup(&b);

	fw_buf_init(&b, 1 << 20);
	assert_int_equal(fw_buf_puts(&b, "tier a { grant all at T }\nrestrict r when kind == poc {\n"), FW_OK);
	for (int i = 0; i <= FW_POLICY_MAX_EFFECTS; i++)
		assert_int_equal(fw_buf_puts(&b, "  withhold poc\n"), FW_OK);
	assert_int_equal(fw_buf_puts(&b, "}\n"), FW_OK);
	assert_int_equal(fw_policy_parse(fw_buf_str(&b), b.len, &p, &d), FW_ERR_INVALID);
	assert_int_equal(count_errors(&d), 1);
	assert_int_equal(d.d[0].line, FW_POLICY_MAX_EFFECTS + 3);
	assert_string_equal(d.d[0].message, "too many effects in restriction \"r\" (at most 16)");
	fw_buf_cleanup(&b);

	fw_buf_init(&b, 1 << 20);
	for (int i = 0; i <= FW_POLICY_MAX_SETS; i++)
		assert_int_equal(fw_buf_printf(&b, "set s%d = [x]\n", i), FW_OK);
	assert_int_equal(fw_policy_parse(fw_buf_str(&b), b.len, &p, &d), FW_ERR_INVALID);
	assert_int_equal(count_errors(&d), 1);
	fw_buf_cleanup(&b);

	/* A value longer than any attribute. */
	char *text = build(1 << 20, "set s = [\"", "x", 128, "\"]\n");
	assert_int_equal(fw_policy_parse(text, strlen(text), &p, &d), FW_ERR_INVALID);
	assert_string_equal(d.d[0].message, "value longer than 127 bytes: no attribute holds one that long");
	free(text);
}

/* ---- max_embargo ------------------------------------------------------- */

static void test_max_embargo(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok(example, &d);
	assert_int_equal(fw_policy_max_embargo(p), 30 * DAY);
	assert_int_equal(fw_policy_max_embargo_line(p), 0);
	assert_int_equal(fw_policy_max_embargo(NULL), FW_POLICY_DEFAULT_MAX_EMBARGO);
	fw_policy_free(p);

	p = parse_ok("# short embargoes only\nmax_embargo 7d\ntier validate { grant all at T-14d }\n"
		     "tier ans { grant poc at T-7d }\n",
		     &d);
	assert_int_equal(fw_policy_max_embargo(p), 7 * DAY);
	assert_int_equal(fw_policy_max_embargo_line(p), 2);
	assert_int_equal(d.n, 1); /* the T-14d grant is warned about */
	assert_int_equal(d.d[0].line, 3);

	struct fw_member v = person("acme", "validate", "DE", FW_MEMBER_ACTIVE);
	struct fw_policy_decision dec = decide_for(p, &v, NULL, FW_KIND_POC);
	assert_int_equal(fw_policy_check_embargo(p, &v, FW_KIND_POC, &dec), FW_ERR_INVALID);
	assert_string_equal(fw_err_detail(), "member acme would get poc at T-14d, more than max_embargo 7d (line 2) "
					     "before T: tier validate grants poc at T-14d (line 3)");
	/* Exactly max_embargo before T is allowed; withheld is always fine. */
	struct fw_member a = person("beta", "ans", "DE", FW_MEMBER_ACTIVE);
	dec = decide_for(p, &a, NULL, FW_KIND_POC);
	assert_int_equal(fw_policy_check_embargo(p, &a, FW_KIND_POC, &dec), FW_OK);
	dec = decide_for(p, &a, NULL, FW_KIND_SUMMARY);
	assert_true(dec.withheld);
	assert_int_equal(fw_policy_check_embargo(p, &a, FW_KIND_SUMMARY, &dec), FW_OK);
	fw_policy_free(p);

	/* A restriction that delays brings a plan back within bounds. */
	p = parse_ok("tier validate { grant all at T-40d }\n"
		     "restrict slow when member.jurisdiction == DE { delay all until T-10d }\n",
		     &d);
	dec = decide_for(p, &v, NULL, FW_KIND_POC);
	assert_int_equal(fw_policy_check_embargo(p, &v, FW_KIND_POC, &dec), FW_OK);
	struct fw_member fr = person("gamma", "validate", "FR", FW_MEMBER_ACTIVE);
	dec = decide_for(p, &fr, NULL, FW_KIND_POC);
	assert_int_equal(fw_policy_check_embargo(p, &fr, FW_KIND_POC, &dec), FW_ERR_INVALID);
	assert_string_equal(fw_err_detail(), "member gamma would get poc at T-40d, more than max_embargo 30d (the "
					     "default) before T: tier validate grants poc at T-40d (line 1)");
	fw_policy_free(p);

	p = parse_ok("max_embargo 0s\ntier a { grant summary at T }\n", &d);
	assert_int_equal(fw_policy_max_embargo(p), 0);
	fw_policy_free(p);
}

/* ---- explain ----------------------------------------------------------- */

static void test_explain(void **state)
{
	(void)state;
	struct fw_policy_diags d;
	struct fw_policy *p = parse_ok(toolshell, &d);
	struct fw_member cn = person("m", "ans", "CN", FW_MEMBER_ACTIVE);
	struct fw_advisory a;
	memset(&a, 0, sizeof a);
	int64_t t;
	assert_int_equal(fw_time_parse("2025-07-08T17:00:00Z", &t), FW_OK);
	a.public_at = t;

	struct fw_policy_decision dec = decide_for(p, &cn, &a, FW_KIND_POC);
	assert_int_equal(dec.nrules, 3);
	assert_int_equal(dec.rules_omitted, 0);
	assert_int_equal(dec.rules[0].kind, FW_POLICY_RULE_GRANT);
	assert_string_equal(dec.rules[0].name, "ans");
	assert_int_equal(dec.rules[0].line, 5);
	assert_string_equal(dec.rules[0].effect, "grants poc at T-5d");
	assert_false(dec.rules[0].decisive);
	assert_int_equal(dec.rules[1].kind, FW_POLICY_RULE_DELAY);
	assert_string_equal(dec.rules[1].name, "mandatory-reporting");
	assert_int_equal(dec.rules[1].line, 9);
	assert_string_equal(dec.rules[1].effect, "delays poc until T");
	assert_false(dec.rules[1].decisive);
	assert_int_equal(dec.rules[2].kind, FW_POLICY_RULE_WITHHOLD);
	assert_int_equal(dec.rules[2].line, 8);
	assert_string_equal(dec.rules[2].effect, "withholds poc");
	assert_true(dec.rules[2].decisive);

	char out[1024];
	size_t n = fw_policy_explain_format(&dec, FW_KIND_POC, a.public_at, out, sizeof out);
	assert_string_equal(out, "poc: withheld\n"
				 "  line 5: tier ans grants poc at T-5d\n"
				 "  line 9: restriction mandatory-reporting delays poc until T\n"
				 "  line 8: restriction mandatory-reporting withholds poc (decides)\n");
	assert_int_equal(n, strlen(out));

	dec = decide_for(p, &cn, &a, FW_KIND_SUMMARY);
	fw_policy_explain_format(&dec, FW_KIND_SUMMARY, a.public_at, out, sizeof out);
	assert_string_equal(out, "summary: release at 2025-07-08T17:00:00Z (T)\n"
				 "  line 5: tier ans grants summary at T-5d\n"
				 "  line 9: restriction mandatory-reporting delays summary until T (decides)\n");
	struct fw_member de = person("m", "ans", "DE", FW_MEMBER_ACTIVE);
	dec = decide_for(p, &de, &a, FW_KIND_SUMMARY);
	fw_policy_explain_format(&dec, FW_KIND_SUMMARY, a.public_at, out, sizeof out);
	assert_string_equal(out, "summary: release at 2025-07-03T17:00:00Z (T-5d)\n"
				 "  line 5: tier ans grants summary at T-5d (decides)\n");
	fw_policy_explain_format(&dec, FW_KIND_SUMMARY, 0, out, sizeof out);
	assert_string_equal(out, "summary: release at T-5d\n  line 5: tier ans grants summary at T-5d (decides)\n");
	dec = decide_for(p, &de, &a, FW_KIND_INDICATORS);
	fw_policy_explain_format(&dec, FW_KIND_INDICATORS, a.public_at, out, sizeof out);
	assert_string_equal(out, "indicators: withheld\n"
				 "  no rule grants indicators to tier ans (default deny) (decides)\n");
	de.status = FW_MEMBER_EXPELLED;
	dec = decide_for(p, &de, &a, FW_KIND_SUMMARY);
	fw_policy_explain_format(&dec, FW_KIND_SUMMARY, a.public_at, out, sizeof out);
	assert_string_equal(out, "summary: withheld\n  member is expelled: nothing is released (decides)\n");

	/* Truncation, as snprintf: the needed length is returned. */
	char small[16];
	n = fw_policy_explain_format(&dec, FW_KIND_SUMMARY, a.public_at, small, sizeof small);
	assert_int_equal(n, strlen("summary: withheld\n  member is expelled: nothing is released (decides)\n"));
	assert_string_equal(small, "summary: withhe");
	assert_int_equal(fw_policy_explain_format(&dec, FW_KIND_SUMMARY, 0, NULL, 0), n);
	assert_string_equal(fw_policy_rule_kind_name(FW_POLICY_RULE_CAP), "cap");
	assert_string_equal(fw_policy_rule_kind_name(FW_POLICY_RULE_DEFAULT), "default");
	fw_policy_free(p);
}

/* More rules than the explanation holds: the decisive one is kept. */
static void test_explain_bound(void **state)
{
	(void)state;
	struct fw_buf b;
	struct fw_policy_diags d;
	fw_buf_init(&b, 1 << 20);
	assert_int_equal(fw_buf_puts(&b, "tier a { grant all at T-30d }\n"), FW_OK);
	for (int i = 1; i <= 20; i++) /* line i + 1 delays poc until T-(21-i)h: the last is the latest */
		assert_int_equal(fw_buf_printf(&b, "restrict r%d when kind == poc { delay poc until T-%dh }\n", i, 21 - i),
				 FW_OK);
	struct fw_policy *p = parse_ok(fw_buf_str(&b), &d);
	struct fw_member m = person("m", "a", "", FW_MEMBER_ACTIVE);
	struct fw_policy_decision dec = decide_for(p, &m, NULL, FW_KIND_POC);
	assert_int_equal(dec.offset, -3600);
	assert_int_equal(dec.line, 21);
	assert_int_equal(dec.nrules, FW_POLICY_MAX_EXPLAIN);
	assert_int_equal(dec.rules_omitted, 5);
	assert_int_equal(dec.rules[0].kind, FW_POLICY_RULE_GRANT);
	const struct fw_policy_rule_ref *last = &dec.rules[FW_POLICY_MAX_EXPLAIN - 1];
	assert_true(last->decisive);
	assert_string_equal(last->name, "r20");
	assert_int_equal(last->line, 21);
	size_t decisive = 0;
	for (size_t i = 0; i < dec.nrules; i++)
		decisive += dec.rules[i].decisive;
	assert_int_equal(decisive, 1);
	char out[2048];
	fw_policy_explain_format(&dec, FW_KIND_POC, 0, out, sizeof out);
	assert_non_null(strstr(out, "  (5 more rules not shown)\n"));
	fw_policy_free(p);
	fw_buf_cleanup(&b);
}

/* --- member classes ------------------------------------------------------ */
static void class_of(const struct fw_policy_classifier *c, const char *id, const char *tier, const char *land,
		     const char *tag1, const char *tag2, char out[FW_POLICY_CLASS_BYTES])
{
	struct fw_member m;
	memset(&m, 0, sizeof m);
	snprintf(m.id, sizeof m.id, "%s", id);
	snprintf(m.tier, sizeof m.tier, "%s", tier);
	snprintf(m.jurisdiction, sizeof m.jurisdiction, "%s", land);
	m.status = FW_MEMBER_ACTIVE;
	if (tag1)
		snprintf(m.tags.v[m.tags.n++], sizeof m.tags.v[0], "%s", tag1);
	if (tag2)
		snprintf(m.tags.v[m.tags.n++], sizeof m.tags.v[0], "%s", tag2);
	fw_policy_classify(c, &m, out);
}

static void test_member_classes(void **state)
{
	(void)state;
	/* A set used twice, then an id named once more: every named id must
	 * split off, however often the set's values are counted. */
	struct fw_policy *p = parse_ok("tier a { grant all at T-1d }\n"
				       "set ids = [m0, m1, m2, m5, m6]\n"
				       "restrict r1 when member.id in ids { delay poc until T }\n"
				       "restrict r2 when member.id in ids { withhold summary }\n"
				       "restrict r3 when member.id == m3 { withhold all }\n",
				       NULL);
	struct fw_policy *q = parse_ok("tier a { grant all at T-1d }\n"
				       "restrict r4 when member.jurisdiction == CN or \"gov\" in member.tags { withhold poc }\n",
				       NULL);
	struct fw_policy_classifier *c = NULL;
	char a[FW_POLICY_CLASS_BYTES], b[FW_POLICY_CLASS_BYTES];
	assert_int_equal(fw_policy_classifier_new(p, &c), FW_OK);
	class_of(c, "m3", "a", "US", NULL, NULL, a);
	class_of(c, "m4", "a", "US", NULL, NULL, b);
	assert_string_not_equal(a, b);
	assert_string_equal(a, "tier=a status=active jurisdiction=* id=m3 tags=");
	assert_string_equal(b, "tier=a status=active jurisdiction=* id=* tags=");
	class_of(c, "m6", "a", "US", NULL, NULL, a);
	assert_string_equal(a, "tier=a status=active jurisdiction=* id=m6 tags=");
	fw_policy_classifier_free(c);
	assert_int_equal(fw_policy_classifier_new(q, &c), FW_OK);
	class_of(c, "m4", "a", "US", NULL, NULL, b);
	/* Unnamed ids, jurisdictions and tags merge; the order of tags does not
	 * matter; named ones split. */
	class_of(c, "m8", "a", "DE", "edu", NULL, a);
	assert_string_equal(a, b);
	class_of(c, "m9", "a", "CN", "edu", "gov", a);
	class_of(c, "m7", "a", "CN", "gov", "isp", b);
	assert_string_equal(a, "tier=a status=active jurisdiction=CN id=* tags=gov");
	assert_string_equal(a, b);
	fw_policy_classifier_free(c);
	fw_policy_free(q);
	fw_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_decides_per_tier_and_kind),
		cmocka_unit_test(test_public_block),
		cmocka_unit_test(test_suspended_and_expelled_get_nothing),
		cmocka_unit_test(test_unknown_tier_and_has_tier),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_syntax_variants),
		cmocka_unit_test(test_error_messages),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_errors_inside_a_bad_block),
		cmocka_unit_test(test_recovery_in_new_statements),
		cmocka_unit_test(test_byte_limit),
		cmocka_unit_test(test_tier_limit),
		cmocka_unit_test(test_grant_limit),
		cmocka_unit_test(test_diag_limit),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_diag_format),
		cmocka_unit_test(test_toolshell_restriction),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_status_beats_everything),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_advisory_override),
		cmocka_unit_test(test_restriction_warnings),
		cmocka_unit_test(test_diags_in_order),
		cmocka_unit_test(test_restriction_limits),
		cmocka_unit_test(test_max_embargo),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_member_classes),
		cmocka_unit_test(test_explain_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
