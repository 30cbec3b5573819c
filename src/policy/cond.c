/* Conditions of restrictions: the attributes they read and their parser.
 *
 *   condition   = conjunction { "or" conjunction }
 *   conjunction = negation { "and" negation }
 *   negation    = "not" negation | primary
 *   primary     = "(" condition ")" | comparison
 *   comparison  = attribute compare-op value | attribute "in" list
 *               | value "in" attribute
 *
 * Whether an operator suits an attribute is checked here, where the
 * operator is; whether a value suits it is checked in check.c, once the
 * names of sets are known (a set may be defined after its use). */
#include <stdio.h>
#include <string.h>

#include "policy/internal.h"

static const struct fw_policy_attr_info attrs[ATTR_COUNT] = {
	[ATTR_MEMBER_ID] = {"member.id", AT_NAME, SHAPE_SLUG},
	[ATTR_MEMBER_TIER] = {"member.tier", AT_NAME, SHAPE_SLUG},
	[ATTR_MEMBER_JURISDICTION] = {"member.jurisdiction", AT_NAME, SHAPE_JURISDICTION},
	[ATTR_MEMBER_STATUS] = {"member.status", AT_ENUM, SHAPE_ANY},
	[ATTR_MEMBER_TAGS] = {"member.tags", AT_LIST, SHAPE_SLUG},
	[ATTR_ADVISORY_ID] = {"advisory.id", AT_NAME, SHAPE_SLUG},
	[ATTR_ADVISORY_SEVERITY] = {"advisory.severity", AT_SEVERITY, SHAPE_ANY},
	[ATTR_ADVISORY_CVSS] = {"advisory.cvss", AT_NUMBER, SHAPE_ANY},
	[ATTR_ADVISORY_PRODUCTS] = {"advisory.products", AT_LIST, SHAPE_ANY},
	[ATTR_ADVISORY_CVES] = {"advisory.cves", AT_LIST, SHAPE_CVE},
	[ATTR_ADVISORY_TAGS] = {"advisory.tags", AT_LIST, SHAPE_SLUG},
	[ATTR_KIND] = {"kind", AT_ENUM, SHAPE_ANY},
};

const struct fw_policy_attr_info *fw_policy_attr_info(enum fw_policy_attr a)
{
	return &attrs[(int)a >= 0 && a < ATTR_COUNT ? a : ATTR_KIND];
}

static int qlen(size_t len) { return (int)(len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : len); }

static const char *op_text(enum fw_policy_tok t)
{
	switch (t) {
	case TK_EQ: return "==";
	case TK_NE: return "!=";
	case TK_LT: return "<";
	case TK_LE: return "<=";
	case TK_GT: return ">";
	case TK_GE: return ">=";
	default: return "?";
	}
}

static bool is_compare(enum fw_policy_tok t) { return t >= TK_EQ && t <= TK_GE; }

/* A new node of the condition being read, or -1 (reported). */
static int new_node(struct fw_policy_parser *ps, enum fw_policy_cond_op op, int line, int col)
{
	struct fw_policy *p = ps->pol;
	const size_t total = (size_t)FW_POLICY_MAX_COND_NODES * FW_POLICY_MAX_RESTRICTIONS;
	if (ps->cond_nodes >= FW_POLICY_MAX_COND_NODES || p->nconds >= total) {
		if (!ps->cond_limit_reported)
			fw_policy_diag_add(ps->sink, false, line, col,
					   ps->cond_nodes >= FW_POLICY_MAX_COND_NODES
						   ? "condition too long (at most %zu comparisons and operators)"
						   : "conditions too long in all (at most %zu comparisons and operators)",
					   ps->cond_nodes >= FW_POLICY_MAX_COND_NODES ? (size_t)FW_POLICY_MAX_COND_NODES
										      : total);
		ps->cond_limit_reported = true;
		return -1;
	}
	if (!fw_policy_grow(&p->conds, &p->conds_cap, p->nconds + 1, sizeof *p->conds, total)) {
		ps->nomem = true;
		return -1;
	}
	ps->cond_nodes++;
	struct fw_policy_cond *c = &p->conds[p->nconds];
	memset(c, 0, sizeof *c);
	c->op = op;
	c->a = c->b = c->val = c->set = -1;
	c->line = line;
	c->col = col;
	return (int)p->nconds++;
}

/* ---- values and lists ---------------------------------------------------- */

