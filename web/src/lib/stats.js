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
