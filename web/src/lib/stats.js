// Small helpers of 数据统计 (API.md "Statistics"): region names, sorting, months.
export function regionName(r) {
  if (!r) return '全国';
  return r.county ?? r.city ?? r.province ?? r.code ?? '';
}
// Items of GET /stats/regions, most volunteers first (ties by code).
export function sortByVolunteers(items) {
  return [...(items ?? [])].sort((a, b) => (b.volunteers - a.volunteers) || String(a.region?.code).localeCompare(String(b.region?.code)));
}
// "YYYY-MM" of a Date in China (Asia/Shanghai, UTC+8, no daylight saving).
export function chinaMonth(date = new Date(), offsetMonths = 0) {
  const t = new Date(date.getTime() + 8 * 3600e3);
  let y = t.getUTCFullYear();
  let m = t.getUTCMonth() + offsetMonths; // 0-based
  y += Math.floor(m / 12);
  m = ((m % 12) + 12) % 12;
  return `${y}-${String(m + 1).padStart(2, '0')}`;
}
// This quarter in China: { year, quarter }.
export function chinaQuarter(date = new Date()) {
  const [y, m] = chinaMonth(date).split('-').map(Number);
  return { year: y, quarter: Math.floor((m - 1) / 3) + 1 };
}
export function formatNumber(n, digits = 1) {
  return Number(n ?? 0).toLocaleString('zh-CN', { maximumFractionDigits: digits });
}

// PUT /stats/targets' field rule, checked before sending: `volunteers` a
// required integer from 1 to 1,000,000,000. { volunteers: message } or {}.
export const TARGET_MAX = 1000000000;
export function targetErrors(text) {
  const s = String(text ?? '').trim();
  if (!s) return { volunteers: '必填' };
  if (!/^[0-9]+$/.test(s)) return { volunteers: '请输入整数人数' };
  const n = Number(s);
  if (n < 1 || n > TARGET_MAX) return { volunteers: '须为 1 至 1000000000 之间的整数' };
  return {};
}
