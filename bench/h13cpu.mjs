if (process.argv[2] === 'piscina') {
  const { Piscina } = await import('piscina');
  const p = new Piscina({ filename: new URL('./h13cpu-pisc.mjs', import.meta.url).href, maxThreads: 2 });
  const r = await Promise.all([p.run(0), p.run(0)]);
  console.log('piscina', Math.max(...r).toFixed(1)); await p.close();
} else {
  const { Parallel, delayed } = await import('parajob');
  const { cpu } = await import('./h13cpu-task.mjs');
  const r = await new Parallel({ nJobs: 2 }).run([delayed(cpu)(), delayed(cpu)()]);
  console.log('parajob', Math.max(...r).toFixed(1));
}
