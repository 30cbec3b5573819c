/* libFuzzer target for the policy parser: any bytes must parse or be
 * refused with diagnostics, never crash, leak or read out of bounds; and a
 * policy that parses must decide for any member and kind. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_diags(const struct fw_policy_diags *d)
{
	if (d->n > FW_POLICY_MAX_DIAGS)
		abort();
	for (size_t i = 0; i < d->n; i++) {
		const struct fw_policy_diag *g = &d->d[i];
		if (g->line < 1 || g->col < 1 || memchr(g->message, '\0', sizeof g->message) == NULL)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that ASan catches a read past the end
	 * (the text is not NUL-terminated). */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	struct fw_policy *p = NULL;
	struct fw_policy_diags d;
	enum fw_err r = fw_policy_parse(text, size, &p, &d);
	check_diags(&d);
	if ((r == FW_OK) != (p != NULL))
		abort();
	if (r == FW_OK) {
		static const char *const tiers[] = {"validate", "ans", "entry", "a", "", "no-such-tier"};
		static const enum fw_member_status statuses[] = {FW_MEMBER_ACTIVE, FW_MEMBER_PROBATION,
								 FW_MEMBER_SUSPENDED};
		struct fw_advisory a;
		memset(&a, 0, sizeof a);
		for (size_t t = 0; t < sizeof tiers / sizeof tiers[0]; t++) {
			struct fw_member m;
			memset(&m, 0, sizeof m);
			snprintf(m.tier, sizeof m.tier, "%s", tiers[t]);
			m.status = statuses[t % 3];
			(void)fw_policy_has_tier(p, tiers[t]);
			for (int k = 0; k < FW_KIND_COUNT; k++) {
				struct fw_policy_decision dec;
				fw_policy_decide(p, &m, &a, (enum fw_kind)k, &dec);
				if (memchr(dec.reason, '\0', sizeof dec.reason) == NULL)
					abort();
				/* Grants are bounded to a year around T. */
				if (!dec.withheld && (dec.offset < -365LL * 86400 || dec.offset > 365LL * 86400))
					abort();
				if (dec.withheld && dec.line != 0)
					abort();
			}
		}
	}
	fw_policy_free(p);
	free(text);
	return 0;
}
