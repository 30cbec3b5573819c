/* Names of the model's enums, and their parsers. */
#include <string.h>
#include <strings.h>

#include "model/model.h"

static const char *const kinds[FW_KIND_COUNT] = {"summary",    "description", "detection",
						  "indicators", "mitigation",  "poc"};
static const char *const member_statuses[] = {"active", "probation", "suspended", "expelled"};
static const char *const advisory_statuses[] = {"draft", "scheduled", "public"};
static const char *const tlps[] = {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"};
static const char *const roles[] = {"admin", "member", "auditor"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "unknown";
}

static enum fw_err parse_of(const char *const *names, size_t n, const char *s, int *out,
			    const char *what)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return FW_OK;
		}
	char list[256] = "";
	for (size_t i = 0; i < n; i++) {
		strncat(list, names[i], sizeof list - strlen(list) - 1);
		if (i + 1 < n)
			strncat(list, ", ", sizeof list - strlen(list) - 1);
	}
	return fw_err_set(FW_ERR_INVALID, "unknown %s \"%.64s\" (one of: %s)", what, s ? s : "", list);
}

const char *fw_kind_name(enum fw_kind k) { return name_of(kinds, COUNT(kinds), (int)k); }
enum fw_err fw_kind_parse(const char *s, enum fw_kind *out)
{
	int v;
	enum fw_err r = parse_of(kinds, COUNT(kinds), s, &v, "artifact kind");
	if (r == FW_OK)
		*out = (enum fw_kind)v;
	return r;
}

const char *fw_member_status_name(enum fw_member_status s)
{
	return name_of(member_statuses, COUNT(member_statuses), (int)s);
}
enum fw_err fw_member_status_parse(const char *s, enum fw_member_status *out)
{
	int v;
	enum fw_err r = parse_of(member_statuses, COUNT(member_statuses), s, &v, "member status");
	if (r == FW_OK)
		*out = (enum fw_member_status)v;
	return r;
}

const char *fw_advisory_status_name(enum fw_advisory_status s)
{
	return name_of(advisory_statuses, COUNT(advisory_statuses), (int)s);
}
enum fw_err fw_advisory_status_parse(const char *s, enum fw_advisory_status *out)
{
	int v;
	enum fw_err r = parse_of(advisory_statuses, COUNT(advisory_statuses), s, &v, "advisory status");
	if (r == FW_OK)
		*out = (enum fw_advisory_status)v;
	return r;
}

const char *fw_tlp_name(enum fw_tlp t) { return name_of(tlps, COUNT(tlps), (int)t); }
enum fw_err fw_tlp_parse(const char *s, enum fw_tlp *out)
{
	char full[32];
	if (s && strncasecmp(s, "TLP:", 4) != 0) {
		snprintf(full, sizeof full, "TLP:%.26s", s);
	} else {
		snprintf(full, sizeof full, "%s", s ? s : "");
	}
	for (size_t i = 0; i < COUNT(tlps); i++)
		if (strcasecmp(full, tlps[i]) == 0) {
			*out = (enum fw_tlp)i;
			return FW_OK;
		}
	return fw_err_set(FW_ERR_INVALID, "unknown TLP label \"%.32s\" (CLEAR, GREEN, AMBER, AMBER+STRICT, RED)",
			  s ? s : "");
}

const char *fw_role_name(enum fw_role r) { return name_of(roles, COUNT(roles), (int)r); }
enum fw_err fw_role_parse(const char *s, enum fw_role *out)
{
	int v;
	enum fw_err r = parse_of(roles, COUNT(roles), s, &v, "role");
	if (r == FW_OK)
		*out = (enum fw_role)v;
	return r;
}
