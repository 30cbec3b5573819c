-- Member-signed receipts (docs/log.md, "Acknowledgements"); see the SQLite
-- migration 0007_acks.sql for the design. Column names match it, so that
-- forewarn db copy carries the table over as it is.
CREATE TABLE acks (
	delivery_id bigint PRIMARY KEY REFERENCES deliveries (id),
	member_id text COLLATE "C" NOT NULL REFERENCES members (id),
	acked_at bigint NOT NULL,
	statement text NOT NULL CHECK (octet_length(statement) BETWEEN 1 AND 1024),
	signature text NOT NULL CHECK (octet_length(signature) BETWEEN 1 AND 16384),
	public_key text NOT NULL CHECK (octet_length(public_key) > 0),
	log_idx bigint UNIQUE REFERENCES log_entries (idx)
);
