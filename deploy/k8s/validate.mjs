// Offline schema check of deploy/k8s (no cluster, no network): every object
// against the Kubernetes 1.27 OpenAPI schemas that the npm package
// kubernetes-models ships (types, enums, required fields), every field name
// against the package's type declarations (unknown fields), the CloudNativePG
// Cluster against schemas/cnpg-cluster.schema.json (ajv), then the rules of
// STVS that no schema knows. Run by tests/deploy_check.sh:
//   node deploy/k8s/validate.mjs DIR [OUT_DIR]
// DIR holds the manifests; OUT_DIR (optional) receives the nginx ConfigMap's
// files for nginx -t. Prints "k8s check: ok (N objects)" or each problem.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import Ajv from "ajv";
import { ConfigMap, Namespace, Service } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const dir = path.resolve(process.argv[2] || here);
const outDir = process.argv[3];
const problems = [];
const bad = (where, msg) => problems.push(`${where}: ${msg}`);

const models = {
  "v1/Namespace": Namespace, "v1/ConfigMap": ConfigMap, "v1/Service": Service,
  "apps/v1/Deployment": Deployment, "batch/v1/Job": Job,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget, "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
};
const ajv = new Ajv({ allErrors: true, strict: true });
const cnpg = ajv.compile(JSON.parse(fs.readFileSync(path.join(dir, "schemas/cnpg-cluster.schema.json"), "utf8")));

