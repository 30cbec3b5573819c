/* What a policy change would do, and why a member gets what it gets. */
#include <stdlib.h>
#include <string.h>

#include "release/internal.h"

enum fw_err fw_release_explain(struct fw_release *rel, const char *member_id, const char *advisory_id,
			       struct fw_policy_decision out[FW_KIND_COUNT])
{
	struct fw_policy *pol = NULL;
	struct fw_member m;
	struct fw_advisory a;
	enum fw_err r;

	if ((r = fw_store_member_get(rel->store, member_id, &m)) != FW_OK) {
		if (r == FW_ERR_NOT_FOUND)
			r = fw_err_set(r, "no member %.64s", member_id);
		return r;
	}
	if ((r = fw_store_advisory_get(rel->store, advisory_id, &a)) != FW_OK) {
		if (r == FW_ERR_NOT_FOUND)
			r = fw_err_set(r, "no advisory %.64s", advisory_id);
		return r;
	}
	if ((r = fw_release_load_policy(rel->store, &pol, NULL)) != FW_OK)
		return r;
	for (int k = 0; k < FW_KIND_COUNT; k++)
		fw_policy_decide(pol, &m, &a, (enum fw_kind)k, &out[k]);
	fw_policy_free(pol);
	return FW_OK;
}

/* Plan entries and deliveries sorted by (member, kind) are looked up by
 * binary search: a diff of 10,000 members must not scan every entry for
 * every member. */
static int cmp_plan(const void *x, const void *y)
{
	const struct fw_plan_entry *a = x, *b = y;
	int c = strcmp(a->member_id, b->member_id);
	return c ? c : (int)a->kind - (int)b->kind;
}

/* Deliveries: by member, kind, then version, so the newest is last. */
static int cmp_delivery(const void *x, const void *y)
{
	const struct fw_delivery *a = x, *b = y;
	int c = strcmp(a->member_id, b->member_id);
	if (c == 0)
		c = (int)a->kind - (int)b->kind;
	return c ? c : (a->version > b->version) - (a->version < b->version);
}

static const struct fw_plan_entry *planned(const struct fw_plan_entry *p, size_t n, const char *member,
					   enum fw_kind kind)
{
	struct fw_plan_entry key;
	snprintf(key.member_id, sizeof key.member_id, "%s", member);
	key.kind = kind;
	return bsearch(&key, p, n, sizeof *p, cmp_plan);
}

