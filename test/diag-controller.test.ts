// The controller's side of node diagnostics against foreign, silent and hostile agents: an
// agent that does not announce diag-v1 (as Zeek's own agents never do) is named at once as
// not reporting them, and is sent nothing; one that announces it but does not answer is
// named after the controller's request timeout, not waited for; one whose link goes away
// while asked is named as lost; a deployed instance that is not connected is named; answers
// that are not well-formed diagnostics of the instance asked are refused with the reason,
// and the controller goes on serving; a forged answer over another agent's link is ignored;
// the answer stays within one Broker message.

import { strict as assert } from 'node:assert';
import { B } from '../sdk/broker/data';
import { ControllerClient } from '../sdk/client/controller-client';
import { nodeDiagnosticsOf } from '../sdk/client/result-data';
import { NodeDiagnostics } from '../sdk/model/diagnostics';
import { DIAG_CAPABILITY, DiagApi, SITE_CAPABILITY, SiteApi } from '../sdk/model/events';
import { makeResult, Result, resultToData } from '../sdk/model/records';
import { miniConfig } from './helpers/controller-configs';
import { ControllerProcess, startControllerProcess } from './helpers/controller-process';
import { TestAgent } from './helpers/test-agent';

const TIMEOUT_MS = 1500;

function diagnostics(node: string, instance: string): NodeDiagnostics {
  return {
    node, instance, cluster_role: 'WORKER', mgmt_role: 'NONE', state: 'CRASHED', pid: null, started: null, next_start: 1_800_000_000,
    restarts: 3, directory: `/var/lib/nodes/${node}`, stdout_file: `/var/lib/nodes/${node}/stdout`, stderr_file: `/var/lib/nodes/${node}/stderr`,
    stdout: [], stderr: [], last_exit: { time: 1_799_999_999, code: 1, signal: null, ran: 0.2, stdout: [], stderr: ['fatal error: boom'] },
  };
}

