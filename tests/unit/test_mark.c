/* Unit tests of src/mark: the template language, the PRF and the frozen
 * code derivation (known answers), an innocent score's per-point moments,
 * deterministic copies, extraction from transformed, partial and mixed
 * copies (every unread point an erasure), accusation (single leaker,
 * collusion on a PoC-sized template among 1,000 recipients under the six
 * attacks, the false-accusation bound by Monte Carlo), capacity. All seeds,
 * keys and ids are fixed; statistical tolerances are stated per test. */
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
#include "mark/mark.h"

#define MAX_COPY (4u * 1024u * 1024u)
/* Computed by an independent implementation (Python's BLAKE2b and a
 * from-the-RFC ChaCha20) of the construction in src/crypto/prf.c. */
#define PRF_KAT "fd8b2b2b3b88e08e39c578bd46d2f277"

static const uint8_t key1[FW_MARK_KEY_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t key2[FW_MARK_KEY_BYTES] = {8, 7, 6, 5, 4, 3, 2, 1};

/* A PoC-like template: prose, named points repeated, a multi-line point,
 * escapes. */
static const char poc[] =
	"/* Proof of concept for CVE-2025-0001, a heap overflow in frob_parse().\n"
	" * {{ Run it against | Point it at }} a test instance {{ only | and nothing else }}.\n"
	" * The {{ bug | flaw }} is that frob_parse() {{ copies | memcpy()s }} the attacker's\n"
	" * length into a fixed buffer {{ without | with no }} bounds check, so a long\n"
	" * request {{ overwrites | clobbers }} the heap {{ metadata | chunk headers }}. */\n"
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"#include <string.h>\n"
	"#include <unistd.h>\n"
	"\n"
	"#define {{len: PAYLOAD_LEN | BODY_LEN}} {{ 0x100 | 256 }}\n"
	"static const int table[2][2] = \\{{1, 2}, {3, 4}};\n"
	"\n"
	"static int send_request(int {{fd: fd | sock}}, const char *{{buf: buf | data}}, size_t n)\n"
	"{\n"
	"    size_t {{off: off | done}} = 0;\n"
	"    while ({{=off}} < n) {\n"
	"        ssize_t w = write({{=fd}}, {{=buf}} + {{=off}}, n - {{=off}});\n"
	"        if (w {{ <= 0 | < 1 }})\n"
	"            return {{ -1 | -2 }};\n"
	"        {{=off}} += (size_t)w;\n"
	"    }\n"
	"    return 0;\n"
	"}\n"
	"\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"    char {{pl: payload | body}}[{{=len}} * 2];\n"
	"    memset({{=pl}}, {{ 'A' | 0x41 }}, sizeof {{=pl}});\n"
	"    if (argc {{ < 2 | != 2 }}) {\n"
	"        fprintf(stderr, \"usage: %s {{ HOST | TARGET | ADDRESS }}\\n\", argv[0]);\n"
	"        return {{ 1 | EXIT_FAILURE }};\n"
	"    }\n"
	"    {{ /* the length field is trusted */ | /* no bounds check on the length */ }}\n"
	"    {{=pl}}[{{ 0 | 0x0 }}] = {{ (char)0xff | '\\xff' }};\n"
	"    {{\n"
	"    for (int i = 0; i < 3; i++)\n"
	"        (void)send_request(1, argv[1], 16);\n"
	"    |\n"
	"    int i = 0;\n"
	"    while (i++ < 3)\n"
	"        (void)send_request(1, argv[1], 16);\n"
	"    }}\n"
	"    puts(\"{{ sent | done }}\");\n"
	"    return {{ 0 | EXIT_SUCCESS }};\n"
	"}\n";

/* ---- helpers ---------------------------------------------------------- */

static struct fw_mark_template *parse_ok(const char *text)
{
	struct fw_mark_template *t = NULL;
	struct fw_mark_error e;
	enum fw_err r = fw_mark_parse(text, strlen(text), &t, &e);
	if (r != FW_OK)
		print_error("parse error %d:%d %s\n", e.line, e.col, e.message);
	assert_int_equal(r, FW_OK);
	assert_non_null(t);
	return t;
}

/* Parses text that must fail at line:col with a message containing what. */
static void parse_fails(const char *text, size_t n, enum fw_err want, int line, int col,
			const char *what)
{
	struct fw_mark_template *t = NULL;
	struct fw_mark_error e;
	enum fw_err r = fw_mark_parse(text, n, &t, &e);
	if (r != want || e.line != line || e.col != col || !strstr(e.message, what))
		print_error("got %d at %d:%d \"%s\"; want %d at %d:%d \"%s\"\n", r, e.line, e.col,
			    e.message, want, line, col, what);
	assert_int_equal(r, want);
	assert_null(t);
	assert_int_equal(e.line, line);
	assert_int_equal(e.col, col);
	assert_non_null(strstr(e.message, what));
	/* The detail carries the position for the API. */
	char pos[32];
	snprintf(pos, sizeof pos, "line %d:%d: ", line, col);
	assert_non_null(strstr(fw_err_detail(), pos));
}

static char *render(const struct fw_mark_template *t, const uint8_t *sym)
{
	struct fw_buf b;
	fw_buf_init(&b, MAX_COPY);
	assert_int_equal(fw_mark_render(t, sym, fw_mark_template_npoints(t), &b), FW_OK);
	char *s = fw_buf_steal(&b);
	assert_non_null(s);
	return s;
}

static struct fw_mark_code *code_for(const struct fw_mark_template *t, const uint8_t *key,
				     const char *version)
{
	size_t m = fw_mark_template_npoints(t);
	unsigned *q = calloc(m, sizeof *q);
	struct fw_mark_params prm;
	struct fw_mark_code *c = NULL;
	assert_non_null(q);
	fw_mark_template_alphabet(t, q, m);
	fw_mark_params_init(&prm);
	assert_int_equal(fw_mark_code_new(key, version, q, m, &prm, &c), FW_OK);
	free(q);
	return c;
}

static char *member_copy(const struct fw_mark_template *t, const struct fw_mark_code *c,
			 const char *member)
{
	struct fw_buf b;
	fw_buf_init(&b, MAX_COPY);
	assert_int_equal(fw_mark_render_member(t, c, member, &b), FW_OK);
	char *s = fw_buf_steal(&b);
	assert_non_null(s);
	return s;
}

/* Replaces every occurrence of from by to. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	struct fw_buf b;
	size_t fl = strlen(from);
	fw_buf_init(&b, MAX_COPY);
	for (const char *p = s;;) {
		const char *h = strstr(p, from);
		if (!h) {
			assert_int_equal(fw_buf_puts(&b, p), FW_OK);
			break;
		}
		assert_int_equal(fw_buf_append(&b, p, (size_t)(h - p)), FW_OK);
		assert_int_equal(fw_buf_puts(&b, to), FW_OK);
		p = h + fl;
	}
	char *out = fw_buf_steal(&b);
	assert_non_null(out);
	return out;
}

static char *concat(const char *a, size_t na, const char *b, size_t nb)
{
	char *s = malloc(na + nb + 1);
	assert_non_null(s);
	memcpy(s, a, na);
	memcpy(s + na, b, nb);
	s[na + nb] = '\0';
	return s;
}

static void extract(const struct fw_mark_template *t, const char *text,
		    struct fw_mark_reading *rd)
{
	assert_int_equal(fw_mark_extract(t, text, strlen(text), rd), FW_OK);
	assert_int_equal(rd->m, fw_mark_template_npoints(t));
}

/* Every point read shows the expected symbol (never a wrong guess); returns
 * how many were read. */
static size_t check_reads(const struct fw_mark_reading *rd, const uint8_t *want)
{
	size_t n = 0;
	for (size_t i = 0; i < rd->m; i++) {
		/* anything not read is one of the erasure kinds */
		assert_true(rd->status[i] < FW_MARK_STATUS_COUNT);
		if (rd->status[i] != FW_MARK_READ)
			continue;
		if (rd->symbol[i] != want[i])
			print_error("point %zu read %u, expected %u\n", i, rd->symbol[i], want[i]);
		assert_int_equal(rd->symbol[i], want[i]);
		n++;
	}
	return n;
}

static void symbols(const struct fw_mark_code *c, const char *member, uint8_t *sym)
{
	assert_int_equal(fw_mark_member_symbols(c, member, sym, fw_mark_code_npoints(c)), FW_OK);
}

static char **member_ids(size_t n, const char *prefix)
{
	char **ids = calloc(n, sizeof *ids);
	assert_non_null(ids);
	for (size_t j = 0; j < n; j++) {
		ids[j] = malloc(32);
		assert_non_null(ids[j]);
		snprintf(ids[j], 32, "%s-%04zu", prefix, j);
	}
	return ids;
}

static void free_ids(char **ids, size_t n)
{
	for (size_t j = 0; j < n; j++)
		free(ids[j]);
	free(ids);
}

static const struct fw_mark_verdict *verdict_of(const struct fw_mark_trace *tr, const char *id)
{
	for (size_t k = 0; k < tr->n; k++)
		if (strcmp(tr->verdict[k].member_id, id) == 0)
			return &tr->verdict[k];
	fail_msg("no verdict for %s", id);
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	return fw_crypto_init() == FW_OK ? 0 : -1;
}

/* ---- the template language --------------------------------------------- */

static void test_parse_points_and_render(void **state)
{
	(void)state;
	const char *text = "char buf[{{size: 0x10 | 16}}];\n"
			   "memset(buf, 0, {{=size}});\n"
			   "int {{ retries | attempts | tries }} = 3;\r\n"
			   "{{ =size }} {{later:a|b}}{{=later}}\n";
	struct fw_mark_template *t = parse_ok(text);
	assert_int_equal(fw_mark_template_npoints(t), 3);
	assert_int_equal(fw_mark_template_nuses(t), 6);

	struct fw_mark_point_info pi;
	fw_mark_template_point(t, 0, &pi);
	assert_string_equal(pi.name, "size");
	assert_int_equal(pi.q, 2);
	assert_int_equal(pi.line, 1);
	assert_int_equal(pi.col, 10);
	assert_int_equal(pi.uses, 3);
	fw_mark_template_point(t, 1, &pi);
	assert_string_equal(pi.name, "");
	assert_int_equal(pi.q, 3);
	assert_int_equal(pi.line, 3);
	assert_int_equal(pi.col, 5);
	assert_int_equal(pi.uses, 1);
	fw_mark_template_point(t, 2, &pi);
	assert_string_equal(pi.name, "later");
	assert_int_equal(pi.uses, 2);

	size_t len;
	const char *alt = fw_mark_template_alternative(t, 1, 2, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(alt, "tries", 5);
	const char *fixed = fw_mark_template_text(t, 1, &len);
	assert_int_equal(len, strlen("];\nmemset(buf, 0, "));
	assert_memory_equal(fixed, "];\nmemset(buf, 0, ", len);
	assert_int_equal(fw_mark_template_use_point(t, 3), 0);

	uint8_t s0[] = {0, 0, 0}, s1[] = {1, 2, 1};
	char *c0 = render(t, s0), *c1 = render(t, s1);
	assert_string_equal(c0, "char buf[0x10];\nmemset(buf, 0, 0x10);\nint retries = 3;\r\n0x10 aa\n");
	assert_string_equal(c1, "char buf[16];\nmemset(buf, 0, 16);\nint tries = 3;\r\n16 bb\n");
	free(c0);
	free(c1);

	/* bad symbol vectors are refused and leave the buffer alone */
	struct fw_buf b;
	fw_buf_init(&b, 1024);
	assert_int_equal(fw_buf_puts(&b, "keep"), FW_OK);
	uint8_t bad[] = {2, 0, 0};
	assert_int_equal(fw_mark_render(t, bad, 3, &b), FW_ERR_INVALID);
	assert_int_equal(fw_mark_render(t, s0, 2, &b), FW_ERR_INVALID);
	fw_buf_cleanup(&b);
	fw_buf_init(&b, 8); /* too small: nothing is appended */
	assert_int_equal(fw_mark_render(t, s0, 3, &b), FW_ERR_TOO_LARGE);
	assert_int_equal(b.len, 0);
	fw_buf_cleanup(&b);
	fw_mark_template_free(t);
	fw_mark_template_free(NULL);
}

static void test_parse_escapes(void **state)
{
	(void)state;
	/* Outside points only {{ and }} are markers; a backslash before anything
	 * else is text, so C strings and regexes need no change. A run of k
	 * backslashes before a marker is k/2 backslashes, and the marker is text
	 * when k is odd. Inside a point | and : are markers too. */
	const char *text = "int a[2][2] = \\{{1, 2}, {3, 4}}; \"\\\\n\\t\" \\}} \\x\n"
			   "path\\\\{{ C\\: | D\\: }}\n"
			   "\\\\\\{{not a point}}\n"
			   "{{ a \\| b | a \\}} b | x \\\\ y | http\\://h }}\n"
			   "{{ std::size_t | size_t }} {{ { | } }}\n";
	struct fw_mark_template *t = parse_ok(text);
	assert_int_equal(fw_mark_template_npoints(t), 4);
	uint8_t s0[] = {0, 0, 0, 0}, s1[] = {1, 3, 1, 1};
	char *c0 = render(t, s0), *c1 = render(t, s1);
	assert_string_equal(c0, "int a[2][2] = {{1, 2}, {3, 4}}; \"\\\\n\\t\" }} \\x\n"
				"path\\C:\n"
				"\\{{not a point}}\n"
				"a | b\n"
				"std::size_t {\n");
	assert_string_equal(c1, "int a[2][2] = {{1, 2}, {3, 4}}; \"\\\\n\\t\" }} \\x\n"
				"path\\D:\n"
				"\\{{not a point}}\n"
				"http://h\n"
				"size_t }\n");
	char *c2 = render(t, (uint8_t[]){0, 1, 0, 0});
	assert_non_null(strstr(c2, "\na }} b\n"));
	char *c3 = render(t, (uint8_t[]){0, 2, 0, 0});
	assert_non_null(strstr(c3, "\nx \\\\ y\n"));
	/* An escaped colon and "std::" do not make names. */
	struct fw_mark_point_info pi;
	for (size_t i = 0; i < 4; i++) {
		fw_mark_template_point(t, i, &pi);
		assert_string_equal(pi.name, "");
	}
	fw_mark_template_free(t);
	/* …but an identifier with a colon right after {{ does: "C" here, with
	 * the alternatives "" and "D:" (docs/templates.md warns about it). */
	t = parse_ok("{{ C: | D: }}");
	fw_mark_template_point(t, 0, &pi);
	assert_string_equal(pi.name, "C");
	assert_int_equal(pi.q, 2);
	free(c0);
	free(c1);
	free(c2);
	free(c3);
	fw_mark_template_free(t);
}

static void test_parse_multiline_and_whitespace(void **state)
{
	(void)state;
	const char *text = "x;\n    {{loop:\n    for (;;)\n        f();\n    |\n    while (1)\n        f();\n    }}\ny;\n";
	struct fw_mark_template *t = parse_ok(text);
	struct fw_mark_point_info pi;
	fw_mark_template_point(t, 0, &pi);
	assert_string_equal(pi.name, "loop");
	assert_int_equal(pi.line, 2);
	assert_int_equal(pi.col, 5);
	char *c0 = render(t, (uint8_t[]){0}), *c1 = render(t, (uint8_t[]){1});
	/* Whitespace around each alternative is not part of it. */
	assert_string_equal(c0, "x;\n    for (;;)\n        f();\ny;\n");
	assert_string_equal(c1, "x;\n    while (1)\n        f();\ny;\n");
	free(c0);
	free(c1);
	fw_mark_template_free(t);

	/* An empty alternative is allowed (once). */
	t = parse_ok("f(a{{, 0|}});");
	c0 = render(t, (uint8_t[]){0});
	c1 = render(t, (uint8_t[]){1});
	assert_string_equal(c0, "f(a, 0);");
	assert_string_equal(c1, "f(a);");
	free(c0);
	free(c1);
	fw_mark_template_free(t);

	/* No points: valid, renders to itself. */
	t = parse_ok("plain text } {\n");
	assert_int_equal(fw_mark_template_npoints(t), 0);
	c0 = render(t, NULL);
	assert_string_equal(c0, "plain text } {\n");
	free(c0);
	fw_mark_template_free(t);
	t = parse_ok("");
	fw_mark_template_free(t);
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int line, col;
		const char *what;
	} cases[] = {
		{"ab\ncd {{ x | y", 2, 4, "unterminated point"},
		{"{{ x }}", 1, 1, "at least two alternatives"},
		{"a\n  {{}}", 2, 3, "at least two alternatives"},
		{"{{ a | {{ b | c }} }}", 1, 8, "do not nest"},
		{"x {{=nope}}", 1, 6, "no point is named \"nope\""},
		{"{{=}}", 1, 4, "expected a point name"},
		{"{{= 9x}}", 1, 5, "expected a point name"},
		{"{{=a b}}", 1, 6, "expected }} to end the repeat"},
		{"{{n:a|b}}\n\n  {{n:c|d}}", 3, 3, "already defined at line 1:1"},
		{"{{ a | b | a }}", 1, 1, "alternatives 1 and 3 are the same"},
		{"{{ x = 1 | x=1 }}", 1, 1, "alternatives 1 and 2 are the same once whitespace"},
		{"{{ | }}", 1, 1, "alternatives 1 and 2 are the same"},
		{"\n\n   {{abcdefghijabcdefghijabcdefghijabc: x | y }}", 3, 6, "at most 32 bytes"},
		{"{{ 1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16|17 }}", 1, 43, "more than 16 alternatives"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		print_message("case %zu: %s\n", i, cases[i].text);
		parse_fails(cases[i].text, strlen(cases[i].text), FW_ERR_INVALID, cases[i].line,
			    cases[i].col, cases[i].what);
	}
	/* the first error in text order wins */
	parse_fails("{{=later}} {{ x }} {{later: a | b}}", 35, FW_ERR_INVALID, 1, 12,
		    "at least two");
	/* NUL bytes are text like any other */
	struct fw_mark_template *t = NULL;
	assert_int_equal(fw_mark_parse("a\0{{b|c}}", 9, &t, NULL), FW_OK);
	fw_mark_template_free(t);
	assert_int_equal(fw_mark_parse(NULL, 1, &t, NULL), FW_ERR_INVALID);
}

static void test_parse_limits(void **state)
{
	(void)state;
	struct fw_buf b;
	struct fw_mark_template *t = NULL;
	struct fw_mark_error e;

	/* 16 alternatives is the most */
	t = parse_ok("{{ 1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16 }}");
	struct fw_mark_point_info pi;
	fw_mark_template_point(t, 0, &pi);
	assert_int_equal(pi.q, FW_MARK_MAX_ALTERNATIVES);
	fw_mark_template_free(t);

	/* 4096 points is the most; the 4097th is an error at its position */
	fw_buf_init(&b, MAX_COPY);
	for (int i = 0; i < FW_MARK_MAX_POINTS; i++)
		assert_int_equal(fw_buf_printf(&b, "v%d = {{ a | b }};\n", i), FW_OK);
	assert_int_equal(fw_mark_parse((const char *)b.data, b.len, &t, &e), FW_OK);
	assert_int_equal(fw_mark_template_npoints(t), FW_MARK_MAX_POINTS);
	fw_mark_template_free(t);
	assert_int_equal(fw_buf_puts(&b, "last {{ a | b }}\n"), FW_OK);
	parse_fails((const char *)b.data, b.len, FW_ERR_INVALID, FW_MARK_MAX_POINTS + 1, 6,
		    "more than 4096 points");
	fw_buf_cleanup(&b);

	/* repeats count towards FW_MARK_MAX_USES */
	fw_buf_init(&b, MAX_COPY);
	assert_int_equal(fw_buf_puts(&b, "{{x: a | b}}\n"), FW_OK);
	for (int i = 1; i < FW_MARK_MAX_USES; i++)
		assert_int_equal(fw_buf_puts(&b, "{{=x}}\n"), FW_OK);
	assert_int_equal(fw_mark_parse((const char *)b.data, b.len, &t, &e), FW_OK);
	fw_mark_template_free(t);
	assert_int_equal(fw_buf_puts(&b, "{{=x}}\n"), FW_OK);
	parse_fails((const char *)b.data, b.len, FW_ERR_INVALID, FW_MARK_MAX_USES + 1, 1,
		    "more than 16384");
	fw_buf_cleanup(&b);

	/* one alternative of 4096 bytes is fine, 4097 is not */
	fw_buf_init(&b, MAX_COPY);
	assert_int_equal(fw_buf_puts(&b, "\n{{ "), FW_OK);
	for (int i = 0; i < FW_MARK_MAX_ALT_BYTES; i++)
		assert_int_equal(fw_buf_append(&b, "x", 1), FW_OK);
	assert_int_equal(fw_buf_puts(&b, " | y }}"), FW_OK);
	assert_int_equal(fw_mark_parse((const char *)b.data, b.len, &t, &e), FW_OK);
	fw_mark_template_free(t);
	b.len = 4;
	for (int i = 0; i <= FW_MARK_MAX_ALT_BYTES; i++)
		assert_int_equal(fw_buf_append(&b, "x", 1), FW_OK);
	assert_int_equal(fw_buf_puts(&b, " | y }}"), FW_OK);
	parse_fails((const char *)b.data, b.len, FW_ERR_INVALID, 2, 1, "longer than 4096 bytes");
	fw_buf_cleanup(&b);

	/* the template size limit */
	char *big = malloc(FW_MARK_MAX_TEMPLATE_BYTES + 1);
	assert_non_null(big);
	memset(big, 'x', FW_MARK_MAX_TEMPLATE_BYTES + 1);
	parse_fails(big, FW_MARK_MAX_TEMPLATE_BYTES + 1, FW_ERR_TOO_LARGE, 1, 1, "at most");
	/* a copy may not grow past FW_MARK_MAX_RENDER_BYTES through repeats */
	fw_buf_init(&b, MAX_COPY);
	assert_int_equal(fw_buf_puts(&b, "{{x: "), FW_OK);
	assert_int_equal(fw_buf_append(&b, big, 4000), FW_OK);
	assert_int_equal(fw_buf_puts(&b, " | y}}"), FW_OK);
	for (int i = 0; i < 2100; i++)
		assert_int_equal(fw_buf_puts(&b, "{{=x}}"), FW_OK);
	parse_fails((const char *)b.data, b.len, FW_ERR_TOO_LARGE, 1, 1, "more than");
	fw_buf_cleanup(&b);
	free(big);
}

/* ---- PRF, codes and copies ---------------------------------------------- */

static void test_prf(void **state)
{
	(void)state;
	uint8_t a[100], b[100], c[40];
	assert_int_equal(fw_crypto_prf(key1, "ctx", "in", 2, a, sizeof a), FW_OK);
	assert_int_equal(fw_crypto_prf(key1, "ctx", "in", 2, b, sizeof b), FW_OK);
	assert_memory_equal(a, b, sizeof a);
	/* a prefix of a longer output is the shorter output */
	assert_int_equal(fw_crypto_prf(key1, "ctx", "in", 2, c, sizeof c), FW_OK);
	assert_memory_equal(a, c, sizeof c);
	/* key, context and input each matter, and the encoding is injective */
	assert_int_equal(fw_crypto_prf(key2, "ctx", "in", 2, b, sizeof b), FW_OK);
	assert_memory_not_equal(a, b, sizeof a);
	assert_int_equal(fw_crypto_prf(key1, "ctxi", "n", 1, b, sizeof b), FW_OK);
	assert_memory_not_equal(a, b, sizeof a);
	assert_int_equal(fw_crypto_prf(key1, "ctx", "in\0", 3, b, sizeof b), FW_OK);
	assert_memory_not_equal(a, b, sizeof a);
	assert_int_equal(fw_crypto_prf(key1, "ctx", NULL, 0, b, 0), FW_OK);
	assert_int_equal(fw_crypto_prf(key1, "ctx", NULL, 0, b, FW_CRYPTO_PRF_MAX_BYTES + 1),
			 FW_ERR_TOO_LARGE);
	/* Known answer: the construction is part of every copy ever released,
	 * so it must never change. */
	uint8_t kat[16];
	char hex[33];
	static const uint8_t zero[32];
	assert_int_equal(fw_crypto_prf(zero, "forewarn/mark/symbol/v1", "abc", 3, kat, sizeof kat),
			 FW_OK);
	fw_crypto_hex(kat, sizeof kat, hex);
	print_message("prf kat %s\n", hex);
	assert_string_equal(hex, PRF_KAT);
}

static void test_code_determinism(void **state)
{
	(void)state;
	unsigned q[64];
	for (int i = 0; i < 64; i++)
		q[i] = 2 + (unsigned)(i % 4);
	struct fw_mark_params prm;
	fw_mark_params_init(&prm);
	assert_int_equal(prm.c, FW_MARK_DEFAULT_C);
	struct fw_mark_code *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	assert_int_equal(fw_mark_code_new(key1, "ADV-1/poc/1", q, 64, &prm, &a), FW_OK);
	assert_int_equal(fw_mark_code_new(key1, "ADV-1/poc/1", q, 64, &prm, &b), FW_OK);
	assert_int_equal(fw_mark_code_new(key1, "ADV-1/poc/2", q, 64, &prm, &c), FW_OK);
	assert_int_equal(fw_mark_code_new(key2, "ADV-1/poc/1", q, 64, &prm, &d), FW_OK);
	uint8_t da[32], db[32], dc[32], dd[32];
	fw_mark_code_digest(a, da);
	fw_mark_code_digest(b, db);
	fw_mark_code_digest(c, dc);
	fw_mark_code_digest(d, dd);
	assert_memory_equal(da, db, 32);
	assert_memory_not_equal(da, dc, 32);
	assert_memory_not_equal(da, dd, 32);
	/* biases: distributions, every component ≥ the cutoff 1/(300c) */
	double t = 1.0 / (300.0 * prm.c);
	for (size_t i = 0; i < 64; i++) {
		double sum = 0.0;
		for (unsigned s = 0; s < q[i]; s++) {
			double p = fw_mark_code_bias(a, i, s);
			assert_true(p >= t * (1 - 1e-12) && p < 1.0);
			sum += p;
		}
		assert_true(fabs(sum - 1.0) < 1e-12);
	}
	uint8_t sa[64], sb[64], sc[64];
	symbols(a, "alice", sa);
	symbols(b, "alice", sb);
	assert_memory_equal(sa, sb, 64);
	symbols(a, "bob", sb);
	assert_memory_not_equal(sa, sb, 64);
	symbols(c, "alice", sc);
	assert_memory_not_equal(sa, sc, 64);
	for (int i = 0; i < 64; i++)
		assert_true(sa[i] < q[i]);
	assert_int_equal(fw_mark_member_symbols(a, "", sa, 64), FW_ERR_INVALID);
	assert_int_equal(fw_mark_member_symbols(a, "alice", sa, 63), FW_ERR_INVALID);

	/* bad parameters */
	struct fw_mark_code *x = NULL;
	unsigned bad[] = {2, 1};
	assert_int_equal(fw_mark_code_new(key1, "v", bad, 2, &prm, &x), FW_ERR_INVALID);
	assert_int_equal(fw_mark_code_new(key1, "", q, 2, &prm, &x), FW_ERR_INVALID);
	assert_int_equal(fw_mark_code_new(key1, "v", q, 0, &prm, &x), FW_ERR_INVALID);
	struct fw_mark_params p0 = {0, FW_MARK_BIAS_ARCSINE};
	assert_int_equal(fw_mark_code_new(key1, "v", q, 2, &p0, &x), FW_ERR_INVALID);
	assert_null(x);
	fw_mark_code_free(a);
	fw_mark_code_free(b);
	fw_mark_code_free(c);
	fw_mark_code_free(d);
	fw_mark_code_free(NULL);
}

static void test_discrete_biases(void **state)
{
	(void)state;
	/* Nuida et al.'s Gauss–Legendre biases: c = 1, 2 → 1/2; c = 3, 4 → the
	 * roots of P_2, (1 ± 1/√3)/2, equally likely; c = 5, 6 → (1 ± √(3/5))/2
	 * and 1/2. */
	unsigned q[400];
	for (int i = 0; i < 400; i++)
		q[i] = 2;
	static const struct {
		unsigned c;
		size_t n;
		double p[3];
	} cases[] = {
		{2, 1, {0.5}},
		{4, 2, {0.21132486540518713, 0.78867513459481287}},
		{5, 3, {0.11270166537925830, 0.5, 0.88729833462074170}},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct fw_mark_params prm = {cases[k].c, FW_MARK_BIAS_DISCRETE};
		struct fw_mark_code *c = NULL;
		size_t seen[3] = {0};
		assert_int_equal(fw_mark_code_new(key1, "v", q, 400, &prm, &c), FW_OK);
		for (size_t i = 0; i < 400; i++) {
			/* biases are rounded to multiples of 2⁻¹⁶ */
			double p = fw_mark_code_bias(c, i, 0);
			assert_true(p * 65536.0 == floor(p * 65536.0));
			size_t j = 0;
			while (j < cases[k].n && fabs(p - cases[k].p[j]) > 0x1p-17)
				j++;
			assert_true(j < cases[k].n);
			seen[j]++;
		}
		/* Nuida et al.'s table: c = 3, 4 → 1/2 each; c = 5, 6 → 0.33201,
		 * 0.33598, 0.33201 (near-uniform) */
		for (size_t j = 0; j < cases[k].n; j++)
			assert_true(fabs((double)seen[j] / 400 - 1.0 / cases[k].n) < 0.1);
		fw_mark_code_free(c);
	}
	/* Known answers for a member's symbols where no libm is involved (p = 1/2;
	 * uniform q-ary points), from the same independent implementation as
	 * PRF_KAT: draw i is the little-endian u16 at bytes 2i of
	 * PRF(key, "forewarn/mark/symbol/v2", u32 3 ‖ "kat" ‖ u32 5 ‖ "alice").
	 * The derivation is frozen: these must never change. */
	unsigned qk[24];
	for (int i = 0; i < 24; i++)
		qk[i] = 2;
	struct fw_mark_params one = {1, FW_MARK_BIAS_DISCRETE};
	struct fw_mark_code *kc = NULL;
	uint8_t ks[24];
	static const uint8_t kat[24] = {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0,
					0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 1};
	assert_int_equal(fw_mark_code_new(key1, "kat", qk, 24, &one, &kc), FW_OK);
	assert_true(fw_mark_code_bias(kc, 0, 0) == 0.5);
	symbols(kc, "alice", ks);
	assert_memory_equal(ks, kat, 24);
	fw_mark_code_free(kc);
	unsigned qq[12];
	for (int i = 0; i < 12; i++)
		qq[i] = 3 + (unsigned)(i % 3);
	static const uint8_t katq[12] = {1, 3, 4, 1, 3, 4, 1, 1, 4, 1, 2, 1};
	assert_int_equal(fw_mark_code_new(key1, "kat-q", qq, 12, &one, &kc), FW_OK);
	symbols(kc, "alice", ks);
	assert_memory_equal(ks, katq, 12);
	fw_mark_code_free(kc);

	/* q > 2 with c ≤ 2: uniform, rounded to 2⁻¹⁶ (1/3 → 21845, 21846, 21845) */
	unsigned q3[] = {3, 5};
	struct fw_mark_params prm = {1, FW_MARK_BIAS_DISCRETE};
	struct fw_mark_code *c = NULL;
	assert_int_equal(fw_mark_code_new(key1, "v", q3, 2, &prm, &c), FW_OK);
	assert_true(fw_mark_code_bias(c, 0, 0) == 21845.0 / 65536);
	assert_true(fw_mark_code_bias(c, 0, 1) == 21846.0 / 65536);
	assert_true(fw_mark_code_bias(c, 0, 2) == 21845.0 / 65536);
	assert_true(fabs(fw_mark_code_bias(c, 1, 4) - 0.2) <= 0x1p-16);
	fw_mark_code_free(c);
}

static void test_symbols_follow_biases(void **state)
{
	(void)state;
	/* Per point, an innocent member's score has mean 0 and variance 1:
	 * 20,000 members, 24 points of q = 2..4; for the symbol y read, the mean
	 * of U is within 0.05 and the variance within 0.1 of its target (about
	 * 5 standard errors for the points' biases; seeds are fixed). The
	 * frequency of each symbol matches its bias within 0.015. */
	enum { M = 24, N = 20000 };
	unsigned q[M];
	for (int i = 0; i < M; i++)
		q[i] = 2 + (unsigned)(i % 3);
	struct fw_mark_params prm;
	fw_mark_params_init(&prm);
	struct fw_mark_code *c = NULL;
	assert_int_equal(fw_mark_code_new(key1, "stats", q, M, &prm, &c), FW_OK);
	static unsigned count[M][FW_MARK_MAX_ALTERNATIVES];
	memset(count, 0, sizeof count);
	for (int j = 0; j < N; j++) {
		char id[32];
		uint8_t s[M];
		snprintf(id, sizeof id, "member-%d", j);
		symbols(c, id, s);
		for (int i = 0; i < M; i++)
			count[i][s[i]]++;
	}
	for (int i = 0; i < M; i++) {
		for (unsigned y = 0; y < q[i]; y++) {
			double p = fw_mark_code_bias(c, (size_t)i, y);
			double f = (double)count[i][y] / N;
			assert_true(fabs(f - p) < 0.015);
			/* U = √((1−p)/p) for holders of y, −√(p/(1−p)) otherwise */
			double hi = sqrt((1 - p) / p), lo = -sqrt(p / (1 - p));
			double mean = f * hi + (1 - f) * lo;
			double var = f * hi * hi + (1 - f) * lo * lo - mean * mean;
			if (p < 0.02) /* too rare for this many members */
				continue;
			if (fabs(mean) >= 0.05 || fabs(var - 1) >= 0.1)
				print_error("point %d y %u p %.4f f %.4f mean %.4f var %.4f\n", i, y, p, f,
					    mean, var);
			assert_true(fabs(mean) < 0.05);
			assert_true(fabs(var - 1.0) < 0.1);
		}
	}
	fw_mark_code_free(c);
}

static void test_innocent_score_moments(void **state)
{
	(void)state;
	/* Per point, an innocent member's score U has mean 0 and variance 1,
	 * whatever the symbol read: 300 points (q = 2..4, arcsine biases, c = 4),
	 * 4,000 members, the symbol read at each point drawn independently of
	 * them (an outsider's). Per point, the empirical mean μ and variance v
	 * of U over the members are standardised with their exact standard
	 * errors (√(1/N) and √((E[U⁴] − 1)/N)); fixed key and ids, so the test is
	 * deterministic. Tolerances: every |z| < 6, and the mean of z² over the
	 * points within 1 ± 0.35 for the means (about 4 standard errors) and
	 * 1 ± 0.5 for the variances (U² is skewed when p is small). Then the
	 * same through fw_mark_accuse: the members' total scores S over the 300
	 * points have S/√300 with mean within 5/√N of 0 and variance within 0.1
	 * of 1 (about 4.5 standard errors). */
	enum { M = 300, N = 4000 };
	unsigned q[M];
	for (int i = 0; i < M; i++)
		q[i] = 2 + (unsigned)(i % 3);
	struct fw_mark_params prm;
	fw_mark_params_init(&prm);
	struct fw_mark_code *c = NULL;
	assert_int_equal(fw_mark_code_new(key1, "moments", q, M, &prm, &c), FW_OK);
	struct fw_mark_reading rd;
	assert_int_equal(fw_mark_reading_init(&rd, M), FW_OK);
	symbols(c, "outsider", rd.symbol);
	memset(rd.status, FW_MARK_READ, M);
	static double sum[M], sum2[M];
	memset(sum, 0, sizeof sum);
	memset(sum2, 0, sizeof sum2);
	char **ids = member_ids(N, "innocent");
	uint8_t s[M];
	for (int j = 0; j < N; j++) {
		symbols(c, ids[j], s);
		for (int i = 0; i < M; i++) {
			double p = fw_mark_code_bias(c, (size_t)i, rd.symbol[i]);
			double u = s[i] == rd.symbol[i] ? sqrt((1 - p) / p) : -sqrt(p / (1 - p));
			sum[i] += u;
			sum2[i] += u * u;
		}
	}
	double zm2 = 0.0, zv2 = 0.0, zmax = 0.0;
	for (int i = 0; i < M; i++) {
		double p = fw_mark_code_bias(c, (size_t)i, rd.symbol[i]);
		double mean = sum[i] / N, var = sum2[i] / N - mean * mean;
		double u4 = (1 - p) * (1 - p) / p + p * p / (1 - p); /* E[U⁴] */
		double zm = mean * sqrt((double)N), zv = (var - 1.0) / sqrt((u4 - 1.0) / N);
		zm2 += zm * zm / M;
		zv2 += zv * zv / M;
		zmax = fmax(zmax, fmax(fabs(zm), fabs(zv)));
	}
	print_message("per point: mean z² %.3f (means), %.3f (variances), max |z| %.2f\n", zm2, zv2,
		      zmax);
	assert_true(zmax < 6.0);
	assert_true(fabs(zm2 - 1.0) < 0.35);
	assert_true(fabs(zv2 - 1.0) < 0.5);

	struct fw_mark_leak lk = {c, &rd, (const char *const *)ids, N};
	struct fw_mark_trace tr;
	assert_int_equal(fw_mark_accuse(&lk, 1, 1e-6, 2, &tr), FW_OK);
	assert_int_equal(tr.naccused, 0);
	double m1 = 0.0, m2 = 0.0;
	for (size_t k = 0; k < tr.n; k++) {
		double x = tr.verdict[k].score / sqrt((double)M);
		m1 += x / N;
		m2 += x * x / N;
	}
	print_message("whole score / sqrt(m): mean %.4f variance %.4f\n", m1, m2 - m1 * m1);
	assert_true(fabs(m1) < 5.0 / sqrt((double)N));
	assert_true(fabs(m2 - m1 * m1 - 1.0) < 0.1);
	fw_mark_trace_cleanup(&tr);
	fw_mark_reading_cleanup(&rd);
	free_ids(ids, N);
	fw_mark_code_free(c);
}

static void test_render_members(void **state)
{
	(void)state;
	struct fw_mark_template *t = parse_ok(poc);
	assert_int_equal(fw_mark_template_npoints(t), 25);
	assert_int_equal(fw_mark_template_unreadable(t), 0);
	struct fw_mark_code *c = code_for(t, key1, "CVE-2025-0001/poc/1");
	char *a1 = member_copy(t, c, "alice"), *a2 = member_copy(t, c, "alice");
	char *b = member_copy(t, c, "bob");
	assert_string_equal(a1, a2); /* deterministic */
	assert_string_not_equal(a1, b);
	/* No marker survives, the escaped braces are text. */
	assert_null(strstr(a1, "{{="));
	assert_null(strstr(a1, "}}\n"));
	assert_non_null(strstr(a1, "table[2][2] = {{1, 2}, {3, 4}};"));
	/* Repeats agree with their definition. */
	uint8_t s[25];
	symbols(c, "alice", s);
	size_t len, io = 0;
	struct fw_mark_point_info pi;
	for (size_t i = 0; i < 25; i++) {
		fw_mark_template_point(t, i, &pi);
		if (strcmp(pi.name, "off") == 0)
			io = i;
	}
	fw_mark_template_point(t, io, &pi);
	assert_int_equal(pi.uses, 5);
	const char *off = fw_mark_template_alternative(t, io, s[io], &len);
	char want[64];
	snprintf(want, sizeof want, "while (%.*s < n)", (int)len, off);
	assert_non_null(strstr(a1, want));
	/* the code must fit the template */
	unsigned q[3] = {2, 2, 2};
	struct fw_mark_params prm;
	fw_mark_params_init(&prm);
	struct fw_mark_code *small = NULL;
	assert_int_equal(fw_mark_code_new(key1, "v", q, 3, &prm, &small), FW_OK);
	struct fw_buf out;
	fw_buf_init(&out, MAX_COPY);
	assert_int_equal(fw_mark_render_member(t, small, "alice", &out), FW_ERR_INVALID);
	fw_buf_cleanup(&out);
	fw_mark_code_free(small);
	free(a1);
	free(a2);
	free(b);
	fw_mark_code_free(c);
	fw_mark_template_free(t);
}

/* ---- extraction ------------------------------------------------------------ */

struct two_copies {
	struct fw_mark_template *t;
	struct fw_mark_code *c;
	size_t m;
	uint8_t sa[64], sb[64];
	char *a, *b;
};

static void two_copies_init(struct two_copies *x)
{
	x->t = parse_ok(poc);
	x->c = code_for(x->t, key1, "CVE-2025-0001/poc/1");
	x->m = fw_mark_template_npoints(x->t);
	assert_true(x->m <= 64);
	/* two members that differ at many points, among them "len" (a named
	 * point used in both halves of the file) */
	size_t len = SIZE_MAX;
	struct fw_mark_point_info pi;
	for (size_t i = 0; i < x->m; i++) {
		fw_mark_template_point(x->t, i, &pi);
		if (strcmp(pi.name, "len") == 0)
			len = i;
	}
	assert_true(len != SIZE_MAX);
	symbols(x->c, "alice", x->sa);
	char bob[32];
	for (int j = 0;; j++) {
		assert_true(j < 1000);
		snprintf(bob, sizeof bob, "bob-%d", j);
		symbols(x->c, bob, x->sb);
		size_t differ = 0;
		for (size_t i = 0; i < x->m; i++)
			differ += x->sa[i] != x->sb[i];
		if (x->sa[len] != x->sb[len] && differ >= 8)
			break;
	}
	x->a = member_copy(x->t, x->c, "alice");
	x->b = member_copy(x->t, x->c, bob);
}

static void two_copies_cleanup(struct two_copies *x)
{
	free(x->a);
	free(x->b);
	fw_mark_code_free(x->c);
	fw_mark_template_free(x->t);
}

static void test_extract_clean_and_reformatted(void **state)
{
	(void)state;
	struct two_copies x;
	struct fw_mark_reading rd;
	two_copies_init(&x);

	extract(x.t, x.a, &rd);
	assert_int_equal(check_reads(&rd, x.sa), x.m);
	fw_mark_reading_cleanup(&rd);

	/* CRLF line endings */
	char *crlf = replace_all(x.a, "\n", "\r\n");
	extract(x.t, crlf, &rd);
	assert_int_equal(check_reads(&rd, x.sa), x.m);
	fw_mark_reading_cleanup(&rd);
	/* re-indented with tabs, then with no indentation at all */
	char *tabs = replace_all(x.b, "    ", "\t");
	extract(x.t, tabs, &rd);
	assert_int_equal(check_reads(&rd, x.sb), x.m);
	fw_mark_reading_cleanup(&rd);
	char *flat = replace_all(x.b, "    ", "");
	extract(x.t, flat, &rd);
	assert_int_equal(check_reads(&rd, x.sb), x.m);
	fw_mark_reading_cleanup(&rd);
	/* re-wrapped: every line joined, then broken at other places; spacing
	 * changed ("x=1" for "x = 1"); no-break spaces from a web page */
	char *joined = replace_all(x.a, "\n", " ");
	char *wrapped = replace_all(joined, ", ", ",\n    ");
	char *tight = replace_all(wrapped, " = ", "=");
	char *nbsp = replace_all(tight, " the ", "\xC2\xA0the\xC2\xA0");
	extract(x.t, nbsp, &rd);
	assert_int_equal(check_reads(&rd, x.sa), x.m);
	fw_mark_reading_cleanup(&rd);
	free(crlf);
	free(tabs);
	free(flat);
	free(joined);
	free(wrapped);
	free(tight);
	free(nbsp);
	two_copies_cleanup(&x);
}

static void test_extract_partial_and_edited(void **state)
{
	(void)state;
	struct two_copies x;
	struct fw_mark_reading rd;
	two_copies_init(&x);
	size_t n = strlen(x.a);

	/* The second half cut off: the points in the first half are read, the
	 * others are missing — never guessed. */
	char *half = strndup(x.a, n / 2);
	extract(x.t, half, &rd);
	size_t got = check_reads(&rd, x.sa);
	print_message("half: %zu of %zu read\n", got, x.m);
	assert_true(got >= 10 && got < x.m);
	assert_true(fw_mark_reading_count(&rd, FW_MARK_MISSING) >= 8);
	assert_int_equal(fw_mark_reading_count(&rd, FW_MARK_READ), got);
	fw_mark_reading_cleanup(&rd);
	/* …and the second half alone gives the rest */
	extract(x.t, x.a + n / 2, &rd);
	size_t got2 = check_reads(&rd, x.sa);
	assert_true(got2 >= 8 && got + got2 >= x.m - 2);
	fw_mark_reading_cleanup(&rd);

	/* Comments added between lines and at line ends: only points right
	 * next to an edit can be lost. */
	char *c1 = replace_all(x.a, ";\n", "; // pwned\n");
	char *c2 = replace_all(c1, "#include <unistd.h>\n", "#include <unistd.h>\n/* leaked by nobody */\n");
	extract(x.t, c2, &rd);
	got = check_reads(&rd, x.sa);
	print_message("commented: %zu of %zu read\n", got, x.m);
	assert_true(got >= x.m * 2 / 3);
	fw_mark_reading_cleanup(&rd);

	/* One alternative changed to something the template does not offer:
	 * that point is altered, the rest read. */
	size_t len;
	struct fw_mark_point_info pi;
	size_t pl = SIZE_MAX;
	for (size_t i = 0; i < x.m; i++) {
		fw_mark_template_point(x.t, i, &pi);
		if (strcmp(pi.name, "len") == 0)
			pl = i;
	}
	assert_true(pl != SIZE_MAX);
	const char *alt = fw_mark_template_alternative(x.t, pl + 1, x.sa[pl + 1], &len);
	char from[32], *edited;
	snprintf(from, sizeof from, " %.*s\n", (int)len, alt);
	edited = replace_all(x.a, from, " 0x200\n");
	extract(x.t, edited, &rd);
	assert_int_equal(rd.status[pl + 1], FW_MARK_ALTERED);
	assert_int_equal(check_reads(&rd, x.sa), x.m - 1);
	fw_mark_reading_cleanup(&rd);
	/* Extended ("0x100" → "0x1000") it is not taken for the original… */
	char ext[48];
	snprintf(ext, sizeof ext, " %.*s0\n", (int)len, alt);
	char *extended = replace_all(x.a, from, ext);
	extract(x.t, extended, &rd);
	assert_int_equal(rd.status[pl + 1], FW_MARK_ALTERED);
	fw_mark_reading_cleanup(&rd);
	/* …but with a comment right after it, it is still read (by its left
	 * side alone). */
	snprintf(ext, sizeof ext, " %.*s /* tuned */\n", (int)len, alt);
	char *commented = replace_all(x.a, from, ext);
	extract(x.t, commented, &rd);
	assert_int_equal(rd.status[pl + 1], FW_MARK_READ);
	assert_int_equal(check_reads(&rd, x.sa), x.m);
	fw_mark_reading_cleanup(&rd);
	free(extended);
	free(commented);

	/* Unrelated text reads as nothing. */
	extract(x.t, "hello world\n", &rd);
	assert_int_equal(fw_mark_reading_count(&rd, FW_MARK_MISSING), x.m);
	fw_mark_reading_cleanup(&rd);
	free(half);
	free(c1);
	free(c2);
	free(edited);
	two_copies_cleanup(&x);
}

static void test_extract_mixed(void **state)
{
	(void)state;
	struct two_copies x;
	struct fw_mark_reading rd;
	two_copies_init(&x);
	size_t na = strlen(x.a), nb = strlen(x.b);

	/* Alice's first half, then Bob's second half (cut at the same line). */
	const char *cut_a = strstr(x.a, "int main");
	const char *cut_b = strstr(x.b, "int main");
	assert_non_null(cut_a);
	assert_non_null(cut_b);
	char *mixed = concat(x.a, (size_t)(cut_a - x.a), cut_b, strlen(cut_b));
	extract(x.t, mixed, &rd);
	size_t read = 0;
	for (size_t i = 0; i < x.m; i++) {
		if (rd.status[i] != FW_MARK_READ)
			continue;
		read++;
		assert_true(rd.symbol[i] == x.sa[i] || rd.symbol[i] == x.sb[i]);
	}
	print_message("mixed: %zu of %zu read\n", read, x.m);
	/* A named point used in both halves with different choices is
	 * ambiguous, never one of the two. */
	struct fw_mark_point_info pi;
	size_t seen_len = 0;
	for (size_t i = 0; i < x.m; i++) {
		fw_mark_template_point(x.t, i, &pi);
		if (strcmp(pi.name, "len") == 0) {
			assert_int_not_equal(x.sa[i], x.sb[i]);
			assert_int_equal(rd.status[i], FW_MARK_AMBIGUOUS);
			seen_len++;
		}
	}
	assert_int_equal(seen_len, 1);
	assert_true(read >= x.m / 2);
	fw_mark_reading_cleanup(&rd);

	/* Both whole copies one after the other: every point matches in two
	 * places, so nothing is read. */
	char *both = concat(x.a, na, x.b, nb);
	extract(x.t, both, &rd);
	assert_int_equal(fw_mark_reading_count(&rd, FW_MARK_READ), 0);
	assert_int_equal(fw_mark_reading_count(&rd, FW_MARK_AMBIGUOUS), x.m);
	fw_mark_reading_cleanup(&rd);

	/* Two leaked files of one version merge point by point. */
	struct fw_mark_reading r1, r2;
	char *first = strndup(x.a, na / 2);
	extract(x.t, first, &r1);
	extract(x.t, x.a + na / 2, &r2);
	assert_int_equal(fw_mark_reading_merge(&r1, &r2), FW_OK);
	assert_true(check_reads(&r1, x.sa) >= x.m - 2);
	fw_mark_reading_cleanup(&r2);
	extract(x.t, x.b, &r2);
	assert_int_equal(fw_mark_reading_merge(&r1, &r2), FW_OK);
	for (size_t i = 0; i < x.m; i++)
		if (x.sa[i] != x.sb[i])
			assert_true(r1.status[i] == FW_MARK_AMBIGUOUS);
	fw_mark_reading_cleanup(&r1);
	fw_mark_reading_cleanup(&r2);
	free(first);
	free(mixed);
	free(both);
	two_copies_cleanup(&x);
}

static void test_extract_unreadable(void **state)
{
	(void)state;
	/* The same 400 bytes around a point, three times: its surroundings
	 * repeat beyond the widest context, so the template itself flags the
	 * point, and extraction erases it. The point after it is fine. */
	struct fw_buf b;
	fw_buf_init(&b, MAX_COPY);
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < 40; i++)
			assert_int_equal(fw_buf_puts(&b, "pad(1234);"), FW_OK);
		assert_int_equal(fw_buf_puts(&b, "\nx = {{ a | b }};\n"), FW_OK);
		for (int i = 0; i < 40; i++)
			assert_int_equal(fw_buf_puts(&b, "pad(1234);"), FW_OK);
	}
	assert_int_equal(fw_buf_puts(&b, "\nend = {{ 1 | 2 }};\n"), FW_OK);
	struct fw_mark_template *t = parse_ok(fw_buf_str(&b));
	struct fw_mark_point_info pi;
	assert_int_equal(fw_mark_template_npoints(t), 4);
	assert_int_equal(fw_mark_template_unreadable(t), 3);
	fw_mark_template_point(t, 1, &pi);
	assert_false(pi.readable);
	fw_mark_template_point(t, 3, &pi);
	assert_true(pi.readable);
	uint8_t s[4] = {1, 1, 0, 1};
	char *copy = render(t, s);
	struct fw_mark_reading rd;
	extract(t, copy, &rd);
	assert_int_equal(rd.status[0], FW_MARK_UNREADABLE);
	assert_int_equal(rd.status[3], FW_MARK_READ);
	assert_int_equal(rd.symbol[3], 1);
	fw_mark_reading_cleanup(&rd);
	free(copy);
	fw_mark_template_free(t);
	fw_buf_cleanup(&b);

	/* Identical lines: the neighbouring points tell them apart. */
	t = parse_ok("x = {{ a | b }};\nx = {{ a | b }};\nx = {{ a | b }};\n");
	assert_int_equal(fw_mark_template_unreadable(t), 0);
	copy = render(t, (uint8_t[]){1, 0, 1});
	extract(t, copy, &rd);
	assert_int_equal(check_reads(&rd, (uint8_t[]){1, 0, 1}), 3);
	fw_mark_reading_cleanup(&rd);
	free(copy);
	fw_mark_template_free(t);
}

