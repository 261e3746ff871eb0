-- Patrol units and their assignments to alerts. A unit's live track goes to the time-series
-- table `unit_positions`; its latest fix is kept here too, for dispatch suggestions.
CREATE TABLE IF NOT EXISTS units (
    id             text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    kind           text NOT NULL CHECK (kind IN ('sea', 'land')),
    unit_type      text NOT NULL,
    home_lat       double precision NOT NULL CHECK (home_lat BETWEEN -90 AND 90),
    home_lon       double precision NOT NULL CHECK (home_lon BETWEEN -180 AND 180),
    max_speed_kn   double precision CHECK (max_speed_kn > 0),
    max_speed_kmh  double precision CHECK (max_speed_kmh > 0),
    jurisdiction   text,
    webhook_url    text,
    state          text NOT NULL DEFAULT 'available'
                   CHECK (state IN ('available', 'en_route', 'on_scene', 'returning',
                                    'out_of_service')),
    current_alert  uuid REFERENCES alerts (id),
    fix_at         timestamptz,
    fix_lat        double precision,
    fix_lon        double precision,
    fix_sog_kn     double precision,
    fix_cog_deg    double precision,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'sea') = (max_speed_kn IS NOT NULL)),
    CHECK ((kind = 'land') = (max_speed_kmh IS NOT NULL)),
    -- A unit is on an alert exactly while it is en route to it or on scene.
    CHECK ((state IN ('en_route', 'on_scene')) = (current_alert IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS unit_assignments (
    id              bigserial PRIMARY KEY,
    alert_id        uuid NOT NULL REFERENCES alerts (id),
    unit_id         text NOT NULL REFERENCES units (id),
    assigned_by     text NOT NULL,
    assigned_at     timestamptz NOT NULL,
    note            text NOT NULL DEFAULT '',
    distance_m      double precision,
    eta_s           double precision,
    notified_at     timestamptz,
    arrived_at      timestamptz,
    released_at     timestamptz,
    release_reason  text
);
-- One live assignment per unit, enforced by the database as well as by the dispatch code.
CREATE UNIQUE INDEX IF NOT EXISTS unit_assignments_one_active
    ON unit_assignments (unit_id) WHERE released_at IS NULL;
CREATE INDEX IF NOT EXISTS unit_assignments_alert ON unit_assignments (alert_id, id);
