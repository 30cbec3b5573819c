/* The route table: the one place that says which paths exist, who may call
 * them and which handler answers. docs/api.yaml is checked against it. */
#include <string.h>

#include "http/internal.h"

#define A ROLE_ADMIN
#define M ROLE_MEMBER

static const struct fw_route routes[] = {
	{"GET", "/healthz", ROLE_ANY_PUBLIC, false, fw_api_health},
	{"GET", "/api/v1/program", ROLE_ANY_PUBLIC, false, fw_api_program},
	{"GET", "/api/v1/whoami", ROLE_ANY, false, fw_api_whoami},
	{"GET", "/api/v1/clock", ROLE_ANY, false, fw_api_clock_get},
	{"POST", "/api/v1/clock", A, false, fw_api_clock_post},
	{"POST", "/api/v1/members", A, false, fw_api_member_create},
	{"GET", "/api/v1/members", A, false, fw_api_member_list},
	{"GET", "/api/v1/members/{id}", A | M, false, fw_api_member_get},
	{"PATCH", "/api/v1/members/{id}", A, false, fw_api_member_update},
	{"POST", "/api/v1/members/{id}/suspend", A, false, fw_api_member_suspend},
	{"POST", "/api/v1/members/{id}/reinstate", A, false, fw_api_member_reinstate},
	{"POST", "/api/v1/members/{id}/expel", A, false, fw_api_member_expel},
	{"POST", "/api/v1/tokens", A, false, fw_api_token_create},
	{"GET", "/api/v1/tokens", A, false, fw_api_token_list},
	{"DELETE", "/api/v1/tokens/{id}", A, false, fw_api_token_revoke},
	{"POST", "/api/v1/advisories", A, false, fw_api_advisory_create},
	{"GET", "/api/v1/advisories", A | M, false, fw_api_advisory_list},
	{"GET", "/api/v1/advisories/{id}", A | M, false, fw_api_advisory_get},
	{"PATCH", "/api/v1/advisories/{id}", A, false, fw_api_advisory_update},
	{"POST", "/api/v1/advisories/{id}/schedule", A, false, fw_api_advisory_schedule},
	{"POST", "/api/v1/advisories/{id}/expedite", A, false, fw_api_advisory_expedite},
	{"POST", "/api/v1/advisories/{id}/artifacts/{kind}", A, true, fw_api_artifact_add},
	{"GET", "/api/v1/advisories/{id}/artifacts", A, false, fw_api_artifact_list},
	{"GET", "/api/v1/advisories/{id}/artifacts/{kind}/capacity", A, false, fw_api_artifact_capacity},
	{"POST", "/api/v1/advisories/{id}/trace", A, true, fw_api_trace},
	{"GET", "/api/v1/advisories/{id}/plan", A, false, fw_api_plan_get},
	{"GET", "/api/v1/policy", A, false, fw_api_policy_get},
	{"PUT", "/api/v1/policy", A, false, fw_api_policy_put},
	{"GET", "/api/v1/policy/versions", A, false, fw_api_policy_versions},
	{"POST", "/api/v1/policy/check", A, false, fw_api_policy_check},
	{"POST", "/api/v1/policy/diff", A, false, fw_api_policy_diff},
	{"GET", "/api/v1/policy/explain", A, false, fw_api_policy_explain},
	{"GET", "/api/v1/deliveries", A | M, false, fw_api_delivery_list},
	{"GET", "/api/v1/deliveries/{id}", A | M, false, fw_api_delivery_get},
	{"GET", "/api/v1/deliveries/{id}/copy", A | M, false, fw_api_delivery_copy},
	{"GET", "/api/v1/deliveries/{id}/minisig", A | M, false, fw_api_delivery_minisig},
	{"GET", "/api/v1/deliveries/{id}/reads", A, false, fw_api_delivery_reads},
	{"GET", "/api/v1/deliveries/{id}/receipt", A | M, false, fw_api_delivery_receipt},
	{"GET", "/api/v1/deliveries/{id}/ack", A | M, false, fw_api_delivery_ack_get},
	{"POST", "/api/v1/deliveries/{id}/ack", M, false, fw_api_delivery_ack_post},
	{"GET", "/api/v1/log/proof/inclusion", ROLE_ANY, false, fw_api_log_proof_inclusion},
	{"GET", "/api/v1/log/proof/consistency", ROLE_ANY, false, fw_api_log_proof_consistency},
	/* Witnesses post through an auditor's token; the signature says which witness. */
	{"POST", "/api/v1/log/cosignatures", A | ROLE_AUDITOR, false, fw_api_log_cosignatures},
	/* C2SP tlog-tiles; a tile path has 2 to 8 segments (fw_api_log_tile parses it). */
	{"GET", "/log/checkpoint", ROLE_ANY, false, fw_api_log_checkpoint},
	{"GET", "/log/tile/{s1}/{s2}", ROLE_ANY, false, fw_api_log_tile},
	{"GET", "/log/tile/{s1}/{s2}/{s3}", ROLE_ANY, false, fw_api_log_tile},
	{"GET", "/log/tile/{s1}/{s2}/{s3}/{s4}", ROLE_ANY, false, fw_api_log_tile},
	{"GET", "/log/tile/{s1}/{s2}/{s3}/{s4}/{s5}", ROLE_ANY, false, fw_api_log_tile},
	{"GET", "/log/tile/{s1}/{s2}/{s3}/{s4}/{s5}/{s6}", ROLE_ANY, false, fw_api_log_tile},
	{"GET", "/log/tile/{s1}/{s2}/{s3}/{s4}/{s5}/{s6}/{s7}", ROLE_ANY, false, fw_api_log_tile},
	{"GET", "/log/tile/{s1}/{s2}/{s3}/{s4}/{s5}/{s6}/{s7}/{s8}", ROLE_ANY, false, fw_api_log_tile},
};

#define NROUTES (sizeof routes / sizeof routes[0])

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Matches one segment-wise pattern; {name} takes one whole, non-empty
 * segment, percent-decoded (a decoded '/' or NUL makes the match fail). */
static bool match(const char *pattern, const char *path, char params[FW_HTTP_MAX_PARAMS][256])
{
	unsigned np = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			size_t n = 0;
			if (!pe || np == FW_HTTP_MAX_PARAMS)
				return false;
			while (*s && *s != '/') {
				char c = *s++;
				if (c == '%') {
					int h = hexval(s[0]), l = h < 0 ? -1 : hexval(s[1]);
					if (l < 0)
						return false;
					c = (char)(h * 16 + l);
					s += 2;
					if (c == '/' || c == '\0')
						return false;
				}
				if (n + 1 >= 256)
					return false;
				params[np][n++] = c;
			}
			if (n == 0)
				return false;
			params[np++][n] = '\0';
			p = pe + 1;
		} else if (*p++ != *s++) {
			return false;
		}
	}
	return *p == '\0' && *s == '\0';
}

const struct fw_route *fw_http_route_match(const char *method, const char *path,
					   char params[FW_HTTP_MAX_PARAMS][256], bool *path_known)
{
	*path_known = false;
	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, path, params))
			continue;
		*path_known = true;
		if (strcmp(routes[i].method, method) == 0)
			return &routes[i];
	}
	return NULL;
}

const struct fw_http_route_info *fw_http_routes(size_t *n)
{
	static struct fw_http_route_info info[NROUTES];
	for (size_t i = 0; i < NROUTES; i++) {
		info[i].method = routes[i].method;
		info[i].pattern = routes[i].pattern;
	}
	*n = NROUTES;
	return info;
}
