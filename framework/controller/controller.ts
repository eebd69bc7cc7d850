// The controller: composition of its listeners, state, request tracking and agent links.
// (Work in progress: handlers land in api.ts / agent-api.ts.)

import { ControllerConfig } from './config';
import { EndpointServer } from '../../sdk/transport/endpoint-server';

export class Controller {
  wsPort: number | null = null;
  agentPort: number | null = null;
  private ws?: EndpointServer;
  private agents?: EndpointServer;

  constructor(readonly config: ControllerConfig) {}

  async start(): Promise<void> {
    if (this.config.listenPort !== null) {
      this.agents = new EndpointServer({ host: this.config.listenAddress, port: this.config.listenPort, relay: false });
      this.agentPort = (await this.agents.listen()).port;
    }
    if (this.config.listenPortWebsocket !== null) {
      this.ws = new EndpointServer({ host: this.config.listenAddressWebsocket, port: this.config.listenPortWebsocket });
      this.wsPort = (await this.ws.listen()).port;
    }
  }

  async close(): Promise<void> {
    await this.ws?.close();
    await this.agents?.close();
  }
}
