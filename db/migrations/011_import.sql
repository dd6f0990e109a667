-- 集体注册 (bulk registration) and 在线关联 (claiming an imported record).
--
-- The import service logs in as stvs_import and may write only the import
-- schema. What an import creates elsewhere (accounts, volunteers, org
-- memberships) is written by SECURITY DEFINER functions defined here, owned
-- by the migration role that owns the auth, volunteer and org schemas, and
-- granted to stvs_import alone. Each function does one narrow thing with the
-- checks of the schema it writes, so a compromised import service can do no
-- more than import rows: it cannot update or delete anything, set a
-- password, grant roles or touch activities (docs/imports.md, "Writes into
-- other schemas").
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'stvs_import') THEN
        CREATE ROLE stvs_import LOGIN;
    END IF;
END $$;

-- ---------------------------------------------------------------- claims
-- Imported volunteers are unclaimed until the person confirms the ID number.
ALTER TABLE volunteer.volunteers
    ADD COLUMN source text NOT NULL DEFAULT 'self' CHECK (source IN ('self', 'import')),
    ADD COLUMN claim_status text NOT NULL DEFAULT 'claimed' CHECK (claim_status IN ('claimed', 'unclaimed')),
    ADD COLUMN claimed_at timestamptz;

-- Wrong and right tries of POST /volunteers/me/claim, for the 24 h lockout.
CREATE TABLE volunteer.claim_attempts (
    user_id  bigint NOT NULL REFERENCES auth.users ON DELETE CASCADE,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_attempts_user ON volunteer.claim_attempts (user_id, at);
GRANT SELECT, INSERT ON volunteer.claim_attempts TO stvs_volunteer;
GRANT UPDATE (claim_status, claimed_at, updated_at) ON volunteer.volunteers TO stvs_volunteer;
GRANT SELECT (claim_status) ON volunteer.volunteers TO stvs_auth, stvs_org, stvs_activity;

-- ---------------------------------------------------------------- the import schema
CREATE SCHEMA import;
GRANT USAGE ON SCHEMA import TO stvs_import;

CREATE TABLE import.imports (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('volunteers', 'orgs')),
    org_id        bigint REFERENCES org.orgs,           -- kind volunteers: the org they join
    parent_id     bigint REFERENCES org.orgs,           -- kind orgs: where the new orgs go
    level         text CHECK (level IN ('corps', 'detachment', 'brigade', 'team', 'squad')),
    -- what "the same target" means for the idempotency rule
    target        text NOT NULL,
    file_name     text,
    content_type  text NOT NULL,
    sha256        bytea NOT NULL CHECK (length(sha256) = 32),
    status        text NOT NULL DEFAULT 'validating'
                  CHECK (status IN ('validating', 'validated', 'committing', 'committed', 'failed')),
    rows_total    integer NOT NULL DEFAULT 0,
    rows_done     integer NOT NULL DEFAULT 0,
    n_new         integer NOT NULL DEFAULT 0,
    n_link        integer NOT NULL DEFAULT 0,
    n_unchanged   integer NOT NULL DEFAULT 0,
    n_invalid     integer NOT NULL DEFAULT 0,
    n_warnings    integer NOT NULL DEFAULT 0,
    headers       jsonb,                                -- the header row as uploaded, by column
    error         text,
    created_by    bigint NOT NULL REFERENCES auth.users,
    created_at    timestamptz NOT NULL DEFAULT now(),
    validated_at  timestamptz,
    committed_at  timestamptz
);
CREATE INDEX imports_created_by ON import.imports (created_by, id);
CREATE INDEX imports_org ON import.imports (org_id, id);
-- One open import per file and target: a second upload answers the first.
CREATE UNIQUE INDEX imports_open_file ON import.imports (kind, target, sha256)
    WHERE status IN ('validating', 'validated', 'committing');

-- The upload, sealed (AES-256-GCM, key outside the database: it holds ID
-- numbers), kept until validation has turned it into rows.
CREATE TABLE import.files (
    import_id  bigint PRIMARY KEY REFERENCES import.imports ON DELETE CASCADE,
    sealed     bytea NOT NULL
);

