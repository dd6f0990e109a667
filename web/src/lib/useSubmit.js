// Shared submit logic of every form: a saving flag, per-field errors (from the
// client's own checks or the server's problem+json errors[]), one message otherwise.
import { reactive, ref } from 'vue';
import { ElMessage } from 'element-plus';

export function useSubmit() {
  const errors = reactive({});
  const saving = ref(false);
  function setErrors(map) {
    for (const k of Object.keys(errors)) delete errors[k];
    Object.assign(errors, map);
  }
  // fn: async () => result. Returns the result, or undefined after an error.
  // byCode: { problem code: field } shows such an error next to that field.
  // handled(e): true when the caller dealt with this error itself (no message).
  async function submit(fn, byCode = {}, handled = () => false) {
    saving.value = true;
    try {
      const result = await fn();
      setErrors({});
      return result;
    } catch (e) {
      if (await handled(e)) return undefined;
      const fields = { ...(e.fields ?? {}) };
      if (e.code && byCode[e.code]) fields[byCode[e.code]] = e.message;
      setErrors(fields);
      ElMessage.error(e.message || '提交失败');
      return undefined;
    } finally {
      saving.value = false;
    }
  }
  return { errors, saving, submit, setErrors };
}

// The fields of `next` that differ from `prev` (for PATCH bodies); '' and null are alike.
export function changedFields(prev, next) {
  const norm = (v) => JSON.stringify(v === '' || v === undefined ? null : v);
  const out = {};
  for (const [k, v] of Object.entries(next)) {
    if (norm(prev?.[k]) !== norm(v)) out[k] = v;
  }
  return out;
}

// The required fields of body that are empty: { field: '必填' }.
export function requiredErrors(body, fields) {
  const out = {};
  for (const f of fields) {
    const v = body[f];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) out[f] = '必填';
  }
  return out;
}