// ------------------------------------------------------------ field names
// The compiled schemas accept fields they do not know (Kubernetes' OpenAPI
// has no additionalProperties: false), while `kubectl apply` refuses them
// (server-side field validation). The package's type declarations list every
// field of every type: an index of them finds misspelt and misplaced fields.
const iface = new Map(); // global interface name -> Map(field -> type text)
function indexDeclarations(dirPath) {
  for (const ent of fs.readdirSync(dirPath, { withFileTypes: true })) {
    const p = path.join(dirPath, ent.name);
    if (ent.isDirectory()) { if (ent.name !== "node_modules") indexDeclarations(p); continue; }
    if (!ent.name.endsWith(".d.ts")) continue;
    const src = fs.readFileSync(p, "utf8");
    const local = new Map();
    for (const m of src.matchAll(/^export interface (I\w+)(?: extends [\w, ]+)? \{\n([\s\S]*?)^\}/gm)) {
      const fields = new Map();
      for (const f of m[2].matchAll(/^ {4}"([^"]+)"\??: (.+?);?$/gm)) fields.set(f[1], f[2]);
      local.set(m[1], fields);
    }
    for (const m of src.matchAll(/^export \{ (I\w+) as (I\w+)/gm)) if (local.has(m[1])) iface.set(m[2], local.get(m[1]));
  }
}
for (const pkg of ["kubernetes-models", "@kubernetes-models/apimachinery"]) {
  const d = path.join(root, "node_modules", pkg);
  if (fs.existsSync(d)) indexDeclarations(d);
}
const topInterface = {
  "v1/Namespace": "IIoK8sApiCoreV1Namespace", "v1/ConfigMap": "IIoK8sApiCoreV1ConfigMap", "v1/Service": "IIoK8sApiCoreV1Service",
  "apps/v1/Deployment": "IIoK8sApiAppsV1Deployment", "batch/v1/Job": "IIoK8sApiBatchV1Job",
  "policy/v1/PodDisruptionBudget": "IIoK8sApiPolicyV1PodDisruptionBudget", "networking.k8s.io/v1/NetworkPolicy": "IIoK8sApiNetworkingV1NetworkPolicy",
};
function unknownFields(value, name, at, where) {
  const fields = iface.get(name);
  if (!fields || value === null || typeof value !== "object" || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const type = fields.get(k);
    if (type === undefined) { bad(where, `${at}/${k}: no such field in ${name.replace(/^IIoK8s(Api|ApimachineryPkgApis)/, "")}`); continue; }
    const one = type.match(/^(I\w+)$/), many = type.match(/^Array<(I\w+)>$/);
    if (one) unknownFields(v, one[1], `${at}/${k}`, where);
    else if (many && Array.isArray(v)) v.forEach((x, i) => unknownFields(x, many[1], `${at}/${k}/${i}`, where));
  }
}

// ------------------------------------------------------------ parse + schema
const objects = [];
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
for (const f of files) {
  const docs = parseAllDocuments(fs.readFileSync(path.join(dir, f), "utf8"));
  for (const d of docs) {
    if (d.errors.length) { bad(f, `YAML: ${d.errors[0].message}`); continue; }
    const o = d.toJS();
    if (o === null) continue;
    if (f === "kustomization.yaml") { objects.push({ f, o, kustomization: true }); continue; }
    const where = `${f}: ${o.kind}/${o.metadata?.name}`;
    const key = `${o.apiVersion}/${o.kind}`;
    if (key === "v1/Secret") { bad(where, "a Secret is committed: secrets are made by the operator (deploy/README.md)"); continue; }
    if (key === "postgresql.cnpg.io/v1/Cluster") {
      if (!cnpg(o)) for (const e of cnpg.errors) bad(where, `${e.instancePath || "/"} ${e.message}`);
    } else if (models[key]) {
      try { new models[key](o).validate(); } catch (e) { bad(where, e.message.split("\n")[0]); }
      if (!iface.get(topInterface[key])) bad(where, `no type declaration ${topInterface[key]} in kubernetes-models: unknown fields go unchecked`);
      else unknownFields(o, topInterface[key], "", where);
    } else {
      bad(where, `no schema for ${key}: add its model to validate.mjs`);
    }
    objects.push({ f, o, where });
  }
}
const of = (kind) => objects.filter((x) => x.o.kind === kind);

// ------------------------------------------------------------ STVS rules
const readme = fs.existsSync(path.join(root, "deploy/README.md")) ? fs.readFileSync(path.join(root, "deploy/README.md"), "utf8") : "";
const cluster = of("Cluster")[0]?.o;
if (!cluster) bad("postgres.yaml", "no CloudNativePG Cluster");
if (cluster && cluster.spec?.instances < 3) bad("postgres.yaml", "instances: a primary and two standbys (3)");
const pg = cluster?.metadata?.name || "stvs-pg";
const configMaps = new Map(of("ConfigMap").map((x) => [x.o.metadata.name, x.o.data || {}]));
const secretsUsed = new Set();
if (cluster?.spec?.superuserSecret) secretsUsed.add(cluster.spec.superuserSecret.name);
if (cluster?.spec?.bootstrap?.initdb?.secret) secretsUsed.add(cluster.spec.bootstrap.initdb.secret.name);

const envValue = (c, n) => (c.env || []).find((e) => e.name === n)?.value;
for (const { o, where } of [...of("Deployment"), ...of("Job")]) {
  const spec = o.kind === "Job" ? o.spec?.template?.spec : o.spec?.template?.spec;
  if (!spec) continue;
  if (o.kind === "Deployment") {
    const sel = o.spec.selector?.matchLabels || {};
    const labels = o.spec.template?.metadata?.labels || {};
    for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) bad(where, `selector ${k}=${v} does not match the pod labels`);
  }
  for (const v of spec.volumes || []) {
    if (v.secret) secretsUsed.add(v.secret.secretName);
    for (const s of v.projected?.sources || []) if (s.secret) secretsUsed.add(s.secret.name);
    if (v.configMap && !configMaps.has(v.configMap.name)) bad(where, `volume ${v.name}: no ConfigMap ${v.configMap.name}`);
  }
  for (const c of [...(spec.initContainers || []), ...(spec.containers || [])]) {
    for (const e of c.env || []) {
      const sk = e.valueFrom?.secretKeyRef, ck = e.valueFrom?.configMapKeyRef;
      if (sk) secretsUsed.add(sk.name);
      if (ck && !(configMaps.get(ck.name) && ck.key in configMaps.get(ck.name))) bad(where, `${e.name}: no key ${ck.key} in ConfigMap ${ck.name}`);
    }
    for (const ef of c.envFrom || []) if (ef.configMapRef && !configMaps.has(ef.configMapRef.name)) bad(where, `envFrom: no ConfigMap ${ef.configMapRef.name}`);
    if (!c.securityContext || c.securityContext.allowPrivilegeEscalation !== false) bad(where, `${c.name}: allowPrivilegeEscalation must be false`);
  }
  const svc = o.spec.template.metadata?.labels?.["stvs.role"] === "service";
  if (!svc) continue;
  // An STVS service: TCP on every interface, probes, drain, memory.
  const c = spec.containers[0];
  if (envValue(c, "STVS_LISTEN") !== "0.0.0.0:9000") bad(where, "STVS_LISTEN must be 0.0.0.0:9000 (\":9000\" binds loopback)");
  if (c.resources?.limits?.memory !== "128Mi") bad(where, "memory limit must be 128Mi (a process stays under 64 MiB)");
  if (!c.readinessProbe || !c.livenessProbe) bad(where, "needs a readiness and a liveness probe");
  const pre = c.lifecycle?.preStop?.exec?.command || [];
  const sleep = Number(pre[0]?.endsWith("sleep") ? pre[1] : NaN);
  if (!(sleep >= 5)) bad(where, "preStop must sleep (>= 5 s) so that the endpoints drain before SIGTERM");
  else if (!(spec.terminationGracePeriodSeconds >= sleep + 35)) bad(where, `terminationGracePeriodSeconds must cover preStop (${sleep} s) + the drain (35 s)`);
  const db = envValue(c, "STVS_DB") || "";
  const hosts = (db.match(/(?:^|\s)host=(\S+)/) || [])[1] || "";
  const read = o.metadata.name.endsWith("-read");
  if (read) {
    if (hosts !== `${pg}-ro,${pg}-rw` || !/target_session_attrs=prefer-standby/.test(db))
      bad(where, `a read Deployment connects standby-first: host=${pg}-ro,${pg}-rw target_session_attrs=prefer-standby`);
  } else if (hosts !== `${pg}-rw`) bad(where, `STVS_DB must name host=${pg}-rw (the primary)`);
  if (!/sslmode=verify-full/.test(db)) bad(where, "STVS_DB must use sslmode=verify-full");
  if (/password=/.test(db)) bad(where, "STVS_DB carries a password: use the Secret (PGPASSWORD)");
}
for (const { o, where } of of("Service")) {
  const sel = o.spec?.selector || {};
  const hit = of("Deployment").some(({ o: d }) => Object.entries(sel).every(([k, v]) => d.spec.template.metadata.labels?.[k] === v));
  if (!hit) bad(where, "its selector matches no Deployment's pods");
}
for (const s of secretsUsed) if (!readme.includes("`" + s + "`")) bad("deploy/README.md", `Secret ${s} is used but not documented (how to create it)`);

