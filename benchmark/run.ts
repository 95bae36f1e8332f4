// `npm run bench`: the whole suite, one table. Options:
//   --only=onelink,raw     implementations to run (default: all three)
//   --reps=N               repetitions (default 3)
//   --scenarios=pair,fleet,failover
//                          groups of scenarios to run (default: all): pair = sequential + payload,
//                          fleet = throughput + RSS + fan-out, failover
//   --smoke                tiny sizes, as the smoke test runs them
//   --profile[=impl]       write V8 CPU profiles of the workers (of one implementation) to benchmark/results/profiles/
//   --no-write             print the table without writing benchmark/results/
// Every run is recorded in benchmark/results/<date>.json; RESULTS.md is replaced only by a complete
// run (all implementations, full sizes).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FULL_RUN, SCENARIO_GROUPS, SMOKE_RUN, type BenchConfig, type ScenarioGroup } from './config.js';
import { IMPLEMENTATION_NAMES, type ImplementationName } from './impl/implementation.js';
import { machineInfo, renderTable, summarizeAll, writeResults } from './report.js';
import { runSuite } from './suite.js';

const BENCHMARK_DIR = fileURLToPath(new URL('.', import.meta.url));

interface RunArguments {
  config: BenchConfig;
  complete: boolean;
  profile?: ImplementationName | 'all';
  write: boolean;
}

/**
 * A comma-separated subset of `known`, each name checked; in the canonical order, so that columns
 * and interleaving do not depend on the command line.
 */
function namesFrom<T extends string>(list: string, known: readonly T[], what: string): T[] {
  const names = list.split(',');
  for (const name of names) {
    if (!(known as readonly string[]).includes(name)) throw new Error(`unknown ${what} "${name}" (${known.join(', ')})`);
  }
  return known.filter((name) => names.includes(name));
}

function parseArguments(argv: string[]): RunArguments {
  let smoke = false;
  let implementations: readonly ImplementationName[] = IMPLEMENTATION_NAMES;
  let repetitions: number | undefined;
  let scenarios: readonly ScenarioGroup[] = SCENARIO_GROUPS;
  let profile: ImplementationName | 'all' | undefined;
  let write = true;
  for (const argument of argv) {
    const [flag, value] = argument.split('=', 2);
    if (flag === '--smoke') {
      smoke = true;
    } else if (flag === '--only' && value) {
      implementations = namesFrom(value, IMPLEMENTATION_NAMES, 'implementation');
    } else if (flag === '--scenarios' && value) {
      scenarios = namesFrom(value, SCENARIO_GROUPS, 'scenario group');
    } else if (flag === '--reps' && value && Number.isInteger(Number(value)) && Number(value) >= 1) {
      repetitions = Number(value);
    } else if (flag === '--profile') {
      if (value && !(IMPLEMENTATION_NAMES as readonly string[]).includes(value)) throw new Error(`unknown implementation "${value}"`);
      profile = (value as ImplementationName | undefined) ?? 'all';
    } else if (flag === '--no-write') {
      write = false;
    } else {
      throw new Error(`unknown argument "${argument}"; see the top of benchmark/run.ts`);
    }
  }
  const base = smoke ? SMOKE_RUN : FULL_RUN;
  const config: BenchConfig = { ...base, implementations, scenarios, repetitions: repetitions ?? base.repetitions };
  const complete = !smoke && implementations.length === IMPLEMENTATION_NAMES.length && scenarios.length === SCENARIO_GROUPS.length;
  return { config, complete, profile, write };
}

// exit through process.exit so that the workers are killed too (see worker-handle.ts)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

async function main(): Promise<void> {
  const { config, complete, profile, write } = parseArguments(process.argv.slice(2));
  const started = Date.now();
  console.log(`onelink benchmark: ${config.implementations.join(' vs ')}, ${config.repetitions} repetition(s), interleaved`);
  const cpuProfileDir = profile ? join(BENCHMARK_DIR, 'results', 'profiles') : undefined;
  const results = await runSuite({
    config,
    progress: (line) => console.log(line),
    cpuProfileDir,
    profileImplementation: profile === 'all' ? undefined : profile,
  });
  const machine = machineInfo();
  console.log(`\n${renderTable(config, summarizeAll(config, results))}\n`);
  console.log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ${Math.round((Date.now() - started) / 1000)} s`);
  if (cpuProfileDir) console.log(`CPU profiles: ${cpuProfileDir}`);
  if (write) {
    const { jsonPath, markdownPath } = writeResults(BENCHMARK_DIR, config, results, machine, complete);
    console.log(`wrote ${jsonPath}${markdownPath ? ` and ${markdownPath}` : ' (RESULTS.md is only replaced by a complete run)'}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
