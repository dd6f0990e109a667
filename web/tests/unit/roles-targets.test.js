import { test } from 'node:test';
import assert from 'node:assert/strict';
import { landingAfterLogin, needsVolunteer, topMenus } from '../../src/lib/roles.js';
import { targetErrors } from '../../src/lib/stats.js';
import { exportMessage } from '../../src/lib/problem.js';
import { FRIEND_LINKS } from '../../src/links.js';

const labels = (me) => topMenus(me).map((m) => m.label);
const platform = { role: 'platform_admin', region_code: '410000' };
const orgAdmin = { role: 'org_admin', org_id: 3 };

test('menus: 科协 staff who are not volunteers get 科协管理 only', () => {
  assert.deepEqual(labels({ id: 1, volunteer_id: null, roles: [platform] }), ['科协管理']);
});

test('menus: a volunteer with no role gets 志愿者中心 and 注册组织, no admin menu', () => {
  assert.deepEqual(labels({ id: 1, volunteer_id: 7, roles: [] }), ['志愿者中心', '注册组织']);
  assert.deepEqual(topMenus({ volunteer_id: 7, roles: [] }).map((m) => m.index), ['/me', '/org/register']);
});

test('menus: an org admin gets 组织管理; a volunteer who is also 科协 staff gets all three', () => {
  assert.deepEqual(labels({ volunteer_id: 7, roles: [orgAdmin] }), ['志愿者中心', '组织管理']);
  assert.deepEqual(labels({ volunteer_id: 7, roles: [orgAdmin, platform] }), ['志愿者中心', '组织管理', '科协管理']);
  assert.deepEqual(labels({ volunteer_id: 7, roles: [platform] }), ['志愿者中心', '注册组织', '科协管理']);
});

test('menus: logged out none; a new account (no volunteer, no role) 志愿者中心 to register', () => {
  assert.deepEqual(labels(null), []);
  assert.deepEqual(labels({ volunteer_id: null, roles: [] }), ['志愿者中心', '注册组织']);
});

test('登录 leads 科协 staff to 科协管理, a new person to the volunteer form, an imported one to 确认身份', () => {
  const staff = { volunteer_id: null, roles: [platform] };
  assert.equal(landingAfterLogin(staff), '/admin');
  assert.equal(landingAfterLogin(staff, { redirect: '/admin/stats' }), '/admin/stats');
  assert.deepEqual(landingAfterLogin(staff, { redirect: '/me/records' }), { path: '/register', query: { redirect: '/me/records' } });
  const fresh = { volunteer_id: null, roles: [] };
  assert.deepEqual(landingAfterLogin(fresh), { path: '/register', query: { redirect: '/me/info' } });
  assert.deepEqual(landingAfterLogin(fresh, { forOrg: true }), { path: '/register', query: { redirect: '/org/register' } });
  assert.deepEqual(landingAfterLogin(fresh, { redirect: '/activities/5' }), { path: '/register', query: { redirect: '/activities/5' } });
  assert.equal(landingAfterLogin({ volunteer_id: 7, roles: [] }), '/me/info');
  assert.equal(landingAfterLogin({ volunteer_id: 7, roles: [] }, { redirect: '/activities/5' }), '/activities/5');
  assert.equal(landingAfterLogin({ volunteer_id: 7, claim_required: true, roles: [] }), '/claim');
  assert.equal(needsVolunteer('/org'), true);
  assert.equal(needsVolunteer('/orgs/3'), false);
  assert.equal(needsVolunteer('/me/info'), true);
});

test('设置目标: the client checks volunteers as PUT /stats/targets does (integer 1..1e9)', () => {
  assert.deepEqual(targetErrors(''), { volunteers: '必填' });
  assert.deepEqual(targetErrors('   '), { volunteers: '必填' });
  assert.deepEqual(targetErrors('12.5'), { volunteers: '请输入整数人数' });
  assert.deepEqual(targetErrors('-3'), { volunteers: '请输入整数人数' });
  assert.deepEqual(targetErrors('1e3'), { volunteers: '请输入整数人数' });
  assert.deepEqual(targetErrors('0'), { volunteers: '须为 1 至 1000000000 之间的整数' });
  assert.deepEqual(targetErrors('1000000001'), { volunteers: '须为 1 至 1000000000 之间的整数' });
  assert.deepEqual(targetErrors('1'), {});
  assert.deepEqual(targetErrors(' 1500 '), {});
  assert.deepEqual(targetErrors('1000000000'), {});
});

test('a failed export says why: the row limit in words, else the problem\'s message', () => {
  assert.match(exportMessage({ code: 'too_many_rows', message: 'x' }), /超过 50000 行/);
  assert.equal(exportMessage({ code: 'not_found', message: '内容不存在或无权查看' }), '导出失败：内容不存在或无权查看');
  assert.equal(exportMessage({}), '导出失败：请稍后再试');
});

test('友情链接 point at official sites, none left on a placeholder host', () => {
  const byLabel = Object.fromEntries(FRIEND_LINKS.map((l) => [l.label, l.href]));
  assert.deepEqual(Object.keys(byLabel), ['政策文件', '中国科协官网', '志愿服务联合会', '中国科协绿平台']);
  assert.equal(byLabel['中国科协官网'], 'https://www.cast.org.cn/');
  assert.match(byLabel['政策文件'], /^https:\/\/www\.cast\.org\.cn\/.+/);
  for (const href of Object.values(byLabel)) assert.match(href, /^https:\/\/www\.(cast|cvf)\.org\.cn\//);
});
