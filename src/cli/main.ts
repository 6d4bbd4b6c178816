import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { type Bus, type BusChoice, createBus } from '../bus';
import { PACKAGE_ROOT } from '../msg';
import { nodeEntry, nodeNames, type RunningNode } from '../nodes';
import { runDemo } from './demo';
import { simRender } from './sim-render';
import { registerModelCommands } from './models';
import { registerFuzzCommand } from './fuzz';
import { registerEvalReal } from './eval-real';
import { registerNasCommands } from './nas';
import { recordSim, type RecordOptions } from '../bag/replay';
import { serveSim } from '../policy/sim-server';
import { parseSplit, writeDataset } from '../dataset';
import { loadCell } from '../sim';
import { SingleBar } from 'cli-progress';

function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
}

/** Splits off `--ros-args …` (everything from it on belongs to ROS, as rcl parses it). */
export function splitRosArgs(argv: readonly string[]): { cli: string[]; ros: string[] } {
  const i = argv.indexOf('--ros-args');
  return i < 0 ? { cli: [...argv], ros: [] } : { cli: argv.slice(0, i), ros: argv.slice(i) };
}

/** Runs until SIGINT/SIGTERM, then stops the nodes and the bus. */
async function runUntilSignal(bus: Bus, running: RunningNode[]): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  for (const r of running) await r.stop();
  await bus.shutdown();
  // Work a stopped node still awaits (a service call's or a status wait's timer) must not keep the
  // process alive past its launcher's SIGINT grace: exit once the event loop has had 2 s to drain.
  setTimeout(() => process.exit(), 2000).unref();
}

