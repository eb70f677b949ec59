-- Leads and their contact log.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE leads (
    id                          uuid PRIMARY KEY,
    external_id                 text CHECK (length(external_id) BETWEEN 1 AND 100),
    name                        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    phone                       text CHECK (length(phone) <= 40),
    email                       text CHECK (length(email) <= 254),
    status                      text NOT NULL DEFAULT 'new'
                                CHECK (status IN ('new', 'contacted', 'follow_up', 'success', 'failed')),
    notes                       text CHECK (length(notes) <= 10000),
    assigned_to                 uuid REFERENCES users (id),
    probability                 double precision CHECK (probability BETWEEN 0 AND 1),
    category                    text CHECK (category IN ('hot', 'warm', 'cold')),
    model_version               integer,
    scored_at                   timestamptz,
    last_contacted_at           timestamptz,
    contact_count               integer NOT NULL DEFAULT 0 CHECK (contact_count >= 0),
    closed_at                   timestamptz,
    version                     integer NOT NULL DEFAULT 1,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    deleted_at                  timestamptz,
    age                         integer CHECK (age BETWEEN 17 AND 120),
    job                         text CHECK (job IN ('admin', 'blue_collar', 'entrepreneur', 'housemaid', 'management',
                                    'retired', 'self_employed', 'services', 'student', 'technician', 'unemployed', 'unknown')),
    marital                     text CHECK (marital IN ('married', 'single', 'divorced', 'unknown')),
    education                   text CHECK (education IN ('basic_4y', 'basic_6y', 'basic_9y', 'high_school', 'illiterate',
                                    'professional_course', 'university_degree', 'unknown')),
    credit_default              text CHECK (credit_default IN ('yes', 'no', 'unknown')),
    housing_loan                text CHECK (housing_loan IN ('yes', 'no', 'unknown')),
    personal_loan               text CHECK (personal_loan IN ('yes', 'no', 'unknown')),
    contact_channel             text CHECK (contact_channel IN ('cellular', 'telephone')),
    last_contact_month          text CHECK (last_contact_month IN ('jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug',
                                    'sep', 'oct', 'nov', 'dec')),
    last_contact_weekday        text CHECK (last_contact_weekday IN ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')),
    last_call_duration_sec      integer CHECK (last_call_duration_sec BETWEEN 0 AND 86400),
    campaign_contacts           integer CHECK (campaign_contacts BETWEEN 0 AND 1000),
    days_since_previous_contact integer CHECK (days_since_previous_contact BETWEEN 0 AND 998),
    previous_contacts           integer CHECK (previous_contacts BETWEEN 0 AND 1000),
    previous_outcome            text CHECK (previous_outcome IN ('none', 'failure', 'success')),
    emp_var_rate                double precision,
    cons_price_idx              double precision,
    cons_conf_idx               double precision,
    euribor_3m                  double precision,
    nr_employed                 double precision,
    -- Sort key of the probability orders: unscored leads come last in
    -- probability_desc (and first in probability_asc) without NULL handling
    -- in every keyset comparison.
    score_key                   double precision GENERATED ALWAYS AS (coalesce(probability, -1)) STORED,
    -- Lower-cased text the q filter searches, trigram-indexed.
    search_text                 text GENERATED ALWAYS AS (
                                    lower(name || ' ' || coalesce(phone, '') || ' ' || coalesce(email, ''))) STORED
);
CREATE UNIQUE INDEX leads_external_id_key ON leads (external_id);
-- One index per sort order of the list, all over live leads only.
CREATE INDEX leads_score_idx ON leads (score_key DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_updated_idx ON leads (updated_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_created_idx ON leads (created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_name_idx ON leads (name, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_assigned_score_idx ON leads (assigned_to, score_key DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_status_score_idx ON leads (status, score_key DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_category_score_idx ON leads (category, score_key DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_job_score_idx ON leads (job, score_key DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX leads_search_idx ON leads USING gin (search_text gin_trgm_ops) WHERE deleted_at IS NULL;
CREATE INDEX leads_closed_idx ON leads (assigned_to, closed_at) WHERE closed_at IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE activities (
    id           uuid PRIMARY KEY,
    lead_id      uuid NOT NULL REFERENCES leads (id),
    user_id      uuid REFERENCES users (id),
    kind         text NOT NULL CHECK (kind IN ('call', 'whatsapp', 'email', 'meeting', 'note')),
    outcome      text CHECK (length(outcome) <= 200),
    duration_sec integer CHECK (duration_sec BETWEEN 0 AND 86400),
    notes        text CHECK (length(notes) <= 10000),
    occurred_at  timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_lead_idx ON activities (lead_id, occurred_at DESC, id DESC);
CREATE INDEX activities_user_idx ON activities (user_id, occurred_at);

-- +goose Down
DROP TABLE activities;
DROP TABLE leads;
