// Labels and small helpers for 批量导入 (API.md "Bulk registration").
export const IMPORT_STATUS = {
  validating: '校验中',
  validated: '待确认导入',
  committing: '导入中',
  committed: '已导入',
  failed: '失败',
};
const IMPORT_TAG = { validating: 'warning', validated: 'primary', committing: 'warning', committed: 'success', failed: 'danger' };
// The report's tabs, in the API's outcome order.
export const IMPORT_OUTCOMES = [
  { value: 'new', label: '新增' },
  { value: 'link', label: '关联' },
  { value: 'unchanged', label: '无变化' },
  { value: 'invalid', label: '有错误' },
];

export function importStatusLabel(s) {
  return IMPORT_STATUS[s] ?? s ?? '';
}
export function importStatusTag(s) {
  return IMPORT_TAG[s] ?? 'info';
}
// rows_done / rows_total as a whole percentage (0..100); an empty sheet done is 100.
export function importProgress(imp) {
  if (!imp) return 0;
  if (!imp.rows_total) return ['validating', 'committing'].includes(imp.status) ? 0 : 100;
  return Math.max(0, Math.min(100, Math.floor((imp.rows_done / imp.rows_total) * 100)));
}
