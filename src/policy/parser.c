/* The policy parser: recursive descent over the tokens of lexer.c, with
 * one token of lookahead. Statements and blocks are read here, conditions
 * in cond.c; names and types are resolved afterwards (check.c).
 *
 * Every statement starts with a keyword, so after an error the parser skips
 * to the next statement keyword (or, inside a block, to the next rule
 * keyword or the closing brace) and goes on: one run reports every error it
 * can, as a compiler does. The grammar is in docs/policy.md; keep the two in
 * step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"

void fw_policy_advance(struct fw_policy_parser *ps)
{
	ps->prev_line = ps->tok.line;
	ps->prev_kind = ps->tok.kind;
	fw_policy_lex(&ps->lx, &ps->tok);
}

static void advance(struct fw_policy_parser *ps) { fw_policy_advance(ps); }

bool fw_policy_at_kw(const struct fw_policy_parser *ps, enum fw_policy_kw kw)
{
	return ps->tok.kind == TK_IDENT && ps->tok.kw == kw;
}

static bool at_kw(const struct fw_policy_parser *ps, enum fw_policy_kw kw) { return fw_policy_at_kw(ps, kw); }

/* Keywords that begin a statement. */
static bool at_statement(const struct fw_policy_parser *ps)
{
	return at_kw(ps, KW_TIER) || at_kw(ps, KW_PUBLIC) || at_kw(ps, KW_SET) || at_kw(ps, KW_RESTRICT) ||
	       at_kw(ps, KW_MAX_EMBARGO);
}

/* Keywords that begin a rule inside a block. */
static bool at_rule(const struct fw_policy_parser *ps)
{
	return at_kw(ps, KW_GRANT) || at_kw(ps, KW_WITHHOLD) || at_kw(ps, KW_DELAY) || at_kw(ps, KW_CAP);
}

/* Inside a broken condition `member.tier` holds the keyword `tier`, so a
 * `tier` there starts a statement only when it starts its line. */
static bool at_statement_in_condition(const struct fw_policy_parser *ps)
{
	if (!at_statement(ps))
		return false;
	return !at_kw(ps, KW_TIER) || (ps->prev_line < ps->tok.line && ps->prev_kind != TK_DOT);
}

/* Reports "expected WHAT, found TOKEN" at the lookahead, unless the lexer
 * has already reported that token. */
void fw_policy_expected(struct fw_policy_parser *ps, const char *what)
{
	char found[96];
	if (ps->tok.kind == TK_ERROR)
		return;
	fw_policy_token_describe(&ps->tok, found, sizeof found);
	fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col, "expected %s, found %s", what, found);
}

static void expected(struct fw_policy_parser *ps, const char *what) { fw_policy_expected(ps, what); }

/* Top-level recovery: skips to the next statement keyword outside braces,
 * brackets and parentheses. Between `when` and its '{' the rule of
 * at_statement_in_condition applies. */
static void sync_statement(struct fw_policy_parser *ps)
{
	int depth = 0;
	bool in_condition = false;
	while (ps->tok.kind != TK_EOF) {
		if (depth == 0 && (in_condition ? at_statement_in_condition(ps) : at_statement(ps)))
			return;
		switch (ps->tok.kind) {
		case TK_LBRACE:
			in_condition = false;
			depth++;
			break;
		case TK_LBRACKET:
		case TK_LPAREN: depth++; break;
		case TK_RBRACE:
		case TK_RBRACKET:
		case TK_RPAREN:
			if (depth > 0)
				depth--;
			break;
		default:
			if (at_kw(ps, KW_WHEN))
				in_condition = true;
			break;
		}
		advance(ps);
	}
}

/* Recovery inside a block: skips past the broken rule, stopping before the
 * next rule keyword, the block's `}` or a statement keyword. */
static void sync_in_block(struct fw_policy_parser *ps)
{
	int depth = 0;
	while (ps->tok.kind != TK_EOF) {
		if (depth == 0 && (at_rule(ps) || ps->tok.kind == TK_RBRACE || at_statement(ps)))
			return;
		if (depth == 0 && ps->tok.kind == TK_SEMI) {
			advance(ps);
			return;
		}
		if (ps->tok.kind == TK_LBRACE)
			depth++;
		else if (ps->tok.kind == TK_RBRACE)
			depth--;
		advance(ps);
	}
}

static const char *block_label(const struct fw_policy_block *b, char *buf, size_t n)
{
	if (b->is_public)
		snprintf(buf, n, "the public block");
	else
		snprintf(buf, n, "tier \"%s\"", b->name);
	return buf;
}

