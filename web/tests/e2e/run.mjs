// Browser tests of the PC client against a running stack (tests/run.sh starts one).
// Debian's chromium driven by playwright-core (no browser download), role and text
// selectors only. Screenshots of the main pages go to $STVS_SCREENSHOTS.
// Ends with the runner line "N passed, N failed".
//
// Environment:
//   STVS_WEB_BASE     http://127.0.0.1:18080/
//   STVS_TEST_OUTBOX  the dev SMS outbox (JSON lines) the codes are read from
//   STVS_TEST_PSQL    psql command prefix (superuser, the stack's db): grants a platform admin
//   STVS_SCREENSHOTS  directory for the PNGs (default var/test/screenshots)
//   STVS_CHROMIUM     browser binary (default /usr/bin/chromium)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { idCheckChar } from '../../src/lib/idcard.js';
import { xlsxRows } from './xlsx.mjs';

const BASE = (process.env.STVS_WEB_BASE || 'http://127.0.0.1:18080/').replace(/\/?$/, '/');
const OUTBOX = process.env.STVS_TEST_OUTBOX || 'var/test/sms-outbox.jsonl';
const PSQL = process.env.STVS_TEST_PSQL || '';
const SHOTS = process.env.STVS_SCREENSHOTS || path.resolve('var/test/screenshots');
const BROWSER = process.env.STVS_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 15000;

// ---------------------------------------------------------------- fixtures

function randomDigits(n) {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(Math.random() * 10);
  return s;
}
const newPhone = () => `1${'3456789'[Math.floor(Math.random() * 7)]}${randomDigits(9)}`;
// A valid GB 11643 number in county 410702, born 1980-1999 (as tests/api/harness.py makes them).
function newIdNumber() {
  const y = 1980 + Math.floor(Math.random() * 20);
  const m = String(1 + Math.floor(Math.random() * 12)).padStart(2, '0');
  const d = String(1 + Math.floor(Math.random() * 28)).padStart(2, '0');
  const first17 = `410702${y}${m}${d}${randomDigits(3)}`;
  return first17 + idCheckChar(first17);
}
const NAME_CHARS = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌宇浩然晨曦思远嘉怡';
const newName = (n = 2) => Array.from({ length: n }, () => NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)]).join('');
const RUN = randomDigits(4);

// A 附件2 roster as UTF-8 CSV under the official headers (tests/api/test_imports.py):
// one good row and one whose ID number has a wrong check digit.
const ROSTER_HEADERS = ['序号', '真实姓名', '手机号', '性别', '身份证号', '政治面貌', '民族', '工作单位', '职称', '最高学历',
  '从业类别', '所在区域省', '所在区域市', '所在区域县', '服务类别', '服务领域或行业', '是否为基层“三长”'];
function rosterCsv(people) {
  const cell = (v) => `"${String(v).replace(/"/g, '""')}"`;
  const lines = [ROSTER_HEADERS.map(cell).join(',')];
  people.forEach((p, i) => {
    lines.push([i + 1, p.name, p.phone, '', p.idNumber, '群众', '汉族', '新乡市农科院', '副高', '本科', '企业',
      '河南省', '新乡市', '红旗区', '科技培训、科普报告', '农技服务类', '否'].map(cell).join(','));
  });
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}
// A download started by clicking `locator`: its suggested name and size.
async function download(page, locator) {
  const [d] = await Promise.all([page.waitForEvent('download'), locator.click()]);
  return saved(d);
}
async function saved(d) {
  const file = await d.path();
  return { name: d.suggestedFilename(), size: file ? fs.statSync(file).size : 0, file };
}
// A downloaded workbook's first sheet as rows of cell texts (throws unless it is an xlsx).
const sheet = (dl) => xlsxRows(fs.readFileSync(dl.file));
// The row of `rows` whose cells include `text`.
const rowWith = (rows, text) => rows.find((r) => r.includes(text));
// 附件2's headers, which the roster exports start with (docs/openapi.yaml).
const ANNEX2_HEADERS = ['序号', '真实姓名', '手机号', '性别', '身份证号', '政治面貌', '民族', '工作单位', '职称', '最高学历',
  '从业类别', '所在区域省', '所在区域市', '所在区域县', '服务类别', '服务领域或行业', '是否为基层“三长”'];
function checkHeaders(actual, expected, what) {
  check(JSON.stringify(actual) === JSON.stringify(expected), `${what} headers: ${JSON.stringify(actual)}`);
}

// "YYYY-MM-DD HH:mm:ss" in Beijing time, as the date pickers take it.
function beijing(offsetHours) {
  const t = new Date(Date.now() + offsetHours * 3600e3 + 8 * 3600e3);
  const p = (n) => String(n).padStart(2, '0');
  return `${t.getUTCFullYear()}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:00`;
}

