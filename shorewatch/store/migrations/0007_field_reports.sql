-- Field reports: sightings submitted by grid members and volunteers. Each one is also published
-- as a `field_report` event with the same id, so it is scored and can raise an alert like any
-- detector finding. A photo, when sent, lives in the data directory under a name derived from
-- the id and the sniffed type (never the client's filename); its size and hash are kept here.
CREATE TABLE IF NOT EXISTS field_reports (
    id            uuid PRIMARY KEY,
    time          timestamptz NOT NULL,
    lat           double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon           double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    description   text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 2000),
    reporter      text NOT NULL,
    zone          text,
    jurisdiction  text,
    photo_type    text CHECK (photo_type IN ('image/jpeg', 'image/png')),
    photo_bytes   integer CHECK (photo_bytes > 0),
    photo_sha256  text CHECK (photo_sha256 ~ '^[0-9a-f]{64}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((photo_type IS NULL) = (photo_bytes IS NULL) AND (photo_type IS NULL) = (photo_sha256 IS NULL))
);
CREATE INDEX IF NOT EXISTS field_reports_time ON field_reports (time DESC, id);

-- The vessels API looks up each vessel's last position: observations by target, newest first
-- (the primary key leads with the sensor, which a last-position lookup does not know).
CREATE INDEX IF NOT EXISTS observations_target_time ON observations (target_ref, source, time DESC);
