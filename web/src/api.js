// The one module that talks to /api/v1. Every page calls the functions below.
//
// Tokens (API.md, Auth): the access token lives in this module's memory only,
// so no script-readable storage ever holds a token that opens the API. The
// refresh token is kept in sessionStorage: it survives a reload of the tab (the
// client trades it for a new pair at once) but not the closing of the tab, and
// it is not shared between tabs — two tabs rotating one refresh token would
// present an already-rotated token and revoke the whole session family.
// A 401 triggers one refresh and one retry; a second 401 ends the session and
// the app goes back to 登录.
import { fieldErrors, problemMessage } from './lib/problem.js';

const BASE = '/api/v1';
const REFRESH_KEY = 'stvs.refresh_token';

let accessToken = null;
let refreshing = null;
let authLost = () => {};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problemMessage(problem, status));
    this.status = status;
    this.problem = problem;
    this.code = problem?.code ?? null;
    this.fields = fieldErrors(problem); // { field: message } for the forms
  }
}

function storage() {
  try { return window.sessionStorage; } catch { return null; }
}
function storeTokens(pair) {
  accessToken = pair.access_token;
  storage()?.setItem(REFRESH_KEY, pair.refresh_token);
}
export function clearTokens() {
  accessToken = null;
  storage()?.removeItem(REFRESH_KEY);
}
export function hasSession() {
  return Boolean(accessToken || storage()?.getItem(REFRESH_KEY));
}
// Called when the session cannot be renewed (the app routes to 登录).
export function onAuthLost(fn) {
  authLost = fn;
}

// POST /auth/tokens/refresh, shared by concurrent callers. true when a new pair arrived.
function refreshTokens() {
  if (!refreshing) {
    refreshing = (async () => {
      const token = storage()?.getItem(REFRESH_KEY);
      if (!token) return false;
      try {
        const r = await fetch(`${BASE}/auth/tokens/refresh`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: JSON.stringify({ refresh_token: token }),
        });
        if (!r.ok) { clearTokens(); return false; }
        storeTokens(await r.json());
        return true;
      } catch {
        return false;
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

function buildUrl(path, query) {
  let url = BASE + path;
  if (query) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue;
      p.append(k, String(v));
    }
    const s = p.toString();
    if (s) url += `?${s}`;
  }
  return url;
}

// filename="..." (or filename*=UTF-8''...) of a Content-Disposition header, else null.
export function dispositionName(header) {
  if (!header) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) { try { return decodeURIComponent(star[1].trim()); } catch { /* fall through */ } }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain ? plain[1].trim() : null;
}

// Saves a Blob under a name: the browser's own download (an object URL on a link).
export function saveBlob(blob, fileName) {
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
}

async function readProblem(r) {
  try { return await r.json(); } catch { return null; }
}

// The body of a download as a Blob, telling onProgress(fraction 0..1) as it
// arrives when the answer has a Content-Length (else once, at the end).
async function readBlob(r, onProgress) {
  const total = Number(r.headers.get('Content-Length')) || 0;
  if (!onProgress || !total || !r.body) {
    const b = await r.blob();
    onProgress?.(1);
    return b;
  }
  const reader = r.body.getReader();
  const parts = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    got += value.length;
    onProgress(Math.min(got / total, 1));
  }
  return new Blob(parts, { type: r.headers.get('Content-Type') ?? '' });
}

