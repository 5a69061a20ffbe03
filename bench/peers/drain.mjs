// Drains N pre-queued jobs with no-op handlers through a peer queue on the same PostgreSQL, and
// prints one line: peer=<name> n=<N> concurrency=<C> drain_s=<s> jobs_per_s=<r>.
// usage: node drain.mjs pg-boss|graphile-worker DATABASE_URL N CONCURRENCY
import PgBoss from "pg-boss";
import { run, makeWorkerUtils, Logger } from "graphile-worker";

const [peer, url, nArg, concurrencyArg] = process.argv.slice(2);
const n = Number(nArg), concurrency = Number(concurrencyArg);
const log = (message) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${peer}: ${message}\n`);

async function inBatches(total, size, add) {
  for (let done = 0; done < total; done += size) {
    await Promise.all(Array.from({ length: Math.min(size, total - done) }, (_, i) => add(done + i)));
  }
}

async function pgBoss() {
  const boss = new PgBoss({ connectionString: url, max: concurrency + 2 });
  boss.on("error", (error) => log(error.message));
  await boss.start();
  await boss.createQueue("noop");
  log(`queueing ${n} jobs`);
  await inBatches(n, 500, () => boss.send("noop", {}));
  let finished = 0, resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  const started = process.hrtime.bigint();
  for (let i = 0; i < concurrency; i++) {
    await boss.work("noop", { batchSize: 32, pollingIntervalSeconds: 0.5 }, async (jobs) => {
      finished += jobs.length;
      if (finished >= n) resolveDone();
    });
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await boss.stop({ graceful: false, wait: false });
  return seconds;
}

async function graphileWorker() {
  const utils = await makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  log(`queueing ${n} jobs`);
  await inBatches(n, 500, () => utils.addJob("noop", {}));
  await utils.release();
  let finished = 0, resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  const started = process.hrtime.bigint();
  const runner = await run({
    connectionString: url, concurrency, noHandleSignals: true, pollInterval: 500,
    logger: new Logger(() => () => {}),
    taskList: { noop: async () => { finished += 1; if (finished >= n) resolveDone(); } },
  });
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await runner.stop();
  return seconds;
}

const seconds = peer === "pg-boss" ? await pgBoss() : peer === "graphile-worker" ? await graphileWorker()
  : (() => { throw new Error(`unknown peer ${peer}`); })();
console.log(`peer=${peer} n=${n} concurrency=${concurrency} drain_s=${seconds.toFixed(2)} jobs_per_s=${Math.round(n / seconds)}`);
process.exit(0);
