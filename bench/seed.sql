-- A realistic national dataset for the benchmarks (docs/query-plans.md).
-- Run by bench/seed.sh, which passes :scale and :seed and times the phases
-- (the '@phase' lines this script prints on stderr). Scale 1.0:
--   1,000,000 volunteers, each with an auth.users account;
--      20,000 approved orgs in trees (corps > detachment/brigade > team > squad),
--             each with an admin who is a volunteer, and about 1M memberships;
--     200,000 activities from a year ago to a year ahead, all six statuses;
--   2,000,000 sign-ups within capacity (activities.signed_up exact);
--             service records for the sign-ups of ended activities, reports.
-- Everything is set-based (INSERT ... SELECT over generate_series) and
-- drawn from setseed(:seed): the same seed gives the same data relative to
-- the moment of the run (all times are offsets from now()).
-- Ids are assigned explicitly (OVERRIDING SYSTEM VALUE) so that volunteer i
-- is user i; the identity sequences are moved past them at the end.
-- The target must be empty (seed.sh checks) and fully migrated.

\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET synchronous_commit = off;          -- this session only: a crash loses a bench load, nothing else
SET maintenance_work_mem = '512MB';
SET work_mem = '256MB';
SET temp_buffers = '512MB';            -- before the first temp table of the session
SET timezone = 'Asia/Shanghai';
SET max_parallel_workers_per_gather = 0;  -- one process: random() draws in a fixed order

\warn '@phase setup: parameters, region weights'

CREATE TEMP TABLE p AS
SELECT :scale::numeric AS scale,
       greatest(10, round(1000000 * :scale))::int AS n_vol,
       greatest(8, round(20000 * :scale))::int AS n_org,
       greatest(10, round(200000 * :scale))::int AS n_act,
       greatest(10, round(2000000 * :scale))::int AS n_signup,
       date_trunc('minute', now()) AS t_now,
       :seed::int AS seed;
-- org levels occupy contiguous id ranges: corps, detachment/brigade, team, squad
ALTER TABLE p ADD n_corps int, ADD n_mid int, ADD n_team int;
-- (at least one corps per province, up to 31, or the small datasets would
-- sit in a handful of cities and a region filter would mean nothing there)
UPDATE p SET n_corps = greatest(round(n_org * 0.02), least(31, n_org / 5)),
             n_mid = greatest(1, round(n_org * 0.18)),
             n_team = greatest(1, round(n_org * 0.40));
SELECT n_vol, n_org, n_act, n_signup, n_corps, n_mid, n_team FROM p \gset

