/* Unit tests of the CLI's pure parts: the trusted comment parser, slugs,
 * UTF-8, media types, numbers, URL escaping, the option parser and tables.
 * The CLI's files are compiled in here since the CLI is not in fwcore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli/args.c"
#include "cli/http.c"
#include "cli/out.c"
#include "cli/util.c"

/* http.c asks main.c for the token; none here. */
enum fw_err fw_cli_token(struct fw_cli *cli, const char **out)
{
	(void)cli;
	*out = "";
	return FW_OK;
}

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_tc_ok(void **state)
{
	(void)state;
	struct fw_cli_tc t;
	assert_int_equal(fw_cli_tc_parse("forewarn advisory=sp-rce kind=poc version=3 member=acme sha256=" H64,
					 &t), FW_OK);
	assert_string_equal(t.advisory, "sp-rce");
	assert_string_equal(t.kind, "poc");
	assert_int_equal(t.version, 3);
	assert_string_equal(t.member, "acme");
	assert_string_equal(t.sha256, H64);
	/* extra fields (a log index, say) are ignored; order does not matter; hex is lowered */
	assert_int_equal(fw_cli_tc_parse("forewarn member=acme log=7 sha256=" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
					 " kind=poc version=1 advisory=a", &t), FW_OK);
	assert_string_equal(t.sha256, H64);
}