/* Collapses every whitespace run to one space, then wraps greedily at
 * `width` columns with CRLF line endings and a four-space indent (prose
 * pasted into a mail or a forum post). */
static char *rewrap(const char *s, size_t width)
{
	struct fw_buf b;
	fw_buf_init(&b, MAX_COPY);
	size_t col = 0;
	for (const char *p = s; *p;) {
		while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
			p++;
		size_t n = strcspn(p, " \n\t\r");
		if (!n)
			break;
		if (col && col + 1 + n > width) {
			assert_int_equal(fw_buf_puts(&b, "\r\n"), FW_OK);
			col = 0;
		}
		assert_int_equal(fw_buf_puts(&b, col ? " " : "    "), FW_OK);
		assert_int_equal(fw_buf_append(&b, p, n), FW_OK);
		col += n + 1;
		p += n;
	}
	char *out = fw_buf_steal(&b);
	assert_non_null(out);
	return out;
}

static const char prose[] =
	"Summary\n\n"
	"The {{ flaw | bug | defect }} in frob_parse() lets a remote, {{ unauthenticated | "
	"anonymous }} attacker {{ overwrite | clobber }} heap metadata by sending a request whose "
	"length field exceeds the {{ buffer | allocation }} size. Exploitation {{ requires | "
	"needs }} no user interaction; a working proof of concept is {{ attached | enclosed | "
	"included }}.\n\n"
	"{{ Vendors | Maintainers }} should {{ apply | install }} the fix before the embargo "
	"ends on {{ 2025-08-01 | 1 August 2025 }}, and {{ must not | should not }} share this "
	"text {{ outside | beyond }} their security team.\n";

