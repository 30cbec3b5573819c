/* Tables, key/value lines and JSON output; see out.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/http.h"
#include "cli/out.h"

#define CELL_BYTES 1024
#define MAX_COLS 16
#define MAX_ROWS 1000000

struct fw_cli_table {
	size_t ncols;
	const char *const *heads;
	size_t nrows, cap;
	char **cells; /* nrows * ncols, owned */
};

void fw_cli_print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

const char *fw_cli_jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

void fw_cli_json_text(const json_t *v, char *out, size_t n)
{
	if (n == 0)
		return;
	out[0] = '\0';
	if (!v || json_is_null(v)) {
		snprintf(out, n, "-");
	} else if (json_is_string(v)) {
		snprintf(out, n, "%s", *json_string_value(v) ? json_string_value(v) : "-");
	} else if (json_is_true(v) || json_is_false(v)) {
		snprintf(out, n, "%s", json_is_true(v) ? "yes" : "no");
	} else if (json_is_integer(v)) {
		snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(out, n, "%g", json_real_value(v));
	} else if (json_is_array(v)) {
		size_t i, used = 0;
		json_t *e;
		json_array_foreach(v, i, e) {
			char cell[CELL_BYTES];
			fw_cli_json_text(e, cell, sizeof cell);
			int w = snprintf(out + used, n - used, "%s%s", i ? "," : "", cell);
			if (w < 0 || (size_t)w >= n - used)
				break;
			used += (size_t)w;
		}
		if (json_array_size(v) == 0)
			snprintf(out, n, "-");
	} else {
		char *s = json_dumps(v, JSON_COMPACT);
		snprintf(out, n, "%s", s ? s : "?");
		free(s);
	}
	fw_cli_sanitize(out, false);
}

size_t fw_cli_text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

struct fw_cli_table *fw_cli_table_new(size_t ncols, const char *const *heads)
{
	if (ncols == 0 || ncols > MAX_COLS)
		return NULL;
	struct fw_cli_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->ncols = ncols;
	t->heads = heads;
	return t;
}

enum fw_err fw_cli_table_add(struct fw_cli_table *t, const char *const *cells)
{
	if (t->nrows >= MAX_ROWS)
		return fw_err_set(FW_ERR_TOO_LARGE, "too many rows");
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **p = realloc(t->cells, cap * t->ncols * sizeof *p);
		if (!p)
			return FW_ERR_NOMEM;
		t->cells = p;
		t->cap = cap;
	}
	char **row = t->cells + t->nrows * t->ncols;
	for (size_t c = 0; c < t->ncols; c++) {
		row[c] = strdup(cells[c] ? cells[c] : "-");
		if (!row[c]) {
			while (c > 0)
				free(row[--c]);
			return FW_ERR_NOMEM;
		}
		fw_cli_sanitize(row[c], false);
	}
	t->nrows++;
	return FW_OK;
}

static void pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

void fw_cli_table_print(const struct fw_cli_table *t, FILE *f)
{
	size_t width[MAX_COLS];
	for (size_t c = 0; c < t->ncols; c++) {
		width[c] = fw_cli_text_width(t->heads[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t w = fw_cli_text_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = r == 0 ? t->heads[c] : t->cells[(r - 1) * t->ncols + c];
			fputs(s, f);
			if (c + 1 < t->ncols)
				pad(f, width[c] - fw_cli_text_width(s) + 2);
		}
		fputc('\n', f);
	}
}

void fw_cli_table_free(struct fw_cli_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

enum fw_err fw_cli_print_table(const json_t *rows, const struct fw_cli_col *cols, size_t ncols,
			       const char *empty)
{
	enum fw_err r = FW_OK;
	const char *heads[MAX_COLS];
	if (!json_is_array(rows))
		return fw_err_set(FW_ERR_INVALID, "the server's answer has no list where one was expected");
	if (json_array_size(rows) == 0) {
		fprintf(stderr, "%s\n", empty);
		return FW_OK;
	}
	if (ncols > MAX_COLS)
		return FW_ERR_INTERNAL;
	for (size_t c = 0; c < ncols; c++)
		heads[c] = cols[c].head;
	struct fw_cli_table *t = fw_cli_table_new(ncols, heads);
	if (!t)
		return FW_ERR_NOMEM;
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		char cells[MAX_COLS][CELL_BYTES];
		const char *p[MAX_COLS];
		for (size_t c = 0; c < ncols; c++) {
			if (cols[c].render)
				cols[c].render(row, cells[c], sizeof cells[c]);
			else
				fw_cli_json_text(json_object_get(row, cols[c].key), cells[c], sizeof cells[c]);
			p[c] = cells[c];
		}
		if ((r = fw_cli_table_add(t, p)) != FW_OK)
			goto out;
	}
	fw_cli_table_print(t, stdout);
out:
	fw_cli_table_free(t);
	return r;
}

void fw_cli_print_object(const json_t *obj)
{
	const char *key;
	json_t *v;
	size_t width = 0;
	json_object_foreach((json_t *)obj, key, v) {
		size_t w = fw_cli_text_width(key);
		if (w > width)
			width = w;
	}
	json_object_foreach((json_t *)obj, key, v) {
		char k[128];
		char text[4096];
		snprintf(k, sizeof k, "%s", key);
		fw_cli_sanitize(k, false);
		fw_cli_json_text(v, text, sizeof text);
		printf("%s:", k);
		pad(stdout, width - fw_cli_text_width(k) + 1);
		printf("%s\n", text);
	}
}