/* [a-z0-9][a-z0-9-]*, at most 63 bytes: the model's slug rule, checked here
 * on the token so as not to depend on the model's validators. */
static bool is_slug(const char *s, size_t len)
{
	if (len == 0 || len >= FW_MODEL_ID_BYTES)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
		if (!ok)
			return false;
	}
	return true;
}

/* ---- grants ------------------------------------------------------------ */

struct kind_list {
	unsigned mask;
	bool all;
	int line[FW_KIND_COUNT], col[FW_KIND_COUNT]; /* where each kind was named */
	const char *rule; /* "grant", "withhold", "delay": for messages */
	const char *verb; /* "grants", "withholds", "delays" */
};

static bool kind_of(const struct fw_policy_token *t, enum fw_kind *out)
{
	for (int k = 0; k < FW_KIND_COUNT; k++) {
		const char *name = fw_kind_name((enum fw_kind)k);
		if (strlen(name) == t->len && memcmp(name, t->text, t->len) == 0) {
			*out = (enum fw_kind)k;
			return true;
		}
	}
	return false;
}

static void note_kind(struct fw_policy_parser *ps, struct kind_list *kl, enum fw_kind k)
{
	if (kl->mask & (1u << k)) {
		fw_policy_diag_add(ps->sink, true, ps->tok.line, ps->tok.col,
				   "%s is listed twice in this %s", fw_kind_name(k), kl->rule);
		return;
	}
	kl->mask |= 1u << k;
	kl->line[k] = ps->tok.line;
	kl->col[k] = ps->tok.col;
}

/* kinds = "all" | kind { "," kind }. False after an error (reported). */
static bool parse_kinds(struct fw_policy_parser *ps, struct kind_list *kl)
{
	if (at_kw(ps, KW_ALL)) {
		for (int k = 0; k < FW_KIND_COUNT; k++) {
			kl->line[k] = ps->tok.line;
			kl->col[k] = ps->tok.col;
		}
		kl->mask = (1u << FW_KIND_COUNT) - 1;
		kl->all = true;
		advance(ps);
		if (ps->tok.kind == TK_COMMA) {
			fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
					   "'all' stands alone: it already %s every kind", kl->verb);
			return false;
		}
		return true;
	}
	char what[64];
	snprintf(what, sizeof what, "an artifact kind or 'all' after '%s'", kl->rule);
	for (;;) {
		enum fw_kind k;
		if (at_kw(ps, KW_ALL)) {
			fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
					   "'all' cannot be listed with other kinds: it already %s every kind",
					   kl->verb);
			return false;
		}
		if (ps->tok.kind != TK_IDENT || ps->tok.kw != KW_NONE) {
			expected(ps, what);
			return false;
		}
		if (!kind_of(&ps->tok, &k)) {
			fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
					   "unknown artifact kind \"%.*s\" (one of: summary, description, detection, "
					   "indicators, mitigation, poc)",
					   (int)(ps->tok.len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : ps->tok.len),
					   ps->tok.text);
			return false;
		}
		note_kind(ps, kl, k);
		advance(ps);
		if (ps->tok.kind != TK_COMMA)
			return true;
		advance(ps);
		snprintf(what, sizeof what, "an artifact kind after ','");
	}
}

/* Adds a parsed grant to its block and keeps the per-kind winner. A kind
 * the block already grants is a warning: the policy is still clear (the
 * earliest grant wins) but the author probably did not mean to repeat it. */
static bool add_grant(struct fw_policy_parser *ps, struct fw_policy_block *b, const struct fw_policy_grant *g,
		      const struct kind_list *kl)
{
	if (b->ngrants == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		if (cap > FW_POLICY_MAX_GRANTS)
			cap = FW_POLICY_MAX_GRANTS;
		struct fw_policy_grant *ng = realloc(b->grants, cap * sizeof *ng);
		if (!ng) {
			ps->nomem = true;
			return false;
		}
		b->grants = ng;
		b->cap = cap;
	}
	int idx = (int)b->ngrants;
	b->grants[b->ngrants++] = *g;
	for (int k = 0; k < FW_KIND_COUNT; k++) {
		if (!(g->kinds & (1u << k)))
			continue;
		int cur = b->best[k];
		if (cur < 0) {
			b->best[k] = idx;
			continue;
		}
		if (g->offset < b->grants[cur].offset)
			b->best[k] = idx;
		const struct fw_policy_grant *w = &b->grants[b->best[k]];
		char label[96], when[32];
		fw_policy_format_time(w->offset, when, sizeof when);
		fw_policy_diag_add(ps->sink, true, kl->line[k], kl->col[k],
				   "%s is granted again in %s (also at line %d); the earliest grant wins: %s "
				   "(line %d)",
				   fw_kind_name((enum fw_kind)k), block_label(b, label, sizeof label),
				   b->grants[cur].line, when, w->line);
	}
	return true;
}

