/* Inside the policy module: tokens, the lexer, the diagnostic sink and the
 * parsed form of a policy. Nothing outside src/policy/ includes this file;
 * the functions below are not part of the module's face (policy.h). */
#ifndef FW_POLICY_INTERNAL_H
#define FW_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "model/model.h"
#include "policy/policy.h"

/* Grants may release up to a year before or after T: anything further is
 * almost surely a typo (T-14w meant as T-14d), and it keeps offsets small. */
#define FW_POLICY_MAX_OFFSET (365LL * 86400)
/* A decoded string literal, without its NUL. */
#define FW_POLICY_STRING_BYTES 255
/* How much of a user's word is quoted back in a message. */
#define FW_POLICY_QUOTE_BYTES 40

/* ---- diagnostics ------------------------------------------------------ */

/* Collects errors and warnings. The last slot of the caller's array is kept
 * for a note saying how many did not fit, so that a long list never hides
 * the fact that it was cut. */
struct fw_policy_sink {
	struct fw_policy_diags *d;
	size_t nerrors;
	size_t dropped;
	size_t dropped_errors;
	int dropped_line, dropped_col;
};

void fw_policy_sink_init(struct fw_policy_sink *s, struct fw_policy_diags *d);
void fw_policy_diag_add(struct fw_policy_sink *s, bool warning, int line, int col, const char *fmt,
			...) FW_PRINTF(5, 6);
/* Appends the "N more not shown" note, if any were dropped. */
void fw_policy_sink_finish(struct fw_policy_sink *s);

/* ---- tokens ----------------------------------------------------------- */

enum fw_policy_tok {
	TK_EOF,
	TK_ERROR, /* a lexical error, already reported */
	TK_IDENT,
	TK_NUMBER,
	TK_DURATION, /* 14d, 1d12h (for max_embargo, planned) */
	TK_TIME,     /* T, T-14d, T+1d: one token, no spaces inside */
	TK_STRING,
	TK_LBRACE,
	TK_RBRACE,
	TK_LBRACKET,
	TK_RBRACKET,
	TK_LPAREN,
	TK_RPAREN,
	TK_COMMA,
	TK_SEMI,
	TK_DOT,
	TK_ASSIGN, /* = */
	TK_EQ,     /* == */
	TK_NE,     /* != */
	TK_LT,
	TK_LE,
	TK_GT,
	TK_GE,
};

/* Reserved words. Those marked "planned" belong to the next version of the
 * language; they are reserved now so that a policy written today cannot use
 * them as names and break when they gain a meaning. */
enum fw_policy_kw {
	KW_NONE,
	KW_TIER,
	KW_PUBLIC,
	KW_GRANT,
	KW_ALL,
	KW_AT,
	KW_SET,         /* planned */
	KW_RESTRICT,    /* planned */
	KW_WHEN,        /* planned */
	KW_WITHHOLD,    /* planned */
	KW_DELAY,       /* planned */
	KW_UNTIL,       /* planned */
	KW_CAP,         /* planned */
	KW_MAX_EMBARGO, /* planned */
	KW_AND,         /* planned */
	KW_OR,          /* planned */
	KW_NOT,         /* planned */
	KW_IN,          /* planned */
};

struct fw_policy_token {
	enum fw_policy_tok kind;
	enum fw_policy_kw kw; /* for TK_IDENT */
	const char *text;     /* the lexeme, borrowed from the input */
	size_t len;
	int line, col;
	int64_t seconds; /* TK_DURATION, TK_TIME (the offset from T) */
	double number;   /* TK_NUMBER */
	size_t slen;     /* TK_STRING: the decoded value */
	char str[FW_POLICY_STRING_BYTES + 1];
};

struct fw_policy_lexer {
	const char *s;
	size_t n;
	size_t pos;
	size_t line_start; /* offset of the current line's first byte */
	int line;
	struct fw_policy_sink *sink;
};

/* Reports the first NUL byte or invalid UTF-8 sequence; returns false then.
 * The input is not looked at further: a binary file would otherwise bury
 * the one useful message under hundreds of others. */
bool fw_policy_check_encoding(const char *s, size_t n, struct fw_policy_sink *sink);
void fw_policy_lexer_init(struct fw_policy_lexer *lx, const char *s, size_t n,
			  struct fw_policy_sink *sink);
void fw_policy_lex(struct fw_policy_lexer *lx, struct fw_policy_token *t);
const char *fw_policy_kw_name(enum fw_policy_kw kw);
/* "'{'", "\"gold\"", "'grant'", "time T-5d", "end of input": for messages. */
void fw_policy_token_describe(const struct fw_policy_token *t, char *out, size_t out_bytes);

/* ---- the parsed policy -------------------------------------------------- */

struct fw_policy_grant {
	unsigned kinds;  /* bit (1u << fw_kind) per kind granted */
	int64_t offset;  /* seconds from T */
	int line, col;   /* of the `grant` keyword */
};

struct fw_policy_block {
	char name[FW_MODEL_ID_BYTES]; /* the tier; "" for the public block */
	bool is_public;
	int line;
	size_t ngrants, cap; /* ngrants <= FW_POLICY_MAX_GRANTS */
	struct fw_policy_grant *grants;
	/* The deciding grant per kind: the earliest, the first written on a
	 * tie; -1 when the block does not grant the kind. */
	int best[FW_KIND_COUNT];
};

struct fw_policy {
	size_t ntiers;
	struct fw_policy_block tiers[FW_POLICY_MAX_TIERS];
	bool has_public;
	struct fw_policy_block pub;
};

/* "T", "T-14d", "T+1d12h". */
void fw_policy_format_time(int64_t offset, char *out, size_t out_bytes);

#endif