static void test_extract_prose_and_combined(void **state)
{
	(void)state;
	/* Prose re-wrapped at another width (30 and 55 columns), indented, with
	 * CRLF: every point is read, correctly. */
	struct fw_mark_template *t = parse_ok(prose);
	size_t m = fw_mark_template_npoints(t);
	assert_int_equal(m, 11);
	struct fw_mark_code *c = code_for(t, key1, "ADV-1/advisory/1");
	uint8_t s[12];
	symbols(c, "carol", s);
	char *copy = member_copy(t, c, "carol");
	static const size_t widths[] = {30, 55};
	struct fw_mark_reading rd;
	for (size_t k = 0; k < 2; k++) {
		char *w = rewrap(copy, widths[k]);
		extract(t, w, &rd);
		assert_int_equal(check_reads(&rd, s), m);
		fw_mark_reading_cleanup(&rd);
		free(w);
	}
	free(copy);
	fw_mark_code_free(c);
	fw_mark_template_free(t);

	/* All at once on the PoC: CRLF, tabs for indentation, a comment at the
	 * end of every statement, a banner added, the second half cut off.
	 * Points are read or erased, never misread, and every point of the
	 * second half is missing. */
	struct two_copies x;
	two_copies_init(&x);
	char *a = replace_all(x.a, "\n", "\r\n");
	char *b = replace_all(a, "    ", "\t");
	char *cm = replace_all(b, ";\r\n", "; /* ok */\r\n");
	char *banner = concat("// leaked from somewhere\r\n", 26, cm, strlen(cm));
	const char *cut = strstr(banner, "int main");
	assert_non_null(cut);
	char *half = strndup(banner, (size_t)(cut - banner));
	extract(x.t, half, &rd);
	size_t got = check_reads(&rd, x.sa);
	print_message("combined: %zu of %zu read\n", got, x.m);
	assert_true(got >= 10);
	struct fw_mark_point_info pi;
	for (size_t i = 0; i < x.m; i++) {
		fw_mark_template_point(x.t, i, &pi);
		if (strcmp(pi.name, "pl") == 0) /* used only after the cut */
			assert_int_equal(rd.status[i], FW_MARK_MISSING);
	}
	assert_true(fw_mark_reading_count(&rd, FW_MARK_MISSING) >= 10);
	fw_mark_reading_cleanup(&rd);
	free(a);
	free(b);
	free(cm);
	free(banner);
	free(half);
	two_copies_cleanup(&x);
}