describe('controller and node diagnostics', function () {
  this.timeout(30_000);
  let ctl: ControllerProcess;
  let client: ControllerClient;
  const agents: TestAgent[] = [];

  const connect = async (name: string, caps: string[] | null): Promise<TestAgent> => {
    const a = await TestAgent.connect(ctl.agentPort, { name });
    agents.push(a);
    if (caps !== null) a.emit(SiteApi.notify_agent_capabilities, [B.str(name), B.vec(caps.map(B.str))]);
    return a;
  };
  /** Answers the next diagnostics request `a` receives with `result` (a Result or raw data). */
  const answerNext = async (a: TestAgent, result: (reqid: string) => Parameters<TestAgent['emit']>[1][1]): Promise<void> => {
    const ev = await a.waitFor(DiagApi.agent_diagnostics_request);
    const reqid = ev.args[0].type === 'string' ? ev.args[0].value : '';
    a.emit(DiagApi.agent_diagnostics_response, [B.str(reqid), result(reqid)]);
  };
  const byInstance = (rs: Result[]): Map<string | null, Result> => new Map(rs.map((r) => [r.instance, r]));
  const waitInstances = async (n: number): Promise<void> => {
    for (let i = 0; i < 100; i++) {
      const r = await client.getInstances();
      if (r.data?.type === 'vector' && r.data.value.length === n) return;
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`never saw ${n} instances`);
  };

  beforeEach(async () => {
    ctl = await startControllerProcess({ settings: { requestTimeoutMs: TIMEOUT_MS } });
    client = await ControllerClient.connect({ host: '127.0.0.1', port: ctl.wsPort, peeringAttempts: 3, peeringRetryDelaySecs: 0.2, requestTimeoutSecs: 10 });
  });

  afterEach(async () => {
    for (const a of agents.splice(0)) await a.close().catch(() => undefined);
    await client?.close();
    await ctl?.stop();
  });

  it('names an agent without diag-v1 at once and sends it nothing; waits no longer than the timeout for a silent one', async () => {
    const zeekAgent = await connect('agent-zeek', null);
    const siteOnly = await connect('agent-old', [SITE_CAPABILITY]);
    const silent = await connect('agent-silent', [SITE_CAPABILITY, DIAG_CAPABILITY]);
    const ours = await connect('agent-ours', [DIAG_CAPABILITY]);
    await waitInstances(4);
    const answered = answerNext(ours, () => resultToData(makeResult('', { instance: 'agent-ours', data: B.str(JSON.stringify([diagnostics('worker-1', 'agent-ours')])) })));
    const rs = byInstance(await client.getNodeDiagnostics());
    await answered;
    assert.deepEqual([...rs.keys()].sort(), ['agent-old', 'agent-ours', 'agent-silent', 'agent-zeek']);
    assert.equal(rs.get('agent-zeek')!.success, false);
    assert.equal(rs.get('agent-zeek')!.error, `instance 'agent-zeek' does not report node diagnostics: its agent does not announce diag-v1 (a Zeek agent?)`);
    assert.match(rs.get('agent-old')!.error ?? '', /^instance 'agent-old' does not report node diagnostics/);
    assert.equal(rs.get('agent-silent')!.error, `instance 'agent-silent' did not answer ZeekMgmt::Agent::API::get_node_diagnostics_request within ${TIMEOUT_MS / 1000} s`);
    assert.equal(zeekAgent.count(DiagApi.agent_diagnostics_request), 0);
    assert.equal(siteOnly.count(DiagApi.agent_diagnostics_request), 0);
    assert.equal(silent.count(DiagApi.agent_diagnostics_request), 1);
    const mine = rs.get('agent-ours')!;
    assert.equal(mine.success, true, mine.error ?? '');
    assert.deepEqual(nodeDiagnosticsOf(mine), [diagnostics('worker-1', 'agent-ours')]);
  });

  it('passes the nodes asked for on, and names a node no instance reports', async () => {
    const ours = await connect('agent-ours', [DIAG_CAPABILITY]);
    await waitInstances(1);
    const answered = (async () => {
      const ev = await ours.waitFor(DiagApi.agent_diagnostics_request);
      const asked = ev.args[1].type === 'set' ? ev.args[1].value.map((d) => (d.type === 'string' ? d.value : '')).sort() : [];
      assert.deepEqual(asked, ['no-such', 'worker-1']);
      ours.emit(DiagApi.agent_diagnostics_response, [ev.args[0], resultToData(makeResult('', { instance: 'agent-ours', data: B.str(JSON.stringify([diagnostics('worker-1', 'agent-ours')])) }))]);
    })();
    const rs = await client.getNodeDiagnostics(['worker-1', 'no-such']);
    await answered;
    assert.equal(rs.length, 2, JSON.stringify(rs));
    assert.equal(rs.find((r) => r.instance === 'agent-ours')?.success, true);
    const unknown = rs.find((r) => r.node === 'no-such');
    assert.ok(unknown && !unknown.success && unknown.error === 'unknown cluster node', JSON.stringify(rs));
  });

  it('refuses malformed answers with the reason, ignores forged ones, and goes on serving', async () => {
    const ours = await connect('agent-ours', [DIAG_CAPABILITY]);
    const other = await connect('agent-other', [DIAG_CAPABILITY]);
    await waitInstances(2);
    const good = (inst: string) => () => resultToData(makeResult('', { instance: inst, data: B.str(JSON.stringify([diagnostics('w', inst)])) }));
    const cases: Array<[string, (reqid: string) => ReturnType<typeof resultToData> | ReturnType<typeof B.str>, RegExp]> = [
      ['not a Result', () => B.str('hello'), /^instance 'agent-ours' sent malformed diagnostics: /],
      ['data not a string', () => resultToData(makeResult('', { data: B.count(3n) })), /data is count, not a string/],
      ['data not JSON', () => resultToData(makeResult('', { data: B.str('{') })), /data: not JSON/],
      ['a record missing a field', () => resultToData(makeResult('', { data: B.str(JSON.stringify([{ ...diagnostics('w', 'agent-ours'), restarts: undefined }])) })), /data\[0\]\.restarts: must be an integer, got nothing/],
      ['a bad state', () => resultToData(makeResult('', { data: B.str(JSON.stringify([{ ...diagnostics('w', 'agent-ours'), state: 'FINE' }])) })), /data\[0\]\.state: must be RUNNING or CRASHED/],
      ['a line not a string', () => resultToData(makeResult('', { data: B.str(JSON.stringify([{ ...diagnostics('w', 'agent-ours'), stderr: [1] }])) })), /data\[0\]\.stderr\[0\]: must be a string/],
      ['a node of another instance', () => resultToData(makeResult('', { data: B.str(JSON.stringify([diagnostics('w', 'agent-other')])) })), /node w is given as on instance agent-other/],
      ['a failure', () => resultToData(makeResult('', { success: false, error: "instance 'agent-ours': supervisor diagnostics unavailable: gone" })), /^instance 'agent-ours': supervisor diagnostics unavailable: gone$/],
    ];
    for (const [what, answer, expected] of cases) {
      const done = Promise.all([answerNext(ours, answer), answerNext(other, good('agent-other'))]);
      const rs = byInstance(await client.getNodeDiagnostics());
      await done;
      assert.equal(rs.get('agent-ours')!.success, false, what);
      assert.match(rs.get('agent-ours')!.error ?? '', expected, what);
      assert.equal(rs.get('agent-other')!.success, true, `${what}: the other instance still answers`);
    }
    // A forged answer: agent-other answers agent-ours' request; it does not count, and
    // agent-ours' own (later) answer does.
    const forged = (async () => {
      const ev = await ours.waitFor(DiagApi.agent_diagnostics_request);
      await answerNext(other, good('agent-other'));
      other.emit(DiagApi.agent_diagnostics_response, [ev.args[0], good('agent-ours')()]);
      await new Promise((r) => setTimeout(r, 100));
      ours.emit(DiagApi.agent_diagnostics_response, [ev.args[0], resultToData(makeResult('', { data: B.str('[]') }))]);
    })();
    const rs = byInstance(await client.getNodeDiagnostics());
    await forged;
    assert.equal(rs.get('agent-ours')!.success, true);
    assert.deepEqual(nodeDiagnosticsOf(rs.get('agent-ours')!), []);
  });

  it('names an instance whose link goes away while asked, and a deployed instance that is not connected', async () => {
    const ours = await connect('agent-testbox', [DIAG_CAPABILITY]);
    await waitInstances(1);
    const staged = await client.stageConfiguration(miniConfig('agent-testbox'));
    assert.equal(staged[0].success, true, staged[0].error ?? '');
    const deployed = await client.deploy();
    assert.ok(deployed.every((r) => r.success), JSON.stringify(deployed));
    const pending = client.getNodeDiagnostics();
    await ours.waitFor(DiagApi.agent_diagnostics_request);
    await ours.close();
    agents.splice(agents.indexOf(ours), 1);
    const rs = await pending;
    assert.equal(rs.length, 1, JSON.stringify(rs));
    assert.equal(rs[0].instance, 'agent-testbox');
    assert.match(rs[0].error ?? '', /^(lost the connection to instance 'agent-testbox' before it answered|instance 'agent-testbox' did not answer .* within 1.5 s)$/);
    await waitInstances(0);
    const again = await client.getNodeDiagnostics();
    assert.deepEqual(again.map((r) => [r.instance, r.success, r.error]), [['agent-testbox', false, "instance 'agent-testbox' is not connected"]]);
  });

  it('keeps its answer within one Broker message: an instance whose diagnostics do not fit beside the others is named', async () => {
    const names = ['agent-a', 'agent-b', 'agent-c'];
    const as = await Promise.all(names.map((n) => connect(n, [DIAG_CAPABILITY])));
    await waitInstances(3);
    // ~3.5 MB each: two fit in the controller's 8 MiB, the third does not.
    const big = (inst: string): string => JSON.stringify([{ ...diagnostics('w', inst), stderr: Array.from({ length: 100 }, () => 'z'.repeat(35_000)) }]);
    const done = Promise.all(as.map((a, i) => answerNext(a, () => resultToData(makeResult('', { instance: names[i], data: B.str(big(names[i])) })))));
    const rs = byInstance(await client.getNodeDiagnostics());
    await done;
    assert.equal(rs.get('agent-a')!.success, true);
    assert.equal(rs.get('agent-b')!.success, true);
    assert.match(rs.get('agent-c')!.error ?? '', /^instance 'agent-c': its node diagnostics \(\d+ bytes\) do not fit in this answer beside the other instances'; ask for its nodes by name$/);
  });

  it('with no instance at all: Zeek\'s "no instances connected"', async () => {
    const rs = await client.getNodeDiagnostics();
    assert.deepEqual(rs.map((r) => [r.success, r.error]), [[false, 'no instances connected']]);
  });
});
