-- Users and their API keys. A key is found by its public id and checked against a salted hash
-- of its secret (shorewatch/api_keys.py); the secret itself is never stored. Neither table
-- loses rows: a user is disabled and a key revoked, so the audit's actors stay resolvable.
CREATE TABLE IF NOT EXISTS users (
    name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$'),
    role          text NOT NULL CHECK (role IN ('operator', 'dispatcher', 'engineer', 'admin')),
    -- NULL: no area restriction (a national centre); else a jurisdiction id from the site YAML.
    jurisdiction  text CHECK (jurisdiction ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

CREATE TABLE IF NOT EXISTS api_keys (
    id            text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
    user_name     text NOT NULL REFERENCES users (name),
    hash          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX IF NOT EXISTS api_keys_user ON api_keys (user_name);

-- What a user of an area lists: the alerts of their jurisdictions, newest first.
CREATE INDEX IF NOT EXISTS alerts_jurisdiction ON alerts (jurisdiction, updated_at DESC);
