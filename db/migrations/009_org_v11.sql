-- Orgs, contract v1.1 (issue 9): look-alike names, former names, a row
-- version for ETag/If-Match.

-- The key under which org names are unique (API.md, Conventions): zero-width
-- characters (U+200B-U+200D, U+2060, U+FEFF) removed, NFKC (full-width letters
-- become ASCII, U+00A0 and U+3000 become spaces), every other whitespace
-- character a space, runs of spaces one space, trimmed. Written with explicit
-- characters, not \s, so that it does not depend on the database's locale and
-- is truly IMMUTABLE (an index uses it).
CREATE FUNCTION org.name_key(name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN btrim(regexp_replace(
        translate(normalize(translate(name, U&'\200B\200C\200D\2060\FEFF', ''), NFKC),
                  U&'\0009\000A\000B\000C\000D\0085\1680\2028\2029', '         '),
        ' {2,}', ' ', 'g'), ' ');

-- Former names of an approved org, oldest first (renames of an approved org
-- keep them; "former_names" in the org JSON).
ALTER TABLE org.orgs ADD COLUMN former_names text[] NOT NULL DEFAULT '{}';

-- Rows registered before this rule may share a key: every one but the first
-- (approved before others, then the oldest) gets its id appended, and keeps
-- the name it had among its former names.
WITH ranked AS (
    SELECT id, row_number() OVER (PARTITION BY org.name_key(name)
                                  ORDER BY (status = 'approved') DESC, id) AS n
      FROM org.orgs)
UPDATE org.orgs o SET former_names = array_append(o.former_names, o.name),
                      name = left(o.name, 80) || '（' || o.id || '）'
  FROM ranked WHERE ranked.id = o.id AND ranked.n > 1;

CREATE UNIQUE INDEX orgs_name_key_unique ON org.orgs (org.name_key(name));

-- The row version behind the ETag of GET/PATCH /orgs/{id}: bumped by every
-- UPDATE of the row, whatever statement or trigger (member_count) runs it.
ALTER TABLE org.orgs ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE FUNCTION org.bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END $$;
CREATE TRIGGER orgs_bump_version BEFORE UPDATE ON org.orgs
    FOR EACH ROW EXECUTE FUNCTION org.bump_version();
