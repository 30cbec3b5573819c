-- Several nodes (issue 6): due release work is claimed before it is sealed,
-- so that two nodes do not seal the same copies (exactly-once is the
-- deliveries' UNIQUE, not this table). A claim belongs to one node (a random
-- id per process) until expires_at, seconds of the database's clock; an
-- expired claim is taken over by the next node that claims (its owner died
-- mid-batch). Rows are transient: an owner deletes its claims when its batch
-- is stored. No foreign keys: a claim must never hold up a plan change.
CREATE TABLE release_claims (
	member_id text COLLATE "C" NOT NULL,
	advisory_id text COLLATE "C" NOT NULL,
	kind text COLLATE "C" NOT NULL,
	version integer NOT NULL,
	node text NOT NULL,
	expires_at bigint NOT NULL,
	PRIMARY KEY (member_id, advisory_id, kind, version)
);
CREATE INDEX release_claims_node ON release_claims (node);
