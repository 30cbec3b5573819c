/* The policy tokenizer.
 *
 * It knows the whole lexical language (words, times, durations, numbers,
 * strings, brackets, comparison operators), so that growing the grammar
 * never means changing how text splits into words. Positions are 1-based
 * lines and 1-based byte columns. */
#include <stdio.h>
#include <string.h>

#include "base/time.h"
#include "policy/internal.h"

static const struct {
	const char *name;
	enum fw_policy_kw kw;
} keywords[] = {
	{"tier", KW_TIER},         {"public", KW_PUBLIC},     {"grant", KW_GRANT},
	{"all", KW_ALL},           {"at", KW_AT},             {"set", KW_SET},
	{"restrict", KW_RESTRICT}, {"when", KW_WHEN},         {"withhold", KW_WITHHOLD},
	{"delay", KW_DELAY},       {"until", KW_UNTIL},       {"cap", KW_CAP},
	{"max_embargo", KW_MAX_EMBARGO}, {"and", KW_AND},     {"or", KW_OR},
	{"not", KW_NOT},           {"in", KW_IN},
};

#define NKEYWORDS (sizeof keywords / sizeof keywords[0])

const char *fw_policy_kw_name(enum fw_policy_kw kw)
{
	for (size_t i = 0; i < NKEYWORDS; i++)
		if (keywords[i].kw == kw)
			return keywords[i].name;
	return "?";
}

static enum fw_policy_kw keyword_of(const char *s, size_t len)
{
	for (size_t i = 0; i < NKEYWORDS; i++)
		if (strlen(keywords[i].name) == len && memcmp(keywords[i].name, s, len) == 0)
			return keywords[i].kw;
	return KW_NONE;
}

static bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_alnum(unsigned char c) { return is_alpha(c) || is_digit(c); }
static bool is_ident_start(unsigned char c) { return is_alpha(c) || c == '_'; }
static bool is_ident_char(unsigned char c) { return is_alnum(c) || c == '_' || c == '-'; }

/* ---- encoding ---------------------------------------------------------- */

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return len;
}

static void position_of(const char *s, size_t off, int *line, int *col)
{
	int l = 1;
	size_t start = 0;
	for (size_t i = 0; i < off; i++)
		if (s[i] == '\n') {
			l++;
			start = i + 1;
		}
	*line = l;
	*col = (int)(off - start + 1);
}

bool fw_policy_check_encoding(const char *s, size_t n, struct fw_policy_sink *sink)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t len = u[i] == 0 ? 0 : utf8_len(u + i, n - i);
		if (len == 0) {
			int line, col;
			position_of(s, i, &line, &col);
			if (u[i] == 0)
				fw_policy_diag_add(sink, false, line, col,
						   "NUL byte: a policy is text; the rest was not read");
			else
				fw_policy_diag_add(sink, false, line, col,
						   "invalid UTF-8 (byte 0x%02x); the rest was not read", u[i]);
			return false;
		}
		i += len;
	}
	return true;
}

/* ---- the lexer --------------------------------------------------------- */

void fw_policy_lexer_init(struct fw_policy_lexer *lx, const char *s, size_t n, struct fw_policy_sink *sink)
{
	lx->s = s;
	lx->n = n;
	lx->pos = 0;
	lx->line_start = 0;
	lx->line = 1;
	lx->sink = sink;
}

static int col_of(const struct fw_policy_lexer *lx, size_t pos) { return (int)(pos - lx->line_start + 1); }

static int peek(const struct fw_policy_lexer *lx, size_t ahead)
{
	return lx->pos + ahead < lx->n ? (unsigned char)lx->s[lx->pos + ahead] : -1;
}

static void skip_space_and_comments(struct fw_policy_lexer *lx)
{
	while (lx->pos < lx->n) {
		char c = lx->s[lx->pos];
		if (c == '\n') {
			lx->pos++;
			lx->line++;
			lx->line_start = lx->pos;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			lx->pos++;
		} else if (c == '#') {
			while (lx->pos < lx->n && lx->s[lx->pos] != '\n')
				lx->pos++;
		} else {
			return;
		}
	}
}

