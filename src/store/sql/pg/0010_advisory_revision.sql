-- An advisory's revision counts its changes: every update of the advisory
-- (schedule, expedite, a change of tags, CVSS, products...) sets revision =
-- revision + 1; publication at T does not. A decision (plan_decisions) counts
-- while its advisory's revision is the one it was decided at: a decision
-- made for the advisory as it was releases nothing once it changed, until
-- the re-plan that follows the change.
ALTER TABLE advisories ADD COLUMN revision bigint NOT NULL DEFAULT 0;
-- Every decision is stale now: forewarnd re-plans at start.
ALTER TABLE plan_decisions ADD COLUMN advisory_revision bigint NOT NULL DEFAULT -1;
