-- The watch list managed through the API. Rows are never deleted: removal stamps `removed_at`
-- and `removed_by`, so who listed a vessel, and who took it off, stays on record.
CREATE TABLE IF NOT EXISTS watchlist (
    id          uuid PRIMARY KEY,
    mmsi        bigint CHECK (mmsi BETWEEN 0 AND 999999999),
    imo         integer CHECK (imo BETWEEN 0 AND 9999999),
    name        text CHECK (char_length(name) BETWEEN 1 AND 64),
    callsign    text CHECK (char_length(callsign) BETWEEN 1 AND 16),
    reason      text NOT NULL DEFAULT '' CHECK (char_length(reason) <= 500),
    points      double precision NOT NULL CHECK (points BETWEEN 0 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    removed_at  timestamptz,
    removed_by  text,
    CHECK (num_nonnulls(mmsi, imo, name, callsign) > 0),
    CHECK ((removed_at IS NULL) = (removed_by IS NULL))
);
CREATE INDEX IF NOT EXISTS watchlist_active ON watchlist (created_at, id) WHERE removed_at IS NULL;

-- Every change, whoever makes it, wakes the detectors that LISTEN (delivered on commit).
CREATE OR REPLACE FUNCTION shorewatch_watchlist_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shorewatch_watchlist', '');
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS watchlist_notify ON watchlist;
CREATE TRIGGER watchlist_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON watchlist
    FOR EACH STATEMENT EXECUTE FUNCTION shorewatch_watchlist_notify();
