-- events.stream is written by append_events instead of being generated: PostgreSQL plans a
-- generated column's expression anew for every INSERT statement, a twentieth of an append's time
-- in the database. The stored names stay as they are.
ALTER TABLE events ALTER COLUMN stream DROP EXPRESSION IF EXISTS;
