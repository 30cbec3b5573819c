-- The policy version that decided each plan entry. Only entries of the
-- newest policy version are released: storing a policy version stops every
-- older plan at once, and the re-plan that follows (or, after a crash, the
-- one at start) writes the entries of the new version.
ALTER TABLE plan ADD COLUMN policy_version INTEGER NOT NULL DEFAULT 0;
