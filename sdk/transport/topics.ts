// Broker's topic matching: a subscription to a prefix receives every topic that starts with it.

export function topicMatches(subscriptions: readonly string[], topic: string): boolean {
  for (const prefix of subscriptions) {
    if (topic.startsWith(prefix)) return true;
  }
  return false;
}

/** Well-known topics of the Management framework. */
export const TOPICS = {
  controller: 'zeek/management/controller',
  agent: 'zeek/management/agent',
  node: 'zeek/management/node',
  supervisor: 'zeek/supervisor',
  supervisorManagement: 'zeek/management/supervisor',
} as const;

/** The topic an agent named `name` listens on (Zeek: Management::Agent::topic_prefix + "/" + name). */
export function agentTopic(name: string): string {
  return `${TOPICS.agent}/${name}`;
}
