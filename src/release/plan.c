/* Planning: the policy's decision per member class (docs/policy.md,
 * "Planning").
 *
 * Members the policy cannot tell apart (fw_policy_classify) get the same
 * decision for every advisory and kind, so a plan is each member's class
 * plus, per advisory, class and kind, one decision relative to T. Deciding
 * and writing cost advisories x classes x kinds, not advisories x members
 * x kinds: at 10,000 members and 100 advisories a full re-plan is a few
 * thousand rows, small enough to write in the transaction that stores the
 * policy version itself. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "policy/policy.h"
#include "release/internal.h"

_Static_assert(FW_STORE_CLASS_BYTES == FW_POLICY_CLASS_BYTES, "a class must fit the store's field");

/* A plan write that lost a race with a policy change is decided again
 * under the new policy, at most this many times. */
#define PLAN_ATTEMPTS 3

enum fw_err fw_release_load_policy(struct fw_store *store, struct fw_policy **out, int *version)
{
	struct fw_buf text;
	struct fw_policy_version v;
	struct fw_policy *p = NULL;
	enum fw_err r;

	fw_buf_init(&text, FW_POLICY_MAX_BYTES + 1);
	if ((r = fw_store_policy_get(store, 0, &v, &text)) != FW_OK) {
		if (r == FW_ERR_NOT_FOUND)
			r = fw_err_set(FW_ERR_STATE, "no policy has been applied yet: apply one with "
						     "`forewarn policy apply FILE`");
		goto out;
	}
	if ((r = fw_policy_parse(fw_buf_str(&text), text.len, &p, NULL)) != FW_OK) {
		/* A stored policy was valid when applied; failing now is a bug. */
		fw_log_error("release", "stored policy version %d no longer parses", v.version);
		r = FW_ERR_INTERNAL;
		goto out;
	}
	*out = p;
	if (version)
		*version = v.version;
out:
	fw_buf_cleanup(&text);
	return r;
}

/* --- classes ------------------------------------------------------------- */
void fw_release_classes_free(struct fw_release_classes *c)
{
	free(c->members);
	free(c->pm);
	free(c->rep);
	free(c->size);
	free(c->class_of);
	memset(c, 0, sizeof *c);
}

/* Orders members' classes by class, then by position. */
static int cmp_by_class(const void *x, const void *y)
{
	const struct fw_plan_member *a = *(const struct fw_plan_member *const *)x;
	const struct fw_plan_member *b = *(const struct fw_plan_member *const *)y;
	int k = strcmp(a->class_key, b->class_key);
	return k ? k : (a > b) - (a < b);
}

enum fw_err fw_release_classes(const struct fw_policy *pol, struct fw_member *members, size_t n,
			       struct fw_release_classes *out)
{
	struct fw_policy_classifier *cl = NULL;
	const struct fw_plan_member **order = NULL;
	enum fw_err r;
	memset(out, 0, sizeof *out);
	out->members = members;
	out->nmembers = n;
	if ((r = fw_policy_classifier_new(pol, &cl)) != FW_OK)
		goto fail;
	out->pm = calloc(n + 1, sizeof *out->pm);
	out->rep = calloc(n + 1, sizeof *out->rep);
	out->size = calloc(n + 1, sizeof *out->size);
	out->class_of = calloc(n + 1, sizeof *out->class_of);
	order = calloc(n + 1, sizeof *order);
	if (!out->pm || !out->rep || !out->size || !out->class_of || !order) {
		r = FW_ERR_NOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(out->pm[i].member_id, sizeof out->pm[i].member_id, "%s", members[i].id);
		fw_policy_classify(cl, &members[i], out->pm[i].class_key);
		out->pm[i].member_revision = members[i].revision;
		order[i] = &out->pm[i];
	}
	qsort(order, n, sizeof *order, cmp_by_class);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(order[i]->class_key, order[i - 1]->class_key) != 0)
			out->rep[out->n++] = (size_t)(order[i] - out->pm);
		out->size[out->n - 1]++;
		out->class_of[order[i] - out->pm] = out->n - 1;
	}
	free(order);
	fw_policy_classifier_free(cl);
	return FW_OK;
