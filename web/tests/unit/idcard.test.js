import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIdNumber, idCheckChar, idInfo } from '../../src/lib/idcard.js';

function withCheck(first17) {
  return first17 + idCheckChar(first17);
}

const TODAY = new Date(2026, 11, 6); // 2026-12-06

test('the check character follows GB 11643 (ISO 7064 MOD 11-2)', () => {
  // The standard's own example, and one whose check character is X.
  assert.equal(idCheckChar('11010519491231002'), 'X');
  assert.equal(idCheckChar('44052418800101001'), '4');
});

test('a valid number passes, lower-case x included', () => {
  assert.equal(checkIdNumber('11010519491231002X', TODAY), null);
  assert.equal(checkIdNumber('11010519491231002x', TODAY), null);
  assert.equal(checkIdNumber(` ${withCheck('44052419800101001')} `, TODAY), null);
});

test('a wrong check character is a checksum error', () => {
  assert.equal(checkIdNumber('110105194912310021', TODAY), 'checksum');
  assert.equal(checkIdNumber('440524188001010015', TODAY), 'checksum');
  const good = withCheck('44052419800101001');
  const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
  assert.equal(checkIdNumber(bad, TODAY), 'checksum');
});

test('wrong lengths and characters are format errors; empty is required', () => {
  assert.equal(checkIdNumber('', TODAY), 'required');
  assert.equal(checkIdNumber(null, TODAY), 'required');
  assert.equal(checkIdNumber('11010519491231002', TODAY), 'format');
  assert.equal(checkIdNumber('11010519491231002XX', TODAY), 'format');
  assert.equal(checkIdNumber('1101051949123100X2', TODAY), 'format');
  assert.equal(checkIdNumber('11010519491231００2X', TODAY), 'format');
});

test('birth dates must be real days, not in the future', () => {
  assert.equal(checkIdNumber(withCheck('41070219990229123'), TODAY), 'birth_date'); // 1999 is not a leap year
  assert.equal(checkIdNumber(withCheck('41070220000229123'), TODAY), null); // 2000 is
  assert.equal(checkIdNumber(withCheck('41070219991301123'), TODAY), 'birth_date');
  assert.equal(checkIdNumber(withCheck('41070220300101123'), TODAY), 'birth_date');
  assert.equal(checkIdNumber(withCheck('41070218991231123'), TODAY), 'birth_date'); // before 1900, as the server
});

test('volunteers are 18 or older on the day', () => {
  assert.equal(checkIdNumber(withCheck('41070220081206123'), TODAY), null); // 18 today
  assert.equal(checkIdNumber(withCheck('41070220081207123'), TODAY), 'under_18'); // 18 tomorrow
  assert.equal(checkIdNumber(withCheck('41070220100101123'), TODAY), 'under_18');
});

test('gender and birth date come from the number', () => {
  assert.deepEqual(idInfo('11010519491231002X'), { birthDate: '1949-12-31', gender: 'female' });
  assert.deepEqual(idInfo(withCheck('41070219800101131')), { birthDate: '1980-01-01', gender: 'male' });
});