int fw_policy_value_add(struct fw_policy_parser *ps)
{
	struct fw_policy *p = ps->pol;
	const struct fw_policy_token *t = &ps->tok;
	const char *s = t->kind == TK_STRING ? t->str : t->text;
	size_t len = t->kind == TK_STRING ? t->slen : t->len;
	if (len >= FW_POLICY_VALUE_BYTES) {
		fw_policy_diag_add(ps->sink, false, t->line, t->col,
				   "value longer than %d bytes: no attribute holds one that long",
				   FW_POLICY_VALUE_BYTES - 1);
		return -1;
	}
	if (p->nvalues >= FW_POLICY_MAX_VALUES) {
		fw_policy_diag_add(ps->sink, false, t->line, t->col,
				   "too many values in sets, lists and comparisons (at most %d)", FW_POLICY_MAX_VALUES);
		return -1;
	}
	if (!fw_policy_grow(&p->values, &p->values_cap, p->nvalues + 1, sizeof *p->values,
			    FW_POLICY_MAX_VALUES)) {
		ps->nomem = true;
		return -1;
	}
	struct fw_policy_value *v = &p->values[p->nvalues];
	memset(v, 0, sizeof *v);
	memcpy(v->s, s, len);
	v->len = len;
	v->type = t->kind == TK_NUMBER ? VAL_NUMBER : t->kind == TK_STRING ? VAL_STRING : VAL_NAME;
	v->num = t->number;
	v->line = t->line;
	v->col = t->col;
	return (int)p->nvalues++;
}

static bool at_list_value(const struct fw_policy_parser *ps)
{
	return ps->tok.kind == TK_STRING || (ps->tok.kind == TK_IDENT && ps->tok.kw == KW_NONE);
}

/* list = "[" [ element { "," element } [ "," ] ] "]", element a word or a
 * string. The elements are stored one after the other. */
bool fw_policy_parse_list(struct fw_policy_parser *ps, size_t *first, size_t *n)
{
	if (ps->tok.kind != TK_LBRACKET) {
		fw_policy_expected(ps, "'[' to start a list");
		return false;
	}
	fw_policy_advance(ps);
	*first = ps->pol->nvalues;
	*n = 0;
	while (ps->tok.kind != TK_RBRACKET) {
		if (!at_list_value(ps)) {
			fw_policy_expected(ps, *n == 0 ? "a name, a string or ']' in the list"
						       : "a name or a string after ','");
			return false;
		}
		if (fw_policy_value_add(ps) < 0)
			return false;
		(*n)++;
		fw_policy_advance(ps);
		if (ps->tok.kind == TK_COMMA) {
			fw_policy_advance(ps);
			continue;
		}
		if (ps->tok.kind != TK_RBRACKET) {
			fw_policy_expected(ps, "',' or ']' in the list");
			return false;
		}
	}
	fw_policy_advance(ps);
	return true;
}

/* ---- attributes ----------------------------------------------------------- */

static bool word_is(const struct fw_policy_token *t, const char *w)
{
	return t->kind == TK_IDENT && strlen(w) == t->len && memcmp(t->text, w, t->len) == 0;
}

/* Whether the lookahead starts an attribute: `member`, `advisory`, `kind`. */
static bool at_attribute(const struct fw_policy_parser *ps)
{
	return word_is(&ps->tok, "member") || word_is(&ps->tok, "advisory") || word_is(&ps->tok, "kind");
}

/* attribute = "member" "." field | "advisory" "." field | "kind". */
static bool parse_attribute(struct fw_policy_parser *ps, enum fw_policy_attr *out)
{
	if (word_is(&ps->tok, "kind")) {
		*out = ATTR_KIND;
		fw_policy_advance(ps);
		return true;
	}
	bool member = word_is(&ps->tok, "member");
	const char *obj = member ? "member" : "advisory";
	fw_policy_advance(ps);
	if (ps->tok.kind != TK_DOT) {
		char what[64];
		snprintf(what, sizeof what, "'.' after '%s' (as in %s)", obj,
			 member ? "member.jurisdiction" : "advisory.severity");
		fw_policy_expected(ps, what);
		return false;
	}
	fw_policy_advance(ps);
	if (ps->tok.kind == TK_IDENT) {
		char full[96];
		snprintf(full, sizeof full, "%s.%.*s", obj, qlen(ps->tok.len), ps->tok.text);
		for (int a = 0; a < ATTR_COUNT; a++)
			if (a != ATTR_KIND && strcmp(attrs[a].name, full) == 0) {
				*out = (enum fw_policy_attr)a;
				fw_policy_advance(ps);
				return true;
			}
		fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col, "unknown attribute \"%s\" (%s)", full,
				   member ? "member has: id, tier, jurisdiction, status, tags"
					  : "advisory has: id, severity, cvss, products, cves, tags");
		return false;
	}
	fw_policy_expected(ps, member ? "an attribute of the member (id, tier, jurisdiction, status, tags)"
				      : "an attribute of the advisory (id, severity, cvss, products, cves, tags)");
	return false;
}

