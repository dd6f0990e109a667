// Who is logged in (from /auth/me), the code tables, and the 长者模式 setting.
import { reactive } from 'vue';
import * as api from './api.js';
import { isPlatformAdminOf, isVolunteerOf, orgAdminIds } from './lib/roles.js';

export const session = reactive({
  me: null, // GET /auth/me
  ready: false,
  currentOrgId: null, // the org 组织管理 works on
});

export async function loadMe() {
  if (!api.hasSession()) {
    session.me = null;
  } else {
    try {
      session.me = await api.getMe();
    } catch {
      session.me = null;
    }
  }
  const ids = adminOrgIds();
  if (!ids.includes(session.currentOrgId)) session.currentOrgId = ids[0] ?? null;
  session.ready = true;
  return session.me;
}

export async function signOut() {
  await api.logout();
  session.me = null;
  session.currentOrgId = null;
}

export const adminOrgIds = () => orgAdminIds(session.me);
export const isPlatformAdmin = () => isPlatformAdminOf(session.me);
export const isVolunteer = () => isVolunteerOf(session.me);

// ---- code tables (GET /meta/codes), loaded once
export const codes = reactive({ tables: {}, loaded: false });
let codesPromise = null;
export function loadCodes() {
  if (!codesPromise) {
    codesPromise = api.getCodes().then((t) => {
      codes.tables = t;
      codes.loaded = true;
      return t;
    }).catch((e) => { codesPromise = null; throw e; });
  }
  return codesPromise;
}
export function codeLabel(table, code) {
  const hit = (codes.tables[table] ?? []).find((c) => c.code === code);
  return hit ? hit.label : code ?? '';
}
export function codeLabels(table, list) {
  return (list ?? []).map((c) => codeLabel(table, c)).join('、');
}

// ---- 长者模式: larger type, kept in localStorage
const ELDER_KEY = 'stvs.elder_mode';
export const prefs = reactive({ elder: false });
try { prefs.elder = window.localStorage.getItem(ELDER_KEY) === '1'; } catch { /* private mode */ }
export function setElder(on) {
  prefs.elder = on;
  try { window.localStorage.setItem(ELDER_KEY, on ? '1' : '0'); } catch { /* ignore */ }
  document.documentElement.classList.toggle('elder', on);
}
