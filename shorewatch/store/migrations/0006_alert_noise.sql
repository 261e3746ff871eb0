-- Alert lifecycle times (for time-to-acknowledge/dispatch/resolve statistics), the resolution
-- outcome, escalation of unacknowledged alerts, and silences.
ALTER TABLE alerts
    ADD COLUMN IF NOT EXISTS outcome          text
        CHECK (outcome IN ('confirmed', 'false_alarm', 'benign')),
    ADD COLUMN IF NOT EXISTS acknowledged_at  timestamptz,
    ADD COLUMN IF NOT EXISTS dispatched_at    timestamptz,
    ADD COLUMN IF NOT EXISTS resolved_at      timestamptz,
    ADD COLUMN IF NOT EXISTS reviewed_at      timestamptz,
    ADD COLUMN IF NOT EXISTS escalations      integer NOT NULL DEFAULT 0 CHECK (escalations >= 0),
    ADD COLUMN IF NOT EXISTS escalated_at     timestamptz,
    ADD COLUMN IF NOT EXISTS silenced         boolean NOT NULL DEFAULT false;

-- The escalation sweep reads unacknowledged, unsilenced alerts.
CREATE INDEX IF NOT EXISTS alerts_awaiting_ack ON alerts (created_at)
    WHERE state = 'new' AND NOT silenced;

-- Silences: who muted what (kind / target / zone; absent = any), where, from when to when,
-- and why.
-- Rows are never deleted; expiring one early stamps `expired_at` / `expired_by`.
CREATE TABLE IF NOT EXISTS silences (
    id          uuid PRIMARY KEY,
    kind        text,
    target      text CHECK (char_length(target) BETWEEN 1 AND 64),
    zone        text CHECK (char_length(zone) BETWEEN 1 AND 64),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    reason      text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    areas       text[],  -- the creator's jurisdictions; the silence mutes only inside them
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL,
    expired_at  timestamptz,
    expired_by  text,
    CHECK (num_nonnulls(kind, target, zone) > 0),
    CHECK (ends_at > starts_at),
    CHECK ((expired_at IS NULL) = (expired_by IS NULL))
);
CREATE INDEX IF NOT EXISTS silences_ends_at ON silences (ends_at);