/* ---- accusation ------------------------------------------------------------ */

/* A code of m points with q = 2..qmax, n members; trace a leak built by
 * `attack` from the given colluders (indices into ids). Returns the trace. */
struct scenario {
	size_t m, n;
	unsigned qmax;
	struct fw_mark_params prm;
	double epsilon, erase;
	const char *version;
};

static void build_leak(const struct scenario *sc, struct fw_mark_code **code, char **ids,
		       const size_t *coll, size_t c, enum fw_mark_attack attack, uint64_t seed,
		       struct fw_mark_reading *rd)
{
	unsigned *q = calloc(sc->m, sizeof *q);
	assert_non_null(q);
	for (size_t i = 0; i < sc->m; i++)
		q[i] = sc->qmax == 2 ? 2 : 2 + (unsigned)(i % (sc->qmax - 1));
	assert_int_equal(fw_mark_code_new(key1, sc->version, q, sc->m, &sc->prm, code), FW_OK);
	uint8_t *sym[16];
	assert_true(c >= 1 && c <= 16);
	for (size_t j = 0; j < c; j++) {
		sym[j] = malloc(sc->m);
		assert_non_null(sym[j]);
		symbols(*code, ids[coll[j]], sym[j]);
	}
	assert_int_equal(fw_mark_reading_init(rd, sc->m), FW_OK);
	assert_int_equal(fw_mark_collude(attack, (const uint8_t *const *)sym, c, sc->m, seed,
					 rd->symbol),
			 FW_OK);
	for (size_t i = 0; i < sc->m; i++) {
		/* a deterministic erasure pattern, independent of the members */
		uint32_t h = (uint32_t)(i * 2654435761u + seed * 40503u);
		rd->status[i] = (h % 1000) < sc->erase * 1000 ? FW_MARK_MISSING : FW_MARK_READ;
	}
	for (size_t j = 0; j < c; j++)
		free(sym[j]);
	free(q);
}

