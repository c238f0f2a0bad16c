// The kube context each connected cluster was registered (or last found) through, by cluster ARN, kept in the
// extension's global state. Context names only: no credential or server detail is stored.
import type * as vscode from 'vscode';
import type { ContextMemory } from '../core/connector/clusterContextResolver';

const KEY = 'eksConnector.clusterContexts';

export function clusterContextMemory(state: vscode.Memento): ContextMemory {
  const all = () => state.get<Record<string, string>>(KEY) ?? {};
  return {
    recall: (clusterArn) => all()[clusterArn],
    remember: (clusterArn, contextName) => state.update(KEY, { ...all(), [clusterArn]: contextName }),
  };
}
