/* The render step of a release: a member's copy of an artifact version. */
#include "release/internal.h"

enum fw_err fw_release_render(const struct fw_artifact *a, const uint8_t *plain, size_t n,
			      const struct fw_release_mark_version *mv, const struct fw_member *m,
			      struct fw_buf *scratch, const uint8_t **copy, size_t *copy_len)
{
	enum fw_err r;
	(void)a;
	if (!mv || !mv->marked) {
		*copy = plain;
		*copy_len = n;
		return FW_OK;
	}
	/* The member's codeword picks one alternative per point; the same
	 * member and version always give the same bytes (nothing random). */
	fw_buf_reset(scratch);
	if ((r = fw_mark_render_member(mv->t, mv->code, m->id, scratch)) != FW_OK)
		return r;
	*copy = scratch->data ? scratch->data : (const uint8_t *)"";
	*copy_len = scratch->len;
	return FW_OK;
}