/* Accuses; checks that nobody outside coll is accused; returns how many
 * colluders were. */
static size_t trace_check(const struct scenario *sc, char **ids, const size_t *coll, size_t c,
			  enum fw_mark_attack attack, uint64_t seed)
{
	struct fw_mark_code *code = NULL;
	struct fw_mark_reading rd;
	struct fw_mark_trace tr;
	build_leak(sc, &code, ids, coll, c, attack, seed, &rd);
	struct fw_mark_leak lk = {code, &rd, (const char *const *)ids, sc->n};
	assert_int_equal(fw_mark_accuse(&lk, 1, sc->epsilon, 2, &tr), FW_OK);
	assert_int_equal(tr.n, sc->n);
	size_t hit = 0;
	for (size_t k = 0; k < tr.n; k++) {
		const struct fw_mark_verdict *v = &tr.verdict[k];
		if (k)
			assert_true(v->score <= tr.verdict[k - 1].score);
		assert_true(v->log_pvalue <= 0.0);
		if (!v->accused)
			continue;
		/* accused ⇔ score ≥ Z, and then the bound is ≤ ε/n */
		assert_true(v->score >= v->threshold);
		assert_true(v->log_pvalue <= log(sc->epsilon / (double)sc->n) + 1e-6);
		bool guilty = false;
		for (size_t j = 0; j < c; j++)
			guilty = guilty || strcmp(v->member_id, ids[coll[j]]) == 0;
		if (!guilty)
			print_error("innocent %s accused: score %.2f threshold %.2f\n", v->member_id,
				    v->score, v->threshold);
		assert_true(guilty);
		hit++;
	}
	fw_mark_trace_cleanup(&tr);
	fw_mark_reading_cleanup(&rd);
	fw_mark_code_free(code);
	return hit;
}

