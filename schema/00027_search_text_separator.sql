-- The search text's three parts (folded name, phone digits, folded e-mail)
-- joined by a control character (U+001F, the unit separator) rather than a
-- space: with a space, q=sousa 35 matched the end of a name and the start
-- of a phone, a substring of neither. pg_trgm takes the separator as a word
-- boundary, as it took the space, so the trigram index keeps the same
-- entries. lead_rank's copy is rebuilt at the end; the lock keeps writers
-- out while every row is rewritten.

-- +goose Up
LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION leads_fold() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.name_key := search_fold(NEW.name);
    NEW.search_text := NEW.name_key || chr(31) || coalesce(regexp_replace(NEW.phone, '[^0-9]', '', 'g'), '')
        || chr(31) || coalesce(search_fold(NEW.email), '');
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

SET LOCAL jmk.lead_rank_deferred = 'on';
UPDATE leads SET search_text = name_key || chr(31) || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '')
    || chr(31) || coalesce(search_fold(email), '');
SELECT lead_rank_rebuild();

-- +goose Down
LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION leads_fold() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.name_key := search_fold(NEW.name);
    NEW.search_text := NEW.name_key || ' ' || coalesce(regexp_replace(NEW.phone, '[^0-9]', '', 'g'), '')
        || ' ' || coalesce(search_fold(NEW.email), '');
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

SET LOCAL jmk.lead_rank_deferred = 'on';
UPDATE leads SET search_text = name_key || ' ' || coalesce(regexp_replace(phone, '[^0-9]', '', 'g'), '')
    || ' ' || coalesce(search_fold(email), '');
SELECT lead_rank_rebuild();
