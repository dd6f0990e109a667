// RFC 9457 problem+json answers turned into what the forms show: one message per field.
const FIELD_CODE_MESSAGES = {
  required: '必填',
  blank: '不能只填空白字符',
  too_long: '内容过长',
  too_short: '内容过短',
  invalid_format: '格式不正确',
  invalid_choice: '不在可选范围内',
  invalid_type: '类型不正确',
  out_of_range: '超出允许范围',
  checksum: '身份证号校验位不正确',
  birth_date: '身份证号中的出生日期不正确',
  under_18: '年满18周岁方可注册',
  already_exists: '已存在',
  immutable: '不可修改',
  not_member: '该手机号不是本组织的志愿者',
  unknown_field: '不支持的字段',
  not_found: '不存在',
};

const CODE_MESSAGES = {
  invalid_code: '验证码错误或已失效',
  too_many_attempts: '验证码错误次数过多，请重新获取',
  rate_limited: '操作过于频繁，请稍后再试',
  volunteer_required: '请先注册成为志愿者',
  already_exists: '已存在，不能重复提交',
  already_signed_up: '您已报名该活动',
  activity_full: '活动名额已满',
  signup_closed: '不在报名时间内',
  org_not_approved: '组织尚未通过审核',
  forbidden: '没有权限执行该操作',
  not_found: '内容不存在或无权查看',
  conflict: '当前状态不允许该操作',
  claim_required: '请先确认身份',
  approval_required: '该项修改须由审核单位办理',
  precondition_failed: '内容已被他人修改，请刷新后重试',
  unavailable: '服务暂不可用，请稍后再试',
  internal: '服务器内部错误',
};

// "service_categories[0]" -> "service_categories"; "leader.phone" stays.
export function fieldKey(field) {
  return String(field ?? '').replace(/\[\d+\]/g, '');
}

// { field: message } for the errors[] of a problem (first message per field wins).
export function fieldErrors(problem) {
  const out = {};
  for (const e of problem?.errors ?? []) {
    const key = fieldKey(e.field);
    if (!key || out[key]) continue;
    out[key] = FIELD_CODE_MESSAGES[e.code] ?? e.message ?? e.code;
  }
  return out;
}

// One line for a message box.
export function problemMessage(problem, status) {
  if (!problem) return status ? `请求失败（${status}）` : '网络错误，请检查连接';
  if (problem.errors?.length) return '请检查标红的内容';
  return CODE_MESSAGES[problem.code] ?? problem.detail ?? problem.title ?? `请求失败（${status}）`;
}

// The line a failed download shows: the roster-size limit in words, else the
// problem's own message (its Chinese label, or its `detail`).
export function exportMessage(e) {
  if (e?.code === 'too_many_rows') return '导出失败：超过 50000 行，请先按状态或姓名筛选后再导出';
  return `导出失败：${e?.message || '请稍后再试'}`;
}
