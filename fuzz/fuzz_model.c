/* libFuzzer target: API request bodies, the outside input every admin
 * endpoint parses: JSON into members and advisories (validation of ids,
 * jurisdictions, CVE ids, age recipients, minisign keys, CVSS vectors),
 * for create and for update. Nothing may crash or leak. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/crypto.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (fw_crypto_init() != FW_OK)
			return 0;
		ready = 1;
	}
	json_error_t e;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		return 0;
	struct fw_member m;
	struct fw_advisory a;
	double score;
	memset(&m, 0, sizeof m);
	memset(&a, 0, sizeof a);
	if (fw_member_from_json(j, &m, false) == FW_OK)
		json_decref(fw_member_to_json(&m));
	if (fw_member_from_json(j, &m, true) != FW_OK)
		(void)0;
	if (fw_advisory_from_json(j, &a, false) == FW_OK)
		json_decref(fw_advisory_to_json(&a));
	if (fw_advisory_from_json(j, &a, true) != FW_OK)
		(void)0;
	if (json_is_string(j) && fw_cvss31_base_score(json_string_value(j), &score) != FW_OK)
		(void)0;
	json_decref(j);
	return 0;
}