/* ---- comparisons ------------------------------------------------------------ */

/* attribute compare-op value: the operator is the lookahead. */
static int parse_compare(struct fw_policy_parser *ps, enum fw_policy_attr attr, int line, int col)
{
	const struct fw_policy_attr_info *ai = &attrs[attr];
	enum fw_policy_tok op = ps->tok.kind;
	if (ai->type == AT_LIST) {
		fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
				   "%s is a list: '%s' does not apply (write \"x\" in %s, or %s in [..])", ai->name,
				   op_text(op), ai->name, ai->name);
		return -1;
	}
	if (op != TK_EQ && op != TK_NE && (ai->type == AT_NAME || ai->type == AT_ENUM)) {
		fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
				   "'%s' does not apply to %s: it is a name, not ordered (use ==, != or in)",
				   op_text(op), ai->name);
		return -1;
	}
	fw_policy_advance(ps);
	if (ps->tok.kind != TK_STRING && ps->tok.kind != TK_NUMBER &&
	    !(ps->tok.kind == TK_IDENT && ps->tok.kw == KW_NONE)) {
		char what[96];
		snprintf(what, sizeof what, "a value to compare %s with", ai->name);
		fw_policy_expected(ps, what);
		return -1;
	}
	int v = fw_policy_value_add(ps);
	if (v < 0)
		return -1;
	fw_policy_advance(ps);
	int n = new_node(ps, COND_CMP, line, col);
	if (n < 0)
		return -1;
	struct fw_policy_cond *c = &ps->pol->conds[n];
	c->attr = attr;
	c->cmp = op;
	c->val = v;
	return n;
}

/* attribute "in" ( list | set-name ): the `in` is the lookahead. */
static int parse_in(struct fw_policy_parser *ps, enum fw_policy_attr attr, int line, int col)
{
	const struct fw_policy_attr_info *ai = &attrs[attr];
	if (ai->type == AT_NUMBER) {
		fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
				   "%s is a number: compare it with ==, !=, <, <=, > or >=, not 'in'", ai->name);
		return -1;
	}
	fw_policy_advance(ps);
	int n, set_name = -1;
	size_t first = 0, count = 0;
	if (ps->tok.kind == TK_LBRACKET) {
		if (!fw_policy_parse_list(ps, &first, &count))
			return -1;
	} else if (ps->tok.kind == TK_IDENT && ps->tok.kw == KW_NONE && !at_attribute(ps)) {
		if ((set_name = fw_policy_value_add(ps)) < 0)
			return -1;
		fw_policy_advance(ps);
	} else {
		fw_policy_expected(ps, "a list [..] or the name of a set after 'in'");
		return -1;
	}
	if ((n = new_node(ps, COND_IN, line, col)) < 0)
		return -1;
	struct fw_policy_cond *c = &ps->pol->conds[n];
	c->attr = attr;
	c->val = set_name;
	c->set = -1;
	c->first = first;
	c->n = count;
	return n;
}

/* value "in" attribute, the attribute a list: the value is the lookahead. */
static int parse_has(struct fw_policy_parser *ps)
{
	int line = ps->tok.line, col = ps->tok.col;
	int v = fw_policy_value_add(ps);
	if (v < 0)
		return -1;
	fw_policy_advance(ps);
	if (!fw_policy_at_kw(ps, KW_IN)) {
		const struct fw_policy_value *val = &ps->pol->values[v];
		if (is_compare(ps->tok.kind) && val->type == VAL_NAME) {
			const char *hint = "member.<attribute>, advisory.<attribute> or kind";
			for (int a = 0; a < ATTR_COUNT; a++) {
				const char *dot = strchr(attrs[a].name, '.');
				if (dot && strcmp(dot + 1, val->s) == 0) {
					hint = attrs[a].name;
					break;
				}
			}
			fw_policy_diag_add(ps->sink, false, line, col, "\"%.*s\" is not an attribute: write %s",
					   qlen(val->len), val->s, hint);
		} else {
			fw_policy_expected(ps, "'in' after the value (a comparison starts with the attribute, "
					       "as in member.tier == ans)");
		}
		return -1;
	}
	fw_policy_advance(ps);
	if (!at_attribute(ps)) {
		fw_policy_expected(ps, "a list attribute (member.tags, advisory.tags, advisory.products, "
				       "advisory.cves) after 'in'");
		return -1;
	}
	int aline = ps->tok.line, acol = ps->tok.col;
	enum fw_policy_attr attr;
	if (!parse_attribute(ps, &attr))
		return -1;
	if (attrs[attr].type != AT_LIST) {
		fw_policy_diag_add(ps->sink, false, aline, acol, "%s is not a list: write %s == \"%.*s\"",
				   attrs[attr].name, attrs[attr].name, qlen(ps->pol->values[v].len),
				   ps->pol->values[v].s);
		return -1;
	}
	int n = new_node(ps, COND_HAS, line, col);
	if (n < 0)
		return -1;
	ps->pol->conds[n].attr = attr;
	ps->pol->conds[n].val = v;
	return n;
}

