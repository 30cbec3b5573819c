/* Can a condition ever hold? For the warning "restriction X never applies".
 *
 * The condition is put in disjunctive normal form (negations pushed down to
 * the comparisons), and each conjunction is checked attribute by attribute:
 *
 * * one-valued attributes are tried on every value that matters: each value
 *   the conjunction mentions plus one it does not (for member.id, tier,
 *   jurisdiction), every kind allowed, the statuses restrictions can see
 *   (active, probation), every CVSS score 0.0 .. 10.0 (with the severity it
 *   implies, so `severity == critical and cvss < 5` is seen as false);
 * * list attributes by sets: the elements it must hold must not be
 *   excluded, and each `in LIST` must keep an element not excluded.
 *
 * The result is exact for conditions that fit the bounds below and within
 * the effort budget of the caller; otherwise the condition is reported
 * satisfiable (no warning), never the other way round. */
#include <stdlib.h>
#include <string.h>

#include "policy/internal.h"

#define MAX_CUBES 64
#define MAX_LITS 64

/* A literal is node * 2 + negated. */
struct cube {
	size_t n;
	int lit[MAX_LITS];
};

struct dnf {
	size_t n;
	struct cube c[MAX_CUBES];
};

struct ctx {
	const struct fw_policy *p;
	unsigned kind_mask;
	long *budget; /* comparisons left to evaluate; below 0: give up */
};

static const struct fw_policy_cond *node_of(const struct ctx *x, int lit) { return &x->p->conds[lit / 2]; }

static bool holds(const struct ctx *x, int lit, const char *s, size_t len, double num)
{
	--*x->budget;
	return fw_policy_atom_scalar(x->p, node_of(x, lit), s, len, num) != (lit & 1);
}

/* Whether one value satisfies every literal of the cube on the attributes
 * in attr_mask (a scalar attribute, or cvss and severity together). */
static bool all_hold(const struct ctx *x, const struct cube *q, unsigned attr_mask, const char *s, size_t len,
		     double cvss10, int sev)
{
	for (size_t i = 0; i < q->n; i++) {
		const struct fw_policy_cond *c = node_of(x, q->lit[i]);
		if (!(attr_mask & (1u << c->attr)))
			continue;
		if (c->attr == ATTR_ADVISORY_CVSS) {
			if (!holds(x, q->lit[i], "", 0, cvss10))
				return false;
		} else if (c->attr == ATTR_ADVISORY_SEVERITY) {
			const char *name = fw_cvss_severity_name((enum fw_cvss_severity)sev);
			if (!holds(x, q->lit[i], name, strlen(name), sev))
				return false;
		} else if (!holds(x, q->lit[i], s, len, 0)) {
			return false;
		}
	}
	return true;
}

static bool score_ok(const struct ctx *x, const struct cube *q)
{
	unsigned m = (1u << ATTR_ADVISORY_CVSS) | (1u << ATTR_ADVISORY_SEVERITY);
	for (int t = 0; t <= 100; t++)
		if (all_hold(x, q, m, NULL, 0, t, (int)fw_cvss_severity(t / 10.0)))
			return true;
	return false;
}

static bool closed_ok(const struct ctx *x, const struct cube *q, enum fw_policy_attr attr)
{
	if (attr == ATTR_MEMBER_STATUS) {
		static const enum fw_member_status seen[] = {FW_MEMBER_ACTIVE, FW_MEMBER_PROBATION};
		for (size_t i = 0; i < 2; i++) {
			const char *v = fw_member_status_name(seen[i]);
			if (all_hold(x, q, 1u << attr, v, strlen(v), 0, 0))
				return true;
		}
		return false;
	}
	for (int k = 0; k < FW_KIND_COUNT; k++) {
		const char *v = fw_kind_name((enum fw_kind)k);
		if ((x->kind_mask & (1u << k)) && all_hold(x, q, 1u << attr, v, strlen(v), 0, 0))
			return true;
	}
	return false;
}

/* member.id, member.tier, member.jurisdiction, advisory.id. */
static bool open_ok(const struct ctx *x, const struct cube *q, enum fw_policy_attr attr)
{
	if (all_hold(x, q, 1u << attr, NULL, 0, 0, 0)) /* a value the cube does not name */
		return true;
	for (size_t i = 0; i < q->n; i++) {
		const struct fw_policy_cond *c = node_of(x, q->lit[i]);
		if (c->attr != attr)
			continue;
		size_t first = c->op == COND_IN ? c->first : (size_t)c->val;
		size_t n = c->op == COND_IN ? c->n : 1;
		for (size_t j = first; j < first + n; j++) {
			const struct fw_policy_value *v = &x->p->values[j];
			if (all_hold(x, q, 1u << attr, v->s, v->len, 0, 0))
				return true;
		}
	}
	return false;
}

/* Whether a list that must not hold s can (negated literals on attr). */
static bool excluded(const struct ctx *x, const struct cube *q, enum fw_policy_attr attr, const char *s, size_t len)
{
	--*x->budget;
	for (size_t i = 0; i < q->n; i++) {
		const struct fw_policy_cond *c = node_of(x, q->lit[i]);
		if (c->attr != attr || !(q->lit[i] & 1))
			continue;
		if (c->op == COND_IN ? fw_policy_values_have(x->p, c->first, c->n, s, len)
				     : (x->p->values[c->val].len == len && memcmp(x->p->values[c->val].s, s, len) == 0))
			return true;
	}
	return false;
}

