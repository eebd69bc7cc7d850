// The set-up the gRPC provider suites share: a live cluster (test/helpers/provider-cluster.ts),
// Pulumi's dynamic-provider plugin started as the engine starts it, and the serialized
// provider that dynamic.Resource puts into every Check's inputs as `__provider`.

import * as path from 'node:path';
import { DynamicProviderPlugin } from '../../provider/plugin-client';
import { serializableProvider } from '../../provider/serializable-provider';
import { LiveCluster, startLiveCluster } from './provider-cluster';

export interface PluginUnderTest {
  cluster: LiveCluster;
  plugin: DynamicProviderPlugin;
  /** The provider's serialized text, as `__provider` carries it. */
  providerText: string;
}

/**
 * Registers before/after hooks in the calling describe that start the cluster and the
 * plugin (after `beforeStart`, if given) and stop both; the returned object is filled in
 * by the before hook.
 */
export function pluginWithLiveCluster(beforeStart?: () => void): PluginUnderTest {
  const t = {} as PluginUnderTest;
  let plugin: DynamicProviderPlugin | undefined;
  let cluster: LiveCluster | undefined;
  before(async () => {
    beforeStart?.();
    const pulumi = require('@pulumi/pulumi');
    t.providerText = (await pulumi.runtime.serializeFunction(() => serializableProvider, { allowSecrets: false })).text;
    t.cluster = cluster = await startLiveCluster();
    t.plugin = plugin = await DynamicProviderPlugin.start(path.resolve(__dirname, '../..'));
  });
  after(async () => {
    await plugin?.stop();
    await cluster?.stop();
  });
  return t;
}
