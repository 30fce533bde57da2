-- tracker_versions keeps each state's tracker object (state_json) where it kept the whole timeline
-- item (item): the rest of an item is cheap for a read to build, and the write renders the
-- tracker object before it takes the log lock, since it needs no position from the log.
DO $$
BEGIN
    IF to_regclass('tracker_versions') IS NULL THEN
        RETURN;  -- made by schema.sql, and filled from the log, on this start
    END IF;
    ALTER TABLE tracker_versions ADD COLUMN IF NOT EXISTS state_json json,
                                 ADD COLUMN IF NOT EXISTS state_revision integer;
    IF EXISTS (SELECT FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'tracker_versions' AND column_name = 'item') THEN
        UPDATE tracker_versions SET state_json = item -> 'state', state_revision = item_revision WHERE item IS NOT NULL;
        ALTER TABLE tracker_versions DROP COLUMN item, DROP COLUMN item_revision;
    END IF;
END $$;
