import {
  nodePatternMatches,
  overridesForNode,
  param,
  ParamsFileError,
  parseParamsFile,
  parseRosArguments,
  RosArgumentsError,
  formatLogRecord,
  createLogger,
  LogConfig,
  type LogRecord,
} from '../../src/bus';

describe('params files', () => {
  it('flattens nested namespaces and keeps node patterns', () => {
    const f = parseParamsFile(
      'ns:\n  perception_node:\n    ros__parameters:\n      a: 1\n      group:\n        b: [1.5, 2]\n        c: "x"\n',
      'f.yaml',
    );
    expect(f.entries).toHaveLength(1);
    expect(f.entries[0].nodePattern).toBe('ns/perception_node');
    expect([...f.entries[0].values]).toEqual([
      ['a', 1],
      ['group.b', [1.5, 2]],
      ['group.c', 'x'],
    ]);
  });

  it.each([
    ['perception_node', '/perception_node', true],
    ['/perception_node', '/ns/perception_node', false],
    ['/**', '/a/b/c', true],
    ['/**/perception_node', '/a/b/perception_node', true],
    ['/**/perception_node', '/perception_node', true],
    ['/*/perception_node', '/a/perception_node', true],
    ['/*/perception_node', '/a/b/perception_node', false],
    ['/ns/*', '/ns/anything', true],
  ])('pattern %s vs %s → %s', (pattern, name, expected) => {
    expect(nodePatternMatches(pattern, name)).toBe(expected);
  });

  it('later sources win: files in order, then -p', () => {
    const a = parseParamsFile('/**:\n  ros__parameters:\n    x: 1\n    y: 1\n', 'a.yaml');
    const b = parseParamsFile('/n:\n  ros__parameters:\n    x: 2\n', 'b.yaml');
    const o = overridesForNode('/n', [a, b], new Map([['y', 3]]));
    expect(o.get('x')).toEqual({ value: 2, source: 'b.yaml' });
    expect(o.get('y')).toEqual({ value: 3, source: 'command line (-p)' });
  });

  it.each([
    ['x: [1, 2', /not valid YAML/],
    ['- a\n- b\n', /top level must be a mapping/],
    ['node:\n  ros__parameters: 5\n', /'ros__parameters' of 'node' must be a mapping/],
    ['node:\n  foo: 1\n', /'node\/foo' must contain 'ros__parameters'/],
    ['node:\n  ros__parameters:\n    a:\n', /parameter 'a' has no value/],
  ])('malformed file %j is a ParamsFileError naming the file', (text, message) => {
    expect(() => parseParamsFile(text, 'cfg/bad.yaml')).toThrow(ParamsFileError);
    expect(() => parseParamsFile(text, 'cfg/bad.yaml')).toThrow(message);
    expect(() => parseParamsFile(text, 'cfg/bad.yaml')).toThrow(/^params file cfg\/bad\.yaml: /);
  });

  it('describes ranges and choices in descriptors', () => {
    expect(param.string('a', 'd', { choices: ['a', 'b'] }).descriptor.additionalConstraints).toBe(
      'one of: a, b',
    );
    expect(param.integer(1, 'd', { range: { from: 0, to: 3 } }).schema.safeParse(4).success).toBe(false);
    expect(param.doubleArray([0, 0, 0], 'd', { length: 3 }).schema.safeParse([1, 2]).success).toBe(false);
  });
});

describe('--ros-args', () => {
  it('parses remaps, params, params files and log levels; keeps other arguments', () => {
    const a = parseRosArguments([
      'perception_node',
      '--ros-args',
      '-r',
      'a:=b',
      '--remap',
      'n:c:=d',
      '-p',
      'x:=1.5',
      '-p',
      'n:list:=[1, 2]',
      '--params-file',
      'p.yaml',
      '--log-level',
      'debug',
      '--log-level',
      'n:=warn',
      '--',
      '--other',
    ]);
    expect(a.rest).toEqual(['perception_node', '--other']);
    expect(a.remaps).toEqual([
      { from: 'a', to: 'b' },
      { node: 'n', from: 'c', to: 'd' },
    ]);
    expect(a.params).toEqual([
      { name: 'x', value: 1.5 },
      { node: 'n', name: 'list', value: [1, 2] },
    ]);
    expect(a.paramsFiles).toEqual(['p.yaml']);
    expect(a.logLevels).toEqual([{ level: 'debug' }, { logger: 'n', level: 'warn' }]);
  });

  it('names the faulty argument', () => {
    expect(() => parseRosArguments(['--ros-args', '-p'])).toThrow(RosArgumentsError);
    expect(() => parseRosArguments(['--ros-args', '--bogus'])).toThrow("unknown argument '--bogus'");
    expect(() => parseRosArguments(['--ros-args', '-p', 'novalue'])).toThrow(
      "parameter 'novalue' is not 'name:=value'",
    );
    expect(() => parseRosArguments(['--ros-args', '--log-level', 'loud'])).toThrow(
      "unknown log level 'loud'",
    );
  });
});

describe('logging', () => {
  it('formats like rcutils and honours per-logger thresholds with inheritance', () => {
    expect(formatLogRecord({ level: 'warn', logger: 'ns.node', message: 'hi', time: 1700000000.5 })).toBe(
      '[WARN] [1700000000.500000000] [ns.node]: hi',
    );
    const records: LogRecord[] = [];
    const cfg = new LogConfig('info', (r) => records.push(r));
    cfg.setLevel('ns', 'error');
    createLogger('ns.node', cfg).warn('hidden');
    createLogger('other', cfg).info('shown');
    createLogger('other', cfg).debug('hidden');
    expect(records.map((r) => r.message)).toEqual(['shown']);
  });

  it('throttles per key', () => {
    const records: LogRecord[] = [];
    let t = 0;
    const log = createLogger('n', new LogConfig('info', (r) => records.push(r)), () => t);
    log.throttle('warn', 'k', 1, 'a');
    t = 0.5;
    log.throttle('warn', 'k', 1, 'b');
    t = 1.2;
    log.throttle('warn', 'k', 1, 'c');
    expect(records.map((r) => r.message)).toEqual(['a', 'c']);
  });
});
