import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { connect, unreadRecords, type Connection, type StoreOptions } from './connect.js';
import { CliError, describeFailure, EXIT } from './exit.js';
import { stdoutOutput, type Output } from './format.js';
import { pause, remove, resume, run } from './commands/actions.js';
import { checksBeforeOpening, doctor } from './commands/doctor.js';
import { quarantineDiscard, quarantineList, quarantineRestore } from './commands/quarantine.js';
import { previewSpec, previewTask, reschedule, timeline } from './commands/schedule.js';
import { status } from './commands/status.js';
import { history, inspect, list } from './commands/tasks.js';
import { isHoraeError, Scheduler } from '@horae/core';

type Globals = StoreOptions & { json?: boolean };

/** This package's version, read from its package.json (beside dist/ and src/ alike). */
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Runs a command with a connection to the stores, closed afterwards whatever happens. */
async function withStores(globals: Globals, work: (connection: Connection, out: Output) => Promise<number | void>): Promise<number> {
  const out = stdoutOutput(globals.json === true);
  const connection = await connect(globals);
  try {
    const code = (await work(connection, out)) ?? EXIT.ok;
    // Records this process could not read are left out of what it shows: say so, every time.
    const unread = unreadRecords(connection.logger.warnings).size;
    if (unread > 0) process.stderr.write(`horae: warning: ${unread} task record(s) could not be read here and are not shown (no or another HORAE_STORE_ENCRYPTION_KEY?): run horae doctor\n`);
    return code;
  } catch (error) {
    if (error instanceof CliError || isHoraeError(error)) throw error;
    // A store that fails mid-command: a connection refused or lost.
    const message = error instanceof Error ? error.message : String(error);
    const unreachable = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Connection is closed|Server selection timed out/i.test(message);
    throw new CliError(unreachable ? `cannot reach ${connection.source} (${message}): check the address, and that the server runs` : `${connection.source} failed: ${message}`);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

const example = (lines: string[]) => `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n`;

/**
 * The `horae` program. `argv` as `process.argv` gives it; resolves to the exit code (see {@link EXIT}).
 * @public
 */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('horae')
    .description('Operate a Horae schedule from a terminal: the same stores the app uses, without its code.')
    .version(VERSION, '-v, --version')
    .option('-s, --store <url>', 'the store: redis://host:port, mongodb://host:port/?…, postgres://…, or file:./dir (or set HORAE_STORE)')
    .option('--prefix <prefix>', "a Redis store's key prefix (as the app's RedisStore has it)")
    .option('--database <name>', "a MongoDB store's database")
    .option('--collection <name>', "a MongoDB store's collection")
    .option('--schema <name>', "a PostgreSQL store's schema")
    .option('--table <name>', "a PostgreSQL store's tasks table")
    .option('-c, --config <file>', 'a horae.config.{js,mjs,ts} that exports the stores (default: found upward from here)')
    .option('--timeout <seconds>', 'how long to wait for the store', '5')
    .option('--json', 'print JSON (stable shapes, see the README) instead of tables')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'horae: ')) })
    .addHelpText('after', example(['horae --store redis://localhost:6379 --prefix billing list', 'horae inspect nightly-export', 'horae run nightly-export --wait', 'HORAE_STORE=file:./.horae horae status']));

  const act = (work: (connection: Connection, out: Output, ...args: string[]) => Promise<number | void>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const positional = args.slice(0, -2).filter((arg): arg is string => typeof arg === 'string');
      exitCode = await withStores(command.optsWithGlobals<Globals>(), (connection, out) => work(connection, out, ...positional));
    };
  const opts = (command: Command) => command.opts<Record<string, string | boolean | undefined>>();
  const storeAlias = new Option('--in <alias>', 'only the store with this alias (from a config file)');

  const withAlias = <T extends Record<string, unknown>>(command: Command): T & { storeAlias?: string } => {
    const values = opts(command) as T & { in?: string };
    return { ...values, ...(values.in === undefined ? {} : { storeAlias: values.in }) };
  };
  const listCommand = program
    .command('list')
    .description('list the tasks')
    .addOption(storeAlias)
    .option('--state <state>', 'pending, scheduled, paused or running')
    .option('--handler <name>', 'only tasks of this handler')
    .option('--trigger <type>', 'only tasks with this trigger type (cron, interval, date, …)')
    .option('-q, --search <text>', 'text in the id, name, handler or trigger')
    .option('--sort <field>', 'nextRunTime (default), id, name, state, store, trigger, handler, executor')
    .option('--desc', 'reverse the order')
    .addHelpText('after', example(['horae list --state paused', 'horae list --trigger cron --sort id --json']));
  listCommand.action(act((connection, out) => list(connection.scheduler, withAlias(listCommand), out)));



  const inspectCommand = program
    .command('inspect <id>')
    .description('everything about one task: its options, next fire times and last runs')
    .addOption(storeAlias)
    .option('--count <n>', 'how many next fire times', '5')
    .addHelpText('after', example(['horae inspect nightly-export', 'horae inspect nightly-export --json']));
  inspectCommand.action(act((connection, out, id) => inspect(connection.scheduler, id, withAlias(inspectCommand), out)));

  const historyCommand = program
    .command('history <id>')
    .description("a task's run history, newest first")
    .addOption(storeAlias)
    .option('--limit <n>', 'how many runs', '20')
    .option('--before <time>', 'only runs that ended before this ISO time')
    .addHelpText('after', example(['horae history nightly-export --limit 5']));
  historyCommand.action(act((connection, out, id) => history(connection.scheduler, id, withAlias(historyCommand), out)));

  const previewCommand = program
    .command('preview [trigger]')
    .description('the next fire times of a trigger (no store needed) or of a task (--task)')
    .option('--task <id>', "a task's next fire times instead")
    .option('--timezone <zone>', 'the IANA zone of the trigger (default: this machine’s)')
    .option('--count <n>', 'how many', '10')
    .option('--from <time>', 'from this ISO time (default now)')
    .addOption(storeAlias)
    .addHelpText('after', example(['horae preview "0 3 * * 1-5" --timezone Europe/Berlin', 'horae preview "every 15m" --count 4', 'horae preview --task nightly-export']));
  previewCommand.action(async (spec: string | undefined) => {
    const values = withAlias<{ task?: string; timezone?: string; count?: string; from?: string }>(previewCommand);
    const globals = previewCommand.optsWithGlobals<Globals>();
    if (values.task !== undefined) {
      exitCode = await withStores(globals, (connection, out) => previewTask(connection.scheduler, values.task!, values, out));
      return;
    }
    if (spec === undefined) throw new CommanderError(EXIT.usage, 'horae.usage', 'horae: give a trigger ("0 3 * * *", "every 15m") or --task <id>');
    // A trigger alone needs no store: a scheduler that is never started computes it.
    previewSpec(new Scheduler({ ...(values.timezone === undefined ? {} : { timezone: values.timezone }) }), spec, values, stdoutOutput(globals.json === true));
  });

  const timelineCommand = program
    .command('timeline')
    .description('every fire of every task in a window, in time order')
    .option('--from <time>', 'ISO time, or +N h / +N d from now (default now)')
    .option('--to <time>', 'ISO time, or +N h / +N d from now (default 24 h after --from)')
    .addOption(storeAlias)
    .addHelpText('after', example(['horae timeline --to +12h']));
  timelineCommand.action(act((connection, out) => timeline(connection.scheduler, withAlias(timelineCommand), out)));

  const runCommand = program
    .command('run <id>')
    .description('have a running instance run the task now (the CLI never runs handlers)')
    .addOption(storeAlias)
    .option('--force', 'also for a paused task (resumes it) or a one-off date task (runs it now instead of later)')
    .option('--wait [seconds]', 'wait for the run and print its outcome (default 60 s)')
    .addHelpText('after', example(['horae run nightly-export', 'horae run nightly-export --wait 120']));
  runCommand.action(act((connection, out, id) => run(connection.scheduler, id, { ...withAlias<{ force?: boolean; wait?: string | boolean }>(runCommand), wait: waitOf(opts(runCommand).wait) }, out)));

  for (const [name, description, work] of [
    ['pause', 'pause a task: no fires until it is resumed', pause],
    ['resume', 'resume a paused task', resume],
  ] as const) {
    const command = program.command(`${name} <id>`).description(description).addOption(storeAlias).addHelpText('after', example([`horae ${name} nightly-export`]));
    command.action(act((connection, out, id) => work(connection.scheduler, id, withAlias(command), out)));
  }

  const removeCommand = program
    .command('remove <id>')
    .description('delete a task (asks first unless --yes)')
    .addOption(storeAlias)
    .option('-y, --yes', 'do not ask')
    .addHelpText('after', example(['horae remove old-report --yes']));
  removeCommand.action(act((connection, out, id) => remove(connection.scheduler, id, withAlias(removeCommand), out)));

  const rescheduleCommand = program
    .command('reschedule <id> <trigger>')
    .description('give a task a new trigger; --dry-run shows the old and new next fire times and changes nothing')
    .addOption(storeAlias)
    .option('--timezone <zone>', 'the IANA zone of the new trigger')
    .option('--dry-run', 'show, change nothing')
    .addHelpText('after', example(['horae reschedule nightly-export "30 2 * * *" --dry-run', 'horae reschedule digest "every 2h"']));
  rescheduleCommand.action(act((connection, out, id, spec) => reschedule(connection.scheduler, id, spec, withAlias(rescheduleCommand), out)));

  const quarantine = program.command('quarantine').description('records that could not be read or run, set aside');
  const qList = quarantine.command('list').description('list them, with the reason').addOption(storeAlias);
  qList.action(act((connection, out) => quarantineList(connection.scheduler, withAlias(qList), out)));
  const qRestore = quarantine.command('restore <id>').description('put one back to be scheduled (after fixing the cause)').addOption(storeAlias);
  qRestore.action(act((connection, out, id) => quarantineRestore(connection.scheduler, id, withAlias(qRestore), out)));
  const qDiscard = quarantine.command('discard <id>').description('delete one for good (asks first unless --yes)').addOption(storeAlias).option('-y, --yes', 'do not ask');
  qDiscard.action(act((connection, out, id) => quarantineDiscard(connection.scheduler, id, withAlias(qDiscard), out)));

  program
    .command('status')
    .description('stores reachable, tasks by state, instances alive and what they run')
    .addHelpText('after', example(['horae status --json']))
    .action(act((connection, out) => status(connection.scheduler, connection.source, out)));

  program
    .command('doctor')
    .description("checks that catch real incidents: store reachable, its clock, MongoDB indexes, the encryption key, the quarantine, handlers the instances alive lack (exit code 4 on any warning or failure)")
    .addHelpText('after', example(['horae doctor']))
    .action(async (_options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<Globals>();
      const before = await checksBeforeOpening(globals);
      exitCode = await withStores(globals, (connection, out) => doctor(connection, out, before));
    });

  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with code 0; usage errors were printed by commander already.
      if (error.exitCode === 0) return EXIT.ok;
      if (error.code === 'horae.usage') process.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    const { code, line } = describeFailure(error);
    process.stderr.write(`horae: ${line}\n`);
    if (process.env.HORAE_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`);
    return code;
  }
}

function waitOf(value: unknown): string | undefined {
  if (value === undefined || value === false) return undefined;
  if (typeof value !== 'string') return '60';
  if (!(Number(value) > 0)) throw new CliError(`--wait ${value}: give a number of seconds`, EXIT.usage);
  return value;
}