fail:
	free(order);
	fw_policy_classifier_free(cl);
	fw_release_classes_free(out);
	return r;
}

/* --- decisions ----------------------------------------------------------- */
static enum fw_err plannable(const struct fw_advisory *adv)
{
	if (adv->status == FW_ADVISORY_DRAFT)
		return fw_err_set(FW_ERR_STATE, "advisory %s is a draft: schedule it first", adv->id);
	if (adv->public_at == 0)
		return fw_err_set(FW_ERR_STATE, "advisory %s has no public release time", adv->id);
	return FW_OK;
}

/* The decision of every kind for class k (member rep) of one advisory,
 * appended to out. A decision that would tell anyone more than max_embargo
 * before T refuses the whole plan, naming the rule and the member. */
static enum fw_err decide_class(const struct fw_policy *pol, const struct fw_member *rep, const char *class_key,
				const struct fw_advisory *adv, struct fw_plan_decision *out)
{
	enum fw_err r;
	for (int k = 0; k < FW_KIND_COUNT; k++) {
		struct fw_policy_decision d;
		struct fw_plan_decision *e = &out[k];
		fw_policy_decide(pol, rep, adv, (enum fw_kind)k, &d);
		if ((r = fw_policy_check_embargo(pol, rep, (enum fw_kind)k, &d)) != FW_OK)
			return fw_err_set(r, "advisory %s: %s", adv->id, fw_err_detail());
		snprintf(e->advisory_id, sizeof e->advisory_id, "%s", adv->id);
		memcpy(e->class_key, class_key, sizeof e->class_key);
		e->kind = (enum fw_kind)k;
		e->withheld = d.withheld;
		e->offset = d.withheld ? 0 : d.offset;
		e->advisory_revision = adv->revision;
		snprintf(e->reason, sizeof e->reason, "%s", d.reason);
	}
	return FW_OK;
}

/* The decisions of every class in cls for every scheduled or public
 * advisory of advs, in a new array (*out, free()). counts_for, when set,
 * names the advisory whose released and withheld (member, kind) pairs are
 * counted into *planned and *withheld. */
static enum fw_err decide_all(const struct fw_policy *pol, const struct fw_release_classes *cls,
			      const struct fw_advisory *advs, size_t nadvs, const char *counts_for,
			      struct fw_plan_decision **out, size_t *nout, size_t *planned, size_t *withheld)
{
	size_t nplanned = 0, n = 0;
	enum fw_err r = FW_OK;
	for (size_t i = 0; i < nadvs; i++)
		nplanned += advs[i].status != FW_ADVISORY_DRAFT;
	struct fw_plan_decision *dec = calloc(nplanned * cls->n * FW_KIND_COUNT + 1, sizeof *dec);
	if (!dec)
		return FW_ERR_NOMEM;
	*planned = *withheld = 0;
	for (size_t i = 0; i < nadvs && r == FW_OK; i++) {
		if (advs[i].status == FW_ADVISORY_DRAFT)
			continue;
		if ((r = plannable(&advs[i])) != FW_OK)
			break;
		bool count = counts_for && strcmp(counts_for, advs[i].id) == 0;
		for (size_t k = 0; k < cls->n && r == FW_OK; k++, n += FW_KIND_COUNT) {
			struct fw_plan_decision *d = &dec[n];
			r = decide_class(pol, &cls->members[cls->rep[k]], cls->pm[cls->rep[k]].class_key, &advs[i], d);
			for (int j = 0; r == FW_OK && count && j < FW_KIND_COUNT; j++)
				*(d[j].withheld ? withheld : planned) += cls->size[k];
		}
	}
	if (r != FW_OK) {
		free(dec);
		return r;
	}
	*out = dec;
	*nout = n;
	return FW_OK;
}

