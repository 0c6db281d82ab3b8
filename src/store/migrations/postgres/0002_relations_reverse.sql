-- The 360° profile lists relations in both directions: find them by the
-- related customer too, without a scan.
CREATE INDEX IF NOT EXISTS customer_relations_related ON customer_relations(related_id);
