-- Partial indexes for the KPI side queries (app/kpis.c): the orders a
-- campaign's interaction led to (ROI), and the customers with a declared
-- category spend (share of wallet), so neither scans its whole table.
CREATE INDEX interactions_campaign_order ON interactions(order_id)
    WHERE campaign_id IS NOT NULL AND order_id IS NOT NULL;
CREATE INDEX customers_category_spend ON customers(id, category_spend_minor)
    WHERE category_spend_minor > 0;