/* The newest delivery of (member, kind) among an advisory's deliveries. */
static const struct fw_delivery *delivered(const struct fw_delivery *d, size_t n, const char *member,
					   enum fw_kind kind)
{
	size_t lo = 0, hi = n;
	/* The first delivery after (member, kind, any version). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(d[mid].member_id, member);
		if (c == 0)
			c = (int)d[mid].kind - (int)kind;
		if (c <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || d[lo - 1].kind != kind || strcmp(d[lo - 1].member_id, member) != 0)
		return NULL;
	return &d[lo - 1];
}

struct changes {
	struct fw_release_change *v;
	size_t n, cap;
};

static enum fw_err push(struct changes *c, const struct fw_release_change *e)
{
	if (c->n == FW_STORE_MAX_LIST)
		return fw_err_set(FW_ERR_TOO_LARGE, "more than %d decisions would change", FW_STORE_MAX_LIST);
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		void *p = realloc(c->v, cap * sizeof *c->v);
		if (!p)
			return FW_ERR_NOMEM;
		c->v = p;
		c->cap = cap;
	}
	c->v[c->n++] = *e;
	return FW_OK;
}

/* The new policy decides once per member class (docs/policy.md,
 * "Planning"); each member is compared with its stored plan. */
static enum fw_err diff_advisory(struct fw_release *rel, const struct fw_policy *pol, const struct fw_advisory *a,
				 const struct fw_release_classes *cls, struct changes *c)
{
	struct fw_plan_entry *p = NULL;
	struct fw_delivery *d = NULL;
	struct fw_policy_decision *decs = NULL;
	size_t np = 0, nd = 0;
	struct fw_delivery_filter f = {.advisory_id = a->id, .limit = FW_STORE_MAX_LIST};
	enum fw_err r;

	if ((r = fw_store_plan_list(rel->store, a->id, NULL, &p, &np)) != FW_OK ||
	    (r = fw_store_delivery_list(rel->store, &f, &d, &nd)) != FW_OK)
		goto out;
	/* A list cut at the store's cap would read as "withheld before" for
	 * everyone beyond it: refuse rather than report changes that are not. */
	if (np >= FW_STORE_MAX_LIST || nd >= FW_STORE_MAX_LIST) {
		r = fw_err_set(FW_ERR_TOO_LARGE,
			       "advisory %s has more than %d plan entries or deliveries: policy diff handles up to "
			       "%d members x %d kinds per advisory",
			       a->id, FW_STORE_MAX_LIST, FW_STORE_MAX_LIST / FW_KIND_COUNT, FW_KIND_COUNT);
		goto out;
	}
	if (!(decs = calloc(cls->n * FW_KIND_COUNT + 1, sizeof *decs))) {
		r = FW_ERR_NOMEM;
		goto out;
	}
	for (size_t k = 0; k < cls->n; k++)
		for (int j = 0; j < FW_KIND_COUNT; j++)
			fw_policy_decide(pol, &cls->members[cls->rep[k]], a, (enum fw_kind)j, &decs[k * FW_KIND_COUNT + j]);
	if (np)
		qsort(p, np, sizeof *p, cmp_plan);
	if (nd)
		qsort(d, nd, sizeof *d, cmp_delivery);
	for (size_t i = 0; i < cls->nmembers; i++) {
		const struct fw_member *m = &cls->members[i];
		for (int k = 0; k < FW_KIND_COUNT; k++) {
			const struct fw_policy_decision *dec = &decs[cls->class_of[i] * FW_KIND_COUNT + k];
			struct fw_release_change e;
			const struct fw_plan_entry *old = planned(p, np, m->id, (enum fw_kind)k);
			const struct fw_delivery *got = delivered(d, nd, m->id, (enum fw_kind)k);
			memset(&e, 0, sizeof e);
			e.before_withheld = old ? old->withheld : true;
			e.before_at = old && !old->withheld ? old->release_at : 0;
			e.after_withheld = dec->withheld;
			e.after_at = dec->withheld ? 0 : a->public_at + dec->offset;
			if (e.before_withheld == e.after_withheld && e.before_at == e.after_at)
				continue;
			e.delivered = got != NULL;
			e.delivered_at = got ? got->created_at : 0;
			/* A delivered copy is history: it matters only where the new
			 * policy would not have given it then. */
			if (got && !e.after_withheld && e.after_at <= got->created_at)
				continue;
			snprintf(e.member_id, sizeof e.member_id, "%s", m->id);
			snprintf(e.advisory_id, sizeof e.advisory_id, "%s", a->id);
			e.kind = (enum fw_kind)k;
			snprintf(e.after_reason, sizeof e.after_reason, "%s", dec->reason);
			if ((r = push(c, &e)) != FW_OK)
				goto out;
		}
	}
out:
	free(decs);
	free(p);
	free(d);
	return r;
}

enum fw_err fw_release_diff(struct fw_release *rel, const char *text, size_t n, struct fw_release_change **out,
			    size_t *nout)
{
	struct fw_policy *pol = NULL;
	struct fw_policy_diags diags;
	struct fw_member *ms = NULL;
	struct fw_advisory *as = NULL;
	struct fw_release_classes cls = {0};
	size_t nm = 0, na = 0;
	struct changes c = {NULL, 0, 0};
	enum fw_err r;

	memset(&diags, 0, sizeof diags);
	if ((r = fw_policy_parse(text, n, &pol, &diags)) != FW_OK) {
		if (diags.n)
			r = fw_err_set(r, "line %d:%d: %s", diags.d[0].line, diags.d[0].col, diags.d[0].message);
		goto out;
	}
	if ((r = fw_store_member_list(rel->store, &ms, &nm)) != FW_OK ||
	    (r = fw_store_advisory_list(rel->store, &as, &na)) != FW_OK)
		goto out;
	r = fw_release_classes(pol, ms, nm, &cls);
	ms = NULL; /* owned by cls now */
	if (r != FW_OK)
		goto out;
	for (size_t i = 0; i < na; i++)
		if (as[i].status != FW_ADVISORY_DRAFT && (r = diff_advisory(rel, pol, &as[i], &cls, &c)) != FW_OK)
			goto out;
	*out = c.v;
	*nout = c.n;
	c.v = NULL;
out:
	free(c.v);
	fw_release_classes_free(&cls);
	free(ms);
	free(as);
	fw_policy_free(pol);
	return r;
}
