-- The staging table of the CSV import (server/store/import.go): rows are
-- COPYed here, then moved into leads by one INSERT ... SELECT ... ON CONFLICT.
-- It never holds committed rows: an import truncates it at the start (which
-- also takes its ACCESS EXCLUSIVE lock, so imports run one at a time and can
-- never deadlock on each other's leads) and again before it commits.
-- UNLOGGED: its content is never worth a WAL record.

-- +goose Up
CREATE UNLOGGED TABLE lead_import_stage (
    line                        integer NOT NULL,
    id                          uuid NOT NULL,
    external_id                 text,
    name                        text,
    fallback_name               text NOT NULL,
    phone                       text,
    email                       text,
    status                      text NOT NULL,
    notes                       text,
    assigned_to                 uuid,
    closed_at                   timestamptz,
    created_at                  timestamptz,
    age                         integer,
    job                         text,
    marital                     text,
    education                   text,
    credit_default              text,
    housing_loan                text,
    personal_loan               text,
    contact_channel             text,
    last_contact_month          text,
    last_contact_weekday        text,
    last_call_duration_sec      integer,
    campaign_contacts           integer,
    days_since_previous_contact integer,
    previous_contacts           integer,
    previous_outcome            text,
    emp_var_rate                double precision,
    cons_price_idx              double precision,
    cons_conf_idx               double precision,
    euribor_3m                  double precision,
    nr_employed                 double precision
);

-- +goose Down
DROP TABLE lead_import_stage;