function outboxCodes(phone) {
  let text = '';
  try { text = fs.readFileSync(OUTBOX, 'utf8'); } catch { return []; }
  return text.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return null; } })
    .filter((m) => m && m.phone === phone).map((m) => m.code);
}
async function waitForCode(phone, seen) {
  for (let i = 0; i < 100; i++) {
    const codes = outboxCodes(phone);
    if (codes.length > seen) return codes[codes.length - 1];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no SMS code for ${phone} in ${OUTBOX}`);
}

// Sets a region's volunteer target behind the client's back (as another admin would).
function setTargetInDb(region, volunteers, byPhone) {
  psql(`INSERT INTO stats.targets (region_code, volunteers, set_by)
      SELECT '${region}', ${Number(volunteers)}, id FROM auth.users WHERE phone = '${byPhone}'
    ON CONFLICT (region_code) DO UPDATE SET volunteers = EXCLUDED.volunteers, set_at = now();`);
}
function psql(sql) {
  if (!PSQL) throw new Error('STVS_TEST_PSQL is not set');
  const [cmd, ...args] = PSQL.split(/\s+/).filter(Boolean);
  execFileSync(cmd, [...args, '-c', sql], { stdio: ['ignore', 'ignore', 'inherit'] });
}
function grantPlatformAdmin(phone, region) {
  psql(`WITH u AS (INSERT INTO auth.users (phone) VALUES ('${phone}')
      ON CONFLICT (phone) DO UPDATE SET phone = EXCLUDED.phone RETURNING id)
    INSERT INTO auth.platform_admins (user_id, region_code) SELECT id, '${region}' FROM u ON CONFLICT DO NOTHING;`);
}

// ---------------------------------------------------------------- runner

let passed = 0, failed = 0;
const results = [];
async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed += 1;
    console.log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed += 1;
    console.log(`FAIL ${name}\n    ${String(e?.stack || e).split('\n').slice(0, 6).join('\n    ')}`);
  }
  results.push(name);
}
function check(cond, msg) {
  if (!cond) throw new Error(msg);
}
// The persons' tabs share one window: a background tab gets no animation frames,
// and Element Plus waits for them. The tab being driven comes to the front first.
async function front(page) {
  await page.bringToFront();
  return page;
}
async function shot(page, name) {
  await page.waitForLoadState('networkidle').catch(() => {});
  // let toasts (报名成功, 已保存: role alert) fade before the picture
  await page.waitForFunction(() => !document.querySelector('[role="alert"]'), null, { timeout: 5000 }).catch(() => {});
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// ---------------------------------------------------------------- page helpers

const TRACE = Boolean(process.env.STVS_E2E_TRACE);
let lastLap = Date.now();
function trace(what) {
  if (!TRACE) return;
  const now = Date.now();
  console.log(`    ${((now - lastLap) / 1000).toFixed(1)} s  ${what}`);
  lastLap = now;
}

const url = (p) => new URL(p.replace(/^\//, ''), BASE).toString();

// An Element Plus select: open it by its label (from the keyboard: its input may be
// hidden until it has focus), pick the option by its text.
async function openSelect(page, label) {
  const box = page.getByLabel(label, { exact: true });
  await box.focus();
  await box.press('ArrowDown');
}
async function choose(page, label, option) {
  await openSelect(page, label);
  await page.getByRole('option', { name: option, exact: true }).click();
  trace(`${label}: ${option}`);
}
async function chooseMany(page, label, options) {
  await openSelect(page, label);
  for (const o of options) await page.getByRole('option', { name: o, exact: true }).click();
  await page.keyboard.press('Escape');
  trace(`${label}: ${options}`);
}
// The region cascader: 省 → 市 → 县 by their names.
async function chooseRegion(page, label, names) {
  await page.getByLabel(label, { exact: true }).click();
  for (const n of names) {
    await page.getByRole('menuitem', { name: n }).click();
  }
  trace(`${label}: ${names}`);
}
// The top menu's items (主菜单).
async function topMenus(page) {
  const items = page.getByRole('menubar', { name: '主菜单' }).getByRole('menuitem');
  await items.first().waitFor();
  return (await items.allInnerTexts()).map((t) => t.trim());
}
async function checkMenus(page, shown, hidden, who) {
  // after a reload the menu is drawn before /auth/me answers: the items it
  // must show appear only once it has, and only then is the rest final
  const bar = page.getByRole('menubar', { name: '主菜单' });
  for (const m of shown) {
    await bar.getByRole('menuitem', { name: m, exact: true }).first().waitFor().catch(() => {});
  }
  const menus = await topMenus(page);
  for (const m of shown) check(menus.includes(m), `${who}: no ${m} in ${menus}`);
  for (const m of hidden) check(!menus.includes(m), `${who}: ${m} shown (${menus})`);
}

// Login with 手机号, 发送验证码, 验证码, 下一步.
async function login(page, phone, query = '') {
  await page.goto(url(`/login${query}`));
  await page.getByLabel('手机号').fill(phone);
  const seen = outboxCodes(phone).length;
  await page.getByRole('button', { name: '发送验证码' }).click();
  await page.getByRole('button', { name: /秒后重新发送/ }).waitFor();
  await page.getByLabel('验证码').fill(await waitForCode(phone, seen));
  await page.getByRole('button', { name: '下一步' }).click();
  // logged in once the client has left 登录 (for 志愿者注册 or the page asked for)
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}
async function fillVolunteerForm(page, v) {
  await page.getByLabel('姓名', { exact: true }).fill(v.name);
  await page.getByLabel('身份证号').fill(v.idNumber);
  trace('name, id');
  await choose(page, '政治面貌', '群众');
  await page.getByLabel('工作单位').fill('新乡市科学技术协会');
  await choose(page, '职称', '中级');
  await choose(page, '最高学历', '本科');
  await choose(page, '从业类别', '事业单位');
  await chooseRegion(page, '所在区域', ['河南省', '新乡市', '红旗区']);
  await chooseMany(page, '服务类别', ['科技培训', '科普报告']);
  await chooseMany(page, '服务领域或行业', ['农技服务类']);
}
async function registerVolunteer(page, v) {
  await page.getByRole('heading', { name: '志愿者注册' }).waitFor();
  await fillVolunteerForm(page, v);
  await page.getByRole('button', { name: '下一步' }).click();
  await page.getByText('注册成功').first().waitFor();
}
async function fillActivity(page, a) {
  await page.getByLabel('活动名称').fill(a.title);
  await choose(page, '服务类别', '科普报告');
  await chooseRegion(page, '活动区域', ['河南省', '新乡市', '红旗区']);
  await page.getByLabel('活动地址').fill('新乡市红旗区科技馆');
  for (const [label, value] of [['活动开始时间', a.starts], ['活动结束时间', a.ends],
    ['报名开始时间', a.signupStarts], ['报名截止时间', a.signupEnds]]) {
    const input = page.getByLabel(label);
    await input.click();
    await input.fill(value);
    await input.press('Enter');
  }
  await page.keyboard.press('Escape');
  await page.getByLabel('联系人').fill('李老师');
  await page.getByLabel('联系电话').fill('13700000000');
  await page.getByLabel('活动简介').fill(`${a.title}：面向社区居民的科普报告。`);
}

// ---------------------------------------------------------------- the tests

const state = {
  admin: { phone: newPhone(), name: `管理${newName()}`, idNumber: newIdNumber() },
  vol: { phone: newPhone(), name: `志愿${newName()}`, idNumber: newIdNumber() },
  platform: { phone: newPhone() },
  orgName: `红旗区科技志愿服务队${RUN}${newName(3)}`,
  orgId: null,
  upcoming: `青少年科普报告会${RUN}`,
  started: `社区科技讲座${RUN}`,
};

// Chromium names a download in the locale's character set: under the C locale (an
// `env -i` start, as a CI runner may do) 报名名单.xlsx is saved as "download".
const LOCALE = /utf-?8/i.test(process.env.LC_ALL || process.env.LC_CTYPE || process.env.LANG || '')
  ? {} : { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'stvs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: BROWSER,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    env: { ...process.env, ...LOCALE },
  });
  context.setDefaultTimeout(TIMEOUT);
  // Sessions live in sessionStorage, one per tab: one tab per person.
  const adminPage = await context.newPage();
  const volPage = await context.newPage();
  const platformPage = await context.newPage();
  const pageErrors = [];
  for (const p of [adminPage, volPage, platformPage]) p.on('pageerror', (e) => pageErrors.push(String(e)));

  try {
    await test('首页 loads with the menu, 报名中 activities and 友情链接', async () => {
      const p = await front(volPage);
      await p.goto(BASE);
      for (const name of ['首页', '活动报名', '组织']) await p.getByRole('menuitem', { name, exact: true }).waitFor();
      await p.getByRole('heading', { name: '报名中的活动' }).waitFor();
      for (const c of ['注册志愿者', '志愿服务组织', '志愿服务活动', '服务时长']) {
        await p.getByRole('region', { name: '平台数据' }).getByText(c, { exact: true }).waitFor();
      }
      for (const l of ['政策文件', '中国科协官网', '志愿服务联合会', '中国科协绿平台']) {
        check(await p.getByRole('link', { name: l }).count() > 0, `友情链接 ${l} missing`);
      }
      await shot(p, '01-home');
    });

    await test('an unknown client route still loads the client (SPA fallback) and says so', async () => {
      await front(volPage);
      await volPage.goto(url('/no/such/page'));
      await volPage.getByText('页面不存在').waitFor();
    });

    await test('登录: a wrong 验证码 is shown next to the field', async () => {
      const p = await front(adminPage);
      await p.goto(url('/login?next=org'));
      await p.getByLabel('手机号').fill(state.admin.phone);
      const seen = outboxCodes(state.admin.phone).length;
      await p.getByRole('button', { name: '发送验证码' }).click();
      await p.getByRole('button', { name: /秒后重新发送/ }).waitFor();
      const code = await waitForCode(state.admin.phone, seen);
      await p.getByLabel('验证码').fill(String((Number(code[0]) + 1) % 10) + code.slice(1));
      await p.getByRole('button', { name: '下一步' }).click();
      await p.getByText('验证码错误或已失效').first().waitFor();
      await shot(p, '00-login');
      state.adminCode = code;
    });

    await test('org admin: 发送验证码 shows the resend countdown, 下一步 leads to the volunteer form', async () => {
      const p = await front(adminPage);
      if (state.adminCode) { // the code of the previous test is still good (one wrong try of five)
        await p.getByLabel('验证码').fill(state.adminCode);
        await p.getByRole('button', { name: '下一步' }).click();
      } else {
        await login(p, state.admin.phone, '?next=org');
      }
      await p.getByRole('heading', { name: '志愿者注册' }).waitFor();
    });

    await test('volunteer form: a wrong ID check digit is caught in the browser', async () => {
      const p = await front(adminPage);
      const good = state.admin.idNumber;
      await fillVolunteerForm(p, { ...state.admin, idNumber: good.slice(0, 17) + (good[17] === '1' ? '2' : '1') });
      await shot(p, '03-volunteer-register');
      await p.getByRole('button', { name: '下一步' }).click();
      await p.getByText('身份证号校验位不正确，请核对').waitFor();
      await p.getByLabel('身份证号').fill(good);
      await p.getByRole('button', { name: '下一步' }).click();
      await p.getByText('注册成功').first().waitFor();
    });

    await test('org admin: 注册组织 (pending, 组织编号 shown)', async () => {
      const p = await front(adminPage);
      await p.getByRole('heading', { name: '注册组织' }).waitFor();
      await p.getByLabel('组织名称').fill(state.orgName);
      await choose(p, '主管单位类型', '地方科协');
      await p.getByLabel('主管单位', { exact: true }).fill('新乡市红旗区科协');
      const founded = p.getByLabel('成立日期');
      await founded.fill('2019-08-08');
      await founded.press('Enter');
      await chooseMany(p, '服务类别', ['科普报告', '科技培训']);
      await chooseRegion(p, '所在区域', ['河南省', '新乡市', '红旗区']);
      await p.getByLabel('组织负责人姓名').fill('王队长');
      await shot(p, '04-org-register');
      await p.getByRole('button', { name: '下一步' }).click();
      const box = p.getByRole('dialog', { name: /注册成功/ });
      const text = await box.innerText();
      const m = /组织编号：(\d+)/.exec(text);
      check(m, `no 组织编号 in ${text}`);
      state.orgId = m[1];
      await box.getByRole('button', { name: '查看组织信息' }).click();
      await p.getByText('组织正在审核中').waitFor();
      await p.getByText('待审核').first().waitFor();
    });

    await test('platform admin: 科协管理 · 组织审核 approves the org from the 待审核 list', async () => {
      check(state.orgId, 'no org registered');
      grantPlatformAdmin(state.platform.phone, '410000');
      const p = await front(platformPage);
      await login(p, state.platform.phone);
      // a platform admin need not be a volunteer: straight to 科协管理, no volunteer form
      await p.waitForURL((u) => u.pathname === '/admin/approvals');
      await p.goto(url('/'));
      await p.getByRole('menuitem', { name: '科协管理' }).click();
      // the queue holds every pending org in scope (the API tests' too): narrow it by name
      await p.getByLabel('组织名称').fill(state.orgName);
      await p.getByRole('button', { name: '搜索' }).click();
      const row = p.locator('.el-table__row', { hasText: state.orgName });
      await row.waitFor();
      check((await row.innerText()).includes(state.orgId), 'the row shows the 组织编号');
      await shot(p, '05-approvals');
      await row.getByRole('button', { name: '通过', exact: true }).click();
      await p.getByRole('dialog').getByRole('button', { name: '通过' }).click();
      await p.getByText('已通过').first().waitFor();
      await p.getByText('没有待审核的组织').waitFor(); // it left the queue
      // the lookup by 组织编号 still finds it, approved
      await p.getByLabel('组织编号').fill(state.orgId);
      await p.getByRole('button', { name: '查询' }).click();
      await p.locator('.decision', { hasText: state.orgName }).getByText('已通过').waitFor();
    });

    await test('menus follow /auth/me: 科协 staff who are not volunteers see no 志愿者中心; an org admin no 科协管理', async () => {
      const p = await front(platformPage);
      await checkMenus(p, ['首页', '活动报名', '组织', '科协管理'], ['志愿者中心', '组织管理', '注册组织'], 'platform admin');
      await p.getByRole('menuitem', { name: '数据统计' }).waitFor();
      await p.goto(url('/activities'));
      await checkMenus(p, ['科协管理'], ['志愿者中心', '组织管理', '注册组织'], 'platform admin on 活动报名');
      const a = await front(adminPage);
      await a.goto(url('/org/info'));
      await a.getByRole('menuitem', { name: '组织信息' }).waitFor();
      await checkMenus(a, ['志愿者中心', '组织管理'], ['科协管理', '注册组织'], 'org admin');
    });

    await test('org admin: 批量导入 downloads the template, uploads a CSV roster, sees the report and commits', async () => {
      const p = await front(adminPage);
      await p.goto(url('/org/info'));
      await p.getByRole('menuitem', { name: '批量导入' }).click();
      await p.getByRole('heading', { name: '批量导入' }).waitFor();
      const tpl = await download(p, p.getByRole('link', { name: /下载模板/ }));
      check(tpl.name.endsWith('.xlsx') && tpl.size > 1000, `template download: ${JSON.stringify(tpl)}`);
      const good = { name: `导入${newName()}`, phone: newPhone(), idNumber: newIdNumber() };
      const badId = newIdNumber();
      const bad = { name: `错误${newName()}`, phone: newPhone(), idNumber: badId.slice(0, 17) + (badId[17] === '1' ? '2' : '1') };
      const [chooser] = await Promise.all([p.waitForEvent('filechooser'),
        p.getByRole('button', { name: '上传名单' }).click()]);
      await chooser.setFiles({ name: `名单${RUN}.csv`, mimeType: 'text/csv', buffer: rosterCsv([good, bad]) });
      const result = p.getByRole('region', { name: '导入结果' });
      await result.getByText('待确认导入').waitFor();
      await result.getByText('已处理 2 / 2 行').waitFor();
      await result.getByRole('tab', { name: '新增（1）' }).waitFor();
      await result.getByRole('cell', { name: new RegExp(`^${good.name[0]}\\*`) }).first().waitFor();
      await result.getByRole('tab', { name: '有错误（1）' }).click();
      await result.getByText(/E列「身份证号」/).waitFor();
      await shot(p, '15-import-report');
      const errs = await download(p, result.getByRole('button', { name: '下载错误表' }));
      check(errs.name.endsWith('.xlsx') && errs.size > 500, `error workbook download: ${JSON.stringify(errs)}`);
      await result.getByRole('button', { name: '确认导入' }).click();
      await p.getByRole('dialog').getByText('将写入新增 1 条').waitFor();
      await p.getByRole('dialog').getByRole('button', { name: '确认导入' }).click();
      await result.getByText('已导入').waitFor();
      await p.getByRole('cell', { name: `名单${RUN}.csv` }).waitFor(); // 导入记录
      await p.getByRole('menuitem', { name: '查看全部志愿者' }).click();
      await p.getByRole('cell', { name: good.name }).waitFor();
    });

    await test('org admin: 活动发布 with 确认发布 (one 报名中, one already started)', async () => {
      const p = await front(adminPage);
      await p.goto(url('/org/info'));
      await p.getByText('已通过').first().waitFor();
      await shot(p, '06-org-info');
      for (const a of [
        { title: state.upcoming, starts: beijing(48), ends: beijing(51), signupStarts: beijing(-1), signupEnds: beijing(24) },
        { title: state.started, starts: beijing(-1), ends: beijing(30), signupStarts: beijing(-2), signupEnds: beijing(24) },
      ]) {
        await p.getByRole('menuitem', { name: '活动发布' }).click();
        await fillActivity(p, a);
        if (a.title === state.upcoming) await shot(p, '07-activity-publish');
        await p.getByRole('button', { name: '确认发布' }).click();
        await p.getByRole('heading', { name: a.title }).waitFor();
      }
      await p.getByRole('menuitem', { name: '我发布的活动' }).click();
      await p.getByRole('link', { name: state.upcoming }).waitFor();
      await p.getByRole('link', { name: state.started }).waitFor();
    });

    await test('volunteer registers: phone, 发送验证码, 下一步, the form', async () => {
      await login(await front(volPage), state.vol.phone);
      await registerVolunteer(volPage, state.vol);
      await volPage.getByRole('heading', { name: '志愿者信息' }).waitFor();
      await volPage.getByText(state.vol.name).first().waitFor();
      await shot(volPage, '08-volunteer-info');
    });

    await test('menus: a volunteer who administers nothing sees 志愿者中心 and 注册组织, no admin menu, and no 科协管理 page', async () => {
      const p = await front(volPage);
      await checkMenus(p, ['志愿者中心', '注册组织'], ['组织管理', '科协管理'], 'volunteer');
      await p.goto(url('/admin/stats'));
      await p.waitForURL((u) => u.pathname === '/');
      await p.getByRole('heading', { name: '报名中的活动' }).waitFor();
      await checkMenus(p, ['志愿者中心'], ['科协管理'], 'volunteer after /admin');
    });

    await test('volunteer finds the activity by region and status in 活动报名 and 立即报名', async () => {
      const p = await front(volPage);
      await p.getByRole('menuitem', { name: '活动报名' }).click();
      await p.getByRole('tab', { name: '报名中' }).waitFor();
      await chooseRegion(p, '活动区域', ['河南省', '新乡市', '红旗区']);
      await p.keyboard.press('Escape');
      await p.getByLabel('活动名称').fill(RUN);
      await p.getByRole('button', { name: '查询' }).click();
      await p.getByRole('link', { name: state.upcoming }).waitFor();
      check(await p.getByRole('link', { name: state.started }).count() === 0, 'a 进行中 activity listed under 报名中');
      await shot(p, '02-activities');
      await p.getByRole('tab', { name: '进行中' }).click();
      await p.getByRole('link', { name: state.started }).waitFor();
      await p.getByRole('tab', { name: '报名中' }).click();
      await p.getByRole('link', { name: state.upcoming }).click();
      await p.getByRole('button', { name: '立即报名' }).click();
      await p.getByText('报名成功').waitFor();
      await p.getByRole('button', { name: '已报名' }).waitFor();
      await shot(p, '09-activity-detail');
    });

    await test('volunteer signs up for the started activity too (its sign-up is still open)', async () => {
      const p = await front(volPage);
      await p.goto(url('/activities?status=ongoing'));
      await p.getByRole('link', { name: state.started }).click();
      await p.getByRole('button', { name: '立即报名' }).click();
      await p.getByText('报名成功').waitFor();
    });

    await test('我参加的活动: 全部, 待参加, 已结束 and the title search', async () => {
      const p = await front(volPage);
      await p.getByRole('menuitem', { name: '志愿者中心' }).click();
      await p.getByRole('menuitem', { name: '我参加的活动' }).click();
      await p.getByRole('link', { name: state.upcoming }).waitFor();
      await p.getByRole('link', { name: state.started }).waitFor();
      await shot(p, '10-my-activities');
      await p.getByText('待参加', { exact: true }).click();
      await p.getByRole('link', { name: state.upcoming }).waitFor();
      await p.getByText('已结束', { exact: true }).click();
      await p.getByText('还没有报名活动').waitFor();
      await p.getByText('全部', { exact: true }).click();
      await p.getByLabel('活动名称').fill('社区科技讲座');
      await p.getByRole('button', { name: '查询' }).click();
      await p.getByRole('link', { name: state.upcoming }).waitFor({ state: 'detached' });
      await p.getByRole('link', { name: state.started }).waitFor();
    });

    await test('org admin: 我发布的活动 roster and 服务时长 entry', async () => {
      const p = await front(adminPage);
      await p.getByRole('menuitem', { name: '我发布的活动' }).click();
      await p.getByRole('link', { name: state.started }).click();
      await p.getByRole('tab', { name: '报名名单' }).waitFor();
      await p.getByRole('cell', { name: state.vol.name }).waitFor();
      await p.getByLabel(`${state.vol.name}的服务时长`).fill('2.5');
      await shot(p, '11-roster-hours');
      await p.getByRole('button', { name: '保存服务时长' }).click();
      await p.getByText('已记录 1 人的服务时长').waitFor();
      await p.getByRole('cell', { name: '2.5 小时' }).waitFor();
    });

    await test('org admin: 导出报名名单 downloads the sign-up roster as a workbook with 附件2\'s headers and the hours', async () => {
      const p = await front(adminPage);
      const dl = await download(p, p.getByRole('button', { name: '导出报名名单' }));
      check(dl.name.endsWith('.xlsx'), `file name ${dl.name}`);
      const rows = sheet(dl);
      checkHeaders(rows[1], [...ANNEX2_HEADERS, '报名时间', '服务时长'], 'signups.xlsx');
      const vol = rowWith(rows, state.vol.name);
      check(vol, `no row for ${state.vol.name} in ${JSON.stringify(rows)}`);
      check(/^2\.50?$/.test(vol[vol.length - 1]), `服务时长 cell: ${JSON.stringify(vol)}`);
      check(vol.includes(state.vol.phone), 'the organizer sees the phone in full');
    });

    await test('org admin: 活动宣传 published on the activity page', async () => {
      const p = await front(adminPage);
      await p.getByRole('tab', { name: '活动宣传' }).click();
      await p.getByLabel('活动总结').fill('讲座顺利举行，社区居民踊跃参加。');
      await p.getByRole('button', { name: '发布活动宣传' }).click();
      await p.getByText('活动宣传已发布').waitFor();
      await front(volPage);
      await volPage.goto(url('/activities?status=ongoing'));
      await volPage.getByRole('link', { name: state.started }).click();
      await volPage.getByText('讲座顺利举行').waitFor();
    });

    await test('volunteer: 服务记录 shows the hours and the total', async () => {
      const p = await front(volPage);
      await p.goto(url('/me/records'));
      await p.getByText('服务时长合计：2.5 小时').waitFor();
      await p.getByRole('link', { name: state.started }).waitFor();
      await shot(p, '12-service-records');
    });

    await test('volunteer: 下载服务记录 is a workbook of the records with the 合计 row', async () => {
      const p = await front(volPage);
      const dl = await download(p, p.getByRole('button', { name: '下载服务记录' }));
      check(dl.name.endsWith('.xlsx'), `file name ${dl.name}`);
      const rows = sheet(dl);
      checkHeaders(rows[0], ['活动', '组织', '日期', '服务时长'], 'service-records.xlsx');
      const row = rowWith(rows, state.started);
      check(row && row[1] === state.orgName && /^2\.50?$/.test(row[3]), `record row: ${JSON.stringify(rows)}`);
      const total = rows[rows.length - 1];
      check(total[0] === '合计' && /^2\.50?$/.test(total[3]), `合计 row: ${JSON.stringify(total)}`);
    });

    await test('volunteer: 我的组织 apply; org admin approves in 查看全部志愿者', async () => {
      const p = await front(volPage);
      await p.goto(url('/me/orgs'));
      await p.getByLabel('查找组织').fill(state.orgName);
      await p.getByRole('button', { name: '查找' }).click();
      await p.getByRole('button', { name: '申请加入' }).click();
      await p.getByText('已提交申请').waitFor();
      await p.getByRole('cell', { name: '待审核' }).waitFor();
      const a = await front(adminPage);
      await a.getByRole('menuitem', { name: '组织信息' }).click();
      await a.getByRole('button', { name: '查看全部志愿者' }).click();
      await a.getByRole('tab', { name: '待审核' }).click();
      await a.getByRole('cell', { name: state.vol.name }).waitFor();
      await a.getByRole('button', { name: '通过' }).click();
      await a.getByText('已通过').waitFor();
      await a.getByRole('tab', { name: '已加入' }).click();
      await a.getByRole('cell', { name: state.vol.name }).waitFor();
      await shot(a, '13-org-members');
    });

    await test('org admin: 导出名单 is disabled while the roster downloads, then saves the 已加入 roster', async () => {
      const a = await front(adminPage);
      let release;
      const gate = new Promise((r) => { release = r; });
      await a.route('**/api/v1/orgs/*/members.xlsx*', async (route) => { await gate; await route.continue(); }, { times: 1 });
      const pending = a.waitForEvent('download');
      await a.getByRole('button', { name: '导出名单' }).click();
      const busy = a.getByRole('button', { name: /正在导出/ });
      await busy.waitFor();
      check(await busy.isDisabled(), 'the button is not disabled while downloading');
      release();
      const dl = await saved(await pending);
      check(/\.xlsx$/.test(dl.name), `file name ${dl.name}`);
      const rows = sheet(dl);
      check(rows[0][0] && rows[0][0].includes('科技志愿者'), `title row: ${JSON.stringify(rows[0])}`);
      checkHeaders(rows[1], [...ANNEX2_HEADERS, '状态', '加入时间'], 'members.xlsx');
      const vol = rowWith(rows, state.vol.name);
      check(vol && vol.includes('已加入'), `no 已加入 row for ${state.vol.name}: ${JSON.stringify(rows)}`);
      check(!rows.some((r) => r.includes('待审核')), 'the 已加入 tab exported a pending application');
      await a.getByRole('button', { name: '导出名单' }).waitFor();
    });

    await test('org admin: a refused export says why next to 导出名单', async () => {
      const a = await front(adminPage);
      await a.route('**/api/v1/orgs/*/members.xlsx*', (route) => route.fulfill({
        status: 422,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Too many rows', status: 422, code: 'too_many_rows',
          detail: 'the roster has more than 50000 rows: narrow it with status or q' }),
      }), { times: 1 });
      await a.getByRole('button', { name: '导出名单' }).click();
      // said in the page next to the button (and in a passing message)
      await a.getByRole('main').getByText('导出失败：超过 50000 行，请先按状态或姓名筛选后再导出', { exact: true }).waitFor();
      check(await a.getByRole('button', { name: '导出名单' }).isEnabled(), 'the button stays disabled after the failure');
    });

    await test('志愿者信息: 编辑信息 saves a change', async () => {
      const p = await front(volPage);
      await p.goto(url('/me/info'));
      await p.getByRole('button', { name: '编辑信息' }).click();
      const dlg = p.getByRole('dialog', { name: '编辑信息' });
      await dlg.getByLabel('可服务时间').fill('周末、节假日');
      await dlg.getByRole('button', { name: '保存' }).click();
      await p.getByText('已保存').waitFor();
      await p.getByText('周末、节假日').waitFor();
    });

    await test('platform admin: 数据统计 shows the overview, the regions chart and the monthly report', async () => {
      const p = await front(platformPage);
      await p.goto(url('/'));
      await p.getByRole('menuitem', { name: '科协管理' }).click();
      await p.getByRole('menuitem', { name: '数据统计' }).click();
      const cards = p.getByRole('region', { name: '总览' });
      for (const c of ['注册志愿者', '志愿服务组织', '志愿服务活动', '报名人次', '服务时长（小时）']) {
        await cards.getByText(c, { exact: true }).waitFor();
      }
      const chart = p.getByRole('img', { name: '各地区志愿者人数与目标' });
      await chart.waitFor();
      check(await chart.locator('canvas').count() > 0, 'no chart drawn');
      await p.getByRole('cell', { name: '新乡市', exact: true }).first().waitFor();
      await p.getByRole('img', { name: '近12个月趋势' }).waitFor();
      await p.getByText('本季度未开展活动的队伍').waitFor();
      await shot(p, '16-stats');
      const report = await download(p, p.getByRole('button', { name: '下载月报' }));
      check(report.name.endsWith('.xlsx') && report.size > 500, `monthly report download: ${JSON.stringify(report)}`);
      await p.getByRole('menuitem', { name: '批量导入' }).click();
      await p.getByRole('link', { name: /下载模板（附件1/ }).waitFor();
      await shot(p, '17-admin-imports');
    });

    await test('platform admin: 设置目标 checks the number, shows the API\'s field error, catches a concurrent change and saves', async () => {
      const p = await front(platformPage);
      await p.goto(url('/admin/stats'));
      const xinxiang = () => p.getByRole('row').filter({ has: p.getByRole('cell', { name: '新乡市', exact: true }) }).first();
      await xinxiang().waitFor();
      await p.getByRole('button', { name: '设置新乡市的目标' }).click();
      const dlg = p.getByRole('dialog', { name: /设置志愿者目标 · 新乡市/ });
      await dlg.getByText(/当前目标：/).waitFor();
      const field = dlg.getByLabel('志愿者目标（人）');
      // the client's own check, as the API's field rule (an integer from 1 to 1e9)
      await field.fill('0');
      await dlg.getByRole('button', { name: '保存' }).click();
      await dlg.getByText('须为 1 至 1000000000 之间的整数').waitFor();
      await field.fill('12.5');
      await dlg.getByRole('button', { name: '保存' }).click();
      await dlg.getByText('请输入整数人数').waitFor();
      await shot(p, '18-stats-target');
      // an error the API names is shown next to its field (the answer as the stats service words it)
      await p.route('**/api/v1/stats/targets/*', (route) => (route.request().method() !== 'PUT' ? route.continue() : route.fulfill({
        status: 422, contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Validation failed', status: 422, code: 'validation_failed',
          detail: '1 field is invalid', errors: [{ field: 'volunteers', code: 'out_of_range', message: 'must be an integer from 1 to 1000000000' }] }),
      })), { times: 2 });
      await field.fill('15000');
      await dlg.getByRole('button', { name: '保存' }).click();
      await dlg.getByText('超出允许范围').waitFor();
      await p.unroute('**/api/v1/stats/targets/*');
      // someone else sets the target while the dialog is open: nothing is written, the new one is shown
      const theirs = 20000 + Number(RUN);
      setTargetInDb('410700', theirs, state.platform.phone);
      await dlg.getByRole('button', { name: '保存' }).click();
      await dlg.getByText('该地区的目标刚被他人修改，已重新载入最新目标；请核对后再保存。').waitFor();
      await dlg.getByText(`当前目标：${theirs.toLocaleString('zh-CN')} 人`).waitFor();
      // a 412 answer (a stale version) is handled the same way (in a dialog opened afresh)
      await dlg.getByRole('button', { name: '取消' }).click();
      await dlg.waitFor({ state: 'hidden' });
      await p.getByRole('button', { name: '设置新乡市的目标' }).click();
      await dlg.getByText(`当前目标：${theirs.toLocaleString('zh-CN')} 人`).waitFor();
      check(await dlg.getByText('该地区的目标刚被他人修改').count() === 0, 'the warning outlived the dialog');
      await field.fill('15000');
      let sentIfMatch = null; // the save sends the ETag its GET answered
      await p.route('**/api/v1/stats/targets/*', (route) => {
        if (route.request().method() !== 'PUT') return route.continue();
        sentIfMatch = route.request().headers()['if-match'];
        return route.fulfill({
          status: 412, contentType: 'application/problem+json',
          body: JSON.stringify({ type: 'about:blank', title: 'Precondition failed', status: 412, code: 'precondition_failed',
            detail: 'the target has changed' }),
        });
      }, { times: 2 });
      await dlg.getByRole('button', { name: '保存' }).click();
      await dlg.getByText('该地区的目标刚被他人修改，已重新载入最新目标；请核对后再保存。').waitFor();
      check(/^"[1-9][0-9]*"$/.test(sentIfMatch ?? ''), `the PUT's If-Match: ${sentIfMatch}`);
      await p.unroute('**/api/v1/stats/targets/*');
      // saved on purpose now; the table shows it, and so does a reload
      await dlg.getByRole('button', { name: '保存' }).click();
      await p.getByText('目标已保存').waitFor();
      await dlg.waitFor({ state: 'hidden' });
      await xinxiang().getByText('15,000', { exact: true }).waitFor();
      await p.reload();
      await xinxiang().getByText('15,000', { exact: true }).waitFor();
    });

    await test('长者模式 enlarges the type and is kept after a reload', async () => {
      const p = await front(volPage);
      const size = () => p.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      const before = await size();
      check(await p.getByRole('switch', { name: '长者模式' }).getAttribute('aria-checked') === 'false', 'already on');
      await p.getByText('长者模式', { exact: true }).click();
      check((await size()) > before, 'font did not grow');
      await p.reload();
      await p.getByRole('heading', { name: '志愿者信息' }).waitFor();
      check((await size()) > before, '长者模式 not kept after reload');
      check(await p.getByRole('switch', { name: '长者模式' }).getAttribute('aria-checked') === 'true', 'switch not on');
      await shot(p, '14-elder-mode');
      await p.getByText('长者模式', { exact: true }).click();
    });

    await test('a reload keeps the session (refresh token) and 退出 ends it', async () => {
      const p = await front(volPage);
      await p.goto(url('/me/activities'));
      await p.getByRole('link', { name: state.upcoming }).waitFor();
      await p.getByRole('button', { name: '退出' }).click();
      await p.getByRole('button', { name: '登录/注册' }).waitFor();
      await p.goto(url('/me/info'));
      await p.getByRole('button', { name: '发送验证码' }).waitFor();
    });

    await test('no script errors on any page', async () => {
      check(pageErrors.length === 0, pageErrors.join('\n'));
    });
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  failed += 1;
  console.log(`FAIL browser tests could not run: ${e?.stack || e}`);
}).finally(() => {
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
});