static void test_single_leaker(void **state)
{
	(void)state;
	/* 200 binary points (arcsine, the default), 100 members, ε = 1e-6:
	 * over 20 versions, the leaker and only the leaker is accused. */
	struct scenario sc = {200, 100, 2, {FW_MARK_DEFAULT_C, FW_MARK_BIAS_ARCSINE}, 1e-6, 0.0,
			      NULL};
	char **ids = member_ids(sc.n, "m");
	for (uint64_t seed = 0; seed < 20; seed++) {
		char version[32];
		snprintf(version, sizeof version, "single/%u", (unsigned)seed);
		sc.version = version;
		size_t who = (size_t)(seed * 37 % sc.n);
		assert_int_equal(trace_check(&sc, ids, &who, 1, FW_MARK_ATTACK_INTERLEAVE, seed), 1);
	}
	/* The small case: 40 binary points among 50 recipients, with the
	 * discrete biases for c = 1 (p = 1/2). */
	struct scenario small = {40, 50, 2, {1, FW_MARK_BIAS_DISCRETE}, 1e-6, 0.0, NULL};
	for (uint64_t seed = 0; seed < 10; seed++) {
		char version[32];
		snprintf(version, sizeof version, "small/%u", (unsigned)seed);
		small.version = version;
		size_t who = (size_t)(seed * 7 % small.n);
		assert_int_equal(trace_check(&small, ids, &who, 1, FW_MARK_ATTACK_ALL_FIRST, seed),
				 1);
	}
	free_ids(ids, sc.n);
}

/* A PoC-sized exploit in the style of a real one (a Python script), with
 * at least `npoints` variation points in blocks of seven (q = 3, 2, 3, 2, 2,
 * 2, 4): docstrings, constants in two notations, a named size used again,
 * call variants, condition rewrites. */
static char *poc_template(size_t npoints)
{
	struct fw_buf b;
	fw_buf_init(&b, MAX_COPY);
	assert_int_equal(fw_buf_puts(&b, "#!/usr/bin/env python3\n"
					 "\"\"\"Proof of concept: heap overflow in frob_parse().\"\"\"\n"
					 "import socket, struct, sys, time\n\n"),
			 FW_OK);
	for (size_t k = 0; 7 * k < npoints; k++) {
		assert_int_equal(
			fw_buf_printf(
				&b,
				"def step_%zu(sock, retries_%zu=0):\n"
				"    \"\"\"{{ Send | Write | Push }} record %zu to the target.\"\"\"\n"
				"    hdr = struct.pack(\"<I\", {{size_%zu: 0x%zx | %zu}})\n"
				"    buf = {{ b'A' | b\"A\" | b'\\x41' }} * {{=size_%zu}}  # body %zu\n"
				"    sock.{{ sendall | send }}(hdr + buf)  # step %zu\n"
				"    if {{ len(buf) > 0 | buf }} and {{ retries_%zu < 3 | 3 > retries_%zu }}:\n"
				"        {{ time.sleep(0.1) | time.sleep(.1) | time.sleep(1e-1) | "
				"time.sleep(0.10) }}  # pause %zu\n\n",
				k, k, k, k, 64 + k, 64 + k, k, k, k, k, k, k),
			FW_OK);
	}
	assert_int_equal(fw_buf_puts(&b, "if __name__ == \"__main__\":\n"
					 "    s = socket.create_connection((sys.argv[1], 8080))\n"
					 "    step_0(s)\n"),
			 FW_OK);
	char *s = fw_buf_steal(&b);
	assert_non_null(s);
	return s;
}

/* One collusion: colluders coll[0..c) mix their copies with `attack`; the
 * mixed copy is rendered, re-indented with tabs and CRLF, extracted and
 * traced among all n recipients. Returns how many colluders were accused;
 * fails if anyone else is, or if a point is misread. */
static size_t collude_trace(const struct fw_mark_template *t, const struct fw_mark_params *prm,
			    const char *version, char **ids, size_t n, const size_t *coll, size_t c,
			    enum fw_mark_attack attack, uint64_t seed, double epsilon)
{
	struct fw_mark_code *code = NULL;
	size_t m = fw_mark_template_npoints(t);
	unsigned *q = calloc(m, sizeof *q);
	uint8_t *sym[3], *mixed = malloc(m);
	assert_true(c <= 3 && q && mixed);
	fw_mark_template_alphabet(t, q, m);
	assert_int_equal(fw_mark_code_new(key1, version, q, m, prm, &code), FW_OK);
	for (size_t j = 0; j < c; j++) {
		assert_non_null(sym[j] = malloc(m));
		symbols(code, ids[coll[j]], sym[j]);
	}
	assert_int_equal(fw_mark_collude(attack, (const uint8_t *const *)sym, c, m, seed, mixed),
			 FW_OK);
	char *copy = render(t, mixed);
	char *tabs = replace_all(copy, "    ", "\t");
	char *leak = replace_all(tabs, "\n", "\r\n");
	struct fw_mark_reading rd;
	extract(t, leak, &rd);
	assert_int_equal(check_reads(&rd, mixed), m);
	struct fw_mark_leak lk = {code, &rd, (const char *const *)ids, n};
	struct fw_mark_trace tr;
	assert_int_equal(fw_mark_accuse(&lk, 1, epsilon, 2, &tr), FW_OK);
	size_t hit = 0;
	for (size_t k = 0; k < tr.naccused; k++) {
		bool guilty = false;
		for (size_t j = 0; j < c; j++)
			guilty = guilty || strcmp(tr.verdict[k].member_id, ids[coll[j]]) == 0;
		if (!guilty)
			print_error("%s: innocent %s accused\n", version, tr.verdict[k].member_id);
		assert_true(guilty);
		hit++;
	}
	if (!hit)
		print_error("%s (%s, c = %zu): no colluder accused; top %.2f, Z %.2f\n", version,
			    fw_mark_attack_name(attack), c, tr.verdict[0].score, tr.threshold);
	fw_mark_trace_cleanup(&tr);
	fw_mark_reading_cleanup(&rd);
	for (size_t j = 0; j < c; j++)
		free(sym[j]);
	free(copy);
	free(tabs);
	free(leak);
	free(mixed);
	free(q);
	fw_mark_code_free(code);
	return hit;
}

static void test_collusion_poc(void **state)
{
	(void)state;
	/* A realistic PoC template among 1,000 recipients at ε = 10⁻⁶, each of
	 * the six attacks, 3 seeds each (fixed versions and colluders):
	 *  - c = 1, 2: 301 points (q 2–4), the default arcsine biases (c = 4);
	 *  - c = 3: 301 points are not enough at ε = 10⁻⁶ (the capacity
	 *    simulation gives ~70% detection under minority), so 602 points with
	 *    the discrete biases for c = 3 (100% in 300 simulated trials per
	 *    attack), and 903 points with the default arcsine biases (100%).
	 * At least one colluder accused, nobody else. */
	enum { N = 1000, SEEDS = 3 };
	char **ids = member_ids(N, "member");
	static const struct {
		size_t points;
		unsigned cmin, cmax;
		struct fw_mark_params prm;
	} cfg[] = {
		{301, 1, 2, {FW_MARK_DEFAULT_C, FW_MARK_BIAS_ARCSINE}},
		{602, 3, 3, {3, FW_MARK_BIAS_DISCRETE}},
		{903, 3, 3, {FW_MARK_DEFAULT_C, FW_MARK_BIAS_ARCSINE}},
	};
	for (size_t f = 0; f < sizeof cfg / sizeof cfg[0]; f++) {
		char *text = poc_template(cfg[f].points);
		struct fw_mark_template *t = parse_ok(text);
		size_t m = fw_mark_template_npoints(t);
		assert_true(m >= cfg[f].points && m < cfg[f].points + 7);
		assert_int_equal(fw_mark_template_unreadable(t), 0);
		for (unsigned c = cfg[f].cmin; c <= cfg[f].cmax; c++)
			for (unsigned a = 0; a < FW_MARK_ATTACK_COUNT; a++)
				for (uint64_t seed = 0; seed < SEEDS; seed++) {
					char version[64];
					snprintf(version, sizeof version, "poc/%zu/%u/%u/%u", m, c, a,
						 (unsigned)seed);
					size_t coll[3];
					for (unsigned j = 0; j < c; j++)
						coll[j] = (size_t)((seed * 331 + j * 389 + a * 17) % N);
					assert_true(collude_trace(t, &cfg[f].prm, version, ids, N, coll,
								  c, (enum fw_mark_attack)a, seed,
								  1e-6) >= 1);
				}
		fw_mark_template_free(t);
		free(text);
	}
	free_ids(ids, N);
}

