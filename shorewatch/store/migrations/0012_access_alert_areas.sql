-- An alert is seen in every jurisdiction its target has been in while it was open, not only
-- where it opened: the set is kept beside `jurisdiction` (the latest) and lists filter on it.
ALTER TABLE alerts
    ADD COLUMN IF NOT EXISTS jurisdictions  text[] NOT NULL DEFAULT '{}',
    -- When a silence over the alert last ended: escalation counts from then.
    ADD COLUMN IF NOT EXISTS unsilenced_at  timestamptz;
UPDATE alerts SET jurisdictions = ARRAY[jurisdiction]
    WHERE jurisdiction IS NOT NULL AND jurisdictions = '{}';
CREATE INDEX IF NOT EXISTS alerts_jurisdictions ON alerts USING gin (jurisdictions);

-- Re-deciding silences reads the open alerts that are silenced.
CREATE INDEX IF NOT EXISTS alerts_open_silenced ON alerts (id)
    WHERE silenced AND state IN ('new', 'acknowledged', 'dispatched');