/* grant = "grant" kinds "at" time [";"]. b is NULL when the block is being
 * read only for its errors (a duplicate, an invalid name, over a limit). */
static bool parse_grant(struct fw_policy_parser *ps, struct fw_policy_block *b, bool *over_limit)
{
	struct fw_policy_grant g = {.line = ps->tok.line, .col = ps->tok.col};
	struct kind_list kl = {.rule = "grant", .verb = "grants"};
	if (b && b->ngrants >= FW_POLICY_MAX_GRANTS && !*over_limit) {
		char label[96];
		fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col, "too many grants in %s (at most %d)",
				   block_label(b, label, sizeof label), FW_POLICY_MAX_GRANTS);
		*over_limit = true;
	}
	advance(ps); /* grant */
	if (!parse_kinds(ps, &kl))
		goto bad;
	if (!at_kw(ps, KW_AT)) {
		expected(ps, "',' or 'at' after the artifact kind");
		goto bad;
	}
	advance(ps);
	if (ps->tok.kind != TK_TIME) {
		expected(ps, "a release time (T, T-14d, T+1d) after 'at'");
		goto bad;
	}
	if (ps->tok.seconds < -FW_POLICY_MAX_OFFSET || ps->tok.seconds > FW_POLICY_MAX_OFFSET) {
		fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
				   "release time %.*s is out of range: a grant must be within 365d of T",
				   (int)(ps->tok.len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : ps->tok.len),
				   ps->tok.text);
		goto bad;
	}
	g.offset = ps->tok.seconds;
	fw_policy_format_time(g.offset, g.when, sizeof g.when);
	g.kinds = kl.mask;
	advance(ps);
	if (ps->tok.kind == TK_SEMI)
		advance(ps);
	if (b && !*over_limit && !add_grant(ps, b, &g, &kl))
		return false;
	ps->total_grants++;
	return true;
bad:
	sync_in_block(ps);
	return false;
}

/* ---- blocks and statements --------------------------------------------- */

static void init_block(struct fw_policy_block *b, bool is_public, int line)
{
	memset(b, 0, sizeof *b);
	b->is_public = is_public;
	b->line = line;
	for (int k = 0; k < FW_KIND_COUNT; k++)
		b->best[k] = -1;
}

/* "{" { grant } "}". The '{' is the lookahead. label names the block in
 * messages even when b is NULL. */
static void parse_block_body(struct fw_policy_parser *ps, struct fw_policy_block *b, const char *label,
			     int kw_line, int kw_col)
{
	size_t errors_before = ps->sink->nerrors;
	bool over_limit = false, empty = true;
	int open_line = ps->tok.line;
	char what[160];
	advance(ps); /* { */
	for (;;) {
		if (ps->tok.kind == TK_RBRACE) {
			advance(ps);
			break;
		}
		if (ps->tok.kind == TK_EOF || at_statement(ps)) {
			snprintf(what, sizeof what, "'}' to close %s (opened at line %d)", label, open_line);
			expected(ps, what);
			return;
		}
		if (at_kw(ps, KW_GRANT)) {
			empty = false;
			(void)parse_grant(ps, b, &over_limit);
			if (ps->nomem)
				return;
			continue;
		}
		snprintf(what, sizeof what, "'grant' or '}' in %s", label);
		expected(ps, what);
		empty = false;
		advance(ps);
		sync_in_block(ps);
	}
	/* A block already in error (b == NULL) gets no warning on top. */
	if (b && empty && ps->sink->nerrors == errors_before)
		fw_policy_diag_add(ps->sink, true, kw_line, kw_col, "%s grants nothing%s", label,
				   b->is_public ? "" : ": its members get only what the public block grants");
}

static struct fw_policy_block *find_tier(struct fw_policy *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->ntiers; i++)
		if (strlen(p->tiers[i].name) == len && memcmp(p->tiers[i].name, name, len) == 0)
			return &p->tiers[i];
	return NULL;
}

/* Checks the tier name at the lookahead and finds the block it goes into;
 * NULL (with the error reported) when the block cannot be kept. */
