-- A tracker counts its passes (`pass`: 1, and one more each time it was started again, by a
-- pass_started entry, which no database before this one holds): every tracker so far is on its
-- first. The API's tracker object gains `pass`, so tracker_json takes it, and the kept tracker
-- objects are marked stale (title_revision NULL): reads render them anew until the start-up
-- renders them again (schema.prepare_schema, after any migration).
DO $$
BEGIN
    IF to_regclass('tracker_state') IS NOT NULL THEN
        ALTER TABLE tracker_state ADD COLUMN IF NOT EXISTS pass integer NOT NULL DEFAULT 1;
    END IF;
    IF to_regclass('tracker_versions') IS NOT NULL THEN
        ALTER TABLE tracker_versions ADD COLUMN IF NOT EXISTS pass integer NOT NULL DEFAULT 1;
        UPDATE tracker_versions SET title_revision = NULL;
    END IF;
END $$;
DROP FUNCTION IF EXISTS tracker_json(bigint, titles, text, integer, integer, numeric, text[], timestamptz,
                                     timestamptz, integer, integer, timestamptz);
