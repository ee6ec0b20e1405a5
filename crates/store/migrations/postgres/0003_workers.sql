-- Which worker wrote a delivery's outcome or finished a job (`<host>-<pid>-<random>`), for the
-- ledger and `nashr store status`. lease_owner says who holds a row now; worker, who did it.
ALTER TABLE deliveries ADD COLUMN worker TEXT;
ALTER TABLE jobs ADD COLUMN worker TEXT;