static void test_single_leaker_template(void **state)
{
	(void)state;
	/* The small case end to end: a 40-point template (q 2–4), 50
	 * recipients, ε = 10⁻⁶, the code built for a single leaker (discrete
	 * biases, c = 1: p = 1/2, uniform q-ary points); the leaker's copy is
	 * re-indented and traced. Over 10 versions and leakers: the leaker is
	 * accused and nobody else. */
	char **ids = member_ids(50, "member");
	char *text = poc_template(40);
	struct fw_mark_template *t = parse_ok(text);
	assert_int_equal(fw_mark_template_npoints(t), 42);
	struct fw_mark_params one = {1, FW_MARK_BIAS_DISCRETE};
	for (unsigned k = 0; k < 10; k++) {
		char version[32];
		snprintf(version, sizeof version, "small/%u", k);
		size_t who = (size_t)(k * 13 % 50);
		assert_int_equal(collude_trace(t, &one, version, ids, 50, &who, 1,
					       FW_MARK_ATTACK_INTERLEAVE, k, 1e-6),
				 1);
	}
	fw_mark_template_free(t);
	free(text);
	free_ids(ids, 50);
}

static void test_erasures_score_zero(void **state)
{
	(void)state;
	/* Every point that is not read is an erasure, whatever its status
	 * (missing, altered, ambiguous, unreadable, or any other value) and
	 * whatever symbol it carries: the trace is exactly that of a reading
	 * with those points missing — same scores, same threshold. */
	char **ids = member_ids(100, "m");
	struct scenario sc = {200, 100, 4, {FW_MARK_DEFAULT_C, FW_MARK_BIAS_ARCSINE}, 1e-6, 0.0,
			      "erasures"};
	struct fw_mark_code *code = NULL;
	struct fw_mark_reading ref, odd;
	size_t who = 42;
	build_leak(&sc, &code, ids, &who, 1, FW_MARK_ATTACK_INTERLEAVE, 5, &ref);
	assert_int_equal(fw_mark_reading_init(&odd, sc.m), FW_OK);
	static const uint8_t kinds[] = {FW_MARK_MISSING, FW_MARK_ALTERED, FW_MARK_AMBIGUOUS,
					FW_MARK_UNREADABLE, 7, 255};
	for (size_t i = 0; i < sc.m; i++) {
		odd.symbol[i] = ref.symbol[i];
		odd.status[i] = FW_MARK_READ;
		if (i % 2) {
			ref.status[i] = FW_MARK_MISSING;
			odd.status[i] = kinds[i % sizeof kinds];
			odd.symbol[i] = (uint8_t)(200 + i % 50); /* not even a symbol of the point */
		}
	}
	struct fw_mark_leak l1 = {code, &ref, (const char *const *)ids, 100};
	struct fw_mark_leak l2 = {code, &odd, (const char *const *)ids, 100};
	struct fw_mark_trace t1, t2;
	assert_int_equal(fw_mark_accuse(&l1, 1, 1e-6, 1, &t1), FW_OK);
	assert_int_equal(fw_mark_accuse(&l2, 1, 1e-6, 1, &t2), FW_OK);
	assert_int_equal(t2.points_read, 100);
	assert_int_equal(t2.points_erased, 100);
	assert_true(t1.threshold == t2.threshold);
	for (size_t k = 0; k < t1.n; k++) {
		assert_string_equal(t1.verdict[k].member_id, t2.verdict[k].member_id);
		assert_true(t1.verdict[k].score == t2.verdict[k].score);
	}
	assert_int_equal(t2.naccused, 1);
	assert_string_equal(t2.verdict[0].member_id, ids[who]);
	/* fw_mark_threshold (for simulations) gives the trace's threshold from
	 * the biases of the symbols read alone. */
	double pr[100], z = 0.0;
	for (size_t i = 0, k = 0; i < sc.m; i++)
		if (ref.status[i] == FW_MARK_READ)
			pr[k++] = fw_mark_code_bias(code, i, ref.symbol[i]);
	assert_int_equal(fw_mark_threshold(pr, 100, 100, 1e-6, &z), FW_OK);
	assert_true(z == t1.threshold);
	assert_int_equal(fw_mark_threshold(pr, 0, 100, 1e-6, &z), FW_OK);
	assert_true(isinf(z));
	pr[3] = 1.0;
	assert_int_equal(fw_mark_threshold(pr, 100, 100, 1e-6, &z), FW_ERR_INVALID);
	assert_int_equal(fw_mark_threshold(pr, 3, 0, 1e-6, &z), FW_ERR_INVALID);
	assert_int_equal(fw_mark_threshold(pr, 3, 100, 1.0, &z), FW_ERR_INVALID);
	/* A point is read only with FW_MARK_READ: fw_mark_reading_count sees the
	 * same. */
	assert_int_equal(fw_mark_reading_count(&odd, FW_MARK_READ), 100);
	fw_mark_trace_cleanup(&t1);
	fw_mark_trace_cleanup(&t2);
	fw_mark_reading_cleanup(&ref);
	fw_mark_reading_cleanup(&odd);
	fw_mark_code_free(code);
	free_ids(ids, 100);
}

static void test_two_colluders(void **state)
{
	(void)state;
	/* 300 binary points, 100 members, ε = 1e-6, two colluders mixing their
	 * copies point by point: at least one of them accused, nobody else. With
	 * c = 2 known, the discrete biases; then the default arcsine biases with
	 * 600 points (which need more, as the code does not know c). */
	char **ids = member_ids(100, "m");
	struct scenario sc = {300, 100, 2, {2, FW_MARK_BIAS_DISCRETE}, 1e-6, 0.0, NULL};
	static const enum fw_mark_attack attacks[] = {FW_MARK_ATTACK_INTERLEAVE,
						      FW_MARK_ATTACK_MAJORITY};
	for (size_t a = 0; a < 2; a++)
		for (uint64_t seed = 0; seed < 6; seed++) {
			char version[32];
			snprintf(version, sizeof version, "two/%zu/%u", a, (unsigned)seed);
			sc.version = version;
			size_t coll[2] = {(size_t)seed, (size_t)(50 + seed)};
			assert_true(trace_check(&sc, ids, coll, 2, attacks[a], seed) >= 1);
		}
	struct scenario arc = {600, 100, 2, {FW_MARK_DEFAULT_C, FW_MARK_BIAS_ARCSINE}, 1e-6, 0.0,
			       NULL};
	for (size_t a = 0; a < 2; a++)
		for (uint64_t seed = 0; seed < 4; seed++) {
			char version[32];
			snprintf(version, sizeof version, "arc/%zu/%u", a, (unsigned)seed);
			arc.version = version;
			size_t coll[2] = {(size_t)(3 * seed), (size_t)(99 - seed)};
			assert_true(trace_check(&arc, ids, coll, 2, attacks[a], seed) >= 1);
		}
	/* q-ary points (2..4) with every attack and three colluders, 1000 points */
	struct scenario qs = {1000, 100, 4, {FW_MARK_DEFAULT_C, FW_MARK_BIAS_ARCSINE}, 1e-6, 0.0,
			      NULL};
	for (unsigned a = 0; a < FW_MARK_ATTACK_COUNT; a++) {
		char version[32];
		snprintf(version, sizeof version, "three/%u", a);
		qs.version = version;
		size_t coll[3] = {1, 2, 3};
		assert_true(trace_check(&qs, ids, coll, 3, (enum fw_mark_attack)a, a) >= 1);
	}
	free_ids(ids, 100);
}

/* The bound, by Monte Carlo. A leak whose symbols are drawn independently of
 * every member (a "colluder" outside the recipient list) makes every
 * recipient innocent. With ε = 0.1 over 300 leaks of 50 members, the
 * number of leaks with anyone accused must stay under ε·300 = 30, and for
 * each α the fraction of innocents with p-value bound ≤ α stays ≤ α. */
static void innocents_run(double erase, unsigned qmax, const char *tag)
{
	enum { N = 50, T = 300 };
	char **ids = member_ids(N + 1, "m");
	struct scenario sc = {120, N, qmax, {FW_MARK_DEFAULT_C, FW_MARK_BIAS_ARCSINE}, 0.1, erase,
			      NULL};
	size_t any = 0, total = 0, below[3] = {0};
	static const double alpha[3] = {0.01, 0.05, 0.2};
	for (unsigned t = 0; t < T; t++) {
		struct fw_mark_code *code = NULL;
		struct fw_mark_reading rd;
		struct fw_mark_trace tr;
		char version[48];
		snprintf(version, sizeof version, "innocent/%s/%u", tag, t);
		sc.version = version;
		size_t outsider = N; /* ids[N] is not a recipient */
		build_leak(&sc, &code, ids, &outsider, 1, FW_MARK_ATTACK_INTERLEAVE, t, &rd);
		struct fw_mark_leak lk = {code, &rd, (const char *const *)ids, N};
		assert_int_equal(fw_mark_accuse(&lk, 1, sc.epsilon, 1, &tr), FW_OK);
		any += tr.naccused > 0;
		for (size_t k = 0; k < tr.n; k++) {
			total++;
			for (int a = 0; a < 3; a++)
				below[a] += tr.verdict[k].log_pvalue <= log(alpha[a]);
		}
		fw_mark_trace_cleanup(&tr);
		fw_mark_reading_cleanup(&rd);
		fw_mark_code_free(code);
	}
	print_message("%s: %zu of %d leaks accused someone (bound %.0f); p ≤ .01/.05/.2: "
		      "%.4f %.4f %.4f\n",
		      tag, any, T, sc.epsilon * T, (double)below[0] / total,
		      (double)below[1] / total, (double)below[2] / total);
	assert_true((double)any <= sc.epsilon * T);
	for (int a = 0; a < 3; a++)
		assert_true((double)below[a] / total <= alpha[a]);
	free_ids(ids, N + 1);
}

static void test_innocents_bound(void **state)
{
	(void)state;
	innocents_run(0.0, 2, "binary");
	innocents_run(0.5, 4, "q-ary, half erased");
}

