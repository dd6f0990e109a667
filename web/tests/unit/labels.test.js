import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTIVITY_STATUS, ACTIVITY_TABS, activityStatusLabel, activityStatusTag, formatHours, formatRange,
  formatTime, memberStatusLabel, MY_ACTIVITY_FILTERS, orgStatusLabel, regionText,
} from '../../src/lib/labels.js';
import { fieldErrors, fieldKey, problemMessage } from '../../src/lib/problem.js';
import { changedFields, requiredErrors } from '../../src/lib/useSubmit.js';

test('activity statuses carry the manual\'s words', () => {
  assert.equal(activityStatusLabel('recruiting'), '报名中');
  assert.equal(activityStatusLabel('signup_closed'), '报名结束');
  assert.equal(activityStatusLabel('ongoing'), '进行中');
  assert.equal(activityStatusLabel('ended'), '已结束');
  assert.equal(activityStatusLabel('cancelled'), '已取消');
  assert.equal(activityStatusLabel('upcoming'), '未开始报名');
  assert.equal(activityStatusLabel('something_new'), 'something_new');
  assert.deepEqual(ACTIVITY_TABS.map((s) => ACTIVITY_STATUS[s]), ['报名中', '报名结束', '进行中', '已结束']);
  assert.equal(activityStatusTag('recruiting'), 'success');
  assert.equal(activityStatusTag('nope'), 'info');
});

test('我参加的活动 filters are 全部 / 待参加 / 已结束', () => {
  assert.deepEqual(MY_ACTIVITY_FILTERS.map((f) => [f.value, f.label]),
    [['all', '全部'], ['upcoming', '待参加'], ['ended', '已结束']]);
});

test('org and membership statuses', () => {
  assert.equal(orgStatusLabel('pending'), '待审核');
  assert.equal(orgStatusLabel('approved'), '已通过');
  assert.equal(orgStatusLabel('rejected'), '已驳回');
  assert.equal(memberStatusLabel('active'), '已加入');
  assert.equal(memberStatusLabel('pending'), '待审核');
});

test('times are shown in Beijing time whatever the offset they come with', () => {
  assert.equal(formatTime('2026-05-30T09:00:00+08:00'), '2026-05-30 09:00');
  assert.equal(formatTime('2026-05-30T01:00:00Z'), '2026-05-30 09:00');
  assert.equal(formatTime('2026-05-30T20:30:00-04:00'), '2026-05-31 08:30');
  assert.equal(formatTime(''), '');
  assert.equal(formatRange('2026-05-30T09:00:00+08:00', '2026-05-30T11:30:00+08:00'), '2026-05-30 09:00 至 11:30');
  assert.equal(formatRange('2026-05-30T09:00:00+08:00', '2026-05-31T11:30:00+08:00'),
    '2026-05-30 09:00 至 2026-05-31 11:30');
});

test('regions and hours', () => {
  assert.equal(regionText({ code: '410702', province: '河南省', city: '新乡市', county: '红旗区' }), '河南省 新乡市 红旗区');
  assert.equal(regionText({ code: '410000', province: '河南省', city: null, county: null }), '河南省');
  assert.equal(regionText(null), '');
  assert.equal(formatHours(12.5), '12.5 小时');
  assert.equal(formatHours(3), '3 小时');
  assert.equal(formatHours(null), '0 小时');
});

test('problem+json errors[] become one message per form field', () => {
  const problem = {
    code: 'validation_failed', status: 422,
    errors: [
      { field: 'id_number', code: 'checksum', message: 'bad check digit' },
      { field: 'service_categories[1]', code: 'invalid_choice', message: 'x' },
      { field: 'leader.phone', code: 'invalid_format', message: 'y' },
      { field: 'id_number', code: 'required', message: 'second error on the same field' },
      { field: 'employer', code: 'some_new_code', message: 'server words' },
    ],
  };
  assert.deepEqual(fieldErrors(problem), {
    id_number: '身份证号校验位不正确',
    service_categories: '不在可选范围内',
    'leader.phone': '格式不正确',
    employer: 'server words',
  });
  assert.equal(fieldKey('records[3].hours'), 'records.hours');
  assert.equal(problemMessage(problem, 422), '请检查标红的内容');
  assert.equal(problemMessage({ code: 'activity_full' }, 409), '活动名额已满');
  assert.equal(problemMessage({ code: 'x', detail: 'why' }, 409), 'why');
  assert.equal(problemMessage(null, 0), '网络错误，请检查连接');
  assert.deepEqual(fieldErrors(null), {});
});

test('PATCH bodies carry only changed fields; required fields are checked', () => {
  assert.deepEqual(changedFields({ a: 1, b: [1, 2], c: '' }, { a: 1, b: [2, 1], c: null }), { b: [2, 1] });
  assert.deepEqual(requiredErrors({ a: '', b: [], c: 0, d: 'x' }, ['a', 'b', 'c', 'd', 'e']),
    { a: '必填', b: '必填', e: '必填' });
});