export function buildProgram(
  io: { out: (s: string) => void; err: (s: string) => void },
  rosArgs: string[],
): Command {
  const program = new Command('grasp-perception')
    .description(
      'Bin-picking perception for suction robots: grasps, instances, occlusion, segmentation, push-or-grasp',
    )
    .version(packageVersion(), '-V, --version', 'print the package version')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const busOption = new Option('--bus <bus>', 'message bus: rclnodejs needs a sourced ROS 2 environment')
    .choices(['auto', 'inprocess', 'rclnodejs'])
    .default('auto');

  program
    .command('run')
    .description(
      'start nodes (what launch files and `ros2 run` call); several share one in-process bus; ROS arguments follow --ros-args',
    )
    .argument('<nodes...>', `nodes to start: ${nodeNames().join(', ')}`)
    .addOption(busOption)
    .option('-n, --namespace <ns>', 'node namespace', '')
    .action(async (names: string[], opts: { bus: BusChoice; namespace: string }) => {
      const entries = names.map((name) => nodeEntry(name));
      const bus = await createBus(opts.bus, rosArgs);
      const running: RunningNode[] = [];
      try {
        for (const [i, entry] of entries.entries()) {
          const r = await entry.start(bus, { namespace: opts.namespace });
          running.push(r);
          r.node.logger.info(`${names[i]} running on the ${bus.kind} bus as ${r.node.fullyQualifiedName}`);
        }
      } catch (err) {
        for (const r of running) await r.stop();
        await bus.shutdown();
        throw err;
      }
      await runUntilSignal(bus, running);
    });

  program
    .command('nodes')
    .description('list the nodes `run` can start')
    .action(() => {
      for (const name of nodeNames()) io.out(`${name}\t${nodeEntry(name).description}\n`);
    });

  /** Option parser: an integer in [lo, hi], else one readable error naming the option. */
  const integer = (name: string, lo: number, hi: number) => (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < lo || n > hi)
      throw new Error(`${name} must be an integer from ${lo} to ${hi}, got '${v}'`);
    return n;
  };

  program
    .command('demo')
    .description(
      'the closed loop on the in-process bus: simulator, perception, segmentation and the push-and-grasp ' +
        'policy pick until the bin is clear; writes OUT/report.html and OUT/report.json',
    )
    .option('--objects <n>', 'objects dropped into the bin (1-40)', integer('--objects', 1, 40), 10)
    .option('--seed <n>', 'random seed of the simulated clutter', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--max-actions <n>', 'action limit (default 5 per object)', integer('--max-actions', 1, 100_000))
    .option('--model <manifest>', "policy model (default: policy_node's, the int8 reduced policy)")
    .option('--out <dir>', 'report directory', 'out')
    .option('--headless', 'no progress bar: one line per action', false)
    .action(
      async (opts: {
        objects: number;
        seed: number;
        maxActions?: number;
        model?: string;
        out: string;
        headless: boolean;
      }) => {
        const r = await runDemo({
          ...opts,
          maxActions: opts.maxActions ?? 0,
          outDir: opts.out,
          out: io.out,
          rosArgs,
        });
        if ('error' in r) throw new Error(`the closed loop stopped: ${String(r.error)}`);
      },
    );

  const sim = program.command('sim').description('the bin-picking simulator');
  sim
    .command('render')
    .description(
      'render one scene and write a contact sheet of every label (RGB, depth, masks, occlusion, suction, CoM)',
    )
    .option('--seed <n>', 'random seed', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--objects <n>', 'objects in random clutter (1-40)', integer('--objects', 1, 40), 10)
    .option('--scenario <file>', 'a scenario file (scenarios/*.yaml) instead of random clutter')
    .option('--cell <file>', 'a cell file (cells/*.yaml): one scene of that cell for --seed')
    .option('--width <px>', 'image width', integer('--width', 32, 1920), 640)
    .option('--height <px>', 'image height', integer('--height', 24, 1080), 480)
    .requiredOption('--out <file>', 'PNG file to write')
    .action(
      async (opts: {
        seed: number;
        objects: number;
        scenario?: string;
        cell?: string;
        width: number;
        height: number;
        out: string;
      }) => {
        const r = await simRender(opts);
        io.out(`wrote ${r.file} (${r.objects} objects)\n`);
      },
    );

  sim
    .command('serve')
    .description('drive the simulator over stdin/stdout, one JSON request per line (the RL trainer uses it)')
    .option(
      '--suction-model <manifest>',
      "perception model for policies' suction channel (default models/fast_graspnext.json)",
    )
    .action(async (o: { suctionModel?: string }) => {
      await serveSim(process.stdin, (line) => io.out(`${line}\n`), { suctionModel: o.suctionModel });
    });

  sim
    .command('record')
    .description('record simulated camera topics (colour, aligned depth, camera_info) to a ROS 2 MCAP bag')
    .requiredOption('--out <file>', 'MCAP file to write')
    .option('--frames <n>', 'frames to record', integer('--frames', 1, 100_000), 10)
    .option('--seed <n>', 'random seed', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--objects <n>', 'objects in random clutter (1-40)', integer('--objects', 1, 40), 10)
    .option('--width <px>', 'image width', integer('--width', 32, 1920), 640)
    .option('--height <px>', 'image height', integer('--height', 24, 1080), 480)
    .option('--compressed', 'CompressedImage (jpeg colour, png depth) instead of raw Image', false)
    .action(async (o: RecordOptions) => {
      io.out(`${JSON.stringify(await recordSim(o))}\n`);
    });

  program
    .command('dataset')
    .description(
      'render simulated scenes into a dataset (PNG images + COCO-style annotations, split by scene)',
    )
    .requiredOption('--out <dir>', 'directory to write')
    .requiredOption('--scenes <n>', 'number of scenes', integer('--scenes', 1, 1_000_000))
    .option('--seed <n>', 'random seed', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--width <px>', 'image width', integer('--width', 32, 1920), 640)
    .option('--height <px>', 'image height', integer('--height', 24, 1080), 480)
    .option('--split <train/val/test>', 'percentages by scene', '60/20/20')
    .option(
      '--cell <file>',
      'a cell file (cells/*.yaml, docs/cells.md): bin, camera, objects, sensor, randomisation',
    )
    .option(
      '--workers <n>',
      `worker threads rendering scenes (default: the core count, ${os.availableParallelism()})`,
      integer('--workers', 1, 256),
    )
    .action(
      async (opts: {
        out: string;
        scenes: number;
        seed: number;
        width: number;
        height: number;
        split: string;
        cell?: string;
        workers?: number;
      }) => {
        const split = parseSplit(opts.split);
        // A bad cell is one line before anything is written or drawn.
        if (opts.cell) loadCell(opts.cell);
        const bar = new SingleBar({
          format: 'dataset |{bar}| {value}/{total} scenes | {eta_formatted} left',
          stream: process.stderr,
          noTTYOutput: false,
        });
        bar.start(opts.scenes, 0);
        const started = Date.now();
        try {
          const m = await writeDataset({
            ...opts,
            workers: opts.workers ?? os.availableParallelism(),
            split,
            onProgress: (done) => bar.update(done),
          });
          bar.stop();
          const secs = (Date.now() - started) / 1000;
          io.out(
            `${JSON.stringify({ out: opts.out, scenes: m.scenes, split: m.split, files: m.files, workers: opts.workers ?? os.availableParallelism(), seconds: +secs.toFixed(1), scenes_per_s: +(m.scenes / secs).toFixed(2) })}\n`,
          );
        } catch (err) {
          bar.stop();
          throw err;
        }
      },
    );

  registerModelCommands(program, io, integer);
  registerEvalReal(program, io, integer);
  registerFuzzCommand(program, io, integer);
  registerNasCommands(program, io, integer);

  return program;
}

/** Longest error line printed; the rest of a runaway message is cut. */
const MAX_ERROR_CHARS = 360;

/**
 * An error message as one printable line: control characters (from a file's bytes or an argument)
 * escaped as \uXXXX, undecodable bytes as '?', newlines folded, overlong text cut.
 */
export function printableLine(message: string): string {
  const line = message
    .replace(/\r?\n/g, ' ')
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is escaped
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/\ufffd/g, '?');
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS - 1)}…` : line;
}

/** Returns the exit code; every failure is one readable line on stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  const { cli, ros } = splitRosArgs(argv.slice(2));
  const io = {
    out: (s: string) => void process.stdout.write(s),
    err: (s: string) => void process.stderr.write(s),
  };
  const program = buildProgram(io, ros);
  try {
    await program.parseAsync(cli, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (and help for usage errors).
      return err.exitCode === 0 ? 0 : 2;
    }
    io.err(`grasp-perception: ${printableLine((err as Error).message)}\n`);
    return 1;
  }
}
