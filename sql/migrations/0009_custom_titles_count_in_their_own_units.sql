-- A user's own title may be of the kind `custom`, counted in a unit of its owner's words ("km",
-- "hour", "glass") and in decimal amounts (up to 2 places). `own_unit` holds that word; `unit`
-- stays generated, from the kind for the catalog's kinds and from `own_unit` for a custom title,
-- so the catalog answers as before. Progress becomes numeric(12, 2) in the tracker's projections
-- (tracker_versions and tracker_moments were made LIKE tracker_state, so each is altered), and the
-- functions that took it as an integer are dropped here for schema.sql to make again on numeric.
DO $$
BEGIN
    IF to_regclass('titles') IS NOT NULL THEN
        ALTER TABLE titles DROP CONSTRAINT IF EXISTS titles_kind_check;
        ALTER TABLE titles ADD COLUMN IF NOT EXISTS own_unit text;
        ALTER TABLE titles DROP COLUMN IF EXISTS unit;
        ALTER TABLE titles ADD COLUMN unit text GENERATED ALWAYS AS (
            CASE kind WHEN 'tv_show' THEN 'episode' WHEN 'book' THEN 'page' WHEN 'album' THEN 'track'
                      WHEN 'custom' THEN own_unit ELSE 'play' END) STORED;
        ALTER TABLE titles ADD CONSTRAINT titles_kind_check
            CHECK (kind IN ('tv_show', 'book', 'album', 'song', 'custom'));
        ALTER TABLE titles ADD CONSTRAINT titles_own_unit_check
            CHECK ((kind = 'custom') = (own_unit IS NOT NULL) AND (kind <> 'custom' OR owner_id IS NOT NULL));
    END IF;
    IF to_regclass('tracker_state') IS NOT NULL THEN
        ALTER TABLE tracker_state ALTER COLUMN progress TYPE numeric(12, 2);
    END IF;
    IF to_regclass('tracker_versions') IS NOT NULL THEN
        ALTER TABLE tracker_versions ALTER COLUMN progress TYPE numeric(12, 2);
    END IF;
    IF to_regclass('tracker_moments') IS NOT NULL THEN
        ALTER TABLE tracker_moments ALTER COLUMN progress TYPE numeric(12, 2);
    END IF;
END $$;
DROP FUNCTION IF EXISTS tracker_json(bigint, titles, text, integer, integer, numeric, text[], timestamptz,
                                     timestamptz, integer, integer, timestamptz, integer);
DROP FUNCTION IF EXISTS entry_summary(text, jsonb, integer, integer, text);
DROP FUNCTION IF EXISTS correction_summary(jsonb, integer, integer, text);
DROP FUNCTION IF EXISTS change_summary(text, jsonb, integer, integer, text);
