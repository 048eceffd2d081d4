import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { recordTimeline, type TimelineEntry, watchCriticalPath } from '../../bench/child-side.ts';

/** One POST to `port` with `headers`, read to its end. */
function post(
  port: number,
  headers: Record<string, string>,
  agent: import('node:http').Agent,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('recordTimeline', () => {
  it("records each request's operation, SigV4 region and times, and stops recording when stopped", async () => {
    // Prepare
    const server = createServer((_req, res) => {
      setTimeout(() => res.end('{}'), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const signed = {
      'x-amz-target': 'secretsmanager.DescribeSecret',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261206/eu-west-2/secretsmanager/aws4_request, SignedHeaders=host, Signature=00',
    };
    try {
      // Act
      const timeline = recordTimeline();
      await post(port, signed, agent);
      await post(port, {}, agent);
      const recorded = timeline.stop();
      await post(port, signed, agent);

      // Assess
      const lines = recorded
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toHaveLength(3);
      const [first, second] = lines as TimelineEntry[];
      expect(first).toMatchObject({
        operation: 'secretsmanager.DescribeSecret',
        region: 'eu-west-2',
        reusedSocket: false,
      });
      expect(second).toMatchObject({ operation: 'POST /', reusedSocket: true });
      expect(second?.region).toBeUndefined();
      for (const entry of [first, second] as Required<TimelineEntry>[]) {
        expect(entry.created).toBeLessThanOrEqual(entry.sent);
        // The server answers 20 ms after it read the request.
        expect(entry.answered - entry.sent).toBeGreaterThanOrEqual(15);
      }
      expect(lines[2].stopped).toBeGreaterThanOrEqual(second?.answered ?? Number.POSITIVE_INFINITY);
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('watchCriticalPath', () => {
  it('times the first answer after the sequential calls and counts only the CPU spent after it', async () => {
    // Prepare: a server that answers after 20 ms; a loop that burns a known amount of thread CPU.
    const server = createServer((_req, res) => {
      setTimeout(() => res.end('{}'), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const burn = (ms: number) => {
      const start = process.threadCpuUsage();
      for (;;) {
        const used = process.threadCpuUsage(start);
        if ((used.user + used.system) / 1000 >= ms) return;
      }
    };
    try {
      // Act: one sequential call, CPU that must not count, the first answer after it, then CPU that must.
      const path = watchCriticalPath(1);
      const started = performance.now();
      await post(port, {}, agent);
      burn(40);
      await post(port, {}, agent);
      const answeredBy = performance.now() - started;
      burn(30);
      const measured = path.stop();
      const again = path.stop();

      // Assess: the second answer came after both round trips and the first burn; the CPU after
      // it holds the second burn but not the first.
      expect(measured.firstAnswerMs).toBeGreaterThanOrEqual(40 + 2 * 20 - 5);
      expect(measured.firstAnswerMs).toBeLessThanOrEqual(answeredBy);
      expect(measured.cpuAfterMs).toBeGreaterThanOrEqual(30);
      expect(measured.cpuAfterMs).toBeLessThan(40 + 30);
      expect(again).toBe(measured);
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
