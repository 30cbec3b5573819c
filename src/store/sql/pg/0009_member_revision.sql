-- A member's revision counts its changes: every UPDATE of the member sets
-- revision = revision + 1 (the store's statements do), so two changes in
-- one second still differ. A member's class (plan_members) counts while
-- the member's revision is the one it was classed at; updated_at, whole
-- seconds, could not tell two changes in one second apart.
ALTER TABLE members ADD COLUMN revision bigint NOT NULL DEFAULT 0;
ALTER TABLE plan_members RENAME COLUMN member_updated_at TO member_revision;
-- Every class is stale now: forewarnd re-plans at start.
UPDATE plan_members SET member_revision = -1;
