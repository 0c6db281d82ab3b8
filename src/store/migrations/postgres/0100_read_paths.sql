-- Read paths of the 360° view (issue 2, performance).
--
-- The timeline's orders: the demo (and any shop) writes orders in time
-- order, so one customer's orders lie on as many table pages as it has
-- orders. This index carries every column the timeline shows, so a
-- customer's orders are read from one short index range (two or three
-- pages) without visiting the table. It replaces orders_customer_at, its
-- prefix.
CREATE INDEX orders_timeline ON orders(customer_id, ordered_at, kind, status, total_minor, currency, channel, store, external_id);
DROP INDEX orders_customer_at;

-- The profile lists e-mails, phones and addresses primary first, then by
-- id: in index order, without a sort per list.
CREATE INDEX customer_emails_profile ON customer_emails(customer_id, is_primary DESC, id);
DROP INDEX customer_emails_customer;
CREATE INDEX customer_phones_profile ON customer_phones(customer_id, is_primary DESC, id);
DROP INDEX customer_phones_customer;
CREATE INDEX customer_addresses_profile ON customer_addresses(customer_id, is_primary DESC, id);
DROP INDEX customer_addresses_customer;