static struct fw_policy_block *tier_block(struct fw_policy_parser *ps, int kw_line, int kw_col)
{
	const struct fw_policy_token *t = &ps->tok;
	int qlen = (int)(t->len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : t->len);
	if (t->kw != KW_NONE) {
		fw_policy_diag_add(ps->sink, false, t->line, t->col,
				   "'%s' is a reserved word and cannot name a tier", fw_policy_kw_name(t->kw));
		return NULL;
	}
	if (!is_slug(t->text, t->len)) {
		fw_policy_diag_add(ps->sink, false, t->line, t->col,
				   "bad tier name \"%.*s\": use lower-case letters, digits and '-', starting with a "
				   "letter or digit, at most %d bytes",
				   qlen, t->text, FW_MODEL_ID_BYTES - 1);
		return NULL;
	}
	const struct fw_policy_block *first = find_tier(ps->pol, t->text, t->len);
	if (first) {
		fw_policy_diag_add(ps->sink, false, t->line, t->col, "duplicate tier \"%.*s\" (first defined at line %d)",
				   qlen, t->text, first->line);
		return NULL;
	}
	if (ps->pol->ntiers >= FW_POLICY_MAX_TIERS) {
		fw_policy_diag_add(ps->sink, false, kw_line, kw_col, "too many tiers (at most %d)",
				   FW_POLICY_MAX_TIERS);
		return NULL;
	}
	struct fw_policy_block *b = &ps->pol->tiers[ps->pol->ntiers++];
	init_block(b, false, kw_line);
	memcpy(b->name, t->text, t->len);
	b->name[t->len] = '\0';
	return b;
}

/* "tier" name "{" { grant } "}". A block whose header is wrong is still
 * read, for the errors in its grants, when its '{' can be found. */
static void parse_tier(struct fw_policy_parser *ps)
{
	int kw_line = ps->tok.line, kw_col = ps->tok.col;
	struct fw_policy_block *b = NULL;
	char label[96] = "the tier";
	bool header_ok = false;
	advance(ps); /* tier */
	if (ps->tok.kind == TK_IDENT && !at_statement(ps)) {
		int qlen = (int)(ps->tok.len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : ps->tok.len);
		snprintf(label, sizeof label, "tier \"%.*s\"", qlen, ps->tok.text);
		b = tier_block(ps, kw_line, kw_col);
		header_ok = b != NULL;
		advance(ps);
	} else if (ps->tok.kind != TK_LBRACE) {
		expected(ps, "a tier name after 'tier'");
		if (ps->tok.kind != TK_EOF && !at_statement(ps))
			advance(ps);
	} else {
		expected(ps, "a tier name after 'tier'");
	}
	if (ps->tok.kind != TK_LBRACE) {
		if (header_ok)
			expected(ps, "'{' after the tier name");
		sync_statement(ps);
		return;
	}
	parse_block_body(ps, b, label, kw_line, kw_col);
}

/* "public" "{" { grant } "}". */
static void parse_public(struct fw_policy_parser *ps)
{
	int kw_line = ps->tok.line, kw_col = ps->tok.col;
	struct fw_policy_block *b = NULL;
	advance(ps); /* public */
	if (ps->pol->has_public) {
		fw_policy_diag_add(ps->sink, false, kw_line, kw_col,
				   "duplicate public block (first defined at line %d)", ps->pol->pub.line);
	} else {
		ps->pol->has_public = true;
		b = &ps->pol->pub;
		init_block(b, true, kw_line);
	}
	if (ps->tok.kind != TK_LBRACE) {
		expected(ps, "'{' after 'public'");
		sync_statement(ps);
		return;
	}
	parse_block_body(ps, b, "the public block", kw_line, kw_col);
}

/* ---- sets and max_embargo --------------------------------------------- */

/* Checks the name of a set or restriction at the lookahead: a word, not
 * reserved, at most 63 bytes. False after an error (reported). */
static bool check_name(struct fw_policy_parser *ps, const char *what)
{
	const struct fw_policy_token *t = &ps->tok;
	if (t->kw != KW_NONE) {
		fw_policy_diag_add(ps->sink, false, t->line, t->col, "'%s' is a reserved word and cannot name a %s",
				   fw_policy_kw_name(t->kw), what);
		return false;
	}
	if (t->len >= FW_MODEL_ID_BYTES) {
		fw_policy_diag_add(ps->sink, false, t->line, t->col, "%s name \"%.*s...\" is longer than %d bytes",
				   what, FW_POLICY_QUOTE_BYTES, t->text, FW_MODEL_ID_BYTES - 1);
		return false;
	}
	return true;
}

