-- CRM programme costs entered per month, for the ROI of the CRM programme
-- and the acquisition cost (DOMAIN.md "KPIs").
CREATE TABLE crm_costs (
    id           INTEGER PRIMARY KEY,
    month        TEXT NOT NULL,            -- 'YYYY-MM'
    category     TEXT NOT NULL CHECK (category IN ('programme','acquisition','campaign')),
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    note         TEXT,
    user_id      INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX crm_costs_month ON crm_costs(month);