static void test_tc_bad(void **state)
{
	(void)state;
	struct fw_cli_tc t;
	const char *bad[] = {
		"",
		"forewarn",
		"other advisory=a kind=poc version=1 member=m sha256=" H64,
		"forewarn kind=poc version=1 member=m sha256=" H64,             /* no advisory */
		"forewarn advisory=a kind=poc version=1 member=m",                /* no sha256 */
		"forewarn advisory=b advisory=a kind=poc version=1 member=m sha256=" H64,
		"forewarn advisory=../x kind=poc version=1 member=m sha256=" H64,
		"forewarn advisory=a kind=Poc version=1 member=m sha256=" H64,
		"forewarn advisory=a kind=poc version=0 member=m sha256=" H64,
		"forewarn advisory=a kind=poc version=-1 member=m sha256=" H64,
		"forewarn advisory=a kind=poc version=1x member=m sha256=" H64,
		"forewarn advisory=a kind=poc version=1 member=m sha256=abc",
		"forewarn advisory=a/b kind=poc version=1 member=m sha256=" H64,
		"forewarn advisory=a kind=poc version=1 member=m sha256=" H64 " junk",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(fw_cli_tc_parse(bad[i], &t), FW_ERR_INVALID);
}

static void test_slug(void **state)
{
	(void)state;
	assert_true(fw_cli_is_slug("sp-rce"));
	assert_true(fw_cli_is_slug("0day"));
	assert_false(fw_cli_is_slug(""));
	assert_false(fw_cli_is_slug(NULL));
	assert_false(fw_cli_is_slug("."));
	assert_false(fw_cli_is_slug(".."));
	assert_false(fw_cli_is_slug("-x"));
	assert_false(fw_cli_is_slug("a/b"));
	assert_false(fw_cli_is_slug("Acme"));
	assert_false(fw_cli_is_slug("a b"));
	char long_id[80];
	memset(long_id, 'a', sizeof long_id);
	long_id[63] = '\0';
	assert_true(fw_cli_is_slug(long_id));
	long_id[63] = 'a';
	long_id[64] = '\0';
	assert_false(fw_cli_is_slug(long_id));
	assert_true(fw_cli_is_kind("poc"));
	assert_false(fw_cli_is_kind("exploit"));
}

static void test_media_type(void **state)
{
	(void)state;
	assert_string_equal(fw_cli_guess_media_type("a/b/poc.md"), "text/markdown");
	assert_string_equal(fw_cli_guess_media_type("x.JSON"), "application/json");
	assert_string_equal(fw_cli_guess_media_type("notes.txt"), "text/plain");
	assert_string_equal(fw_cli_guess_media_type("README"), "text/plain");
	assert_string_equal(fw_cli_guess_media_type("poc.py"), "application/octet-stream");
	assert_string_equal(fw_cli_guess_media_type("dir.md/blob"), "text/plain");
}

static void test_parse_int(void **state)
{
	(void)state;
	long long v;
	assert_int_equal(fw_cli_parse_int("42", 1, 100, &v), FW_OK);
	assert_int_equal(v, 42);
	assert_int_equal(fw_cli_parse_int("0", 1, 100, &v), FW_ERR_INVALID);
	assert_int_equal(fw_cli_parse_int("4x", 1, 100, &v), FW_ERR_INVALID);
	assert_int_equal(fw_cli_parse_int("", 1, 100, &v), FW_ERR_INVALID);
	assert_int_equal(fw_cli_parse_int(" 4", 1, 100, &v), FW_ERR_INVALID);
	assert_int_equal(fw_cli_parse_int("99999999999999999999", 1, 100, &v), FW_ERR_INVALID);
}

static void test_escape(void **state)
{
	(void)state;
	struct fw_buf b;
	fw_buf_init(&b, 1024);
	assert_int_equal(fw_cli_path(&b, "/api/v1/members/", "a b/../c", "/x"), FW_OK);
	assert_string_equal(fw_buf_str(&b), "/api/v1/members/a%20b%2F..%2Fc/x");
	fw_buf_reset(&b);
	assert_int_equal(fw_buf_puts(&b, "/p"), FW_OK);
	assert_int_equal(fw_cli_query(&b, "comment", "a&b=c ü"), FW_OK);
	assert_int_equal(fw_cli_query(&b, "after", "12"), FW_OK);
	assert_string_equal(fw_buf_str(&b), "/p?comment=a%26b%3Dc%20%C3%BC&after=12");
	fw_buf_cleanup(&b);
	char s[] = "a\x1b[31mb\nc\x7f";
	fw_cli_sanitize(s, false);
	assert_string_equal(s, "a [31mb c ");
}

static const struct fw_cli_opt opts[] = {
	{"id", "ID", false, true, ""},
	{"tag", "T", true, false, ""},
	{"flag", NULL, false, false, ""},
	{NULL, NULL, false, false, NULL},
};
static const struct fw_cli_spec spec = {"test cmd", "X", 0, 1, opts, ""};

static int parse(struct fw_cli *cli, struct fw_cli_args *a, int argc, const char **argv)
{
	return fw_cli_args_parse(cli, &spec, argc, (char **)argv, a);
}

static void test_args(void **state)
{
	(void)state;
	struct fw_cli cli;
	struct fw_cli_args a;
	memset(&cli, 0, sizeof cli);
	const char *ok[] = {"cmd", "--id", "x", "--tag=a", "pos", "--tag", "b", "--flag", "--json", "--url", "http://h/"};
	assert_int_equal(parse(&cli, &a, 11, ok), FW_CLI_CONTINUE);
	assert_string_equal(fw_cli_arg(&a, "id"), "x");
	const char *tags[4];
	assert_int_equal(fw_cli_arg_all(&a, "tag", tags, 4), 2);
	assert_string_equal(tags[0], "a");
	assert_string_equal(tags[1], "b");
	assert_true(fw_cli_flag(&a, "flag"));
	assert_int_equal(a.npos, 1);
	assert_string_equal(a.pos[0], "pos");
	assert_true(cli.json);
	assert_string_equal(cli.url, "http://h");
	const char *dash[] = {"cmd", "--id", "x", "-5d"};
	assert_int_equal(parse(&cli, &a, 4, dash), FW_CLI_CONTINUE);
	assert_string_equal(a.pos[0], "-5d");
	const char *after_ddash[] = {"cmd", "--id", "x", "--", "--flag"};
	assert_int_equal(parse(&cli, &a, 5, after_ddash), FW_CLI_CONTINUE);
	assert_string_equal(a.pos[0], "--flag");
	assert_false(fw_cli_flag(&a, "flag"));

	const char *missing[] = {"cmd"};
	const char *twice[] = {"cmd", "--id", "x", "--id", "y"};
	const char *unknown[] = {"cmd", "--id", "x", "--nope"};
	const char *novalue[] = {"cmd", "--id"};
	const char *flagvalue[] = {"cmd", "--id", "x", "--flag=1"};
	const char *extra[] = {"cmd", "--id", "x", "p1", "p2"};
	assert_int_equal(parse(&cli, &a, 1, missing), FW_CLI_EXIT_USAGE);
	assert_int_equal(parse(&cli, &a, 5, twice), FW_CLI_EXIT_USAGE);
	assert_int_equal(parse(&cli, &a, 4, unknown), FW_CLI_EXIT_USAGE);
	assert_int_equal(parse(&cli, &a, 2, novalue), FW_CLI_EXIT_USAGE);
	assert_int_equal(parse(&cli, &a, 4, flagvalue), FW_CLI_EXIT_USAGE);
	assert_int_equal(parse(&cli, &a, 5, extra), FW_CLI_EXIT_USAGE);
}

static void test_table(void **state)
{
	(void)state;
	const char *heads[] = {"ID", "NAME"};
	struct fw_cli_table *t = fw_cli_table_new(2, heads);
	const char *r1[] = {"acme", "Äcme Corp"};
	const char *r2[] = {"b", "x\ty\x1b"};
	assert_non_null(t);
	assert_int_equal(fw_cli_table_add(t, r1), FW_OK);
	assert_int_equal(fw_cli_table_add(t, r2), FW_OK);
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof buf, "w");
	fw_cli_table_print(t, f);
	fclose(f);
	assert_string_equal(buf, "ID    NAME\nacme  Äcme Corp\nb     x\ty \n");
	fw_cli_table_free(t);
	assert_int_equal(fw_cli_text_width("Äcme"), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tc_ok),    cmocka_unit_test(test_tc_bad),     cmocka_unit_test(test_slug),
		cmocka_unit_test(test_media_type), cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_escape),   cmocka_unit_test(test_args),       cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