static bool token_is(const struct fw_policy_token *t, const char *s)
{
	return strlen(s) == t->len && memcmp(t->text, s, t->len) == 0;
}

static const struct fw_policy_set *find_set(const struct fw_policy *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->nsets; i++)
		if (strlen(p->sets[i].name) == len && memcmp(p->sets[i].name, name, len) == 0)
			return &p->sets[i];
	return NULL;
}

/* "set" name "=" list. */
static void parse_set(struct fw_policy_parser *ps)
{
	int kw_line = ps->tok.line, kw_col = ps->tok.col;
	struct fw_policy *p = ps->pol;
	struct fw_policy_set set;
	bool keep = true;
	size_t first, n;
	memset(&set, 0, sizeof set);
	fw_policy_advance(ps); /* set */
	if (ps->tok.kind != TK_IDENT || (at_statement(ps) && ps->tok.kw != KW_TIER)) {
		expected(ps, "a set name after 'set'");
		sync_statement(ps);
		return;
	}
	set.line = ps->tok.line;
	set.col = ps->tok.col;
	if (!check_name(ps, "set")) {
		keep = false;
	} else if (token_is(&ps->tok, "member") || token_is(&ps->tok, "advisory") || token_is(&ps->tok, "kind")) {
		fw_policy_diag_add(ps->sink, false, set.line, set.col,
				   "\"%.*s\" names an attribute and cannot name a set", (int)ps->tok.len,
				   ps->tok.text);
		keep = false;
	} else {
		const struct fw_policy_set *dup = find_set(p, ps->tok.text, ps->tok.len);
		memcpy(set.name, ps->tok.text, ps->tok.len);
		if (dup) {
			fw_policy_diag_add(ps->sink, false, set.line, set.col,
					   "duplicate set \"%s\" (first defined at line %d)", set.name, dup->line);
			keep = false;
		} else if (p->nsets >= FW_POLICY_MAX_SETS) {
			fw_policy_diag_add(ps->sink, false, kw_line, kw_col, "too many sets (at most %d)",
					   FW_POLICY_MAX_SETS);
			keep = false;
		}
	}
	advance(ps);
	if (ps->tok.kind != TK_ASSIGN) {
		expected(ps, "'=' after the set name");
		sync_statement(ps);
		return;
	}
	advance(ps);
	if (!fw_policy_parse_list(ps, &first, &n)) {
		sync_statement(ps);
		return;
	}
	if (!keep)
		return;
	if (!fw_policy_grow(&p->sets, &p->sets_cap, p->nsets + 1, sizeof *p->sets, FW_POLICY_MAX_SETS)) {
		ps->nomem = true;
		return;
	}
	set.first = first;
	set.n = n;
	p->sets[p->nsets++] = set;
	if (n == 0)
		fw_policy_diag_add(ps->sink, true, set.line, set.col, "set \"%s\" is empty: 'in %s' is never true",
				   set.name, set.name);
}

/* "max_embargo" duration. */
static void parse_max_embargo(struct fw_policy_parser *ps)
{
	int kw_line = ps->tok.line, kw_col = ps->tok.col;
	struct fw_policy *p = ps->pol;
	advance(ps); /* max_embargo */
	if (ps->tok.kind != TK_DURATION) {
		expected(ps, "a duration (as in 30d) after 'max_embargo'");
		sync_statement(ps);
		return;
	}
	if (ps->tok.seconds > FW_POLICY_MAX_OFFSET) {
		fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
				   "max_embargo %.*s is out of range: at most 365d", (int)ps->tok.len, ps->tok.text);
	} else if (p->max_embargo_line) {
		fw_policy_diag_add(ps->sink, false, kw_line, kw_col, "duplicate max_embargo (first at line %d)",
				   p->max_embargo_line);
	} else {
		p->max_embargo = ps->tok.seconds;
		p->max_embargo_line = kw_line;
		p->max_embargo_col = kw_col;
	}
	advance(ps);
}

/* ---- restrictions ----------------------------------------------------- */

/* Skips the rest of a broken condition: to its '{', or to what must be the
 * next statement. */
static void skip_condition(struct fw_policy_parser *ps)
{
	int depth = 0;
	while (ps->tok.kind != TK_EOF) {
		if (depth == 0 && (ps->tok.kind == TK_LBRACE || at_statement_in_condition(ps)))
			return;
		if (ps->tok.kind == TK_LPAREN || ps->tok.kind == TK_LBRACKET)
			depth++;
		else if ((ps->tok.kind == TK_RPAREN || ps->tok.kind == TK_RBRACKET) && depth > 0)
			depth--;
		advance(ps);
	}
}

