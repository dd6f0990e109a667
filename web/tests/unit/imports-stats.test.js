import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IMPORT_OUTCOMES, importProgress, importStatusLabel, importStatusTag } from '../../src/lib/imports.js';
import { chinaMonth, chinaQuarter, formatNumber, regionName, sortByVolunteers } from '../../src/lib/stats.js';
import { dispositionName, importContentType, XLSX_TYPE } from '../../src/api.js';

test('批量导入: statuses and the report\'s tabs carry Chinese words', () => {
  assert.equal(importStatusLabel('validating'), '校验中');
  assert.equal(importStatusLabel('validated'), '待确认导入');
  assert.equal(importStatusLabel('committed'), '已导入');
  assert.equal(importStatusLabel('failed'), '失败');
  assert.equal(importStatusTag('failed'), 'danger');
  assert.equal(importStatusTag('unknown'), 'info');
  assert.deepEqual(IMPORT_OUTCOMES.map((o) => o.value), ['new', 'link', 'unchanged', 'invalid']);
  assert.deepEqual(IMPORT_OUTCOMES.map((o) => o.label), ['新增', '关联', '无变化', '有错误']);
});

test('批量导入: progress is rows_done / rows_total, clamped', () => {
  assert.equal(importProgress(null), 0);
  assert.equal(importProgress({ status: 'validating', rows_total: 200, rows_done: 50 }), 25);
  assert.equal(importProgress({ status: 'validating', rows_total: 3, rows_done: 2 }), 66);
  assert.equal(importProgress({ status: 'validating', rows_total: 0, rows_done: 0 }), 0);
  assert.equal(importProgress({ status: 'validated', rows_total: 0, rows_done: 0 }), 100);
  assert.equal(importProgress({ status: 'committing', rows_total: 10, rows_done: 12 }), 100);
});

test('批量导入: the upload\'s Content-Type comes from the file name', () => {
  assert.equal(importContentType('名单.xlsx'), XLSX_TYPE);
  assert.equal(importContentType('名单.XLSX'), XLSX_TYPE);
  assert.equal(importContentType('roster.csv'), 'text/csv');
  assert.equal(importContentType('roster.xls'), null);
  assert.equal(importContentType(''), null);
});

test('downloads are named by Content-Disposition', () => {
  assert.equal(dispositionName('attachment; filename="monthly-report-410000-2026-11.xlsx"'), 'monthly-report-410000-2026-11.xlsx');
  assert.equal(dispositionName("attachment; filename*=UTF-8''%E9%94%99%E8%AF%AF.xlsx"), '错误.xlsx');
  assert.equal(dispositionName('attachment'), null);
  assert.equal(dispositionName(null), null);
});

test('数据统计: region names, sorting by volunteers, months and quarters in China', () => {
  assert.equal(regionName(null), '全国');
  assert.equal(regionName({ code: '410000', province: '河南省', city: null, county: null }), '河南省');
  assert.equal(regionName({ code: '410700', province: '河南省', city: '新乡市', county: null }), '新乡市');
  assert.equal(regionName({ code: '410702', province: '河南省', city: '新乡市', county: '红旗区' }), '红旗区');
  const items = [
    { region: { code: '410100' }, volunteers: 5 },
    { region: { code: '410700' }, volunteers: 9 },
    { region: { code: '410200' }, volunteers: 5 },
  ];
  assert.deepEqual(sortByVolunteers(items).map((i) => i.region.code), ['410700', '410100', '410200']);
  assert.equal(items[0].region.code, '410100', 'the input is not reordered');
  // 2026-12-31 17:00 UTC is 2027-01-01 01:00 in China
  const newYear = new Date(Date.UTC(2026, 11, 31, 17));
  assert.equal(chinaMonth(newYear), '2027-01');
  assert.equal(chinaMonth(newYear, -11), '2026-02');
  assert.equal(chinaMonth(newYear, -1), '2026-12');
  assert.deepEqual(chinaQuarter(newYear), { year: 2027, quarter: 1 });
  assert.deepEqual(chinaQuarter(new Date(Date.UTC(2026, 11, 6))), { year: 2026, quarter: 4 });
  assert.equal(formatNumber(61234.5), '61,234.5');
});