/* Ends the token t that started at t->text: sets its length. */
static void finish(struct fw_policy_lexer *lx, struct fw_policy_token *t, enum fw_policy_tok kind)
{
	t->kind = kind;
	t->len = (size_t)(lx->s + lx->pos - t->text);
}

static void fail(struct fw_policy_lexer *lx, struct fw_policy_token *t)
{
	finish(lx, t, TK_ERROR);
}

/* Parses n bytes at s as a duration (fw_duration_parse wants a C string). */
static bool duration_of(const char *s, size_t n, int64_t *out)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return fw_duration_parse(buf, out) == FW_OK;
}

/* T, T-DURATION, T+DURATION. The sign and the duration are glued to the T
 * so that a time reads as one word and "T - 5d" is not a time. */
static void lex_time(struct fw_policy_lexer *lx, struct fw_policy_token *t)
{
	lx->pos++; /* T */
	int c = peek(lx, 0);
	if (c != '-' && c != '+') {
		t->seconds = 0;
		finish(lx, t, TK_TIME);
		return;
	}
	int64_t sign = c == '-' ? -1 : 1;
	lx->pos++;
	size_t body = lx->pos;
	while (lx->pos < lx->n && is_alnum((unsigned char)lx->s[lx->pos]))
		lx->pos++;
	int64_t v;
	if (lx->pos == body) {
		fw_policy_diag_add(lx->sink, false, t->line, t->col,
				   "expected a duration right after \"T%c\", as in T%c14d (no spaces)", (char)c,
				   (char)c);
		fail(lx, t);
		return;
	}
	if (!duration_of(lx->s + body, lx->pos - body, &v)) {
		fw_policy_diag_add(lx->sink, false, t->line, t->col,
				   "bad time \"T%c%.*s\": want a duration of digits and units w, d, h, m, s, "
				   "as in T-14d or T-1d12h",
				   (char)c, (int)(lx->pos - body > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES
											: lx->pos - body),
				   lx->s + body);
		fail(lx, t);
		return;
	}
	t->seconds = sign * v;
	finish(lx, t, TK_TIME);
}

static void lex_ident(struct fw_policy_lexer *lx, struct fw_policy_token *t)
{
	while (lx->pos < lx->n && is_ident_char((unsigned char)lx->s[lx->pos]))
		lx->pos++;
	finish(lx, t, TK_IDENT);
	t->kw = keyword_of(t->text, t->len);
}

/* A number (7, 7.5) or, when letters follow the digits, a duration (14d). */
static void lex_number(struct fw_policy_lexer *lx, struct fw_policy_token *t)
{
	double v = 0;
	size_t ndigits = 0;
	while (lx->pos < lx->n && is_digit((unsigned char)lx->s[lx->pos])) {
		v = v * 10 + (lx->s[lx->pos++] - '0');
		ndigits++;
	}
	if (lx->pos < lx->n && is_alpha((unsigned char)lx->s[lx->pos])) {
		while (lx->pos < lx->n && is_alnum((unsigned char)lx->s[lx->pos]))
			lx->pos++;
		size_t len = (size_t)(lx->s + lx->pos - t->text);
		if (!duration_of(t->text, len, &t->seconds)) {
			fw_policy_diag_add(lx->sink, false, t->line, t->col,
					   "bad duration \"%.*s\": want digits and units w, d, h, m, s, as in "
					   "14d or 1d12h",
					   (int)(len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : len), t->text);
			fail(lx, t);
			return;
		}
		finish(lx, t, TK_DURATION);
		return;
	}
	if (peek(lx, 0) == '.' && peek(lx, 1) >= '0' && peek(lx, 1) <= '9') {
		lx->pos++;
		double scale = 0.1;
		while (lx->pos < lx->n && is_digit((unsigned char)lx->s[lx->pos])) {
			v += scale * (lx->s[lx->pos++] - '0');
			scale /= 10;
		}
	}
	int c = peek(lx, 0);
	if (ndigits > 15 || (c >= 0 && (is_ident_char((unsigned char)c) || c == '.'))) {
		while (lx->pos < lx->n && (is_ident_char((unsigned char)lx->s[lx->pos]) || lx->s[lx->pos] == '.'))
			lx->pos++;
		size_t len = (size_t)(lx->s + lx->pos - t->text);
		fw_policy_diag_add(lx->sink, false, t->line, t->col, "bad number \"%.*s\"",
				   (int)(len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : len), t->text);
		fail(lx, t);
		return;
	}
	t->number = v;
	finish(lx, t, TK_NUMBER);
}

