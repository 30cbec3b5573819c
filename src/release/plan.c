/* Planning: the policy's decision for every (member, kind) of an advisory. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "policy/policy.h"
#include "release/internal.h"

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

/* Plans the given members for one advisory. With only_member set, members
 * is that one member and only its part of the plan is replaced. With
 * check_only, nothing is written: the plan is only checked (max_embargo).
 * A plan that would tell anyone more than max_embargo before T is refused
 * as a whole, naming the rule and the member. */
static enum fw_err plan_one(struct fw_store *store, const struct fw_policy *pol,
			    int version, const struct fw_member *members, size_t nmembers,
			    const struct fw_advisory *adv, const char *only_member, bool check_only, size_t *planned,
			    size_t *withheld)
{
	struct fw_plan_entry *plan = NULL;
	size_t n = 0, nwith = 0;
	enum fw_err r;

	if (adv->status == FW_ADVISORY_DRAFT)
		return fw_err_set(FW_ERR_STATE, "advisory %s is a draft: schedule it first", adv->id);
	if (adv->public_at == 0)
		return fw_err_set(FW_ERR_STATE, "advisory %s has no public release time", adv->id);
	plan = calloc(nmembers * FW_KIND_COUNT + 1, sizeof *plan);
	if (!plan)
		return FW_ERR_NOMEM;
	for (size_t i = 0; i < nmembers; i++) {
		for (int k = 0; k < FW_KIND_COUNT; k++) {
			struct fw_policy_decision d;
			struct fw_plan_entry *e = &plan[n++];
			fw_policy_decide(pol, &members[i], adv, (enum fw_kind)k, &d);
			if ((r = fw_policy_check_embargo(pol, &members[i], (enum fw_kind)k, &d)) != FW_OK) {
				free(plan);
				return fw_err_set(r, "advisory %s: %s", adv->id, fw_err_detail());
			}
			snprintf(e->member_id, sizeof e->member_id, "%s", members[i].id);
			snprintf(e->advisory_id, sizeof e->advisory_id, "%s", adv->id);
			e->kind = (enum fw_kind)k;
			e->withheld = d.withheld;
			e->release_at = d.withheld ? 0 : adv->public_at + d.offset;
			snprintf(e->reason, sizeof e->reason, "%s", d.reason);
			e->policy_version = version;
			nwith += d.withheld;
		}
	}
	if (check_only)
		r = FW_OK;
	else
		r = only_member ? fw_store_plan_replace_member(store, adv->id, only_member, plan, n)
				: fw_store_plan_replace(store, adv->id, plan, n);
	if (r == FW_OK && planned)
		*planned = n - nwith;
	if (r == FW_OK && withheld)
		*withheld = nwith;
	free(plan);
	return r;
}

enum fw_err fw_release_plan(struct fw_release *rel, const char *advisory_id, size_t *planned,
			    size_t *withheld)
{
	struct fw_policy *pol = NULL;
	struct fw_member *members = NULL;
	struct fw_advisory adv;
	size_t nmembers = 0;
	int version = 0;
	enum fw_err r;

	if ((r = fw_release_load_policy(rel->store, &pol, &version)) != FW_OK)
		goto out;
	if ((r = fw_store_member_list(rel->store, &members, &nmembers)) != FW_OK)
		goto out;
	if ((r = fw_store_advisory_get(rel->store, advisory_id, &adv)) != FW_OK)
		goto out;
	if ((r = plan_one(rel->store, pol, version, members, nmembers, &adv, NULL, false, planned, withheld)) != FW_OK)
		goto out;
	fw_release_wake(rel);
out:
	free(members);
	fw_policy_free(pol);
	return r;
}

/* Plans every scheduled or public advisory under pol: first checks them
 * all (nothing written), then, if before() succeeds, writes them. */
/* *version is read when writing: before() may be what assigns it. */
static enum fw_err replan_with(struct fw_release *rel, const struct fw_policy *pol, const int *version,
			       enum fw_err (*before)(void *), void *arg)
{
	struct fw_member *members = NULL;
	struct fw_advisory *advs = NULL;
	size_t nmembers = 0, nadvs = 0;
	enum fw_err r;

