const t0 = performance.now();
await import('../../dist/rx.js');
const c = process.cpuUsage(); console.log('esm', (performance.now() - t0).toFixed(1), 'ms; process cpu', ((c.user + c.system) / 1000).toFixed(0));
