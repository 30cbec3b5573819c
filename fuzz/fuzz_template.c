/* libFuzzer target for the template language and extraction: any bytes must
 * parse or be refused with a positioned error, never crash, leak or read out
 * of bounds. A template that parses must render; extraction from a clean
 * copy may erase points but never misread one; extraction from arbitrary
 * text (the input itself, a damaged copy) must stay in bounds; a trace over
 * the result must work. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "crypto/crypto.h"
#include "mark/mark.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reading(const struct fw_mark_reading *rd, size_t m, const uint8_t *want)
{
	size_t total = 0;
	if (rd->m != m)
		abort();
	for (int s = 0; s < FW_MARK_STATUS_COUNT; s++)
		total += fw_mark_reading_count(rd, (enum fw_mark_status)s);
	if (total != m)
		abort();
	if (!want)
		return;
	for (size_t i = 0; i < m; i++)
		if (rd->status[i] == FW_MARK_READ && rd->symbol[i] != want[i])
			abort(); /* a clean copy was misread */
}

/* Renders sym, extracts it back (no misreads allowed), then a damaged copy
 * (every 7th byte dropped; anything may be read, in bounds). */
static void round_trip(const struct fw_mark_template *t, const uint8_t *sym, size_t m)
{
	struct fw_buf b;
	struct fw_mark_reading rd;
	fw_buf_init(&b, FW_MARK_MAX_RENDER_BYTES);
	if (fw_mark_render(t, sym, m, &b) != FW_OK)
		abort();
	const char *copy = b.data ? (const char *)b.data : "";
	if (fw_mark_extract(t, copy, b.len, &rd) != FW_OK)
		abort();
	check_reading(&rd, m, sym);
	fw_mark_reading_cleanup(&rd);
	size_t k = 0;
	for (size_t i = 0; i < b.len; i++)
		if (i % 7 != 3)
			b.data[k++] = b.data[i];
	if (fw_mark_extract(t, copy, k, &rd) != FW_OK)
		abort();
	check_reading(&rd, m, NULL);
	fw_mark_reading_cleanup(&rd);
	fw_buf_cleanup(&b);
}

/* A code over the template's alphabet, two colluders, a trace among three. */
static void trace(const struct fw_mark_template *t, const char *text, size_t n)
{
	static const uint8_t key[FW_MARK_KEY_BYTES] = {42};
	size_t m = fw_mark_template_npoints(t);
	unsigned q[FW_MARK_MAX_POINTS];
	struct fw_mark_params prm;
	struct fw_mark_code *c = NULL;
	struct fw_mark_reading rd;
	struct fw_mark_trace tr;
	fw_mark_template_alphabet(t, q, m);
	fw_mark_params_init(&prm);
	if (fw_mark_code_new(key, "fuzz/poc/1", q, m, &prm, &c) != FW_OK)
		abort();
	if (fw_mark_extract(t, text, n, &rd) != FW_OK)
		abort();
	check_reading(&rd, m, NULL);
	static const char *const members[] = {"a", "b", "c"};
	struct fw_mark_leak lk = {c, &rd, members, 3};
	if (fw_mark_accuse(&lk, 1, FW_MARK_DEFAULT_EPSILON, 1, &tr) != FW_OK || tr.n != 3)
		abort();
	for (size_t j = 0; j < tr.n; j++)
		if (tr.verdict[j].accused && !(tr.verdict[j].score >= tr.verdict[j].threshold))
			abort();
	fw_mark_trace_cleanup(&tr);
	fw_mark_reading_cleanup(&rd);
	fw_mark_code_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (fw_crypto_init() != FW_OK)
			abort();
		ready = 1;
	}
	/* A copy of exactly size bytes, so that ASan catches a read past the end. */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	struct fw_mark_template *t = NULL;
	struct fw_mark_error e;
	enum fw_err r = fw_mark_parse(text, size, &t, &e);
	if ((r == FW_OK) != (t != NULL))
		abort();
	if (r != FW_OK) {
		if (e.line < 1 || e.col < 1 || !memchr(e.message, '\0', sizeof e.message) ||
		    e.message[0] == '\0')
			abort();
		free(text);
		return 0;
	}
	size_t m = fw_mark_template_npoints(t);
	uint8_t *sym = calloc(m ? m : 1, 1);
	if (!sym)
		abort();
	round_trip(t, sym, m);
	for (size_t i = 0; i < m; i++) {
		struct fw_mark_point_info pi;
		fw_mark_template_point(t, i, &pi);
		if (pi.q < 2 || pi.q > FW_MARK_MAX_ALTERNATIVES || pi.uses < 1 || pi.line < 1)
			abort();
		sym[i] = (uint8_t)((i * 7 + size) % pi.q);
	}
	round_trip(t, sym, m);
	if (m > 0)
		trace(t, text, size);
	free(sym);
	fw_mark_template_free(t);
	free(text);
	return 0;
}
