-- The accuracy of pipeline.sql's predictions on its test rows: the same split and the same
-- model (the same logic, so the same cache entry: the model is fitted once for both files).
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
),
predicted AS (
    SELECT
        test.species,
        predict_class(model.m, test.bill_length_mm, test.bill_depth_mm, test.flipper_length_mm) AS predicted
    FROM test CROSS JOIN model
)
SELECT
    count(*) AS test_rows,
    round(avg(CASE WHEN species = predicted THEN 1.0 ELSE 0.0 END), 3) AS accuracy
FROM predicted