/* Reads one character of a string body into t->str; returns false on an
 * error (already reported). */
static bool string_char(struct fw_policy_lexer *lx, struct fw_policy_token *t, bool *reported)
{
	size_t at = lx->pos;
	unsigned char c = (unsigned char)lx->s[lx->pos++];
	if (c == '\\') {
		int e = peek(lx, 0);
		switch (e) {
		case 'n': c = '\n'; break;
		case 't': c = '\t'; break;
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		default:
			if (!*reported)
				fw_policy_diag_add(lx->sink, false, lx->line, col_of(lx, at),
						   "unknown escape in string (use \\\", \\\\, \\n or \\t)");
			*reported = true;
			return false;
		}
		lx->pos++;
	} else if (c < 0x20 && c != '\t') {
		if (!*reported)
			fw_policy_diag_add(lx->sink, false, lx->line, col_of(lx, at),
					   "control character 0x%02x in string", c);
		*reported = true;
		return false;
	}
	if (t->slen >= FW_POLICY_STRING_BYTES) {
		if (!*reported)
			fw_policy_diag_add(lx->sink, false, t->line, t->col, "string longer than %d bytes",
					   FW_POLICY_STRING_BYTES);
		*reported = true;
		return false;
	}
	t->str[t->slen++] = (char)c;
	return true;
}

/* "..." on one line. After an error the rest of the string is skipped so
 * that its words are not read as tokens. */
static void lex_string(struct fw_policy_lexer *lx, struct fw_policy_token *t)
{
	bool reported = false;
	lx->pos++; /* the opening quote */
	t->slen = 0;
	for (;;) {
		if (lx->pos >= lx->n || lx->s[lx->pos] == '\n') {
			if (!reported)
				fw_policy_diag_add(lx->sink, false, t->line, t->col,
						   "unterminated string (a string ends on the line it starts)");
			fail(lx, t);
			return;
		}
		if (lx->s[lx->pos] == '"') {
			lx->pos++;
			break;
		}
		(void)string_char(lx, t, &reported);
	}
	t->str[t->slen] = '\0';
	if (reported)
		fail(lx, t);
	else
		finish(lx, t, TK_STRING);
}

