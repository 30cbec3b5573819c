-- Member-signed receipts (docs/log.md, "Acknowledgements").
--
-- A member acknowledges one delivery by signing its statement with its own
-- minisign key. At most one per delivery, never changed: the statement,
-- the signature file and the public key that verified it are kept byte for
-- byte, so that an arbiter can check the signature with minisign alone even
-- after the member registered another key. log_idx is the "receipt" entry,
-- sequenced in the acknowledgement's own transaction (NULL only when the
-- store was written without a log).
CREATE TABLE acks (
	delivery_id INTEGER PRIMARY KEY REFERENCES deliveries (id),
	member_id TEXT NOT NULL REFERENCES members (id),
	acked_at INTEGER NOT NULL,
	statement TEXT NOT NULL CHECK (length(statement) BETWEEN 1 AND 1024),
	signature TEXT NOT NULL CHECK (length(signature) BETWEEN 1 AND 16384),
	public_key TEXT NOT NULL CHECK (length(public_key) > 0),
	log_idx INTEGER UNIQUE REFERENCES log_entries (idx)
);