-- The queue: a worker thread takes a job with FOR UPDATE SKIP LOCKED and
-- holds the lock while it works; a process that dies releases it, and the
-- next worker (of this process after a restart, or of another) resumes.
CREATE TABLE import.jobs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    import_id   bigint NOT NULL REFERENCES import.imports ON DELETE CASCADE,
    action      text NOT NULL CHECK (action IN ('validate', 'commit')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (import_id, action)
);

-- One row per data row of the sheet, as validated; committed rows are
-- marked in the same transaction that writes them, so a resumed commit
-- skips them and nothing is written twice.
CREATE TABLE import.rows (
    import_id     bigint NOT NULL REFERENCES import.imports ON DELETE CASCADE,
    row_no        integer NOT NULL,                   -- the spreadsheet's own row number
    outcome       text NOT NULL CHECK (outcome IN ('new', 'link', 'unchanged', 'invalid')),
    name_masked   text NOT NULL,
    errors        jsonb NOT NULL DEFAULT '[]',
    warnings      jsonb NOT NULL DEFAULT '[]',
    cells_sealed  bytea NOT NULL,                     -- the row as uploaded (JSON array), sealed
    data          jsonb,                              -- validated values, codes (no ID number)
    phone         text,
    id_sealed     bytea,
    id_index      bytea,
    id_masked     text,
    committed     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (import_id, row_no)
);
CREATE INDEX rows_outcome ON import.rows (import_id, outcome, row_no);

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA import TO stvs_import;

-- ---------------------------------------------------------------- reads the import service needs
GRANT USAGE ON SCHEMA auth, volunteer, org, ref TO stvs_import;
GRANT SELECT (id, phone) ON auth.users TO stvs_import;
GRANT SELECT ON auth.platform_admins TO stvs_import;
GRANT SELECT (id, user_id, id_index, claim_status) ON volunteer.volunteers TO stvs_import;
GRANT SELECT ON org.orgs, org.admins, org.members TO stvs_import;
GRANT SELECT ON ALL TABLES IN SCHEMA ref TO stvs_import;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ref TO stvs_import;
GRANT EXECUTE ON FUNCTION org.rights(bigint, bigint) TO stvs_import;