/* The time after `until`, within FW_POLICY_MAX_OFFSET of T. */
static bool parse_until(struct fw_policy_parser *ps, int64_t *out)
{
	if (!at_kw(ps, KW_UNTIL)) {
		expected(ps, "',' or 'until' after the artifact kind");
		return false;
	}
	advance(ps);
	if (ps->tok.kind != TK_TIME) {
		expected(ps, "a time (T, T+1d, T-2d) after 'until'");
		return false;
	}
	if (ps->tok.seconds < -FW_POLICY_MAX_OFFSET || ps->tok.seconds > FW_POLICY_MAX_OFFSET) {
		fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
				   "time %.*s is out of range: a delay must be within 365d of T",
				   (int)(ps->tok.len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : ps->tok.len),
				   ps->tok.text);
		return false;
	}
	*out = ps->tok.seconds;
	advance(ps);
	return true;
}

/* "cap" "tier" tier-name; the name is resolved once every tier is known. */
static bool parse_cap(struct fw_policy_parser *ps, struct fw_policy_effect *e)
{
	if (!at_kw(ps, KW_TIER)) {
		expected(ps, "'tier' after 'cap'");
		return false;
	}
	advance(ps);
	const struct fw_policy_token *t = &ps->tok;
	if (t->kind != TK_IDENT || t->kw != KW_NONE) {
		expected(ps, "a tier name after 'cap tier'");
		return false;
	}
	if (!is_slug(t->text, t->len)) {
		fw_policy_diag_add(ps->sink, false, t->line, t->col,
				   "bad tier name \"%.*s\": use lower-case letters, digits and '-', starting with a "
				   "letter or digit, at most %d bytes",
				   (int)(t->len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : t->len), t->text,
				   FW_MODEL_ID_BYTES - 1);
		return false;
	}
	memcpy(e->tier, t->text, t->len);
	e->tier[t->len] = '\0';
	e->tier_line = t->line;
	e->tier_col = t->col;
	advance(ps);
	return true;
}

/* effect = ( "withhold" kinds | "delay" kinds "until" time
 *          | "cap" "tier" tier-name ) [ ";" ]. r is NULL when the
 * restriction is read only for its errors. */
static void parse_effect(struct fw_policy_parser *ps, struct fw_policy_restriction *r, bool *over_limit)
{
	struct fw_policy_effect e;
	struct kind_list kl = {.rule = "withhold", .verb = "withholds"};
	memset(&e, 0, sizeof e);
	e.line = ps->tok.line;
	e.col = ps->tok.col;
	e.tier_index = -1;
	e.type = at_kw(ps, KW_WITHHOLD) ? EFFECT_WITHHOLD : at_kw(ps, KW_DELAY) ? EFFECT_DELAY : EFFECT_CAP;
	if (r && r->neffects >= FW_POLICY_MAX_EFFECTS && !*over_limit) {
		fw_policy_diag_add(ps->sink, false, e.line, e.col, "too many effects in restriction \"%s\" (at most %d)",
				   r->name, FW_POLICY_MAX_EFFECTS);
		*over_limit = true;
	}
	advance(ps);
	if (e.type == EFFECT_DELAY) {
		kl.rule = "delay";
		kl.verb = "delays";
	}
	if (e.type != EFFECT_CAP && !parse_kinds(ps, &kl))
		goto bad;
	if (e.type == EFFECT_DELAY && !parse_until(ps, &e.until))
		goto bad;
	fw_policy_format_time(e.until, e.until_when, sizeof e.until_when);
	if (e.type == EFFECT_CAP && !parse_cap(ps, &e))
		goto bad;
	if (ps->tok.kind == TK_SEMI)
		advance(ps);
	e.kinds = kl.mask;
	e.kinds_all = kl.all;
	memcpy(e.kind_line, kl.line, sizeof e.kind_line);
	memcpy(e.kind_col, kl.col, sizeof e.kind_col);
	if (r && !*over_limit) {
		r->effects[r->neffects++] = e;
		if (e.type == EFFECT_CAP)
			r->caps = true;
		else
			r->kinds |= e.kinds;
	}
	return;
bad:
	sync_in_block(ps);
}