static void test_erasures_and_several_leaks(void **state)
{
	(void)state;
	char **ids = member_ids(50, "m");
	/* 30% of the points erased: the leaker is still named, alone. */
	struct scenario sc = {300, 50, 2, {FW_MARK_DEFAULT_C, FW_MARK_BIAS_ARCSINE}, 1e-6, 0.3,
			      "erased"};
	size_t who = 17;
	assert_int_equal(trace_check(&sc, ids, &who, 1, FW_MARK_ATTACK_INTERLEAVE, 1), 1);

	/* Two leaked artifacts of 20 points each: neither alone can name anyone
	 * among 50 at ε = 1e-6 (2^20 < 50/ε), both together name the leaker. */
	struct scenario a = {20, 50, 2, {1, FW_MARK_BIAS_DISCRETE}, 1e-6, 0.0, "ADV/poc/1"};
	struct scenario b = a;
	b.version = "ADV/detection/1";
	struct fw_mark_code *ca = NULL, *cb = NULL;
	struct fw_mark_reading ra, rb;
	build_leak(&a, &ca, ids, &who, 1, FW_MARK_ATTACK_INTERLEAVE, 1, &ra);
	build_leak(&b, &cb, ids, &who, 1, FW_MARK_ATTACK_INTERLEAVE, 2, &rb);
	struct fw_mark_leak lk[2] = {{ca, &ra, (const char *const *)ids, 50},
				     {cb, &rb, (const char *const *)ids, 50}};
	struct fw_mark_trace tr;
	assert_int_equal(fw_mark_accuse(&lk[0], 1, 1e-6, 1, &tr), FW_OK);
	assert_false(tr.can_accuse);
	assert_int_equal(tr.naccused, 0);
	fw_mark_trace_cleanup(&tr);
	assert_int_equal(fw_mark_accuse(lk, 2, 1e-6, 1, &tr), FW_OK);
	assert_true(tr.can_accuse);
	assert_int_equal(tr.points_read, 40);
	assert_int_equal(tr.naccused, 1);
	assert_string_equal(tr.verdict[0].member_id, ids[17]);
	assert_true(tr.verdict[0].score == 40.0);
	fw_mark_trace_cleanup(&tr);

	/* Recipients differ per leak: a member that received one leak is scored
	 * on it alone, against its own (higher) bar. */
	struct fw_mark_leak part[2] = {{ca, &ra, (const char *const *)ids, 50},
				       {cb, &rb, (const char *const *)ids, 25}};
	assert_int_equal(fw_mark_accuse(part, 2, 1e-6, 1, &tr), FW_OK);
	assert_int_equal(tr.n, 50);
	const struct fw_mark_verdict *v17 = verdict_of(&tr, ids[17]);
	const struct fw_mark_verdict *v40 = verdict_of(&tr, ids[40]);
	assert_int_equal(v17->leaks, 3);
	assert_int_equal(v40->leaks, 1);
	assert_true(v17->accused);
	assert_false(v40->accused);
	assert_true(!isfinite(v40->threshold) || v40->threshold > 20.0);
	fw_mark_trace_cleanup(&tr);

	/* The same version twice is refused (its points are not independent). */
	struct fw_mark_leak same[2] = {{ca, &ra, (const char *const *)ids, 50},
				       {ca, &ra, (const char *const *)ids, 50}};
	assert_int_equal(fw_mark_accuse(same, 2, 1e-6, 1, &tr), FW_ERR_INVALID);
	/* A member listed twice for one leak, bad ε, bad symbols are refused. */
	const char *dup[] = {"x", "y", "x"};
	struct fw_mark_leak d = {ca, &ra, dup, 3};
	assert_int_equal(fw_mark_accuse(&d, 1, 1e-6, 1, &tr), FW_ERR_INVALID);
	assert_int_equal(fw_mark_accuse(lk, 1, 0.0, 1, &tr), FW_ERR_INVALID);
	ra.symbol[0] = 5;
	assert_int_equal(fw_mark_accuse(lk, 1, 1e-6, 1, &tr), FW_ERR_INVALID);
	/* Nothing read: nobody accused. */
	for (size_t i = 0; i < ra.m; i++)
		ra.status[i] = FW_MARK_AMBIGUOUS;
	assert_int_equal(fw_mark_accuse(lk, 1, 1e-6, 1, &tr), FW_OK);
	assert_int_equal(tr.naccused, 0);
	assert_int_equal(tr.points_erased, 20);
	assert_false(tr.can_accuse);
	fw_mark_trace_cleanup(&tr);
	fw_mark_reading_cleanup(&ra);
	fw_mark_reading_cleanup(&rb);
	fw_mark_code_free(ca);
	fw_mark_code_free(cb);
	free_ids(ids, 50);
}

static void test_threads_same_result(void **state)
{
	(void)state;
	char **ids = member_ids(1000, "m");
	struct scenario sc = {200, 1000, 3, {FW_MARK_DEFAULT_C, FW_MARK_BIAS_ARCSINE}, 1e-6, 0.1,
			      "threads"};
	struct fw_mark_code *code = NULL;
	struct fw_mark_reading rd;
	size_t coll[2] = {5, 500};
	build_leak(&sc, &code, ids, coll, 2, FW_MARK_ATTACK_MAJORITY, 3, &rd);
	struct fw_mark_leak lk = {code, &rd, (const char *const *)ids, 1000};
	struct fw_mark_trace t1, t4;
	assert_int_equal(fw_mark_accuse(&lk, 1, 1e-6, 1, &t1), FW_OK);
	assert_int_equal(fw_mark_accuse(&lk, 1, 1e-6, 4, &t4), FW_OK);
	assert_int_equal(t1.n, t4.n);
	for (size_t k = 0; k < t1.n; k++) {
		assert_string_equal(t1.verdict[k].member_id, t4.verdict[k].member_id);
		assert_true(t1.verdict[k].score == t4.verdict[k].score);
		assert_true(t1.verdict[k].log_pvalue == t4.verdict[k].log_pvalue);
	}
	fw_mark_trace_cleanup(&t1);
	fw_mark_trace_cleanup(&t4);
	fw_mark_reading_cleanup(&rd);
	fw_mark_code_free(code);
	free_ids(ids, 1000);
}

/* From a leaked file to a name: render, mix, extract, accuse. */
static void test_end_to_end(void **state)
{
	(void)state;
	struct fw_mark_template *t = parse_ok(poc);
	struct fw_mark_code *c = code_for(t, key1, "CVE-2025-0001/poc/1");
	char **ids = member_ids(20, "m");
	char *copy = member_copy(t, c, ids[7]);
	char *leak = replace_all(copy, "    ", "\t");
	struct fw_mark_reading rd;
	extract(t, leak, &rd);
	struct fw_mark_leak lk = {c, &rd, (const char *const *)ids, 20};
	struct fw_mark_trace tr;
	/* 25 points, 20 recipients: at ε = 1e-6 this template is too small (the
	 * capacity check says so), at ε = 1e-2 it names the leaker. */
	assert_int_equal(fw_mark_accuse(&lk, 1, 1e-2, 1, &tr), FW_OK);
	print_message("end to end: %zu read, Z %.2f, top %s %.2f\n", tr.points_read, tr.threshold,
		      tr.verdict[0].member_id, tr.verdict[0].score);
	for (size_t k = 0; k < tr.n; k++)
		if (tr.verdict[k].accused)
			assert_string_equal(tr.verdict[k].member_id, ids[7]);
	assert_string_equal(tr.verdict[0].member_id, ids[7]);
	fw_mark_trace_cleanup(&tr);
	fw_mark_reading_cleanup(&rd);
	free(copy);
	free(leak);
	free_ids(ids, 20);
	fw_mark_code_free(c);
	fw_mark_template_free(t);
}

/* ---- attacks and capacity ------------------------------------------------- */

static void test_attacks(void **state)
{
	(void)state;
	uint8_t a[] = {0, 1, 2, 3, 0}, b[] = {0, 2, 2, 1, 1}, c[] = {0, 2, 3, 1, 2};
	const uint8_t *sym[] = {a, b, c};
	uint8_t out[5], again[5];
	assert_int_equal(fw_mark_collude(FW_MARK_ATTACK_ALL_FIRST, sym, 3, 5, 1, out), FW_OK);
	assert_memory_equal(out, ((uint8_t[]){0, 1, 2, 1, 0}), 5);
	assert_int_equal(fw_mark_collude(FW_MARK_ATTACK_ALL_LAST, sym, 3, 5, 1, out), FW_OK);
	assert_memory_equal(out, ((uint8_t[]){0, 2, 3, 3, 2}), 5);
	assert_int_equal(fw_mark_collude(FW_MARK_ATTACK_MAJORITY, sym, 3, 5, 1, out), FW_OK);
	assert_int_equal(out[1], 2);
	assert_int_equal(out[2], 2);
	assert_int_equal(out[3], 1);
	assert_int_equal(fw_mark_collude(FW_MARK_ATTACK_MINORITY, sym, 3, 5, 1, out), FW_OK);
	assert_int_equal(out[1], 1);
	assert_int_equal(out[2], 3);
	assert_int_equal(out[3], 3);
	/* the marking assumption, and determinism in the seed */
	for (unsigned k = 0; k < FW_MARK_ATTACK_COUNT; k++) {
		assert_int_equal(fw_mark_collude((enum fw_mark_attack)k, sym, 3, 5, 9, out), FW_OK);
		assert_int_equal(fw_mark_collude((enum fw_mark_attack)k, sym, 3, 5, 9, again), FW_OK);
		assert_memory_equal(out, again, 5);
		for (int i = 0; i < 5; i++)
			assert_true(out[i] == a[i] || out[i] == b[i] || out[i] == c[i]);
		assert_string_not_equal(fw_mark_attack_name((enum fw_mark_attack)k), "?");
	}
	assert_int_equal(fw_mark_collude(FW_MARK_ATTACK_COUNT, sym, 3, 5, 9, out), FW_ERR_INVALID);
}

static void test_capacity(void **state)
{
	(void)state;
	unsigned q[300];
	for (int i = 0; i < 300; i++)
		q[i] = 2;
	struct fw_mark_capacity_opts o = {100, 1e-6, 0.0, 60};
	struct fw_mark_params disc = {2, FW_MARK_BIAS_DISCRETE};
	struct fw_mark_capacity r1, r2;
	assert_int_equal(fw_mark_capacity(q, 300, &disc, &o, &r1), FW_OK);
	print_message("capacity 300 binary, discrete c=2, n=100: %u (c=2 %.2f)\n", r1.colluders,
		      r1.detect[2]);
	assert_true(r1.colluders >= 2);
	assert_true(r1.single_leaker);
	assert_true(r1.detect[1] >= 0.99 && r1.detect[2] >= 0.99);
	/* deterministic */
	assert_int_equal(fw_mark_capacity(q, 300, &disc, &o, &r2), FW_OK);
	assert_int_equal(r1.colluders, r2.colluders);
	assert_true(r1.detect[2] == r2.detect[2]);
	/* a template too small to name even one leaker is flagged */
	struct fw_mark_params prm;
	fw_mark_params_init(&prm);
	assert_int_equal(fw_mark_capacity(q, 12, &prm, &o, &r1), FW_OK);
	assert_int_equal(r1.colluders, 0);
	assert_false(r1.single_leaker);
	/* erasures lower the capacity, never raise it */
	o.erasure_rate = 0.5;
	assert_int_equal(fw_mark_capacity(q, 300, &disc, &o, &r2), FW_OK);
	assert_true(r2.colluders <= 2);
	o.erasure_rate = 1.0;
	assert_int_equal(fw_mark_capacity(q, 300, &disc, &o, &r2), FW_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_points_and_render),
		cmocka_unit_test(test_parse_escapes),
		cmocka_unit_test(test_parse_multiline_and_whitespace),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_prf),
		cmocka_unit_test(test_code_determinism),
		cmocka_unit_test(test_discrete_biases),
		cmocka_unit_test(test_symbols_follow_biases),
		cmocka_unit_test(test_innocent_score_moments),
		cmocka_unit_test(test_render_members),
		cmocka_unit_test(test_extract_clean_and_reformatted),
		cmocka_unit_test(test_extract_partial_and_edited),
		cmocka_unit_test(test_extract_mixed),
		cmocka_unit_test(test_extract_unreadable),
		cmocka_unit_test(test_extract_prose_and_combined),
		cmocka_unit_test(test_single_leaker),
		cmocka_unit_test(test_collusion_poc),
		cmocka_unit_test(test_single_leaker_template),
		cmocka_unit_test(test_erasures_score_zero),
		cmocka_unit_test(test_two_colluders),
		cmocka_unit_test(test_innocents_bound),
		cmocka_unit_test(test_erasures_and_several_leaks),
		cmocka_unit_test(test_threads_same_result),
		cmocka_unit_test(test_end_to_end),
		cmocka_unit_test(test_attacks),
		cmocka_unit_test(test_capacity),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
