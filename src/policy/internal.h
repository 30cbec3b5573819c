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
	TK_DURATION, /* 14d, 1d12h (for max_embargo) */
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

/* Reserved words. Keywords are case-sensitive; names of artifact kinds and
 * of attributes (member, advisory, kind) are not reserved. */
enum fw_policy_kw {
	KW_NONE,
	KW_TIER,
	KW_PUBLIC,
	KW_GRANT,
	KW_ALL,
	KW_AT,
	KW_SET,
	KW_RESTRICT,
	KW_WHEN,
	KW_WITHHOLD,
	KW_DELAY,
	KW_UNTIL,
	KW_CAP,
	KW_MAX_EMBARGO,
	KW_AND,
	KW_OR,
	KW_NOT,
	KW_IN,
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

/* "T-14d": a time as the policy shows it; formatted once when parsed, so
 * that deciding never formats a number. */
#define FW_POLICY_WHEN_BYTES 32

struct fw_policy_grant {
	unsigned kinds;  /* bit (1u << fw_kind) per kind granted */
	int64_t offset;  /* seconds from T */
	int line, col;   /* of the `grant` keyword */
	char when[FW_POLICY_WHEN_BYTES];
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

/* ---- values, sets, conditions, restrictions ----------------------------- */

/* A value's bytes and its NUL: the longest attribute a value is compared
 * with is a product name (FW_MODEL_PRODUCT_BYTES). */
#define FW_POLICY_VALUE_BYTES FW_MODEL_PRODUCT_BYTES

enum fw_policy_vtype { VAL_NAME, VAL_STRING, VAL_NUMBER };

/* A literal of a condition or an element of a list. */
struct fw_policy_value {
	char s[FW_POLICY_VALUE_BYTES]; /* the text; for a number, its lexeme */
	size_t len;
	enum fw_policy_vtype type;
	double num; /* VAL_NUMBER */
	int line, col;
};

struct fw_policy_set {
	char name[FW_MODEL_ID_BYTES];
	int line, col;
	size_t first, n;     /* values[first .. first + n), sorted once resolved */
	bool used;
	unsigned checked;    /* bit per attribute its elements were checked against */
};

enum fw_policy_attr {
	ATTR_MEMBER_ID,
	ATTR_MEMBER_TIER,
	ATTR_MEMBER_JURISDICTION,
	ATTR_MEMBER_STATUS,
	ATTR_MEMBER_TAGS,
	ATTR_ADVISORY_ID,
	ATTR_ADVISORY_SEVERITY,
	ATTR_ADVISORY_CVSS,
	ATTR_ADVISORY_PRODUCTS,
	ATTR_ADVISORY_CVES,
	ATTR_ADVISORY_TAGS,
	ATTR_KIND,
	ATTR_COUNT
};

/* What an attribute holds, which decides the operators it takes. */
enum fw_policy_atype {
	AT_NAME,     /* free text: ==, !=, in */
	AT_ENUM,     /* one of a fixed list of names (status, kind): ==, !=, in */
	AT_SEVERITY, /* none < low < medium < high < critical: all comparisons, in */
	AT_NUMBER,   /* the CVSS score: all comparisons, no in */
	AT_LIST,     /* a list of names: ATTR in LIST (any element), "x" in ATTR */
};

enum fw_policy_attr_shape { SHAPE_ANY, SHAPE_SLUG, SHAPE_JURISDICTION, SHAPE_CVE };

struct fw_policy_attr_info {
	const char *name; /* "member.tier" */
	enum fw_policy_atype type;
	enum fw_policy_attr_shape shape; /* what every value of it looks like */
};

const struct fw_policy_attr_info *fw_policy_attr_info(enum fw_policy_attr a);

enum fw_policy_cond_op {
	COND_AND,
	COND_OR,
	COND_NOT,
	COND_CMP, /* attr OP value */
	COND_IN,  /* attr in list: scalar is an element; list shares one */
	COND_HAS, /* value in attr, attr a list */
};

/* One node of a condition tree. Conditions of every restriction share one
 * array; nodes refer to each other by index. */
struct fw_policy_cond {
	enum fw_policy_cond_op op;
	enum fw_policy_attr attr;
	enum fw_policy_tok cmp; /* COND_CMP: TK_EQ .. TK_GE */
	int a, b;               /* children: and/or use both, not uses a */
	int line, col;          /* the attribute, value or keyword it starts at */
	int val;                /* CMP, HAS: the value; IN with a set: its name */
	int set;                /* IN: the named set, -1 for a list written inline */
	size_t first, n;        /* IN: the elements, values[first .. first + n) */
	double key;             /* CMP on cvss: tenths; on severity: the rank */
};

enum fw_policy_effect_type { EFFECT_WITHHOLD, EFFECT_DELAY, EFFECT_CAP };

struct fw_policy_effect {
	enum fw_policy_effect_type type;
	unsigned kinds;      /* WITHHOLD, DELAY */
	int64_t until;       /* DELAY: not before T + until */
	char until_when[FW_POLICY_WHEN_BYTES];
	char tier[FW_MODEL_ID_BYTES]; /* CAP */
	int tier_index;      /* CAP: into tiers, once resolved */
	int line, col;       /* of the keyword */
	int tier_line, tier_col;
	int kind_line[FW_KIND_COUNT], kind_col[FW_KIND_COUNT];
	bool kinds_all;      /* written as `all` */
};

struct fw_policy_restriction {
	char name[FW_MODEL_ID_BYTES];
	int line, col;        /* of the name */
	int cond;             /* root node */
	int cond_line, cond_col;
	unsigned kinds;       /* union of the kinds withheld or delayed */
	bool caps;
	size_t neffects;
	struct fw_policy_effect effects[FW_POLICY_MAX_EFFECTS];
};

struct fw_policy {
	size_t ntiers;
	struct fw_policy_block tiers[FW_POLICY_MAX_TIERS];
	bool has_public;
	struct fw_policy_block pub;

