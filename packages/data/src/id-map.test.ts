import { describe, expect, it } from 'vitest';
import { CfError, InvalidArgumentError, UnknownIdError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { IdMap } from './id-map.js';

describe('IdMap', () => {
  it('assigns indices in first-appearance order by default (like pandas.unique)', () => {
    const map = IdMap.fromIds('user', [30, 10, 30, 20, 10]);
    expect(map.size).toBe(3);
    expect(map.kind).toBe('user');
    expect(map.ids()).toEqual([30, 10, 20]);
    expect([30, 10, 20].map((id) => map.indexOf(id))).toEqual([0, 1, 2]);
    expect([0, 1, 2].map((index) => map.idAt(index))).toEqual([30, 10, 20]);
  });

  it('sorted order: numbers ascending (numerically), then strings by code unit', () => {
    const map = IdMap.fromIds('item', ['b', 10, 'a', 9, 'u10', 100, 'u2', -1], { order: 'sorted' });
    expect(map.ids()).toEqual([-1, 9, 10, 100, 'a', 'b', 'u10', 'u2']);
    expect(map.indexOf(100)).toBe(3);
    expect(map.indexOf('u2')).toBe(7);
  });

  it('keeps numbers and strings apart: "1" is not 1', () => {
    const map = IdMap.fromIds('user', [1, '1']);
    expect(map.size).toBe(2);
    expect(map.indexOf(1)).toBe(0);
    expect(map.indexOf('1')).toBe(1);
  });

  it('handles 2**31, large safe integers and long string ids', () => {
    const ids = [
      2 ** 31,
      2 ** 31 - 1,
      Number.MAX_SAFE_INTEGER,
      -(2 ** 31) - 1,
      '18446744073709551615',
    ];
    const map = IdMap.fromIds('item', ids);
    expect(ids.map((id) => map.indexOf(id))).toEqual([0, 1, 2, 3, 4]);
    expect(IdMap.fromIds('item', ids, { order: 'sorted' }).ids()).toEqual([
      -(2 ** 31) - 1,
      2 ** 31 - 1,
      2 ** 31,
      Number.MAX_SAFE_INTEGER,
      '18446744073709551615',
    ]);
  });

  it('unknown ids throw UnknownIdError {kind, id} by default, or give -1 with "missing"', () => {
    const map = IdMap.fromIds('item', [1, 2]);
    const error = expectError(() => map.indexOf(3), UnknownIdError, {
      kind: 'item',
      id: 3,
      code: 'UNKNOWN_ID',
    });
    expect(error).toBeInstanceOf(CfError);
    expect(error.name).toBe('UnknownIdError');
    expect(error.message).toContain('unknown item id 3');
    expectError(() => map.indexOf('2', 'throw'), UnknownIdError, { kind: 'item', id: '2' });
    expect(map.indexOf(3, 'missing')).toBe(-1);
    expect(map.indexOf(2, 'missing')).toBe(1);
    expect(map.has(2)).toBe(true);
    expect(map.has(3)).toBe(false);
  });

  it('idAt outside 0..size-1 throws a RangeError', () => {
    const map = IdMap.fromIds('user', ['a']);
    for (const index of [-1, 1, 0.5]) expect(() => map.idAt(index)).toThrow(RangeError);
  });

  it('round-trips through JSON, big and string ids included', () => {
    const map = IdMap.fromIds('user', [2 ** 31, 'u7', 5, Number.MAX_SAFE_INTEGER]);
    const json = JSON.stringify(map);
    expect(JSON.parse(json)).toEqual({
      kind: 'user',
      ids: [2 ** 31, 'u7', 5, Number.MAX_SAFE_INTEGER],
    });
    const restored = IdMap.fromJSON(JSON.parse(json) as ReturnType<IdMap['toJSON']>);
    expect(restored.kind).toBe('user');
    expect(restored.ids()).toEqual(map.ids());
    expect(restored.indexOf('u7')).toBe(1);
    expect(restored.indexOf(Number.MAX_SAFE_INTEGER)).toBe(3);
  });

  it('does not share state with its inputs or outputs', () => {
    const config = { kind: 'item' as const, ids: [1, 2] };
    const map = IdMap.fromJSON(config);
    config.ids.push(3);
    map.ids().push(4);
    map.toJSON().ids.push(5);
    expect(map.size).toBe(2);
    expect(map.has(3)).toBe(false);
  });

  it('fromJSON rejects repeated ids and entries that are not ids', () => {
    const repeated = expectError(
      () => IdMap.fromJSON({ kind: 'user', ids: [1, 2, 1] }),
      InvalidArgumentError,
      {
        argument: 'user id map',
        code: 'INVALID_ARGUMENT',
      },
    );
    expect(repeated.message).toContain('indices 0 and 2');
    expectError(
      () => IdMap.fromJSON({ kind: 'item', ids: [1, null] as unknown as number[] }),
      InvalidArgumentError,
      { argument: 'item id map' },
    );
  });

  it('an empty map has size 0 and knows no id', () => {
    const map = IdMap.fromIds('user', []);
    expect(map.size).toBe(0);
    expect(map.indexOf(1, 'missing')).toBe(-1);
  });
});
