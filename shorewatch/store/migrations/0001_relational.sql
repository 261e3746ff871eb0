-- Relational tables: identities, configuration mirrors, alerts and their audit trail.
CREATE TABLE IF NOT EXISTS store_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE IF NOT EXISTS vessels (
    mmsi        bigint PRIMARY KEY,
    imo         integer,
    name        text,
    callsign    text,
    ship_type   smallint,
    length_m    double precision,
    beam_m      double precision,
    sensor_id   text NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS zones (
    id       text PRIMARY KEY,
    name     text NOT NULL,
    kind     text NOT NULL,
    points   double precision NOT NULL,
    geojson  jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS sensors (
    id         text PRIMARY KEY,
    kind       text NOT NULL,
    online     boolean NOT NULL DEFAULT true,
    last_seen  timestamptz
);

CREATE TABLE IF NOT EXISTS alerts (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL,
    target           text NOT NULL,
    score            double precision NOT NULL CHECK (score BETWEEN 0 AND 100),
    level            text NOT NULL CHECK (level IN ('red', 'orange', 'yellow', 'blue')),
    factors          jsonb NOT NULL,
    state            text NOT NULL,
    lat              double precision NOT NULL,
    lon              double precision NOT NULL,
    zone             text,
    jurisdiction     text,
    event_ids        uuid[] NOT NULL,
    event_count      integer NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    acknowledged_by  text
);
-- One open alert per target and kind, enforced by the database, not only by the service.
CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_open_per_target_kind
    ON alerts (target, kind) WHERE state IN ('new', 'acknowledged', 'dispatched');
CREATE INDEX IF NOT EXISTS alerts_updated_at ON alerts (updated_at DESC);

CREATE TABLE IF NOT EXISTS alert_history (
    id          bigserial PRIMARY KEY,
    alert_id    uuid NOT NULL REFERENCES alerts (id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    from_state  text,
    to_state    text NOT NULL,
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS alert_history_alert ON alert_history (alert_id, id);

-- The audit trail is append-only: refuse edits at the database, whoever connects.
CREATE OR REPLACE FUNCTION shorewatch_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
DROP TRIGGER IF EXISTS alert_history_append_only ON alert_history;
CREATE TRIGGER alert_history_append_only BEFORE UPDATE OR DELETE ON alert_history
    FOR EACH ROW EXECUTE FUNCTION shorewatch_refuse_change();
