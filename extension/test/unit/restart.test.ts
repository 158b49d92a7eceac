import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RestartScheduler } from "../../src/restart";
import { FakeTimers, settle } from "../fakeApi";

describe("RestartScheduler", () => {
  it("restarts once, after the last request of a burst", async () => {
    const timers = new FakeTimers();
    const runs: string[][] = [];
    const s = new RestartScheduler(async (reasons) => { runs.push(reasons); }, 500, timers);
    s.request("interpreter");
    timers.advance(300);
    s.request("args");
    timers.advance(300);
    s.request("args");
    assert.equal(runs.length, 0, "still inside the debounce window");
    timers.advance(499);
    assert.equal(runs.length, 0);
    timers.advance(1);
    await settle();
    assert.deepEqual(runs, [["interpreter", "args"]]);
    assert.equal(timers.size, 0);
  });

  it("a request during a restart causes exactly one more restart", async () => {
    const timers = new FakeTimers();
    let release: () => void = () => undefined;
    let runs = 0;
    const s = new RestartScheduler(() => { runs++; return new Promise<void>((r) => { release = r; }); }, 100, timers);
    const first = s.runNow();
    s.request("a");
    s.request("b");
    assert.equal(timers.size, 0, "nothing is scheduled while a restart runs");
    release();
    await first;
    await settle();
    timers.advance(100);
    await settle();
    release();
    await settle();
    assert.equal(runs, 2);
    timers.advance(1000);
    await settle();
    assert.equal(runs, 2);
  });

  it("runNow cancels a pending debounced restart", async () => {
    const timers = new FakeTimers();
    let runs = 0;
    const s = new RestartScheduler(async () => { runs++; }, 500, timers);
    s.request("x");
    await s.runNow();
    timers.advance(1000);
    await settle();
    assert.equal(runs, 1);
  });

  it("keeps working after a failed restart", async () => {
    const timers = new FakeTimers();
    let runs = 0;
    const s = new RestartScheduler(async () => { runs++; throw new Error("spawn failed"); }, 10, timers);
    await s.runNow();
    await s.runNow();
    assert.equal(runs, 2);
  });
});
