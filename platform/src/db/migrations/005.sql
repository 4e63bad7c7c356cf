-- Least privilege (issue 22, items 3 and 4). A Developer may be granted
-- production decisions (rollback, takedown) over one assigned mini program.
ALTER TABLE assignments ADD COLUMN production BIGINT NOT NULL DEFAULT 0;
-- Account tokens can expire and be revoked, and developer keys revoked.
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE tokens ADD COLUMN revoked_at BIGINT;
ALTER TABLE dev_keys ADD COLUMN revoked_at BIGINT;
