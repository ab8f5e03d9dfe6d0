-- Revenue per region from orders over 100, largest first.
--
--   xorq build pipeline.sql        prints builds/<address>
--   xorq run builds/<address>      runs it and prints the table
--
-- The address is a hash of the logic: reformat this file, rename the CTE or reorder the
-- AND-ed conditions and the address stays the same; change the logic and it changes.
WITH large_orders AS (
    SELECT region, amount
    FROM read_parquet('data/sales.parquet')
    WHERE amount > 100
)
SELECT region, round(sum(amount), 2) AS total, count(*) AS orders
FROM large_orders
GROUP BY region
ORDER BY total DESC
