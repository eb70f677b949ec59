-- +goose Up
-- A time split draws nothing, so its model has no seed (scoring.Options).
-- Models trained before that rule show the default seed 1 they never used,
-- in their options and in the stored model's own copy of them.
UPDATE models SET options = options - 'seed', model = model #- '{options,seed}'
WHERE options ->> 'split' = 'time' AND options ? 'seed';

-- +goose Down
UPDATE models SET options = options || '{"seed": 1}',
    model = CASE WHEN model ? 'options' THEN jsonb_set(model, '{options,seed}', '1') ELSE model END
WHERE options ->> 'split' = 'time' AND NOT options ? 'seed';