/* "{" { effect } "}". The '{' is the lookahead. */
static void parse_restriction_body(struct fw_policy_parser *ps, struct fw_policy_restriction *r,
				   const char *label)
{
	size_t errors_before = ps->sink->nerrors;
	bool over_limit = false;
	int open_line = ps->tok.line;
	char what[160];
	advance(ps); /* { */
	for (;;) {
		if (ps->tok.kind == TK_RBRACE) {
			advance(ps);
			break;
		}
		if (ps->tok.kind == TK_EOF || at_statement(ps)) {
			snprintf(what, sizeof what, "'}' to close %s (opened at line %d)", label, open_line);
			expected(ps, what);
			return;
		}
		if (at_kw(ps, KW_WITHHOLD) || at_kw(ps, KW_DELAY) || at_kw(ps, KW_CAP)) {
			parse_effect(ps, r, &over_limit);
			continue;
		}
		snprintf(what, sizeof what, "'withhold', 'delay', 'cap' or '}' in %s", label);
		expected(ps, what);
		advance(ps);
		sync_in_block(ps);
	}
	if (r && r->neffects == 0 && ps->sink->nerrors == errors_before)
		fw_policy_diag_add(ps->sink, true, r->line, r->col, "%s has no effect: it neither withholds, "
				   "delays nor caps anything", label);
}

static const struct fw_policy_restriction *find_restriction(const struct fw_policy *p, const char *name,
							    size_t len)
{
	for (size_t i = 0; i < p->nrestr; i++)
		if (strlen(p->restr[i].name) == len && memcmp(p->restr[i].name, name, len) == 0)
			return &p->restr[i];
	return NULL;
}

/* The name after `restrict`: false when the restriction cannot be kept. */
static bool restriction_name(struct fw_policy_parser *ps, struct fw_policy_restriction *r, int kw_line, int kw_col)
{
	const struct fw_policy_token *t = &ps->tok;
	r->line = t->line;
	r->col = t->col;
	if (!check_name(ps, "restriction"))
		return false;
	memcpy(r->name, t->text, t->len);
	const struct fw_policy_restriction *dup = find_restriction(ps->pol, t->text, t->len);
	if (dup) {
		fw_policy_diag_add(ps->sink, false, t->line, t->col,
				   "duplicate restriction \"%s\" (first defined at line %d)", r->name, dup->line);
		return false;
	}
	if (ps->pol->nrestr >= FW_POLICY_MAX_RESTRICTIONS) {
		fw_policy_diag_add(ps->sink, false, kw_line, kw_col, "too many restrictions (at most %d)",
				   FW_POLICY_MAX_RESTRICTIONS);
		return false;
	}
	return true;
}

/* "restrict" name "when" condition "{" { effect } "}". As with tiers, a
 * restriction whose header is wrong is still read for the errors in it. */
static void parse_restrict(struct fw_policy_parser *ps)
{
	int kw_line = ps->tok.line, kw_col = ps->tok.col;
	struct fw_policy *p = ps->pol;
	struct fw_policy_restriction r;
	char label[96] = "the restriction";
	bool keep = true;
	memset(&r, 0, sizeof r);
	advance(ps); /* restrict */
	if (ps->tok.kind == TK_IDENT && !at_kw(ps, KW_WHEN) && !at_statement(ps)) {
		snprintf(label, sizeof label, "restriction \"%.*s\"",
			 (int)(ps->tok.len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : ps->tok.len), ps->tok.text);
		keep = restriction_name(ps, &r, kw_line, kw_col);
		advance(ps);
	} else {
		expected(ps, "a restriction name after 'restrict'");
		keep = false;
		if (!at_kw(ps, KW_WHEN) && ps->tok.kind != TK_LBRACE) {
			sync_statement(ps);
			return;
		}
	}
	if (at_kw(ps, KW_WHEN)) {
		advance(ps);
		r.cond_line = ps->tok.line;
		r.cond_col = ps->tok.col;
		if (!fw_policy_parse_condition(ps, &r.cond)) {
			keep = false;
			if (ps->nomem)
				return;
			skip_condition(ps);
		} else if (ps->tok.kind != TK_LBRACE) {
			expected(ps, "'{', 'and' or 'or' after the condition");
			keep = false;
			skip_condition(ps);
		}
	} else if (keep) {
		expected(ps, "'when' after the restriction name");
		keep = false;
		skip_condition(ps);
	}
	if (ps->tok.kind != TK_LBRACE) {
		sync_statement(ps);
		return;
	}
	parse_restriction_body(ps, keep ? &r : NULL, label);
	if (!keep)
		return;
	if (!fw_policy_grow(&p->restr, &p->restr_cap, p->nrestr + 1, sizeof *p->restr,
			    FW_POLICY_MAX_RESTRICTIONS)) {
		ps->nomem = true;
		return;
	}
	p->restr[p->nrestr++] = r;
}

