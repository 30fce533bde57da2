-- tracker_versions names its kept tracker object `tracker` (was state_json) and the revision of the
-- title it shows `title_revision` (was state_revision); the functions that render and read it are
-- tracker_json(v, t) (was rendered_state) and kept_tracker_json(v, t) (was version_json).
DO $$
BEGIN
    IF EXISTS (SELECT FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'tracker_versions'
                 AND column_name = 'state_json') THEN
        ALTER TABLE tracker_versions RENAME COLUMN state_json TO tracker;
        ALTER TABLE tracker_versions RENAME COLUMN state_revision TO title_revision;
    END IF;
END $$;
DROP FUNCTION IF EXISTS version_json(tracker_versions, titles);
DROP FUNCTION IF EXISTS rendered_state(tracker_versions, titles);
