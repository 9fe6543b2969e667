// The npm @upstash/redis client, unchanged (base64 responses, its default),
// against Synap's REST surface. Prints one JSON line of results that
// httpapi/upstash_test.go compares; an unexpected failure exits 1.
import { Redis } from "@upstash/redis";

const redis = new Redis({ url: process.env.SYNAP_URL, token: process.env.SYNAP_TOKEN });
const out = {};
const err = async (f) => {
  try {
    await f();
    return "no error";
  } catch (e) {
    return String(e.message).split(", command was:")[0];
  }
};

out.ping = await redis.ping();
out.set = await redis.set("str", "hello");
out.get = await redis.get("str");
out.setJSON = await redis.set("obj", { a: 1, b: ["x"] });
out.getJSON = await redis.get("obj");
out.setEX = await redis.set("tmp", "v", { ex: 100 });
out.ttl = await redis.ttl("tmp");
out.incr = await redis.incr("n");
out.incrby = await redis.incrby("n", 41);
out.mget = await redis.mget("str", "missing", "n");
out.hset = await redis.hset("h", { f1: "v1", f2: 2 });
out.hgetall = await redis.hgetall("h");
out.hget = await redis.hget("h", "f1");
out.lpush = await redis.lpush("l", "a", "b", "c");
out.lrange = await redis.lrange("l", 0, -1);
out.sadd = await redis.sadd("s", "m1");
out.smembers = await redis.smembers("s");
out.zadd = await redis.zadd("z", { score: 1.5, member: "one" }, { score: 3, member: "three" });
out.zrange = await redis.zrange("z", 0, -1, { withScores: true });
out.zscore = await redis.zscore("z", "three");
out.exists = await redis.exists("str", "missing", "h");
out.unicode = await redis.set("u", "héllo wörld ✓");
out.getUnicode = await redis.get("u");
out.del = await redis.del("u", "missing");
out.wrongtype = await err(() => redis.lpush("str", "x"));
out.notInt = await err(() => redis.incr("str"));
const p = redis.pipeline();
p.set("p1", "1");
p.incr("p1");
p.get("p1");
out.pipeline = await p.exec();
const tx = redis.multi();
tx.set("t1", "a");
tx.append("t1", "b");
tx.get("t1");
out.multi = await tx.exec();
out.scan = await redis.scan(0, { match: "p*", count: 100 });
out.dbsize = await redis.dbsize();
const bad = new Redis({ url: process.env.SYNAP_URL, token: "not-a-key" });
out.badToken = await err(() => bad.get("str"));
console.log(JSON.stringify(out));
