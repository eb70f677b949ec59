-- Scoring model versions and the category thresholds.

-- +goose Up
CREATE TABLE models (
    version      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    algorithm    text NOT NULL,
    trained_at   timestamptz NOT NULL DEFAULT now(),
    trained_by   uuid REFERENCES users (id),
    options      jsonb NOT NULL,
    metrics      jsonb NOT NULL,
    thresholds   jsonb NOT NULL,
    -- The whole model: encoding, coefficients, metrics (scoring.Model as JSON).
    model        jsonb NOT NULL,
    active       boolean NOT NULL DEFAULT false,
    activated_at timestamptz
);
-- At most one active model, whatever the concurrency.
CREATE UNIQUE INDEX models_one_active ON models (active) WHERE active;

-- A single-row table: the probability cut-offs of the categories.
CREATE TABLE scoring_thresholds (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    hot        double precision NOT NULL,
    warm       double precision NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (0 < warm AND warm < hot AND hot < 1)
);
INSERT INTO scoring_thresholds (hot, warm) VALUES (0.70, 0.40);

-- +goose Down
DROP TABLE scoring_thresholds;
DROP TABLE models;
