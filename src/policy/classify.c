/* Member classes: members the policy cannot tell apart get the same
 * decision for every advisory and kind, so the planner decides once per
 * class instead of once per member.
 *
 * What a decision reads of a member: its tier (the grant block, and
 * conditions), its status (suspended and expelled get nothing; conditions),
 * and its id, jurisdiction and tags only through conditions. Those three
 * are compared by equality alone (==, !=, in, "x" in member.tags), so two
 * values the policy never names behave alike: the class keeps such a value
 * only when the policy names it, and writes "*" otherwise. */
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"

/* The attributes compared by equality whose unnamed values are merged. */
enum { C_ID, C_JURISDICTION, C_TAGS, C_COUNT };

struct fw_policy_classifier {
	/* The literals each attribute is compared with (in pol->values),
	 * sorted by bytes and without duplicates. */
	size_t n[C_COUNT];
	const struct fw_policy_value **lit[C_COUNT];
};

static int attr_slot(enum fw_policy_attr a)
{
	switch (a) {
	case ATTR_MEMBER_ID: return C_ID;
	case ATTR_MEMBER_JURISDICTION: return C_JURISDICTION;
	case ATTR_MEMBER_TAGS: return C_TAGS;
	default: return -1;
	}
}

static int cmp_lit(const void *x, const void *y)
{
	const struct fw_policy_value *a = *(const struct fw_policy_value *const *)x;
	const struct fw_policy_value *b = *(const struct fw_policy_value *const *)y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->s, b->s, n);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static bool named(const struct fw_policy_classifier *c, int slot, const char *s, size_t len)
{
	size_t lo = 0, hi = c->n[slot];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct fw_policy_value *v = c->lit[slot][mid];
		size_t n = v->len < len ? v->len : len;
		int k = memcmp(s, v->s, n);
		if (k == 0)
			k = (len > v->len) - (len < v->len);
		if (k == 0)
			return true;
		if (k < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

enum fw_err fw_policy_classifier_new(const struct fw_policy *p, struct fw_policy_classifier **out)
{
	struct fw_policy_classifier *c = calloc(1, sizeof *c);
	if (!c)
		return FW_ERR_NOMEM;
	/* Every value a member attribute is compared with: a named set used by
	 * several conditions is counted once per use, so count first. */
	size_t need[C_COUNT] = {0};
	for (size_t i = 0; i < p->nconds; i++) {
		const struct fw_policy_cond *k = &p->conds[i];
		int s = attr_slot(k->attr);
		if (s >= 0)
			need[s] += k->op == COND_IN ? k->n : 1;
	}
	for (int s = 0; s < C_COUNT; s++) {
		c->lit[s] = calloc(need[s] + 1, sizeof *c->lit[s]);
		if (!c->lit[s]) {
			fw_policy_classifier_free(c);
			return FW_ERR_NOMEM;
		}
	}
	for (size_t i = 0; i < p->nconds; i++) {
		const struct fw_policy_cond *k = &p->conds[i];
		int s = attr_slot(k->attr);
		if (s < 0 || (k->op != COND_CMP && k->op != COND_IN && k->op != COND_HAS))
			continue;
		if (k->op == COND_IN) {
			for (size_t j = 0; j < k->n && k->first + j < p->nvalues; j++)
				c->lit[s][c->n[s]++] = &p->values[k->first + j];
		} else if (k->val >= 0 && (size_t)k->val < p->nvalues) {
			c->lit[s][c->n[s]++] = &p->values[k->val];
		}
	}
	for (int s = 0; s < C_COUNT; s++) {
		qsort(c->lit[s], c->n[s], sizeof *c->lit[s], cmp_lit);
		size_t w = 0;
		for (size_t j = 0; j < c->n[s]; j++)
			if (w == 0 || cmp_lit(&c->lit[s][w - 1], &c->lit[s][j]) != 0)
				c->lit[s][w++] = c->lit[s][j];
		c->n[s] = w;
	}
	*out = c;
	return FW_OK;
}

void fw_policy_classifier_free(struct fw_policy_classifier *c)
{
	if (!c)
		return;
	for (int s = 0; s < C_COUNT; s++)
		free(c->lit[s]);
	free(c);
}

static bool put(char *out, size_t cap, size_t *k, const char *s, size_t len)
{
	if (*k + len >= cap)
		return false;
	memcpy(out + *k, s, len);
	*k += len;
	out[*k] = '\0';
	return true;
}

static bool put_value(const struct fw_policy_classifier *c, int slot, char *out, size_t cap, size_t *k,
		      const char *s, size_t len)
{
	return named(c, slot, s, len) ? put(out, cap, k, s, len) : put(out, cap, k, "*", 1);
}

static int cmp_tag(const void *x, const void *y)
{
	return strcmp((const char *)x, (const char *)y);
}

/* "tier=ans status=active jurisdiction=CN id=* tags=embargo-breach,gov" */
static bool classify(const struct fw_policy_classifier *c, const struct fw_member *m, char *out, size_t cap)
{
	const char *status = fw_member_status_name(m->status);
	size_t k = 0;
	bool ok = put(out, cap, &k, "tier=", 5) && put(out, cap, &k, m->tier, strnlen(m->tier, sizeof m->tier)) &&
		  put(out, cap, &k, " status=", 8) && put(out, cap, &k, status, strlen(status)) &&
		  put(out, cap, &k, " jurisdiction=", 14) &&
		  put_value(c, C_JURISDICTION, out, cap, &k, m->jurisdiction,
			    strnlen(m->jurisdiction, sizeof m->jurisdiction)) &&
		  put(out, cap, &k, " id=", 4) &&
		  put_value(c, C_ID, out, cap, &k, m->id, strnlen(m->id, sizeof m->id)) &&
		  put(out, cap, &k, " tags=", 6);
	if (!ok)
		return false;
	/* The named tags, sorted, so that the order tags were given in does
	 * not split a class. */
	size_t ntags = m->tags.n < FW_MODEL_MAX_TAGS ? m->tags.n : FW_MODEL_MAX_TAGS, nkept = 0;
	char kept[FW_MODEL_MAX_TAGS][FW_MODEL_TAG_BYTES];
	for (size_t i = 0; i < ntags; i++) {
		size_t len = strnlen(m->tags.v[i], sizeof m->tags.v[i]);
		if (len < FW_MODEL_TAG_BYTES && named(c, C_TAGS, m->tags.v[i], len)) {
			memcpy(kept[nkept], m->tags.v[i], len + 1);
			nkept++;
		}
	}
	qsort(kept, nkept, sizeof kept[0], cmp_tag);
	for (size_t i = 0; i < nkept; i++) {
		if (i > 0 && strcmp(kept[i], kept[i - 1]) == 0)
			continue;
		if ((i > 0 && !put(out, cap, &k, ",", 1)) || !put(out, cap, &k, kept[i], strlen(kept[i])))
			return false;
	}
	return true;
}

void fw_policy_classify(const struct fw_policy_classifier *c, const struct fw_member *m,
			char out[FW_POLICY_CLASS_BYTES])
{
	/* A member whose class would not fit is a class of its own: always
	 * right, only slower. */
	if (!classify(c, m, out, FW_POLICY_CLASS_BYTES))
		snprintf(out, FW_POLICY_CLASS_BYTES, "member=%.*s", (int)strnlen(m->id, sizeof m->id), m->id);
}