/* Every member's class and every decision for every scheduled or public
 * advisory, under pol, written in one transaction (with add, the policy
 * version is stored in it too). counts_for, when set, gets that advisory's
 * released and withheld (member, kind) pairs. */
struct plan_all {
	const struct fw_policy *pol;
	int version; /* with add: out */
	struct fw_policy_version *add;
	const char *text;
	size_t text_len;
	struct fw_store_log_hook *log;
	const char *counts_for;
	size_t planned, withheld;
};

static enum fw_err plan_all_once(struct fw_release *rel, struct plan_all *pa)
{
	struct fw_member *members = NULL;
	struct fw_advisory *advs = NULL;
	struct fw_plan_decision *dec = NULL;
	struct fw_release_classes cls = {0};
	size_t nmembers = 0, nadvs = 0, ndec = 0;
	enum fw_err r;

	if ((r = fw_store_advisory_list(rel->store, &advs, &nadvs)) != FW_OK ||
	    (r = fw_store_member_list(rel->store, &members, &nmembers)) != FW_OK)
		goto out;
	if ((r = fw_release_classes(pa->pol, members, nmembers, &cls)) != FW_OK) {
		members = NULL; /* owned by fw_release_classes, freed there */
		goto out;
	}
	members = NULL;
	if ((r = decide_all(pa->pol, &cls, advs, nadvs, pa->counts_for, &dec, &ndec, &pa->planned, &pa->withheld)) !=
	    FW_OK)
		goto out;
	struct fw_plan_write w = {
		.scope = FW_PLAN_ALL,
		.complete = true,
		.policy_version = pa->version,
		.add_policy = pa->add,
		.policy_text = pa->text,
		.policy_len = pa->text_len,
		.log = pa->log,
		.members = cls.pm,
		.nmembers = cls.nmembers,
		.decisions = dec,
		.ndecisions = ndec,
	};
	if ((r = fw_store_plan_write(rel->store, &w)) != FW_OK)
		goto out;
	pa->version = w.policy_version;
	fw_log_info("release", "planned %zu members in %zu classes, %zu decisions, under policy v%d", cls.nmembers,
		    cls.n, ndec, pa->version);
out:
	free(dec);
	fw_release_classes_free(&cls);
	free(members);
	free(advs);
	return r;
}

/* Plans everything under the current policy, deciding again if a policy
 * is applied meanwhile. FW_OK without doing anything when there is none. */
static enum fw_err plan_current_policy(struct fw_release *rel, const char *counts_for, size_t *planned,
				       size_t *withheld)
{
	enum fw_err r = FW_ERR_BUSY;
	for (int attempt = 0; attempt < PLAN_ATTEMPTS && r == FW_ERR_BUSY; attempt++) {
		struct plan_all pa = {.counts_for = counts_for};
		struct fw_policy *pol = NULL;
		if ((r = fw_release_load_policy(rel->store, &pol, &pa.version)) != FW_OK)
			return r;
		pa.pol = pol;
		r = plan_all_once(rel, &pa);
		fw_policy_free(pol);
		if (r == FW_OK && planned)
			*planned = pa.planned;
		if (r == FW_OK && withheld)
			*withheld = pa.withheld;
	}
	if (r == FW_OK)
		fw_release_wake(rel);
	return r;
}

static bool has_policy(struct fw_store *store)
{
	struct fw_policy_version v;
	return fw_store_policy_get(store, 0, &v, NULL) != FW_ERR_NOT_FOUND;
}

enum fw_err fw_release_plan(struct fw_release *rel, const char *advisory_id, size_t *planned, size_t *withheld)
{
	struct fw_advisory adv;
	enum fw_err r;
	if ((r = fw_store_advisory_get(rel->store, advisory_id, &adv)) != FW_OK || (r = plannable(&adv)) != FW_OK)
		return r;
	/* The whole plan: every advisory's decisions are written with the
	 * members' classes they were made for. */
	return plan_current_policy(rel, adv.id, planned, withheld);
}