// One call. opts: query, body (JSON), raw (a File/Blob sent as it is, with
// contentType), accept (default JSON), blob (answer as { blob, fileName }),
// onProgress (with blob), auth (send the token; default true), ifMatch (an
// If-Match header), tagged (answer as { data, etag }: the body and its ETag),
// retried (internal).
async function request(method, path, opts = {}) {
  const { query, body, raw, contentType, accept, blob = false, onProgress, auth = true, ifMatch, tagged = false,
    retried = false } = opts;
  if (auth && !accessToken && !retried) await refreshTokens(); // after a reload of the page
  const headers = { Accept: accept ?? 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (raw !== undefined) headers['Content-Type'] = contentType;
  if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
  if (ifMatch) headers['If-Match'] = ifMatch;
  let r;
  try {
    r = await fetch(buildUrl(path, query), {
      method, headers, body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (r.status === 401 && auth) {
    const problem = await readProblem(r);
    if (!retried && (await refreshTokens())) return request(method, path, { ...opts, retried: true });
    clearTokens();
    authLost();
    throw new ApiError(401, problem);
  }
  if (!r.ok) throw new ApiError(r.status, await readProblem(r));
  if (blob) return { blob: await readBlob(r, onProgress), fileName: dispositionName(r.headers.get('Content-Disposition')) };
  if (r.status === 204) return null;
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  return tagged ? { data, etag: r.headers.get('ETag') } : data;
}

const get = (path, query, auth = true) => request('GET', path, { query, auth });
const post = (path, body) => request('POST', path, { body: body ?? {} });
const patch = (path, body) => request('PATCH', path, { body });
const put = (path, body) => request('PUT', path, { body });
const del = (path) => request('DELETE', path);
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
// A workbook fetched with the token and saved by the browser under the name the
// server gave (Content-Disposition), else fallbackName. onProgress: see readBlob.
async function downloadXlsx(path, query, fallbackName, onProgress) {
  const { blob, fileName } = await request('GET', path, { query, accept: XLSX_TYPE, blob: true, onProgress });
  saveBlob(blob, fileName ?? fallbackName);
}

// ---- auth
export const sendSmsCode = (phone) =>
  request('POST', '/auth/sms-codes', { body: { phone, purpose: 'login' }, auth: false });
export async function login(phone, code) {
  const pair = await request('POST', '/auth/sessions', { body: { phone, code }, auth: false });
  storeTokens(pair);
  return pair;
}
export async function logout() {
  try { if (accessToken) await request('DELETE', '/auth/sessions/current', { retried: true }); } catch { /* gone anyway */ }
  clearTokens();
}
export const getMe = () => get('/auth/me');

// ---- reference data
export const getCodes = () => get('/meta/codes', null, false);
export const getRegions = (parent) => get('/meta/regions', parent ? { parent } : null, false);

// ---- volunteers
export const createVolunteer = (body) => post('/volunteers', body);
export const getMyVolunteer = () => get('/volunteers/me');
export const updateMyVolunteer = (body) => patch('/volunteers/me', body);
export const claimVolunteer = (idNumber) => post('/volunteers/me/claim', { id_number: idNumber });
export const getMyOrgs = () => get('/volunteers/me/orgs');
export const getMyActivities = (query) => get('/volunteers/me/activities', query);
export const getMyServiceRecords = () => get('/volunteers/me/service-records');
export const downloadMyServiceRecords = (onProgress) =>
  downloadXlsx('/volunteers/me/service-records.xlsx', null, 'service-records.xlsx', onProgress);

// ---- orgs
export const listOrgs = (query) => get('/orgs', query, false);
// an approver's queue: the pending (or rejected) orgs the caller may decide
export const listOrgQueue = (query) => get('/orgs', { status: 'pending', ...query });
export const getOrg = (id) => get(`/orgs/${id}`); // with a token: a pending org to its admins and approvers
export const getOrgChildren = (id, query) => get(`/orgs/${id}/children`, query);
export const createOrg = (body) => post('/orgs', body);
export const updateOrg = (id, body) => patch(`/orgs/${id}`, body);
export const approveOrg = (id) => post(`/orgs/${id}/approve`);
export const rejectOrg = (id, reason) => post(`/orgs/${id}/reject`, { reason });
export const getOrgAdmins = (id) => get(`/orgs/${id}/admins`);
export const addOrgAdmin = (id, phone) => post(`/orgs/${id}/admins`, { phone });
export const removeOrgAdmin = (id, userId) => del(`/orgs/${id}/admins/${userId}`);
export const applyToOrg = (id) => post(`/orgs/${id}/members`);
export const leaveOrg = (id) => del(`/orgs/${id}/members/me`);
export const getOrgMembers = (id, query) => get(`/orgs/${id}/members`, query);
export const approveMember = (id, vid) => post(`/orgs/${id}/members/${vid}/approve`);
export const rejectMember = (id, vid) => post(`/orgs/${id}/members/${vid}/reject`);
export const removeMember = (id, vid) => del(`/orgs/${id}/members/${vid}`);
// query: the roster's own filters (status, q)
export const downloadOrgMembers = (id, query, onProgress) =>
  downloadXlsx(`/orgs/${id}/members.xlsx`, query, `org-${id}-members.xlsx`, onProgress);

// ---- activities
export const listActivities = (query) => get('/activities', query, false);
export const getActivity = (id) => get(`/activities/${id}`, null, false);
export const createActivity = (body) => post('/activities', body);
export const updateActivity = (id, body) => patch(`/activities/${id}`, body);
export const cancelActivity = (id, reason) => post(`/activities/${id}/cancel`, { reason });
export const signUp = (id) => post(`/activities/${id}/signups`);
export const withdrawSignup = (id) => del(`/activities/${id}/signups/me`);
export const getSignups = (id, query) => get(`/activities/${id}/signups`, query);
export const downloadSignups = (id, onProgress) =>
  downloadXlsx(`/activities/${id}/signups.xlsx`, null, `activity-${id}-signups.xlsx`, onProgress);
export const recordHours = (id, records) => post(`/activities/${id}/service-records`, { records });
export const getReport = (id) => get(`/activities/${id}/report`, null, false);
export const putReport = (id, body) => put(`/activities/${id}/report`, body);

// ---- 集体注册 (imports)
// The Content-Type of an upload, by the file's name (the service reads .xlsx and .csv only).
export function importContentType(fileName) {
  const n = String(fileName ?? '').toLowerCase();
  if (n.endsWith('.xlsx')) return XLSX_TYPE;
  if (n.endsWith('.csv')) return 'text/csv';
  return null;
}
// Public templates: a plain link downloads them.
export const importTemplateUrl = (kind) => `${BASE}/imports/templates/${kind}.xlsx`;
// query: { kind: 'volunteers', org_id } or { kind: 'orgs', parent_id, level }
export function uploadImport(file, query) {
  const contentType = importContentType(file.name);
  return request('POST', '/imports', { query: { ...query, file_name: file.name }, raw: file, contentType });
}
export const listImports = (query) => get('/imports', query);
export const getImport = (id) => get(`/imports/${id}`);
export const getImportRows = (id, query) => get(`/imports/${id}/rows`, query);
export const commitImport = (id) => post(`/imports/${id}/commit`);
export const downloadImportErrors = (id, onProgress) =>
  downloadXlsx(`/imports/${id}/errors.xlsx`, null, `import-${id}-errors.xlsx`, onProgress);

// ---- statistics (platform admins; /stats/public for everyone)
export const getPublicStats = () => get('/stats/public', null, false);
export const getStatsOverview = (query) => get('/stats/overview', query);
export const getStatsRegions = (query) => get('/stats/regions', query);
export const getStatsQuarterly = (query) => get('/stats/quarterly', query);
export const getMonthlyReport = (query) => get('/stats/monthly-report', query);
export const downloadMonthlyReport = (query, onProgress) =>
  downloadXlsx('/stats/monthly-report', query, `monthly-report-${query?.region ?? ''}-${query?.month ?? ''}.xlsx`, onProgress);
export const getStatsTrend = (query) => get('/stats/trend', query);
// Volunteer targets: GET for admins whose scope covers the region, PUT for those whose scope strictly contains it.
// The target with its ETag ({ data, etag }); the PUT sends it back in If-Match
// (a 412 when someone set the target since), and answers the new one.
export const getStatsTarget = (code) => request('GET', `/stats/targets/${code}`, { tagged: true });
export const putStatsTarget = (code, volunteers, etag) =>
  request('PUT', `/stats/targets/${code}`, { body: { volunteers }, ifMatch: etag, tagged: true });