	if ((r = fw_store_advisory_list(rel->store, &advs, &nadvs)) != FW_OK ||
	    (r = fw_store_member_list(rel->store, &members, &nmembers)) != FW_OK)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && before && (r = before(arg)) != FW_OK)
			goto out;
		for (size_t i = 0; i < nadvs; i++) {
			if (advs[i].status == FW_ADVISORY_DRAFT)
				continue;
			if ((r = plan_one(rel->store, pol, *version, members, nmembers, &advs[i], NULL, pass == 0,
					  NULL, NULL)) != FW_OK)
				goto out;
		}
	}
	fw_release_wake(rel);
out:
	free(advs);
	free(members);
	return r;
}

enum fw_err fw_release_replan_all(struct fw_release *rel)
{
	struct fw_policy *pol = NULL;
	int version = 0;
	enum fw_err r = fw_release_load_policy(rel->store, &pol, &version);
	if (r == FW_ERR_STATE)
		return FW_OK; /* no policy yet: nothing can be planned */
	if (r == FW_OK)
		r = replan_with(rel, pol, &version, NULL, NULL);
	fw_policy_free(pol);
	return r;
}

/* Whether every scheduled or public advisory's plan was made under the
 * current policy version. Plans are written per advisory in one transaction,
 * so one member's entries speak for the whole advisory. */
static enum fw_err plans_current(struct fw_release *rel, int version, bool *current)
{
	struct fw_advisory *advs = NULL;
	struct fw_member *members = NULL;
	size_t nadvs = 0, nmembers = 0;
	enum fw_err r;
	*current = true;
	if ((r = fw_store_advisory_list(rel->store, &advs, &nadvs)) != FW_OK ||
	    (r = fw_store_member_list(rel->store, &members, &nmembers)) != FW_OK)
		goto out;
	for (size_t i = 0; i < nadvs && nmembers && *current; i++) {
		struct fw_plan_entry *p = NULL;
		size_t n = 0;
		if (advs[i].status == FW_ADVISORY_DRAFT)
			continue;
		if ((r = fw_store_plan_list(rel->store, advs[i].id, members[0].id, &p, &n)) != FW_OK)
			goto out;
		*current = n == FW_KIND_COUNT && p[0].policy_version == version;
		free(p);
	}
out:
	free(advs);
	free(members);
	return r;
}

enum fw_err fw_release_replan_stale(struct fw_release *rel)
{
	struct fw_policy *pol = NULL;
	int version = 0;
	bool current = true;
	enum fw_err r = fw_release_load_policy(rel->store, &pol, &version);
	if (r == FW_ERR_STATE)
		return FW_OK; /* no policy yet: nothing can be planned */
	if (r == FW_OK && (r = plans_current(rel, version, &current)) == FW_OK && !current)
		r = replan_with(rel, pol, &version, NULL, NULL);
	fw_policy_free(pol);
	return r;
}

struct store_version {
	struct fw_store *store;
	struct fw_policy_version *v;
	const char *text;
	size_t n;
};

static enum fw_err store_version(void *arg)
{
	struct store_version *sv = arg;
	return fw_store_policy_add(sv->store, sv->v, sv->text, sv->n);
}

enum fw_err fw_release_policy_apply(struct fw_release *rel, const char *text, size_t n,
				    struct fw_policy_version *v)
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
	struct store_version sv = {rel->store, v, text, n};
	r = replan_with(rel, pol, &v->version, store_version, &sv);
	fw_policy_free(pol);
	return r;
}

enum fw_err fw_release_plan_member(struct fw_release *rel, const char *member_id)
{
	struct fw_policy *pol = NULL;
	struct fw_advisory *advs = NULL;
	struct fw_member m;
	size_t nadvs = 0;
	int version = 0;
	enum fw_err r;

	if ((r = fw_store_member_get(rel->store, member_id, &m)) != FW_OK)
		goto out;
	if ((r = fw_store_advisory_list(rel->store, &advs, &nadvs)) != FW_OK)
		goto out;
	for (size_t i = 0; i < nadvs; i++) {
		if (advs[i].status == FW_ADVISORY_DRAFT)
			continue;
		if (!pol && (r = fw_release_load_policy(rel->store, &pol, &version)) != FW_OK)
			goto out;
		if ((r = plan_one(rel->store, pol, version, &m, 1, &advs[i], m.id, false, NULL, NULL)) != FW_OK)
			goto out;
	}
	fw_release_wake(rel);
out:
	free(advs);
	fw_policy_free(pol);
	return r;
}