static int parse_comparison(struct fw_policy_parser *ps)
{
	if (ps->tok.kind == TK_STRING || ps->tok.kind == TK_NUMBER ||
	    (ps->tok.kind == TK_IDENT && ps->tok.kw == KW_NONE && !at_attribute(ps)))
		return parse_has(ps);
	if (!at_attribute(ps)) {
		if (fw_policy_at_kw(ps, KW_TIER))
			fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
					   "'tier' is not an attribute here: write member.tier");
		else
			fw_policy_expected(ps, "a condition (an attribute such as member.jurisdiction, "
					       "a value followed by 'in', 'not' or '(')");
		return -1;
	}
	int line = ps->tok.line, col = ps->tok.col;
	enum fw_policy_attr attr;
	if (!parse_attribute(ps, &attr))
		return -1;
	if (is_compare(ps->tok.kind))
		return parse_compare(ps, attr, line, col);
	if (fw_policy_at_kw(ps, KW_IN))
		return parse_in(ps, attr, line, col);
	char what[96];
	snprintf(what, sizeof what, "an operator (==, !=, <, <=, >, >=, in) after %s", attrs[attr].name);
	fw_policy_expected(ps, what);
	return -1;
}

/* ---- and, or, not, parentheses -------------------------------------------- */

static int parse_or(struct fw_policy_parser *ps, int depth);

static bool too_deep(struct fw_policy_parser *ps, int depth)
{
	if (depth < FW_POLICY_MAX_COND_DEPTH)
		return false;
	fw_policy_diag_add(ps->sink, false, ps->tok.line, ps->tok.col,
			   "condition nested too deeply (at most %d levels of parentheses and 'not')",
			   FW_POLICY_MAX_COND_DEPTH);
	return true;
}

static int parse_not(struct fw_policy_parser *ps, int depth)
{
	if (fw_policy_at_kw(ps, KW_NOT)) {
		int line = ps->tok.line, col = ps->tok.col;
		if (too_deep(ps, depth))
			return -1;
		fw_policy_advance(ps);
		int a = parse_not(ps, depth + 1);
		if (a < 0)
			return -1;
		int n = new_node(ps, COND_NOT, line, col);
		if (n >= 0)
			ps->pol->conds[n].a = a;
		return n;
	}
	if (ps->tok.kind == TK_LPAREN) {
		int open_line = ps->tok.line;
		if (too_deep(ps, depth))
			return -1;
		fw_policy_advance(ps);
		int inner = parse_or(ps, depth + 1);
		if (inner < 0)
			return -1;
		if (ps->tok.kind != TK_RPAREN) {
			char what[64];
			snprintf(what, sizeof what, "')' (opened at line %d), 'and' or 'or'", open_line);
			fw_policy_expected(ps, what);
			return -1;
		}
		fw_policy_advance(ps);
		return inner;
	}
	return parse_comparison(ps);
}

/* A left-leaning chain of one operator: a and b and c. */
static int parse_chain(struct fw_policy_parser *ps, int depth, enum fw_policy_kw kw)
{
	int left = kw == KW_OR ? parse_chain(ps, depth, KW_AND) : parse_not(ps, depth);
	while (left >= 0 && fw_policy_at_kw(ps, kw)) {
		int line = ps->tok.line, col = ps->tok.col;
		fw_policy_advance(ps);
		int right = kw == KW_OR ? parse_chain(ps, depth, KW_AND) : parse_not(ps, depth);
		if (right < 0)
			return -1;
		int n = new_node(ps, kw == KW_OR ? COND_OR : COND_AND, line, col);
		if (n < 0)
			return -1;
		ps->pol->conds[n].a = left;
		ps->pol->conds[n].b = right;
		left = n;
	}
	return left;
}

static int parse_or(struct fw_policy_parser *ps, int depth) { return parse_chain(ps, depth, KW_OR); }

bool fw_policy_parse_condition(struct fw_policy_parser *ps, int *root)
{
	ps->cond_nodes = 0;
	ps->cond_limit_reported = false;
	int n = parse_or(ps, 0);
	if (n < 0)
		return false;
	*root = n;
	return true;
}