// nginx: the ConfigMap's files, the upstreams' headless Services
const nginx = configMaps.get("stvs-nginx");
if (!nginx) bad("nginx.yaml", "no ConfigMap stvs-nginx");
else {
  const fcgi = fs.readFileSync(path.join(root, "nginx/fastcgi.conf"), "utf8");
  if (nginx["stvs-fastcgi.conf"] !== fcgi) bad("nginx.yaml", "stvs-fastcgi.conf differs from nginx/fastcgi.conf");
  // the one upstream policy: a copy of the repo's file, included by nginx.conf
  // (tests/deploy_check.sh checks the servers' max_fails/fail_timeout against it)
  const policy = fs.readFileSync(path.join(root, "nginx/upstream-policy.conf"), "utf8");
  if (nginx["stvs-upstream-policy.conf"] !== policy) bad("nginx.yaml", "stvs-upstream-policy.conf differs from nginx/upstream-policy.conf");
  const conf = nginx["nginx.conf"] || "";
  const headless = new Map(of("Service").filter(({ o }) => o.spec.clusterIP === "None").map(({ o }) => [o.metadata.name, o]));
  const ups = [...conf.matchAll(/server\s+([a-z0-9-]+)\.stvs\.svc\.cluster\.local:(\d+)\s+resolve\s+max_fails=\d+\s+fail_timeout=\d+s;/g)];
  for (const d of of("Deployment").filter(({ o }) => o.spec.template.metadata.labels?.["stvs.role"] === "service"))
    if (!ups.some((m) => m[1] === d.o.metadata.name)) bad("nginx.yaml", `no upstream server for ${d.o.metadata.name} (resolve max_fails fail_timeout)`);
  for (const m of ups) {
    const s = headless.get(m[1]);
    if (!s) bad("nginx.yaml", `upstream ${m[1]}: no headless Service of that name (nginx needs every pod's address)`);
    else if (!s.spec.ports.some((p) => String(p.port) === m[2])) bad("nginx.yaml", `upstream ${m[1]}: its Service has no port ${m[2]}`);
  }
  if (!/^\s*include\s+\/etc\/nginx\/stvs-upstream-policy\.conf;/m.test(conf)) bad("nginx.yaml", "nginx.conf must include /etc/nginx/stvs-upstream-policy.conf");
  if (/^\s*fastcgi_next_upstream(_tries|_timeout)?\s+(?!off;)/m.test(conf)) bad("nginx.yaml", "retry rules of its own: they are nginx/upstream-policy.conf's");
  if (outDir) for (const k of ["nginx.conf", "stvs-fastcgi.conf", "stvs-upstream-policy.conf"]) fs.writeFileSync(path.join(outDir, k), nginx[k] || "");
}

// kustomization: every manifest but the Job (run first, by hand) is applied
const k = objects.find((x) => x.kustomization)?.o;
if (!k) bad("kustomization.yaml", "missing");
else {
  for (const r of k.resources || []) if (!fs.existsSync(path.join(dir, r))) bad("kustomization.yaml", `resource ${r} does not exist`);
  for (const f of files) if (!["kustomization.yaml", "migrate-job.yaml"].includes(f) && !(k.resources || []).includes(f)) bad("kustomization.yaml", `${f} is not in resources`);
}

for (const p of problems) console.error(`k8s check: FAIL: ${p}`);
if (problems.length) process.exit(1);
console.log(`k8s check: ok (${objects.length - (k ? 1 : 0)} objects)`);
