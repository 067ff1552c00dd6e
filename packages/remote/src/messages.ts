/** Every user-facing message of @parajob/remote, in one place so wording stays consistent. */

const show = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v) : typeof v;

const HOW = 'see docs/security.md';

export const messages = {
  refuse: {
    malformed: (ref: unknown) =>
      `this worker refuses the module ${show(ref)} (rule: malformed name): a task module is named './path' (a file of the project under --root) or '<package>[/<exported subpath>]'; no flag allows other names (${HOW})`,
    builtin: (ref: string) =>
      `this worker refuses the module '${ref}' (rule: builtin): Node built-in modules are never task modules and no flag allows them; define the task with task() in a module of your project`,
    url: (ref: string) =>
      `this worker refuses the module '${ref}' (rule: URL): workers never import URLs sent over the network and no flag allows them; name the module './path' or by package name`,
    absolute: (ref: string) =>
      `this worker refuses the module '${ref}' (rule: absolute path): workers never import absolute paths sent over the network and no flag allows them; name the module './path' relative to the worker's --root`,
    segments: (ref: string) =>
      `this worker refuses the module '${ref}' (rule: path segments): '..', '.' and empty segments are never accepted and no flag allows them`,
    nodeModules: (ref: string) =>
      `this worker refuses the module '${ref}' (rule: node_modules by path): installed packages are addressed by package name only ('<package>/<exported subpath>') and must be allowed with --allow <package>`,
    rootNotAllowed: (ref: string) =>
      `this worker refuses the module '${ref}' (rule: not allowed): modules of the project under --root need --allow . (given --allow without '.')`,
    packageNotAllowed: (ref: string, name: string, allowed: readonly string[]) =>
      `this worker refuses the module '${ref}' (rule: not allowed): package '${name}' is not allowed (allowed: ${allowed.join(', ')}); start the worker with --allow ${name}`,
    notExported: (ref: string, name: string, subpath: string) =>
      `this worker refuses the module '${ref}' (rule: not exported): package '${name}' does not export '${subpath}' in its "exports" map; only exported subpaths are task modules, no flag changes that`,
    escapes: (ref: string, flag: string) =>
      `this worker refuses the module '${ref}' (rule: symlink leaves its place): the file it resolves to is outside the directory ${flag} allows, or inside an installed package; no flag allows that`,
    notFound: (ref: string, root: string) =>
      `this worker cannot find the module '${ref}' under its --root ${root} (rule: not found): install the same project and packages on the worker, or point --root at the project`,
    source: (name: string) =>
      `this worker refuses function '${name}', shipped as source (rule: source): start the worker with --allow-source, or define the function with task(import.meta.url, fn) in a module the worker allows`,
  },
  batch: {
    unsendable: (first: number, last: number, reason: string) =>
      `the results of tasks ${first}..${last} could not be encoded to be sent back from the worker (${reason}); return plain data, and no structure nested thousands of levels deep`,
    notWire: (reason: string) =>
      `the worker received a batch it cannot read (${reason}); driver and worker must run the same parajob version`,
  },
  driver: {
    unmappable: (url: string, reason: string) =>
      `the task module ${url} cannot be named to a remote worker (${reason}). Keep task modules inside your project (under the nearest package.json) or in an installed package that exports them.`,
  },
  metrics: {
    noObserve: (why: string) =>
      `--metrics needs @parajob/observe, which could not be loaded (${why}); install it: npm install @parajob/observe`,
  },
  flags: {
    root: (root: string, reason: string) =>
      `--root ${root} is not a usable directory (${reason}): give the directory of the project whose task modules this worker runs`,
    allowSourceWarning: () =>
      'warning: --allow-source is on: anyone who can submit a batch to this worker runs any code they send, as this user; use it only when every submitter is trusted and authenticated',
    noProject: (cwd: string) =>
      `--root: no package.json at or above ${cwd}, so this worker cannot tell which project's task modules it runs (with '--allow .', the default, every file below ${cwd} would be one); start it in the project or give --root DIR`,
    allowEntry: (entry: string) =>
      `--allow ${JSON.stringify(entry)} is not '.' (the project under --root) or a package name pattern ('my-tasks', '@acme/*'); paths are not --allow entries`,
    concurrency: (v: string, max: number) =>
      `--concurrency must be a positive integer, at most ${max} (batches run at once, one thread each), got '${v}'`,
    badPem: (flag: string, path: string, what: string, reason: string) =>
      `${flag} ${path} is not ${what} (${reason})`,
    keyMismatch: (key: string, cert: string) =>
      `--tls-key ${key} is not the private key of --tls-cert ${cert}: give the key the certificate was issued for`,
    positive: (flag: string, v: string) => `${flag} must be a positive integer, got '${v}'`,
    nonNegative: (flag: string, v: string) => `${flag} must be a non-negative integer, got '${v}'`,
    pair: () => "--tls-cert and --tls-key go together (this worker's certificate and its key)",
    readFile: (flag: string, path: string, reason: string) => `${flag} ${path} cannot be read (${reason})`,
    needs: (flag: string, other: string) => `${flag} needs ${other}`,
    unknown: (flag: string) => `unknown option '${flag}'`,
    value: (flag: string) => `${flag} needs a value`,
    noValue: (flag: string) => `${flag} takes no value`,
    positional: (arg: string) => `unexpected argument '${arg}'`,
    hint: (command: string) => `run 'parajob ${command} --help' for the options`,
  },
  limits: {
    maxTasksPerWorker: (v: unknown) =>
      `maxTasksPerWorker (--max-tasks-per-worker) must be a positive integer (tasks a thread runs before it is replaced), got ${String(v)}`,
    maxMemoryPerWorker: (v: unknown) =>
      `maxMemoryPerWorker (--max-memory-per-worker) must be a positive number of MB (heap limit of each thread), got ${String(v)}`,
    idleTimeout: (v: unknown) =>
      `idleTimeout (--idle-timeout) must be a non-negative integer of ms (how long an idle thread is kept), got ${String(v)}`,
  },
  lifecycle: {
    transition: (from: string, to: string) => `remote worker: cannot go from ${from} to ${to}`,
  },
} as const;