	int64_t max_embargo; /* seconds, >= 0 */
	int max_embargo_line, max_embargo_col; /* 0 for the default */

	size_t nsets, sets_cap;
	struct fw_policy_set *sets;
	size_t nvalues, values_cap;
	struct fw_policy_value *values;
	size_t nconds, conds_cap;
	struct fw_policy_cond *conds;
	size_t nrestr, restr_cap;
	struct fw_policy_restriction *restr;
};

/* Grows the array whose pointer is at arrp (the address of a T *, holding
 * *cap items of elem bytes) to hold at least need items, never more than
 * max. False on no memory or over max; the array is unchanged then. */
bool fw_policy_grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t max);

/* "T", "T-14d", "T+1d12h". */
void fw_policy_format_time(int64_t offset, char *out, size_t out_bytes);

/* ---- the parser, shared by parser.c and cond.c ------------------------- */

struct fw_policy_parser {
	struct fw_policy_lexer lx;
	struct fw_policy_token tok; /* the lookahead */
	int prev_line;              /* of the token before the lookahead */
	enum fw_policy_tok prev_kind;
	struct fw_policy_sink *sink;
	struct fw_policy *pol;
	bool nomem;
	size_t total_grants;
	size_t cond_nodes; /* of the condition being read */
	bool cond_limit_reported;
};

void fw_policy_advance(struct fw_policy_parser *ps);
bool fw_policy_at_kw(const struct fw_policy_parser *ps, enum fw_policy_kw kw);
/* "expected WHAT, found TOKEN" at the lookahead (unless already reported). */
void fw_policy_expected(struct fw_policy_parser *ps, const char *what);
/* Stores a value taken from the lookahead (a word, string or number);
 * returns its index, or -1 after reporting why not. */
int fw_policy_value_add(struct fw_policy_parser *ps);
/* Reads a condition; false after an error (reported). */
bool fw_policy_parse_condition(struct fw_policy_parser *ps, int *root);
/* Reads "[" values "]" into consecutive values; false after an error. */
bool fw_policy_parse_list(struct fw_policy_parser *ps, size_t *first, size_t *n);

/* ---- after parsing: names, types, warnings (check.c, analyze.c) -------- */

/* Resolves set names and capped tiers, checks every value against the
 * attribute it is compared with, sorts lists; reports errors and warnings. */
void fw_policy_resolve(struct fw_policy *p, struct fw_policy_sink *sink);
/* Warnings that need a fully resolved policy (run only without errors). */
void fw_policy_lint(struct fw_policy *p, struct fw_policy_sink *sink);
/* Whether cond (with kind limited to kind_mask) can ever hold. Returns true
 * when unsure: a condition too large to analyse, or *budget (comparisons
 * to evaluate, shared by the calls of one check) spent. */
#define FW_POLICY_ANALYSIS_BUDGET 20000000L
bool fw_policy_cond_satisfiable(const struct fw_policy *p, int cond, unsigned kind_mask, long *budget);

/* ---- evaluation (eval.c) ---------------------------------------------- */

/* Whether the sorted values[first .. first + n) hold the len bytes at s. */
bool fw_policy_values_have(const struct fw_policy *p, size_t first, size_t n, const char *s, size_t len);
/* An atom (CMP or IN) over a single-valued attribute whose value is the len
 * bytes at s (s NULL: a value equal to no value in the policy); num is the
 * CVSS score in tenths or the severity rank. */
bool fw_policy_atom_scalar(const struct fw_policy *p, const struct fw_policy_cond *c, const char *s, size_t len,
			   double num);

struct fw_policy_subject {
	const struct fw_member *m;
	const struct fw_advisory *a;
	enum fw_kind kind;
	int cvss10; /* the score in tenths */
	int severity;
};
bool fw_policy_eval(const struct fw_policy *p, int cond, const struct fw_policy_subject *s);

#endif
