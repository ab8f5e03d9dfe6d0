-- Penguin species from bill and flipper measurements: split, fit, predict.
--
--   xorq build pipeline.sql        prints builds/<address>
--   xorq run builds/<address>      fits the model on the first run, reads it from the cache after
--   xorq build score.sql           the accuracy of the same predictions (see README.md)
--
-- split_hash(seed, key, ...) gives each row a number in [0, 1) from its key values, the same on
-- every run and whatever engine holds the rows: the rows below 0.25 are the test rows.
-- fit(...) is an aggregate whose value is the fitted model (its parameters as data);
-- predict_class(model, ...) is the label it predicts for each row.
WITH
penguins AS (
    SELECT * FROM read_csv('data/penguins.csv')
    WHERE bill_length_mm IS NOT NULL AND sex IS NOT NULL
),
train AS (
    SELECT * FROM penguins
    WHERE split_hash(1, species, island, bill_length_mm, bill_depth_mm, body_mass_g, sex, year) >= 0.25
),
-- xorq: tag test
test AS (
    SELECT * FROM penguins
    WHERE split_hash(1, species, island, bill_length_mm, bill_depth_mm, body_mass_g, sex, year) < 0.25
),
-- xorq: cache snapshot
model AS (
    SELECT fit('LogisticRegression', '{"C": 1.0, "max_iter": 1000}',
               species, bill_length_mm, bill_depth_mm, flipper_length_mm) AS m
    FROM train
)
SELECT
    test.species,
    test.island,
    test.bill_length_mm,
    test.bill_depth_mm,
    test.flipper_length_mm,
    predict_class(model.m, test.bill_length_mm, test.bill_depth_mm, test.flipper_length_mm) AS predicted
FROM test CROSS JOIN model
ORDER BY test.species, test.bill_length_mm, test.bill_depth_mm, test.flipper_length_mm
