-- Body mass and flipper length per species and island, for penguins whose sex was recorded.
--
--   xorq build pipeline.sql
--   xorq run builds/<address>
SELECT
    species,
    island,
    count(*) AS penguins,
    round(avg(body_mass_g), 1) AS mean_body_mass_g,
    round(avg(flipper_length_mm), 1) AS mean_flipper_length_mm
FROM read_csv('data/penguins.csv')
WHERE sex IS NOT NULL
GROUP BY species, island
ORDER BY species, island