-- ---------------------------------------------------------------- writes, one function each
-- An account for a phone: the existing one, or a new one (no password).
CREATE FUNCTION auth.import_user(p_phone text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    uid bigint;
BEGIN
    INSERT INTO auth.users (phone) VALUES (p_phone) ON CONFLICT (phone) DO NOTHING RETURNING id INTO uid;
    IF uid IS NULL THEN
        SELECT id INTO uid FROM auth.users WHERE phone = p_phone;
    END IF;
    RETURN uid;
END $$;

-- One imported volunteer row, checked again against the data as it is now.
-- Returns the outcome: 'new' (the account is created if needed, and the
-- volunteer, unclaimed), 'link' (this ID number and this phone already are
-- one volunteer), or 'phone_conflict' / 'id_number_conflict' (nothing
-- written), and the volunteer's id.
CREATE FUNCTION volunteer.import_volunteer(
        p_phone text, p_real_name text, p_id_sealed bytea, p_id_index bytea, p_id_masked text,
        p_gender text, p_birth_date date, p_data jsonb, OUT outcome text, OUT volunteer_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    by_id record;
    by_phone record;
    uid bigint;
BEGIN
    SELECT v.id, u.phone INTO by_id
      FROM volunteer.volunteers v JOIN auth.users u ON u.id = v.user_id WHERE v.id_index = p_id_index;
    IF by_id.id IS NOT NULL THEN
        IF by_id.phone = p_phone THEN
            outcome := 'link'; volunteer_id := by_id.id;
        ELSE
            outcome := 'id_number_conflict';
        END IF;
        RETURN;
    END IF;
    SELECT v.id INTO by_phone
      FROM auth.users u JOIN volunteer.volunteers v ON v.user_id = u.id WHERE u.phone = p_phone;
    IF by_phone.id IS NOT NULL THEN
        outcome := 'phone_conflict';
        RETURN;
    END IF;
    uid := auth.import_user(p_phone);
    INSERT INTO volunteer.volunteers (user_id, real_name, id_sealed, id_index, id_masked, gender, birth_date,
            political_status, ethnicity, employer, title, education, occupation, region_code,
            service_categories, service_fields, grassroots_role, source, claim_status)
    VALUES (uid, p_real_name, p_id_sealed, p_id_index, p_id_masked, p_gender, p_birth_date,
            p_data->>'political_status', p_data->>'ethnicity', p_data->>'employer', p_data->>'title',
            p_data->>'education', p_data->>'occupation', p_data->>'region_code',
            ARRAY(SELECT jsonb_array_elements_text(p_data->'service_categories')),
            ARRAY(SELECT jsonb_array_elements_text(p_data->'service_fields')),
            p_data->>'grassroots_role', 'import', 'unclaimed')
    RETURNING id INTO volunteer_id;
    outcome := 'new';
END $$;

-- Makes a volunteer an active member of an approved org: 'unchanged' when it
-- already is one, else 'active'.
CREATE FUNCTION org.import_member(p_org_id bigint, p_volunteer_id bigint) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    st text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM org.orgs WHERE id = p_org_id AND status = 'approved') THEN
        RAISE EXCEPTION 'org % is not approved', p_org_id USING ERRCODE = 'check_violation';
    END IF;
    SELECT status INTO st FROM org.members WHERE org_id = p_org_id AND volunteer_id = p_volunteer_id FOR UPDATE;
    IF st = 'active' THEN
        RETURN 'unchanged';
    ELSIF st IS NULL THEN
        INSERT INTO org.members (org_id, volunteer_id, status, decided_at, joined_at)
        VALUES (p_org_id, p_volunteer_id, 'active', now(), now());
    ELSE
        UPDATE org.members SET status = 'active', decided_at = now(), joined_at = now()
         WHERE org_id = p_org_id AND volunteer_id = p_volunteer_id;
    END IF;
    RETURN 'active';
END $$;

-- ---------------------------------------------------------------- orgs (附件1)
-- 附件1's 管理员手机号: "管理员首次登陆平台时，须用此手机号码注册成为科技志愿者，方能履行管
-- 理员职责". A grant waits for that phone's user to be a claimed volunteer,
-- then becomes an org.admins row (and the org shows in /auth/me's roles).
CREATE TABLE org.admin_grants (
    org_id        bigint NOT NULL REFERENCES org.orgs ON DELETE CASCADE,
    phone         text NOT NULL CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    activated_at  timestamptz,
    PRIMARY KEY (org_id, phone)
);
CREATE INDEX admin_grants_pending ON org.admin_grants (phone) WHERE status = 'pending';
GRANT SELECT ON org.admin_grants TO stvs_org, stvs_import;

-- Activates the pending grants of a volunteer's phone once it is claimed
-- (registered, or an imported record confirmed). Runs as the owner: the
-- volunteer service's role writes no org table itself.
CREATE FUNCTION org.activate_admin_grants() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p text;
BEGIN
    IF NEW.claim_status <> 'claimed' THEN
        RETURN NULL;
    END IF;
    SELECT phone INTO p FROM auth.users WHERE id = NEW.user_id;
    INSERT INTO org.admins (org_id, user_id)
        SELECT g.org_id, NEW.user_id FROM org.admin_grants g WHERE g.phone = p AND g.status = 'pending'
        ON CONFLICT DO NOTHING;
    UPDATE org.admin_grants SET status = 'active', activated_at = now() WHERE phone = p AND status = 'pending';
    RETURN NULL;
END $$;
CREATE TRIGGER volunteers_activate_admin_grants AFTER INSERT OR UPDATE OF claim_status ON volunteer.volunteers
    FOR EACH ROW EXECUTE FUNCTION org.activate_admin_grants();

-- One imported org row, checked again against the data as it is now:
-- 'new' (created; its admin phone gets a grant, active at once when the
-- phone's user is a claimed volunteer), 'unchanged' (an org of that name
-- with that admin phone, active or granted, exists), 'already_exists' (the
-- name is taken by an org with another admin phone; nothing written).
CREATE FUNCTION org.import_org(
        p_name text, p_level text, p_parent_id bigint, p_approved boolean, p_admin_phone text,
        p_created_by bigint, p_data jsonb, OUT outcome text, OUT org_id bigint)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    existing bigint;
    uid bigint;
BEGIN
    SELECT o.id INTO existing FROM org.orgs o WHERE org.name_key(o.name) = org.name_key(p_name);
    IF existing IS NOT NULL THEN
        IF EXISTS (SELECT 1 FROM org.admin_grants g WHERE g.org_id = existing AND g.phone = p_admin_phone)
           OR EXISTS (SELECT 1 FROM org.admins a JOIN auth.users u ON u.id = a.user_id
                      WHERE a.org_id = existing AND u.phone = p_admin_phone) THEN
            outcome := 'unchanged';
        ELSE
            outcome := 'already_exists';
        END IF;
        org_id := existing;
        RETURN;
    END IF;
    INSERT INTO org.orgs (name, level, parent_id, status, registered_with_civil_affairs, supervisor_type,
            supervisor_name, founded_on, service_categories, region_code, leader_name, leader_title,
            leader_employer, leader_phone, created_by, decided_by, decided_at)
    VALUES (p_name, p_level, p_parent_id, CASE WHEN p_approved THEN 'approved' ELSE 'pending' END,
            (p_data->>'registered_with_civil_affairs')::boolean, p_data->>'supervisor_type',
            p_data->>'supervisor_name', (p_data->>'founded_on')::date,
            ARRAY(SELECT jsonb_array_elements_text(p_data->'service_categories')), p_data->>'region_code',
            p_data->>'leader_name', p_data->>'leader_title', p_data->>'leader_employer', p_data->>'leader_phone',
            p_created_by, CASE WHEN p_approved THEN p_created_by END, CASE WHEN p_approved THEN now() END)
    RETURNING id INTO org_id;
    INSERT INTO org.admin_grants (org_id, phone) VALUES (org_id, p_admin_phone);
    SELECT u.id INTO uid FROM auth.users u JOIN volunteer.volunteers v ON v.user_id = u.id
     WHERE u.phone = p_admin_phone AND v.claim_status = 'claimed';
    IF uid IS NOT NULL THEN
        INSERT INTO org.admins (org_id, user_id) VALUES (org_id, uid) ON CONFLICT DO NOTHING;
        UPDATE org.admin_grants g SET status = 'active', activated_at = now()
         WHERE g.org_id = import_org.org_id AND g.phone = p_admin_phone;
    END IF;
    outcome := 'new';
END $$;
REVOKE ALL ON FUNCTION org.import_org(text, text, bigint, boolean, text, bigint, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION org.import_org(text, text, bigint, boolean, text, bigint, jsonb) TO stvs_import;

-- Teams that predate the platform and have no active admin: a volunteer asks
-- to manage one; an admin of its parent or a platform admin in scope answers.
CREATE TABLE org.link_requests (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      bigint NOT NULL REFERENCES org.orgs ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES auth.users,
    note        text,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    reason      text,
    decided_by  bigint REFERENCES auth.users,
    decided_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX link_requests_one_pending ON org.link_requests (org_id, user_id) WHERE status = 'pending';
CREATE INDEX link_requests_org ON org.link_requests (org_id, id);
GRANT SELECT, INSERT, UPDATE ON org.link_requests TO stvs_org;

REVOKE ALL ON FUNCTION auth.import_user(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION volunteer.import_volunteer(text, text, bytea, bytea, text, text, date, jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION org.import_member(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION volunteer.import_volunteer(text, text, bytea, bytea, text, text, date, jsonb)
    TO stvs_import;
GRANT EXECUTE ON FUNCTION org.import_member(bigint, bigint) TO stvs_import;
