/**
 * An attacker who can reach a worker names modules and functions it must never run. Against
 * real `parajob worker grpc` and `parajob worker nats` processes, with default flags and with
 * --allow: every refused name is refused with the rule it breaks, nothing dangerous runs (the
 * marker file never appears), and the same process answers the next legitimate batch.
 */
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttackProject,
  type AttackTarget,
  makeAttackProject,
  pwned,
  startGrpcTarget,
  startNatsTarget,
  wireBatch,
} from '../helpers/attack.js';

const project = makeAttackProject();
let server: NatsServer | undefined;
const targets: AttackTarget[] = [];

beforeAll(async () => {
  if (natsServerAvailable()) server = await NatsServer.start();
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.stop()));
  await server?.dispose();
  project.remove();
});

type Start = (project: AttackProject, extra: string[]) => Promise<AttackTarget>;
let namespaces = 0;
const adapters: Array<[string, Start]> = [
  ['grpc', (p, extra) => startGrpcTarget(p, extra)],
  ['nats', (p, extra) => startNatsTarget(p, server!.url, `attack${namespaces++}`, extra)],
];

/** The legitimate batch every case is followed by. */
const legit = () => wireBatch([{ name: 'double', module: 'attack-app/tasks.mjs' }], [[1], [2]]);

async function expectStillServing(target: AttackTarget): Promise<void> {
  expect(target.alive()).toBe(true);
  expect(await target.send(legit())).toEqual({ values: [2, 4] });
  expect(pwned(project)).toBe(false);
}

describe.each(adapters)('%s worker, default flags (deny by default)', (kind, start) => {
  let target: AttackTarget;
  beforeAll(async () => {
    if (kind === 'nats' && server === undefined) return;
    target = await start(project, []);
    targets.push(target);
  });

  const refused: Array<[string, string, string]> = [
    ['an installed package through ./node_modules', './node_modules/evil/index.js', 'node_modules by path'],
    ['a package not allowed by name', 'evil', 'not allowed'],
    ['a path walking out of the project by ..', './../outside/secret.mjs', 'path segments'],
    ['the root package walking out by ..', 'attack-app/../outside/secret.mjs', 'path segments'],
    ['an absolute path', `${project.outside}/secret.mjs`, 'absolute path'],
    ['a file: URL', `file://${project.outside}/secret.mjs`, 'URL'],
    ['a data: URL', 'data:text/javascript,export default 1', 'URL'],
    ['node:child_process', 'node:child_process', 'builtin'],
    ['a builtin by its bare name', 'child_process', 'builtin'],
    ['a builtin subpath', 'fs/promises', 'builtin'],
    ['a symlink inside the project pointing outside it', './leak.mjs', 'symlink leaves its place'],
    ['backslashes', '.\\leak.mjs', 'malformed name'],
  ];

  it.each(refused)('refuses %s (%s)', async (_what, module, rule) => {
    if (target === undefined) return;
    const answer = await target.send(wireBatch([{ name: 'run', module }], [[]]));
    expect(answer.error?.message).toContain(`(rule: ${rule})`);
    expect(answer.error?.props).toMatchObject({ code: 'PARAJOB_REFUSED' });
    await expectStillServing(target);
  });

  it('never calls a plain export of an allowed module', async () => {
    if (target === undefined) return;
    const answer = await target.send(wireBatch([{ name: 'plainExport', module: './tasks.mjs' }], [[]]));
    expect(answer.error?.message).toMatch(/registers no task named 'plainExport'/);
    await expectStillServing(target);
  });

  it('refuses functions shipped as source, naming --allow-source', async () => {
    if (target === undefined) return;
    const answer = await target.send(
      wireBatch(
        [
          {
            name: 'f',
            source: `async () => { (await import('node:fs')).writeFileSync(${JSON.stringify(project.marker)}, 'x') }`,
          },
        ],
        [[]],
      ),
    );
    expect(answer.error?.message).toContain('--allow-source');
    await expectStillServing(target);
  });

  it('answers values completed before a failure', async () => {
    if (target === undefined) return;
    const answer = await target.send(
      wireBatch(
        [{ name: 'failAt', module: './tasks.mjs' }],
        [
          [1, 3],
          [2, 3],
          [3, 3],
          [4, 3],
        ],
      ),
    );
    expect(answer.values).toEqual([1, 2]);
    expect(answer.error).toMatchObject({ pos: 2, message: 'bad 3' });
  });
});

describe.each(adapters)('%s worker, --allow evil --allow @parajob/core', (kind, start) => {
  let target: AttackTarget;
  beforeAll(async () => {
    if (kind === 'nats' && server === undefined) return;
    target = await start(project, ['--allow', '.', '--allow', 'evil', '--allow', '@parajob/core']);
    targets.push(target);
  });

  it.each([
    ['evil/../../outside/secret.mjs', 'path segments'],
    ['evil/../../../../../../etc/passwd', 'path segments'],
    ['@parajob/core/../../outside/secret.mjs', 'path segments'],
    ['evil/node_modules/x/index.js', 'node_modules by path'],
    ['@parajob/core/dist/wire.js', 'not exported'],
    ['@parajob/other', 'not allowed'],
  ])('refuses %s (%s)', async (module, rule) => {
    if (target === undefined) return;
    const answer = await target.send(wireBatch([{ name: 'run', module }], [[]]));
    expect(answer.error?.message).toContain(`(rule: ${rule})`);
    await expectStillServing(target);
  });

  it('never calls a plain export of an allowed package', async () => {
    if (target === undefined) return;
    const answer = await target.send(wireBatch([{ name: 'run', module: 'evil' }], [[]]));
    expect(answer.error?.message).toMatch(/registers no task named 'run'/);
    await expectStillServing(target);
  });

  it('runs task() functions of an allowed package by its exported name', async () => {
    if (target === undefined) return;
    const answer = await target.send(
      wireBatch([{ name: 'square', module: '@parajob/core/testing/tasks' }], [[3], [4]]),
    );
    expect(answer).toEqual({ values: [9, 16] });
  });
});
