-- Planning per member class (docs/policy.md, "Planning"): the policy
-- decides once per class of members it cannot tell apart, not once per
-- member, so that re-planning 10,000 members x 100 advisories writes
-- thousands of rows instead of millions. The old per-member plan is
-- dropped; forewarnd re-plans at start.
DROP TABLE plan;

-- Each member's class under policy_version. member_updated_at is the
-- member's updated_at when it was classed: a member changed since gets
-- nothing until it is classed again, so a stale class releases nothing.
CREATE TABLE plan_members (
	member_id TEXT PRIMARY KEY REFERENCES members (id),
	class TEXT NOT NULL,
	member_updated_at INTEGER NOT NULL,
	policy_version INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX plan_members_class ON plan_members (class, member_id);

-- Per advisory, class and kind: withheld, or released at T + release_offset
-- (T = advisories.public_at, so moving T moves every release). Only rows of
-- the newest policy version are ever due.
CREATE TABLE plan_decisions (
	advisory_id TEXT NOT NULL REFERENCES advisories (id),
	class TEXT NOT NULL,
	kind TEXT NOT NULL REFERENCES kinds (name),
	withheld INTEGER NOT NULL CHECK (withheld IN (0, 1)),
	release_offset INTEGER NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	policy_version INTEGER NOT NULL,
	PRIMARY KEY (advisory_id, class, kind)
) WITHOUT ROWID;
