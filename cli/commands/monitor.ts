// monitor: for troubleshooting, print every controller event as it arrives, in
// zeek-client's words: received "Name(arg: <class '...'>, ...)". Runs until Ctrl-C
// (exit 0); after client.request_timeout_secs without events it says so and goes on.

import type { BrokerData } from '../../sdk/broker/data';
import type { ZeekEvent } from '../../sdk/broker/event';
import type { CommandContext } from '../command';
import { withController } from '../session';

const API = 'Management::Controller::API::';

/** Argument names of the events zeek-client knows (events.py). */
const KNOWN_EVENTS: Record<string, string[]> = {
  deploy_request: ['reqid'],
  deploy_response: ['reqid', 'results'],
  get_configuration_request: ['reqid', 'deployed'],
  get_configuration_response: ['reqid', 'result'],
  get_id_value_request: ['reqid', 'id', 'nodes'],
  get_id_value_response: ['reqid', 'results'],
  get_instances_request: ['reqid'],
  get_instances_response: ['reqid', 'result'],
  get_nodes_request: ['reqid'],
  get_nodes_response: ['reqid', 'results'],
  restart_request: ['reqid', 'nodes'],
  restart_response: ['reqid', 'results'],
  stage_configuration_request: ['reqid', 'config'],
  stage_configuration_response: ['reqid', 'results'],
  test_noop_request: ['reqid'],
  test_timeout_request: ['reqid', 'with_state'],
  test_timeout_response: ['reqid', 'result'],
};

const CLASS_NAMES: Record<BrokerData['type'], string> = {
  none: 'NoneType', boolean: 'Boolean', count: 'Count', integer: 'Integer', real: 'Real',
  timespan: 'Timespan', timestamp: 'Timestamp', string: 'String', 'enum-value': 'Enum',
  address: 'Address', subnet: 'Subnet', port: 'Port', vector: 'Vector', set: 'Set', table: 'Table',
};

/** zeek-client's str() of an event: a Zeek-looking signature with the argument types. */
export function describeEvent(ev: ZeekEvent, argNames: string[]): string {
  const args = argNames.map((n, i) => `${n}: <class 'zeekclient.brokertypes.${CLASS_NAMES[ev.args[i].type]}'>`);
  return `${ev.name}(${args.join(', ')})`;
}

export function run(ctx: CommandContext): Promise<number> {
  let timeoutSecs = 20;
  try {
    timeoutSecs = ctx.settings.getFloat('client', 'request_timeout_secs');
  } catch (err) {
    ctx.log.error((err as Error).message);
    return Promise.resolve(1);
  }
  return withController(ctx, (s) => new Promise<number>((resolve) => {
    const out = (line: string): void => {
      ctx.io.stdout.write(`${line}\n`);
    };
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        out(`no response received: websocket connection to ${s.remote} timed out`);
        arm();
      }, timeoutSecs * 1000);
    };
    arm();
    s.client.onEvent((ev) => {
      arm();
      const names = ev.name.startsWith(API) ? KNOWN_EVENTS[ev.name.slice(API.length)] : undefined;
      if (!names) {
        ctx.log.warning(`received unexpected event "${ev.name}", skipping`);
        return;
      }
      ctx.log.debug(`received event "${ev.name}"`);
      if (ev.args.length !== names.length) {
        out(`no response received: protocol data error with controller ${s.remote}: invalid event data, event argument length mismatch: have ${ev.args.length}, expected ${names.length}`);
        return;
      }
      out(`received "${describeEvent(ev, names)}"`);
    });
    s.client.connection.once('close', () => {
      clearTimeout(timer);
      out(`no response received: unexpected error with controller ${s.remote}: connection closed`);
      resolve(1);
    });
  }));
}
