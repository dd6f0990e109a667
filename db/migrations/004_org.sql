-- Organizations (科技志愿服务组织/队伍): a tree of teams, their admins and
-- their members. Every authorization decision of the org service goes
-- through org.rights().
CREATE SCHEMA org;
GRANT USAGE ON SCHEMA org TO stvs_org;

CREATE TABLE org.orgs (
    id                             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                           text NOT NULL,
    level                          text NOT NULL CHECK (level IN ('corps', 'detachment', 'brigade', 'team', 'squad')),
    parent_id                      bigint REFERENCES org.orgs,
    status                         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    reject_reason                  text,
    registered_with_civil_affairs  boolean NOT NULL,
    supervisor_type                text NOT NULL,
    supervisor_name                text NOT NULL,
    founded_on                     date NOT NULL,
    service_categories             text[] NOT NULL CHECK (cardinality(service_categories) >= 1),
    region_code                    text NOT NULL REFERENCES ref.regions,
    leader_name                    text,
    leader_title                   text,
    leader_employer                text,
    leader_phone                   text,
    description                    text,
    member_count                   integer NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    created_by                     bigint NOT NULL REFERENCES auth.users,
    decided_by                     bigint REFERENCES auth.users,
    decided_at                     timestamptz,
    created_at                     timestamptz NOT NULL DEFAULT now(),
    updated_at                     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orgs_name_unique UNIQUE (name),
    CONSTRAINT orgs_not_own_parent CHECK (parent_id <> id)
);
CREATE INDEX orgs_parent ON org.orgs (parent_id, id);
CREATE INDEX orgs_status_region ON org.orgs (status, region_code, id);
CREATE INDEX orgs_name_trgm ON org.orgs USING gin (name gin_trgm_ops);

-- A parent is chosen at registration and never changes: a new org cannot be
-- anyone's ancestor, so the tree can have no cycle.
CREATE FUNCTION org.parent_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS DISTINCT FROM OLD.parent_id THEN
        RAISE EXCEPTION 'org.orgs.parent_id cannot change' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER orgs_parent_is_fixed BEFORE UPDATE OF parent_id ON org.orgs
    FOR EACH ROW EXECUTE FUNCTION org.parent_is_fixed();

CREATE TABLE org.admins (
    org_id      bigint NOT NULL REFERENCES org.orgs ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES auth.users,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX admins_user ON org.admins (user_id, org_id);

CREATE TABLE org.members (
    org_id        bigint NOT NULL REFERENCES org.orgs ON DELETE CASCADE,
    volunteer_id  bigint NOT NULL REFERENCES volunteer.volunteers,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'rejected')),
    applied_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz,
    joined_at     timestamptz,
    PRIMARY KEY (org_id, volunteer_id)
);
CREATE INDEX members_volunteer ON org.members (volunteer_id, org_id);
CREATE INDEX members_org_status ON org.members (org_id, status, volunteer_id);

-- member_count stays exact whatever path changes a membership.
CREATE FUNCTION org.count_members() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_active boolean := TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active';
    is_active boolean := TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'active';
BEGIN
    IF was_active AND NOT is_active THEN
        UPDATE org.orgs SET member_count = member_count - 1 WHERE id = OLD.org_id;
    ELSIF is_active AND NOT was_active THEN
        UPDATE org.orgs SET member_count = member_count + 1 WHERE id = NEW.org_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER members_count AFTER INSERT OR UPDATE OF status OR DELETE ON org.members
    FOR EACH ROW EXECUTE FUNCTION org.count_members();

-- Activities arrive with the activity service, which redefines this.
CREATE FUNCTION org.activity_count(org_id bigint) RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE RETURN 0;

-- What a user may do with an org: admin of it, admin of one of its
-- ancestors (逐级负责), or platform admin whose region covers it. The one
-- place the org service's authorization is decided.
CREATE FUNCTION org.rights(uid bigint, oid bigint,
                           OUT own_admin boolean, OUT ancestor_admin boolean, OUT platform_admin boolean)
    LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up (id, parent_id, depth) AS (
        SELECT o.id, o.parent_id, 0 FROM org.orgs o WHERE o.id = oid
        UNION ALL
        SELECT o.id, o.parent_id, up.depth + 1 FROM org.orgs o JOIN up ON o.id = up.parent_id WHERE up.depth < 32
    )
    SELECT EXISTS (SELECT 1 FROM org.admins a WHERE a.org_id = oid AND a.user_id = uid),
           EXISTS (SELECT 1 FROM up JOIN org.admins a ON a.org_id = up.id WHERE up.depth > 0 AND a.user_id = uid),
           EXISTS (SELECT 1 FROM org.orgs o JOIN auth.platform_admins p ON p.user_id = uid
                   CROSS JOIN LATERAL ref.region_range(p.region_code) s
                   WHERE o.id = oid AND o.region_code BETWEEN s.lo AND s.hi)
$$;

-- Does the user administer (directly or as an ancestor) an org this volunteer
-- has joined or applied to? Decides who sees a volunteer and its full phone.
CREATE FUNCTION org.admin_of_volunteer(uid bigint, vid bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    WITH RECURSIVE up (id, parent_id, depth) AS (
        SELECT o.id, o.parent_id, 0 FROM org.members m JOIN org.orgs o ON o.id = m.org_id
         WHERE m.volunteer_id = vid AND m.status IN ('pending', 'active')
        UNION ALL
        SELECT o.id, o.parent_id, up.depth + 1 FROM org.orgs o JOIN up ON o.id = up.parent_id WHERE up.depth < 32
    )
    SELECT EXISTS (SELECT 1 FROM up JOIN org.admins a ON a.org_id = up.id WHERE a.user_id = uid)
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON org.orgs, org.admins, org.members TO stvs_org;
GRANT USAGE ON SCHEMA volunteer TO stvs_org;
GRANT SELECT ON volunteer.volunteers TO stvs_org;
GRANT SELECT (id, phone) ON auth.users TO stvs_org;
GRANT SELECT ON auth.platform_admins TO stvs_org;
GRANT USAGE ON SCHEMA auth TO stvs_org;

-- Others read orgs, admins and memberships: /auth/me roles, a volunteer's
-- orgs and visibility, and (later) activities.
GRANT USAGE ON SCHEMA org TO stvs_auth, stvs_volunteer, stvs_activity;
GRANT SELECT ON org.admins TO stvs_auth;
GRANT SELECT ON org.orgs, org.admins, org.members TO stvs_volunteer, stvs_activity;
GRANT EXECUTE ON FUNCTION org.rights(bigint, bigint), org.admin_of_volunteer(bigint, bigint),
    org.activity_count(bigint) TO stvs_volunteer, stvs_activity;
