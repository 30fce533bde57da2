-- A user may keep titles of their own, beside the catalog's: `owner_id` names them (null for the
-- catalog's titles). A kind, name and creator is unique in the catalog and among each owner's
-- titles, so the catalog's identity key becomes partial (schema.sql makes it again, with its
-- owners' twin).
DO $$
BEGIN
    IF to_regclass('titles') IS NOT NULL THEN
        ALTER TABLE titles ADD COLUMN IF NOT EXISTS owner_id bigint REFERENCES users (id) ON DELETE CASCADE;
    END IF;
END $$;
DROP INDEX IF EXISTS titles_identity;
