// Labels for the statuses the API returns as codes (API.md), and small formatters.
export const ACTIVITY_STATUS = {
  recruiting: '报名中',
  signup_closed: '报名结束',
  ongoing: '进行中',
  ended: '已结束',
  upcoming: '未开始报名',
  cancelled: '已取消',
};
// Element Plus tag types per status.
const ACTIVITY_TAG = {
  recruiting: 'success', signup_closed: 'warning', ongoing: 'primary', ended: 'info',
  upcoming: 'info', cancelled: 'danger',
};
// The tabs of 活动报名, in the manual's order.
export const ACTIVITY_TABS = ['recruiting', 'signup_closed', 'ongoing', 'ended'];

export const ORG_STATUS = { pending: '待审核', approved: '已通过', rejected: '已驳回' };
export const MEMBER_STATUS = { pending: '待审核', active: '已加入', rejected: '未通过' };
export const SIGNUP_STATUS = { confirmed: '已报名', cancelled: '已取消' };
export const GENDER = { male: '男', female: '女' };
// 我参加的活动: 全部 / 待参加 / 已结束 (the API's filter values).
export const MY_ACTIVITY_FILTERS = [
  { value: 'all', label: '全部' },
  { value: 'upcoming', label: '待参加' },
  { value: 'ended', label: '已结束' },
];

export function activityStatusLabel(code) {
  return ACTIVITY_STATUS[code] ?? code ?? '';
}
export function activityStatusTag(code) {
  return ACTIVITY_TAG[code] ?? 'info';
}
export function orgStatusLabel(code) {
  return ORG_STATUS[code] ?? code ?? '';
}
export function memberStatusLabel(code) {
  return MEMBER_STATUS[code] ?? code ?? '';
}

// "河南省 新乡市 红旗区" from a region object of the API.
export function regionText(region) {
  if (!region) return '';
  return [region.province, region.city, region.county].filter(Boolean).join(' ');
}

const pad = (n) => String(n).padStart(2, '0');
// An RFC 3339 time shown as Beijing time "2026-05-30 09:00" whatever the browser's zone.
export function formatTime(value) {
  if (!value) return '';
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) return String(value);
  const b = new Date(t.getTime() + 8 * 3600 * 1000);
  return `${b.getUTCFullYear()}-${pad(b.getUTCMonth() + 1)}-${pad(b.getUTCDate())} ${pad(b.getUTCHours())}:${pad(b.getUTCMinutes())}`;
}
export function formatRange(a, b) {
  const x = formatTime(a), y = formatTime(b);
  if (x.slice(0, 10) === y.slice(0, 10)) return `${x} 至 ${y.slice(11)}`;
  return `${x} 至 ${y}`;
}
// Hours as the API gives them (a number), without trailing zeros.
export function formatHours(h) {
  const n = Number(h ?? 0);
  return `${Math.round(n * 100) / 100} 小时`;
}
