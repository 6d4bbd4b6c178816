import { expandName, InvalidNameError, normalizeNamespace, parseRemapRule, resolveName } from '../../src/bus';

describe('ROS 2 name expansion (design article examples)', () => {
  it.each([
    ['ping', '/', '/ping'],
    ['ping', '/my_ns', '/my_ns/ping'],
    ['/ping', '/my_ns', '/ping'],
    ['~', '/my_ns', '/my_ns/my_node'],
    ['~/ping', '/', '/my_node/ping'],
    ['~/ping', '/my_ns', '/my_ns/my_node/ping'],
    ['{node}/ping', '/my_ns', '/my_ns/my_node/ping'],
    ['{ns}/ping', '/my_ns', '/my_ns/my_ns/ping'],
  ])('%s in %s → %s', (name, ns, expected) => {
    expect(expandName(name, 'my_node', ns)).toBe(expected);
  });

  it.each(['', 'a//b', 'a/', '~ping', '1abc', 'a b', '{bad}/x', '/a/2b'])(
    'rejects %j with a reason',
    (bad) => {
      expect(() => expandName(bad, 'n', '/')).toThrow(InvalidNameError);
    },
  );

  it('normalises namespaces', () => {
    expect(normalizeNamespace('')).toBe('/');
    expect(normalizeNamespace('robot/arm/')).toBe('/robot/arm');
    expect(() => normalizeNamespace('/ro-bot')).toThrow(/namespace token 'ro-bot'/);
  });
});

describe('remapping', () => {
  const id = { name: 'talker', namespace: '/ns' };
  it('matches fully expanded names, first rule wins, node-specific rules apply to their node only', () => {
    const rules = ['chatter:=/news', 'listener:foo:=/bar', 'foo:=/baz', 'chatter:=/ignored'].map(
      parseRemapRule,
    );
    expect(resolveName('chatter', id, rules)).toBe('/news');
    expect(resolveName('/ns/chatter', id, rules)).toBe('/news');
    expect(resolveName('foo', id, rules)).toBe('/baz');
    expect(resolveName('foo', { name: 'listener', namespace: '/ns' }, rules)).toBe('/bar');
    expect(resolveName('/chatter', id, rules)).toBe('/chatter');
  });
  it('expands a relative target in the node namespace', () => {
    expect(resolveName('image', id, [parseRemapRule('image:=camera/color')])).toBe('/ns/camera/color');
    expect(resolveName('~/out', id, [parseRemapRule('~/out:=~/grasps')])).toBe('/ns/talker/grasps');
  });
  it('rejects malformed rules', () => {
    expect(() => parseRemapRule('nope')).toThrow(/from:=to/);
    expect(() => parseRemapRule(':=x')).toThrow(InvalidNameError);
  });
});