static bool list_ok(const struct ctx *x, const struct cube *q, enum fw_policy_attr attr)
{
	const struct fw_policy *p = x->p;
	for (size_t i = 0; i < q->n; i++) {
		const struct fw_policy_cond *c = node_of(x, q->lit[i]);
		if (c->attr != attr || (q->lit[i] & 1))
			continue;
		if (c->op == COND_HAS) {
			if (excluded(x, q, attr, p->values[c->val].s, p->values[c->val].len))
				return false;
			continue;
		}
		/* An `in LIST`: met by a required element, or by one not excluded. */
		bool met = false;
		for (size_t j = 0; j < q->n && !met; j++) {
			const struct fw_policy_cond *h = node_of(x, q->lit[j]);
			met = h->attr == attr && h->op == COND_HAS && !(q->lit[j] & 1) &&
			      fw_policy_values_have(p, c->first, c->n, p->values[h->val].s, p->values[h->val].len);
		}
		for (size_t j = c->first; j < c->first + c->n && !met; j++)
			met = !excluded(x, q, attr, p->values[j].s, p->values[j].len);
		if (!met)
			return false;
	}
	return true;
}

static bool cube_ok(const struct ctx *x, const struct cube *q)
{
	unsigned seen = 0;
	for (size_t i = 0; i < q->n; i++)
		seen |= 1u << node_of(x, q->lit[i])->attr;
	if (x->kind_mask != (1u << FW_KIND_COUNT) - 1)
		seen |= 1u << ATTR_KIND;
	if ((seen & ((1u << ATTR_ADVISORY_CVSS) | (1u << ATTR_ADVISORY_SEVERITY))) && !score_ok(x, q))
		return false;
	for (int a = 0; a < ATTR_COUNT; a++) {
		if (!(seen & (1u << a)) || a == ATTR_ADVISORY_CVSS || a == ATTR_ADVISORY_SEVERITY)
			continue;
		enum fw_policy_atype t = fw_policy_attr_info((enum fw_policy_attr)a)->type;
		bool ok = t == AT_LIST   ? list_ok(x, q, (enum fw_policy_attr)a)
			  : t == AT_ENUM ? closed_ok(x, q, (enum fw_policy_attr)a)
					 : open_ok(x, q, (enum fw_policy_attr)a);
		if (!ok)
			return false;
	}
	return true;
}

/* ---- normal form ------------------------------------------------------------ */

/* The DNF of node (negated when neg), keeping only consistent cubes; NULL
 * when over the bounds or out of memory. */
static struct dnf *dnf_of(const struct ctx *x, int node, bool neg)
{
	const struct fw_policy_cond *c = &x->p->conds[node];
	if (c->op == COND_NOT)
		return dnf_of(x, c->a, !neg);
	struct dnf *out = NULL, *l = NULL, *r = NULL;
	if (c->op != COND_AND && c->op != COND_OR) {
		if (!(out = calloc(1, sizeof *out)))
			return NULL;
		out->c[0].n = 1;
		out->c[0].lit[0] = node * 2 + neg;
		out->n = cube_ok(x, &out->c[0]) ? 1 : 0;
		if (*x->budget < 0) {
			free(out);
			return NULL;
		}
		return out;
	}
	/* Children first: a long chain holds one result per level, not three. */
	if (!(l = dnf_of(x, c->a, neg)) || !(r = dnf_of(x, c->b, neg)) || !(out = calloc(1, sizeof *out)))
		goto fail;
	if ((c->op == COND_OR) != neg) { /* a disjunction: both sides' cubes */
		if (l->n + r->n > MAX_CUBES)
			goto fail;
		memcpy(out->c, l->c, l->n * sizeof l->c[0]);
		memcpy(out->c + l->n, r->c, r->n * sizeof r->c[0]);
		out->n = l->n + r->n;
	} else { /* a conjunction: every pair of cubes, merged */
		for (size_t i = 0; i < l->n; i++) {
			for (size_t j = 0; j < r->n; j++) {
				struct cube *q = &out->c[out->n];
				if (out->n >= MAX_CUBES || l->c[i].n + r->c[j].n > MAX_LITS)
					goto fail;
				q->n = l->c[i].n + r->c[j].n;
				memcpy(q->lit, l->c[i].lit, l->c[i].n * sizeof q->lit[0]);
				memcpy(q->lit + l->c[i].n, r->c[j].lit, r->c[j].n * sizeof q->lit[0]);
				out->n += cube_ok(x, q);
				if (*x->budget < 0)
					goto fail;
			}
		}
	}
	free(l);
	free(r);
	return out;
fail:
	free(l);
	free(r);
	free(out);
	return NULL;
}

bool fw_policy_cond_satisfiable(const struct fw_policy *p, int cond, unsigned kind_mask, long *budget)
{
	struct ctx x = {p, kind_mask & ((1u << FW_KIND_COUNT) - 1), budget};
	if (cond < 0 || (size_t)cond >= p->nconds || *budget < 0)
		return true;
	struct dnf *d = dnf_of(&x, cond, false);
	if (!d)
		return true;
	bool sat = d->n > 0;
	free(d);
	return sat;
}
