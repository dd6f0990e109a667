// GB 11643 resident ID numbers: the same rule the volunteer service applies
// (18 characters, ISO 7064 MOD 11-2 check character, a real birth date, 18 or older).
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

// The check character for the first 17 digits.
export function idCheckChar(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i];
  return CHECK[sum % 11];
}

function realDate(y, m, d) {
  const t = new Date(Date.UTC(y, m - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

// null when valid, else one of: 'required', 'format', 'checksum', 'birth_date', 'under_18'.
// today: a Date (default now) the age is measured on.
export function checkIdNumber(value, today = new Date()) {
  const s = String(value ?? '').trim().toUpperCase();
  if (!s) return 'required';
  if (!/^[0-9]{17}[0-9X]$/.test(s)) return 'format';
  if (idCheckChar(s) !== s[17]) return 'checksum';
  const y = Number(s.slice(6, 10)), m = Number(s.slice(10, 12)), d = Number(s.slice(12, 14));
  if (y < 1900 || !realDate(y, m, d)) return 'birth_date';
  const ty = today.getFullYear(), tm = today.getMonth() + 1, td = today.getDate();
  if (y > ty || (y === ty && (m > tm || (m === tm && d > td)))) return 'birth_date';
  const age = ty - y - (tm < m || (tm === m && td < d) ? 1 : 0);
  if (age < 18) return 'under_18';
  return null;
}

export const ID_MESSAGES = {
  required: '请输入身份证号',
  format: '身份证号应为18位，末位可为X',
  checksum: '身份证号校验位不正确，请核对',
  birth_date: '身份证号中的出生日期不正确',
  under_18: '年满18周岁方可注册',
};

// Gender and birth date read from a valid number.
export function idInfo(value) {
  const s = String(value).toUpperCase();
  return {
    birthDate: `${s.slice(6, 10)}-${s.slice(10, 12)}-${s.slice(12, 14)}`,
    gender: Number(s[16]) % 2 === 1 ? 'male' : 'female',
  };
}
