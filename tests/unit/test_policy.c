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
	{"tier a { grant poc at T };", 1, 26, "expected 'tier' or 'public', found ';'"},
	{"tier a { grant poc at T;; }", 1, 25, "expected 'grant' or '}' in tier \"a\", found ';'"},
	{"tier a { withhold poc }", 1, 10, "expected 'grant' or '}' in tier \"a\", found 'withhold'"},
	{"grant poc at T", 1, 1, "'grant' must be inside a tier or public block"},
	{"Tier a { grant poc at T }", 1, 1, "expected 'tier' or 'public', found \"Tier\""},
	{"tier a { GRANT poc at T }", 1, 10, "expected 'grant' or '}' in tier \"a\", found \"GRANT\""},
	{"\n  restrict eu when tier == ans { withhold poc }", 2, 3,
	 "'restrict' is planned for the next version of the policy language and not supported yet"},
	{"max_embargo 30d", 1, 1, "'max_embargo' is planned for the next version of the policy language and not "
				  "supported yet"},
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
		{9, 1, "expected 'tier' or 'public', found \"bogus\""},
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

/* Statements of the next version are refused one error each: their
 * conditions, lists and blocks are skipped without a cascade, and the
 * statements after them are still checked. */
static void test_planned_statements(void **state)
{
	(void)state;
	static const char text[] = "set eu = [\"de\", \"fr\"]\n"
				   "restrict eu-poc when tier == ans and (jurisdiction in eu) {\n"
				   "  withhold poc; delay detection until T-1d; cap tier entry\n"
				   "}\n"
				   "max_embargo 30d\n"
				   "tier ans { grant pocc at T }\n";
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	assert_int_equal(fw_policy_parse(text, strlen(text), &p, &d), FW_ERR_INVALID);
	assert_int_equal(d.n, 4);
	static const int lines[] = {1, 2, 5, 6};
	for (size_t i = 0; i < 4; i++) {
		assert_false(d.d[i].warning);
		assert_int_equal(d.d[i].line, lines[i]);
	}
	assert_string_equal(d.d[0].message,
			    "'set' is planned for the next version of the policy language and not supported yet");
	assert_int_equal(d.d[3].col, 18);
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
		cmocka_unit_test(test_planned_statements),
		cmocka_unit_test(test_byte_limit),
		cmocka_unit_test(test_tier_limit),
		cmocka_unit_test(test_grant_limit),
		cmocka_unit_test(test_diag_limit),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_diag_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
