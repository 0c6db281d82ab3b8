-- Segments: saved customer filters in the segment language (docs/segments.md),
-- static lists, and the stored membership that segment.entered / segment.left
-- events are computed from. Targeting groups (DOMAIN.md "Targeting") are
-- segments with a group key: their definition is data, editable like any
-- segment's, but they cannot be deleted.
CREATE TABLE segments (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT,
    kind         TEXT NOT NULL CHECK (kind IN ('dynamic','static')),
    expr         TEXT,               -- dynamic: the filter; static: how it was first filled
    group_key    TEXT UNIQUE,        -- targeting group (best, new, ..., true_friends), else NULL
    member_count INTEGER NOT NULL DEFAULT 0,
    evaluated_at INTEGER,
    created_by   INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE segment_members (
    segment_id  INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX segment_members_customer ON segment_members(customer_id);

-- The segment column store notices changed profiles by max(updated_at).
CREATE INDEX IF NOT EXISTS customers_updated ON customers(updated_at);

INSERT INTO segments(name, description, kind, expr, group_key, created_at, updated_at) VALUES
 ('Best customers', 'Top RFM segments or class A (top 5 % by revenue)', 'dynamic',
  'rfm_segment in [champions, loyal] OR abc_class = A', 'best', 0, 0),
 ('High-potential customers', 'Recent or growing buyers whose value can still develop', 'dynamic',
  'rfm_segment in [potential_loyalists, promising, need_attention] OR (orders_count >= 2 AND p_alive >= 0.8 AND abc_class = B)', 'high_potential', 0, 0),
 ('Lead customers', 'Experts and influencers: prescribers who sway others (tags)', 'dynamic',
  'tags in [expert, influencer, ambassador, prescriber] OR interests contains parrainage', 'lead', 0, 0),
 ('New customers', 'First purchase within new_within_days', 'dynamic',
  'lifecycle = new', 'new', 0, 0),
 ('Inactive customers', 'No transaction for inactive_after_days', 'dynamic',
  'lifecycle = inactive', 'inactive', 0, 0),
 ('Unhappy customers', 'Flagged at risk (bad survey score, complaint) or tagged unhappy', 'dynamic',
  'at_risk OR tags in [unhappy, complaint]', 'unhappy', 0, 0),
 ('Former customers', 'No transaction for lost_after_days, or every contract cancelled', 'dynamic',
  'lifecycle = former', 'former', 0, 0),
 ('True friends', 'Loyalty x profitability: long relationship, high profit', 'dynamic',
  'quadrant = true_friends', 'true_friends', 0, 0),
 ('Butterflies', 'Loyalty x profitability: short relationship, high profit', 'dynamic',
  'quadrant = butterflies', 'butterflies', 0, 0),
 ('Barnacles', 'Loyalty x profitability: long relationship, low profit', 'dynamic',
  'quadrant = barnacles', 'barnacles', 0, 0),
 ('Strangers', 'Loyalty x profitability: short relationship, low profit', 'dynamic',
  'quadrant = strangers', 'strangers', 0, 0);
