/* Unit tests of src/base: errors, buffers, time, durations, the clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/time.h"
#include "base/utf8.h"

static void test_err_table(void **state)
{
	(void)state;
	assert_int_equal(fw_err_http_status(FW_ERR_NOT_FOUND), 404);
	assert_int_equal(fw_err_http_status(FW_ERR_UNAUTHORIZED), 401);
	assert_int_equal(fw_err_http_status(FW_ERR_FORBIDDEN), 403);
	assert_int_equal(fw_err_http_status(FW_ERR_TOO_LARGE), 413);
	assert_int_equal(fw_err_http_status(FW_ERR_INVALID), 400);
	assert_int_equal(fw_err_http_status(FW_ERR_EXISTS), 409);
	assert_int_equal(fw_err_http_status(FW_ERR_STORE), 500);
	assert_string_equal(fw_err_code(FW_ERR_INVALID), "invalid_argument");
	assert_string_equal(fw_err_code(FW_ERR_NOT_FOUND), "not_found");
	/* an unknown value is an internal error, not a crash */
	assert_int_equal(fw_err_http_status((enum fw_err)-999), 500);
	assert_int_equal(fw_err_set(FW_ERR_INVALID, "field %s", "x"), FW_ERR_INVALID);
	assert_string_equal(fw_err_detail(), "field x");
	/* wrapping the current detail in more context */
	assert_int_equal(fw_err_set(FW_ERR_INVALID, "advisory a: %s", fw_err_detail()), FW_ERR_INVALID);
	assert_string_equal(fw_err_detail(), "advisory a: field x");
	fw_err_clear();
	assert_string_equal(fw_err_detail(), "");
}

static void test_buf_limit(void **state)
{
	(void)state;
	struct fw_buf b;
	fw_buf_init(&b, 10);
	assert_string_equal(fw_buf_str(&b), "");
	assert_int_equal(fw_buf_puts(&b, "hello"), FW_OK);
	assert_int_equal(fw_buf_printf(&b, "%d", 12345), FW_OK);
	assert_int_equal(b.len, 10);
	assert_string_equal(fw_buf_str(&b), "hello12345");
	assert_int_equal(fw_buf_append(&b, "x", 1), FW_ERR_TOO_LARGE);
	assert_int_equal(fw_buf_printf(&b, "%s", "y"), FW_ERR_TOO_LARGE);
	assert_int_equal(b.len, 10); /* a refused append changes nothing */
	char *s = fw_buf_steal(&b);
	assert_string_equal(s, "hello12345");
	assert_null(b.data);
	free(s);
	fw_buf_cleanup(&b);
}

static void test_time_parse_format(void **state)
{
	(void)state;
	int64_t t;
	char out[FW_TIME_BYTES];
	assert_int_equal(fw_time_parse("2025-07-08T17:00:00Z", &t), FW_OK);
	assert_int_equal(t, 1751994000);
	fw_time_format(t, out);
	assert_string_equal(out, "2025-07-08T17:00:00Z");
	assert_int_equal(fw_time_parse("2025-07-08T19:00:00+02:00", &t), FW_OK);
	assert_int_equal(t, 1751994000);
	assert_int_equal(fw_time_parse("2025-07-08T17:00:00.123Z", &t), FW_OK);
	assert_int_equal(t, 1751994000);
	assert_int_equal(fw_time_parse("2024-02-29T00:00:00Z", &t), FW_OK);
	fw_time_format(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	fw_time_format(4102444799, out);
	assert_string_equal(out, "2099-12-31T23:59:59Z");
	const char *bad[] = {"", "2025-07-08", "2025-07-08T17:00:00", "2025-13-01T00:00:00Z",
			     "2025-02-29T00:00:00Z", "2025-07-08T24:00:00Z", "2025-07-08T17:00:00Zjunk",
			     "1969-12-31T23:59:59Z", "2025-07-08T17:00:00+2:00", "abcd-07-08T17:00:00Z"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(fw_time_parse(bad[i], &t), FW_ERR_INVALID);
}

static void test_duration(void **state)
{
	(void)state;
	int64_t d;
	char out[FW_TIME_BYTES];
	assert_int_equal(fw_duration_parse("14d", &d), FW_OK);
	assert_int_equal(d, 14 * 86400);
	assert_int_equal(fw_duration_parse("-5d", &d), FW_OK);
	assert_int_equal(d, -5 * 86400);
	assert_int_equal(fw_duration_parse("1d12h30m5s", &d), FW_OK);
	assert_int_equal(d, 86400 + 12 * 3600 + 30 * 60 + 5);
	assert_int_equal(fw_duration_parse("2w", &d), FW_OK);
	assert_int_equal(d, 14 * 86400);
	fw_duration_format(-14 * 86400, out);
	assert_string_equal(out, "-14d");
	fw_duration_format(86400 + 12 * 3600, out);
	assert_string_equal(out, "1d12h");
	fw_duration_format(0, out);
	assert_string_equal(out, "0s");
	const char *bad[] = {"", "-", "d", "14", "14x", "1.5d", "99999999999999d", "1d-2h"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(fw_duration_parse(bad[i], &d), FW_ERR_INVALID);
}

static int woken;
static void on_move(void *arg)
{
	(void)arg;
	woken++;
}

static void test_clock(void **state)
{
	(void)state;
	/* the real clock refuses to move */
	assert_false(fw_clock_is_simulated());
	assert_int_equal(fw_clock_advance(10), FW_ERR_STATE);
	fw_clock_simulate(1000);
	assert_int_equal(fw_clock_listen(on_move, NULL), FW_OK);
	assert_int_equal(fw_clock_now(), 1000);
	assert_int_equal(fw_clock_advance(86400), FW_OK);
	assert_int_equal(fw_clock_now(), 87400);
	assert_int_equal(woken, 1);
	assert_int_equal(fw_clock_set(500), FW_ERR_INVALID); /* never backwards */
	assert_int_equal(fw_clock_now(), 87400);
	assert_int_equal(fw_clock_set(90000), FW_OK);
	assert_int_equal(woken, 2);
}

static void test_utf8(void **state)
{
	(void)state;
	assert_true(fw_utf8_valid("héllo – ok", strlen("héllo – ok")));
	assert_true(fw_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
	assert_false(fw_utf8_valid("\xc3", 1));
	assert_false(fw_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	assert_false(fw_utf8_valid("\xe0\x80\xaf", 3));     /* overlong '/' */
	assert_false(fw_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(fw_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	assert_false(fw_utf8_valid("\xff", 1));
	assert_true(fw_utf8_valid("a\0b", 3));
	assert_false(fw_utf8_is_text("a\0b", 3));
	assert_true(fw_utf8_is_text("a b", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_table),   cmocka_unit_test(test_buf_limit),
		cmocka_unit_test(test_time_parse_format), cmocka_unit_test(test_duration),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