static void lex_unexpected(struct fw_policy_lexer *lx, struct fw_policy_token *t)
{
	const unsigned char *u = (const unsigned char *)lx->s + lx->pos;
	size_t len = utf8_len(u, lx->n - lx->pos);
	if (len == 0)
		len = 1; /* not reached: the encoding was checked before */
	if (u[0] >= 0x80) {
		/* Decode for the message: U+00E9 tells more than raw bytes. */
		static const unsigned char lead_mask[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
		unsigned long cp = u[0] & lead_mask[len];
		for (size_t i = 1; i < len; i++)
			cp = (cp << 6) | (u[i] & 0x3Fu);
		fw_policy_diag_add(lx->sink, false, t->line, t->col, "unexpected character U+%04lX", cp);
	} else if (u[0] < 0x20 || u[0] == 0x7F) {
		fw_policy_diag_add(lx->sink, false, t->line, t->col, "unexpected control character 0x%02x",
				   u[0]);
	} else {
		fw_policy_diag_add(lx->sink, false, t->line, t->col, "unexpected character '%c'", u[0]);
	}
	lx->pos += len;
	fail(lx, t);
}

/* Punctuation and operators; false when c starts none. */
static bool lex_punct(struct fw_policy_lexer *lx, struct fw_policy_token *t, int c)
{
	static const struct {
		char c;
		enum fw_policy_tok one, with_eq; /* c alone, c followed by '=' */
	} ops[] = {
		{'{', TK_LBRACE, TK_LBRACE},     {'}', TK_RBRACE, TK_RBRACE}, {'[', TK_LBRACKET, TK_LBRACKET},
		{']', TK_RBRACKET, TK_RBRACKET}, {'(', TK_LPAREN, TK_LPAREN}, {')', TK_RPAREN, TK_RPAREN},
		{',', TK_COMMA, TK_COMMA},       {';', TK_SEMI, TK_SEMI},     {'.', TK_DOT, TK_DOT},
		{'=', TK_ASSIGN, TK_EQ},         {'<', TK_LT, TK_LE},         {'>', TK_GT, TK_GE},
		{'!', TK_ERROR, TK_NE},
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (ops[i].c != c)
			continue;
		bool eq = ops[i].one != ops[i].with_eq && peek(lx, 1) == '=';
		if (!eq && ops[i].one == TK_ERROR)
			return false; /* a lone '!' */
		lx->pos += eq ? 2 : 1;
		finish(lx, t, eq ? ops[i].with_eq : ops[i].one);
		return true;
	}
	return false;
}

void fw_policy_lex(struct fw_policy_lexer *lx, struct fw_policy_token *t)
{
	skip_space_and_comments(lx);
	t->kw = KW_NONE;
	t->text = lx->s + lx->pos;
	t->len = 0;
	t->line = lx->line;
	t->col = col_of(lx, lx->pos);
	t->seconds = 0;
	t->number = 0;
	t->slen = 0;
	t->str[0] = '\0';
	int c = peek(lx, 0);
	if (c < 0) {
		t->kind = TK_EOF;
		return;
	}
	if (c == 'T' && (peek(lx, 1) < 0 || !(is_alnum((unsigned char)peek(lx, 1)) || peek(lx, 1) == '_')))
		lex_time(lx, t);
	else if (is_ident_start((unsigned char)c))
		lex_ident(lx, t);
	else if (is_digit((unsigned char)c))
		lex_number(lx, t);
	else if (c == '"')
		lex_string(lx, t);
	else if (!lex_punct(lx, t, c))
		lex_unexpected(lx, t);
}

void fw_policy_token_describe(const struct fw_policy_token *t, char *out, size_t out_bytes)
{
	int len = (int)(t->len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : t->len);
	const char *more = t->len > FW_POLICY_QUOTE_BYTES ? "..." : "";
	switch (t->kind) {
	case TK_EOF: snprintf(out, out_bytes, "end of input"); break;
	case TK_ERROR: snprintf(out, out_bytes, "an invalid token"); break;
	case TK_IDENT:
		if (t->kw != KW_NONE)
			snprintf(out, out_bytes, "'%s'", fw_policy_kw_name(t->kw));
		else
			snprintf(out, out_bytes, "\"%.*s%s\"", len, t->text, more);
		break;
	case TK_NUMBER: snprintf(out, out_bytes, "number %.*s%s", len, t->text, more); break;
	case TK_DURATION: snprintf(out, out_bytes, "duration %.*s%s", len, t->text, more); break;
	case TK_TIME: snprintf(out, out_bytes, "time %.*s%s", len, t->text, more); break;
	case TK_STRING: snprintf(out, out_bytes, "a string"); break;
	default: snprintf(out, out_bytes, "'%.*s'", len, t->text); break;
	}
}
