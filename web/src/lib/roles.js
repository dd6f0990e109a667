// What a logged-in person is, from GET /auth/me (`volunteer_id`, `roles`), and
// so which top menus they get and where 登录 leads them. Pure, for the unit tests.
//
// A volunteer gets 志愿者中心; an org admin 组织管理; a volunteer who administers
// no org 注册组织 (the manual's 组织-注册) instead; a platform admin (科协 staff)
// 科协管理. 科协 staff who are not volunteers get no volunteer menus at all; a
// new account with no role gets 志愿者中心, which leads to the registration form.

export function orgAdminIds(me) {
  return (me?.roles ?? []).filter((r) => r.role === 'org_admin').map((r) => r.org_id);
}
export function isPlatformAdminOf(me) {
  return (me?.roles ?? []).some((r) => r.role === 'platform_admin');
}
export function isVolunteerOf(me) {
  return Boolean(me?.volunteer_id);
}

// The top menu items after 首页, 活动报名, 组织: [{ index (a path), label }].
export function topMenus(me) {
  if (!me) return [];
  const volunteer = isVolunteerOf(me);
  const platformAdmin = isPlatformAdminOf(me);
  const orgAdmin = orgAdminIds(me).length > 0;
  const forVolunteers = volunteer || (!platformAdmin && !orgAdmin);
  const items = [];
  if (forVolunteers) items.push({ index: '/me', label: '志愿者中心' });
  if (orgAdmin) items.push({ index: '/org', label: '组织管理' });
  else if (forVolunteers) items.push({ index: '/org/register', label: '注册组织' });
  if (platformAdmin) items.push({ index: '/admin', label: '科协管理' });
  return items;
}

// Pages that need a volunteer record (志愿者中心, 组织管理).
export function needsVolunteer(path) {
  return /^\/(me|org)(\/|$|\?)/.test(String(path ?? ''));
}

// Where 下一步 at 登录 goes: 确认身份 for an imported person; the volunteer form
// for someone who is not a volunteer yet (unless 科协 staff going to a page that
// needs no volunteer record: their own 科协管理 by default); else the page asked
// for (redirect), or 注册组织 when they came to register an org, or their home.
export function landingAfterLogin(me, { redirect = '', forOrg = false } = {}) {
  if (me?.claim_required) return '/claim';
  const home = !isVolunteerOf(me) && isPlatformAdminOf(me) ? '/admin' : '/me/info';
  const target = forOrg ? '/org/register' : redirect || home;
  if (!isVolunteerOf(me) && (!isPlatformAdminOf(me) || needsVolunteer(target))) {
    return { path: '/register', query: { redirect: target } };
  }
  return target;
}