static void parse_statement(struct fw_policy_parser *ps)
{
	if (at_kw(ps, KW_TIER))
		parse_tier(ps);
	else if (at_kw(ps, KW_PUBLIC))
		parse_public(ps);
	else if (at_kw(ps, KW_SET))
		parse_set(ps);
	else if (at_kw(ps, KW_RESTRICT))
		parse_restrict(ps);
	else if (at_kw(ps, KW_MAX_EMBARGO))
		parse_max_embargo(ps);
	else {
		if (at_rule(ps))
			fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
					   "'%s' must be inside a %s", fw_policy_kw_name(ps->tok.kw),
					   at_kw(ps, KW_GRANT) ? "tier or public block" : "restriction");
		else
			expected(ps, "'tier', 'public', 'set', 'restrict' or 'max_embargo'");
		advance(ps); /* always move on, so that the loop ends */
		sync_statement(ps);
	}
}

/* ---- entry points ------------------------------------------------------ */

void fw_policy_free(struct fw_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ntiers; i++)
		free(p->tiers[i].grants);
	free(p->pub.grants);
	free(p->sets);
	free(p->values);
	free(p->conds);
	free(p->restr);
	free(p);
}

bool fw_policy_grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t max)
{
	void *arr;
	if (need <= *cap)
		return true;
	if (need > max)
		return false;
	size_t ncap = *cap ? *cap * 2 : 8;
	if (ncap < need)
		ncap = need;
	if (ncap > max)
		ncap = max;
	/* The pointer is copied, not accessed as a void *: its type is T *. */
	memcpy(&arr, arrp, sizeof arr);
	void *n = realloc(arr, ncap * elem);
	if (!n)
		return false;
	memcpy(arrp, &n, sizeof n);
	*cap = ncap;
	return true;
}

static void report_failure(const struct fw_policy_sink *sink)
{
	const struct fw_policy_diag *first = NULL;
	for (size_t i = 0; i < sink->d->n && !first; i++)
		if (!sink->d->d[i].warning)
			first = &sink->d->d[i];
	char msg[256];
	fw_policy_diag_format(first, msg, sizeof msg);
	(void)fw_err_set(FW_ERR_INVALID, "policy has %zu %s; first: %s", sink->nerrors,
			 sink->nerrors == 1 ? "error" : "errors", msg);
}

enum fw_err fw_policy_parse(const char *text, size_t n, struct fw_policy **out, struct fw_policy_diags *diags)
{
	enum fw_err r = FW_OK;
	struct fw_policy_diags local;
	struct fw_policy_sink sink;
	struct fw_policy_parser ps;
	struct fw_policy *p = NULL;

	fw_policy_sink_init(&sink, diags ? diags : &local);
	if (!out || (!text && n > 0))
		return fw_err_set(FW_ERR_INVALID, "fw_policy_parse: no text or no output");
	if (n > FW_POLICY_MAX_BYTES) {
		fw_policy_diag_add(&sink, false, 1, 1, "policy is %zu bytes; the limit is %u bytes", n,
				   FW_POLICY_MAX_BYTES);
		return fw_err_set(FW_ERR_TOO_LARGE, "policy is %zu bytes; the limit is %u bytes", n,
				  FW_POLICY_MAX_BYTES);
	}
	if (!text)
		text = "";
	if (!fw_policy_check_encoding(text, n, &sink)) {
		report_failure(&sink);
		return FW_ERR_INVALID;
	}
	if (!(p = calloc(1, sizeof *p))) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	memset(&ps, 0, sizeof ps);
	ps.sink = &sink;
	ps.pol = p;
	p->max_embargo = FW_POLICY_DEFAULT_MAX_EMBARGO;
	fw_policy_lexer_init(&ps.lx, text, n, &sink);
	advance(&ps);
	while (ps.tok.kind != TK_EOF && !ps.nomem)
		parse_statement(&ps);
	if (ps.nomem) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	fw_policy_resolve(p, &sink);
	if (sink.nerrors == 0)
		fw_policy_lint(p, &sink);
	if (sink.nerrors == 0 && ps.total_grants == 0)
		fw_policy_diag_add(&sink, true, 1, 1,
				   "the policy grants nothing: every artifact is withheld from every member");
	fw_policy_sink_finish(&sink);
	if (sink.nerrors > 0) {
		report_failure(&sink);
		r = FW_ERR_INVALID;
		goto out;
	}
	*out = p;
	p = NULL;
out:
	fw_policy_free(p);
	return r;
}
