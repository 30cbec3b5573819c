/* Evaluating conditions: for a member, an advisory and a kind (deciding),
 * and, one atom at a time, for a candidate value (analyze.c). Pure. */
#include <string.h>

#include "policy/internal.h"

/* Orders the len bytes at s against a value, as strcmp orders values. */
static int cmp_bytes(const char *s, size_t len, const struct fw_policy_value *v)
{
	size_t m = len < v->len ? len : v->len;
	int c = memcmp(s, v->s, m);
	if (c != 0)
		return c;
	return len < v->len ? -1 : len > v->len ? 1 : 0;
}

bool fw_policy_values_have(const struct fw_policy *p, size_t first, size_t n, const char *s, size_t len)
{
	size_t lo = first, hi = first + n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_bytes(s, len, &p->values[mid]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static bool ordered(enum fw_policy_tok op, double x, double key)
{
	switch (op) {
	case TK_EQ: return x == key;
	case TK_NE: return x != key;
	case TK_LT: return x < key;
	case TK_LE: return x <= key;
	case TK_GT: return x > key;
	case TK_GE: return x >= key;
	default: return false;
	}
}

bool fw_policy_atom_scalar(const struct fw_policy *p, const struct fw_policy_cond *c, const char *s, size_t len,
			   double num)
{
	enum fw_policy_atype t = fw_policy_attr_info(c->attr)->type;
	if (c->op == COND_IN)
		return s && fw_policy_values_have(p, c->first, c->n, s, len);
	if (c->op != COND_CMP)
		return false;
	if (t == AT_NUMBER || t == AT_SEVERITY)
		return ordered(c->cmp, num, c->key);
	bool eq = s && cmp_bytes(s, len, &p->values[c->val]) == 0;
	return c->cmp == TK_EQ ? eq : !eq;
}

/* ---- the subject of a decision ------------------------------------------- */

static const char *bounded(const char *s, size_t bytes, size_t *len)
{
	*len = strnlen(s, bytes);
	return s;
}

static const char *scalar_of(const struct fw_policy_subject *s, enum fw_policy_attr attr, size_t *len,
			     double *num)
{
	const struct fw_member *m = s->m;
	const struct fw_advisory *a = s->a;
	const char *v;
	*num = 0;
	switch (attr) {
	case ATTR_MEMBER_ID: return bounded(m->id, sizeof m->id, len);
	case ATTR_MEMBER_TIER: return bounded(m->tier, sizeof m->tier, len);
	case ATTR_MEMBER_JURISDICTION: return bounded(m->jurisdiction, sizeof m->jurisdiction, len);
	case ATTR_MEMBER_STATUS: v = fw_member_status_name(m->status); break;
	case ATTR_ADVISORY_ID: return bounded(a->id, sizeof a->id, len);
	case ATTR_ADVISORY_SEVERITY:
		*num = s->severity;
		v = fw_cvss_severity_name((enum fw_cvss_severity)s->severity);
		break;
	case ATTR_ADVISORY_CVSS:
		*num = s->cvss10;
		v = "";
		break;
	case ATTR_KIND: v = fw_kind_name(s->kind); break;
	default: v = ""; break;
	}
	*len = strlen(v);
	return v;
}

/* A list attribute as items of stride bytes each. */
static const char *list_of(const struct fw_policy_subject *s, enum fw_policy_attr attr, size_t *n, size_t *stride)
{
	const struct fw_member *m = s->m;
	const struct fw_advisory *a = s->a;
	switch (attr) {
	case ATTR_MEMBER_TAGS:
		*n = m->tags.n < FW_MODEL_MAX_TAGS ? m->tags.n : FW_MODEL_MAX_TAGS;
		*stride = sizeof m->tags.v[0];
		return m->tags.v[0];
	case ATTR_ADVISORY_TAGS:
		*n = a->tags.n < FW_MODEL_MAX_TAGS ? a->tags.n : FW_MODEL_MAX_TAGS;
		*stride = sizeof a->tags.v[0];
		return a->tags.v[0];
	case ATTR_ADVISORY_PRODUCTS:
		*n = a->nproducts < FW_MODEL_MAX_PRODUCTS ? a->nproducts : FW_MODEL_MAX_PRODUCTS;
		*stride = sizeof a->products[0];
		return a->products[0];
	case ATTR_ADVISORY_CVES:
		*n = a->ncves < FW_MODEL_MAX_CVES ? a->ncves : FW_MODEL_MAX_CVES;
		*stride = sizeof a->cves[0];
		return a->cves[0];
	default: *n = 0; *stride = 1; return "";
	}
}

/* COND_IN: some item is in the list; COND_HAS: some item is the value. */
static bool list_atom(const struct fw_policy *p, const struct fw_policy_cond *c, const struct fw_policy_subject *s)
{
	size_t n, stride;
	const char *items = list_of(s, c->attr, &n, &stride);
	for (size_t i = 0; i < n; i++) {
		const char *item = items + i * stride;
		size_t len = strnlen(item, stride);
		bool hit = c->op == COND_IN ? fw_policy_values_have(p, c->first, c->n, item, len)
					    : cmp_bytes(item, len, &p->values[c->val]) == 0;
		if (hit)
			return true;
	}
	return false;
}

bool fw_policy_eval(const struct fw_policy *p, int n, const struct fw_policy_subject *s)
{
	const struct fw_policy_cond *c = &p->conds[n];
	switch (c->op) {
	case COND_AND: return fw_policy_eval(p, c->a, s) && fw_policy_eval(p, c->b, s);
	case COND_OR: return fw_policy_eval(p, c->a, s) || fw_policy_eval(p, c->b, s);
	case COND_NOT: return !fw_policy_eval(p, c->a, s);
	default: break;
	}
	if (fw_policy_attr_info(c->attr)->type == AT_LIST)
		return list_atom(p, c, s);
	size_t len;
	double num;
	const char *v = scalar_of(s, c->attr, &len, &num);
	return fw_policy_atom_scalar(p, c, v, len, num);
}
