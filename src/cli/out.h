/* Output: the server's JSON for --json, aligned tables and "key: value"
 * lines for people. Everything from the server is stripped of control
 * characters before it reaches the terminal. */
#ifndef FW_CLI_OUT_H
#define FW_CLI_OUT_H

#include <jansson.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"

/* A table column: header and the JSON key of the row object it shows, or a
 * function that renders the cell itself (into out, at most n bytes). */
struct fw_cli_col {
	const char *head;
	const char *key;
	void (*render)(const json_t *row, char *out, size_t n);
};

/* Prints a JSON value as the server's JSON, indented, and a newline. */
void fw_cli_print_json(const json_t *j);
/* The text of a JSON value for a cell: strings as they are, null as "-",
 * booleans yes/no, numbers in decimal, arrays joined with ",". */
void fw_cli_json_text(const json_t *v, char *out, size_t n);
/* The string member `key` of obj, or NULL. */
const char *fw_cli_jstr(const json_t *obj, const char *key);

/* Prints the array of objects `rows` as a table with the given columns; an
 * empty array prints `empty` (to stderr, e.g. "no members") instead. */
enum fw_err fw_cli_print_table(const json_t *rows, const struct fw_cli_col *cols, size_t ncols,
			       const char *empty) FW_WUR;
/* Prints every member of obj as an aligned "key: value" line. */
void fw_cli_print_object(const json_t *obj);

/* Plain cell tables, for rows that do not come from JSON. */
struct fw_cli_table;
struct fw_cli_table *fw_cli_table_new(size_t ncols, const char *const *heads);
/* Copies the cells (ncols of them), stripping control characters. */
enum fw_err fw_cli_table_add(struct fw_cli_table *t, const char *const *cells) FW_WUR;
void fw_cli_table_print(const struct fw_cli_table *t, FILE *f);
void fw_cli_table_free(struct fw_cli_table *t);

/* Display width of UTF-8 text (code points; good enough for tables). */
size_t fw_cli_text_width(const char *s);

#endif
