// ioredis and node-redis subscribers against the server at argv[2]
// (host:port): subscribe, pattern-subscribe, receive, publish counts,
// unsubscribe. Prints "ok" and exits 0, or prints what went wrong and exits 1.
import Redis from 'ioredis';
import { createClient } from 'redis';

const [host, port] = process.argv[2].split(':');
const fail = (msg) => { console.error(msg); process.exit(1); };
setTimeout(() => fail('timed out'), 10000).unref();

function waitFor(pred, what) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() - start > 5000) return reject(new Error('waiting for ' + what));
      setTimeout(tick, 5);
    };
    tick();
  });
}

async function ioredisCase() {
  const sub = new Redis({ host, port: Number(port), lazyConnect: true });
  const pub = new Redis({ host, port: Number(port), lazyConnect: true });
  await sub.connect();
  await pub.connect();
  const got = [];
  sub.on('message', (ch, msg) => got.push(`message ${ch} ${msg}`));
  sub.on('pmessage', (pat, ch, msg) => got.push(`pmessage ${pat} ${ch} ${msg}`));
  const n1 = await sub.subscribe('io:news', 'io:sport');
  if (n1 !== 2) fail(`ioredis subscribe count ${n1}`);
  const n2 = await sub.psubscribe('io:n*');
  if (n2 !== 3) fail(`ioredis psubscribe count ${n2}`);
  const n = await pub.publish('io:news', 'hello');
  if (n !== 2) fail(`ioredis publish reached ${n}, want 2`);
  await waitFor(() => got.length === 2, 'ioredis messages');
  got.sort();
  const want = ['message io:news hello', 'pmessage io:n* io:news hello'];
  if (JSON.stringify(got) !== JSON.stringify(want)) fail(`ioredis got ${JSON.stringify(got)}`);
  await sub.unsubscribe('io:news', 'io:sport');
  await sub.punsubscribe('io:n*');
  const after = await pub.publish('io:news', 'gone');
  if (after !== 0) fail(`ioredis publish after unsubscribe reached ${after}`);
  sub.disconnect();
  pub.disconnect();
}

async function nodeRedisCase() {
  const pub = createClient({ socket: { host, port: Number(port) } });
  pub.on('error', (e) => fail('node-redis: ' + e));
  await pub.connect();
  const sub = pub.duplicate();
  sub.on('error', (e) => fail('node-redis sub: ' + e));
  await sub.connect();
  const got = [];
  await sub.subscribe('nr:news', (msg, ch) => got.push(`message ${ch} ${msg}`));
  await sub.pSubscribe('nr:n*', (msg, ch) => got.push(`pmessage ${ch} ${msg}`));
  const numsub = await pub.pubSubNumSub('nr:news');
  if (numsub['nr:news'] !== 1) fail(`node-redis PUBSUB NUMSUB ${JSON.stringify(numsub)}`);
  const n = await pub.publish('nr:news', 'hi');
  if (n !== 2) fail(`node-redis publish reached ${n}, want 2`);
  await waitFor(() => got.length === 2, 'node-redis messages');
  got.sort();
  const want = ['message nr:news hi', 'pmessage nr:news hi'];
  if (JSON.stringify(got) !== JSON.stringify(want)) fail(`node-redis got ${JSON.stringify(got)}`);
  await sub.unsubscribe('nr:news');
  await sub.pUnsubscribe('nr:n*');
  const after = await pub.publish('nr:news', 'gone');
  if (after !== 0) fail(`node-redis publish after unsubscribe reached ${after}`);
  await sub.quit();
  await pub.quit();
}

try {
  await ioredisCase();
  await nodeRedisCase();
} catch (e) {
  fail(String(e && e.stack || e));
}
console.log('ok');
process.exit(0);