enum fw_err fw_release_replan_all(struct fw_release *rel)
{
	enum fw_err r = plan_current_policy(rel, NULL, NULL, NULL);
	return r == FW_ERR_STATE && !has_policy(rel->store) ? FW_OK : r;
}

enum fw_err fw_release_replan_stale(struct fw_release *rel)
{
	bool current = true;
	enum fw_err r;
	if (!has_policy(rel->store))
		return FW_OK; /* no policy yet: nothing can be planned */
	if ((r = fw_store_plan_current(rel->store, &current)) != FW_OK || current)
		return r;
	return fw_release_replan_all(rel);
}

enum fw_err fw_release_policy_apply(struct fw_release *rel, const char *text, size_t n,
				    struct fw_policy_version *v, struct fw_store_log_hook *log)
{
	struct fw_policy *pol = NULL;
	struct fw_policy_diags diags;
	enum fw_err r;
	memset(&diags, 0, sizeof diags);
	if ((r = fw_policy_parse(text, n, &pol, &diags)) != FW_OK) {
		if (diags.n)
			r = fw_err_set(r, "line %d:%d: %s", diags.d[0].line, diags.d[0].col, diags.d[0].message);
		return r;
	}
	/* Storing the version, writing its plan and sequencing its log entry
	 * are one transaction: no moment exists in which the new policy is
	 * stored but the old plan still counts, or the reverse. */
	r = FW_ERR_BUSY;
	for (int attempt = 0; attempt < PLAN_ATTEMPTS && r == FW_ERR_BUSY; attempt++) {
		struct plan_all pa = {.pol = pol, .add = v, .text = text, .text_len = n, .log = log};
		r = plan_all_once(rel, &pa);
	}
	fw_policy_free(pol);
	if (r == FW_OK)
		fw_release_wake(rel);
	return r;
}

enum fw_err fw_release_plan_member(struct fw_release *rel, const char *member_id)
{
	enum fw_err r = FW_ERR_BUSY;
	for (int attempt = 0; attempt < PLAN_ATTEMPTS && r == FW_ERR_BUSY; attempt++) {
		struct fw_policy *pol = NULL;
		struct fw_advisory *advs = NULL;
		struct fw_plan_decision *dec = NULL;
		struct fw_member *m = calloc(1, sizeof *m);
		struct fw_release_classes cls = {0};
		size_t nadvs = 0, ndec = 0;
		int version = 0;
		if (!m)
			return FW_ERR_NOMEM;
		if ((r = fw_store_member_get(rel->store, member_id, m)) != FW_OK) {
			free(m);
			return r;
		}
		if ((r = fw_release_load_policy(rel->store, &pol, &version)) != FW_OK) {
			free(m);
			return r == FW_ERR_STATE ? FW_OK : r; /* no policy: nothing to plan */
		}
		if ((r = fw_release_classes(pol, m, 1, &cls)) != FW_OK ||
		    (r = fw_store_advisory_list(rel->store, &advs, &nadvs)) != FW_OK)
			goto next;
		size_t planned = 0, withheld = 0;
		if ((r = decide_all(pol, &cls, advs, nadvs, NULL, &dec, &ndec, &planned, &withheld)) != FW_OK)
			goto next;
		struct fw_plan_write w = {
			.scope = FW_PLAN_MEMBER,
			.policy_version = version,
			.members = cls.pm,
			.nmembers = 1,
			.decisions = dec,
			.ndecisions = ndec,
		};
		r = fw_store_plan_write(rel->store, &w);
	next:
		free(dec);
		free(advs);
		fw_release_classes_free(&cls);
		fw_policy_free(pol);
	}
	if (r == FW_OK)
		fw_release_wake(rel);
	return r;
}
