/* After parsing: set names and capped tiers are resolved, every value is
 * checked against the attribute it is compared with, lists are sorted for
 * lookup, and the warnings that need the whole policy are reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "policy/internal.h"

static int qlen(size_t len) { return (int)(len > FW_POLICY_QUOTE_BYTES ? FW_POLICY_QUOTE_BYTES : len); }

/* ---- the shapes of attribute values ------------------------------------ */

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* The model's slug rule (fw_model_is_slug), here so as not to depend on the
 * model's validators: a value of another shape can match no member. */
static bool is_slug(const char *s, size_t len, size_t max_bytes)
{
	if (len == 0 || len >= max_bytes || !is_lower_alnum(s[0]) || s[len - 1] == '-')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool is_cve(const char *s, size_t len)
{
	if (len < 13 || len >= FW_MODEL_CVE_BYTES || memcmp(s, "CVE-", 4) != 0 || s[8] != '-')
		return false;
	for (size_t i = 4; i < len; i++)
		if (i != 8 && !is_digit(s[i]))
			return false;
	return true;
}

/* Warns about a value that no value of the attribute can equal. */
static void check_shape(const struct fw_policy *p, struct fw_policy_sink *sink, enum fw_policy_attr attr,
			const struct fw_policy_value *v)
{
	const struct fw_policy_attr_info *ai = fw_policy_attr_info(attr);
	size_t max = attr == ATTR_MEMBER_TAGS || attr == ATTR_ADVISORY_TAGS ? FW_MODEL_TAG_BYTES : FW_MODEL_ID_BYTES;
	switch (ai->shape) {
	case SHAPE_SLUG:
		if (!is_slug(v->s, v->len, max)) {
			fw_policy_diag_add(sink, true, v->line, v->col,
					   "\"%.*s\" never matches %s: its values are lower-case slugs (letters, digits "
					   "and '-', at most %zu bytes)",
					   qlen(v->len), v->s, ai->name, max - 1);
			return;
		}
		if (attr == ATTR_MEMBER_TIER) {
			bool found = false;
			for (size_t i = 0; i < p->ntiers && !found; i++)
				found = strcmp(p->tiers[i].name, v->s) == 0;
			if (!found)
				fw_policy_diag_add(sink, true, v->line, v->col, "no tier \"%s\" is defined in this policy",
						   v->s);
		}
		return;
	case SHAPE_JURISDICTION:
		if (v->len != 0 && !(v->len == 2 && is_upper(v->s[0]) && is_upper(v->s[1])))
			fw_policy_diag_add(sink, true, v->line, v->col,
					   "\"%.*s\" never matches %s: its values are ISO 3166-1 codes of two "
					   "upper-case letters, as in CN",
					   qlen(v->len), v->s, ai->name);
		return;
	case SHAPE_CVE:
		if (!is_cve(v->s, v->len))
			fw_policy_diag_add(sink, true, v->line, v->col,
					   "\"%.*s\" never matches %s: its values are CVE ids, as in CVE-2025-53770",
					   qlen(v->len), v->s, ai->name);
		return;
	case SHAPE_ANY: return;
	}
}

/* ---- values against attributes ------------------------------------------ */

static const char *const statuses[] = {"active", "probation", "suspended", "expelled"};
static const char *const severities[] = {"none", "low", "medium", "high", "critical"};

static int index_of(const char *const *names, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

static int kind_index(const char *s)
{
	for (int k = 0; k < FW_KIND_COUNT; k++)
		if (strcmp(fw_kind_name((enum fw_kind)k), s) == 0)
			return k;
	return -1;
}

/* A number of the text, as written, in tenths: 9.8 is 98 exactly, although
 * the lexer's 9.8 is 9.800000000000001. */
static double tenths(double v)
{
	double t = v * 10.0;
	double r = (double)(long long)(t + 0.5);
	return t - r < 1e-6 && r - t < 1e-6 ? r : t;
}

/* Checks one value compared with (or listed for) attr; sets *key for the
 * ordered attributes. Reports errors and warnings. */
static void check_value(const struct fw_policy *p, struct fw_policy_sink *sink, enum fw_policy_attr attr,
			const struct fw_policy_value *v, double *key)
{
	const struct fw_policy_attr_info *ai = fw_policy_attr_info(attr);
	int line = v->line, col = v->col, i;
	if (ai->type == AT_NUMBER) {
		if (v->type != VAL_NUMBER)
			fw_policy_diag_add(sink, false, line, col,
					   "expected a number (a CVSS score, 0 to 10) to compare with %s, found \"%.*s\"",
					   ai->name, qlen(v->len), v->s);
		else if (v->num > 10.0)
			fw_policy_diag_add(sink, false, line, col,
					   "number %.*s is out of range: CVSS scores go from 0 to 10", qlen(v->len), v->s);
		else if (key)
			*key = tenths(v->num);
		return;
	}
	if (v->type == VAL_NUMBER) {
		fw_policy_diag_add(sink, false, line, col, "expected %s to compare with %s, found number %.*s",
				   ai->type == AT_SEVERITY ? "a severity (none, low, medium, high, critical)"
				   : attr == ATTR_KIND	   ? "an artifact kind"
				   : attr == ATTR_MEMBER_STATUS ? "a member status"
								: "a name or a string",
				   ai->name, qlen(v->len), v->s);
		return;
	}
	switch (attr) {
	case ATTR_ADVISORY_SEVERITY:
		if ((i = index_of(severities, 5, v->s)) < 0)
			fw_policy_diag_add(sink, false, line, col,
					   "unknown severity \"%.*s\" (one of: none, low, medium, high, critical)",
					   qlen(v->len), v->s);
		else if (key)
			*key = i;
		return;
	case ATTR_MEMBER_STATUS:
		if ((i = index_of(statuses, 4, v->s)) < 0)
			fw_policy_diag_add(sink, false, line, col,
					   "unknown member status \"%.*s\" (one of: active, probation, suspended, expelled)",
					   qlen(v->len), v->s);
		else if (i >= 2)
			fw_policy_diag_add(sink, true, line, col,
					   "member.status is never %s where restrictions apply: suspended and expelled "
					   "members get nothing anyway",
					   v->s);
		return;
	case ATTR_KIND:
		if (kind_index(v->s) < 0)
			fw_policy_diag_add(sink, false, line, col,
					   "unknown artifact kind \"%.*s\" (one of: summary, description, detection, "
					   "indicators, mitigation, poc)",
					   qlen(v->len), v->s);
		return;
	default: check_shape(p, sink, attr, v); return;
	}
}

/* ---- resolution ------------------------------------------------------------ */

static int set_index(const struct fw_policy *p, const char *name)
{
	for (size_t i = 0; i < p->nsets; i++)
		if (strcmp(p->sets[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void resolve_in(struct fw_policy *p, struct fw_policy_sink *sink, struct fw_policy_cond *c)
{
	bool check = true;
	if (c->val >= 0) {
		const struct fw_policy_value *name = &p->values[c->val];
		int s = set_index(p, name->s);
		if (s < 0) {
			fw_policy_diag_add(sink, false, name->line, name->col,
					   "undefined set \"%.*s\" (a list is written in brackets, as in [%.*s])",
					   qlen(name->len), name->s, qlen(name->len), name->s);
			return;
		}
		struct fw_policy_set *set = &p->sets[s];
		c->set = s;
		c->first = set->first;
		c->n = set->n;
		set->used = true;
		/* A set used twice with one attribute is checked once. */
		check = !(set->checked & (1u << c->attr));
		set->checked |= 1u << c->attr;
	}
	for (size_t i = 0; check && i < c->n; i++)
		check_value(p, sink, c->attr, &p->values[c->first + i], NULL);
}

static int cmp_value(const void *a, const void *b)
{
	return strcmp(((const struct fw_policy_value *)a)->s, ((const struct fw_policy_value *)b)->s);
}

static void sort_values(struct fw_policy *p, size_t first, size_t n)
{
	if (n > 1) /* an empty list may have no array at all */
		qsort(p->values + first, n, sizeof *p->values, cmp_value);
}

static void resolve_caps(struct fw_policy *p, struct fw_policy_sink *sink)
{
	for (size_t i = 0; i < p->nrestr; i++) {
		for (size_t j = 0; j < p->restr[i].neffects; j++) {
			struct fw_policy_effect *e = &p->restr[i].effects[j];
			if (e->type != EFFECT_CAP)
				continue;
			for (size_t t = 0; t < p->ntiers && e->tier_index < 0; t++)
				if (strcmp(p->tiers[t].name, e->tier) == 0)
					e->tier_index = (int)t;
			if (e->tier_index < 0)
				fw_policy_diag_add(sink, false, e->tier_line, e->tier_col,
						   "cap tier \"%s\": there is no tier \"%s\" in this policy", e->tier,
						   e->tier);
		}
	}
}

void fw_policy_resolve(struct fw_policy *p, struct fw_policy_sink *sink)
{
	for (size_t i = 0; i < p->nconds; i++) {
		struct fw_policy_cond *c = &p->conds[i];
		if (c->op == COND_IN)
			resolve_in(p, sink, c);
		else if (c->op == COND_CMP || c->op == COND_HAS)
			check_value(p, sink, c->attr, &p->values[c->val], &c->key);
	}
	resolve_caps(p, sink);
	/* Sorted once here, so that deciding looks elements up by bisection.
	 * Named sets first; an inline list is sorted through its one atom. */
	for (size_t i = 0; i < p->nsets; i++)
		sort_values(p, p->sets[i].first, p->sets[i].n);
	for (size_t i = 0; i < p->nconds; i++)
		if (p->conds[i].op == COND_IN && p->conds[i].val < 0)
			sort_values(p, p->conds[i].first, p->conds[i].n);
}

/* ---- warnings over the resolved policy -------------------------------------- */

static bool anyone_grants(const struct fw_policy *p, int k)
{
	if (p->has_public && p->pub.best[k] >= 0)
		return true;
	for (size_t i = 0; i < p->ntiers; i++)
		if (p->tiers[i].best[k] >= 0)
			return true;
	return false;
}

static void lint_effects(const struct fw_policy *p, struct fw_policy_sink *sink,
			 const struct fw_policy_restriction *r, bool cond_has_kind, long *budget)
{
	for (size_t j = 0; j < r->neffects; j++) {
		const struct fw_policy_effect *e = &r->effects[j];
		if (e->type == EFFECT_CAP)
			continue;
		const char *what = e->type == EFFECT_WITHHOLD ? "withhold" : "delay";
		if (cond_has_kind && !fw_policy_cond_satisfiable(p, r->cond, e->kinds, budget)) {
			fw_policy_diag_add(sink, true, e->line, e->col,
					   "this %s never applies: the condition of restriction \"%s\" rules out every "
					   "kind it names",
					   what, r->name);
			continue;
		}
		for (int k = 0; k < FW_KIND_COUNT && !e->kinds_all; k++)
			if ((e->kinds & (1u << k)) && !anyone_grants(p, k))
				fw_policy_diag_add(sink, true, e->kind_line[k], e->kind_col[k],
						   "no tier or public block grants %s: %s it changes nothing",
						   fw_kind_name((enum fw_kind)k),
						   e->type == EFFECT_WITHHOLD ? "withholding" : "delaying");
	}
}

static bool mentions_kind(const struct fw_policy *p, int n)
{
	const struct fw_policy_cond *c = &p->conds[n];
	switch (c->op) {
	case COND_AND:
	case COND_OR: return mentions_kind(p, c->a) || mentions_kind(p, c->b);
	case COND_NOT: return mentions_kind(p, c->a);
	default: return c->attr == ATTR_KIND;
	}
}

static void lint_embargo(const struct fw_policy *p, struct fw_policy_sink *sink, const struct fw_policy_block *b)
{
	char dur[FW_TIME_BYTES], when[32];
	fw_duration_format(p->max_embargo, dur);
	for (size_t i = 0; i < b->ngrants; i++) {
		const struct fw_policy_grant *g = &b->grants[i];
		if (g->offset >= -p->max_embargo)
			continue;
		fw_policy_format_time(g->offset, when, sizeof when);
		fw_policy_diag_add(sink, true, g->line, g->col,
				   "grant at %s is more than max_embargo %s%s before T: a plan that releases by it "
				   "is refused",
				   when, dur, p->max_embargo_line ? "" : " (the default)");
	}
}

void fw_policy_lint(struct fw_policy *p, struct fw_policy_sink *sink)
{
	long budget = FW_POLICY_ANALYSIS_BUDGET;
	for (size_t i = 0; i < p->nsets; i++)
		if (!p->sets[i].used)
			fw_policy_diag_add(sink, true, p->sets[i].line, p->sets[i].col, "set \"%s\" is never used",
					   p->sets[i].name);
	for (size_t i = 0; i < p->ntiers; i++)
		lint_embargo(p, sink, &p->tiers[i]);
	if (p->has_public)
		lint_embargo(p, sink, &p->pub);
	for (size_t i = 0; i < p->nrestr; i++) {
		const struct fw_policy_restriction *r = &p->restr[i];
		if (!fw_policy_cond_satisfiable(p, r->cond, (1u << FW_KIND_COUNT) - 1, &budget)) {
			fw_policy_diag_add(sink, true, r->cond_line, r->cond_col,
					   "restriction \"%s\" never applies: its condition can never be true", r->name);
			continue;
		}
		lint_effects(p, sink, r, mentions_kind(p, r->cond), &budget);
	}
}