-- GB 11643 check character (ISO 7064 MOD 11-2 over the first 17 digits).
CREATE FUNCTION pg_temp.gb11643_check(d text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT substr('10X98765432', (
          substr(d, 1, 1)::int * 7 + substr(d, 2, 1)::int * 9 + substr(d, 3, 1)::int * 10
        + substr(d, 4, 1)::int * 5 + substr(d, 5, 1)::int * 8 + substr(d, 6, 1)::int * 4
        + substr(d, 7, 1)::int * 2 + substr(d, 8, 1)::int * 1 + substr(d, 9, 1)::int * 6
        + substr(d, 10, 1)::int * 3 + substr(d, 11, 1)::int * 7 + substr(d, 12, 1)::int * 9
        + substr(d, 13, 1)::int * 10 + substr(d, 14, 1)::int * 5 + substr(d, 15, 1)::int * 8
        + substr(d, 16, 1)::int * 4 + substr(d, 17, 1)::int * 2) % 11 + 1, 1)
$$;
-- A plausible mainland mobile number from a uniform draw (not unique).
CREATE FUNCTION pg_temp.any_phone(r1 float8, r2 float8) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT (ARRAY['130','131','132','133','135','136','137','138','139','150','151','152','155','156',
                  '157','158','159','166','177','180','181','182','185','186','187','188','189','199'])
           [1 + floor(r1 * 28)::int] || lpad(floor(r2 * 100000000)::bigint::text, 8, '0')
$$;
-- A Chinese personal name: surname by rough frequency, one or two given characters.
CREATE FUNCTION pg_temp.cn_name(male boolean, r1 float8, r2 float8, r3 float8, r4 float8) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT (ARRAY['王','王','王','李','李','李','张','张','张','刘','刘','陈','陈','杨','黄','赵','吴','周',
                  '徐','孙','马','朱','胡','郭','何','高','林','罗','郑','梁','谢','宋','唐','许','韩','冯',
                  '邓','曹','彭','曾','肖','田','董','袁','潘','于','蒋','蔡','余','杜','叶','程','苏','魏',
                  '吕','丁','任','沈','姚','卢','姜','崔','钟','谭','陆','汪','范','金','石','廖','贾','夏',
                  '韦','付','方','白','邹','孟','熊','秦','邱','江','尹','薛','闫','段','雷','侯','龙','史'])
           [1 + floor(r1 * 90)::int]
        || CASE WHEN male THEN
               (ARRAY['伟','强','磊','军','勇','杰','涛','斌','超','明','刚','平','辉','鹏','华','飞','鑫','波',
                      '宇','浩','凯','健','俊','帆','旭','宁','龙','林','洋','峰','建','国','志','文','海','东',
                      '亮','成','晨','博','然','轩','振','家','天','磊','卫','兵','新','春'])[1 + floor(r2 * 50)::int]
           ELSE
               (ARRAY['芳','娜','敏','静','丽','艳','娟','霞','燕','玲','桂','英','秀','兰','婷','雪','慧','琳',
                      '颖','倩','洁','晶','萍','红','梅','莉','丹','欣','怡','佳','悦','雨','思','梦','诗','晓',
                      '璐','琪','妍','涵','薇','月','美','玉','凤','瑶','婉','菲','蕾','清'])[1 + floor(r2 * 50)::int]
           END
        || CASE WHEN r3 < 0.7 THEN
               (ARRAY['华','明','红','丽','宇','杰','文','静','伟','芳','娟','军','平','辉','敏','霞','涛','燕',
                      '一','子','佳','欣','思','雨','晨','阳','然','琪','博','涵'])[1 + floor(r4 * 30)::int]
           ELSE '' END
$$;

-- Rough population share per province (7th census, millions): where people
-- live is where volunteers, orgs and activities are.
CREATE TEMP TABLE prov_w (prov text PRIMARY KEY, w numeric NOT NULL);
INSERT INTO prov_w VALUES
    ('11', 21.9), ('12', 13.9), ('13', 74.6), ('14', 34.9), ('15', 24.0), ('21', 42.6), ('22', 24.1),
    ('23', 31.9), ('31', 24.9), ('32', 84.7), ('33', 64.6), ('34', 61.0), ('35', 41.5), ('36', 45.2),
    ('37', 101.5), ('41', 99.4), ('42', 57.8), ('43', 66.4), ('44', 126.0), ('45', 50.1), ('46', 10.1),
    ('50', 32.1), ('51', 83.7), ('52', 38.6), ('53', 47.2), ('54', 3.6), ('61', 39.5), ('62', 25.0),
    ('63', 5.9), ('64', 7.2), ('65', 25.9);

-- County-level codes (counties, districts, development zones, and the cities
-- without counties such as 东莞市) with their city and a weight: the
-- province's share spread over its counties, urban districts heavier,
-- development zones lighter, and some noise.
SELECT setseed((hashint8(:seed::bigint * 16 + 1) % 1000000007) / 1000000007.0);
CREATE TEMP TABLE county AS
SELECT r.code, left(r.code, 2) AS prov,
       CASE WHEN r.level = 'county' THEN r.parent_code ELSE r.code END AS city,
       r.name
FROM ref.regions r
WHERE r.level = 'county' OR r.also_county
ORDER BY r.code;
ALTER TABLE county ADD w float8;
UPDATE county c SET w = pw.w / n.cnt
        * CASE WHEN c.code ~ '7[0-9]$' THEN 0.3 WHEN right(c.code, 2) <= '20' THEN 1.6 ELSE 1.0 END
        * (0.4 + 1.2 * random())
FROM prov_w pw, (SELECT prov, count(*) AS cnt FROM county GROUP BY prov) n
WHERE pw.prov = c.prov AND n.prov = c.prov;
CREATE INDEX ON county (city, code);

-- 100,000 slots, each county owning a share proportional to its weight:
-- a uniform draw of a slot is a weighted draw of a county.
CREATE TEMP TABLE slot AS
WITH c AS (SELECT code, prov, city,
                  sum(w) OVER (ORDER BY code) / sum(w) OVER () AS cum
           FROM county WHERE w IS NOT NULL),
     b AS (SELECT code, prov, city, floor(100000 * coalesce(lag(cum) OVER (ORDER BY code), 0))::int AS lo,
                  floor(100000 * cum)::int AS hi FROM c)
SELECT g AS slot, code, prov, city FROM b, generate_series(lo, hi - 1) g;
CREATE UNIQUE INDEX ON slot (slot);
ANALYZE slot;
SELECT count(*) AS n_slots FROM slot \gset

-- The counties of each city, numbered: a uniform pick within a city.
CREATE TEMP TABLE city_county AS
SELECT city, code, (row_number() OVER (PARTITION BY city ORDER BY code) - 1)::int AS k,
       count(*) OVER (PARTITION BY city)::int AS n
FROM county;
CREATE UNIQUE INDEX ON city_county (city, k);
ANALYZE city_county;

---------------------------------------------------------------------------
-- The stats summaries (migration 012) and the list's kept counts (022) are
-- kept by per-row triggers; a bulk load switches them off and rebuilds them
-- set-based at the end (finish), in the transaction that switches them on again.
ALTER TABLE volunteer.volunteers DISABLE TRIGGER volunteers_stats, DISABLE TRIGGER volunteers_stats_update;
ALTER TABLE org.orgs DISABLE TRIGGER orgs_stats, DISABLE TRIGGER orgs_stats_update;
ALTER TABLE activity.activities DISABLE TRIGGER activities_stats, DISABLE TRIGGER activities_stats_update,
    DISABLE TRIGGER activities_stats_signups, DISABLE TRIGGER activities_listed_count,
    DISABLE TRIGGER activities_listed_count_update;
ALTER TABLE activity.service_records DISABLE TRIGGER service_records_stats;

\warn '@phase volunteers:' :n_vol 'users and volunteers'
SELECT setseed((hashint8(:seed::bigint * 16 + 2) % 1000000007) / 1000000007.0);

-- Every random draw first, in a table (no volatile expression inside a join).
CREATE TEMP TABLE vs AS
SELECT i, floor(random() * :n_slots)::int AS sl,
       random() < 0.53 AS male,
       -- age 18..75, most between 25 and 55
       (18 * 365.25 + 1 + floor(power(random(), 1.3) * 57 * 365.25))::int AS age_days,
       random() AS r_pol, random() AS r_eth, random() AS r_eth2, random() AS r_edu, random() AS r_title,
       random() AS r_occ, random() AS r_gr, random() AS r_cat1, random() AS r_cat2, random() AS r_cat3,
       random() AS r_f1, random() AS r_f2, random() AS r_f3, random() AS r_skill, random() AS r_avail,
       random() AS r_n1, random() AS r_n2, random() AS r_n3, random() AS r_n4,
       random() AS r_ph, random() AS r_created, random() AS r_emp
FROM generate_series(1, :n_vol) i;

-- GB 11643 numbers: the county code (where the person was registered,
-- taken as where they live), the birth date, a sequence whose last digit is
-- odd for men and even for women, and the check character. Within one
-- (county, birth date, sex) the sequence numbers are distinct by
-- construction, so every number is unique.
CREATE TEMP TABLE vol AS
SELECT q.*, q.d17 || pg_temp.gb11643_check(q.d17) AS id_number
FROM (SELECT x.*, x.region_code || to_char(x.birth_date, 'YYYYMMDD')
                  || lpad((((abs(hashtext(x.region_code || x.birth_date || x.male || :seed)) % 500)
                            + row_number() OVER (PARTITION BY x.region_code, x.birth_date, x.male ORDER BY x.i) - 1) % 500 * 2
                           + CASE WHEN x.male THEN 1 ELSE 0 END)::text, 3, '0') AS d17
      FROM (SELECT v.*, s.code AS region_code, s.prov, s.city, (t.t_now::date - v.age_days) AS birth_date
            FROM vs v JOIN slot s ON s.slot = v.sl CROSS JOIN p t) x) q
ORDER BY q.i;
DROP TABLE vs;
CREATE UNIQUE INDEX ON vol (i);
ANALYZE vol;

INSERT INTO auth.users (id, phone, created_at)
OVERRIDING SYSTEM VALUE
SELECT v.i,
       -- 8 digits from a bijection of i modulo 10^8 (48271 is prime to 10^8), so unique
       (ARRAY['130','131','132','133','135','136','137','138','139','150','151','152','155','156',
              '157','158','159','166','177','180','181','182','185','186','187','188','189','199'])
           [1 + floor(v.r_ph * 28)::int]
           || lpad(((v.i::bigint * 48271 + t.seed::bigint * 7919) % 100000000)::text, 8, '0'),
       t.t_now - (v.r_created * 1095) * interval '1 day'
FROM vol v CROSS JOIN p t
ORDER BY v.i;

INSERT INTO volunteer.volunteers (id, user_id, real_name, id_sealed, id_index, id_masked, gender, birth_date,
    political_status, ethnicity, employer, title, education, occupation, region_code, service_categories,
    service_fields, grassroots_role, skills, availability, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT v.i, v.i,
       pg_temp.cn_name(v.male, v.r_n1, v.r_n2, v.r_n3, v.r_n4),
       -- what AES-256-GCM would store: 12 nonce + 18 ciphertext + 16 tag = 46 bytes (nobody decrypts here)
       sha256(convert_to('seal1:' || v.id_number, 'UTF8')) || substr(sha256(convert_to('seal2:' || v.id_number, 'UTF8')), 1, 14),
       -- the blind index is an HMAC in the service: any 32-byte function of the number is unique alike
       sha256(convert_to('bench-index:' || v.id_number, 'UTF8')),
       left(v.id_number, 4) || '**********' || right(v.id_number, 4),
       CASE WHEN v.male THEN 'male' ELSE 'female' END,
       v.birth_date,
       CASE WHEN v.r_pol < 0.30 THEN 'cpc_member' WHEN v.r_pol < 0.32 THEN 'cpc_probationary'
            WHEN v.r_pol < 0.45 THEN 'cyl_member' WHEN v.r_pol < 0.48 THEN 'democratic_party'
            WHEN v.r_pol < 0.53 THEN 'non_party' ELSE 'masses' END,
       CASE v.prov
            WHEN '54' THEN CASE WHEN v.r_eth < 0.86 THEN '04' ELSE '01' END
            WHEN '65' THEN CASE WHEN v.r_eth < 0.45 THEN '05' WHEN v.r_eth < 0.52 THEN '17'
                                WHEN v.r_eth < 0.57 THEN '03' ELSE '01' END
            WHEN '45' THEN CASE WHEN v.r_eth < 0.31 THEN '08' WHEN v.r_eth < 0.34 THEN '13' ELSE '01' END
            WHEN '64' THEN CASE WHEN v.r_eth < 0.36 THEN '03' ELSE '01' END
            WHEN '15' THEN CASE WHEN v.r_eth < 0.17 THEN '02' WHEN v.r_eth < 0.20 THEN '11' ELSE '01' END
            WHEN '52' THEN CASE WHEN v.r_eth < 0.12 THEN '06' WHEN v.r_eth < 0.20 THEN '09'
                                WHEN v.r_eth < 0.26 THEN '15' WHEN v.r_eth < 0.31 THEN '12' ELSE '01' END
            WHEN '53' THEN CASE WHEN v.r_eth < 0.11 THEN '07' WHEN v.r_eth < 0.15 THEN '14'
                                WHEN v.r_eth < 0.18 THEN '16' WHEN v.r_eth < 0.21 THEN '18' ELSE '01' END
            WHEN '63' THEN CASE WHEN v.r_eth < 0.24 THEN '04' WHEN v.r_eth < 0.38 THEN '03' ELSE '01' END
            ELSE CASE WHEN v.r_eth < 0.96 THEN '01'
                      ELSE lpad((2 + floor(v.r_eth2 * 55))::int::text, 2, '0') END
       END,
       v.cname || (ARRAY['人民医院','第一中学','实验小学','农业农村局','科学技术协会','农业技术推广中心',
                         '供电公司','气象局','疾病预防控制中心','职业技术学院','科技有限公司','中医院',
                         '林业局','应急管理局','图书馆','科技馆'])[1 + floor(v.r_emp * 16)::int],
       CASE WHEN v.r_title < 0.05 THEN 'senior' WHEN v.r_title < 0.20 THEN 'associate_senior'
            WHEN v.r_title < 0.50 THEN 'intermediate' WHEN v.r_title < 0.70 THEN 'junior' ELSE 'none' END,
       CASE WHEN v.r_edu < 0.04 THEN 'doctorate' WHEN v.r_edu < 0.18 THEN 'master'
            WHEN v.r_edu < 0.60 THEN 'bachelor' WHEN v.r_edu < 0.85 THEN 'college' ELSE 'high_school' END,
       (ARRAY['enterprise','enterprise','public_institution','public_institution','government','university',
              'research_institute','school','school','medical','medical','agriculture','student','retired','other'])
           [1 + floor(v.r_occ * 15)::int],
       v.region_code,
       -- one to three distinct categories: a first, then offsets that cannot return to it
       (ARRAY[c.a[1 + floor(v.r_cat1 * 8)::int]]
            || CASE WHEN v.r_cat2 < 0.45 THEN ARRAY[c.a[1 + (floor(v.r_cat1 * 8)::int + 1 + floor(v.r_cat3 * 3)::int) % 8]] ELSE '{}' END
            || CASE WHEN v.r_cat2 < 0.12 THEN ARRAY[c.a[1 + (floor(v.r_cat1 * 8)::int + 4 + floor(v.r_cat3 * 3)::int) % 8]] ELSE '{}' END),
       (ARRAY[f.a[1 + floor(v.r_f1 * 9)::int]]
            || CASE WHEN v.r_f2 < 0.40 THEN ARRAY[f.a[1 + (floor(v.r_f1 * 9)::int + 1 + floor(v.r_f3 * 4)::int) % 9]] ELSE '{}' END),
       CASE WHEN v.r_gr < 0.92 THEN 'none' WHEN v.r_gr < 0.94 THEN 'hospital_head'
            WHEN v.r_gr < 0.96 THEN 'school_head' WHEN v.r_gr < 0.98 THEN 'agri_station_head'
            ELSE 'tech_entrepreneur' END,
       CASE WHEN v.r_skill < 0.4 THEN
           (ARRAY['果树栽培与病虫害防治','急救与心肺复苏培训','青少年编程与机器人','中医药健康讲座',
                  '气象防灾知识普及','电商直播带货','天文观测指导','老年人智能手机教学','水产养殖技术',
                  '网络安全与反诈宣传','植保无人机操作','食品安全检测'])[1 + floor(v.r_skill * 30)::int] END,
       CASE WHEN v.r_avail < 0.5 THEN
           (ARRAY['周末','工作日晚上','节假日','随时','寒暑假'])[1 + floor(v.r_avail * 10)::int] END,
       t.t_now - (v.r_created * 1095) * interval '1 day',
       t.t_now - (v.r_created * v.r_avail * 1095) * interval '1 day'
FROM (SELECT vol.*, ci.name AS cname
      FROM vol JOIN ref.regions ci ON ci.code = vol.city) v
CROSS JOIN p t
CROSS JOIN (SELECT ARRAY['training','consulting','lecture','agri_tech','youth_education','exhibit_guide',
                         'online','other'] AS a) c
CROSS JOIN (SELECT ARRAY['consulting','training','science_education','lecture','agri_tech','health','online',
                         'culture_sports','other'] AS a) f
ORDER BY v.i;

-- Province pools: the volunteers of each province numbered at random, for
-- picking admins, members and sign-ups near home. pkey = province code.
CREATE TEMP TABLE pool AS
SELECT prov::int AS pkey, (row_number() OVER (PARTITION BY prov ORDER BY random()) - 1)::int AS k, i AS vid
FROM vol;
CREATE TEMP TABLE pool_n AS SELECT pkey, count(*)::int AS n FROM pool GROUP BY pkey;
CREATE UNIQUE INDEX ON pool_n (pkey);
ANALYZE pool;
ANALYZE pool_n;

---------------------------------------------------------------------------
\warn '@phase orgs:' :n_org 'orgs in trees, their admins'
SELECT setseed((hashint8(:seed::bigint * 16 + 3) % 1000000007) / 1000000007.0);

CREATE TEMP TABLE os (
    id int PRIMARY KEY, level text, parent_id int, region_code text, city text, prov text,
    r1 float8, r2 float8, r3 float8, r4 float8, r5 float8, r6 float8, r7 float8, r8 float8
);
-- corps: a city's, by systematic sampling of the weighted slots (one random
-- offset), so that provinces get corps in proportion even when there are few
INSERT INTO os (id, level, parent_id, region_code, city, prov, r1, r2, r3, r4, r5, r6, r7, r8)
SELECT d.id, 'corps', NULL, s.city, s.city, s.prov, random(), random(), random(), random(), random(), random(), random(), random()
FROM (SELECT g AS id, floor((g - 1 + u.u) * :n_slots / :n_corps)::int AS sl
      FROM generate_series(1, :n_corps) g, (SELECT random() AS u) u) d
JOIN slot s ON s.slot = d.sl;
-- detachments and brigades: a county of their corps' city
INSERT INTO os (id, level, parent_id, region_code, city, prov, r1, r2, r3, r4, r5, r6, r7, r8)
SELECT d.id, CASE WHEN d.rl < 0.6 THEN 'detachment' ELSE 'brigade' END, d.parent_id, cc.code, pa.city, pa.prov,
       d.r1, d.r2, d.r3, d.r4, d.r5, d.r6, d.r7, d.r8
FROM (SELECT g AS id, 1 + floor(random() * :n_corps)::int AS parent_id, random() AS rl, random() AS rc,
             random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
             random() AS r7, random() AS r8
      FROM generate_series(:n_corps + 1, :n_corps + :n_mid) g) d
JOIN os pa ON pa.id = d.parent_id
JOIN city_county n ON n.city = pa.city AND n.k = 0
JOIN city_county cc ON cc.city = pa.city AND cc.k = floor(d.rc * n.n)::int;
-- teams: under a detachment/brigade, in its county (70%) or another of its city
INSERT INTO os (id, level, parent_id, region_code, city, prov, r1, r2, r3, r4, r5, r6, r7, r8)
SELECT d.id, 'team', d.parent_id, CASE WHEN d.rs < 0.7 THEN pa.region_code ELSE cc.code END, pa.city, pa.prov,
       d.r1, d.r2, d.r3, d.r4, d.r5, d.r6, d.r7, d.r8
FROM (SELECT g AS id, :n_corps + 1 + floor(random() * :n_mid)::int AS parent_id, random() AS rs, random() AS rc,
             random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
             random() AS r7, random() AS r8
      FROM generate_series(:n_corps + :n_mid + 1, :n_corps + :n_mid + :n_team) g) d
JOIN os pa ON pa.id = d.parent_id
JOIN city_county n ON n.city = pa.city AND n.k = 0
JOIN city_county cc ON cc.city = pa.city AND cc.k = floor(d.rc * n.n)::int;
-- squads: under a team, in its county
INSERT INTO os (id, level, parent_id, region_code, city, prov, r1, r2, r3, r4, r5, r6, r7, r8)
SELECT d.id, 'squad', d.parent_id, pa.region_code, pa.city, pa.prov, d.r1, d.r2, d.r3, d.r4, d.r5, d.r6, d.r7, d.r8
FROM (SELECT g AS id, :n_corps + :n_mid + 1 + floor(random() * :n_team)::int AS parent_id,
             random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
             random() AS r7, random() AS r8
      FROM generate_series(:n_corps + :n_mid + :n_team + 1, :n_org) g) d
JOIN os pa ON pa.id = d.parent_id;

-- the admin: a volunteer of the org's province (its user id is its volunteer id)
ALTER TABLE os ADD admin_uid int, ADD admin2_uid int, ADD sector text, ADD name text;
UPDATE os o SET admin_uid = pl.vid
FROM pool_n n, pool pl
WHERE n.pkey = o.prov::int AND pl.pkey = n.pkey AND pl.k = floor(o.r1 * n.n)::int;
UPDATE os o SET admin2_uid = pl.vid
FROM pool_n n, pool pl
WHERE o.r2 < 0.2 AND n.pkey = o.prov::int AND pl.pkey = n.pkey AND pl.k = floor(o.r3 * n.n)::int
  AND pl.vid <> o.admin_uid;
UPDATE os SET sector = (ARRAY['医学','农业','教育','科普','气象','林业','水利','信息技术','应急救援','青年',
                              '老科技工作者','农技协','高校','企业','卫生健康','生态环境'])[1 + floor(r4 * 16)::int];
-- unique names: place + sector + level, numbered when the same place has several
UPDATE os o SET name = x.place || o.sector || '科技志愿服务'
        || CASE WHEN x.rn = 1 THEN '' ELSE '第' || x.rn END
        || CASE o.level WHEN 'corps' THEN '总队' WHEN 'detachment' THEN '支队' WHEN 'brigade' THEN '大队'
                        WHEN 'team' THEN '队' ELSE '分队' END
FROM (SELECT os.id,
             CASE WHEN os.level = 'corps' THEN CASE WHEN pv.name = rc.name THEN '' ELSE pv.name END
                  ELSE CASE WHEN ci.name = rc.name THEN '' ELSE ci.name END END || rc.name AS place,
             row_number() OVER (PARTITION BY os.region_code, os.sector, os.level ORDER BY os.id) AS rn
      FROM os JOIN ref.regions rc ON rc.code = os.region_code
              JOIN ref.regions ci ON ci.code = os.city
              JOIN ref.regions pv ON pv.code = os.prov || '0000') x
WHERE x.id = o.id;
ANALYZE os;

-- platform admins (科协 staff): the first user nationally, one per province
INSERT INTO auth.platform_admins (user_id, region_code, granted_at)
SELECT 1, '000000', t.t_now - interval '700 days' FROM p t
UNION ALL
SELECT pl.vid, n.pkey || '0000', t.t_now - interval '600 days'
FROM pool_n n JOIN pool pl ON pl.pkey = n.pkey AND pl.k = 0 CROSS JOIN p t
WHERE pl.vid <> 1;

INSERT INTO org.orgs (id, name, level, parent_id, status, registered_with_civil_affairs, supervisor_type,
    supervisor_name, founded_on, service_categories, region_code, leader_name, leader_title, leader_employer,
    leader_phone, description, created_by, decided_by, decided_at, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT o.id, o.name, o.level, o.parent_id, 'approved', o.r5 < 0.3,
       CASE WHEN o.r6 < 0.45 THEN 'local_cast' WHEN o.r6 < 0.65 THEN 'society' WHEN o.r6 < 0.72 THEN 'university_cast'
            WHEN o.r6 < 0.80 THEN 'enterprise_cast' WHEN o.r6 < 0.84 THEN 'park_cast' WHEN o.r6 < 0.92 THEN 'rural_tech_assoc'
            WHEN o.r6 < 0.97 THEN 'science_base' ELSE 'other' END,
       rc.name || CASE WHEN o.r6 < 0.45 THEN '科学技术协会' WHEN o.r6 < 0.65 THEN o.sector || '学会'
                       WHEN o.r6 < 0.72 THEN '大学科协' WHEN o.r6 < 0.80 THEN '企业科协' WHEN o.r6 < 0.84 THEN '高新区科协'
                       WHEN o.r6 < 0.92 THEN '农村专业技术协会' WHEN o.r6 < 0.97 THEN '科普教育基地' ELSE '科技服务中心' END,
       (t.t_now::date - 60 - floor(o.r7 * 3000)::int),
       ARRAY[(ARRAY['training','consulting','lecture','agri_tech','youth_education','exhibit_guide','online','other'])
                 [1 + floor(o.r8 * 8)::int]]
         || CASE WHEN o.r5 < 0.5 THEN ARRAY['lecture'] ELSE '{}' END,
       o.region_code,
       CASE WHEN o.r3 < 0.8 THEN pg_temp.cn_name(o.r4 < 0.6, o.r5, o.r6, o.r7, o.r8) END,
       CASE WHEN o.r3 < 0.8 THEN (ARRAY['主任','副主席','院长','站长','校长','总工程师','队长'])[1 + floor(o.r2 * 7)::int] END,
       CASE WHEN o.r3 < 0.8 THEN rc.name || (ARRAY['科学技术协会','人民医院','农业技术推广中心','第一中学','气象局'])[1 + floor(o.r1 * 5)::int] END,
       CASE WHEN o.r3 < 0.8 THEN pg_temp.any_phone(o.r6, o.r7) END,
       CASE WHEN o.r4 < 0.7 THEN '立足' || rc.name || '，组织' || o.sector || '领域科技工作者开展科普宣传、技术培训和咨询服务。' END,
       o.admin_uid, 1,
       t.t_now - (60 + floor(o.r7 * 600)) * interval '1 day' + interval '3 days',
       t.t_now - (60 + floor(o.r7 * 600)) * interval '1 day',
       t.t_now - (60 + floor(o.r7 * 600)) * interval '1 day' + interval '3 days'
FROM os o JOIN ref.regions rc ON rc.code = o.region_code CROSS JOIN p t
ORDER BY o.id;

INSERT INTO org.admins (org_id, user_id, created_at)
SELECT o.id, o.admin_uid, t.t_now - (60 + floor(o.r7 * 600)) * interval '1 day' FROM os o CROSS JOIN p t
UNION ALL
SELECT o.id, o.admin2_uid, t.t_now - (30 + floor(o.r7 * 500)) * interval '1 day'
FROM os o CROSS JOIN p t WHERE o.admin2_uid IS NOT NULL;

---------------------------------------------------------------------------
\warn '@phase members: active memberships, member_count'
SELECT setseed((hashint8(:seed::bigint * 16 + 4) % 1000000007) / 1000000007.0);

-- Orgs of each province numbered, for joining one near home.
CREATE TEMP TABLE opool AS
SELECT prov::int AS pkey, (row_number() OVER (PARTITION BY prov ORDER BY id) - 1)::int AS k, id AS org_id,
       count(*) OVER (PARTITION BY prov)::int AS n
FROM os;
CREATE UNIQUE INDEX ON opool (pkey, k);
ANALYZE opool;

-- member_count is kept by a per-row trigger (org.count_members): for a
-- bulk load it is switched off and the counts set exactly, in the same
-- transaction, so nothing ever sees the trigger off or a count wrong.
BEGIN;
ALTER TABLE org.members DISABLE TRIGGER members_count;
CREATE TEMP TABLE ms AS
SELECT v.i AS vid, v.prov, j, random() AS r_org, random() AS r_far, random() AS r_t
FROM (SELECT i, prov, random() AS r FROM vol) v
CROSS JOIN LATERAL generate_series(1, CASE WHEN v.r < 0.25 THEN 0 WHEN v.r < 0.80 THEN 1 WHEN v.r < 0.95 THEN 2 ELSE 3 END) j;
INSERT INTO org.members (org_id, volunteer_id, status, applied_at, decided_at, joined_at)
SELECT org_id, vid, 'active', at, at + interval '2 days', at + interval '2 days'
FROM (
    -- admins are members of their orgs
    SELECT o.id AS org_id, o.admin_uid AS vid, t.t_now - (60 + floor(o.r7 * 600)) * interval '1 day' AS at
    FROM os o CROSS JOIN p t
    UNION ALL
    SELECT o.id, o.admin2_uid, t.t_now - (30 + floor(o.r7 * 500)) * interval '1 day'
    FROM os o CROSS JOIN p t WHERE o.admin2_uid IS NOT NULL
    UNION ALL
    -- an org of the volunteer's province (95%), else anywhere
    SELECT coalesce(CASE WHEN m.r_far < 0.95 THEN op.org_id END, 1 + floor(m.r_org * t.n_org)::int),
           m.vid, t.t_now - (3 + m.r_t * 700) * interval '1 day'
    FROM ms m CROSS JOIN p t
    LEFT JOIN opool o0 ON o0.pkey = m.prov::int AND o0.k = 0
    LEFT JOIN opool op ON op.pkey = m.prov::int AND op.k = floor(m.r_org * o0.n)::int
) x
ON CONFLICT (org_id, volunteer_id) DO NOTHING;
UPDATE org.orgs o SET member_count = c.n
FROM (SELECT org_id, count(*) AS n FROM org.members WHERE status = 'active' GROUP BY org_id) c
WHERE c.org_id = o.id;
ALTER TABLE org.members ENABLE TRIGGER members_count;
COMMIT;
DROP TABLE ms;

-- Org member pools for members-only activities: pkey = 1000 + org id.
INSERT INTO pool (pkey, k, vid)
SELECT 1000 + org_id, (row_number() OVER (PARTITION BY org_id ORDER BY random()) - 1)::int, volunteer_id
FROM org.members WHERE status = 'active';
INSERT INTO pool_n SELECT 1000 + org_id, count(*)::int FROM org.members WHERE status = 'active' GROUP BY org_id;
CREATE UNIQUE INDEX ON pool (pkey, k);
ANALYZE pool;
ANALYZE pool_n;

---------------------------------------------------------------------------
\warn '@phase activities:' :n_act 'activities'
SELECT setseed((hashint8(:seed::bigint * 16 + 5) % 1000000007) / 1000000007.0);

CREATE TEMP TABLE acs AS
SELECT g AS id,
       -- busy orgs: a skewed rank spread over the ids by a bijection (1000003 is prime, above any n_org)
       1 + ((floor(:n_org * power(random(), 1.5))::bigint * 1000003) % :n_org)::int AS org_id,
       random() AS r_when, random() AS r_day, random() AS r_hour, random() AS r_dur, random() AS r_dur2,
       random() AS r_su, random() AS r_se, random() AS r_cr, random() AS r_cancel, random() AS r_cancel2,
       random() AS r_cap, random() AS r_hours, random() AS r_cat, random() AS r_cat2, random() AS r_th1,
       random() AS r_th2, random() AS r_topic, random() AS r_fmt, random() AS r_place, random() AS r_addr,
       random() AS r_reg, random() AS r_reg2, random() AS r_mo, random() AS r_req, random() AS r_fill,
       random() AS r_fill2, random() AS r_s, random() AS r_step, random() AS r_n1, random() AS r_n2,
       random() AS r_ph, random() AS r_ser
FROM generate_series(1, :n_act) g;

CREATE TEMP TABLE ac AS
SELECT a.*, o.admin_uid,
       -- the org's own county (75%, when it has one), else a county of its city
       CASE WHEN a.r_reg < 0.75 AND o.level <> 'corps' THEN o.region_code ELSE cc.code END AS region_code,
       oo.service_categories AS org_categories,
       -- starts: 55% in the past year, 45% in the next, thinning out ahead;
       -- 08:00..15:30 local time on the half hour
       ((t.t_now::date + CASE WHEN a.r_when < 0.55 THEN -1 - floor(a.r_day * 365)::int
                              ELSE floor(power(a.r_day, 1.6) * 365)::int END)::timestamp
         + (8 * 60 + 30 * floor(a.r_hour * 16)) * interval '1 minute') AT TIME ZONE 'Asia/Shanghai' AS starts_at,
       -- 1..8 hours, mostly short (88%), a few days (9%), a campaign of weeks (3%)
       CASE WHEN a.r_dur < 0.88 THEN (2 + floor(power(a.r_dur2, 1.5) * 15)) * interval '30 minutes'
            WHEN a.r_dur < 0.97 THEN (1 + floor(a.r_dur2 * 3)) * interval '1 day'
            ELSE (7 + floor(a.r_dur2 * 54)) * interval '1 day' END AS dur
FROM acs a
JOIN os o ON o.id = a.org_id
JOIN org.orgs oo ON oo.id = a.org_id
JOIN city_county n ON n.city = o.city AND n.k = 0
JOIN city_county cc ON cc.city = o.city AND cc.k = floor(a.r_reg2 * n.n)::int
CROSS JOIN p t;
DROP TABLE acs;

ALTER TABLE ac ADD ends_at timestamptz, ADD signup_starts_at timestamptz, ADD signup_ends_at timestamptz,
    ADD created_at timestamptz, ADD cancelled_at timestamptz, ADD capacity int, ADD service_hours numeric(7, 2),
    ADD pkey int, ADD pool_size int, ADD full_ boolean, ADD want float8, ADD t int NOT NULL DEFAULT 0;
UPDATE ac a SET ends_at = a.starts_at + a.dur,
    signup_starts_at = a.starts_at - (3 + floor(a.r_su * 40)) * interval '1 day' - interval '10 hours',
    -- sign-up closes 0..2 days before the start; for half the campaigns at the end
    signup_ends_at = CASE WHEN a.dur >= interval '7 days' AND a.r_se < 0.5 THEN a.starts_at + a.dur
                          ELSE a.starts_at - floor(a.r_se * 3) * interval '1 day' END,
    capacity = 10 + floor(490 * power(a.r_cap, 2.2))::int,
    -- at most the duration (and 8 h): whole half hours, at least 0.5
    service_hours = floor(least(extract(epoch FROM a.dur) / 3600, 8) * 2 * (0.5 + 0.5 * a.r_hours)) / 2;
UPDATE ac a SET created_at = least(a.signup_starts_at, t.t_now) - (1 + a.r_cr * 10) * interval '1 day',
    -- 4% cancelled: some time between publishing and the end (or now)
    cancelled_at = CASE WHEN a.r_cancel < 0.04 THEN
        least(a.signup_starts_at, t.t_now) - (1 + a.r_cr * 10) * interval '1 day'
        + a.r_cancel2 * (least(a.ends_at, t.t_now) - (least(a.signup_starts_at, t.t_now) - (1 + a.r_cr * 10) * interval '1 day')) END
FROM p t;

-- Sign-ups: only where sign-up has opened (before any cancellation).
-- Members-only activities (8%) draw from the org's members, the rest from
-- the activity's province. Some activities are full (a quarter of the small
-- ones, 3% of the others, mostly those whose sign-up has closed); the rest
-- get a share of their room, scaled so that the total is exactly n_signup.
UPDATE ac a SET pkey = CASE WHEN a.r_mo < 0.08 THEN 1000 + a.org_id ELSE left(a.region_code, 2)::int END;
UPDATE ac SET pool_size = 0;
UPDATE ac a SET pool_size = n.n FROM pool_n n WHERE n.pkey = a.pkey;
UPDATE ac a SET full_ = a.signup_starts_at < least(t.t_now, coalesce(a.cancelled_at, 'infinity'))
        AND a.r_fill < CASE WHEN a.capacity < 50 THEN 0.25 ELSE 0.03 END
        AND (a.signup_ends_at <= t.t_now OR a.r_fill2 < 0.3),
    want = CASE
        WHEN a.signup_starts_at >= least(t.t_now, coalesce(a.cancelled_at, 'infinity')) THEN 0
        ELSE a.capacity * power(a.r_fill2, 1.5)
             -- a recruiting activity has had part of its window so far
             * least(1, extract(epoch FROM least(t.t_now, coalesce(a.cancelled_at, 'infinity')) - a.signup_starts_at)
                        / extract(epoch FROM a.signup_ends_at - a.signup_starts_at))
    END
FROM p t;
UPDATE ac SET t = least(capacity, pool_size), want = 0 WHERE full_;
UPDATE ac a SET t = least(a.capacity - 1, a.pool_size, floor(a.want * coalesce(k.k, 0) + a.r_s)::int)
FROM (SELECT greatest(0, t.n_signup - (SELECT sum(t) FROM ac WHERE full_)) / nullif(sum(want), 0) AS k
      FROM ac CROSS JOIN p t WHERE NOT full_ GROUP BY t.n_signup) k
WHERE NOT a.full_;
-- exactly n_signup: spread the difference over the activities that have room
-- for it (or sign-ups to give), in proportion to that room, the rounding
-- remainder one each to random ones. (Short only if the room runs out.)
WITH d AS (SELECT (SELECT n_signup FROM p) - (SELECT sum(t) FROM ac) AS diff),
     r AS (SELECT ac.id, ac.r_n1,
                  CASE WHEN d.diff > 0 THEN least(ac.capacity, ac.pool_size) - ac.t ELSE ac.t END AS room
           FROM ac, d WHERE NOT ac.full_ AND (d.diff < 0 OR ac.want > 0)),
     f AS (SELECT r.id, r.r_n1, r.room,
                  least(r.room, floor(abs(d.diff)::numeric * r.room / (SELECT sum(room) FROM r WHERE room > 0)))::int AS base
           FROM r, d WHERE r.room > 0),
     g AS (SELECT f.id, f.base + CASE WHEN f.base < f.room
                                       AND row_number() OVER (PARTITION BY f.base < f.room ORDER BY f.r_n1)
                                           <= (SELECT abs(d.diff) FROM d) - (SELECT sum(base) FROM f)
                                      THEN 1 ELSE 0 END AS add
           FROM f)
UPDATE ac a SET t = a.t + sign(d.diff)::int * g.add
FROM g, d WHERE g.id = a.id AND d.diff <> 0;
-- volunteers k = (s + j * step) mod pool_size for j < t: distinct when step
-- is prime to pool_size (primes above 10^7, larger than any pool)
ALTER TABLE ac ADD s int, ADD step bigint;
UPDATE ac a SET s = floor(a.r_s * greatest(a.pool_size, 1))::int,
    step = (ARRAY[10000019, 10000079, 10000103, 10000121, 10000139, 10000141, 10000169, 10000189])[1 + floor(a.r_step * 8)::int];
CREATE UNIQUE INDEX ON ac (id);
ANALYZE ac;

INSERT INTO activity.activities (id, org_id, title, description, service_category, themes, region_code, address,
    starts_at, ends_at, signup_starts_at, signup_ends_at, capacity, signed_up, service_hours, contact_name,
    contact_phone, requirements, members_only, cancelled_at, cancel_reason, created_by, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT a.id, a.org_id,
       r.name || tp.topic || fm.fmt || CASE WHEN a.r_n2 < 0.15 THEN '（第' || (2 + floor(a.r_n1 * 9))::int || '期）' ELSE '' END,
       '由' || o.name || '组织，面向' || r.name || '群众开展' || tp.topic || fm.fmt || '。'
           || (ARRAY['欢迎广大居民参加。','请提前十分钟到场签到。','活动免费，名额有限。','结束后可领取科普资料。'])[1 + floor(a.r_n2 * 4)::int],
       CASE WHEN a.r_cat < 0.7 THEN a.org_categories[1 + floor(a.r_cat2 * cardinality(a.org_categories))::int]
            ELSE (ARRAY['training','consulting','lecture','agri_tech','youth_education','exhibit_guide','online','other'])
                     [1 + floor(a.r_cat2 * 8)::int] END,
       -- themes: the season's national event if any, maybe one more, or none
       ARRAY(SELECT DISTINCT x FROM unnest(ARRAY[
           CASE WHEN extract(month FROM a.starts_at) = 9 AND a.r_th1 < 0.7 THEN 'science_day'
                WHEN extract(month FROM a.starts_at) = 5 AND a.r_th1 < 0.6 THEN 'sci_tech_week'
                WHEN extract(month FROM a.starts_at) = 5 AND extract(day FROM a.starts_at) >= 25 AND a.r_th1 < 0.8 THEN 'workers_day'
                WHEN extract(month FROM a.starts_at) = 12 AND extract(day FROM a.starts_at) <= 10 AND a.r_th1 < 0.6 THEN 'volunteer_day'
                WHEN extract(month FROM a.starts_at) IN (1, 2) AND a.r_th1 < 0.5 THEN 'three_to_countryside' END,
           CASE WHEN a.r_th2 < 0.55 THEN
               (ARRAY['rural_revitalization','health','women_youth','enterprise_innovation','emergency','other',
                      'rural_revitalization','health'])[1 + floor(a.r_th2 / 0.55 * 8)::int] END]) x
             WHERE x IS NOT NULL ORDER BY x),
       a.region_code,
       r.name || (ARRAY['人民路','建设路','解放路','文化路','中山路','和平街','新华街','幸福路'])[1 + floor(a.r_addr * 8)::int]
           || (1 + floor(a.r_place * 300))::int || '号'
           || (ARRAY['社区服务中心','文化广场','科技馆','中心小学','村委会','新时代文明实践站','图书馆报告厅','农业示范园'])[1 + floor(a.r_n1 * 8)::int],
       a.starts_at, a.ends_at, a.signup_starts_at, a.signup_ends_at, a.capacity, a.t, a.service_hours,
       pg_temp.cn_name(a.r_n1 < 0.5, a.r_n2, a.r_ph, a.r_n1, a.r_addr),
       pg_temp.any_phone(a.r_ph, a.r_place),
       CASE WHEN a.r_req < 0.4 THEN (ARRAY['请携带身份证','具备相关专业背景','需自备笔记本电脑','年满18周岁','有无人机操作证者优先'])[1 + floor(a.r_req * 12.5)::int] END,
       a.r_mo < 0.08,
       a.cancelled_at,
       CASE WHEN a.cancelled_at IS NOT NULL THEN (ARRAY['天气原因','场地调整','疫情防控需要','主讲专家临时有事'])[1 + floor(a.r_cancel2 * 4)::int] END,
       a.admin_uid, a.created_at, coalesce(a.cancelled_at, a.created_at)
FROM ac a
JOIN ref.regions r ON r.code = a.region_code
JOIN os o ON o.id = a.org_id
CROSS JOIN LATERAL (SELECT (ARRAY['人工智能科普讲座','青少年科学','果树修剪技术','病虫害绿色防控','应急救护培训',
                                  '心肺复苏急救','防灾减灾知识','气象科普','中医药健康','食品安全','反诈防骗',
                                  '老年人智能手机','垃圾分类','节约用水','航天科普','天文观测','机器人编程',
                                  '植保无人机','电商直播','科学养殖','数字素养','健康生活方式','低碳环保',
                                  '科普讲座'])[1 + floor(a.r_topic * 24)::int] AS topic) tp
CROSS JOIN LATERAL (SELECT (ARRAY['进社区','进校园','下乡','培训班','公开课','志愿服务','咨询会','义诊',
                                  '实践活动','展览讲解','知识竞赛','体验营'])[1 + floor(a.r_fmt * 12)::int] AS fmt) fm
ORDER BY a.id;

---------------------------------------------------------------------------
\warn '@phase signups:' :n_signup 'sign-ups'
SELECT setseed((hashint8(:seed::bigint * 16 + 6) % 1000000007) / 1000000007.0);

-- the (activity, k) pairs first, counted, so that the join with the pool is
-- planned on real numbers (a lateral generate_series is estimated at 1000 rows)
CREATE TEMP TABLE sx AS
SELECT a.id, a.pkey, ((a.s + j::bigint * a.step) % a.pool_size)::int AS k,
       a.signup_starts_at + random() * (least(a.signup_ends_at, t.t_now, coalesce(a.cancelled_at, 'infinity'))
                                        - a.signup_starts_at) AS created_at
FROM ac a CROSS JOIN p t CROSS JOIN LATERAL generate_series(0, a.t - 1) j
WHERE a.t > 0;
ANALYZE sx;

INSERT INTO activity.signups (activity_id, volunteer_id, status, created_at)
SELECT x.id, pl.vid, 'confirmed', x.created_at
FROM sx x JOIN pool pl ON pl.pkey = x.pkey AND pl.k = x.k
ORDER BY x.id, pl.vid;
DROP TABLE sx;

---------------------------------------------------------------------------
\warn '@phase records: service records and reports of ended activities'
SELECT setseed((hashint8(:seed::bigint * 16 + 7) % 1000000007) / 1000000007.0);

-- 93% of the ended activities have their hours posted, for 96% of the
-- signed-up (the rest did not come); some got less than the full hours.
INSERT INTO activity.service_records (activity_id, volunteer_id, hours, recorded_by, recorded_at)
SELECT s.activity_id, s.volunteer_id,
       CASE WHEN s.r_h < 0.15 THEN greatest(0.5, floor(a.service_hours * 2 * s.r_h / 0.15) / 2) ELSE a.service_hours END,
       a.admin_uid,
       least(a.ends_at + (2 + 70 * a.r_ser) * interval '1 hour', t.t_now)
FROM (SELECT activity_id, volunteer_id, random() AS r_h, random() AS r_show FROM activity.signups) s
JOIN ac a ON a.id = s.activity_id
CROSS JOIN p t
WHERE a.ends_at <= t.t_now AND a.cancelled_at IS NULL AND a.r_ser < 0.93 AND s.r_show < 0.96
ORDER BY s.activity_id, s.volunteer_id;

INSERT INTO activity.reports (activity_id, summary, photo_urls, participants, updated_by, updated_at)
SELECT a.id,
       '本次活动共有' || r.n || '名科技志愿者参与，服务群众约' || (r.n * (5 + floor(a.r_fill * 20)))::int || '人次。',
       ARRAY(SELECT 'https://img.stvs.example/activities/' || a.id || '/' || g || '.jpg'
             FROM generate_series(1, floor(a.r_fill2 * 4)::int) g),
       r.n, a.admin_uid, least(a.ends_at + (4 + 90 * a.r_ser) * interval '1 hour', t.t_now)
FROM ac a
JOIN (SELECT activity_id, count(*)::int AS n FROM activity.service_records GROUP BY activity_id) r ON r.activity_id = a.id
CROSS JOIN p t
WHERE a.r_ser < 0.55;

---------------------------------------------------------------------------
\warn '@phase finish: sequences, checks'

SELECT setval(pg_get_serial_sequence('auth.users', 'id'), (SELECT max(id) FROM auth.users));
SELECT setval(pg_get_serial_sequence('volunteer.volunteers', 'id'), (SELECT max(id) FROM volunteer.volunteers));
SELECT setval(pg_get_serial_sequence('org.orgs', 'id'), (SELECT max(id) FROM org.orgs));
SELECT setval(pg_get_serial_sequence('activity.activities', 'id'), (SELECT max(id) FROM activity.activities));

BEGIN;
SELECT stats.rebuild();
SELECT activity.rebuild_listed_counts();
ALTER TABLE volunteer.volunteers ENABLE TRIGGER volunteers_stats, ENABLE TRIGGER volunteers_stats_update;
ALTER TABLE org.orgs ENABLE TRIGGER orgs_stats, ENABLE TRIGGER orgs_stats_update;
ALTER TABLE activity.activities ENABLE TRIGGER activities_stats, ENABLE TRIGGER activities_stats_update,
    ENABLE TRIGGER activities_stats_signups, ENABLE TRIGGER activities_listed_count,
    ENABLE TRIGGER activities_listed_count_update;
ALTER TABLE activity.service_records ENABLE TRIGGER service_records_stats;
COMMIT;

-- The invariants the services rely on; any violation stops the load.
DO $$
DECLARE
    bad bigint;
BEGIN
    SELECT count(*) INTO bad FROM activity.activities a
    WHERE a.signed_up <> (SELECT count(*) FROM activity.signups s WHERE s.activity_id = a.id);
    IF bad > 0 THEN RAISE EXCEPTION 'seed: % activities with signed_up <> sign-ups', bad; END IF;
    SELECT count(*) INTO bad FROM org.orgs o
    WHERE o.member_count <> (SELECT count(*) FROM org.members m WHERE m.org_id = o.id AND m.status = 'active');
    IF bad > 0 THEN RAISE EXCEPTION 'seed: % orgs with a wrong member_count', bad; END IF;
    SELECT count(*) INTO bad FROM vol WHERE right(id_number, 1) <> pg_temp.gb11643_check(left(id_number, 17))
        OR substr(id_number, 17, 1)::int % 2 <> CASE WHEN male THEN 1 ELSE 0 END
        OR substr(id_number, 7, 8) <> to_char(birth_date, 'YYYYMMDD')
        OR birth_date > current_date - interval '18 years';
    IF bad > 0 THEN RAISE EXCEPTION 'seed: % bad ID numbers', bad; END IF;
    SELECT count(*) INTO bad FROM (SELECT id_number FROM vol GROUP BY 1 HAVING count(*) > 1) d;
    IF bad > 0 THEN RAISE EXCEPTION 'seed: % duplicate ID numbers', bad; END IF;
    SELECT count(*) INTO bad FROM activity.signups s JOIN activity.activities a ON a.id = s.activity_id
    WHERE a.members_only AND NOT EXISTS (SELECT 1 FROM org.members m WHERE m.org_id = a.org_id
                                         AND m.volunteer_id = s.volunteer_id AND m.status = 'active');
    IF bad > 0 THEN RAISE EXCEPTION 'seed: % members-only sign-ups by non-members', bad; END IF;
    SELECT count(*) INTO bad FROM activity.service_records r JOIN activity.activities a ON a.id = r.activity_id
    WHERE r.hours * 3600 > extract(epoch FROM a.ends_at - a.starts_at) OR a.ends_at > now();
    IF bad > 0 THEN RAISE EXCEPTION 'seed: % service records beyond the duration or before the end', bad; END IF;
END $$;
